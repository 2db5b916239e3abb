//! The audit log: management and security events in the `logs` table,
//! read back through `GET /api/v2/logs` with Auth0's paging and search.
//!
//! A log id is `{milliseconds}{random suffix}`, the table's primary key,
//! so events sort by time: the newest page, a checkpoint (`from`) and a
//! date range are each one range of an index, at any depth. The scheduled
//! task deletes events older than [`RETENTION_SECONDS`]. An event names who
//! acted and on what, never a secret, a password or a token.

use shared::logs::{event_type, Actor, LogDetails, LogEvent, LoggedRequest, Target};
use shared::protocol::ActorKind;

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::Paging;
use crate::seams::clock::rfc3339_millis;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Count, Database, Doc, Statement, Value};
use crate::seams::random;
use crate::seams::store::Store;
use crate::{Caller, Tenant};

/// How long events are kept: 30 days, as Auth0's longest retention.
pub const RETENTION_SECONDS: u64 = 30 * 24 * 3600;
/// Auth0 pages through at most the first 1000 events with `page`/`per_page`;
/// older ones are reached with `from`/`take`.
pub const MAX_PAGED_EVENTS: u64 = 1000;
/// Most events one `from`/`take` call returns.
pub const MAX_TAKE: u64 = 100;
/// Most events the scheduled task deletes in one run.
pub const RETENTION_BATCH: u64 = 5_000;
/// Milliseconds are written as 13 digits: enough until the year 2286.
const TIME_DIGITS: usize = 13;
const LATEST_MILLI: u64 = 9_999_999_999_999;
const SUFFIX_LEN: usize = 13;
const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Longest user agent kept in an event.
const MAX_USER_AGENT: usize = 256;

/// An event before it is stamped with its id, time and caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_type: &'static str,
    pub description: String,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub details: LogDetails,
}

impl NewEvent {
    /// A login or signup at the hosted pages, through `client_id`: by
    /// `user_id` when it succeeded, tried as `user_name` either way. What
    /// was typed as the email is kept only if it is one: a password typed
    /// into the wrong field is not written down.
    pub fn sign_in(
        event_type: &'static str,
        description: &str,
        client_id: &str,
        user_id: Option<&str>,
        user_name: &str,
        reason: Option<&str>,
    ) -> Self {
        let actor = match user_id {
            Some(user_id) => actor(ActorKind::User, user_id),
            None => anonymous(),
        };
        Self {
            event_type,
            description: description.to_string(),
            client_id: Some(client_id.to_string()),
            user_id: user_id.map(str::to_string),
            user_name: crate::management::users::normalize_email(user_name).ok(),
            details: LogDetails {
                actor,
                target: Some(target("user", user_id)),
                request: None,
                reason: reason.map(str::to_string),
            },
        }
    }

    /// A successful Management API or registration call (`sapi`).
    pub fn api_operation(
        actor: Actor,
        client_id: Option<String>,
        description: &str,
        target: Target,
        caller: &Caller,
    ) -> Self {
        Self {
            event_type: event_type::SUCCESS_API_OPERATION,
            description: description.to_string(),
            client_id,
            user_id: None,
            user_name: None,
            details: LogDetails {
                actor,
                target: Some(target),
                request: Some(LoggedRequest {
                    method: caller.method.clone(),
                    path: caller.path.clone(),
                }),
                reason: None,
            },
        }
    }
}

/// Who a Management API token speaks for: the client itself for a
/// `client_credentials` token, otherwise the user it was issued to.
pub fn token_actor(token: &VerifiedAccessToken) -> Actor {
    if token.claims.gty.as_deref() == Some("client-credentials") {
        actor(ActorKind::Client, &token.claims.client_id)
    } else {
        actor(ActorKind::User, &token.claims.sub)
    }
}

pub fn actor(kind: ActorKind, id: &str) -> Actor {
    Actor {
        kind,
        id: Some(id.to_string()),
    }
}

/// Someone not (yet) identified: an open registration, a failed login.
pub fn anonymous() -> Actor {
    Actor {
        kind: ActorKind::Anonymous,
        id: None,
    }
}

pub fn target(kind: &str, id: Option<&str>) -> Target {
    Target {
        kind: kind.to_string(),
        id: id.map(str::to_string),
    }
}

/// Whether `id` is a log id: 13 digits of milliseconds, then 13 letters
/// or digits.
pub fn is_well_formed_log_id(id: &str) -> bool {
    id.len() == TIME_DIGITS + SUFFIX_LEN
        && id.is_ascii()
        && id.as_bytes()[..TIME_DIGITS].iter().all(u8::is_ascii_digit)
        && id.as_bytes()[TIME_DIGITS..]
            .iter()
            .all(|b| ALPHANUMERIC.contains(b))
}

