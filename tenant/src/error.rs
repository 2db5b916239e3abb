//! The one error type of the tenant, and its mapping to the wire formats.
//!
//! Each endpoint family has its own error format: RFC 6749 §5.2 JSON for the
//! token endpoint, RFC 6750 §3 for bearer-protected resources, and Auth0's
//! `{statusCode, error, message, errorCode}` for the Management API. An
//! [`Error`] carries enough to render itself in the format of the family it
//! was raised in; [`Error::to_wire`] is the only place that renders.

use std::fmt;

use shared::error::{ManagementErrorBody, OAuthErrorBody};

/// RFC 6749 §5.2 / RFC 6750 §3.1 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
    InsufficientScope,
    ServerError,
    TemporarilyUnavailable,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    InvalidClientMetadata,
    /// Auth0's code for a throttled request (429).
    TooManyRequests,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::TooManyRequests => "too_many_requests",
        }
    }
}

/// Which `WWW-Authenticate` challenge accompanies a 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// The client tried HTTP Basic authentication (RFC 6749 §5.2).
    Basic,
    /// A bearer-protected resource (RFC 6750 §3).
    Bearer,
}

/// The endpoint family an error is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `/oauth/*`, `/.well-known/*`, `/oidc/*`.
    OAuth,
    /// Bearer-protected resources such as `/api/whoami`.
    Resource,
    /// `/api/v2/*`.
    Management,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An RFC 6749 / RFC 6750 error.
    OAuth {
        status: u16,
        code: OAuthErrorCode,
        description: String,
        challenge: Option<Challenge>,
    },
    /// An Auth0 Management API error.
    Management {
        status: u16,
        message: String,
        error_code: &'static str,
    },
    /// The store or the crypto backend failed: nothing can be promised, the
    /// caller may retry.
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The description of [`Error::missing_token`], whatever family renders it.
const MISSING_TOKEN: &str = "Missing bearer token";

impl Error {
    pub fn oauth(status: u16, code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self::OAuth {
            status,
            code,
            description: description.into(),
            challenge: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::oauth(400, OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client_metadata(description: impl Into<String>) -> Self {
        Self::oauth(400, OAuthErrorCode::InvalidClientMetadata, description)
    }

    pub fn invalid_redirect_uri(description: impl Into<String>) -> Self {
        Self::oauth(400, OAuthErrorCode::InvalidRedirectUri, description)
    }

    /// 429: the caller is over a rate limit; retry after the window.
    pub fn too_many_requests(description: impl Into<String>) -> Self {
        Self::oauth(429, OAuthErrorCode::TooManyRequests, description)
    }

    pub fn access_denied(description: impl Into<String>) -> Self {
        Self::oauth(403, OAuthErrorCode::AccessDenied, description)
    }

    pub fn invalid_client(description: impl Into<String>, challenge: Option<Challenge>) -> Self {
        Self::OAuth {
            status: 401,
            code: OAuthErrorCode::InvalidClient,
            description: description.into(),
            challenge,
        }
    }

    /// RFC 6750 §3.1: a missing, malformed, expired or otherwise invalid
    /// bearer token.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::OAuth {
            status: 401,
            code: OAuthErrorCode::InvalidToken,
            description: description.into(),
            challenge: Some(Challenge::Bearer),
        }
    }

    /// RFC 6750 §3.1: a protected resource was called without a token.
    pub fn missing_token() -> Self {
        Self::OAuth {
            status: 401,
            code: OAuthErrorCode::InvalidRequest,
            description: MISSING_TOKEN.into(),
            challenge: Some(Challenge::Bearer),
        }
    }

    pub fn management(status: u16, error_code: &'static str, message: impl Into<String>) -> Self {
        Self::Management {
            status,
            message: message.into(),
            error_code,
        }
    }

    /// Auth0's payload validation error.
    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::management(400, "invalid_body", message)
    }

