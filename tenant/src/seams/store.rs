//! The read model's seam: a small key-value trait for the edge's copy of
//! what the hot paths read (`records::read_model`). Workers KV implements
//! it in production; [`MemoryStore`] in tests.
//!
//! The trait mirrors what KV can promise: single-key get/put/delete and
//! prefix listing, no transactions, reads that may be stale. So the tenant
//! only ever writes it from committed rows of the system of record, and
//! never reads it to decide a write. The key layout lives with the read
//! model, so the store knows nothing about OAuth.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

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
