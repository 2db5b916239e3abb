//! Users of the tenant's database connection, in Auth0's shape.
//!
//! Stored under `user/{user_id}`, with `user_email/{email}` mapping the
//! normalized email to the id (one read to sign in). The password only as a
//! PBKDF2 hash; permissions (API scopes assigned directly) in the record.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared::management::{
    Permission, PermissionRef, PermissionSource, PermissionsRequest, User, UserCreate,
    UserIdentity, UserUpdate, DATABASE_CONNECTION,
};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::access_token::VerifiedAccessToken;
use crate::management::{Listing, Paging};
use crate::primitives::password;
use crate::primitives::scope::Scope;
use crate::primitives::text::check_text;
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

const PREFIX: &str = "user/";
const EMAIL_PREFIX: &str = "user_email/";
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
    pub last_login: Option<u64>,
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

fn key(user_id: &str) -> String {
    format!("{PREFIX}{user_id}")
}

fn email_key(email: &str) -> String {
    format!("{EMAIL_PREFIX}{email}")
}

fn is_well_formed_user_id(user_id: &str) -> bool {
    user_id.strip_prefix(USER_ID_PREFIX).is_some_and(|hex| {
        hex.len() == USER_ID_HEX_LEN && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn new_user_id(rng: &dyn random::Rng) -> String {
    let mut bytes = [0u8; USER_ID_HEX_LEN / 2];
    rng.fill(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{USER_ID_PREFIX}{hex}")
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentUser, NOT_FOUND)
}

fn exists() -> Error {
    Error::management(ManagementErrorCode::UserExists, "The user already exists.")
}

impl<S: Store, K: CryptoBackend> Tenant<'_, S, K> {
    pub async fn user(&self, user_id: &str) -> Result<Option<UserRecord>> {
        if !is_well_formed_user_id(user_id) {
            return Ok(None);
        }
        store::get_json(self.store, &key(user_id)).await
    }

    async fn existing_user(&self, user_id: &str) -> Result<UserRecord> {
        self.user(user_id).await?.ok_or_else(not_found)
    }

    /// The user with this (normalized) email: two store reads.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let Some(user_id) = store::get_json::<String>(self.store, &email_key(email)).await? else {
            return Ok(None);
        };
        Ok(self
            .user(&user_id)
            .await?
            .filter(|user| user.email == email))
    }

    pub(crate) async fn save_user(&self, user: &UserRecord) -> Result<()> {
        store::put_json(self.store, &key(&user.user_id), user).await
    }

    /// Creates a user after checking everything; the email must be free.
    /// KV has no compare-and-swap: two concurrent sign-ups with one email
    /// can both pass the check, and the later index write wins.
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
        self.save_user(&user).await?;
        store::put_json(self.store, &email_key(&user.email), &user.user_id).await?;
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

    /// Users by creation of their key (id order). With `q`, only users whose
    /// email or name contains it (case-insensitive); this reads every user,
    /// which is fine for the tenants KV suits, not for millions of users.
    pub async fn list_users(&self, paging: Paging, q: Option<&str>) -> Result<Listing<User>> {
        let keys = store::list_all(self.store, PREFIX).await?;
        let q = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase);
        let Some(q) = q else {
            let range = paging.range(keys.len());
            let mut items = Vec::with_capacity(range.len());
            for key in &keys[range] {
                if let Some(user) = store::get_json::<UserRecord>(self.store, key).await? {
                    items.push(user.to_dto());
                }
            }
            return Ok(Listing {
                items,
                paging,
                total: keys.len(),
            });
        };
        let mut matches = Vec::new();
        for key in &keys {
            if let Some(user) = store::get_json::<UserRecord>(self.store, key).await? {
                if user.email.contains(&q) || user.name.to_lowercase().contains(&q) {
                    matches.push(user.to_dto());
                }
            }
        }
        let total = matches.len();
        let items = matches.drain(paging.range(total)).collect();
        Ok(Listing {
            items,
            paging,
            total,
        })
    }

    /// Updates a user. A new password or email is how an account is taken
    /// over, so `granter` may set them only on users who hold no Management
    /// API permission it lacks itself. A new password, or blocking, ends
    /// the user's sessions.
    pub async fn update_user(
        &self,
        user_id: &str,
        update: UserUpdate,
        granter: &VerifiedAccessToken,
    ) -> Result<User> {
        let mut user = self.existing_user(user_id).await?;
        if update.password.is_some() || update.email.is_some() {
            let audience = self.management_audience();
            self.refuse_beyond(granter, &audience, user.permissions_on(&audience), |missing| {
                format!(
                    "The user holds Management API permissions the caller does not ({missing}); only a caller holding them may change the user's password or email"
                )
            })?;
        }
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
        let old_email = user.email.clone();
        if let Some(email) = &update.email {
            let email = normalize_email(email)?;
            if email != user.email && self.user_by_email(&email).await?.is_some() {
                return Err(exists());
            }
            user.email = email;
        }
        let mut end_sessions = false;
        if let Some(new_password) = &update.password {
            password::check_policy(new_password, &user.email)?;
            user.password_hash = password::hash(
                self.crypto,
                self.rng,
                self.config.password_iterations,
                new_password,
            )
            .await?;
            end_sessions = true;
        }
        let UserUpdate {
            email_verified,
            name,
            nickname,
            given_name,
            family_name,
            picture,
            blocked,
            ..
        } = update;
        if let Some(verified) = email_verified {
            user.email_verified = verified;
        } else if user.email != old_email {
            user.email_verified = false;
        }
        user.name = name.unwrap_or(user.name);
        user.nickname = nickname.unwrap_or(user.nickname);
        user.given_name = given_name.or(user.given_name);
        user.family_name = family_name.or(user.family_name);
        user.picture = picture.or(user.picture);
        end_sessions |= blocked == Some(true) && !user.blocked;
        user.blocked = blocked.unwrap_or(user.blocked);
        if end_sessions {
            user.session_epoch += 1;
        }
        user.updated_at = self.clock.now();
        self.save_user(&user).await?;
        if user.email != old_email {
            store::put_json(self.store, &email_key(&user.email), &user.user_id).await?;
            self.store.delete(&email_key(&old_email)).await?;
        }
        Ok(user.to_dto())
    }

    /// Deletes a user, their email index and their consents. Their sessions
    /// die with them: a session whose user is gone is no session.
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        let user = self.existing_user(user_id).await?;
        self.delete_consents_of_user(&user.user_id).await?;
        let index = email_key(&user.email);
        if store::get_json::<String>(self.store, &index)
            .await?
            .as_deref()
            == Some(user_id)
        {
            self.store.delete(&index).await?;
        }
        self.store.delete(&key(user_id)).await
    }

    pub async fn user_permissions(
        &self,
        user_id: &str,
        paging: Paging,
    ) -> Result<Listing<Permission>> {
        let user = self.existing_user(user_id).await?;
        let total = user.permissions.len();
        let range = paging.range(total);
        let mut items = Vec::with_capacity(range.len());
        for permission in user.permissions.iter().skip(range.start).take(range.len()) {
            let api = self
                .resource_server_by_identifier(&permission.resource_server_identifier)
                .await?;
            let description = api
                .as_ref()
                .and_then(|api| {
                    api.scopes
                        .iter()
                        .find(|s| s.value == permission.permission_name)
                })
                .map(|s| s.description.clone())
                .unwrap_or_default();
            items.push(Permission {
                permission_name: permission.permission_name.clone(),
                description,
                resource_server_name: api.map(|api| api.name.clone()).unwrap_or_default(),
                resource_server_identifier: permission.resource_server_identifier.clone(),
                sources: vec![PermissionSource {
                    source_id: String::new(),
                    source_name: String::new(),
                    source_type: "DIRECT".to_string(),
                }],
            });
        }
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
        let mut user = self.existing_user(user_id).await?;
        check_permission_list(&request)?;
        let audience = self.management_audience();
        let added = request
            .permissions
            .iter()
            .filter(|p| p.resource_server_identifier == audience && !user.permissions.contains(p));
        self.check_delegation(
            granter,
            &audience,
            added.map(|p| p.permission_name.as_str()),
        )?;
        for permission in &request.permissions {
            let api = self
                .resource_server_by_identifier(&permission.resource_server_identifier)
                .await?
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
        user.permissions.extend(request.permissions);
        if user.permissions.len() > MAX_PERMISSIONS {
            return Err(Error::invalid_body(format!(
                "a user may hold at most {MAX_PERMISSIONS} permissions"
            )));
        }
        user.updated_at = self.clock.now();
        self.save_user(&user).await
    }

    pub async fn remove_user_permissions(
        &self,
        user_id: &str,
        request: PermissionsRequest,
    ) -> Result<()> {
        let mut user = self.existing_user(user_id).await?;
        check_permission_list(&request)?;
        for permission in &request.permissions {
            user.permissions.remove(permission);
        }
        user.updated_at = self.clock.now();
        self.save_user(&user).await
    }

    /// Records a successful sign-in.
    pub(crate) async fn record_login(&self, user: &mut UserRecord) -> Result<()> {
        user.last_login = Some(self.clock.now());
        user.logins_count += 1;
        self.save_user(user).await
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
