//! Client grants: which client may get tokens for which API, with which
//! scopes.
//!
//! Stored in `client_grants`, one per client and audience (a constraint);
//! projected to `client_grant/{client_id}/{audience}` so the token endpoint
//! finds the grant it needs with one read.

use serde::{Deserialize, Serialize};
use shared::management::{ClientGrant, ClientGrantCreate, ClientGrantUpdate};
use shared::organizations::OrganizationUsage;

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::clients::ClientRecord;
use crate::management::resource_servers::{ResourceServerRecord, MAX_SCOPES};
use crate::management::{checkpoint_json, Listing, Pagination};
use crate::primitives::scope;
use crate::records::{Projection, Stored};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Row, Statement, Value};
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

const NOT_FOUND: &str = "The client grant does not exist";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGrantRecord {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    /// Whether a token request may, or must, name an organization.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    /// Whether it may act for any organization, not only those it is
    /// linked to (first-party clients only).
    #[serde(default)]
    pub allow_any_organization: bool,
}

impl ClientGrantRecord {
    /// The statement storing a new grant, made at `created_at`.
    pub fn insert(&self, created_at: u64) -> Statement {
        Statement::new(
            "INSERT INTO client_grants (id, client_id, audience, created_at, doc, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1)",
        )
        .bind(&self.id)
        .bind(&self.client_id)
        .bind(&self.audience)
        .bind(created_at)
        .bind(database::doc(self))
    }

    pub fn to_dto(&self) -> ClientGrant {
        ClientGrant {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            audience: self.audience.clone(),
            scope: self.scope.clone(),
            organization_usage: self.organization_usage,
            allow_any_organization: self.allow_any_organization,
        }
    }
}

impl Stored for ClientGrantRecord {
    const SELECT: &'static str = "SELECT doc, version FROM client_grants WHERE id = ?1";
    const KIND: &'static str = "client grant";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE client_grants SET doc = ?1, version = version + 1 \
             WHERE id = ?2 AND version = ?3 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.id)
        .bind(version)
    }

    fn projections(&self) -> Vec<Projection> {
        vec![Projection::ClientGrant {
            client_id: self.client_id.clone(),
            audience: self.audience.clone(),
        }]
    }
}

pub(crate) fn key(client_id: &str, audience: &str) -> String {
    Projection::ClientGrant {
        client_id: client_id.to_string(),
        audience: audience.to_string(),
    }
    .key()
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentClientGrant, NOT_FOUND)
}

/// The expression `client_grants_by_any_organization` indexes.
const ALLOWS_ANY: &str = "coalesce(json_extract(doc, '$.allow_any_organization'), 0)";

/// The filters of `GET /api/v2/client-grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantFilter {
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub allow_any_organization: Option<bool>,
}

impl GrantFilter {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let mut filter = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "client_id" => filter.client_id = Some(value.clone()),
                "audience" => filter.audience = Some(value.clone()),
                "allow_any_organization" => {
                    filter.allow_any_organization = Some(match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(Error::management(
                                ManagementErrorCode::InvalidQueryString,
                                format!(
                                    "Query validation error: invalid value for allow_any_organization: '{}'",
                                    echo(value)
                                ),
                            ))
                        }
                    })
                }
                _ => {}
            }
        }
        Ok(filter)
    }
}

/// The columns grants are deleted by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GrantsOf {
    Id,
    Client,
    Audience,
}

impl GrantsOf {
    fn column(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Client => "client_id",
            Self::Audience => "audience",
        }
    }
}

/// Deletes the grants whose `column` is `value`, for a batch: first their
/// projections are enqueued (by the same condition, so a grant created
/// meanwhile is not missed), with those of the organizations linked to
/// them, then the links and the rows go; [`deleted`] reads what the
/// statement at [`DELETED_ROWS`] returns. The organizations' entries are
/// left to the scheduled task: a grant id they still list names no grant,
/// so it admits nothing, and a grant linked to thousands of organizations
/// would not fit one request's KV operations.
pub(crate) fn delete_where(column: GrantsOf, value: &str, now: u64) -> Vec<Statement> {
    let column = column.column();
    let linked = format!(
        "FROM organization_client_grants l JOIN organizations o ON o.id = l.organization_id \
         JOIN client_grants g ON g.id = l.grant_id WHERE g.{column} = ?1"
    );
    vec![
        Statement::new(format!(
            "INSERT INTO read_model_changes (key, changed_at) \
             SELECT 'client_grant/' || client_id || '/' || audience, ?2 FROM client_grants WHERE {column} = ?1 \
             ON CONFLICT (key) DO UPDATE SET changed_at = excluded.changed_at, generation = generation + 1"
        ))
        .bind(value)
        .bind(now),
        Statement::new(format!(
            "INSERT INTO read_model_changes (key, changed_at) \
             SELECT key, ?2 FROM (SELECT 'organization/' || o.id AS key {linked} \
             UNION SELECT 'organization_name/' || o.name AS key {linked}) WHERE true \
             ON CONFLICT (key) DO UPDATE SET changed_at = excluded.changed_at, generation = generation + 1"
        ))
        .bind(value)
        .bind(now),
        Statement::new(format!(
            "DELETE FROM organization_client_grants WHERE grant_id IN \
             (SELECT id FROM client_grants WHERE {column} = ?1)"
        ))
        .bind(value),
        Statement::new(format!(
            "DELETE FROM client_grants WHERE {column} = ?1 RETURNING client_id, audience"
        ))
        .bind(value),
    ]
}

