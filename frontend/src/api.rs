//! Every network call the SPA makes. The API is served from the same origin
//! as the SPA, so paths are origin-relative; the JWK Set is fetched from the
//! `jwks_uri` the discovery document names.

use std::fmt;

use gloo_net::http::{Request, RequestBuilder};
use shared::app::AppConfig;
use shared::discovery::{JwkSet, ProviderMetadata};
use shared::error::{ManagementErrorBody, OAuthErrorBody};

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
}

/// The readable part of an error body: a Management API error's `message`,
/// or an OAuth error's (RFC 6750 §3) description and code.
pub fn error_detail(body: &str) -> Option<String> {
    if let Ok(body) = serde_json::from_str::<ManagementErrorBody>(body) {
        return Some(body.message);
    }
    let body: OAuthErrorBody = serde_json::from_str(body).ok()?;
    Some(match body.error_description {
        Some(description) if !description.is_empty() => {
            format!("{description} ({})", body.error)
        }
        _ => body.error,
    })
}

/// Sends a request; a 2xx answer's body, or the error.
pub async fn send(request: Request) -> Result<String, ApiError> {
    let response = request
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
    Ok(body)
}

/// Decodes a JSON answer as `T`.
pub fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Send `request` and decode a 2xx JSON answer as `T`.
async fn send_json<T: serde::de::DeserializeOwned>(request: RequestBuilder) -> Result<T, ApiError> {
    let request = request
        .header("Accept", "application/json")
        .build()
        .map_err(|e| ApiError::Network(e.to_string()))?;
    decode(&send(request).await?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_details_read_both_error_formats() {
        assert_eq!(
            error_detail(
                r#"{"statusCode":400,"error":"Bad Request","message":"Payload validation error: 'name' is required","errorCode":"invalid_body"}"#
            )
            .as_deref(),
            Some("Payload validation error: 'name' is required")
        );
        assert_eq!(
            error_detail(r#"{"error":"invalid_token","error_description":"expired"}"#).as_deref(),
            Some("expired (invalid_token)")
        );
        assert_eq!(error_detail("<html>"), None);
    }

    #[test]
    fn an_error_reads_as_a_sentence() {
        let err = ApiError::Status {
            status: 403,
            status_text: "Forbidden".into(),
            detail: Some("Insufficient scope".into()),
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
