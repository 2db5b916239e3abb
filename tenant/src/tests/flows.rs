//! Whole flows through the tenant, as a machine-to-machine app and an
//! administrator would run them, on the in-memory store.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{Algorithm, AlgorithmSignature};
use serde_json::{json, Value};
use shared::management::{
    AppType, ClientCreate, ClientGrantCreate, ClientUpdate, ResourceServerCreate,
    ResourceServerScope, ResourceServerUpdate, TenantFlagsUpdate, TenantSettingsUpdate,
};
use shared::token::TokenResponse;

use crate::error::{Error, OAuthErrorCode};
use crate::management::Paging;
use crate::testing::{block_on, World, BOOTSTRAP_ID, BOOTSTRAP_SECRET, ISSUER, NOW};

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
const API: &str = "https://api.example/things";

fn paging() -> Paging {
    Paging::from_query(&[]).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

struct App {
    client_id: String,
    client_secret: String,
}

fn create_api(world: &World, identifier: &str, alg: &str) {
    block_on(world.tenant().create_resource_server(ResourceServerCreate {
        identifier: identifier.into(),
        name: Some("Things".into()),
        scopes: Some(vec![
            ResourceServerScope {
                value: "read:things".into(),
                description: "Read".into(),
            },
            ResourceServerScope {
                value: "write:things".into(),
                description: "Write".into(),
            },
        ]),
        signing_alg: Some(alg.into()),
        token_lifetime: Some(3600),
        ..Default::default()
    }))
    .unwrap();
}

fn create_m2m_app(world: &World, auth_method: Option<&str>) -> App {
    let client = block_on(world.tenant().create_client(ClientCreate {
        name: "Billing worker".into(),
        app_type: Some(AppType::NonInteractive),
        token_endpoint_auth_method: auth_method.map(str::to_string),
        ..Default::default()
    }))
    .unwrap();
    App {
        client_id: client.client_id,
        client_secret: client
            .client_secret
            .expect("confidential clients get a secret"),
    }
}

/// A machine-to-machine app granted `read:things` on an EdDSA API at `API`.
fn granted_app(world: &World) -> App {
    create_api(world, API, "EdDSA");
    let app = create_m2m_app(world, None);
    grant(world, &app, API, &["read:things"]);
    app
}

fn grant(world: &World, app: &App, audience: &str, scope: &[&str]) {
    block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: app.client_id.clone(),
            audience: audience.into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
        },
        &world.admin(),
    ))
    .unwrap();
}

fn request_token(world: &World, app: &App, extra: &[(&str, &str)]) -> Result<TokenResponse, Error> {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
    ];
    pairs.extend_from_slice(extra);
    block_on(world.tenant().token(None, FORM, &form(&pairs)))
}

/// A new app granted `read:things` on the new EdDSA API [`API`], and an
/// access token it got for it.
fn api_token(world: &World) -> (App, String) {
    create_api(world, API, "EdDSA");
    let app = create_m2m_app(world, None);
    grant(world, &app, API, &["read:things"]);
    let token = request_token(world, &app, &[("audience", API)])
        .unwrap()
        .access_token;
    (app, token)
}

fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn assert_oauth_error(
    result: Result<impl std::fmt::Debug, Error>,
    status: u16,
    code: OAuthErrorCode,
) {
    match result {
        Err(Error::OAuth {
            status: s, code: c, ..
        }) if s == status && c == code => {}
        other => panic!("expected {status} {code:?}, got {other:?}"),
    }
}

fn management_token(world: &World) -> String {
    let app = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: BOOTSTRAP_SECRET.into(),
    };
    let audience = format!("{ISSUER}api/v2/");
    request_token(world, &app, &[("audience", &audience)])
        .unwrap()
        .access_token
}

#[test]
fn an_m2m_app_gets_a_token_for_its_api_and_the_api_accepts_it() {
    for alg in ["EdDSA", "RS256"] {
        let world = World::new();
        create_api(&world, API, alg);
        let app = create_m2m_app(&world, None);
        grant(&world, &app, API, &["read:things", "write:things"]);

        let response = request_token(&world, &app, &[("audience", API)]).unwrap();
        assert_eq!(response.token_type, "Bearer");
        assert_eq!(response.expires_in, 3600);
        assert_eq!(response.scope.as_deref(), Some("read:things write:things"));

        let header = decode_part(&response.access_token, 0);
        assert_eq!(header["alg"], alg);
        assert_eq!(header["typ"], "at+jwt");
        let claims = decode_part(&response.access_token, 1);
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["sub"], format!("{}@clients", app.client_id));
        assert_eq!(claims["aud"], API);
        assert_eq!(claims["azp"], app.client_id);
        assert_eq!(claims["client_id"], app.client_id);
        assert_eq!(claims["gty"], "client-credentials");
        assert_eq!(claims["iat"], NOW);
        assert_eq!(claims["exp"], NOW + 3600);
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));

        let jwks = block_on(world.tenant().jwks()).unwrap();
        assert!(jwks
            .keys
            .iter()
            .any(|k| k.kid == header["kid"] && k.alg == alg));

        let verified = block_on(
            world
                .tenant()
                .verify_bearer(Some(&format!("Bearer {}", response.access_token)), None),
        )
        .unwrap();
        assert_eq!(verified.payload, claims);
        assert!(verified.has_scope("write:things"));
    }
}

#[test]
fn an_app_can_ask_for_fewer_scopes_but_not_more() {
    let world = World::new();
    let app = granted_app(&world);

    let response =
        request_token(&world, &app, &[("audience", API), ("scope", "read:things")]).unwrap();
    assert_eq!(response.scope.as_deref(), Some("read:things"));
    assert_oauth_error(
        request_token(
            &world,
            &app,
            &[("audience", API), ("scope", "read:things write:things")],
        ),
        403,
        OAuthErrorCode::AccessDenied,
    );
}

#[test]
fn a_scope_removed_from_the_api_is_no_longer_granted() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things", "write:things"]);
    let api_id = block_on(world.tenant().get_resource_server(API))
        .unwrap()
        .id;
    block_on(world.tenant().update_resource_server(
        &api_id,
        ResourceServerUpdate {
            scopes: Some(vec![ResourceServerScope {
                value: "read:things".into(),
                description: String::new(),
            }]),
            ..Default::default()
        },
    ))
    .unwrap();
    let response = request_token(&world, &app, &[("audience", API)]).unwrap();
    assert_eq!(response.scope.as_deref(), Some("read:things"));
}

#[test]
fn client_authentication_failures_are_invalid_client() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let other = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things"]);

    let wrong = App {
        client_id: app.client_id.clone(),
        client_secret: "x".repeat(64),
    };
    assert_oauth_error(
        request_token(&world, &wrong, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    let swapped = App {
        client_id: app.client_id.clone(),
        client_secret: other.client_secret.clone(),
    };
    assert_oauth_error(
        request_token(&world, &swapped, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    let unknown = App {
        client_id: "A".repeat(32),
        client_secret: app.client_secret.clone(),
    };
    assert_oauth_error(
        request_token(&world, &unknown, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );

    // Registered for client_secret_post: Basic is refused, with a challenge.
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret))
    );
    let body = form(&[("grant_type", "client_credentials"), ("audience", API)]);
    let result = block_on(world.tenant().token(Some(&basic), FORM, &body));
    assert!(matches!(
        result,
        Err(Error::OAuth {
            status: 401,
            code: OAuthErrorCode::InvalidClient,
            challenge: Some(_),
            ..
        })
    ));
}

#[test]
fn a_basic_client_authenticates_with_the_authorization_header() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, Some("client_secret_basic"));
    grant(&world, &app, API, &["read:things"]);
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret))
    );
    let body = form(&[("grant_type", "client_credentials"), ("audience", API)]);
    let response = block_on(world.tenant().token(Some(&basic), FORM, &body)).unwrap();
    assert_eq!(decode_part(&response.access_token, 1)["azp"], app.client_id);
    // The same secret in the body is the wrong method for this client.
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
}

