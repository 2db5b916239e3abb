//! Organizations: the Management API's records, machine-to-machine tokens
//! that act for one (every rule of the evaluation order, and what each
//! costs), members, and signing in to an organization.

use shared::management::{
    AppType, ClientCreate, ClientGrantCreate, ClientGrantUpdate, ClientUpdate, TenantSettingsUpdate,
};
use shared::organizations::{
    DefaultOrganization, MembersRequest, OrganizationCreate, OrganizationUpdate, OrganizationUsage,
};

use crate::error::{Error, ManagementErrorCode, OAuthErrorCode};
use crate::management::client_grants::GrantFilter;
use crate::management::organizations::client_grants::{
    LinkedGrantsFilter, MAX_CLIENT_GRANTS_PER_ORGANIZATION,
};
use crate::management::Pagination;
use crate::records::Projection;
use crate::testing::{block_on, World};

use super::machines::{self, *};
use super::people;

fn pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap()
}

fn create_org(world: &World, name: &str) -> String {
    block_on(world.tenant().create_organization(OrganizationCreate {
        name: name.into(),
        display_name: Some(format!("{name} Inc.")),
        ..Default::default()
    }))
    .unwrap()
    .id
}

/// A grant of `app` for [`API`] with these organization settings; its id.
fn org_grant(world: &World, app: &App, usage: OrganizationUsage, any: bool) -> String {
    block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: app.client_id.clone(),
            audience: API.into(),
            scope: vec!["read:things".into()],
            organization_usage: Some(usage),
            allow_any_organization: Some(any),
        },
        &world.admin(),
    ))
    .unwrap()
    .id
}

fn link(world: &World, org: &str, grant: &str) {
    block_on(world.tenant().link_organization_client_grant(org, grant)).unwrap();
}

fn token_for(
    world: &World,
    app: &App,
    organization: Option<&str>,
) -> Result<serde_json::Value, Error> {
    let mut extra = vec![("audience", API)];
    if let Some(organization) = organization {
        extra.push(("organization", organization));
    }
    request_token(world, app, &extra).map(|response| decode_part(&response.access_token, 1))
}

fn oauth_error(result: Result<serde_json::Value, Error>) -> (u16, OAuthErrorCode, String) {
    match result {
        Err(Error::OAuth {
            status,
            code,
            description,
            ..
        }) => (status, code, description),
        other => panic!("expected an OAuth error, got {other:?}"),
    }
}

fn allow_names(world: &World, allowed: bool) {
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        allow_organization_name_in_authentication_api: Some(allowed),
        ..Default::default()
    }))
    .unwrap();
}

