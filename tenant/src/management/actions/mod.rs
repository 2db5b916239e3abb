//! Actions (`/api/v2/actions`): the tenant owner's JavaScript, in Auth0's
//! lifecycle: create (a draft: code, secrets, one trigger), deploy (a
//! numbered, immutable version), bind to the trigger ([`bindings`]).
//! Bindings run each action's deployed version; rolling back deploys a copy
//! of an older version as a new one.
//!
//! Stored in `actions` (the draft) and `action_versions`; a secret's value
//! is kept only encrypted ([`secrets`]) and never shown again. What a
//! trigger runs is projected to `trigger/{id}` ([`bindings`]), so the token
//! endpoint reads it from isolate memory or one KV entry.

pub mod bindings;
pub mod executions;
pub mod secrets;

use serde::{Deserialize, Serialize};
use shared::actions::{
    Action, ActionCreate, ActionTest, ActionUpdate, ActionVersion, Dependency, SecretInput,
    SupportedTrigger, TriggerId,
};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::management::actions::secrets::StoredSecret;
use crate::primitives::text::check_text;
use crate::records::{Projection, Stored};
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, DatabaseError, Statement};
use crate::seams::random;
use crate::seams::runner::RunRequest;
use crate::seams::store::Store;
use crate::Tenant;

/// Auth0's bound on an action's code, without its modules.
pub const MAX_CODE_BYTES: usize = 100 * 1024;
pub const MAX_NAME_LEN: usize = 100;
/// The runtimes Auth0 accepts; both run on workerd here.
pub const RUNTIMES: [&str; 2] = ["node22", "node18"];
pub const DEFAULT_RUNTIME: &str = "node22";
/// Auth0's `status` of an action whose code is stored and ready.
const BUILT: &str = "built";
const NOT_FOUND: &str = "The action does not exist";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: String,
    pub name: String,
    pub trigger: TriggerId,
    pub code: String,
    pub runtime: String,
    pub secrets: Vec<StoredSecret>,
    /// The version bindings run, when deployed.
    pub deployed_version: Option<u64>,
    /// How many versions were made; the next is numbered one more.
    pub versions: u64,
    /// Whether the draft changed since the last deploy.
    pub changed_since_deploy: bool,
    pub created_at: u64,
    pub updated_at: u64,
}

/// A deployed version: what the draft was when it was deployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub id: String,
    pub action_id: String,
    pub number: u64,
    pub trigger: TriggerId,
    pub code: String,
    pub runtime: String,
    pub secrets: Vec<StoredSecret>,
    pub created_at: u64,
}

fn supported_triggers(trigger: TriggerId) -> Vec<SupportedTrigger> {
    vec![SupportedTrigger {
        id: trigger.as_str().to_string(),
        version: trigger.version().to_string(),
    }]
}

impl VersionRecord {
    fn insert(&self) -> Statement {
        Statement::new(
            "INSERT INTO action_versions (id, action_id, number, created_at, doc) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&self.id)
        .bind(&self.action_id)
        .bind(self.number)
        .bind(self.created_at)
        .bind(database::doc(self))
    }

    pub fn to_dto(&self, deployed: bool) -> ActionVersion {
        let at = rfc3339(self.created_at);
        ActionVersion {
            id: self.id.clone(),
            action_id: self.action_id.clone(),
            number: self.number,
            code: self.code.clone(),
            dependencies: Vec::new(),
            runtime: self.runtime.clone(),
            secrets: self.secrets.iter().map(StoredSecret::info).collect(),
            supported_triggers: supported_triggers(self.trigger),
            deployed,
            status: BUILT.to_string(),
            created_at: at.clone(),
            updated_at: at.clone(),
            built_at: at,
        }
    }
}

impl ActionRecord {
    fn insert(&self) -> Statement {
        Statement::new(
            "INSERT INTO actions (id, name, trigger_id, created_at, doc, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, 1)",
        )
        .bind(&self.id)
        .bind(&self.name)
        .bind(self.trigger.as_str())
        .bind(self.created_at)
        .bind(database::doc(self))
    }

