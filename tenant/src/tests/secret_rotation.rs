//! Client secret rotation, grace periods and custom secrets.

use shared::management::{ClientUpdate, TenantSettingsUpdate};

use crate::error::OAuthErrorCode;
use crate::testing::{block_on, World, NOW};

use super::machines::*;

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
        Err(e) if e.status() == 403
    ));
    assert!(matches!(
        update("too-short", true),
        Err(e) if e.status() == 400
    ));
    assert!(matches!(
        update("with spaces with spaces with spaces with spaces", true),
        Err(e) if e.status() == 400
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
