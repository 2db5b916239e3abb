//! The Management API calls the Dashboard makes, with the admin's token.
//! Same origin as the SPA, so paths are origin-relative.
//!
//! Every call is [`api::request`] and answers a [`Reply`] that owns what
//! it needs: the methods here only name the path and the type the answer
//! decodes into. The token comes from the session's [`Tokens`], refreshed
//! first when it is about to expire; a call the API refuses with 401 is
//! sent once more with a refreshed token (the API refused it before doing
//! anything, so sending it again is safe).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::actions::{
    Action, ActionCreate, ActionUpdate, ActionVersion, Binding, BindingsUpdate, RollBack, Trigger,
};
use shared::logs::LogEvent;
use shared::management::{
    Client, ClientCreate, ClientGrant, ClientGrantCreate, ClientGrantUpdate, ClientUpdate,
    Permission, PermissionRef, PermissionsRequest, ResourceServer, ResourceServerCreate,
    ResourceServerUpdate, TenantSettings, TenantSettingsUpdate, User, UserCreate,
};
use shared::organizations::{
    MembersRequest, Organization, OrganizationClientGrantCreate, OrganizationCreate,
    OrganizationMember, OrganizationUpdate,
};

use super::{ApiError, Method, Reply};
use crate::api;
use crate::route::encode_segment;
use crate::tokens::{RefreshError, Tokens};

/// Items per page in the Dashboard's lists.
const PER_PAGE: u64 = 50;
/// The Management API's largest page, for lists read whole.
const MAX_PER_PAGE: u64 = 100;

/// A Management API client with the admin's tokens.
#[derive(Clone)]
pub struct Management {
    /// `None` before signing in: calls then go without a token, and the
    /// API refuses them.
    tokens: Option<Tokens>,
}

/// `reply`'s JSON answer as a `T`.
fn decoded<T: DeserializeOwned + 'static>(reply: Reply<String>) -> Reply<T> {
    Box::pin(async move { api::decode(&reply.await?) })
}

/// `reply` with its answer dropped.
fn done(reply: Reply<String>) -> Reply<()> {
    Box::pin(async move { reply.await.map(drop) })
}

/// Why no token could be had, as the API would say it: an ended session
/// is a 401 (the Dashboard then offers to sign in again).
fn session_error(error: RefreshError) -> ApiError {
    match error {
        RefreshError::Ended(why) => ApiError::Status {
            status: 401,
            status_text: "Unauthorized".into(),
            detail: Some(why),
            field: None,
        },
        RefreshError::Unavailable(why) => ApiError::Network(why),
    }
}

impl Management {
    pub fn new(tokens: Tokens) -> Self {
        Self {
            tokens: Some(tokens),
        }
    }

    /// A client without a token (signed out).
    pub fn signed_out() -> Self {
        Self { tokens: None }
    }

    /// The request every call makes: `body` is JSON text.
    fn call(&self, method: Method, path: &str, body: Option<&str>) -> Reply<String> {
        let Some(tokens) = self.tokens.clone() else {
            return api::request(method, path, None, body);
        };
        let path = path.to_owned();
        let body = body.map(str::to_owned);
        Box::pin(async move {
            let token = tokens.access_token().await.map_err(session_error)?;
            match api::request(method, &path, Some(&token), body.as_deref()).await {
                Err(err) if err.status() == Some(401) => {
                    let token = tokens
                        .after_rejection(&token)
                        .await
                        .map_err(session_error)?;
                    api::request(method, &path, Some(&token), body.as_deref()).await
                }
                answer => answer,
            }
        })
    }

