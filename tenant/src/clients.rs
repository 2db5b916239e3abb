//! Applications (OAuth clients), in Auth0's shape.
//!
//! Stored under `client/{client_id}`; the secret only as a salted hash. A
//! request is applied to a whole record and the record is validated as a
//! whole, so create and update enforce the same rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::management::{AppType, Client, ClientCreate, ClientUpdate, JwtConfiguration};

use crate::clock::rfc3339;
use crate::error::{echo, Error, Result};
use crate::keys::{RsaBackend, SigningAlg};
use crate::management::{check_text, Listing, Paging};
use crate::store::{self, Store};
use crate::{random, secret, Tenant};

const PREFIX: &str = "client/";
pub const CLIENT_ID_LEN: usize = 32;
const NOT_FOUND: &str = "The client does not exist";
const MAX_URIS: usize = 100;
const MAX_URI_LEN: usize = 2048;

/// RFC 7591 §2 `token_endpoint_auth_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretBasic => "client_secret_basic",
        }
    }

    fn parse(value: &str) -> Result<Self> {
        match value {
            "none" => Ok(Self::None),
            "client_secret_post" => Ok(Self::ClientSecretPost),
            "client_secret_basic" => Ok(Self::ClientSecretBasic),
            other => Err(Error::invalid_body(format!(
                "Payload validation error: 'token_endpoint_auth_method' must be one of none, client_secret_post, client_secret_basic (got '{}')", echo(other)
            ))),
        }
    }
}

/// Grant types a client may be allowed.
pub const GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub app_type: Option<AppType>,
    pub is_first_party: bool,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<String>,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub client_metadata: BTreeMap<String, String>,
    pub jwt_configuration: JwtConfiguration,
    /// `secret::hash` of the client secret; `None` for public clients.
    pub secret_hash: Option<String>,
    pub created_at: u64,
}

impl ClientRecord {
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    pub fn to_dto(&self, client_secret: Option<String>) -> Client {
        Client {
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            app_type: self.app_type,
            is_first_party: self.is_first_party,
            token_endpoint_auth_method: self.token_endpoint_auth_method.as_str().to_string(),
            grant_types: self.grant_types.clone(),
            callbacks: self.callbacks.clone(),
            allowed_logout_urls: self.allowed_logout_urls.clone(),
            web_origins: self.web_origins.clone(),
            allowed_origins: self.allowed_origins.clone(),
            client_metadata: self.client_metadata.clone(),
            jwt_configuration: self.jwt_configuration.clone(),
            client_secret,
            global: false,
            created_at: rfc3339(self.created_at),
        }
    }

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
            self.token_endpoint_auth_method = AuthMethod::parse(&method)?;
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

    fn validate(&self) -> Result<()> {
        check_text("name", &self.name, 1, 128)?;
        check_text("description", &self.description, 0, 140)?;
        for grant in &self.grant_types {
            if !GRANT_TYPES.contains(&grant.as_str()) {
                return Err(Error::invalid_body(format!(
                    "Payload validation error: 'grant_types' value '{}' is not supported",
                    echo(grant)
                )));
            }
        }
        if self.token_endpoint_auth_method == AuthMethod::None
            && self.allows_grant("client_credentials")
        {
            return Err(Error::invalid_body(
                "Payload validation error: a client with token_endpoint_auth_method 'none' cannot use the client_credentials grant",
            ));
        }
        for (field, uris) in [
            ("callbacks", &self.callbacks),
            ("allowed_logout_urls", &self.allowed_logout_urls),
            ("web_origins", &self.web_origins),
            ("allowed_origins", &self.allowed_origins),
        ] {
            check_uris(field, uris)?;
        }
        if self.client_metadata.len() > 10 {
            return Err(Error::invalid_body(
                "Payload validation error: 'client_metadata' may hold at most 10 properties",
            ));
        }
        for (name, value) in &self.client_metadata {
            let valid_name = !name.is_empty()
                && name.len() <= 255
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid_name || value.chars().count() > 255 {
                return Err(Error::invalid_body(format!(
                    "Payload validation error: 'client_metadata.{}' is not allowed (names: [A-Za-z0-9_-], 255 characters; values: 255 characters)", echo(name)
                )));
            }
        }
        if SigningAlg::parse(&self.jwt_configuration.alg).is_none() {
            return Err(Error::invalid_body(
                "Payload validation error: 'jwt_configuration.alg' must be one of RS256, EdDSA",
            ));
        }
        if !(1..=2_592_000).contains(&self.jwt_configuration.lifetime_in_seconds) {
            return Err(Error::invalid_body(
                "Payload validation error: 'jwt_configuration.lifetime_in_seconds' must be between 1 and 2592000",
            ));
        }
        Ok(())
    }
}

