//! Triggers and their bindings (`/api/v2/actions/triggers`): which actions
//! run at a trigger, in order, each at its deployed version.
//!
//! Stored in `action_bindings` (one row per position); what a trigger runs
//! is projected to `trigger/{id}`: each bound action's deployed version,
//! code and sealed secrets, in order. The token endpoint and `/authorize`
//! read it from isolate memory, kept [`BINDINGS_TTL_SECONDS`] like an API's
//! settings, else from that one entry; a trigger nothing is bound to has no
//! entry, and costs a request nothing once remembered.

use std::rc::Rc;

use serde::Deserialize;
use shared::actions::{Binding, BindingInput, BindingsUpdate, Trigger, TriggerId};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::management::actions::secrets::StoredSecret;
use crate::management::actions::{is_well_formed_id, ActionRecord, RUNTIMES};
use crate::management::resource_servers::RESOURCE_SERVER_TTL_SECONDS;
use crate::records::Projection;
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, DatabaseError, Statement};
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

/// Most actions bound to one trigger.
pub const MAX_BINDINGS: usize = 10;
/// How long isolate memory trusts its copy of a trigger's bindings: as
/// long as an API's settings.
pub const BINDINGS_TTL_SECONDS: u64 = RESOURCE_SERVER_TTL_SECONDS;

/// A bound action as the edge runs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EdgeBinding {
    pub binding_id: String,
    pub action_id: String,
    pub action_name: String,
    pub version_id: String,
    pub version_number: u64,
    pub code: String,
    #[serde(default)]
    pub secrets: Vec<StoredSecret>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct EdgeTrigger {
    #[serde(default)]
    bindings: Vec<EdgeBinding>,
}

/// A stored binding row.
#[derive(Debug, Clone, Deserialize)]
struct BindingRow {
    id: String,
    action_id: String,
    display_name: String,
    created_at: u64,
    updated_at: u64,
}

fn unknown_trigger(id: &str) -> Error {
    Error::not_found(
        ManagementErrorCode::NotFound,
        format!("No trigger named {}", echo(id)),
    )
}

pub fn trigger(id: TriggerId) -> Trigger {
    Trigger {
        id: id.as_str().to_string(),
        version: id.version().to_string(),
        status: "CURRENT".to_string(),
        runtimes: RUNTIMES.iter().map(|r| r.to_string()).collect(),
        default_runtime: super::DEFAULT_RUNTIME.to_string(),
        compatible_triggers: Vec::new(),
        binding_policy: "trigger-bound".to_string(),
    }
}

