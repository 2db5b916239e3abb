//! `GET /app-config.json`: what the SPA served by the tenant needs to sign
//! people in as the tenant's built-in first-party applications (the sample
//! app and the Dashboard).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The tenant's issuer, ending in `/`; discovery is under it.
    pub issuer: String,
    /// The built-in SPA client: public (no secret), the authorization code
    /// (with PKCE), refresh token and implicit grants, callback
    /// `{origin}/callback`, logout URL `{origin}/`.
    pub client_id: String,
    /// The built-in Dashboard client: public, signed in to with the
    /// authorization code flow and PKCE (refresh tokens kept in the page's
    /// memory), callback `{origin}/dashboard/callback`.
    pub dashboard_client_id: String,
    /// The Management API's identifier, the audience the Dashboard asks for.
    pub management_audience: String,
}
