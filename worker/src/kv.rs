//! The edge's read model on Workers KV, and the meter that counts what a
//! request costs in storage operations.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use tenant::seams::store::{KeyPage, Store};
use tenant::{Error, Result};
use worker::kv::{KvError, KvStore};

/// KV lists at most 1000 keys a call.
const LIST_PAGE: u64 = 1000;

/// What one request (or scheduled run) spent on storage: Workers allow
/// 1,000 operations per invocation. Reported in `Server-Timing` when the
/// deployment sets `SERVER_TIMING=1` (the benchmark does).
#[derive(Debug, Default)]
pub struct Meter {
    pub kv_operations: Cell<u32>,
    pub kv_millis: Cell<f64>,
    pub d1_statements: Cell<u32>,
    /// Batches: each is one round trip to the database.
    pub d1_batches: Cell<u32>,
    pub d1_millis: Cell<f64>,
    /// Actions run by the actions runner: each one subrequest.
    pub action_runs: Cell<u32>,
    pub action_millis: Cell<f64>,
}

impl Meter {
    /// Runs `operation`, counting it as `count` operations and its time.
    pub async fn time<T>(
        counter: &Cell<u32>,
        millis: &Cell<f64>,
        count: u32,
        operation: impl std::future::Future<Output = T>,
    ) -> T {
        let start = worker::Date::now().as_millis();
        let result = operation.await;
        counter.set(counter.get() + count);
        millis.set(millis.get() + (worker::Date::now().as_millis() - start) as f64);
        result
    }

    /// The `Server-Timing` value (W3C Server Timing): operations and time
    /// per engine.
    pub fn server_timing(&self) -> String {
        format!(
            "kv;dur={};desc=\"{} operations\", d1;dur={};desc=\"{} statements in {} batches\", actions;dur={};desc=\"{} runs\"",
            self.kv_millis.get(),
            self.kv_operations.get(),
            self.d1_millis.get(),
            self.d1_statements.get(),
            self.d1_batches.get(),
            self.action_millis.get(),
            self.action_runs.get()
        )
    }
}

/// The KV namespace as the tenant's [`Store`], metered. One is made per
/// request (or scheduled run), and it reads each key at most once: a key
/// read again, or read after this request wrote it, is answered from what
/// the request already has (a browser's token request reads its client
/// for the grant and again for CORS, one KV operation).
pub struct KvTenantStore<'a> {
    kv: &'a KvStore,
    meter: &'a Meter,
    seen: RefCell<HashMap<String, Option<String>>>,
}

impl<'a> KvTenantStore<'a> {
    pub fn new(kv: &'a KvStore, meter: &'a Meter) -> Self {
        Self {
            kv,
            meter,
            seen: RefCell::default(),
        }
    }

    fn remember(&self, key: &str, value: Option<&str>) {
        self.seen
            .borrow_mut()
            .insert(key.to_string(), value.map(str::to_string));
    }

    async fn metered<T>(&self, operation: impl std::future::Future<Output = T>) -> T {
        Meter::time(
            &self.meter.kv_operations,
            &self.meter.kv_millis,
            1,
            operation,
        )
        .await
    }
}

fn unavailable(operation: &str, err: KvError) -> Error {
    Error::unavailable(format!("kv {operation}: {err}"))
}

impl Store for KvTenantStore<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        if let Some(value) = self.seen.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self
            .metered(self.kv.get(key).text())
            .await
            .map_err(|e| unavailable("get", e))?;
        self.remember(key, value.as_deref());
        Ok(value)
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        let put = self.kv.put(key, value).map_err(|e| unavailable("put", e))?;
        // Forgotten first: a failed write leaves the key unknown, not stale.
        self.seen.borrow_mut().remove(key);
        self.metered(put.execute())
            .await
            .map_err(|e| unavailable("put", e))?;
        self.remember(key, Some(value));
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.seen.borrow_mut().remove(key);
        self.metered(self.kv.delete(key))
            .await
            .map_err(|e| unavailable("delete", e))?;
        self.remember(key, None);
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage> {
        let mut list = self.kv.list().prefix(prefix.to_string()).limit(LIST_PAGE);
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_string());
        }
        let page = self
            .metered(list.execute())
            .await
            .map_err(|e| unavailable("list", e))?;
        Ok(KeyPage {
            keys: page.keys.into_iter().map(|key| key.name).collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor
            },
        })
    }
}
