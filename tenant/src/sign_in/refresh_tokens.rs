//! Refresh tokens (RFC 6749 §6), as Auth0 rotates them.
//!
//! A sign-in that granted `offline_access` starts a family: its first
//! refresh token comes with the code's redemption, and each one used is
//! replaced by the next (rotation). Tokens are opaque, 32 random bytes,
//! stored as their SHA-256. A token is good until its idle lifetime ends,
//! within the family's absolute lifetime (the client's `refresh_token`
//! settings, Auth0's names). A refresh reads the token first and writes
//! only once the request is known to succeed
//! ([`Tenant::check_refresh_token`], [`Tenant::use_refresh_token`]): using
//! one is one conditional statement, with its successor stored only if that
//! statement marked it. Presenting one already rotated within the client's
//! reuse interval (`leeway`) gets another, after it revokes the whole
//! family: reuse is how a stolen token shows. A family
//! also ends when the person is blocked, changes password or is deleted,
//! leaves the organization it was for, when its code is replayed, and at
//! `POST /oauth/revoke`.

use serde::{Deserialize, Serialize};
use shared::management::{ExpirationType, RefreshTokenSettings, RotationType};

use crate::error::{Error, OAuthErrorCode, Result};
use crate::management::users::{user_from_row, UserRecord};
use crate::primitives::opaque::stored_hash;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement, MAX_SAFE_INTEGER};
use crate::seams::random;
use crate::seams::store::Store;
use crate::sign_in::code::{CodeRecord, SignInGrant};
use crate::Tenant;

const TOKEN_BYTES: usize = 32;
/// Most ended families one scheduled run deletes.
pub const CLEANUP_BATCH: u64 = 2_000;

/// What a family's tokens give: the sign-in's grant, as its code had it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FamilyRecord {
    #[serde(flatten)]
    pub grant: SignInGrant,
    pub settings: RefreshTokenSettings,
}

/// A refresh token checked, not yet used: its family and its person as
/// they are now.
pub struct Presented {
    token_hash: String,
    family_id: String,
    family_expires_at: u64,
    /// Rotated before, within the reuse interval: it gets a sibling.
    reuse: bool,
    pub family: FamilyRecord,
    pub user: UserRecord,
}

fn already_used() -> Error {
    Error::invalid_grant(
        "The refresh token was already used; every token of its sign-in is revoked",
    )
}

/// Whether a token rotated at `rotated_at` may still be used at `now`: only
/// within a reuse interval the client set (`leeway`, seconds); with none,
/// every reuse counts as theft.
fn within_reuse_interval(settings: &RefreshTokenSettings, rotated_at: u64, now: u64) -> bool {
    settings.leeway > 0 && now.saturating_sub(rotated_at) <= settings.leeway
}

/// When a token issued at `now` stops being usable: its idle lifetime,
/// never past its family's end.
fn token_expiry(settings: &RefreshTokenSettings, now: u64, family_expires_at: u64) -> u64 {
    let idle = settings.expiration_type == ExpirationType::NonExpiring
        || settings.infinite_idle_token_lifetime;
    if idle {
        family_expires_at
    } else {
        now.saturating_add(settings.idle_token_lifetime)
            .min(family_expires_at)
    }
}

fn family_expiry(settings: &RefreshTokenSettings, now: u64) -> u64 {
    let forever =
        settings.expiration_type == ExpirationType::NonExpiring || settings.infinite_token_lifetime;
    if forever {
        MAX_SAFE_INTEGER
    } else {
        now.saturating_add(settings.token_lifetime)
    }
}

