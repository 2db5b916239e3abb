//! OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 metadata.

use shared::discovery::ProviderMetadata;
use shared::protocol::{AuthMethod, GrantType, ResponseMode, ResponseType, SigningAlg};

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// The tenant's metadata; every endpoint is under the issuer.
pub fn provider_metadata(issuer: &str) -> ProviderMetadata {
    ProviderMetadata {
        issuer: issuer.to_string(),
        authorization_endpoint: format!("{issuer}authorize"),
        token_endpoint: format!("{issuer}oauth/token"),
        registration_endpoint: format!("{issuer}oidc/register"),
        jwks_uri: format!("{issuer}.well-known/jwks.json"),
        userinfo_endpoint: format!("{issuer}userinfo"),
        scopes_supported: strings(&["openid", "profile", "email", "offline_access"]),
        response_types_supported: vec![
            ResponseType::CODE,
            ResponseType::TOKEN,
            ResponseType::ID_TOKEN,
            ResponseType::ID_TOKEN_TOKEN,
        ],
        response_modes_supported: vec![
            ResponseMode::Query,
            ResponseMode::Fragment,
            ResponseMode::FormPost,
        ],
        grant_types_supported: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
            GrantType::Implicit,
        ],
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: SigningAlg::ALL.to_vec(),
        token_endpoint_auth_methods_supported: vec![
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ],
        claims_supported: strings(&[
            "aud",
            "auth_time",
            "at_hash",
            "email",
            "email_verified",
            "exp",
            "family_name",
            "given_name",
            "iat",
            "iss",
            "name",
            "nickname",
            "nonce",
            "picture",
            "sub",
            "updated_at",
        ]),
        request_uri_parameter_supported: false,
        code_challenge_methods_supported: strings(&["S256"]),
        revocation_endpoint: format!("{issuer}oauth/revoke"),
        revocation_endpoint_auth_methods_supported: vec![
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::None,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_under_the_issuer() {
        let issuer = "http://127.0.0.1:8787/";
        let metadata = provider_metadata(issuer);
        assert_eq!(metadata.issuer, issuer);
        for endpoint in [
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.registration_endpoint,
            &metadata.jwks_uri,
            &metadata.userinfo_endpoint,
        ] {
            assert!(endpoint.starts_with(issuer), "{endpoint}");
            assert!(!endpoint[issuer.len()..].starts_with('/'), "{endpoint}");
        }
        assert!(metadata
            .id_token_signing_alg_values_supported
            .contains(&SigningAlg::Rs256));
    }
}
