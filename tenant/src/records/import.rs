//! The upgrade from the KV-only versions, which kept every record in
//! Workers KV: each record they stored becomes the statement that stores it
//! in the system of record, with the same code that stores new ones.
//!
//! Run by `scripts/upgrade-from-kv.sh` (through `import-kv`, the binary of
//! this crate): it reads the namespace with `wrangler kv`, writes the
//! statements to a file for `wrangler d1 execute --file`, and checks the
//! counts [`Import::counts`] promises against [`COUNTS_SQL`]. Statements
//! keep any row already there (`INSERT OR IGNORE`), so running it again
//! after the new version took over adds what the old one wrote meanwhile
//! without undoing anything since.
//!
//! The read-model entries of those versions (`client/`, `client_grant/`,
//! `resource_server/`, `signing_key/`) have the documents' own format, so
//! they keep serving while the upgrade runs; the import ends by enqueueing
//! every entry, so the scheduled task projects them again from the rows.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use shared::logs::LogEvent;

use crate::jose::keys::SigningKeyRecord;
use crate::management::client_grants::ClientGrantRecord;
use crate::management::clients::ClientRecord;
use crate::management::resource_servers::ResourceServerRecord;
use crate::management::settings::TenantSettingsRecord;
use crate::management::users::UserRecord;
use crate::seams::database::{self, Statement};
use crate::sign_in::sessions::{consent_insert, ConsentRecord, SessionRecord};

/// What the import found, by kind, in the order the statements store them
/// (an API and a client before the grants that name them).
pub const KINDS: [&str; 9] = [
    "tenant_settings",
    "resource_servers",
    "clients",
    "client_grants",
    "users",
    "sessions",
    "consents",
    "logs",
    "signing_keys",
];

/// The counts to compare with [`Import::counts`] once the statements ran:
/// one row named as each kind, counting what is stored (consents count the
/// user and client pairs, as the KV versions kept one record per pair).
pub const COUNTS_SQL: &str = "SELECT \
    (SELECT count(*) FROM tenant_settings WHERE version > 0) AS tenant_settings, \
    (SELECT count(*) FROM resource_servers) AS resource_servers, \
    (SELECT count(*) FROM clients) AS clients, \
    (SELECT count(*) FROM client_grants) AS client_grants, \
    (SELECT count(*) FROM users) AS users, \
    (SELECT count(*) FROM sessions) AS sessions, \
    (SELECT count(*) FROM (SELECT DISTINCT user_id, client_id FROM consents)) AS consents, \
    (SELECT count(*) FROM logs) AS logs, \
    (SELECT count(*) FROM signing_keys) AS signing_keys";

/// The statements storing a KV namespace's records.
#[derive(Debug, Default)]
pub struct Import {
    /// By kind, in [`KINDS`] order.
    statements: BTreeMap<usize, Vec<Statement>>,
    /// Records read, by kind.
    pub counts: BTreeMap<&'static str, u64>,
    /// Keys that hold no record this version keeps (the KV versions'
    /// indexes, ended sessions), and why.
    pub skipped: BTreeMap<String, u64>,
    /// Keys that could not be read as the record their prefix names.
    pub unreadable: Vec<String>,
}

impl Import {
    /// Reads `entries` (key and value) as the KV versions wrote them.
    /// `now` ends sessions past their expiry and dates rows whose records
    /// kept no creation time.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, String)>, now: u64) -> Self {
        let mut import = Self::default();
        for kind in KINDS {
            import.counts.insert(kind, 0);
        }
        for (key, value) in entries {
            import.read(&key, &value, now);
        }
        import
    }

    fn read(&mut self, key: &str, value: &str, now: u64) {
        let skip = |import: &mut Self, why: &str| {
            *import.skipped.entry(why.to_string()).or_default() += 1;
        };
        let result = if key == "tenant_settings" {
            self.record::<TenantSettingsRecord>(0, value, |record| {
                Statement::new(
                    "UPDATE tenant_settings SET doc = ?1, version = version + 1 WHERE id = 1 AND version = 0",
                )
                .bind(database::doc(&record))
            })
        } else if key.starts_with("resource_server_id/")
            || key.starts_with("client_grant_id/")
            || key.starts_with("user_email/")
        {
            skip(self, "an index of the KV versions, now a column");
            return;
        } else if key.starts_with("resource_server/") {
            self.record::<ResourceServerRecord>(1, value, |record| record.insert(now))
        } else if key.starts_with("client_grant/") {
            self.record::<ClientGrantRecord>(3, value, |record| record.insert(now))
        } else if key.starts_with("client/") {
            self.record::<ClientRecord>(2, value, |record| record.insert())
        } else if key.starts_with("user/") {
            self.record::<UserRecord>(4, value, |record| record.insert())
        } else if let Some(hash) = key.strip_prefix("session/") {
            match serde_json::from_str::<SessionRecord>(value) {
                Ok(session) if session.expires_at <= now => {
                    skip(self, "a session that has ended");
                    return;
                }
                _ => self.record::<SessionRecord>(5, value, |record| record.insert(hash)),
            }
        } else if let Some(pair) = key.strip_prefix("consent/") {
            match pair.split_once('/') {
                Some((user_id, client_id)) => self.record::<ConsentRecord>(6, value, |record| {
                    consent_insert(
                        user_id,
                        client_id,
                        record
                            .granted
                            .iter()
                            .map(|(audience, scopes)| (audience.as_str(), scopes.iter())),
                        record.updated_at,
                    )
                }),
                None => Err(()),
            }
        } else if key.starts_with("log:") {
            self.record::<LogEvent>(7, value, |event| crate::management::logs::insert(&event))
        } else if key.starts_with("signing_key/") {
            self.record::<SigningKeyRecord>(8, value, |record| record.insert())
        } else {
            skip(self, "a key no version of the tenant wrote");
            return;
        };
        if result.is_err() {
            self.unreadable.push(key.to_string());
        }
    }

    fn record<T: DeserializeOwned>(
        &mut self,
        kind: usize,
        value: &str,
        statement: impl FnOnce(T) -> Statement,
    ) -> Result<(), ()> {
        let record: T = serde_json::from_str(value).map_err(|_| ())?;
        let mut statement = statement(record);
        // Rows already there are kept: the import may run again.
        statement.sql = statement
            .sql
            .replacen("INSERT INTO", "INSERT OR IGNORE INTO", 1)
            .into();
        self.statements.entry(kind).or_default().push(statement);
        *self.counts.entry(KINDS[kind]).or_default() += 1;
        Ok(())
    }

    /// The statements, in an order every reference is satisfied in, then
    /// the read model's rebuild.
    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.values().flatten()
    }

    /// The whole import as SQL for `wrangler d1 execute --file`.
    pub fn to_sql(&self) -> String {
        let mut sql = String::from(
            "-- The upgrade from the KV-only versions (scripts/upgrade-from-kv.sh).\n",
        );
        for statement in self.statements() {
            sql.push_str(&statement.to_sql());
            sql.push('\n');
        }
        sql.push_str(REBUILD_SQL);
        sql
    }
}

/// Enqueues every read-model entry for the scheduled task.
pub const REBUILD_SQL: &str = include_str!("../../../scripts/rebuild-read-model.sql");
