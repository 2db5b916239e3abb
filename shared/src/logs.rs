//! Log events (`/api/v2/logs`): Auth0's shape, with who acted on what.

use serde::{Deserialize, Serialize};

use crate::protocol::ActorKind;

/// One event of the tenant's audit log, as `GET /api/v2/logs` returns it.
///
/// `type` uses Auth0's event codes ([`event_type`]). Never holds a secret,
/// a password or a token: only identifiers, addresses and outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    pub log_id: String,
    /// RFC 3339, UTC, to the second.
    pub date: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The client the event is about or acted through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user the event is about (logins, signups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The email a login or signup was tried with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    pub details: LogDetails,
}

/// Who acted, on what, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogDetails {
    pub actor: Actor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// The API call, for Management API and registration events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<LoggedRequest>,
    /// Free-form reason for failures and throttling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Who did it: a client (`client_id`), a user (`user_id`) or someone not
/// (yet) identified (`anonymous`, with the identifier they claimed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What was acted on: `client`, `resource_server`, `client_grant`, `user`,
/// `tenant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
}

/// Auth0's log event type codes used by this tenant.
pub mod event_type {
    /// Success API operation (Management API, dynamic registration).
    pub const SUCCESS_API_OPERATION: &str = "sapi";
    /// Success login.
    pub const SUCCESS_LOGIN: &str = "s";
    /// Failed login (wrong email or password, blocked account).
    pub const FAILED_LOGIN: &str = "f";
    /// Success signup.
    pub const SUCCESS_SIGNUP: &str = "ss";
    /// Too many attempts from one address (failed client authentications,
    /// sign-ins, registrations): throttled.
    pub const BLOCKED_ADDRESS: &str = "limit_mu";
    /// Too many sign-in attempts at one account from one address: throttled.
    pub const BLOCKED_ACCOUNT: &str = "limit_wc";
}
