//! The system of record on D1: the tenant's statements, bound and run as
//! D1 batches (one transaction each), their rows read back as JSON.

use serde_json::Value as Json;
use tenant::seams::database::{Database, DatabaseError, Row, Statement, Value};
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::kv::Meter;

/// The D1 binding as the tenant's [`Database`], metered.
pub struct D1TenantDatabase<'a> {
    db: &'a D1Database,
    meter: &'a Meter,
}

impl<'a> D1TenantDatabase<'a> {
    pub fn new(db: &'a D1Database, meter: &'a Meter) -> Self {
        Self { db, meter }
    }
}

fn bind(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        // Times, counts and versions: far within 2^53.
        Value::Integer(i) => JsValue::from_f64(*i as f64),
        Value::Text(s) => JsValue::from_str(s),
    }
}

/// D1's errors carry SQLite's text: a broken constraint says so.
fn classify(err: worker::Error) -> DatabaseError {
    let detail = match &err {
        worker::Error::D1(d1) => {
            let error: &worker::js_sys::Error = d1.as_ref();
            format!("{} ({})", String::from(error.message()), d1.cause())
        }
        other => other.to_string(),
    };
    if detail.to_ascii_lowercase().contains("constraint failed") {
        DatabaseError::Constraint(detail)
    } else {
        DatabaseError::Unavailable(detail)
    }
}

impl Database for D1TenantDatabase<'_> {
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Row>>, DatabaseError> {
        let count = statements.len() as u32;
        let mut prepared = Vec::with_capacity(statements.len());
        for statement in &statements {
            let params: Vec<JsValue> = statement.params.iter().map(bind).collect();
            let bound = self
                .db
                .prepare(statement.sql.as_ref())
                .bind(&params)
                .map_err(classify)?;
            prepared.push(bound);
        }
        let results = Meter::time(
            &self.meter.d1_statements,
            &self.meter.d1_millis,
            count,
            self.db.batch(prepared),
        )
        .await
        .map_err(classify)?;
        self.meter.d1_batches.set(self.meter.d1_batches.get() + 1);
        results
            .into_iter()
            .map(|result| {
                let rows: Vec<Json> = result.results().map_err(classify)?;
                rows.into_iter()
                    .map(|row| match row {
                        Json::Object(map) => Ok(map),
                        other => Err(DatabaseError::Unavailable(format!(
                            "d1 returned a row that is not an object: {other}"
                        ))),
                    })
                    .collect()
            })
            .collect()
    }
}
