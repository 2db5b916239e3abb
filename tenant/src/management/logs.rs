//! The audit log: management and security events in the store, read back
//! through `GET /api/v2/logs` with Auth0's paging.
//!
//! Each event is its own record under `log:{inverted time}{suffix}`, so a
//! prefix listing returns the newest first and no write ever touches
//! another event's key (KV has no transactions). Records expire after
//! [`RETENTION_SECONDS`]. An event names who acted and on what, never a
//! secret, a password or a token.

use shared::logs::{event_type, Actor, LogDetails, LogEvent, LoggedRequest, Target};
use shared::protocol::ActorKind;

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::Paging;
use crate::seams::clock::rfc3339_millis;
use crate::seams::crypto::CryptoBackend;
use crate::seams::random;
use crate::seams::store::{get_json, put_json_expiring, PendingWrite, Store};
use crate::{Caller, Tenant};

/// How long events are kept: 30 days, as Auth0's longest retention.
pub const RETENTION_SECONDS: u64 = 30 * 24 * 3600;
/// Auth0 pages through at most the first 1000 events with `page`/`per_page`;
/// older ones are reached with `from`/`take`.
pub const MAX_PAGED_EVENTS: u64 = 1000;
/// Most events one `from`/`take` call returns.
pub const MAX_TAKE: u64 = 100;
/// Most events a checkpoint may lie behind the newest one. KV lists newest
/// first and cannot start at a key, so a read from a checkpoint lists every
/// newer event; this bounds it to a few list calls.
pub const MAX_CHECKPOINT_LAG: usize = 10_000;

const PREFIX: &str = "log:";
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

/// A log id is `{milliseconds}{random suffix}`, so later events have
/// greater ids. Its key complements every character within its alphabet
/// (digits for the time, [0-9A-Za-z] for the suffix): a prefix listing, in
/// ascending key order, then returns ids in descending order, newest first.
fn complement(id_or_key: &str) -> Option<String> {
    if id_or_key.len() != TIME_DIGITS + SUFFIX_LEN || !id_or_key.is_ascii() {
        return None;
    }
    let (time, suffix) = id_or_key.as_bytes().split_at(TIME_DIGITS);
    let mut out = String::with_capacity(id_or_key.len());
    for &b in time {
        if !b.is_ascii_digit() {
            return None;
        }
        out.push((b'9' - (b - b'0')) as char);
    }
    for &b in suffix {
        let index = ALPHANUMERIC.iter().position(|&c| c == b)?;
        out.push(ALPHANUMERIC[ALPHANUMERIC.len() - 1 - index] as char);
    }
    Some(out)
}

fn key_of(log_id: &str) -> Option<String> {
    complement(log_id).map(|key| format!("{PREFIX}{key}"))
}

fn id_of(key: &str) -> Option<String> {
    complement(key.strip_prefix(PREFIX)?)
}

/// How a listing pages: Auth0's offset paging over the newest events, or
/// its checkpoint paging (`from` an event id, `take` the next ones after it,
/// oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogQuery {
    Page(Paging),
    Checkpoint { from: String, take: u64 },
}

