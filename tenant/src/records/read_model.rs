//! The edge's read model: what `/oauth/token` and `/authorize` read, in
//! Workers KV, projected from the system of record.
//!
//! Each entry is a committed row's document under a key the hot path
//! computes from the request: `client/{client_id}`,
//! `client_grant/{client_id}/{audience}`, `resource_server/{identifier}`,
//! `signing_key/{kid}`, `organization/{id}` and `organization_name/{name}`
//! (an organization with the ids of the grants linked to it, under each
//! name a token request may call it by), `tenant_settings` and
//! `trigger/{id}` (what a trigger's bound actions run). A key whose
//! row is gone is deleted. KV is only ever written from a committed row, never read,
//! changed and written back.
//!
//! Convergence. A change enqueues its keys in the batch that commits it;
//! the request projects them at once; the scheduled task (every minute)
//! projects again each entry older than [`SETTLE_SECONDS`] and then
//! removes it unless it changed again meanwhile. A projection write that
//! was lost, or overtaken by an older one still in flight, is therefore
//! put right at most `SETTLE_SECONDS` + the cron period (90 s) after the
//! change, and is seen everywhere within KV's own propagation delay after
//! that (60 s or more at the edge). A request's own projection is made
//! before it answers, so it cannot land later than the settling time
//! unless the request itself runs that long.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Result;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::store::Store;
use crate::Tenant;

/// How long a change settles before the scheduled task projects it again:
/// longer than any request's own projection takes.
pub const SETTLE_SECONDS: u64 = 30;
/// Most entries one scheduled run projects: each costs one KV write, and
/// an invocation may make 1,000 operations.
pub const RECONCILE_BATCH: u64 = 500;

const CLIENT: &str = "client/";
const CLIENT_GRANT: &str = "client_grant/";
const RESOURCE_SERVER: &str = "resource_server/";
const SIGNING_KEY: &str = "signing_key/";
const ORGANIZATION: &str = "organization/";
const ORGANIZATION_NAME: &str = "organization_name/";
const TENANT_SETTINGS: &str = "tenant_settings";
const TRIGGER: &str = "trigger/";

/// One entry of the read model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Projection {
    Client(String),
    ClientGrant {
        client_id: String,
        audience: String,
    },
    ResourceServer(String),
    SigningKey(String),
    /// An organization by its id.
    Organization(String),
    /// An organization by its name.
    OrganizationName(String),
    TenantSettings,
    /// What a trigger runs: its bindings, each action's deployed version.
    Trigger(String),
}

impl Projection {
    /// Its KV key.
    pub fn key(&self) -> String {
        match self {
            Self::Client(client_id) => format!("{CLIENT}{client_id}"),
            Self::ClientGrant {
                client_id,
                audience,
            } => format!("{CLIENT_GRANT}{client_id}/{audience}"),
            Self::ResourceServer(identifier) => format!("{RESOURCE_SERVER}{identifier}"),
            Self::SigningKey(kid) => format!("{SIGNING_KEY}{kid}"),
            Self::Organization(id) => format!("{ORGANIZATION}{id}"),
            Self::OrganizationName(name) => format!("{ORGANIZATION_NAME}{name}"),
            Self::TenantSettings => TENANT_SETTINGS.to_string(),
            Self::Trigger(id) => format!("{TRIGGER}{id}"),
        }
    }

