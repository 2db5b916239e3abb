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

use shared::logs::event_type;

use crate::error::{echo, Error, Result};
use crate::jose::access_token::{AccessTokenGrant, Audience};
use crate::jose::id_token::IdTokenGrant;
use crate::jose::keys::SigningAlg;
use crate::management::clients::ClientRecord;
use crate::management::logs::NewEvent;
use crate::management::resource_servers::ResourceServerRecord;
use crate::management::users::NewUser;
use crate::primitives::scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::Store;
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// Longest `/authorize` query accepted.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;
const MAX_PARAM_CHARS: usize = 2048;
/// Auth0's `token_lifetime_for_web`: implicit access tokens live at most 2 h.
pub const IMPLICIT_TOKEN_LIFETIME: u64 = 7200;
/// Scopes defined by OpenID Connect; they are about the user, not an API.
pub const OIDC_SCOPES: &[(&str, &str)] = &[
    ("openid", "Sign you in"),
    ("profile", "Your profile: name, nickname and picture"),
    ("email", "Your email address"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Token,
    IdToken,
    IdTokenToken,
}

impl ResponseType {
    fn parse(value: &str) -> Option<Self> {
        let mut parts: Vec<&str> = value.split(' ').filter(|p| !p.is_empty()).collect();
        parts.sort_unstable();
        match parts.as_slice() {
            ["token"] => Some(Self::Token),
            ["id_token"] => Some(Self::IdToken),
            ["id_token", "token"] => Some(Self::IdTokenToken),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::IdToken => "id_token",
            Self::IdTokenToken => "id_token token",
        }
    }

    fn access_token(self) -> bool {
        matches!(self, Self::Token | Self::IdTokenToken)
    }

    fn id_token(self) -> bool {
        matches!(self, Self::IdToken | Self::IdTokenToken)
    }
}

/// How the response reaches the client (OAuth 2.0 Multiple Response Types
/// §2.1 and Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    Fragment,
    FormPost,
}

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

/// The response for the client: tokens or an error, delivered at its
/// redirect URI in the fragment or by an auto-submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(&'static str, String)>,
}

impl AuthorizationResponse {
    fn error(
        redirect_uri: &str,
        mode: ResponseMode,
        state: Option<&str>,
        error: &str,
        description: &str,
    ) -> Self {
        let mut params = vec![
            ("error", error.to_string()),
            ("error_description", description.to_string()),
        ];
        if let Some(state) = state {
            params.push(("state", state.to_string()));
        }
        Self {
            redirect_uri: redirect_uri.to_string(),
            mode,
            params,
        }
    }

    /// The redirect URI with the parameters in its fragment.
    pub fn fragment_location(&self) -> String {
        let fragment = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        // `+` for spaces is form encoding; fragments are read with
        // URLSearchParams or by hand, and `%20` works for both.
        format!("{}#{}", self.redirect_uri, fragment.replace('+', "%20"))
    }

    pub fn is_error(&self) -> bool {
        self.params.iter().any(|(name, _)| *name == "error")
    }
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

/// What the person is asked on the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPrompt {
    pub client_name: String,
    pub signup_enabled: bool,
    pub email: String,
    /// The validated redirect URI the sign-in ends at: the page's form
    /// may lead there (see [`crate::primitives::redirect_uri::csp_source`]).
    pub redirect_uri: String,
}

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

/// The result of a login or signup form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormResult {
    pub outcome: Outcome,
    /// A session started by this step: its id, for the cookie.
    pub new_session: Option<String>,
    /// Shown above the form when the outcome asks again.
    pub error: Option<String>,
}

