//! Every network call the SPA makes. The API is served from the same origin
//! as the SPA, so paths are origin-relative; the JWK Set is fetched from the
//! `jwks_uri` the discovery document names.

use std::fmt;

use gloo_net::http::{Request, RequestBuilder};
use shared::app::AppConfig;
use shared::discovery::{JwkSet, ProviderMetadata};
use shared::error::OAuthErrorBody;

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
        /// The `error_description` (or `error`) of an OAuth error body.
        detail: Option<String>,
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

/// The readable part of an OAuth error body (RFC 6750 §3), if it is one.
fn error_detail(body: &str) -> Option<String> {
    let body: OAuthErrorBody = serde_json::from_str(body).ok()?;
    Some(match body.error_description {
        Some(description) if !description.is_empty() => {
            format!("{description} ({})", body.error)
        }
        _ => body.error,
    })
}

/// Send `request` and decode a 2xx JSON answer as `T`.
async fn send_json<T: serde::de::DeserializeOwned>(request: RequestBuilder) -> Result<T, ApiError> {
    let response = request
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let body = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if !response.ok() {
        return Err(ApiError::Status {
            status: response.status(),
            status_text: response.status_text(),
            detail: error_detail(&body),
        });
    }
    serde_json::from_str(&body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Fetch the tenant's OpenID Provider metadata.
pub async fn fetch_discovery() -> Result<ProviderMetadata, ApiError> {
    send_json(Request::get(DISCOVERY_PATH)).await
}

/// Fetch the SPA's issuer and client_id.
pub async fn fetch_app_config() -> Result<AppConfig, ApiError> {
    send_json(Request::get(APP_CONFIG_PATH)).await
}

/// Fetch the tenant's public signing keys from `jwks_uri`.
pub async fn fetch_jwks(jwks_uri: &str) -> Result<JwkSet, ApiError> {
    send_json(Request::get(jwks_uri)).await
}

/// Call the sample API with the access token; its JSON answer.
pub async fn call_whoami(access_token: String) -> Result<serde_json::Value, ApiError> {
    send_json(Request::get(WHOAMI_PATH).header("Authorization", &format!("Bearer {access_token}")))
        .await
}