    pub fn to_dto(&self, deployed: Option<&VersionRecord>) -> Action {
        Action {
            id: self.id.clone(),
            name: self.name.clone(),
            supported_triggers: supported_triggers(self.trigger),
            code: self.code.clone(),
            dependencies: Vec::new(),
            runtime: self.runtime.clone(),
            secrets: self.secrets.iter().map(StoredSecret::info).collect(),
            deployed_version: deployed.map(|version| version.to_dto(true)),
            status: BUILT.to_string(),
            all_changes_deployed: self.deployed_version.is_some() && !self.changed_since_deploy,
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }

    /// A new version of the draft as it is now.
    fn snapshot(&self, id: String, number: u64, now: u64) -> VersionRecord {
        VersionRecord {
            id,
            action_id: self.id.clone(),
            number,
            trigger: self.trigger,
            code: self.code.clone(),
            runtime: self.runtime.clone(),
            secrets: self.secrets.clone(),
            created_at: now,
        }
    }
}

impl Stored for ActionRecord {
    const SELECT: &'static str = "SELECT doc, version FROM actions WHERE id = ?1";
    const KIND: &'static str = "action";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE actions SET doc = ?1, name = ?2, trigger_id = ?3, version = version + 1 \
             WHERE id = ?4 AND version = ?5 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.name)
        .bind(self.trigger.as_str())
        .bind(&self.id)
        .bind(version)
    }

    /// What bindings run is the trigger's entry; a change to the draft
    /// changes nothing there until it is deployed, which projects it.
    fn projections(&self) -> Vec<Projection> {
        Vec::new()
    }

    fn conflict(_detail: &str) -> Error {
        name_taken()
    }
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentAction, NOT_FOUND)
}

fn name_taken() -> Error {
    Error::conflict("An action with this name already exists")
}

