//! `GET` and `POST /userinfo` (OIDC Core §5.3), readable from any origin.

use tenant::{Family, Result};
use worker::{Headers, Request, Response};

use crate::http::{self, Caching};
use crate::Tenant;

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
