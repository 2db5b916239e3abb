//! The Management API's operations, each defined once: what it acts on,
//! the scope it needs, how it is written to the audit log, and the call.
//! The worker only maps a method and a path to an [`Operation`] (and
//! answers 404 or 405 with `Allow` for what maps to none), reads the body
//! of an operation that takes one, and renders the [`Reply`].

use serde::Serialize;

use crate::error::{Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::client_grants::GrantFilter;
use crate::management::logs::{self, LogQuery, NewEvent};
use crate::management::organizations::client_grants::LinkedGrantsFilter;
use crate::management::{parse_body, Pagination, Paging};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;
use shared::actions::RollBack;
use shared::organizations::OrganizationClientGrantCreate;

/// One Management API operation, with the ids its path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
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
    ListOrganizations,
    CreateOrganization,
    GetOrganization(String),
    GetOrganizationByName(String),
    UpdateOrganization(String),
    DeleteOrganization(String),
    /// The grants linked to an organization.
    ListOrganizationClientGrants(String),
    CreateOrganizationClientGrant(String),
    /// (organization id, grant id)
    DeleteOrganizationClientGrant(String, String),
    ListOrganizationMembers(String),
    AddOrganizationMembers(String),
    RemoveOrganizationMembers(String),
    ListUserOrganizations(String),
    /// The organizations a grant is linked to.
    ListClientGrantOrganizations(String),
    ListActions,
    CreateAction,
    GetAction(String),
    UpdateAction(String),
    DeleteAction(String),
    DeployAction(String),
    ListActionVersions(String),
    /// (action id, version id)
    GetActionVersion(String, String),
    /// Deploys a copy of an older version: (action id, version id).
    RollBackAction(String, String),
    TestAction(String),
    ListTriggers,
    ListBindings(String),
    UpdateBindings(String),
    GetExecution(String),
}

/// How a change is written to the audit log: Auth0's wording, what kind
/// of thing it acts on, and its id when the path names it (a creation
/// names the id it made).
struct Audit<'a> {
    description: &'static str,
    kind: &'static str,
    id: Option<&'a str>,
}

/// What an operation answers: a JSON body (`200`, `201`, or `202` for a
/// deploy, as Auth0), or nothing (`204`).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ok(serde_json::Value),
    Created(serde_json::Value),
    Accepted(serde_json::Value),
    NoContent,
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("DTOs serialize")
}

