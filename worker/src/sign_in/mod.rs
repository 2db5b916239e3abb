//! The browser-facing sign-in: `/authorize`, the hosted login, signup and
//! consent under `/u/`, `/v2/logout`, and what they share: cookies, CSRF
//! checks and delivering a step to the browser. Every decision about the
//! sign-in is the tenant's.

pub mod authorize;
pub mod consent;
pub mod login;
pub mod logout;
pub mod pages;

use tenant::error::OAuthErrorCode;
use tenant::primitives::secret;
use tenant::seams::random::{self, OsRng};
use tenant::sign_in::outcome::Outcome;
use tenant::sign_in::request::ResponseMode;
use tenant::sign_in::response::AuthorizationResponse;
use tenant::sign_in::sessions::SESSION_LIFETIME;
use tenant::{Error, Family, Result};
use worker::{Request, Response, Url};

use crate::http;
use crate::Tenant;
use pages::Form;

const SESSION_COOKIE: &str = "tenant_session";

const CSRF_COOKIE: &str = "tenant_csrf";

const CSRF_BYTES: usize = 24;

fn query(url: &Url) -> String {
    url.query().unwrap_or_default().to_string()
}

fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = http::header(req, "cookie")?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}

/// `Secure` on every cookie unless the issuer is plain-HTTP loopback.
fn cookie_attributes(tenant: &Tenant<'_>, path: &str, same_site: &str, max_age: u64) -> String {
    let secure = if tenant.issuer().starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}")
}

fn set_cookie(response: &Response, value: &str) -> Result<()> {
    response
        .headers()
        .append("Set-Cookie", value)
        .map_err(http::internal)
}

fn set_session_cookie(response: &Response, tenant: &Tenant<'_>, session_id: &str) -> Result<()> {
    set_cookie(
        response,
        &format!(
            "{SESSION_COOKIE}={session_id}{}",
            cookie_attributes(tenant, "/", "Lax", SESSION_LIFETIME)
        ),
    )
}

fn clear_session_cookie(response: &Response, tenant: &Tenant<'_>) -> Result<()> {
    set_cookie(
        response,
        &format!(
            "{SESSION_COOKIE}={}",
            cookie_attributes(tenant, "/", "Lax", 0)
        ),
    )
}

/// The CSRF token of this browser: the double-submit cookie's value, made
/// fresh when absent or malformed. Returns (token, whether to set it).
fn csrf_token(req: &Request) -> (String, bool) {
    match cookie(req, CSRF_COOKIE) {
        Some(token)
            if token.len() == 32
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            (token, false)
        }
        _ => (random::token(&OsRng, CSRF_BYTES), true),
    }
}

fn with_csrf_cookie(
    response: Result<Response>,
    tenant: &Tenant<'_>,
    token: &str,
    set: bool,
) -> Result<Response> {
    let response = response?;
    if set {
        set_cookie(
            &response,
            &format!(
                "{CSRF_COOKIE}={token}{}",
                cookie_attributes(tenant, "/", "Strict", 3600)
            ),
        )?;
    }
    Ok(response)
}

/// A form post is accepted only from the tenant's own pages: the hidden
/// field must equal this browser's CSRF cookie, and a present `Origin`
/// must be the tenant's.
fn check_csrf(req: &Request, tenant: &Tenant<'_>, fields: &[(String, String)]) -> bool {
    let origin_ok = http::header(req, "origin").is_none_or(|origin| origin == tenant.origin());
    let presented = field(fields, "csrf");
    let expected = cookie(req, CSRF_COOKIE);
    match (presented, expected) {
        (Some(presented), Some(expected)) if !expected.is_empty() => {
            origin_ok && secret::equals(&expected, presented)
        }
        _ => false,
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

async fn form_fields(req: &mut Request) -> Result<Vec<(String, String)>> {
    let body = http::read_body(req, Family::OAuth).await?;
    serde_urlencoded::from_bytes(&body)
        .map_err(|_| Error::invalid_request("The form could not be read"))
}

fn redirect(location: &str) -> Result<Response> {
    let response = Response::builder().with_status(302).empty();
    let headers = response.headers();
    headers.set("Location", location).map_err(http::internal)?;
    headers
        .set("Cache-Control", "no-store")
        .map_err(http::internal)?;
    headers
        .set("Referrer-Policy", "no-referrer")
        .map_err(http::internal)?;
    Ok(response)
}

/// Delivers the response to the client: a 302 to the fragment, or a page
/// that posts the form.
fn respond(response: &AuthorizationResponse) -> Result<Response> {
    match response.mode {
        ResponseMode::FormPost => pages::form_post(response, &random::token(&OsRng, 16)),
        ResponseMode::Query | ResponseMode::Fragment => redirect(&response.location()),
    }
}

/// Renders a step of the sign-in for the browser.
fn render(
    outcome: &Outcome,
    req: &Request,
    tenant: &Tenant<'_>,
    query: &str,
    form: Form,
    error: Option<&str>,
    status: u16,
) -> Result<Response> {
    match outcome {
        Outcome::Respond(response) => respond(response),
        Outcome::Login(prompt) => {
            let (csrf, set) = csrf_token(req);
            let status = if error.is_some() { status } else { 200 };
            with_csrf_cookie(
                pages::login(status, form, prompt, query, &csrf, error),
                tenant,
                &csrf,
                set,
            )
        }
        Outcome::Consent(prompt) => {
            let (csrf, set) = csrf_token(req);
            with_csrf_cookie(pages::consent(prompt, query, &csrf), tenant, &csrf, set)
        }
    }
}

fn expired_form() -> Result<Response> {
    Ok(pages::error(&Error::oauth(
        403,
        OAuthErrorCode::InvalidRequest,
        "This form has expired or did not come from this site. Go back to the application and sign in again.",
    )))
}

/// A step of the sign-in that was refused: back to the client at its
/// redirect URI once the tenant trusts it, else an error page.
pub fn refused(err: Error) -> Response {
    let delivered = match err {
        Error::Redirect(refusal) => respond(&(*refusal).into()),
        other => Ok(pages::error(&other)),
    };
    delivered.unwrap_or_else(|err| pages::error(&err))
}
