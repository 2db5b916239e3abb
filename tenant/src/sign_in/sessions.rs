//! Sign-in sessions and remembered consent.
//!
//! A session is what the hosted login leaves behind so the next
//! `/authorize` does not ask again: a random id in an `HttpOnly` cookie, and
//! `session/{sha256(id)}` in the store, so the store never holds a usable
//! cookie. Sessions end at a fixed lifetime (the store forgets them then
//! too), at logout, and for every session of a person at once when their
//! password changes or they are blocked (the user's `session_epoch`).
//!
//! Consent is remembered per user and client under
//! `consent/{user_id}/{client_id}`: the scopes granted, per audience.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::management::users::UserRecord;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

const SESSION_PREFIX: &str = "session/";
const CONSENT_PREFIX: &str = "consent/";
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

/// A live session and its user.
#[derive(Debug, Clone)]
pub struct Session {
    pub record: SessionRecord,
    pub user: UserRecord,
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

fn session_key(session_id: &str) -> String {
    let digest = Sha256::digest(session_id.as_bytes());
    format!("{SESSION_PREFIX}{}", URL_SAFE_NO_PAD.encode(digest))
}

fn is_well_formed_session_id(session_id: &str) -> bool {
    session_id.len() == SESSION_ID_LEN
        && session_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn consent_key(user_id: &str, client_id: &str) -> String {
    format!("{CONSENT_PREFIX}{user_id}/{client_id}")
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    /// Starts a session for a user who just signed in; returns the cookie
    /// value (the only copy of the session id) and the record.
    pub async fn start_session(&self, user: &UserRecord) -> Result<(String, SessionRecord)> {
        let session_id = random::token(self.rng, SESSION_ID_BYTES);
        let now = self.clock.now();
        let record = SessionRecord {
            user_id: user.user_id.clone(),
            auth_time: now,
            expires_at: now + SESSION_LIFETIME,
            issuer: self.issuer().to_string(),
            epoch: user.session_epoch,
        };
        store::put_json_expiring(
            self.store,
            &session_key(&session_id),
            &record,
            SESSION_LIFETIME,
        )
        .await?;
        Ok((session_id, record))
    }

    /// The session a cookie names, if it is live, was started with this
    /// issuer, and its user still exists, is not blocked and has neither
    /// changed password nor been blocked since (two store reads).
    pub async fn session(&self, session_id: Option<&str>) -> Result<Option<Session>> {
        let Some(session_id) = session_id.filter(|id| is_well_formed_session_id(id)) else {
            return Ok(None);
        };
        let Some(record) =
            store::get_json::<SessionRecord>(self.store, &session_key(session_id)).await?
        else {
            return Ok(None);
        };
        if record.expires_at <= self.clock.now() || record.issuer != self.issuer() {
            return Ok(None);
        }
        let user = self.user(&record.user_id).await?;
        Ok(user
            .filter(|user| !user.blocked && user.session_epoch == record.epoch)
            .map(|user| Session { record, user }))
    }

    pub async fn end_session(&self, session_id: Option<&str>) -> Result<()> {
        match session_id.filter(|id| is_well_formed_session_id(id)) {
            Some(session_id) => self.store.delete(&session_key(session_id)).await,
            None => Ok(()),
        }
    }

    pub async fn consent(&self, user_id: &str, client_id: &str) -> Result<ConsentRecord> {
        Ok(
            store::get_json(self.store, &consent_key(user_id, client_id))
                .await?
                .unwrap_or_default(),
        )
    }

    /// Adds what the person just allowed, per audience, in one write.
    pub(crate) async fn remember_consent(
        &self,
        user_id: &str,
        client_id: &str,
        granted: &[(&str, &Scope)],
    ) -> Result<()> {
        let mut record = self.consent(user_id, client_id).await?;
        for (audience, scopes) in granted {
            record
                .granted
                .entry(audience.to_string())
                .or_default()
                .extend(scopes.iter().map(str::to_string));
        }
        record.updated_at = self.clock.now();
        store::put_json(self.store, &consent_key(user_id, client_id), &record).await
    }

    pub(crate) async fn delete_consents_of_user(&self, user_id: &str) -> Result<()> {
        for key in store::list_all(self.store, &format!("{CONSENT_PREFIX}{user_id}/")).await? {
            self.store.delete(&key).await?;
        }
        Ok(())
    }
}
