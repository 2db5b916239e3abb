//! The authorization response (RFC 6749 §4.2.2, OIDC Core §3.2.2.5): the
//! tokens a sign-in grants, or an error, for the client's redirect URI in
//! the fragment or by an auto-submitted form (Form Post Response Mode).

use shared::protocol::ResponseMode;

use crate::actions::{claims, events, TriggerOutcome};
use crate::error::{Redirect, Result};
use crate::jose::access_token::{AccessTokenGrant, Audience, OrganizationClaims};
use crate::jose::id_token::IdTokenGrant;
use crate::jose::keys::SigningAlg;
use crate::management::clients::ClientRecord;
use crate::management::resource_servers::ResourceServerRecord;
use crate::management::users::UserRecord;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::sign_in::grant::Grant;
use crate::sign_in::request::AuthorizeRequest;
use crate::sign_in::sessions::Session;
use crate::Tenant;
use serde_json::{Map, Value};
use shared::actions::TriggerId;

/// Auth0's `token_lifetime_for_web`: implicit access tokens live at most 2 h.
pub const IMPLICIT_TOKEN_LIFETIME: u64 = 7200;
/// A person's Management API access token lives at most 1 h, whatever the
/// flow: the Dashboard renews it with its refresh token (idle 1 h), and one
/// left behind at sign-out (only the refresh token is revoked) ends soon.
pub const PERSON_MANAGEMENT_TOKEN_LIFETIME: u64 = 3600;
/// An access token for `/userinfo` only (no API asked): a day, as Auth0's.
pub const USERINFO_TOKEN_LIFETIME: u64 = 86_400;

/// The response for the client: tokens or an error, delivered at its
/// redirect URI in the fragment or by an auto-submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(&'static str, String)>,
}

/// An error for the client (RFC 6749 §4.2.2.1): `error`,
/// `error_description` and the request's `state`, unchanged.
impl From<Redirect> for AuthorizationResponse {
    fn from(refusal: Redirect) -> Self {
        let mut params = vec![
            ("error", refusal.code.as_str().to_string()),
            ("error_description", refusal.description),
        ];
        if let Some(state) = refusal.state {
            params.push(("state", state));
        }
        Self {
            redirect_uri: refusal.redirect_uri,
            mode: refusal.mode,
            params,
        }
    }
}

impl AuthorizationResponse {
    /// Where a redirect delivers the response: the redirect URI with the
    /// parameters in its fragment, or added to its query (RFC 6749
    /// §3.1.2: a query it already has is kept). Not for `form_post`.
    pub fn location(&self) -> String {
        let params = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        // `+` for spaces is form encoding; responses are read with
        // URLSearchParams or by hand, and `%20` works for both.
        let params = params.replace('+', "%20");
        match self.mode {
            ResponseMode::Query if self.redirect_uri.contains('?') => {
                format!("{}&{params}", self.redirect_uri)
            }
            ResponseMode::Query => format!("{}?{params}", self.redirect_uri),
            ResponseMode::Fragment | ResponseMode::FormPost => {
                format!("{}#{params}", self.redirect_uri)
            }
        }
    }

    pub fn is_error(&self) -> bool {
        self.params.iter().any(|(name, _)| *name == "error")
    }
}

/// What a person's tokens are for: the client, the scopes granted, the API
/// (none: a token for `/userinfo` only), the sign-in and what actions and
/// organizations add. The same whether the tokens go back from
/// `/authorize` (implicit) or from the token endpoint (code, refresh).
pub(crate) struct UserTokens<'a> {
    pub client: &'a ClientRecord,
    pub user: &'a UserRecord,
    pub scope: &'a Scope,
    pub api: Option<&'a ResourceServerRecord>,
    /// Longest an access token may live (the implicit flow's 2 h).
    pub max_lifetime: u64,
    pub auth_time: u64,
    pub nonce: Option<&'a str>,
    pub organization: Option<&'a OrganizationClaims>,
    pub access_token_claims: &'a Map<String, Value>,
    pub id_token_claims: &'a Map<String, Value>,
    pub access_token: bool,
    pub id_token: bool,
}

