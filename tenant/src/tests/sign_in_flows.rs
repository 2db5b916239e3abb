//! Whole sign-ins through the tenant, as a browser would drive them:
//! `/authorize`, the hosted login, consent, tokens, `/userinfo`, logout.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use shared::management::{
    AppType, ClientCreate, PermissionRef, PermissionsRequest, ResourceServerCreate,
    ResourceServerScope, TenantFlagsUpdate, TenantSettingsUpdate, UserCreate, UserUpdate,
    DATABASE_CONNECTION,
};

use crate::error::Error;
use crate::management::Paging;
use crate::sign_in::authorize::{Outcome, ResponseMode};
use crate::sign_in::logout::LogoutOutcome;
use crate::sign_in::response::AuthorizationResponse;
use crate::testing::{block_on, World, ISSUER, NOW};

const API: &str = "https://api.example/notes";
const CALLBACK: &str = "https://app.example/callback";
const EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

fn create_user(world: &World, email: &str) -> String {
    block_on(world.tenant().create_user(UserCreate {
        connection: DATABASE_CONNECTION.into(),
        email: email.into(),
        password: PASSWORD.into(),
        name: Some("Ada Lovelace".into()),
        ..Default::default()
    }))
    .unwrap()
    .user_id
}

fn create_spa(world: &World) -> String {
    block_on(world.tenant().create_client(ClientCreate {
        name: "Notes SPA".into(),
        app_type: Some(AppType::Spa),
        token_endpoint_auth_method: Some("none".into()),
        callbacks: Some(vec![CALLBACK.into()]),
        allowed_logout_urls: Some(vec!["https://app.example/".into()]),
        ..Default::default()
    }))
    .unwrap()
    .client_id
}

fn create_api(world: &World, enforce_policies: bool) {
    block_on(world.tenant().create_resource_server(ResourceServerCreate {
        identifier: API.into(),
        name: Some("Notes".into()),
        scopes: Some(vec![
            ResourceServerScope {
                value: "read:notes".into(),
                description: "Read your notes".into(),
            },
            ResourceServerScope {
                value: "write:notes".into(),
                description: "Write notes".into(),
            },
        ]),
        enforce_policies: Some(enforce_policies),
        ..Default::default()
    }))
    .unwrap();
}

fn query(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "id_token token"),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile email read:notes"),
        ("audience", API),
        ("state", "st-123"),
        ("nonce", "n-456"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

fn response(outcome: Outcome) -> AuthorizationResponse {
    match outcome {
        Outcome::Respond(response) => response,
        other => panic!("expected a response to the client, got {other:?}"),
    }
}

fn param<'a>(response: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    response
        .params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Signs in through the login form; returns the response and session id.
fn sign_in(world: &World, query: &str) -> (Outcome, String) {
    let result = block_on(world.tenant().login(query, EMAIL, PASSWORD)).unwrap();
    assert_eq!(result.error, None);
    (result.outcome, result.new_session.expect("a session"))
}

#[test]
fn a_person_signs_in_and_the_client_gets_verifiable_tokens() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    create_api(&world, false);
    let q = query(&client_id, &[]);

    let first = block_on(world.tenant().authorize(&q, None)).unwrap();
    let Outcome::Login(prompt) = first else {
        panic!("expected the login page, got {first:?}")
    };
    assert_eq!(prompt.client_name, "Notes SPA");
    assert!(prompt.signup_enabled);

    let (outcome, _session) = sign_in(&world, &q);
    let response = response(outcome);
    assert_eq!(response.redirect_uri, CALLBACK);
    assert_eq!(param(&response, "state"), Some("st-123"));
    assert_eq!(param(&response, "token_type"), Some("Bearer"));
    assert_eq!(param(&response, "expires_in"), Some("7200"));
    let access_token = param(&response, "access_token").unwrap();
    let id_token = param(&response, "id_token").unwrap();

    let id = claims(id_token);
    assert_eq!(header(id_token)["alg"], "RS256");
    assert_eq!(header(id_token)["typ"], "JWT");
    assert_eq!(id["iss"], ISSUER);
    assert_eq!(id["sub"], user_id.as_str());
    assert_eq!(id["aud"], client_id.as_str());
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["auth_time"], NOW);
    assert_eq!(id["iat"], NOW);
    assert_eq!(id["exp"], NOW + 36_000);
    assert_eq!(id["email"], EMAIL);
    assert_eq!(id["email_verified"], false);
    assert_eq!(id["name"], "Ada Lovelace");
    assert_eq!(id["at_hash"], crate::jose::id_token::at_hash(access_token));

    let at = claims(access_token);
    assert_eq!(header(access_token)["typ"], "at+jwt");
    assert_eq!(at["sub"], user_id.as_str());
    assert_eq!(
        at["aud"],
        serde_json::json!([API, format!("{ISSUER}userinfo")])
    );
    assert_eq!(at["scope"], "openid profile email read:notes");
    assert_eq!(at.get("gty"), None);

    let bearer = format!("Bearer {access_token}");
    let verified = block_on(world.tenant().verify_bearer(Some(&bearer), Some(API))).unwrap();
    assert_eq!(verified.claims.sub, user_id);
    let userinfo = block_on(world.tenant().userinfo(Some(&bearer))).unwrap();
    assert_eq!(userinfo["sub"], user_id.as_str());
    assert_eq!(userinfo["email"], EMAIL);
    assert_eq!(userinfo["name"], "Ada Lovelace");
}

