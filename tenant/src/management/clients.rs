//! Applications (OAuth clients), in Auth0's shape.
//!
//! Stored in `clients` and projected to `client/{client_id}`, the record
//! the token endpoint reads; the secret only as a salted hash. A request is
//! applied to a whole record and the record is validated as a whole, so
//! create and update enforce the same rules; an update is written over the
//! version it read, so a rotation made meanwhile is never undone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::management::{
    AppType, Client, ClientCreate, ClientUpdate, JwtConfiguration, RefreshTokenSettings,
};
use shared::organizations::{
    DefaultOrganization, OrganizationRequireBehavior, OrganizationUsage, CLIENT_CREDENTIALS_FLOW,
};
use shared::protocol::ResponseType;
pub use shared::protocol::{AuthMethod, GrantType};

use crate::error::{echo, Error, ManagementErrorCode, Result};
use crate::jose::keys::SigningAlg;
use crate::management::client_grants::{self, GrantsOf};
use crate::management::settings::check_grace_period;
use crate::management::{Listing, Paging};
use crate::primitives::text::check_text;
use crate::primitives::{redirect_uri, secret};
use crate::records::{Projection, Stored};
use crate::seams::clock::rfc3339;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::{self, Database, Statement};
use crate::seams::random;
use crate::seams::store::{self, Store};
use crate::Tenant;

pub const CLIENT_ID_LEN: usize = 32;
const NOT_FOUND: &str = "The client does not exist";
/// Auth0's bounds on refresh tokens: a year absolute, a reuse interval.
pub const MAX_REFRESH_LIFETIME: u64 = 31_557_600;
pub const MAX_REFRESH_LEEWAY: u64 = 600;
const MAX_URIS: usize = 100;
const MAX_URI_LEN: usize = 2048;
/// The names the built-in clients show on the hosted pages. No registered
/// application may take one (see [`is_built_in_name`]).
pub const APP_CLIENT_NAME: &str = "Edge Tenant";
pub const DASHBOARD_CLIENT_NAME: &str = "Dashboard";
/// The Dashboard's refresh tokens: 8 hours at most, 1 hour idle.
pub const DASHBOARD_REFRESH_LIFETIME: u64 = 8 * 3600;
pub const DASHBOARD_REFRESH_IDLE_LIFETIME: u64 = 3600;

/// Whether `name` would read as one of the built-in clients' on a consent
/// or login page: compared case-insensitively, with spaces collapsed.
pub fn is_built_in_name(name: &str) -> bool {
    let folded = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    [APP_CLIENT_NAME, DASHBOARD_CLIENT_NAME]
        .iter()
        .any(|built_in| folded == built_in.to_lowercase())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub app_type: Option<AppType>,
    pub is_first_party: bool,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub client_metadata: BTreeMap<String, String>,
    pub jwt_configuration: JwtConfiguration,
    /// `secret::hash` of the client secret; `None` for public clients.
    pub secret_hash: Option<String>,
    /// The secret replaced by the last rotation, accepted until
    /// `previous_secret_expires_at` (exclusive).
    #[serde(default)]
    pub previous_secret_hash: Option<String>,
    #[serde(default)]
    pub previous_secret_expires_at: Option<u64>,
    #[serde(default)]
    pub logo_uri: Option<String>,
    /// Set for clients that registered themselves (RFC 7591).
    #[serde(default)]
    pub registration: Option<Registration>,
    /// Whether `/authorize` may, or must, name an organization.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    #[serde(default)]
    pub organization_require_behavior: OrganizationRequireBehavior,
    /// The organization of a `client_credentials` request that names
    /// none, where the grant requires one.
    #[serde(default)]
    pub default_organization: Option<DefaultOrganization>,
    #[serde(default)]
    pub refresh_token: RefreshTokenSettings,
    pub created_at: u64,
}

