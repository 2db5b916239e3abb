//! `GET /api/v2/openapi.json`: the OpenAPI 3.1 description of every endpoint
//! this Worker serves. Hand-written in `worker/openapi.json`, served byte for
//! byte, and checked against real responses by `tests/e2e/openapi.test.mjs`
//! and the fuzzing step (`tests/fuzz/run.mjs`).

use tenant::Result;
use worker::Response;

use crate::http::{self, Caching};

/// The document as it is in the repository.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// Public metadata like discovery: no token, cacheable by anyone.
pub fn document() -> Result<Response> {
    http::json_bytes(200, DOCUMENT.as_bytes().to_vec(), Caching::Public(3600))
}