/// The statement reading a trigger's entry from the committed rows: each
/// binding, in order, with its action's deployed version. A trigger
/// nothing is bound to reads no row, so its entry is deleted.
pub(crate) fn projection_read(trigger: &str) -> Statement {
    Statement::new(
        "SELECT 'trigger/' || ?1 AS key, json_object('bindings', json_group_array(json(entry))) AS doc \
         FROM (SELECT json_object('binding_id', b.id, 'action_id', a.id, 'action_name', a.name, \
                'version_id', v.id, 'version_number', v.number, \
                'code', json_extract(v.doc, '$.code'), 'secrets', json(json_extract(v.doc, '$.secrets'))) AS entry \
               FROM action_bindings b JOIN actions a ON a.id = b.action_id \
               JOIN action_versions v ON v.action_id = a.id \
                AND v.number = json_extract(a.doc, '$.deployed_version') \
               WHERE b.trigger_id = ?1 ORDER BY b.position) \
         HAVING count(*) > 0",
    )
    .bind(trigger)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// What `trigger` runs, as the edge sees it: from isolate memory while
    /// fresh, else one KV read (none at all once an empty trigger is
    /// remembered).
    pub async fn trigger_bindings(&self, trigger: TriggerId) -> Result<Rc<Vec<EdgeBinding>>> {
        let now = self.clock.now();
        if let Some(bindings) = self.cache.trigger_bindings::<Vec<EdgeBinding>>(
            trigger.as_str(),
            now,
            BINDINGS_TTL_SECONDS,
        ) {
            return Ok(bindings);
        }
        let key = Projection::Trigger(trigger.as_str().to_string()).key();
        let entry: EdgeTrigger = store::get_json(self.store, &key).await?.unwrap_or_default();
        let bindings = Rc::new(entry.bindings);
        self.cache
            .set_trigger_bindings(trigger.as_str(), now, bindings.clone());
        Ok(bindings)
    }

    /// `GET /api/v2/actions/triggers`.
    pub fn list_triggers(&self) -> serde_json::Value {
        serde_json::json!({ "triggers": TriggerId::ALL.map(trigger) })
    }

    async fn binding_rows(&self, trigger: TriggerId) -> Result<Vec<BindingRow>> {
        database::all(
            self.db,
            Statement::new(
                "SELECT id, action_id, display_name, created_at, updated_at FROM action_bindings \
                 WHERE trigger_id = ?1 ORDER BY position",
            )
            .bind(trigger.as_str()),
        )
        .await
    }

    /// The bindings with their actions (and those actions' deployed
    /// versions), in order: three queries, at most [`MAX_BINDINGS`] rows.
    async fn bindings_of(&self, trigger: TriggerId) -> Result<Vec<Binding>> {
        let rows = self.binding_rows(trigger).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.action_id.as_str()).collect();
        let docs: Vec<database::Doc> = database::all(
            self.db,
            Statement::new("SELECT doc FROM actions WHERE id IN (SELECT value FROM json_each(?1))")
                .bind(serde_json::to_string(&ids).expect("ids serialize")),
        )
        .await?;
        let actions = docs
            .iter()
            .map(database::Doc::record)
            .collect::<Result<Vec<ActionRecord>>>()?;
        let versions = self.deployed_versions(&actions).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let action = actions.iter().find(|a| a.id == row.action_id)?;
                let version = versions.iter().find(|v| {
                    v.action_id == action.id && Some(v.number) == action.deployed_version
                });
                Some(Binding {
                    id: row.id,
                    trigger_id: trigger.as_str().to_string(),
                    display_name: row.display_name,
                    action: action.to_dto(version),
                    created_at: rfc3339(row.created_at),
                    updated_at: rfc3339(row.updated_at),
                })
            })
            .collect())
    }

    /// `GET /api/v2/actions/triggers/{id}/bindings`: `{total, page,
    /// per_page, bindings}`, every binding (there are at most ten).
    pub async fn list_bindings(&self, trigger_id: &str) -> Result<serde_json::Value> {
        let trigger = TriggerId::parse(trigger_id).ok_or_else(|| unknown_trigger(trigger_id))?;
        let bindings = self.bindings_of(trigger).await?;
        Ok(serde_json::json!({
            "total": bindings.len(),
            "page": 0,
            "per_page": MAX_BINDINGS,
            "bindings": bindings,
        }))
    }

    /// `PATCH /api/v2/actions/triggers/{id}/bindings`: replaces the ordered
    /// list in one batch. Each reference must name a deployed action that
    /// supports the trigger; a binding that stays keeps its id.
    pub async fn update_bindings(
        &self,
        trigger_id: &str,
        update: BindingsUpdate,
    ) -> Result<serde_json::Value> {
        let trigger = TriggerId::parse(trigger_id).ok_or_else(|| unknown_trigger(trigger_id))?;
        if update.bindings.len() > MAX_BINDINGS {
            return Err(Error::invalid_field(
                "bindings",
                format!("may hold at most {MAX_BINDINGS} actions"),
            ));
        }
        let existing = self.binding_rows(trigger).await?;
        let now = self.clock.now();
        let mut rows: Vec<(String, ActionRecord, String, u64)> = Vec::new();
        for (index, input) in update.bindings.iter().enumerate() {
            let field = format!("bindings[{index}]");
            let (action, kept) = self.resolve(&field, input, &existing).await?;
            if action.trigger != trigger {
                return Err(Error::invalid_field(
                    field,
                    format!(
                        "names the action {}, which runs at {}, not {}",
                        echo(&action.name),
                        action.trigger.as_str(),
                        trigger.as_str()
                    ),
                ));
            }
            if action.deployed_version.is_none() {
                return Err(Error::invalid_field(
                    field,
                    format!(
                        "names the action {}, which is not deployed: deploy it first",
                        echo(&action.name)
                    ),
                ));
            }
            if rows.iter().any(|(_, a, _, _)| a.id == action.id) {
                return Err(Error::invalid_field(
                    field,
                    format!("binds the action {} twice", echo(&action.name)),
                ));
            }
            let display_name = input
                .display_name
                .clone()
                .unwrap_or_else(|| action.name.clone());
            crate::primitives::text::check_text(
                &format!("{field}.display_name"),
                &display_name,
                1,
                100,
            )?;
            let kept = kept.or_else(|| existing.iter().find(|row| row.action_id == action.id));
            let (id, created_at) = match kept {
                Some(row) => (row.id.clone(), row.created_at),
                None => (random::uuid(self.rng), now),
            };
            rows.push((id, action, display_name, created_at));
        }
        let mut statements =
            vec![
                Statement::new("DELETE FROM action_bindings WHERE trigger_id = ?1")
                    .bind(trigger.as_str()),
            ];
        for (position, (id, action, display_name, created_at)) in rows.iter().enumerate() {
            statements.push(
                Statement::new(
                    "INSERT INTO action_bindings (id, trigger_id, position, action_id, display_name, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .bind(id)
                .bind(trigger.as_str())
                .bind(position)
                .bind(&action.id)
                .bind(display_name)
                .bind(*created_at)
                .bind(now),
            );
        }
        let projection = Projection::Trigger(trigger.as_str().to_string());
        match self
            .commit(statements, std::slice::from_ref(&projection))
            .await
        {
            Ok(_) => {}
            Err(DatabaseError::Constraint(_)) => {
                return Err(Error::conflict(
                    "An action was deleted, or the bindings changed, meanwhile; retry",
                ))
            }
            Err(err) => return Err(err.into()),
        }
        self.project(&[projection]).await;
        // This isolate runs the new list at once; others within the TTL.
        self.cache.forget_trigger_bindings(trigger.as_str());
        let bindings = self.bindings_of(trigger).await?;
        Ok(serde_json::json!({ "bindings": bindings }))
    }

    /// The action a binding input refers to, and the binding it names when
    /// it names one.
    async fn resolve<'e>(
        &self,
        field: &str,
        input: &BindingInput,
        existing: &'e [BindingRow],
    ) -> Result<(ActionRecord, Option<&'e BindingRow>)> {
        if input.secrets.is_some() {
            return Err(Error::invalid_field(
                format!("{field}.secrets"),
                "are not supported on a binding: set the action's own secrets and deploy it",
            ));
        }
        let value = &input.reference.value;
        let missing = || {
            Error::invalid_field(
                format!("{field}.ref"),
                format!("names no action: {}", echo(value)),
            )
        };
        let (action_id, binding) = match input.reference.kind.as_str() {
            "action_id" => (value.clone(), None),
            "binding_id" => {
                let row = existing
                    .iter()
                    .find(|row| row.id == *value)
                    .ok_or_else(missing)?;
                (row.action_id.clone(), Some(row))
            }
            "action_name" => {
                let row: Option<database::Doc> = database::first(
                    self.db,
                    Statement::new("SELECT doc FROM actions WHERE name = ?1").bind(value),
                )
                .await?;
                let action: ActionRecord = row.ok_or_else(missing)?.record()?;
                return Ok((action, None));
            }
            other => {
                return Err(Error::invalid_field(
                    format!("{field}.ref.type"),
                    format!(
                        "must be action_id, action_name or binding_id, not {}",
                        echo(other)
                    ),
                ))
            }
        };
        if !is_well_formed_id(&action_id) {
            return Err(missing());
        }
        let (action, _) = self
            .versioned::<ActionRecord>(&action_id)
            .await?
            .ok_or_else(missing)?;
        Ok((action, binding))
    }
}
