//! Sign-in sessions and remembered consent.
//!
//! A session is what the hosted login leaves behind so the next
//! `/authorize` does not ask again: a random id in an `HttpOnly` cookie, and
//! a row of `sessions` under the id's SHA-256, so the database never holds
//! a usable cookie. Sessions end at a fixed lifetime (the scheduled task
//! deletes them then), at logout, and for every session of a person at
//! once when their password changes or they are blocked (the user's
//! `session_epoch`).
//!
//! Consent is remembered per user and client in `consents`: one row per
//! audience and scope granted, so allowing more is an insert that can
//! never lose what a concurrent sign-in allowed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::management::users::UserRecord;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::random;
use crate::seams::store::Store;
use crate::Tenant;

/// A session lasts a week from sign-in, then the person signs in again.
pub const SESSION_LIFETIME: u64 = 7 * 24 * 3600;
/// 32 random bytes, base64url.
const SESSION_ID_BYTES: usize = 32;
const SESSION_ID_LEN: usize = 43;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub user_id: String,
    /// When the person last entered their password (OIDC `auth_time`).
    pub auth_time: u64,
    pub expires_at: u64,
    /// The issuer the person signed in to: a session is never honoured by
    /// a deployment with another issuer, even on a shared store.
    #[serde(default)]
    pub issuer: String,
    /// The user's `session_epoch` at sign-in; a new password or blocking
    /// moves the user's on, which ends this session.
    #[serde(default)]
    pub epoch: u64,
}

impl SessionRecord {
    /// The statement storing a new session under the hash of its id.
    pub fn insert(&self, id_hash: &str) -> Statement {
        Statement::new(
            "INSERT INTO sessions (id_hash, user_id, issuer, auth_time, expires_at, epoch) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id_hash)
        .bind(&self.user_id)
        .bind(&self.issuer)
        .bind(self.auth_time)
        .bind(self.expires_at)
        .bind(self.epoch)
    }
}

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct Session {
    pub record: SessionRecord,
    pub user: UserRecord,
    /// The row's key (the SHA-256 of the cookie's id): what an
    /// authorization code is bound to.
    pub id_hash: String,
}

/// Scopes a user granted a client, keyed by audience (`""` for the OpenID
/// Connect scopes that go to the client itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub granted: BTreeMap<String, BTreeSet<String>>,
    pub updated_at: u64,
}

impl ConsentRecord {
    /// Whether the person consented to `audience` and to each of `scopes`
    /// on it: an audience never consented to is not covered, even for no
    /// scopes.
    pub fn covers(&self, audience: &str, scopes: &Scope) -> bool {
        self.granted
            .get(audience)
            .is_some_and(|granted| scopes.iter().all(|scope| granted.contains(scope)))
    }
}

/// The row's id: the cookie's id hashed.
pub(crate) fn session_hash(session_id: &str) -> String {
    crate::primitives::opaque::stored_hash(session_id)
}

