//! The Management API (`/api/v2`): which operation a method and a path
//! name, and the HTTP around it. What each operation needs, does and
//! logs is the tenant's (`tenant::management::operations`).

use tenant::management::operations::{Operation, Reply};
use tenant::{Error, Family, Result};
use worker::{Method, Request, Response, Url};

use crate::http::{self, Caching};
use crate::Tenant;

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
        (["organizations"], _) if read => ListOrganizations,
        (["organizations"], Method::Post) => CreateOrganization,
        (["organizations"], _) => return Err(not_allowed("GET, POST")),
        (["organizations", "name", _], _) if read => GetOrganizationByName(id(2)),
        (["organizations", "name", _], _) => return Err(not_allowed("GET")),
        (["organizations", _], _) if read => GetOrganization(id(1)),
        (["organizations", _], Method::Patch) => UpdateOrganization(id(1)),
        (["organizations", _], Method::Delete) => DeleteOrganization(id(1)),
        (["organizations", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["organizations", _, "client-grants"], _) if read => ListOrganizationClientGrants(id(1)),
        (["organizations", _, "client-grants"], Method::Post) => {
            CreateOrganizationClientGrant(id(1))
        }
        (["organizations", _, "client-grants"], _) => return Err(not_allowed("GET, POST")),
        (["organizations", _, "client-grants", _], Method::Delete) => {
            DeleteOrganizationClientGrant(id(1), id(3))
        }
        (["organizations", _, "client-grants", _], _) => return Err(not_allowed("DELETE")),
        (["organizations", _, "members"], _) if read => ListOrganizationMembers(id(1)),
        (["organizations", _, "members"], Method::Post) => AddOrganizationMembers(id(1)),
        (["organizations", _, "members"], Method::Delete) => RemoveOrganizationMembers(id(1)),
        (["organizations", _, "members"], _) => return Err(not_allowed("GET, POST, DELETE")),
        (["users", _, "organizations"], _) if read => ListUserOrganizations(id(1)),
        (["users", _, "organizations"], _) => return Err(not_allowed("GET")),
        (["client-grants", _, "organizations"], _) if read => ListClientGrantOrganizations(id(1)),
        (["client-grants", _, "organizations"], _) => return Err(not_allowed("GET")),
        (["actions", "actions"], _) if read => ListActions,
        (["actions", "actions"], Method::Post) => CreateAction,
        (["actions", "actions"], _) => return Err(not_allowed("GET, POST")),
        (["actions", "actions", _], _) if read => GetAction(id(2)),
        (["actions", "actions", _], Method::Patch) => UpdateAction(id(2)),
        (["actions", "actions", _], Method::Delete) => DeleteAction(id(2)),
        (["actions", "actions", _], _) => return Err(not_allowed("GET, PATCH, DELETE")),
        (["actions", "actions", _, "deploy"], Method::Post) => DeployAction(id(2)),
        (["actions", "actions", _, "deploy"], _) => return Err(not_allowed("POST")),
        (["actions", "actions", _, "test"], Method::Post) => TestAction(id(2)),
        (["actions", "actions", _, "test"], _) => return Err(not_allowed("POST")),
        (["actions", "actions", _, "versions"], _) if read => ListActionVersions(id(2)),
        (["actions", "actions", _, "versions"], _) => return Err(not_allowed("GET")),
        (["actions", "actions", _, "versions", _], _) if read => GetActionVersion(id(2), id(4)),
        (["actions", "actions", _, "versions", _], _) => return Err(not_allowed("GET")),
        (["actions", "actions", _, "versions", _, "deploy"], Method::Post) => {
            RollBackAction(id(2), id(4))
        }
        (["actions", "actions", _, "versions", _, "deploy"], _) => return Err(not_allowed("POST")),
        (["actions", "triggers"], _) if read => ListTriggers,
        (["actions", "triggers"], _) => return Err(not_allowed("GET")),
        (["actions", "triggers", _, "bindings"], _) if read => ListBindings(id(2)),
        (["actions", "triggers", _, "bindings"], Method::Patch) => UpdateBindings(id(2)),
        (["actions", "triggers", _, "bindings"], _) => return Err(not_allowed("GET, PATCH")),
        (["actions", "executions", _], _) if read => GetExecution(id(2)),
        (["actions", "executions", _], _) => return Err(not_allowed("GET")),
        _ => {
            return Err(http::error_response(
                &Error::bad_request(Family::Management, 404, "Not Found"),
                Family::Management,
            ))
        }
    })
}

/// Authorizes the operation (before any body is read), reads its body
/// when it takes one, runs it and renders its reply.
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
        .authorize_operation(&operation, authorization.as_deref())
        .await?;
    let optional = operation.body_is_optional() && !http::has_json_body(req);
    let body = if operation.takes_body() && !optional {
        http::read_json_body(req, operation.max_body_bytes()).await?
    } else {
        Vec::new()
    };
    let query = http::query_pairs(url);
    match tenant
        .run_operation(&operation, &token, &query, &body)
        .await?
    {
        Reply::Ok(value) => http::json(200, &value, Caching::NoStore),
        Reply::Created(value) => http::json(201, &value, Caching::NoStore),
        Reply::Accepted(value) => http::json(202, &value, Caching::NoStore),
        Reply::NoContent => http::no_content(),
    }
}