#[test]
fn unknown_audiences_and_missing_grants_are_access_denied() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    assert_oauth_error(
        request_token(&world, &app, &[("audience", "https://nowhere.example")]),
        403,
        OAuthErrorCode::AccessDenied,
    );
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        403,
        OAuthErrorCode::AccessDenied,
    );
    assert_oauth_error(
        request_token(&world, &app, &[]),
        400,
        OAuthErrorCode::InvalidRequest,
    );
    assert_oauth_error(
        request_token(
            &world,
            &app,
            &[("audience", API), ("organization", "org_1")],
        ),
        400,
        OAuthErrorCode::InvalidRequest,
    );
}

#[test]
fn other_grant_types_are_unsupported() {
    let world = World::new();
    let body = form(&[
        ("grant_type", "password"),
        ("username", "a"),
        ("password", "b"),
    ]);
    assert_oauth_error(
        block_on(world.tenant().token(None, FORM, &body)),
        400,
        OAuthErrorCode::UnsupportedGrantType,
    );
    assert_oauth_error(
        block_on(world.tenant().token(None, FORM, b"")),
        400,
        OAuthErrorCode::InvalidRequest,
    );
}

/// The KV budget of the token endpoint: a warm `client_credentials` grant
/// reads the client and its grant, and nothing else (the API's settings and
/// the signing keys come from isolate memory), writes nothing, lists nothing,
/// whatever the auth method or algorithm and however many clients and grants
/// the tenant holds. Workers KV bills and limits every operation.
#[test]
fn a_warm_grant_reads_two_keys_and_writes_nothing_in_a_tenant_of_10_000_clients() {
    const RS256_API: &str = "https://rs256.example.com/";
    const OTHER_CLIENTS: usize = 10_000;
    let mut world = World::new();
    create_api(&world, API, "EdDSA");
    create_api(&world, RS256_API, "RS256");
    let post = create_m2m_app(&world, None);
    let basic = create_m2m_app(&world, Some("client_secret_basic"));
    for app in [&post, &basic] {
        grant(&world, app, API, &["read:things"]);
        grant(&world, app, RS256_API, &["read:things"]);
    }
    let grant_as = |world: &World, app: &App, audience: &str| {
        let body = [("grant_type", "client_credentials"), ("audience", audience)];
        let response = if std::ptr::eq(app, &basic) {
            let header = format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", app.client_id, app.client_secret))
            );
            block_on(world.tenant().token(Some(&header), FORM, &form(&body)))
        } else {
            request_token(world, app, &body[1..])
        };
        assert_eq!(response.unwrap().token_type, "Bearer");
    };
    // (counts, keys) of a cold then a warm grant, for every combination.
    let measure = |world: &mut World| {
        let mut measured = Vec::new();
        for app in [&post, &basic] {
            for audience in [API, RS256_API] {
                world.cold_isolate();
                world.store.reset_counts();
                grant_as(world, app, audience);
                let cold = world.store.counts();
                world.store.reset_counts();
                grant_as(world, app, audience);
                let warm = world.store.counts();
                assert_eq!(
                    world.store.keys_read(),
                    crate::oauth::token::warm_grant_reads(&app.client_id, audience),
                    "a warm grant reads the client, then its grant"
                );
                assert_eq!(
                    (warm.reads, warm.writes, warm.deletes, warm.lists),
                    (2, 0, 0, 0),
                    "{audience}: {warm:?}"
                );
                measured.push((cold, warm));
            }
        }
        measured
    };

    // The first grants create the signing keys; measure once they exist.
    measure(&mut world);
    let small = measure(&mut world);
    for i in 0..OTHER_CLIENTS {
        let other = create_m2m_app(&world, None);
        let audience = if i % 2 == 0 { API } else { RS256_API };
        grant(&world, &other, audience, &["read:things"]);
    }
    assert_eq!(
        measure(&mut world),
        small,
        "the number of operations does not grow with the tenant"
    );
}

#[test]
fn isolates_share_keys_through_the_store() {
    let mut world = World::new();
    create_api(&world, API, "RS256");
    let app = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things"]);
    let first = request_token(&world, &app, &[("audience", API)]).unwrap();
    world.cold_isolate();
    let second = request_token(&world, &app, &[("audience", API)]).unwrap();
    assert_eq!(
        decode_part(&first.access_token, 0)["kid"],
        decode_part(&second.access_token, 0)["kid"]
    );
    let jwks = block_on(world.tenant().jwks()).unwrap();
    assert_eq!(jwks.keys.len(), 2, "one key per algorithm");
    for key in &jwks.keys {
        let json = serde_json::to_value(key).unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(json.get(private).is_none(), "{private} published");
        }
    }
}

#[test]
fn forged_and_stale_tokens_are_refused() {
    let world = World::new();
    let (_, token) = api_token(&world);
    let header = decode_part(&token, 0);
    let claims = decode_part(&token, 1);
    let signature = token.rsplit('.').next().unwrap();
    let verify = |token: &str| block_on(world.tenant().verify_access_token(token, None));

    // alg "none" with no signature.
    let mut none = header.clone();
    none["alg"] = json!("none");
    let forged = format!("{}.{}.", encode_part(&none), encode_part(&claims));
    assert!(verify(&forged).is_err());

    // HS256 keyed with the public key (algorithm confusion).
    let jwks = block_on(world.tenant().jwks()).unwrap();
    let public = jwks.keys.iter().find(|k| k.kid == header["kid"]).unwrap();
    let mut hs = header.clone();
    hs["alg"] = json!("HS256");
    let input = format!("{}.{}", encode_part(&hs), encode_part(&claims));
    let key = Hs256Key::new(serde_json::to_vec(public).unwrap());
    let mac = Hs256.sign(&key, input.as_bytes());
    assert!(verify(&format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.as_bytes())
    ))
    .is_err());

    // A modified payload under the original signature.
    let mut tampered = claims.clone();
    tampered["scope"] = json!("read:things write:things");
    assert!(verify(&format!(
        "{}.{}.{signature}",
        encode_part(&header),
        encode_part(&tampered)
    ))
    .is_err());

    // An unknown kid.
    let mut unknown = header.clone();
    unknown["kid"] = json!("nope");
    assert!(verify(&format!(
        "{}.{}.{signature}",
        encode_part(&unknown),
        encode_part(&claims)
    ))
    .is_err());

    // Another audience, and the Management API's audience check.
    assert!(block_on(
        world
            .tenant()
            .verify_access_token(&token, Some("https://other.example"))
    )
    .is_err());
    let mgmt = block_on(
        world
            .tenant()
            .authorize_management(Some(&format!("Bearer {token}")), "read:clients"),
    );
    assert!(matches!(mgmt, Err(Error::Management { status: 401, .. })));

    // Oversized and malformed.
    assert!(verify(&"a".repeat(10_000)).is_err());
    assert!(verify("a.b").is_err());

    // Still valid one second before expiry, refused at expiry.
    world.clock.advance(3599);
    assert!(verify(&token).is_ok());
    world.clock.advance(1);
    assert!(matches!(
        verify(&token),
        Err(Error::OAuth {
            code: OAuthErrorCode::InvalidToken,
            ..
        })
    ));
}

