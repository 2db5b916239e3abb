//! `POST /oauth/token` (RFC 6749 §3.2) and `POST /oauth/revoke` (RFC
//! 7009), with CORS for single-page apps: a browser may read the answer
//! when the request's `Origin` is one of the client's Allowed Web Origins
//! (Auth0's `web_origins`). Machine-to-machine requests send no `Origin`
//! and cost nothing more; a browser's reads its client, which the grant
//! has already read in this request (the store reads a key once).

use tenant::{Family, Result};
use worker::{Request, Response};

use crate::http::{self, Caching};
use crate::{Deployment, Tenant};

/// What `/oauth/token` and `/oauth/revoke` read of a request: its body and
/// the two headers the tenant needs.
struct OAuthRequest {
    body: Vec<u8>,
    authorization: Option<String>,
    content_type: Option<String>,
}

impl OAuthRequest {
    async fn read(req: &mut Request) -> Result<Self> {
        Ok(Self {
            body: http::read_body(req, Family::OAuth).await?,
            authorization: http::header(req, "authorization"),
            content_type: http::header(req, "content-type"),
        })
    }

    /// Adds `Access-Control-Allow-Origin` to `response` when the request
    /// comes from one of its client's Allowed Web Origins.
    async fn with_cors(
        &self,
        req: &Request,
        tenant: &Tenant<'_>,
        response: Response,
    ) -> Result<Response> {
        let Some(origin) = http::header(req, "origin") else {
            return Ok(response);
        };
        let headers = response.headers();
        headers.set("Vary", "Origin").map_err(http::internal)?;
        if tenant
            .allows_web_origin(
                self.authorization.as_deref(),
                self.content_type.as_deref(),
                &self.body,
                &origin,
            )
            .await
        {
            headers
                .set("Access-Control-Allow-Origin", &origin)
                .map_err(http::internal)?;
        }
        Ok(response)
    }
}

/// `POST /oauth/token`, failed client authentications counted against the
/// deployment's limits.
pub async fn token(
    req: &mut Request,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
) -> Result<Response> {
    let request = OAuthRequest::read(req).await?;
    let answer = tenant
        .token_throttled(
            request.authorization.as_deref(),
            request.content_type.as_deref(),
            &request.body,
            &deployment.client_auth_limiters.limits(),
        )
        .await;
    let response = match answer {
        Ok(tokens) => http::json(200, &tokens, Caching::NoStore)?,
        Err(err) => http::error_response(&err, Family::OAuth),
    };
    request.with_cors(req, tenant, response).await
}

/// `POST /oauth/revoke`: 200 with an empty body (RFC 7009 §2.2), also for
/// a token nobody issued.
pub async fn revoke(
    req: &mut Request,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
) -> Result<Response> {
    let request = OAuthRequest::read(req).await?;
    let answer = tenant
        .revoke_throttled(
            request.authorization.as_deref(),
            request.content_type.as_deref(),
            &request.body,
            &deployment.client_auth_limiters.limits(),
        )
        .await;
    let response = match answer {
        Ok(()) => {
            let response = Response::empty().map_err(http::internal)?.with_status(200);
            response
                .headers()
                .set("Cache-Control", "no-store")
                .map_err(http::internal)?;
            response
        }
        Err(err) => http::error_response(&err, Family::OAuth),
    };
    request.with_cors(req, tenant, response).await
}

/// The CORS preflight of `/oauth/token` and `/oauth/revoke`: any origin may
/// send, only the client's own origins may read the answer (see
/// [`OAuthRequest::with_cors`]).
pub fn preflight(req: &Request) -> Result<Response> {
    let response = Response::builder().with_status(204).empty();
    let headers = response.headers();
    let origin = http::header(req, "origin").unwrap_or_else(|| "*".to_string());
    for (name, value) in [
        ("Access-Control-Allow-Origin", origin.as_str()),
        ("Access-Control-Allow-Methods", "POST"),
        (
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, Auth0-Client",
        ),
        ("Access-Control-Max-Age", "600"),
        ("Vary", "Origin"),
    ] {
        headers.set(name, value).map_err(http::internal)?;
    }
    Ok(response)
}
