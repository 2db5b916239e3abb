//! OpenID Connect Dynamic Client Registration 1.0 / RFC 7591 (open
//! registration at `/oidc/register`, while the tenant allows it) and RFC 7592
//! (the client reads, replaces or deletes its own registration at
//! `/oidc/register/{client_id}` with its registration access token).
//!
//! Registered clients are third-party clients. Every member has a size
//! bound, so an open endpoint cannot be used to fill the store; unknown
//! members are ignored (RFC 7591 §2), never stored.

use serde_json::{Map, Value};
use shared::logs::Actor;
use shared::management::AppType;
use shared::protocol::{ActorKind, ResponseType};
use shared::registration::ClientInformation;

use crate::error::{echo, Error, OAuthErrorCode, Result};
use crate::jose::access_token::bearer_token;
use crate::management::clients::{
    default_grant_types, is_built_in_name, AuthMethod, ClientRecord, GrantType, Registration,
    CLIENT_ID_LEN,
};
use crate::management::logs::{self, NewEvent};
use crate::primitives::scope::Scope;
use crate::primitives::text::is_forbidden_in_text;
use crate::primitives::{redirect_uri, secret};
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::random;
use crate::seams::store::Store;
use crate::Tenant;

const MAX_REDIRECT_URIS: usize = 20;
const MAX_CONTACTS: usize = 10;
const MAX_NAME_CHARS: usize = 128;
const MAX_SCOPE_LEN: usize = 1000;
const DEFAULT_CLIENT_NAME: &str = "Dynamic application";
/// Bytes of the registration access token.
const REGISTRATION_TOKEN_BYTES: usize = 32;

/// What a registered client is in Auth0's terms: a browser app when it
/// cannot keep a secret, a web app when it can.
fn app_type(method: AuthMethod) -> AppType {
    if method == AuthMethod::None {
        AppType::Spa
    } else {
        AppType::RegularWeb
    }
}

/// The metadata a client registers with (RFC 7591 §2), validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata {
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub contacts: Vec<String>,
    pub scope: Option<String>,
}

/// Reads the JSON members of a registration request, type-checked.
struct Members<'a>(&'a Map<String, Value>);

