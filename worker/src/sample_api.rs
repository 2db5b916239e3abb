//! `GET /api/whoami`: the sample protected API, which checks a bearer token
//! as any API of the tenant should.

use tenant::Result;
use worker::{Request, Response};

use crate::http::{self, Caching};
use crate::Tenant;

/// `GET /api/whoami`: how an API checks a bearer token, returning its claims.
pub async fn whoami(req: &Request, tenant: &Tenant<'_>) -> Result<Response> {
    let token = tenant
        .verify_bearer(http::header(req, "authorization").as_deref(), None)
        .await?;
    http::json(200, &token.payload, Caching::NoStore)
}
