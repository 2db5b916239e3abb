//! The token endpoint (RFC 6749 §3.2) and its client credentials grant
//! (§4.4), with Auth0's `audience` parameter selecting the API.
//!
//! Cost on the hot path: one store read for the client and one for its
//! grant; the API's settings and the signing key come from isolate memory.
//! A request that acts for an organization reads one more, the
//! organization with the grants linked to it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use shared::token::TokenResponse;

use crate::actions::{claims, events, Refusal};
use crate::error::{echo, Challenge, Error, OAuthErrorCode, Result};
use crate::jose::access_token::{AccessTokenGrant, Audience, OrganizationClaims};
use crate::management::clients::{AuthMethod, ClientRecord, GrantType};
use crate::management::organizations::access;
use crate::primitives::scope::{self, Scope};
use crate::primitives::secret;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::throttle::{ClientAuthLimits, RateLimit};
use crate::{management, Tenant};
use shared::actions::TriggerId;

/// A well-formed hash no secret matches, compared against for unknown clients.
pub(crate) const UNKNOWN_CLIENT_HASH: &str =
    "sha256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The store keys a warm `client_credentials` grant reads, in order: the
/// client, then its grant for the audience. Everything else it needs (the
/// API's settings, the signing key) is in isolate memory. The benchmark's
/// floor reads exactly these keys and nothing else.
pub fn warm_grant_reads(client_id: &str, audience: &str) -> [String; 2] {
    [
        crate::management::clients::key(client_id),
        crate::management::client_grants::key(client_id, audience),
    ]
}

/// The parameters of a token request, from either body encoding.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub audience: Option<String>,
    pub scope: Option<String>,
    pub organization: Option<String>,
    /// The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.5).
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// The refresh token grant (§6).
    pub refresh_token: Option<String>,
    /// `POST /oauth/revoke` (RFC 7009 §2.1).
    pub token: Option<String>,
    pub token_type_hint: Option<String>,
}

impl TokenRequest {
    /// Parses `application/x-www-form-urlencoded` (RFC 6749 §3.2) or, as
    /// Auth0 also accepts, `application/json`.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self> {
        let essence = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|ct| ct.trim().to_ascii_lowercase());
        match essence.as_deref() {
            Some("application/x-www-form-urlencoded") => Self::from_form(body),
            Some("application/json") => Self::from_json(body),
            _ => Err(Error::invalid_request(
                "Content-Type must be application/x-www-form-urlencoded or application/json",
            )),
        }
    }

    fn from_form(body: &[u8]) -> Result<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| Error::invalid_request("The request body is not valid form encoding"))?;
        let mut request = Self::default();
        for (name, value) in pairs {
            request.set(&name, Some(value))?;
        }
        Ok(request)
    }

    fn from_json(body: &[u8]) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|_| Error::invalid_request("The request body is not valid JSON"))?;
        let object = value
            .as_object()
            .ok_or_else(|| Error::invalid_request("The request body must be a JSON object"))?;
        let mut request = Self::default();
        for (name, value) in object {
            let value = match value {
                // Auth0 SDKs send `"organization": null`: null is absent.
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                _ if request.slot(name).is_some() => {
                    return Err(Error::invalid_request(format!("{name} must be a string")))
                }
                _ => None,
            };
            request.set(name, value)?;
        }
        Ok(request)
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "grant_type" => &mut self.grant_type,
            "client_id" => &mut self.client_id,
            "client_secret" => &mut self.client_secret,
            "audience" => &mut self.audience,
            "scope" => &mut self.scope,
            "organization" => &mut self.organization,
            "code" => &mut self.code,
            "redirect_uri" => &mut self.redirect_uri,
            "code_verifier" => &mut self.code_verifier,
            "refresh_token" => &mut self.refresh_token,
            "token" => &mut self.token,
            "token_type_hint" => &mut self.token_type_hint,
            _ => return None,
        })
    }

    /// The parameters as an action's `event.request.body` shows them: the
    /// client's secret left out.
    pub fn event_body(&self) -> serde_json::Map<String, serde_json::Value> {
        [
            ("grant_type", &self.grant_type),
            ("client_id", &self.client_id),
            ("audience", &self.audience),
            ("scope", &self.scope),
            ("organization", &self.organization),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.clone()?.into())))
        .collect()
    }

    /// RFC 6749 §3.1: empty parameters are omitted, repeated ones refused,
    /// unknown ones ignored.
    fn set(&mut self, name: &str, value: Option<String>) -> Result<()> {
        let Some(slot) = self.slot(name) else {
            return Ok(());
        };
        if slot.is_some() {
            return Err(Error::invalid_request(format!(
                "{name} must not be repeated"
            )));
        }
        *slot = value.filter(|v| !v.is_empty());
        Ok(())
    }
}