/// What a dynamically registered client holds beyond an Auth0 client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// `secret::hash` of the RFC 7592 registration access token.
    pub access_token_hash: String,
    pub response_types: Vec<ResponseType>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub contacts: Vec<String>,
    pub scope: Option<String>,
}

impl ClientRecord {
    /// A first-party client with Auth0's defaults for its type.
    pub(crate) fn new(client_id: String, app_type: Option<AppType>, now: u64) -> Self {
        Self {
            client_id,
            name: String::new(),
            description: String::new(),
            app_type,
            is_first_party: true,
            token_endpoint_auth_method: AuthMethod::ClientSecretPost,
            grant_types: default_grant_types(app_type, true),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            allowed_origins: Vec::new(),
            client_metadata: BTreeMap::new(),
            jwt_configuration: JwtConfiguration {
                alg: SigningAlg::Rs256,
                lifetime_in_seconds: 36_000,
            },
            secret_hash: None,
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            logo_uri: None,
            registration: None,
            organization_usage: OrganizationUsage::Deny,
            organization_require_behavior: OrganizationRequireBehavior::NoPrompt,
            default_organization: None,
            refresh_token: RefreshTokenSettings::default(),
            created_at: now,
        }
    }

    /// The statement storing a new client.
    pub fn insert(&self) -> Statement {
        Statement::new(
            "INSERT INTO clients (client_id, name, app_type, is_first_party, created_at, doc, version) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
        )
        .bind(&self.client_id)
        .bind(&self.name)
        .bind(self.app_type.map(|t| t.as_str()))
        .bind(self.is_first_party)
        .bind(self.created_at)
        .bind(database::doc(self))
    }

    pub fn allows_grant(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }

    /// [`Self::allows_grant`] as the token endpoint answers it: Auth0's 403
    /// `unauthorized_client` for a grant type the client lacks.
    pub fn require_grant(&self, grant_type: GrantType) -> Result<()> {
        if self.allows_grant(grant_type) {
            Ok(())
        } else {
            Err(Error::oauth(
                403,
                crate::error::OAuthErrorCode::UnauthorizedClient,
                format!(
                    "Grant type '{}' not allowed for the client.",
                    grant_type.as_str()
                ),
            ))
        }
    }

    /// Whether `presented` is the client's secret, or its previous secret
    /// while that is inside its grace period. Both comparisons always run,
    /// in constant time.
    pub fn verify_secret(&self, presented: &str, now: u64) -> bool {
        let current = self
            .secret_hash
            .as_deref()
            .is_some_and(|hash| secret::verify(hash, presented));
        let previous = self
            .previous_secret_hash
            .as_deref()
            .is_some_and(|hash| secret::verify(hash, presented));
        let previous_valid = self.previous_secret_expires_at.is_some_and(|at| now < at);
        current | (previous & previous_valid)
    }

    /// Replaces the secret; the old one keeps working for `grace` seconds.
    fn replace_secret(&mut self, hash: String, now: u64, grace: u64) {
        let old = self.secret_hash.replace(hash);
        match old {
            Some(old) if grace > 0 => {
                self.previous_secret_hash = Some(old);
                self.previous_secret_expires_at = Some(now + grace);
            }
            _ => self.revoke_previous_secret(),
        }
    }

    /// Makes the secret agree with the auth method: a public client holds
    /// none; a confidential one without a secret gets a new one, returned
    /// so the caller can show it once.
    pub(crate) fn settle_secret(&mut self, rng: &dyn crate::seams::random::Rng) -> Option<String> {
        match (self.token_endpoint_auth_method, &self.secret_hash) {
            (AuthMethod::None, _) => {
                self.secret_hash = None;
                self.revoke_previous_secret();
                None
            }
            (_, None) => {
                let generated = secret::generate(rng);
                self.secret_hash = Some(secret::hash(rng, &generated));
                Some(generated)
            }
            (_, Some(_)) => None,
        }
    }

