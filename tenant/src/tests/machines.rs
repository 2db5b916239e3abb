//! What the machine-to-machine tests share: an API, an app, a grant, a token request.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use shared::management::{
    AppType, ClientCreate, ClientGrantCreate, ResourceServerCreate, ResourceServerScope,
    TenantFlagsUpdate, TenantSettingsUpdate,
};
use shared::protocol::{AuthMethod, SigningAlg};
use shared::token::TokenResponse;

use crate::error::{Error, OAuthErrorCode};
use crate::management::Paging;
use crate::testing::{block_on, World, BOOTSTRAP_ID, BOOTSTRAP_SECRET, ISSUER};

pub(super) const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

pub(super) const API: &str = "https://api.example/things";

pub(super) fn paging() -> Paging {
    Paging::from_query(&[]).unwrap()
}

pub(super) fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

pub(super) struct App {
    pub(super) client_id: String,
    pub(super) client_secret: String,
}

pub(super) fn create_api(world: &World, identifier: &str, alg: &str) {
    block_on(world.tenant().create_resource_server(ResourceServerCreate {
        identifier: identifier.into(),
        name: Some("Things".into()),
        scopes: Some(vec![
            ResourceServerScope {
                value: "read:things".into(),
                description: "Read".into(),
            },
            ResourceServerScope {
                value: "write:things".into(),
                description: "Write".into(),
            },
        ]),
        signing_alg: Some(SigningAlg::parse(alg).expect("a signing algorithm")),
        token_lifetime: Some(3600),
        ..Default::default()
    }))
    .unwrap();
}

pub(super) fn create_m2m_app(world: &World, auth_method: Option<&str>) -> App {
    let client =
        block_on(
            world.tenant().create_client(ClientCreate {
                name: "Billing worker".into(),
                app_type: Some(AppType::NonInteractive),
                token_endpoint_auth_method: auth_method
                    .map(|method| AuthMethod::parse(method).expect("an authentication method")),
                ..Default::default()
            }),
        )
        .unwrap();
    App {
        client_id: client.client_id,
        client_secret: client
            .client_secret
            .expect("confidential clients get a secret"),
    }
}

/// A machine-to-machine app granted `read:things` on an EdDSA API at `API`.
pub(super) fn granted_app(world: &World) -> App {
    create_api(world, API, "EdDSA");
    let app = create_m2m_app(world, None);
    grant(world, &app, API, &["read:things"]);
    app
}

pub(super) fn grant(world: &World, app: &App, audience: &str, scope: &[&str]) {
    block_on(world.tenant().create_client_grant(
        ClientGrantCreate {
            client_id: app.client_id.clone(),
            audience: audience.into(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        &world.admin(),
    ))
    .unwrap();
}

/// Every grant of `client_id`, as the Management API lists them.
pub(super) fn grants_of(world: &World, client_id: &str) -> Vec<shared::management::ClientGrant> {
    let filter = crate::management::client_grants::GrantFilter {
        client_id: Some(client_id.to_string()),
        ..Default::default()
    };
    let listed = block_on(
        world
            .tenant()
            .list_client_grants(crate::management::Pagination::Offset(paging()), &filter),
    )
    .unwrap();
    serde_json::from_value(listed).unwrap()
}

pub(super) fn request_token(
    world: &World,
    app: &App,
    extra: &[(&str, &str)],
) -> Result<TokenResponse, Error> {
    let mut pairs = vec![
        ("grant_type", "client_credentials"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
    ];
    pairs.extend_from_slice(extra);
    block_on(world.tenant().token(None, FORM, &form(&pairs)))
}

/// A new app granted `read:things` on the new EdDSA API [`API`], and an
/// access token it got for it.
pub(super) fn api_token(world: &World) -> (App, String) {
    create_api(world, API, "EdDSA");
    let app = create_m2m_app(world, None);
    grant(world, &app, API, &["read:things"]);
    let token = request_token(world, &app, &[("audience", API)])
        .unwrap()
        .access_token;
    (app, token)
}

pub(super) fn decode_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

pub(super) fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

pub(super) fn assert_oauth_error(
    result: Result<impl std::fmt::Debug, Error>,
    status: u16,
    code: OAuthErrorCode,
) {
    match result {
        Err(Error::OAuth {
            status: s, code: c, ..
        }) if s == status && c == code => {}
        other => panic!("expected {status} {code:?}, got {other:?}"),
    }
}

pub(super) fn management_token(world: &World) -> String {
    let app = App {
        client_id: BOOTSTRAP_ID.into(),
        client_secret: BOOTSTRAP_SECRET.into(),
    };
    let audience = format!("{ISSUER}api/v2/");
    request_token(world, &app, &[("audience", &audience)])
        .unwrap()
        .access_token
}

pub(super) fn enable_registration(world: &World) {
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        flags: Some(TenantFlagsUpdate {
            enable_dynamic_client_registration: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .unwrap();
}

pub(super) fn from_ip<'w>(
    world: &'w World,
    ip: &str,
) -> crate::Tenant<
    'w,
    crate::seams::store::MemoryStore,
    crate::testing::TestCrypto,
    crate::seams::sqlite::SqliteDatabase,
> {
    world.tenant().with_caller(crate::Caller {
        ip: Some(ip.into()),
        user_agent: Some("attack-tool/1.0".into()),
        ..Default::default()
    })
}