#[test]
fn organizations_are_created_found_by_id_or_name_renamed_and_deleted() {
    let world = World::new();
    let tenant = world.tenant();
    let acme = block_on(tenant.create_organization(OrganizationCreate {
        name: "acme".into(),
        display_name: Some("Acme Corp".into()),
        metadata: Some([("tier".to_string(), "gold".to_string())].into()),
        ..Default::default()
    }))
    .unwrap();
    assert!(
        acme.id.starts_with("org_") && acme.id.len() == 20,
        "{}",
        acme.id
    );
    assert_eq!(block_on(tenant.get_organization(&acme.id)).unwrap(), acme);
    assert_eq!(
        block_on(tenant.get_organization_by_name("acme")).unwrap(),
        acme
    );

    // A duplicate name is 409 and writes nothing.
    let before = world.snapshot();
    let duplicate = block_on(tenant.create_organization(OrganizationCreate {
        name: "acme".into(),
        ..Default::default()
    }));
    assert_eq!(duplicate.unwrap_err().status(), 409);
    assert_eq!(world.snapshot(), before);

    // The edge finds it by either name, and a rename moves the name's entry.
    let read_model = world.store.snapshot();
    assert!(read_model.contains_key(&Projection::Organization(acme.id.clone()).key()));
    assert!(read_model.contains_key("organization_name/acme"));
    let renamed = block_on(tenant.update_organization(
        &acme.id,
        OrganizationUpdate {
            name: Some("acme-corp".into()),
            display_name: Some(None),
            ..Default::default()
        },
    ))
    .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.display_name),
        ("acme-corp", None)
    );
    assert_eq!(
        renamed.metadata, acme.metadata,
        "a PATCH changes only what it names"
    );
    let read_model = world.store.snapshot();
    assert!(!read_model.contains_key("organization_name/acme"));
    assert!(read_model.contains_key("organization_name/acme-corp"));
    assert!(block_on(tenant.organization_at_edge("acme"))
        .unwrap()
        .is_none());
    assert_eq!(
        block_on(tenant.organization_at_edge("acme-corp"))
            .unwrap()
            .map(|o| o.id),
        Some(acme.id.clone())
    );

    // Renaming onto another's name is 409.
    create_org(&world, "globex");
    let clash = block_on(tenant.update_organization(
        &acme.id,
        OrganizationUpdate {
            name: Some("globex".into()),
            ..Default::default()
        },
    ));
    assert_eq!(clash.unwrap_err().status(), 409);

    block_on(tenant.delete_organization(&acme.id)).unwrap();
    match block_on(tenant.get_organization(&acme.id)) {
        Err(Error::Management {
            code: ManagementErrorCode::InexistentOrganization,
            ..
        }) => {}
        other => panic!("expected 404, got {other:?}"),
    }
    let read_model = world.store.snapshot();
    assert!(!read_model
        .keys()
        .any(|k| k.contains(&acme.id) || k.ends_with("/acme-corp")));
    assert_eq!(
        block_on(tenant.delete_organization(&acme.id))
            .unwrap_err()
            .status(),
        404
    );
}