fn token_insert(token_hash: &str, family_id: &str, now: u64, expires_at: u64) -> Statement {
    Statement::new(
        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(now)
    .bind(expires_at)
}

#[derive(Deserialize)]
struct FamilyRow {
    family_id: String,
    client_id: String,
    expires_at: u64,
    revoked_at: Option<u64>,
    doc: String,
    rotated_at: Option<u64>,
    token_expires_at: u64,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A new family for a redeemed code, and its first token: the
    /// statements storing them (with the code's record of the family, so a
    /// replay of the code revokes it), for one batch.
    pub(crate) fn start_family(
        &self,
        code: &CodeRecord,
        code_hash: &str,
        settings: &RefreshTokenSettings,
    ) -> (String, Vec<Statement>) {
        let now = self.clock.now();
        let family_id = random::token(self.rng, 16);
        let token = random::token(self.rng, TOKEN_BYTES);
        let family = FamilyRecord {
            grant: code.grant.clone(),
            settings: settings.clone(),
        };
        let family_expires = family_expiry(settings, now);
        let statements = vec![
            Statement::new(
                "INSERT INTO refresh_token_families (family_id, client_id, user_id, created_at, expires_at, doc) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&family_id)
            .bind(&family.grant.client_id)
            .bind(&family.grant.user_id)
            .bind(now)
            .bind(family_expires)
            .bind(database::doc(&family)),
            token_insert(
                &stored_hash(&token),
                &family_id,
                now,
                token_expiry(settings, now, family_expires),
            ),
            Statement::new("UPDATE authorization_codes SET family_id = ?2 WHERE code_hash = ?1")
                .bind(code_hash)
                .bind(&family_id),
        ];
        (token, statements)
    }

    /// Checks `token` for `client_id`, writing nothing unless it finds a
    /// reuse: the token, its family, its person and (for an organization)
    /// their membership in one round trip. A
    /// token rotated before gets through only within the client's reuse
    /// interval (`leeway`); any other reuse revokes the family. The caller
    /// checks what it asks of the grant, then uses the token with
    /// [`Self::use_refresh_token`], so a refused request never uses it up.
    pub(crate) async fn check_refresh_token(
        &self,
        token: &str,
        client_id: &str,
        settings: &RefreshTokenSettings,
    ) -> Result<Presented> {
        let token_hash = stored_hash(token);
        let now = self.clock.now();
        let mut results = self
            .db
            .batch(vec![
                Statement::new(
                    "SELECT f.family_id, f.client_id, f.expires_at, f.revoked_at, f.doc, \
                     t.rotated_at, t.expires_at AS token_expires_at \
                     FROM refresh_tokens t JOIN refresh_token_families f ON f.family_id = t.family_id \
                     WHERE t.token_hash = ?1",
                )
                .bind(&token_hash),
                Statement::new(
                    "SELECT u.doc, u.version, u.logins_count, u.last_login FROM users u WHERE u.user_id = \
                     (SELECT f.user_id FROM refresh_tokens t JOIN refresh_token_families f \
                      ON f.family_id = t.family_id WHERE t.token_hash = ?1)",
                )
                .bind(&token_hash),
                // A sign-in for an organization holds while the person is a
                // member (a deleted organization has none).
                Statement::new(
                    "SELECT 1 AS member FROM refresh_tokens t \
                     JOIN refresh_token_families f ON f.family_id = t.family_id \
                     JOIN organization_members m ON m.user_id = f.user_id \
                      AND m.organization_id = json_extract(f.doc, '$.organization.org_id') \
                     WHERE t.token_hash = ?1",
                )
                .bind(&token_hash),
            ])
            .await?
            .into_iter();
        let Some(row) = results.next().unwrap_or_default().into_iter().next() else {
            return Err(Error::invalid_grant("The refresh token is invalid"));
        };
        let row: FamilyRow = database::decode(row)?;
        if row.client_id != client_id {
            return Err(Error::invalid_grant(
                "The refresh token was issued to another client",
            ));
        }
        if row.revoked_at.is_some() {
            return Err(Error::invalid_grant("The refresh token has been revoked"));
        }
        if row.expires_at <= now || row.token_expires_at <= now {
            return Err(Error::invalid_grant("The refresh token has expired"));
        }
        let reuse = match row.rotated_at {
            None => false,
            Some(rotated_at) if within_reuse_interval(settings, rotated_at, now) => true,
            Some(_) => {
                self.revoke_family(&row.family_id, now).await?;
                return Err(already_used());
            }
        };
        let family: FamilyRecord = serde_json::from_str(&row.doc)
            .map_err(|err| Error::unavailable(format!("corrupt refresh token family: {err}")))?;
        let user = match results.next().unwrap_or_default().into_iter().next() {
            Some(row) => Some(user_from_row(row)?),
            None => None,
        };
        let user = match user {
            Some(user) if !user.blocked && user.session_epoch == family.grant.session_epoch => user,
            _ => {
                self.revoke_family(&row.family_id, now).await?;
                return Err(Error::invalid_grant(
                    "The user was blocked, changed password or was deleted since signing in",
                ));
            }
        };
        let member = !results.next().unwrap_or_default().is_empty();
        if family.grant.organization.is_some() && !member {
            self.revoke_family(&row.family_id, now).await?;
            return Err(Error::invalid_grant(
                "The user is no longer a member of the organization this sign-in was for",
            ));
        }
        Ok(Presented {
            token_hash,
            family_id: row.family_id,
            family_expires_at: row.expires_at,
            reuse,
            family,
            user,
        })
    }

    /// Uses a checked token: rotating, it is marked used and its successor
    /// stored, in one round trip whose insert depends on the mark (two
    /// requests racing with one token: one wins, the other is a reuse);
    /// within the reuse interval a sibling is stored; non-rotating, its
    /// idle lifetime starts again. Returns the token to use next, if any.
    pub(crate) async fn use_refresh_token(
        &self,
        presented: &Presented,
        settings: &RefreshTokenSettings,
    ) -> Result<Option<String>> {
        let now = self.clock.now();
        if settings.rotation_type == RotationType::NonRotating {
            let renewed = self
                .db
                .batch(vec![Statement::new(
                    "UPDATE refresh_tokens SET expires_at = ?2 WHERE token_hash = ?1 \
                     AND family_id IN (SELECT family_id FROM refresh_token_families \
                       WHERE family_id = ?3 AND revoked_at IS NULL) RETURNING family_id",
                )
                .bind(&presented.token_hash)
                .bind(token_expiry(settings, now, presented.family_expires_at))
                .bind(&presented.family_id)])
                .await?;
            return if renewed.iter().any(|rows| !rows.is_empty()) {
                Ok(None)
            } else {
                Err(Error::invalid_grant("The refresh token has been revoked"))
            };
        }
        let next = random::token(self.rng, TOKEN_BYTES);
        let next_hash = stored_hash(&next);
        let expires_at = token_expiry(settings, now, presented.family_expires_at);
        let live_family =
            "SELECT 1 FROM refresh_token_families WHERE family_id = ?2 AND revoked_at IS NULL";
        if !presented.reuse {
            let rows = self
                .db
                .batch(vec![
                    Statement::new(format!(
                        "UPDATE refresh_tokens SET rotated_at = ?3, successor_hash = ?4 \
                         WHERE token_hash = ?1 AND rotated_at IS NULL AND EXISTS ({live_family}) \
                         RETURNING token_hash"
                    ))
                    .bind(&presented.token_hash)
                    .bind(&presented.family_id)
                    .bind(now)
                    .bind(&next_hash),
                    Statement::new(
                        "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) \
                         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS \
                         (SELECT 1 FROM refresh_tokens WHERE token_hash = ?5 AND successor_hash = ?1)",
                    )
                    .bind(&next_hash)
                    .bind(&presented.family_id)
                    .bind(now)
                    .bind(expires_at)
                    .bind(&presented.token_hash),
                ])
                .await?;
            if rows.first().is_some_and(|rows| !rows.is_empty()) {
                return Ok(Some(next));
            }
            // Another request used it first (or the family ended since the
            // check): a reuse, judged as any other.
            if !within_reuse_interval(settings, now, now) {
                self.revoke_family(&presented.family_id, now).await?;
                return Err(already_used());
            }
        }
        let stored = self
            .db
            .batch(vec![Statement::new(format!(
                "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) \
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS ({live_family}) RETURNING token_hash"
            ))
            .bind(&next_hash)
            .bind(&presented.family_id)
            .bind(now)
            .bind(expires_at)])
            .await?;
        if stored.iter().any(|rows| !rows.is_empty()) {
            Ok(Some(next))
        } else {
            Err(Error::invalid_grant("The refresh token has been revoked"))
        }
    }

    /// Ends a family: none of its tokens works again.
    pub(crate) async fn revoke_family(&self, family_id: &str, now: u64) -> Result<()> {
        database::run(
            self.db,
            vec![Statement::new(
                "UPDATE refresh_token_families SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
            )
            .bind(family_id)
            .bind(now)],
        )
        .await
    }

    /// `POST /oauth/revoke` (RFC 7009) for a refresh token: its family ends.
    /// A token nobody issued is revoked already (§2.2: still a success); one
    /// issued to another client is refused.
    pub(crate) async fn revoke_refresh_token(&self, token: &str, client_id: &str) -> Result<()> {
        #[derive(Deserialize)]
        struct Owner {
            family_id: String,
            client_id: String,
        }
        let owner: Option<Owner> = database::first(
            self.db,
            Statement::new(
                "SELECT f.family_id, f.client_id FROM refresh_tokens t \
                 JOIN refresh_token_families f ON f.family_id = t.family_id WHERE t.token_hash = ?1",
            )
            .bind(stored_hash(token)),
        )
        .await?;
        match owner {
            None => Ok(()),
            Some(owner) if owner.client_id != client_id => Err(Error::oauth(
                400,
                OAuthErrorCode::InvalidRequest,
                "The token was not issued to this client",
            )),
            Some(owner) => self.revoke_family(&owner.family_id, self.clock.now()).await,
        }
    }

    /// The scheduled task's part: deletes families that ended (expired, or
    /// revoked a day ago) with their tokens, at most [`CLEANUP_BATCH`].
    pub async fn delete_ended_refresh_tokens(&self) -> Result<usize> {
        let now = self.clock.now();
        let ended = "SELECT family_id FROM refresh_token_families \
                     WHERE expires_at <= ?1 OR revoked_at <= ?2 ORDER BY family_id LIMIT ?3";
        let rows = self
            .db
            .batch(vec![
                Statement::new(format!(
                    "DELETE FROM refresh_tokens WHERE family_id IN ({ended})"
                ))
                .bind(now)
                .bind(now.saturating_sub(24 * 3600))
                .bind(CLEANUP_BATCH),
                Statement::new(format!(
                    "DELETE FROM refresh_token_families WHERE family_id IN ({ended}) RETURNING 1 AS n"
                ))
                .bind(now)
                .bind(now.saturating_sub(24 * 3600))
                .bind(CLEANUP_BATCH),
            ])
            .await?;
        Ok(rows.get(1).map_or(0, Vec::len))
    }
}
