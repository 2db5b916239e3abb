//! The Management API: scopes, who may call it, what a refused call leaves behind.

use shared::management::{
    ClientCreate, ClientGrantCreate, ClientUpdate, ResourceServerCreate, ResourceServerUpdate,
    TenantSettingsUpdate,
};

use crate::error::{Error, OAuthErrorCode};
use crate::management::Paging;
use crate::testing::{block_on, World, BOOTSTRAP_ID, BOOTSTRAP_SECRET, ISSUER};

use super::machines::*;

/// A new M2M app granted `read:clients` on the Management API, and the
/// `Authorization` header of a token it got, checked to work.
fn management_reader(world: &World) -> (String, String) {
    let management = format!("{ISSUER}api/v2/");
    let app = create_m2m_app(world, None);
    grant(world, &app, &management, &["read:clients"]);
    let token = request_token(world, &app, &[("audience", &management)])
        .unwrap()
        .access_token;
    let bearer = format!("Bearer {token}");
    assert!(block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "read:clients")
    )
    .is_ok());
    (app.client_id, bearer)
}

#[test]
fn the_management_api_checks_each_scope() {
    let world = World::new();
    let admin = management_token(&world);
    let bearer = format!("Bearer {admin}");
    for (scope, _) in crate::management::SCOPES {
        assert!(block_on(world.tenant().authorize_management(Some(&bearer), scope)).is_ok());
    }

    let (_, bearer) = management_reader(&world);
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "create:clients"),
    );
    assert!(matches!(
        refused,
        Err(e) if e.status() == 403 && e.code() == "insufficient_scope"
    ));
    let missing = block_on(world.tenant().authorize_management(None, "read:clients"));
    assert!(matches!(
        missing,
        Err(e) if e.status() == 401
    ));
}

#[test]
fn a_management_token_dies_with_its_clients_first_party_status_or_the_client() {
    let world = World::new();
    let (made_third_party, bearer) = &management_reader(&world);
    block_on(world.tenant().update_client(
        made_third_party,
        shared::management::ClientUpdate {
            is_first_party: Some(false),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(bearer), "read:clients"),
    );
    assert!(
        matches!(&refused, Err(e) if e.status() == 401 && e.description().contains("Third-party")),
        "{refused:?}"
    );

    let (deleted, bearer) = &management_reader(&world);
    block_on(world.tenant().delete_client(deleted)).unwrap();
    let refused = block_on(
        world
            .tenant()
            .authorize_management(Some(bearer), "read:clients"),
    );
    assert!(
        matches!(&refused, Err(e) if e.status() == 401 && e.description().contains("no longer exists")),
        "{refused:?}"
    );
}

#[test]
fn the_bootstrap_client_only_reaches_the_management_api() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let bootstrap = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: BOOTSTRAP_SECRET.into(),
    };
    assert_oauth_error(
        request_token(&world, &bootstrap, &[("audience", API)]),
        403,
        OAuthErrorCode::AccessDenied,
    );
    let wrong = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: "wrong".into(),
    };
    let audience = format!("{ISSUER}api/v2/");
    assert_oauth_error(
        request_token(&world, &wrong, &[("audience", &audience)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
}

#[test]
fn deleting_a_client_deletes_its_grants_and_its_access() {
    let world = World::new();
    let app = granted_app(&world);
    block_on(world.tenant().delete_client(&app.client_id)).unwrap();
    let grants = grants_of(&world, &app.client_id);
    assert!(grants.is_empty());
    assert!(world
        .store
        .snapshot()
        .keys()
        .all(|k| !k.contains("client_grant")));
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
}

#[test]
fn deleting_an_api_deletes_the_grants_to_it() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    create_api(&world, "https://api.example/other", "EdDSA");
    let app = create_m2m_app(&world, None);
    grant(&world, &app, API, &["read:things"]);
    grant(&world, &app, "https://api.example/other", &["read:things"]);
    let api_id = block_on(world.tenant().get_resource_server(API))
        .unwrap()
        .id;
    block_on(world.tenant().delete_resource_server(&api_id)).unwrap();
    let grants = grants_of(&world, &app.client_id);
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].audience, "https://api.example/other");
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        403,
        OAuthErrorCode::AccessDenied,
    );
}