fn is_well_formed_session_id(session_id: &str) -> bool {
    session_id.len() == SESSION_ID_LEN
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The statement adding what a person allowed a client, per audience:
/// rows are only ever added.
pub fn consent_insert<'g, S: AsRef<str>>(
    user_id: &str,
    client_id: &str,
    granted: impl IntoIterator<Item = (&'g str, impl IntoIterator<Item = S>)>,
    now: u64,
) -> Statement {
    let mut rows: Vec<[String; 2]> = Vec::new();
    for (audience, scopes) in granted {
        // The audience itself, even with no scope on it.
        rows.push([audience.to_string(), String::new()]);
        rows.extend(
            scopes
                .into_iter()
                .map(|scope| [audience.to_string(), scope.as_ref().to_string()]),
        );
    }
    Statement::new(
        "INSERT OR IGNORE INTO consents (user_id, client_id, audience, scope, granted_at) \
         SELECT ?1, ?2, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?3 \
         FROM json_each(?4)",
    )
    .bind(user_id)
    .bind(client_id)
    .bind(now)
    .bind(serde_json::to_string(&rows).expect("strings serialize"))
}

/// A session's row with its user's.
#[derive(Deserialize)]
struct SessionRow {
    user_id: String,
    issuer: String,
    auth_time: u64,
    expires_at: u64,
    epoch: u64,
    doc: String,
    version: i64,
    logins_count: u64,
    last_login: Option<u64>,
}

#[derive(Deserialize)]
struct ConsentRow {
    audience: String,
    scope: String,
    granted_at: u64,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A session for a user who just signed in: the cookie value (the only
    /// copy of the session id), the record, and the statement storing it,
    /// for the batch that completes the sign-in.
    pub(crate) fn new_session(&self, user: &UserRecord) -> (String, SessionRecord, Statement) {
        let session_id = random::token(self.rng, SESSION_ID_BYTES);
        let now = self.clock.now();
        let record = SessionRecord {
            user_id: user.user_id.clone(),
            auth_time: now,
            expires_at: now + SESSION_LIFETIME,
            issuer: self.issuer().to_string(),
            epoch: user.session_epoch,
        };
        let insert = record.insert(&session_hash(&session_id));
        (session_id, record, insert)
    }

    /// The session a cookie names, if it is live, was started with this
    /// issuer, and its user still exists, is not blocked and has neither
    /// changed password nor been blocked since: one query.
    pub async fn session(&self, session_id: Option<&str>) -> Result<Option<Session>> {
        let Some(session_id) = session_id.filter(|id| is_well_formed_session_id(id)) else {
            return Ok(None);
        };
        let id_hash = session_hash(session_id);
        let row: Option<SessionRow> = database::first(
            self.db,
            Statement::new(
                "SELECT s.user_id, s.issuer, s.auth_time, s.expires_at, s.epoch, \
                 u.doc, u.version, u.logins_count, u.last_login \
                 FROM sessions AS s JOIN users AS u ON u.user_id = s.user_id WHERE s.id_hash = ?1",
            )
            .bind(&id_hash),
        )
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        if row.expires_at <= self.clock.now() || row.issuer != self.issuer() {
            return Ok(None);
        }
        let mut user: UserRecord = database::Versioned {
            doc: row.doc,
            version: row.version,
        }
        .record()?;
        user.logins_count = row.logins_count;
        user.last_login = row.last_login;
        if user.blocked || user.session_epoch != row.epoch {
            return Ok(None);
        }
        Ok(Some(Session {
            id_hash,
            record: SessionRecord {
                user_id: row.user_id,
                auth_time: row.auth_time,
                expires_at: row.expires_at,
                issuer: row.issuer,
                epoch: row.epoch,
            },
            user,
        }))
    }

    pub async fn end_session(&self, session_id: Option<&str>) -> Result<()> {
        match session_id.filter(|id| is_well_formed_session_id(id)) {
            Some(session_id) => {
                database::run(
                    self.db,
                    vec![Statement::new("DELETE FROM sessions WHERE id_hash = ?1")
                        .bind(session_hash(session_id))],
                )
                .await
            }
            None => Ok(()),
        }
    }

    /// What the person allowed the client: one query.
    pub async fn consent(&self, user_id: &str, client_id: &str) -> Result<ConsentRecord> {
        let rows: Vec<ConsentRow> = database::all(
            self.db,
            Statement::new(
                "SELECT audience, scope, granted_at FROM consents WHERE user_id = ?1 AND client_id = ?2",
            )
            .bind(user_id)
            .bind(client_id),
        )
        .await?;
        let mut record = ConsentRecord::default();
        for row in rows {
            let granted = record.granted.entry(row.audience).or_default();
            if !row.scope.is_empty() {
                granted.insert(row.scope);
            }
            record.updated_at = record.updated_at.max(row.granted_at);
        }
        Ok(record)
    }

    /// Adds what the person just allowed, per audience, in one statement
    /// that only ever adds rows.
    pub(crate) async fn remember_consent(
        &self,
        user_id: &str,
        client_id: &str,
        granted: &[(&str, &Scope)],
    ) -> Result<()> {
        let granted = granted
            .iter()
            .map(|(audience, scopes)| (*audience, scopes.iter()));
        database::run(
            self.db,
            vec![consent_insert(
                user_id,
                client_id,
                granted,
                self.clock.now(),
            )],
        )
        .await
    }

    /// The scheduled task's part: deletes sessions that have ended, at most
    /// `limit`. Returns how many.
    pub async fn delete_ended_sessions(&self, limit: u64) -> Result<usize> {
        let rows = self
            .db
            .rows(
                Statement::new(
                    "DELETE FROM sessions WHERE id_hash IN \
                     (SELECT id_hash FROM sessions WHERE expires_at <= ?1 LIMIT ?2) RETURNING 1 AS n",
                )
                .bind(self.clock.now())
                .bind(limit),
            )
            .await?;
        Ok(rows.len())
    }
}
