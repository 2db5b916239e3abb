//! APIs (resource servers): what tokens are issued for.
//!
//! Stored in `resource_servers`, found by id or identifier; projected to
//! `resource_server/{identifier}` because the token endpoint looks them up
//! by `audience`. The tenant's own Management API is a system API that
//! exists for every issuer and is never stored.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use shared::management::{
    ResourceServer, ResourceServerCreate, ResourceServerScope, ResourceServerUpdate,
};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::keys::SigningAlg;
use crate::management::{self, client_grants, Listing, Paging, Window};
use crate::primitives::scope;
use crate::primitives::text::check_text;
use crate::records::{Projection, Stored};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

/// How long an isolate trusts its copy of an API's settings.
pub const RESOURCE_SERVER_TTL_SECONDS: u64 = 60;
pub const MANAGEMENT_API_ID: &str = "management-api";
pub const DEFAULT_TOKEN_LIFETIME: u64 = 86_400;
/// Auth0's upper bound: 30 days.
pub const MAX_TOKEN_LIFETIME: u64 = 2_592_000;
pub const MAX_IDENTIFIER_LEN: usize = 256;
pub const MAX_SCOPES: usize = 200;
const NOT_FOUND: &str = "The resource server does not exist";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServerRecord {
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub scopes: Vec<ResourceServerScope>,
    pub signing_alg: SigningAlg,
    pub token_lifetime: u64,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub enforce_policies: bool,
    #[serde(default)]
    pub is_system: bool,
}

impl ResourceServerRecord {
    /// The tenant's Management API.
    pub fn management(identifier: String) -> Self {
        Self {
            id: MANAGEMENT_API_ID.to_string(),
            name: "Management API".to_string(),
            identifier,
            scopes: management::SCOPES
                .iter()
                .map(|(value, description)| ResourceServerScope {
                    value: value.to_string(),
                    description: description.to_string(),
                })
                .collect(),
            signing_alg: SigningAlg::Rs256,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            allow_offline_access: false,
            skip_consent_for_verifiable_first_party_clients: false,
            enforce_policies: false,
            is_system: true,
        }
    }

    /// The statement storing a new API, made at `created_at`.
    pub fn insert(&self, created_at: u64) -> Statement {
        Statement::new(
            "INSERT INTO resource_servers (id, identifier, created_at, doc, version) \
             VALUES (?1, ?2, ?3, ?4, 1)",
        )
        .bind(&self.id)
        .bind(&self.identifier)
        .bind(created_at)
        .bind(database::doc(self))
    }

    pub fn defines_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s.value == scope)
    }

    pub fn to_dto(&self) -> ResourceServer {
        ResourceServer {
            id: self.id.clone(),
            name: self.name.clone(),
            identifier: self.identifier.clone(),
            scopes: self.scopes.clone(),
            signing_alg: self.signing_alg,
            token_lifetime: self.token_lifetime,
            allow_offline_access: self.allow_offline_access,
            skip_consent_for_verifiable_first_party_clients: self
                .skip_consent_for_verifiable_first_party_clients,
            enforce_policies: self.enforce_policies,
            is_system: self.is_system,
        }
    }
}

impl Stored for ResourceServerRecord {
    /// By id, or by identifier as Auth0 also accepts.
    const SELECT: &'static str =
        "SELECT doc, version FROM resource_servers WHERE id = ?1 OR identifier = ?1";
    const KIND: &'static str = "resource server";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE resource_servers SET doc = ?1, version = version + 1 \
             WHERE id = ?2 AND version = ?3 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.id)
        .bind(version)
    }

    fn projections(&self) -> Vec<Projection> {
        vec![Projection::ResourceServer(self.identifier.clone())]
    }
}

fn key(identifier: &str) -> String {
    Projection::ResourceServer(identifier.to_string()).key()
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentResourceServer, NOT_FOUND)
}

fn check_token_lifetime(lifetime: u64) -> Result<u64> {
    if !(60..=MAX_TOKEN_LIFETIME).contains(&lifetime) {
        return Err(Error::invalid_field(
            "token_lifetime",
            format!("must be between 60 and {MAX_TOKEN_LIFETIME}"),
        ));
    }
    Ok(lifetime)
}