#[test]
fn a_token_signed_by_the_tenant_but_not_valid_yet_is_refused_until_its_nbf() {
    let world = World::new();
    let (_, token) = api_token(&world);
    // The tenant never sets `nbf`; a token that has one (another issuer's
    // software, a future version) is honoured. Signed with the real key.
    let mut claims = decode_part(&token, 1);
    claims["nbf"] = json!(NOW + 60);
    let tenant = world.tenant();
    let key = block_on(tenant.signing_key(crate::jose::keys::SigningAlg::EdDsa)).unwrap();
    let early = block_on(tenant.encode_jws(&key, "at+jwt", &claims)).unwrap();
    let refused = block_on(tenant.verify_access_token(&early, None));
    assert!(
        matches!(&refused, Err(Error::OAuth { description, .. }) if description.contains("not valid yet")),
        "{refused:?}"
    );
    world.clock.advance(60);
    assert!(block_on(world.tenant().verify_access_token(&early, None)).is_ok());
}

#[test]
fn a_token_signed_by_the_tenant_is_refused_for_its_claims_alone() {
    let world = World::new();
    let (_, token) = api_token(&world);
    let genuine = decode_part(&token, 1);
    let tenant = world.tenant();
    let key = block_on(tenant.signing_key(crate::jose::keys::SigningAlg::EdDsa)).unwrap();
    // Each signed with the real key, so only the claim check can refuse it.
    type Change = fn(&mut Value);
    let cases: [(&str, Change, &str); 5] = [
        (
            "another issuer",
            |c| c["iss"] = json!("https://other.example.com/"),
            "issued by another issuer",
        ),
        (
            "the issuer without its slash",
            |c| c["iss"] = json!(ISSUER.trim_end_matches('/')),
            "issued by another issuer",
        ),
        (
            "no exp",
            |c| {
                c.as_object_mut().unwrap().remove("exp");
            },
            "has expired",
        ),
        ("exp now", |c| c["exp"] = json!(NOW), "has expired"),
        (
            "another audience",
            |c| c["aud"] = json!("https://other-api.example.com/"),
            "not for the audience",
        ),
    ];
    for (what, change, refusal) in cases {
        let mut claims = genuine.clone();
        change(&mut claims);
        let forged = block_on(tenant.encode_jws(&key, "at+jwt", &claims)).unwrap();
        let refused = block_on(tenant.verify_access_token(&forged, Some(API)));
        assert!(
            matches!(&refused, Err(Error::OAuth { code: OAuthErrorCode::InvalidToken, description, .. }) if description.contains(refusal)),
            "{what}: {refused:?}"
        );
    }
    let same = block_on(tenant.encode_jws(&key, "at+jwt", &genuine)).unwrap();
    assert!(
        block_on(tenant.verify_access_token(&same, Some(API))).is_ok(),
        "the genuine claims, signed again, are accepted"
    );
}

#[test]
fn a_token_from_another_tenant_is_refused() {
    let ours = World::new();
    let theirs = World::new();
    create_api(&ours, API, "EdDSA");
    let (_, token) = api_token(&theirs);
    block_on(ours.tenant().jwks()).unwrap();
    assert!(block_on(ours.tenant().verify_access_token(&token, None)).is_err());
}

#[test]
fn the_api_pins_its_algorithm() {
    let world = World::new();
    let (app, token) = api_token(&world);
    let api_id = block_on(world.tenant().get_resource_server(API))
        .unwrap()
        .id;
    block_on(world.tenant().update_resource_server(
        &api_id,
        ResourceServerUpdate {
            signing_alg: Some("RS256".into()),
            ..Default::default()
        },
    ))
    .unwrap();
    assert!(block_on(world.tenant().verify_access_token(&token, None)).is_err());
    let token = request_token(&world, &app, &[("audience", API)])
        .unwrap()
        .access_token;
    assert_eq!(decode_part(&token, 0)["alg"], "RS256");
    assert!(block_on(world.tenant().verify_access_token(&token, None)).is_ok());
}

/// A new M2M app granted `read:clients` on the Management API, and the
/// `Authorization` header of a token it got, checked to work.
fn management_reader(world: &World) -> (String, String) {
    let management = format!("{ISSUER}api/v2/");
    let app = create_m2m_app(world, None);
    grant(world, &app, &management, &["read:clients"]);
    let token = request_token(world, &app, &[("audience", &management)])
        .unwrap()
        .access_token;
    let bearer = format!("Bearer {token}");
    assert!(block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "read:clients")
    )
    .is_ok());
    (app.client_id, bearer)
}

#[test]
fn the_management_api_checks_each_scope() {
    let world = World::new();
    let admin = management_token(&world);
    let bearer = format!("Bearer {admin}");
    for (scope, _) in crate::management::SCOPES {
        assert!(block_on(world.tenant().authorize_management(Some(&bearer), scope)).is_ok());
    }

    let (_, bearer) = management_reader(&world);
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "create:clients"),
    );
    assert!(matches!(
        refused,
        Err(Error::Management {
            status: 403,
            error_code: "insufficient_scope",
            ..
        })
    ));
    let missing = block_on(world.tenant().authorize_management(None, "read:clients"));
    assert!(matches!(
        missing,
        Err(Error::Management { status: 401, .. })
    ));
}

#[test]
fn a_management_token_dies_with_its_clients_first_party_status_or_the_client() {
    let world = World::new();
    let (made_third_party, bearer) = &management_reader(&world);
    block_on(world.tenant().update_client(
        made_third_party,
        shared::management::ClientUpdate {
            is_first_party: Some(false),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(bearer), "read:clients"),
    );
    assert!(
        matches!(&refused, Err(Error::Management { status: 401, message, .. }) if message.contains("Third-party")),
        "{refused:?}"
    );

    let (deleted, bearer) = &management_reader(&world);
    block_on(world.tenant().delete_client(deleted)).unwrap();
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(bearer), "read:clients"),
    );
    assert!(
        matches!(&refused, Err(Error::Management { status: 401, message, .. }) if message.contains("no longer exists")),
        "{refused:?}"
    );
}