    fn revoke_previous_secret(&mut self) {
        self.previous_secret_hash = None;
        self.previous_secret_expires_at = None;
    }

    /// Drops a previous secret whose grace period is over.
    fn forget_expired_secret(&mut self, now: u64) {
        if self.previous_secret_expires_at.is_some_and(|at| now >= at) {
            self.revoke_previous_secret();
        }
    }

    pub fn is_third_party(&self) -> bool {
        !self.is_first_party
    }

    pub fn to_dto(&self, client_secret: Option<String>) -> Client {
        let previous_client_secret_expires_at = self
            .previous_secret_hash
            .as_ref()
            .and(self.previous_secret_expires_at)
            .map(rfc3339);
        Client {
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            app_type: self.app_type,
            is_first_party: self.is_first_party,
            token_endpoint_auth_method: self.token_endpoint_auth_method,
            grant_types: self.grant_types.clone(),
            callbacks: self.callbacks.clone(),
            allowed_logout_urls: self.allowed_logout_urls.clone(),
            web_origins: self.web_origins.clone(),
            allowed_origins: self.allowed_origins.clone(),
            client_metadata: self.client_metadata.clone(),
            jwt_configuration: self.jwt_configuration.clone(),
            client_secret,
            previous_client_secret_expires_at,
            logo_uri: self.logo_uri.clone(),
            organization_usage: self.organization_usage,
            organization_require_behavior: self.organization_require_behavior,
            default_organization: self.default_organization.clone(),
            refresh_token: self.refresh_token.clone(),
            global: false,
            created_at: rfc3339(self.created_at),
        }
    }

