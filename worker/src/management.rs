//! The Management API (`/api/v2`): each route authorizes its scope, parses
//! its body or query, and calls the tenant.

use tenant::error::ManagementErrorCode;
use tenant::management::logs::{self, LogQuery, NewEvent};
use tenant::management::{parse_body, Paging};
use tenant::{Error, Family, Result};
use worker::{console_error, Method, Request, Response, Url};

use crate::http::{self, Caching};
use crate::Tenant;

/// One Management API operation: its route and the scope it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operation {
    ListClients,
    CreateClient,
    GetClient(String),
    UpdateClient(String),
    DeleteClient(String),
    RotateClientSecret(String),
    RevokePreviousClientSecret(String),
    ListResourceServers,
    CreateResourceServer,
    GetResourceServer(String),
    UpdateResourceServer(String),
    DeleteResourceServer(String),
    ListClientGrants,
    CreateClientGrant,
    GetClientGrant(String),
    UpdateClientGrant(String),
    DeleteClientGrant(String),
    GetTenantSettings,
    UpdateTenantSettings,
    ListUsers,
    CreateUser,
    GetUser(String),
    UpdateUser(String),
    DeleteUser(String),
    UsersByEmail,
    GetUserPermissions(String),
    AddUserPermissions(String),
    RemoveUserPermissions(String),
    ListLogs,
    GetLog(String),
}

impl Operation {
    fn scope(&self) -> &'static str {
        use Operation::*;
        match self {
            ListClients | GetClient(_) => "read:clients",
            CreateClient => "create:clients",
            UpdateClient(_) => "update:clients",
            DeleteClient(_) => "delete:clients",
            RotateClientSecret(_) | RevokePreviousClientSecret(_) => "update:client_keys",
            ListResourceServers | GetResourceServer(_) => "read:resource_servers",
            CreateResourceServer => "create:resource_servers",
            UpdateResourceServer(_) => "update:resource_servers",
            DeleteResourceServer(_) => "delete:resource_servers",
            ListClientGrants | GetClientGrant(_) => "read:client_grants",
            CreateClientGrant => "create:client_grants",
            UpdateClientGrant(_) => "update:client_grants",
            DeleteClientGrant(_) => "delete:client_grants",
            GetTenantSettings => "read:tenant_settings",
            UpdateTenantSettings => "update:tenant_settings",
            ListUsers | GetUser(_) | UsersByEmail | GetUserPermissions(_) => "read:users",
            CreateUser => "create:users",
            UpdateUser(_) | AddUserPermissions(_) | RemoveUserPermissions(_) => "update:users",
            DeleteUser(_) => "delete:users",
            ListLogs | GetLog(_) => "read:logs",
        }
    }

    /// How a successful call is logged: its description (Auth0's wording),
    /// what kind of thing it acts on, and the id when the path names it.
    /// Reads are not logged.
    fn audit(&self) -> Option<(&'static str, &'static str, Option<&str>)> {
        use Operation::*;
        Some(match self {
            CreateClient => ("Create a client", "client", None),
            UpdateClient(id) => ("Update a client", "client", Some(id)),
            DeleteClient(id) => ("Delete a client", "client", Some(id)),
            RotateClientSecret(id) => ("Rotate a client secret", "client", Some(id)),
            RevokePreviousClientSecret(id) => {
                ("Revoke a client's previous secret", "client", Some(id))
            }
            CreateResourceServer => ("Create a resource server", "resource_server", None),
            UpdateResourceServer(id) => ("Update a resource server", "resource_server", Some(id)),
            DeleteResourceServer(id) => ("Delete a resource server", "resource_server", Some(id)),
            CreateClientGrant => ("Create a client grant", "client_grant", None),
            UpdateClientGrant(id) => ("Update a client grant", "client_grant", Some(id)),
            DeleteClientGrant(id) => ("Delete a client grant", "client_grant", Some(id)),
            UpdateTenantSettings => ("Update tenant settings", "tenant", None),
            CreateUser => ("Create a user", "user", None),
            UpdateUser(id) => ("Update a user", "user", Some(id)),
            DeleteUser(id) => ("Delete a user", "user", Some(id)),
            AddUserPermissions(id) => ("Assign permissions to a user", "user", Some(id)),
            RemoveUserPermissions(id) => ("Remove permissions from a user", "user", Some(id)),
            ListClients
            | GetClient(_)
            | ListResourceServers
            | GetResourceServer(_)
            | ListClientGrants
            | GetClientGrant(_)
            | GetTenantSettings
            | ListUsers
            | GetUser(_)
            | UsersByEmail
            | GetUserPermissions(_)
            | ListLogs
            | GetLog(_) => return None,
        })
    }
}

