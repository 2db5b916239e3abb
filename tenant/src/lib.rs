//! The tenant: OAuth 2.0 / OpenID Connect and Auth0 Management API rules as
//! pure Rust, written against a [`seams::store::Store`], a [`seams::clock::Clock`], an
//! [`seams::random::Rng`] and a native crypto backend ([`seams::crypto::CryptoBackend`]). Nothing here
//! knows about HTTP or Workers: the `tenant-worker` crate translates requests
//! into calls on [`Tenant`] and implements the store on Workers KV.

use std::cell::RefCell;
use std::fmt;

pub mod actions;
pub mod error;
pub mod jose;
pub mod management;
pub mod oauth;
pub mod primitives;
pub mod records;
pub mod seams;
pub mod sign_in;
pub mod throttle;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use error::{Error, Family, Result};

use primitives::password;
use seams::cache::Cache;
use seams::clock::Clock;
use seams::crypto::CryptoBackend;
use seams::database::{Database, Deferred, Statement};
use seams::random::Rng;
use seams::runner::{ActionRunner, NoRunner};
use seams::store::Store;

/// Per-deployment settings.
#[derive(Clone)]
pub struct Config {
    issuer: String,
    /// The issuer's origin, the only one the tenant answers for.
    origin: String,
    pub bootstrap: Option<BootstrapClient>,
    /// PBKDF2 iterations for new password hashes.
    pub password_iterations: u32,
    /// The AES-256-GCM key action secrets are stored under
    /// (`ACTIONS_SECRETS_KEY`); without one, actions cannot hold secrets.
    pub actions_secrets_key: Option<ActionsSecretsKey>,
}

/// A 256-bit key, never printed.
#[derive(Clone)]
pub struct ActionsSecretsKey(pub [u8; 32]);

impl ActionsSecretsKey {
    /// From its configured form: 32 bytes, base64url without padding.
    pub fn parse(text: &str) -> Option<Self> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .map(Self)
    }
}

impl fmt::Debug for ActionsSecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ActionsSecretsKey(<redacted>)")
    }
}

/// Why a configured issuer cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidIssuer(pub &'static str);

impl fmt::Display for InvalidIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ISSUER {}", self.0)
    }
}

impl Config {
    /// `issuer` is normalized to end with exactly one `/`, the form used in
    /// discovery and in every token's `iss`. It must be an `https` origin
    /// (or `http` on a loopback host, for local development): the tenant
    /// serves its endpoints at the root, and RFC 8414 §2 forbids a query or
    /// fragment.
    pub fn new(
        issuer: &str,
        bootstrap: Option<BootstrapClient>,
    ) -> std::result::Result<Self, InvalidIssuer> {
        let issuer = format!("{}/", issuer.trim().trim_end_matches('/'));
        let url = url::Url::parse(&issuer).map_err(|_| InvalidIssuer("is not an absolute URL"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(domain)) => domain == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(InvalidIssuer(
                    "must use https (http only on a loopback host)",
                ))
            }
        }
        // The tenant serves its endpoints at the root of its origin.
        if url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(InvalidIssuer(
                "must be an origin: no path, query, fragment or user information",
            ));
        }
        // What discovery says must be what a client compares byte for byte.
        if url.as_str() != issuer {
            return Err(InvalidIssuer(
                "must be in canonical form (lower-case host, no default port)",
            ));
        }
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            issuer,
            bootstrap,
            password_iterations: password::ITERATIONS,
            actions_secrets_key: None,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer's origin: where the tenant's own pages and SPA are served.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Whether a request made to `origin` is for this tenant. Every other
    /// host is refused before anything is read or written, so no document,
    /// token, session or cache entry is ever made for another issuer.
    pub fn serves(&self, origin: &str) -> bool {
        origin == self.origin
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

/// Where a request came from, as the edge reports it, and what it asked:
/// for throttling and the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The request's method and path, for the events of API calls.
    pub method: String,
    pub path: String,
}

/// One request's view of the tenant.
pub struct Tenant<'a, S, K, D> {
    /// The edge's read model (Workers KV): what the hot paths read.
    pub(crate) store: &'a S,
    /// The system of record (D1).
    pub(crate) db: &'a D,
    pub(crate) crypto: &'a K,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) rng: &'a dyn Rng,
    pub(crate) cache: &'a Cache,
    pub(crate) config: &'a Config,
    pub(crate) caller: Caller,
    /// Where bound actions run.
    pub(crate) runner: &'a dyn ActionRunner,
    /// Writes the response need not wait for (see [`Tenant::take_deferred`]).
    pub(crate) deferred: RefCell<Vec<Statement>>,
}

impl<'a, S: Store, K: CryptoBackend, D: Database> Tenant<'a, S, K, D> {
    #[allow(clippy::too_many_arguments)] // one per seam
    pub fn new(
        store: &'a S,
        db: &'a D,
        crypto: &'a K,
        clock: &'a dyn Clock,
        rng: &'a dyn Rng,
        cache: &'a Cache,
        config: &'a Config,
    ) -> Self {
        cache.bind(config.issuer());
        Self {
            store,
            db,
            crypto,
            clock,
            rng,
            cache,
            config,
            caller: Caller::default(),
            runner: &NoRunner,
            deferred: RefCell::new(Vec::new()),
        }
    }

    /// Where bound actions run (none by default: a request that would run
    /// one fails).
    pub fn with_runner(mut self, runner: &'a dyn ActionRunner) -> Self {
        self.runner = runner;
        self
    }

    /// The writes this request deferred, for the runtime to finish after
    /// the response is sent (`Context::wait_until` in the Worker): audit
    /// events of changes that have already happened, which the response
    /// must not wait for nor fail with.
    pub fn take_deferred(&self) -> Deferred {
        Deferred(self.deferred.take())
    }

    /// Where the request came from, for throttling and the audit log.
    pub fn with_caller(mut self, caller: Caller) -> Self {
        self.caller = caller;
        self
    }

    pub fn issuer(&self) -> &str {
        self.config.issuer()
    }

    /// Where the tenant's own pages and SPA are served.
    pub fn origin(&self) -> &str {
        self.config.origin()
    }

    /// The issuer's host: Auth0's `tenant.id` and `request.hostname` in an
    /// action's event.
    pub fn tenant_host(&self) -> &str {
        let origin = self.config.origin();
        origin.split_once("://").map_or(origin, |(_, host)| host)
    }

    /// The Management API's identifier: `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer())
    }
}

impl<S, K, D> Drop for Tenant<'_, S, K, D> {
    /// Deferred writes are handed to the runtime; one forgotten is a lost
    /// audit event, which tests must not miss.
    fn drop(&mut self) {
        debug_assert!(
            self.deferred.get_mut().is_empty() || std::thread::panicking(),
            "a tenant was dropped with deferred writes nobody took"
        );
    }
}