impl Members<'_> {
    fn string(&self, name: &str, max_chars: usize) -> Result<Option<String>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(value)) if value.chars().count() <= max_chars => {
                Ok(Some(value.clone()))
            }
            Some(Value::String(_)) => Err(Error::invalid_client_metadata(format!(
                "{name} must be at most {max_chars} characters"
            ))),
            Some(_) => Err(Error::invalid_client_metadata(format!(
                "{name} must be a string"
            ))),
        }
    }

    /// An array of the protocol's words (`grant_types`, `response_types`),
    /// each one `parse` knows.
    fn words<T>(
        &self,
        name: &str,
        max_items: usize,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<Vec<T>>> {
        let Some(values) = self.strings(name, max_items, 64)? else {
            return Ok(None);
        };
        let singular = name.trim_end_matches('s');
        values
            .iter()
            .map(|value| {
                parse(value).ok_or_else(|| {
                    Error::invalid_client_metadata(format!(
                        "{singular} '{}' is not supported",
                        echo(value)
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn strings(
        &self,
        name: &str,
        max_items: usize,
        max_chars: usize,
    ) -> Result<Option<Vec<String>>> {
        self.strings_refused_as(
            name,
            max_items,
            max_chars,
            OAuthErrorCode::InvalidClientMetadata,
        )
    }

    /// An array of strings, each at most `max_chars`, repeats dropped; a
    /// malformed one is refused with `code` (RFC 7591 §3.2.2 names
    /// `invalid_redirect_uri` for the redirect URIs).
    fn strings_refused_as(
        &self,
        name: &str,
        max_items: usize,
        max_chars: usize,
        code: OAuthErrorCode,
    ) -> Result<Option<Vec<String>>> {
        let refused = |description: String| Error::oauth(400, code, description);
        let items = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(refused(format!("{name} must be an array of strings"))),
        };
        if items.len() > max_items {
            return Err(refused(format!(
                "{name} may hold at most {max_items} values"
            )));
        }
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::String(value) if value.chars().count() <= max_chars => {
                    if !values.contains(value) {
                        values.push(value.clone());
                    }
                }
                Value::String(_) => {
                    return Err(refused(format!(
                        "{name} values must be at most {max_chars} characters"
                    )))
                }
                _ => return Err(refused(format!("{name} must be an array of strings"))),
            }
        }
        Ok(Some(values))
    }
}

/// A URL shown to people (logo, home page, policy, terms): https, or http on
/// a loopback host, like a redirect URI.
fn check_web_uri(name: &str, uri: &Option<String>) -> Result<()> {
    if let Some(uri) = uri {
        let web = uri.starts_with("https://") || uri.starts_with("http://");
        if !web || redirect_uri::check(uri).is_err() {
            return Err(Error::invalid_client_metadata(format!(
                "{name} must be an https URL (got '{}')",
                echo(uri)
            )));
        }
    }
    Ok(())
}

impl ClientMetadata {
    /// Parses and validates a registration request body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let value: Value = serde_json::from_slice(body).map_err(|_| {
            Error::invalid_client_metadata("The request body must be a JSON object")
        })?;
        let object = value.as_object().ok_or_else(|| {
            Error::invalid_client_metadata("The request body must be a JSON object")
        })?;
        Self::from_members(object)
    }

    fn from_members(object: &Map<String, Value>) -> Result<Self> {
        let members = Members(object);
        let client_name = members
            .string("client_name", MAX_NAME_CHARS)?
            .unwrap_or_else(|| DEFAULT_CLIENT_NAME.to_string());
        if client_name.trim().is_empty() || client_name.chars().any(is_forbidden_in_text) {
            return Err(Error::invalid_client_metadata(
                "client_name must be a non-empty name without control, invisible or bidirectional-override characters or < >",
            ));
        }
        // A consent page must not say "Dashboard" for someone else's app.
        if is_built_in_name(&client_name) {
            return Err(Error::invalid_client_metadata(format!(
                "client_name '{}' is reserved for one of the tenant's own applications",
                echo(&client_name)
            )));
        }

        let token_endpoint_auth_method = match members.string("token_endpoint_auth_method", 64)? {
            None => AuthMethod::ClientSecretPost,
            Some(method) => AuthMethod::parse(&method).ok_or_else(|| {
                Error::invalid_client_metadata(format!(
                    "token_endpoint_auth_method '{}' is not supported; use none, client_secret_post or client_secret_basic",
                    echo(&method)
                ))
            })?,
        };
        let confidential = token_endpoint_auth_method != AuthMethod::None;

        let grant_types =
            match members.words("grant_types", GrantType::ALL.len(), GrantType::parse)? {
                Some(grants) => grants,
                None => {
                    default_grant_types(Some(app_type(token_endpoint_auth_method)), confidential)
                }
            };
        let allows = |grant: GrantType| grant_types.contains(&grant);
        if allows(GrantType::ClientCredentials) && !confidential {
            return Err(Error::invalid_client_metadata(
                "a client with token_endpoint_auth_method 'none' cannot use the client_credentials grant",
            ));
        }

        let response_types = match members.words(
            "response_types",
            ResponseType::ALL.len(),
            ResponseType::parse,
        )? {
            Some(types) => types,
            None => {
                let mut types = Vec::new();
                if allows(GrantType::AuthorizationCode) {
                    types.push(ResponseType::CODE);
                }
                if allows(GrantType::Implicit) {
                    types.extend([
                        ResponseType::TOKEN,
                        ResponseType::ID_TOKEN,
                        ResponseType::ID_TOKEN_TOKEN,
                    ]);
                }
                types
            }
        };
        for response_type in &response_types {
            // RFC 7591 §2.1: response types need their grant types.
            let needs_implicit = response_type.token || response_type.id_token;
            if (response_type.code && !allows(GrantType::AuthorizationCode))
                || (needs_implicit && !allows(GrantType::Implicit))
            {
                return Err(Error::invalid_client_metadata(format!(
                    "response_type '{response_type}' does not match the grant_types"
                )));
            }
        }

        let redirect_uris = members
            .strings_refused_as(
                "redirect_uris",
                MAX_REDIRECT_URIS,
                redirect_uri::MAX_LEN,
                OAuthErrorCode::InvalidRedirectUri,
            )?
            .unwrap_or_default();
        if redirect_uris.is_empty()
            && (allows(GrantType::AuthorizationCode) || allows(GrantType::Implicit))
        {
            return Err(Error::invalid_redirect_uri(
                "redirect_uris is required for the authorization_code and implicit grants",
            ));
        }
        for uri in &redirect_uris {
            redirect_uri::check(uri).map_err(|reason| {
                Error::invalid_redirect_uri(format!("redirect_uri '{}' {reason}", echo(uri)))
            })?;
        }

        let logo_uri = members.string("logo_uri", redirect_uri::MAX_LEN)?;
        let client_uri = members.string("client_uri", redirect_uri::MAX_LEN)?;
        let policy_uri = members.string("policy_uri", redirect_uri::MAX_LEN)?;
        let tos_uri = members.string("tos_uri", redirect_uri::MAX_LEN)?;
        for (name, uri) in [
            ("logo_uri", &logo_uri),
            ("client_uri", &client_uri),
            ("policy_uri", &policy_uri),
            ("tos_uri", &tos_uri),
        ] {
            check_web_uri(name, uri)?;
        }

        let contacts = members
            .strings("contacts", MAX_CONTACTS, 254)?
            .unwrap_or_default();
        for contact in &contacts {
            let valid = contact
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty())
                && !contact.chars().any(|c| c.is_whitespace() || c.is_control());
            if !valid {
                return Err(Error::invalid_client_metadata(format!(
                    "contacts must be email addresses (got '{}')",
                    echo(contact)
                )));
            }
        }

        let scope = members.string("scope", MAX_SCOPE_LEN)?;
        if let Some(scope) = &scope {
            // Stored and returned as sent (RFC 7591 §2), so it must be
            // written as the tenant would write it: one space each.
            let valid = Scope::parse(scope).is_ok_and(|parsed| parsed.to_string() == *scope);
            if !valid {
                return Err(Error::invalid_client_metadata(
                    "scope must be scope tokens separated by single spaces",
                ));
            }
        }

        Ok(Self {
            client_name,
            redirect_uris,
            token_endpoint_auth_method,
            grant_types,
            response_types,
            logo_uri,
            client_uri,
            policy_uri,
            tos_uri,
            contacts,
            scope,
        })
    }

    /// Writes the metadata onto a client record, keeping its identity,
    /// secrets and registration access token.
    fn apply(self, record: &mut ClientRecord, access_token_hash: String) {
        record.name = self.client_name;
        record.app_type = Some(app_type(self.token_endpoint_auth_method));
        record.is_first_party = false;
        record.token_endpoint_auth_method = self.token_endpoint_auth_method;
        record.grant_types = self.grant_types;
        record.callbacks = self.redirect_uris;
        record.logo_uri = self.logo_uri;
        record.registration = Some(Registration {
            access_token_hash,
            response_types: self.response_types,
            client_uri: self.client_uri,
            policy_uri: self.policy_uri,
            tos_uri: self.tos_uri,
            contacts: self.contacts,
            scope: self.scope,
        });
    }
}