/// The smallest log id of an event at `millis` or later.
fn id_floor(millis: u64) -> String {
    format!("{:0TIME_DIGITS$}", millis.min(LATEST_MILLI))
}

/// How a listing pages: Auth0's offset paging over the newest events, or
/// its checkpoint paging (`from` an event id, `take` the next ones after it,
/// oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogWindow {
    Page(Paging),
    Checkpoint { from: String, take: u64 },
}

/// Which events a listing returns: `q` in Auth0's syntax, as far as an
/// index answers it: `type:`, `user_id:`, `client_id:` (exact values) and
/// `date:[from TO to]` (RFC 3339 times or dates, both ends included, `*`
/// for an open end), combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub event_type: Option<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// Milliseconds, inclusive.
    pub since: Option<u64>,
    /// Milliseconds, inclusive.
    pub until: Option<u64>,
}

/// A `GET /api/v2/logs` query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    pub window: LogWindow,
    pub filter: LogFilter,
}

fn invalid(message: String) -> Error {
    Error::management(ManagementErrorCode::InvalidQueryString, message)
}

impl LogFilter {
    pub fn parse(q: &str) -> Result<Self> {
        let mut filter = Self::default();
        if q.len() > 512 {
            return Err(invalid(
                "Query validation error: q may be at most 512 characters".into(),
            ));
        }
        // Ranges hold spaces (`[a TO b]`): glue them back together.
        let mut tokens: Vec<String> = Vec::new();
        for word in q.split_whitespace() {
            match tokens.last_mut() {
                Some(open) if open.contains('[') && !open.contains(']') => {
                    open.push(' ');
                    open.push_str(word);
                }
                _ => tokens.push(word.to_string()),
            }
        }
        for token in tokens.iter().filter(|t| t.as_str() != "AND") {
            let bad = || {
                invalid(format!(
                    "Query validation error: '{}' is not supported; search type:, user_id:, client_id: or date:[from TO to], combined with AND",
                    echo(token)
                ))
            };
            let (field, value) = token.split_once(':').ok_or_else(bad)?;
            let value = value.trim_matches('"');
            if value.is_empty() || value.contains('*') && field != "date" {
                return Err(bad());
            }
            let slot = match field {
                "type" => &mut filter.event_type,
                "user_id" => &mut filter.user_id,
                "client_id" => &mut filter.client_id,
                "date" => {
                    let range = value
                        .strip_prefix('[')
                        .and_then(|v| v.strip_suffix(']'))
                        .ok_or_else(bad)?;
                    let (since, until) = range.split_once(" TO ").ok_or_else(bad)?;
                    filter.since = bound(since.trim(), false).ok_or_else(bad)?;
                    filter.until = bound(until.trim(), true).ok_or_else(bad)?;
                    continue;
                }
                _ => return Err(bad()),
            };
            if value.len() > 256 {
                return Err(bad());
            }
            *slot = Some(value.to_string());
        }
        Ok(filter)
    }

    /// ` AND ...` conditions on `logs` and their parameters, numbered from
    /// `first`.
    fn conditions(&self, first: usize) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut params: Vec<Value> = Vec::new();
        for (column, value) in [
            ("type", &self.event_type),
            ("user_id", &self.user_id),
            ("client_id", &self.client_id),
        ] {
            if let Some(value) = value {
                params.push(value.into());
                sql.push_str(&format!(" AND {column} = ?{}", first + params.len() - 1));
            }
        }
        if let Some(since) = self.since {
            params.push(id_floor(since).into());
            sql.push_str(&format!(" AND log_id >= ?{}", first + params.len() - 1));
        }
        if let Some(until) = self.until {
            params.push(id_floor(until.saturating_add(1)).into());
            sql.push_str(&format!(" AND log_id < ?{}", first + params.len() - 1));
        }
        (sql, params)
    }
}

/// One end of a date range, in milliseconds: `*` is open (`None`); a date
/// alone is its first millisecond or, as an upper end, its last.
fn bound(text: &str, upper: bool) -> Option<Option<u64>> {
    if text == "*" {
        return Some(None);
    }
    let millis = if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        time.timestamp_millis()
    } else {
        let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let start = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
        if upper {
            start + 86_400_000 - 1
        } else {
            start
        }
    };
    u64::try_from(millis).ok().map(Some)
}