/// Action and version ids are UUIDs.
pub(crate) fn is_well_formed_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// One trigger per action, of a version this tenant implements.
fn check_trigger(triggers: &[SupportedTrigger]) -> Result<TriggerId> {
    let supported = || {
        TriggerId::ALL
            .iter()
            .map(|t| format!("{}@{}", t.as_str(), t.version()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let [trigger] = triggers else {
        return Err(Error::invalid_field(
            "supported_triggers",
            format!("must name exactly one trigger, one of {}", supported()),
        ));
    };
    TriggerId::parse(&trigger.id)
        .filter(|id| id.version() == trigger.version)
        .ok_or_else(|| {
            Error::invalid_field(
                "supported_triggers",
                format!(
                    "names {}@{}; this tenant runs {}",
                    echo(&trigger.id),
                    echo(&trigger.version),
                    supported()
                ),
            )
        })
}

fn check_code(code: &str) -> Result<()> {
    if code.len() > MAX_CODE_BYTES {
        return Err(Error::invalid_field(
            "code",
            format!("may be at most {MAX_CODE_BYTES} bytes (100 kB)"),
        ));
    }
    if code.contains('\0') {
        return Err(Error::invalid_field(
            "code",
            "must not contain NUL characters",
        ));
    }
    Ok(())
}

fn check_runtime(runtime: &str) -> Result<()> {
    if !RUNTIMES.contains(&runtime) {
        return Err(Error::invalid_field(
            "runtime",
            format!("must be one of {}", RUNTIMES.join(", ")),
        ));
    }
    Ok(())
}

/// Actions run without a package registry: no npm dependency can be
/// installed, so none is accepted.
fn check_dependencies(dependencies: &Option<Vec<Dependency>>) -> Result<()> {
    match dependencies {
        Some(dependencies) if !dependencies.is_empty() => Err(Error::invalid_field(
            "dependencies",
            "are not supported: actions run without a package registry; use the built-in modules (node:crypto, fetch to allowed hosts) or inline the code",
        )),
        _ => Ok(()),
    }
}

/// The starting code of a new action: the trigger's entry point, doing
/// nothing.
pub fn template(trigger: TriggerId) -> String {
    let (comment, parameters) = match trigger {
        TriggerId::CredentialsExchange => (
            "Runs before an access token is issued for the client credentials grant.",
            "event, api",
        ),
        TriggerId::PostLogin => (
            "Runs when a person signs in, before the tokens are returned.",
            "event, api",
        ),
    };
    format!(
        "/**\n * {comment}\n * @param {{Event}} event\n * @param {{API}} api\n */\nexports.{} = async ({parameters}) => {{\n}};\n",
        trigger.entry_point()
    )
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    pub(crate) async fn existing_action(&self, id: &str) -> Result<(ActionRecord, i64)> {
        if !is_well_formed_id(id) {
            return Err(not_found());
        }
        self.versioned(id).await?.ok_or_else(not_found)
    }

    /// The version numbered `number` of an action.
    async fn version_numbered(
        &self,
        action_id: &str,
        number: u64,
    ) -> Result<Option<VersionRecord>> {
        let row: Option<database::Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM action_versions WHERE action_id = ?1 AND number = ?2")
                .bind(action_id)
                .bind(number),
        )
        .await?;
        row.map(|row| row.record()).transpose()
    }

    async fn deployed_version_of(&self, action: &ActionRecord) -> Result<Option<VersionRecord>> {
        match action.deployed_version {
            Some(number) => self.version_numbered(&action.id, number).await,
            None => Ok(None),
        }
    }

    pub async fn create_action(&self, request: ActionCreate) -> Result<Action> {
        check_text("name", &request.name, 1, MAX_NAME_LEN)?;
        let trigger = check_trigger(&request.supported_triggers)?;
        check_dependencies(&request.dependencies)?;
        let runtime = request
            .runtime
            .unwrap_or_else(|| DEFAULT_RUNTIME.to_string());
        check_runtime(&runtime)?;
        let code = request.code.unwrap_or_else(|| template(trigger));
        check_code(&code)?;
        let now = self.clock.now();
        let secrets = self
            .set_secrets(&[], request.secrets.unwrap_or_default(), now)
            .await?;
        let mut record = ActionRecord {
            id: random::uuid(self.rng),
            name: request.name,
            trigger,
            code,
            runtime,
            secrets,
            deployed_version: None,
            versions: 0,
            changed_since_deploy: true,
            created_at: now,
            updated_at: now,
        };
        let mut statements = Vec::new();
        let mut version = None;
        if request.deploy == Some(true) {
            self.check_loads(&record).await?;
            let snapshot = record.snapshot(random::uuid(self.rng), 1, now);
            record.versions = 1;
            record.deployed_version = Some(1);
            record.changed_since_deploy = false;
            version = Some(snapshot);
        }
        statements.push(record.insert());
        if let Some(version) = &version {
            statements.push(version.insert());
        }
        self.create(statements, &[], name_taken).await?;
        Ok(record.to_dto(version.as_ref()))
    }

    pub async fn get_action(&self, id: &str) -> Result<Action> {
        let (record, _) = self.existing_action(id).await?;
        let deployed = self.deployed_version_of(&record).await?;
        Ok(record.to_dto(deployed.as_ref()))
    }

    /// Applies a PATCH to the draft, over the version it read. Bindings go
    /// on running the deployed version until the next deploy.
    pub async fn update_action(&self, id: &str, update: ActionUpdate) -> Result<Action> {
        let (current, _) = self.existing_action(id).await?;
        if let Some(name) = &update.name {
            check_text("name", name, 1, MAX_NAME_LEN)?;
        }
        let trigger = update
            .supported_triggers
            .as_deref()
            .map(check_trigger)
            .transpose()?;
        if trigger.is_some_and(|trigger| trigger != current.trigger) {
            // Its versions were built for the trigger it has: a binding to
            // another would run code that exports the wrong entry point.
            if current.versions > 0 {
                return Err(Error::invalid_field(
                    "supported_triggers",
                    "cannot change once the action has been deployed; create another action for the other trigger",
                ));
            }
            if self.is_bound(id).await? {
                return Err(Error::invalid_field(
                    "supported_triggers",
                    "cannot change while the action is bound to its trigger; unbind it first",
                ));
            }
        }
        check_dependencies(&update.dependencies)?;
        if let Some(runtime) = &update.runtime {
            check_runtime(runtime)?;
        }
        if let Some(code) = &update.code {
            check_code(code)?;
        }
        let now = self.clock.now();
        // Encrypted once, outside the retried change.
        let secrets = match update.secrets.clone() {
            Some(inputs) => Some((inputs.clone(), self.seal_new_values(&inputs).await?)),
            None => None,
        };
        let (record, ()) = self
            .modify(id, not_found, |record: &mut ActionRecord| {
                if let Some(name) = &update.name {
                    record.name = name.clone();
                }
                if let Some(trigger) = trigger {
                    record.trigger = trigger;
                }
                if let Some(runtime) = &update.runtime {
                    record.runtime = runtime.clone();
                }
                if let Some(code) = &update.code {
                    record.code = code.clone();
                }
                if let Some((inputs, sealed)) = &secrets {
                    record.secrets = secrets::merge(&record.secrets, inputs, sealed, now)?;
                }
                record.changed_since_deploy = true;
                record.updated_at = now;
                Ok(())
            })
            .await?;
        let deployed = self.deployed_version_of(&record).await?;
        Ok(record.to_dto(deployed.as_ref()))
    }

    /// `GET /api/v2/actions/actions`: by name, filtered by trigger, name
    /// and whether deployed; Auth0's `{total, page, per_page, actions}`.
    /// Two queries at most.
    pub async fn list_actions(&self, query: &[(String, String)]) -> Result<serde_json::Value> {
        let paging = crate::management::Paging::from_query(query)?;
        let value = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let mut conditions = Vec::new();
        let mut params: Vec<String> = Vec::new();
        if let Some(trigger) = value("triggerId") {
            params.push(trigger.to_string());
            conditions.push(format!("trigger_id = ?{}", params.len()));
        }
        if let Some(name) = value("actionName") {
            params.push(name.to_string());
            conditions.push(format!("name = ?{}", params.len()));
        }
        match value("deployed") {
            None => {}
            Some("true") => {
                conditions.push("json_extract(doc, '$.deployed_version') IS NOT NULL".into())
            }
            Some("false") => {
                conditions.push("json_extract(doc, '$.deployed_version') IS NULL".into())
            }
            Some(other) => {
                return Err(Error::management(
                    ManagementErrorCode::InvalidQueryString,
                    format!(
                        "Query validation error: invalid value for deployed: '{}'",
                        echo(other)
                    ),
                ))
            }
        }
        // Marketplace integrations (`installed=true`) are not offered.
        if value("installed") == Some("true") {
            conditions.push("false".into());
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let bind = |sql: String| {
            params.iter().fold(Statement::new(sql), |statement, value| {
                statement.bind(value)
            })
        };
        let (records, total) = self
            .page_of::<ActionRecord>(
                bind(format!("SELECT doc FROM actions{filter} ORDER BY name")),
                bind(format!("SELECT count(*) AS n FROM actions{filter}")),
                paging.window(),
                true,
            )
            .await?;
        // The deployed versions of the page, in one query.
        let deployed = self.deployed_versions(&records).await?;
        let actions: Vec<Action> = records
            .iter()
            .map(|record| {
                let version = deployed.iter().find(|v| {
                    v.action_id == record.id && Some(v.number) == record.deployed_version
                });
                record.to_dto(version)
            })
            .collect();
        Ok(serde_json::json!({
            "total": total,
            "page": paging.page,
            "per_page": paging.per_page,
            "actions": actions,
        }))
    }

    /// The deployed versions of `actions`, in one query.
    pub(crate) async fn deployed_versions(
        &self,
        actions: &[ActionRecord],
    ) -> Result<Vec<VersionRecord>> {
        let wanted: Vec<(&str, u64)> = actions
            .iter()
            .filter_map(|a| a.deployed_version.map(|n| (a.id.as_str(), n)))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<database::Doc> = database::all(
            self.db,
            Statement::new(
                "SELECT doc FROM action_versions WHERE (action_id, number) IN \
                 (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))",
            )
            .bind(serde_json::to_string(&wanted).expect("pairs serialize")),
        )
        .await?;
        rows.iter().map(database::Doc::record).collect()
    }

    /// Deletes an action with its versions. A bound action is deleted only
    /// with `force`, which unbinds it (its trigger's entry is projected
    /// again in the same request).
    pub async fn delete_action(&self, id: &str, force: bool) -> Result<()> {
        let (record, _) = self.existing_action(id).await?;
        let bound = self.is_bound(id).await?;
        if bound && !force {
            return Err(Error::conflict(
                "The action is bound to a trigger; unbind it first, or delete it with force=true",
            ));
        }
        let trigger = Projection::Trigger(record.trigger.as_str().to_string());
        let rows = self
            .commit(
                vec![
                    Statement::new("DELETE FROM action_bindings WHERE action_id = ?1").bind(id),
                    Statement::new("DELETE FROM action_versions WHERE action_id = ?1").bind(id),
                    Statement::new("DELETE FROM actions WHERE id = ?1 RETURNING id").bind(id),
                ],
                std::slice::from_ref(&trigger),
            )
            .await?;
        if rows[2].is_empty() {
            return Err(not_found());
        }
        self.project(&[trigger]).await;
        self.cache.forget_trigger_bindings(record.trigger.as_str());
        Ok(())
    }

    /// `POST /api/v2/actions/actions/{id}/deploy`: the draft becomes the
    /// next version, and bindings run it (its trigger's entry is projected
    /// at once).
    pub async fn deploy_action(&self, id: &str) -> Result<ActionVersion> {
        self.deploy(id, None).await
    }

    /// `POST /api/v2/actions/actions/{id}/versions/{version}/deploy`: a
    /// roll back, as Auth0 makes it: a copy of that version deployed as
    /// the next.
    pub async fn roll_back_action(
        &self,
        id: &str,
        version_id: &str,
        update_draft: bool,
    ) -> Result<ActionVersion> {
        let version = self.existing_version(id, version_id).await?;
        self.deploy(id, Some((version, update_draft))).await
    }

    /// A new version from the draft (or from `from`), written with the
    /// action over the version it read, in one batch: the version's row
    /// is inserted only while the action is still the one read.
    async fn deploy(&self, id: &str, from: Option<(VersionRecord, bool)>) -> Result<ActionVersion> {
        if from.is_none() {
            // The draft as it is now; a change racing this deploy is
            // checked by its own.
            let (draft, _) = self.existing_action(id).await?;
            self.check_loads(&draft).await?;
        }
        for _ in 0..crate::records::MAX_ATTEMPTS {
            let (mut record, row_version) = self.existing_action(id).await?;
            let now = self.clock.now();
            let number = record.versions + 1;
            let version = match &from {
                None => record.snapshot(random::uuid(self.rng), number, now),
                Some((old, _)) => VersionRecord {
                    id: random::uuid(self.rng),
                    number,
                    created_at: now,
                    ..old.clone()
                },
            };
            // A roll back leaves the draft as it is, unless asked to make
            // the old version the draft too.
            let draft_follows = match &from {
                None => true,
                Some((_, update_draft)) => *update_draft,
            };
            if draft_follows {
                record.code = version.code.clone();
                record.runtime = version.runtime.clone();
                record.secrets = version.secrets.clone();
                record.trigger = version.trigger;
            }
            record.versions = number;
            record.deployed_version = Some(number);
            record.changed_since_deploy = !draft_follows;
            record.updated_at = now;
            let mut insert = version.insert();
            insert.sql = format!(
                "{} SELECT ?1, ?2, ?3, ?4, ?5 WHERE (SELECT version FROM actions WHERE id = ?2) = ?6",
                "INSERT INTO action_versions (id, action_id, number, created_at, doc)"
            )
            .into();
            let insert = insert.bind(row_version);
            let trigger = Projection::Trigger(record.trigger.as_str().to_string());
            let rows = match self
                .commit(
                    vec![insert, record.update(row_version)],
                    std::slice::from_ref(&trigger),
                )
                .await
            {
                Ok(rows) => rows,
                // Another deploy took the number: read again.
                Err(DatabaseError::Constraint(_)) => continue,
                Err(err) => return Err(err.into()),
            };
            if rows[1].is_empty() {
                continue;
            }
            self.project(&[trigger]).await;
            // This isolate runs the new version at once; others within
            // the bindings' TTL.
            self.cache.forget_trigger_bindings(record.trigger.as_str());
            return Ok(version.to_dto(true));
        }
        Err(Error::conflict(
            "The action was changed by other requests at the same time; retry",
        ))
    }

    async fn existing_version(&self, action_id: &str, version_id: &str) -> Result<VersionRecord> {
        let missing = || {
            Error::not_found(
                ManagementErrorCode::InexistentActionVersion,
                "The action version does not exist",
            )
        };
        if !is_well_formed_id(version_id) {
            return Err(missing());
        }
        self.existing_action(action_id).await?;
        let row: Option<database::Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM action_versions WHERE id = ?1 AND action_id = ?2")
                .bind(version_id)
                .bind(action_id),
        )
        .await?;
        row.map(|row| row.record()).transpose()?.ok_or_else(missing)
    }

    pub async fn get_action_version(
        &self,
        action_id: &str,
        version_id: &str,
    ) -> Result<ActionVersion> {
        let version = self.existing_version(action_id, version_id).await?;
        let (action, _) = self.existing_action(action_id).await?;
        Ok(version.to_dto(action.deployed_version == Some(version.number)))
    }

    /// An action's versions, newest first: `{total, page, per_page,
    /// versions}`, two queries.
    pub async fn list_action_versions(
        &self,
        action_id: &str,
        query: &[(String, String)],
    ) -> Result<serde_json::Value> {
        let paging = crate::management::Paging::from_query(query)?;
        let (action, _) = self.existing_action(action_id).await?;
        let (versions, total) = self
            .page_of::<VersionRecord>(
                Statement::new(
                    "SELECT doc FROM action_versions WHERE action_id = ?1 ORDER BY number DESC",
                )
                .bind(action_id),
                Statement::new("SELECT count(*) AS n FROM action_versions WHERE action_id = ?1")
                    .bind(action_id),
                paging.window(),
                true,
            )
            .await?;
        let versions: Vec<ActionVersion> = versions
            .iter()
            .map(|v| v.to_dto(action.deployed_version == Some(v.number)))
            .collect();
        Ok(serde_json::json!({
            "total": total,
            "page": paging.page,
            "per_page": paging.per_page,
            "versions": versions,
        }))
    }

    /// Whether any trigger binds the action: one query on an index.
    pub(crate) async fn is_bound(&self, action_id: &str) -> Result<bool> {
        Ok(!self
            .db
            .rows(
                Statement::new(
                    "SELECT 1 AS bound FROM action_bindings WHERE action_id = ?1 LIMIT 1",
                )
                .bind(action_id),
            )
            .await?
            .is_empty())
    }

    /// New secrets replacing `existing` as a PATCH or a creation names them.
    async fn set_secrets(
        &self,
        existing: &[StoredSecret],
        inputs: Vec<SecretInput>,
        now: u64,
    ) -> Result<Vec<StoredSecret>> {
        let sealed = self.seal_new_values(&inputs).await?;
        secrets::merge(existing, &inputs, &sealed, now)
    }
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `POST /api/v2/actions/actions/{id}/test`: runs the draft (its code
    /// and secrets as they are now, deployed or not) with `payload` as the
    /// event, in an isolate of its own, and answers what it did: the
    /// commands it gave `api`, what it logged and how it ended. Nothing is
    /// issued and no execution is recorded.
    pub async fn test_action(&self, id: &str, test: ActionTest) -> Result<serde_json::Value> {
        let (action, _) = self.existing_action(id).await?;
        let mut event = match test.payload {
            serde_json::Value::Object(event) => event,
            _ => {
                return Err(Error::invalid_field(
                    "payload",
                    "must be an object: the event to run the action with",
                ))
            }
        };
        let secrets = self.open_secrets(&action.secrets).await?;
        event.insert(
            "secrets".into(),
            serde_json::to_value(secrets).expect("strings serialize"),
        );
        let allowed_hosts = self.edge_settings().await?.actions_allowed_hosts.clone();
        let outcome = self
            .runner
            .run(RunRequest {
                trigger: action.trigger.as_str().to_string(),
                // A draft's isolate is its own: the code is part of its name.
                version_id: format!("draft-{}", draft_digest(&action)),
                code: action.code.clone(),
                event: serde_json::Value::Object(event),
                cache: serde_json::Map::new(),
                allowed_hosts,
                timeout_ms: crate::actions::TIMEOUT_MS,
                check: false,
            })
            .await?;
        let error = if outcome.timed_out {
            Some(format!(
                "the action did not finish within {} ms",
                crate::actions::TIMEOUT_MS
            ))
        } else {
            outcome.error
        };
        Ok(serde_json::json!({
            "payload": {
                "commands": outcome.commands,
                "logs": outcome.logs,
                "error": error,
                "duration_ms": outcome.duration_ms,
            }
        }))
    }
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A deploy's check, as Auth0 builds a version before it deploys it:
    /// the runner loads the draft's code in its isolate and finds the
    /// trigger's entry point, running nothing. Code that does not load (a
    /// syntax error, a throw at the top level, no `onExecute...` export)
    /// is a 400 naming why, and nothing is deployed. A deployment without
    /// a runner deploys unchecked (and runs nothing).
    async fn check_loads(&self, action: &ActionRecord) -> Result<()> {
        let outcome = self
            .runner
            .run(RunRequest {
                trigger: action.trigger.as_str().to_string(),
                version_id: format!("draft-{}", draft_digest(action)),
                code: action.code.clone(),
                event: serde_json::Value::Null,
                cache: serde_json::Map::new(),
                allowed_hosts: Vec::new(),
                timeout_ms: crate::actions::TIMEOUT_MS,
                check: true,
            })
            .await?;
        let error = if outcome.timed_out {
            Some(format!(
                "loading it did not finish within {} ms",
                crate::actions::TIMEOUT_MS
            ))
        } else {
            outcome.error
        };
        match error {
            None => Ok(()),
            Some(error) => Err(Error::invalid_field(
                "code",
                format!(
                    "does not load, so it cannot be deployed: {}",
                    crate::actions::log_line(&error)
                ),
            )),
        }
    }
}

/// Names a draft's code and trigger, so a changed draft gets a new isolate.
fn draft_digest(action: &ActionRecord) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "{}\0{}\0{}",
        action.id,
        action.trigger.as_str(),
        action.code
    ));
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