#[test]
fn the_bootstrap_client_only_reaches_the_management_api() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let bootstrap = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: BOOTSTRAP_SECRET.into(),
    };
    assert_oauth_error(
        request_token(&world, &bootstrap, &[("audience", API)]),
        403,
        OAuthErrorCode::AccessDenied,
    );
    let wrong = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: "wrong".into(),
    };
    let audience = format!("{ISSUER}api/v2/");
    assert_oauth_error(
        request_token(&world, &wrong, &[("audience", &audience)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
}

#[test]
fn deleting_a_client_deletes_its_grants_and_its_access() {
    let world = World::new();
    let app = granted_app(&world);
    block_on(world.tenant().delete_client(&app.client_id)).unwrap();
    let grants = block_on(
        world
            .tenant()
            .list_client_grants(paging(), Some(&app.client_id), None),
    )
    .unwrap();
    assert!(grants.items.is_empty());
    assert!(world
        .store
        .snapshot()
        .keys()
        .all(|k| !k.contains("client_grant")));
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
}

#[test]
fn deleting_an_api_deletes_the_grants_to_it() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    create_api(&world, "https://api.example/other", "EdDSA");
    let app = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things"]);
    grant(&world, &app, "https://api.example/other", &["read:things"]);
    let api_id = block_on(world.tenant().get_resource_server(API))
        .unwrap()
        .id;
    block_on(world.tenant().delete_resource_server(&api_id)).unwrap();
    let grants = block_on(
        world
            .tenant()
            .list_client_grants(paging(), Some(&app.client_id), None),
    )
    .unwrap();
    assert_eq!(grants.items.len(), 1);
    assert_eq!(grants.items[0].audience, "https://api.example/other");
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        403,
        OAuthErrorCode::AccessDenied,
    );
}