#[test]
fn invalid_organizations_are_refused_naming_the_field_and_write_nothing() {
    let world = World::new();
    let before = world.snapshot();
    for (body, field) in [
        (r#"{"name":"Acme"}"#, "name"),
        (r#"{"name":"org_acme"}"#, "name"),
        (r#"{"name":""}"#, "name"),
        (r#"{"name":"acme","display_name":""}"#, "display_name"),
        (
            r#"{"name":"acme","branding":{"logo_url":"http://x.example/a.png"}}"#,
            "branding.logo_url",
        ),
        (
            r#"{"name":"acme","branding":{"colors":{"primary":"blue"}}}"#,
            "branding.colors.primary",
        ),
        (r#"{"name":"acme","unknown":1}"#, "unknown"),
        (r#"{"name":"acme","metadata":{"a":5}}"#, "metadata.a"),
    ] {
        let result = crate::management::parse_body::<OrganizationCreate>(body.as_bytes())
            .and_then(|request| block_on(world.tenant().create_organization(request)));
        match result {
            Err(Error::Invalid(invalid)) => {
                assert_eq!(invalid.field.as_deref(), Some(field), "{body}")
            }
            other => panic!("{body}: expected a validation error, got {other:?}"),
        }
    }
    assert_eq!(world.snapshot(), before);
}

#[test]
fn organizations_list_by_name_in_pages_and_from_checkpoints() {
    let world = World::new();
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        create_org(&world, name);
    }
    let tenant = world.tenant();
    let page = block_on(tenant.list_organizations(
        Pagination::from_query(&pairs("page=1&per_page=2&include_totals=true")).unwrap(),
    ))
    .unwrap();
    let names = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&page["organizations"]), ["charlie", "delta"]);
    assert_eq!(
        (page["start"].as_u64(), page["total"].as_u64()),
        (Some(2), Some(5))
    );

    // Checkpoints: take 2 at a time until there is no `next`.
    let mut seen = Vec::new();
    let mut query = "take=2".to_string();
    loop {
        world.db.reset_count();
        let result =
            block_on(tenant.list_organizations(Pagination::from_query(&pairs(&query)).unwrap()))
                .unwrap();
        assert_eq!(world.db.statements(), 1, "one query per call");
        seen.extend(names(&result["organizations"]));
        match result.get("next").and_then(|n| n.as_str()) {
            Some(next) => query = format!("take=2&from={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["alpha", "bravo", "charlie", "delta", "echo"]);
    for bad in ["take=0", "take=101", "from=%%%", "from=abc&page=1"] {
        assert!(Pagination::from_query(&pairs(bad)).is_err(), "{bad}");
    }
}

#[test]
fn a_token_acts_for_an_organization_named_by_id_or_name_when_the_grant_is_linked() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Allow, false);
    let acme = create_org(&world, "acme");
    link(&world, &acme, &grant);

    let claims = token_for(&world, &app, Some(&acme)).unwrap();
    assert_eq!(claims["org_id"], acme.as_str());
    assert_eq!(
        claims.get("org_name"),
        None,
        "names only when the tenant allows them"
    );
    let by_name = token_for(&world, &app, Some("acme")).unwrap();
    assert_eq!(by_name["org_id"], acme.as_str());

    allow_names(&world, true);
    let claims = token_for(&world, &app, Some(&acme)).unwrap();
    assert_eq!(
        (claims["org_id"].as_str(), claims["org_name"].as_str()),
        (Some(acme.as_str()), Some("acme"))
    );

    // Optional: without one, a token for no organization.
    let claims = token_for(&world, &app, None).unwrap();
    assert_eq!(claims.get("org_id"), None);
    // JSON's null is absent, as Auth0's SDKs send it.
    let body = serde_json::json!({
        "grant_type": "client_credentials", "client_id": app.client_id,
        "client_secret": app.client_secret, "audience": API, "organization": null,
    });
    let response = block_on(world.tenant().token(
        None,
        Some("application/json"),
        body.to_string().as_bytes(),
    ))
    .unwrap();
    assert_eq!(decode_part(&response.access_token, 1).get("org_id"), None);
}

#[test]
fn each_refusal_is_its_own_oauth_error() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let acme = create_org(&world, "acme");

    // Denied by the grant (the default).
    let denied = create_m2m_app(&world, None);
    grant(&world, &denied, API, &["read:things"]);
    let (status, code, text) = oauth_error(token_for(&world, &denied, Some(&acme)));
    assert_eq!((status, code), (400, OAuthErrorCode::InvalidRequest));
    assert_eq!(
        text,
        "parameter organization is not allowed for this client"
    );

    // Required but missing.
    let required = create_m2m_app(&world, None);
    let grant_id = org_grant(&world, &required, OrganizationUsage::Require, false);
    let (status, code, text) = oauth_error(token_for(&world, &required, None));
    assert_eq!((status, code), (400, OAuthErrorCode::InvalidRequest));
    assert_eq!(text, "parameter organization is required for this client");

    // Unknown, by id and by name (and a value that cannot name one).
    for unknown in ["org_AAAAAAAAAAAAAAAA", "initech", "Not A Name!"] {
        let (status, code, text) = oauth_error(token_for(&world, &required, Some(unknown)));
        assert_eq!((status, code), (400, OAuthErrorCode::InvalidRequest));
        assert_eq!(
            text,
            format!("parameter organization is invalid: {unknown}")
        );
    }

    // Known but not linked to the grant.
    let (status, code, text) = oauth_error(token_for(&world, &required, Some(&acme)));
    assert_eq!((status, code), (403, OAuthErrorCode::AccessDenied));
    assert!(text.contains(API) && text.contains(&acme), "{text}");

    link(&world, &acme, &grant_id);
    assert_eq!(
        token_for(&world, &required, Some(&acme)).unwrap()["org_id"],
        acme.as_str()
    );
}

#[test]
fn a_required_organization_falls_back_on_the_clients_default() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Require, false);
    let acme = create_org(&world, "acme");
    link(&world, &acme, &grant);
    block_on(world.tenant().update_client(
        &app.client_id,
        ClientUpdate {
            default_organization: Some(Some(DefaultOrganization {
                organization_id: acme.clone(),
                flows: vec!["client_credentials".into()],
            })),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
    assert_eq!(
        token_for(&world, &app, None).unwrap()["org_id"],
        acme.as_str()
    );

    // A default must name an organization, and only this flow.
    for (organization_id, flows) in [
        (
            "org_AAAAAAAAAAAAAAAA",
            vec!["client_credentials".to_string()],
        ),
        (acme.as_str(), vec!["authorization_code".to_string()]),
        (acme.as_str(), vec![]),
    ] {
        let result = block_on(world.tenant().update_client(
            &app.client_id,
            ClientUpdate {
                default_organization: Some(Some(DefaultOrganization {
                    organization_id: organization_id.into(),
                    flows,
                })),
                ..Default::default()
            },
            false,
        ));
        assert_eq!(result.unwrap_err().status(), 400);
    }
    // Removed with null.
    let client = block_on(world.tenant().update_client(
        &app.client_id,
        ClientUpdate {
            default_organization: Some(None),
            ..Default::default()
        },
        false,
    ))
    .unwrap();
    assert_eq!(client.default_organization, None);
    assert_eq!(oauth_error(token_for(&world, &app, None)).0, 400);
}

#[test]
fn a_grant_that_allows_any_organization_needs_no_link_unless_its_client_is_third_party() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Allow, true);
    let acme = create_org(&world, "acme");
    assert_eq!(
        token_for(&world, &app, Some(&acme)).unwrap()["org_id"],
        acme.as_str()
    );

    // Third-party clients cannot be given it, and lose it if they become one.
    let made_third_party = block_on(world.tenant().update_client(
        &app.client_id,
        ClientUpdate {
            is_first_party: Some(false),
            ..Default::default()
        },
        false,
    ));
    assert!(made_third_party.is_ok());
    assert_eq!(oauth_error(token_for(&world, &app, Some(&acme))).0, 403);
    let again = block_on(world.tenant().update_client_grant(
        &grant,
        ClientGrantUpdate {
            allow_any_organization: Some(true),
            ..Default::default()
        },
        &world.admin(),
    ));
    match again {
        Err(Error::Invalid(invalid)) => {
            assert_eq!(invalid.field.as_deref(), Some("allow_any_organization"))
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    link(&world, &acme, &grant);
    assert!(token_for(&world, &app, Some(&acme)).is_ok());
}

#[test]
fn unlinking_or_deleting_an_organization_stops_its_tokens_and_deleting_a_grant_drops_its_links() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Allow, false);
    let acme = create_org(&world, "acme");
    let globex = create_org(&world, "globex");
    link(&world, &acme, &grant);
    link(&world, &globex, &grant);
    assert!(token_for(&world, &app, Some(&acme)).is_ok());

    block_on(
        world
            .tenant()
            .unlink_organization_client_grant(&acme, &grant),
    )
    .unwrap();
    assert_eq!(oauth_error(token_for(&world, &app, Some(&acme))).0, 403);
    // Unlinking again succeeds, as a repeated DELETE should.
    block_on(
        world
            .tenant()
            .unlink_organization_client_grant(&acme, &grant),
    )
    .unwrap();

    block_on(world.tenant().delete_organization(&globex)).unwrap();
    assert_eq!(oauth_error(token_for(&world, &app, Some(&globex))).0, 400);
    assert_eq!(oauth_error(token_for(&world, &app, Some("globex"))).0, 400);

    // A linked grant can still be deleted (its links go with it), and with
    // it the whole client.
    link(&world, &acme, &grant);
    block_on(world.tenant().delete_client(&app.client_id)).unwrap();
    assert_eq!(world.db.count("organization_client_grants"), 0);
}

#[test]
fn links_are_listed_filtered_limited_and_refused_for_the_management_api() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let acme = create_org(&world, "acme");
    let apps: Vec<App> = (0..3).map(|_| create_m2m_app(&world, None)).collect();
    let grants: Vec<String> = apps
        .iter()
        .map(|app| org_grant(&world, app, OrganizationUsage::Allow, false))
        .collect();
    for grant in &grants {
        link(&world, &acme, grant);
    }
    match block_on(
        world
            .tenant()
            .link_organization_client_grant(&acme, &grants[0]),
    ) {
        Err(Error::Management {
            code: ManagementErrorCode::Conflict,
            ..
        }) => {}
        other => panic!("expected 409, got {other:?}"),
    }
    let tenant = world.tenant();
    let all = block_on(tenant.list_organization_client_grants(
        &acme,
        paging(),
        &LinkedGrantsFilter::default(),
    ))
    .unwrap();
    assert_eq!(all.items.len(), 3);
    let one = block_on(
        tenant.list_organization_client_grants(
            &acme,
            paging(),
            &LinkedGrantsFilter::from_query(&pairs(&format!("client_id={}", apps[1].client_id)))
                .unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(
        one.items.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
        [grants[1].as_str()]
    );
    let two = block_on(
        tenant.list_organization_client_grants(
            &acme,
            paging(),
            &LinkedGrantsFilter::from_query(&pairs(&format!(
                "grant_ids={},{}",
                grants[0], grants[2]
            )))
            .unwrap(),
        ),
    )
    .unwrap();
    assert_eq!(two.items.len(), 2);
    assert!(two
        .items
        .iter()
        .all(|g| g.organization_usage == OrganizationUsage::Allow));
    let organizations = block_on(
        tenant.list_client_grant_organizations(&grants[0], Pagination::from_query(&[]).unwrap()),
    )
    .unwrap();
    assert_eq!(organizations[0]["id"], acme.as_str());

    // Unknown organization or grant: 404.
    assert_eq!(
        block_on(tenant.link_organization_client_grant("org_AAAAAAAAAAAAAAAA", &grants[0]))
            .unwrap_err()
            .status(),
        404
    );
    assert_eq!(
        block_on(tenant.link_organization_client_grant(&acme, "cgr_nothing"))
            .unwrap_err()
            .status(),
        404
    );

    // The Management API's grants never act for organizations.
    let admin_app = create_m2m_app(&world, None);
    let management = format!("{}api/v2/", crate::testing::ISSUER);
    let refused = block_on(tenant.create_client_grant(
        ClientGrantCreate {
            client_id: admin_app.client_id.clone(),
            audience: management.clone(),
            scope: vec!["read:clients".into()],
            organization_usage: Some(OrganizationUsage::Allow),
            allow_any_organization: None,
        },
        &world.admin(),
    ));
    assert_eq!(refused.unwrap_err().status(), 400);
}

#[test]
fn an_organization_holds_a_bounded_number_of_links() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let acme = create_org(&world, "acme");
    for _ in 0..MAX_CLIENT_GRANTS_PER_ORGANIZATION {
        let app = create_m2m_app(&world, None);
        let grant = org_grant(&world, &app, OrganizationUsage::Allow, false);
        link(&world, &acme, &grant);
    }
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Allow, false);
    let over = block_on(world.tenant().link_organization_client_grant(&acme, &grant));
    assert_eq!(over.unwrap_err().status(), 400);
    assert_eq!(
        world.db.count("organization_client_grants") as u64,
        MAX_CLIENT_GRANTS_PER_ORGANIZATION
    );
    // The full entry is what the edge reads.
    assert!(block_on(world.tenant().organization_at_edge(&acme))
        .unwrap()
        .is_some_and(|o| o.client_grants.len() as u64 == MAX_CLIENT_GRANTS_PER_ORGANIZATION));
}

/// A grant without an organization reads what it read before; one with an
/// organization reads exactly one more key, the organization's entry (the
/// tenant's settings come from isolate memory like the API's), whatever
/// the number of organizations.
#[test]
fn a_warm_grant_for_an_organization_reads_one_more_key_and_writes_nothing() {
    let mut world = World::new();
    create_api(&world, API, "EdDSA");
    let app = create_m2m_app(&world, None);
    let grant = org_grant(&world, &app, OrganizationUsage::Allow, false);
    let acme = create_org(&world, "acme");
    link(&world, &acme, &grant);
    let warm = |world: &mut World, organization: Option<&str>| {
        world.cold_isolate();
        token_for(world, &app, organization).unwrap();
        world.store.reset_counts();
        token_for(world, &app, organization).unwrap();
        let counts = world.store.counts();
        (
            (counts.reads, counts.writes, counts.deletes, counts.lists),
            world.store.keys_read(),
        )
    };
    let [client_key, grant_key] = crate::oauth::token::warm_grant_reads(&app.client_id, API);
    let (counts, keys) = warm(&mut world, None);
    assert_eq!(counts, (2, 0, 0, 0));
    assert_eq!(keys, [client_key.clone(), grant_key.clone()]);
    for (named, key) in [
        (acme.as_str(), format!("organization/{acme}")),
        ("acme", "organization_name/acme".to_string()),
    ] {
        let (counts, keys) = warm(&mut world, Some(named));
        assert_eq!(counts, (3, 0, 0, 0), "{named}");
        assert_eq!(keys, [client_key.clone(), grant_key.clone(), key]);
    }
    // A refusal decided by the grant reads nothing more.
    let denied = create_m2m_app(&world, None);
    machines::grant(&world, &denied, API, &["read:things"]);
    world.store.reset_counts();
    assert!(token_for(&world, &denied, Some(&acme)).is_err());
    assert_eq!(world.store.counts().reads, 2);

    for i in 0..2_000 {
        create_org(&world, &format!("customer-{i}"));
    }
    let (counts, _) = warm(&mut world, Some(&acme));
    assert_eq!(
        counts,
        (3, 0, 0, 0),
        "the cost does not grow with the tenant"
    );
}

#[test]
fn members_are_added_listed_and_removed_and_go_with_their_user() {
    let world = World::new();
    let acme = create_org(&world, "acme");
    let ada = people::create_user(&world, "ada@example.com");
    let grace = people::create_user(&world, "grace@example.com");
    let tenant = world.tenant();
    block_on(tenant.add_organization_members(
        &acme,
        MembersRequest {
            members: vec![ada.clone(), grace.clone(), ada.clone()],
        },
    ))
    .unwrap();
    // Adding again changes nothing.
    block_on(tenant.add_organization_members(
        &acme,
        MembersRequest {
            members: vec![ada.clone()],
        },
    ))
    .unwrap();
    let members = block_on(tenant.list_organization_members(
        &acme,
        Pagination::from_query(&pairs("include_totals=true")).unwrap(),
    ))
    .unwrap();
    assert_eq!(members["total"], 2);
    let emails: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"ada@example.com") && emails.contains(&"grace@example.com"));
    let orgs = block_on(tenant.list_user_organizations(&ada, paging())).unwrap();
    assert_eq!(orgs[0]["name"], "acme");

    // An unknown user refuses the whole call.
    let before = world.snapshot();
    let refused = block_on(tenant.add_organization_members(
        &acme,
        MembersRequest {
            members: vec![ada.clone(), "auth0|000000000000000000000000".into()],
        },
    ));
    assert_eq!(refused.unwrap_err().status(), 400);
    assert_eq!(world.snapshot(), before);
    let empty =
        block_on(tenant.add_organization_members(&acme, MembersRequest { members: vec![] }));
    assert_eq!(empty.unwrap_err().status(), 400);

    block_on(tenant.remove_organization_members(
        &acme,
        MembersRequest {
            members: vec![grace.clone()],
        },
    ))
    .unwrap();
    assert!(!block_on(tenant.is_organization_member(&acme, &grace)).unwrap());
    block_on(tenant.delete_user(&ada)).unwrap();
    assert_eq!(world.db.count("organization_members"), 0);
}

