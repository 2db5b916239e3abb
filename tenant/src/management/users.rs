//! Users of the tenant's database connection, in Auth0's shape.
//!
//! Stored in `users`, found by id or by their normalized email (unique: a
//! constraint, so two sign-ups with one address cannot both succeed) and
//! searched through the words of `user_terms` ([`search`]). The password
//! only as a PBKDF2 hash; permissions (API scopes assigned directly) in the
//! record. A change is written over the version it read; a sign-in is
//! counted by one statement.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared::management::{
    Permission, PermissionRef, PermissionSource, PermissionsRequest, User, UserCreate,
    UserIdentity, UserUpdate, DATABASE_CONNECTION,
};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::search::{self, UserQuery};
use crate::management::{Listing, Paging};
use crate::primitives::password;
use crate::primitives::scope::Scope;
use crate::primitives::text::check_text;
use crate::records::{Projection, Stored};
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Row, Statement};
use crate::seams::random;
use crate::seams::store::Store;
use crate::Tenant;

/// Users of the database connection: `auth0|` and 24 hex digits.
pub const USER_ID_PREFIX: &str = "auth0|";
const USER_ID_HEX_LEN: usize = 24;
const MAX_PERMISSIONS: usize = 500;
const MAX_EMAIL_LEN: usize = 254;
const NOT_FOUND: &str = "The user does not exist.";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: String,
    /// Normalized: trimmed and lowercase.
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub nickname: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub blocked: bool,
    /// `password::hash` of the password; never leaves the tenant.
    pub password_hash: String,
    pub permissions: BTreeSet<PermissionRef>,
    pub created_at: u64,
    pub updated_at: u64,
    /// Counted in their own columns, one statement per sign-in, never in
    /// the document (earlier versions kept them there, which an import
    /// reads).
    #[serde(default, skip_serializing)]
    pub last_login: Option<u64>,
    #[serde(default, skip_serializing)]
    pub logins_count: u64,
    /// Sessions started under another epoch are over: a new password or
    /// blocking moves it on.
    #[serde(default)]
    pub session_epoch: u64,
}

impl UserRecord {
    pub fn to_dto(&self) -> User {
        User {
            user_id: self.user_id.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            name: self.name.clone(),
            nickname: self.nickname.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            picture: self.picture.clone(),
            blocked: self.blocked,
            identities: vec![UserIdentity {
                connection: DATABASE_CONNECTION.to_string(),
                provider: "auth0".to_string(),
                user_id: self.user_id[USER_ID_PREFIX.len()..].to_string(),
                is_social: false,
            }],
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            last_login: self.last_login.map(rfc3339),
            logins_count: self.logins_count,
        }
    }

    /// The claims `scope` releases about this user, besides `sub` (OIDC
    /// Core §5.4): for the ID token and `/userinfo`.
    pub fn claims(&self, scope: &Scope) -> Map<String, Value> {
        let mut claims = Map::new();
        let has = |wanted: &str| scope.contains(wanted);
        if has("profile") {
            claims.insert("name".into(), self.name.clone().into());
            claims.insert("nickname".into(), self.nickname.clone().into());
            for (name, value) in [
                ("given_name", &self.given_name),
                ("family_name", &self.family_name),
                ("picture", &self.picture),
            ] {
                if let Some(value) = value {
                    claims.insert(name.into(), value.clone().into());
                }
            }
            // OIDC Core §5.1: seconds since the epoch.
            claims.insert("updated_at".into(), self.updated_at.into());
        }
        if has("email") {
            claims.insert("email".into(), self.email.clone().into());
            claims.insert("email_verified".into(), self.email_verified.into());
        }
        claims
    }

    /// The words a search finds this user by ([`search::terms`]).
    pub fn search_terms(&self) -> Vec<String> {
        search::terms(
            &[
                Some(self.name.as_str()),
                Some(self.nickname.as_str()),
                self.given_name.as_deref(),
                self.family_name.as_deref(),
            ],
            &self.email,
        )
    }