#[test]
fn rejected_management_requests_write_nothing() {
    let world = World::new();
    let app = granted_app(&world);
    let admin = world.admin();
    let before = world.store.snapshot();
    let tenant = world.tenant();
    let attempts: Vec<Result<(), Error>> = vec![
        block_on(tenant.create_client(ClientCreate {
            name: String::new(),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_client(ClientCreate {
            name: "spa".into(),
            token_endpoint_auth_method: Some("none".into()),
            grant_types: Some(vec!["client_credentials".into()]),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_client(ClientCreate {
            name: "x".into(),
            callbacks: Some(vec!["not a url".into()]),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.update_client(
            &app.client_id,
            ClientUpdate {
                grant_types: Some(vec!["password".into()]),
                ..Default::default()
            },
            true,
        ))
        .map(drop),
        block_on(tenant.create_resource_server(ResourceServerCreate {
            identifier: API.into(),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_resource_server(ResourceServerCreate {
            identifier: "https://new.example".into(),
            signing_alg: Some("HS256".into()),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_client_grant(
            ClientGrantCreate {
                client_id: app.client_id.clone(),
                audience: API.into(),
                scope: vec!["read:things".into()],
            },
            &admin,
        ))
        .map(drop),
        block_on(tenant.create_client_grant(
            ClientGrantCreate {
                client_id: app.client_id.clone(),
                audience: "https://api.example/none".into(),
                scope: vec![],
            },
            &admin,
        ))
        .map(drop),
        block_on(tenant.update_resource_server(
            crate::management::resource_servers::MANAGEMENT_API_ID,
            ResourceServerUpdate {
                name: Some("mine".into()),
                ..Default::default()
            },
        ))
        .map(drop),
    ];
    for (index, attempt) in attempts.into_iter().enumerate() {
        let err = attempt.expect_err(&format!("attempt {index} should fail"));
        assert!((400..500).contains(&err.status()), "attempt {index}: {err}");
    }
    assert_eq!(world.store.snapshot(), before);
}

#[test]
fn a_failing_store_is_unavailable_not_a_panic() {
    let world = World::new();
    let app = granted_app(&world);
    world.store.set_failing(true);
    let result = request_token(&world, &app, &[("audience", API)]);
    assert!(matches!(result, Err(Error::Unavailable(_))));
    assert!(matches!(
        block_on(world.tenant().list_clients(paging())),
        Err(Error::Unavailable(_))
    ));
}

#[test]
fn listings_page_through_every_item_once() {
    let world = World::new();
    let mut created: Vec<String> = (0..7)
        .map(|_| create_m2m_app(&world, None).client_id)
        .collect();
    created.sort();
    let mut seen = Vec::new();
    for page in 0..4 {
        let paging = Paging::from_query(&[
            ("page".into(), page.to_string()),
            ("per_page".into(), "2".into()),
            ("include_totals".into(), "true".into()),
        ])
        .unwrap();
        let listing = block_on(world.tenant().list_clients(paging)).unwrap();
        assert_eq!(listing.total, 7);
        seen.extend(listing.items.into_iter().map(|c| c.client_id));
    }
    seen.sort();
    assert_eq!(seen, created);
}

#[test]
fn secrets_are_shown_once_and_stored_hashed() {
    let world = World::new();
    let app = create_m2m_app(&world, None);
    let stored = serde_json::to_string(&world.store.snapshot()).unwrap();
    assert!(!stored.contains(&app.client_secret));
    let fetched = block_on(world.tenant().get_client(&app.client_id)).unwrap();
    assert_eq!(fetched.client_secret, None);
}

fn enable_registration(world: &World) {
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        flags: Some(TenantFlagsUpdate {
            enable_dynamic_client_registration: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .unwrap();
}

fn rotate(world: &World, app: &App, grace: Option<u64>) -> App {
    let client = block_on(world.tenant().rotate_client_secret(&app.client_id, grace)).unwrap();
    App {
        client_id: client.client_id,
        client_secret: client
            .client_secret
            .expect("a rotation returns the new secret"),
    }
}

#[test]
fn a_rotation_without_grace_retires_the_old_secret_at_once() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let old = create_m2m_app(&world, None);
    grant(&world, &old, API, &["read:things"]);
    let new = rotate(&world, &old, None);
    assert_ne!(new.client_secret, old.client_secret);
    assert!(request_token(&world, &new, &[("audience", API)]).is_ok());
    assert_oauth_error(
        request_token(&world, &old, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    let client = block_on(world.tenant().get_client(&old.client_id)).unwrap();
    assert_eq!(client.previous_client_secret_expires_at, None);
}

#[test]
fn the_old_secret_works_through_its_grace_period_and_not_after() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let old = create_m2m_app(&world, None);
    grant(&world, &old, API, &["read:things"]);
    let new = rotate(&world, &old, Some(600));
    let client = block_on(world.tenant().get_client(&old.client_id)).unwrap();
    assert_eq!(
        client.previous_client_secret_expires_at.as_deref(),
        Some(crate::seams::clock::rfc3339(NOW + 600).as_str())
    );
    world.clock.advance(599);
    assert!(request_token(&world, &old, &[("audience", API)]).is_ok());
    assert!(request_token(&world, &new, &[("audience", API)]).is_ok());
    world.clock.advance(1);
    assert_oauth_error(
        request_token(&world, &old, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    assert!(request_token(&world, &new, &[("audience", API)]).is_ok());
}

#[test]
fn the_tenant_default_grace_applies_and_can_be_revoked_early() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        client_secret_rotation_grace_period: Some(3600),
        ..Default::default()
    }))
    .unwrap();
    let old = create_m2m_app(&world, None);
    grant(&world, &old, API, &["read:things"]);
    rotate(&world, &old, None);
    assert!(request_token(&world, &old, &[("audience", API)]).is_ok());
    block_on(world.tenant().revoke_previous_client_secret(&old.client_id)).unwrap();
    assert_oauth_error(
        request_token(&world, &old, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    assert!(block_on(
        world
            .tenant()
            .rotate_client_secret(&old.client_id, Some(8 * 24 * 3600))
    )
    .is_err());
}

#[test]
fn a_custom_secret_needs_update_client_keys_and_32_printable_characters() {
    let world = World::new();
    let app = granted_app(&world);
    let custom = "my-own-very-long-secret-0123456789-abcdef".to_string();
    let update = |secret: &str, may: bool| {
        block_on(world.tenant().update_client(
            &app.client_id,
            ClientUpdate {
                client_secret: Some(secret.to_string()),
                ..Default::default()
            },
            may,
        ))
    };
    assert!(matches!(
        update(&custom, false),
        Err(Error::Management { status: 403, .. })
    ));
    assert!(matches!(
        update("too-short", true),
        Err(Error::Management { status: 400, .. })
    ));
    assert!(matches!(
        update("with spaces with spaces with spaces with spaces", true),
        Err(Error::Management { status: 400, .. })
    ));
    let client = update(&custom, true).unwrap();
    assert_eq!(client.client_secret, None, "a custom secret is not echoed");
    let with_custom = App {
        client_id: app.client_id.clone(),
        client_secret: custom,
    };
    assert!(request_token(&world, &with_custom, &[("audience", API)]).is_ok());
    assert!(request_token(&world, &app, &[("audience", API)]).is_err());
}

#[test]
fn tenant_settings_merge_and_registration_is_off_by_default() {
    let world = World::new();
    let settings = block_on(world.tenant().get_tenant_settings()).unwrap();
    assert!(!settings.flags.enable_dynamic_client_registration);
    assert_eq!(settings.client_secret_rotation_grace_period, 0);
    let refused = block_on(
        world
            .tenant()
            .register_client(br#"{"redirect_uris":["https://a.example/cb"]}"#),
    );
    assert!(matches!(
        refused,
        Err(Error::OAuth {
            status: 403,
            code: OAuthErrorCode::AccessDenied,
            ..
        })
    ));
    assert!(world
        .store
        .snapshot()
        .keys()
        .all(|k| !k.starts_with("client/")));

    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        friendly_name: Some("Acme".into()),
        ..Default::default()
    }))
    .unwrap();
    enable_registration(&world);
    let settings = block_on(world.tenant().get_tenant_settings()).unwrap();
    assert_eq!(settings.friendly_name, "Acme");
    assert!(settings.flags.enable_dynamic_client_registration);
}

#[test]
fn a_registered_client_is_third_party_and_manages_only_its_own_registration() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    enable_registration(&world);
    let info = block_on(world.tenant().register_client(
        br#"{"client_name":"My Dynamic Application","redirect_uris":["https://application.example.com/callback"]}"#,
    ))
    .unwrap();
    assert_eq!(info.client_secret_expires_at, Some(0));
    assert_eq!(
        info.registration_client_uri,
        format!("{ISSUER}oidc/register/{}", info.client_id)
    );
    let token = info.registration_access_token.clone().unwrap();
    let app = App {
        client_id: info.client_id.clone(),
        client_secret: info.client_secret.clone().unwrap(),
    };
    let client = block_on(world.tenant().get_client(&app.client_id)).unwrap();
    assert!(!client.is_first_party);

    // An admin authorizes it for an API; it can never reach the Management API.
    grant(&world, &app, API, &["read:things"]);
    assert!(request_token(&world, &app, &[("audience", API)]).is_ok());
    let mgmt_grant = block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: app.client_id.clone(),
            audience: format!("{ISSUER}api/v2/"),
            scope: vec!["read:clients".into()],
        },
        &world.admin(),
    ));
    assert!(matches!(
        mgmt_grant,
        Err(Error::Management { status: 403, .. })
    ));

    // RFC 7592 with its registration access token, and only with it.
    let bearer = format!("Bearer {token}");
    let read = block_on(
        world
            .tenant()
            .read_registration(&app.client_id, Some(&bearer)),
    )
    .unwrap();
    assert_eq!(read.client_name, "My Dynamic Application");
    assert_eq!(read.client_secret, None);
    for wrong in [
        None,
        Some("Bearer nope".to_string()),
        Some(format!("Bearer {}", app.client_secret)),
    ] {
        let result = block_on(
            world
                .tenant()
                .read_registration(&app.client_id, wrong.as_deref()),
        );
        assert!(
            matches!(result, Err(Error::OAuth { status: 401, .. })),
            "{wrong:?}"
        );
    }
    let other = block_on(
        world
            .tenant()
            .register_client(br#"{"redirect_uris":["https://b.example/cb"]}"#),
    )
    .unwrap();
    let cross = block_on(
        world
            .tenant()
            .read_registration(&other.client_id, Some(&bearer)),
    );
    assert!(matches!(cross, Err(Error::OAuth { status: 401, .. })));

    let body = serde_json::json!({
        "client_id": app.client_id,
        "client_name": "Renamed",
        "redirect_uris": ["https://application.example.com/new"],
    });
    let updated = block_on(world.tenant().update_registration(
        &app.client_id,
        Some(&bearer),
        body.to_string().as_bytes(),
    ))
    .unwrap();
    assert_eq!(updated.client_name, "Renamed");
    assert_eq!(
        updated.redirect_uris,
        vec!["https://application.example.com/new"]
    );
    assert!(
        request_token(&world, &app, &[("audience", API)]).is_ok(),
        "the secret is kept"
    );
    let bad = serde_json::json!({"client_id": app.client_id, "redirect_uris": ["http://evil.example/cb"]});
    assert!(block_on(world.tenant().update_registration(
        &app.client_id,
        Some(&bearer),
        bad.to_string().as_bytes()
    ))
    .is_err());

    block_on(
        world
            .tenant()
            .delete_registration(&app.client_id, Some(&bearer)),
    )
    .unwrap();
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    let gone = block_on(
        world
            .tenant()
            .read_registration(&app.client_id, Some(&bearer)),
    );
    assert!(matches!(gone, Err(Error::OAuth { status: 401, .. })));
}

/// A fixed-window counter like the Workers binding: `limit` events per key.
struct CountingLimit {
    limit: u32,
    counts: std::cell::RefCell<std::collections::HashMap<String, u32>>,
}

impl CountingLimit {
    fn new(limit: u32) -> Self {
        Self {
            limit,
            counts: Default::default(),
        }
    }

    fn counted(&self) -> u32 {
        self.counts.borrow().values().sum()
    }

    /// The window ends.
    fn reset(&self) {
        self.counts.borrow_mut().clear();
    }
}

impl crate::throttle::RateLimit for CountingLimit {
    async fn allow(&self, key: &str) -> crate::Result<bool> {
        let mut counts = self.counts.borrow_mut();
        let count = counts.entry(key.to_string()).or_default();
        *count += 1;
        Ok(*count <= self.limit)
    }
}

fn from_ip<'w>(
    world: &'w World,
    ip: &str,
) -> crate::Tenant<'w, crate::seams::store::MemoryStore, crate::testing::TestCrypto> {
    world.tenant().with_caller(crate::Caller {
        ip: Some(ip.into()),
        user_agent: Some("attack-tool/1.0".into()),
    })
}

fn throttled_token(
    world: &World,
    ip: &str,
    limits: &crate::throttle::ClientAuthLimits<'_, CountingLimit>,
    client_id: &str,
    client_secret: &str,
) -> Result<TokenResponse, Error> {
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("audience", API),
    ]);
    block_on(from_ip(world, ip).token_throttled(None, FORM, &body, limits))
}

#[test]
fn failed_client_authentication_is_throttled_per_client_and_address_without_locking_out_other_addresses(
) {
    let world = World::new();
    let app = granted_app(&world);
    let (per_client, per_ip) = (CountingLimit::new(3), CountingLimit::new(100));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    let wrong = format!("{}x", app.client_secret);

    for _ in 0..3 {
        assert_oauth_error(
            throttled_token(&world, "203.0.113.7", &limits, &app.client_id, &wrong),
            401,
            OAuthErrorCode::InvalidClient,
        );
    }
    let throttled = throttled_token(&world, "203.0.113.7", &limits, &app.client_id, &wrong);
    assert_oauth_error(throttled.clone(), 429, OAuthErrorCode::TooManyRequests);
    let wire = throttled.unwrap_err().to_wire(crate::Family::OAuth);
    assert!(wire.headers.iter().any(|(name, _)| *name == "Retry-After"));

    // The attacker's address learns nothing more, even with the right
    // secret: it is refused before any secret is checked.
    let counted = per_client.counted();
    assert_oauth_error(
        throttled_token(
            &world,
            "203.0.113.7",
            &limits,
            &app.client_id,
            &app.client_secret,
        ),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    assert_eq!(
        per_client.counted(),
        counted,
        "a refused request is not counted again"
    );
    // The client itself, from its own address, is not locked out.
    throttled_token(
        &world,
        "198.51.100.1",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("the legitimate client on another address gets its token");

    // One `limit_mu` event for the burst, naming the client and address,
    // holding no secret.
    let events = world.audit_log();
    let bursts: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "limit_mu")
        .collect();
    assert_eq!(bursts.len(), 1, "{events:?}");
    assert_eq!(bursts[0].client_id.as_deref(), Some(app.client_id.as_str()));
    assert_eq!(bursts[0].ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(bursts[0].user_agent.as_deref(), Some("attack-tool/1.0"));
    let raw = serde_json::to_string(&events).unwrap();
    assert!(
        !raw.contains(&app.client_secret),
        "no secret in the log: {raw}"
    );

    // After the window, the address may try again.
    world.clock.advance(crate::throttle::WINDOW_SECONDS);
    per_client.reset();
    throttled_token(
        &world,
        "203.0.113.7",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("the throttle lifts after its window");
}

#[test]
fn a_burst_of_swapped_credentials_does_not_write_the_secret_to_the_log() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let (per_client, per_ip) = (CountingLimit::new(2), CountingLimit::new(100));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    // The secret sent as the id, as a client with its settings mixed up does.
    for _ in 0..3 {
        let _ = throttled_token(
            &world,
            "203.0.113.8",
            &limits,
            &app.client_secret,
            &app.client_id,
        );
    }
    let events = world.audit_log();
    let burst = events
        .iter()
        .find(|e| e.event_type == "limit_mu")
        .expect("the burst is logged");
    assert_eq!(burst.client_id, None);
    assert_eq!(burst.details.target.as_ref().unwrap().id, None);
    let raw = serde_json::to_string(&events).unwrap();
    assert!(!raw.contains(&app.client_secret), "{raw}");
}

fn client_keys(world: &World) -> usize {
    world
        .store
        .snapshot()
        .keys()
        .filter(|k| k.starts_with("client/"))
        .count()
}

fn events_of_type<'e>(
    events: &'e [shared::logs::LogEvent],
    event_type: &str,
) -> Vec<&'e shared::logs::LogEvent> {
    events
        .iter()
        .filter(|e| e.event_type == event_type)
        .collect()
}

#[test]
fn a_registration_flood_from_one_address_is_refused_writes_no_client_and_is_logged_once_a_window() {
    let world = World::new();
    enable_registration(&world);
    let per_ip = CountingLimit::new(3);
    let register = |ip: &str| {
        let tenant = from_ip(&world, ip);
        block_on(async {
            tenant.admit_registration(&per_ip).await?;
            tenant
                .register_client(br#"{"redirect_uris":["https://a.example/cb"]}"#)
                .await
        })
    };
    for _ in 0..3 {
        register("203.0.113.9").expect("within the limit");
    }
    let clients = client_keys(&world);
    for _ in 0..5 {
        assert_oauth_error(
            register("203.0.113.9"),
            429,
            OAuthErrorCode::TooManyRequests,
        );
    }
    assert_eq!(
        client_keys(&world),
        clients,
        "a refused registration writes no client"
    );
    register("198.51.100.2").expect("another address is not throttled");

    let events = world.audit_log();
    let floods = events_of_type(&events, "limit_mu");
    assert_eq!(floods.len(), 1, "one event for the burst: {events:?}");
    assert_eq!(floods[0].ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(floods[0].client_id, None);
    assert!(floods[0]
        .details
        .reason
        .as_deref()
        .is_some_and(|reason| reason.contains("registrations")));

    // The next window's burst is logged again.
    world.clock.advance(crate::throttle::WINDOW_SECONDS);
    per_ip.reset();
    for _ in 0..4 {
        let _ = register("203.0.113.9");
    }
    assert_eq!(events_of_type(&world.audit_log(), "limit_mu").len(), 2);
}

#[test]
fn sign_in_attempts_are_throttled_per_address_and_per_account_from_one_address() {
    let world = World::new();
    let client_id = create_m2m_app(&world, None).client_id;
    let (per_ip, per_account) = (CountingLimit::new(5), CountingLimit::new(2));
    let limits = crate::throttle::LoginLimits {
        per_ip: &per_ip,
        per_account: &per_account,
    };
    let admit = |ip: &str, email: &str| {
        block_on(from_ip(&world, ip).admit_login(Some(&client_id), email, &limits)).unwrap()
    };
    let attacker = "203.0.113.10";
    // One account is tried under three spellings of its email.
    assert!(admit(attacker, "Ada@Example.com"));
    assert!(admit(attacker, " ada@example.com"));
    assert!(
        !admit(attacker, "ADA@example.com"),
        "the account, from there"
    );
    // The person signs in from their own address; the attacker's address
    // may still try other accounts, up to its own limit.
    assert!(admit("198.51.100.3", "ada@example.com"));
    assert!(admit(attacker, "grace@example.com"));
    assert!(admit(attacker, "alan@example.com"));
    let per_account_counted = per_account.counted();
    assert!(!admit(attacker, "edsger@example.com"), "the address");
    assert!(!admit(attacker, "barbara@example.com"));
    assert!(!admit(attacker, "ada@example.com"));
    assert_eq!(
        per_account.counted(),
        per_account_counted,
        "no account is counted once the address is over its limit"
    );

    // Sign-in throttling is not client-authentication throttling: a client
    // at the same address still gets its token.
    let app = granted_app(&world);
    let (auth_per_client, auth_per_ip) = (CountingLimit::new(3), CountingLimit::new(3));
    let auth_limits = crate::throttle::ClientAuthLimits {
        per_client: &auth_per_client,
        per_ip: &auth_per_ip,
    };
    throttled_token(
        &world,
        attacker,
        &auth_limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("a client at a throttled sign-in address");

    let events = world.audit_log();
    let account = events_of_type(&events, "limit_wc");
    assert_eq!(account.len(), 1, "{events:?}");
    assert_eq!(account[0].ip.as_deref(), Some(attacker));
    assert_eq!(account[0].user_name.as_deref(), Some("ada@example.com"));
    assert_eq!(account[0].client_id.as_deref(), Some(client_id.as_str()));
    let address = events_of_type(&events, "limit_mu");
    assert_eq!(address.len(), 1, "one event for the burst: {events:?}");
    assert_eq!(address[0].ip.as_deref(), Some(attacker));
    assert_eq!(
        address[0].user_name, None,
        "the address's event names no account"
    );
}

/// A limiter that cannot answer for keys starting with its prefix, and
/// allows everything else.
struct BrokenLimit(&'static str);

impl crate::throttle::RateLimit for BrokenLimit {
    async fn allow(&self, key: &str) -> crate::Result<bool> {
        if key.starts_with(self.0) {
            return Err(Error::unavailable("the rate limiter is down"));
        }
        Ok(true)
    }
}

#[test]
fn a_limiter_that_cannot_answer_admits_no_sign_in_and_no_registration() {
    let world = World::new();
    enable_registration(&world);
    for broken in ["login_ip:", "login_account:"] {
        let limit = BrokenLimit(broken);
        let limits = crate::throttle::LoginLimits {
            per_ip: &limit,
            per_account: &limit,
        };
        let admitted = block_on(world.tenant().admit_login(None, "ada@example.com", &limits));
        assert!(admitted.is_err(), "{broken}: {admitted:?}");
    }
    assert!(block_on(world.tenant().admit_registration(&BrokenLimit("register:"))).is_err());
    assert!(
        world.audit_log().is_empty(),
        "nothing was refused or logged"
    );
}

#[test]
fn a_throttled_sign_in_logs_neither_a_password_typed_as_the_email_nor_a_malformed_client_id() {
    let world = World::new();
    let (per_ip, per_account) = (CountingLimit::new(100), CountingLimit::new(1));
    let limits = crate::throttle::LoginLimits {
        per_ip: &per_ip,
        per_account: &per_account,
    };
    let typed = "hunter2-is-my-password";
    let sent_client_id = "not a client id, maybe a secret";
    for _ in 0..3 {
        let _ = block_on(
            world
                .tenant()
                .admit_login(Some(sent_client_id), typed, &limits),
        );
    }
    let events = world.audit_log();
    let account = events_of_type(&events, "limit_wc");
    assert_eq!(account.len(), 1, "{events:?}");
    assert_eq!(account[0].user_name, None);
    assert_eq!(account[0].client_id, None);
    let raw = serde_json::to_string(&events).unwrap();
    assert!(
        !raw.contains(typed) && !raw.contains(sent_client_id),
        "{raw}"
    );
}

#[test]
fn failures_from_one_address_are_throttled_across_client_ids_and_successes_are_never_counted() {
    let world = World::new();
    let app = granted_app(&world);
    let (per_client, per_ip) = (CountingLimit::new(100), CountingLimit::new(5));
    let limits = crate::throttle::ClientAuthLimits {
        per_client: &per_client,
        per_ip: &per_ip,
    };
    for _ in 0..5 {
        throttled_token(
            &world,
            "192.0.2.1",
            &limits,
            &app.client_id,
            &app.client_secret,
        )
        .unwrap();
    }
    assert_eq!(
        (per_client.counted(), per_ip.counted()),
        (0, 0),
        "successes cost no count"
    );

    for i in 0..5 {
        assert_oauth_error(
            throttled_token(&world, "192.0.2.66", &limits, &format!("guess{i}"), "s"),
            401,
            OAuthErrorCode::InvalidClient,
        );
    }
    assert_oauth_error(
        throttled_token(&world, "192.0.2.66", &limits, "guess-next", "s"),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    assert_oauth_error(
        throttled_token(
            &world,
            "192.0.2.66",
            &limits,
            &app.client_id,
            &app.client_secret,
        ),
        429,
        OAuthErrorCode::TooManyRequests,
    );
    throttled_token(
        &world,
        "192.0.2.1",
        &limits,
        &app.client_id,
        &app.client_secret,
    )
    .expect("other addresses are unaffected");
}

#[test]
fn the_log_pages_newest_first_and_reads_on_from_a_checkpoint_oldest_first() {
    let world = World::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        let event = block_on(from_ip(&world, "192.0.2.9").log(
            crate::management::logs::NewEvent::api_operation(
                crate::management::logs::actor("client", BOOTSTRAP_ID),
                Some(BOOTSTRAP_ID.into()),
                "Create a client",
                crate::management::logs::target("client", Some(&format!("client{i}"))),
                "POST",
                "/api/v2/clients",
            ),
        ))
        .unwrap();
        ids.push(event.log_id);
        world.clock.advance(1);
    }
    let list = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        block_on(
            world
                .tenant()
                .list_logs(&crate::management::logs::LogQuery::from_query(&pairs).unwrap()),
        )
        .unwrap()
    };
    let ids_of = |value: &Value| -> Vec<String> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["log_id"].as_str().unwrap().to_string())
            .collect()
    };
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(ids_of(&list("")), newest_first);
    assert_eq!(
        ids_of(&list("page=1&per_page=2")),
        newest_first[2..4].to_vec()
    );
    let with_totals = list("page=2&per_page=2&include_totals=true");
    assert_eq!(ids_of(&with_totals["logs"]), newest_first[4..].to_vec());
    assert_eq!(
        (with_totals["total"].as_u64(), with_totals["start"].as_u64()),
        (Some(5), Some(4))
    );
    assert_eq!(
        ids_of(&list(&format!("from={}&take=2", ids[1]))),
        ids[2..4].to_vec()
    );
    assert_eq!(
        ids_of(&list(&format!("from={}", ids[4]))),
        Vec::<String>::new()
    );

    let event = block_on(world.tenant().get_log(&ids[0])).unwrap();
    assert_eq!(event.details.target.unwrap().id.as_deref(), Some("client0"));
    assert_eq!(event.ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(event.date, crate::seams::clock::rfc3339(NOW));
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "later events have greater ids"
    );
    let missing = format!("{}{}", &ids[0][..13], "Z".repeat(13));
    assert_eq!(
        block_on(world.tenant().get_log(&missing))
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        block_on(world.tenant().get_log("../clients"))
            .unwrap_err()
            .status(),
        404
    );
}

#[test]
fn log_listings_stay_bounded_however_long_the_log_grows() {
    use crate::management::logs::{LogQuery, MAX_CHECKPOINT_LAG, MAX_PAGED_EVENTS};
    let world = World::new();
    let log_one = || {
        block_on(
            world
                .tenant()
                .log(crate::management::logs::NewEvent::api_operation(
                    crate::management::logs::actor("client", BOOTSTRAP_ID),
                    Some(BOOTSTRAP_ID.into()),
                    "Update tenant settings",
                    crate::management::logs::target("tenant", None),
                    "PATCH",
                    "/api/v2/tenants/settings",
                )),
        )
        .unwrap()
    };
    for _ in 0..MAX_CHECKPOINT_LAG {
        log_one();
    }
    let list = |query: &str| {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        block_on(
            world
                .tenant()
                .list_logs(&LogQuery::from_query(&pairs).unwrap()),
        )
    };

    // The total counts only what pages can reach, in a bounded listing.
    let lists = world.store.counts().lists;
    let totals = list("per_page=5&include_totals=true").unwrap();
    assert_eq!(totals["total"].as_u64(), Some(MAX_PAGED_EVENTS));
    let page_size = crate::seams::store::MemoryStore::PAGE_SIZE as u64;
    assert!(world.store.counts().lists - lists <= MAX_PAGED_EVENTS / page_size + 1);

    // A checkpoint older than every event: readable while it is at most
    // MAX_CHECKPOINT_LAG events behind, then a clear 400, never a scan of
    // the whole log.
    let oldest_possible = "0000000000000".to_string() + &"0".repeat(13);
    let read = list(&format!("from={oldest_possible}&take=3")).unwrap();
    assert_eq!(read.as_array().unwrap().len(), 3);
    log_one();
    let lists = world.store.counts().lists;
    let refused = list(&format!("from={oldest_possible}&take=3")).unwrap_err();
    assert!(
        matches!(&refused, Error::Management { status: 400, message, .. } if message.contains("behind the newest")),
        "{refused:?}"
    );
    assert!(world.store.counts().lists - lists <= (MAX_CHECKPOINT_LAG as u64 + 1) / page_size + 1);
}

/// The `Authorization` header of a token the new M2M app got with `scopes`
/// granted on the Management API, and the app.
fn management_client(world: &World, scopes: &[&str]) -> (App, String) {
    let management = format!("{ISSUER}api/v2/");
    let app = create_m2m_app(world, None);
    grant(world, &app, &management, scopes);
    let token = request_token(world, &app, &[("audience", &management)])
        .unwrap()
        .access_token;
    (app, format!("Bearer {token}"))
}

#[test]
fn a_clients_management_token_holds_only_what_its_grant_still_grants() {
    let world = World::new();
    let (app, bearer) = management_client(&world, &["read:clients", "read:users"]);
    let tenant = world.tenant();
    block_on(tenant.authorize_management(Some(&bearer), "read:users")).unwrap();
    let grant_id = block_on(tenant.list_client_grants(paging(), Some(&app.client_id), None))
        .unwrap()
        .items[0]
        .id
        .clone();
    block_on(tenant.update_client_grant(
        &grant_id,
        shared::management::ClientGrantUpdate {
            scope: vec!["read:clients".into()],
        },
        &world.admin(),
    ))
    .unwrap();
    let narrowed = block_on(tenant.authorize_management(Some(&bearer), "read:users"));
    assert!(
        matches!(narrowed, Err(Error::Management { status: 403, .. })),
        "a scope taken from the grant no longer works: {narrowed:?}"
    );
    let kept = block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();
    assert_eq!(kept.claims.scope, "read:clients");

    block_on(tenant.delete_client_grant(&grant_id)).unwrap();
    let gone = block_on(tenant.authorize_management(Some(&bearer), "read:clients"));
    assert!(
        matches!(gone, Err(Error::Management { status: 403, .. })),
        "{gone:?}"
    );
}

#[test]
fn a_client_grant_to_the_management_api_gives_only_what_the_granter_holds() {
    let world = World::new();
    let (_, bearer) = management_client(&world, &["create:client_grants", "read:clients"]);
    let granter = block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "create:client_grants"),
    )
    .unwrap();
    let other = create_m2m_app(&world, None);
    let management = format!("{ISSUER}api/v2/");
    let create = |scope: &[&str]| {
        block_on(world.tenant().create_client_grant(
            ClientGrantCreate {
                client_id: other.client_id.clone(),
                audience: management.clone(),
                scope: scope.iter().map(|s| s.to_string()).collect(),
            },
            &granter,
        ))
    };
    let before = world.store.snapshot();
    let refused = create(&["read:clients", "update:clients", "delete:users"]);
    crate::testing::assert_insufficient_scope(refused, "missing: update:clients delete:users");
    assert_eq!(
        world.store.snapshot(),
        before,
        "a refused grant writes nothing"
    );
    // What it holds it may pass on; other APIs are not its concern.
    let granted = create(&["read:clients"]).unwrap();
    let widen = block_on(world.tenant().update_client_grant(
        &granted.id,
        shared::management::ClientGrantUpdate {
            scope: vec!["read:clients".into(), "update:client_keys".into()],
        },
        &granter,
    ));
    assert!(matches!(widen, Err(Error::Management { status: 403, .. })));
    create_api(&world, API, "EdDSA");
    block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: other.client_id.clone(),
            audience: API.into(),
            scope: vec!["write:things".into()],
        },
        &granter,
    ))
    .unwrap();
}

