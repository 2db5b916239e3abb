//! Error bodies on the wire.

use serde::{Deserialize, Serialize};

/// RFC 6749 §5.2 error response, used by `/oauth/token` and bearer-protected
/// resources (RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Auth0 Management API error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagementErrorBody {
    pub status_code: u16,
    /// The HTTP reason phrase, e.g. "Bad Request".
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Ours, beside Auth0's members: the body member a payload validation
    /// error (`invalid_body`) is about, so a form can show the message
    /// next to that field. Clients that do not know it ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
