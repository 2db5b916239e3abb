//! Test fixtures: a tenant over real SQLite (the system of record, as D1
//! is), an in-memory KV store (the edge's read model), a fixed clock and an
//! RSA backend on the `rsa` crate (the Worker uses WebCrypto instead). Also
//! available to the benchmarks through the `testing` feature, with the
//! operations they measure ([`hot_path`]); without the `sqlite` feature
//! (in wasm) the tenant has no database at all.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::seams::cache::Cache;
use crate::seams::clock::FixedClock;
use crate::seams::crypto::{self, CryptoBackend, RsaKeyPair};
use crate::seams::database::Database;
use crate::seams::random::OsRng;
use crate::seams::store::{MemoryStore, Store};
use crate::{BootstrapClient, Config, Tenant};

/// The database a [`World`] runs on unless told otherwise: SQLite where it
/// can be built, none in wasm.
#[cfg(any(test, feature = "sqlite"))]
pub type DefaultDatabase = crate::seams::sqlite::SqliteDatabase;
#[cfg(not(any(test, feature = "sqlite")))]
pub type DefaultDatabase = crate::seams::database::NoDatabase;

pub mod hot_path;

/// A runner for host tests: an action's code is the script of what it
/// does, a [`RunOutcome`](crate::seams::runner::RunOutcome) as JSON
/// (`{"commands": [...], "logs": [...], "error": "...", "timed_out":
/// true}`); any other code does nothing. Every request is kept, so a test
/// can check what each action was given.
#[derive(Default)]
pub struct ScriptedRunner {
    pub runs: std::cell::RefCell<Vec<crate::seams::runner::RunRequest>>,
    /// Answer every run with this error, as a runner that cannot be reached.
    pub unreachable: std::cell::Cell<bool>,
}

impl crate::seams::runner::ActionRunner for ScriptedRunner {
    fn run(
        &self,
        request: crate::seams::runner::RunRequest,
    ) -> crate::seams::runner::RunFuture<'_> {
        let outcome = if self.unreachable.get() {
            Err(Error::unavailable("the action runner cannot be reached"))
        } else if request.check {
            // A deploy's check: the script's `load_error`, if any, is why
            // its code does not load.
            let script: serde_json::Value = serde_json::from_str(&request.code).unwrap_or_default();
            Ok(crate::seams::runner::RunOutcome {
                error: script["load_error"].as_str().map(str::to_string),
                ..Default::default()
            })
        } else {
            Ok(serde_json::from_str(&request.code).unwrap_or_default())
        };
        self.runs.borrow_mut().push(request);
        Box::pin(async move { outcome })
    }
}

pub const ISSUER: &str = "https://tenant.example/";
pub const BOOTSTRAP_ID: &str = "bootstrapbootstrapbootstrap00000";
pub const BOOTSTRAP_SECRET: &str =
    "bootstrap-secret-bootstrap-secret-bootstrap-secret-0123456789ab";
pub const NOW: u64 = 1_800_000_000;

#[derive(Serialize, Deserialize)]
struct PrivateJwk {
    n: String,
    e: String,
    d: String,
    p: String,
    q: String,
}

fn b64(n: &BigUint) -> String {
    URL_SAFE_NO_PAD.encode(n.to_bytes_be())
}

fn unb64(s: &str) -> Result<BigUint> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map(|bytes| BigUint::from_bytes_be(&bytes))
        .map_err(|_| Error::unavailable("bad jwk"))
}

/// RS256 with the pure-Rust `rsa` crate. Generating a key is slow, so every
/// test shares one unless it asks for a fresh one.
#[derive(Default)]
pub struct TestCrypto {
    pub fresh_keys: bool,
}

fn shared_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand_core_rng(), 2048).expect("rsa keygen"))
}

fn rand_core_rng() -> impl rsa::rand_core::CryptoRngCore {
    rsa::rand_core::OsRng
}

impl CryptoBackend for TestCrypto {
    async fn generate(&self) -> Result<RsaKeyPair> {
        let key = if self.fresh_keys {
            RsaPrivateKey::new(&mut rand_core_rng(), 2048).expect("rsa keygen")
        } else {
            shared_key().clone()
        };
        let primes = key.primes();
        let jwk = PrivateJwk {
            n: b64(key.n()),
            e: b64(key.e()),
            d: b64(key.d()),
            p: b64(&primes[0]),
            q: b64(&primes[1]),
        };
        Ok(RsaKeyPair {
            private_jwk: serde_json::to_string(&jwk).unwrap(),
            n: jwk.n,
            e: jwk.e,
        })
    }

    async fn sign(&self, key: crypto::RsaPrivateKey<'_>, message: &[u8]) -> Result<Vec<u8>> {
        let jwk: PrivateJwk = serde_json::from_str(key.private_jwk).unwrap();
        let private = RsaPrivateKey::from_components(
            unb64(&jwk.n)?,
            unb64(&jwk.e)?,
            unb64(&jwk.d)?,
            vec![unb64(&jwk.p)?, unb64(&jwk.q)?],
        )
        .map_err(|_| Error::unavailable("bad rsa key"))?;
        Ok(SigningKey::<Sha256>::new(private).sign(message).to_vec())
    }