#[test]
fn isolate_memory_never_serves_one_issuers_records_to_another() {
    // One isolate (one cache) serving two issuers in turn, over two stores:
    // an API remembered for the first is unknown to the second, and the
    // second's Management API is its own system API even where the first
    // had an API with that identifier in memory.
    let first = World::new();
    let mut second = World::new();
    second.config = crate::Config::new("https://other.example/", None).unwrap();
    let borrowed = "https://other.example/api/v2/";
    for identifier in [API, borrowed] {
        create_api(&first, identifier, "EdDSA");
        assert!(
            block_on(first.tenant().resource_server_by_identifier(identifier))
                .unwrap()
                .is_some()
        );
    }
    let second_tenant = crate::Tenant::new(
        &second.store,
        &second.crypto,
        &second.clock,
        &second.rng,
        &first.cache,
        &second.config,
    );
    assert!(block_on(second_tenant.resource_server_by_identifier(API))
        .unwrap()
        .is_none());
    let management = block_on(second_tenant.resource_server_by_identifier(borrowed))
        .unwrap()
        .unwrap();
    assert!(management.is_system, "{management:?}");
}

#[test]
fn a_stored_record_cannot_stand_in_for_the_management_api() {
    let world = World::new();
    let management = format!("{ISSUER}api/v2/");
    // Written behind the Management API's back, as a corrupt or hostile
    // record would be: no RBAC, every scope.
    let forged = serde_json::json!({
        "id": "forged", "name": "Forged", "identifier": management,
        "scopes": [{"value": "read:users", "description": ""}],
        "signing_alg": "RS256", "token_lifetime": 3600,
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": true,
        "enforce_policies": false, "is_system": false
    });
    block_on(crate::seams::store::Store::put(
        &world.store,
        &format!("resource_server/{management}"),
        &forged.to_string(),
    ))
    .unwrap();
    let api = block_on(world.tenant().resource_server_by_identifier(&management))
        .unwrap()
        .unwrap();
    assert!(api.is_system);
    assert_eq!(api.scopes.len(), crate::management::SCOPES.len());
}

#[test]
fn a_token_request_with_thousands_of_scopes_is_refused_before_anything_is_read() {
    let world = World::new();
    let app = granted_app(&world);
    let scope = (0..15_000)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    world.store.reset_counts();
    let result = request_token(&world, &app, &[("audience", API), ("scope", &scope)]);
    match &result {
        Err(Error::OAuth {
            status: 400,
            code: OAuthErrorCode::InvalidScope,
            description,
            ..
        }) => assert!(description.len() < 200, "{description}"),
        other => panic!("expected 400 invalid_scope, got {other:?}"),
    }
    assert_eq!(world.store.counts().reads, 0);
    // Within the bounds, an ungranted list is named in a bounded message.
    let many = (0..200)
        .map(|i| format!("scope:{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    match request_token(&world, &app, &[("audience", API), ("scope", &many)]) {
        Err(Error::OAuth {
            status: 403,
            description,
            ..
        }) => assert!(description.contains("(and 190 more)"), "{description}"),
        other => panic!("expected 403 access_denied, got {other:?}"),
    }
}