mod signing_in {
    use super::*;
    use crate::sign_in::outcome::Outcome;
    use people::{claims, param, query, response, sign_in, CALLBACK, EMAIL};

    fn org_spa(world: &World, usage: OrganizationUsage) -> String {
        block_on(world.tenant().create_client(ClientCreate {
            name: "Team notes".into(),
            app_type: Some(AppType::Spa),
            callbacks: Some(vec![CALLBACK.into()]),
            organization_usage: Some(usage),
            ..Default::default()
        }))
        .unwrap()
        .client_id
    }

    #[test]
    fn a_member_signs_in_to_the_organization_and_both_tokens_name_it() {
        let world = World::new();
        people::create_api(&world, false);
        let user = people::create_user(&world, EMAIL);
        let acme = create_org(&world, "acme");
        block_on(world.tenant().add_organization_members(
            &acme,
            MembersRequest {
                members: vec![user],
            },
        ))
        .unwrap();
        allow_names(&world, true);
        let client_id = org_spa(&world, OrganizationUsage::Require);
        let q = query(&client_id, &[("organization", "acme")]);
        match block_on(world.tenant().authorize(&q, None)).unwrap() {
            Outcome::Login(prompt) => {
                assert_eq!(prompt.organization.as_deref(), Some("acme Inc."))
            }
            other => panic!("expected the login page, got {other:?}"),
        }
        let (outcome, _) = sign_in(&world, &q);
        let answer = response(Ok(outcome));
        for token in ["id_token", "access_token"] {
            let claims = claims(param(&answer, token).unwrap());
            assert_eq!(claims["org_id"], acme.as_str(), "{token}");
            assert_eq!(claims["org_name"], "acme", "{token}");
        }
    }

