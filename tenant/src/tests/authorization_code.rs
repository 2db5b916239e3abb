//! The authorization code grant with PKCE, refresh tokens and their
//! rotation, and revocation: every rule, from `/authorize` to the token
//! endpoint, as an application that signs people in drives them.

use serde_json::Value;
use shared::management::{
    ClientUpdate, RefreshTokenSettingsUpdate, ResourceServerUpdate, RotationType, UserUpdate,
};
use shared::token::TokenResponse;

use crate::error::{Error, OAuthErrorCode};
use crate::primitives::pkce;
use crate::testing::{block_on, World, NOW};

use super::machines::FORM;
use super::people::{self, claims, param, query, response, CALLBACK, EMAIL};

const VERIFIER: &str = "a-verifier-of-more-than-forty-three-characters-0123456789";

/// A code request of `client_id` with PKCE, `extra` on top.
fn code_query(client_id: &str, extra: &[(&str, &str)]) -> String {
    let challenge = pkce::s256(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("scope", "openid profile email offline_access read:notes"),
    ];
    pairs.extend_from_slice(extra);
    query(client_id, &pairs)
}

/// Signs in and returns the code from the redirect URI's query, and the
/// session.
fn code_for(world: &World, q: &str) -> (String, String) {
    let (outcome, session) = people::sign_in(world, q);
    let answer = response(Ok(outcome));
    assert!(
        answer.location().starts_with(&format!("{CALLBACK}?code=")),
        "{}",
        answer.location()
    );
    assert_eq!(param(&answer, "state"), Some("st-123"));
    (param(&answer, "code").expect("a code").to_string(), session)
}

fn token(world: &World, pairs: &[(&str, &str)]) -> Result<TokenResponse, Error> {
    let body = serde_urlencoded::to_string(pairs).unwrap();
    block_on(world.tenant().token(None, FORM, body.as_bytes()))
}

fn redeem(
    world: &World,
    client_id: &str,
    code: &str,
    verifier: Option<&str>,
) -> Result<TokenResponse, Error> {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", code),
        ("redirect_uri", CALLBACK),
    ];
    if let Some(verifier) = verifier {
        pairs.push(("code_verifier", verifier));
    }
    token(world, &pairs)
}

fn refresh(world: &World, client_id: &str, refresh_token: &str) -> Result<TokenResponse, Error> {
    token(
        world,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ],
    )
}

/// Signs the person in with the code flow and redeems the code: the
/// refresh token it starts.
fn first_refresh_token(world: &World, client_id: &str) -> String {
    let (code, _) = code_for(world, &code_query(client_id, &[]));
    redeem(world, client_id, &code, Some(VERIFIER))
        .unwrap()
        .refresh_token
        .expect("a refresh token")
}