#[test]
fn the_session_answers_the_next_authorize_without_asking() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    create_api(&world, false);
    let (_, session) = sign_in(&world, &query(&client_id, &[]));

    world.clock.advance(60);
    let again = query(&client_id, &[("state", "second"), ("nonce", "n2")]);
    let response = response(block_on(world.tenant().authorize(&again, Some(&session))).unwrap());
    let id = claims(param(&response, "id_token").unwrap());
    assert_eq!(id["nonce"], "n2");
    assert_eq!(
        id["auth_time"], NOW,
        "auth_time is when the password was entered"
    );
    assert_eq!(param(&response, "state"), Some("second"));

    let forced = query(&client_id, &[("prompt", "login")]);
    assert!(matches!(
        block_on(world.tenant().authorize(&forced, Some(&session))).unwrap(),
        Outcome::Login(_)
    ));
    let too_old = query(&client_id, &[("max_age", "30")]);
    assert!(matches!(
        block_on(world.tenant().authorize(&too_old, Some(&session))).unwrap(),
        Outcome::Login(_)
    ));

    let logout = format!("client_id={client_id}&returnTo=https%3A%2F%2Fapp.example%2F");
    assert_eq!(
        block_on(world.tenant().logout(&logout, Some(&session))).unwrap(),
        LogoutOutcome::Redirect("https://app.example/".into())
    );
    assert!(matches!(
        block_on(world.tenant().authorize(&again, Some(&session))).unwrap(),
        Outcome::Login(_)
    ));
}

#[test]
fn wrong_credentials_get_one_message_whether_or_not_the_email_exists() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", ""), ("scope", "openid")]);
    let writes = world.store.counts().writes;
    let wrong_password = block_on(world.tenant().login(&q, EMAIL, "not the password")).unwrap();
    let unknown_email = block_on(world.tenant().login(&q, "nobody@example.com", PASSWORD)).unwrap();
    for result in [&wrong_password, &unknown_email] {
        assert_eq!(result.error.as_deref(), Some("Wrong email or password."));
        assert_eq!(result.new_session, None);
        assert!(matches!(result.outcome, Outcome::Login(_)));
    }
    // Nothing but the two `f` events of the audit log, which name no user
    // either way: the log does not tell which emails have accounts.
    assert_eq!(
        world.store.counts().writes,
        writes + 2,
        "a failed login writes only its log event"
    );
    let events = world.audit_log();
    let shapes: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.event_type.as_str(),
                e.user_id.as_deref(),
                e.client_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        vec![("f", None, Some(client_id.as_str())); 2],
        "{events:?}"
    );
    let mut tried: Vec<_> = events.iter().map(|e| e.user_name.as_deref()).collect();
    tried.sort();
    assert_eq!(tried, [Some(EMAIL), Some("nobody@example.com")]);
}

#[test]
fn a_password_typed_as_the_email_is_not_written_to_the_log() {
    let world = World::new();
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", ""), ("scope", "openid")]);
    block_on(world.tenant().login(&q, PASSWORD, "")).unwrap();
    world.clock.advance(1);
    block_on(world.tenant().login(&q, "  Someone@Example.COM ", "wrong")).unwrap();
    let events = world.audit_log();
    let tried: Vec<_> = events.iter().map(|e| e.user_name.as_deref()).collect();
    assert_eq!(tried, [Some("someone@example.com"), None], "{events:?}");
    let raw = serde_json::to_string(&events).unwrap();
    assert!(!raw.contains(PASSWORD), "{raw}");
}