impl Operation {
    /// The one scope the operation needs.
    pub fn scope(&self) -> &'static str {
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
            ListOrganizations
            | GetOrganization(_)
            | GetOrganizationByName(_)
            | ListUserOrganizations(_) => "read:organizations",
            CreateOrganization => "create:organizations",
            UpdateOrganization(_) => "update:organizations",
            DeleteOrganization(_) => "delete:organizations",
            ListOrganizationClientGrants(_) | ListClientGrantOrganizations(_) => {
                "read:organization_client_grants"
            }
            CreateOrganizationClientGrant(_) => "create:organization_client_grants",
            DeleteOrganizationClientGrant(_, _) => "delete:organization_client_grants",
            ListOrganizationMembers(_) => "read:organization_members",
            AddOrganizationMembers(_) => "create:organization_members",
            RemoveOrganizationMembers(_) => "delete:organization_members",
            ListActions
            | GetAction(_)
            | ListActionVersions(_)
            | GetActionVersion(_, _)
            | ListTriggers
            | ListBindings(_)
            | GetExecution(_) => "read:actions",
            CreateAction => "create:actions",
            UpdateAction(_)
            | DeployAction(_)
            | RollBackAction(_, _)
            | TestAction(_)
            | UpdateBindings(_) => "update:actions",
            DeleteAction(_) => "delete:actions",
        }
    }

    /// Whether the operation reads a JSON body.
    pub fn takes_body(&self) -> bool {
        use Operation::*;
        matches!(
            self,
            CreateClient
                | UpdateClient(_)
                | CreateResourceServer
                | UpdateResourceServer(_)
                | CreateClientGrant
                | UpdateClientGrant(_)
                | UpdateTenantSettings
                | CreateUser
                | UpdateUser(_)
                | AddUserPermissions(_)
                | RemoveUserPermissions(_)
                | CreateOrganization
                | UpdateOrganization(_)
                | CreateOrganizationClientGrant(_)
                | AddOrganizationMembers(_)
                | RemoveOrganizationMembers(_)
                | CreateAction
                | UpdateAction(_)
                | TestAction(_)
                | UpdateBindings(_)
                | RollBackAction(_, _)
        )
    }

    /// The largest body it reads: 64 KiB, or 256 KiB for an action's code
    /// (at most 100 kB, which JSON's escapes can double).
    pub fn max_body_bytes(&self) -> usize {
        match self {
            Operation::CreateAction | Operation::UpdateAction(_) | Operation::TestAction(_) => {
                crate::management::MAX_ACTION_BODY_BYTES
            }
            _ => crate::management::MAX_BODY_BYTES,
        }
    }

    /// Whether the body it reads may be left out: Auth0's SDK rolls an
    /// action back with no body at all.
    pub fn body_is_optional(&self) -> bool {
        matches!(self, Operation::RollBackAction(_, _))
    }

    /// How a successful call is logged; reads are not.
    fn audit(&self) -> Option<Audit<'_>> {
        use Operation::*;
        let (description, kind, id) = match self {
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
            CreateOrganization => ("Create an organization", "organization", None),
            UpdateOrganization(id) => ("Update an organization", "organization", Some(id)),
            DeleteOrganization(id) => ("Delete an organization", "organization", Some(id)),
            CreateOrganizationClientGrant(id) => (
                "Associate a client grant with an organization",
                "organization",
                Some(id),
            ),
            DeleteOrganizationClientGrant(id, _) => (
                "Remove a client grant from an organization",
                "organization",
                Some(id),
            ),
            AddOrganizationMembers(id) => {
                ("Add members to an organization", "organization", Some(id))
            }
            RemoveOrganizationMembers(id) => (
                "Remove members from an organization",
                "organization",
                Some(id),
            ),
            CreateAction => ("Create an action", "action", None),
            UpdateAction(id) => ("Update an action", "action", Some(id)),
            DeleteAction(id) => ("Delete an action", "action", Some(id)),
            DeployAction(id) => ("Deploy an action", "action", Some(id)),
            RollBackAction(id, _) => ("Roll back an action", "action", Some(id)),
            UpdateBindings(trigger) => ("Update trigger bindings", "trigger", Some(trigger)),
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
            | GetLog(_)
            | ListOrganizations
            | GetOrganization(_)
            | GetOrganizationByName(_)
            | ListOrganizationClientGrants(_)
            | ListOrganizationMembers(_)
            | ListUserOrganizations(_)
            | ListClientGrantOrganizations(_)
            | ListActions
            | GetAction(_)
            | ListActionVersions(_)
            | GetActionVersion(_, _)
            | TestAction(_)
            | ListTriggers
            | ListBindings(_)
            | GetExecution(_) => return None,
        };
        Some(Audit {
            description,
            kind,
            id: id.map(String::as_str),
        })
    }
}

/// `previous_secret_grace_period` of a rotation, when given.
fn grace_period(query: &[(String, String)]) -> Result<Option<u64>> {
    query_value(query, "previous_secret_grace_period")
        .map(|value| {
            value.parse().map_err(|_| {
                Error::management(
                    ManagementErrorCode::InvalidQueryString,
                    "Query validation error: previous_secret_grace_period must be a number of seconds",
                )
            })
        })
        .transpose()
}

