//! The authorization endpoint with the implicit grant (RFC 6749 §4.2, OIDC
//! Core §3.2), the hosted login and signup behind it, and consent.
//!
//! Every step re-reads the original `/authorize` query: the login, signup
//! and consent forms post back to a URL carrying it, so no transaction is
//! stored between steps and each step re-validates the whole request.
//!
//! Errors follow RFC 6749 §4.2.2.1: when `client_id` or `redirect_uri`
//! cannot be trusted the person sees an error page and is never redirected;
//! every other error goes back to the client's redirect URI.

use std::collections::BTreeMap;

pub use shared::protocol::{ResponseMode, ResponseType};

use crate::error::{echo, Result};
use crate::management::clients::ClientRecord;
use crate::primitives::scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::Store;
use crate::sign_in::consent::ConsentPrompt;
use crate::sign_in::login::LoginPrompt;
use crate::sign_in::response::AuthorizationResponse;
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// Longest `/authorize` query accepted.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

const MAX_PARAM_CHARS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    None,
    Login,
    Consent,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scope: Vec<String>,
    pub audience: Option<String>,
    pub prompt: Option<Prompt>,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
}

/// An error shown on the tenant's own page, never sent to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    pub status: u16,
    pub error: String,
    pub description: String,
}

impl ErrorPage {
    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error: "invalid_request".to_string(),
            description: description.into(),
        }
    }
}

/// The next step of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Back to the client, with tokens or an error.
    Respond(AuthorizationResponse),
    /// The person must sign in.
    Login(LoginPrompt),
    /// The person must consent.
    Consent(ConsentPrompt),
    /// The request cannot be answered at its redirect URI.
    ErrorPage(ErrorPage),
}

/// Why a request is refused; where it goes depends on how far it got.
pub(super) enum Refusal {
    Page(ErrorPage),
    Client(AuthorizationResponse),
}

impl From<Refusal> for Outcome {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Page(page) => Outcome::ErrorPage(page),
            Refusal::Client(response) => Outcome::Respond(response),
        }
    }
}