/// Which of [`delete_where`]'s statements returns the deleted grants.
pub(crate) const DELETED_ROWS: usize = 3;

/// The projections of the grants a [`delete_where`] removed.
pub(crate) fn deleted(rows: &[Row]) -> Result<Vec<Projection>> {
    #[derive(serde::Deserialize)]
    struct Deleted {
        client_id: String,
        audience: String,
    }
    rows.iter()
        .map(|row| {
            let row: Deleted = database::decode(row.clone())?;
            Ok(Projection::ClientGrant {
                client_id: row.client_id,
                audience: row.audience,
            })
        })
        .collect()
}

fn check_scope(api: &ResourceServerRecord, scope: &[String]) -> Result<()> {
    if scope.len() > MAX_SCOPES {
        return Err(Error::invalid_field(
            "scope",
            format!("may hold at most {MAX_SCOPES} items"),
        ));
    }
    let undefined: Vec<&str> = scope
        .iter()
        .filter(|s| !api.defines_scope(s))
        .map(String::as_str)
        .collect();
    if !undefined.is_empty() {
        return Err(Error::invalid_body(format!(
            "scopes not defined by the resource server {}: {}",
            echo(&api.identifier),
            scope::name_some(&undefined)
        )));
    }
    Ok(())
}

/// A grant's organization settings: the Management API's tokens never act
/// for an organization, and a third-party client must be linked to each
/// organization it acts for (as in Auth0).
fn check_organizations(
    grant: &ClientGrantRecord,
    api: &ResourceServerRecord,
    client: &ClientRecord,
) -> Result<()> {
    if api.is_system
        && (grant.organization_usage != OrganizationUsage::Deny || grant.allow_any_organization)
    {
        return Err(Error::invalid_field(
            "organization_usage",
            "must be 'deny' for the Management API, whose tokens do not act for organizations",
        ));
    }
    if grant.allow_any_organization && client.is_third_party() {
        return Err(Error::invalid_field(
            "allow_any_organization",
            "is not available to third-party clients; associate each organization instead",
        ));
    }
    Ok(())
}

