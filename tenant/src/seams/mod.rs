//! What the rules are written against, each supplied by the runtime: the
//! store (Workers KV), the clock, the random source, the native crypto
//! (WebCrypto) and isolate memory. Nothing here knows an OAuth word.

pub mod cache;
pub mod clock;
pub mod crypto;
pub mod random;
pub mod store;