impl LogQuery {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.as_str())
        };
        let filter = value("q")
            .map(LogFilter::parse)
            .transpose()?
            .unwrap_or_default();
        let Some(from) = value("from") else {
            if value("take").is_some() {
                return Err(invalid(
                    "Query validation error: take is only allowed with from".into(),
                ));
            }
            let paging = Paging::from_query(pairs)?;
            if paging
                .page
                .saturating_add(1)
                .saturating_mul(paging.per_page)
                > MAX_PAGED_EVENTS
            {
                return Err(invalid(format!(
                    "Query validation error: page and per_page reach only the newest {MAX_PAGED_EVENTS} events; use from and take for older ones"
                )));
            }
            return Ok(Self {
                window: LogWindow::Page(paging),
                filter,
            });
        };
        if !is_well_formed_log_id(from) {
            return Err(invalid(format!(
                "Query validation error: invalid value for from: '{}'",
                echo(from)
            )));
        }
        let take = match value("take") {
            None => Paging::DEFAULT_PER_PAGE,
            Some(take) => take
                .parse()
                .ok()
                .filter(|n| (1..=MAX_TAKE).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "Query validation error: invalid value for take: '{}'",
                        echo(take)
                    ))
                })?,
        };
        Ok(Self {
            window: LogWindow::Checkpoint {
                from: from.to_string(),
                take,
            },
            filter,
        })
    }
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Appends an event, stamped with a new id, the time and the caller.
    pub async fn log(&self, event: NewEvent) -> Result<LogEvent> {
        let record = self.stamp(event);
        database::run(self.db, vec![insert(&record)]).await?;
        Ok(record)
    }

    /// The statement appending an event, for a batch that must not commit
    /// without it (a sign-in).
    pub(crate) fn log_statement(&self, event: NewEvent) -> Statement {
        insert(&self.stamp(event))
    }

    /// Appends an event after the response: for a change that has already
    /// happened, whose answer must neither wait for the write nor fail
    /// with it (a failed write is reported to the Worker's log). The event
    /// is stamped now.
    pub(crate) fn defer_log(&self, event: NewEvent) {
        let record = self.stamp(event);
        self.deferred.borrow_mut().push(insert(&record));
    }

    /// An event with its new id, the time and the caller.
    fn stamp(&self, event: NewEvent) -> LogEvent {
        let now = self.clock.now_millis().min(LATEST_MILLI);
        let log_id = format!(
            "{now:0TIME_DIGITS$}{}",
            random::alphanumeric(self.rng, SUFFIX_LEN)
        );
        let user_agent = self
            .caller
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        LogEvent {
            date: rfc3339_millis(now),
            event_type: event.event_type.to_string(),
            description: event.description,
            ip: self.caller.ip.clone(),
            user_agent,
            client_id: event.client_id,
            user_id: event.user_id,
            user_name: event.user_name,
            details: event.details,
            log_id,
        }
    }

    /// `GET /api/v2/logs`: two queries at most, on indexes, however long
    /// the log.
    pub async fn list_logs(&self, query: &LogQuery) -> Result<serde_json::Value> {
        match &query.window {
            LogWindow::Page(paging) => {
                let (conditions, params) = query.filter.conditions(1);
                let select = params.iter().cloned().fold(
                    Statement::new(format!(
                        "SELECT doc FROM logs WHERE true{conditions} ORDER BY log_id DESC LIMIT ? OFFSET ?"
                    )),
                    Statement::bind,
                );
                let window = paging.window();
                let mut statements = vec![select.bind(window.limit).bind(window.offset)];
                if paging.include_totals {
                    // Pages reach only the newest MAX_PAGED_EVENTS, and so
                    // does the total.
                    statements.push(params.iter().cloned().fold(
                        Statement::new(format!(
                            "SELECT count(*) AS n FROM (SELECT 1 FROM logs WHERE true{conditions} LIMIT {MAX_PAGED_EVENTS})"
                        )),
                        Statement::bind,
                    ));
                }
                let mut results = self.db.batch(statements).await?.into_iter();
                let events = events(results.next().unwrap_or_default())?;
                let total = match results.next().and_then(|rows| rows.into_iter().next()) {
                    Some(row) => database::decode::<Count>(row)?.n as usize,
                    None => window.offset as usize + events.len(),
                };
                Ok(crate::management::Listing {
                    items: events,
                    paging: *paging,
                    total,
                }
                .to_json("logs"))
            }
            LogWindow::Checkpoint { from, take } => {
                let (conditions, params) = query.filter.conditions(2);
                let take_param = params.len() + 2;
                let select = params.into_iter().fold(
                    Statement::new(format!(
                        "SELECT doc FROM logs WHERE log_id > ?1{conditions} ORDER BY log_id LIMIT ?{take_param}"
                    ))
                    .bind(from.as_str()),
                    Statement::bind,
                );
                let rows = self.db.rows(select.bind(*take)).await?;
                Ok(serde_json::to_value(events(rows)?).expect("DTOs serialize"))
            }
        }
    }

    /// `GET /api/v2/logs/{id}`.
    pub async fn get_log(&self, log_id: &str) -> Result<LogEvent> {
        let not_found = || {
            Error::not_found(
                ManagementErrorCode::InexistentLog,
                "The log event does not exist",
            )
        };
        if !is_well_formed_log_id(log_id) {
            return Err(not_found());
        }
        let row: Option<Doc> = database::first(
            self.db,
            Statement::new("SELECT doc FROM logs WHERE log_id = ?1").bind(log_id),
        )
        .await?;
        row.ok_or_else(not_found)?.record()
    }

    /// The scheduled task's part: deletes events older than the retention
    /// period, at most [`RETENTION_BATCH`] (the oldest first). Returns how
    /// many.
    pub async fn delete_expired_logs(&self) -> Result<usize> {
        let cutoff = self
            .clock
            .now_millis()
            .saturating_sub(RETENTION_SECONDS * 1000);
        let rows = self
            .db
            .rows(
                Statement::new(
                    "DELETE FROM logs WHERE log_id IN \
                     (SELECT log_id FROM logs WHERE log_id < ?1 ORDER BY log_id LIMIT ?2) RETURNING 1 AS n",
                )
                .bind(id_floor(cutoff))
                .bind(RETENTION_BATCH),
            )
            .await?;
        Ok(rows.len())
    }
}

