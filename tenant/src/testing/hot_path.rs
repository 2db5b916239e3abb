//! The token endpoint's hot operations over a real [`Tenant`](crate::Tenant)
//! (warm isolate cache, the read model in memory, and no database at all:
//! a warm grant must not need one), written once and run two ways: natively
//! under criterion (`tenant/benches/hot_path.rs`, RSA on the `rsa` crate)
//! and compiled to wasm and timed in V8 (`bench/wasm`, `bench/micro.mjs`,
//! RSA on WebCrypto as in workerd). The wasm figures are our CPU per request
//! at the edge.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use shared::management::{AppType, ResourceServerScope};
use shared::organizations::OrganizationUsage;
use shared::token::TokenResponse;

use super::World;
use crate::error::Result;
use crate::jose::access_token::{AccessTokenGrant, Audience, VerifiedAccessToken};
use crate::jose::keys::SigningAlg;
use crate::management::client_grants::ClientGrantRecord;
use crate::management::clients::ClientRecord;
use crate::management::organizations::client_grants::MAX_CLIENT_GRANTS_PER_ORGANIZATION;
use crate::management::resource_servers::ResourceServerRecord;
use crate::oauth::token::{ClientAuthentication, TokenRequest};
use crate::primitives::scope::Scope;
use crate::primitives::secret;
use crate::records::Projection;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{Database, DatabaseError, NoDatabase, Row, Statement};
use crate::seams::random::OsRng;
use crate::seams::runner::{ActionRunner, Command, RunFuture, RunOutcome, RunRequest};
use shared::actions::{SecretInput, TriggerId};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

/// A runner that answers every action at once with one claim.
struct InstantRunner;

impl ActionRunner for InstantRunner {
    fn run(&self, _request: RunRequest) -> RunFuture<'_> {
        Box::pin(async {
            Ok(RunOutcome {
                commands: vec![Command::AccessTokenClaim {
                    name: "https://example.com/plan".into(),
                    value: "gold".into(),
                }],
                ..Default::default()
            })
        })
    }
}
const JSON: Option<&str> = Some("application/json");

/// The operations measured, by the names the reports use.
pub const OPERATIONS: [&str; 14] = [
    "grant_eddsa",
    "grant_eddsa_organization",
    "grant_eddsa_action",
    "grant_rs256",
    "redeem_code",
    "refresh_token",
    "mint_eddsa",
    "mint_rs256",
    "verify_eddsa",
    "verify_rs256",
    "verify_client_secret",
    "parse_form",
    "parse_json",
    "parse_basic",
];

const ALGS: [SigningAlg; 2] = [SigningAlg::EdDsa, SigningAlg::Rs256];

fn audience(alg: SigningAlg) -> String {
    format!(
        "https://{}.bench.example/",
        alg.as_str().to_ascii_lowercase()
    )
}

fn index(alg: SigningAlg) -> usize {
    usize::from(alg == SigningAlg::Rs256)
}

