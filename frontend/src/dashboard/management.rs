//! The Management API calls the Dashboard makes, with the admin's token.
//! Same origin as the SPA, so paths are origin-relative.
//!
//! Every call is [`api::request_json`] and answers a [`Reply`] that owns
//! what it needs: the methods here only name the path and the type the
//! answer decodes into.

use std::sync::Arc;

use gloo_net::http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use shared::management::{
    Client, ClientCreate, ClientGrant, ClientGrantCreate, ClientGrantUpdate, ClientUpdate,
    Permission, PermissionRef, PermissionsRequest, ResourceServer, ResourceServerCreate,
    ResourceServerUpdate, TenantSettings, TenantSettingsUpdate, User, UserCreate,
};

use super::model::{encode_segment, Page};
pub use crate::api::Reply;
use crate::api::{self, ApiError};

/// Items per page in the Dashboard's lists.
pub const PER_PAGE: u64 = 50;
/// The Management API's largest page, for lists read whole.
const MAX_PER_PAGE: u64 = 100;

/// A Management API client holding the admin's access token.
#[derive(Clone)]
pub struct Management {
    token: Arc<str>,
}

/// `reply`'s JSON answer as a `T`.
fn decoded<T: DeserializeOwned + 'static>(reply: Reply<Value>) -> Reply<T> {
    Box::pin(async move { api::decode(reply.await?) })
}

/// `reply` with its answer dropped.
fn done<T: 'static>(reply: Reply<T>) -> Reply<()> {
    Box::pin(async move { reply.await.map(drop) })
}

impl Management {
    pub fn new(token: &str) -> Self {
        Self {
            token: Arc::from(token),
        }
    }

    /// The request every call makes: `body` is JSON text.
    fn call(&self, method: Method, path: String, body: Option<String>) -> Reply<Value> {
        api::request_json(method, path, Some(&self.token), body)
    }