#[test]
fn rejected_management_requests_write_nothing() {
    let world = World::new();
    let app = granted_app(&world);
    let admin = world.admin();
    let before = world.snapshot();
    let tenant = world.tenant();
    let attempts: Vec<Result<(), Error>> = vec![
        block_on(tenant.create_client(ClientCreate {
            name: String::new(),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_client(ClientCreate {
            name: "spa".into(),
            token_endpoint_auth_method: Some(shared::protocol::AuthMethod::None),
            grant_types: Some(vec![shared::protocol::GrantType::ClientCredentials]),
            ..Default::default()
        }))
        .map(drop),
        block_on(tenant.create_client(ClientCreate {
            name: "x".into(),
            callbacks: Some(vec!["not a url".into()]),
            ..Default::default()
        }))
        .map(drop),
        // Values no type holds are refused as the body is read.
        crate::management::parse_body::<ClientUpdate>(br#"{"grant_types":["password"]}"#).map(drop),
        block_on(tenant.create_resource_server(ResourceServerCreate {
            identifier: API.into(),
            ..Default::default()
        }))
        .map(drop),
        crate::management::parse_body::<ResourceServerCreate>(
            br#"{"identifier":"https://new.example","signing_alg":"HS256"}"#,
        )
        .map(drop),
        block_on(tenant.create_client_grant(
            ClientGrantCreate {
                client_id: app.client_id.clone(),
                audience: API.into(),
                scope: vec!["read:things".into()],
                ..Default::default()
            },
            &admin,
        ))
        .map(drop),
        block_on(tenant.create_client_grant(
            ClientGrantCreate {
                client_id: app.client_id.clone(),
                audience: "https://api.example/none".into(),
                scope: vec![],
                ..Default::default()
            },
            &admin,
        ))
        .map(drop),
        block_on(tenant.update_resource_server(
            crate::management::resource_servers::MANAGEMENT_API_ID,
            ResourceServerUpdate {
                name: Some("mine".into()),
                ..Default::default()
            },
        ))
        .map(drop),
    ];
    for (index, attempt) in attempts.into_iter().enumerate() {
        let err = attempt.expect_err(&format!("attempt {index} should fail"));
        assert!((400..500).contains(&err.status()), "attempt {index}: {err}");
    }
    assert_eq!(world.snapshot(), before);
}

#[test]
fn a_failing_store_or_database_is_unavailable_not_a_panic() {
    let world = World::new();
    let app = granted_app(&world);
    world.store.set_failing(true);
    let result = request_token(&world, &app, &[("audience", API)]);
    assert!(matches!(result, Err(Error::Unavailable(_))));
    world.store.set_failing(false);
    world.db.set_failing(true);
    assert!(matches!(
        block_on(world.tenant().list_clients(paging())),
        Err(Error::Unavailable(_))
    ));
}

#[test]
fn listings_page_through_every_item_once() {
    let world = World::new();
    let mut created: Vec<String> = (0..7)
        .map(|_| create_m2m_app(&world, None).client_id)
        .collect();
    created.sort();
    let mut seen = Vec::new();
    for page in 0..4 {
        let paging = Paging::from_query(&[
            ("page".into(), page.to_string()),
            ("per_page".into(), "2".into()),
            ("include_totals".into(), "true".into()),
        ])
        .unwrap();
        let listing = block_on(world.tenant().list_clients(paging)).unwrap();
        assert_eq!(listing.total, 7);
        seen.extend(listing.items.into_iter().map(|c| c.client_id));
    }
    seen.sort();
    assert_eq!(seen, created);
}

#[test]
fn secrets_are_shown_once_and_stored_hashed() {
    let world = World::new();
    let app = create_m2m_app(&world, None);
    let stored = format!("{:?}", world.snapshot());
    assert!(!stored.contains(&app.client_secret));
    let fetched = block_on(world.tenant().get_client(&app.client_id)).unwrap();
    assert_eq!(fetched.client_secret, None);
}

#[test]
fn tenant_settings_merge_and_registration_is_off_by_default() {
    let world = World::new();
    let settings = block_on(world.tenant().get_tenant_settings()).unwrap();
    assert!(!settings.flags.enable_dynamic_client_registration);
    assert_eq!(settings.client_secret_rotation_grace_period, 0);
    let refused = block_on(
        world
            .tenant()
            .register_client(br#"{"redirect_uris":["https://a.example/cb"]}"#),
    );
    assert!(matches!(
        refused,
        Err(Error::OAuth {
            status: 403,
            code: OAuthErrorCode::AccessDenied,
            ..
        })
    ));
    assert!(world
        .store
        .snapshot()
        .keys()
        .all(|k| !k.starts_with("client/")));
    assert_eq!(world.db.count("clients"), 0);

    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        friendly_name: Some("Acme".into()),
        ..Default::default()
    }))
    .unwrap();
    enable_registration(&world);
    let settings = block_on(world.tenant().get_tenant_settings()).unwrap();
    assert_eq!(settings.friendly_name, "Acme");
    assert!(settings.flags.enable_dynamic_client_registration);
}

/// The `Authorization` header of a token the new M2M app got with `scopes`
/// granted on the Management API, and the app.
fn management_client(world: &World, scopes: &[&str]) -> (App, String) {
    let management = format!("{ISSUER}api/v2/");
    let app = create_m2m_app(world, None);
    grant(world, &app, &management, scopes);
    let token = request_token(world, &app, &[("audience", &management)])
        .unwrap()
        .access_token;
    (app, format!("Bearer {token}"))
}

#[test]
fn a_clients_management_token_holds_only_what_its_grant_still_grants() {
    let world = World::new();
    let (app, bearer) = management_client(&world, &["read:clients", "read:users"]);
    let tenant = world.tenant();
    block_on(tenant.authorize_management(Some(&bearer), "read:users")).unwrap();
    let grant_id = grants_of(&world, &app.client_id)[0].id.clone();
    block_on(tenant.update_client_grant(
        &grant_id,
        shared::management::ClientGrantUpdate {
            scope: Some(vec!["read:clients".into()]),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
    let narrowed = block_on(tenant.authorize_management(Some(&bearer), "read:users"));
    assert!(
        matches!(&narrowed, Err(e) if e.status() == 403),
        "a scope taken from the grant no longer works: {narrowed:?}"
    );
    let kept = block_on(tenant.authorize_management(Some(&bearer), "read:clients")).unwrap();
    assert_eq!(kept.scope.to_string(), "read:clients");

    block_on(tenant.delete_client_grant(&grant_id)).unwrap();
    let gone = block_on(tenant.authorize_management(Some(&bearer), "read:clients"));
    assert!(matches!(&gone, Err(e) if e.status() == 403), "{gone:?}");
}

#[test]
fn a_client_grant_to_the_management_api_gives_only_what_the_granter_holds() {
    let world = World::new();
    let (_, bearer) = management_client(&world, &["create:client_grants", "read:clients"]);
    let granter = block_on(
        world
            .tenant()
            .authorize_management(Some(&bearer), "create:client_grants"),
    )
    .unwrap();
    let other = create_m2m_app(&world, None);
    let management = format!("{ISSUER}api/v2/");
    let create = |scope: &[&str]| {
        block_on(world.tenant().create_client_grant(
            ClientGrantCreate {
                client_id: other.client_id.clone(),
                audience: management.clone(),
                scope: scope.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            },
            &granter,
        ))
    };
    let before = world.snapshot();
    let refused = create(&["read:clients", "update:clients", "delete:users"]);
    crate::testing::assert_insufficient_scope(refused, "missing: update:clients delete:users");
    assert_eq!(world.snapshot(), before, "a refused grant writes nothing");
    // What it holds it may pass on; other APIs are not its concern.
    let granted = create(&["read:clients"]).unwrap();
    let widen = block_on(world.tenant().update_client_grant(
        &granted.id,
        shared::management::ClientGrantUpdate {
            scope: Some(vec!["read:clients".into(), "update:client_keys".into()]),
            ..Default::default()
        },
        &granter,
    ));
    assert!(matches!(widen, Err(e) if e.status() == 403));
    create_api(&world, API, "EdDSA");
    block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: other.client_id.clone(),
            audience: API.into(),
            scope: vec!["write:things".into()],
            ..Default::default()
        },
        &granter,
    ))
    .unwrap();
}

#[test]
fn a_stored_record_cannot_stand_in_for_the_management_api() {
    let world = World::new();
    let management = format!("{ISSUER}api/v2/");
    // Written behind the Management API's back, as a corrupt or hostile
    // record would be: no RBAC, every scope.
    let forged = serde_json::json!({
        "id": "forged", "name": "Forged", "identifier": management,
        "scopes": [{"value": "read:users", "description": ""}],
        "signing_alg": "RS256", "token_lifetime": 3600,
        "allow_offline_access": false,
        "skip_consent_for_verifiable_first_party_clients": true,
        "enforce_policies": false, "is_system": false
    });
    block_on(crate::seams::store::Store::put(
        &world.store,
        &format!("resource_server/{management}"),
        &forged.to_string(),
    ))
    .unwrap();
    let api = block_on(world.tenant().resource_server_by_identifier(&management))
        .unwrap()
        .unwrap();
    assert!(api.is_system);
    assert_eq!(api.scopes.len(), crate::management::SCOPES.len());
}

#[test]
fn an_operation_writes_its_audit_event_after_the_response_and_a_read_writes_none() {
    use crate::management::operations::{Operation, Reply};
    let world = World::new();
    let bearer = format!("Bearer {}", management_token(&world));
    let tenant = world.tenant().with_caller(crate::Caller {
        ip: Some("192.0.2.7".into()),
        method: "POST".into(),
        path: "/api/v2/clients".into(),
        ..Default::default()
    });
    let create = Operation::CreateClient;
    let token = block_on(tenant.authorize_operation(&create, Some(&bearer))).unwrap();
    let body = br#"{"name":"Billing","app_type":"non_interactive"}"#;
    let Reply::Created(client) =
        block_on(tenant.run_operation(&create, &token, &[], body)).unwrap()
    else {
        panic!("a creation answers 201")
    };
    assert!(
        world.audit_log().is_empty(),
        "nothing is written before the response"
    );
    let failure = block_on(tenant.take_deferred().write(&world.db));
    assert!(failure.is_none(), "{failure:?}");
    let events = world.audit_log();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.event_type, "sapi");
    assert_eq!(event.description, "Create a client");
    assert_eq!(event.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(event.details.actor.id.as_deref(), Some(BOOTSTRAP_ID));
    let target = event.details.target.as_ref().unwrap();
    assert_eq!(
        (target.kind.as_str(), target.id.as_deref()),
        ("client", client["client_id"].as_str())
    );
    let request = event.details.request.as_ref().unwrap();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/v2/clients")
    );

    let list = Operation::ListClients;
    let token = block_on(tenant.authorize_operation(&list, Some(&bearer))).unwrap();
    assert!(matches!(
        block_on(tenant.run_operation(&list, &token, &[], b"")).unwrap(),
        Reply::Ok(_)
    ));
    assert!(tenant.take_deferred().is_empty(), "a read is not logged");
}