impl LogQuery {
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self> {
        let invalid =
            |message: String| Error::management(ManagementErrorCode::InvalidQueryString, message);
        let value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.as_str())
        };
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
            return Ok(Self::Page(paging));
        };
        if key_of(from).is_none() {
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
        Ok(Self::Checkpoint {
            from: from.to_string(),
            take,
        })
    }
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// Appends an event, stamped with a new id, the time and the caller.
    pub async fn log(&self, event: NewEvent) -> Result<LogEvent> {
        let (key, record) = self.stamp(event);
        put_json_expiring(self.store, &key, &record, RETENTION_SECONDS).await?;
        Ok(record)
    }

    /// Appends an event after the response: for a change that has already
    /// happened, whose answer must neither wait for the write nor fail
    /// with it (a failed write is reported to the Worker's log). The event
    /// is stamped now.
    pub(crate) fn defer_log(&self, event: NewEvent) {
        let (key, record) = self.stamp(event);
        let value = serde_json::to_string(&record).expect("records serialize to JSON");
        self.deferred.borrow_mut().push(PendingWrite {
            key,
            value,
            ttl_seconds: RETENTION_SECONDS,
        });
    }

    /// An event with its new id, the time and the caller, and its key.
    fn stamp(&self, event: NewEvent) -> (String, LogEvent) {
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
        let record = LogEvent {
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
        };
        let key = key_of(&record.log_id).expect("a fresh log id is well formed");
        (key, record)
    }

    /// `GET /api/v2/logs`.
    pub async fn list_logs(&self, query: &LogQuery) -> Result<serde_json::Value> {
        match query {
            LogQuery::Page(paging) => {
                // Pages reach only the newest MAX_PAGED_EVENTS, and so does
                // the total: the listing stays one or two list calls.
                let wanted = if paging.include_totals {
                    MAX_PAGED_EVENTS
                } else {
                    paging
                        .page
                        .saturating_add(1)
                        .saturating_mul(paging.per_page)
                };
                let keys = self.newest_keys(wanted as usize, None).await?;
                let range = paging.range(keys.len());
                let events = self.events(&keys[range]).await?;
                Ok(crate::management::Listing {
                    items: events,
                    paging: *paging,
                    total: keys.len(),
                }
                .to_json("logs"))
            }
            LogQuery::Checkpoint { from, take } => {
                let from_key = key_of(from).expect("checked when parsed");
                let mut newer = self
                    .newest_keys(MAX_CHECKPOINT_LAG + 1, Some(&from_key))
                    .await?;
                if newer.len() > MAX_CHECKPOINT_LAG {
                    return Err(Error::management(
 ManagementErrorCode::InvalidQueryString,
                        format!(
                            "Query validation error: from is more than {MAX_CHECKPOINT_LAG} events behind the newest; read on from a later checkpoint"
                        ),
                    ));
                }
                newer.reverse(); // oldest first, starting right after `from`
                newer.truncate(*take as usize);
                let events = self.events(&newer).await?;
                Ok(serde_json::to_value(events).expect("DTOs serialize"))
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
        let key = key_of(log_id).ok_or_else(not_found)?;
        get_json(self.store, &key).await?.ok_or_else(not_found)
    }

    /// Event keys, newest first: at most `limit`, and only those newer than
    /// `before` (a key) when given.
    async fn newest_keys(&self, limit: usize, before: Option<&str>) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.store.list(PREFIX, cursor.as_deref()).await?;
            for key in page.keys {
                if before.is_some_and(|before| key.as_str() >= before) {
                    return Ok(keys);
                }
                keys.push(key);
                if keys.len() >= limit {
                    return Ok(keys);
                }
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// The events at `keys`, skipping any that expired since they were listed.
    async fn events(&self, keys: &[String]) -> Result<Vec<LogEvent>> {
        let mut events = Vec::with_capacity(keys.len());
        for key in keys {
            if id_of(key).is_none() {
                continue;
            }
            if let Some(event) = get_json::<LogEvent>(self.store, key).await? {
                events.push(event);
            }
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(query).unwrap()
    }

    #[test]
    fn ids_and_keys_map_both_ways_and_keys_sort_newest_first() {
        // Ascending ids: later milliseconds, then a greater suffix.
        let ids = [
            "1763800000000ABCDEFGHIJKLM",
            "1763800000000ABCDEFGHIJKLz",
            "17638000000010000000000000",
            "1763800000001zzzzzzzzzzzzz",
        ];
        let keys: Vec<String> = ids.iter().map(|id| key_of(id).unwrap()).collect();
        let mut listed = keys.clone();
        listed.sort();
        let newest_first: Vec<String> = keys.iter().rev().cloned().collect();
        assert_eq!(
            listed, newest_first,
            "a prefix listing returns the newest first"
        );
        for (id, key) in ids.iter().zip(&keys) {
            assert_eq!(id_of(key).as_deref(), Some(*id));
        }
    }

    #[test]
    fn malformed_ids_have_no_key() {
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
            assert_eq!(key_of(id), None, "{id:?}");
        }
    }

    #[test]
    fn queries_page_or_take_from_a_checkpoint() {
        assert!(matches!(
            LogQuery::from_query(&pairs("page=1&per_page=10")).unwrap(),
            LogQuery::Page(Paging {
                page: 1,
                per_page: 10,
                ..
            })
        ));
        assert_eq!(
            LogQuery::from_query(&pairs("from=1763800000000ABCDEFGHIJKLM&take=5")).unwrap(),
            LogQuery::Checkpoint {
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
