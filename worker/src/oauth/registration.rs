//! `POST /oidc/register` (RFC 7591) and `/oidc/register/{client_id}`
//! (RFC 7592). The tenant writes each registration call to the audit log.

use tenant::{Error, Family, Result};
use worker::{console_warn, Method, Request, Response};

use crate::http::{self, Caching};
use crate::Deployment;
use crate::Tenant;

/// Open registration, throttled per client IP before the body is read: a
/// flood costs no KV reads, and one write (its audit event) per address,
/// window and isolate.
pub async fn register(
    req: &mut Request,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
) -> Result<Response> {
    if !deployment.registration_limiter.is_bound() {
        console_warn!(
            "open registration is not rate limited: no REGISTRATION_RATE_LIMITER binding"
        );
    }
    tenant
        .admit_registration(&deployment.registration_limiter)
        .await?;
    let body = json_body(req).await?;
    let information = tenant.register_client(&body).await?;
    http::json(201, &information, Caching::NoStore)
}

/// RFC 7592: the client's own registration, with its registration token.
pub async fn manage(
    req: &mut Request,
    tenant: &Tenant<'_>,
    method: Method,
    client_id: &str,
) -> Result<Response> {
    let authorization = http::header(req, "authorization");
    let authorization = authorization.as_deref();
    match method {
        Method::Get | Method::Head => {
            let information = tenant.read_registration(client_id, authorization).await?;
            http::json(200, &information, Caching::NoStore)
        }
        Method::Put => {
            let body = json_body(req).await?;
            let information = tenant
                .update_registration(client_id, authorization, &body)
                .await?;
            http::json(200, &information, Caching::NoStore)
        }
        Method::Delete => {
            tenant.delete_registration(client_id, authorization).await?;
            http::no_content()
        }
        _ => Ok(http::method_not_allowed(Family::OAuth, "GET, PUT, DELETE")),
    }
}

/// A registration body: JSON by its media type (RFC 7591 §3.1).
async fn json_body(req: &mut Request) -> Result<Vec<u8>> {
    if !http::has_json_body(req) {
        return Err(Error::invalid_client_metadata(
            "Content-Type must be application/json",
        ));
    }
    http::read_body(req, Family::OAuth).await
}
