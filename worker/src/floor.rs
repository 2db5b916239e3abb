//! The benchmark's floor: a route that does exactly the Workers KV reads a
//! warm `client_credentials` grant does ([`tenant::oauth::token::warm_grant_reads`])
//! and nothing else, so a benchmark can compare the token endpoint with
//! what the platform costs on its own. Served only when the `BENCH_FLOOR`
//! var is `1` (the benchmark command sets it); otherwise the path is unknown.

use serde_json::json;
use tenant::seams::store::Store;
use tenant::{Error, Family, Result};
use worker::{Request, Response, Url};

use crate::http::{self, Caching};
use crate::kv::{KvTenantStore, Meter};

/// `POST /api/bench/floor?client_id=…&audience=…`: the request body is read
/// (as the token endpoint reads its own) and ignored; 200 when both records
/// exist, 404 otherwise, so a floor run cannot pass by reading nothing.
pub async fn floor(req: &mut Request, url: &Url, kv: &worker::kv::KvStore) -> Result<Response> {
    let meter = Meter::default();
    let store = KvTenantStore::new(kv, &meter);
    http::read_body(req, Family::Resource).await?;
    let query = http::query_pairs(url);
    let param = |name: &str| http::query_value(&query, name).unwrap_or_default();
    let mut found = 0;
    for key in tenant::oauth::token::warm_grant_reads(param("client_id"), param("audience")) {
        found += usize::from(store.get(&key).await?.is_some());
    }
    if found < 2 {
        return Err(Error::bad_request(
            Family::Resource,
            404,
            "The floor's client or grant does not exist",
        ));
    }
    http::json(200, &json!({ "reads": 2 }), Caching::NoStore)
}
