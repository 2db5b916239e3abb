//! The client credentials grant (RFC 6749 §4.4) at the token endpoint, and its cost.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use shared::management::{ResourceServerScope, ResourceServerUpdate};

use crate::error::{Error, OAuthErrorCode};
use crate::testing::{block_on, World, ISSUER, NOW};

use super::machines::*;

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
