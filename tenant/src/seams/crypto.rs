//! The native cryptography a tenant needs from its runtime: RS256,
//! PBKDF2 and AES-GCM. In wasm, pure-Rust RSA costs ~22 ms per signature and PBKDF2 at a
//! useful iteration count far more, so the Worker implements this trait with
//! WebCrypto (native code in workerd); host tests use pure-Rust crates.

use crate::error::Result;

/// A new RSA key pair from the backend.
pub struct RsaKeyPair {
    pub private_jwk: String,
    /// Modulus and public exponent, base64url (RFC 7518 §6.3.1).
    pub n: String,
    pub e: String,
}

/// An RSA key to sign with: its `kid` (a backend may keep imported keys
/// by it) and the private JWK it was generated as.
#[derive(Clone, Copy)]
pub struct RsaPrivateKey<'a> {
    pub kid: &'a str,
    pub private_jwk: &'a str,
}

/// An RSA key to verify with: its `kid`, modulus and public exponent
/// (base64url).
#[derive(Clone, Copy)]
pub struct RsaPublicKey<'a> {
    pub kid: &'a str,
    pub n: &'a str,
    pub e: &'a str,
}

/// RS256 is RSASSA-PKCS1-v1_5 with SHA-256 over 2048-bit keys.
#[allow(async_fn_in_trait)]
pub trait CryptoBackend {
    async fn generate(&self) -> Result<RsaKeyPair>;
    async fn sign(&self, key: RsaPrivateKey<'_>, message: &[u8]) -> Result<Vec<u8>>;
    async fn verify(&self, key: RsaPublicKey<'_>, message: &[u8], signature: &[u8])
        -> Result<bool>;
    /// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), 32 bytes of output.
    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32]>;
    /// AES-256-GCM (NIST SP 800-38D) encryption with a 96-bit nonce that
    /// is never used twice with one key: the ciphertext and its 128-bit tag.
    async fn aes_gcm_encrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        plaintext: &[u8],
    ) -> Result<Vec<u8>>;
    /// The plaintext, or `None` when the tag does not verify (another key,
    /// or altered data).
    async fn aes_gcm_decrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>>;
}
