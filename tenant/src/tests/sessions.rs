//! Sessions: what answers the next `/authorize`, and what ends them.

use shared::management::UserUpdate;

use crate::sign_in::logout::LogoutOutcome;
use crate::sign_in::outcome::Outcome;
use crate::testing::{block_on, World};

use super::people::*;

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
        let refused = block_on(world.tenant().logout(&q, Some(&session)));
        assert!(
            matches!(&refused, Err(e) if e.status() == 400 && e.code() == "invalid_request"),
            "{q}: {refused:?}"
        );
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
    let silent = response(block_on(world.tenant().authorize(&q, Some(&first))));
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
