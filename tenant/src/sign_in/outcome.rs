//! Where a step of a sign-in leads: back to the client, to the login
//! page, or to the consent page; and what each page asks.

use crate::sign_in::response::AuthorizationResponse;

/// The next step of a sign-in. A refusal is an [`Error`]: an OAuth error
/// (an error page) while the client or its redirect URI cannot be trusted,
/// an [`Error::Redirect`] to the client once they can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Back to the client, with tokens (or an error after a sign-in, which
    /// must still set the session it started).
    Respond(AuthorizationResponse),
    /// The person must sign in.
    Login(LoginPrompt),
    /// The person must consent.
    Consent(ConsentPrompt),
}

/// What the person is asked on the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPrompt {
    pub client_name: String,
    pub signup_enabled: bool,
    pub email: String,
    /// The organization signed in to, as the page names it.
    pub organization: Option<String>,
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
