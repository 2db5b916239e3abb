//! The Management API calls the Dashboard makes, with the admin's token.
//! Same origin as the SPA, so paths are origin-relative.

use std::sync::Arc;

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::management::{
    Client, ClientCreate, ClientGrant, ClientGrantCreate, ClientGrantUpdate, ClientUpdate,
    Permission, PermissionRef, PermissionsRequest, ResourceServer, ResourceServerCreate,
    ResourceServerUpdate, TenantSettings, TenantSettingsUpdate, User, UserCreate,
};

use super::model::{encode_segment, Page};
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

impl Management {
    pub fn new(token: &str) -> Self {
        Self {
            token: Arc::from(token),
        }
    }

    fn request(&self, builder: RequestBuilder) -> RequestBuilder {
        builder
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Accept", "application/json")
    }

    async fn send(&self, builder: RequestBuilder) -> Result<String, ApiError> {
        let request = self
            .request(builder)
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))?;
        api::send(request).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        api::decode(&self.send(Request::get(path)).await?)
    }

    async fn page<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<Page<T>, ApiError> {
        let body = self.send(Request::get(path)).await?;
        Page::parse(&body, key).map_err(ApiError::Decode)
    }

    /// Every item of a listing, a page at a time.
    async fn all<T: DeserializeOwned>(&self, path: &str, key: &str) -> Result<Vec<T>, ApiError> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        for page in 0.. {
            let page: Page<T> = self
                .page(
                    &format!(
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
        Ok(items)
    }

    async fn with_body<B: Serialize, T: DeserializeOwned>(
        &self,
        builder: RequestBuilder,
        body: &B,
    ) -> Result<T, ApiError> {
        let request = self
            .request(builder)
            .json(body)
            .map_err(|e| ApiError::Network(e.to_string()))?;
        api::decode(&api::send(request).await?)
    }

    async fn delete(&self, path: &str) -> Result<(), ApiError> {
        self.send(Request::delete(path)).await.map(drop)
    }

    // --- applications ---

    pub async fn list_clients(&self, page: u64) -> Result<Page<Client>, ApiError> {
        self.page(
            &format!("/api/v2/clients?include_totals=true&per_page={PER_PAGE}&page={page}"),
            "clients",
        )
        .await
    }

    pub async fn get_client(&self, client_id: &str) -> Result<Client, ApiError> {
        self.get(&client_path(client_id)).await
    }

    pub async fn create_client(&self, body: &ClientCreate) -> Result<Client, ApiError> {
        self.with_body(Request::post("/api/v2/clients"), body).await
    }

    pub async fn update_client(
        &self,
        client_id: &str,
        body: &ClientUpdate,
    ) -> Result<Client, ApiError> {
        self.with_body(Request::patch(&client_path(client_id)), body)
            .await
    }

    pub async fn delete_client(&self, client_id: &str) -> Result<(), ApiError> {
        self.delete(&client_path(client_id)).await
    }

    /// A new secret, shown in this answer only; the old one keeps working
    /// for `grace` seconds (the tenant's default when `None`).
    pub async fn rotate_secret(
        &self,
        client_id: &str,
        grace: Option<u64>,
    ) -> Result<Client, ApiError> {
        let mut path = format!("{}/rotate-secret", client_path(client_id));
        if let Some(seconds) = grace {
            path.push_str(&format!("?previous_secret_grace_period={seconds}"));
        }
        api::decode(&self.send(Request::post(&path)).await?)
    }

    pub async fn revoke_previous_secret(&self, client_id: &str) -> Result<(), ApiError> {
        self.delete(&format!("{}/previous-secret", client_path(client_id)))
            .await
    }

    // --- APIs ---

    pub async fn list_apis(&self) -> Result<Vec<ResourceServer>, ApiError> {
        self.all("/api/v2/resource-servers", "resource_servers")
            .await
    }

    pub async fn get_api(&self, id: &str) -> Result<ResourceServer, ApiError> {
        self.get(&api_path(id)).await
    }

    pub async fn create_api(
        &self,
        body: &ResourceServerCreate,
    ) -> Result<ResourceServer, ApiError> {
        self.with_body(Request::post("/api/v2/resource-servers"), body)
            .await
    }

    pub async fn update_api(
        &self,
        id: &str,
        body: &ResourceServerUpdate,
    ) -> Result<ResourceServer, ApiError> {
        self.with_body(Request::patch(&api_path(id)), body).await
    }

    pub async fn delete_api(&self, id: &str) -> Result<(), ApiError> {
        self.delete(&api_path(id)).await
    }

    // --- client grants ---

    pub async fn grants_of(&self, client_id: &str) -> Result<Vec<ClientGrant>, ApiError> {
        self.all(
            &format!(
                "/api/v2/client-grants?client_id={}",
                encode_segment(client_id)
            ),
            "client_grants",
        )
        .await
    }

    pub async fn create_grant(&self, body: &ClientGrantCreate) -> Result<ClientGrant, ApiError> {
        self.with_body(Request::post("/api/v2/client-grants"), body)
            .await
    }

    pub async fn update_grant(
        &self,
        id: &str,
        scope: Vec<String>,
    ) -> Result<ClientGrant, ApiError> {
        self.with_body(
            Request::patch(&format!("/api/v2/client-grants/{}", encode_segment(id))),
            &ClientGrantUpdate { scope },
        )
        .await
    }

    pub async fn delete_grant(&self, id: &str) -> Result<(), ApiError> {
        self.delete(&format!("/api/v2/client-grants/{}", encode_segment(id)))
            .await
    }

    // --- users ---

    pub async fn list_users(&self, page: u64, search: &str) -> Result<Page<User>, ApiError> {
        let mut path = format!("/api/v2/users?include_totals=true&per_page={PER_PAGE}&page={page}");
        if !search.trim().is_empty() {
            path.push_str(&format!("&q={}", encode_segment(search.trim())));
        }
        self.page(&path, "users").await
    }

    pub async fn get_user(&self, user_id: &str) -> Result<User, ApiError> {
        self.get(&user_path(user_id)).await
    }

    pub async fn create_user(&self, body: &UserCreate) -> Result<User, ApiError> {
        self.with_body(Request::post("/api/v2/users"), body).await
    }

    pub async fn delete_user(&self, user_id: &str) -> Result<(), ApiError> {
        self.delete(&user_path(user_id)).await
    }

    pub async fn user_permissions(&self, user_id: &str) -> Result<Vec<Permission>, ApiError> {
        self.all(
            &format!("{}/permissions", user_path(user_id)),
            "permissions",
        )
        .await
    }

    pub async fn add_permission(
        &self,
        user_id: &str,
        permission: PermissionRef,
    ) -> Result<(), ApiError> {
        let body = PermissionsRequest {
            permissions: vec![permission],
        };
        let _: serde_json::Value = self
            .with_body(
                Request::post(&format!("{}/permissions", user_path(user_id))),
                &body,
            )
            .await?;
        Ok(())
    }

    pub async fn remove_permission(
        &self,
        user_id: &str,
        permission: PermissionRef,
    ) -> Result<(), ApiError> {
        let body = PermissionsRequest {
            permissions: vec![permission],
        };
        let request = self
            .request(Request::delete(&format!(
                "{}/permissions",
                user_path(user_id)
            )))
            .json(&body)
            .map_err(|e| ApiError::Network(e.to_string()))?;
        api::send(request).await.map(drop)
    }

    // --- tenant settings ---

    pub async fn settings(&self) -> Result<TenantSettings, ApiError> {
        self.get("/api/v2/tenants/settings").await
    }

    pub async fn update_settings(
        &self,
        body: &TenantSettingsUpdate,
    ) -> Result<TenantSettings, ApiError> {
        self.with_body(Request::patch("/api/v2/tenants/settings"), body)
            .await
    }
}

fn client_path(client_id: &str) -> String {
    format!("/api/v2/clients/{}", encode_segment(client_id))
}

fn api_path(id: &str) -> String {
    format!("/api/v2/resource-servers/{}", encode_segment(id))
}

fn user_path(user_id: &str) -> String {
    format!("/api/v2/users/{}", encode_segment(user_id))
}