    fn get<T: DeserializeOwned + 'static>(&self, path: &str) -> Reply<T> {
        decoded(self.call(Method::Get, path, None))
    }

    /// `body` as JSON.
    fn send(&self, method: Method, path: &str, body: &impl Serialize) -> Reply<String> {
        match serde_json::to_string(body) {
            Ok(json) => self.call(method, path, Some(&json)),
            Err(e) => Box::pin(std::future::ready(Err(ApiError::Network(e.to_string())))),
        }
    }

    fn delete(&self, path: &str) -> Reply<()> {
        done(self.call(Method::Delete, path, None))
    }

    /// Every item of a listing, a page at a time.
    fn all<T: DeserializeOwned + 'static>(&self, path: String) -> Reply<Vec<T>> {
        let api = self.clone();
        Box::pin(async move {
            let separator = if path.contains('?') { '&' } else { '?' };
            let mut items = Vec::new();
            for page in 0.. {
                let page: Page<T> = api
                    .get(&format!(
                        "{path}{separator}include_totals=true&per_page={MAX_PER_PAGE}&page={page}"
                    ))
                    .await?;
                let more = page.has_next() && !page.items.is_empty();
                items.extend(page.items);
                if !more {
                    break;
                }
            }
            Ok(items)
        })
    }

    // --- applications ---

    pub fn list_clients(&self, page: u64) -> Reply<Page<Client>> {
        self.get(&format!("/api/v2/clients?{}", page_query(page)))
    }

    /// Every application, for choosing one.
    pub fn all_clients(&self) -> Reply<Vec<Client>> {
        self.all("/api/v2/clients".to_owned())
    }

    pub fn get_client(&self, client_id: &str) -> Reply<Client> {
        self.get(&client_path(client_id))
    }

    pub fn create_client(&self, body: &ClientCreate) -> Reply<Client> {
        decoded(self.send(Method::Post, "/api/v2/clients", body))
    }

    pub fn update_client(&self, client_id: &str, body: &ClientUpdate) -> Reply<Client> {
        decoded(self.send(Method::Patch, &client_path(client_id), body))
    }

    pub fn delete_client(&self, client_id: &str) -> Reply<()> {
        self.delete(&client_path(client_id))
    }

    /// A new secret, shown in this answer only; the old one keeps working
    /// for `grace` seconds (the tenant's default when `None`).
    pub fn rotate_secret(&self, client_id: &str, grace: Option<u64>) -> Reply<Client> {
        let mut path = format!("{}/rotate-secret", client_path(client_id));
        if let Some(seconds) = grace {
            path.push_str(&format!("?previous_secret_grace_period={seconds}"));
        }
        decoded(self.call(Method::Post, &path, None))
    }

    pub fn revoke_previous_secret(&self, client_id: &str) -> Reply<()> {
        self.delete(&format!("{}/previous-secret", client_path(client_id)))
    }

    // --- APIs ---

    pub fn list_apis(&self, page: u64) -> Reply<Page<ResourceServer>> {
        self.get(&format!("{APIS_PATH}?{}", page_query(page)))
    }

    /// Every API, for choosing one.
    pub fn all_apis(&self) -> Reply<Vec<ResourceServer>> {
        self.all(APIS_PATH.to_owned())
    }

    pub fn get_api(&self, id: &str) -> Reply<ResourceServer> {
        self.get(&api_path(id))
    }

    pub fn create_api(&self, body: &ResourceServerCreate) -> Reply<ResourceServer> {
        decoded(self.send(Method::Post, APIS_PATH, body))
    }

    pub fn update_api(&self, id: &str, body: &ResourceServerUpdate) -> Reply<ResourceServer> {
        decoded(self.send(Method::Patch, &api_path(id), body))
    }

    pub fn delete_api(&self, id: &str) -> Reply<()> {
        self.delete(&api_path(id))
    }

    // --- client grants ---

    pub fn grants_of(&self, client_id: &str) -> Reply<Vec<ClientGrant>> {
        self.all(format!(
            "{GRANTS_PATH}?client_id={}",
            encode_segment(client_id)
        ))
    }

    pub fn create_grant(&self, body: &ClientGrantCreate) -> Reply<ClientGrant> {
        decoded(self.send(Method::Post, GRANTS_PATH, body))
    }

    /// Every client grant of every application, for choosing one.
    pub fn all_grants(&self) -> Reply<Vec<ClientGrant>> {
        self.all(GRANTS_PATH.to_owned())
    }

    pub fn update_grant(&self, id: &str, body: &ClientGrantUpdate) -> Reply<ClientGrant> {
        decoded(self.send(Method::Patch, &grant_path(id), body))
    }

    pub fn delete_grant(&self, id: &str) -> Reply<()> {
        self.delete(&grant_path(id))
    }

    // --- users ---

    pub fn list_users(&self, page: u64, search: &str) -> Reply<Page<User>> {
        self.get(&with_search(
            format!("/api/v2/users?{}", page_query(page)),
            search,
        ))
    }

    // --- logs ---

    /// A page of the audit log, newest first, narrowed by the Management
    /// API's `q` (`type:f`, `user_id:"…"`; blank for every event).
    pub fn list_logs(&self, page: u64, q: &str) -> Reply<Page<LogEvent>> {
        self.get(&with_search(
            format!("/api/v2/logs?{}", page_query(page)),
            q,
        ))
    }

    pub fn get_log(&self, log_id: &str) -> Reply<LogEvent> {
        self.get(&format!("/api/v2/logs/{}", encode_segment(log_id)))
    }

    pub fn get_user(&self, user_id: &str) -> Reply<User> {
        self.get(&user_path(user_id))
    }

    pub fn create_user(&self, body: &UserCreate) -> Reply<User> {
        decoded(self.send(Method::Post, "/api/v2/users", body))
    }

    pub fn delete_user(&self, user_id: &str) -> Reply<()> {
        self.delete(&user_path(user_id))
    }

    pub fn user_permissions(&self, user_id: &str) -> Reply<Vec<Permission>> {
        self.all(format!("{}/permissions", user_path(user_id)))
    }

    pub fn add_permission(&self, user_id: &str, permission: PermissionRef) -> Reply<()> {
        self.change_permission(Method::Post, user_id, permission)
    }

    pub fn remove_permission(&self, user_id: &str, permission: PermissionRef) -> Reply<()> {
        self.change_permission(Method::Delete, user_id, permission)
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
        done(self.send(
            method,
            &format!("{}/permissions", user_path(user_id)),
            &body,
        ))
    }

    // --- organizations ---

    pub fn list_organizations(&self, page: u64) -> Reply<Page<Organization>> {
        self.get(&format!("{ORGANIZATIONS_PATH}?{}", page_query(page)))
    }

    pub fn get_organization(&self, id: &str) -> Reply<Organization> {
        self.get(&organization_path(id, ""))
    }

    pub fn create_organization(&self, body: &OrganizationCreate) -> Reply<Organization> {
        decoded(self.send(Method::Post, ORGANIZATIONS_PATH, body))
    }

    pub fn update_organization(&self, id: &str, body: &OrganizationUpdate) -> Reply<Organization> {
        decoded(self.send(Method::Patch, &organization_path(id, ""), body))
    }

    pub fn delete_organization(&self, id: &str) -> Reply<()> {
        self.delete(&organization_path(id, ""))
    }

    pub fn list_members(&self, id: &str, page: u64) -> Reply<Page<OrganizationMember>> {
        self.get(&format!(
            "{}?{}",
            organization_path(id, "/members"),
            page_query(page)
        ))
    }

    /// Adds (`Post`) or removes (`Delete`) members by user id.
    pub fn change_members(&self, method: Method, id: &str, members: Vec<String>) -> Reply<()> {
        done(self.send(
            method,
            &organization_path(id, "/members"),
            &MembersRequest { members },
        ))
    }

    /// The client grants that may act for the organization (at most 100).
    pub fn organization_grants(&self, id: &str) -> Reply<Vec<ClientGrant>> {
        self.all(organization_path(id, "/client-grants"))
    }

    pub fn link_grant(&self, id: &str, grant_id: String) -> Reply<()> {
        done(self.send(
            Method::Post,
            &organization_path(id, "/client-grants"),
            &OrganizationClientGrantCreate { grant_id },
        ))
    }

    pub fn unlink_grant(&self, id: &str, grant_id: &str) -> Reply<()> {
        self.delete(&organization_path(
            id,
            &format!("/client-grants/{}", encode_segment(grant_id)),
        ))
    }

    // --- actions ---

    /// A page of the actions, by name.
    pub fn list_actions(&self, page: u64) -> Reply<Page<Action>> {
        numbered(self.call(
            Method::Get,
            &format!("{ACTIONS_PATH}?page={page}&per_page={PER_PAGE}"),
            None,
        ))
    }

    /// Every deployed action of `trigger`, for binding one to it.
    pub fn deployed_actions(&self, trigger: &str) -> Reply<Vec<Action>> {
        let (api, trigger) = (self.clone(), encode_segment(trigger));
        Box::pin(async move {
            let mut items = Vec::new();
            for page in 0.. {
                let listing: Page<Action> = numbered(api.call(
                    Method::Get,
                    &format!(
                        "{ACTIONS_PATH}?triggerId={trigger}&deployed=true&page={page}&per_page={MAX_PER_PAGE}"
                    ),
                    None,
                ))
                .await?;
                let more = listing.has_next() && !listing.items.is_empty();
                items.extend(listing.items);
                if !more {
                    break;
                }
            }
            Ok(items)
        })
    }

    pub fn get_action(&self, id: &str) -> Reply<Action> {
        self.get(&action_path(id, ""))
    }

    /// A new action; without `code`, the tenant starts it from its
    /// trigger's template.
    pub fn create_action(&self, body: &ActionCreate) -> Reply<Action> {
        decoded(self.send(Method::Post, ACTIONS_PATH, body))
    }

    pub fn update_action(&self, id: &str, body: &ActionUpdate) -> Reply<Action> {
        decoded(self.send(Method::Patch, &action_path(id, ""), body))
    }

    /// Deletes an action; with `force`, also when it is bound (which
    /// unbinds it).
    pub fn delete_action(&self, id: &str, force: bool) -> Reply<()> {
        let query = if force { "?force=true" } else { "" };
        self.delete(&action_path(id, query))
    }

    /// Deploys the draft as a new version.
    pub fn deploy_action(&self, id: &str) -> Reply<ActionVersion> {
        decoded(self.call(Method::Post, &action_path(id, "/deploy"), None))
    }

    /// A page of an action's versions, newest first.
    pub fn list_versions(&self, id: &str, page: u64) -> Reply<Page<ActionVersion>> {
        numbered(self.call(
            Method::Get,
            &action_path(id, &format!("/versions?page={page}&per_page={PER_PAGE}")),
            None,
        ))
    }

    /// Deploys a copy of an older version as a new one; with
    /// `update_draft`, its code becomes the draft too.
    pub fn roll_back(
        &self,
        id: &str,
        version_id: &str,
        update_draft: bool,
    ) -> Reply<ActionVersion> {
        decoded(self.send(
            Method::Post,
            &action_path(
                id,
                &format!("/versions/{}/deploy", encode_segment(version_id)),
            ),
            &RollBack { update_draft },
        ))
    }

    /// Runs the saved draft with `event`, the JSON text of an object.
    pub fn test_action(&self, id: &str, event: &str) -> Reply<TestRun> {
        let body = format!(r#"{{"payload":{event}}}"#);
        let reply = self.call(Method::Post, &action_path(id, "/test"), Some(&body));
        Box::pin(async move {
            let answer: TestAnswer = api::decode(&reply.await?)?;
            Ok(answer.payload)
        })
    }

    pub fn triggers(&self) -> Reply<Vec<Trigger>> {
        items(self.call(Method::Get, "/api/v2/actions/triggers", None))
    }

    /// The actions bound to `trigger`, in the order they run.
    pub fn bindings(&self, trigger: &str) -> Reply<Vec<Binding>> {
        items(self.call(Method::Get, &bindings_path(trigger), None))
    }

    /// Makes `trigger` run exactly the actions of `body`, in its order.
    pub fn update_bindings(&self, trigger: &str, body: &BindingsUpdate) -> Reply<Vec<Binding>> {
        items(self.send(Method::Patch, &bindings_path(trigger), body))
    }

    // --- tenant settings ---

    pub fn settings(&self) -> Reply<TenantSettings> {
        self.get(SETTINGS_PATH)
    }

    pub fn update_settings(&self, body: &TenantSettingsUpdate) -> Reply<TenantSettings> {
        decoded(self.send(Method::Patch, SETTINGS_PATH, body))
    }
}