#[test]
fn silent_authentication_without_a_session_is_login_required() {
    let world = World::new();
    let client_id = create_spa(&world);
    let q = query(
        &client_id,
        &[("prompt", "none"), ("response_mode", "form_post")],
    );
    let response = response(block_on(world.tenant().authorize(&q, None)).unwrap());
    assert_eq!(response.mode, ResponseMode::FormPost);
    assert_eq!(param(&response, "error"), Some("login_required"));
    assert_eq!(param(&response, "state"), Some("st-123"));
    assert_eq!(param(&response, "access_token"), None);
}

#[test]
fn an_untrusted_client_or_redirect_uri_gets_an_error_page_and_no_redirect() {
    let world = World::new();
    let client_id = create_spa(&world);
    let writes = world.store.counts().writes;
    for q in [
        query("", &[]),
        query("unknownunknownunknownunknown0000", &[]),
        query(&client_id, &[("redirect_uri", "")]),
        query(
            &client_id,
            &[("redirect_uri", "https://evil.example/callback")],
        ),
        query(
            &client_id,
            &[("redirect_uri", "https://app.example/callback/")],
        ),
        query(
            &client_id,
            &[("redirect_uri", "HTTPS://app.example/callback")],
        ),
        format!("{}&client_id={client_id}", query(&client_id, &[])),
    ] {
        let outcome = block_on(world.tenant().authorize(&q, None)).unwrap();
        let Outcome::ErrorPage(page) = outcome else {
            panic!("{q}: expected an error page, got {outcome:?}")
        };
        assert_eq!(page.status, 400);
        assert_eq!(page.error, "invalid_request");
    }
    assert_eq!(world.store.counts().writes, writes);
}

#[test]
fn other_errors_go_back_to_the_client_with_the_state() {
    let world = World::new();
    let client_id = create_spa(&world);
    let m2m = block_on(world.tenant().create_client(ClientCreate {
        name: "Worker".into(),
        app_type: Some(AppType::NonInteractive),
        callbacks: Some(vec![CALLBACK.into()]),
        ..Default::default()
    }))
    .unwrap()
    .client_id;
    for (q, error) in [
        (query(&client_id, &[("nonce", "")]), "invalid_request"),
        (
            query(&client_id, &[("response_type", "code")]),
            "unsupported_response_type",
        ),
        (
            query(&client_id, &[("response_type", "")]),
            "invalid_request",
        ),
        (query(&client_id, &[("scope", "profile")]), "invalid_scope"),
        (
            query(&client_id, &[("prompt", "none login")]),
            "invalid_request",
        ),
        (
            query(&client_id, &[("response_mode", "query")]),
            "invalid_request",
        ),
        (
            query(&client_id, &[("request_uri", "https://x")]),
            "request_uri_not_supported",
        ),
        (query(&m2m, &[]), "unauthorized_client"),
    ] {
        let response = response(block_on(world.tenant().authorize(&q, None)).unwrap());
        assert_eq!(param(&response, "error"), Some(error), "{q}");
        assert_eq!(param(&response, "state"), Some("st-123"), "{q}");
        assert!(response
            .fragment_location()
            .starts_with(&format!("{CALLBACK}#error={error}")));
    }
}

#[test]
fn an_unknown_audience_is_access_denied_after_sign_in() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let (outcome, _) = sign_in(&world, &query(&client_id, &[("audience", "https://nope/")]));
    let response = response(outcome);
    assert_eq!(param(&response, "error"), Some("access_denied"));
    assert_eq!(param(&response, "access_token"), None);
}

#[test]
fn without_an_audience_the_default_one_or_only_userinfo_is_used() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    create_api(&world, false);
    let q = query(&client_id, &[("audience", ""), ("response_type", "token")]);
    let (outcome, session) = sign_in(&world, &q);
    let at = claims(param(&response(outcome), "access_token").unwrap());
    assert_eq!(at["aud"], format!("{ISSUER}userinfo"));
    assert_eq!(
        at["scope"], "openid profile email",
        "API scopes need an API"
    );

    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        default_audience: Some(API.into()),
        ..Default::default()
    }))
    .unwrap();
    let outcome = block_on(world.tenant().authorize(&q, Some(&session))).unwrap();
    let at = claims(param(&response(outcome), "access_token").unwrap());
    assert_eq!(at["aud"][0], API);
    assert_eq!(at["scope"], "openid profile email read:notes");
}

