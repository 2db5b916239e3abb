//! Opaque values the tenant hands out (session ids, authorization codes,
//! refresh tokens): 32 random bytes each, stored only as their SHA-256, so
//! the system of record never holds a usable one. A 256-bit random value
//! needs no salt or stretching: its digest is as hard to reverse as the
//! value is to guess.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The key a value is stored under: base64url(SHA-256(value)).
pub fn stored_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_is_the_sha256_of_the_value_in_base64url() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            stored_hash("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
        assert_ne!(stored_hash("abc"), stored_hash("abd"));
    }
}
