//! Brute-force throttling: failed client authentication at the token
//! endpoint, sign-in and sign-up attempts at the hosted pages, and open
//! dynamic registration.
//!
//! Everything is counted by a [`RateLimit`] (Workers' rate limiting binding
//! in production), and a caller over a limit gets 429 with `Retry-After`.
//! The first refusal of a caller in a window is written to the audit log
//! (`limit_mu` for an address, `limit_wc` for an account), once per isolate,
//! so a flood writes a handful of events, not one per request.
//!
//! Client authentication failures are counted per client and address, and
//! per address. Once over either limit, this isolate refuses the caller for
//! the window *before* looking at any secret, so a throttled attacker
//! learns nothing from a correct guess either. Successful authentications
//! are never counted, so the hot path pays nothing.
//!
//! Sign-in attempts are counted per address and per account and address;
//! registrations per address. Nothing is ever counted per client or
//! account alone: that would let anyone lock a client or a person out from
//! their own addresses.

use shared::logs::{event_type, LogDetails};

use crate::error::{Error, Result};
use crate::management::logs::{target, NewEvent};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;

/// The counting window of the limits, in seconds (the binding's `period`).
pub const WINDOW_SECONDS: u64 = 60;
/// Longest client id used in a key; real ids are 32 characters.
const MAX_KEY_CLIENT_ID: usize = 128;

/// Longest unparsable address used in a key (the edge always sends an IP).
const MAX_KEY_ADDRESS: usize = 64;

/// The address a caller is counted under: an IPv4 address itself, an IPv6
/// address by its /64. One subscriber is given at least a /64 (RFC 6177) and
/// can send from any address in it, so counting single IPv6 addresses
/// would give an attacker 2^64 fresh counters.
pub fn rate_limit_address(ip: &str) -> String {
    use std::net::IpAddr;
    match ip.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
            }
        },
        Err(_) => ip.chars().take(MAX_KEY_ADDRESS).collect(),
    }
}

/// Counts events per key in a window.
#[allow(async_fn_in_trait)] // single-threaded runtimes: futures need not be Send
pub trait RateLimit {
    /// Counts one event under `key`; `false` once the key is over its limit.
    async fn allow(&self, key: &str) -> Result<bool>;
}

/// Counts nothing: for deployments without the bindings, and tests of
/// other rules.
pub struct Unlimited;

impl RateLimit for Unlimited {
    async fn allow(&self, _key: &str) -> Result<bool> {
        Ok(true)
    }
}

/// The limits on failed client authentication.
pub struct ClientAuthLimits<'a, L> {
    /// Failures for one client id from one address.
    pub per_client: &'a L,
    /// Failures from one address, whatever the client id.
    pub per_ip: &'a L,
}

impl ClientAuthLimits<'static, Unlimited> {
    pub const UNLIMITED: Self = Self {
        per_client: &Unlimited,
        per_ip: &Unlimited,
    };
}

/// The limits on sign-in and sign-up attempts at the hosted pages.
pub struct LoginLimits<'a, L> {
    /// Attempts from one address, whatever the account.
    pub per_ip: &'a L,
    /// Attempts at one account from one address.
    pub per_account: &'a L,
}

/// The two keys a caller is counted under.
struct Keys {
    per_client: String,
    per_ip: String,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The caller's address as its limits count it.
    fn caller_address(&self) -> String {
        rate_limit_address(self.caller.ip.as_deref().unwrap_or("unknown"))
    }

    fn client_auth_keys(&self, client_id: &str) -> Keys {
        let ip = self.caller_address();
        let client_id: String = client_id.chars().take(MAX_KEY_CLIENT_ID).collect();
        Keys {
            per_client: format!("client_auth:{client_id}:{ip}"),
            per_ip: format!("client_auth_ip:{ip}"),
        }
    }

    /// The client id an event may record: only one that can name a client
    /// of this tenant. Anything else may be a secret sent in the wrong
    /// field, and is left out.
    fn loggable_client_id(&self, client_id: &str) -> Option<String> {
        let bootstrap = self
            .config
            .bootstrap
            .as_ref()
            .is_some_and(|bootstrap| bootstrap.client_id == client_id);
        (bootstrap || crate::management::clients::is_well_formed_client_id(client_id))
            .then(|| client_id.to_string())
    }

    fn throttled() -> Error {
        Error::too_many_requests(
            "Too many failed client authentications from this address; retry later",
        )
    }

    /// 429 when this isolate throttled the caller within the window.
    pub(crate) fn refuse_if_throttled(&self, client_id: &str) -> Result<()> {
        if !self.cache.throttles_anyone() {
            return Ok(());
        }
        let keys = self.client_auth_keys(client_id);
        let now = self.clock.now();
        if self.cache.is_throttled(&keys.per_client, now)
            || self.cache.is_throttled(&keys.per_ip, now)
        {
            return Err(Self::throttled());
        }
        Ok(())
    }

