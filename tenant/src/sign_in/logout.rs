//! `/v2/logout` (Auth0): ends the session and returns only to one of the
//! client's Allowed Logout URLs.

use crate::error::{echo, Error, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::sign_in::request::parse_params;
use crate::Tenant;

/// Where `/v2/logout` sends the person. A `returnTo` that is not allowed
/// is an error (an error page), and nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// To the client's allowed logout URL.
    Redirect(String),
    /// Nowhere to go: a "you are signed out" page.
    SignedOut,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `GET /v2/logout?client_id=..&returnTo=..` (Auth0): ends the session
    /// and returns only to a URL in the client's Allowed Logout URLs.
    pub async fn logout(&self, query: &str, session_id: Option<&str>) -> Result<LogoutOutcome> {
        let outcome = self.logout_destination(query).await?;
        self.end_session(session_id).await?;
        Ok(outcome)
    }

    /// Where a logout would go, changing nothing: `HEAD /v2/logout`, which
    /// must be as safe as any HEAD (RFC 9110 §9.2.1).
    pub async fn logout_destination(&self, query: &str) -> Result<LogoutOutcome> {
        let params = parse_params(query).map_err(Error::invalid_request)?;
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let return_to = match (param("returnTo"), param("client_id")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::invalid_request(
                    "returnTo needs the client_id whose Allowed Logout URLs it is in",
                ))
            }
            (Some(return_to), Some(client_id)) => {
                let allowed = self
                    .interactive_client(client_id)
                    .await?
                    .is_some_and(|c| c.allowed_logout_urls.iter().any(|u| u == return_to));
                if !allowed {
                    return Err(Error::invalid_request(format!(
                        "The returnTo URL '{}' is not in the application's Allowed Logout URLs",
                        echo(return_to)
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