#[test]
fn rbac_apis_grant_only_the_permissions_a_user_holds() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    create_api(&world, true);
    let q = query(
        &client_id,
        &[
            ("scope", "openid read:notes write:notes"),
            ("response_type", "token"),
        ],
    );
    let (outcome, session) = sign_in(&world, &q);
    let at = claims(param(&response(outcome), "access_token").unwrap());
    assert_eq!(at["scope"], "openid");

    block_on(world.tenant().add_user_permissions(
        &user_id,
        PermissionsRequest {
            permissions: vec![PermissionRef {
                resource_server_identifier: API.into(),
                permission_name: "write:notes".into(),
            }],
        },
        &world.admin(),
    ))
    .unwrap();
    let outcome = block_on(world.tenant().authorize(&q, Some(&session))).unwrap();
    let at = claims(param(&response(outcome), "access_token").unwrap());
    assert_eq!(at["scope"], "openid write:notes");

    // The Management API is always RBAC: a user without permissions on it
    // gets a token that can do nothing there.
    let mgmt = format!("{ISSUER}api/v2/");
    let q = query(
        &client_id,
        &[
            ("audience", &mgmt),
            ("scope", "openid read:users"),
            ("response_type", "token"),
        ],
    );
    let outcome = block_on(world.tenant().authorize(&q, Some(&session))).unwrap();
    let at = claims(param(&response(outcome), "access_token").unwrap());
    assert_eq!(at["scope"], "openid");
}

