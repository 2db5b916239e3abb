//! `GET` and `POST /authorize`: answered at once when a session can, else
//! the person is asked to sign in.

use crate::error::{OAuthErrorCode, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::sign_in::outcome::Outcome;
use crate::sign_in::request::Prompt;
use crate::sign_in::sessions::Session;
use crate::Tenant;

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `GET /authorize`: answers at once when a session can, else asks the
    /// person to sign in.
    pub async fn authorize(&self, query: &str, session_id: Option<&str>) -> Result<Outcome> {
        let request = self.authorize_request(query).await?;
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
            (_, Some(Prompt::None)) => Err(self.refuse(
                &request,
                OAuthErrorCode::LoginRequired,
                "The user is not signed in",
            )),
            _ => Ok(Outcome::Login(self.login_prompt(&request).await?)),
        }
    }
}
