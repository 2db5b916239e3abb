//! The records seam: the tenant's system of record, a SQL database (D1 in
//! production, real SQLite in host tests: D1 is SQLite, so both run the
//! same statements and the same schema, `migrations/`).
//!
//! The trait is what D1 can promise: statements with bound parameters, run
//! alone or as a batch that commits or fails as a whole, each returning its
//! rows as JSON objects. Writes are serialized by the database, so a change
//! is made with one statement on what it changes, or with a version check
//! ([`Versioned`]): never by writing back a copy read earlier.
//!
//! Tables are owned by the modules whose records they hold; this module
//! knows no OAuth word.

use std::borrow::Cow;
use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// A bound parameter. SQLite's types, as far as the tenant uses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(String),
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::Text(value.to_string())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

/// The largest integer a JavaScript number holds exactly: the largest D1
/// can be given as a bound integer (it refuses what is above).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl From<u64> for Value {
    /// Times and counts, far below it; anything larger (an offset a
    /// request asked for) saturates at [`MAX_SAFE_INTEGER`] rather than
    /// being refused by D1 or wrapping.
    fn from(value: u64) -> Self {
        Self::Integer(value.min(MAX_SAFE_INTEGER) as i64)
    }
}

impl From<usize> for Value {
    fn from(value: usize) -> Self {
        Self::from(value as u64)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Integer(i64::from(value))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// One SQL statement and its parameters (`?1`, `?2`, ... in the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: Cow<'static, str>,
    pub params: Vec<Value>,
}

impl Statement {
    pub fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Binds the next parameter.
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.params.push(value.into());
        self
    }

    /// The statement with its parameters written in as SQL literals, for
    /// a file `wrangler d1 execute --file` runs (the upgrade from KV).
    /// Parameters are `?N` or `?`, never inside the statements' own quoted
    /// text.
    pub fn to_sql(&self) -> String {
        let mut out = String::with_capacity(self.sql.len() + 64);
        let mut next = 0usize;
        let mut chars = self.sql.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            if c == '\'' {
                quoted = !quoted;
            }
            if c != '?' || quoted {
                out.push(c);
                continue;
            }
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            let index = match digits.parse::<usize>() {
                Ok(n) => n,
                Err(_) => next + 1,
            };
            next = next.max(index);
            match self.params.get(index - 1) {
                Some(Value::Null) | None => out.push_str("NULL"),
                Some(Value::Integer(i)) => out.push_str(&i.to_string()),
                Some(Value::Text(text)) => {
                    out.push('\'');
                    out.push_str(&text.replace('\'', "''"));
                    out.push('\'');
                }
            }
        }
        out.push(';');
        out
    }
}

/// A row: column names to values (integers as JSON integers, text as
/// strings, NULL as null).
pub type Row = Map<String, Json>;

/// Why a statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseError {
    /// A UNIQUE, PRIMARY KEY or CHECK constraint refused the change: a
    /// conflict the caller may answer (409), not an outage.
    Constraint(String),
    /// Anything else: the database cannot serve.
    Unavailable(String),
}

impl From<DatabaseError> for Error {
    fn from(err: DatabaseError) -> Self {
        match err {
            DatabaseError::Constraint(detail) => {
                Error::unavailable(format!("unexpected constraint violation: {detail}"))
            }
            DatabaseError::Unavailable(detail) => {
                // A database created but never migrated says so plainly.
                if detail.contains("no such table") {
                    Error::unavailable(format!("the database schema is not applied (wrangler d1 migrations apply DB): {detail}"))
                } else {
                    Error::unavailable(format!("database: {detail}"))
                }
            }
        }
    }
}

#[allow(async_fn_in_trait)] // single-threaded runtimes: futures need not be Send
pub trait Database {
    /// Runs `statements` in order as one transaction: all take effect or
    /// none does. Returns each statement's rows.
    async fn batch(
        &self,
        statements: Vec<Statement>,
    ) -> std::result::Result<Vec<Vec<Row>>, DatabaseError>;

