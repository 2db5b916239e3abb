//! `POST /oauth/token` (RFC 6749 §3.2).

use tenant::{Family, Result};
use worker::{Request, Response};

use crate::http::{self, Caching};
use crate::{Deployment, Tenant};

/// `POST /oauth/token`, failed client authentications counted against the
/// deployment's limits.
pub async fn token(
    req: &mut Request,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
) -> Result<Response> {
    let body = http::read_body(req, Family::OAuth).await?;
    let response = tenant
        .token_throttled(
            http::header(req, "authorization").as_deref(),
            http::header(req, "content-type").as_deref(),
            &body,
            &deployment.client_auth_limiters.limits(),
        )
        .await?;
    http::json(200, &response, Caching::NoStore)
}
