//! Whole sign-ins through the tenant, as a browser drives them: `/authorize`, the hosted login and signup, tokens, `/userinfo`.

use shared::management::{
    AppType, ClientCreate, PermissionRef, PermissionsRequest, TenantFlagsUpdate,
    TenantSettingsUpdate,
};

use crate::error::{Error, OAuthErrorCode};
use crate::sign_in::logout::LogoutOutcome;
use crate::sign_in::outcome::Outcome;
use crate::sign_in::request::ResponseMode;
use crate::testing::{block_on, World, ISSUER, NOW};

use super::people::*;

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
    let response = response(Ok(outcome));
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
    let response = response(block_on(world.tenant().authorize(&again, Some(&session))));
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
fn a_sign_in_is_one_batch_and_nothing_of_it_is_written_without_its_event() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    create_api(&world, false);
    // The audit log refuses writes, as a failing D1 would for this table.
    world
        .db
        .execute("CREATE TRIGGER refuse_events BEFORE INSERT ON logs BEGIN SELECT RAISE(ABORT, 'refused'); END");
    let before = world.db.snapshot();
    let refused = block_on(
        world
            .tenant()
            .login(&query(&client_id, &[]), EMAIL, PASSWORD),
    );
    assert_eq!(refused.err().map(|err| err.status()), Some(503));
    assert_eq!(world.db.snapshot(), before, "no session, no login counted");

    world.db.execute("DROP TRIGGER refuse_events");
    sign_in(&world, &query(&client_id, &[]));
    // Signed in once, with the signing keys made: the next sign-in is
    // the user by email, then the login, its event and the session.
    world.db.reset_count();
    sign_in(&world, &query(&client_id, &[]));
    assert_eq!((world.db.batches(), world.db.statements()), (2, 4));
    let user = block_on(world.tenant().user(&user_id)).unwrap().unwrap();
    assert_eq!(user.logins_count, 2);
    assert_eq!(world.db.count("sessions"), 2);
}

#[test]
fn wrong_credentials_get_one_message_whether_or_not_the_email_exists() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", ""), ("scope", "openid")]);
    let before = world.snapshot();
    let wrong_password = block_on(world.tenant().login(&q, EMAIL, "not the password")).unwrap();
    let unknown_email = block_on(world.tenant().login(&q, "nobody@example.com", PASSWORD)).unwrap();
    for result in [&wrong_password, &unknown_email] {
        assert_eq!(result.error.as_deref(), Some("Wrong email or password."));
        assert_eq!(result.new_session, None);
        assert!(matches!(result.outcome, Outcome::Login(_)));
    }
    // Nothing but the two `f` events of the audit log, which name no user
    // either way: the log does not tell which emails have accounts.
    let mut after = world.snapshot();
    assert_eq!(after.read_model, before.read_model);
    let logged = after.database.remove("logs").unwrap_or_default();
    let mut before_db = before.database;
    let logged_before = before_db.remove("logs").unwrap_or_default();
    assert_eq!(
        after.database, before_db,
        "a failed login writes only its log events"
    );
    assert_eq!(logged.len(), logged_before.len() + 2);
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
    let response = response(block_on(world.tenant().authorize(&q, None)));
    assert_eq!(response.mode, ResponseMode::FormPost);
    assert_eq!(param(&response, "error"), Some("login_required"));
    assert_eq!(param(&response, "state"), Some("st-123"));
    assert_eq!(param(&response, "access_token"), None);
}

#[test]
fn an_untrusted_client_or_redirect_uri_gets_an_error_page_and_no_redirect() {
    let world = World::new();
    let client_id = create_spa(&world);
    let before = world.snapshot();
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
        // An error, not a redirect: the worker shows it as a page.
        let refused = block_on(world.tenant().authorize(&q, None));
        assert!(
            matches!(
                &refused,
                Err(Error::OAuth {
                    status: 400,
                    code: OAuthErrorCode::InvalidRequest,
                    ..
                })
            ),
            "{q}: expected an error page, got {refused:?}"
        );
    }
    assert_eq!(world.snapshot(), before);
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
        // The hybrid flows are not offered.
        (
            query(&client_id, &[("response_type", "code id_token")]),
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
        // The query cannot carry tokens (it can carry a code).
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
        let response = response(block_on(world.tenant().authorize(&q, None)));
        assert_eq!(param(&response, "error"), Some(error), "{q}");
        assert_eq!(param(&response, "state"), Some("st-123"), "{q}");
        assert!(response
            .location()
            .starts_with(&format!("{CALLBACK}#error={error}")));
    }
}

#[test]
fn an_unknown_audience_is_access_denied_after_sign_in() {
    let world = World::new();
    create_user(&world, EMAIL);
    let client_id = create_spa(&world);
    let (outcome, _) = sign_in(&world, &query(&client_id, &[("audience", "https://nope/")]));
    let response = response(Ok(outcome));
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
    let at = claims(param(&response(Ok(outcome)), "access_token").unwrap());
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
    let at = claims(param(&response(Ok(outcome)), "access_token").unwrap());
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
    let at = claims(param(&response(Ok(outcome)), "access_token").unwrap());
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
    let at = claims(param(&response(Ok(outcome)), "access_token").unwrap());
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
    let at = claims(param(&response(Ok(outcome)), "access_token").unwrap());
    assert_eq!(at["scope"], "openid");
}

#[test]
fn signup_creates_a_signed_in_user_unless_disabled() {
    let world = World::new();
    let client_id = create_spa(&world);
    let q = query(&client_id, &[("audience", "")]);
    let result = block_on(world.tenant().signup(&q, "New@Example.com", PASSWORD)).unwrap();
    assert!(result.new_session.is_some());
    let id = claims(param(&response(Ok(result.outcome)), "id_token").unwrap());
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
    let refused = block_on(world.tenant().signup(&q, "late@example.com", PASSWORD))
        .map(|result| result.outcome);
    assert_eq!(param(&response(refused), "error"), Some("access_denied"));
    assert!(block_on(world.tenant().user_by_email("late@example.com"))
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
    let response = response(Ok(outcome));
    assert_eq!(
        claims(param(&response, "id_token").unwrap())["aud"],
        app.client_id.as_str()
    );
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
