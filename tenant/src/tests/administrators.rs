//! People who administer the tenant: their Management API tokens and what they may pass on.

use shared::management::{
    PermissionRef, PermissionsRequest, UserCreate, UserUpdate, DATABASE_CONNECTION,
};

use crate::sign_in::response::AuthorizationResponse;
use crate::testing::{block_on, World};

use super::people::*;

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
    let response = response(Ok(outcome));
    assert_eq!(
        claims(param(&response, "access_token").unwrap())["scope"],
        "openid profile"
    );
    let refused = block_on(tenant.authorize_management(Some(&bearer(&response)), "read:clients"));
    assert!(matches!(
        refused,
        Err(e) if e.status() == 403
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
    let response = self::response(Ok(outcome));
    assert_eq!(
        claims(param(&response, "access_token").unwrap())["scope"],
        "openid profile read:clients"
    );
    block_on(tenant.authorize_management(Some(&bearer(&response)), "read:clients")).unwrap();
    let refused =
        block_on(tenant.authorize_management(Some(&bearer(&response)), "update:client_keys"));
    assert!(matches!(
        refused,
        Err(e) if e.status() == 403
    ));
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
    let token = param(&response(Ok(outcome)), "access_token")
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
        Err(e) if e.status() == 403
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
        matches!(&refused, Err(e) if e.status() == 401 && e.description().contains("blocked")),
        "{refused:?}"
    );
    block(false);
    block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();

    block_on(tenant.delete_user(&user_id)).unwrap();
    assert!(matches!(
        block_on(tenant.authorize_management(Some(&bearer), "read:clients")),
        Err(e) if e.status() == 401
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
    let before = world.snapshot();
    let refused = block_on(tenant.add_user_permissions(
        &user_id,
        ask(&["read:users", "delete:users", "update:client_keys"]),
        &granter,
    ));
    crate::testing::assert_insufficient_scope(refused, "missing: delete:users update:client_keys");
    assert_eq!(world.snapshot(), before, "a refused grant writes nothing");
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
            matches!(&refused, Err(e) if e.status() == 403 && e.description().contains("delete:users")),
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
