//! The hosted login and signup forms: who the person is, then on to
//! consent or the response.

use shared::logs::event_type;

use crate::error::{Error, ManagementErrorCode, OAuthErrorCode, Result};
use crate::management::logs::NewEvent;
use crate::management::users::NewUser;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database};
use crate::seams::store::Store;
use crate::sign_in::outcome::{LoginPrompt, Outcome};
use crate::sign_in::request::AuthorizeRequest;
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// The result of a login or signup form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormResult {
    pub outcome: Outcome,
    /// A session started by this step: its id, for the cookie.
    pub new_session: Option<String>,
    /// Shown above the form when the outcome asks again.
    pub error: Option<String>,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    pub(super) async fn login_prompt(&self, request: &AuthorizeRequest) -> Result<LoginPrompt> {
        Ok(LoginPrompt {
            client_name: request.client.name.clone(),
            signup_enabled: !self.settings().await?.disable_signup,
            email: request.login_hint.clone().unwrap_or_default(),
            organization: request
                .organization
                .as_ref()
                .map(|organization| organization.shown_name().to_string()),
            redirect_uri: request.redirect_uri.clone(),
        })
    }

    /// The login or signup page for the request in `query`.
    pub async fn login_page(&self, query: &str) -> Result<LoginPrompt> {
        let request = self.authorize_request(query).await?;
        self.login_prompt(&request).await
    }

    /// The login form: `email` and `password` for the request in `query`.
    pub async fn login(&self, query: &str, email: &str, password: &str) -> Result<FormResult> {
        let request = self.authorize_request(query).await?;
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
        let Some(user) = self.authenticate(email, password).await? else {
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
        let event = NewEvent::sign_in(
            event_type::SUCCESS_LOGIN,
            "Successful login",
            &client_id,
            Some(&user.user_id),
            email,
            None,
        );
        self.signed_in(&request, user, event).await
    }

    /// The signup form: a new user of the database connection, signed in.
    pub async fn signup(&self, query: &str, email: &str, password: &str) -> Result<FormResult> {
        let request = self.authorize_request(query).await?;
        if self.settings().await?.disable_signup {
            return Err(self.refuse(
                &request,
                OAuthErrorCode::AccessDenied,
                "Signups are disabled for this tenant",
            ));
        }
        let new = NewUser {
            email: email.to_string(),
            password: password.to_string(),
            ..NewUser::default()
        };
        let user = match self.insert_user(new).await {
            Ok(user) => user,
            Err(Error::Management {
                code: ManagementErrorCode::UserExists,
                ..
            }) => {
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
            Err(Error::Invalid(invalid)) => {
                let message = match invalid.field.as_deref() {
                    Some("email") => format!("The email {}", invalid.detail),
                    _ => invalid.detail,
                };
                return self.ask_again(&request, email, &message).await;
            }
            Err(other) => return Err(other),
        };
        let event = NewEvent::sign_in(
            event_type::SUCCESS_SIGNUP,
            "Successful signup",
            &request.client.client_id,
            Some(&user.user_id),
            email,
            None,
        );
        self.signed_in(&request, user, event).await
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

    /// Completes a sign-in: the login counted, its `event` and the new
    /// session in one batch, so none is written without the others (no
    /// session without its event), then the answer to the client.
    async fn signed_in(
        &self,
        request: &AuthorizeRequest,
        mut user: crate::management::users::UserRecord,
        event: NewEvent,
    ) -> Result<FormResult> {
        let (session_id, record, insert) = self.new_session(&user);
        let counted = self.count_login(&mut user);
        database::run(self.db, vec![counted, self.log_statement(event), insert]).await?;
        let session = Session {
            id_hash: crate::sign_in::sessions::session_hash(&session_id),
            record,
            user,
        };
        // Signed in whatever comes next: a refusal for the client still
        // leaves the session it started.
        let outcome = match self.continue_signed_in(request, &session, false).await {
            Err(Error::Redirect(refusal)) => Outcome::Respond((*refusal).into()),
            outcome => outcome?,
        };
        Ok(FormResult {
            outcome,
            new_session: Some(session_id),
            error: None,
        })
    }
}