    /// One statement's rows.
    async fn rows(&self, statement: Statement) -> std::result::Result<Vec<Row>, DatabaseError> {
        Ok(self
            .batch(vec![statement])
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }
}

/// Decodes a row into `T` (column names are field names).
pub fn decode<T: DeserializeOwned>(row: Row) -> Result<T> {
    serde_json::from_value(Json::Object(row))
        .map_err(|err| Error::unavailable(format!("corrupt row: {err}")))
}

/// Every row of `statement`, decoded.
pub async fn all<T: DeserializeOwned>(db: &impl Database, statement: Statement) -> Result<Vec<T>> {
    db.rows(statement).await?.into_iter().map(decode).collect()
}

/// The first row of `statement`, decoded.
pub async fn first<T: DeserializeOwned>(
    db: &impl Database,
    statement: Statement,
) -> Result<Option<T>> {
    db.rows(statement)
        .await?
        .into_iter()
        .next()
        .map(decode)
        .transpose()
}

/// Runs statements for their effect.
pub async fn run(db: &impl Database, statements: Vec<Statement>) -> Result<()> {
    db.batch(statements).await?;
    Ok(())
}

/// A record kept as a JSON document (`doc`) beside the columns it is
/// queried by, with a `version` that every change moves on: an update
/// names the version it read and changes nothing when another change came
/// first ([`crate::Tenant::update_versioned`] then reads again).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Versioned {
    pub doc: String,
    pub version: i64,
}

impl Versioned {
    pub fn record<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.doc)
            .map_err(|err| Error::unavailable(format!("corrupt record: {err}")))
    }
}

/// The document column of rows that carry one.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Doc {
    pub doc: String,
}

impl Doc {
    pub fn record<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.doc)
            .map_err(|err| Error::unavailable(format!("corrupt record: {err}")))
    }
}

/// The count a `SELECT count(*) AS n` returns.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Count {
    pub n: u64,
}

/// Serializes a record for its `doc` column.
pub fn doc<T: serde::Serialize>(record: &T) -> String {
    serde_json::to_string(record).expect("records serialize to JSON")
}

/// Statements a request deferred until after its response (see
/// `Tenant::take_deferred`): audit events of changes already made.
#[derive(Debug, Default, PartialEq, Eq)]
#[must_use = "deferred writes are lost unless they are written"]
pub struct Deferred(pub(crate) Vec<Statement>);

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes them in one batch; returns the failure, for the log: the
    /// operations they record have happened whatever becomes of them.
    pub async fn write(self, db: &impl Database) -> Option<Error> {
        if self.0.is_empty() {
            return None;
        }
        db.batch(self.0).await.err().map(Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_render_as_sql_with_their_parameters_quoted() {
        let statement = Statement::new(
            "INSERT INTO t (a, b, c) SELECT ?2, ?1, json_extract(x, '$[0]') FROM j WHERE d = ? AND e = ?1",
        )
        .bind("it's")
        .bind(7i64)
        .bind(Value::Null);
        assert_eq!(
            statement.to_sql(),
            "INSERT INTO t (a, b, c) SELECT 7, 'it''s', json_extract(x, '$[0]') FROM j WHERE d = NULL AND e = 'it''s';"
        );
    }
}

/// A database for code that must never reach one: the hot-path benchmarks
/// run on it, so a query there fails the benchmark.
#[derive(Debug, Default)]
pub struct NoDatabase {
    attempts: Cell<u64>,
}

impl NoDatabase {
    /// How many batches were attempted.
    pub fn attempts(&self) -> u64 {
        self.attempts.get()
    }
}

impl Database for NoDatabase {
    async fn batch(
        &self,
        _statements: Vec<Statement>,
    ) -> std::result::Result<Vec<Vec<Row>>, DatabaseError> {
        self.attempts.set(self.attempts.get() + 1);
        Err(DatabaseError::Unavailable(
            "this tenant has no database".into(),
        ))
    }
}
