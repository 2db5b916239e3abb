//! Isolate memory: what the token endpoint would otherwise read from the
//! store on every request (signing keys, API settings, the tenant's
//! settings), each entry kept for
//! a bounded time so changes made elsewhere are picked up.
//!
//! Workers run one request at a time per isolate thread, so interior
//! mutability without locks is enough; no borrow is held across an await.
//!
//! The memory is a seam below the records it keeps: it holds them as
//! `Rc<dyn Any>`, and the modules that own the types (`jose::keys`,
//! `management::resource_servers`) get them back typed.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// A value and when it was remembered.
type Remembered = (u64, Rc<dyn Any>);

/// An actions cache: key -> (value, expiry in milliseconds).
pub type ActionCache = std::collections::BTreeMap<String, (String, u64)>;

fn fresh<T: 'static>(remembered: Option<&Remembered>, now: u64, ttl: u64) -> Option<Rc<T>> {
    let (at, value) = remembered?;
    if now.saturating_sub(*at) >= ttl {
        return None;
    }
    value.clone().downcast::<T>().ok()
}

/// Upper bound on cached APIs, so a flood of distinct audiences cannot grow
/// isolate memory without limit.
const MAX_RESOURCE_SERVERS: usize = 1024;
/// Upper bound on remembered throttled callers (and on remembered logged
/// refusals), for the same reason.
const MAX_THROTTLED: usize = 10_000;

#[derive(Default)]
pub struct Cache {
    /// The issuer whose records this memory holds: a tenant of another
    /// issuer empties it before use, so no record crosses issuers.
    issuer: RefCell<String>,
    keyring: RefCell<Option<Remembered>>,
    last_unknown_kid_reload: Cell<Option<u64>>,
    resource_servers: RefCell<HashMap<String, Remembered>>,
    tenant_settings: RefCell<Option<Remembered>>,
    /// What each trigger runs, by trigger id.
    trigger_bindings: RefCell<HashMap<String, Remembered>>,
    /// Each trigger's `api.cache` (Auth0's Actions cache): best effort,
    /// this isolate's only. By trigger, then key: (value, expiry in ms).
    action_cache: RefCell<HashMap<String, ActionCache>>,
    /// Throttled callers (see `throttle`), until when.
    throttled: RefCell<HashMap<String, u64>>,
    /// Refusals already written to the audit log (see `first_refusal`),
    /// until when. Apart from `throttled`, so that sign-in and registration
    /// floods neither share its bound nor slow the token endpoint.
    logged_refusals: RefCell<HashMap<String, u64>>,
}

