//! OpenID Connect ID tokens (OIDC Core §2).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::jose::access_token::OrganizationClaims;
use crate::jose::keys::SigningAlg;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;

/// The `typ` of ID tokens.
pub const ID_TOKEN_TYPE: &str = "JWT";

/// OIDC Core §3.2.2.9: base64url of the left half of SHA-256 of the access
/// token (the hash of RS256 and of EdDSA's JWS are both SHA-256 here).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_name: Option<&'a str>,
    #[serde(flatten)]
    profile: Map<String, Value>,
}

/// What an ID token is issued for.
pub struct IdTokenGrant<'a> {
    pub client_id: &'a str,
    pub alg: SigningAlg,
    pub lifetime: u64,
    /// The person: their user id.
    pub subject: &'a str,
    /// The claims about the person the granted scopes release
    /// (`UserRecord::claims`).
    pub profile: Map<String, Value>,
    pub auth_time: u64,
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    /// The organization the person signed in to.
    pub organization: Option<&'a OrganizationClaims>,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    pub async fn mint_id_token(&self, grant: IdTokenGrant<'_>) -> Result<String> {
        let key = self.signing_key(grant.alg).await?;
        let now = self.clock.now();
        let claims = IdTokenClaims {
            iss: self.issuer(),
            sub: grant.subject,
            aud: grant.client_id,
            iat: now,
            exp: now + grant.lifetime,
            auth_time: grant.auth_time,
            nonce: grant.nonce,
            at_hash: grant.access_token.map(at_hash),
            org_id: grant.organization.map(|o| o.org_id.as_str()),
            org_name: grant.organization.and_then(|o| o.org_name.as_deref()),
            profile: grant.profile,
        };
        self.encode_jws(&key, ID_TOKEN_TYPE, &claims).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_core_example() {
        // OIDC Core, Appendix A.3 (id_token token): the access token and the
        // at_hash of its ID token.
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