/// A Dashboard list's page `page` (from 0), with the totals.
fn page_query(page: u64) -> String {
    format!("include_totals=true&per_page={PER_PAGE}&page={page}")
}

const APIS_PATH: &str = "/api/v2/resource-servers";
const GRANTS_PATH: &str = "/api/v2/client-grants";
const SETTINGS_PATH: &str = "/api/v2/tenants/settings";
const ORGANIZATIONS_PATH: &str = "/api/v2/organizations";
const ACTIONS_PATH: &str = "/api/v2/actions/actions";

/// `/api/v2/actions/actions/{id}{rest}`.
fn action_path(id: &str, rest: &str) -> String {
    format!("{ACTIONS_PATH}/{}{rest}", encode_segment(id))
}

fn bindings_path(trigger: &str) -> String {
    format!(
        "/api/v2/actions/triggers/{}/bindings",
        encode_segment(trigger)
    )
}

/// `/api/v2/organizations/{id}{rest}`.
fn organization_path(id: &str, rest: &str) -> String {
    format!("{ORGANIZATIONS_PATH}/{}{rest}", encode_segment(id))
}

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

/// `path` with `&q=` for a search that is not blank.
fn with_search(mut path: String, search: &str) -> String {
    if !search.trim().is_empty() {
        path.push_str(&format!("&q={}", encode_segment(search.trim())));
    }
    path
}