/// The distinct scopes in order; a list longer than any grant may hold is
/// refused before it is compared with itself.
fn dedup(scope: Vec<String>) -> Result<Vec<String>> {
    if scope.len() > MAX_SCOPES {
        return Err(Error::invalid_field(
            "scope",
            format!("may hold at most {MAX_SCOPES} items"),
        ));
    }
    let mut unique: Vec<String> = Vec::with_capacity(scope.len());
    for s in scope {
        if !unique.contains(&s) {
            unique.push(s);
        }
    }
    Ok(unique)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The grant the token endpoint checks, from the read model: one KV
    /// read.
    pub async fn client_grant_for(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<ClientGrantRecord>> {
        store::get_json(self.store, &key(client_id, audience)).await
    }

    /// The stored grant of `client_id` for `audience`: one query.
    pub(crate) async fn stored_client_grant_for(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<ClientGrantRecord>> {
        let row: Option<database::Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM client_grants WHERE client_id = ?1 AND audience = ?2")
                .bind(client_id)
                .bind(audience),
        )
        .await?;
        row.map(|row| row.record()).transpose()
    }

    async fn existing_client_grant(&self, id: &str) -> Result<ClientGrantRecord> {
        if id.len() > 64 {
            return Err(not_found());
        }
        self.versioned(id)
            .await?
            .map(|(record, _)| record)
            .ok_or_else(not_found)
    }

    /// Creates a grant; of the Management API, only scopes `granter` holds
    /// (see [`Self::check_delegation`]). One per client and audience.
    pub async fn create_client_grant(
        &self,
        request: ClientGrantCreate,
        granter: &VerifiedAccessToken,
    ) -> Result<ClientGrant> {
        let client = self
            .stored_client(&request.client_id)
            .await?
            .ok_or_else(|| {
                Error::not_found(
                    ManagementErrorCode::InexistentClient,
                    "The client does not exist",
                )
            })?;
        let api = self
            .stored_resource_server_by_identifier(&request.audience)
            .await?
            .ok_or_else(|| {
                Error::not_found(
                    ManagementErrorCode::InexistentResourceServer,
                    format!(
                        "No resource server found for audience {}",
                        echo(&request.audience)
                    ),
                )
            })?;
        if api.is_system && client.is_third_party() {
            return Err(Error::management(
                ManagementErrorCode::OperationNotSupported,
                "Third-party clients cannot be granted access to the Management API",
            ));
        }
        let scope = dedup(request.scope)?;
        check_scope(&api, &scope)?;
        self.check_delegation(granter, &api.identifier, scope.iter().map(String::as_str))?;
        let record = ClientGrantRecord {
            id: format!("cgr_{}", random::alphanumeric(self.rng, 16)),
            client_id: request.client_id,
            audience: api.identifier.clone(),
            scope,
            organization_usage: request.organization_usage.unwrap_or_default(),
            allow_any_organization: request.allow_any_organization.unwrap_or(false),
        };
        check_organizations(&record, &api, &client)?;
        self.create(
            vec![record.insert(self.clock.now())],
            &record.projections(),
            || Error::conflict("A client grant for this client and audience already exists"),
        )
        .await?;
        Ok(record.to_dto())
    }

    pub async fn get_client_grant(&self, id: &str) -> Result<ClientGrant> {
        Ok(self.existing_client_grant(id).await?.to_dto())
    }

    /// Grants, optionally only of one client, for one audience, or that
    /// allow any organization (each an index): a page by creation (two
    /// queries at most), or the next ones after a checkpoint by id (one).
    pub async fn list_client_grants(
        &self,
        pagination: Pagination,
        filter: &GrantFilter,
    ) -> Result<serde_json::Value> {
        let mut conditions = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        for (column, value) in [
            ("client_id", &filter.client_id),
            ("audience", &filter.audience),
        ] {
            if let Some(value) = value {
                params.push(value.into());
                conditions.push(format!("{column} = ?{}", params.len()));
            }
        }
        if let Some(any) = filter.allow_any_organization {
            params.push(any.into());
            conditions.push(format!("{ALLOWS_ANY} = ?{}", params.len()));
        }
        if let Pagination::Checkpoint(checkpoint) = &pagination {
            params.push(checkpoint.after.clone().unwrap_or_default().into());
            conditions.push(format!("id > ?{}", params.len()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let bind = |sql: String| {
            params.iter().fold(Statement::new(sql), |statement, value| {
                statement.bind(value.clone())
            })
        };
        match pagination {
            Pagination::Offset(paging) => {
                let (records, total) = self
                    .page_of::<ClientGrantRecord>(
                        bind(format!(
                            "SELECT doc FROM client_grants{filter} ORDER BY created_at, id"
                        )),
                        bind(format!("SELECT count(*) AS n FROM client_grants{filter}")),
                        paging.window(),
                        paging.include_totals,
                    )
                    .await?;
                Ok(Listing {
                    items: records.iter().map(ClientGrantRecord::to_dto).collect(),
                    paging,
                    total,
                }
                .to_json("client_grants"))
            }
            Pagination::Checkpoint(checkpoint) => {
                let rows: Vec<database::Doc> = database::all(
                    self.db,
                    bind(format!(
                        "SELECT doc FROM client_grants{filter} ORDER BY id LIMIT {}",
                        checkpoint.take
                    )),
                )
                .await?;
                let records = rows
                    .iter()
                    .map(database::Doc::record)
                    .collect::<Result<Vec<ClientGrantRecord>>>()?;
                let next = checkpoint.next(records.last().map(|r| r.id.as_str()), records.len());
                let items: Vec<ClientGrant> =
                    records.iter().map(ClientGrantRecord::to_dto).collect();
                Ok(checkpoint_json("client_grants", &items, next))
            }
        }
    }

    /// Changes what a PATCH names: the scopes (those it adds to a
    /// Management API grant must be ones `granter` holds) and the
    /// organization settings (`organization_usage: null` is `deny`).
    pub async fn update_client_grant(
        &self,
        id: &str,
        update: ClientGrantUpdate,
        granter: &VerifiedAccessToken,
    ) -> Result<ClientGrant> {
        let existing = self.existing_client_grant(id).await?;
        let api = self
            .stored_resource_server_by_identifier(&existing.audience)
            .await?;
        let scope = update.scope.map(dedup).transpose()?;
        if let (Some(api), Some(scope)) = (&api, &scope) {
            check_scope(api, scope)?;
        }
        let client = self.stored_client(&existing.client_id).await?;
        let (record, ()) = self
            .modify(id, not_found, |record: &mut ClientGrantRecord| {
                if let Some(scope) = &scope {
                    let added = scope.iter().filter(|s| !record.scope.contains(s));
                    self.check_delegation(granter, &record.audience, added.map(String::as_str))?;
                    record.scope = scope.clone();
                }
                if let Some(usage) = update.organization_usage {
                    record.organization_usage = usage.unwrap_or_default();
                }
                if let Some(any) = update.allow_any_organization {
                    record.allow_any_organization = any;
                }
                match (&api, &client) {
                    (Some(api), Some(client)) => check_organizations(record, api, client),
                    _ => Ok(()),
                }
            })
            .await?;
        Ok(record.to_dto())
    }

    pub async fn delete_client_grant(&self, id: &str) -> Result<()> {
        if id.len() > 64 {
            return Err(not_found());
        }
        let rows = self
            .commit(delete_where(GrantsOf::Id, id, self.clock.now()), &[])
            .await?;
        let deleted = deleted(&rows[DELETED_ROWS])?;
        if deleted.is_empty() {
            return Err(not_found());
        }
        self.project(&deleted).await;
        Ok(())
    }
}
