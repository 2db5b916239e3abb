//! Dynamic client registration (RFC 7591) and RFC 7592 management of a registration.

use shared::management::ClientGrantCreate;

use crate::error::{Error, OAuthErrorCode};
use crate::testing::{block_on, World, ISSUER};

use super::machines::*;

#[test]
fn a_registered_client_is_third_party_and_manages_only_its_own_registration() {
    let world = World::new();
    create_api(&world, API, "EdDSA");
    enable_registration(&world);
    let info = world.request(async |tenant| tenant.register_client(
        br#"{"client_name":"My Dynamic Application","redirect_uris":["https://application.example.com/callback"]}"#,
    ).await)
    .unwrap();
    assert_eq!(info.client_secret_expires_at, Some(0));
    assert_eq!(
        info.registration_client_uri,
        format!("{ISSUER}oidc/register/{}", info.client_id)
    );
    let token = info.registration_access_token.clone().unwrap();
    let app = App {
        client_id: info.client_id.clone(),
        client_secret: info.client_secret.clone().unwrap(),
    };
    let client = block_on(world.tenant().get_client(&app.client_id)).unwrap();
    assert!(!client.is_first_party);

    // An admin authorizes it for an API; it can never reach the Management API.
    grant(&world, &app, API, &["read:things"]);
    assert!(request_token(&world, &app, &[("audience", API)]).is_ok());
    let mgmt_grant = block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: app.client_id.clone(),
            audience: format!("{ISSUER}api/v2/"),
            scope: vec!["read:clients".into()],
            ..Default::default()
        },
        &world.admin(),
    ));
    assert!(matches!(
        mgmt_grant,
        Err(e) if e.status() == 403
    ));

    // RFC 7592 with its registration access token, and only with it.
    let bearer = format!("Bearer {token}");
    let read = block_on(
        world
            .tenant()
            .read_registration(&app.client_id, Some(&bearer)),
    )
    .unwrap();
    assert_eq!(read.client_name, "My Dynamic Application");
    assert_eq!(read.client_secret, None);
    for wrong in [
        None,
        Some("Bearer nope".to_string()),
        Some(format!("Bearer {}", app.client_secret)),
    ] {
        let result = block_on(
            world
                .tenant()
                .read_registration(&app.client_id, wrong.as_deref()),
        );
        assert!(
            matches!(result, Err(Error::OAuth { status: 401, .. })),
            "{wrong:?}"
        );
    }
    let other = world
        .request(async |tenant| {
            tenant
                .register_client(br#"{"redirect_uris":["https://b.example/cb"]}"#)
                .await
        })
        .unwrap();
    let cross = block_on(
        world
            .tenant()
            .read_registration(&other.client_id, Some(&bearer)),
    );
    assert!(matches!(cross, Err(Error::OAuth { status: 401, .. })));

    let body = serde_json::json!({
        "client_id": app.client_id,
        "client_name": "Renamed",
        "redirect_uris": ["https://application.example.com/new"],
    });
    let updated = world
        .request(async |tenant| {
            tenant
                .update_registration(&app.client_id, Some(&bearer), body.to_string().as_bytes())
                .await
        })
        .unwrap();
    assert_eq!(updated.client_name, "Renamed");
    assert_eq!(
        updated.redirect_uris,
        vec!["https://application.example.com/new"]
    );
    assert!(
        request_token(&world, &app, &[("audience", API)]).is_ok(),
        "the secret is kept"
    );
    let bad = serde_json::json!({"client_id": app.client_id, "redirect_uris": ["http://evil.example/cb"]});
    assert!(world
        .request(async |tenant| tenant
            .update_registration(&app.client_id, Some(&bearer), bad.to_string().as_bytes())
            .await)
        .is_err());

    world
        .request(async |tenant| {
            tenant
                .delete_registration(&app.client_id, Some(&bearer))
                .await
        })
        .unwrap();
    assert_oauth_error(
        request_token(&world, &app, &[("audience", API)]),
        401,
        OAuthErrorCode::InvalidClient,
    );
    let gone = block_on(
        world
            .tenant()
            .read_registration(&app.client_id, Some(&bearer)),
    );
    assert!(matches!(gone, Err(Error::OAuth { status: 401, .. })));
}
