//! The tenant's signing keys: created once per algorithm, stored in
//! `signing_keys`, projected to the read model (`signing_key/{kid}`, which
//! the edge lists and reads), published in the JWKS, and cached in isolate
//! memory.
//!
//! Each key is its own row and entry, never changed, so two isolates that
//! race to create the first key both keep theirs: both are published, and
//! every isolate signs with the oldest one, so they converge. The private
//! key is only ever read by the signing code.

use std::fmt;
use std::rc::Rc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_compact::alg::Ed25519;
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::discovery::{Jwk, JwkSet};
pub use shared::protocol::SigningAlg;

use crate::error::{Error, Result};
use crate::records::Projection;
use crate::seams::crypto::{CryptoBackend, RsaPrivateKey, RsaPublicKey};
use crate::seams::database::{self, Database, Statement};
use crate::seams::store::{self, Store};
use crate::Tenant;

const PREFIX: &str = "signing_key/";
/// How long an isolate trusts its copy of the key set.
pub const KEYRING_TTL_SECONDS: u64 = 300;
/// An unknown `kid` triggers a reload at most this often, so forged tokens
/// cannot turn into a flood of store reads.
pub const UNKNOWN_KID_RELOAD_SECONDS: u64 = 30;

/// A signing key as stored.
#[derive(Clone, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: u64,
    pub public: Jwk,
    /// Ed25519: the 32-byte seed, base64url. RS256: the private JWK as
    /// exported by the RSA backend.
    private: String,
}

impl fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("private", &"<redacted>")
            .finish()
    }
}

/// A signing key ready to use: Ed25519 keys are parsed once per isolate.
impl SigningKeyRecord {
    /// The statement storing a new key (one already there is kept: a
    /// key's id is its thumbprint).
    pub fn insert(&self) -> Statement {
        Statement::new(
            "INSERT OR IGNORE INTO signing_keys (kid, alg, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(&self.kid)
        .bind(self.alg.as_str())
        .bind(self.created_at)
        .bind(database::doc(self))
    }
}

pub struct LoadedKey {
    pub record: SigningKeyRecord,
    ed25519: Option<ed25519_dalek::SigningKey>,
}

impl LoadedKey {
    fn load(record: SigningKeyRecord) -> Result<Self> {
        let ed25519 = match record.alg {
            SigningAlg::EdDsa => {
                let seed: [u8; 32] = URL_SAFE_NO_PAD
                    .decode(&record.private)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| Error::unavailable(format!("corrupt key {}", record.kid)))?;
                Some(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            SigningAlg::Rs256 => None,
        };
        Ok(Self { record, ed25519 })
    }
}

/// The tenant's keys, oldest first.
#[derive(Default)]
pub struct Keyring {
    keys: Vec<Rc<LoadedKey>>,
}

impl Keyring {
    fn new(mut keys: Vec<Rc<LoadedKey>>) -> Self {
        keys.sort_by(|a, b| {
            (a.record.created_at, &a.record.kid).cmp(&(b.record.created_at, &b.record.kid))
        });
        Self { keys }
    }

    /// The key new tokens are signed with: the oldest of the algorithm.
    pub fn current(&self, alg: SigningAlg) -> Option<&Rc<LoadedKey>> {
        self.keys.iter().find(|key| key.record.alg == alg)
    }

    pub fn find(&self, kid: &str) -> Option<&Rc<LoadedKey>> {
        self.keys.iter().find(|key| key.record.kid == kid)
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .map(|key| key.record.public.clone())
                .collect(),
        }
    }