/// The query's parameters; RFC 6749 §3.1 forbids repeating one.
pub(crate) fn parse_params(query: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| "The request's query string is malformed".to_string())?;
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        if value.chars().count() > MAX_PARAM_CHARS {
            return Err(format!("The parameter {} is too long", echo(&name)));
        }
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("The parameter {} is repeated", echo(&name)));
        }
    }
    Ok(params)
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// Validates an `/authorize` query far enough to know where errors go,
    /// then completely.
    pub(super) async fn authorize_request(
        &self,
        query: &str,
    ) -> Result<std::result::Result<AuthorizeRequest, Refusal>> {
        if query.len() > MAX_QUERY_BYTES {
            return Ok(Err(Refusal::Page(ErrorPage::invalid_request(
                "The authorization request is too long",
            ))));
        }
        let params = match parse_params(query) {
            Ok(params) => params,
            Err(description) => {
                return Ok(Err(Refusal::Page(ErrorPage::invalid_request(description))))
            }
        };
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };

        // Until client_id and redirect_uri are known good, nothing is sent
        // anywhere.
        let Some(client_id) = param("client_id") else {
            return Ok(Err(Refusal::Page(ErrorPage::invalid_request(
                "Missing required parameter: client_id",
            ))));
        };
        let Some(client) = self.interactive_client(client_id).await? else {
            return Ok(Err(Refusal::Page(ErrorPage::invalid_request(format!(
                "Unknown client: {}",
                echo(client_id)
            )))));
        };
        let Some(redirect_uri) = param("redirect_uri") else {
            return Ok(Err(Refusal::Page(ErrorPage::invalid_request(
                "Missing required parameter: redirect_uri",
            ))));
        };
        if !client.callbacks.iter().any(|uri| uri == redirect_uri) {
            return Ok(Err(Refusal::Page(ErrorPage::invalid_request(format!(
                "The redirect_uri '{}' is not in the application's Allowed Callback URLs",
                echo(redirect_uri)
            )))));
        }

        let state = param("state");
        let (response_mode, mode_error) = match param("response_mode") {
            None | Some("fragment") => (ResponseMode::Fragment, None),
            Some("form_post") => (ResponseMode::FormPost, None),
            Some("query") => (
                ResponseMode::Fragment,
                Some("response_mode 'query' cannot carry tokens; use fragment or form_post"),
            ),
            Some(_) => (ResponseMode::Fragment, Some("Unsupported response_mode")),
        };
        let refuse = |error: &str, description: &str| {
            Ok(Err(Refusal::Client(AuthorizationResponse::error(
                redirect_uri,
                response_mode,
                state,
                error,
                description,
            ))))
        };
        if let Some(description) = mode_error {
            return refuse("invalid_request", description);
        }
        if param("request").is_some() {
            return refuse("request_not_supported", "Request objects are not supported");
        }
        if param("request_uri").is_some() {
            return refuse(
                "request_uri_not_supported",
                "The request_uri parameter is not supported",
            );
        }
        let Some(response_type) = param("response_type") else {
            return refuse(
                "invalid_request",
                "Missing required parameter: response_type",
            );
        };
        // The implicit flow: an access token, an ID token, or both.
        let implicit = [
            ResponseType::TOKEN,
            ResponseType::ID_TOKEN,
            ResponseType::ID_TOKEN_TOKEN,
        ];
        let Some(response_type) =
            ResponseType::parse(response_type).filter(|t| implicit.contains(t))
        else {
            return refuse(
                "unsupported_response_type",
                &format!(
                    "Unsupported response_type: {}; this tenant supports token, id_token and id_token token",
                    echo(response_type)
                ),
            );
        };
        let registered_type = client.registration.as_ref().is_none_or(|registration| {
            registration
                .response_types
                .iter()
                .any(|t| ResponseType::parse(t) == Some(response_type))
        });
        if !client.allows_grant("implicit") || !registered_type {
            return refuse(
                "unauthorized_client",
                &format!(
                    "The client is not allowed the implicit grant with response_type {}",
                    response_type.as_str()
                ),
            );
        }
        let scope: Vec<String> = match scope::parse(param("scope").unwrap_or_default()) {
            Ok(tokens) => tokens.into_iter().map(str::to_string).collect(),
            Err(err) => return refuse("invalid_scope", &err.description()),
        };
        let nonce = param("nonce");
        if response_type.id_token {
            if !scope.iter().any(|s| s == "openid") {
                return refuse(
                    "invalid_scope",
                    "The openid scope is required when an ID token is requested",
                );
            }
            if nonce.is_none() {
                return refuse("invalid_request", "Missing required parameter: nonce");
            }
        }
        let prompt = match param("prompt") {
            None => None,
            Some(prompt) => {
                let values: Vec<&str> = prompt.split(' ').filter(|p| !p.is_empty()).collect();
                if values.contains(&"none") && values.len() > 1 {
                    return refuse(
                        "invalid_request",
                        "prompt=none cannot be combined with other values",
                    );
                }
                let mut parsed = None;
                for value in values {
                    parsed = match value {
                        "none" => Some(Prompt::None),
                        "login" | "select_account" => Some(Prompt::Login),
                        "consent" if parsed != Some(Prompt::Login) => Some(Prompt::Consent),
                        "consent" => parsed,
                        other => {
                            return refuse(
                                "invalid_request",
                                &format!("Unsupported prompt value: {}", echo(other)),
                            )
                        }
                    };
                }
                parsed
            }
        };
        let max_age = match param("max_age").map(str::parse::<u64>) {
            None => None,
            Some(Ok(seconds)) => Some(seconds),
            Some(Err(_)) => {
                return refuse("invalid_request", "max_age must be a number of seconds")
            }
        };
        Ok(Ok(AuthorizeRequest {
            redirect_uri: redirect_uri.to_string(),
            response_type,
            response_mode,
            state: state.map(str::to_string),
            nonce: nonce.map(str::to_string),
            scope,
            audience: param("audience").map(str::to_string),
            prompt,
            max_age,
            login_hint: param("login_hint").map(str::to_string),
            client,
        }))
    }

    pub(super) fn refuse(
        &self,
        request: &AuthorizeRequest,
        error: &str,
        description: &str,
    ) -> Outcome {
        Outcome::Respond(AuthorizationResponse::error(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            error,
            description,
        ))
    }

    /// `GET /authorize`: answers at once when a session can, else asks the
    /// person to sign in.
    pub async fn authorize(&self, query: &str, session_id: Option<&str>) -> Result<Outcome> {
        let request = match self.authorize_request(query).await? {
            Ok(request) => request,
            Err(refusal) => return Ok(refusal.into()),
        };
        let session = self.session(session_id).await?;
        let now = self.clock.now();
        let fresh = |session: &Session| {
            request
                .max_age
                .is_none_or(|max_age| session.record.auth_time.saturating_add(max_age) >= now)
        };
        match (session, request.prompt) {
            (Some(session), Some(Prompt::None | Prompt::Consent) | None) if fresh(&session) => {
                self.continue_signed_in(&request, &session, false).await
            }
            (_, Some(Prompt::None)) => {
                Ok(self.refuse(&request, "login_required", "The user is not signed in"))
            }
            _ => Ok(Outcome::Login(self.login_prompt(&request).await?)),
        }
    }
}
