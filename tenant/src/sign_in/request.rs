//! The authorization request (RFC 6749 §4.2.1, OIDC Core §3.2.2.1), with
//! the implicit grant: validated far enough to know where errors go, then
//! completely.
//!
//! Every step of a sign-in re-reads the original `/authorize` query: the
//! login, signup and consent forms post back to a URL carrying it, so no
//! transaction is stored between steps and each step re-validates the
//! whole request.
//!
//! With `organization`, the person signs in to that organization (Auth0's
//! Organizations): the client's `organization_usage` says whether it may
//! or must name one, and only members get tokens (see
//! `consent::continue_signed_in`).
//!
//! Errors follow RFC 6749 §4.2.2.1: when `client_id` or `redirect_uri`
//! cannot be trusted the person sees an error page and is never redirected;
//! every other error goes back to the client's redirect URI.

use std::collections::BTreeMap;

pub use shared::protocol::{GrantType, ResponseMode, ResponseType};

use crate::error::{echo, Error, OAuthErrorCode, Redirect, Result};
use crate::management::clients::{AuthMethod, ClientRecord};
use crate::management::organizations::OrganizationRecord;
use crate::primitives::pkce;
use crate::primitives::scope::Scope;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::store::Store;
use crate::Tenant;
use shared::organizations::OrganizationUsage;

/// Longest `/authorize` query accepted.
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

const MAX_PARAM_CHARS: usize = 2048;

/// OIDC Core §3.1.2.1 `prompt`, as far as it changes what is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    None,
    Login,
    Consent,
}

impl Prompt {
    /// Space-separated values; `none` stands alone, `login` (and
    /// `select_account`, there being one account) outweighs `consent`.
    fn parse(value: &str) -> std::result::Result<Option<Self>, String> {
        let values: Vec<&str> = value.split(' ').filter(|p| !p.is_empty()).collect();
        if values.contains(&"none") && values.len() > 1 {
            return Err("prompt=none cannot be combined with other values".to_string());
        }
        let mut parsed = None;
        for value in values {
            parsed = match value {
                "none" => Some(Prompt::None),
                "login" | "select_account" => Some(Prompt::Login),
                "consent" if parsed != Some(Prompt::Login) => Some(Prompt::Consent),
                "consent" => parsed,
                other => return Err(format!("Unsupported prompt value: {}", echo(other))),
            };
        }
        Ok(parsed)
    }
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: ClientRecord,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scope: Scope,
    pub audience: Option<String>,
    pub prompt: Option<Prompt>,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    /// The organization the person signs in to (`organization`, an id or
    /// a name), as the client's `organization_usage` allows.
    pub organization: Option<OrganizationRecord>,
    /// The PKCE challenge (RFC 7636, S256) of a code request.
    pub code_challenge: Option<String>,
}

