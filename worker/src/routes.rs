//! The route table: which handler serves which method and path.

use tenant::error::echo;
use tenant::{Error, Family, Result};
use worker::{Method, Request, Response, Url};

use crate::oauth::{discovery, registration, token, userinfo};
use crate::sign_in::pages::{self, Form};
use crate::sign_in::{self, authorize, consent, login, logout};
use crate::{floor, http, management, openapi, sample_api, Deployment, Tenant};

/// The error format a path answers in.
pub fn family(path: &str) -> Family {
    if path.starts_with("/api/v2/") || path == "/api/v2" {
        Family::Management
    } else if path.starts_with("/api/") || path == "/userinfo" {
        Family::Resource
    } else {
        Family::OAuth
    }
}

/// The paths a browser navigates to, whose errors are HTML pages.
fn is_page(path: &str) -> bool {
    path == "/authorize" || path == "/v2/logout" || path.starts_with("/u/")
}

/// A page's errors are pages too, never JSON.
fn page(result: Result<Response>) -> Result<Response> {
    Ok(result.unwrap_or_else(sign_in::refused))
}

/// A decoded path segment (ids may carry URL-encoded identifiers).
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

pub async fn handle(
    req: &mut Request,
    url: &Url,
    deployment: &Deployment,
    tenant: &Tenant<'_>,
) -> Result<Response> {
    let path = url.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let family = family(path);
    // Before anything is read: no document, token, session or cache entry
    // is ever made for a host that is not the issuer's.
    if !deployment
        .config
        .serves(&url.origin().ascii_serialization())
    {
        let err = Error::misdirected(family, deployment.config.issuer());
        return if is_page(path) {
            Ok(pages::error(&err))
        } else {
            Err(err)
        };
    }
    let method = http::method(req);
    let read = matches!(method, Method::Get | Method::Head);

    match segments.as_slice() {
        [".well-known", "openid-configuration" | "oauth-authorization-server"] if read => {
            discovery::discovery(tenant)
        }
        [".well-known", "jwks.json"] if read => discovery::jwks(tenant).await,
        [".well-known", "openid-configuration" | "oauth-authorization-server" | "jwks.json"] => {
            Ok(http::method_not_allowed(family, "GET, HEAD"))
        }
        ["oauth", "token"] if method == Method::Post => token::token(req, tenant, deployment).await,
        ["oauth", "revoke"] if method == Method::Post => {
            token::revoke(req, tenant, deployment).await
        }
        ["oauth", "token" | "revoke"] if method == Method::Options => token::preflight(req),
        ["oauth", "token" | "revoke"] => Ok(http::method_not_allowed(family, "POST, OPTIONS")),
        ["api", "whoami"] if read => sample_api::whoami(req, tenant).await,
        ["api", "whoami"] => Ok(http::method_not_allowed(family, "GET, HEAD")),
        ["api", "bench", "floor"] if deployment.bench_floor && method == Method::Post => {
            floor::floor(req, url, &deployment.kv).await
        }
        ["authorize"] if read || method == Method::Post => {
            page(authorize::authorize(req, url, tenant).await)
        }
        ["authorize"] => Ok(http::method_not_allowed(family, "GET, POST")),
        ["u", "login"] if read => page(login::login_page(req, url, tenant, Form::Login).await),
        ["u", "signup"] if read => page(login::login_page(req, url, tenant, Form::Signup).await),
        ["u", "login"] if method == Method::Post => {
            page(login::login_submit(req, url, tenant, deployment, Form::Login).await)
        }
        ["u", "signup"] if method == Method::Post => {
            page(login::login_submit(req, url, tenant, deployment, Form::Signup).await)
        }
        ["u", "login" | "signup"] => Ok(http::method_not_allowed(family, "GET, POST")),
        ["u", "consent"] if method == Method::Post => {
            page(consent::consent_submit(req, url, tenant).await)
        }
        ["u", "consent"] => Ok(http::method_not_allowed(family, "POST")),
        ["v2", "logout"] if read => page(logout::logout(req, url, tenant).await),
        ["v2", "logout"] => Ok(http::method_not_allowed(family, "GET")),
        ["userinfo"] if read || method == Method::Post => userinfo::userinfo(req, tenant).await,
        ["userinfo"] if method == Method::Options => userinfo::preflight("GET, POST"),
        ["userinfo"] => Ok(http::method_not_allowed(family, "GET, POST, OPTIONS")),
        ["app-config.json"] if read => discovery::app_config(tenant),
        ["app-config.json"] => Ok(http::method_not_allowed(family, "GET")),
        ["oidc", "register"] if method == Method::Post => {
            registration::register(req, tenant, deployment).await
        }
        ["oidc", "register"] => Ok(http::method_not_allowed(family, "POST")),
        ["oidc", "register", client_id] => {
            registration::manage(req, tenant, method, &decode(client_id)).await
        }
        // Public, like discovery: describes the API, grants nothing.
        ["api", "v2", "openapi.json"] if read => openapi::document(),
        ["api", "v2", "openapi.json"] => Ok(http::method_not_allowed(family, "GET, HEAD")),
        ["api", "v2", rest @ ..] if !rest.is_empty() && rest.len() <= 6 => {
            let segments: Vec<String> = rest.iter().map(|s| decode(s)).collect();
            management::handle(req, url, tenant, &segments).await
        }
        _ => Err(Error::bad_request(
            family,
            404,
            format!("No endpoint at {}", echo(path)),
        )),
    }
}
