//! Every network call the SPA makes. The API is served from the same origin
//! as the SPA, so all paths are origin-relative.

use std::fmt;

use gloo_net::http::Request;
use shared::discovery::ProviderMetadata;

/// Path of the OpenID Connect Discovery document.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Why a call to the API failed, in words fit to show to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The request could not be sent or no response arrived.
    Network(String),
    /// The server answered with a non-2xx status.
    Status { status: u16, status_text: String },
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
            } if status_text.is_empty() => write!(f, "The server answered HTTP {status}"),
            ApiError::Status {
                status,
                status_text,
            } => write!(f, "The server answered HTTP {status} {status_text}"),
            ApiError::Decode(msg) => write!(f, "Unexpected response: {msg}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// GET a JSON document from `path` and decode it as `T`.
async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if !response.ok() {
        return Err(ApiError::Status {
            status: response.status(),
            status_text: response.status_text(),
        });
    }
    let body = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    serde_json::from_str(&body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// Fetch the tenant's OpenID Provider metadata.
pub async fn fetch_discovery() -> Result<ProviderMetadata, ApiError> {
    get_json(DISCOVERY_PATH).await
}