/// The tokens minted: the access token with its lifetime, the ID token.
pub(crate) struct Minted {
    pub access_token: Option<(String, u64)>,
    pub id_token: Option<String>,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A person's access and ID tokens (RFC 9068, OIDC Core §2).
    pub(crate) async fn mint_user_tokens(&self, spec: UserTokens<'_>) -> Result<Minted> {
        let client_id = &spec.client.client_id;
        let mut access_token = None;
        if spec.access_token {
            let openid = spec.scope.contains("openid");
            let userinfo = self.userinfo_audience();
            let (audience, alg, lifetime) = match spec.api {
                Some(api) => (
                    if openid {
                        Audience::Many(vec![api.identifier.clone(), userinfo])
                    } else {
                        Audience::One(api.identifier.clone())
                    },
                    api.signing_alg,
                    if api.is_system {
                        api.token_lifetime
                            .min(spec.max_lifetime)
                            .min(PERSON_MANAGEMENT_TOKEN_LIFETIME)
                    } else {
                        api.token_lifetime.min(spec.max_lifetime)
                    },
                ),
                None => (
                    Audience::One(userinfo),
                    SigningAlg::Rs256,
                    USERINFO_TOKEN_LIFETIME.min(spec.max_lifetime),
                ),
            };
            let token = self
                .mint_access_token(AccessTokenGrant {
                    client_id,
                    subject: spec.user.user_id.clone(),
                    audience,
                    scope: spec.scope,
                    gty: None,
                    lifetime,
                    alg,
                    organization: spec.organization.cloned(),
                    custom_claims: spec.access_token_claims.clone(),
                })
                .await?;
            access_token = Some((token, lifetime));
        }
        let mut id_token = None;
        if spec.id_token {
            let jwt = &spec.client.jwt_configuration;
            let mut profile = spec.user.claims(spec.scope);
            // Claims actions set never replace the person's own.
            for (name, value) in spec.id_token_claims {
                profile.entry(name.clone()).or_insert_with(|| value.clone());
            }
            id_token = Some(
                self.mint_id_token(IdTokenGrant {
                    client_id,
                    alg: jwt.alg,
                    lifetime: jwt.lifetime_in_seconds,
                    subject: &spec.user.user_id,
                    profile,
                    auth_time: spec.auth_time,
                    nonce: spec.nonce,
                    access_token: access_token.as_ref().map(|(token, _)| token.as_str()),
                    organization: spec.organization,
                })
                .await?,
            );
        }
        Ok(Minted {
            access_token,
            id_token,
        })
    }

    /// The organization claims of a sign-in to `request`'s organization.
    async fn organization_claims(
        &self,
        request: &AuthorizeRequest,
    ) -> Result<Option<OrganizationClaims>> {
        let Some(organization) = &request.organization else {
            return Ok(None);
        };
        let names = self
            .settings()
            .await?
            .allow_organization_name_in_authentication_api;
        Ok(Some(OrganizationClaims {
            org_id: organization.id.clone(),
            org_name: names.then(|| organization.name.clone()),
        }))
    }