/// RFC 7592 §2.2: members a client may not send when replacing its metadata.
const SERVER_MEMBERS: &[&str] = &[
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    pub fn registration_client_uri(&self, client_id: &str) -> String {
        format!("{}oidc/register/{client_id}", self.issuer())
    }

    fn client_information(
        &self,
        record: &ClientRecord,
        client_secret: Option<String>,
        registration_access_token: Option<String>,
    ) -> ClientInformation {
        let registration = record.registration.clone();
        let registration = registration.as_ref();
        ClientInformation {
            client_id: record.client_id.clone(),
            client_secret_expires_at: record.secret_hash.as_ref().map(|_| 0),
            client_secret,
            client_id_issued_at: record.created_at,
            registration_access_token,
            registration_client_uri: self.registration_client_uri(&record.client_id),
            client_name: record.name.clone(),
            redirect_uris: record.callbacks.clone(),
            token_endpoint_auth_method: record.token_endpoint_auth_method,
            grant_types: record.grant_types.clone(),
            response_types: registration
                .map(|r| r.response_types.clone())
                .unwrap_or_default(),
            logo_uri: record.logo_uri.clone(),
            client_uri: registration.and_then(|r| r.client_uri.clone()),
            policy_uri: registration.and_then(|r| r.policy_uri.clone()),
            tos_uri: registration.and_then(|r| r.tos_uri.clone()),
            contacts: registration.map(|r| r.contacts.clone()).unwrap_or_default(),
            scope: registration.and_then(|r| r.scope.clone()),
        }
    }

    /// `POST /oidc/register` (RFC 7591 §3.1), open while the tenant's
    /// `enable_dynamic_client_registration` flag is on.
    pub async fn register_client(&self, body: &[u8]) -> Result<ClientInformation> {
        if !self.settings().await?.enable_dynamic_client_registration {
            return Err(Error::access_denied(
                "Dynamic client registration is disabled for this tenant",
            ));
        }
        let metadata = ClientMetadata::parse(body)?;
        let mut record = ClientRecord::new(
            random::alphanumeric(self.rng, CLIENT_ID_LEN),
            None,
            self.clock.now(),
        );
        let access_token = random::token(self.rng, REGISTRATION_TOKEN_BYTES);
        metadata.apply(&mut record, secret::hash(self.rng, &access_token));
        let client_secret = record.settle_secret(self.rng);
        self.insert_client(&record).await?;
        let anonymous = logs::anonymous();
        self.log_registration(anonymous, "Register a client", &record.client_id);
        Ok(self.client_information(&record, client_secret, Some(access_token)))
    }

    /// Writes a registration call to the audit log, after the response: it
    /// has happened whatever becomes of the write.
    fn log_registration(&self, actor: Actor, description: &str, client_id: &str) {
        self.defer_log(NewEvent::api_operation(
            actor,
            Some(client_id.to_string()),
            description,
            logs::target("client", Some(client_id)),
            &self.caller,
        ));
    }

    /// The registration a request's registration access token opens. Any
    /// failure is the same 401 (RFC 7592 §2.1), whether or not the client
    /// exists.
    async fn authorized_registration(
        &self,
        client_id: &str,
        authorization: Option<&str>,
    ) -> Result<ClientRecord> {
        let token = bearer_token(authorization)?;
        let refused =
            || Error::invalid_token("The registration access token is not valid for this client");
        let record = self.stored_client(client_id).await?.ok_or_else(refused)?;
        let valid = record
            .registration
            .as_ref()
            .is_some_and(|r| secret::verify(&r.access_token_hash, token));
        if !valid {
            return Err(refused());
        }
        Ok(record)
    }

    /// `GET /oidc/register/{client_id}` (RFC 7592 §2.1).
    pub async fn read_registration(
        &self,
        client_id: &str,
        authorization: Option<&str>,
    ) -> Result<ClientInformation> {
        let record = self
            .authorized_registration(client_id, authorization)
            .await?;
        Ok(self.client_information(&record, None, None))
    }

    /// `PUT /oidc/register/{client_id}` (RFC 7592 §2.2): the request
    /// replaces every metadata value; omitted ones return to defaults.
    pub async fn update_registration(
        &self,
        client_id: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<ClientInformation> {
        self.authorized_registration(client_id, authorization)
            .await?;
        let value: Value = serde_json::from_slice(body).map_err(|_| {
            Error::invalid_client_metadata("The request body must be a JSON object")
        })?;
        let object = value.as_object().ok_or_else(|| {
            Error::invalid_client_metadata("The request body must be a JSON object")
        })?;
        if object.get("client_id").and_then(Value::as_str) != Some(client_id) {
            return Err(Error::invalid_request(
                "client_id must be present and equal to the registered client_id",
            ));
        }
        if let Some(member) = SERVER_MEMBERS.iter().find(|m| object.contains_key(**m)) {
            return Err(Error::invalid_request(format!(
                "{member} is set by the server and must not be sent"
            )));
        }
        let presented = object.get("client_secret");
        let metadata = ClientMetadata::from_members(object)?;
        // Over the version read: a rotation made meanwhile is checked
        // against, and kept.
        let (record, client_secret) = self
            .modify_client(client_id, |record| {
                if let Some(presented) = presented {
                    let matches = presented.as_str().is_some_and(|s| {
                        record
                            .secret_hash
                            .as_deref()
                            .is_some_and(|hash| secret::verify(hash, s))
                    });
                    if !matches {
                        return Err(Error::invalid_request(
                            "client_secret, when sent, must be the client's current secret",
                        ));
                    }
                }
                let access_token_hash = record
                    .registration
                    .take()
                    .map(|r| r.access_token_hash)
                    .unwrap_or_default();
                metadata.clone().apply(record, access_token_hash);
                Ok(record.settle_secret(self.rng))
            })
            .await
            .map_err(|err| match err.status() {
                // Deleted since it was read: as RFC 7592 §2.1 answers.
                404 => Error::invalid_token(
                    "The registration access token is not valid for this client",
                ),
                // Changed by others at the same time, again and again: no
                // RFC 7592 code says "retry"; the OAuth one for it is 503.
                409 => Error::unavailable("the registration was changed concurrently; retry"),
                _ => err,
            })?;
        let actor = logs::actor(ActorKind::Client, client_id);
        self.log_registration(actor, "Update a client's registration", client_id);
        Ok(self.client_information(&record, client_secret, None))
    }

    /// `DELETE /oidc/register/{client_id}` (RFC 7592 §2.3): the client and
    /// its grants are gone.
    pub async fn delete_registration(
        &self,
        client_id: &str,
        authorization: Option<&str>,
    ) -> Result<()> {
        self.authorized_registration(client_id, authorization)
            .await?;
        // Gone meanwhile (a concurrent delete) is gone all the same, not
        // an error in the Management API's format.
        match self.delete_client(client_id).await {
            Ok(()) => {}
            Err(err) if err.status() == 404 => {}
            Err(err) => return Err(err),
        }
        let actor = logs::actor(ActorKind::Client, client_id);
        self.log_registration(actor, "Delete a client's registration", client_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::OAuthErrorCode;

    fn parse(json: &str) -> Result<ClientMetadata> {
        ClientMetadata::parse(json.as_bytes())
    }

    fn code(result: Result<ClientMetadata>) -> OAuthErrorCode {
        match result {
            Err(Error::OAuth {
                code, status: 400, ..
            }) => code,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn the_reference_request_gets_auth0s_defaults() {
        let metadata = parse(
            r#"{"client_name":"My Dynamic Application","redirect_uris": ["https://application.example.com/callback", "https://application.example.com/callback2"]}"#,
        )
        .unwrap();
        assert_eq!(
            metadata.token_endpoint_auth_method,
            AuthMethod::ClientSecretPost
        );
        assert!(metadata.grant_types.contains(&GrantType::Implicit));
        assert!(metadata.grant_types.contains(&GrantType::ClientCredentials));
        assert!(metadata
            .response_types
            .contains(&ResponseType::ID_TOKEN_TOKEN));
    }

    #[test]
    fn a_public_spa_gets_no_client_credentials() {
        let metadata = parse(
            r#"{"redirect_uris":["http://localhost:3000/cb"],"token_endpoint_auth_method":"none"}"#,
        )
        .unwrap();
        assert!(!metadata.grant_types.contains(&GrantType::ClientCredentials));
        let err = parse(
            r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"none","grant_types":["client_credentials"]}"#,
        );
        assert_eq!(code(err), OAuthErrorCode::InvalidClientMetadata);
    }

    #[test]
    fn bad_redirect_uris_are_invalid_redirect_uri() {
        for body in [
            r#"{"client_name":"x"}"#,
            r#"{"redirect_uris":[]}"#,
            r#"{"redirect_uris":["/relative"]}"#,
            r#"{"redirect_uris":["https://a.example/cb#x"]}"#,
            r#"{"redirect_uris":["javascript:alert(1)"]}"#,
            r#"{"redirect_uris":["http://a.example/cb"]}"#,
            r#"{"redirect_uris":"https://a.example/cb"}"#,
            r#"{"redirect_uris":[5]}"#,
        ] {
            assert_eq!(
                code(parse(body)),
                OAuthErrorCode::InvalidRedirectUri,
                "{body}"
            );
        }
        let many: Vec<String> = (0..21).map(|i| format!("https://a.example/{i}")).collect();
        let body = serde_json::json!({ "redirect_uris": many }).to_string();
        assert_eq!(code(parse(&body)), OAuthErrorCode::InvalidRedirectUri);
    }

    #[test]
    fn bad_metadata_is_invalid_client_metadata() {
        for body in [
            "not json",
            "[]",
            r#"{"redirect_uris":["https://a.example/cb"],"client_name":5}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"grant_types":["password"]}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"grant_types":["implicit"],"response_types":["code"]}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"logo_uri":"javascript:alert(1)"}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"contacts":["not-an-email"]}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"scope":"a  b"}"#,
            r#"{"redirect_uris":["https://a.example/cb"],"client_name":"<script>"}"#,
        ] {
            assert_eq!(
                code(parse(body)),
                OAuthErrorCode::InvalidClientMetadata,
                "{body}"
            );
        }
        let long_name = serde_json::json!({
            "redirect_uris": ["https://a.example/cb"],
            "client_name": "n".repeat(129),
        });
        assert_eq!(
            code(parse(&long_name.to_string())),
            OAuthErrorCode::InvalidClientMetadata
        );
    }

    #[test]
    fn a_registered_app_cannot_take_a_built_in_name_or_hide_characters_in_its_own() {
        for name in [
            "Dashboard",
            "  dashboard ",
            "DASHBOARD",
            "Edge Tenant",
            "edge   tenant",
            // "Dashboard" with the last letters reversed by an override.
            "Dashbo\u{202E}dra",
            "Pay\u{2066}Pal\u{2069}",
            "Good\u{200B}App",
            "Line\u{2028}Break",
            "Tag\u{E0041}",
        ] {
            let body = serde_json::json!({
                "redirect_uris": ["https://a.example/cb"],
                "client_name": name,
            });
            assert_eq!(
                code(parse(&body.to_string())),
                OAuthErrorCode::InvalidClientMetadata,
                "{name:?}"
            );
        }
        // Names in any script, emoji sequences included, are fine.
        for name in ["Dashboard for Acme", "Café ☕", "कार्य", "👩\u{200D}💻 Dev"] {
            let body = serde_json::json!({
                "redirect_uris": ["https://a.example/cb"],
                "client_name": name,
            });
            assert_eq!(parse(&body.to_string()).unwrap().client_name, name);
        }
    }

    #[test]
    fn unknown_members_are_ignored() {
        let metadata = parse(
            r#"{"redirect_uris":["https://a.example/cb"],"software_statement":"x","jwks":{"keys":[]}}"#,
        )
        .unwrap();
        assert_eq!(metadata.client_name, DEFAULT_CLIENT_NAME);
    }
}