    #[test]
    fn a_non_member_is_refused_at_the_redirect_uri_and_the_clients_usage_is_honoured() {
        let world = World::new();
        people::create_api(&world, false);
        people::create_user(&world, EMAIL);
        let acme = create_org(&world, "acme");

        let client_id = org_spa(&world, OrganizationUsage::Allow);
        let (outcome, _) = sign_in(&world, &query(&client_id, &[("organization", &acme)]));
        let answer = response(Ok(outcome));
        assert_eq!(param(&answer, "error"), Some("access_denied"));
        assert!(param(&answer, "access_token").is_none());
        assert_eq!(param(&answer, "state"), Some("st-123"));
        // Without an organization this client signs people in as usual.
        let (outcome, _) = sign_in(&world, &query(&client_id, &[]));
        assert!(param(&response(Ok(outcome)), "access_token").is_some());

        let require = org_spa(&world, OrganizationUsage::Require);
        let refused = response(block_on(
            world.tenant().authorize(&query(&require, &[]), None),
        ));
        assert_eq!(param(&refused, "error"), Some("invalid_request"));
        assert_eq!(
            param(&refused, "error_description"),
            Some("parameter organization is required for this client")
        );
        let deny = org_spa(&world, OrganizationUsage::Deny);
        let refused = response(block_on(
            world
                .tenant()
                .authorize(&query(&deny, &[("organization", "acme")]), None),
        ));
        assert_eq!(
            param(&refused, "error_description"),
            Some("parameter organization is not allowed for this client")
        );
        let unknown = response(block_on(
            world
                .tenant()
                .authorize(&query(&require, &[("organization", "initech")]), None),
        ));
        assert_eq!(
            param(&unknown, "error_description"),
            Some("parameter organization is invalid: initech")
        );
    }
}