    /// The answer to a signed-in person's request: a code (the code flow)
    /// or tokens (the implicit flow), after the post-login actions.
    pub(super) async fn respond(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        grant: &Grant,
    ) -> Result<AuthorizationResponse> {
        let organization = self.organization_claims(request).await?;
        let actions = self.run_post_login(request, session, grant).await?;
        let mut params: Vec<(&'static str, String)> = Vec::new();
        if request.response_type.code {
            let code = self
                .issue_code(request, session, grant, organization, actions)
                .await?;
            params.push(("code", code));
        } else {
            let scope = grant.scope();
            let minted = self
                .mint_user_tokens(UserTokens {
                    client: &request.client,
                    user: &session.user,
                    scope: &scope,
                    api: grant.api.as_ref(),
                    max_lifetime: IMPLICIT_TOKEN_LIFETIME,
                    auth_time: session.record.auth_time,
                    nonce: request.nonce.as_deref(),
                    organization: organization.as_ref(),
                    access_token_claims: &actions.access_token_claims,
                    id_token_claims: &actions.id_token_claims,
                    access_token: request.response_type.token,
                    id_token: request.response_type.id_token,
                })
                .await?;
            if let Some((token, lifetime)) = minted.access_token {
                params.push(("access_token", token));
                params.push(("token_type", "Bearer".to_string()));
                params.push(("expires_in", lifetime.to_string()));
                params.push(("scope", scope.to_string()));
            }
            if let Some(id_token) = minted.id_token {
                params.push(("id_token", id_token));
            }
        }
        if let Some(state) = &request.state {
            params.push(("state", state.clone()));
        }
        Ok(AuthorizationResponse {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            params,
        })
    }
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The post-login actions: a deny or a failure goes back to the client
    /// as an error; nothing bound reads nothing.
    async fn run_post_login(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        grant: &Grant,
    ) -> Result<TriggerOutcome> {
        let mut query = serde_json::Map::new();
        for (name, value) in [
            ("client_id", Some(request.client.client_id.clone())),
            ("redirect_uri", Some(request.redirect_uri.clone())),
            ("response_type", Some(request.response_type.to_string())),
            (
                "response_mode",
                Some(request.response_mode.as_str().to_string()),
            ),
            ("scope", Some(request.scope.to_string())),
            ("audience", request.audience.clone()),
            ("state", request.state.clone()),
            ("nonce", request.nonce.clone()),
            (
                "organization",
                request.organization.as_ref().map(|o| o.id.clone()),
            ),
        ] {
            if let Some(value) = value {
                query.insert(name.to_string(), value.into());
            }
        }
        let event = events::PostLogin {
            user: &session.user,
            client: &request.client,
            organization: request.organization.as_ref(),
            audience: grant.api.as_ref().map(|api| api.identifier.as_str()),
            requested_scopes: request.scope.iter().map(str::to_string).collect(),
            query,
            redirect_uri: &request.redirect_uri,
            response_type: request
                .response_type
                .to_string()
                .split(' ')
                .map(str::to_string)
                .collect(),
            response_mode: request.response_mode.as_str(),
            state: request.state.as_deref(),
            auth_time: session.record.auth_time,
            caller: &self.caller,
            tenant: self.tenant_host(),
            logins_count: session.user.logins_count,
        }
        .event();
        let token = match &grant.api {
            Some(api) if api.is_system => claims::Token::ManagementAccess,
            _ => claims::Token::Access,
        };
        match self.run_trigger(TriggerId::PostLogin, event, token).await? {
            Ok(outcome) => Ok(outcome),
            Err(refusal) => {
                let (code, description) = refusal.for_redirect();
                Err(self.refuse(request, code, &description))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_carries_the_response_in_the_fragment_or_the_query() {
        let response = |redirect_uri: &str, mode| AuthorizationResponse {
            redirect_uri: redirect_uri.to_string(),
            mode,
            params: vec![("state", "a b".into()), ("code", "x&y".into())],
        };
        assert_eq!(
            response("https://app.example/cb", ResponseMode::Fragment).location(),
            "https://app.example/cb#state=a%20b&code=x%26y"
        );
        assert_eq!(
            response("https://app.example/cb", ResponseMode::Query).location(),
            "https://app.example/cb?state=a%20b&code=x%26y"
        );
        // RFC 6749 §3.1.2: the redirect URI's own query is kept.
        assert_eq!(
            response("https://app.example/cb?tenant=1", ResponseMode::Query).location(),
            "https://app.example/cb?tenant=1&state=a%20b&code=x%26y"
        );
    }
}
