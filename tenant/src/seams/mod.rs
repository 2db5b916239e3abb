//! What the rules are written against, each supplied by the runtime: the
//! system of record (D1), the edge's read model (Workers KV), the clock,
//! the random source, the native crypto (WebCrypto), isolate memory and
//! the isolates customer code runs in.
//! Nothing here knows an OAuth word.

pub mod cache;
pub mod clock;
pub mod crypto;
pub mod database;
pub mod random;
pub mod runner;
#[cfg(any(test, feature = "sqlite"))]
pub mod sqlite;
pub mod store;