/// The statement appending `event`.
pub fn insert(event: &LogEvent) -> Statement {
    Statement::new(
        "INSERT INTO logs (log_id, type, user_id, client_id, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&event.log_id)
    .bind(&event.event_type)
    .bind(event.user_id.as_deref())
    .bind(event.client_id.as_deref())
    .bind(database::doc(event))
}

fn events(rows: Vec<database::Row>) -> Result<Vec<LogEvent>> {
    rows.into_iter()
        .map(|row| database::decode::<Doc>(row)?.record())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn malformed_ids_are_refused() {
        assert!(is_well_formed_log_id("1763800000000ABCDEFGHIJKLM"));
        for id in [
            "",
            "1763800000000",
            "1763800000000ABCDEFGHIJKL",   // short suffix
            "1763800000000ABCDEFGHIJKLMN", // long suffix
            "17638000000x0ABCDEFGHIJKLM",
            "1763800000000ABCDEFGHIJKL/",
            "+763800000000ABCDEFGHIJKLM",
            "1763800000000ABCDEFGHIJKé",
        ] {
            assert!(!is_well_formed_log_id(id), "{id:?}");
        }
    }

    #[test]
    fn searches_are_indexed_fields_and_date_ranges() {
        let filter = LogFilter::parse(
            r#"type:sapi AND user_id:"auth0|abc" date:[2026-01-01 TO 2026-01-02T00:00:00Z]"#,
        )
        .unwrap();
        assert_eq!(filter.event_type.as_deref(), Some("sapi"));
        assert_eq!(filter.user_id.as_deref(), Some("auth0|abc"));
        assert_eq!(filter.since, Some(1_767_225_600_000));
        assert_eq!(filter.until, Some(1_767_312_000_000));
        let open = LogFilter::parse("date:[* TO 2026-01-01]").unwrap();
        assert_eq!((open.since, open.until), (None, Some(1_767_311_999_999)));
        for bad in [
            "sapi",
            "description:x",
            "type:s*",
            "date:2026-01-01",
            "date:[yesterday TO *]",
            "type:a OR type:b",
        ] {
            assert_eq!(LogFilter::parse(bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn queries_page_or_take_from_a_checkpoint() {
        assert!(matches!(
            LogQuery::from_query(&pairs("page=1&per_page=10"))
                .unwrap()
                .window,
            LogWindow::Page(Paging {
                page: 1,
                per_page: 10,
                ..
            })
        ));
        assert_eq!(
            LogQuery::from_query(&pairs("from=1763800000000ABCDEFGHIJKLM&take=5"))
                .unwrap()
                .window,
            LogWindow::Checkpoint {
                from: "1763800000000ABCDEFGHIJKLM".into(),
                take: 5
            }
        );
        for bad in [
            "take=5",
            "from=nope",
            "from=1763800000000ABCDEFGHIJKLM&take=0",
            "from=1763800000000ABCDEFGHIJKLM&take=101",
            "page=10&per_page=100",
        ] {
            let err = LogQuery::from_query(&pairs(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }
}