    fn get<T: DeserializeOwned + 'static>(&self, path: String) -> Reply<T> {
        decoded(self.call(Method::GET, path, None))
    }

    fn with_body<T: DeserializeOwned + 'static>(
        &self,
        method: Method,
        path: String,
        body: &impl Serialize,
    ) -> Reply<T> {
        match serde_json::to_string(body) {
            Ok(json) => decoded(self.call(method, path, Some(json))),
            Err(e) => Box::pin(std::future::ready(Err(ApiError::Network(e.to_string())))),
        }
    }

    fn delete(&self, path: String) -> Reply<()> {
        done(self.call(Method::DELETE, path, None))
    }

    /// One page of a listing (`include_totals=true`) whose items are under `key`.
    fn page<T: DeserializeOwned + 'static>(
        &self,
        path: String,
        key: &'static str,
    ) -> Reply<Page<T>> {
        let reply = self.call(Method::GET, path, None);
        Box::pin(async move { Page::from_value(reply.await?, key).map_err(ApiError::Decode) })
    }

    /// Every item of a listing, a page at a time.
    fn all<T: DeserializeOwned + 'static>(&self, path: String, key: &'static str) -> Reply<Vec<T>> {
        let api = self.clone();
        let all = Box::pin(async move {
            let separator = if path.contains('?') { '&' } else { '?' };
            let mut items = Vec::new();
            for page in 0.. {
                let page: Page<Value> = api
                    .page(
                        format!(
                            "{path}{separator}include_totals=true&per_page={MAX_PER_PAGE}&page={page}"
                        ),
                        key,
                    )
                    .await?;
                let more = page.has_next() && !page.items.is_empty();
                items.extend(page.items);
                if !more {
                    break;
                }
            }
            Ok(Value::Array(items))
        });
        decoded(all)
    }

    // --- applications ---

    pub fn list_clients(&self, page: u64) -> Reply<Page<Client>> {
        self.page(
            format!("/api/v2/clients?include_totals=true&per_page={PER_PAGE}&page={page}"),
            "clients",
        )
    }

    pub fn get_client(&self, client_id: &str) -> Reply<Client> {
        self.get(client_path(client_id))
    }

    pub fn create_client(&self, body: &ClientCreate) -> Reply<Client> {
        self.with_body(Method::POST, "/api/v2/clients".to_owned(), body)
    }

    pub fn update_client(&self, client_id: &str, body: &ClientUpdate) -> Reply<Client> {
        self.with_body(Method::PATCH, client_path(client_id), body)
    }

    pub fn delete_client(&self, client_id: &str) -> Reply<()> {
        self.delete(client_path(client_id))
    }

    /// A new secret, shown in this answer only; the old one keeps working
    /// for `grace` seconds (the tenant's default when `None`).
    pub fn rotate_secret(&self, client_id: &str, grace: Option<u64>) -> Reply<Client> {
        let mut path = format!("{}/rotate-secret", client_path(client_id));
        if let Some(seconds) = grace {
            path.push_str(&format!("?previous_secret_grace_period={seconds}"));
        }
        decoded(self.call(Method::POST, path, None))
    }

    pub fn revoke_previous_secret(&self, client_id: &str) -> Reply<()> {
        self.delete(format!("{}/previous-secret", client_path(client_id)))
    }

    // --- APIs ---

    pub fn list_apis(&self) -> Reply<Vec<ResourceServer>> {
        self.all("/api/v2/resource-servers".to_owned(), "resource_servers")
    }

    pub fn get_api(&self, id: &str) -> Reply<ResourceServer> {
        self.get(api_path(id))
    }

    pub fn create_api(&self, body: &ResourceServerCreate) -> Reply<ResourceServer> {
        self.with_body(Method::POST, "/api/v2/resource-servers".to_owned(), body)
    }

    pub fn update_api(&self, id: &str, body: &ResourceServerUpdate) -> Reply<ResourceServer> {
        self.with_body(Method::PATCH, api_path(id), body)
    }

    pub fn delete_api(&self, id: &str) -> Reply<()> {
        self.delete(api_path(id))
    }

    // --- client grants ---

    pub fn grants_of(&self, client_id: &str) -> Reply<Vec<ClientGrant>> {
        self.all(
            format!(
                "/api/v2/client-grants?client_id={}",
                encode_segment(client_id)
            ),
            "client_grants",
        )
    }

    pub fn create_grant(&self, body: &ClientGrantCreate) -> Reply<ClientGrant> {
        self.with_body(Method::POST, "/api/v2/client-grants".to_owned(), body)
    }

    pub fn update_grant(&self, id: &str, scope: Vec<String>) -> Reply<ClientGrant> {
        self.with_body(Method::PATCH, grant_path(id), &ClientGrantUpdate { scope })
    }

    pub fn delete_grant(&self, id: &str) -> Reply<()> {
        self.delete(grant_path(id))
    }

    // --- users ---

    pub fn list_users(&self, page: u64, search: &str) -> Reply<Page<User>> {
        let mut path = format!("/api/v2/users?include_totals=true&per_page={PER_PAGE}&page={page}");
        if !search.trim().is_empty() {
            path.push_str(&format!("&q={}", encode_segment(search.trim())));
        }
        self.page(path, "users")
    }

    pub fn get_user(&self, user_id: &str) -> Reply<User> {
        self.get(user_path(user_id))
    }

    pub fn create_user(&self, body: &UserCreate) -> Reply<User> {
        self.with_body(Method::POST, "/api/v2/users".to_owned(), body)
    }

    pub fn delete_user(&self, user_id: &str) -> Reply<()> {
        self.delete(user_path(user_id))
    }

    pub fn user_permissions(&self, user_id: &str) -> Reply<Vec<Permission>> {
        self.all(format!("{}/permissions", user_path(user_id)), "permissions")
    }

    pub fn add_permission(&self, user_id: &str, permission: PermissionRef) -> Reply<()> {
        self.change_permission(Method::POST, user_id, permission)
    }

    pub fn remove_permission(&self, user_id: &str, permission: PermissionRef) -> Reply<()> {
        self.change_permission(Method::DELETE, user_id, permission)
    }

    fn change_permission(
        &self,
        method: Method,
        user_id: &str,
        permission: PermissionRef,
    ) -> Reply<()> {
        let body = PermissionsRequest {
            permissions: vec![permission],
        };
        let path = format!("{}/permissions", user_path(user_id));
        done(self.with_body::<Value>(method, path, &body))
    }

    // --- tenant settings ---

    pub fn settings(&self) -> Reply<TenantSettings> {
        self.get(SETTINGS_PATH.to_owned())
    }

    pub fn update_settings(&self, body: &TenantSettingsUpdate) -> Reply<TenantSettings> {
        self.with_body(Method::PATCH, SETTINGS_PATH.to_owned(), body)
    }
}

const SETTINGS_PATH: &str = "/api/v2/tenants/settings";

fn client_path(client_id: &str) -> String {
    format!("/api/v2/clients/{}", encode_segment(client_id))
}

fn api_path(id: &str) -> String {
    format!("/api/v2/resource-servers/{}", encode_segment(id))
}

fn grant_path(id: &str) -> String {
    format!("/api/v2/client-grants/{}", encode_segment(id))
}

fn user_path(user_id: &str) -> String {
    format!("/api/v2/users/{}", encode_segment(user_id))
}