    pub fn not_found(error_code: &'static str, message: impl Into<String>) -> Self {
        Self::management(404, error_code, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::management(409, "conflict", message)
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(detail.into())
    }

    /// A malformed request, rendered in the family's format: the HTTP layer
    /// raises these before it knows which domain operation is meant.
    pub fn bad_request(family: Family, status: u16, message: impl Into<String>) -> Self {
        match family {
            Family::OAuth | Family::Resource => {
                Self::oauth(status, OAuthErrorCode::InvalidRequest, message)
            }
            Family::Management => {
                let code = match status {
                    404 => "not_found",
                    405 => "method_not_allowed",
                    413 => "payload_too_large",
                    415 => "unsupported_media_type",
                    421 => "misdirected_request",
                    _ => "invalid_body",
                };
                Self::management(status, code, message)
            }
        }
    }

    /// RFC 9110 §15.5.20: the request names a host this tenant does not
    /// answer for; its issuer is configuration, never the `Host` header.
    pub fn misdirected(family: Family, issuer: &str) -> Self {
        Self::bad_request(
            family,
            421,
            format!("This tenant answers only at {issuer}; this request was made to another host"),
        )
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::OAuth { status, .. } | Self::Management { status, .. } => *status,
            Self::Unavailable(_) => 503,
        }
    }

    /// Renders the error for the endpoint family it is returned from.
    pub fn to_wire(&self, family: Family) -> WireError {
        let status = self.status();
        let mut headers = Vec::new();
        let body = match (self, family) {
            (
                Self::OAuth {
                    code,
                    description,
                    challenge,
                    ..
                },
                _,
            ) => {
                match challenge {
                    Some(Challenge::Basic) => headers.push((
                        "WWW-Authenticate",
                        r#"Basic realm="oauth", charset="UTF-8""#.to_string(),
                    )),
                    // RFC 6750 §3.1: no error code when no token was sent.
                    Some(Challenge::Bearer) if *code == OAuthErrorCode::InvalidRequest => {
                        headers.push(("WWW-Authenticate", bearer_challenge(None, description)))
                    }
                    Some(Challenge::Bearer) => headers.push((
                        "WWW-Authenticate",
                        bearer_challenge(Some(code.as_str()), description),
                    )),
                    None => {}
                }
                oauth_body(code.as_str(), description)
            }
            (
                Self::Management {
                    message,
                    error_code,
                    ..
                },
                _,
            ) => {
                // RFC 9110 §15.5.2: a 401 carries a challenge; the Management
                // API takes bearer tokens, so RFC 6750's, as Auth0 sends.
                if status == 401 {
                    let code = (message != MISSING_TOKEN).then_some(*error_code);
                    headers.push(("WWW-Authenticate", bearer_challenge(code, message)));
                }
                management_body(status, message, error_code)
            }
            (Self::Unavailable(_), Family::Management) => management_body(
                status,
                "The service is temporarily unavailable, please retry",
                "temporarily_unavailable",
            ),
            (Self::Unavailable(_), _) => oauth_body(
                OAuthErrorCode::TemporarilyUnavailable.as_str(),
                "The service is temporarily unavailable, please retry",
            ),
        };
        match status {
            503 => headers.push(("Retry-After", "1".to_string())),
            // Rate limits are counted over windows of a minute.
            429 => headers.push(("Retry-After", "60".to_string())),
            _ => {}
        }
        WireError {
            status,
            headers,
            body,
        }
    }
}

/// RFC 6750 §3: `Bearer`, with the error and its description when a token
/// was sent (quotes and backslashes in the description cannot break out).
fn bearer_challenge(code: Option<&str>, description: &str) -> String {
    match code {
        None => "Bearer".to_string(),
        Some(code) => format!(
            r#"Bearer error="{code}", error_description="{}""#,
            description.replace(['"', '\\'], "'")
        ),
    }
}

fn oauth_body(code: &str, description: &str) -> String {
    serde_json::to_string(&OAuthErrorBody {
        error: code.to_string(),
        error_description: Some(description.to_string()),
    })
    .expect("serializing a struct of strings cannot fail")
}