/// The query's parameters; RFC 6749 §3.1 forbids repeating one.
pub(crate) fn parse_params(query: &str) -> std::result::Result<BTreeMap<String, String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| "The request's query string is malformed".to_string())?;
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        if value.chars().count() > MAX_PARAM_CHARS {
            return Err(format!("The parameter {} is too long", echo(&name)));
        }
        if params.insert(name.clone(), value).is_some() {
            return Err(format!("The parameter {} is repeated", echo(&name)));
        }
    }
    Ok(params)
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Validates an `/authorize` query far enough to know where errors go,
    /// then completely.
    pub(super) async fn authorize_request(&self, query: &str) -> Result<AuthorizeRequest> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(Error::invalid_request(
                "The authorization request is too long",
            ));
        }
        let params = parse_params(query).map_err(Error::invalid_request)?;
        let param = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };

        // Until client_id and redirect_uri are known good, nothing is sent
        // anywhere: these are error pages.
        let client_id = param("client_id")
            .ok_or_else(|| Error::invalid_request("Missing required parameter: client_id"))?;
        let client = self.interactive_client(client_id).await?.ok_or_else(|| {
            Error::invalid_request(format!("Unknown client: {}", echo(client_id)))
        })?;
        let redirect_uri = param("redirect_uri")
            .ok_or_else(|| Error::invalid_request("Missing required parameter: redirect_uri"))?;
        if !client.callbacks.iter().any(|uri| uri == redirect_uri) {
            return Err(Error::invalid_request(format!(
                "The redirect_uri '{}' is not in the application's Allowed Callback URLs",
                echo(redirect_uri)
            )));
        }

        // From here on, errors go back to the client, in the response mode
        // it asked for (the default of its response type: the query for a
        // code, the fragment for tokens).
        let state = param("state");
        let code_flow = param("response_type") == Some("code");
        let (response_mode, mode_error) = match param("response_mode") {
            None if code_flow => (ResponseMode::Query, None),
            None | Some("fragment") => (ResponseMode::Fragment, None),
            Some("form_post") => (ResponseMode::FormPost, None),
            Some("query") if code_flow => (ResponseMode::Query, None),
            Some("query") => (
                ResponseMode::Fragment,
                Some("response_mode 'query' cannot carry tokens; use fragment or form_post"),
            ),
            Some(_) => (ResponseMode::Fragment, Some("Unsupported response_mode")),
        };
        let refuse = |code: OAuthErrorCode, description: &str| {
            Error::Redirect(Box::new(Redirect {
                redirect_uri: redirect_uri.to_string(),
                mode: response_mode,
                state: state.map(str::to_string),
                code,
                description: description.to_string(),
            }))
        };
        if let Some(description) = mode_error {
            return Err(refuse(OAuthErrorCode::InvalidRequest, description));
        }
        if param("request").is_some() {
            return Err(refuse(
                OAuthErrorCode::RequestNotSupported,
                "Request objects are not supported",
            ));
        }
        if param("request_uri").is_some() {
            return Err(refuse(
                OAuthErrorCode::RequestUriNotSupported,
                "The request_uri parameter is not supported",
            ));
        }
        let response_type = param("response_type").ok_or_else(|| {
            refuse(
                OAuthErrorCode::InvalidRequest,
                "Missing required parameter: response_type",
            )
        })?;
        // The authorization code flow, or the implicit flow: an access
        // token, an ID token, or both.
        let supported = [
            ResponseType::CODE,
            ResponseType::TOKEN,
            ResponseType::ID_TOKEN,
            ResponseType::ID_TOKEN_TOKEN,
        ];
        let response_type = ResponseType::parse(response_type)
            .filter(|t| supported.contains(t))
            .ok_or_else(|| {
                refuse(
                    OAuthErrorCode::UnsupportedResponseType,
                    &format!(
                        "Unsupported response_type: {}; this tenant supports code, token, id_token and id_token token",
                        echo(response_type)
                    ),
                )
            })?;
        let grant = if response_type.code {
            GrantType::AuthorizationCode
        } else {
            GrantType::Implicit
        };
        let registered_type = client
            .registration
            .as_ref()
            .is_none_or(|registration| registration.response_types.contains(&response_type));
        if !client.allows_grant(grant) || !registered_type {
            return Err(refuse(
                OAuthErrorCode::UnauthorizedClient,
                &format!(
                    "The client is not allowed the {} grant with response_type {response_type}",
                    grant.as_str()
                ),
            ));
        }
        let code_challenge = if response_type.code {
            self.code_challenge(
                &client,
                param("code_challenge"),
                param("code_challenge_method"),
            )
            .map_err(|description| refuse(OAuthErrorCode::InvalidRequest, description))?
        } else {
            None
        };
        let scope = Scope::parse(param("scope").unwrap_or_default())
            .map_err(|err| refuse(OAuthErrorCode::InvalidScope, &err.description()))?;
        let nonce = param("nonce");
        if response_type.id_token {
            if !scope.contains("openid") {
                return Err(refuse(
                    OAuthErrorCode::InvalidScope,
                    "The openid scope is required when an ID token is requested",
                ));
            }
            // OIDC Core §3.2.2.1: required by the implicit flow (the code
            // flow's is optional: its ID token comes from the token
            // endpoint).
            if nonce.is_none() {
                return Err(refuse(
                    OAuthErrorCode::InvalidRequest,
                    "Missing required parameter: nonce",
                ));
            }
        }
        let prompt = match param("prompt") {
            None => None,
            Some(prompt) => Prompt::parse(prompt)
                .map_err(|description| refuse(OAuthErrorCode::InvalidRequest, &description))?,
        };
        let max_age = param("max_age")
            .map(str::parse::<u64>)
            .transpose()
            .map_err(|_| {
                refuse(
                    OAuthErrorCode::InvalidRequest,
                    "max_age must be a number of seconds",
                )
            })?;
        let organization = match (param("organization"), client.organization_usage) {
            (Some(_), OrganizationUsage::Deny) => {
                return Err(refuse(
                    OAuthErrorCode::InvalidRequest,
                    "parameter organization is not allowed for this client",
                ))
            }
            (None, OrganizationUsage::Require) => {
                return Err(refuse(
                    OAuthErrorCode::InvalidRequest,
                    "parameter organization is required for this client",
                ))
            }
            (None, _) => None,
            (Some(wanted), _) => {
                Some(self.stored_organization(wanted).await?.ok_or_else(|| {
                    refuse(
                        OAuthErrorCode::InvalidRequest,
                        &format!("parameter organization is invalid: {}", echo(wanted)),
                    )
                })?)
            }
        };
        Ok(AuthorizeRequest {
            code_challenge,
            organization,
            redirect_uri: redirect_uri.to_string(),
            response_type,
            response_mode,
            state: state.map(str::to_string),
            nonce: nonce.map(str::to_string),
            scope,
            audience: param("audience").map(str::to_string),
            prompt,
            max_age,
            login_hint: param("login_hint").map(str::to_string),
            client,
        })
    }

    /// A code request's PKCE challenge (RFC 7636): only `S256`; required
    /// of public clients (RFC 9700 §2.1.1), accepted from confidential
    /// ones. The reason when refused.
    fn code_challenge(
        &self,
        client: &ClientRecord,
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> std::result::Result<Option<String>, &'static str> {
        match (challenge, method) {
            (None, None) if client.token_endpoint_auth_method == AuthMethod::None => Err(
                "PKCE is required of public clients: send code_challenge with code_challenge_method=S256",
            ),
            (None, None) => Ok(None),
            (None, Some(_)) => Err("code_challenge_method without code_challenge"),
            (Some(_), None) => Err(
                "code_challenge_method is required and must be S256 (plain is not accepted)",
            ),
            (Some(_), Some(method)) if method != "S256" => {
                Err("code_challenge_method must be S256 (plain is not accepted)")
            }
            (Some(challenge), Some(_)) if !pkce::is_s256_challenge(challenge) => {
                Err("code_challenge must be the base64url of a SHA-256 (43 characters)")
            }
            (Some(challenge), Some(_)) => Ok(Some(challenge.to_string())),
        }
    }

    /// An error for the client of a validated request, at its redirect URI.
    pub(super) fn refuse(
        &self,
        request: &AuthorizeRequest,
        code: OAuthErrorCode,
        description: &str,
    ) -> Error {
        Error::Redirect(Box::new(Redirect {
            redirect_uri: request.redirect_uri.clone(),
            mode: request.response_mode,
            state: request.state.clone(),
            code,
            description: description.to_string(),
        }))
    }
}
