//! The one error type of the tenant, and its mapping to the wire formats.
//!
//! Each endpoint family has its own error format: RFC 6749 §5.2 JSON for the
//! token endpoint, RFC 6750 §3 for bearer-protected resources, and Auth0's
//! `{statusCode, error, message, errorCode}` for the Management API; the
//! hosted pages show errors as pages, and the authorization endpoint sends
//! them back to the client once it can trust the redirect URI. An [`Error`]
//! carries enough to render itself in the format of the family it was
//! raised in; [`Error::to_wire`] is the only place that renders JSON, and
//! [`Error::code`] / [`Error::description`] what a page shows.

use std::fmt;

use shared::error::{ManagementErrorBody, OAuthErrorBody};
use shared::protocol::ResponseMode;

/// RFC 6749 §4.1.2.1 / §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2 and OIDC Core
/// §3.1.2.6 error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    InvalidToken,
    InsufficientScope,
    ServerError,
    TemporarilyUnavailable,
    /// OIDC Core §3.1.2.6: `prompt=none` and nobody is signed in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: `prompt=none` and the person has not consented.
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    InvalidClientMetadata,
    /// Auth0's code for a throttled request (429).
    TooManyRequests,
    /// RFC 7009 §2.2.1.
    UnsupportedTokenType,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::TooManyRequests => "too_many_requests",
            Self::UnsupportedTokenType => "unsupported_token_type",
        }
    }
}

/// Auth0's Management API `errorCode`s, each with the status it comes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagementErrorCode {
    InvalidQueryString,
    InvalidToken,
    /// No token at all: `invalid_token` on the wire, with a bare `Bearer`
    /// challenge (RFC 6750 §3.1: no error code when no token was sent).
    MissingToken,
    InsufficientScope,
    OperationNotSupported,
    NotFound,
    InexistentClient,
    InexistentResourceServer,
    InexistentClientGrant,
    InexistentUser,
    InexistentLog,
    InexistentOrganization,
    InexistentAction,
    InexistentActionVersion,
    InexistentExecution,
    MethodNotAllowed,
    Conflict,
    /// Auth0's code for a user that already exists.
    UserExists,
    PayloadTooLarge,
    UnsupportedMediaType,
    MisdirectedRequest,
    /// For statuses of the HTTP layer that have no code of their own.
    InvalidRequest,
}

impl ManagementErrorCode {
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidQueryString | Self::InvalidRequest => 400,
            Self::InvalidToken | Self::MissingToken => 401,
            Self::InsufficientScope | Self::OperationNotSupported => 403,
            Self::NotFound
            | Self::InexistentClient
            | Self::InexistentResourceServer
            | Self::InexistentClientGrant
            | Self::InexistentUser
            | Self::InexistentLog
            | Self::InexistentOrganization
            | Self::InexistentAction
            | Self::InexistentActionVersion
            | Self::InexistentExecution => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict | Self::UserExists => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::MisdirectedRequest => 421,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidQueryString => "invalid_query_string",
            Self::InvalidToken | Self::MissingToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::OperationNotSupported => "operation_not_supported",
            Self::NotFound => "not_found",
            Self::InexistentClient => "inexistent_client",
            Self::InexistentResourceServer => "inexistent_resource_server",
            Self::InexistentClientGrant => "inexistent_client_grant",
            Self::InexistentUser => "inexistent_user",
            Self::InexistentLog => "inexistent_log",
            Self::InexistentOrganization => "inexistent_organization",
            Self::InexistentAction => "inexistent_action",
            Self::InexistentActionVersion => "inexistent_action_version",
            Self::InexistentExecution => "inexistent_execution",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::UserExists => "auth0_idp_error",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::MisdirectedRequest => "misdirected_request",
            Self::InvalidRequest => "invalid_body",
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

/// A request body, or one of its members, that is not valid: Auth0's
/// payload validation error. The field it is about travels with it, so a
/// form can put the message next to that field; the text Auth0's clients
/// read is made only when it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The member, as a path (`callbacks`, `jwt_configuration.alg`), when
    /// the error is about one.
    pub field: Option<String>,
    /// What is wrong, in words that follow the field's name.
    pub detail: String,
    /// A password that fails the policy: Auth0's `PasswordStrengthError`.
    pub password_strength: bool,
}

impl Invalid {
    /// Auth0's text: `Payload validation error: 'field' detail`, or
    /// `PasswordStrengthError: detail`.
    pub fn message(&self) -> String {
        match (&self.field, self.password_strength) {
            (_, true) => format!("PasswordStrengthError: {}", self.detail),
            (Some(field), false) => format!("Payload validation error: '{field}' {}", self.detail),
            (None, false) => format!("Payload validation error: {}", self.detail),
        }
    }
}

