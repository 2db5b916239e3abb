//! The system of record and how a change reaches the edge.
//!
//! Everything the tenant writes commits to the database first (D1, which
//! serializes writes): one batch holding the change and, for each key of
//! the edge's read model it touches, an entry in `read_model_changes`.
//! Then the request projects those keys from the committed rows, so the
//! token endpoint in this location sees the change at once; the scheduled
//! task projects every entry again once it has settled ([`read_model`]),
//! so a projection write that was lost, or overtaken by an older one,
//! converges.
//!
//! A change to a record is one statement on what it changes, or an update
//! that names the version it read ([`Tenant::modify`]): when another change
//! came first, nothing is written and the record is read again. Nothing
//! reads a KV record, changes it and writes it back.

pub mod import;
pub mod read_model;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, DatabaseError, Row, Statement, Versioned};
use crate::seams::store::Store;
use crate::Tenant;

pub use read_model::Projection;

/// How many times a change is tried against newer versions before the
/// caller is told to retry (409).
pub const MAX_ATTEMPTS: usize = 5;

/// A record stored as a document with a version ([`Versioned`]).
pub(crate) trait Stored: Serialize + DeserializeOwned {
    /// `SELECT doc, version FROM … WHERE … = ?1`.
    const SELECT: &'static str;
    /// What a conflict is about, for the 409: "client", "user", ...
    const KIND: &'static str;

    /// Writes `self` over `version`, moving the version on; returns a row
    /// only when `version` was still the stored one.
    fn update(&self, version: i64) -> Statement;

    /// The read model's entries of this record.
    fn projections(&self) -> Vec<Projection>;

    /// A row of [`Self::SELECT`]: the record and its version.
    fn from_row(row: Row) -> Result<(Self, i64)> {
        let row: Versioned = database::decode(row)?;
        Ok((row.record()?, row.version))
    }

    /// The answer when the update breaks a constraint (a duplicate).
    fn conflict(_detail: &str) -> Error {
        Error::conflict(format!("The {} conflicts with another one", Self::KIND))
    }
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Commits `statements` as one batch, with the read model's queue
    /// entries for `touched` in the same batch; returns each statement's
    /// rows. The caller then projects what it touched
    /// ([`Self::project`]).
    pub(crate) async fn commit(
        &self,
        mut statements: Vec<Statement>,
        touched: &[Projection],
    ) -> std::result::Result<Vec<Vec<Row>>, DatabaseError> {
        let count = statements.len();
        if !touched.is_empty() {
            statements.push(read_model::enqueue(touched, self.clock.now()));
        }
        let mut rows = self.db.batch(statements).await?;
        rows.truncate(count);
        Ok(rows)
    }

    /// Commits a creation and projects it. A duplicate (a UNIQUE or
    /// PRIMARY KEY constraint) is answered with `exists`; a reference to a
    /// record deleted meanwhile (a FOREIGN KEY) with a conflict.
    pub(crate) async fn create(
        &self,
        statements: Vec<Statement>,
        projections: &[Projection],
        exists: impl FnOnce() -> Error,
    ) -> Result<Vec<Vec<Row>>> {
        match self.commit(statements, projections).await {
            Ok(rows) => {
                self.project(projections).await;
                Ok(rows)
            }
            Err(DatabaseError::Constraint(detail)) if detail.contains("FOREIGN KEY") => Err(
                Error::conflict("A record this one refers to was deleted meanwhile; retry"),
            ),
            Err(DatabaseError::Constraint(_)) => Err(exists()),
            Err(err) => Err(err.into()),
        }
    }

    /// The stored record `id` names and its version.
    pub(crate) async fn versioned<T: Stored>(&self, id: &str) -> Result<Option<(T, i64)>> {
        let row = self
            .db
            .rows(Statement::new(T::SELECT).bind(id))
            .await?
            .into_iter()
            .next();
        row.map(T::from_row).transpose()
    }

    /// Applies `change` to the stored record `id` and writes it if nobody
    /// changed it meanwhile; otherwise reads it again and retries, at most
    /// [`MAX_ATTEMPTS`] times, then answers 409. `change` may refuse (and
    /// nothing is written). Returns the record as written and what
    /// `change` returned.
    pub(crate) async fn modify<T: Stored, R>(
        &self,
        id: &str,
        not_found: impl Fn() -> Error,
        mut change: impl FnMut(&mut T) -> Result<R>,
    ) -> Result<(T, R)> {
        for _ in 0..MAX_ATTEMPTS {
            let (mut record, version) = self.versioned::<T>(id).await?.ok_or_else(&not_found)?;
            // A change may move the record to other keys (a renamed
            // organization): the ones it leaves are projected too, and so
            // deleted.
            let mut projections = record.projections();
            let outcome = change(&mut record)?;
            for projection in record.projections() {
                if !projections.contains(&projection) {
                    projections.push(projection);
                }
            }
            let rows = match self
                .commit(vec![record.update(version)], &projections)
                .await
            {
                Ok(rows) => rows,
                Err(DatabaseError::Constraint(detail)) => return Err(T::conflict(&detail)),
                Err(err) => return Err(err.into()),
            };
            if rows.first().is_some_and(|rows| !rows.is_empty()) {
                self.project(&projections).await;
                return Ok((record, outcome));
            }
        }
        Err(Error::conflict(format!(
            "The {} was changed by other requests at the same time; retry",
            T::KIND
        )))
    }
}

/// What one run of the scheduled task did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Read-model entries projected again.
    pub projected: usize,
    /// Audit events past the retention period, deleted.
    pub expired_logs: usize,
    /// Sessions past their lifetime, deleted.
    pub ended_sessions: usize,
    /// Action executions past their 10 days, deleted.
    pub expired_executions: usize,
    /// Authorization codes a day past their lifetime, and refresh token
    /// families that ended, deleted.
    pub expired_codes: usize,
    pub ended_refresh_tokens: usize,
}

/// Most ended sessions deleted in one run.
pub const SESSION_CLEANUP_BATCH: u64 = 5_000;

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// The scheduled task (a cron trigger, every minute): converges the
    /// read model, then deletes what has expired, each a bounded batch so a
    /// run stays far below the operations an invocation may make. Every
    /// step runs even when one fails; the first failure is returned after.
    pub async fn maintain(&self) -> (Maintenance, Option<Error>) {
        let mut done = Maintenance::default();
        let mut failure = None;
        match self.reconcile_read_model().await {
            Ok(n) => done.projected = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        match self.delete_expired_logs().await {
            Ok(n) => done.expired_logs = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        match self.delete_ended_sessions(SESSION_CLEANUP_BATCH).await {
            Ok(n) => done.ended_sessions = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        match self.delete_expired_executions().await {
            Ok(n) => done.expired_executions = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        match self.delete_expired_codes(SESSION_CLEANUP_BATCH).await {
            Ok(n) => done.expired_codes = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        match self.delete_ended_refresh_tokens().await {
            Ok(n) => done.ended_refresh_tokens = n,
            Err(err) => failure = failure.or(Some(err)),
        }
        (done, failure)
    }
}