    /// The statement storing a new user.
    pub fn insert(&self) -> Statement {
        Statement::new(
            "INSERT INTO users (user_id, email, name, nickname, created_at, logins_count, last_login, terms, doc, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
        )
        .bind(&self.user_id)
        .bind(&self.email)
        .bind(&self.name)
        .bind(&self.nickname)
        .bind(self.created_at)
        .bind(self.logins_count)
        .bind(self.last_login)
        .bind(serde_json::to_string(&self.search_terms()).expect("strings serialize"))
        .bind(database::doc(self))
    }

    /// The permissions this user holds on the API `identifier`.
    pub fn permissions_on<'a>(&'a self, identifier: &'a str) -> impl Iterator<Item = &'a str> {
        self.permissions
            .iter()
            .filter(move |p| p.resource_server_identifier == identifier)
            .map(|p| p.permission_name.as_str())
    }
}

/// What a new user starts with besides email and password.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub blocked: bool,
}

/// An email address as the tenant keys it: trimmed and lowercased, as Auth0
/// does, and refused unless it looks like an address.
pub fn normalize_email(email: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_LEN
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && domain.split('.').all(|label| !label.is_empty())
        })
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c));
    if !valid {
        return Err(Error::invalid_field("email", "must be an email address"));
    }
    Ok(email)
}

fn check_connection(connection: &str) -> Result<()> {
    if connection != DATABASE_CONNECTION {
        return Err(Error::invalid_field(
            "connection",
            format!(
                "must be '{DATABASE_CONNECTION}' (got '{}')",
                echo(connection)
            ),
        ));
    }
    Ok(())
}

fn check_picture(picture: &str) -> Result<()> {
    let ok =
        picture.len() <= 2048 && url::Url::parse(picture).is_ok_and(|url| url.scheme() == "https");
    if !ok {
        return Err(Error::invalid_field("picture", "must be an https URL"));
    }
    Ok(())
}

fn check_profile(
    name: Option<&str>,
    nickname: Option<&str>,
    given: Option<&str>,
    family: Option<&str>,
    picture: Option<&str>,
) -> Result<()> {
    if let Some(picture) = picture {
        check_picture(picture)?;
    }
    for (field, value) in [
        ("name", name),
        ("nickname", nickname),
        ("given_name", given),
        ("family_name", family),
    ] {
        if let Some(value) = value {
            check_text(field, value, 1, 150)?;
        }
    }
    Ok(())
}

/// The columns a user is read with.
const COLUMNS: &str = "doc, version, logins_count, last_login";

#[derive(Deserialize)]
struct UserRow {
    doc: String,
    version: i64,
    logins_count: u64,
    last_login: Option<u64>,
}

/// A user read with the user columns ([`COLUMNS`]), from any query that
/// selects them (`doc, version, logins_count, last_login`).
pub(crate) fn user_from_row(row: crate::seams::database::Row) -> Result<UserRecord> {
    Ok(database::decode::<UserRow>(row)?.record()?.0)
}

impl UserRow {
    fn record(self) -> Result<(UserRecord, i64)> {
        let mut user: UserRecord = serde_json::from_str(&self.doc)
            .map_err(|err| Error::unavailable(format!("corrupt user: {err}")))?;
        user.logins_count = self.logins_count;
        user.last_login = self.last_login;
        Ok((user, self.version))
    }
}

impl Stored for UserRecord {
    const SELECT: &'static str =
        "SELECT doc, version, logins_count, last_login FROM users WHERE user_id = ?1";
    const KIND: &'static str = "user";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE users SET doc = ?1, email = ?2, name = ?3, nickname = ?4, terms = ?5, \
             version = version + 1 WHERE user_id = ?6 AND version = ?7 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.email)
        .bind(&self.name)
        .bind(&self.nickname)
        .bind(serde_json::to_string(&self.search_terms()).expect("strings serialize"))
        .bind(&self.user_id)
        .bind(version)
    }

    /// Users are read where they are used, never at the edge's hot path.
    fn projections(&self) -> Vec<Projection> {
        Vec::new()
    }

    fn from_row(row: Row) -> Result<(Self, i64)> {
        database::decode::<UserRow>(row)?.record()
    }

    /// Only the email is unique.
    fn conflict(_detail: &str) -> Error {
        exists()
    }
}

