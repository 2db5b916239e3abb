//! The tenant's store on Workers KV.

use tenant::seams::store::{KeyPage, Store};
use tenant::{Error, Result};
use worker::kv::{KvError, KvStore};

/// KV lists at most 1000 keys a call.
const LIST_PAGE: u64 = 1000;

pub struct KvTenantStore(pub KvStore);

fn unavailable(operation: &str, err: KvError) -> Error {
    Error::unavailable(format!("kv {operation}: {err}"))
}

impl Store for KvTenantStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.0
            .get(key)
            .text()
            .await
            .map_err(|e| unavailable("get", e))
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.0
            .put(key, value)
            .map_err(|e| unavailable("put", e))?
            .execute()
            .await
            .map_err(|e| unavailable("put", e))
    }

    async fn put_expiring(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<()> {
        self.0
            .put(key, value)
            .map_err(|e| unavailable("put", e))?
            .expiration_ttl(ttl_seconds.max(60))
            .execute()
            .await
            .map_err(|e| unavailable("put", e))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.0
            .delete(key)
            .await
            .map_err(|e| unavailable("delete", e))
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage> {
        let mut list = self.0.list().prefix(prefix.to_string()).limit(LIST_PAGE);
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_string());
        }
        let page = list.execute().await.map_err(|e| unavailable("list", e))?;
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
