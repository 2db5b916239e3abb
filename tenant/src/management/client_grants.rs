//! Client grants: which client may get tokens for which API, with which
//! scopes.
//!
//! Stored under `client_grant/{client_id}/{audience}` so the token endpoint
//! finds the grant it needs with one read; `client_grant_id/{id}` maps the
//! Management API's ids to that key.

use serde::{Deserialize, Serialize};
use shared::management::{ClientGrant, ClientGrantCreate, ClientGrantUpdate};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::clients::is_well_formed_client_id;
use crate::management::resource_servers::{ResourceServerRecord, MAX_SCOPES};
use crate::management::{Listing, Paging};
use crate::primitives::scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::store::{self, Store};
use crate::Tenant;

const PREFIX: &str = "client_grant/";
const ID_PREFIX: &str = "client_grant_id/";
const NOT_FOUND: &str = "The client grant does not exist";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGrantRecord {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
}

impl ClientGrantRecord {
    pub fn to_dto(&self) -> ClientGrant {
        ClientGrant {
            id: self.id.clone(),
            client_id: self.client_id.clone(),
            audience: self.audience.clone(),
            scope: self.scope.clone(),
        }
    }
}

pub(crate) fn key(client_id: &str, audience: &str) -> String {
    format!("{PREFIX}{client_id}/{audience}")
}

fn id_key(id: &str) -> String {
    format!("{ID_PREFIX}{id}")
}

/// The audience part of a grant key.
fn audience_of(key: &str) -> Option<&str> {
    key.strip_prefix(PREFIX)?
        .split_once('/')
        .map(|(_, audience)| audience)
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

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// The grant the token endpoint checks: one store read.
    pub async fn client_grant_for(
        &self,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<ClientGrantRecord>> {
        store::get_json(self.store, &key(client_id, audience)).await
    }

    async fn existing_client_grant(&self, id: &str) -> Result<ClientGrantRecord> {
        let not_found = || Error::not_found(ManagementErrorCode::InexistentClientGrant, NOT_FOUND);
        if id.len() > 64 {
            return Err(not_found());
        }
        let grant_key = self.store.get(&id_key(id)).await?.ok_or_else(not_found)?;
        store::get_json(self.store, &grant_key)
            .await?
            .ok_or_else(not_found)
    }

    /// Creates a grant; of the Management API, only scopes `granter` holds
    /// (see [`Self::check_delegation`]).
    pub async fn create_client_grant(
        &self,
        request: ClientGrantCreate,
        granter: &VerifiedAccessToken,
    ) -> Result<ClientGrant> {
        let client = self.client(&request.client_id).await?.ok_or_else(|| {
            Error::not_found(
                ManagementErrorCode::InexistentClient,
                "The client does not exist",
            )
        })?;
        let api = self
            .resource_server_by_identifier(&request.audience)
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
        if self
            .client_grant_for(&request.client_id, &api.identifier)
            .await?
            .is_some()
        {
            return Err(Error::conflict(
                "A client grant for this client and audience already exists",
            ));
        }
        let record = ClientGrantRecord {
            id: format!(
                "cgr_{}",
                store::derived_id("client_grant", &[&request.client_id, &api.identifier], 16)
            ),
            client_id: request.client_id,
            audience: api.identifier.clone(),
            scope,
        };
        let grant_key = key(&record.client_id, &record.audience);
        store::put_json(self.store, &grant_key, &record).await?;
        self.store.put(&id_key(&record.id), &grant_key).await?;
        Ok(record.to_dto())
    }

    pub async fn get_client_grant(&self, id: &str) -> Result<ClientGrant> {
        Ok(self.existing_client_grant(id).await?.to_dto())
    }

    /// Grants, optionally only of one client and/or for one audience.
    pub async fn list_client_grants(
        &self,
        paging: Paging,
        client_id: Option<&str>,
        audience: Option<&str>,
    ) -> Result<Listing<ClientGrant>> {
        let mut keys = match client_id {
            Some(id) if !is_well_formed_client_id(id) => Vec::new(),
            Some(id) => store::list_all(self.store, &format!("{PREFIX}{id}/")).await?,
            None => store::list_all(self.store, PREFIX).await?,
        };
        if let Some(audience) = audience {
            keys.retain(|key| audience_of(key) == Some(audience));
        }
        let mut items = Vec::new();
        for key in &keys[paging.range(keys.len())] {
            if let Some(record) = store::get_json::<ClientGrantRecord>(self.store, key).await? {
                items.push(record.to_dto());
            }
        }
        Ok(Listing {
            items,
            paging,
            total: keys.len(),
        })
    }

    /// Replaces a grant's scopes; scopes it adds to a Management API grant
    /// must be ones `granter` holds.
    pub async fn update_client_grant(
        &self,
        id: &str,
        update: ClientGrantUpdate,
        granter: &VerifiedAccessToken,
    ) -> Result<ClientGrant> {
        let mut record = self.existing_client_grant(id).await?;
        let scope = dedup(update.scope)?;
        if let Some(api) = self.resource_server_by_identifier(&record.audience).await? {
            check_scope(&api, &scope)?;
        }
        let added = scope.iter().filter(|s| !record.scope.contains(s));
        self.check_delegation(granter, &record.audience, added.map(String::as_str))?;
        record.scope = scope;
        store::put_json(
            self.store,
            &key(&record.client_id, &record.audience),
            &record,
        )
        .await?;
        Ok(record.to_dto())
    }

    pub async fn delete_client_grant(&self, id: &str) -> Result<()> {
        let record = self.existing_client_grant(id).await?;
        self.remove_grant(&record).await
    }

    async fn remove_grant(&self, record: &ClientGrantRecord) -> Result<()> {
        self.store.delete(&id_key(&record.id)).await?;
        self.store
            .delete(&key(&record.client_id, &record.audience))
            .await
    }

    pub(crate) async fn delete_client_grants_of_client(&self, client_id: &str) -> Result<()> {
        for grant_key in store::list_all(self.store, &format!("{PREFIX}{client_id}/")).await? {
            if let Some(record) =
                store::get_json::<ClientGrantRecord>(self.store, &grant_key).await?
            {
                self.remove_grant(&record).await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn delete_client_grants_for_audience(&self, audience: &str) -> Result<()> {
        for grant_key in store::list_all(self.store, PREFIX).await? {
            if audience_of(&grant_key) != Some(audience) {
                continue;
            }
            if let Some(record) =
                store::get_json::<ClientGrantRecord>(self.store, &grant_key).await?
            {
                self.remove_grant(&record).await?;
            }
        }
        Ok(())
    }
}