/// A page of a Management API listing (`include_totals=true`), whose items
/// are under the resource's plural name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    #[serde(
        alias = "clients",
        alias = "resource_servers",
        alias = "client_grants",
        alias = "users",
        alias = "permissions",
        alias = "logs",
        alias = "organizations",
        alias = "members"
    )]
    pub items: Vec<T>,
    #[serde(default)]
    pub start: u64,
    #[serde(default)]
    pub total: u64,
}

/// A listing of the Actions API: `{total, page, per_page, <items>}`, or
/// only the items (the triggers; a PATCH's bindings).
#[derive(Debug, Deserialize)]
struct NumberedPage<T> {
    #[serde(
        alias = "actions",
        alias = "versions",
        alias = "triggers",
        alias = "bindings"
    )]
    items: Vec<T>,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    page: u64,
    #[serde(default)]
    per_page: u64,
}

impl<T> From<NumberedPage<T>> for Page<T> {
    fn from(listing: NumberedPage<T>) -> Self {
        Page {
            start: listing.page * listing.per_page,
            total: listing.total,
            items: listing.items,
        }
    }
}

/// `reply`'s Actions API listing as a [`Page`].
fn numbered<T: DeserializeOwned + 'static>(reply: Reply<String>) -> Reply<Page<T>> {
    Box::pin(async move {
        let listing: NumberedPage<T> = api::decode(&reply.await?)?;
        Ok(listing.into())
    })
}

