//! Consent for third-party applications, remembered per person, client
//! and API.

use crate::error::{OAuthErrorCode, Result};
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::sign_in::grant::{Grant, OIDC_SCOPES};
use crate::sign_in::outcome::{ConsentPrompt, Outcome};
use crate::sign_in::request::{AuthorizeRequest, Prompt};
use crate::sign_in::sessions::Session;
use crate::Tenant;

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
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
        if let Some(organization) = &request.organization {
            // Membership is read from the system of record at every
            // sign-in, so a member removed is refused at once.
            if !self
                .is_organization_member(&organization.id, &session.user.user_id)
                .await?
            {
                return Err(self.refuse(
                    request,
                    OAuthErrorCode::AccessDenied,
                    &format!(
                        "The user is not a member of the organization \"{}\"",
                        organization.name
                    ),
                ));
            }
        }
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
        self.respond(request, session, &grant)
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
}
