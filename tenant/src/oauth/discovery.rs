//! OpenID Connect Discovery 1.0 §3 and RFC 8414 §2 metadata.

use shared::discovery::ProviderMetadata;

use crate::jose::keys::SigningAlg;

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
        scopes_supported: strings(&["openid", "profile", "email"]),
        response_types_supported: strings(&["token", "id_token", "id_token token"]),
        response_modes_supported: strings(&["fragment", "form_post"]),
        grant_types_supported: strings(&["client_credentials", "implicit"]),
        subject_types_supported: strings(&["public"]),
        id_token_signing_alg_values_supported: SigningAlg::ALL
            .iter()
            .map(|alg| alg.as_str().to_string())
            .collect(),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
        ]),
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
            .contains(&"RS256".to_string()));
    }
}
