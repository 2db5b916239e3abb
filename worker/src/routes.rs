//! The route table: which handler serves which method and path.

use tenant::{Error, Family, Result};
use worker::{Method, Request, Response, Url};

use crate::{http, management, oauth, Deployment};

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
        ["api", "v2", collection, rest @ ..] if rest.len() <= 1 => {
            let id = rest.first().map(|id| decode(id));
            let collection = management::Collection::parse(collection).ok_or_else(not_found)?;
            management::handle(req, url, &tenant, collection, method, id.as_deref()).await
        }
        _ => Err(Error::bad_request(
            family,
            404,
            format!("No endpoint at {path}"),
        )),
    }
}

fn not_found() -> Error {
    Error::bad_request(Family::Management, 404, "Not Found")
}