fn management_body(status: u16, message: &str, error_code: &str) -> String {
    serde_json::to_string(&ManagementErrorBody {
        status_code: status,
        error: reason_phrase(status).to_string(),
        message: message.to_string(),
        error_code: Some(error_code.to_string()),
    })
    .expect("serializing a struct of strings cannot fail")
}

/// A caller-supplied value quoted in an error message, cut short so an
/// error never echoes a whole request body back.
pub fn echo(value: &str) -> String {
    const MAX_CHARS: usize = 128;
    match value.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// An error rendered for the wire: status, extra headers and a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        421 => "Misdirected Request",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OAuth {
                code, description, ..
            } => write!(f, "{}: {description}", code.as_str()),
            Self::Management {
                status, message, ..
            } => write!(f, "{status}: {message}"),
            Self::Unavailable(detail) => write!(f, "unavailable: {detail}"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_failure_carries_a_basic_challenge() {
        let wire = Error::invalid_client("Client authentication failed", Some(Challenge::Basic))
            .to_wire(Family::OAuth);
        assert_eq!(wire.status, 401);
        assert!(wire
            .headers
            .iter()
            .any(|(name, value)| *name == "WWW-Authenticate" && value.starts_with("Basic ")));
        let body: OAuthErrorBody = serde_json::from_str(&wire.body).unwrap();
        assert_eq!(body.error, "invalid_client");
    }

    #[test]
    fn management_errors_use_auth0_shape() {
        let wire = Error::not_found("inexistent_client", "The client does not exist")
            .to_wire(Family::Management);
        let body: serde_json::Value = serde_json::from_str(&wire.body).unwrap();
        assert_eq!(body["statusCode"], 404);
        assert_eq!(body["error"], "Not Found");
        assert_eq!(body["message"], "The client does not exist");
        assert_eq!(body["errorCode"], "inexistent_client");
    }

    #[test]
    fn unavailable_is_503_in_either_format_without_internal_detail() {
        let err = Error::unavailable("kv: connection reset at key client/abc");
        for family in [Family::OAuth, Family::Management] {
            let wire = err.to_wire(family);
            assert_eq!(wire.status, 503);
            assert!(!wire.body.contains("client/abc"));
        }
    }

    #[test]
    fn echoed_values_are_bounded() {
        assert_eq!(echo("short"), "short");
        let long = "é".repeat(10_000);
        assert_eq!(echo(&long).chars().count(), 129);
    }

    #[test]
    fn a_missing_token_gets_a_bare_bearer_challenge() {
        let wire = Error::missing_token().to_wire(Family::Resource);
        assert_eq!(wire.status, 401);
        assert_eq!(
            wire.headers,
            vec![("WWW-Authenticate", "Bearer".to_string())]
        );
    }

    #[test]
    fn management_401s_carry_a_bearer_challenge_and_other_statuses_none() {
        let wire = Error::management(401, "invalid_token", "The access token has expired")
            .to_wire(Family::Management);
        assert_eq!(
            wire.headers,
            vec![(
                "WWW-Authenticate",
                r#"Bearer error="invalid_token", error_description="The access token has expired""#
                    .to_string()
            )]
        );
        let missing =
            Error::management(401, "invalid_token", MISSING_TOKEN).to_wire(Family::Management);
        assert_eq!(
            missing.headers,
            vec![("WWW-Authenticate", "Bearer".to_string())]
        );
        let forbidden = Error::management(403, "insufficient_scope", "Insufficient scope")
            .to_wire(Family::Management);
        assert!(forbidden.headers.is_empty());
    }

    #[test]
    fn bearer_challenge_cannot_be_broken_by_quotes_in_the_description() {
        let wire = Error::invalid_token(r#"bad "kid""#).to_wire(Family::Resource);
        let (_, challenge) = &wire.headers[0];
        assert_eq!(challenge.matches('"').count(), 4);
    }
}
