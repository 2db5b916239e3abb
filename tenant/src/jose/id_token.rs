//! OpenID Connect ID tokens (OIDC Core §2) and the claims about a user that
//! they and `/userinfo` carry, per granted scope (OIDC Core §5.4).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::jose::keys::SigningAlg;
use crate::management::users::UserRecord;
use crate::seams::crypto::CryptoBackend;
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

/// The claims `scope` releases about `user`, besides `sub`.
pub fn user_claims(user: &UserRecord, scope: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let has = |wanted: &str| scope.iter().any(|s| s == wanted);
    if has("profile") {
        claims.insert("name".into(), user.name.clone().into());
        claims.insert("nickname".into(), user.nickname.clone().into());
        for (name, value) in [
            ("given_name", &user.given_name),
            ("family_name", &user.family_name),
            ("picture", &user.picture),
        ] {
            if let Some(value) = value {
                claims.insert(name.into(), value.clone().into());
            }
        }
        // OIDC Core §5.1: seconds since the epoch.
        claims.insert("updated_at".into(), user.updated_at.into());
    }
    if has("email") {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    claims
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
    #[serde(flatten)]
    profile: Map<String, Value>,
}

/// What an ID token is issued for.
pub struct IdTokenGrant<'a> {
    pub client_id: &'a str,
    pub alg: SigningAlg,
    pub lifetime: u64,
    pub user: &'a UserRecord,
    pub auth_time: u64,
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub scope: &'a [String],
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    pub async fn mint_id_token(&self, grant: IdTokenGrant<'_>) -> Result<String> {
        let key = self.signing_key(grant.alg).await?;
        let now = self.clock.now();
        let claims = IdTokenClaims {
            iss: self.issuer(),
            sub: &grant.user.user_id,
            aud: grant.client_id,
            iat: now,
            exp: now + grant.lifetime,
            auth_time: grant.auth_time,
            nonce: grant.nonce,
            at_hash: grant.access_token.map(at_hash),
            profile: user_claims(grant.user, grant.scope),
        };
        self.encode_jws(&key, ID_TOKEN_TYPE, &claims).await
    }

    /// `{issuer}userinfo`: the audience of access tokens that may call
    /// `/userinfo`.
    pub fn userinfo_audience(&self) -> String {
        format!("{}userinfo", self.issuer())
    }

    /// `GET/POST /userinfo` (OIDC Core §5.3): the claims of the token's user
    /// that its scopes release.
    pub async fn userinfo(&self, authorization: Option<&str>) -> Result<Value> {
        let token = self
            .verify_bearer(authorization, Some(&self.userinfo_audience()))
            .await?;
        let user = self
            .user(&token.claims.sub)
            .await?
            .filter(|user| !user.blocked)
            .ok_or_else(|| Error::invalid_token("The user no longer exists or is blocked"))?;
        let scope: Vec<String> = token.claims.scope.split(' ').map(str::to_string).collect();
        let mut claims = Map::new();
        claims.insert("sub".into(), user.user_id.clone().into());
        claims.extend(user_claims(&user, &scope));
        Ok(Value::Object(claims))
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
