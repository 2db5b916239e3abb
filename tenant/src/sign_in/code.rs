//! Authorization codes (RFC 6749 §4.1): what a sign-in leaves for the
//! client to redeem at the token endpoint.
//!
//! A code is 32 random bytes, shown once at the redirect URI and stored
//! only as its SHA-256. It lives [`CODE_LIFETIME`] seconds and is bound to
//! everything the token endpoint must check: the client, the redirect URI,
//! the PKCE challenge (RFC 7636), the person's session, and what was
//! granted (the API, the scopes, the organization, the claims post-login
//! actions set). Redeeming it is one conditional statement over all of
//! those ([`Tenant::redeem_code`]): it succeeds once, for the right client,
//! redirect URI and verifier, so two concurrent redemptions give one token
//! response, and a wrong verifier or client does not use the code up. A
//! code presented again revokes what its first redemption issued (RFC 6749
//! §4.1.2; the refresh tokens: access tokens are JWTs, valid until they
//! expire).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actions::TriggerOutcome;
use crate::error::{Error, Result};
use crate::jose::access_token::OrganizationClaims;
use crate::management::users::{user_from_row, UserRecord};
use crate::primitives::opaque::stored_hash;
use crate::primitives::pkce;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::random;
use crate::seams::store::Store;
use crate::sign_in::grant::Grant;
use crate::sign_in::request::AuthorizeRequest;
use crate::sign_in::sessions::Session;
use crate::Tenant;

/// How long a code may wait to be redeemed: long enough for a browser to
/// follow a redirect and a client to call the token endpoint, short enough
/// that a code found in a log or a history is of no use (RFC 6749 §4.1.2
/// says at most 10 minutes).
pub const CODE_LIFETIME: u64 = 60;
/// 32 random bytes, base64url.
const CODE_BYTES: usize = 32;

/// What a sign-in granted, as its code holds it and then its refresh
/// token family (one JSON object with the fields of either record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignInGrant {
    pub client_id: String,
    pub user_id: String,
    /// The scopes granted, the OIDC ones included.
    pub scope: String,
    /// The API the access token is for; none: `/userinfo` only.
    pub audience: Option<String>,
    pub auth_time: u64,
    /// The epoch of the person's sessions when they signed in.
    pub session_epoch: u64,
    pub organization: Option<OrganizationClaims>,
    /// What post-login actions set, for the tokens.
    #[serde(default)]
    pub access_token_claims: Map<String, Value>,
    #[serde(default)]
    pub id_token_claims: Map<String, Value>,
}

/// What a code stands for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    #[serde(flatten)]
    pub grant: SignInGrant,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    /// The session that signed the person in.
    pub session_hash: String,
    /// Whether the redemption issues a refresh token (`offline_access`
    /// granted).
    pub offline: bool,
}

/// A redeemed code, with its person as they are now.
pub struct Redeemed {
    pub record: CodeRecord,
    pub user: UserRecord,
    /// The code's row key, to record what its redemption issued.
    pub code_hash: String,
}

#[derive(Deserialize)]
struct CodeRow {
    client_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    used_at: Option<u64>,
    expires_at: u64,
    family_id: Option<String>,
}