/// Why a request is refused; where it goes depends on how far it got.
enum Refusal {
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

/// The sign-in's decision about scopes: for whom, and which.
struct Grant {
    api: Option<ResourceServerRecord>,
    /// OIDC scopes granted (`openid`, `profile`, `email`).
    oidc: Vec<String>,
    /// API scopes granted.
    api_scopes: Vec<String>,
}

impl Grant {
    fn scope(&self) -> Vec<String> {
        self.oidc
            .iter()
            .chain(self.api_scopes.iter())
            .cloned()
            .collect()
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
    async fn authorize_request(
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
        let Some(response_type) = ResponseType::parse(response_type) else {
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
        if response_type.id_token() {
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

    fn refuse(&self, request: &AuthorizeRequest, error: &str, description: &str) -> Outcome {
        Outcome::Respond(AuthorizationResponse::error(
            &request.redirect_uri,
            request.response_mode,
            request.state.as_deref(),
            error,
            description,
        ))
    }

    async fn login_prompt(&self, request: &AuthorizeRequest) -> Result<LoginPrompt> {
        Ok(LoginPrompt {
            client_name: request.client.name.clone(),
            signup_enabled: !self.settings().await?.disable_signup,
            email: request.login_hint.clone().unwrap_or_default(),
            redirect_uri: request.redirect_uri.clone(),
        })
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

    /// The login or signup page for the request in `query`, or why there
    /// is none.
    pub async fn login_page(&self, query: &str) -> Result<Outcome> {
        match self.authorize_request(query).await? {
            Ok(request) => Ok(Outcome::Login(self.login_prompt(&request).await?)),
            Err(refusal) => Ok(refusal.into()),
        }
    }

    /// The login form: `email` and `password` for the request in `query`.
    pub async fn login(&self, query: &str, email: &str, password: &str) -> Result<FormResult> {
        let request = match self.authorize_request(query).await? {
            Ok(request) => request,
            Err(refusal) => return Ok(FormResult::done(refusal.into())),
        };
        let client_id = request.client.client_id.clone();
        let failed = |user_id: Option<&str>, reason: &str| {
            NewEvent::sign_in(
                event_type::FAILED_LOGIN,
                "Failed login",
                &client_id,
                user_id,
                email,
                Some(reason),
            )
        };
        let Some(mut user) = self.authenticate(email, password).await? else {
            self.log(failed(None, "wrong email or password")).await?;
            return self
                .ask_again(&request, email, "Wrong email or password.")
                .await;
        };
        if user.blocked {
            self.log(failed(Some(&user.user_id), "the user is blocked"))
                .await?;
            return self
                .ask_again(
                    &request,
                    email,
                    "This account is blocked. Contact the site's administrator.",
                )
                .await;
        }
        self.record_login(&mut user).await?;
        self.log(NewEvent::sign_in(
            event_type::SUCCESS_LOGIN,
            "Successful login",
            &client_id,
            Some(&user.user_id),
            email,
            None,
        ))
        .await?;
        self.signed_in(&request, user).await
    }

    /// The signup form: a new user of the database connection, signed in.
    pub async fn signup(&self, query: &str, email: &str, password: &str) -> Result<FormResult> {
        let request = match self.authorize_request(query).await? {
            Ok(request) => request,
            Err(refusal) => return Ok(FormResult::done(refusal.into())),
        };
        if self.settings().await?.disable_signup {
            return Ok(FormResult::done(self.refuse(
                &request,
                "access_denied",
                "Signups are disabled for this tenant",
            )));
        }
        let new = NewUser {
            email: email.to_string(),
            password: password.to_string(),
            ..NewUser::default()
        };
        let mut user = match self.insert_user(new).await {
            Ok(user) => user,
            Err(Error::Management { status: 409, .. }) => {
                // Saying "that email is taken" would tell anyone which
                // emails have accounts.
                return self
                    .ask_again(
                        &request,
                        email,
                        "We could not create an account with these details. If you already have an account, sign in instead.",
                    )
                    .await;
            }
            Err(Error::Management { message, .. }) => {
                let message = message
                    .trim_start_matches("Payload validation error: ")
                    .trim_start_matches("PasswordStrengthError: ")
                    .replace("'email'", "The email");
                return self.ask_again(&request, email, &message).await;
            }
            Err(other) => return Err(other),
        };
        self.record_login(&mut user).await?;
        self.log(NewEvent::sign_in(
            event_type::SUCCESS_SIGNUP,
            "Successful signup",
            &request.client.client_id,
            Some(&user.user_id),
            email,
            None,
        ))
        .await?;
        self.signed_in(&request, user).await
    }

    async fn ask_again(
        &self,
        request: &AuthorizeRequest,
        email: &str,
        message: &str,
    ) -> Result<FormResult> {
        let mut prompt = self.login_prompt(request).await?;
        prompt.email = email.trim().chars().take(254).collect();
        Ok(FormResult {
            outcome: Outcome::Login(prompt),
            new_session: None,
            error: Some(message.to_string()),
        })
    }

    async fn signed_in(
        &self,
        request: &AuthorizeRequest,
        user: crate::management::users::UserRecord,
    ) -> Result<FormResult> {
        let (session_id, record) = self.start_session(&user).await?;
        let session = Session { record, user };
        let outcome = self.continue_signed_in(request, &session, false).await?;
        Ok(FormResult {
            outcome,
            new_session: Some(session_id),
            error: None,
        })
    }

    /// The consent form's decision for the request in `query`.
    pub async fn decide_consent(
        &self,
        query: &str,
        session_id: Option<&str>,
        allow: bool,
    ) -> Result<Outcome> {
        let request = match self.authorize_request(query).await? {
            Ok(request) => request,
            Err(refusal) => return Ok(refusal.into()),
        };
        let Some(session) = self.session(session_id).await? else {
            return Ok(Outcome::Login(self.login_prompt(&request).await?));
        };
        if !allow {
            return Ok(self.refuse(
                &request,
                "access_denied",
                "The user did not allow the application access",
            ));
        }
        self.continue_signed_in(&request, &session, true).await
    }

    /// A signed-in person: consent if needed, then tokens.
    async fn continue_signed_in(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        consent_given: bool,
    ) -> Result<Outcome> {
        let grant = match self.grant(request, session).await? {
            Ok(grant) => grant,
            Err(outcome) => return Ok(outcome),
        };
        if request.client.is_third_party() {
            // The OIDC scopes are granted to the client itself (`""`), API
            // scopes per API, and an API is consented to by name even when
            // no scope of it is asked: an access token for it is access.
            let mut asked: Vec<(&str, &[String])> = vec![("", &grant.oidc)];
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
                    return Ok(self.refuse(
                        request,
                        "consent_required",
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
        for scope in &grant.oidc {
            if let Some((_, meaning)) = OIDC_SCOPES.iter().find(|(name, _)| name == scope) {
                scopes.push((scope.clone(), meaning.to_string()));
            }
        }
        if let Some(api) = &grant.api {
            for scope in &grant.api_scopes {
                let meaning = api
                    .scopes
                    .iter()
                    .find(|s| &s.value == scope)
                    .map(|s| s.description.clone())
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| format!("{scope} on {}", api.name));
                scopes.push((scope.clone(), meaning));
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
    async fn grant(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
    ) -> Result<std::result::Result<Grant, Outcome>> {
        let audience = match &request.audience {
            Some(audience) => Some(audience.clone()),
            None => Some(self.settings().await?.default_audience).filter(|a| !a.is_empty()),
        };
        let api = match &audience {
            None => None,
            Some(audience) => match self.resource_server_by_identifier(audience).await? {
                Some(api) => Some((*api).clone()),
                None => {
                    return Ok(Err(self.refuse(
                        request,
                        "access_denied",
                        &format!("Service not found: {}", echo(audience)),
                    )))
                }
            },
        };
        if api.as_ref().is_some_and(|api| api.is_system) && request.client.is_third_party() {
            return Ok(Err(self.refuse(
                request,
                "access_denied",
                "Third-party applications cannot be granted the Management API",
            )));
        }
        let oidc: Vec<String> = request
            .scope
            .iter()
            .filter(|s| OIDC_SCOPES.iter().any(|(name, _)| name == s))
            .cloned()
            .collect();
        let api_scopes = match &api {
            None => Vec::new(),
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
                                .any(|p| &p == s)
                    })
                    .cloned()
                    .collect()
            }
        };
        // Without an access token nothing of the API is granted, so nothing
        // of it is asked either.
        if !request.response_type.access_token() {
            return Ok(Ok(Grant {
                api: None,
                oidc,
                api_scopes: Vec::new(),
            }));
        }
        Ok(Ok(Grant {
            api,
            oidc,
            api_scopes,
        }))
    }

    async fn respond_with_tokens(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        grant: &Grant,
    ) -> Result<AuthorizationResponse> {
        let scope = grant.scope();
        let client_id = &request.client.client_id;
        let mut params: Vec<(&'static str, String)> = Vec::new();
        let mut access_token = None;
        if request.response_type.access_token() {
            let openid = grant.oidc.iter().any(|s| s == "openid");
            let userinfo = self.userinfo_audience();
            let (audience, alg, lifetime) = match &grant.api {
                Some(api) => (
                    if openid {
                        Audience::Many(vec![api.identifier.clone(), userinfo])
                    } else {
                        Audience::One(api.identifier.clone())
                    },
                    api.signing_alg,
                    api.token_lifetime.min(IMPLICIT_TOKEN_LIFETIME),
                ),
                None => (
                    Audience::One(userinfo),
                    SigningAlg::Rs256,
                    IMPLICIT_TOKEN_LIFETIME,
                ),
            };
            let token = self
                .mint_access_token(AccessTokenGrant {
                    client_id,
                    subject: session.user.user_id.clone(),
                    audience,
                    scope: scope.join(" "),
                    gty: None,
                    lifetime,
                    alg,
                })
                .await?;
            params.push(("access_token", token.clone()));
            params.push(("token_type", "Bearer".to_string()));
            params.push(("expires_in", lifetime.to_string()));
            params.push(("scope", scope.join(" ")));
            access_token = Some(token);
        }
        if request.response_type.id_token() {
            let jwt = &request.client.jwt_configuration;
            let id_token = self
                .mint_id_token(IdTokenGrant {
                    client_id,
                    alg: SigningAlg::parse(&jwt.alg).unwrap_or(SigningAlg::Rs256),
                    lifetime: jwt.lifetime_in_seconds,
                    user: &session.user,
                    auth_time: session.record.auth_time,
                    nonce: request.nonce.as_deref(),
                    access_token: access_token.as_deref(),
                    scope: &scope,
                })
                .await?;
            params.push(("id_token", id_token));
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

impl FormResult {
    fn done(outcome: Outcome) -> Self {
        Self {
            outcome,
            new_session: None,
            error: None,
        }
    }
}

/// Where `/v2/logout` sends the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// To the client's allowed logout URL.
    Redirect(String),
    /// Nowhere to go: a "you are signed out" page.
    SignedOut,
    /// `returnTo` is not allowed; nothing was changed.
    ErrorPage(ErrorPage),
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// `GET /v2/logout?client_id=..&returnTo=..` (Auth0): ends the session
    /// and returns only to a URL in the client's Allowed Logout URLs.
    pub async fn logout(&self, query: &str, session_id: Option<&str>) -> Result<LogoutOutcome> {
        let outcome = self.logout_destination(query).await?;
        if !matches!(outcome, LogoutOutcome::ErrorPage(_)) {
            self.end_session(session_id).await?;
        }
        Ok(outcome)
    }

    /// Where a logout would go, changing nothing: `HEAD /v2/logout`, which
    /// must be as safe as any HEAD (RFC 9110 §9.2.1).
    pub async fn logout_destination(&self, query: &str) -> Result<LogoutOutcome> {
        let params = match parse_params(query) {
            Ok(params) => params,
            Err(description) => {
                return Ok(LogoutOutcome::ErrorPage(ErrorPage::invalid_request(
                    description,
                )))
            }
        };
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let return_to = match (param("returnTo"), param("client_id")) {
            (None, _) => None,
            (Some(_), None) => {
                return Ok(LogoutOutcome::ErrorPage(ErrorPage::invalid_request(
                    "returnTo needs the client_id whose Allowed Logout URLs it is in",
                )))
            }
            (Some(return_to), Some(client_id)) => {
                let allowed = self
                    .interactive_client(client_id)
                    .await?
                    .is_some_and(|c| c.allowed_logout_urls.iter().any(|u| u == return_to));
                if !allowed {
                    return Ok(LogoutOutcome::ErrorPage(ErrorPage::invalid_request(
                        format!(
                            "The returnTo URL '{}' is not in the application's Allowed Logout URLs",
                            echo(return_to)
                        ),
                    )));
                }
                Some(return_to.to_string())
            }
        };
        Ok(match return_to {
            Some(url) => LogoutOutcome::Redirect(url),
            None => LogoutOutcome::SignedOut,
        })
    }
}
