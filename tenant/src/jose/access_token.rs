//! Access tokens: JWTs in the RFC 9068 profile, minted for an API with its
//! signing algorithm and lifetime, and verified the way an API should verify
//! them (signature by `kid`, pinned `alg`, `typ`, `iss`, `aud`, `exp`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jwt_compact::{Claims, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jose::keys::{LoadedKey, SigningAlg};
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::random;
use crate::seams::store::Store;
use crate::Tenant;

/// RFC 9068 §2.1: the `typ` of JWT access tokens.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// Tokens longer than this are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// `aud`: one audience, or several (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many.as_slice(),
        };
        slice.iter().map(String::as_str)
    }

    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|a| a == audience)
    }
}

/// The claims of an access token besides `exp`, `iat` and `nbf`, which
/// jwt-compact's [`Claims`] carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    /// RFC 9068 §2.2.
    pub client_id: String,
    /// Auth0 names the client in `azp` as well.
    pub azp: String,
    pub jti: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Auth0's grant type marker, e.g. `client-credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gty: Option<String>,
    /// The organization the token acts for (Auth0's Organizations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Its name, when the tenant allows organization names in the
    /// Authentication API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
}

/// The organization a token acts for, as its claims name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationClaims {
    pub org_id: String,
    pub org_name: Option<String>,
}

/// What an access token is issued for.
pub struct AccessTokenGrant<'a> {
    pub client_id: &'a str,
    pub subject: String,
    pub audience: Audience,
    pub scope: &'a Scope,
    pub gty: Option<&'a str>,
    pub lifetime: u64,
    pub alg: SigningAlg,
    pub organization: Option<OrganizationClaims>,
    /// Claims actions set, already filtered ([`crate::actions::claims`]).
    pub custom_claims: serde_json::Map<String, serde_json::Value>,
}

/// What an access token is signed with: its claims and the custom ones.
#[derive(Serialize)]
struct MintedClaims<'a> {
    #[serde(flatten)]
    claims: AccessTokenClaims,
    #[serde(flatten)]
    custom: &'a serde_json::Map<String, serde_json::Value>,
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedAccessToken {
    pub claims: AccessTokenClaims,
    /// The `scope` claim, parsed; for the Management API, narrowed to what
    /// the token's holder still holds.
    pub scope: Scope,
    /// The payload exactly as signed, for APIs that echo it.
    pub payload: serde_json::Value,
}