/// A system of record that answers each statement with rows prepared in
/// advance, found by a fragment of its SQL (a write answers nothing, or
/// the row its `RETURNING` gives when it succeeds): what a code redemption
/// and a refresh read, with no database engine in the measurement. D1
/// runs apart from the Worker, so what is left is the Worker's own CPU.
#[derive(Default)]
pub struct CannedDatabase {
    answers: Vec<(&'static str, Vec<Row>)>,
}

impl Database for CannedDatabase {
    async fn batch(
        &self,
        statements: Vec<Statement>,
    ) -> std::result::Result<Vec<Vec<Row>>, DatabaseError> {
        Ok(statements
            .iter()
            .map(|statement| {
                self.answers
                    .iter()
                    .find(|(needle, _)| statement.sql.contains(needle))
                    .map(|(_, rows)| rows.clone())
                    .unwrap_or_default()
            })
            .collect())
    }
}

fn row(value: serde_json::Value) -> Row {
    match value {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("rows are objects"),
    }
}

/// The SPA people sign in to in `redeem_code` and `refresh_token`.
const SPA_CALLBACK: &str = "https://spa.bench.example/callback";
const VERIFIER: &str = "bench-verifier-bench-verifier-bench-verifier-0123";

/// The organization the EdDSA grant acts for in `grant_eddsa_organization`.
const ORGANIZATION_ID: &str = "org_BenchBenchBench1";

/// One API per algorithm, one client granted both, and the requests a
/// client would send; every key and API is already in isolate memory. The
/// EdDSA grant allows organizations, and one organization is linked to it
/// and to as many other grants as an organization may hold, the most its
/// read-model entry can carry.
pub struct Fixture<K> {
    world: World<K, NoDatabase>,
    /// Isolate memory of an isolate that sees one credentials-exchange
    /// action bound (`grant_eddsa_action`); the fixture's own memory
    /// remembers the trigger as empty (its clock never moves, so it stays
    /// remembered).
    action_cache: crate::seams::cache::Cache,
    client_id: String,
    client_secret: String,
    secret_hash: String,
    form: [Vec<u8>; 2],
    organization_form: Vec<u8>,
    json: Vec<u8>,
    basic: String,
    tokens: [String; 2],
    /// What the redemption and the refresh read, and their requests.
    canned: CannedDatabase,
    code_form: Vec<u8>,
    refresh_form: Vec<u8>,
}

impl<K: CryptoBackend> Fixture<K> {
    /// The read model as the Management API would have projected it: one
    /// client, an API per algorithm, a grant to each, a key per algorithm.
    pub async fn new(crypto: K) -> Result<Self> {
        let world = World::<K, NoDatabase>::with_crypto(crypto);
        let tenant = world.tenant();
        let mut record = ClientRecord::new(
            crate::seams::random::alphanumeric(&OsRng, 32),
            Some(AppType::NonInteractive),
            super::NOW,
        );
        record.name = "Bench worker".into();
        let client_secret = record.settle_secret(&OsRng).expect("a confidential client");
        world
            .seed(&Projection::Client(record.client_id.clone()), &record)
            .await;
        let client = record;
        for alg in ALGS {
            let api = ResourceServerRecord {
                id: format!("bench{}", index(alg)),
                name: format!("Bench {}", alg.as_str()),
                identifier: audience(alg),
                scopes: vec![ResourceServerScope {
                    value: "read:things".into(),
                    description: "Read things".into(),
                }],
                signing_alg: alg,
                token_lifetime: 86_400,
                allow_offline_access: true,
                skip_consent_for_verifiable_first_party_clients: true,
                enforce_policies: false,
                is_system: false,
            };
            world
                .seed(&Projection::ResourceServer(api.identifier.clone()), &api)
                .await;
            let grant = ClientGrantRecord {
                id: format!("cgr_bench{}", index(alg)),
                client_id: client.client_id.clone(),
                audience: audience(alg),
                scope: vec!["read:things".into()],
                organization_usage: OrganizationUsage::Allow,
                allow_any_organization: false,
            };
            world
                .seed(
                    &Projection::ClientGrant {
                        client_id: grant.client_id.clone(),
                        audience: grant.audience.clone(),
                    },
                    &grant,
                )
                .await;
            let key = tenant.new_signing_key(alg).await?;
            world
                .seed(&Projection::SigningKey(key.kid.clone()), &key)
                .await;
        }
        // The bench grant last among the most links an organization holds.
        let linked: Vec<String> = (1..MAX_CLIENT_GRANTS_PER_ORGANIZATION)
            .map(|i| format!("cgr_{i:016}"))
            .chain([format!("cgr_bench{}", index(SigningAlg::EdDsa))])
            .collect();
        world
            .seed(
                &Projection::Organization(ORGANIZATION_ID.into()),
                &serde_json::json!({
                    "id": ORGANIZATION_ID,
                    "name": "bench-customer",
                    "display_name": "Bench Customer",
                    "metadata": {},
                    "created_at": super::NOW,
                    "client_grants": linked,
                }),
            )
            .await;
        let form = ALGS.map(|alg| {
            format!(
                "grant_type=client_credentials&client_id={}&client_secret={}&audience={}",
                client.client_id,
                client_secret,
                audience(alg).replace(':', "%3A").replace('/', "%2F")
            )
            .into_bytes()
        });
        let json = format!(
            r#"{{"grant_type":"client_credentials","client_id":"{}","client_secret":"{}","audience":"{}"}}"#,
            client.client_id,
            client_secret,
            audience(SigningAlg::EdDsa)
        )
        .into_bytes();
        let basic = format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", client.client_id, client_secret))
        );
        // Remembered as empty before the action is bound: the plain grants
        // run nothing.
        tenant
            .trigger_bindings(TriggerId::CredentialsExchange)
            .await?;
        let sealed = tenant
            .seal_new_values(&[SecretInput {
                name: "PLAN_KEY".into(),
                value: Some("bench-secret-value".into()),
            }])
            .await?;
        world
            .seed(
                &Projection::Trigger(TriggerId::CredentialsExchange.as_str().into()),
                &serde_json::json!({"bindings": [{
                    "binding_id": "bench-binding",
                    "action_id": "00000000-0000-4000-8000-000000000001",
                    "action_name": "Bench plan",
                    "version_id": "00000000-0000-4000-8000-000000000002",
                    "version_number": 1,
                    "code": "exports.onExecuteCredentialsExchange = async (event, api) => {};",
                    "secrets": [{"name": "PLAN_KEY", "sealed": sealed[0], "updated_at": super::NOW}],
                }]}),
            )
            .await;
        let organization_form = [
            &form[index(SigningAlg::EdDsa)][..],
            format!("&organization={ORGANIZATION_ID}").as_bytes(),
        ]
        .concat();
        let (canned, code_form, refresh_form) = Self::people(&world).await;
        drop(tenant);
        let mut fixture = Self {
            action_cache: crate::seams::cache::Cache::new(),
            organization_form,
            secret_hash: secret::hash(&OsRng, &client_secret),
            client_id: client.client_id,
            client_secret,
            form,
            json,
            basic,
            tokens: [String::new(), String::new()],
            world,
            canned,
            code_form,
            refresh_form,
        };
        // Warm: keys generated and cached, APIs cached, one token per alg.
        for alg in ALGS {
            fixture.tokens[index(alg)] = fixture.grant(alg).await?.access_token;
        }
        fixture.grant_with_action().await?;
        Ok(fixture)
    }