fn register_third_party(world: &World) -> String {
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        flags: Some(TenantFlagsUpdate {
            enable_dynamic_client_registration: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .unwrap();
    let body = format!(
        r#"{{"client_name":"Partner app","redirect_uris":["{CALLBACK}"],"token_endpoint_auth_method":"none","grant_types":["implicit"],"response_types":["id_token token","token"]}}"#
    );
    block_on(world.tenant().register_client(body.as_bytes()))
        .unwrap()
        .client_id
}

#[test]
fn a_third_party_client_needs_consent_which_is_remembered() {
    let world = World::new();
    create_user(&world, EMAIL);
    create_api(&world, false);
    let client_id = register_third_party(&world);
    let q = query(&client_id, &[]);

    let (outcome, session) = sign_in(&world, &q);
    let Outcome::Consent(prompt) = outcome else {
        panic!("expected the consent page, got {outcome:?}")
    };
    assert_eq!(prompt.client_name, "Partner app");
    let scopes: Vec<&str> = prompt.scopes.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(scopes, ["openid", "profile", "email", "read:notes"]);
    assert_eq!(prompt.scopes[3].1, "Read your notes");

    let silent = query(&client_id, &[("prompt", "none")]);
    let refused = response(block_on(world.tenant().authorize(&silent, Some(&session))).unwrap());
    assert_eq!(param(&refused, "error"), Some("consent_required"));

    let denied =
        response(block_on(world.tenant().decide_consent(&q, Some(&session), false)).unwrap());
    assert_eq!(param(&denied, "error"), Some("access_denied"));
    assert_eq!(param(&denied, "state"), Some("st-123"));

    let allowed =
        response(block_on(world.tenant().decide_consent(&q, Some(&session), true)).unwrap());
    assert!(param(&allowed, "access_token").is_some());

    // Remembered: the same scopes go straight through, even silently...
    let again = response(block_on(world.tenant().authorize(&silent, Some(&session))).unwrap());
    assert!(param(&again, "id_token").is_some());
    // ...but a new scope asks again.
    let more = query(&client_id, &[("scope", "openid read:notes write:notes")]);
    assert!(matches!(
        block_on(world.tenant().authorize(&more, Some(&session))).unwrap(),
        Outcome::Consent(_)
    ));
    // A consent decision needs a session.
    assert!(matches!(
        block_on(world.tenant().decide_consent(&q, None, true)).unwrap(),
        Outcome::Login(_)
    ));
}

#[test]
fn a_third_party_client_never_gets_the_management_api() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = register_third_party(&world);
    let q = query(&client_id, &[("audience", &format!("{ISSUER}api/v2/"))]);
    let (outcome, _) = sign_in(&world, &q);
    assert_eq!(param(&response(outcome), "error"), Some("access_denied"));
}

#[test]
fn signup_creates_a_signed_in_user_unless_disabled() {
    let world = World::new();
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", "")]);
    let result = block_on(world.tenant().signup(&q, "New@Example.com", PASSWORD)).unwrap();
    assert!(result.new_session.is_some());
    let id = claims(param(&response(result.outcome), "id_token").unwrap());
    assert_eq!(id["email"], "new@example.com");

    let again = block_on(
        world
            .tenant()
            .signup(&q, "new@example.com", "other password"),
    )
    .unwrap();
    assert!(again
        .error
        .unwrap()
        .contains("If you already have an account"));
    let weak = block_on(world.tenant().signup(&q, "weak@example.com", "short")).unwrap();
    assert!(weak.error.unwrap().contains("too weak"));

    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        flags: Some(TenantFlagsUpdate {
            disable_signup: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .unwrap();
    let Outcome::Login(prompt) = block_on(world.tenant().authorize(&q, None)).unwrap() else {
        panic!("expected the login page")
    };
    assert!(!prompt.signup_enabled);
    let refused = block_on(world.tenant().signup(&q, "late@example.com", PASSWORD)).unwrap();
    assert_eq!(
        param(&response(refused.outcome), "error"),
        Some("access_denied")
    );
    assert!(block_on(world.tenant().user_by_email("late@example.com"))
        .unwrap()
        .is_none());
}

#[test]
fn blocked_and_deleted_users_lose_their_sessions() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", "")]);
    let (_, session) = sign_in(&world, &q);

    block_on(world.tenant().update_user(
        &user_id,
        UserUpdate {
            blocked: Some(true),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    assert!(matches!(
        block_on(world.tenant().authorize(&q, Some(&session))).unwrap(),
        Outcome::Login(_)
    ));
    let result = block_on(world.tenant().login(&q, EMAIL, PASSWORD)).unwrap();
    assert!(result.error.unwrap().contains("blocked"));

    block_on(world.tenant().delete_user(&user_id)).unwrap();
    assert!(block_on(world.tenant().session(Some(&session)))
        .unwrap()
        .is_none());
    assert!(block_on(world.tenant().user_by_email(EMAIL))
        .unwrap()
        .is_none());
}

#[test]
fn logout_returns_only_to_allowed_urls_and_changes_nothing_otherwise() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let (_, session) = sign_in(&world, &query(&client_id, &[("audience", "")]));
    for q in [
        format!("client_id={client_id}&returnTo=https%3A%2F%2Fevil.example%2F"),
        "returnTo=https%3A%2F%2Fapp.example%2F".to_string(),
    ] {
        let outcome = block_on(world.tenant().logout(&q, Some(&session))).unwrap();
        assert!(matches!(outcome, LogoutOutcome::ErrorPage(_)), "{q}");
        assert!(block_on(world.tenant().session(Some(&session)))
            .unwrap()
            .is_some());
    }
    assert_eq!(
        block_on(world.tenant().logout("", Some(&session))).unwrap(),
        LogoutOutcome::SignedOut
    );
    assert!(block_on(world.tenant().session(Some(&session)))
        .unwrap()
        .is_none());
}

#[test]
fn the_built_in_app_signs_people_in_at_the_issuer_origin() {
    let world = World::new();
    create_user(&world, EMAIL);
    let app = world.tenant().app_client();
    assert_eq!(app.client_id, world.tenant().app_client_id());
    assert!(!app.is_third_party());
    let q = serde_urlencoded::to_string([
        ("response_type", "id_token token"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", "https://tenant.example/callback"),
        ("scope", "openid profile email"),
        ("state", "s"),
        ("nonce", "n"),
    ])
    .unwrap();
    let (outcome, _) = sign_in(&world, &q);
    let response = response(outcome);
    assert_eq!(
        claims(param(&response, "id_token").unwrap())["aud"],
        app.client_id.as_str()
    );
}

#[test]
fn the_dashboard_gets_a_management_token_only_for_what_an_admin_holds() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let tenant = world.tenant();
    let dashboard = tenant.dashboard_client();
    assert_eq!(dashboard.client_id, tenant.dashboard_client_id());
    assert_ne!(dashboard.client_id, tenant.app_client_id());
    assert!(!dashboard.is_third_party());
    let mgmt = tenant.management_audience();
    let q = serde_urlencoded::to_string([
        ("response_type", "id_token token"),
        ("client_id", dashboard.client_id.as_str()),
        ("redirect_uri", "https://tenant.example/dashboard/callback"),
        ("scope", "openid profile read:clients update:client_keys"),
        ("audience", mgmt.as_str()),
        ("state", "s"),
        ("nonce", "n"),
    ])
    .unwrap();
    let bearer = |response: &AuthorizationResponse| {
        format!("Bearer {}", param(response, "access_token").unwrap())
    };

    // Without permissions: signed in, but the token can do nothing there.
    let (outcome, session) = sign_in(&world, &q);
    let response = response(outcome);
    assert_eq!(
        claims(param(&response, "access_token").unwrap())["scope"],
        "openid profile"
    );
    let refused = block_on(tenant.authorize_management(Some(&bearer(&response)), "read:clients"));
    assert!(matches!(
        refused,
        Err(Error::Management { status: 403, .. })
    ));

    block_on(tenant.add_user_permissions(
        &user_id,
        PermissionsRequest {
            permissions: vec![PermissionRef {
                resource_server_identifier: mgmt.clone(),
                permission_name: "read:clients".into(),
            }],
        },
        &world.admin(),
    ))
    .unwrap();
    let outcome = block_on(tenant.authorize(&q, Some(&session))).unwrap();
    let response = self::response(outcome);
    assert_eq!(
        claims(param(&response, "access_token").unwrap())["scope"],
        "openid profile read:clients"
    );
    block_on(tenant.authorize_management(Some(&bearer(&response)), "read:clients")).unwrap();
    let refused =
        block_on(tenant.authorize_management(Some(&bearer(&response)), "update:client_keys"));
    assert!(matches!(
        refused,
        Err(Error::Management { status: 403, .. })
    ));
}

#[test]
fn users_are_unique_by_email_and_keep_only_a_password_hash() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let duplicate = block_on(world.tenant().create_user(UserCreate {
        connection: DATABASE_CONNECTION.into(),
        email: "  ADA@example.com".into(),
        password: "another password".into(),
        ..Default::default()
    }));
    assert!(matches!(
        duplicate,
        Err(Error::Management { status: 409, .. })
    ));
    let stored = world.store.snapshot();
    assert!(stored.values().all(|v| !v.contains(PASSWORD)));

    let user = block_on(world.tenant().update_user(
        &user_id,
        UserUpdate {
            email: Some("ada@new.example".into()),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    assert_eq!(user.email, "ada@new.example");
    assert!(block_on(world.tenant().user_by_email(EMAIL))
        .unwrap()
        .is_none());
    assert!(
        block_on(world.tenant().authenticate("ada@new.example", PASSWORD))
            .unwrap()
            .is_some()
    );

    let listed = block_on(
        world
            .tenant()
            .list_users(Paging::from_query(&[]).unwrap(), Some("new.EXAMPLE")),
    )
    .unwrap();
    assert_eq!(listed.items.len(), 1);
}

#[test]
fn permissions_must_name_a_scope_the_api_defines() {
    let world = World::new();
    let admin = world.admin();
    let user_id = create_user(&world, EMAIL);
    create_api(&world, true);
    let request = |api: &str, name: &str| PermissionsRequest {
        permissions: vec![PermissionRef {
            resource_server_identifier: api.into(),
            permission_name: name.into(),
        }],
    };
    assert!(block_on(world.tenant().add_user_permissions(
        &user_id,
        request(API, "delete:notes"),
        &admin
    ))
    .is_err());
    assert!(block_on(world.tenant().add_user_permissions(
        &user_id,
        request("https://nope/", "x"),
        &admin
    ))
    .is_err());
    block_on(
        world
            .tenant()
            .add_user_permissions(&user_id, request(API, "read:notes"), &admin),
    )
    .unwrap();
    let listed = block_on(
        world
            .tenant()
            .user_permissions(&user_id, Paging::from_query(&[]).unwrap()),
    )
    .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].resource_server_name, "Notes");
    assert_eq!(listed.items[0].description, "Read your notes");

    block_on(
        world
            .tenant()
            .remove_user_permissions(&user_id, request(API, "read:notes")),
    )
    .unwrap();
    let listed = block_on(
        world
            .tenant()
            .user_permissions(&user_id, Paging::from_query(&[]).unwrap()),
    )
    .unwrap();
    assert!(listed.items.is_empty());
}

/// A person (EMAIL) holding `permissions` on the Management API, signed in
/// to the Dashboard: (user id, session id, the `Authorization` header of the
/// Management API token the Dashboard got).
fn dashboard_admin(world: &World, permissions: &[&str]) -> (String, String, String) {
    let user_id = create_user(world, EMAIL);
    let tenant = world.tenant();
    let mgmt = tenant.management_audience();
    let permission_refs = permissions
        .iter()
        .map(|name| PermissionRef {
            resource_server_identifier: mgmt.clone(),
            permission_name: name.to_string(),
        })
        .collect();
    block_on(tenant.add_user_permissions(
        &user_id,
        PermissionsRequest {
            permissions: permission_refs,
        },
        &world.admin(),
    ))
    .unwrap();
    let every_scope: Vec<&str> = crate::management::SCOPES.iter().map(|(n, _)| *n).collect();
    let scope = format!("openid {}", every_scope.join(" "));
    let q = serde_urlencoded::to_string([
        ("response_type", "token"),
        ("client_id", tenant.dashboard_client_id().as_str()),
        ("redirect_uri", "https://tenant.example/dashboard/callback"),
        ("scope", scope.as_str()),
        ("audience", mgmt.as_str()),
        ("state", "s"),
    ])
    .unwrap();
    let (outcome, session) = sign_in(world, &q);
    let token = param(&response(outcome), "access_token")
        .unwrap()
        .to_string();
    (user_id, session, format!("Bearer {token}"))
}

#[test]
fn a_persons_management_token_dies_with_their_permission_block_or_deletion() {
    let world = World::new();
    let (user_id, _, bearer) = dashboard_admin(&world, &["read:users", "read:clients"]);
    let tenant = world.tenant();
    let mgmt = tenant.management_audience();
    block_on(tenant.authorize_management(Some(&bearer), "read:users")).unwrap();

    // A permission taken away stops working at once; the others do not.
    block_on(tenant.remove_user_permissions(
        &user_id,
        PermissionsRequest {
            permissions: vec![PermissionRef {
                resource_server_identifier: mgmt.clone(),
                permission_name: "read:users".into(),
            }],
        },
    ))
    .unwrap();
    assert!(matches!(
        block_on(tenant.authorize_management(Some(&bearer), "read:users")),
        Err(Error::Management { status: 403, .. })
    ));
    block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();

    // Blocked: nothing works, and unblocking gives back only what is held.
    let block = |blocked: bool| {
        block_on(tenant.update_user(
            &user_id,
            UserUpdate {
                blocked: Some(blocked),
                ..Default::default()
            },
            &world.admin(),
        ))
        .unwrap()
    };
    block(true);
    let refused = block_on(tenant.authorize_management(Some(&bearer), "read:clients"));
    assert!(
        matches!(&refused, Err(Error::Management { status: 401, message, .. }) if message.contains("blocked")),
        "{refused:?}"
    );
    block(false);
    block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();

    block_on(tenant.delete_user(&user_id)).unwrap();
    assert!(matches!(
        block_on(tenant.authorize_management(Some(&bearer), "read:clients")),
        Err(Error::Management { status: 401, .. })
    ));
}

#[test]
fn a_person_cannot_grant_management_permissions_they_do_not_hold() {
    let world = World::new();
    let (user_id, _, bearer) = dashboard_admin(&world, &["update:users", "read:users"]);
    let tenant = world.tenant();
    let granter = block_on(tenant.authorize_management(Some(&bearer), "update:users")).unwrap();
    let mgmt = tenant.management_audience();
    let ask = |names: &[&str]| PermissionsRequest {
        permissions: names
            .iter()
            .map(|name| PermissionRef {
                resource_server_identifier: mgmt.clone(),
                permission_name: name.to_string(),
            })
            .collect(),
    };
    let before = world.store.snapshot();
    let refused = block_on(tenant.add_user_permissions(
        &user_id,
        ask(&["read:users", "delete:users", "update:client_keys"]),
        &granter,
    ));
    crate::testing::assert_insufficient_scope(refused, "missing: delete:users update:client_keys");
    assert_eq!(
        world.store.snapshot(),
        before,
        "a refused grant writes nothing"
    );
    assert_eq!(
        block_on(tenant.user(&user_id))
            .unwrap()
            .unwrap()
            .permissions
            .len(),
        2
    );

    // Nor take over an account that holds more: the super admin's password
    // and email are out of reach, a plain user's are not.
    let super_admin = block_on(tenant.create_user(UserCreate {
        connection: DATABASE_CONNECTION.into(),
        email: "root@example.com".into(),
        password: PASSWORD.into(),
        ..Default::default()
    }))
    .unwrap()
    .user_id;
    block_on(tenant.add_user_permissions(&super_admin, ask(&["delete:users"]), &world.admin()))
        .unwrap();
    for update in [
        UserUpdate {
            password: Some("a new password for root".into()),
            ..Default::default()
        },
        UserUpdate {
            email: Some("mine@example.com".into()),
            ..Default::default()
        },
    ] {
        let refused = block_on(tenant.update_user(&super_admin, update, &granter));
        assert!(
            matches!(&refused, Err(Error::Management { status: 403, message, .. }) if message.contains("delete:users")),
            "{refused:?}"
        );
    }
    let plain = create_user(&world, "plain@example.com");
    block_on(tenant.update_user(
        &plain,
        UserUpdate {
            password: Some("another good password".into()),
            ..Default::default()
        },
        &granter,
    ))
    .unwrap();
}

#[test]
fn a_new_password_or_a_block_ends_every_session_of_the_person() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", ""), ("prompt", "none")]);
    let signed_in = |session: &str| {
        block_on(world.tenant().session(Some(session)))
            .unwrap()
            .is_some()
    };
    let update = |update: UserUpdate| {
        block_on(world.tenant().update_user(&user_id, update, &world.admin())).unwrap();
    };
    let (_, first) = sign_in(&world, &query(&client_id, &[("audience", "")]));
    let (_, second) = sign_in(&world, &query(&client_id, &[("audience", "")]));
    update(UserUpdate {
        name: Some("Ada".into()),
        ..Default::default()
    });
    assert!(
        signed_in(&first) && signed_in(&second),
        "a profile change ends nothing"
    );

    update(UserUpdate {
        password: Some("a brand new password".into()),
        ..Default::default()
    });
    assert!(!signed_in(&first) && !signed_in(&second));
    let silent = response(block_on(world.tenant().authorize(&q, Some(&first))).unwrap());
    assert_eq!(param(&silent, "error"), Some("login_required"));

    // A block ends them too, and lifting it does not bring them back.
    let result = block_on(world.tenant().login(&q, EMAIL, "a brand new password")).unwrap();
    let third = result.new_session.unwrap();
    assert!(signed_in(&third));
    update(UserUpdate {
        blocked: Some(true),
        ..Default::default()
    });
    update(UserUpdate {
        blocked: Some(false),
        ..Default::default()
    });
    assert!(!signed_in(&third));
}

#[test]
fn a_session_is_honoured_only_by_the_issuer_it_was_started_with() {
    let mut world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let (_, session) = sign_in(&world, &query(&client_id, &[("audience", "")]));
    assert!(block_on(world.tenant().session(Some(&session)))
        .unwrap()
        .is_some());
    // The same store behind a deployment with another issuer.
    world.config = crate::Config::new("https://other.example/", None).unwrap();
    assert!(block_on(world.tenant().session(Some(&session)))
        .unwrap()
        .is_none());
}

#[test]
fn consent_is_asked_per_api_and_names_the_api_and_where_the_tokens_go() {
    let world = World::new();
    create_user(&world, EMAIL);
    create_api(&world, false);
    let client_id = register_third_party(&world);

    // Approved for signing in alone, with no API.
    let openid = query(&client_id, &[("audience", ""), ("scope", "openid")]);
    let (outcome, session) = sign_in(&world, &openid);
    let Outcome::Consent(prompt) = outcome else {
        panic!("expected the consent page, got {outcome:?}")
    };
    assert_eq!(prompt.api, None);
    assert_eq!(prompt.destination(), "app.example");
    block_on(world.tenant().decide_consent(&openid, Some(&session), true)).unwrap();

    // The same scope with an access token for the API is another consent,
    // though it asks for no permission of the API.
    let api = query(
        &client_id,
        &[("response_type", "token"), ("scope", "openid")],
    );
    let silent = query(
        &client_id,
        &[
            ("response_type", "token"),
            ("scope", "openid"),
            ("prompt", "none"),
        ],
    );
    let refused = response(block_on(world.tenant().authorize(&silent, Some(&session))).unwrap());
    assert_eq!(param(&refused, "error"), Some("consent_required"));
    assert_eq!(param(&refused, "access_token"), None);
    let Outcome::Consent(prompt) =
        block_on(world.tenant().authorize(&api, Some(&session))).unwrap()
    else {
        panic!("expected the consent page for the API")
    };
    assert_eq!(prompt.api, Some(("Notes".to_string(), API.to_string())));
    let allowed =
        response(block_on(world.tenant().decide_consent(&api, Some(&session), true)).unwrap());
    let token = claims(param(&allowed, "access_token").unwrap());
    assert_eq!(token["aud"][0], API);
    // Remembered for that API now.
    let again = response(block_on(world.tenant().authorize(&silent, Some(&session))).unwrap());
    assert!(param(&again, "access_token").is_some());
}

#[test]
fn a_head_of_logout_ends_no_session() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let (_, session) = sign_in(&world, &query(&client_id, &[("audience", "")]));
    let logout = format!("client_id={client_id}&returnTo=https%3A%2F%2Fapp.example%2F");
    assert_eq!(
        block_on(world.tenant().logout_destination(&logout)).unwrap(),
        LogoutOutcome::Redirect("https://app.example/".into())
    );
    assert!(block_on(world.tenant().session(Some(&session)))
        .unwrap()
        .is_some());
}

#[test]
fn the_login_and_consent_pages_know_the_validated_redirect_uri() {
    let world = World::new();
    let client_id = create_spa(&world);
    let Outcome::Login(prompt) =
        block_on(world.tenant().authorize(&query(&client_id, &[]), None)).unwrap()
    else {
        panic!("expected the login page")
    };
    assert_eq!(prompt.redirect_uri, CALLBACK);
    assert_eq!(
        crate::primitives::redirect_uri::csp_source(&prompt.redirect_uri).as_deref(),
        Some("https://app.example")
    );
}