/// `reply`'s Actions API listing, its items only.
fn items<T: DeserializeOwned + 'static>(reply: Reply<String>) -> Reply<Vec<T>> {
    Box::pin(async move {
        let listing: NumberedPage<T> = api::decode(&reply.await?)?;
        Ok(listing.items)
    })
}

/// What an action did in a test run (`POST .../test`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TestRun {
    /// What it asked of `api`, e.g. `{"op": "access_token_claim", "name", "value"}`.
    pub commands: Vec<Value>,
    pub logs: Vec<String>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Deserialize)]
struct TestAnswer {
    payload: TestRun,
}

impl<T> Page<T> {
    /// "1–50 of 120", or "None yet" for an empty listing.
    pub fn summary(&self) -> String {
        if self.items.is_empty() {
            return if self.total == 0 {
                "None yet".to_owned()
            } else {
                format!("None here, {} in all", self.total)
            };
        }
        format!(
            "{}–{} of {}",
            self.start + 1,
            self.start + self.items.len() as u64,
            self.total
        )
    }

    pub fn has_next(&self) -> bool {
        self.start + (self.items.len() as u64) < self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_page(body: &str) -> Result<Page<ClientGrant>, ApiError> {
        api::decode(body)
    }

    #[test]
    fn pages_read_the_listing_shape() {
        let page = parse_page(
            r#"{"client_grants":[{"id":"g","client_id":"c","audience":"a","scope":[]}],
                "start":50,"limit":50,"length":1,"total":51}"#,
        )
        .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.summary(), "51–51 of 51");
        assert!(!page.has_next());
        let empty = parse_page(r#"{"client_grants":[],"start":0,"total":0}"#).unwrap();
        assert_eq!(empty.summary(), "None yet");
        assert!(parse_page(r#"{"start":0,"total":0}"#).is_err());
        let first: Page<ClientGrant> = Page {
            items: vec![page.items[0].clone(); 50],
            start: 0,
            total: 51,
        };
        assert!(first.has_next());
        assert_eq!(first.summary(), "1–50 of 51");
    }

    #[test]
    fn actions_listings_are_numbered_pages() {
        let body = r#"{"total":102,"page":2,"per_page":50,"actions":[1,2]}"#;
        let listing: NumberedPage<u8> = api::decode(body).unwrap();
        let page = Page::from(listing);
        assert_eq!(page.summary(), "101–102 of 102");
        assert!(!page.has_next());
        let versions: NumberedPage<u8> =
            api::decode(r#"{"total":1,"page":0,"per_page":50,"versions":[7]}"#).unwrap();
        assert_eq!(versions.items, [7]);
        let bindings: NumberedPage<u8> = api::decode(r#"{"bindings":[]}"#).unwrap();
        assert!(bindings.items.is_empty());
        let test: TestAnswer = api::decode(
            r#"{"payload":{"commands":[{"op":"deny","code":null,"reason":"no"}],"logs":["hi"],"error":null,"duration_ms":3}}"#,
        )
        .unwrap();
        assert_eq!(test.payload.logs, ["hi"]);
        assert_eq!(test.payload.error, None);
    }

    #[test]
    fn every_listing_the_dashboard_reads_is_a_page() {
        for key in [
            "clients",
            "resource_servers",
            "client_grants",
            "users",
            "permissions",
            "logs",
            "organizations",
            "members",
        ] {
            let page: Page<serde_json::Value> =
                api::decode(&format!(r#"{{"{key}":[1,2],"start":0,"total":2}}"#)).unwrap();
            assert_eq!(page.items.len(), 2, "{key}");
        }
    }
}