    /// Counts a failed client authentication; `failure` itself while the
    /// caller is within its limits, 429 once it is over one. The first
    /// throttling of a caller in this isolate is logged (`limit_mu`).
    pub(crate) async fn client_auth_failed<L: RateLimit>(
        &self,
        client_id: &str,
        limits: &ClientAuthLimits<'_, L>,
        failure: Error,
    ) -> Error {
        let keys = self.client_auth_keys(client_id);
        let per_client = limits.per_client.allow(&keys.per_client).await;
        let per_ip = limits.per_ip.allow(&keys.per_ip).await;
        let over = match (per_client, per_ip) {
            (Ok(false), _) => &keys.per_client,
            (_, Ok(false)) => &keys.per_ip,
            // Within the limits, or a limiter that cannot answer: the
            // authentication failed either way, and says so.
            _ => return failure,
        };
        let reason = if over == &keys.per_ip {
            "too many failed client authentications from this address"
        } else {
            "too many failed client authentications for this client from this address"
        };
        let now = self.clock.now();
        if self.cache.throttle(over, now, now + WINDOW_SECONDS) {
            let client_id = self.loggable_client_id(client_id);
            self.log_refusal(Refusal {
                event_type: event_type::BLOCKED_ADDRESS,
                description: "Too many failed client authentications",
                reason,
                target: target("client", client_id.as_deref()),
                client_id,
                user_name: None,
            })
            .await;
        }
        Self::throttled()
    }

    /// Counts one open registration from the caller; 429 once its address
    /// is over the limit.
    pub async fn admit_registration<L: RateLimit>(&self, per_ip: &L) -> Result<()> {
        let key = format!("register:{}", self.caller_address());
        if per_ip.allow(&key).await? {
            return Ok(());
        }
        if self.first_refusal(&key) {
            self.log_refusal(Refusal {
                event_type: event_type::BLOCKED_ADDRESS,
                description: "Too many client registrations",
                reason: "too many client registrations from this address",
                target: target("client", None),
                client_id: None,
                user_name: None,
            })
            .await;
        }
        Err(Error::too_many_requests(
            "Too many client registrations from this address; retry later",
        ))
    }

    /// Counts one sign-in or signup attempt at `email` from the caller,
    /// through `client_id` (the authorization request's, as sent: logged
    /// only if it is well formed, whether or not such a client exists);
    /// `false` once the address, or this account from this address, is
    /// over its limit. The per-account limit is not counted once the
    /// address is over its own.
    pub async fn admit_login<L: RateLimit>(
        &self,
        client_id: Option<&str>,
        email: &str,
        limits: &LoginLimits<'_, L>,
    ) -> Result<bool> {
        let ip = self.caller_address();
        let per_ip = format!("login_ip:{ip}");
        // The address's event names no account: it is not about one.
        let (key, event_type, whence, user_name) = if !limits.per_ip.allow(&per_ip).await? {
            (
                per_ip,
                event_type::BLOCKED_ADDRESS,
                "from this address",
                None,
            )
        } else {
            let normalized = crate::management::users::normalize_email(email).ok();
            let account = normalized.clone().unwrap_or_else(|| email.to_lowercase());
            let per_account = format!("login_account:{}:{ip}", account_key(&account));
            if limits.per_account.allow(&per_account).await? {
                return Ok(true);
            }
            (
                per_account,
                event_type::BLOCKED_ACCOUNT,
                "at this account from this address",
                // Only an actual email: a password typed into the field is
                // not written down.
                normalized,
            )
        };
        if self.first_refusal(&key) {
            self.log_refusal(Refusal {
                event_type,
                description: "Too many sign-in or signup attempts",
                reason: &format!("too many sign-in or signup attempts {whence}"),
                target: target("user", None),
                client_id: client_id.and_then(|id| self.loggable_client_id(id)),
                user_name,
            })
            .await;
        }
        Ok(false)
    }

    /// Whether this is the first refusal under `key` in this isolate within
    /// the window, and so the one to log.
    fn first_refusal(&self, key: &str) -> bool {
        let now = self.clock.now();
        self.cache.first_refusal(key, now, now + WINDOW_SECONDS)
    }

    /// Writes a refusal to the audit log. The 429 stands even if the event
    /// cannot be written: the store's failure must not lift a throttle.
    async fn log_refusal(&self, refusal: Refusal<'_>) {
        let _ = self
            .log(NewEvent {
                event_type: refusal.event_type,
                description: refusal.description.into(),
                client_id: refusal.client_id,
                user_id: None,
                user_name: refusal.user_name,
                details: LogDetails {
                    actor: crate::management::logs::anonymous(),
                    target: Some(refusal.target),
                    request: None,
                    reason: Some(format!("{} within {WINDOW_SECONDS} s", refusal.reason)),
                },
            })
            .await;
    }
}

/// The account part of a sign-in limit's key: a digest of what was typed,
/// so that a password typed as the email is neither kept in isolate memory
/// nor handed to the rate limiter as it is.
fn account_key(account: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    URL_SAFE_NO_PAD.encode(&Sha256::digest(account.as_bytes())[..16])
}

/// What the audit log records of a refused caller.
struct Refusal<'a> {
    event_type: &'static str,
    description: &'a str,
    reason: &'a str,
    target: shared::logs::Target,
    client_id: Option<String>,
    user_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::rate_limit_address;

    #[test]
    fn ipv6_callers_are_counted_by_their_64_and_ipv4_ones_by_address() {
        assert_eq!(rate_limit_address("203.0.113.7"), "203.0.113.7");
        assert_eq!(rate_limit_address("::ffff:203.0.113.7"), "203.0.113.7");
        let block = "2001:db8:aa:bb::/64";
        for ip in [
            "2001:db8:aa:bb::1",
            "2001:0db8:00aa:00bb:ffff:ffff:ffff:ffff",
            "2001:DB8:AA:BB:1:2:3:4",
        ] {
            assert_eq!(rate_limit_address(ip), block, "{ip}");
        }
        assert_ne!(rate_limit_address("2001:db8:aa:bc::1"), block);
        assert_eq!(rate_limit_address("unknown"), "unknown");
        assert_eq!(rate_limit_address(&"x".repeat(500)).len(), 64);
    }
}
