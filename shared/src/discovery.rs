//! OpenID Connect Discovery 1.0 / RFC 8414 metadata and the JWK Set (RFC 7517).

use serde::{Deserialize, Serialize};

use crate::protocol::{AuthMethod, GrantType, ResponseMode, ResponseType, SigningAlg};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: String,
    pub scopes_supported: Vec<String>,
    pub response_types_supported: Vec<ResponseType>,
    pub response_modes_supported: Vec<ResponseMode>,
    pub grant_types_supported: Vec<GrantType>,
    pub subject_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<SigningAlg>,
    pub token_endpoint_auth_methods_supported: Vec<AuthMethod>,
    pub claims_supported: Vec<String>,
    pub request_uri_parameter_supported: bool,
    /// RFC 7636 / RFC 8414 §2.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 7009 / RFC 8414 §2.
    pub revocation_endpoint: String,
    pub revocation_endpoint_auth_methods_supported: Vec<AuthMethod>,
}

/// A public JSON Web Key. Only the members of the key types this tenant
/// issues are modelled: OKP/Ed25519 (RFC 8037) and RSA (RFC 7518 §6.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}
