//! `GET` and `POST /authorize`.

use tenant::sign_in::outcome::Outcome;
use tenant::{Error, Result};
use worker::{Request, Response, Url};

use super::{cookie, form_fields, query, redirect, render, SESSION_COOKIE};
use crate::sign_in::pages::Form;
use crate::Tenant;

/// `GET /authorize`, or `POST` with the parameters as a form (OIDC Core
/// §3.1.2.1).
pub async fn authorize(req: &mut Request, url: &Url, tenant: &Tenant<'_>) -> Result<Response> {
    let query = match req.method() {
        // Re-encoded from its fields, a form body is a query like GET's:
        // raw bytes a URL cannot hold (CR, LF) are escaped, so it is safe
        // in the login page's `Location`.
        worker::Method::Post => serde_urlencoded::to_string(form_fields(req).await?)
            .map_err(|_| Error::invalid_request("The form could not be read"))?,
        _ => query(url),
    };
    let session = cookie(req, SESSION_COOKIE);
    match tenant.authorize(&query, session.as_deref()).await? {
        // The login page has its own address, so a reload shows it again.
        Outcome::Login(_) => redirect(&format!("/u/login?{query}")),
        outcome => render(&outcome, req, tenant, &query, Form::Login, None, 200),
    }
}