impl VerifiedAccessToken {
    fn new(claims: AccessTokenClaims, signed: &str) -> Self {
        Self {
            scope: Scope::of_trusted(&claims.scope),
            claims,
            payload: decode_payload(signed),
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.contains(scope)
    }
}

#[derive(Serialize)]
struct JwsHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

fn time_options(now: u64) -> TimeOptions<impl Fn() -> DateTime<Utc>> {
    let now = DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    TimeOptions::new(Duration::zero(), move || now)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    pub async fn mint_access_token(&self, grant: AccessTokenGrant<'_>) -> Result<String> {
        let key = self.signing_key(grant.alg).await?;
        let custom = &grant.custom_claims;
        let claims = Claims::new(MintedClaims {
            custom,
            claims: AccessTokenClaims {
                iss: self.issuer().to_string(),
                sub: grant.subject,
                aud: grant.audience,
                client_id: grant.client_id.to_string(),
                azp: grant.client_id.to_string(),
                jti: random::token(self.rng, 16),
                scope: grant.scope.to_string(),
                gty: grant.gty.map(str::to_string),
                org_id: grant.organization.as_ref().map(|o| o.org_id.clone()),
                org_name: grant.organization.and_then(|o| o.org_name),
            },
        })
        .set_duration_and_issuance(
            &time_options(self.clock.now()),
            Duration::seconds(grant.lifetime as i64),
        );
        self.encode_jws(&key, ACCESS_TOKEN_TYPE, &claims).await
    }

    /// JWS Compact Serialization (RFC 7515 §7.1).
    pub(crate) async fn encode_jws<T: Serialize>(
        &self,
        key: &LoadedKey,
        typ: &str,
        claims: &T,
    ) -> Result<String> {
        let header = JwsHeader {
            alg: key.record.alg.as_str(),
            typ,
            kid: &key.record.kid,
        };
        let mut token = String::with_capacity(512);
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(&header).expect("header"), &mut token);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims).expect("claims"), &mut token);
        let signature = self.sign(key, token.as_bytes()).await?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// `{issuer}userinfo`: the audience of access tokens that may call
    /// `/userinfo`.
    pub fn userinfo_audience(&self) -> String {
        format!("{}userinfo", self.issuer())
    }

    /// Verifies `Authorization: Bearer <token>` as an API of this tenant
    /// would. With `audience`, the token must be for that API; without, for
    /// any API of the tenant. The `alg` must be the one the API signs with.
    pub async fn verify_bearer(
        &self,
        authorization: Option<&str>,
        audience: Option<&str>,
    ) -> Result<VerifiedAccessToken> {
        let token = bearer_token(authorization)?;
        self.verify_access_token(token, audience).await
    }

    pub async fn verify_access_token(
        &self,
        token: &str,
        audience: Option<&str>,
    ) -> Result<VerifiedAccessToken> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::invalid_token("The access token is too large"));
        }
        let untrusted = UntrustedToken::new(token)
            .map_err(|_| Error::invalid_token("The access token is malformed"))?;
        let typ = untrusted.header().token_type.as_deref().unwrap_or_default();
        let typ = typ.strip_prefix("application/").unwrap_or(typ);
        if !typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) {
            return Err(Error::invalid_token("The token is not an access token"));
        }
        let kid = untrusted
            .header()
            .key_id
            .as_deref()
            .ok_or_else(|| Error::invalid_token("The access token has no kid"))?;
        let key = self
            .verification_key(kid)
            .await?
            .ok_or_else(|| Error::invalid_token("The access token is signed by an unknown key"))?;
        // The algorithm comes from our key, never from the token's header.
        if untrusted.algorithm() != key.record.alg.as_str() {
            return Err(Error::invalid_token(
                "The access token's alg does not match its key",
            ));
        }
        let (signed, _) = token.rsplit_once('.').expect("parsed as three parts");
        if !self
            .verify_signature(&key, signed.as_bytes(), untrusted.signature_bytes())
            .await?
        {
            return Err(Error::invalid_token(
                "The access token's signature is invalid",
            ));
        }

        let claims: Claims<AccessTokenClaims> = untrusted
            .deserialize_claims_unchecked()
            .map_err(|_| Error::invalid_token("The access token's claims are malformed"))?;
        // RFC 7519 §4.1.4: the token must be used *before* `exp`.
        let now = self.clock.now() as i64;
        if claims.expiration.is_none_or(|exp| exp.timestamp() <= now) {
            return Err(Error::invalid_token("The access token has expired"));
        }
        let options = time_options(self.clock.now());
        if claims.not_before.is_some() {
            claims
                .validate_maturity(&options)
                .map_err(|_| Error::invalid_token("The access token is not valid yet"))?;
        }
        let custom = claims.custom;
        if custom.iss != self.issuer() {
            return Err(Error::invalid_token(
                "The access token was issued by another issuer",
            ));
        }
        let api = match audience {
            Some(expected) if !custom.aud.contains(expected) => {
                return Err(Error::invalid_token(format!(
                    "The access token is not for the audience {expected}"
                )))
            }
            // `/userinfo` accepts its tokens whatever API they were signed
            // for; the key still fixes the algorithm.
            Some(expected) if expected == self.userinfo_audience() => {
                return Ok(VerifiedAccessToken::new(custom, signed))
            }
            Some(expected) => self.resource_server_by_identifier(expected).await?,
            None => {
                let mut found = None;
                for aud in custom.aud.iter() {
                    if let Some(api) = self.resource_server_by_identifier(aud).await? {
                        found = Some(api);
                        break;
                    }
                }
                found
            }
        };
        let api = api.ok_or_else(|| {
            Error::invalid_token("The access token is not for an API of this tenant")
        })?;
        if api.signing_alg != key.record.alg {
            return Err(Error::invalid_token(format!(
                "The API only accepts {} tokens",
                api.signing_alg.as_str()
            )));
        }
        Ok(VerifiedAccessToken::new(custom, signed))
    }
}

/// The payload of a JWS whose signature was checked, as JSON.
fn decode_payload(signed: &str) -> serde_json::Value {
    signed
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The token of an `Authorization: Bearer` header (RFC 6750 §2.1).
pub(crate) fn bearer_token(authorization: Option<&str>) -> Result<&str> {
    let header = authorization.ok_or_else(Error::missing_token)?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| Error::invalid_token("Malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Error::invalid_token(
            "Authorization must use the Bearer scheme",
        ));
    }
    Ok(token.trim())
}
