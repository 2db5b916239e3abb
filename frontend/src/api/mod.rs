//! Every network call the SPA makes: the sample client's here, the
//! Dashboard's Management API calls in [`management`]. The API is served
//! from the same origin as the SPA, so paths are origin-relative; the JWK
//! Set is fetched from the `jwks_uri` the discovery document names.
//!
//! Every call is one non-generic request ([`request`], the browser's
//! `fetch`) answering JSON text as a boxed future ([`Reply`]), decoded
//! straight into its type at the edge ([`decode`]): each call adds a few
//! instructions to the download, not its own copy of the request code, and
//! no answer goes through `serde_json::Value` on its way.

pub mod management;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use shared::app::AppConfig;
use shared::discovery::JwkSet;
use shared::error::{ManagementErrorBody, OAuthErrorBody};

use crate::browser;

/// Path of the OpenID Connect Discovery document.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the SPA's own settings (issuer and client_id).
pub const APP_CONFIG_PATH: &str = "/app-config.json";
/// The sample API, protected by the access token.
pub const WHOAMI_PATH: &str = "/api/whoami";

/// Why a call to the API failed, in words fit to show to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request could not be sent or no response arrived.
    Network(String),
    /// The server answered with a non-2xx status.
    Status {
        status: u16,
        status_text: String,
        /// The `error_description` (or `error`) of an OAuth error body, or
        /// the `message` of a Management API error body.
        detail: Option<String>,
        /// The body member a Management API validation error is about.
        field: Option<String>,
    },
    /// The body was not the JSON document expected.
    Decode(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(msg) => write!(f, "Network error: {msg}"),
            ApiError::Status {
                status,
                status_text,
                detail,
                ..
            } => {
                write!(f, "The server answered HTTP {status}")?;
                if !status_text.is_empty() {
                    write!(f, " {status_text}")?;
                }
                if let Some(detail) = detail {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
            ApiError::Decode(msg) => write!(f, "Unexpected response: {msg}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// A section of the Dashboard whose code could not be fetched (it is
/// fetched when first opened; opening it again tries again).
impl From<leptos::wasm_split::SplitLoaderError> for ApiError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        ApiError::Network(
            "this page's code could not be loaded. Open it again to retry, or reload the page: \
             a newer Dashboard may have been deployed since this one was opened"
                .into(),
        )
    }
}

impl ApiError {
    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the server said went wrong, when it said.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ApiError::Status { detail, .. } => detail.as_deref(),
            _ => None,
        }
    }

    /// The body member a validation error is about, when it names one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Status { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

/// The readable part of an error body, and the member it is about: a
/// Management API error's `message` and `field`, or an OAuth error's
/// (RFC 6750 §3) description and code.
pub fn error_detail(body: &str) -> (Option<String>, Option<String>) {
    if let Ok(body) = serde_json::from_str::<ManagementErrorBody>(body) {
        return (Some(body.message), body.field);
    }
    let Ok(body) = serde_json::from_str::<OAuthErrorBody>(body) else {
        return (None, None);
    };
    let detail = match body.error_description {
        Some(description) if !description.is_empty() => {
            format!("{description} ({})", body.error)
        }
        _ => body.error,
    };
    (Some(detail), None)
}

/// An answer on its way.
pub type Reply<T, E = ApiError> = Pin<Box<dyn Future<Output = Result<T, E>>>>;

/// The HTTP methods the SPA sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The members of the tenant's OpenID Provider metadata (OpenID Connect
/// Discovery 1.0 §3, `shared::discovery::ProviderMetadata`) the SPA reads;
/// the others are skipped rather than decoded.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RFC 8414 §2: where a refresh token is revoked at sign-out.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

/// Sends `method url` with `Accept: application/json`, the bearer token if
/// any and the JSON text `body` if any; a 2xx answer's body (JSON text, or
/// empty), or the error.
pub fn request(
    method: Method,
    url: &str,
    bearer: Option<&str>,
    body: Option<&str>,
) -> Reply<String> {
    let authorization = bearer.map(|token| format!("Bearer {token}"));
    let mut headers = vec![("Accept", "application/json")];
    if let Some(authorization) = &authorization {
        headers.push(("Authorization", authorization));
    }
    if body.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    let sent = browser::fetch(method.as_str(), url, &headers, body);
    Box::pin(async move {
        let response = sent.await.map_err(ApiError::Network)?;
        if !response.ok() {
            let (detail, field) = error_detail(&response.body);
            return Err(ApiError::Status {
                status: response.status,
                status_text: response.status_text,
                detail,
                field,
            });
        }
        Ok(response.body)
    })
}

/// POSTs the form-encoded `body` to `url` (the token and revocation
/// endpoints, RFC 6749 §3.2): the answer whatever its status, for
/// [`crate::auth`] to read; an error only when none arrived.
pub fn post_form(url: &str, body: &str) -> Reply<browser::HttpResponse> {
    let sent = browser::fetch(
        "POST",
        url,
        &[
            ("Accept", "application/json"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(body),
    );
    Box::pin(async move { sent.await.map_err(ApiError::Network) })
}

/// A JSON answer as a `T`.
pub fn decode<T: DeserializeOwned>(json: &str) -> Result<T, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::Decode(e.to_string()))
}

/// GET `url` and decode its JSON answer as `T`.
async fn get<T: DeserializeOwned>(url: &str, bearer: Option<&str>) -> Result<T, ApiError> {
    decode(&request(Method::Get, url, bearer, None).await?)
}

/// Fetch the tenant's OpenID Provider metadata.
pub async fn fetch_discovery() -> Result<Discovery, ApiError> {
    get(DISCOVERY_PATH, None).await
}

/// Fetch the SPA's issuer and client_id.
pub async fn fetch_app_config() -> Result<AppConfig, ApiError> {
    get(APP_CONFIG_PATH, None).await
}

/// Fetch the tenant's public signing keys from `jwks_uri`.
pub async fn fetch_jwks(jwks_uri: &str) -> Result<JwkSet, ApiError> {
    get(jwks_uri, None).await
}

/// Call the sample API with the access token; its JSON answer.
pub async fn call_whoami(access_token: String) -> Result<Value, ApiError> {
    get(WHOAMI_PATH, Some(&access_token)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{AuthMethod, GrantType, ResponseMode, ResponseType, SigningAlg};

    #[test]
    fn error_details_read_both_error_formats() {
        assert_eq!(
            error_detail(
                r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'name' is required","errorCode":"invalid_body","field":"name"}"#
            ),
            (
                Some("Payload validation error: 'name' is required".into()),
                Some("name".into())
            )
        );
        assert_eq!(
            error_detail(r#"{"error":"invalid_token","error_description":"expired"}"#),
            (Some("expired (invalid_token)".into()), None)
        );
        assert_eq!(error_detail("<html>"), (None, None));
    }

    #[test]
    fn discovery_reads_the_members_the_spa_uses() {
        let meta = shared::discovery::ProviderMetadata {
            issuer: "https://t.example/".into(),
            authorization_endpoint: "https://t.example/authorize".into(),
            token_endpoint: "https://t.example/oauth/token".into(),
            registration_endpoint: "https://t.example/oidc/register".into(),
            jwks_uri: "https://t.example/.well-known/jwks.json".into(),
            userinfo_endpoint: "https://t.example/userinfo".into(),
            scopes_supported: vec!["openid".into()],
            response_types_supported: vec![ResponseType::ID_TOKEN_TOKEN],
            response_modes_supported: vec![ResponseMode::Fragment],
            grant_types_supported: vec![GrantType::Implicit],
            subject_types_supported: vec!["public".into()],
            id_token_signing_alg_values_supported: vec![SigningAlg::Rs256],
            token_endpoint_auth_methods_supported: vec![AuthMethod::None],
            claims_supported: vec!["sub".into()],
            request_uri_parameter_supported: false,
            code_challenge_methods_supported: vec!["S256".into()],
            revocation_endpoint: "https://t.example/oauth/revoke".into(),
            revocation_endpoint_auth_methods_supported: vec![AuthMethod::None],
        };
        let read: Discovery = decode(&serde_json::to_string(&meta).unwrap()).unwrap();
        assert_eq!(read.issuer, meta.issuer);
        assert_eq!(read.authorization_endpoint, meta.authorization_endpoint);
        assert_eq!(read.token_endpoint, meta.token_endpoint);
        assert_eq!(read.jwks_uri, meta.jwks_uri);
        assert_eq!(
            read.revocation_endpoint.as_deref(),
            Some("https://t.example/oauth/revoke")
        );
    }

    #[test]
    fn an_error_reads_as_a_sentence() {
        let err = ApiError::Status {
            status: 403,
            status_text: "Forbidden".into(),
            detail: Some("Insufficient scope".into()),
            field: None,
        };
        assert_eq!(
            err.to_string(),
            "The server answered HTTP 403 Forbidden: Insufficient scope"
        );
        assert_eq!(err.status(), Some(403));
        assert_eq!(err.detail(), Some("Insufficient scope"));
        assert_eq!(ApiError::Network("x".into()).status(), None);
    }
}