impl Cache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes this memory `issuer`'s: when it held another's, everything in
    /// it is forgotten first.
    pub(crate) fn bind(&self, issuer: &str) {
        if *self.issuer.borrow() == issuer {
            return;
        }
        *self.keyring.borrow_mut() = None;
        self.last_unknown_kid_reload.set(None);
        self.resource_servers.borrow_mut().clear();
        *self.tenant_settings.borrow_mut() = None;
        self.trigger_bindings.borrow_mut().clear();
        self.action_cache.borrow_mut().clear();
        self.throttled.borrow_mut().clear();
        self.logged_refusals.borrow_mut().clear();
        *self.issuer.borrow_mut() = issuer.to_string();
    }

    /// The key set, remembered less than `ttl` seconds ago.
    pub(crate) fn keyring<T: 'static>(&self, now: u64, ttl: u64) -> Option<Rc<T>> {
        fresh(self.keyring.borrow().as_ref(), now, ttl)
    }

    pub(crate) fn set_keyring<T: 'static>(&self, now: u64, keyring: Rc<T>) {
        *self.keyring.borrow_mut() = Some((now, keyring));
    }

    pub(crate) fn may_reload_for_unknown_kid(&self, now: u64, interval: u64) -> bool {
        match self.last_unknown_kid_reload.get() {
            Some(at) if now.saturating_sub(at) < interval => false,
            _ => {
                self.last_unknown_kid_reload.set(Some(now));
                true
            }
        }
    }

    /// The API with `identifier`, remembered less than `ttl` seconds ago.
    pub(crate) fn resource_server<T: 'static>(
        &self,
        identifier: &str,
        now: u64,
        ttl: u64,
    ) -> Option<Rc<T>> {
        fresh(self.resource_servers.borrow().get(identifier), now, ttl)
    }

    pub(crate) fn set_resource_server<T: 'static>(
        &self,
        now: u64,
        identifier: &str,
        record: Rc<T>,
    ) {
        let mut map = self.resource_servers.borrow_mut();
        if map.len() >= MAX_RESOURCE_SERVERS {
            map.clear();
        }
        map.insert(identifier.to_string(), (now, record));
    }

    pub(crate) fn forget_resource_server(&self, identifier: &str) {
        self.resource_servers.borrow_mut().remove(identifier);
    }

    /// The tenant's settings, remembered less than `ttl` seconds ago.
    pub(crate) fn tenant_settings<T: 'static>(&self, now: u64, ttl: u64) -> Option<Rc<T>> {
        fresh(self.tenant_settings.borrow().as_ref(), now, ttl)
    }

    pub(crate) fn set_tenant_settings<T: 'static>(&self, now: u64, settings: Rc<T>) {
        *self.tenant_settings.borrow_mut() = Some((now, settings));
    }

    /// A trigger's bindings, remembered less than `ttl` seconds ago.
    pub(crate) fn trigger_bindings<T: 'static>(
        &self,
        trigger: &str,
        now: u64,
        ttl: u64,
    ) -> Option<Rc<T>> {
        fresh(self.trigger_bindings.borrow().get(trigger), now, ttl)
    }

    pub(crate) fn set_trigger_bindings<T: 'static>(
        &self,
        trigger: &str,
        now: u64,
        bindings: Rc<T>,
    ) {
        self.trigger_bindings
            .borrow_mut()
            .insert(trigger.to_string(), (now, bindings));
    }

    pub(crate) fn forget_trigger_bindings(&self, trigger: &str) {
        self.trigger_bindings.borrow_mut().remove(trigger);
    }

    /// A trigger's cache entries still alive at `now_ms`.
    pub(crate) fn action_cache(&self, trigger: &str, now_ms: u64) -> ActionCache {
        let mut caches = self.action_cache.borrow_mut();
        let cache = caches.entry(trigger.to_string()).or_default();
        cache.retain(|_, (_, expires)| *expires > now_ms);
        cache.clone()
    }

    pub(crate) fn set_action_cache(&self, trigger: &str, cache: ActionCache) {
        self.action_cache
            .borrow_mut()
            .insert(trigger.to_string(), cache);
    }

    /// Whether any caller is remembered as throttled: when none is, the
    /// token endpoint builds no throttling keys at all.
    pub(crate) fn throttles_anyone(&self) -> bool {
        !self.throttled.borrow().is_empty()
    }

    /// Whether `key` is throttled at `now`.
    pub(crate) fn is_throttled(&self, key: &str, now: u64) -> bool {
        self.throttled
            .borrow()
            .get(key)
            .is_some_and(|until| now < *until)
    }

    /// Throttles `key` until `until`; `true` when it was not throttled yet.
    pub(crate) fn throttle(&self, key: &str, now: u64, until: u64) -> bool {
        remember_until(&mut self.throttled.borrow_mut(), key, now, until)
    }

    /// Remembers a refusal under `key` until `until`; `true` when none was
    /// remembered yet, i.e. when it is to be logged.
    pub(crate) fn first_refusal(&self, key: &str, now: u64, until: u64) -> bool {
        remember_until(&mut self.logged_refusals.borrow_mut(), key, now, until)
    }
}

/// Sets `key` to `until` in a bounded map of deadlines; `true` when `key`
/// had none that was still running at `now`.
fn remember_until(map: &mut HashMap<String, u64>, key: &str, now: u64, until: u64) -> bool {
    if map.len() >= MAX_THROTTLED {
        map.retain(|_, until| now < *until);
        if map.len() >= MAX_THROTTLED {
            map.clear();
        }
    }
    let previous = map.insert(key.to_string(), until);
    previous.is_none_or(|previous| now >= previous)
}
