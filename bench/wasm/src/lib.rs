//! The token endpoint's hot operations ([`tenant::testing::hot_path`]) for
//! JS: `await Bench.create()`, then `await bench.run(op, n)` runs an
//! operation `n` times and resolves to the count that succeeded. RSA goes
//! through WebCrypto, as in the Worker; `bench/micro.mjs` times it in V8.

use tenant::testing::hot_path::{Fixture, OPERATIONS};
use tenant_webcrypto::WebCrypto;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Bench(Fixture<WebCrypto>);

#[wasm_bindgen]
impl Bench {
    /// The fixture, warm: keys generated and imported, APIs cached.
    pub async fn create() -> Result<Bench, JsError> {
        Fixture::new(WebCrypto)
            .await
            .map(Bench)
            .map_err(|err| JsError::new(&err.to_string()))
    }

    pub fn operations() -> Vec<String> {
        OPERATIONS.iter().map(|op| op.to_string()).collect()
    }

    pub async fn run(&self, operation: String, iterations: u32) -> u32 {
        let mut ok = 0;
        for _ in 0..iterations {
            ok += u32::from(self.0.run(&operation).await);
        }
        ok
    }
}
