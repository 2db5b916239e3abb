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

/// `bench/scale/seed.sql`, for `users` users and `logs` events.
pub(super) fn seed_scale(world: &World, users: u64, logs: u64, password_hash: &str) {
    world.db.execute(
        &include_str!("../../../bench/scale/seed.sql")
            .replace(":users", &users.to_string())
            .replace(":logs", &logs.to_string())
            .replace(":now", &crate::testing::NOW.to_string())
            .replace(":password_hash", password_hash),
    );
}

fn search(world: &World, q: &str) -> Vec<String> {
    let paging = Paging::from_query(&[("per_page".into(), "100".into())]).unwrap();
    let listed = block_on(world.tenant().list_users(paging, Some(q)))
        .unwrap_or_else(|err| panic!("{q}: {err:?}"));
    let mut emails: Vec<String> = listed.items.into_iter().map(|u| u.email).collect();
    emails.sort();
    emails
}

#[test]
fn q_finds_users_by_words_of_their_names_and_email_and_by_indexed_fields() {
    let world = World::new();
    for (email, name) in [
        ("ada@math.example", "Ada Lovelace"),
        ("grace@navy.example", "Grace Brewster Hopper"),
        ("alan@math.example", "Alan Turing"),
    ] {
        block_on(world.tenant().create_user(UserCreate {
            connection: DATABASE_CONNECTION.into(),
            email: email.into(),
            password: PASSWORD.into(),
            name: Some(name.into()),
            ..Default::default()
        }))
        .unwrap();
    }
    let ada = vec!["ada@math.example".to_string()];
    let math = vec![
        "ada@math.example".to_string(),
        "alan@math.example".to_string(),
    ];
    assert_eq!(search(&world, "lovelace"), ada);
    assert_eq!(
        search(&world, "ada"),
        ada,
        "once, though several of her words start so"
    );
    assert_eq!(
        search(&world, "LOVE"),
        ada,
        "a bare word is a prefix, whatever the case"
    );
    assert_eq!(search(&world, "math.example"), math);
    assert_eq!(search(&world, "math"), math);
    assert_eq!(
        search(&world, "brewster"),
        vec!["grace@navy.example".to_string()]
    );
    assert_eq!(search(&world, "email:ADA@math.example"), ada);
    assert_eq!(search(&world, "email:a*"), math);
    assert_eq!(
        search(&world, r#"name:"ada lovelace""#),
        ada,
        "names whatever the case"
    );
    assert_eq!(
        search(&world, "name:Al*"),
        vec!["alan@math.example".to_string()]
    );
    assert_eq!(search(&world, "math AND name:ada*"), ada);
    assert_eq!(
        search(&world, "math turing"),
        vec!["alan@math.example".to_string()]
    );
    assert!(
        search(&world, "name:ada").is_empty(),
        "a field is the whole value"
    );
    assert!(search(&world, "hopper lovelace").is_empty());
    let ada_id = block_on(world.tenant().users_by_email("ada@math.example")).unwrap()[0]
        .user_id
        .clone();
    assert_eq!(search(&world, &format!("user_id:\"{ada_id}\"")), ada);

    // A user's words follow their changes.
    block_on(world.tenant().update_user(
        &ada_id,
        UserUpdate {
            name: Some("Augusta King".into()),
            email: Some("augusta@royal.example".into()),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    assert!(search(&world, "lovelace").is_empty());
    assert_eq!(
        search(&world, "augusta"),
        vec!["augusta@royal.example".to_string()]
    );
    block_on(world.tenant().delete_user(&ada_id)).unwrap();
    assert!(search(&world, "augusta").is_empty());
    let terms = world.db.snapshot().remove("user_terms").unwrap_or_default();
    assert!(
        !terms.is_empty() && terms.iter().all(|row| !row.contains(ada_id.as_str())),
        "the deleted user's words go, the others' stay: {terms:?}"
    );
}

#[test]
fn users_listings_and_searches_are_two_queries_whatever_the_number_of_users() {
    let world = World::new();
    seed_scale(&world, 5_000, 0, "pbkdf2-sha256$1000$AAAA$AAAA");
    let with_totals = |q: Option<&str>| {
        let paging = Paging::from_query(&[
            ("per_page".into(), "50".into()),
            ("page".into(), "3".into()),
            ("include_totals".into(), "true".into()),
        ])
        .unwrap();
        world.db.reset_count();
        let listed = block_on(world.tenant().list_users(paging, q)).unwrap();
        assert_eq!(world.db.statements(), 2, "{q:?}");
        (listed.items.len(), listed.total)
    };
    assert_eq!(with_totals(None), (50, 5_000));
    assert_eq!(with_totals(Some("scale")), (50, 5_000));
    assert_eq!(
        with_totals(Some("user4321")),
        (0, 1),
        "page 3 of one match is empty"
    );
    assert_eq!(with_totals(Some("email:user1*")), (50, 1_111));
    world.db.reset_count();
    let found = block_on(world.tenant().users_by_email("user4321@scale.example")).unwrap();
    assert_eq!((found.len(), world.db.statements()), (1, 1));
    // Paging reaches the first thousand, as Auth0's does.
    let deep = Paging::from_query(&[("page".into(), "20".into())]).unwrap();
    let refused = block_on(world.tenant().list_users(deep, None)).err();
    assert_eq!(refused.map(|err| err.status()), Some(400));
}

#[test]
fn the_database_refuses_a_second_user_with_an_email_even_past_the_check() {
    let world = World::new();
    let user_id = create_user(&world, EMAIL);
    let mut twin = block_on(world.tenant().user(&user_id)).unwrap().unwrap();
    twin.user_id = "auth0|0123456789abcdef01234567".into();
    // What a concurrent sign-up that passed the email check would write.
    let refused = block_on(world.tenant().create(vec![twin.insert()], &[], || {
        crate::error::Error::management(
            crate::error::ManagementErrorCode::UserExists,
            "The user already exists.",
        )
    }))
    .unwrap_err();
    assert_eq!(refused.status(), 409);
    assert_eq!(world.db.count("users"), 1);
}