/// The first value of a query parameter.
fn query_value<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Who may run `operation`: a token for the Management API holding its
    /// scope (see [`Tenant::authorize_management`]). Checked before any
    /// body is read.
    pub async fn authorize_operation(
        &self,
        operation: &Operation,
        authorization: Option<&str>,
    ) -> Result<VerifiedAccessToken> {
        self.authorize_management(authorization, operation.scope())
            .await
    }

    /// Runs an authorized operation with the request's `query` pairs and
    /// its JSON `body` (for one that [takes a body](Operation::takes_body)),
    /// and writes a successful change to the audit log: after the
    /// response, as the change has already happened (see
    /// [`Tenant::defer_log`]).
    pub async fn run_operation(
        &self,
        operation: &Operation,
        token: &VerifiedAccessToken,
        query: &[(String, String)],
        body: &[u8],
    ) -> Result<Reply> {
        let (reply, created_id) = self.call(operation, token, query, body).await?;
        if let Some(audit) = operation.audit() {
            let id = audit.id.map(str::to_string).or(created_id);
            self.defer_log(NewEvent::api_operation(
                logs::token_actor(token),
                Some(token.claims.client_id.clone()),
                audit.description,
                logs::target(audit.kind, id.as_deref()),
                &self.caller,
            ));
        }
        Ok(reply)
    }

    /// The operation itself: its reply, and the id of what it created.
    async fn call(
        &self,
        operation: &Operation,
        token: &VerifiedAccessToken,
        query: &[(String, String)],
        body: &[u8],
    ) -> Result<(Reply, Option<String>)> {
        use Operation::*;
        let filter = |name: &str| query_value(query, name);
        let paging = || Paging::from_query(query);
        let ok = |value: serde_json::Value| Ok((Reply::Ok(value), None));
        let done = || Ok((Reply::NoContent, None));
        match operation {
            ListClients => ok(self.list_clients(paging()?).await?.to_json("clients")),
            CreateClient => {
                let client = self.create_client(parse_body(body)?).await?;
                let id = client.client_id.clone();
                Ok((Reply::Created(json(&client)), Some(id)))
            }
            GetClient(id) => ok(json(&self.get_client(id).await?)),
            UpdateClient(id) => {
                // A custom secret is a key: it needs update:client_keys too.
                let may_set_secret = token.has_scope("update:client_keys");
                let update = parse_body(body)?;
                ok(json(&self.update_client(id, update, may_set_secret).await?))
            }
            DeleteClient(id) => {
                self.delete_client(id).await?;
                done()
            }
            RotateClientSecret(id) => {
                let grace = grace_period(query)?;
                ok(json(&self.rotate_client_secret(id, grace).await?))
            }
            RevokePreviousClientSecret(id) => {
                self.revoke_previous_client_secret(id).await?;
                done()
            }
            ListResourceServers => ok(self
                .list_resource_servers(paging()?)
                .await?
                .to_json("resource_servers")),
            CreateResourceServer => {
                let api = self.create_resource_server(parse_body(body)?).await?;
                let id = api.id.clone();
                Ok((Reply::Created(json(&api)), Some(id)))
            }
            GetResourceServer(id) => ok(json(&self.get_resource_server(id).await?)),
            UpdateResourceServer(id) => {
                let update = parse_body(body)?;
                ok(json(&self.update_resource_server(id, update).await?))
            }
            DeleteResourceServer(id) => {
                self.delete_resource_server(id).await?;
                done()
            }
            ListClientGrants => ok(self
                .list_client_grants(
                    Pagination::from_query(query)?,
                    &GrantFilter::from_query(query)?,
                )
                .await?),
            CreateClientGrant => {
                let grant = self.create_client_grant(parse_body(body)?, token).await?;
                let id = grant.id.clone();
                Ok((Reply::Created(json(&grant)), Some(id)))
            }
            GetClientGrant(id) => ok(json(&self.get_client_grant(id).await?)),
            UpdateClientGrant(id) => {
                let update = parse_body(body)?;
                ok(json(&self.update_client_grant(id, update, token).await?))
            }
            DeleteClientGrant(id) => {
                self.delete_client_grant(id).await?;
                done()
            }
            GetTenantSettings => ok(json(&self.get_tenant_settings().await?)),
            UpdateTenantSettings => {
                ok(json(&self.update_tenant_settings(parse_body(body)?).await?))
            }
            ListUsers => ok(self
                .list_users(paging()?, filter("q"))
                .await?
                .to_json("users")),
            CreateUser => {
                let user = self.create_user(parse_body(body)?).await?;
                let id = user.user_id.clone();
                Ok((Reply::Created(json(&user)), Some(id)))
            }
            GetUser(id) => ok(json(&self.get_user(id).await?)),
            UpdateUser(id) => {
                let update = parse_body(body)?;
                ok(json(&self.update_user(id, update, token).await?))
            }
            DeleteUser(id) => {
                self.delete_user(id).await?;
                done()
            }
            UsersByEmail => ok(json(
                &self
                    .users_by_email(filter("email").unwrap_or_default())
                    .await?,
            )),
            GetUserPermissions(id) => ok(self
                .user_permissions(id, paging()?)
                .await?
                .to_json("permissions")),
            AddUserPermissions(id) => {
                self.add_user_permissions(id, parse_body(body)?, token)
                    .await?;
                Ok((Reply::Created(serde_json::json!({})), None))
            }
            RemoveUserPermissions(id) => {
                self.remove_user_permissions(id, parse_body(body)?).await?;
                done()
            }
            ListLogs => ok(self.list_logs(&LogQuery::from_query(query)?).await?),
            GetLog(id) => ok(json(&self.get_log(id).await?)),
            ListOrganizations => {
                // Listed by name, the one order an index gives both paging
                // styles.
                if let Some(sort) = filter("sort").filter(|sort| *sort != "name:1") {
                    return Err(Error::management(
                        ManagementErrorCode::InvalidQueryString,
                        format!(
                            "Query validation error: sort '{}' is not supported; organizations are listed by name (name:1)",
                            crate::error::echo(sort)
                        ),
                    ));
                }
                ok(self
                    .list_organizations(Pagination::from_query(query)?)
                    .await?)
            }
            CreateOrganization => {
                let organization = self.create_organization(parse_body(body)?).await?;
                let id = organization.id.clone();
                Ok((Reply::Created(json(&organization)), Some(id)))
            }
            GetOrganization(id) => ok(json(&self.get_organization(id).await?)),
            GetOrganizationByName(name) => ok(json(&self.get_organization_by_name(name).await?)),
            UpdateOrganization(id) => {
                let update = parse_body(body)?;
                ok(json(&self.update_organization(id, update).await?))
            }
            DeleteOrganization(id) => {
                self.delete_organization(id).await?;
                done()
            }
            ListOrganizationClientGrants(id) => ok(self
                .list_organization_client_grants(
                    id,
                    paging()?,
                    &LinkedGrantsFilter::from_query(query)?,
                )
                .await?
                .to_json("client_grants")),
            CreateOrganizationClientGrant(id) => {
                let request: OrganizationClientGrantCreate = parse_body(body)?;
                let grant = self
                    .link_organization_client_grant(id, &request.grant_id)
                    .await?;
                Ok((Reply::Created(json(&grant)), None))
            }
            DeleteOrganizationClientGrant(id, grant_id) => {
                self.unlink_organization_client_grant(id, grant_id).await?;
                done()
            }
            ListOrganizationMembers(id) => ok(self
                .list_organization_members(id, Pagination::from_query(query)?)
                .await?),
            AddOrganizationMembers(id) => {
                self.add_organization_members(id, parse_body(body)?).await?;
                done()
            }
            RemoveOrganizationMembers(id) => {
                self.remove_organization_members(id, parse_body(body)?)
                    .await?;
                done()
            }
            ListUserOrganizations(id) => ok(self.list_user_organizations(id, paging()?).await?),
            ListClientGrantOrganizations(id) => ok(self
                .list_client_grant_organizations(id, Pagination::from_query(query)?)
                .await?),
            ListActions => ok(self.list_actions(query).await?),
            CreateAction => {
                let action = self.create_action(parse_body(body)?).await?;
                let id = action.id.clone();
                Ok((Reply::Created(json(&action)), Some(id)))
            }
            GetAction(id) => ok(json(&self.get_action(id).await?)),
            UpdateAction(id) => {
                let update = parse_body(body)?;
                ok(json(&self.update_action(id, update).await?))
            }
            DeleteAction(id) => {
                let force = match filter("force") {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => {
                        return Err(Error::management(
                            ManagementErrorCode::InvalidQueryString,
                            format!(
                                "Query validation error: invalid value for force: '{}'",
                                crate::error::echo(other)
                            ),
                        ))
                    }
                };
                self.delete_action(id, force).await?;
                done()
            }
            DeployAction(id) => Ok((Reply::Accepted(json(&self.deploy_action(id).await?)), None)),
            ListActionVersions(id) => ok(self.list_action_versions(id, query).await?),
            GetActionVersion(id, version) => ok(json(&self.get_action_version(id, version).await?)),
            RollBackAction(id, version) => {
                // Auth0's SDK sends no body, `null` or `{update_draft}`.
                let empty = body
                    .iter()
                    .filter(|b| !b.is_ascii_whitespace())
                    .eq(b"null".iter())
                    || body.iter().all(u8::is_ascii_whitespace);
                let request: RollBack = if empty {
                    RollBack::default()
                } else {
                    parse_body(body)?
                };
                let version = self
                    .roll_back_action(id, version, request.update_draft)
                    .await?;
                Ok((Reply::Accepted(json(&version)), None))
            }
            TestAction(id) => ok(self.test_action(id, parse_body(body)?).await?),
            ListTriggers => ok(self.list_triggers()),
            ListBindings(trigger) => ok(self.list_bindings(trigger).await?),
            UpdateBindings(trigger) => ok(self.update_bindings(trigger, parse_body(body)?).await?),
            GetExecution(id) => ok(json(&self.get_execution(id).await?)),
        }
    }
}
