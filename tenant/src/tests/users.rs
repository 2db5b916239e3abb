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
fn users_listings_and_searches_are_a_few_queries_whatever_the_number_of_users() {
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
        let emails: Vec<String> = listed.items.iter().map(|u| u.email.clone()).collect();
        (emails, listed.total, world.db.statements())
    };
    let (everyone, total, statements) = with_totals(None);
    assert_eq!((everyone.len(), total, statements), (50, 5_000, 2));
    // A search counts up to the 1,000 matches paging can reach.
    let (common, total, statements) = with_totals(Some("scale"));
    assert_eq!((common.len(), total, statements), (50, 1_000, 2));
    let (none, total, statements) = with_totals(Some("user4321"));
    assert_eq!(
        (none.len(), total, statements),
        (0, 1, 2),
        "page 3 of one match is empty"
    );
    let (prefixed, total, _) = with_totals(Some("email:user1*"));
    assert_eq!((prefixed.len(), total), (50, 1_000));
    assert!(prefixed.iter().all(|email| email.starts_with("user1")));
    // Several terms: one capped count each, then the page and its count,
    // driven by the rarest.
    let (both, total, statements) = with_totals(Some("scale user 4321"));
    assert_eq!((both.len(), total, statements), (0, 1, 3 + 2));
    let (nobody, total, statements) = with_totals(Some("scale nobody"));
    assert_eq!(
        (nobody.len(), total, statements),
        (0, 0, 2),
        "a term nobody matches ends the search"
    );

    world.db.reset_count();
    let found = block_on(world.tenant().users_by_email("user4321@scale.example")).unwrap();
    assert_eq!((found.len(), world.db.statements()), (1, 1));
    // Paging reaches the first thousand, as Auth0's does.
    let deep = Paging::from_query(&[("page".into(), "20".into())]).unwrap();
    let refused = block_on(world.tenant().list_users(deep, None)).err();
    assert_eq!(refused.map(|err| err.status()), Some(400));
}

#[test]
fn a_search_reads_its_index_in_order_and_checks_the_other_terms_on_what_it_found() {
    let world = World::new();
    seed_scale(&world, 2_000, 0, "pbkdf2-sha256$1000$AAAA$AAAA");
    let page_plan = |q: &str| {
        world.db.reset_count();
        let paging = Paging::from_query(&[("per_page".into(), "10".into())]).unwrap();
        let listed = block_on(world.tenant().list_users(paging, Some(q))).unwrap();
        assert!(!listed.items.is_empty(), "{q}");
        world.db.executed().pop().unwrap()
    };
    for q in [
        "scale",
        "email:user1*",
        "name:\"Scale User 1*\"",
        "scale 1234",
        "1234 scale",
    ] {
        let (_, plan) = page_plan(q);
        assert!(
            !plan.contains("TEMP B-TREE"),
            "{q}: the page is read in the index's order, not sorted: {plan}"
        );
        assert!(
            !plan.contains("SCAN u") && !plan.contains("SCAN t"),
            "{q}: {plan}"
        );
    }
    // The rarer word drives, whichever comes first: its index is the
    // outer loop, and its value the first bound.
    for q in ["scale 1234", "1234 scale"] {
        let (page, plan) = page_plan(q);
        let driving = plan.lines().next().unwrap_or_default();
        assert!(driving.contains("SEARCH t"), "{q}: {plan}");
        assert_eq!(page.params[0], "1234".into(), "{q}: {}", page.sql);
    }
    let found = |q: &str| {
        let paging = Paging::from_query(&[("per_page".into(), "100".into())]).unwrap();
        let listed = block_on(world.tenant().list_users(paging, Some(q))).unwrap();
        listed
            .items
            .into_iter()
            .map(|u| u.email)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        found("scale 1234"),
        vec!["user1234@scale.example".to_string()]
    );
    assert_eq!(found("1234 scale"), found("scale 1234"));
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
