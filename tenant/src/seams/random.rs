//! Randomness for every identifier and secret, from an injected source.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

pub trait Rng {
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG (`crypto.getRandomValues` in Workers).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, dest: &mut [u8]) {
        // A CSPRNG that cannot produce bytes leaves nothing safe to do.
        getrandom::getrandom(dest).expect("the platform CSPRNG is unavailable");
    }
}

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters from [0-9A-Za-z], uniformly (rejection sampling).
pub fn alphanumeric(rng: &dyn Rng, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf);
        for byte in buf {
            // 248 = 4 * 62: keep only bytes that map uniformly.
            if byte < 248 && out.len() < len {
                out.push(ALPHANUMERIC[(byte % 62) as usize] as char);
            }
        }
    }
    out
}

/// `len` lower-case hex digits (`len` even).
pub fn hex(rng: &dyn Rng, len: usize) -> String {
    let mut buf = vec![0u8; len.div_ceil(2)];
    rng.fill(&mut buf);
    let mut out: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    out.truncate(len);
    out
}

/// A random (version 4) UUID, RFC 9562 §5.4, in its lower-case text form.
pub fn uuid(rng: &dyn Rng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `bytes` random bytes, base64url without padding.
pub fn token(rng: &dyn Rng, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_has_the_requested_length_and_alphabet() {
        let id = alphanumeric(&OsRng, 32);
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(id, alphanumeric(&OsRng, 32));
    }

    #[test]
    fn hex_has_the_requested_length_and_alphabet() {
        let id = hex(&OsRng, 24);
        assert_eq!(id.len(), 24);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn token_of_48_bytes_is_64_characters() {
        assert_eq!(token(&OsRng, 48).len(), 64);
    }
}
