//! Client secrets: generated from the CSPRNG, stored only as a salted
//! SHA-256 digest, compared in constant time.
//!
//! A slow password KDF would be wrong here: generated secrets carry 384 bits
//! of entropy, so brute force is hopeless whatever the hash, and a KDF would
//! spend milliseconds of CPU on every token request.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::random::{self, Rng};

/// 48 random bytes: 64 base64url characters, as Auth0's secrets.
pub const SECRET_BYTES: usize = 48;
const SALT_BYTES: usize = 16;
const SCHEME: &str = "sha256";

/// A new client secret (64 characters from the CSPRNG).
pub fn generate(rng: &dyn Rng) -> String {
    random::token(rng, SECRET_BYTES)
}

/// `sha256$<salt>$<digest>`, both base64url; the only form a secret is stored in.
pub fn hash(rng: &dyn Rng, secret: &str) -> String {
    let mut salt = [0u8; SALT_BYTES];
    rng.fill(&mut salt);
    let digest = salted_digest(&salt, secret);
    format!(
        "{SCHEME}${}${}",
        URL_SAFE_NO_PAD.encode(salt),
        URL_SAFE_NO_PAD.encode(digest)
    )
}

/// Whether `presented` is the secret `stored` was made from. The digest
/// comparison is constant-time; a malformed stored hash never matches.
pub fn verify(stored: &str, presented: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(salt), Some(digest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (URL_SAFE_NO_PAD.decode(salt), URL_SAFE_NO_PAD.decode(digest))
    else {
        return false;
    };
    let actual = salted_digest(&salt, presented);
    actual.as_slice().ct_eq(expected.as_slice()).into()
}

/// Constant-time equality of two secrets of any length, by digest: used for
/// the bootstrap client whose secret is configuration, not a stored hash.
pub fn equals(expected: &str, presented: &str) -> bool {
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(presented.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

fn salted_digest(salt: &[u8], secret: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRng;

    #[test]
    fn a_generated_secret_verifies_against_its_hash_only() {
        let secret = generate(&OsRng);
        assert_eq!(secret.len(), 64);
        let stored = hash(&OsRng, &secret);
        assert!(!stored.contains(&secret));
        assert!(verify(&stored, &secret));
        assert!(!verify(&stored, &generate(&OsRng)));
        assert!(!verify(&stored, ""));
        assert!(!verify(&stored, &secret[..63]));
    }

    #[test]
    fn the_same_secret_hashes_differently_each_time() {
        let secret = generate(&OsRng);
        assert_ne!(hash(&OsRng, &secret), hash(&OsRng, &secret));
    }

    #[test]
    fn malformed_stored_hashes_never_match() {
        for stored in [
            "",
            "sha256$",
            "sha256$$",
            "md5$aa$bb",
            "sha256$!!$!!",
            "sha256$a$b$c",
        ] {
            assert!(!verify(stored, ""), "{stored}");
        }
    }

    #[test]
    fn equals_compares_whole_values() {
        assert!(equals("s3cret", "s3cret"));
        assert!(!equals("s3cret", "s3cre"));
        assert!(!equals("s3cret", "s3cret "));
    }
}
