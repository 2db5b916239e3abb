//! Consent for third-party applications, and what a sign-in may grant:
//! the API, its scopes and the OpenID Connect scopes, per person and client.

use crate::error::{echo, OAuthErrorCode, Result};
use crate::management::resource_servers::ResourceServerRecord;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::Store;
use crate::sign_in::authorize::{AuthorizeRequest, Outcome, Prompt};
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// Scopes defined by OpenID Connect; they are about the user, not an API.
pub const OIDC_SCOPES: &[(&str, &str)] = &[
    ("openid", "Sign you in"),
    ("profile", "Your profile: name, nickname and picture"),
    ("email", "Your email address"),
];

/// What a third-party client asks the person to allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentPrompt {
    pub client_name: String,
    pub user_email: String,
    /// (scope, what it means), OIDC scopes first.
    pub scopes: Vec<(String, String)>,
    /// The API an access token would be for: (name, identifier). Consent
    /// is given per API, even with no API scope among `scopes`.
    pub api: Option<(String, String)>,
    /// The validated redirect URI the tokens go to.
    pub redirect_uri: String,
}

impl ConsentPrompt {
    /// Where the tokens go, as the person should check it.
    pub fn destination(&self) -> String {
        crate::primitives::redirect_uri::destination(&self.redirect_uri)
    }
}

/// The sign-in's decision about scopes: for whom, and which.
pub(super) struct Grant {
    pub(super) api: Option<ResourceServerRecord>,
    /// OIDC scopes granted (`openid`, `profile`, `email`).
    pub(super) oidc: Scope,
    /// API scopes granted.
    pub(super) api_scopes: Scope,
}

impl Grant {
    pub(super) fn scope(&self) -> Scope {
        self.oidc.union(&self.api_scopes)
    }
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// The consent form's decision for the request in `query`.
    pub async fn decide_consent(
        &self,
        query: &str,
        session_id: Option<&str>,
        allow: bool,
    ) -> Result<Outcome> {
        let request = self.authorize_request(query).await?;
        let Some(session) = self.session(session_id).await? else {
            return Ok(Outcome::Login(self.login_prompt(&request).await?));
        };
        if !allow {
            return Err(self.refuse(
                &request,
                OAuthErrorCode::AccessDenied,
                "The user did not allow the application access",
            ));
        }
        self.continue_signed_in(&request, &session, true).await
    }

    /// A signed-in person: consent if needed, then tokens.
    pub(super) async fn continue_signed_in(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        consent_given: bool,
    ) -> Result<Outcome> {
        let grant = self.grant(request, session).await?;
        if request.client.is_third_party() {
            // The OIDC scopes are granted to the client itself (`""`), API
            // scopes per API, and an API is consented to by name even when
            // no scope of it is asked: an access token for it is access.
            let mut asked: Vec<(&str, &Scope)> = vec![("", &grant.oidc)];
            if let Some(api) = &grant.api {
                asked.push((api.identifier.as_str(), &grant.api_scopes));
            }
            let client_id = &request.client.client_id;
            if consent_given {
                self.remember_consent(&session.user.user_id, client_id, &asked)
                    .await?;
            } else {
                let consent = self.consent(&session.user.user_id, client_id).await?;
                let covered = asked
                    .iter()
                    .all(|(audience, scopes)| consent.covers(audience, scopes));
                if request.prompt == Some(Prompt::None) && !covered {
                    return Err(self.refuse(
                        request,
                        OAuthErrorCode::ConsentRequired,
                        "The user has not consented to this application's scopes",
                    ));
                }
                if !covered || request.prompt == Some(Prompt::Consent) {
                    return Ok(Outcome::Consent(
                        self.consent_prompt(request, session, &grant),
                    ));
                }
            }
        }
        self.respond_with_tokens(request, session, &grant)
            .await
            .map(Outcome::Respond)
    }

    fn consent_prompt(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        grant: &Grant,
    ) -> ConsentPrompt {
        let mut scopes = Vec::new();
        for scope in grant.oidc.iter() {
            if let Some((_, meaning)) = OIDC_SCOPES.iter().find(|(name, _)| *name == scope) {
                scopes.push((scope.to_string(), meaning.to_string()));
            }
        }
        if let Some(api) = &grant.api {
            for scope in grant.api_scopes.iter() {
                let meaning = api
                    .scopes
                    .iter()
                    .find(|s| s.value == scope)
                    .map(|s| s.description.clone())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| format!("{scope} on {}", api.name));
                scopes.push((scope.to_string(), meaning));
            }
        }
        ConsentPrompt {
            client_name: request.client.name.clone(),
            user_email: session.user.email.clone(),
            scopes,
            api: grant
                .api
                .as_ref()
                .map(|api| (api.name.clone(), api.identifier.clone())),
            redirect_uri: request.redirect_uri.clone(),
        }
    }

    /// Which API and scopes this person may grant this client.
    pub(super) async fn grant(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
    ) -> Result<Grant> {
        let audience = match &request.audience {
            Some(audience) => Some(audience.clone()),
            None => Some(self.settings().await?.default_audience).filter(|a| !a.is_empty()),
        };
        let api = match &audience {
            None => None,
            Some(audience) => match self.resource_server_by_identifier(audience).await? {
                Some(api) => Some((*api).clone()),
                None => {
                    return Err(self.refuse(
                        request,
                        OAuthErrorCode::AccessDenied,
                        &format!("Service not found: {}", echo(audience)),
                    ))
                }
            },
        };
        if api.as_ref().is_some_and(|api| api.is_system) && request.client.is_third_party() {
            return Err(self.refuse(
                request,
                OAuthErrorCode::AccessDenied,
                "Third-party applications cannot be granted the Management API",
            ));
        }
        let oidc: Scope = request
            .scope
            .iter()
            .filter(|s| OIDC_SCOPES.iter().any(|(name, _)| name == s))
            .collect();
        let api_scopes: Scope = match &api {
            None => Scope::default(),
            Some(api) => {
                // Where the API enforces RBAC, and always for the tenant's
                // own Management API, a user grants only what they hold.
                let rbac = api.enforce_policies || api.is_system;
                request
                    .scope
                    .iter()
                    .filter(|s| api.defines_scope(s))
                    .filter(|s| {
                        !rbac
                            || session
                                .user
                                .permissions_on(&api.identifier)
                                .any(|p| p == *s)
                    })
                    .collect()
            }
        };
        // Without an access token nothing of the API is granted, so nothing
        // of it is asked either.
        if !request.response_type.token {
            return Ok(Grant {
                api: None,
                oidc,
                api_scopes: Scope::default(),
            });
        }
        Ok(Grant {
            api,
            oidc,
            api_scopes,
        })
    }
}
