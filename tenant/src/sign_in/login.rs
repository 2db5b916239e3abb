//! The hosted login and signup forms: who the person is, then on to
//! consent or the response.

use shared::logs::event_type;

use crate::error::{Error, Result};
use crate::management::logs::NewEvent;
use crate::management::users::NewUser;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::Store;
use crate::sign_in::authorize::{AuthorizeRequest, Outcome};
use crate::sign_in::sessions::Session;
use crate::Tenant;

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

/// The result of a login or signup form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormResult {
    pub outcome: Outcome,
    /// A session started by this step: its id, for the cookie.
    pub new_session: Option<String>,
    /// Shown above the form when the outcome asks again.
    pub error: Option<String>,
}

impl FormResult {
    pub(super) fn done(outcome: Outcome) -> Self {
        Self {
            outcome,
            new_session: None,
            error: None,
        }
    }
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    pub(super) async fn login_prompt(&self, request: &AuthorizeRequest) -> Result<LoginPrompt> {
        Ok(LoginPrompt {
            client_name: request.client.name.clone(),
            signup_enabled: !self.settings().await?.disable_signup,
            email: request.login_hint.clone().unwrap_or_default(),
            redirect_uri: request.redirect_uri.clone(),
        })
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
}
