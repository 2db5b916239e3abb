//! The tenant: OAuth 2.0 / OpenID Connect and Auth0 Management API rules as
//! pure Rust, written against a [`store::Store`], a [`clock::Clock`], an
//! [`random::Rng`] and a native crypto backend ([`crypto::CryptoBackend`]). Nothing here
//! knows about HTTP or Workers: the `tenant-worker` crate translates requests
//! into calls on [`Tenant`] and implements the store on Workers KV.

use std::fmt;

pub mod access_token;
pub mod authorize;
pub mod cache;
pub mod client_grants;
pub mod clients;
pub mod clock;
pub mod crypto;
pub mod discovery;
pub mod error;
pub mod id_token;
pub mod keys;
pub mod logs;
pub mod management;
pub mod password;
pub mod random;
pub mod redirect_uri;
pub mod registration;
pub mod resource_servers;
pub mod secret;
pub mod sessions;
pub mod settings;
pub mod store;
pub mod throttle;
pub mod token;
pub mod users;

#[cfg(test)]
mod flows;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod sign_in_flows;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{Error, Family, Result};

use cache::Cache;
use clock::Clock;
use crypto::CryptoBackend;
use random::Rng;
use store::Store;

/// Per-deployment settings.
#[derive(Clone)]
pub struct Config {
    issuer: String,
    pub bootstrap: Option<BootstrapClient>,
    /// PBKDF2 iterations for new password hashes.
    pub password_iterations: u32,
}

impl Config {
    /// `issuer` is normalized to end with exactly one `/`, the form used in
    /// discovery and in every token's `iss`.
    pub fn new(issuer: &str, bootstrap: Option<BootstrapClient>) -> Self {
        Self {
            issuer: format!("{}/", issuer.trim_end_matches('/')),
            bootstrap,
            password_iterations: password::ITERATIONS,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer's origin: where the tenant's own SPA is served.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.issuer)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_else(|_| self.issuer.trim_end_matches('/').to_string())
    }
}

/// The machine-to-machine client configured by deployment secrets, granted
/// every Management API scope. It is not stored: rotating it is a
/// `wrangler secret put`.
#[derive(Clone)]
pub struct BootstrapClient {
    pub client_id: String,
    pub client_secret: String,
}

impl fmt::Debug for BootstrapClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BootstrapClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// One request's view of the tenant.
pub struct Tenant<'a, S, K> {
    pub(crate) store: &'a S,
    pub(crate) crypto: &'a K,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) rng: &'a dyn Rng,
    pub(crate) cache: &'a Cache,
    pub(crate) config: &'a Config,
    pub(crate) caller: logs::Caller,
}

impl<'a, S: Store, K: CryptoBackend> Tenant<'a, S, K> {
    pub fn new(
        store: &'a S,
        crypto: &'a K,
        clock: &'a dyn Clock,
        rng: &'a dyn Rng,
        cache: &'a Cache,
        config: &'a Config,
    ) -> Self {
        Self {
            store,
            crypto,
            clock,
            rng,
            cache,
            config,
            caller: logs::Caller::default(),
        }
    }

    /// Where the request came from, for throttling and the audit log.
    pub fn with_caller(mut self, caller: logs::Caller) -> Self {
        self.caller = caller;
        self
    }

    pub fn issuer(&self) -> &str {
        self.config.issuer()
    }

    /// Where the tenant's own pages and SPA are served.
    pub fn origin(&self) -> String {
        self.config.origin()
    }

    /// The Management API's identifier: `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer())
    }
}