pub(crate) fn is_well_formed_user_id(user_id: &str) -> bool {
    user_id.strip_prefix(USER_ID_PREFIX).is_some_and(|hex| {
        hex.len() == USER_ID_HEX_LEN && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn new_user_id(rng: &dyn random::Rng) -> String {
    format!("{USER_ID_PREFIX}{}", random::hex(rng, USER_ID_HEX_LEN))
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentUser, NOT_FOUND)
}

fn exists() -> Error {
    Error::management(ManagementErrorCode::UserExists, "The user already exists.")
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A user: one query.
    pub async fn user(&self, user_id: &str) -> Result<Option<UserRecord>> {
        if !is_well_formed_user_id(user_id) {
            return Ok(None);
        }
        Ok(self.versioned(user_id).await?.map(|(user, _)| user))
    }

    async fn existing_user(&self, user_id: &str) -> Result<UserRecord> {
        self.user(user_id).await?.ok_or_else(not_found)
    }

    /// The user with this (normalized) email: one query, by a unique index.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let row = self
            .db
            .rows(
                Statement::new(format!("SELECT {COLUMNS} FROM users WHERE email = ?1")).bind(email),
            )
            .await?
            .into_iter()
            .next();
        row.map(|row| Ok(database::decode::<UserRow>(row)?.record()?.0))
            .transpose()
    }

    /// Changes a stored user over the version it read (see
    /// [`Tenant::modify`]).
    async fn modify_user<R>(
        &self,
        user_id: &str,
        change: impl FnMut(&mut UserRecord) -> Result<R>,
    ) -> Result<(UserRecord, R)> {
        if !is_well_formed_user_id(user_id) {
            return Err(not_found());
        }
        self.modify(user_id, not_found, change).await
    }

    /// Creates a user after checking everything. The email must be free:
    /// the database's constraint decides between concurrent sign-ups, so
    /// exactly one of them gets the address.
    pub(crate) async fn insert_user(&self, new: NewUser) -> Result<UserRecord> {
        let email = normalize_email(&new.email)?;
        password::check_policy(&new.password, &email)?;
        check_profile(
            new.name.as_deref(),
            new.nickname.as_deref(),
            new.given_name.as_deref(),
            new.family_name.as_deref(),
            new.picture.as_deref(),
        )?;
        // Spares the hashing when the address is plainly taken.
        if self.user_by_email(&email).await?.is_some() {
            return Err(exists());
        }
        let password_hash = password::hash(
            self.crypto,
            self.rng,
            self.config.password_iterations,
            &new.password,
        )
        .await?;
        let now = self.clock.now();
        let local = email.split('@').next().unwrap_or_default().to_string();
        let user = UserRecord {
            user_id: new_user_id(self.rng),
            name: new.name.unwrap_or_else(|| email.clone()),
            nickname: new.nickname.unwrap_or(local),
            email,
            email_verified: new.email_verified,
            given_name: new.given_name,
            family_name: new.family_name,
            picture: new.picture,
            blocked: new.blocked,
            password_hash,
            permissions: BTreeSet::new(),
            created_at: now,
            updated_at: now,
            last_login: None,
            logins_count: 0,
            session_epoch: 0,
        };
        self.create(vec![user.insert()], &[], exists).await?;
        Ok(user)
    }

    pub async fn create_user(&self, request: UserCreate) -> Result<User> {
        check_connection(&request.connection)?;
        let user = self
            .insert_user(NewUser {
                email: request.email,
                password: request.password,
                email_verified: request.email_verified.unwrap_or(false),
                name: request.name,
                nickname: request.nickname,
                given_name: request.given_name,
                family_name: request.family_name,
                picture: request.picture,
                blocked: request.blocked.unwrap_or(false),
            })
            .await?;
        Ok(user.to_dto())
    }

    pub async fn get_user(&self, user_id: &str) -> Result<User> {
        Ok(self.existing_user(user_id).await?.to_dto())
    }

    /// `GET /api/v2/users-by-email`: an array of zero or one user.
    pub async fn users_by_email(&self, email: &str) -> Result<Vec<User>> {
        let Ok(email) = normalize_email(email) else {
            return Err(Error::management(
                ManagementErrorCode::InvalidQueryString,
                "Query validation error: 'email' must be an email address",
            ));
        };
        Ok(self
            .user_by_email(&email)
            .await?
            .map(|user| user.to_dto())
            .into_iter()
            .collect())
    }

    /// `GET /api/v2/users`: everyone by creation, or with `q` the users a
    /// search finds ([`UserQuery`]), in the order of the index that finds
    /// them. At most two statements whatever the number of users, and
    /// before them one capped count per term of a search of several terms;
    /// as in Auth0, only the first [`search::MAX_RESULTS`] can be paged to,
    /// and a search counts its matches up to that many.
    pub async fn list_users(&self, paging: Paging, q: Option<&str>) -> Result<Listing<User>> {
        search::check_window(&paging)?;
        let query = q.map(UserQuery::parse).transpose()?.flatten();
        let (select, count) = match &query {
            None => (
                Statement::new(format!(
                    "SELECT {COLUMNS} FROM users ORDER BY created_at, user_id LIMIT ? OFFSET ?"
                )),
                Statement::new("SELECT count(*) AS n FROM users"),
            ),
            Some(query) => {
                let counts = self.probe(query).await?;
                if counts.contains(&0) {
                    // A term nobody matches: nobody matches them all.
                    return Ok(Listing {
                        items: Vec::new(),
                        paging,
                        total: 0,
                    });
                }
                query.statements(COLUMNS, UserQuery::driver(&counts))
            }
        };
        let window = paging.window();
        let mut statements = vec![select.bind(window.limit).bind(window.offset)];
        if paging.include_totals {
            statements.push(count);
        }
        let mut results = self.db.batch(statements).await?.into_iter();
        let users = results
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|row| Ok(database::decode::<UserRow>(row)?.record()?.0.to_dto()))
            .collect::<Result<Vec<User>>>()?;
        let total = match results.next().and_then(|rows| rows.into_iter().next()) {
            Some(row) => database::decode::<database::Count>(row)?.n as usize,
            None => window.offset as usize + users.len(),
        };
        Ok(Listing {
            items: users,
            paging,
            total,
        })
    }

    /// How many users each term of a search of several terms matches,
    /// capped ([`UserQuery::probes`]): one batch, none for a single term.
    async fn probe(&self, query: &UserQuery) -> Result<Vec<u64>> {
        let probes = query.probes();
        if probes.is_empty() {
            return Ok(Vec::new());
        }
        let mut counts = Vec::with_capacity(probes.len());
        for rows in self.db.batch(probes).await? {
            let count = rows
                .into_iter()
                .next()
                .map(database::decode::<database::Count>);
            counts.push(count.transpose()?.map_or(0, |count| count.n));
        }
        Ok(counts)
    }

    /// Updates a user over the version read. A new password or email is
    /// how an account is taken over, so `granter` may set them only on
    /// users who hold no Management API permission it lacks itself. A new
    /// password, or blocking, ends the user's sessions; an email another
    /// user has is refused (409) by the database's constraint.
    pub async fn update_user(
        &self,
        user_id: &str,
        update: UserUpdate,
        granter: &VerifiedAccessToken,
    ) -> Result<User> {
        if let Some(connection) = &update.connection {
            check_connection(connection)?;
        }
        check_profile(
            update.name.as_deref(),
            update.nickname.as_deref(),
            update.given_name.as_deref(),
            update.family_name.as_deref(),
            update.picture.as_deref(),
        )?;
        let email = update.email.as_deref().map(normalize_email).transpose()?;
        let password_hash = match &update.password {
            Some(new_password) => {
                // The policy is checked against the email the user will have.
                let current = self.existing_user(user_id).await?.email;
                password::check_policy(new_password, email.as_deref().unwrap_or(&current))?;
                Some(
                    password::hash(
                        self.crypto,
                        self.rng,
                        self.config.password_iterations,
                        new_password,
                    )
                    .await?,
                )
            }
            None => None,
        };
        let audience = self.management_audience();
        let now = self.clock.now();
        let (user, ()) = self
            .modify_user(user_id, |user| {
                if password_hash.is_some() || email.is_some() {
                    self.refuse_beyond(granter, &audience, user.permissions_on(&audience), |missing| {
                        format!(
                            "The user holds Management API permissions the caller does not ({missing}); only a caller holding them may change the user's password or email"
                        )
                    })?;
                }
                apply_update(user, &update, email.clone(), password_hash.clone(), now);
                Ok(())
            })
            .await?;
        Ok(user.to_dto())
    }

    /// Deletes a user with their consents and sessions, in one batch.
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        if !is_well_formed_user_id(user_id) {
            return Err(not_found());
        }
        let rows = self
            .commit(
                vec![
                    Statement::new("DELETE FROM consents WHERE user_id = ?1").bind(user_id),
                    Statement::new("DELETE FROM sessions WHERE user_id = ?1").bind(user_id),
                    Statement::new("DELETE FROM organization_members WHERE user_id = ?1")
                        .bind(user_id),
                    Statement::new(
                        "DELETE FROM refresh_tokens WHERE family_id IN \
                         (SELECT family_id FROM refresh_token_families WHERE user_id = ?1)",
                    )
                    .bind(user_id),
                    Statement::new("DELETE FROM refresh_token_families WHERE user_id = ?1")
                        .bind(user_id),
                    Statement::new("DELETE FROM users WHERE user_id = ?1 RETURNING user_id")
                        .bind(user_id),
                ],
                &[],
            )
            .await?;
        if rows.last().is_none_or(Vec::is_empty) {
            return Err(not_found());
        }
        Ok(())
    }

    pub async fn user_permissions(
        &self,
        user_id: &str,
        paging: Paging,
    ) -> Result<Listing<Permission>> {
        let user = self.existing_user(user_id).await?;
        let total = user.permissions.len();
        let range = paging.range(total);
        let page: Vec<&PermissionRef> = user
            .permissions
            .iter()
            .skip(range.start)
            .take(range.len())
            .collect();
        // The page's APIs in one query.
        let apis = self
            .stored_resource_servers(page.iter().map(|p| p.resource_server_identifier.as_str()))
            .await?;
        let items = page
            .into_iter()
            .map(|permission| {
                let api = apis.get(&permission.resource_server_identifier);
                let description = api
                    .and_then(|api| {
                        api.scopes
                            .iter()
                            .find(|s| s.value == permission.permission_name)
                    })
                    .map(|s| s.description.clone())
                    .unwrap_or_default();
                Permission {
                    permission_name: permission.permission_name.clone(),
                    description,
                    resource_server_name: api.map(|api| api.name.clone()).unwrap_or_default(),
                    resource_server_identifier: permission.resource_server_identifier.clone(),
                    sources: vec![PermissionSource {
                        source_id: String::new(),
                        source_name: String::new(),
                        source_type: "DIRECT".to_string(),
                    }],
                }
            })
            .collect();
        Ok(Listing {
            items,
            paging,
            total,
        })
    }

    /// Assigns permissions; each must be a scope its API defines, and of
    /// the Management API one `granter` holds itself.
    pub async fn add_user_permissions(
        &self,
        user_id: &str,
        request: PermissionsRequest,
        granter: &VerifiedAccessToken,
    ) -> Result<()> {
        // 404 for an unknown user before anything about the request.
        self.existing_user(user_id).await?;
        check_permission_list(&request)?;
        let apis = self
            .stored_resource_servers(
                request
                    .permissions
                    .iter()
                    .map(|p| p.resource_server_identifier.as_str()),
            )
            .await?;
        for permission in &request.permissions {
            let api = apis
                .get(&permission.resource_server_identifier)
                .ok_or_else(|| {
                    Error::not_found(
                        ManagementErrorCode::InexistentResourceServer,
                        format!(
                            "Resource server '{}' does not exist",
                            echo(&permission.resource_server_identifier)
                        ),
                    )
                })?;
            if !api.defines_scope(&permission.permission_name) {
                return Err(Error::invalid_body(format!(
                    "the API '{}' has no permission '{}'",
                    echo(&api.identifier),
                    echo(&permission.permission_name)
                )));
            }
        }
        let audience = self.management_audience();
        let now = self.clock.now();
        self.modify_user(user_id, |user| {
            let added = request.permissions.iter().filter(|p| {
                p.resource_server_identifier == audience && !user.permissions.contains(p)
            });
            self.check_delegation(
                granter,
                &audience,
                added.map(|p| p.permission_name.as_str()),
            )?;
            user.permissions.extend(request.permissions.iter().cloned());
            if user.permissions.len() > MAX_PERMISSIONS {
                return Err(Error::invalid_body(format!(
                    "a user may hold at most {MAX_PERMISSIONS} permissions"
                )));
            }
            user.updated_at = now;
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub async fn remove_user_permissions(
        &self,
        user_id: &str,
        request: PermissionsRequest,
    ) -> Result<()> {
        self.existing_user(user_id).await?;
        check_permission_list(&request)?;
        let now = self.clock.now();
        self.modify_user(user_id, |user| {
            for permission in &request.permissions {
                user.permissions.remove(permission);
            }
            user.updated_at = now;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Counts a successful sign-in: one statement on the counters alone,
    /// so it never undoes a change made to the user meanwhile; `user` is
    /// counted as the statement will leave it.
    pub(crate) fn count_login(&self, user: &mut UserRecord) -> Statement {
        let now = self.clock.now();
        user.last_login = Some(now);
        user.logins_count += 1;
        Statement::new(
            "UPDATE users SET logins_count = logins_count + 1, last_login = ?2 WHERE user_id = ?1",
        )
        .bind(&user.user_id)
        .bind(now)
    }

    /// The user a correct email and password name, or `None` for a wrong
    /// pair; unknown emails cost the same PBKDF2 work as known ones.
    pub async fn authenticate(&self, email: &str, password: &str) -> Result<Option<UserRecord>> {
        let iterations = self.config.password_iterations;
        let user = match normalize_email(email) {
            Ok(email) if password.len() <= 4 * password::MAX_LENGTH => {
                self.user_by_email(&email).await?
            }
            _ => None,
        };
        let Some(user) = user else {
            password::waste_equal_time(self.crypto, iterations, password).await?;
            return Ok(None);
        };
        if password::verify(self.crypto, &user.password_hash, password).await? {
            Ok(Some(user))
        } else {
            Ok(None)
        }
    }
}

/// Applies a PATCH to a user read again for this attempt.
fn apply_update(
    user: &mut UserRecord,
    update: &UserUpdate,
    email: Option<String>,
    password_hash: Option<String>,
    now: u64,
) {
    let old_email = user.email.clone();
    if let Some(email) = email {
        user.email = email;
    }
    let mut end_sessions = false;
    if let Some(hash) = password_hash {
        user.password_hash = hash;
        end_sessions = true;
    }
    let update = update.clone();
    if let Some(verified) = update.email_verified {
        user.email_verified = verified;
    } else if user.email != old_email {
        user.email_verified = false;
    }
    if let Some(name) = update.name {
        user.name = name;
    }
    if let Some(nickname) = update.nickname {
        user.nickname = nickname;
    }
    if update.given_name.is_some() {
        user.given_name = update.given_name;
    }
    if update.family_name.is_some() {
        user.family_name = update.family_name;
    }
    if update.picture.is_some() {
        user.picture = update.picture;
    }
    end_sessions |= update.blocked == Some(true) && !user.blocked;
    if let Some(blocked) = update.blocked {
        user.blocked = blocked;
    }
    if end_sessions {
        user.session_epoch += 1;
    }
    user.updated_at = now;
}

fn check_permission_list(request: &PermissionsRequest) -> Result<()> {
    if request.permissions.is_empty() || request.permissions.len() > MAX_PERMISSIONS {
        return Err(Error::invalid_field(
            "permissions",
            format!("must hold 1 to {MAX_PERMISSIONS} items"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
    }

    #[test]
    fn things_that_are_not_addresses_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@example..com",
            "a da@example.com",
            "ada@@example.com",
            "<ada>@example.com",
            &format!("{}@example.com", "a".repeat(65)),
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn user_ids_are_auth0_and_24_hex_digits() {
        let id = new_user_id(&random::OsRng);
        assert!(is_well_formed_user_id(&id), "{id}");
        assert!(!is_well_formed_user_id("auth0|xyz"));
        assert!(!is_well_formed_user_id(
            "google-oauth2|0123456789abcdef01234567"
        ));
    }
}
