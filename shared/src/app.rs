//! `GET /app-config.json`: what the SPA served by the tenant needs to sign
//! people in as the tenant's built-in first-party application.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppConfig {
    /// The tenant's issuer, ending in `/`; discovery is under it.
    pub issuer: String,
    /// The built-in SPA client: public (no secret), implicit grant,
    /// callback `{origin}/callback`, logout URL `{origin}/`.
    pub client_id: String,
}