/// How the client authenticated (RFC 6749 §2.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthentication {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub method: AuthMethod,
}

impl ClientAuthentication {
    /// From the `Authorization` header and the body. Using Basic and a body
    /// secret at once is refused (§2.3: one method per request).
    pub fn from_request(authorization: Option<&str>, request: &TokenRequest) -> Result<Self> {
        let basic = authorization.and_then(|h| {
            let (scheme, credentials) = h.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| credentials.trim())
        });
        if let Some(credentials) = basic {
            if request.client_secret.is_some() {
                return Err(Error::invalid_request(
                    "Use one client authentication method: HTTP Basic or client_secret in the body",
                ));
            }
            let (client_id, client_secret) = parse_basic(credentials)?;
            if request
                .client_id
                .as_ref()
                .is_some_and(|id| *id != client_id)
            {
                return Err(Error::invalid_request(
                    "client_id in the body differs from the one in the Authorization header",
                ));
            }
            return Ok(Self {
                client_id,
                client_secret: Some(client_secret),
                method: AuthMethod::ClientSecretBasic,
            });
        }
        let client_id = request
            .client_id
            .clone()
            .ok_or_else(|| Error::invalid_client("Client authentication is required", None))?;
        let method = if request.client_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            AuthMethod::None
        };
        Ok(Self {
            client_id,
            client_secret: request.client_secret.clone(),
            method,
        })
    }

    pub(crate) fn challenge(&self) -> Option<Challenge> {
        (self.method == AuthMethod::ClientSecretBasic).then_some(Challenge::Basic)
    }

    pub(crate) fn failed(&self) -> Error {
        Error::invalid_client("Client authentication failed", self.challenge())
    }
}

/// `base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
fn parse_basic(credentials: &str) -> Result<(String, String)> {
    let malformed =
        || Error::invalid_client("Malformed HTTP Basic credentials", Some(Challenge::Basic));
    let decoded = STANDARD.decode(credentials).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    // application/x-www-form-urlencoded, one value: `+` is a space, `%XX` a
    // byte; a raw `&` or `=` (a client that did not encode) stays itself.
    let unescape = |part: &str| -> Result<String> {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|decoded| decoded.into_owned())
            .map_err(|_| malformed())
    };
    let id = unescape(id)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok((id, unescape(secret)?))
}