    /// Applies the settings of a PATCH; `client_secret` is the caller's.
    fn apply(&mut self, update: ClientUpdate) -> Result<()> {
        if let Some(name) = update.name {
            self.name = name;
        }
        if let Some(description) = update.description {
            self.description = description;
        }
        if let Some(app_type) = update.app_type {
            self.app_type = Some(app_type);
        }
        if let Some(first_party) = update.is_first_party {
            self.is_first_party = first_party;
        }
        if let Some(method) = update.token_endpoint_auth_method {
            self.token_endpoint_auth_method = method;
        }
        if let Some(grant_types) = update.grant_types {
            self.grant_types = grant_types;
        }
        if let Some(callbacks) = update.callbacks {
            self.callbacks = callbacks;
        }
        if let Some(urls) = update.allowed_logout_urls {
            self.allowed_logout_urls = urls;
        }
        if let Some(origins) = update.web_origins {
            self.web_origins = origins;
        }
        if let Some(origins) = update.allowed_origins {
            self.allowed_origins = origins;
        }
        if let Some(metadata) = update.client_metadata {
            self.client_metadata = metadata;
        }
        if let Some(usage) = update.organization_usage {
            self.organization_usage = usage;
        }
        if let Some(behavior) = update.organization_require_behavior {
            self.organization_require_behavior = behavior;
        }
        if let Some(default) = update.default_organization {
            self.default_organization = default;
        }
        if let Some(refresh) = update.refresh_token {
            let settings = &mut self.refresh_token;
            if let Some(value) = refresh.rotation_type {
                settings.rotation_type = value;
            }
            if let Some(value) = refresh.expiration_type {
                settings.expiration_type = value;
            }
            if let Some(value) = refresh.leeway {
                settings.leeway = value;
            }
            if let Some(value) = refresh.token_lifetime {
                settings.token_lifetime = value;
            }
            if let Some(value) = refresh.infinite_token_lifetime {
                settings.infinite_token_lifetime = value;
            }
            if let Some(value) = refresh.idle_token_lifetime {
                settings.idle_token_lifetime = value;
            }
            if let Some(value) = refresh.infinite_idle_token_lifetime {
                settings.infinite_idle_token_lifetime = value;
            }
        }
        if let Some(jwt) = update.jwt_configuration {
            if let Some(alg) = jwt.alg {
                self.jwt_configuration.alg = alg;
            }
            if let Some(lifetime) = jwt.lifetime_in_seconds {
                self.jwt_configuration.lifetime_in_seconds = lifetime;
            }
        }
        Ok(())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        check_text("name", &self.name, 1, 128)?;
        check_text("description", &self.description, 0, 140)?;
        if self.token_endpoint_auth_method == AuthMethod::None
            && self.allows_grant(GrantType::ClientCredentials)
        {
            return Err(Error::invalid_body("a client with token_endpoint_auth_method 'none' cannot use the client_credentials grant",
            ));
        }
        if self.callbacks.len() > MAX_URIS {
            return Err(Error::invalid_field(
                "callbacks",
                format!("may hold at most {MAX_URIS} items"),
            ));
        }
        for uri in &self.callbacks {
            redirect_uri::check(uri).map_err(|reason| {
                Error::invalid_field("callbacks", format!("value '{}' {reason}", echo(uri)))
            })?;
        }
        for (field, uris) in [
            ("allowed_logout_urls", &self.allowed_logout_urls),
            ("web_origins", &self.web_origins),
            ("allowed_origins", &self.allowed_origins),
        ] {
            check_uris(field, uris)?;
        }
        if self.client_metadata.len() > 10 {
            return Err(Error::invalid_field(
                "client_metadata",
                "may hold at most 10 properties",
            ));
        }
        for (name, value) in &self.client_metadata {
            let valid_name = !name.is_empty()
                && name.len() <= 255
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid_name || value.chars().count() > 255 {
                return Err(Error::invalid_field(
                    format!("client_metadata.{}", echo(name)),
                    "is not allowed (names: [A-Za-z0-9_-], 255 characters; values: 255 characters)",
                ));
            }
        }
        if self.organization_require_behavior != OrganizationRequireBehavior::NoPrompt {
            return Err(Error::invalid_field(
                "organization_require_behavior",
                "must be 'no_prompt': a sign-in that requires an organization names it in the request",
            ));
        }
        if let Some(default) = &self.default_organization {
            let only_client_credentials = !default.flows.is_empty()
                && default
                    .flows
                    .iter()
                    .all(|flow| flow == CLIENT_CREDENTIALS_FLOW);
            if !only_client_credentials {
                return Err(Error::invalid_field(
                    "default_organization.flows",
                    "must be [\"client_credentials\"]",
                ));
            }
        }
        let refresh = &self.refresh_token;
        if refresh.leeway > MAX_REFRESH_LEEWAY {
            return Err(Error::invalid_field(
                "refresh_token.leeway",
                format!("must be at most {MAX_REFRESH_LEEWAY} seconds"),
            ));
        }
        if !(1..=MAX_REFRESH_LIFETIME).contains(&refresh.token_lifetime) {
            return Err(Error::invalid_field(
                "refresh_token.token_lifetime",
                format!("must be between 1 and {MAX_REFRESH_LIFETIME} seconds"),
            ));
        }
        if !(1..=refresh.token_lifetime).contains(&refresh.idle_token_lifetime) {
            return Err(Error::invalid_field(
                "refresh_token.idle_token_lifetime",
                "must be between 1 and the token_lifetime",
            ));
        }
        if !(1..=2_592_000).contains(&self.jwt_configuration.lifetime_in_seconds) {
            return Err(Error::invalid_field(
                "jwt_configuration.lifetime_in_seconds",
                "must be between 1 and 2592000",
            ));
        }
        Ok(())
    }
}

/// Schemes no logout URL or web origin may have.
const SCRIPT_SCHEMES: [&str; 4] = ["javascript", "data", "vbscript", "file"];