    /// A public SPA (the read model's entry), a person, a code for them and
    /// a refresh token family, as the system of record would answer them
    /// (a [`CannedDatabase`]), and the two token requests.
    async fn people(world: &World<K, NoDatabase>) -> (CannedDatabase, Vec<u8>, Vec<u8>) {
        use crate::management::clients::{AuthMethod, GrantType};
        use crate::management::users::UserRecord;
        use crate::sign_in::code::{CodeRecord, SignInGrant};
        use crate::sign_in::refresh_tokens::FamilyRecord;

        let now = super::NOW;
        let mut spa = ClientRecord::new(
            crate::seams::random::alphanumeric(&OsRng, 32),
            Some(AppType::Spa),
            now,
        );
        spa.name = "Bench SPA".into();
        spa.token_endpoint_auth_method = AuthMethod::None;
        spa.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
        spa.callbacks = vec![SPA_CALLBACK.into()];
        world
            .seed(&Projection::Client(spa.client_id.clone()), &spa)
            .await;
        let user = UserRecord {
            user_id: "auth0|0123456789abcdef01234567".into(),
            email: "person@bench.example".into(),
            email_verified: true,
            name: "Bench Person".into(),
            nickname: "person".into(),
            given_name: None,
            family_name: None,
            picture: None,
            blocked: false,
            password_hash: String::new(),
            permissions: Default::default(),
            created_at: now,
            updated_at: now,
            last_login: Some(now),
            logins_count: 1,
            session_epoch: 0,
        };
        let scope = "openid profile email offline_access read:things";
        let api = audience(SigningAlg::EdDsa);
        let grant = SignInGrant {
            client_id: spa.client_id.clone(),
            user_id: user.user_id.clone(),
            scope: scope.into(),
            audience: Some(api),
            auth_time: now,
            session_epoch: 0,
            organization: None,
            access_token_claims: Default::default(),
            id_token_claims: Default::default(),
        };
        let code = CodeRecord {
            grant: grant.clone(),
            redirect_uri: SPA_CALLBACK.into(),
            nonce: Some("bench-nonce".into()),
            session_hash: "bench-session".into(),
            offline: true,
        };
        let family = FamilyRecord {
            grant,
            settings: spa.refresh_token.clone(),
        };
        let far = now + 86_400;
        let user_row = row(serde_json::json!({
            "doc": serde_json::to_string(&user).expect("records serialize"),
            "version": 1, "logins_count": 1, "last_login": now,
        }));
        let canned = CannedDatabase {
            answers: vec![
                (
                    "UPDATE authorization_codes SET used_at",
                    vec![row(serde_json::json!({
                        "doc": serde_json::to_string(&code).expect("records serialize"),
                    }))],
                ),
                ("FROM users u", vec![user_row]),
                (
                    "FROM sessions s",
                    vec![row(serde_json::json!({"expires_at": far, "epoch": 0}))],
                ),
                (
                    "SELECT f.family_id, f.client_id, f.expires_at",
                    vec![row(serde_json::json!({
                        "family_id": "bench-family", "client_id": spa.client_id,
                        "expires_at": far, "revoked_at": null,
                        "doc": serde_json::to_string(&family).expect("records serialize"),
                        "rotated_at": null, "token_expires_at": far,
                    }))],
                ),
                (
                    "UPDATE refresh_tokens SET rotated_at",
                    vec![row(serde_json::json!({"token_hash": "bench"}))],
                ),
            ],
        };
        let code_form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("client_id", spa.client_id.as_str()),
            ("code", "bench-code-bench-code-bench-code-bench-code-0"),
            ("redirect_uri", SPA_CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .expect("a form of strings")
        .into_bytes();
        let refresh_form = serde_urlencoded::to_string([
            ("grant_type", "refresh_token"),
            ("client_id", spa.client_id.as_str()),
            (
                "refresh_token",
                "bench-refresh-bench-refresh-bench-refresh-0",
            ),
        ])
        .expect("a form of strings")
        .into_bytes();
        (canned, code_form, refresh_form)
    }

    /// The tenant over the fixture's read model and isolate memory, its
    /// system of record the canned one.
    async fn user_grant(&self, body: &[u8]) -> Result<TokenResponse> {
        let world = &self.world;
        crate::Tenant::new(
            &world.store,
            &self.canned,
            &world.crypto,
            &world.clock,
            &world.rng,
            &world.cache,
            &world.config,
        )
        .token(None, FORM, body)
        .await
    }

    /// A code redeemed with PKCE: the client from the read model, the code,
    /// its person and session from the system of record (one round trip,
    /// answered at once here), a refresh token family started, an RS256 ID
    /// token and an EdDSA access token signed.
    pub async fn redeem_code(&self) -> Result<TokenResponse> {
        self.user_grant(&self.code_form).await
    }

    /// A refresh token used: read, rotated, and new tokens signed as for a
    /// redemption.
    pub async fn refresh_token(&self) -> Result<TokenResponse> {
        self.user_grant(&self.refresh_form).await
    }

    /// A whole `client_credentials` grant, as `POST /oauth/token` runs it.
    pub async fn grant(&self, alg: SigningAlg) -> Result<TokenResponse> {
        self.world
            .tenant()
            .token(None, FORM, &self.form[index(alg)])
            .await
    }

    /// The EdDSA grant acting for an organization: one more KV read, of an
    /// entry listing [`MAX_CLIENT_GRANTS_PER_ORGANIZATION`] grants.
    pub async fn grant_for_organization(&self) -> Result<TokenResponse> {
        self.world
            .tenant()
            .token(None, FORM, &self.organization_form)
            .await
    }

    /// The EdDSA grant with one credentials-exchange action bound, which a
    /// runner answers at once with one claim: what the tenant itself spends
    /// on an action (the event, the secret's decryption, the claims, the
    /// execution record), the isolate's own time apart.
    pub async fn grant_with_action(&self) -> Result<TokenResponse> {
        let world = &self.world;
        let tenant = crate::Tenant::new(
            &world.store,
            &world.db,
            &world.crypto,
            &world.clock,
            &world.rng,
            &self.action_cache,
            &world.config,
        )
        .with_runner(&InstantRunner);
        let response = tenant
            .token(None, FORM, &self.form[index(SigningAlg::EdDsa)])
            .await;
        // The execution would be written after the response.
        let _ = tenant.take_deferred();
        response
    }

    /// Signing an access token alone, with the key already loaded.
    pub async fn mint(&self, alg: SigningAlg) -> Result<String> {
        self.world
            .tenant()
            .mint_access_token(AccessTokenGrant {
                client_id: &self.client_id,
                subject: format!("{}@clients", self.client_id),
                audience: Audience::One(audience(alg)),
                scope: &Scope::of_trusted("read:things"),
                gty: Some("client-credentials"),
                lifetime: 86_400,
                alg,
                organization: None,
                custom_claims: Default::default(),
            })
            .await
    }

    /// What an API does with a bearer token (`GET /api/whoami`).
    pub async fn verify(&self, alg: SigningAlg) -> Result<VerifiedAccessToken> {
        self.world
            .tenant()
            .verify_access_token(&self.tokens[index(alg)], Some(&audience(alg)))
            .await
    }

    /// The stored-hash check of a client secret.
    pub fn verify_client_secret(&self) -> bool {
        secret::verify(&self.secret_hash, &self.client_secret)
    }

    pub fn parse_form(&self) -> Result<TokenRequest> {
        TokenRequest::parse(FORM, &self.form[0])
    }

    pub fn parse_json(&self) -> Result<TokenRequest> {
        TokenRequest::parse(JSON, &self.json)
    }

    /// The body and the Basic header of a `client_secret_basic` request.
    pub fn parse_basic(&self) -> Result<ClientAuthentication> {
        let request = TokenRequest::parse(FORM, b"grant_type=client_credentials")?;
        ClientAuthentication::from_request(Some(&self.basic), &request)
    }

    /// Runs `operation` once; false for an unknown name or a failed run.
    pub async fn run(&self, operation: &str) -> bool {
        match operation {
            "grant_eddsa" => self.grant(SigningAlg::EdDsa).await.is_ok(),
            "grant_eddsa_organization" => self.grant_for_organization().await.is_ok(),
            "grant_eddsa_action" => self.grant_with_action().await.is_ok_and(|response| {
                response
                    .access_token
                    .split('.')
                    .nth(1)
                    .is_some_and(|claims| !claims.is_empty())
            }),
            "grant_rs256" => self.grant(SigningAlg::Rs256).await.is_ok(),
            "redeem_code" => self.redeem_code().await.is_ok_and(|response| {
                response.id_token.is_some() && response.refresh_token.is_some()
            }),
            "refresh_token" => self
                .refresh_token()
                .await
                .is_ok_and(|response| response.refresh_token.is_some()),
            "mint_eddsa" => self.mint(SigningAlg::EdDsa).await.is_ok(),
            "mint_rs256" => self.mint(SigningAlg::Rs256).await.is_ok(),
            "verify_eddsa" => self.verify(SigningAlg::EdDsa).await.is_ok(),
            "verify_rs256" => self.verify(SigningAlg::Rs256).await.is_ok(),
            "verify_client_secret" => self.verify_client_secret(),
            "parse_form" => self.parse_form().is_ok(),
            "parse_json" => self.parse_json().is_ok(),
            "parse_basic" => self.parse_basic().is_ok(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{block_on, TestCrypto};

    #[test]
    fn every_benchmarked_operation_succeeds_and_client_credentials_never_queries_a_database() {
        let fixture = block_on(Fixture::new(TestCrypto::default())).expect("fixture");
        for operation in OPERATIONS {
            assert!(block_on(fixture.run(operation)), "{operation} fails");
        }
        assert!(!block_on(fixture.run("no_such_operation")));
        // Only the action's grant runs the action.
        let claims = |response: TokenResponse| {
            let payload = response.access_token.split('.').nth(1).unwrap().to_string();
            String::from_utf8(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .unwrap(),
            )
            .unwrap()
        };
        let plain = claims(block_on(fixture.grant(SigningAlg::EdDsa)).unwrap());
        let with_action = claims(block_on(fixture.grant_with_action()).unwrap());
        assert!(!plain.contains("example.com/plan"), "{plain}");
        assert!(
            with_action.contains("\"https://example.com/plan\":\"gold\""),
            "{with_action}"
        );
        assert_eq!(
            fixture.world.db.attempts(),
            0,
            "the client credentials hot path queried a database"
        );
        // The code flow's ID token is for the SPA, with the sign-in's nonce.
        let redeemed = block_on(fixture.redeem_code()).unwrap();
        let id_token = redeemed.id_token.unwrap();
        let payload = id_token.split('.').nth(1).unwrap();
        let id_claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(id_claims["nonce"], "bench-nonce");
        assert_eq!(
            redeemed.scope.as_deref(),
            Some("openid profile email offline_access read:things")
        );
    }
}