/// The client a request authenticated as, and the scopes it holds for the
/// requested audience.
enum AuthenticatedClient {
    Bootstrap,
    Registered(Box<ClientRecord>),
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// `POST /oauth/token`, without throttling failed client authentication.
    pub async fn token(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<TokenResponse> {
        self.token_throttled(
            authorization,
            content_type,
            body,
            &ClientAuthLimits::UNLIMITED,
        )
        .await
    }

    /// `POST /oauth/token`, with failed client authentication counted
    /// against `limits` (see [`crate::throttle`]).
    pub async fn token_throttled<L: RateLimit>(
        &self,
        authorization: Option<&str>,
        content_type: Option<&str>,
        body: &[u8],
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<TokenResponse> {
        let request = TokenRequest::parse(content_type, body)?;
        match request.grant_type.as_deref() {
            None => Err(Error::invalid_request(
                "Missing required parameter: grant_type",
            )),
            Some("client_credentials") => {
                self.client_credentials(authorization, request, limits)
                    .await
            }
            Some("authorization_code") => {
                self.authorization_code(authorization, request, limits)
                    .await
            }
            Some("refresh_token") => self.refresh_token(authorization, request, limits).await,
            Some(other) => Err(Error::oauth(
                400,
                OAuthErrorCode::UnsupportedGrantType,
                format!("Unsupported grant type: {}", echo(other)),
            )),
        }
    }

    async fn authenticate_client(
        &self,
        auth: &ClientAuthentication,
    ) -> Result<AuthenticatedClient> {
        let presented = auth.client_secret.as_deref();
        if let Some(bootstrap) = &self.config.bootstrap {
            if bootstrap.client_id == auth.client_id {
                return match presented {
                    Some(s) if secret::equals(&bootstrap.client_secret, s) => {
                        Ok(AuthenticatedClient::Bootstrap)
                    }
                    _ => Err(auth.failed()),
                };
            }
        }
        let Some(client) = self.client(&auth.client_id).await? else {
            // Spend what a known client costs, so timing does not tell
            // which client ids exist.
            secret::verify(UNKNOWN_CLIENT_HASH, presented.unwrap_or_default());
            return Err(auth.failed());
        };
        let verified =
            presented.is_some_and(|presented| client.verify_secret(presented, self.clock.now()));
        if !verified {
            return Err(auth.failed());
        }
        if client.token_endpoint_auth_method != auth.method {
            return Err(Error::invalid_client(
                format!(
                    "The client must authenticate with {}",
                    client.token_endpoint_auth_method.as_str()
                ),
                auth.challenge(),
            ));
        }
        Ok(AuthenticatedClient::Registered(Box::new(client)))
    }

    /// RFC 6749 §4.4.
    async fn client_credentials<L: RateLimit>(
        &self,
        authorization: Option<&str>,
        request: TokenRequest,
        limits: &ClientAuthLimits<'_, L>,
    ) -> Result<TokenResponse> {
        let audience = request
            .audience
            .as_deref()
            .ok_or_else(|| Error::invalid_request("Missing required parameter: audience"))?;
        // Checked before anything is read, so its cost is bounded.
        let requested = request
            .scope
            .as_deref()
            .map(Scope::parse)
            .transpose()
            .map_err(|err| Error::oauth(400, OAuthErrorCode::InvalidScope, err.description()))?;
        let auth = ClientAuthentication::from_request(authorization, &request)?;
        self.refuse_if_throttled(&auth.client_id)?;
        let client = match self.authenticate_client(&auth).await {
            Ok(client) => client,
            Err(failure) if failure.status() == 401 => {
                return Err(self
                    .client_auth_failed(&auth.client_id, limits, failure)
                    .await)
            }
            Err(other) => return Err(other),
        };
        if let AuthenticatedClient::Registered(client) = &client {
            client.require_grant(GrantType::ClientCredentials)?;
        }
        let api = self
            .resource_server_by_identifier(audience)
            .await?
            .ok_or_else(|| {
                Error::access_denied(format!("Service not found: {}", echo(audience)))
            })?;
        let not_authorized = || {
            Error::access_denied(format!(
                "Client is not authorized to access \"{}\". You need to create a \"client-grant\" associated to this API.",
                echo(audience)
            ))
        };
        if api.is_system
            && matches!(&client, AuthenticatedClient::Registered(c) if c.is_third_party())
        {
            return Err(Error::access_denied(
                "Third-party clients cannot access the Management API",
            ));
        }
        let (granted, grant): (Scope, _) = match &client {
            AuthenticatedClient::Bootstrap if api.is_system => (
                management::SCOPES.iter().map(|(scope, _)| scope).collect(),
                None,
            ),
            AuthenticatedClient::Bootstrap => return Err(not_authorized()),
            AuthenticatedClient::Registered(client) => {
                let grant = self
                    .client_grant_for(&client.client_id, &api.identifier)
                    .await?
                    .ok_or_else(not_authorized)?;
                let granted = grant
                    .scope
                    .iter()
                    // A scope the API no longer defines is no longer granted.
                    .filter(|s| api.defines_scope(s))
                    .map(String::as_str)
                    .collect();
                (granted, Some(grant))
            }
        };
        let registered = match &client {
            AuthenticatedClient::Registered(client) => Some(client.as_ref()),
            AuthenticatedClient::Bootstrap => None,
        };
        // Decided before anything more is read (see `access`).
        let wanted =
            access::requested(request.organization.as_deref(), grant.as_ref(), registered)?;
        let requested_scopes: Vec<String> = requested
            .iter()
            .flat_map(|requested| requested.iter().map(str::to_string))
            .collect();
        let scope = match requested {
            None => granted,
            Some(requested) => {
                let missing = requested.missing_from(&granted);
                if !missing.is_empty() {
                    return Err(Error::access_denied(format!(
                        "Client has not been granted scopes: {}",
                        scope::name_some(&missing)
                    )));
                }
                requested
            }
        };
        let found = match (wanted, &grant, registered) {
            (Some(wanted), Some(grant), Some(client)) => {
                let found = self.organization_at_edge(wanted).await?;
                access::check(wanted, found.as_ref(), grant, client)?;
                found
            }
            _ => None,
        };
        let organization = match &found {
            Some(organization) => Some(OrganizationClaims {
                org_id: organization.id.clone(),
                org_name: self
                    .organization_names_in_tokens()
                    .await?
                    .then(|| organization.name.clone()),
            }),
            None => None,
        };
        // The credentials-exchange actions, for stored clients (the
        // bootstrap client is configuration, and no action can lock it
        // out); nothing bound reads nothing.
        let custom_claims = match registered {
            Some(client) => {
                let event = events::CredentialsExchange {
                    client,
                    audience: &api.identifier,
                    scope: scope.iter().map(str::to_string).collect(),
                    requested_scopes: requested_scopes.clone(),
                    organization: found.as_ref(),
                    body: request.event_body(),
                    caller: &self.caller,
                    tenant: self.tenant_host(),
                }
                .event();
                let token = if api.is_system {
                    claims::Token::ManagementAccess
                } else {
                    claims::Token::Access
                };
                self.run_trigger(TriggerId::CredentialsExchange, event, token)
                    .await?
                    .map_err(Refusal::for_token_endpoint)?
                    .access_token_claims
            }
            None => serde_json::Map::new(),
        };
        let access_token = self
            .mint_access_token(AccessTokenGrant {
                client_id: &auth.client_id,
                subject: format!("{}@clients", auth.client_id),
                audience: Audience::One(api.identifier.clone()),
                scope: &scope,
                gty: Some("client-credentials"),
                lifetime: api.token_lifetime,
                alg: api.signing_alg,
                organization,
                custom_claims,
            })
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".to_string(),
            expires_in: api.token_lifetime,
            scope: (!scope.is_empty()).then(|| scope.to_string()),
            id_token: None,
            refresh_token: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    #[test]
    fn form_and_json_bodies_parse_to_the_same_request() {
        let form = TokenRequest::parse(
            FORM,
            b"grant_type=client_credentials&client_id=abc&client_secret=s%2Bx&audience=https%3A%2F%2Fapi",
        )
        .unwrap();
        let json = TokenRequest::parse(
            JSON,
            br#"{"grant_type":"client_credentials","client_id":"abc","client_secret":"s+x","audience":"https://api","organization":null}"#,
        )
        .unwrap();
        assert_eq!(form, json);
        assert_eq!(form.client_secret.as_deref(), Some("s+x"));
        assert_eq!(form.organization, None);
    }

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_omitted() {
        let err = TokenRequest::parse(FORM, b"grant_type=a&grant_type=b").unwrap_err();
        assert_eq!(err.status(), 400);
        let request =
            TokenRequest::parse(FORM, b"grant_type=client_credentials&scope=&x=1").unwrap();
        assert_eq!(request.scope, None);
    }

    #[test]
    fn bodies_that_are_not_requests_are_invalid_requests() {
        for (content_type, body) in [
            (JSON, &b"{"[..]),
            (JSON, b"[]"),
            (JSON, br#"{"audience": 5}"#),
            (Some("text/plain"), b"grant_type=client_credentials"),
            (None, b"grant_type=client_credentials"),
        ] {
            let err = TokenRequest::parse(content_type, body).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::OAuth {
                        code: OAuthErrorCode::InvalidRequest,
                        status: 400,
                        ..
                    }
                ),
                "{content_type:?} {err}"
            );
        }
        // Unknown members of any type are ignored.
        assert!(TokenRequest::parse(JSON, br#"{"extra": {"deep": [1]}}"#).is_ok());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("my%20id:p%3Ass+word"));
        let auth =
            ClientAuthentication::from_request(Some(&header), &TokenRequest::default()).unwrap();
        assert_eq!(auth.client_id, "my id");
        assert_eq!(auth.client_secret.as_deref(), Some("p:ss word"));
        assert_eq!(auth.method, AuthMethod::ClientSecretBasic);
    }

    #[test]
    fn basic_credentials_not_encoded_by_the_client_are_read_whole() {
        let header = format!("Basic {}", STANDARD.encode("id:a&b=c;d"));
        let auth =
            ClientAuthentication::from_request(Some(&header), &TokenRequest::default()).unwrap();
        assert_eq!(auth.client_secret.as_deref(), Some("a&b=c;d"));
        let invalid_utf8 = format!("Basic {}", STANDARD.encode("id:%FF"));
        assert!(
            ClientAuthentication::from_request(Some(&invalid_utf8), &TokenRequest::default())
                .is_err()
        );
    }

    #[test]
    fn basic_and_a_body_secret_together_are_refused() {
        let header = format!("Basic {}", STANDARD.encode("id:secret"));
        let request = TokenRequest {
            client_secret: Some("secret".into()),
            ..Default::default()
        };
        let err = ClientAuthentication::from_request(Some(&header), &request).unwrap_err();
        assert!(matches!(
            err,
            Error::OAuth {
                code: OAuthErrorCode::InvalidRequest,
                ..
            }
        ));
    }

    #[test]
    fn malformed_basic_credentials_are_invalid_client_with_a_challenge() {
        for credentials in [
            "!!!",
            "bm9jb2xvbg==", /* "nocolon" */
            "OnNlY3JldA==", /* ":secret" */
        ] {
            let err = ClientAuthentication::from_request(
                Some(&format!("Basic {credentials}")),
                &TokenRequest::default(),
            )
            .unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::OAuth {
                        status: 401,
                        challenge: Some(Challenge::Basic),
                        ..
                    }
                ),
                "{credentials}"
            );
        }
    }

    #[test]
    fn the_unknown_client_hash_is_well_formed_and_matches_nothing() {
        // A malformed hash would return early and defeat its purpose.
        let parts: Vec<&str> = UNKNOWN_CLIENT_HASH.split('$').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            STANDARD
                .decode(format!("{}==", parts[1]))
                .map(|b| b.len())
                .ok(),
            Some(16)
        );
        // And its digest has a digest's length, or `secret::verify` would
        // refuse it before comparing anything.
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(parts[2])
                .map(|b| b.len())
                .ok(),
            Some(32)
        );
        assert!(!secret::verify(UNKNOWN_CLIENT_HASH, ""));
        assert!(!secret::verify(UNKNOWN_CLIENT_HASH, "anything"));
    }

