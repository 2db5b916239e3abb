//! The token endpoint's grants for applications that sign people in: the
//! authorization code (RFC 6749 §4.1.3, with PKCE, RFC 7636 §4.5) and the
//! refresh token (§6), and revocation (`POST /oauth/revoke`, RFC 7009).
//!
//! A client authenticates as it registered: with its secret
//! (`client_secret_post`, `client_secret_basic`), or, a public client
//! (`none`), with its `client_id` alone, which PKCE makes safe for codes
//! and rotation makes safe for refresh tokens.
//!
//! Cost. A code redemption reads the client from KV (the built-in apps
//! are configuration), then makes one round trip to the system of record
//! (the code used up, with its person and session) and, with
//! `offline_access`, one more (the refresh token family); a refresh, one
//! read of the client and two round trips (the token, its family, its
//! person and their membership read; the rotation written). The client
//! credentials grant is unchanged.

use shared::token::TokenResponse;

use crate::error::{echo, Error, OAuthErrorCode, Result};
use crate::management::clients::{AuthMethod, ClientRecord, GrantType};
use crate::management::resource_servers::ResourceServerRecord;
use crate::oauth::token::{ClientAuthentication, TokenRequest, UNKNOWN_CLIENT_HASH};
use crate::primitives::pkce;
use crate::primitives::scope::{self, Scope};
use crate::primitives::secret;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database};
use crate::seams::store::Store;
use crate::sign_in::grant::{grantable_api_scopes, oidc_scopes};
use crate::sign_in::response::{Minted, UserTokens};
use crate::throttle::{ClientAuthLimits, RateLimit};
use crate::Tenant;

/// Codes and refresh tokens are base64url of 32 bytes; anything much
/// longer names none and is refused before it is hashed.
const MAX_OPAQUE_TOKEN_LEN: usize = 256;