/// A refusal at the authorization endpoint once the client and its
/// redirect URI are known good: the error goes back to the client there,
/// with the request's `state` (RFC 6749 §4.1.2.1, §4.2.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
    pub code: OAuthErrorCode,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An RFC 6749 / RFC 6750 error; on a hosted page, an error page.
    OAuth {
        status: u16,
        code: OAuthErrorCode,
        description: String,
        challenge: Option<Challenge>,
    },
    /// An Auth0 Management API error.
    Management {
        code: ManagementErrorCode,
        message: String,
    },
    /// An invalid Management API body (400 `invalid_body`).
    Invalid(Invalid),
    /// An authorization error for the client, at its redirect URI.
    Redirect(Box<Redirect>),
    /// The store or the crypto backend failed: nothing can be promised, the
    /// caller may retry.
    Unavailable(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

const UNAVAILABLE: &str = "The service is temporarily unavailable, please retry";

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

    /// RFC 6749 §5.2: a code or refresh token that is invalid, expired,
    /// revoked, another client's, or does not match its request.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::oauth(400, OAuthErrorCode::InvalidGrant, description)
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
            description: "Missing bearer token".into(),
            challenge: Some(Challenge::Bearer),
        }
    }

    pub fn management(code: ManagementErrorCode, message: impl Into<String>) -> Self {
        Self::Management {
            code,
            message: message.into(),
        }
    }

    /// Auth0's payload validation error about the member `field`.
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Invalid(Invalid {
            field: Some(field.into()),
            detail: detail.into(),
            password_strength: false,
        })
    }

    /// Auth0's payload validation error about the body as a whole.
    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Self::Invalid(Invalid {
            field: None,
            detail: detail.into(),
            password_strength: false,
        })
    }

    /// Auth0's `PasswordStrengthError`, about the `password` member.
    pub fn weak_password(detail: impl Into<String>) -> Self {
        Self::Invalid(Invalid {
            field: Some("password".into()),
            detail: detail.into(),
            password_strength: true,
        })
    }

    pub fn not_found(code: ManagementErrorCode, message: impl Into<String>) -> Self {
        Self::management(code, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::management(ManagementErrorCode::Conflict, message)
    }

    /// 403 `insufficient_scope` in the Management API.
    pub fn insufficient_scope(message: impl Into<String>) -> Self {
        Self::management(ManagementErrorCode::InsufficientScope, message)
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
                    404 => ManagementErrorCode::NotFound,
                    405 => ManagementErrorCode::MethodNotAllowed,
                    413 => ManagementErrorCode::PayloadTooLarge,
                    415 => ManagementErrorCode::UnsupportedMediaType,
                    421 => ManagementErrorCode::MisdirectedRequest,
                    _ => return Self::invalid_body(message),
                };
                Self::management(code, message)
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

    /// The error as the Management API reports it: a bearer token refused
    /// by the rules every API shares becomes the Management API's 401.
    pub fn for_management(self) -> Self {
        match self {
            Self::OAuth {
                status: 401,
                code,
                description,
                ..
            } => Self::management(
                if code == OAuthErrorCode::InvalidToken {
                    ManagementErrorCode::InvalidToken
                } else {
                    ManagementErrorCode::MissingToken
                },
                description,
            ),
            other => other,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::OAuth { status, .. } => *status,
            Self::Management { code, .. } => code.status(),
            Self::Invalid(_) => 400,
            Self::Redirect(_) => 302,
            Self::Unavailable(_) => 503,
        }
    }

    /// The machine-readable code: the OAuth `error` or the Management API
    /// `errorCode`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OAuth { code, .. } => code.as_str(),
            Self::Management { code, .. } => code.as_str(),
            Self::Invalid(_) => "invalid_body",
            Self::Redirect(redirect) => redirect.code.as_str(),
            Self::Unavailable(_) => OAuthErrorCode::TemporarilyUnavailable.as_str(),
        }
    }

    /// The words for people: the OAuth `error_description` or the
    /// Management API `message`; never the detail of an unavailability.
    pub fn description(&self) -> String {
        match self {
            Self::OAuth { description, .. } => description.clone(),
            Self::Management { message, .. } => message.clone(),
            Self::Invalid(invalid) => invalid.message(),
            Self::Redirect(redirect) => redirect.description.clone(),
            Self::Unavailable(_) => UNAVAILABLE.to_string(),
        }
    }

    /// Renders the error for the endpoint family it is returned from.
    pub fn to_wire(&self, family: Family) -> WireError {
        let status = match self {
            // Only a page delivers a redirect; anywhere else it is the
            // client's error, a 400.
            Self::Redirect(_) => 400,
            other => other.status(),
        };
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
            (Self::Management { code, message }, _) => {
                // RFC 9110 §15.5.2: a 401 carries a challenge; the Management
                // API takes bearer tokens, so RFC 6750's, as Auth0 sends.
                if status == 401 {
                    let error = (*code != ManagementErrorCode::MissingToken).then(|| code.as_str());
                    headers.push(("WWW-Authenticate", bearer_challenge(error, message)));
                }
                management_body(status, message, code.as_str(), None)
            }
            (Self::Invalid(invalid), Family::Management) => management_body(
                status,
                &invalid.message(),
                "invalid_body",
                invalid.field.as_deref(),
            ),
            (Self::Invalid(invalid), _) => {
                oauth_body(OAuthErrorCode::InvalidRequest.as_str(), &invalid.message())
            }
            (Self::Redirect(redirect), _) => {
                oauth_body(redirect.code.as_str(), &redirect.description)
            }
            (Self::Unavailable(_), Family::Management) => {
                management_body(status, UNAVAILABLE, "temporarily_unavailable", None)
            }
            (Self::Unavailable(_), _) => {
                oauth_body(OAuthErrorCode::TemporarilyUnavailable.as_str(), UNAVAILABLE)
            }
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

fn management_body(status: u16, message: &str, error_code: &str, field: Option<&str>) -> String {
    serde_json::to_string(&ManagementErrorBody {
        status_code: status,
        error: reason_phrase(status).to_string(),
        message: message.to_string(),
        error_code: Some(error_code.to_string()),
        field: field.map(str::to_string),
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
            Self::Unavailable(detail) => write!(f, "unavailable: {detail}"),
            other => write!(
                f,
                "{} {}: {}",
                other.status(),
                other.code(),
                other.description()
            ),
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
        let wire = Error::not_found(
            ManagementErrorCode::InexistentClient,
            "The client does not exist",
        )
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
        let wire = Error::management(
            ManagementErrorCode::InvalidToken,
            "The access token has expired",
        )
        .to_wire(Family::Management);
        assert_eq!(
            wire.headers,
            vec![(
                "WWW-Authenticate",
                r#"Bearer error="invalid_token", error_description="The access token has expired""#
                    .to_string()
            )]
        );
        let missing = Error::missing_token()
            .for_management()
            .to_wire(Family::Management);
        assert_eq!(
            missing.headers,
            vec![("WWW-Authenticate", "Bearer".to_string())]
        );
        let forbidden =
            Error::management(ManagementErrorCode::InsufficientScope, "Insufficient scope")
                .to_wire(Family::Management);
        assert!(forbidden.headers.is_empty());
    }

    #[test]
    fn bearer_challenge_cannot_be_broken_by_quotes_in_the_description() {
        let wire = Error::invalid_token(r#"bad "kid""#).to_wire(Family::Resource);
        let (_, challenge) = &wire.headers[0];
        assert_eq!(challenge.matches('"').count(), 4);
    }

    #[test]
    fn a_payload_validation_error_names_its_field_in_auth0s_words_and_apart() {
        let wire = Error::invalid_field("callbacks", "value 'x' is not an absolute URL")
            .to_wire(Family::Management);
        let body: serde_json::Value = serde_json::from_str(&wire.body).unwrap();
        assert_eq!(wire.status, 400);
        assert_eq!(body["errorCode"], "invalid_body");
        assert_eq!(
            body["message"],
            "Payload validation error: 'callbacks' value 'x' is not an absolute URL"
        );
        assert_eq!(body["field"], "callbacks");
        let weak = Error::weak_password("Password is too weak").to_wire(Family::Management);
        let body: serde_json::Value = serde_json::from_str(&weak.body).unwrap();
        assert_eq!(
            body["message"],
            "PasswordStrengthError: Password is too weak"
        );
        assert_eq!(body["field"], "password");
        let whole = Error::invalid_body("body is empty").to_wire(Family::Management);
        assert!(!whole.body.contains("field"), "{}", whole.body);
    }

    #[test]
    fn every_error_says_its_code_and_description_without_rendering() {
        let redirect = Error::Redirect(Box::new(Redirect {
            redirect_uri: "https://app.example/cb".into(),
            mode: ResponseMode::Fragment,
            state: Some("s".into()),
            code: OAuthErrorCode::LoginRequired,
            description: "The user is not signed in".into(),
        }));
        for (err, code, description) in [
            (&redirect, "login_required", "The user is not signed in"),
            (
                &Error::not_found(ManagementErrorCode::InexistentUser, "No such user"),
                "inexistent_user",
                "No such user",
            ),
            (
                &Error::unavailable("kv: reset"),
                "temporarily_unavailable",
                UNAVAILABLE,
            ),
        ] {
            assert_eq!(
                (err.code(), err.description().as_str()),
                (code, description)
            );
        }
        assert_eq!(
            Error::not_found(ManagementErrorCode::InexistentUser, "x").status(),
            404
        );
    }
}
