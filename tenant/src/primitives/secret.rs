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

use crate::seams::random::{self, Rng};

/// 48 random bytes: 64 base64url characters, as Auth0's secrets.
pub const SECRET_BYTES: usize = 48;
const SALT_BYTES: usize = 16;
const SCHEME: &str = "sha256";

/// A SHA-256 digest: every secret comparison is between two of these.
type Digest32 = [u8; 32];

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
    verify_with(stored, presented, digests_equal)
}

/// [`verify`] with the digest comparison passed in, so the tests can see
/// that every verification ends in exactly one comparison of two whole
/// digests of equal length, whatever was presented.
fn verify_with(
    stored: &str,
    presented: &str,
    compare: impl FnOnce(&Digest32, &Digest32) -> bool,
) -> bool {
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
    // The stored digest's length is checked here, before any comparison,
    // and it is public: it says nothing about the secret.
    let Ok(expected) = Digest32::try_from(expected.as_slice()) else {
        return false;
    };
    compare(&salted_digest(&salt, presented), &expected)
}

/// Constant-time equality of two secrets of any length, by digest: used for
/// the bootstrap client whose secret is configuration, not a stored hash.
pub fn equals(expected: &str, presented: &str) -> bool {
    equals_with(expected, presented, digests_equal)
}

fn equals_with(
    expected: &str,
    presented: &str,
    compare: impl FnOnce(&Digest32, &Digest32) -> bool,
) -> bool {
    compare(
        &Sha256::digest(expected.as_bytes()).into(),
        &Sha256::digest(presented.as_bytes()).into(),
    )
}

/// The one comparison of secret material: `subtle`'s constant-time
/// equality over two digests whose equal length the types guarantee, so it
/// never stops at the first differing byte nor at a length mismatch.
fn digests_equal(a: &Digest32, b: &Digest32) -> bool {
    ConstantTimeEq::ct_eq(a.as_slice(), b.as_slice()).into()
}

fn salted_digest(salt: &[u8], secret: &str) -> Digest32 {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(secret.as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::random::OsRng;

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

    /// Records every digest comparison a verification makes.
    fn recording(
        calls: &std::cell::RefCell<Vec<(Digest32, Digest32)>>,
        answer: bool,
    ) -> impl FnOnce(&Digest32, &Digest32) -> bool + '_ {
        move |a, b| {
            calls.borrow_mut().push((*a, *b));
            answer
        }
    }

    #[test]
    fn verification_is_one_comparison_of_two_whole_digests_whatever_is_presented() {
        let secret = generate(&OsRng);
        let stored = hash(&OsRng, &secret);
        let expected: Digest32 = URL_SAFE_NO_PAD
            .decode(stored.rsplit('$').next().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let long = "x".repeat(10_000);
        // Right, wrong by one byte, shorter, longer, empty: the same work,
        // and the answer is the comparison's alone.
        for presented in [
            secret.as_str(),
            &secret[..63],
            "",
            &format!("{secret}x"),
            long.as_str(),
        ] {
            for answer in [true, false] {
                let calls = std::cell::RefCell::new(Vec::new());
                assert_eq!(
                    verify_with(&stored, presented, recording(&calls, answer)),
                    answer,
                    "{presented}"
                );
                let calls = calls.into_inner();
                assert_eq!(calls.len(), 1, "one comparison for {presented:?}");
                let (actual, stored_digest) = calls[0];
                assert_eq!(stored_digest, expected, "against the stored digest");
                assert_eq!(actual.len(), stored_digest.len());
            }
        }
        // The bootstrap secret: one comparison of two digests, too.
        for presented in ["s3cret", "s3cre", "", long.as_str()] {
            let calls = std::cell::RefCell::new(Vec::new());
            equals_with("s3cret", presented, recording(&calls, false));
            assert_eq!(calls.into_inner().len(), 1, "{presented:?}");
        }
    }

    #[test]
    fn a_stored_digest_of_another_length_is_refused_before_any_comparison() {
        let salt = URL_SAFE_NO_PAD.encode([7u8; SALT_BYTES]);
        for digest in [vec![0u8; 31], vec![0u8; 33], vec![], vec![0u8; 64]] {
            let stored = format!("{SCHEME}${salt}${}", URL_SAFE_NO_PAD.encode(&digest));
            let calls = std::cell::RefCell::new(Vec::new());
            assert!(!verify_with(&stored, "anything", recording(&calls, true)));
            assert!(calls.into_inner().is_empty(), "{} bytes", digest.len());
        }
    }

    #[test]
    fn the_comparison_is_subtles_constant_time_equality() {
        // `verify` and `equals` hand their digests to `digests_equal`, and
        // it is `subtle::ConstantTimeEq`: no `==` on secret bytes anywhere
        // in this module's code.
        let source = include_str!("secret.rs");
        let code = source.split("#[cfg(test)]").next().unwrap();
        assert!(code.contains("verify_with(stored, presented, digests_equal)"));
        assert!(code.contains("equals_with(expected, presented, digests_equal)"));
        let body = code
            .split("fn digests_equal(")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .expect("digests_equal");
        assert!(body.contains("ConstantTimeEq::ct_eq(a.as_slice(), b.as_slice())"));
        assert_eq!(
            code.matches(".ct_eq(").count() + code.matches("::ct_eq(").count(),
            1
        );
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            assert!(!line.contains(" == "), "a plain comparison: {line}");
            assert!(!line.contains(" != "), "a plain comparison: {line}");
        }
        // And it answers like equality.
        assert!(digests_equal(&[1; 32], &[1; 32]));
        let mut other = [1; 32];
        other[31] = 2;
        assert!(!digests_equal(&[1; 32], &other));
    }

    #[test]
    fn equals_compares_whole_values() {
        assert!(equals("s3cret", "s3cret"));
        assert!(!equals("s3cret", "s3cre"));
        assert!(!equals("s3cret", "s3cret "));
    }
}
