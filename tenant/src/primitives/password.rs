//! User passwords: PBKDF2-HMAC-SHA256 with a per-user random salt, run by
//! the crypto backend (WebCrypto in the Worker, native code in workerd).
//!
//! Stored as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url), so the
//! iteration count can be raised later and old hashes still verify. workerd
//! refuses more than 100,000 iterations, the count used here: below OWASP's
//! 600,000 for PBKDF2-SHA256, which is the price of running on Workers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::random::Rng;

const SCHEME: &str = "pbkdf2-sha256";
const SALT_BYTES: usize = 16;
/// The most iterations workerd's PBKDF2 accepts, and the default.
pub const ITERATIONS: u32 = 100_000;
/// The fewest a deployment may configure (`PASSWORD_ITERATIONS`).
pub const MIN_ITERATIONS: u32 = 10_000;
pub const MIN_LENGTH: usize = 8;
/// Long enough for any passphrase, short enough that hashing stays cheap.
pub const MAX_LENGTH: usize = 128;

/// Auth0's fair-strength policy in its simplest form: a length range, and
/// not the email address itself.
pub fn check_policy(password: &str, email: &str) -> Result<()> {
    let len = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&len) {
        return Err(Error::weak_password(format!(
            "Password is too weak: use {MIN_LENGTH} to {MAX_LENGTH} characters"
        )));
    }
    if password.eq_ignore_ascii_case(email) {
        return Err(Error::weak_password(
            "Password is too weak: it must not be the email address",
        ));
    }
    Ok(())
}

pub async fn hash(
    crypto: &impl CryptoBackend,
    rng: &dyn Rng,
    iterations: u32,
    password: &str,
) -> Result<String> {
    let mut salt = [0u8; SALT_BYTES];
    rng.fill(&mut salt);
    let derived = crypto
        .pbkdf2_sha256(password.as_bytes(), &salt, iterations)
        .await?;
    Ok(format!(
        "{SCHEME}${iterations}${}${}",
        URL_SAFE_NO_PAD.encode(salt),
        URL_SAFE_NO_PAD.encode(derived)
    ))
}

/// Whether `password` is the one `stored` was made from; the comparison is
/// constant-time and a malformed record never matches. Iteration counts
/// above [`ITERATIONS`] are refused rather than run.
pub async fn verify(crypto: &impl CryptoBackend, stored: &str, password: &str) -> Result<bool> {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(iterations), Some(salt), Some(expected), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Ok(false);
    };
    let (Ok(iterations), Ok(salt), Ok(expected)) = (
        iterations.parse::<u32>(),
        URL_SAFE_NO_PAD.decode(salt),
        URL_SAFE_NO_PAD.decode(expected),
    ) else {
        return Ok(false);
    };
    if iterations == 0 || iterations > ITERATIONS {
        return Ok(false);
    }
    let derived = crypto
        .pbkdf2_sha256(password.as_bytes(), &salt, iterations)
        .await?;
    Ok(derived.as_slice().ct_eq(expected.as_slice()).into())
}

/// Spends what verifying a real password costs, for sign-ins with an
/// unknown email, so timing does not tell which emails have accounts.
pub async fn waste_equal_time(
    crypto: &impl CryptoBackend,
    iterations: u32,
    password: &str,
) -> Result<()> {
    crypto
        .pbkdf2_sha256(password.as_bytes(), &[0u8; SALT_BYTES], iterations)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seams::random::OsRng;
    use crate::testing::{block_on, TestCrypto};

    #[test]
    fn a_hash_verifies_its_password_only() {
        let crypto = TestCrypto::default();
        let stored = block_on(hash(&crypto, &OsRng, 1000, "correct horse")).unwrap();
        assert!(stored.starts_with("pbkdf2-sha256$1000$"));
        assert!(!stored.contains("correct horse"));
        assert!(block_on(verify(&crypto, &stored, "correct horse")).unwrap());
        assert!(!block_on(verify(&crypto, &stored, "correct horsE")).unwrap());
        assert!(!block_on(verify(&crypto, &stored, "")).unwrap());
    }

    #[test]
    fn the_same_password_gets_a_different_salt_each_time() {
        let crypto = TestCrypto::default();
        let a = block_on(hash(&crypto, &OsRng, 1000, "correct horse")).unwrap();
        let b = block_on(hash(&crypto, &OsRng, 1000, "correct horse")).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn malformed_or_oversized_records_never_match() {
        let crypto = TestCrypto::default();
        let good = block_on(hash(&crypto, &OsRng, 1000, "pw-123456")).unwrap();
        let raised = good.replacen("$1000$", "$100001$", 1);
        for stored in ["", "pbkdf2-sha256$x$y$z", "sha256$a$b", &raised] {
            assert!(
                !block_on(verify(&crypto, stored, "pw-123456")).unwrap(),
                "{stored}"
            );
        }
    }

    #[test]
    fn the_policy_wants_eight_to_128_characters_other_than_the_email() {
        assert!(check_policy("short", "a@example.com").is_err());
        assert!(check_policy(&"x".repeat(129), "a@example.com").is_err());
        assert!(check_policy("A@Example.com", "a@example.com").is_err());
        assert!(check_policy("long enough", "a@example.com").is_ok());
    }
}