    #[test]
    fn a_client_made_third_party_gets_no_management_token_despite_its_grant() {
        use crate::testing::{block_on, World, ISSUER};
        use shared::management::{AppType, ClientCreate, ClientGrantCreate, ClientUpdate};

        let world = World::new();
        let tenant = world.tenant();
        let management = format!("{ISSUER}api/v2/");
        let client = block_on(tenant.create_client(ClientCreate {
            name: "Admin job".into(),
            app_type: Some(AppType::NonInteractive),
            ..Default::default()
        }))
        .unwrap();
        block_on(tenant.create_client_grant(
            ClientGrantCreate {
                client_id: client.client_id.clone(),
                audience: management.clone(),
                scope: vec!["read:clients".into()],
                ..Default::default()
            },
            &world.admin(),
        ))
        .unwrap();
        let body = serde_urlencoded::to_string([
            ("grant_type", "client_credentials"),
            ("client_id", client.client_id.as_str()),
            ("client_secret", client.client_secret.as_deref().unwrap()),
            ("audience", management.as_str()),
        ])
        .unwrap();
        assert!(block_on(tenant.token(None, FORM, body.as_bytes())).is_ok());

        block_on(tenant.update_client(
            &client.client_id,
            ClientUpdate {
                is_first_party: Some(false),
                ..Default::default()
            },
            false,
        ))
        .unwrap();
        match block_on(tenant.token(None, FORM, body.as_bytes())) {
            Err(Error::OAuth {
                status: 403,
                code: OAuthErrorCode::AccessDenied,
                ..
            }) => {}
            other => panic!("expected 403 access_denied, got {other:?}"),
        }
    }
}