/// The operation a method and the path segments after `/api/v2/` name: a
/// 404 for an unknown path, a 405 (with what is allowed) for a known path.
fn route(method: &Method, segments: &[String]) -> std::result::Result<Operation, Response> {
    use Operation::*;
    let read = matches!(method, Method::Get | Method::Head);
    let not_allowed = |allow: &str| http::method_not_allowed(Family::Management, allow);
    let id = |i: usize| segments[i].clone();
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    Ok(match (path.as_slice(), method) {
        (["clients"], _) if read => ListClients,
        (["clients"], Method::Post) => CreateClient,
        (["clients"], _) => return Err(not_allowed("GET, POST")),
        (["clients", _], _) if read => GetClient(id(1)),
        (["clients", _], Method::Patch) => UpdateClient(id(1)),
        (["clients", _], Method::Delete) => DeleteClient(id(1)),
        (["clients", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["clients", _, "rotate-secret"], Method::Post) => RotateClientSecret(id(1)),
        (["clients", _, "rotate-secret"], _) => return Err(not_allowed("POST")),
        (["clients", _, "previous-secret"], Method::Delete) => RevokePreviousClientSecret(id(1)),
        (["clients", _, "previous-secret"], _) => return Err(not_allowed("DELETE")),
        (["resource-servers"], _) if read => ListResourceServers,
        (["resource-servers"], Method::Post) => CreateResourceServer,
        (["resource-servers"], _) => return Err(not_allowed("GET, POST")),
        (["resource-servers", _], _) if read => GetResourceServer(id(1)),
        (["resource-servers", _], Method::Patch) => UpdateResourceServer(id(1)),
        (["resource-servers", _], Method::Delete) => DeleteResourceServer(id(1)),
        (["resource-servers", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["client-grants"], _) if read => ListClientGrants,
        (["client-grants"], Method::Post) => CreateClientGrant,
        (["client-grants"], _) => return Err(not_allowed("GET, POST")),
        (["client-grants", _], _) if read => GetClientGrant(id(1)),
        (["client-grants", _], Method::Patch) => UpdateClientGrant(id(1)),
        (["client-grants", _], Method::Delete) => DeleteClientGrant(id(1)),
        (["client-grants", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["tenants", "settings"], _) if read => GetTenantSettings,
        (["tenants", "settings"], Method::Patch) => UpdateTenantSettings,
        (["tenants", "settings"], _) => return Err(not_allowed("GET, PATCH")),
        (["users"], _) if read => ListUsers,
        (["users"], Method::Post) => CreateUser,
        (["users"], _) => return Err(not_allowed("GET, POST")),
        (["users", _], _) if read => GetUser(id(1)),
        (["users", _], Method::Patch) => UpdateUser(id(1)),
        (["users", _], Method::Delete) => DeleteUser(id(1)),
        (["users", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["users", _, "permissions"], _) if read => GetUserPermissions(id(1)),
        (["users", _, "permissions"], Method::Post) => AddUserPermissions(id(1)),
        (["users", _, "permissions"], Method::Delete) => RemoveUserPermissions(id(1)),
        (["users", _, "permissions"], _) => return Err(not_allowed("GET, POST, DELETE")),
        (["users-by-email"], _) if read => UsersByEmail,
        (["users-by-email"], _) => return Err(not_allowed("GET")),
        (["logs"], _) if read => ListLogs,
        (["logs"], _) => return Err(not_allowed("GET")),
        (["logs", _], _) if read => GetLog(id(1)),
        (["logs", _], _) => return Err(not_allowed("GET")),
        _ => {
            return Err(http::error_response(
                &Error::bad_request(Family::Management, 404, "Not Found"),
                Family::Management,
            ))
        }
    })
}

/// `previous_secret_grace_period` of a rotation, when given.
fn grace_period(query: &[(String, String)]) -> Result<Option<u64>> {
    query
        .iter()
        .find(|(name, _)| name == "previous_secret_grace_period")
        .map(|(_, value)| {
            value.parse().map_err(|_| {
                Error::management(
 ManagementErrorCode::InvalidQueryString,
                    "Query validation error: previous_secret_grace_period must be a number of seconds",
                )
            })
        })
        .transpose()
}

pub async fn handle(
    req: &mut Request,
    url: &Url,
    tenant: &Tenant<'_>,
    segments: &[String],
) -> Result<Response> {
    let operation = match route(&http::method(req), segments) {
        Ok(operation) => operation,
        Err(response) => return Ok(response),
    };
    let authorization = http::header(req, "authorization");
    let token = tenant
        .authorize_management(authorization.as_deref(), operation.scope())
        .await?;
    let query = http::query_pairs(url);
    let filter = |name: &str| http::query_value(&query, name);
    // The id of a resource this call creates, for the log.
    let mut created_id: Option<String> = None;

    use Operation::*;
    let response = match operation.clone() {
        ListClients => {
            let listing = tenant.list_clients(Paging::from_query(&query)?).await?;
            ok(&listing.to_json("clients"))
        }
        CreateClient => {
            let client = tenant.create_client(json_body(req).await?).await?;
            created_id = Some(client.client_id.clone());
            created(&client)
        }
        GetClient(id) => ok(&tenant.get_client(&id).await?),
        UpdateClient(id) => {
            let may_set_secret = token.has_scope("update:client_keys");
            let body = json_body(req).await?;
            ok(&tenant.update_client(&id, body, may_set_secret).await?)
        }
        DeleteClient(id) => {
            tenant.delete_client(&id).await?;
            http::no_content()
        }
        RotateClientSecret(id) => ok(&tenant
            .rotate_client_secret(&id, grace_period(&query)?)
            .await?),
        RevokePreviousClientSecret(id) => {
            tenant.revoke_previous_client_secret(&id).await?;
            http::no_content()
        }
        ListResourceServers => {
            let listing = tenant
                .list_resource_servers(Paging::from_query(&query)?)
                .await?;
            ok(&listing.to_json("resource_servers"))
        }
        CreateResourceServer => {
            let api = tenant.create_resource_server(json_body(req).await?).await?;
            created_id = Some(api.id.clone());
            created(&api)
        }
        GetResourceServer(id) => ok(&tenant.get_resource_server(&id).await?),
        UpdateResourceServer(id) => {
            let body = json_body(req).await?;
            ok(&tenant.update_resource_server(&id, body).await?)
        }
        DeleteResourceServer(id) => {
            tenant.delete_resource_server(&id).await?;
            http::no_content()
        }
        ListClientGrants => {
            let listing = tenant
                .list_client_grants(
                    Paging::from_query(&query)?,
                    filter("client_id"),
                    filter("audience"),
                )
                .await?;
            ok(&listing.to_json("client_grants"))
        }
        CreateClientGrant => {
            let grant = tenant
                .create_client_grant(json_body(req).await?, &token)
                .await?;
            created_id = Some(grant.id.clone());
            created(&grant)
        }
        GetClientGrant(id) => ok(&tenant.get_client_grant(&id).await?),
        UpdateClientGrant(id) => {
            let body = json_body(req).await?;
            ok(&tenant.update_client_grant(&id, body, &token).await?)
        }
        DeleteClientGrant(id) => {
            tenant.delete_client_grant(&id).await?;
            http::no_content()
        }
        GetTenantSettings => ok(&tenant.get_tenant_settings().await?),
        UpdateTenantSettings => ok(&tenant.update_tenant_settings(json_body(req).await?).await?),
        ListUsers => {
            let listing = tenant
                .list_users(Paging::from_query(&query)?, filter("q"))
                .await?;
            ok(&listing.to_json("users"))
        }
        CreateUser => {
            let user = tenant.create_user(json_body(req).await?).await?;
            created_id = Some(user.user_id.clone());
            created(&user)
        }
        GetUser(id) => ok(&tenant.get_user(&id).await?),
        UpdateUser(id) => {
            let body = json_body(req).await?;
            ok(&tenant.update_user(&id, body, &token).await?)
        }
        DeleteUser(id) => {
            tenant.delete_user(&id).await?;
            http::no_content()
        }
        UsersByEmail => ok(&tenant
            .users_by_email(filter("email").unwrap_or_default())
            .await?),
        GetUserPermissions(id) => {
            let listing = tenant
                .user_permissions(&id, Paging::from_query(&query)?)
                .await?;
            ok(&listing.to_json("permissions"))
        }
        AddUserPermissions(id) => {
            let body = json_body(req).await?;
            tenant.add_user_permissions(&id, body, &token).await?;
            created(&serde_json::json!({}))
        }
        RemoveUserPermissions(id) => {
            let body = json_body(req).await?;
            tenant.remove_user_permissions(&id, body).await?;
            http::no_content()
        }
        ListLogs => ok(&tenant.list_logs(&LogQuery::from_query(&query)?).await?),
        GetLog(id) => ok(&tenant.get_log(&id).await?),
    }?;
    if let Some((description, kind, id)) = operation.audit() {
        let id = id.map(str::to_string).or(created_id);
        let event = NewEvent::api_operation(
            logs::token_actor(&token),
            Some(token.claims.client_id.clone()),
            description,
            logs::target(kind, id.as_deref()),
            req.method().as_ref(),
            url.path(),
        );
        if let Some(err) = tenant.log_after(event).await {
            console_error!("audit log: could not record \"{description}\": {err}");
        }
    }
    Ok(response)
}

async fn json_body<T: serde::de::DeserializeOwned>(req: &mut Request) -> Result<T> {
    parse_body(&http::read_json_body(req).await?)
}

fn ok<T: serde::Serialize + ?Sized>(body: &T) -> Result<Response> {
    http::json(200, body, Caching::NoStore)
}

fn created<T: serde::Serialize + ?Sized>(body: &T) -> Result<Response> {
    http::json(201, body, Caching::NoStore)
}
