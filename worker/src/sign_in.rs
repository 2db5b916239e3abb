//! The browser-facing endpoints: `/authorize`, the hosted login, signup and
//! consent under `/u/`, `/v2/logout`, `/userinfo`, and the SPA's
//! `/app-config.json`. Cookies, CSRF checks and rate limits live here; every
//! decision about the sign-in is the tenant's.

use shared::app::AppConfig;
use tenant::primitives::secret;
use tenant::seams::random::{self, OsRng};
use tenant::sign_in::authorize::{Outcome, ResponseMode};
use tenant::sign_in::login::FormResult;
use tenant::sign_in::logout::LogoutOutcome;
use tenant::sign_in::response::AuthorizationResponse;
use tenant::sign_in::sessions::SESSION_LIFETIME;
use tenant::{Error, Family, Result};
use worker::{Headers, Request, Response, Url};

use crate::http::{self, Caching};
use crate::pages::{self, Form};
use crate::Deployment;
use crate::Tenant;

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
        ResponseMode::Fragment => redirect(&response.fragment_location()),
        ResponseMode::FormPost => pages::form_post(response, &random::token(&OsRng, 16)),
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
        Outcome::ErrorPage(page) => pages::error(page),
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

/// `GET /u/login` and `GET /u/signup`.
pub async fn login_page(
    req: &Request,
    url: &Url,
    tenant: &Tenant<'_>,
    form: Form,
) -> Result<Response> {
    let query = query(url);
    let outcome = tenant.login_page(&query).await?;
    if let (Form::Signup, Outcome::Login(prompt)) = (form, &outcome) {
        if !prompt.signup_enabled {
            return redirect(&format!("/u/login?{query}"));
        }
    }
    render(&outcome, req, tenant, &query, form, None, 200)
}

const TOO_MANY: &str = "Too many attempts. Wait a minute, then try again.";

/// `POST /u/login` and `POST /u/signup`: CSRF check, rate limits per IP and
/// per account from that IP, then the tenant. Nothing is counted per account
/// alone: that would let anyone lock a person out from everywhere.
pub async fn login_submit(
    req: &mut Request,
    url: &Url,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
    form: Form,
) -> Result<Response> {
    let query = query(url);
    let fields = form_fields(req).await?;
    if !check_csrf(req, tenant, &fields) {
        return expired_form();
    }
    let email = field(&fields, "email").unwrap_or_default();
    let password = field(&fields, "password").unwrap_or_default();
    let query_pairs = http::query_pairs(url);
    let client_id = http::query_value(&query_pairs, "client_id");
    let limits = deployment.login_limiters.limits();
    if !tenant.admit_login(client_id, email, &limits).await? {
        let outcome = tenant.login_page(&query).await?;
        let response = render(&outcome, req, tenant, &query, form, Some(TOO_MANY), 429)?;
        response
            .headers()
            .set("Retry-After", "60")
            .map_err(http::internal)?;
        return Ok(response);
    }
    let result: FormResult = match form {
        Form::Login => tenant.login(&query, email, password).await?,
        Form::Signup => tenant.signup(&query, email, password).await?,
    };
    let response = render(
        &result.outcome,
        req,
        tenant,
        &query,
        form,
        result.error.as_deref(),
        400,
    )?;
    if let Some(session_id) = &result.new_session {
        set_session_cookie(&response, tenant, session_id)?;
    }
    Ok(response)
}

fn expired_form() -> Result<Response> {
    pages::error(&tenant::sign_in::authorize::ErrorPage {
        status: 403,
        error: "invalid_request".into(),
        description: "This form has expired or did not come from this site. Go back to the application and sign in again.".into(),
    })
}

/// `POST /u/consent`.
pub async fn consent_submit(req: &mut Request, url: &Url, tenant: &Tenant<'_>) -> Result<Response> {
    let query = query(url);
    let fields = form_fields(req).await?;
    if !check_csrf(req, tenant, &fields) {
        return expired_form();
    }
    let allow = field(&fields, "decision") == Some("accept");
    let session = cookie(req, SESSION_COOKIE);
    let outcome = tenant
        .decide_consent(&query, session.as_deref(), allow)
        .await?;
    match outcome {
        Outcome::Login(_) => redirect(&format!("/u/login?{query}")),
        outcome => render(&outcome, req, tenant, &query, Form::Login, None, 200),
    }
}

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
        LogoutOutcome::ErrorPage(page) => return pages::error(&page),
        LogoutOutcome::Redirect(location) => redirect(&location)?,
        LogoutOutcome::SignedOut => pages::signed_out()?,
    };
    if !head {
        clear_session_cookie(&response, tenant)?;
    }
    Ok(response)
}

/// `GET` or `POST /userinfo`, readable from any origin with a bearer token;
/// its errors too, so a browser app can read a 401 and its challenge.
pub async fn userinfo(req: &Request, tenant: &Tenant<'_>) -> Result<Response> {
    let response = match tenant
        .userinfo(http::header(req, "authorization").as_deref())
        .await
    {
        Ok(claims) => http::json(200, &claims, Caching::NoStore)?,
        Err(err) => http::error_response(&err, Family::Resource),
    };
    cors(&response)?;
    Ok(response)
}

/// CORS for bearer-token endpoints: no cookies are involved, so any origin
/// may call them.
pub fn cors(response: &Response) -> Result<()> {
    let headers: &Headers = response.headers();
    headers
        .set("Access-Control-Allow-Origin", "*")
        .map_err(http::internal)?;
    headers
        .set("Access-Control-Expose-Headers", "WWW-Authenticate")
        .map_err(http::internal)
}

/// The CORS preflight of a bearer-token endpoint.
pub fn preflight(allow: &str) -> Result<Response> {
    let response = Response::builder().with_status(204).empty();
    let headers = response.headers();
    for (name, value) in [
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", allow),
        (
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        ),
        ("Access-Control-Max-Age", "600"),
    ] {
        headers.set(name, value).map_err(http::internal)?;
    }
    Ok(response)
}

/// `GET /app-config.json`: the SPA's built-in clients.
pub fn app_config(tenant: &Tenant<'_>) -> Result<Response> {
    http::json(
        200,
        &AppConfig {
            issuer: tenant.issuer().to_string(),
            client_id: tenant.app_client_id(),
            dashboard_client_id: tenant.dashboard_client_id(),
            management_audience: tenant.management_audience(),
        },
        Caching::NoStore,
    )
}