#[test]
fn client_grants_list_from_checkpoints_and_by_whether_they_allow_any_organization() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    let mut any = Vec::new();
    for i in 0..5 {
        let app = create_m2m_app(&world, None);
        let id = org_grant(&world, &app, OrganizationUsage::Allow, i % 2 == 0);
        if i % 2 == 0 {
            any.push(id);
        }
    }
    any.sort();
    let tenant = world.tenant();
    let mut seen = Vec::new();
    let mut query = "allow_any_organization=true&take=2&include_totals=true".to_string();
    loop {
        world.db.reset_count();
        let page = block_on(tenant.list_client_grants(
            Pagination::from_query(&pairs(&query)).unwrap(),
            &GrantFilter::from_query(&pairs(&query)).unwrap(),
        ))
        .unwrap();
        let executed = world.db.executed();
        assert_eq!(executed.len(), 1);
        assert!(
            executed[0].1.contains("client_grants_by_any_organization")
                && !executed[0].1.contains("TEMP B-TREE"),
            "an index in order: {}",
            executed[0].1
        );
        for grant in page["client_grants"].as_array().unwrap() {
            assert_eq!(grant["allow_any_organization"], true);
            seen.push(grant["id"].as_str().unwrap().to_string());
        }
        match page.get("next").and_then(|n| n.as_str()) {
            Some(next) => query = format!("allow_any_organization=true&take=2&from={next}"),
            None => break,
        }
    }
    assert_eq!(seen, any);
    assert!(GrantFilter::from_query(&pairs("allow_any_organization=yes")).is_err());
}

