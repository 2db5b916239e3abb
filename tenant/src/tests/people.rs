//! What the sign-in tests share: a person, an app, an `/authorize` query, the response.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use shared::management::{
    AppType, ClientCreate, ResourceServerCreate, ResourceServerScope, TenantFlagsUpdate,
    TenantSettingsUpdate, UserCreate, DATABASE_CONNECTION,
};

use crate::error::Error;
use crate::sign_in::outcome::Outcome;
use crate::sign_in::response::AuthorizationResponse;
use crate::testing::{block_on, World};

pub(super) const API: &str = "https://api.example/notes";

pub(super) const CALLBACK: &str = "https://app.example/callback";

pub(super) const EMAIL: &str = "ada@example.com";

pub(super) const PASSWORD: &str = "correct horse battery";

pub(super) fn create_user(world: &World, email: &str) -> String {
    block_on(world.tenant().create_user(UserCreate {
        connection: DATABASE_CONNECTION.into(),
        email: email.into(),
        password: PASSWORD.into(),
        name: Some("Ada Lovelace".into()),
        ..Default::default()
    }))
    .unwrap()
    .user_id
}

pub(super) fn create_spa(world: &World) -> String {
    block_on(world.tenant().create_client(ClientCreate {
        name: "Notes SPA".into(),
        app_type: Some(AppType::Spa),
        token_endpoint_auth_method: Some(shared::protocol::AuthMethod::None),
        callbacks: Some(vec![CALLBACK.into()]),
        allowed_logout_urls: Some(vec!["https://app.example/".into()]),
        ..Default::default()
    }))
    .unwrap()
    .client_id
}

pub(super) fn create_api(world: &World, enforce_policies: bool) {
    block_on(world.tenant().create_resource_server(ResourceServerCreate {
        identifier: API.into(),
        name: Some("Notes".into()),
        scopes: Some(vec![
            ResourceServerScope {
                value: "read:notes".into(),
                description: "Read your notes".into(),
            },
            ResourceServerScope {
                value: "write:notes".into(),
                description: "Write notes".into(),
            },
        ]),
        enforce_policies: Some(enforce_policies),
        ..Default::default()
    }))
    .unwrap();
}

pub(super) fn query(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "id_token token"),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile email read:notes"),
        ("audience", API),
        ("state", "st-123"),
        ("nonce", "n-456"),
    ];
    for (name, value) in extra {
        pairs.retain(|(n, _)| n != name);
        if !value.is_empty() {
            pairs.push((name, value));
        }
    }
    serde_urlencoded::to_string(pairs).unwrap()
}

/// What reaches the client: tokens, or an error at its redirect URI.
pub(super) fn response(result: Result<Outcome, Error>) -> AuthorizationResponse {
    match result {
        Ok(Outcome::Respond(response)) => response,
        Err(Error::Redirect(refusal)) => (*refusal).into(),
        other => panic!("expected a response to the client, got {other:?}"),
    }
}

pub(super) fn param<'a>(response: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    response
        .params
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

pub(super) fn header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Signs in through the login form; returns the response and session id.
pub(super) fn sign_in(world: &World, query: &str) -> (Outcome, String) {
    let result = block_on(world.tenant().login(query, EMAIL, PASSWORD)).unwrap();
    assert_eq!(result.error, None);
    (result.outcome, result.new_session.expect("a session"))
}

pub(super) fn register_third_party(world: &World) -> String {
    block_on(world.tenant().update_tenant_settings(TenantSettingsUpdate {
        flags: Some(TenantFlagsUpdate {
            enable_dynamic_client_registration: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }))
    .unwrap();
    let body = format!(
        r#"{{"client_name":"Partner app","redirect_uris":["{CALLBACK}"],"token_endpoint_auth_method":"none","grant_types":["implicit"],"response_types":["id_token token","token"]}}"#
    );
    world
        .request(async |tenant| tenant.register_client(body.as_bytes()).await)
        .unwrap()
        .client_id
}
