//! `GET /v2/logout` (and `HEAD`, which ends nothing).

use tenant::sign_in::logout::LogoutOutcome;
use tenant::Result;
use worker::{Request, Response, Url};

use super::{clear_session_cookie, cookie, query, redirect, SESSION_COOKIE};
use crate::http;
use crate::sign_in::pages;
use crate::Tenant;

/// `GET /v2/logout`; `HEAD` answers the same way and ends nothing.
pub async fn logout(req: &Request, url: &Url, tenant: &Tenant<'_>) -> Result<Response> {
    let head = http::method(req) == worker::Method::Head;
    let outcome = if head {
        tenant.logout_destination(&query(url)).await?
    } else {
        let session = cookie(req, SESSION_COOKIE);
        tenant.logout(&query(url), session.as_deref()).await?
    };
    let response = match outcome {
        LogoutOutcome::Redirect(location) => redirect(&location)?,
        LogoutOutcome::SignedOut => pages::signed_out()?,
    };
    if !head {
        clear_session_cookie(&response, tenant)?;
    }
    Ok(response)
}