/// Listings read an index in order and stop at the page, however many
/// organizations and members there are (the tenant of `bench/scale`).
#[test]
fn organization_and_member_listings_are_one_query_on_an_index_in_order() {
    let world = World::new();
    super::users::seed_scale(&world, 5_000, 0, "pbkdf2-sha256$1000$AAAA$AAAA");
    let first = "org_0000000000000001";
    let tenant = world.tenant();
    let checkpoint =
        |key: &str| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key);
    let listings: Vec<(&str, String)> = vec![
        (
            "organizations",
            "page=3&per_page=50&include_totals=true".into(),
        ),
        (
            "organizations",
            format!("take=50&from={}", checkpoint("customer-000450")),
        ),
        ("members", "page=90&per_page=50&include_totals=true".into()),
        (
            "members",
            format!(
                "take=50&from={}",
                checkpoint("auth0|000000000000000000001000")
            ),
        ),
    ];
    for (what, query) in listings {
        world.db.reset_count();
        let pagination = Pagination::from_query(&pairs(&query)).unwrap();
        let listed = match what {
            "organizations" => block_on(tenant.list_organizations(pagination)),
            _ => block_on(tenant.list_organization_members(first, pagination)),
        }
        .unwrap();
        let items = listed.get(what).unwrap_or(&listed).as_array().unwrap();
        assert_eq!(items.len(), 50, "{what} {query}");
        let executed = world.db.executed();
        let totals = query.contains("include_totals");
        // The organization itself, then the page (and its count).
        let expected = usize::from(what == "members") + 1 + usize::from(totals);
        assert_eq!(executed.len(), expected, "{what} {query}");
        for (statement, plan) in executed {
            // No sort, and every scan is of an index, in its order.
            let in_order = !plan.contains("TEMP B-TREE")
                && plan
                    .lines()
                    .all(|step| !step.contains("SCAN") || step.contains("USING"));
            assert!(in_order, "{what} {query}: {}\n{plan}", statement.sql);
        }
    }
    let members = block_on(tenant.list_organization_members(
        first,
        Pagination::from_query(&pairs("include_totals=true&per_page=1")).unwrap(),
    ))
    .unwrap();
    assert_eq!(members["total"], 5_000);
}