fn check_uris(field: &str, uris: &[String]) -> Result<()> {
    if uris.len() > MAX_URIS {
        return Err(Error::invalid_body(format!(
            "Payload validation error: '{field}' may hold at most {MAX_URIS} items"
        )));
    }
    for uri in uris {
        let scheme_ok = uri.split_once("://").is_some_and(|(scheme, rest)| {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !rest.is_empty()
        });
        if !scheme_ok
            || uri.len() > MAX_URI_LEN
            || uri.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Error::invalid_body(format!(
                "Payload validation error: '{field}' value '{}' is not an absolute URL",
                echo(uri)
            )));
        }
    }
    Ok(())
}

fn default_grant_types(app_type: Option<AppType>) -> Vec<String> {
    let grants: &[&str] = match app_type {
        Some(AppType::NonInteractive) => &["client_credentials"],
        Some(AppType::Spa) | Some(AppType::Native) => {
            &["authorization_code", "implicit", "refresh_token"]
        }
        Some(AppType::RegularWeb) | None => &[
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
        ],
    };
    grants.iter().map(|g| g.to_string()).collect()
}

fn key(client_id: &str) -> String {
    format!("{PREFIX}{client_id}")
}

/// Client ids are ours: anything else cannot name a stored client, and is
/// refused before it reaches the store.
pub fn is_well_formed_client_id(client_id: &str) -> bool {
    client_id.len() == CLIENT_ID_LEN && client_id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl<S: Store, K: RsaBackend> Tenant<'_, S, K> {
    pub async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        if !is_well_formed_client_id(client_id) {
            return Ok(None);
        }
        store::get_json(self.store, &key(client_id)).await
    }

    async fn existing_client(&self, client_id: &str) -> Result<ClientRecord> {
        self.client(client_id)
            .await?
            .ok_or_else(|| Error::not_found("inexistent_client", NOT_FOUND))
    }

    /// Creates a client; the response is the only time its secret is shown.
    pub async fn create_client(&self, request: ClientCreate) -> Result<Client> {
        let app_type = request.app_type;
        let public = matches!(app_type, Some(AppType::Spa) | Some(AppType::Native));
        let mut record = ClientRecord {
            client_id: random::alphanumeric(self.rng, CLIENT_ID_LEN),
            name: String::new(),
            description: String::new(),
            app_type,
            is_first_party: true,
            token_endpoint_auth_method: if public {
                AuthMethod::None
            } else {
                AuthMethod::ClientSecretPost
            },
            grant_types: default_grant_types(app_type),
            callbacks: Vec::new(),
            allowed_logout_urls: Vec::new(),
            web_origins: Vec::new(),
            allowed_origins: Vec::new(),
            client_metadata: BTreeMap::new(),
            jwt_configuration: JwtConfiguration {
                alg: SigningAlg::Rs256.as_str().to_string(),
                lifetime_in_seconds: 36_000,
            },
            secret_hash: None,
            created_at: self.clock.now(),
        };
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
        })?;
        record.validate()?;
        let client_secret = (record.token_endpoint_auth_method != AuthMethod::None)
            .then(|| secret::generate(self.rng));
        record.secret_hash = client_secret.as_deref().map(|s| secret::hash(self.rng, s));
        store::put_json(self.store, &key(&record.client_id), &record).await?;
        Ok(record.to_dto(client_secret))
    }

    pub async fn get_client(&self, client_id: &str) -> Result<Client> {
        Ok(self.existing_client(client_id).await?.to_dto(None))
    }

    pub async fn list_clients(&self, paging: Paging) -> Result<Listing<Client>> {
        let keys = store::list_all(self.store, PREFIX).await?;
        let mut items = Vec::new();
        for key in &keys[paging.range(keys.len())] {
            if let Some(record) = store::get_json::<ClientRecord>(self.store, key).await? {
                items.push(record.to_dto(None));
            }
        }
        Ok(Listing {
            items,
            paging,
            total: keys.len(),
        })
    }

    /// Applies a PATCH. A client that becomes confidential gets a secret,
    /// returned in this response only; one that becomes public loses it.
    pub async fn update_client(&self, client_id: &str, update: ClientUpdate) -> Result<Client> {
        let mut record = self.existing_client(client_id).await?;
        record.apply(update)?;
        record.validate()?;
        let mut new_secret = None;
        match (record.token_endpoint_auth_method, &record.secret_hash) {
            (AuthMethod::None, Some(_)) => record.secret_hash = None,
            (AuthMethod::ClientSecretPost | AuthMethod::ClientSecretBasic, None) => {
                let generated = secret::generate(self.rng);
                record.secret_hash = Some(secret::hash(self.rng, &generated));
                new_secret = Some(generated);
            }
            _ => {}
        }
        store::put_json(self.store, &key(client_id), &record).await?;
        Ok(record.to_dto(new_secret))
    }

    /// Deletes a client and every grant it holds.
    pub async fn delete_client(&self, client_id: &str) -> Result<()> {
        let record = self.existing_client(client_id).await?;
        self.delete_client_grants_of_client(&record.client_id)
            .await?;
        self.store.delete(&key(&record.client_id)).await
    }
}
