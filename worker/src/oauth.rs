//! Discovery, JWKS, the token endpoint and the sample protected API.

use tenant::oauth::discovery::provider_metadata;
use tenant::{Family, Result};
use worker::{Request, Response};

use crate::http::{self, Caching};
use crate::{Deployment, Tenant};

/// `/.well-known/openid-configuration` and RFC 8414's
/// `/.well-known/oauth-authorization-server`: the same document.
pub fn discovery(tenant: &Tenant<'_>) -> Result<Response> {
    http::json(
        200,
        &provider_metadata(tenant.issuer()),
        Caching::Public(3600),
    )
}

pub async fn jwks(tenant: &Tenant<'_>) -> Result<Response> {
    http::json(200, &tenant.jwks().await?, Caching::Public(300))
}

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

/// `GET /api/whoami`: how an API checks a bearer token, returning its claims.
pub async fn whoami(req: &Request, tenant: &Tenant<'_>) -> Result<Response> {
    let token = tenant
        .verify_bearer(http::header(req, "authorization").as_deref(), None)
        .await?;
    http::json(200, &token.payload, Caching::NoStore)
}
