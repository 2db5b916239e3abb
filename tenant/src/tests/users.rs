//! Users of the database connection and their permissions.

use shared::management::{
    PermissionRef, PermissionsRequest, UserCreate, UserUpdate, DATABASE_CONNECTION,
};

use crate::management::Paging;
use crate::testing::{block_on, World};

use super::people::*;

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
        Err(e) if e.status() == 409
    ));
    assert!(!format!("{:?}", world.snapshot()).contains(PASSWORD));

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