fn missing(name: &str) -> Error {
    Error::invalid_request(format!("Missing required parameter: {name}"))
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A client of the grants that sign people in, authenticated as it
    /// registered; failures are counted as at the client credentials
    /// grant.
    async fn authenticate_interactive<L: RateLimit>(
        &self,
        auth: &ClientAuthentication,
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<ClientRecord> {
        self.refuse_if_throttled(&auth.client_id)?;
        let presented = auth.client_secret.as_deref();
        let checked = match self.interactive_client(&auth.client_id).await? {
            None => {
                secret::verify(UNKNOWN_CLIENT_HASH, presented.unwrap_or_default());
                Err(auth.failed())
            }
            Some(client) if client.token_endpoint_auth_method == AuthMethod::None => {
                // RFC 6749 §2.1: a public client has no secret to send.
                if auth.method == AuthMethod::None {
                    Ok(client)
                } else {
                    Err(Error::invalid_client(
                        "The client is public (token_endpoint_auth_method none): send client_id without a secret",
                        auth.challenge(),
                    ))
                }
            }
            Some(client) => {
                let verified = presented
                    .is_some_and(|presented| client.verify_secret(presented, self.clock.now()));
                if !verified {
                    Err(auth.failed())
                } else if client.token_endpoint_auth_method != auth.method {
                    Err(Error::invalid_client(
                        format!(
                            "The client must authenticate with {}",
                            client.token_endpoint_auth_method.as_str()
                        ),
                        auth.challenge(),
                    ))
                } else {
                    Ok(client)
                }
            }
        };
        match checked {
            Err(failure) if failure.status() == 401 => Err(self
                .client_auth_failed(&auth.client_id, limits, failure)
                .await),
            other => other,
        }
    }

    /// The API a code or refresh token was granted for, as it is now.
    async fn granted_api(&self, audience: Option<&str>) -> Result<Option<ResourceServerRecord>> {
        match audience {
            None => Ok(None),
            Some(audience) => match self.resource_server_by_identifier(audience).await? {
                Some(api) => Ok(Some((*api).clone())),
                None => Err(Error::invalid_grant(format!(
                    "The API {} no longer exists",
                    echo(audience)
                ))),
            },
        }
    }

    /// RFC 6749 §4.1.3.
    pub(crate) async fn authorization_code<L: RateLimit>(
        &self,
        authorization: Option<&str>,
        request: TokenRequest,
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<TokenResponse> {
        let code = request.code.as_deref().ok_or_else(|| missing("code"))?;
        let redirect_uri = request
            .redirect_uri
            .as_deref()
            .ok_or_else(|| missing("redirect_uri"))?;
        let verifier = request.code_verifier.as_deref();
        if verifier.is_some_and(|verifier| !pkce::is_verifier(verifier)) {
            return Err(Error::invalid_request(
                "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'",
            ));
        }
        let auth = ClientAuthentication::from_request(authorization, &request)?;
        let client = self.authenticate_interactive(&auth, limits).await?;
        client.require_grant(GrantType::AuthorizationCode)?;
        if code.len() > MAX_OPAQUE_TOKEN_LEN {
            return Err(Error::invalid_grant("The authorization code is invalid"));
        }
        let redeemed = self
            .redeem_code(code, &client.client_id, redirect_uri, verifier)
            .await?;
        let record = &redeemed.record;
        let api = self.granted_api(record.grant.audience.as_deref()).await?;
        // RFC 6749 §6 and Auth0: offline access when the client may refresh
        // and the API (if any) allows it; both were checked at sign-in too.
        let refresh_token = if record.offline && client.allows_grant(GrantType::RefreshToken) {
            let (token, statements) =
                self.start_family(record, &redeemed.code_hash, &client.refresh_token);
            database::run(self.db, statements).await?;
            Some(token)
        } else {
            None
        };
        let scope = Scope::of_trusted(&record.grant.scope);
        let minted = self
            .mint_user_tokens(UserTokens {
                client: &client,
                user: &redeemed.user,
                scope: &scope,
                api: api.as_ref(),
                max_lifetime: u64::MAX,
                auth_time: record.grant.auth_time,
                nonce: record.nonce.as_deref(),
                organization: record.grant.organization.as_ref(),
                access_token_claims: &record.grant.access_token_claims,
                id_token_claims: &record.grant.id_token_claims,
                access_token: true,
                id_token: scope.contains("openid"),
            })
            .await?;
        token_response(minted, &scope, refresh_token)
    }

    /// RFC 6749 §6: new tokens for a refresh token, the scope narrowed if
    /// asked (never widened).
    pub(crate) async fn refresh_token<L: RateLimit>(
        &self,
        authorization: Option<&str>,
        request: TokenRequest,
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<TokenResponse> {
        let token = request
            .refresh_token
            .as_deref()
            .ok_or_else(|| missing("refresh_token"))?;
        let requested = request
            .scope
            .as_deref()
            .map(Scope::parse)
            .transpose()
            .map_err(|err| Error::oauth(400, OAuthErrorCode::InvalidScope, err.description()))?;
        let auth = ClientAuthentication::from_request(authorization, &request)?;
        let client = self.authenticate_interactive(&auth, limits).await?;
        client.require_grant(GrantType::RefreshToken)?;
        if token.len() > MAX_OPAQUE_TOKEN_LEN {
            return Err(Error::invalid_grant("The refresh token is invalid"));
        }
        // Everything that can refuse the request comes before the token is
        // used: a refused refresh leaves it as it was.
        let presented = self
            .check_refresh_token(token, &client.client_id, &client.refresh_token)
            .await?;
        let family = &presented.family;
        // A refresh token is for the API it was granted for; naming
        // another is refused rather than answered with a token for the
        // first.
        if let Some(asked) = request.audience.as_deref() {
            if family.grant.audience.as_deref() != Some(asked) {
                return Err(Error::oauth(
                    400,
                    OAuthErrorCode::InvalidRequest,
                    format!(
                        "The refresh token was not granted for the API {}",
                        echo(asked)
                    ),
                ));
            }
        }
        let api = self.granted_api(family.grant.audience.as_deref()).await?;
        if !self.allows_offline_access(api.as_ref(), &client.client_id) {
            return Err(Error::invalid_grant(
                "The API no longer allows offline access",
            ));
        }
        // The sign-in's grant, less what was taken away since: scopes the
        // API no longer defines, and permissions the person no longer
        // holds where it enforces RBAC, decided as a sign-in decides.
        let at_sign_in = Scope::of_trusted(&family.grant.scope);
        let granted = match &api {
            None => oidc_scopes(&at_sign_in),
            Some(api) => oidc_scopes(&at_sign_in).union(&grantable_api_scopes(
                api,
                &presented.user,
                &at_sign_in,
            )),
        };
        let scope = match requested {
            None => granted,
            Some(requested) => {
                let missing = requested.missing_from(&granted);
                if !missing.is_empty() {
                    return Err(Error::oauth(
                        400,
                        OAuthErrorCode::InvalidScope,
                        format!(
                            "The refresh token was not granted: {}",
                            scope::name_some(&missing)
                        ),
                    ));
                }
                requested
            }
        };
        let minted = self
            .mint_user_tokens(UserTokens {
                client: &client,
                user: &presented.user,
                scope: &scope,
                api: api.as_ref(),
                max_lifetime: u64::MAX,
                auth_time: family.grant.auth_time,
                nonce: None,
                organization: family.grant.organization.as_ref(),
                access_token_claims: &family.grant.access_token_claims,
                id_token_claims: &family.grant.id_token_claims,
                access_token: true,
                id_token: scope.contains("openid"),
            })
            .await?;
        let next = self
            .use_refresh_token(&presented, &client.refresh_token)
            .await?;
        token_response(minted, &scope, next)
    }

    /// `POST /oauth/revoke` (RFC 7009; Auth0's endpoint): revokes a refresh
    /// token and every token of its family. The client authenticates as at
    /// the token endpoint. Access tokens are JWTs that cannot be revoked
    /// before they expire: naming one is `unsupported_token_type`.
    pub async fn revoke_throttled<L: RateLimit>(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<()> {
        let request = TokenRequest::parse(content_type, body)?;
        let token = request.token.as_deref().ok_or_else(|| missing("token"))?;
        let auth = ClientAuthentication::from_request(authorization, &request)?;
        let client = self.authenticate_interactive(&auth, limits).await?;
        let looks_like_jwt = token.split('.').count() == 3;
        if request.token_type_hint.as_deref() == Some("access_token") || looks_like_jwt {
            return Err(Error::oauth(
                400,
                OAuthErrorCode::UnsupportedTokenType,
                "Access tokens are JWTs valid until they expire; only refresh tokens can be revoked",
            ));
        }
        if token.len() > MAX_OPAQUE_TOKEN_LEN {
            return Ok(());
        }
        self.revoke_refresh_token(token, &client.client_id).await
    }

    /// Whether a browser at `origin` may read the answer to this token or
    /// revocation request (CORS): `origin` is one of the Allowed Web
    /// Origins of the client the request names (the built-in apps': the
    /// tenant's own origin). One read of the client.
    pub async fn allows_web_origin(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        origin: &str,
    ) -> bool {
        let Ok(request) = TokenRequest::parse(content_type, body) else {
            return false;
        };
        let Ok(auth) = ClientAuthentication::from_request(authorization, &request) else {
            return false;
        };
        match self.interactive_client(&auth.client_id).await {
            Ok(Some(client)) => client.web_origins.iter().any(|allowed| allowed == origin),
            _ => false,
        }
    }

    /// [`Self::revoke_throttled`] without throttling.
    pub async fn revoke(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<()> {
        self.revoke_throttled(
            authorization,
            content_type,
            body,
            &ClientAuthLimits::UNLIMITED,
        )
        .await
    }
}

/// The token endpoint's answer for a person's tokens (RFC 6749 §5.1).
fn token_response(
    minted: Minted,
    scope: &Scope,
    refresh_token: Option<String>,
) -> Result<TokenResponse> {
    let (access_token, expires_in) = minted
        .access_token
        .ok_or_else(|| Error::unavailable("no access token was minted"))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_string(),
        expires_in,
        scope: (!scope.is_empty()).then(|| scope.to_string()),
        id_token: minted.id_token,
        refresh_token,
    })
}