    async fn verify(
        &self,
        key: crypto::RsaPublicKey<'_>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool> {
        let public = RsaPublicKey::new(unb64(key.n)?, unb64(key.e)?)
            .map_err(|_| Error::unavailable("bad rsa key"))?;
        let Ok(signature) = Signature::try_from(signature) else {
            return Ok(false);
        };
        Ok(VerifyingKey::<Sha256>::new(public)
            .verify(message, &signature)
            .is_ok())
    }

    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32]> {
        Ok(pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(
            password, salt, iterations,
        ))
    }

    async fn aes_gcm_encrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        use aes_gcm::aead::{Aead, KeyInit};
        aes_gcm::Aes256Gcm::new(key.into())
            .encrypt(nonce.into(), plaintext)
            .map_err(|_| Error::unavailable("aes-gcm encrypt"))
    }

    async fn aes_gcm_decrypt(
        &self,
        key: &[u8; 32],
        nonce: &[u8; 12],
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        use aes_gcm::aead::{Aead, KeyInit};
        Ok(aes_gcm::Aes256Gcm::new(key.into())
            .decrypt(nonce.into(), ciphertext)
            .ok())
    }
}

/// Everything a tenant runs on, owned by the test; RSA on the `rsa` crate
/// unless another backend is given ([`World::with_crypto`]).
pub struct World<K = TestCrypto, D = DefaultDatabase> {
    pub store: MemoryStore,
    pub db: D,
    pub crypto: K,
    pub clock: FixedClock,
    pub rng: OsRng,
    pub cache: Cache,
    pub config: Config,
}

impl World {
    pub fn new() -> Self {
        Self::with_crypto(TestCrypto::default())
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: CryptoBackend, D: Database + Default> World<K, D> {
    pub fn with_crypto(crypto: K) -> Self {
        Self {
            store: MemoryStore::new(),
            db: D::default(),
            crypto,
            clock: FixedClock::at(NOW),
            rng: OsRng,
            cache: Cache::new(),
            config: Config {
                // Cheap hashes keep tests fast; the count is in each hash.
                password_iterations: 1000,
                actions_secrets_key: Some(crate::ActionsSecretsKey([7; 32])),
                ..Config::new(
                    ISSUER,
                    Some(BootstrapClient {
                        client_id: BOOTSTRAP_ID.into(),
                        client_secret: BOOTSTRAP_SECRET.into(),
                    }),
                )
                .expect("a valid issuer")
            },
        }
    }

    pub fn tenant(&self) -> Tenant<'_, MemoryStore, K, D> {
        Tenant::new(
            &self.store,
            &self.db,
            &self.crypto,
            &self.clock,
            &self.rng,
            &self.cache,
            &self.config,
        )
    }

    /// Writes an entry of the read model directly, as a projection would.
    pub async fn seed(&self, projection: &crate::records::Projection, record: &impl Serialize) {
        self.store
            .put(
                &projection.key(),
                &serde_json::to_string(record).expect("records serialize"),
            )
            .await
            .expect("the memory store writes");
    }

    /// A new isolate: same store, empty memory.
    pub fn cold_isolate(&mut self) {
        self.cache = Cache::new();
    }

    /// The newest 100 events of the audit log, newest first.
    pub fn audit_log(&self) -> Vec<shared::logs::LogEvent> {
        let query = crate::management::logs::LogQuery {
            window: crate::management::logs::LogWindow::Page(crate::management::Paging {
                page: 0,
                per_page: 100,
                include_totals: false,
            }),
            filter: Default::default(),
        };
        let listing = block_on(self.tenant().list_logs(&query)).expect("the log lists");
        serde_json::from_value(listing).expect("events deserialize")
    }
}

/// The bootstrap client's own Management API token, verified as a
/// Management call verifies it: it holds every Management API scope, so it
/// may grant any of them.
pub async fn bootstrap_token<S: Store, K: CryptoBackend, D: Database>(
    tenant: &Tenant<'_, S, K, D>,
) -> Result<VerifiedAccessToken> {
    let body = serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", BOOTSTRAP_ID),
        ("client_secret", BOOTSTRAP_SECRET),
        ("audience", &tenant.management_audience()),
    ])
    .expect("a form of strings");
    let response = tenant
        .token(
            None,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes(),
        )
        .await?;
    let authorization = format!("Bearer {}", response.access_token);
    tenant
        .authorize_management(Some(&authorization), "read:clients")
        .await
}

impl<K: CryptoBackend, D: Database + Default> World<K, D> {
    /// Serves one request: runs `step` on a tenant, then writes what it
    /// deferred (its audit events), as the Worker does after a response.
    pub fn request<T>(&self, step: impl AsyncFnOnce(&Tenant<'_, MemoryStore, K, D>) -> T) -> T {
        let tenant = self.tenant();
        let result = block_on(step(&tenant));
        let failure = block_on(tenant.take_deferred().write(&self.db));
        assert!(failure.is_none(), "deferred writes failed: {failure:?}");
        result
    }

    /// The bootstrap client's Management API token ([`bootstrap_token`]).
    pub fn admin(&self) -> VerifiedAccessToken {
        block_on(bootstrap_token(&self.tenant())).expect("the bootstrap client gets a token")
    }
}

#[cfg(any(test, feature = "sqlite"))]
impl<K> World<K, crate::seams::sqlite::SqliteDatabase> {
    /// Everything stored, in the database and in the read model: to assert
    /// that a refused request wrote nothing.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            database: self.db.snapshot(),
            read_model: self.store.snapshot(),
        }
    }
}

/// What [`World::snapshot`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub database: std::collections::BTreeMap<String, Vec<String>>,
    pub read_model: std::collections::BTreeMap<String, String>,
}

/// Asserts a Management refusal for want of scope whose message ends with
/// `ending` (e.g. the scopes a granter lacks).
pub fn assert_insufficient_scope<T: std::fmt::Debug>(result: Result<T>, ending: &str) {
    match &result {
        Err(Error::Management {
            code: ManagementErrorCode::InsufficientScope,
            message,
        }) => assert!(message.ends_with(ending), "{message}"),
        other => panic!("expected 403 insufficient_scope, got {other:?}"),
    }
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}
