//! The storage seam: a small key-value trait the tenant's rules are written
//! against. Workers KV implements it in production; [`MemoryStore`] in tests.
//!
//! The trait mirrors what KV can promise: single-key get/put/delete and
//! prefix listing, no transactions. Key layout lives in the modules that own
//! the records, so the store knows nothing about OAuth.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Result};

/// One page of keys under a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<String>,
    /// Present when more keys follow.
    pub cursor: Option<String>,
}

#[allow(async_fn_in_trait)] // single-threaded runtimes: futures need not be Send
pub trait Store {
    async fn get(&self, key: &str) -> Result<Option<String>>;
    async fn put(&self, key: &str, value: &str) -> Result<()>;
    /// A put the store may forget after `ttl_seconds` (at least 60). The
    /// record must carry its own expiry too: the store's is only cleanup.
    async fn put_expiring(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<()>;
    async fn delete(&self, key: &str) -> Result<()>;
    /// Keys starting with `prefix`, in lexicographic order, a page at a time.
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage>;
}

pub(crate) async fn get_json<T: DeserializeOwned>(
    store: &impl Store,
    key: &str,
) -> Result<Option<T>> {
    match store.get(key).await? {
        None => Ok(None),
        Some(raw) => serde_json::from_str(&raw)
            .map(Some)
            .map_err(|err| Error::unavailable(format!("corrupt record at {key}: {err}"))),
    }
}

pub(crate) async fn put_json<T: Serialize>(store: &impl Store, key: &str, value: &T) -> Result<()> {
    let raw = serde_json::to_string(value).expect("records serialize to JSON");
    store.put(key, &raw).await
}

pub(crate) async fn put_json_expiring<T: Serialize>(
    store: &impl Store,
    key: &str,
    value: &T,
    ttl_seconds: u64,
) -> Result<()> {
    let raw = serde_json::to_string(value).expect("records serialize to JSON");
    store.put_expiring(key, &raw, ttl_seconds.max(60)).await
}

/// A write made after the response: what to put, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub key: String,
    pub value: String,
    pub ttl_seconds: u64,
}

/// Writes a request deferred until after its response (see
/// `Tenant::take_deferred`).
#[derive(Debug, Default, PartialEq, Eq)]
#[must_use = "deferred writes are lost unless they are written"]
pub struct Deferred(pub(crate) Vec<PendingWrite>);

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes each; returns the failures, for the log: the operations they
    /// record have happened whatever becomes of them.
    pub async fn write(self, store: &impl Store) -> Vec<Error> {
        let mut failures = Vec::new();
        for write in self.0 {
            if let Err(err) = store
                .put_expiring(&write.key, &write.value, write.ttl_seconds.max(60))
                .await
            {
                failures.push(err);
            }
        }
        failures
    }
}

/// Every key under `prefix`, following cursors.
pub(crate) async fn list_all(store: &impl Store, prefix: &str) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.list(prefix, cursor.as_deref()).await?;
        keys.extend(page.keys);
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(keys),
        }
    }
}

/// An id derived from a record's natural key. KV has no compare-and-swap,
/// so two requests racing to create the same record both write; with the id
/// derived rather than drawn, they write the same keys and leave no orphan.
pub(crate) fn derived_id(kind: &str, natural_key: &[&str], len: usize) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(kind.as_bytes());
    for part in natural_key {
        hasher.update([0]);
        hasher.update(part.as_bytes());
    }
    let mut id = URL_SAFE_NO_PAD.encode(hasher.finalize());
    id.truncate(len);
    id
}

/// Counts of the operations a store has served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationCounts {
    pub reads: u64,
    pub writes: u64,
    pub deletes: u64,
    pub lists: u64,
}

/// An in-memory store for host tests. Counts operations, pages lists like KV
/// (with a small page size so paging is exercised) and can be told to fail.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: RefCell<BTreeMap<String, String>>,
    counts: Cell<OperationCounts>,
    /// The keys read since the counts were last reset, in order.
    keys_read: RefCell<Vec<String>>,
    failing: Cell<bool>,
}

impl MemoryStore {
    pub const PAGE_SIZE: usize = 3;

    pub fn new() -> Self {
        Self::default()
    }

    pub fn counts(&self) -> OperationCounts {
        self.counts.get()
    }

    pub fn reset_counts(&self) {
        self.counts.set(OperationCounts::default());
        self.keys_read.borrow_mut().clear();
    }

    /// Which keys were read since the counts were last reset, in order.
    pub fn keys_read(&self) -> Vec<String> {
        self.keys_read.borrow().clone()
    }

    /// Makes every later operation fail, as an unreachable KV would.
    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing);
    }

    /// A copy of every entry, to assert that nothing was written.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.entries.borrow().clone()
    }

    fn count(&self, f: impl FnOnce(&mut OperationCounts)) -> Result<()> {
        if self.failing.get() {
            return Err(Error::unavailable("memory store set to fail"));
        }
        let mut counts = self.counts.get();
        f(&mut counts);
        self.counts.set(counts);
        Ok(())
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.count(|c| c.reads += 1)?;
        self.keys_read.borrow_mut().push(key.to_string());
        Ok(self.entries.borrow().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.count(|c| c.writes += 1)?;
        self.entries
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// Kept until deleted: the records' own expiry is what tests observe.
    async fn put_expiring(&self, key: &str, value: &str, _ttl_seconds: u64) -> Result<()> {
        self.put(key, value).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.count(|c| c.deletes += 1)?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage> {
        self.count(|c| c.lists += 1)?;
        let entries = self.entries.borrow();
        let mut keys: Vec<String> = entries
            .keys()
            .filter(|key| key.starts_with(prefix))
            .filter(|key| cursor.is_none_or(|after| key.as_str() > after))
            .take(Self::PAGE_SIZE + 1)
            .cloned()
            .collect();
        let cursor = if keys.len() > Self::PAGE_SIZE {
            keys.truncate(Self::PAGE_SIZE);
            keys.last().cloned()
        } else {
            None
        };
        Ok(KeyPage { keys, cursor })
    }
}
