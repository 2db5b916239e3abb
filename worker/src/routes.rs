//! The route table: which handler serves which method and path.

use tenant::error::echo;
use tenant::{Error, Family, Result};
use worker::{Method, Request, Response, Url};

use crate::{http, management, oauth, registration, Deployment};

/// The error format a path answers in.
pub fn family(path: &str) -> Family {
    if path.starts_with("/api/v2/") || path == "/api/v2" {
        Family::Management
    } else if path.starts_with("/api/") {
        Family::Resource
    } else {
        Family::OAuth
    }
}

/// A decoded path segment (ids may carry URL-encoded identifiers).
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

pub async fn handle(req: &mut Request, url: &Url, deployment: &Deployment) -> Result<Response> {
    let path = url.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let family = family(path);
    let method = req.method();
    let tenant = deployment.tenant();
    let read = matches!(method, Method::Get | Method::Head);

    match segments.as_slice() {
        [".well-known", "openid-configuration" | "oauth-authorization-server"] if read => {
            oauth::discovery(&tenant)
        }
        [".well-known", "jwks.json"] if read => oauth::jwks(&tenant).await,
        [".well-known", "openid-configuration" | "oauth-authorization-server" | "jwks.json"] => {
            Ok(http::method_not_allowed(family, "GET, HEAD"))
        }
        ["oauth", "token"] if method == Method::Post => oauth::token(req, &tenant).await,
        ["oauth", "token"] => Ok(http::method_not_allowed(family, "POST")),
        ["api", "whoami"] if read => oauth::whoami(req, &tenant).await,
        ["api", "whoami"] => Ok(http::method_not_allowed(family, "GET, HEAD")),
        ["oidc", "register"] if method == Method::Post => {
            registration::register(req, &tenant, deployment).await
        }
        ["oidc", "register"] => Ok(http::method_not_allowed(family, "POST")),
        ["oidc", "register", client_id] => {
            registration::manage(req, &tenant, method, &decode(client_id)).await
        }
        ["api", "v2", rest @ ..] if !rest.is_empty() && rest.len() <= 3 => {
            let segments: Vec<String> = rest.iter().map(|s| decode(s)).collect();
            management::handle(req, url, &tenant, &segments).await
        }
        _ => Err(Error::bad_request(
            family,
            404,
            format!("No endpoint at {}", echo(path)),
        )),
    }
}
