//! What a trigger's actions did (`/api/v2/actions/executions/{id}`): each
//! action's result, its error and the first 256 characters of each line
//! it logged, kept [`RETENTION_SECONDS`] (10 days, as Auth0). Written after
//! the response, like the audit log; the scheduled task deletes old ones.

use serde::{Deserialize, Serialize};
use shared::actions::Execution;

use crate::error::{Error, ManagementErrorCode, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::store::Store;
use crate::Tenant;

pub const RETENTION_SECONDS: u64 = 10 * 24 * 3600;
/// Most executions one scheduled run deletes.
pub const RETENTION_BATCH: u64 = 5_000;
/// Auth0's bound on a logged line.
pub const MAX_LOG_LINE: usize = 256;
/// Most lines kept of one action's run.
pub const MAX_LOG_LINES: usize = 100;

/// An execution as stored: the wire shape and its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    #[serde(flatten)]
    pub execution: Execution,
    pub at: u64,
}

fn not_found() -> Error {
    Error::not_found(
        ManagementErrorCode::InexistentExecution,
        "The execution does not exist (executions are kept 10 days)",
    )
}

/// Execution ids: 32 hex digits.
fn is_well_formed_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Stores `record` after the response (see [`Tenant::take_deferred`]):
    /// the request it records has been answered whatever becomes of it.
    pub(crate) fn defer_execution(&self, record: &ExecutionRecord) {
        self.deferred.borrow_mut().push(
            Statement::new(
                "INSERT INTO action_executions (id, trigger_id, created_at, doc) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(&record.execution.id)
            .bind(&record.execution.trigger_id)
            .bind(record.at)
            .bind(database::doc(record)),
        );
    }

    pub async fn get_execution(&self, id: &str) -> Result<Execution> {
        if !is_well_formed_id(id) {
            return Err(not_found());
        }
        let row: Option<database::Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM action_executions WHERE id = ?1 AND created_at >= ?2")
                .bind(id)
                .bind(self.clock.now().saturating_sub(RETENTION_SECONDS)),
        )
        .await?;
        let record: ExecutionRecord = row.ok_or_else(not_found)?.record()?;
        Ok(record.execution)
    }

    /// The scheduled task's part: deletes executions past their 10 days,
    /// at most [`RETENTION_BATCH`] a run.
    pub async fn delete_expired_executions(&self) -> Result<usize> {
        let rows = self
            .db
            .rows(
                Statement::new(
                    "DELETE FROM action_executions WHERE id IN \
                     (SELECT id FROM action_executions WHERE created_at < ?1 ORDER BY created_at LIMIT ?2) \
                     RETURNING 1 AS n",
                )
                .bind(self.clock.now().saturating_sub(RETENTION_SECONDS))
                .bind(RETENTION_BATCH),
            )
            .await?;
        Ok(rows.len())
    }
}
