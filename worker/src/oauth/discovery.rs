//! Public configuration: OpenID Connect Discovery and RFC 8414 metadata,
//! the JWKS, and the SPA's `/app-config.json`.

use shared::app::AppConfig;
use tenant::oauth::discovery::provider_metadata;
use tenant::Result;
use worker::Response;

use crate::http::{self, Caching};
use crate::Tenant;

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