    /// The entry a KV key is, if it is one. Client ids hold no `/`, so a
    /// grant's audience is everything after the client id.
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(rest) = key.strip_prefix(CLIENT_GRANT) {
            let (client_id, audience) = rest.split_once('/')?;
            return Some(Self::ClientGrant {
                client_id: client_id.to_string(),
                audience: audience.to_string(),
            });
        }
        if let Some(client_id) = key.strip_prefix(CLIENT) {
            return Some(Self::Client(client_id.to_string()));
        }
        if let Some(identifier) = key.strip_prefix(RESOURCE_SERVER) {
            return Some(Self::ResourceServer(identifier.to_string()));
        }
        if let Some(id) = key.strip_prefix(ORGANIZATION) {
            return Some(Self::Organization(id.to_string()));
        }
        if let Some(name) = key.strip_prefix(ORGANIZATION_NAME) {
            return Some(Self::OrganizationName(name.to_string()));
        }
        if key == TENANT_SETTINGS {
            return Some(Self::TenantSettings);
        }
        if let Some(id) = key.strip_prefix(TRIGGER) {
            return Some(Self::Trigger(id.to_string()));
        }
        key.strip_prefix(SIGNING_KEY)
            .map(|kid| Self::SigningKey(kid.to_string()))
    }
}

/// The statement enqueueing `touched` for the scheduled task, made part of
/// the batch that commits the change.
pub(crate) fn enqueue(touched: &[Projection], now: u64) -> Statement {
    let keys: Vec<String> = touched.iter().map(Projection::key).collect();
    Statement::new(
        "INSERT INTO read_model_changes (key, changed_at) \
         SELECT value, ?2 FROM json_each(?1) WHERE true \
         ON CONFLICT (key) DO UPDATE SET changed_at = excluded.changed_at, generation = generation + 1",
    )
    .bind(json(&keys))
    .bind(now)
}

#[derive(Deserialize)]
struct Projected {
    key: String,
    doc: String,
}

#[derive(Deserialize)]
struct Queued {
    key: String,
    generation: i64,
}

/// The queries reading the committed documents of `keys`, one per kind,
/// each answering `(key, doc)` rows.
fn reads(projections: &[Projection]) -> Vec<Statement> {
    let mut clients = Vec::new();
    let mut grants = Vec::new();
    let mut apis = Vec::new();
    let mut kids = Vec::new();
    let mut organizations = Vec::new();
    let mut organization_names = Vec::new();
    let mut settings = false;
    let mut triggers = Vec::new();
    for projection in projections {
        match projection {
            Projection::Client(id) => clients.push(id.clone()),
            Projection::ClientGrant {
                client_id,
                audience,
            } => grants.push([client_id.clone(), audience.clone()]),
            Projection::ResourceServer(identifier) => apis.push(identifier.clone()),
            Projection::SigningKey(kid) => kids.push(kid.clone()),
            Projection::Organization(id) => organizations.push(id.clone()),
            Projection::OrganizationName(name) => organization_names.push(name.clone()),
            Projection::TenantSettings => settings = true,
            Projection::Trigger(id) => {
                if !triggers.contains(id) {
                    triggers.push(id.clone())
                }
            }
        }
    }
    let mut reads = Vec::new();
    if !clients.is_empty() {
        reads.push(
            Statement::new(
                "SELECT 'client/' || client_id AS key, doc FROM clients \
                 WHERE client_id IN (SELECT value FROM json_each(?1))",
            )
            .bind(json(&clients)),
        );
    }
    if !grants.is_empty() {
        reads.push(
            Statement::new(
                "SELECT 'client_grant/' || client_id || '/' || audience AS key, doc FROM client_grants \
                 WHERE (client_id, audience) IN \
                 (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))",
            )
            .bind(json(&grants)),
        );
    }
    if !apis.is_empty() {
        reads.push(
            Statement::new(
                "SELECT 'resource_server/' || identifier AS key, doc FROM resource_servers \
                 WHERE identifier IN (SELECT value FROM json_each(?1))",
            )
            .bind(json(&apis)),
        );
    }
    if !kids.is_empty() {
        reads.push(
            Statement::new(
                "SELECT 'signing_key/' || kid AS key, doc FROM signing_keys \
                 WHERE kid IN (SELECT value FROM json_each(?1))",
            )
            .bind(json(&kids)),
        );
    }
    // An organization with the grants linked to it: what the token
    // endpoint checks, in the one key it reads.
    for (prefix, column, values) in [
        (ORGANIZATION, "id", &organizations),
        (ORGANIZATION_NAME, "name", &organization_names),
    ] {
        if !values.is_empty() {
            reads.push(
                Statement::new(format!(
                    "SELECT '{prefix}' || o.{column} AS key, json_set(o.doc, '$.client_grants', \
                     json((SELECT json_group_array(grant_id) FROM organization_client_grants \
                     WHERE organization_id = o.id))) AS doc FROM organizations o \
                     WHERE o.{column} IN (SELECT value FROM json_each(?1))"
                ))
                .bind(json(values)),
            );
        }
    }
    if settings {
        reads.push(Statement::new(format!(
            "SELECT '{TENANT_SETTINGS}' AS key, doc FROM tenant_settings WHERE id = 1"
        )));
    }
    for trigger in &triggers {
        reads.push(crate::management::actions::bindings::projection_read(
            trigger,
        ));
    }
    reads
}