fn check_uris(field: &str, uris: &[String]) -> Result<()> {
    if uris.len() > MAX_URIS {
        return Err(Error::invalid_field(
            field,
            format!("may hold at most {MAX_URIS} items"),
        ));
    }
    for uri in uris {
        // Any scheme an app may return to (native apps use their own),
        // except those a browser runs or reads locally.
        let scheme_ok = uri.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !SCRIPT_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str())
                && !rest.is_empty()
        });
        if !scheme_ok
            || uri.len() > MAX_URI_LEN
            || uri.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid_field(
                field,
                format!("value '{}' is not an absolute URL", echo(uri)),
            ));
        }
    }
    Ok(())
}

/// A custom secret must be as hard to guess as a generated one is likely to
/// be: at least 32 printable ASCII characters, no spaces.
fn check_custom_secret(secret: &str) -> Result<()> {
    let printable = secret.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if secret.len() < 32 || secret.len() > 512 || !printable {
        return Err(Error::invalid_field(
            "client_secret",
            "must be 32 to 512 printable ASCII characters without spaces",
        ));
    }
    Ok(())
}

/// Auth0's grant types for a new client of `app_type`, the one place they
/// are written: machine-to-machine apps get client credentials only;
/// browser and native apps sign people in; other confidential clients may
/// do both. A public client (`token_endpoint_auth_method: none`) never gets
/// client credentials.
pub(crate) fn default_grant_types(app_type: Option<AppType>, confidential: bool) -> Vec<GrantType> {
    use GrantType::*;
    match app_type {
        Some(AppType::NonInteractive) => vec![ClientCredentials],
        Some(AppType::Spa) | Some(AppType::Native) => {
            vec![AuthorizationCode, Implicit, RefreshToken]
        }
        Some(AppType::RegularWeb) | None if confidential => {
            vec![AuthorizationCode, Implicit, RefreshToken, ClientCredentials]
        }
        Some(AppType::RegularWeb) | None => vec![AuthorizationCode, Implicit, RefreshToken],
    }
}

pub(crate) fn key(client_id: &str) -> String {
    Projection::Client(client_id.to_string()).key()
}

impl Stored for ClientRecord {
    const SELECT: &'static str = "SELECT doc, version FROM clients WHERE client_id = ?1";
    const KIND: &'static str = "client";

    fn update(&self, version: i64) -> Statement {
        Statement::new(
            "UPDATE clients SET doc = ?1, name = ?2, app_type = ?3, is_first_party = ?4, \
             version = version + 1 WHERE client_id = ?5 AND version = ?6 RETURNING version",
        )
        .bind(database::doc(self))
        .bind(&self.name)
        .bind(self.app_type.map(|t| t.as_str()))
        .bind(self.is_first_party)
        .bind(&self.client_id)
        .bind(version)
    }

    fn projections(&self) -> Vec<Projection> {
        vec![Projection::Client(self.client_id.clone())]
    }
}

fn not_found() -> Error {
    Error::not_found(ManagementErrorCode::InexistentClient, NOT_FOUND)
}

