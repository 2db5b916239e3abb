//! The system of record on real SQLite, for host tests and host
//! benchmarks: the schema is `migrations/`, the very files `wrangler d1
//! migrations apply` runs, and every statement is the one D1 runs.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};
use serde_json::Value as Json;

use super::database::{Database, DatabaseError, Row, Statement, Value};

/// The schema, in the order `wrangler d1 migrations apply` applies it.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_system_of_record.sql",
        include_str!("../../../migrations/0001_system_of_record.sql"),
    ),
    (
        "0002_organizations.sql",
        include_str!("../../../migrations/0002_organizations.sql"),
    ),
    (
        "0003_actions.sql",
        include_str!("../../../migrations/0003_actions.sql"),
    ),
    (
        "0004_authorization_codes_and_refresh_tokens.sql",
        include_str!("../../../migrations/0004_authorization_codes_and_refresh_tokens.sql"),
    ),
];

/// An in-memory SQLite database with the tenant's schema. Counts the
/// statements it runs, and can be told to fail, as an unreachable D1 would.
pub struct SqliteDatabase {
    connection: RefCell<Connection>,
    batches: Cell<u64>,
    failing: Cell<bool>,
    /// Every statement run since the count was reset.
    executed: RefCell<Vec<Statement>>,
}

impl Default for SqliteDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl SqliteDatabase {
    pub fn new() -> Self {
        let connection = Connection::open_in_memory().expect("sqlite opens in memory");
        // As D1 always does.
        connection
            .execute_batch("PRAGMA foreign_keys = ON")
            .expect("foreign keys");
        for (name, sql) in MIGRATIONS {
            connection
                .execute_batch(sql)
                .unwrap_or_else(|err| panic!("migration {name} fails: {err}"));
        }
        Self {
            connection: RefCell::new(connection),
            batches: Cell::new(0),
            failing: Cell::new(false),
            executed: RefCell::new(Vec::new()),
        }
    }

    /// Statements run since the count was last reset.
    pub fn statements(&self) -> u64 {
        self.executed.borrow().len() as u64
    }

    /// Batches (round trips to D1) run since the count was last reset.
    pub fn batches(&self) -> u64 {
        self.batches.get()
    }

    /// Each statement run since the count was last reset, with SQLite's
    /// query plan of it on the database as it is now (`EXPLAIN QUERY
    /// PLAN`, one step a line): to check that a query reads an index in
    /// order rather than sorting what it found.
    pub fn executed(&self) -> Vec<(Statement, String)> {
        let connection = self.connection.borrow();
        self.executed
            .borrow()
            .iter()
            .map(|statement| {
                let explain = Statement {
                    sql: format!("EXPLAIN QUERY PLAN {}", statement.sql).into(),
                    params: statement.params.clone(),
                };
                let steps = Self::run(&connection, &explain).expect("query plan");
                let plan = steps
                    .iter()
                    .filter_map(|step| step.get("detail").and_then(Json::as_str))
                    .collect::<Vec<_>>()
                    .join("\n");
                (statement.clone(), plan)
            })
            .collect()
    }

    pub fn reset_count(&self) {
        self.executed.borrow_mut().clear();
        self.batches.set(0);
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.set(failing);
    }

    /// Every row of every table, to assert that nothing was written.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<String>> {
        let connection = self.connection.borrow();
        let mut tables = connection
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .expect("schema query");
        let names: Vec<String> = tables
            .query_map([], |row| row.get(0))
            .expect("schema rows")
            .collect::<Result<_, _>>()
            .expect("table names");
        let mut snapshot = BTreeMap::new();
        for name in names {
            let mut select = connection
                .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY 1"))
                .expect("select");
            let columns = select.column_count();
            let rows: Vec<String> = select
                .query_map([], |row| {
                    let values: Vec<String> = (0..columns)
                        .map(|i| format!("{:?}", row.get_ref(i).map(to_json)))
                        .collect();
                    Ok(values.join("|"))
                })
                .expect("rows")
                .collect::<Result<_, _>>()
                .expect("row values");
            snapshot.insert(name, rows);
        }
        snapshot
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> usize {
        let n: i64 = self
            .connection
            .borrow()
            .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |row| {
                row.get(0)
            })
            .unwrap_or_else(|err| panic!("count {table}: {err}"));
        n as usize
    }

    /// Runs SQL outside the seam: for tests that seed or inspect tables.
    pub fn execute(&self, sql: &str) {
        self.connection
            .borrow()
            .execute_batch(sql)
            .unwrap_or_else(|err| panic!("{sql}: {err}"));
    }

    fn run(connection: &Connection, statement: &Statement) -> rusqlite::Result<Vec<Row>> {
        let mut prepared = connection.prepare(&statement.sql)?;
        let names: Vec<String> = prepared
            .column_names()
            .map(|name| name.to_string())
            .collect();
        let params = rusqlite::params_from_iter(statement.params.iter().map(Param));
        let mut rows = prepared.query(params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut map = Row::new();
            for (i, name) in names.iter().enumerate() {
                map.insert(name.clone(), to_json(row.get_ref(i)?));
            }
            out.push(map);
        }
        Ok(out)
    }
}

struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Integer(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn to_json(value: ValueRef<'_>) -> Json {
    match value {
        ValueRef::Null => Json::Null,
        ValueRef::Integer(i) => Json::from(i),
        ValueRef::Real(f) => Json::from(f),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Json::from(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

fn database_error(err: rusqlite::Error) -> DatabaseError {
    match &err {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == ErrorCode::ConstraintViolation =>
        {
            DatabaseError::Constraint(err.to_string())
        }
        _ => DatabaseError::Unavailable(err.to_string()),
    }
}

impl Database for SqliteDatabase {
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, DatabaseError> {
        if self.failing.get() {
            return Err(DatabaseError::Unavailable(
                "sqlite database set to fail".into(),
            ));
        }
        self.executed
            .borrow_mut()
            .extend(statements.iter().cloned());
        self.batches.set(self.batches.get() + 1);
        let mut connection = self.connection.borrow_mut();
        // As a D1 batch: one transaction, all or nothing.
        let transaction = connection.transaction().map_err(database_error)?;
        let mut results = Vec::with_capacity(statements.len());
        for statement in &statements {
            results.push(Self::run(&transaction, statement).map_err(database_error)?);
        }
        transaction.commit().map_err(database_error)?;
        Ok(results)
    }
}