#[derive(Deserialize)]
struct SessionRow {
    expires_at: u64,
    epoch: u64,
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Stores a code for this sign-in and returns it, for the redirect URI.
    pub(super) async fn issue_code(
        &self,
        request: &AuthorizeRequest,
        session: &Session,
        grant: &Grant,
        organization: Option<OrganizationClaims>,
        actions: TriggerOutcome,
    ) -> Result<String> {
        let code = random::token(self.rng, CODE_BYTES);
        let now = self.clock.now();
        let scope = grant.scope();
        let record = CodeRecord {
            grant: SignInGrant {
                client_id: request.client.client_id.clone(),
                user_id: session.user.user_id.clone(),
                scope: scope.to_string(),
                audience: grant.api.as_ref().map(|api| api.identifier.clone()),
                auth_time: session.record.auth_time,
                session_epoch: session.record.epoch,
                organization,
                access_token_claims: actions.access_token_claims,
                id_token_claims: actions.id_token_claims,
            },
            redirect_uri: request.redirect_uri.clone(),
            offline: scope.contains("offline_access"),
            nonce: request.nonce.clone(),
            session_hash: session.id_hash.clone(),
        };
        database::run(
            self.db,
            vec![Statement::new(
                "INSERT INTO authorization_codes \
                 (code_hash, client_id, redirect_uri, code_challenge, expires_at, doc) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(stored_hash(&code))
            .bind(&record.grant.client_id)
            .bind(&record.redirect_uri)
            .bind(request.code_challenge.clone())
            .bind(now + CODE_LIFETIME)
            .bind(database::doc(&record))],
        )
        .await?;
        Ok(code)
    }

    /// Uses a code up, once, for `client_id` at `redirect_uri` with
    /// `verifier`: one round trip when it succeeds (the code, its person
    /// and its session in one batch), a second to say why when it does
    /// not. The person must be as they were (not blocked, the same
    /// password) and the session still live.
    pub(crate) async fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
    ) -> Result<Redeemed> {
        let code_hash = stored_hash(code);
        let now = self.clock.now();
        let challenge = verifier.map(pkce::s256).unwrap_or_default();
        let results = self
            .db
            .batch(vec![
                Statement::new(
                    "UPDATE authorization_codes SET used_at = ?2 \
                     WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2 \
                     AND client_id = ?3 AND redirect_uri = ?4 AND coalesce(code_challenge, '') = ?5 \
                     RETURNING doc",
                )
                .bind(&code_hash)
                .bind(now)
                .bind(client_id)
                .bind(redirect_uri)
                .bind(&challenge),
                Statement::new(
                    "SELECT u.doc, u.version, u.logins_count, u.last_login FROM users u \
                     WHERE u.user_id = (SELECT json_extract(doc, '$.user_id') FROM authorization_codes WHERE code_hash = ?1)",
                )
                .bind(&code_hash),
                Statement::new(
                    "SELECT s.expires_at, s.epoch FROM sessions s WHERE s.id_hash = \
                     (SELECT json_extract(doc, '$.session_hash') FROM authorization_codes WHERE code_hash = ?1)",
                )
                .bind(&code_hash),
            ])
            .await?;
        let mut results = results.into_iter();
        let consumed = results.next().unwrap_or_default();
        let Some(row) = consumed.into_iter().next() else {
            return Err(self
                .why_not_redeemed(&code_hash, client_id, redirect_uri, verifier, now)
                .await);
        };
        let record: CodeRecord = database::decode::<database::Doc>(row)?.record()?;
        let user = match results.next().unwrap_or_default().into_iter().next() {
            Some(row) => user_from_row(row)?,
            None => {
                return Err(Error::invalid_grant(
                    "The user of this authorization code no longer exists",
                ))
            }
        };
        if user.blocked || user.session_epoch != record.grant.session_epoch {
            return Err(Error::invalid_grant(
                "The user was blocked or changed password since signing in",
            ));
        }
        let session_live = match results.next().unwrap_or_default().into_iter().next() {
            Some(row) => {
                let row: SessionRow = database::decode(row)?;
                row.expires_at > now && row.epoch == record.grant.session_epoch
            }
            None => false,
        };
        if !session_live {
            return Err(Error::invalid_grant(
                "The session this authorization code was issued in has ended",
            ));
        }
        Ok(Redeemed {
            record,
            user,
            code_hash,
        })
    }

    /// Why a code was not redeemed. A code already used is a replay: what
    /// its redemption issued is revoked (RFC 6749 §4.1.2).
    async fn why_not_redeemed(
        &self,
        code_hash: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        now: u64,
    ) -> Error {
        let row: Option<CodeRow> = match database::first(
            self.db,
            Statement::new(
                "SELECT client_id, redirect_uri, code_challenge, used_at, expires_at, family_id \
                 FROM authorization_codes WHERE code_hash = ?1",
            )
            .bind(code_hash),
        )
        .await
        {
            Ok(row) => row,
            Err(err) => return err,
        };
        let Some(row) = row else {
            return Error::invalid_grant("The authorization code is invalid");
        };
        if row.used_at.is_some() {
            if let Some(family) = &row.family_id {
                if let Err(err) = self.revoke_family(family, now).await {
                    return err;
                }
            }
            return Error::invalid_grant(
                "The authorization code has already been used; what it issued is revoked",
            );
        }
        if row.expires_at <= now {
            return Error::invalid_grant("The authorization code has expired");
        }
        if row.client_id != client_id {
            return Error::invalid_grant("The authorization code was issued to another client");
        }
        if row.redirect_uri != redirect_uri {
            return Error::invalid_grant(
                "redirect_uri is not the one of the authorization request",
            );
        }
        match (&row.code_challenge, verifier) {
            (Some(_), None) => Error::invalid_grant("Missing required parameter: code_verifier"),
            (None, Some(_)) => Error::invalid_grant(
                "code_verifier was sent, but the authorization request had no code_challenge",
            ),
            _ => Error::invalid_grant("The code_verifier does not match the code_challenge"),
        }
    }

    /// The scheduled task's part: deletes codes past their lifetime (a
    /// replay of one is then merely invalid), at most `limit`.
    pub async fn delete_expired_codes(&self, limit: u64) -> Result<usize> {
        let rows = self
            .db
            .rows(
                Statement::new(
                    "DELETE FROM authorization_codes WHERE code_hash IN \
                     (SELECT code_hash FROM authorization_codes WHERE expires_at <= ?1 LIMIT ?2) \
                     RETURNING 1 AS n",
                )
                // Kept a day past expiry, so a replay soon after still
                // revokes what the code issued.
                .bind(self.clock.now().saturating_sub(24 * 3600))
                .bind(limit),
            )
            .await?;
        Ok(rows.len())
    }
}