/// Client ids are ours: anything else cannot name a stored client, and is
/// refused before it reaches the store.
pub fn is_well_formed_client_id(client_id: &str) -> bool {
    client_id.len() == CLIENT_ID_LEN && client_id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// A built-in client's id: derived from the issuer and the client's
    /// label, so every isolate agrees on it without storing anything.
    fn built_in_client_id(&self, label: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("{label}\0{}", self.issuer()).as_bytes());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()[..CLIENT_ID_LEN]
            .to_string()
    }

    /// A first-party public SPA client (authorization code with PKCE and
    /// refresh tokens, and the implicit grant), served by this deployment
    /// at the issuer's origin.
    fn built_in_spa(&self, label: &str, name: &str, description: &str, path: &str) -> ClientRecord {
        let origin = self.config.origin().to_string();
        let mut record = ClientRecord::new(self.built_in_client_id(label), Some(AppType::Spa), 0);
        record.name = name.to_string();
        record.description = description.to_string();
        record.token_endpoint_auth_method = AuthMethod::None;
        record.grant_types = vec![
            GrantType::AuthorizationCode,
            GrantType::Implicit,
            GrantType::RefreshToken,
        ];
        record.callbacks = vec![format!("{origin}{path}/callback")];
        record.allowed_logout_urls = vec![format!("{origin}/")];
        record.web_origins = vec![origin];
        record
    }

    /// The id of the tenant's own sample application.
    pub fn app_client_id(&self) -> String {
        self.built_in_client_id("app")
    }

    /// The tenant's own sample application: the SPA this deployment serves
    /// at the issuer's origin, callback `{origin}/callback`. Built in rather
    /// than stored, so it cannot be broken or deleted through the
    /// Management API.
    pub fn app_client(&self) -> ClientRecord {
        self.built_in_spa(
            "app",
            APP_CLIENT_NAME,
            "The tenant's own sample single-page app",
            "",
        )
    }

    /// The id of the tenant's Dashboard.
    pub fn dashboard_client_id(&self) -> String {
        self.built_in_client_id("dashboard")
    }

    /// The Dashboard: the same SPA under `/dashboard`, callback
    /// `{origin}/dashboard/callback`. Admins sign in to it for a
    /// Management API token; what that token may do is what the person's
    /// permissions on the Management API allow.
    ///
    /// Its refresh tokens (kept in the page's memory, never stored) rotate
    /// with no reuse interval and last as an admin's working day: 8 hours
    /// at most, 1 hour idle.
    pub fn dashboard_client(&self) -> ClientRecord {
        let mut record = self.built_in_spa(
            "dashboard",
            DASHBOARD_CLIENT_NAME,
            "The tenant's admin Dashboard",
            "/dashboard",
        );
        record.refresh_token = RefreshTokenSettings {
            token_lifetime: DASHBOARD_REFRESH_LIFETIME,
            idle_token_lifetime: DASHBOARD_REFRESH_IDLE_LIFETIME,
            ..RefreshTokenSettings::default()
        };
        record
    }

    /// A client people sign in to: a built-in app or a stored client.
    pub async fn interactive_client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        if client_id == self.app_client_id() {
            return Ok(Some(self.app_client()));
        }
        if client_id == self.dashboard_client_id() {
            return Ok(Some(self.dashboard_client()));
        }
        self.client(client_id).await
    }

    /// A client as the edge reads it: from the read model, one KV read.
    pub async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        if !is_well_formed_client_id(client_id) {
            return Ok(None);
        }
        store::get_json(self.store, &key(client_id)).await
    }

    /// A stored client, as Management and registration read it: one query.
    pub(crate) async fn stored_client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        if !is_well_formed_client_id(client_id) {
            return Ok(None);
        }
        Ok(self.versioned(client_id).await?.map(|(record, _)| record))
    }

    /// Stores a new client and projects it.
    pub(crate) async fn insert_client(&self, record: &ClientRecord) -> Result<()> {
        self.create(vec![record.insert()], &record.projections(), || {
            Error::conflict("A client with this id already exists")
        })
        .await?;
        Ok(())
    }

    async fn existing_client(&self, client_id: &str) -> Result<ClientRecord> {
        self.stored_client(client_id).await?.ok_or_else(not_found)
    }

    /// Changes a stored client over the version it read (see
    /// [`Tenant::modify`]).
    pub(crate) async fn modify_client<R>(
        &self,
        client_id: &str,
        change: impl FnMut(&mut ClientRecord) -> Result<R>,
    ) -> Result<(ClientRecord, R)> {
        if !is_well_formed_client_id(client_id) {
            return Err(not_found());
        }
        self.modify(client_id, not_found, change).await
    }

    /// A `default_organization` must name an organization that exists
    /// when it is set (a later deletion leaves it naming none, and token
    /// requests that fall back on it are refused as for an unknown one).
    async fn check_default_organization(
        &self,
        default: Option<&DefaultOrganization>,
    ) -> Result<()> {
        let Some(default) = default else {
            return Ok(());
        };
        let exists = crate::management::organizations::is_id(&default.organization_id)
            && self
                .stored_organization(&default.organization_id)
                .await?
                .is_some();
        if !exists {
            return Err(Error::invalid_field(
                "default_organization.organization_id",
                format!("names no organization: {}", echo(&default.organization_id)),
            ));
        }
        Ok(())
    }

    /// Creates a client; the response is the only time its secret is shown.
    pub async fn create_client(&self, request: ClientCreate) -> Result<Client> {
        let app_type = request.app_type;
        let public = matches!(app_type, Some(AppType::Spa) | Some(AppType::Native));
        let mut record = ClientRecord::new(
            random::alphanumeric(self.rng, CLIENT_ID_LEN),
            app_type,
            self.clock.now(),
        );
        if public {
            record.token_endpoint_auth_method = AuthMethod::None;
        }
        record.apply(ClientUpdate {
            name: Some(request.name),
            description: request.description,
            app_type: None,
            is_first_party: request.is_first_party,
            token_endpoint_auth_method: request.token_endpoint_auth_method,
            grant_types: request.grant_types,
            callbacks: request.callbacks,
            allowed_logout_urls: request.allowed_logout_urls,
            web_origins: request.web_origins,
            allowed_origins: request.allowed_origins,
            client_metadata: request.client_metadata,
            jwt_configuration: request.jwt_configuration,
            client_secret: None,
            organization_usage: request.organization_usage,
            organization_require_behavior: request.organization_require_behavior,
            default_organization: request.default_organization.map(Some),
            refresh_token: request.refresh_token,
        })?;
        record.validate()?;
        self.check_default_organization(record.default_organization.as_ref())
            .await?;
        let client_secret = record.settle_secret(self.rng);
        self.insert_client(&record).await?;
        Ok(record.to_dto(client_secret))
    }

    pub async fn get_client(&self, client_id: &str) -> Result<Client> {
        Ok(self.existing_client(client_id).await?.to_dto(None))
    }

    /// Clients by creation: two queries whatever their number.
    pub async fn list_clients(&self, paging: Paging) -> Result<Listing<Client>> {
        let (records, total) = self
            .page_of::<ClientRecord>(
                Statement::new("SELECT doc FROM clients ORDER BY created_at, client_id"),
                Statement::new("SELECT count(*) AS n FROM clients"),
                paging.window(),
                paging.include_totals,
            )
            .await?;
        Ok(Listing {
            items: records.iter().map(|record| record.to_dto(None)).collect(),
            paging,
            total,
        })
    }

    /// Applies a PATCH. A client that becomes confidential gets a secret,
    /// returned in this response only; one that becomes public loses it. A
    /// custom `client_secret` replaces the secret as a rotation does, which
    /// the caller may only do with `update:client_keys`.
    pub async fn update_client(
        &self,
        client_id: &str,
        mut update: ClientUpdate,
        may_set_secret: bool,
    ) -> Result<Client> {
        let custom_secret = update.client_secret.take();
        if custom_secret.is_some() && !may_set_secret {
            return Err(Error::management(
                ManagementErrorCode::InsufficientScope,
                "Insufficient scope, expected all of: update:clients, update:client_keys",
            ));
        }
        let custom = match &custom_secret {
            Some(custom) => {
                check_custom_secret(custom)?;
                let grace = self.settings().await?.client_secret_rotation_grace_period;
                Some((secret::hash(self.rng, custom), grace))
            }
            None => None,
        };
        if let Some(default) = &update.default_organization {
            self.check_default_organization(default.as_ref()).await?;
        }
        let now = self.clock.now();
        let (record, new_secret) = self
            .modify_client(client_id, |record| {
                record.apply(update.clone())?;
                record.validate()?;
                if let Some((hash, grace)) = &custom {
                    if record.token_endpoint_auth_method == AuthMethod::None {
                        return Err(Error::invalid_body(
                            "a client with token_endpoint_auth_method 'none' has no secret",
                        ));
                    }
                    record.replace_secret(hash.clone(), now, *grace);
                }
                let new_secret = record.settle_secret(self.rng);
                record.forget_expired_secret(now);
                Ok(new_secret)
            })
            .await?;
        Ok(record.to_dto(new_secret))
    }

    /// `POST /api/v2/clients/{id}/rotate-secret`: a new secret, shown in this
    /// response only. The old one keeps working for `grace` seconds (the
    /// tenant's default when not given), then is refused.
    pub async fn rotate_client_secret(
        &self,
        client_id: &str,
        grace: Option<u64>,
    ) -> Result<Client> {
        let grace = match grace {
            Some(seconds) => check_grace_period("previous_secret_grace_period", seconds)?,
            None => self.settings().await?.client_secret_rotation_grace_period,
        };
        let now = self.clock.now();
        let (record, generated) = self
            .modify_client(client_id, |record| {
                if record.token_endpoint_auth_method == AuthMethod::None {
                    return Err(Error::invalid_body(
                        "A client with token_endpoint_auth_method 'none' has no secret to rotate",
                    ));
                }
                let generated = secret::generate(self.rng);
                record.replace_secret(secret::hash(self.rng, &generated), now, grace);
                Ok(generated)
            })
            .await?;
        Ok(record.to_dto(Some(generated)))
    }

    /// `DELETE /api/v2/clients/{id}/previous-secret`: ends a grace period now.
    pub async fn revoke_previous_client_secret(&self, client_id: &str) -> Result<()> {
        self.modify_client(client_id, |record| {
            record.revoke_previous_secret();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Deletes a client, every grant it holds and the consents given to
    /// it, in one batch.
    pub async fn delete_client(&self, client_id: &str) -> Result<()> {
        if !is_well_formed_client_id(client_id) {
            return Err(not_found());
        }
        let now = self.clock.now();
        let mut statements = client_grants::delete_where(GrantsOf::Client, client_id, now);
        statements
            .push(Statement::new("DELETE FROM consents WHERE client_id = ?1").bind(client_id));
        // Its refresh tokens name a client that is gone.
        statements.push(
            Statement::new(
                "DELETE FROM refresh_tokens WHERE family_id IN \
                 (SELECT family_id FROM refresh_token_families WHERE client_id = ?1)",
            )
            .bind(client_id),
        );
        statements.push(
            Statement::new("DELETE FROM refresh_token_families WHERE client_id = ?1")
                .bind(client_id),
        );
        statements.push(
            Statement::new("DELETE FROM clients WHERE client_id = ?1 RETURNING client_id")
                .bind(client_id),
        );
        let client = Projection::Client(client_id.to_string());
        let rows = self
            .commit(statements, std::slice::from_ref(&client))
            .await?;
        if rows.last().is_none_or(Vec::is_empty) {
            return Err(not_found());
        }
        let mut touched = client_grants::deleted(&rows[client_grants::DELETED_ROWS])?;
        touched.push(client);
        self.project(&touched).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_uris;

    #[test]
    fn logout_urls_and_origins_are_absolute_and_never_script() {
        for ok in [
            "https://app.example/logged-out",
            "http://localhost:3000",
            "com.example.app://logout",
        ] {
            assert!(
                check_uris("allowed_logout_urls", &[ok.into()]).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "javascript://app.example/%0aalert(1)",
            "JavaScript://x/%0aalert(1)",
            "data://text/html,hi",
            "vbscript://x",
            "file:///etc/passwd",
            "/relative",
            "https://",
            "https://app.example/a b",
        ] {
            let err = check_uris("allowed_logout_urls", &[bad.into()]).unwrap_err();
            assert_eq!(err.status(), 400, "{bad}");
        }
    }
}