    fn with(&self, key: Rc<LoadedKey>) -> Self {
        let mut keys = self.keys.clone();
        keys.push(key);
        Self::new(keys)
    }
}

/// RFC 7638 JWK thumbprint, used as the `kid`.
pub fn thumbprint(jwk: &Jwk) -> String {
    let canonical = match (jwk.kty.as_str(), &jwk.crv, &jwk.x, &jwk.n, &jwk.e) {
        ("OKP", Some(crv), Some(x), _, _) => {
            format!(r#"{{"crv":"{crv}","kty":"OKP","x":"{x}"}}"#)
        }
        ("RSA", _, _, Some(n), Some(e)) => format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
        _ => String::new(),
    };
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The key set, from isolate memory while fresh.
    pub async fn keyring(&self) -> Result<Rc<Keyring>> {
        let now = self.clock.now();
        if let Some(keyring) = self.cache.keyring(now, KEYRING_TTL_SECONDS) {
            return Ok(keyring);
        }
        self.reload_keyring().await
    }

    async fn reload_keyring(&self) -> Result<Rc<Keyring>> {
        let mut keys = Vec::new();
        for key in store::list_all(self.store, PREFIX).await? {
            if let Some(record) = store::get_json::<SigningKeyRecord>(self.store, &key).await? {
                keys.push(Rc::new(LoadedKey::load(record)?));
            }
        }
        let keyring = Rc::new(Keyring::new(keys));
        self.cache.set_keyring(self.clock.now(), keyring.clone());
        Ok(keyring)
    }

    /// The key to sign with for `alg`, created on first use.
    pub async fn signing_key(&self, alg: SigningAlg) -> Result<Rc<LoadedKey>> {
        if let Some(key) = self.keyring().await?.current(alg) {
            return Ok(key.clone());
        }
        // Another isolate may have created one since our copy was taken.
        if let Some(key) = self.reload_keyring().await?.current(alg) {
            return Ok(key.clone());
        }
        self.create_signing_key(alg).await
    }

    async fn create_signing_key(&self, alg: SigningAlg) -> Result<Rc<LoadedKey>> {
        let record = self.new_signing_key(alg).await?;
        let insert = record.insert();
        let projection = [Projection::SigningKey(record.kid.clone())];
        self.commit(vec![insert], &projection).await?;
        self.project(&projection).await;
        let key = Rc::new(LoadedKey::load(record)?);
        let keyring = self.keyring().await?.with(key.clone());
        self.cache.set_keyring(self.clock.now(), Rc::new(keyring));
        Ok(key)
    }

    /// A new key, not yet stored.
    pub(crate) async fn new_signing_key(&self, alg: SigningAlg) -> Result<SigningKeyRecord> {
        let (mut public, private) = match alg {
            SigningAlg::EdDsa => {
                let mut seed = [0u8; 32];
                self.rng.fill(&mut seed);
                let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
                let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
                let jwk = Jwk {
                    kty: "OKP".into(),
                    kid: String::new(),
                    alg: alg.as_str().into(),
                    use_: "sig".into(),
                    crv: Some("Ed25519".into()),
                    x: Some(x),
                    n: None,
                    e: None,
                };
                (jwk, URL_SAFE_NO_PAD.encode(seed))
            }
            SigningAlg::Rs256 => {
                let pair = self.crypto.generate().await?;
                let jwk = Jwk {
                    kty: "RSA".into(),
                    kid: String::new(),
                    alg: alg.as_str().into(),
                    use_: "sig".into(),
                    crv: None,
                    x: None,
                    n: Some(pair.n),
                    e: Some(pair.e),
                };
                (jwk, pair.private_jwk)
            }
        };
        public.kid = thumbprint(&public);
        let record = SigningKeyRecord {
            kid: public.kid.clone(),
            alg,
            created_at: self.clock.now(),
            public,
            private,
        };
        Ok(record)
    }

    /// The public keys (RFC 7517), making sure every algorithm has one so the
    /// set is stable from the first fetch on.
    pub async fn jwks(&self) -> Result<JwkSet> {
        for &alg in SigningAlg::ALL {
            self.signing_key(alg).await?;
        }
        Ok(self.keyring().await?.jwks())
    }

    /// The key a token names in its `kid`, reloading (rarely) when unknown.
    pub async fn verification_key(&self, kid: &str) -> Result<Option<Rc<LoadedKey>>> {
        if let Some(key) = self.keyring().await?.find(kid) {
            return Ok(Some(key.clone()));
        }
        if !self
            .cache
            .may_reload_for_unknown_kid(self.clock.now(), UNKNOWN_KID_RELOAD_SECONDS)
        {
            return Ok(None);
        }
        Ok(self.reload_keyring().await?.find(kid).cloned())
    }

    pub(crate) async fn sign(&self, key: &LoadedKey, message: &[u8]) -> Result<Vec<u8>> {
        match (&key.ed25519, key.record.alg) {
            (Some(signing), SigningAlg::EdDsa) => {
                Ok(Ed25519.sign(signing, message).as_bytes().into_owned())
            }
            (_, SigningAlg::Rs256) => {
                let private = RsaPrivateKey {
                    kid: &key.record.kid,
                    private_jwk: &key.record.private,
                };
                self.crypto.sign(private, message).await
            }
            (None, SigningAlg::EdDsa) => Err(Error::unavailable("Ed25519 key not loaded")),
        }
    }

    pub(crate) async fn verify_signature(
        &self,
        key: &LoadedKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        match (&key.ed25519, key.record.alg) {
            (Some(signing), SigningAlg::EdDsa) => {
                let Ok(signature) = <Ed25519 as Algorithm>::Signature::try_from_slice(signature)
                else {
                    return Ok(false);
                };
                Ok(Ed25519.verify_signature(&signature, &signing.verifying_key(), message))
            }
            (_, SigningAlg::Rs256) => {
                let public = &key.record.public;
                let (Some(n), Some(e)) = (&public.n, &public.e) else {
                    return Ok(false);
                };
                let public = RsaPublicKey {
                    kid: &key.record.kid,
                    n,
                    e,
                };
                self.crypto.verify(public, message, signature).await
            }
            (None, SigningAlg::EdDsa) => Err(Error::unavailable("Ed25519 key not loaded")),
        }
    }
}