/// Changes the client's `refresh_token` settings.
fn set_refresh_token(world: &World, client_id: &str, settings: RefreshTokenSettingsUpdate) {
    block_on(world.tenant().update_client(
        client_id,
        ClientUpdate {
            refresh_token: Some(settings),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
}

fn invalid_grant(result: Result<TokenResponse, Error>) -> String {
    match result {
        Err(Error::OAuth {
            status: 400,
            code: OAuthErrorCode::InvalidGrant,
            description,
            ..
        }) => description,
        other => panic!("expected 400 invalid_grant, got {other:?}"),
    }
}

/// A person, a public SPA and an API that allows offline access.
fn setup() -> (World, String, String) {
    let world = World::new();
    people::create_api(&world, false);
    block_on(world.tenant().update_resource_server(
        people::API,
        ResourceServerUpdate {
            allow_offline_access: Some(true),
            ..Default::default()
        },
    ))
    .unwrap();
    let user_id = people::create_user(&world, EMAIL);
    let client_id = people::create_spa(&world);
    (world, client_id, user_id)
}

#[test]
fn a_public_client_redeems_its_code_with_its_verifier_for_tokens_and_a_refresh_token() {
    let (world, client_id, user_id) = setup();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let tokens = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(
        tokens.expires_in, 86_400,
        "the API's lifetime, not the implicit cap"
    );
    assert_eq!(
        tokens.scope.as_deref(),
        Some("openid profile email offline_access read:notes")
    );
    let id = claims(tokens.id_token.as_deref().expect("an ID token"));
    assert_eq!(
        (id["sub"].as_str(), id["aud"].as_str()),
        (Some(user_id.as_str()), Some(client_id.as_str()))
    );
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["email"], EMAIL);
    assert_eq!(
        id["at_hash"],
        crate::jose::id_token::at_hash(&tokens.access_token)
    );
    let access = claims(&tokens.access_token);
    assert_eq!(access["aud"][0], people::API);
    assert!(tokens
        .refresh_token
        .as_deref()
        .is_some_and(|t| t.len() >= 43));
}

#[test]
fn pkce_is_required_of_public_clients_and_only_s256() {
    let (world, client_id, _) = setup();
    let refusal = |q: &str| {
        let answer = response(block_on(world.tenant().authorize(q, None)));
        assert!(
            answer.location().starts_with(&format!("{CALLBACK}?error=")),
            "{}",
            answer.location()
        );
        (
            param(&answer, "error").unwrap().to_string(),
            param(&answer, "error_description").unwrap().to_string(),
        )
    };
    let without = query(&client_id, &[("response_type", "code")]);
    assert_eq!(refusal(&without).0, "invalid_request");
    let plain = query(
        &client_id,
        &[
            ("response_type", "code"),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    );
    let (error, description) = refusal(&plain);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("S256"), "{description}");
    let no_method = query(
        &client_id,
        &[
            ("response_type", "code"),
            ("code_challenge", &pkce::s256(VERIFIER)),
        ],
    );
    assert_eq!(refusal(&no_method).0, "invalid_request");
    let malformed = query(
        &client_id,
        &[
            ("response_type", "code"),
            ("code_challenge", "short"),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_eq!(refusal(&malformed).0, "invalid_request");
    // Errors go where the client asked: the fragment, when it asked.
    let fragment = query(
        &client_id,
        &[("response_type", "code"), ("response_mode", "fragment")],
    );
    let answer = response(block_on(world.tenant().authorize(&fragment, None)));
    assert!(answer.location().starts_with(&format!("{CALLBACK}#error=")));
}

#[test]
fn a_confidential_client_may_redeem_without_pkce_with_its_secret() {
    let world = World::new();
    people::create_api(&world, false);
    people::create_user(&world, EMAIL);
    let client = block_on(
        world
            .tenant()
            .create_client(shared::management::ClientCreate {
                name: "Regular web app".into(),
                app_type: Some(shared::management::AppType::RegularWeb),
                callbacks: Some(vec![CALLBACK.into()]),
                ..Default::default()
            }),
    )
    .unwrap();
    let secret = client.client_secret.clone().unwrap();
    let (code, _) = code_for(
        &world,
        &query(&client.client_id, &[("response_type", "code")]),
    );
    let without_secret = redeem(&world, &client.client_id, &code, None);
    assert_eq!(without_secret.unwrap_err().status(), 401);
    let tokens = token(
        &world,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ],
    )
    .unwrap();
    assert!(tokens.id_token.is_some());
    assert!(
        tokens.refresh_token.is_none(),
        "offline_access was not asked"
    );
}

#[test]
fn a_code_is_bound_to_its_client_redirect_uri_and_verifier_and_is_not_used_up_by_a_wrong_one() {
    let (world, client_id, _) = setup();
    let other = people::create_spa(&world);
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    assert!(invalid_grant(redeem(&world, &other, &code, Some(VERIFIER))).contains("another client"));
    let wrong_uri = token(
        &world,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", "https://app.example/other"),
            ("code_verifier", VERIFIER),
        ],
    );
    assert!(invalid_grant(wrong_uri).contains("redirect_uri"));
    let wrong = "another-verifier-of-more-than-forty-three-characters-0000";
    assert!(
        invalid_grant(redeem(&world, &client_id, &code, Some(wrong))).contains("does not match")
    );
    assert!(invalid_grant(redeem(&world, &client_id, &code, None)).contains("code_verifier"));
    match redeem(&world, &client_id, &code, Some("short")) {
        Err(Error::OAuth {
            code: OAuthErrorCode::InvalidRequest,
            ..
        }) => {}
        other => panic!("a malformed verifier is invalid_request, got {other:?}"),
    }
    // None of those used it up.
    assert!(redeem(&world, &client_id, &code, Some(VERIFIER)).is_ok());
}

#[test]
fn a_code_works_once_and_its_replay_revokes_the_refresh_tokens_it_issued() {
    let (world, client_id, _) = setup();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let first = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    let refresh_token = first.refresh_token.unwrap();
    assert!(
        invalid_grant(redeem(&world, &client_id, &code, Some(VERIFIER)))
            .contains("already been used")
    );
    assert!(invalid_grant(refresh(&world, &client_id, &refresh_token)).contains("revoked"));
}

#[test]
fn a_code_expires_and_dies_with_its_session() {
    let (world, client_id, user_id) = setup();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    world.clock.advance(crate::sign_in::code::CODE_LIFETIME);
    assert!(invalid_grant(redeem(&world, &client_id, &code, Some(VERIFIER))).contains("expired"));

    let (code, session) = code_for(&world, &code_query(&client_id, &[]));
    block_on(world.tenant().end_session(Some(&session))).unwrap();
    assert!(invalid_grant(redeem(&world, &client_id, &code, Some(VERIFIER))).contains("session"));

    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    block_on(world.tenant().update_user(
        &user_id,
        UserUpdate {
            password: Some("another correct horse".into()),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    assert!(invalid_grant(redeem(&world, &client_id, &code, Some(VERIFIER))).contains("password"));
}

#[test]
fn refresh_tokens_rotate_and_a_reuse_after_the_interval_revokes_the_family() {
    let (world, client_id, _) = setup();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let first = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    let rt1 = first.refresh_token.unwrap();
    world.clock.advance(10);
    let second = refresh(&world, &client_id, &rt1).unwrap();
    let rt2 = second.refresh_token.clone().expect("a new refresh token");
    assert_ne!(rt1, rt2);
    assert!(second.id_token.is_some());
    assert_eq!(claims(&second.access_token)["iat"], NOW + 10);
    // The default reuse interval is 0: the old one again is a reuse.
    world.clock.advance(1);
    assert!(invalid_grant(refresh(&world, &client_id, &rt1)).contains("already used"));
    assert!(
        invalid_grant(refresh(&world, &client_id, &rt2)).contains("revoked"),
        "the whole family"
    );
}

#[test]
fn a_refused_refresh_does_not_use_the_token_up() {
    let (world, client_id, _) = setup();
    let rt = first_refresh_token(&world, &client_id);
    let widened = token(
        &world,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", rt.as_str()),
            ("scope", "openid write:notes"),
        ],
    );
    assert!(
        matches!(
            widened,
            Err(Error::OAuth {
                code: OAuthErrorCode::InvalidScope,
                ..
            })
        ),
        "{widened:?}"
    );
    let elsewhere = token(
        &world,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", rt.as_str()),
            ("audience", "https://another.example/"),
        ],
    );
    assert_eq!(elsewhere.unwrap_err().status(), 400, "another API");
    let other = people::create_spa(&world);
    assert!(refresh(&world, &other, &rt).is_err());
    // Neither refusal used it: it rotates now, and its successor works.
    let next = refresh(&world, &client_id, &rt)
        .unwrap()
        .refresh_token
        .unwrap();
    refresh(&world, &client_id, &next).unwrap();
}

#[test]
fn without_a_reuse_interval_even_an_immediate_reuse_revokes_the_family() {
    let (world, client_id, _) = setup();
    let rt1 = first_refresh_token(&world, &client_id);
    let rt2 = refresh(&world, &client_id, &rt1)
        .unwrap()
        .refresh_token
        .unwrap();
    // The same second: no leeway, so a reuse all the same.
    assert!(invalid_grant(refresh(&world, &client_id, &rt1)).contains("already used"));
    assert!(invalid_grant(refresh(&world, &client_id, &rt2)).contains("revoked"));
}

#[test]
fn within_the_reuse_interval_an_old_token_still_works() {
    let (world, client_id, _) = setup();
    set_refresh_token(
        &world,
        &client_id,
        RefreshTokenSettingsUpdate {
            leeway: Some(30),
            ..Default::default()
        },
    );
    let rt1 = first_refresh_token(&world, &client_id);
    let rt2 = refresh(&world, &client_id, &rt1)
        .unwrap()
        .refresh_token
        .unwrap();
    world.clock.advance(20);
    let again = refresh(&world, &client_id, &rt1).unwrap();
    assert!(again.refresh_token.is_some());
    world.clock.advance(20);
    assert!(
        refresh(&world, &client_id, &rt1).is_err(),
        "past the interval"
    );
    assert!(refresh(&world, &client_id, &rt2).is_err());
}

#[test]
fn a_refresh_token_works_only_for_its_client_within_its_lifetimes() {
    let (world, client_id, _) = setup();
    let other = people::create_spa(&world);
    let rt = first_refresh_token(&world, &client_id);
    assert!(invalid_grant(refresh(&world, &other, &rt)).contains("another client"));
    // Not used up by the other client's attempt.
    let rt = refresh(&world, &client_id, &rt)
        .unwrap()
        .refresh_token
        .unwrap();
    // Idle lifetime: 15 days by default.
    world.clock.advance(15 * 24 * 3600 + 1);
    assert!(invalid_grant(refresh(&world, &client_id, &rt)).contains("expired"));
}

#[test]
fn offline_access_needs_an_api_that_allows_it() {
    let (world, client_id, _) = setup();
    block_on(world.tenant().update_resource_server(
        people::API,
        ResourceServerUpdate {
            allow_offline_access: Some(false),
            ..Default::default()
        },
    ))
    .unwrap();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let tokens = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    assert!(tokens.refresh_token.is_none());
    assert!(!tokens.scope.unwrap().contains("offline_access"));
}

#[test]
fn blocking_or_deleting_the_person_or_revoking_ends_their_refresh_tokens() {
    let (world, client_id, user_id) = setup();
    let fresh = |world: &World| {
        let (code, _) = code_for(world, &code_query(&client_id, &[]));
        redeem(world, &client_id, &code, Some(VERIFIER))
            .unwrap()
            .refresh_token
            .unwrap()
    };
    let rt = fresh(&world);
    let revoke = |token: &str, client: &str| {
        let body = serde_urlencoded::to_string([("token", token), ("client_id", client)]).unwrap();
        block_on(world.tenant().revoke(None, FORM, body.as_bytes()))
    };
    revoke(&rt, &client_id).unwrap();
    assert!(invalid_grant(refresh(&world, &client_id, &rt)).contains("revoked"));
    // RFC 7009: an unknown token is revoked already; an access token cannot be.
    revoke("not-a-token-anyone-issued", &client_id).unwrap();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let tokens = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    match revoke(&tokens.access_token, &client_id) {
        Err(Error::OAuth {
            code: OAuthErrorCode::UnsupportedTokenType,
            ..
        }) => {}
        other => panic!("expected unsupported_token_type, got {other:?}"),
    }
    let other = people::create_spa(&world);
    assert_eq!(
        revoke(tokens.refresh_token.as_deref().unwrap(), &other)
            .unwrap_err()
            .status(),
        400
    );

    let rt = fresh(&world);
    block_on(world.tenant().update_user(
        &user_id,
        UserUpdate {
            blocked: Some(true),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    assert!(invalid_grant(refresh(&world, &client_id, &rt)).contains("blocked"));
    block_on(world.tenant().delete_user(&user_id)).unwrap();
    assert_eq!(
        world.db.count("refresh_token_families"),
        0,
        "deleted with the person"
    );
}

#[test]
fn non_rotating_tokens_stay_and_a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let (world, client_id, _) = setup();
    set_refresh_token(
        &world,
        &client_id,
        RefreshTokenSettingsUpdate {
            rotation_type: Some(RotationType::NonRotating),
            ..Default::default()
        },
    );
    let rt = first_refresh_token(&world, &client_id);
    for _ in 0..2 {
        let again = refresh(&world, &client_id, &rt).unwrap();
        assert!(
            again.refresh_token.is_none(),
            "the same token goes on working"
        );
    }
    let narrowed = token(
        &world,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", rt.as_str()),
            ("scope", "openid read:notes"),
        ],
    )
    .unwrap();
    assert_eq!(narrowed.scope.as_deref(), Some("openid read:notes"));
    let widened = token(
        &world,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id.as_str()),
            ("refresh_token", rt.as_str()),
            ("scope", "openid write:notes"),
        ],
    );
    match widened {
        Err(Error::OAuth {
            code: OAuthErrorCode::InvalidScope,
            ..
        }) => {}
        other => panic!("expected invalid_scope, got {other:?}"),
    }
}

/// What a redemption and a refresh cost: one round trip for the code with
/// its person and session, one for the refresh token family; a refresh,
/// two (the token with its person and membership, then the rotation).
/// KV: the client only (the API and keys are in isolate memory).
#[test]
fn a_redemption_and_a_refresh_cost_a_bounded_number_of_round_trips() {
    let (world, client_id, _) = setup();
    // The first redemption loads the signing keys into isolate memory.
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    world.db.reset_count();
    world.store.reset_counts();
    let rt = redeem(&world, &client_id, &code, Some(VERIFIER))
        .unwrap()
        .refresh_token
        .unwrap();
    assert_eq!((world.db.batches(), world.db.statements()), (2, 6));
    assert_eq!(
        world.store.counts().reads,
        1,
        "the client: {:?}",
        world.store.keys_read()
    );
    world.db.reset_count();
    world.store.reset_counts();
    refresh(&world, &client_id, &rt).unwrap();
    // The token, its person and their membership read; the rotation written.
    assert_eq!((world.db.batches(), world.db.statements()), (2, 5));
    assert_eq!(world.store.counts().reads, 1);
}

#[test]
fn the_discovery_document_lists_what_is_supported() {
    let world = World::new();
    let metadata: Value = serde_json::to_value(crate::oauth::discovery::provider_metadata(
        world.config.issuer(),
    ))
    .unwrap();
    assert!(metadata["response_types_supported"]
        .as_array()
        .unwrap()
        .contains(&"code".into()));
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert!(metadata["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&"refresh_token".into()));
    assert!(metadata["revocation_endpoint"]
        .as_str()
        .unwrap()
        .ends_with("/oauth/revoke"));
}

#[test]
fn the_dashboard_keeps_a_refresh_token_for_the_management_api_and_no_other_app_gets_one() {
    let (world, spa, user_id) = setup();
    let tenant = world.tenant();
    let mgmt = tenant.management_audience();
    block_on(tenant.add_user_permissions(
        &user_id,
        shared::management::PermissionsRequest {
            permissions: vec![shared::management::PermissionRef {
                resource_server_identifier: mgmt.clone(),
                permission_name: "read:clients".into(),
            }],
        },
        &world.admin(),
    ))
    .unwrap();
    let dashboard = tenant.dashboard_client_id();
    let dashboard_callback = "https://tenant.example/dashboard/callback";
    let ask = |client_id: &str, redirect_uri: &str| {
        let q = code_query(
            client_id,
            &[
                ("audience", mgmt.as_str()),
                ("redirect_uri", redirect_uri),
                ("scope", "openid offline_access read:clients"),
            ],
        );
        let (outcome, _) = people::sign_in(&world, &q);
        let answer = response(Ok(outcome));
        let code = param(&answer, "code").expect("a code").to_string();
        token(
            &world,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", client_id),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", VERIFIER),
            ],
        )
        .unwrap()
    };

    let tokens = ask(&dashboard, dashboard_callback);
    assert_eq!(
        tokens.scope.as_deref(),
        Some("openid offline_access read:clients")
    );
    // A person's Management API token lives an hour, not the API's day.
    assert_eq!(tokens.expires_in, 3600);
    assert_eq!(
        claims(&tokens.access_token)["exp"].as_u64().unwrap()
            - claims(&tokens.access_token)["iat"].as_u64().unwrap(),
        3600
    );
    let rt = tokens.refresh_token.expect("the Dashboard gets one");
    let refreshed = refresh(&world, &dashboard, &rt).unwrap();
    assert_eq!(refreshed.expires_in, 3600);
    let bearer = format!("Bearer {}", refreshed.access_token);
    block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();
    // 1 hour idle: a Dashboard left alone signs in again.
    world.clock.advance(3601);
    let next = refreshed.refresh_token.unwrap();
    assert!(invalid_grant(refresh(&world, &dashboard, &next)).contains("expired"));

    let other = ask(&spa, CALLBACK);
    assert!(
        other.refresh_token.is_none(),
        "the Management API allows no offline access"
    );
    assert_eq!(other.scope.as_deref(), Some("openid read:clients"));
}

/// The scopes of the access token `response` carries.
fn access_scope(response: &TokenResponse) -> String {
    claims(&response.access_token)["scope"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_refresh_grants_what_the_person_may_still_have() {
    let (world, client_id, user_id) = setup();
    block_on(world.tenant().update_resource_server(
        people::API,
        ResourceServerUpdate {
            enforce_policies: Some(true),
            ..Default::default()
        },
    ))
    .unwrap();
    let permission = |name: &str| shared::management::PermissionRef {
        resource_server_identifier: people::API.into(),
        permission_name: name.into(),
    };
    block_on(world.tenant().add_user_permissions(
        &user_id,
        shared::management::PermissionsRequest {
            permissions: vec![permission("read:notes"), permission("write:notes")],
        },
        &world.admin(),
    ))
    .unwrap();
    let (code, _) = code_for(
        &world,
        &code_query(
            &client_id,
            &[("scope", "openid offline_access read:notes write:notes")],
        ),
    );
    let first = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    assert!(access_scope(&first).contains("write:notes"));

    // A permission taken away is gone from the next refresh.
    block_on(world.tenant().remove_user_permissions(
        &user_id,
        shared::management::PermissionsRequest {
            permissions: vec![permission("write:notes")],
        },
    ))
    .unwrap();
    let second = refresh(&world, &client_id, first.refresh_token.as_deref().unwrap()).unwrap();
    assert_eq!(access_scope(&second), "openid offline_access read:notes");

    // So is a scope the API no longer defines.
    block_on(world.tenant().update_resource_server(
        people::API,
        ResourceServerUpdate {
            scopes: Some(vec![]),
            ..Default::default()
        },
    ))
    .unwrap();
    let third = refresh(&world, &client_id, second.refresh_token.as_deref().unwrap()).unwrap();
    assert_eq!(access_scope(&third), "openid offline_access");

    // And an API that no longer allows offline access refuses the refresh.
    block_on(world.tenant().update_resource_server(
        people::API,
        ResourceServerUpdate {
            allow_offline_access: Some(false),
            ..Default::default()
        },
    ))
    .unwrap();
    assert!(invalid_grant(refresh(
        &world,
        &client_id,
        third.refresh_token.as_deref().unwrap()
    ))
    .contains("offline access"));
}

#[test]
fn a_refresh_for_an_organization_ends_when_the_person_leaves_it() {
    let (world, client_id, user_id) = setup();
    let tenant = world.tenant();
    let org = block_on(
        tenant.create_organization(shared::organizations::OrganizationCreate {
            name: "acme".into(),
            ..Default::default()
        }),
    )
    .unwrap()
    .id;
    let members = || shared::organizations::MembersRequest {
        members: vec![user_id.clone()],
    };
    block_on(tenant.add_organization_members(&org, members())).unwrap();
    block_on(tenant.update_client(
        &client_id,
        ClientUpdate {
            organization_usage: Some(shared::organizations::OrganizationUsage::Allow),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
    let (code, _) = code_for(
        &world,
        &code_query(&client_id, &[("organization", org.as_str())]),
    );
    let tokens = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    assert_eq!(claims(&tokens.access_token)["org_id"], org.as_str());
    let next = refresh(&world, &client_id, tokens.refresh_token.as_deref().unwrap()).unwrap();
    assert_eq!(claims(&next.access_token)["org_id"], org.as_str());

    block_on(tenant.remove_organization_members(&org, members())).unwrap();
    assert!(invalid_grant(refresh(
        &world,
        &client_id,
        next.refresh_token.as_deref().unwrap()
    ))
    .contains("no longer a member"));
    // A family without an organization is not affected by it.
    let (code, _) = code_for(&world, &code_query(&client_id, &[]));
    let plain = redeem(&world, &client_id, &code, Some(VERIFIER)).unwrap();
    refresh(&world, &client_id, plain.refresh_token.as_deref().unwrap()).unwrap();
}