fn check_scopes(scopes: &[ResourceServerScope]) -> Result<()> {
    if scopes.len() > MAX_SCOPES {
        return Err(Error::invalid_field(
            "scopes",
            format!("may hold at most {MAX_SCOPES} items"),
        ));
    }
    let mut seen = HashSet::new();
    for scope in scopes {
        let valid = scope.value.len() <= 280 && scope::is_scope_token(&scope.value);
        if !valid {
            return Err(Error::invalid_field(
                "scopes",
                format!("value '{}' is not a valid scope", echo(&scope.value)),
            ));
        }
        if !seen.insert(scope.value.as_str()) {
            return Err(Error::invalid_field(
                "scopes",
                format!("value '{}' is duplicated", echo(&scope.value)),
            ));
        }
        check_text("scopes.description", &scope.description, 0, 500)?;
    }
    Ok(())
}

fn check_identifier(identifier: &str) -> Result<()> {
    if identifier.is_empty()
        || identifier.len() > MAX_IDENTIFIER_LEN
        || identifier
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid_field(
            "identifier",
            format!("must be 1 to {MAX_IDENTIFIER_LEN} characters without spaces"),
        ));
    }
    Ok(())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The API a token is requested for, from isolate memory while fresh.
    /// Misses are not cached, so a new API is usable at once. The
    /// Management API is recognised first, before any memory or record:
    /// nothing stored can stand in for it.
    pub async fn resource_server_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<Rc<ResourceServerRecord>>> {
        let now = self.clock.now();
        if identifier == self.management_audience() {
            return Ok(Some(Rc::new(ResourceServerRecord::management(
                identifier.to_string(),
            ))));
        }
        if let Some(record) =
            self.cache
                .resource_server(identifier, now, RESOURCE_SERVER_TTL_SECONDS)
        {
            return Ok(Some(record));
        }
        let record = if identifier.len() > MAX_IDENTIFIER_LEN {
            None
        } else {
            store::get_json::<ResourceServerRecord>(self.store, &key(identifier)).await?
        };
        Ok(record.map(|record| {
            let record = Rc::new(record);
            self.cache
                .set_resource_server(now, &record.identifier, record.clone());
            record
        }))
    }

    /// The stored API `identifier` names, or the Management API: one
    /// query, never a cached copy.
    pub(crate) async fn stored_resource_server_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>> {
        if identifier == self.management_audience() {
            return Ok(Some(ResourceServerRecord::management(
                identifier.to_string(),
            )));
        }
        if identifier.len() > MAX_IDENTIFIER_LEN {
            return Ok(None);
        }
        let row: Option<database::Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM resource_servers WHERE identifier = ?1")
                .bind(identifier),
        )
        .await?;
        row.map(|row| row.record()).transpose()
    }

    /// The APIs `identifiers` name (the Management API included), in one
    /// query; unknown ones are absent.
    pub(crate) async fn stored_resource_servers<'i>(
        &self,
        identifiers: impl IntoIterator<Item = &'i str>,
    ) -> Result<HashMap<String, ResourceServerRecord>> {
        let management = self.management_audience();
        let mut found = HashMap::new();
        let mut wanted: Vec<&str> = Vec::new();
        for identifier in identifiers {
            if identifier == management {
                found.insert(
                    identifier.to_string(),
                    ResourceServerRecord::management(identifier.to_string()),
                );
            } else if identifier.len() <= MAX_IDENTIFIER_LEN && !wanted.contains(&identifier) {
                wanted.push(identifier);
            }
        }
        if wanted.is_empty() {
            return Ok(found);
        }
        let rows: Vec<database::Doc> = database::all(
            self.db,
            Statement::new(
                "SELECT doc FROM resource_servers WHERE identifier IN (SELECT value FROM json_each(?1))",
            )
            .bind(serde_json::to_string(&wanted).expect("strings serialize")),
        )
        .await?;
        for row in rows {
            let record: ResourceServerRecord = row.record()?;
            found.insert(record.identifier.clone(), record);
        }
        Ok(found)
    }

    /// By id, or by identifier as Auth0 also accepts.
    async fn find_resource_server(&self, id_or_identifier: &str) -> Result<ResourceServerRecord> {
        if id_or_identifier == MANAGEMENT_API_ID || id_or_identifier == self.management_audience() {
            return Ok(ResourceServerRecord::management(self.management_audience()));
        }
        if id_or_identifier.len() > MAX_IDENTIFIER_LEN {
            return Err(not_found());
        }
        self.versioned(id_or_identifier)
            .await?
            .map(|(record, _)| record)
            .ok_or_else(not_found)
    }

    pub async fn create_resource_server(
        &self,
        request: ResourceServerCreate,
    ) -> Result<ResourceServer> {
        check_identifier(&request.identifier)?;
        let name = request.name.unwrap_or_else(|| request.identifier.clone());
        check_text("name", &name, 1, 200)?;
        let scopes = request.scopes.unwrap_or_default();
        check_scopes(&scopes)?;
        let signing_alg = match &request.signing_alg {
            Some(alg) => *alg,
            None => SigningAlg::Rs256,
        };
        let token_lifetime =
            check_token_lifetime(request.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME))?;
        let exists =
            || Error::conflict("A resource server with the same identifier already exists");
        if request.identifier == self.management_audience() {
            return Err(exists());
        }
        let record = ResourceServerRecord {
            id: random::hex(self.rng, 24),
            name,
            identifier: request.identifier,
            scopes,
            signing_alg,
            token_lifetime,
            allow_offline_access: request.allow_offline_access.unwrap_or(false),
            skip_consent_for_verifiable_first_party_clients: request
                .skip_consent_for_verifiable_first_party_clients
                .unwrap_or(true),
            enforce_policies: request.enforce_policies.unwrap_or(false),
            is_system: false,
        };
        self.create(
            vec![record.insert(self.clock.now())],
            &record.projections(),
            exists,
        )
        .await?;
        Ok(record.to_dto())
    }

    pub async fn get_resource_server(&self, id: &str) -> Result<ResourceServer> {
        Ok(self.find_resource_server(id).await?.to_dto())
    }

    /// The system API first, as in Auth0, then the stored ones by
    /// creation: two queries whatever their number.
    pub async fn list_resource_servers(&self, paging: Paging) -> Result<Listing<ResourceServer>> {
        // The system API takes the first place of the first page.
        let system_shown = paging.offset() == 0;
        let window = Window {
            limit: paging.per_page - u64::from(system_shown),
            offset: paging.offset().saturating_sub(1),
        };
        let (records, stored) = self
            .page_of::<ResourceServerRecord>(
                Statement::new("SELECT doc FROM resource_servers ORDER BY created_at, id"),
                Statement::new("SELECT count(*) AS n FROM resource_servers"),
                window,
                paging.include_totals,
            )
            .await?;
        let mut items = Vec::with_capacity(records.len() + 1);
        if system_shown {
            items.push(ResourceServerRecord::management(self.management_audience()).to_dto());
        }
        items.extend(records.iter().map(ResourceServerRecord::to_dto));
        Ok(Listing {
            items,
            paging,
            total: stored + 1,
        })
    }

    pub async fn update_resource_server(
        &self,
        id: &str,
        update: ResourceServerUpdate,
    ) -> Result<ResourceServer> {
        if self.find_resource_server(id).await?.is_system {
            return Err(Error::management(
                ManagementErrorCode::OperationNotSupported,
                "The Management API cannot be changed",
            ));
        }
        let (record, ()) = self
            .modify(id, not_found, |record: &mut ResourceServerRecord| {
                apply(record, update.clone())
            })
            .await?;
        self.cache.forget_resource_server(&record.identifier);
        Ok(record.to_dto())
    }

    /// Deletes an API and every grant to it, in one batch.
    pub async fn delete_resource_server(&self, id: &str) -> Result<()> {
        let record = self.find_resource_server(id).await?;
        if record.is_system {
            return Err(Error::management(
                ManagementErrorCode::OperationNotSupported,
                "The Management API cannot be deleted",
            ));
        }
        let mut statements = client_grants::delete_where(
            client_grants::GrantsOf::Audience,
            &record.identifier,
            self.clock.now(),
        );
        statements.push(
            Statement::new("DELETE FROM resource_servers WHERE id = ?1 RETURNING id")
                .bind(&record.id),
        );
        let projections = record.projections();
        let rows = self.commit(statements, &projections).await?;
        let mut touched = client_grants::deleted(&rows[client_grants::DELETED_ROWS])?;
        touched.extend(projections);
        self.project(&touched).await;
        self.cache.forget_resource_server(&record.identifier);
        Ok(())
    }
}

fn apply(record: &mut ResourceServerRecord, update: ResourceServerUpdate) -> Result<()> {
    if let Some(name) = update.name {
        check_text("name", &name, 1, 200)?;
        record.name = name;
    }
    if let Some(scopes) = update.scopes {
        check_scopes(&scopes)?;
        record.scopes = scopes;
    }
    if let Some(alg) = update.signing_alg {
        record.signing_alg = alg;
    }
    if let Some(lifetime) = update.token_lifetime {
        record.token_lifetime = check_token_lifetime(lifetime)?;
    }
    if let Some(value) = update.allow_offline_access {
        record.allow_offline_access = value;
    }
    if let Some(value) = update.skip_consent_for_verifiable_first_party_clients {
        record.skip_consent_for_verifiable_first_party_clients = value;
    }
    if let Some(value) = update.enforce_policies {
        record.enforce_policies = value;
    }
    Ok(())
}