/// A list bound as one parameter, for `json_each`.
fn json<T: serde::Serialize>(values: &[T]) -> String {
    serde_json::to_string(values).expect("keys serialize")
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Writes each entry from its committed row, or deletes it when the
    /// row is gone. A failure is left to the scheduled task, which projects
    /// every change again; the change itself has committed.
    pub(crate) async fn project(&self, projections: &[Projection]) {
        let _ = self.try_project(projections).await;
    }

    async fn try_project(&self, projections: &[Projection]) -> Result<()> {
        if projections.is_empty() {
            return Ok(());
        }
        let rows = self.db.batch(reads(projections)).await?;
        let mut committed = BTreeMap::new();
        for row in rows.into_iter().flatten() {
            let row: Projected = database::decode(row)?;
            committed.insert(row.key, row.doc);
        }
        let mut failure = None;
        for projection in projections {
            let key = projection.key();
            let written = match committed.get(&key) {
                Some(doc) => self.store.put(&key, doc).await,
                None => self.store.delete(&key).await,
            };
            if let Err(err) = written {
                failure = Some(err);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// The scheduled task's part: projects again the entries that have
    /// settled, at most [`RECONCILE_BATCH`], then removes those that did
    /// not change meanwhile. Returns how many it projected.
    pub async fn reconcile_read_model(&self) -> Result<usize> {
        let settled = self.clock.now().saturating_sub(SETTLE_SECONDS);
        let queued: Vec<Queued> = database::all(
            self.db,
            Statement::new(
                "SELECT key, generation FROM read_model_changes \
                 WHERE changed_at <= ?1 ORDER BY changed_at LIMIT ?2",
            )
            .bind(settled)
            .bind(RECONCILE_BATCH),
        )
        .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        // Keys that are no entry (a layout this version no longer has)
        // are only removed.
        let projections: Vec<Projection> = queued
            .iter()
            .filter_map(|entry| Projection::parse(&entry.key))
            .collect();
        self.try_project(&projections).await?;
        let done: Vec<(String, i64)> = queued
            .into_iter()
            .map(|entry| (entry.key, entry.generation))
            .collect();
        database::run(
            self.db,
            vec![Statement::new(
                "DELETE FROM read_model_changes WHERE (key, generation) IN \
                 (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))",
            )
            .bind(json(&done))],
        )
        .await?;
        Ok(projections.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Projection;

    #[test]
    fn keys_and_entries_map_both_ways() {
        for projection in [
            Projection::Client("abc".into()),
            Projection::ClientGrant {
                client_id: "abc".into(),
                audience: "https://api.example/v1/".into(),
            },
            Projection::ResourceServer("urn:things".into()),
            Projection::SigningKey("kid-1".into()),
            Projection::Organization("org_abc".into()),
            Projection::OrganizationName("acme".into()),
            Projection::TenantSettings,
            Projection::Trigger("post-login".into()),
        ] {
            assert_eq!(Projection::parse(&projection.key()), Some(projection));
        }
        assert_eq!(Projection::parse("user/auth0|x"), None);
        assert_eq!(Projection::parse("client_grant/no-audience"), None);
    }
}
