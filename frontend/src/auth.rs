//! The SPA's side of signing in, free of any web API so it is tested on
//! the host. Two flows, both against the tenant's built-in public clients:
//!
//! - **Authorization code with PKCE** (RFC 6749 §4.1, RFC 7636), the one to
//!   use: [`AuthRequest::generate_for_code`] makes a fresh `state`, `nonce`
//!   and code verifier, [`code_authorize_url`] the sign-in link carrying the
//!   verifier's [`code_challenge`]; [`begin_code_callback`] reads the
//!   callback's query ([`parse_query`]) and checks its `state`;
//!   [`code_exchange_body`] is the token request that redeems the code, whose
//!   answer [`read_token_response`] reads and [`finish_code_sign_in`]
//!   validates. [`refresh_body`] and [`finish_refresh`] do the same for a
//!   refresh, [`revocation_body`] revokes a refresh token.
//! - **Implicit** (`response_type=id_token token`), the link of Auth0's
//!   reference pages that the sample client keeps: [`AuthRequest::generate`]
//!   and [`authorize_url`]; [`begin_callback`] reads the `/callback`
//!   fragment ([`parse_fragment`]) and checks it answers this browser's
//!   request ([`check_state`]); [`finish_sign_in`] validates it.
//!
//! Every ID token is checked by [`validate_id_token`]: signature, `iss`,
//! `aud`/`azp`, `exp`, `iat`, `nonce`, and `at_hash` (required with an
//! implicit access token, checked when present otherwise). An RS256
//! signature is checked by an [`Rs256Verifier`] (the browser's WebCrypto in
//! the app), an EdDSA one here.
//!
//! Every failure is one [`AuthError`], whose `Display` is a sentence for the
//! person signing in. The time is always passed in, so tests are exact.

use std::fmt;
use std::future::Future;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::Verifier as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use shared::app::AppConfig;
use shared::discovery::{Jwk, JwkSet};
use shared::error::OAuthErrorBody;
/// The token endpoint's answer (RFC 6749 §5.1, OIDC Core §3.1.3.3).
pub use shared::token::TokenResponse as TokenEndpointResponse;
use subtle::ConstantTimeEq;

/// The implicit flow returning both an ID token and an access token.
pub const RESPONSE_TYPE: &str = "id_token token";
/// The authorization code flow.
pub const CODE_RESPONSE_TYPE: &str = "code";
/// The only PKCE method the tenant accepts (and the only safe one).
pub const CODE_CHALLENGE_METHOD: &str = "S256";
/// The scope that asks for a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";
/// Tolerated clock difference between this browser and the tenant.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// Bytes of randomness in each of `state`, `nonce` and the code verifier
/// (256 bits; a verifier of 43 characters, RFC 7636 §4.1's shortest).
const RANDOM_BYTES: usize = 32;

/// The tenant's two built-in clients the SPA signs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltInClient {
    SampleApp,
    Dashboard,
}

/// One of the SPA's built-in clients, as far as signing in goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInApp {
    pub client: BuiltInClient,
    /// `sessionStorage` key of its pending implicit-flow [`AuthRequest`];
    /// `None` for an app that signs in with the code flow only (its
    /// callback then refuses tokens in the fragment).
    pub implicit_storage_key: Option<&'static str>,
    /// `sessionStorage` key of its pending code-flow [`AuthRequest`], code
    /// verifier included. Apart from the implicit one, so that neither
    /// sign-in in progress replaces the other's.
    pub code_storage_key: &'static str,
    /// Path of its redirect URI on the SPA's origin.
    pub callback_path: &'static str,
    /// The scopes it asks for.
    pub scope: &'static str,
}

impl SignInApp {
    /// Its redirect URI for the SPA served at `origin` (`scheme://host[:port]`).
    pub fn callback_url(&self, origin: &str) -> String {
        format!("{}{}", origin.trim_end_matches('/'), self.callback_path)
    }

    /// Its client_id, from `/app-config.json`.
    pub fn client_id<'a>(&self, config: &'a AppConfig) -> &'a str {
        match self.client {
            BuiltInClient::SampleApp => &config.client_id,
            BuiltInClient::Dashboard => &config.dashboard_client_id,
        }
    }

    /// The audience it asks for: the tenant's default for the sample app,
    /// the Management API for the Dashboard.
    pub fn audience<'a>(&self, config: &'a AppConfig) -> Option<&'a str> {
        match self.client {
            BuiltInClient::SampleApp => None,
            BuiltInClient::Dashboard => Some(&config.management_audience),
        }
    }

    /// The scopes it asks for in the code flow: its [`scope`](Self::scope)
    /// and `offline_access`, for a refresh token (granted only when the
    /// API allows offline access).
    pub fn code_scope(&self) -> String {
        format!("{} {OFFLINE_ACCESS}", self.scope)
    }
}

/// The sample client: who you are, for the tenant's default audience.
pub const SAMPLE_APP: SignInApp = SignInApp {
    client: BuiltInClient::SampleApp,
    implicit_storage_key: Some("edge_tenant.auth_request"),
    code_storage_key: "edge_tenant.code_request",
    callback_path: "/callback",
    scope: "openid profile email",
};

/// The Dashboard: a Management API token with every scope the Dashboard
/// uses; the tenant grants only those the person holds.
pub const DASHBOARD: SignInApp = SignInApp {
    client: BuiltInClient::Dashboard,
    implicit_storage_key: None,
    code_storage_key: "edge_tenant.dashboard_auth_request",
    callback_path: "/dashboard/callback",
    scope: "openid profile email \
            read:clients create:clients update:clients delete:clients update:client_keys \
            read:resource_servers create:resource_servers update:resource_servers \
            delete:resource_servers \
            read:client_grants create:client_grants update:client_grants delete:client_grants \
            read:users create:users update:users delete:users \
            read:tenant_settings update:tenant_settings read:logs \
            read:organizations create:organizations update:organizations delete:organizations \
            read:organization_members create:organization_members delete:organization_members \
            read:organization_client_grants create:organization_client_grants \
            delete:organization_client_grants \
            read:actions create:actions update:actions delete:actions",
};

/// Characters left as they are in a query value: RFC 3986 "unreserved".
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A sign-in this browser started: stored in `sessionStorage` under one of
/// the app's keys ([`SignInApp::implicit_storage_key`],
/// [`SignInApp::code_storage_key`]) when the link is built, consumed by the
/// callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub state: String,
    pub nonce: String,
    /// The SPA path to show once signed in (see [`return_path`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
    /// The PKCE code verifier of a code-flow sign-in (RFC 7636 §4.1): kept
    /// here, in this tab only, until the callback redeems the code with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
}

impl AuthRequest {
    /// `state` and `nonce` from the given random bytes, base64url-encoded.
    pub fn from_random_bytes(state: &[u8], nonce: &[u8]) -> Self {
        AuthRequest {
            state: URL_SAFE_NO_PAD.encode(state),
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            return_to: None,
            code_verifier: None,
        }
    }

    /// A fresh request with 256 bits from the operating system's CSPRNG
    /// (`crypto.getRandomValues` in the browser) in each value.
    pub fn generate() -> Result<Self, AuthError> {
        let mut bytes = [0u8; 2 * RANDOM_BYTES];
        random(&mut bytes)?;
        let (state, nonce) = bytes.split_at(RANDOM_BYTES);
        Ok(Self::from_random_bytes(state, nonce))
    }

    /// A fresh request for the code flow: `state`, `nonce` and a code
    /// verifier of 256 bits each.
    pub fn generate_for_code() -> Result<Self, AuthError> {
        let mut bytes = [0u8; 3 * RANDOM_BYTES];
        random(&mut bytes)?;
        let (state, rest) = bytes.split_at(RANDOM_BYTES);
        let (nonce, verifier) = rest.split_at(RANDOM_BYTES);
        let mut request = Self::from_random_bytes(state, nonce);
        request.code_verifier = Some(code_verifier(verifier));
        Ok(request)
    }

    /// The form kept in `sessionStorage`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings always serialize")
    }

    /// Reads the stored form; anything unreadable counts as no request.
    pub fn from_json(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

/// Fills `bytes` from the operating system's CSPRNG.
fn random(bytes: &mut [u8]) -> Result<(), AuthError> {
    getrandom::getrandom(bytes).map_err(|e| AuthError::Random(e.to_string()))
}

/// A PKCE code verifier (RFC 7636 §4.1) from random bytes: their base64url
/// encoding, 43 characters for 32 bytes.
pub fn code_verifier(random_bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes)
}

/// The `S256` code challenge of a verifier (RFC 7636 §4.2):
/// `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn encode_query_value(value: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(value, QUERY_VALUE)
}

/// What an authorization request asks for, besides `state` and `nonce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizationParams<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: &'a str,
    /// The API the access token is for; the tenant's default when `None`.
    pub audience: Option<&'a str>,
}

/// The sign-in link: the authorization request of the implicit flow.
pub fn authorize_url(
    authorization_endpoint: &str,
    params: &AuthorizationParams<'_>,
    request: &AuthRequest,
) -> String {
    authorization_request(authorization_endpoint, RESPONSE_TYPE, params, request)
}

/// The sign-in link of the code flow: `response_type=code`, answered in
/// the query (`response_mode=query`), with `code_challenge` (see
/// [`code_challenge`]) and `code_challenge_method=S256`.
pub fn code_authorize_url(
    authorization_endpoint: &str,
    params: &AuthorizationParams<'_>,
    request: &AuthRequest,
    code_challenge: &str,
) -> String {
    let mut url =
        authorization_request(authorization_endpoint, CODE_RESPONSE_TYPE, params, request);
    url.push_str(&format!(
        "&response_mode=query&code_challenge={}&code_challenge_method={CODE_CHALLENGE_METHOD}",
        encode_query_value(code_challenge),
    ));
    url
}

fn authorization_request(
    authorization_endpoint: &str,
    response_type: &str,
    params: &AuthorizationParams<'_>,
    request: &AuthRequest,
) -> String {
    let separator = if authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut url = format!(
        "{authorization_endpoint}{separator}response_type={}&client_id={}&redirect_uri={}\
         &scope={}",
        encode_query_value(response_type),
        encode_query_value(params.client_id),
        encode_query_value(params.redirect_uri),
        encode_query_value(params.scope),
    );
    if let Some(audience) = params.audience {
        url.push_str(&format!("&audience={}", encode_query_value(audience)));
    }
    url.push_str(&format!(
        "&state={}&nonce={}",
        encode_query_value(&request.state),
        encode_query_value(&request.nonce),
    ));
    url
}

/// `path` if it is a path on this origin (`/…`, not `//host` or `/\host`),
/// the only kind of place a sign-in returns to.
pub fn return_path(path: &str) -> Option<&str> {
    let same_origin = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control);
    same_origin.then_some(path)
}

/// The sign-out link: the tenant's `/v2/logout`, returning to `return_to`.
pub fn logout_url(issuer: &str, client_id: &str, return_to: &str) -> String {
    let slash = if issuer.ends_with('/') { "" } else { "/" };
    format!(
        "{issuer}{slash}v2/logout?client_id={}&returnTo={}",
        encode_query_value(client_id),
        encode_query_value(return_to),
    )
}

/// What the tenant put in the `/callback` fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackResponse {
    Tokens(TokenResponse),
    Error(ErrorResponse),
}

impl CallbackResponse {
    /// The `state` the tenant echoed, if any.
    pub fn state(&self) -> Option<&str> {
        match self {
            CallbackResponse::Tokens(t) => t.state.as_deref(),
            CallbackResponse::Error(e) => e.state.as_deref(),
        }
    }
}

/// A successful implicit-flow response (OIDC Core 3.2.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub id_token: String,
    pub state: Option<String>,
}

/// An error response (RFC 6749 4.2.2.1, OIDC Core 3.1.2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub error: String,
    pub error_description: Option<String>,
    pub state: Option<String>,
}

/// Parses the URL fragment (with or without its leading `#`) as
/// `application/x-www-form-urlencoded`.
pub fn parse_fragment(fragment: &str) -> Result<CallbackResponse, AuthError> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    if fragment.is_empty() {
        return Err(AuthError::NoResponse);
    }
    let pairs = form_pairs(fragment)?;
    let take = |name: &str| take(&pairs, name);
    let state = take("state");

    if let Some(error) = take("error") {
        return Ok(CallbackResponse::Error(ErrorResponse {
            error,
            error_description: take("error_description").filter(|d| !d.is_empty()),
            state,
        }));
    }

    let access_token = take("access_token");
    let id_token = take("id_token");
    if access_token.is_none() && id_token.is_none() && state.is_none() {
        // e.g. `/callback#top`: not a response from the tenant at all.
        return Err(AuthError::NoResponse);
    }
    let required = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AuthError::Malformed(format!("it has no {name}")))
    };
    let expires_in = match take("expires_in") {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            AuthError::Malformed("its expires_in is not a number of seconds".into())
        })?),
    };
    Ok(CallbackResponse::Tokens(TokenResponse {
        access_token: required(access_token, "access_token")?,
        token_type: required(take("token_type"), "token_type")?,
        expires_in,
        scope: take("scope"),
        id_token: required(id_token, "id_token")?,
        state,
    }))
}

/// The pairs of `application/x-www-form-urlencoded` text, each name once.
fn form_pairs(text: &str) -> Result<Vec<(String, String)>, AuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
        .map_err(|_| AuthError::Malformed("it is not valid form-encoded text".into()))?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
            return Err(AuthError::Malformed(format!(
                "the parameter \"{name}\" appears more than once"
            )));
        }
    }
    Ok(pairs)
}

/// The value of parameter `name`, if present.
fn take(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// How a callback was answered, by where its address carries the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Tokens (or an error) in the fragment.
    Implicit,
    /// A code (or an error) in the query.
    Code,
}

/// Which flow the callback's address (`location.search`,
/// `location.hash`) answers, if any: the query when it carries `code`,
/// `error` or `state` (the tenant never answers in both), else the
/// fragment when there is one.
pub fn callback_flow(query: &str, fragment: &str) -> Option<Flow> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let answers = |pairs: Vec<(String, String)>| {
        pairs
            .iter()
            .any(|(name, _)| matches!(name.as_str(), "code" | "error" | "state"))
    };
    if !query.is_empty() && serde_urlencoded::from_str(query).is_ok_and(answers) {
        return Some(Flow::Code);
    }
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    (!fragment.is_empty()).then_some(Flow::Implicit)
}

/// What the tenant put in a code-flow callback's query (RFC 6749 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeResponse {
    Code { code: String, state: Option<String> },
    Error(ErrorResponse),
}

impl CodeResponse {
    /// The `state` the tenant echoed, if any.
    pub fn state(&self) -> Option<&str> {
        match self {
            CodeResponse::Code { state, .. } => state.as_deref(),
            CodeResponse::Error(e) => e.state.as_deref(),
        }
    }
}

/// Parses the callback's query (with or without its leading `?`).
pub fn parse_query(query: &str) -> Result<CodeResponse, AuthError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    if query.is_empty() {
        return Err(AuthError::NoResponse);
    }
    let pairs = form_pairs(query)?;
    let take = |name: &str| take(&pairs, name);
    let state = take("state");
    if let Some(error) = take("error") {
        return Ok(CodeResponse::Error(ErrorResponse {
            error,
            error_description: take("error_description").filter(|d| !d.is_empty()),
            state,
        }));
    }
    match take("code") {
        Some(code) if !code.is_empty() => Ok(CodeResponse::Code { code, state }),
        // e.g. `/callback?utm_source=x`: not a response from the tenant.
        None if state.is_none() => Err(AuthError::NoResponse),
        _ => Err(AuthError::Malformed("it has no authorization code".into())),
    }
}

/// A code-flow response that answers this browser's request, to redeem
/// at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub code: String,
    /// The verifier whose challenge the authorization request carried.
    pub code_verifier: String,
    /// The nonce this browser sent; the ID token must carry it.
    pub nonce: String,
}

/// Reads a code-flow callback's query and matches it with the stored
/// request (already removed from storage by the caller: it is one-time).
pub fn begin_code_callback(
    query: &str,
    stored: Option<&AuthRequest>,
) -> Result<PendingCode, AuthError> {
    let response = parse_query(query)?;
    check_state(stored, response.state())?;
    let Some(stored) = stored else {
        return Err(AuthError::NoStoredRequest);
    };
    match response {
        CodeResponse::Error(e) => Err(AuthError::Provider {
            error: e.error,
            description: e.error_description,
        }),
        CodeResponse::Code { code, .. } => Ok(PendingCode {
            code,
            // A stored implicit request has no verifier: it is not the
            // sign-in this answers.
            code_verifier: stored
                .code_verifier
                .clone()
                .ok_or(AuthError::NoStoredRequest)?,
            nonce: stored.nonce.clone(),
        }),
    }
}

/// Form-encodes the pairs of a request body.
fn form_body(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("string pairs always encode")
}

/// The token request that redeems a code (RFC 6749 §4.1.3, RFC 7636
/// §4.5), as a public client: `client_id` and the verifier, no secret.
pub fn code_exchange_body(client_id: &str, redirect_uri: &str, pending: &PendingCode) -> String {
    form_body(&[
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("code", &pending.code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", &pending.code_verifier),
    ])
}

/// The token request of a refresh (RFC 6749 §6), as a public client.
pub fn refresh_body(client_id: &str, refresh_token: &str) -> String {
    form_body(&[
        ("grant_type", "refresh_token"),
        ("client_id", client_id),
        ("refresh_token", refresh_token),
    ])
}

/// The revocation request of a refresh token (RFC 7009 §2.1).
pub fn revocation_body(client_id: &str, refresh_token: &str) -> String {
    form_body(&[
        ("client_id", client_id),
        ("token", refresh_token),
        ("token_type_hint", "refresh_token"),
    ])
}

/// Reads the token endpoint's answer: the tokens of a 2xx, the OAuth error
/// (RFC 6749 §5.2) of anything else.
pub fn read_token_response(status: u16, body: &str) -> Result<TokenEndpointResponse, AuthError> {
    if !(200..300).contains(&status) {
        let (error, description) = match serde_json::from_str::<OAuthErrorBody>(body) {
            Ok(body) => (body.error, body.error_description.filter(|d| !d.is_empty())),
            Err(_) => (format!("HTTP {status}"), None),
        };
        return Err(AuthError::TokenRefused {
            status,
            error,
            description,
        });
    }
    let tokens: TokenEndpointResponse = serde_json::from_str(body).map_err(|_| {
        AuthError::Malformed("the tenant's token answer is not the JSON expected".into())
    })?;
    if !tokens.token_type.eq_ignore_ascii_case("Bearer") {
        return Err(AuthError::UnsupportedTokenType(tokens.token_type));
    }
    if tokens.access_token.is_empty() {
        return Err(AuthError::Malformed("it has no access_token".into()));
    }
    Ok(tokens)
}

/// Checks that the response answers the request this browser stored.
/// The comparison takes the same time wherever the values first differ.
pub fn check_state(stored: Option<&AuthRequest>, returned: Option<&str>) -> Result<(), AuthError> {
    let stored = stored.ok_or(AuthError::NoStoredRequest)?;
    let returned = returned
        .filter(|s| !s.is_empty())
        .ok_or(AuthError::StateMissing)?;
    if constant_time_eq(&stored.state, returned) {
        Ok(())
    } else {
        Err(AuthError::StateMismatch)
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A response that answers this browser's request and carries tokens,
/// not yet validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    pub tokens: TokenResponse,
    /// The nonce this browser sent; the ID token must carry it.
    pub nonce: String,
}

/// Reads the `/callback` fragment and matches it with the stored request
/// (already removed from storage by the caller: it is one-time).
pub fn begin_callback(
    fragment: &str,
    stored: Option<&AuthRequest>,
) -> Result<PendingSignIn, AuthError> {
    let response = parse_fragment(fragment)?;
    check_state(stored, response.state())?;
    let Some(stored) = stored else {
        return Err(AuthError::NoStoredRequest);
    };
    match response {
        CallbackResponse::Error(e) => Err(AuthError::Provider {
            error: e.error,
            description: e.error_description,
        }),
        CallbackResponse::Tokens(tokens) => {
            if !tokens.token_type.eq_ignore_ascii_case("Bearer") {
                return Err(AuthError::UnsupportedTokenType(tokens.token_type));
            }
            Ok(PendingSignIn {
                tokens,
                nonce: stored.nonce.clone(),
            })
        }
    }
}

/// What the ID token must say to be accepted.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenExpectations<'a> {
    /// The discovered issuer, compared exactly (it ends with `/`).
    pub issuer: &'a str,
    /// This app's client_id: the audience.
    pub client_id: &'a str,
    /// The nonce this browser sent.
    pub nonce: &'a str,
    /// How the token reached this browser.
    pub source: IdTokenSource<'a>,
}

/// How an ID token reached this browser, which decides what binds it to
/// the sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenSource<'a> {
    /// In the redirect, with the access token (implicit flow): `nonce` and
    /// `at_hash` required (OIDC Core §3.2.2.10).
    Implicit,
    /// From the token endpoint for a code: `nonce` required, `at_hash`
    /// checked when present (OIDC Core §3.1.3.6, §3.1.3.8).
    CodeExchange,
    /// From the token endpoint for a refresh (OIDC Core §12.2): the same
    /// person (`subject`); a `nonce` need not be there but, if it is, must
    /// be the sign-in's; `at_hash` checked when present.
    Refresh { subject: &'a str },
}

/// A validated sign-in, kept in memory only.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub id_token: String,
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    /// The ID token's claims, validated.
    pub id_claims: Map<String, Value>,
    /// The access token's claims, decoded without validation for display
    /// (the SPA is not its audience); `None` when it is not a JWT.
    pub access_claims: Option<Map<String, Value>>,
    /// The refresh token, when the tenant granted offline access (code
    /// flow only). Kept in memory only; never shown.
    pub refresh_token: Option<String>,
}

impl SignedIn {
    /// The `name` claim.
    pub fn name(&self) -> Option<&str> {
        self.id_claims.get("name").and_then(Value::as_str)
    }

    /// The `email` claim.
    pub fn email(&self) -> Option<&str> {
        self.id_claims.get("email").and_then(Value::as_str)
    }

    /// The `sub` claim (always present once validated).
    pub fn subject(&self) -> &str {
        self.id_claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Validates the pending response's ID token and returns the sign-in.
pub async fn finish_sign_in(
    pending: PendingSignIn,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    now: i64,
    rs256: &impl Rs256Verifier,
) -> Result<SignedIn, AuthError> {
    let tokens = pending.tokens;
    let id_claims = validate_id_token(
        &tokens.id_token,
        Some(&tokens.access_token),
        jwks,
        &IdTokenExpectations {
            issuer,
            client_id,
            nonce: &pending.nonce,
            source: IdTokenSource::Implicit,
        },
        now,
        rs256,
    )
    .await?;
    let access_claims = decode_claims_unverified(&tokens.access_token).ok();
    Ok(SignedIn {
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        expires_in: tokens.expires_in,
        scope: tokens.scope,
        id_claims,
        access_claims,
        refresh_token: None,
    })
}

/// Validates the token endpoint's answer to a code redemption (read by
/// [`read_token_response`]) and returns the sign-in. `nonce` is the one
/// this browser sent ([`PendingCode::nonce`]).
pub async fn finish_code_sign_in(
    nonce: &str,
    tokens: TokenEndpointResponse,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    now: i64,
    rs256: &impl Rs256Verifier,
) -> Result<SignedIn, AuthError> {
    let id_token = tokens
        .id_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AuthError::Malformed("it has no id_token".into()))?;
    let id_claims = validate_id_token(
        &id_token,
        Some(&tokens.access_token),
        jwks,
        &IdTokenExpectations {
            issuer,
            client_id,
            nonce,
            source: IdTokenSource::CodeExchange,
        },
        now,
        rs256,
    )
    .await?;
    let access_claims = decode_claims_unverified(&tokens.access_token).ok();
    Ok(SignedIn {
        id_token,
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        expires_in: Some(tokens.expires_in),
        scope: tokens.scope,
        id_claims,
        access_claims,
        refresh_token: tokens.refresh_token.filter(|t| !t.is_empty()),
    })
}

/// Validates the token endpoint's answer to a refresh of `previous` and
/// returns the sign-in with its new tokens: the new refresh token when the
/// tenant rotated it, else the same one; the new ID token (checked as
/// [`IdTokenSource::Refresh`]) when one came, else the sign-in's.
pub async fn finish_refresh(
    previous: &SignedIn,
    tokens: TokenEndpointResponse,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    now: i64,
    rs256: &impl Rs256Verifier,
) -> Result<SignedIn, AuthError> {
    let (id_token, id_claims) = match tokens.id_token.filter(|t| !t.is_empty()) {
        None => (previous.id_token.clone(), previous.id_claims.clone()),
        Some(id_token) => {
            let nonce = previous
                .id_claims
                .get("nonce")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let claims = validate_id_token(
                &id_token,
                Some(&tokens.access_token),
                jwks,
                &IdTokenExpectations {
                    issuer,
                    client_id,
                    nonce,
                    source: IdTokenSource::Refresh {
                        subject: previous.subject(),
                    },
                },
                now,
                rs256,
            )
            .await?;
            (id_token, claims)
        }
    };
    let access_claims = decode_claims_unverified(&tokens.access_token).ok();
    Ok(SignedIn {
        id_token,
        access_token: tokens.access_token,
        token_type: tokens.token_type,
        expires_in: Some(tokens.expires_in),
        scope: tokens.scope,
        id_claims,
        access_claims,
        refresh_token: tokens
            .refresh_token
            .filter(|t| !t.is_empty())
            .or_else(|| previous.refresh_token.clone()),
    })
}

/// The JOSE header members this client reads.
#[derive(Deserialize)]
struct JoseHeader {
    alg: Option<String>,
    kid: Option<String>,
}

/// Checks RS256 signatures (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518
/// §3.3). The browser's WebCrypto does it in the app, so the SPA carries no
/// RSA code of its own; tests use a Rust implementation.
pub trait Rs256Verifier {
    /// Whether `signature` is `key`'s over `message`; `Err` when the check
    /// could not be made at all.
    fn verify(
        &self,
        key: &RsaKey,
        message: &[u8],
        signature: &[u8],
    ) -> impl Future<Output = Result<bool, String>>;
}

/// An RSA public key of at least 2048 bits, as the JWK members `n` and `e`
/// (base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaKey {
    pub n: String,
    pub e: String,
}

/// The published key an ID token names, checked usable for its `alg`.
enum VerifyingKey {
    Rs256(RsaKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// Validates an ID token (OIDC Core 3.1.3.7, 3.2.2.11) and returns its
/// claims.
///
/// `now` is the current time in seconds since the Unix epoch. When
/// `access_token` is given, the token's `at_hash` must match it: present
/// and matching for [`IdTokenSource::Implicit`], matching when present
/// otherwise.
pub async fn validate_id_token(
    id_token: &str,
    access_token: Option<&str>,
    jwks: &JwkSet,
    expected: &IdTokenExpectations<'_>,
    now: i64,
    rs256: &impl Rs256Verifier,
) -> Result<Map<String, Value>, AuthError> {
    let mut segments = id_token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(AuthError::MalformedIdToken(
            "it does not have three parts".into(),
        ));
    };
    // The JWS Signing Input (RFC 7515 §5.2): the header and payload as sent.
    let message = &id_token.as_bytes()[..header.len() + 1 + payload.len()];
    let header: JoseHeader = decode_segment(header)
        .ok_or_else(|| AuthError::MalformedIdToken("its header is unreadable".into()))?;
    let alg = header.alg.unwrap_or_default();
    if alg != "RS256" && alg != "EdDSA" {
        return Err(AuthError::UnsupportedAlgorithm(alg));
    }
    let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| AuthError::UnknownKey(kid.clone()))?;
    if key.alg != alg {
        return Err(AuthError::KeyAlgorithmMismatch {
            alg,
            key_alg: key.alg.clone(),
        });
    }
    let key = if alg == "RS256" {
        VerifyingKey::Rs256(rsa_key(key)?)
    } else {
        VerifyingKey::Ed25519(ed25519_key(key)?)
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| AuthError::MalformedIdToken("its signature is not base64url".into()))?;
    let valid = match &key {
        VerifyingKey::Rs256(key) => rs256
            .verify(key, message, &signature)
            .await
            .map_err(AuthError::VerifierUnavailable)?,
        VerifyingKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(&signature)
            .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
    };
    if !valid {
        return Err(AuthError::BadSignature);
    }

    let claims: Map<String, Value> = decode_segment(payload)
        .ok_or_else(|| AuthError::MalformedIdToken("its claims are unreadable".into()))?;
    check_claims(&claims, access_token, expected, now)?;
    Ok(claims)
}

fn key_member<'a>(
    key: &'a Jwk,
    value: &'a Option<String>,
    name: &str,
) -> Result<Vec<u8>, AuthError> {
    let value = value
        .as_deref()
        .ok_or_else(|| AuthError::InvalidKey(format!("key {} has no \"{name}\"", key.kid)))?;
    URL_SAFE_NO_PAD.decode(value).map_err(|_| {
        AuthError::InvalidKey(format!("key {}'s \"{name}\" is not base64url", key.kid))
    })
}

/// The fewest modulus bits an RSA key may have (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

/// An RSA public key of at least 2048 bits from an RSA JWK.
fn rsa_key(key: &Jwk) -> Result<RsaKey, AuthError> {
    if key.kty != "RSA" {
        return Err(AuthError::InvalidKey(format!(
            "key {} is of type {}, not RSA",
            key.kid, key.kty
        )));
    }
    let modulus = key_member(key, &key.n, "n")?;
    let exponent = key_member(key, &key.e, "e")?;
    if exponent.iter().all(|&b| b == 0) {
        return Err(AuthError::InvalidKey(format!(
            "key {}'s \"e\" is zero",
            key.kid
        )));
    }
    if unsigned_bits(&modulus) < MIN_RSA_BITS {
        return Err(AuthError::InvalidKey(format!(
            "key {} is shorter than {MIN_RSA_BITS} bits",
            key.kid
        )));
    }
    Ok(RsaKey {
        n: key.n.clone().unwrap_or_default(),
        e: key.e.clone().unwrap_or_default(),
    })
}

/// Bits of a big-endian unsigned integer, leading zeros not counted.
fn unsigned_bits(be: &[u8]) -> usize {
    match be.iter().position(|&b| b != 0) {
        Some(i) => (be.len() - i) * 8 - be[i].leading_zeros() as usize,
        None => 0,
    }
}

/// An Ed25519 public key from an OKP JWK.
fn ed25519_key(key: &Jwk) -> Result<ed25519_dalek::VerifyingKey, AuthError> {
    if key.kty != "OKP" || key.crv.as_deref() != Some("Ed25519") {
        return Err(AuthError::InvalidKey(format!(
            "key {} is not an Ed25519 key",
            key.kid
        )));
    }
    let x: [u8; 32] = key_member(key, &key.x, "x")?
        .try_into()
        .map_err(|_| AuthError::InvalidKey(format!("key {}'s \"x\" is not 32 bytes", key.kid)))?;
    ed25519_dalek::VerifyingKey::from_bytes(&x)
        .map_err(|_| AuthError::InvalidKey(format!("key {} is not a valid Ed25519 key", key.kid)))
}

/// A JSON value from one base64url segment of a compact JWS. JSON is
/// UTF-8 (RFC 8259 §8.1); read as text, it shares the parser of every other
/// JSON the SPA reads.
fn decode_segment<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(segment).ok()?).ok()?;
    serde_json::from_str(&text).ok()
}

/// A NumericDate claim (seconds; fractions are dropped).
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let value = claims.get(name)?;
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

fn check_claims(
    claims: &Map<String, Value>,
    access_token: Option<&str>,
    expected: &IdTokenExpectations<'_>,
    now: i64,
) -> Result<(), AuthError> {
    let string_claim = |name: &str| claims.get(name).and_then(Value::as_str);

    match string_claim("iss") {
        Some(iss) if iss == expected.issuer => {}
        found => {
            return Err(AuthError::IssuerMismatch {
                expected: expected.issuer.to_owned(),
                found: found.unwrap_or_default().to_owned(),
            })
        }
    }

    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected.client_id)),
        _ => false,
    };
    if !audience_ok {
        return Err(AuthError::AudienceMismatch);
    }
    if let Some(azp) = claims.get("azp") {
        if azp.as_str() != Some(expected.client_id) {
            return Err(AuthError::AuthorizedPartyMismatch);
        }
    }

    let subject = string_claim("sub").unwrap_or_default();
    if subject.is_empty() {
        return Err(AuthError::MissingClaim("sub"));
    }
    if let IdTokenSource::Refresh { subject: signed_in } = expected.source {
        if !constant_time_eq(subject, signed_in) {
            return Err(AuthError::SubjectMismatch);
        }
    }
    let exp = numeric_date(claims, "exp").ok_or(AuthError::MissingClaim("exp"))?;
    if now >= exp.saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(AuthError::Expired { exp, now });
    }
    numeric_date(claims, "iat").ok_or(AuthError::MissingClaim("iat"))?;

    match (string_claim("nonce"), expected.source) {
        (Some(nonce), _) if constant_time_eq(nonce, expected.nonce) => {}
        (None, IdTokenSource::Refresh { .. }) => {}
        _ => return Err(AuthError::NonceMismatch),
    }

    if let Some(access_token) = access_token {
        match string_claim("at_hash") {
            Some(found) if constant_time_eq(found, &at_hash(access_token)) => {}
            Some(_) => return Err(AuthError::AtHashMismatch),
            None if expected.source == IdTokenSource::Implicit => {
                return Err(AuthError::MissingClaim("at_hash"))
            }
            None => {}
        }
    }
    Ok(())
}

/// `at_hash` of an access token (OIDC Core 3.2.2.9, for RS256 and EdDSA
/// alike): base64url of the left half of SHA-256 of its ASCII text.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The claims of a JWT, decoded WITHOUT checking its signature; for display.
pub fn decode_claims_unverified(token: &str) -> Result<Map<String, Value>, AuthError> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| AuthError::MalformedIdToken("it is not a JWT".into()))?;
    decode_segment(payload)
        .ok_or_else(|| AuthError::MalformedIdToken("its claims are unreadable".into()))
}

/// Why signing in did not work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// `/callback` was opened without a sign-in response.
    NoResponse,
    /// The fragment could not be understood.
    Malformed(String),
    /// The tenant answered with an OAuth error.
    Provider {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint refused to redeem a code or a refresh token.
    TokenRefused {
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// The answer came in a way this app does not sign in with (tokens in
    /// the fragment of a code-flow-only callback).
    WrongFlow,
    /// This browser has no pending sign-in (other tab, reused or expired).
    NoStoredRequest,
    /// The response carries no `state`.
    StateMissing,
    /// The response's `state` is not the one this browser sent.
    StateMismatch,
    /// `token_type` is not `Bearer`.
    UnsupportedTokenType(String),
    /// No randomness was available for `state` and `nonce`.
    Random(String),
    /// The ID token is not a readable compact JWS.
    MalformedIdToken(String),
    /// The ID token's `alg` is not RS256 or EdDSA (`none`, HS256, ...).
    UnsupportedAlgorithm(String),
    /// The ID token's header has no `kid`.
    MissingKeyId,
    /// No key in the JWK Set has the ID token's `kid`.
    UnknownKey(String),
    /// The ID token's `alg` is not the `alg` of the key it names.
    KeyAlgorithmMismatch {
        alg: String,
        key_alg: String,
    },
    /// The published key is unusable.
    InvalidKey(String),
    /// The signature does not verify with the named key.
    BadSignature,
    /// The browser could not check an RS256 signature (no WebCrypto).
    VerifierUnavailable(String),
    IssuerMismatch {
        expected: String,
        found: String,
    },
    AudienceMismatch,
    AuthorizedPartyMismatch,
    Expired {
        exp: i64,
        now: i64,
    },
    MissingClaim(&'static str),
    NonceMismatch,
    /// A refreshed ID token is about someone else.
    SubjectMismatch,
    AtHashMismatch,
}

const SIGN_IN_AGAIN: &str = "Please sign in again.";

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::NoResponse => write!(
                f,
                "This page expects the answer to a sign-in, but the address has none. \
                 Please start from the home page and choose \"Sign in\"."
            ),
            AuthError::Malformed(why) => write!(
                f,
                "The sign-in response could not be read: {why}. {SIGN_IN_AGAIN}"
            ),
            AuthError::Provider { error, description } => {
                let summary = match error.as_str() {
                    "access_denied" => {
                        "You declined the request, or the tenant refused to let you sign in \
                         (access_denied)."
                    }
                    "login_required" => {
                        "You are not signed in at the tenant, and it was asked not to show \
                         a sign-in page (login_required)."
                    }
                    "consent_required" => {
                        "The tenant needs you to approve this app's access first \
                         (consent_required)."
                    }
                    "interaction_required" => {
                        "The tenant needs you to take an action on its sign-in page first \
                         (interaction_required)."
                    }
                    "invalid_scope" => {
                        "This app asked for permissions the tenant does not grant \
                         (invalid_scope)."
                    }
                    "unauthorized_client" => {
                        "This app is not allowed to sign people in this way \
                         (unauthorized_client)."
                    }
                    "unsupported_response_type" => {
                        "The tenant does not support the way this app signs people in \
                         (unsupported_response_type)."
                    }
                    "server_error" | "temporarily_unavailable" => {
                        "The tenant could not handle the sign-in just now; please try again \
                         in a moment."
                    }
                    _ => "",
                };
                if summary.is_empty() {
                    write!(f, "The tenant refused the sign-in ({error}).")?;
                } else {
                    f.write_str(summary)?;
                }
                if let Some(description) = description {
                    write!(f, " The tenant said: \u{201c}{description}\u{201d}")?;
                }
                Ok(())
            }
            AuthError::TokenRefused {
                error, description, ..
            } => {
                match error.as_str() {
                    "invalid_grant" => write!(
                        f,
                        "The tenant no longer accepts this sign-in (invalid_grant): its code or \
                         refresh token expired, was already used, or was revoked."
                    )?,
                    _ => write!(f, "The tenant refused to issue tokens ({error}).")?,
                }
                if let Some(description) = description {
                    write!(f, " The tenant said: \u{201c}{description}\u{201d}")?;
                }
                write!(f, " {SIGN_IN_AGAIN}")
            }
            AuthError::WrongFlow => write!(
                f,
                "This page accepts only a sign-in code in its address, not tokens. \
                 {SIGN_IN_AGAIN}"
            ),
            AuthError::NoStoredRequest => write!(
                f,
                "This browser has no sign-in in progress to match this response (it may have \
                 been started in another tab, or already been used). {SIGN_IN_AGAIN}"
            ),
            AuthError::StateMissing => write!(
                f,
                "The sign-in response did not say which request it answers (no state). \
                 {SIGN_IN_AGAIN}"
            ),
            AuthError::StateMismatch => write!(
                f,
                "The sign-in response did not match this browser's request (state mismatch). \
                 {SIGN_IN_AGAIN}"
            ),
            AuthError::UnsupportedTokenType(t) => write!(
                f,
                "The tenant returned a \"{t}\" token, but this app only uses Bearer tokens. \
                 {SIGN_IN_AGAIN}"
            ),
            AuthError::Random(why) => write!(
                f,
                "This browser could not produce the random values a sign-in needs ({why})."
            ),
            AuthError::MalformedIdToken(why) => write!(
                f,
                "The identity token from the tenant is not well formed ({why}). {SIGN_IN_AGAIN}"
            ),
            AuthError::UnsupportedAlgorithm(alg) if alg.is_empty() || alg == "none" => write!(
                f,
                "The identity token is not signed (alg \"none\"), so it cannot be trusted."
            ),
            AuthError::UnsupportedAlgorithm(alg) => write!(
                f,
                "The identity token is signed with {alg}, which this app does not accept \
                 (only RS256 and EdDSA)."
            ),
            AuthError::MissingKeyId => write!(
                f,
                "The identity token does not say which key signed it (no kid), so it cannot \
                 be checked."
            ),
            AuthError::UnknownKey(kid) => write!(
                f,
                "The identity token was signed with a key the tenant does not publish \
                 (kid \"{kid}\"). {SIGN_IN_AGAIN}"
            ),
            AuthError::KeyAlgorithmMismatch { alg, key_alg } => write!(
                f,
                "The identity token claims to be signed with {alg}, but the key it names is \
                 for {key_alg}, so it cannot be trusted."
            ),
            AuthError::InvalidKey(why) => write!(
                f,
                "The tenant's published signing key cannot be used: {why}."
            ),
            AuthError::BadSignature => write!(
                f,
                "The identity token's signature is not valid: it was not signed by the \
                 tenant, or it was altered."
            ),
            AuthError::VerifierUnavailable(why) => write!(
                f,
                "This browser could not check the identity token's signature ({why}). \
                 Signing in needs a secure (HTTPS) page with Web Crypto."
            ),
            AuthError::IssuerMismatch { expected, found } => write!(
                f,
                "The identity token was issued by \"{found}\", not by this tenant \
                 (\"{expected}\")."
            ),
            AuthError::AudienceMismatch => write!(
                f,
                "The identity token was issued for another application, not this one \
                 (audience mismatch)."
            ),
            AuthError::AuthorizedPartyMismatch => write!(
                f,
                "The identity token was requested by another application, not this one \
                 (azp mismatch)."
            ),
            AuthError::Expired { .. } => write!(
                f,
                "The identity token has expired. Check this device's clock, then sign in again."
            ),
            AuthError::MissingClaim(name) => write!(
                f,
                "The identity token lacks the required \"{name}\" claim. {SIGN_IN_AGAIN}"
            ),
            AuthError::NonceMismatch => write!(
                f,
                "The identity token was not issued for this browser's sign-in (nonce mismatch). \
                 {SIGN_IN_AGAIN}"
            ),
            AuthError::SubjectMismatch => write!(
                f,
                "The renewed identity token is about someone other than the person signed in \
                 (sub mismatch). {SIGN_IN_AGAIN}"
            ),
            AuthError::AtHashMismatch => write!(
                f,
                "The access token does not belong with the identity token (at_hash mismatch). \
                 {SIGN_IN_AGAIN}"
            ),
        }
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use std::borrow::Cow;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use ed25519_dalek::{Signer as _, SigningKey};
    use jwt_compact::alg::{
        Hs256, Hs256Key, ModulusBits, Rsa, RsaPrivateKey, RsaPublicKey, RsaSignature,
    };
    use jwt_compact::jwk::JsonWebKey;
    use jwt_compact::{Algorithm as _, AlgorithmSignature as _};
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "http://127.0.0.1:8787/";
    const CLIENT_ID: &str = "Xq3kR8vN2pL6tY9wB4mC7zD1fH5jG0sA";
    const NOW: i64 = 1_750_000_000;
    const NONCE: &str = "n-0S6_WzA2Mj";
    const STATE: &str = "af0ifjsldkj";
    const ED_KID: &str = "ed-2025";
    const RSA_KID: &str = "rsa-2025";

    struct Keys {
        ed: SigningKey,
        rsa: RsaPrivateKey,
        jwks: JwkSet,
    }

    fn random_ed25519() -> SigningKey {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).unwrap();
        SigningKey::from_bytes(&seed)
    }

    fn rsa_jwk(kid: &str, key: &RsaPrivateKey) -> Jwk {
        let public = key.to_public_key();
        let JsonWebKey::Rsa {
            modulus,
            public_exponent,
            ..
        } = JsonWebKey::from(&public)
        else {
            unreachable!("an RSA key converts to an RSA JWK")
        };
        Jwk {
            kty: "RSA".into(),
            kid: kid.into(),
            alg: "RS256".into(),
            use_: "sig".into(),
            crv: None,
            x: None,
            n: Some(URL_SAFE_NO_PAD.encode(modulus)),
            e: Some(URL_SAFE_NO_PAD.encode(public_exponent)),
        }
    }

    fn ed_jwk(kid: &str, key: &SigningKey) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            kid: kid.into(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
            crv: Some("Ed25519".into()),
            x: Some(URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())),
            n: None,
            e: None,
        }
    }

    /// The tenant's keys, generated once per test run (RSA is slow).
    fn keys() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let ed = random_ed25519();
            let (rsa, _) = Rsa::generate(&mut rand_core::OsRng, ModulusBits::TwoKibibytes)
                .expect("RSA key generation");
            let rsa = rsa.into_inner();
            let jwks = JwkSet {
                keys: vec![rsa_jwk(RSA_KID, &rsa), ed_jwk(ED_KID, &ed)],
            };
            Keys { ed, rsa, jwks }
        })
    }

    fn b64_json(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
    }

    /// A compact JWS with exactly the given header, signed by `sign`.
    fn jws(header: Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
        let signing_input = format!("{}.{}", b64_json(&header), b64_json(claims));
        let signature = sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn sign_ed(key: &SigningKey, kid: &str, claims: &Value) -> String {
        jws(
            json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"}),
            claims,
            |input| key.sign(input).to_bytes().to_vec(),
        )
    }

    fn sign_rsa(key: &RsaPrivateKey, kid: &str, claims: &Value) -> String {
        jws(
            json!({"alg": "RS256", "kid": kid, "typ": "JWT"}),
            claims,
            |input| Rsa::rs256().sign(key, input).as_bytes().into_owned(),
        )
    }

    /// An access token as the tenant issues it (a JWT the SPA only reads).
    fn access_token() -> String {
        sign_ed(
            &keys().ed,
            ED_KID,
            &json!({
                "iss": ISSUER,
                "sub": "auth0|abc123",
                "aud": "https://api.example.com",
                "scope": "openid profile email",
                "exp": NOW + 86_400,
                "iat": NOW - 5,
            }),
        )
    }

    fn id_claims() -> Value {
        json!({
            "iss": ISSUER,
            "sub": "auth0|abc123",
            "aud": CLIENT_ID,
            "exp": NOW + 36_000,
            "iat": NOW - 5,
            "auth_time": NOW - 10,
            "nonce": NONCE,
            "at_hash": at_hash(&access_token()),
            "name": "Ada Lovelace",
            "nickname": "ada",
            "email": "ada@example.com",
            "email_verified": true,
            "updated_at": "2025-06-15T12:00:00.000Z",
        })
    }

    fn with(mut claims: Value, name: &str, value: Value) -> Value {
        claims[name] = value;
        claims
    }

    fn expectations() -> IdTokenExpectations<'static> {
        IdTokenExpectations {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            nonce: NONCE,
            source: IdTokenSource::Implicit,
        }
    }

    /// RS256 on the host: jwt-compact's RSA stands in for the browser's
    /// WebCrypto.
    struct HostRs256;

    impl Rs256Verifier for HostRs256 {
        async fn verify(
            &self,
            key: &RsaKey,
            message: &[u8],
            signature: &[u8],
        ) -> Result<bool, String> {
            let member = |value: &str| URL_SAFE_NO_PAD.decode(value).map_err(|e| e.to_string());
            let jwk = JsonWebKey::Rsa {
                modulus: Cow::Owned(member(&key.n)?),
                public_exponent: Cow::Owned(member(&key.e)?),
                private_parts: None,
            };
            let public_key = RsaPublicKey::try_from(&jwk).map_err(|e| e.to_string())?;
            Ok(
                RsaSignature::try_from_slice(signature).is_ok_and(|signature| {
                    Rsa::rs256().verify_signature(&signature, &public_key, message)
                }),
            )
        }
    }

    /// A browser without WebCrypto.
    struct NoWebCrypto;

    impl Rs256Verifier for NoWebCrypto {
        async fn verify(&self, _: &RsaKey, _: &[u8], _: &[u8]) -> Result<bool, String> {
            Err("crypto.subtle is undefined".into())
        }
    }

    /// Runs a future that never waits, as validation does with a host
    /// verifier.
    fn ready<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => unreachable!("host verification never waits"),
        }
    }

    fn validate_with(
        id_token: &str,
        access_token: Option<&str>,
        jwks: &JwkSet,
    ) -> Result<Map<String, Value>, AuthError> {
        ready(validate_id_token(
            id_token,
            access_token,
            jwks,
            &expectations(),
            NOW,
            &HostRs256,
        ))
    }

    fn validate(id_token: &str) -> Result<Map<String, Value>, AuthError> {
        validate_with(id_token, Some(&access_token()), &keys().jwks)
    }

    fn finish(pending: PendingSignIn) -> Result<SignedIn, AuthError> {
        ready(finish_sign_in(
            pending,
            &keys().jwks,
            ISSUER,
            CLIENT_ID,
            NOW,
            &HostRs256,
        ))
    }

    fn stored() -> AuthRequest {
        AuthRequest {
            state: STATE.into(),
            nonce: NONCE.into(),
            return_to: None,
            code_verifier: None,
        }
    }

    fn encode(value: &str) -> String {
        utf8_percent_encode(value, QUERY_VALUE).to_string()
    }

    fn token_fragment(id_token: &str, state: &str) -> String {
        format!(
            "#access_token={}&token_type=Bearer&expires_in=86400&scope=openid%20profile%20email\
             &id_token={}&state={}",
            access_token(),
            id_token,
            encode(state)
        )
    }

    // --- building the links ---

    fn params<'a>(redirect_uri: &'a str, audience: Option<&'a str>) -> AuthorizationParams<'a> {
        AuthorizationParams {
            client_id: CLIENT_ID,
            redirect_uri,
            scope: SAMPLE_APP.scope,
            audience,
        }
    }

    #[test]
    fn authorize_url_carries_every_parameter_encoded() {
        let request = AuthRequest {
            state: "s+/=&".into(),
            nonce: "n 1".into(),
            return_to: None,
            code_verifier: None,
        };
        let url = authorize_url(
            "http://127.0.0.1:8787/authorize",
            &params("http://localhost:8787/callback", None),
            &request,
        );
        assert_eq!(
            url,
            format!(
                "http://127.0.0.1:8787/authorize?response_type=id_token%20token\
                 &client_id={CLIENT_ID}&redirect_uri=http%3A%2F%2Flocalhost%3A8787%2Fcallback\
                 &scope=openid%20profile%20email&state=s%2B%2F%3D%26&nonce=n%201"
            )
        );
    }

    #[test]
    fn authorize_url_names_the_audience_when_given() {
        let url = authorize_url(
            "https://t.example/authorize",
            &params("r", Some("https://t.example/api/v2/")),
            &stored(),
        );
        assert!(url.contains("&audience=https%3A%2F%2Ft.example%2Fapi%2Fv2%2F&state="));
    }

    #[test]
    fn authorize_url_appends_to_an_existing_query() {
        let url = authorize_url(
            "https://t.example/authorize?x=1",
            &params("r", None),
            &stored(),
        );
        assert!(url.starts_with("https://t.example/authorize?x=1&response_type="));
    }

    #[test]
    fn the_dashboard_asks_for_the_management_scopes_at_its_own_callback() {
        assert_eq!(
            DASHBOARD.callback_url("http://127.0.0.1:8787/"),
            "http://127.0.0.1:8787/dashboard/callback"
        );
        assert_eq!(DASHBOARD.implicit_storage_key, None, "the code flow only");
        assert_ne!(DASHBOARD.code_storage_key, SAMPLE_APP.code_storage_key);
        assert_ne!(
            SAMPLE_APP.implicit_storage_key,
            Some(SAMPLE_APP.code_storage_key)
        );
        assert!(DASHBOARD
            .code_scope()
            .split_whitespace()
            .any(|s| s == "offline_access"));
        let scopes: Vec<&str> = DASHBOARD.scope.split_whitespace().collect();
        assert!(scopes.starts_with(&["openid", "profile", "email"]));
        for scope in [
            "read:clients",
            "update:client_keys",
            "update:tenant_settings",
            "read:organizations",
            "delete:organization_members",
            "create:organization_client_grants",
            "read:actions",
            "create:actions",
            "update:actions",
            "delete:actions",
        ] {
            assert!(scopes.contains(&scope), "{scope}");
        }
    }

    #[test]
    fn each_app_signs_in_as_its_own_client() {
        let config = AppConfig {
            issuer: ISSUER.into(),
            client_id: "app".into(),
            dashboard_client_id: "dash".into(),
            management_audience: format!("{ISSUER}api/v2/"),
        };
        assert_eq!(SAMPLE_APP.client_id(&config), "app");
        assert_eq!(SAMPLE_APP.audience(&config), None);
        assert_eq!(DASHBOARD.client_id(&config), "dash");
        assert_eq!(
            DASHBOARD.audience(&config),
            Some(config.management_audience.as_str())
        );
    }

    #[test]
    fn a_sign_in_returns_only_to_a_path_on_this_origin() {
        assert_eq!(
            return_path("/dashboard/apis?x=1"),
            Some("/dashboard/apis?x=1")
        );
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "",
            "x",
            "/a\nb",
        ] {
            assert_eq!(return_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_stored_request_keeps_where_to_return() {
        let mut request = stored();
        request.return_to = Some("/dashboard/users".into());
        assert_eq!(AuthRequest::from_json(&request.to_json()), Some(request));
        // Requests stored before `return_to` existed still read.
        let old = format!(r#"{{"state":"{STATE}","nonce":"{NONCE}"}}"#);
        assert_eq!(AuthRequest::from_json(&old), Some(stored()));
    }

    #[test]
    fn callback_and_logout_urls() {
        assert_eq!(
            SAMPLE_APP.callback_url("http://127.0.0.1:8787"),
            "http://127.0.0.1:8787/callback"
        );
        assert_eq!(
            logout_url(ISSUER, CLIENT_ID, "http://127.0.0.1:8787/"),
            format!(
                "http://127.0.0.1:8787/v2/logout?client_id={CLIENT_ID}\
                 &returnTo=http%3A%2F%2F127.0.0.1%3A8787%2F"
            )
        );
    }

    #[test]
    fn generated_requests_are_fresh_and_long() {
        let a = AuthRequest::generate().unwrap();
        let b = AuthRequest::generate().unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.state, a.nonce);
        for value in [&a.state, &a.nonce] {
            // 32 random bytes, base64url without padding: 43 URL-safe characters.
            assert_eq!(value.len(), 43);
            assert!(value
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        }
    }

    #[test]
    fn stored_request_round_trips_and_garbage_is_no_request() {
        let request = stored();
        assert_eq!(AuthRequest::from_json(&request.to_json()), Some(request));
        assert_eq!(AuthRequest::from_json("not json"), None);
        assert_eq!(AuthRequest::from_json(r#"{"state":"x"}"#), None);
    }

    // --- the fragment ---

    #[test]
    fn parses_a_token_response() {
        let fragment = "#access_token=at.x.y&token_type=Bearer&expires_in=86400\
                        &scope=openid%20profile+email&id_token=a.b.c&state=xyz";
        let Ok(CallbackResponse::Tokens(tokens)) = parse_fragment(fragment) else {
            panic!("expected tokens");
        };
        assert_eq!(
            tokens,
            TokenResponse {
                access_token: "at.x.y".into(),
                token_type: "Bearer".into(),
                expires_in: Some(86_400),
                scope: Some("openid profile email".into()),
                id_token: "a.b.c".into(),
                state: Some("xyz".into()),
            }
        );
    }

    #[test]
    fn parses_an_error_response_with_plus_and_percent_decoding() {
        let fragment = "error=access_denied&error_description=The+user%20refused%3A+%22no%22\
                        %20%E2%9C%8B&state=xyz";
        assert_eq!(
            parse_fragment(fragment),
            Ok(CallbackResponse::Error(ErrorResponse {
                error: "access_denied".into(),
                error_description: Some("The user refused: \"no\" \u{270b}".into()),
                state: Some("xyz".into()),
            }))
        );
    }

    #[test]
    fn empty_or_foreign_fragment_is_no_response() {
        assert_eq!(parse_fragment(""), Err(AuthError::NoResponse));
        assert_eq!(parse_fragment("#"), Err(AuthError::NoResponse));
        assert_eq!(parse_fragment("#top"), Err(AuthError::NoResponse));
    }

    #[test]
    fn token_response_without_id_token_or_with_duplicates_is_malformed() {
        let missing = parse_fragment("access_token=a&token_type=Bearer&state=s");
        assert_eq!(
            missing,
            Err(AuthError::Malformed("it has no id_token".into()))
        );
        let duplicated = parse_fragment("id_token=a&id_token=b&access_token=x&token_type=Bearer");
        assert!(matches!(duplicated, Err(AuthError::Malformed(m)) if m.contains("id_token")));
    }

    // --- state and the stored request ---

    #[test]
    fn state_must_match_the_stored_request() {
        let request = stored();
        assert_eq!(check_state(Some(&request), Some(STATE)), Ok(()));
        assert_eq!(
            check_state(Some(&request), Some("af0ifjsldkX")),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(
            check_state(Some(&request), Some("af0")),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(
            check_state(Some(&request), None),
            Err(AuthError::StateMissing)
        );
        assert_eq!(
            check_state(Some(&request), Some("")),
            Err(AuthError::StateMissing)
        );
        assert_eq!(
            check_state(None, Some(STATE)),
            Err(AuthError::NoStoredRequest)
        );
    }

    #[test]
    fn callback_without_stored_request_is_refused_even_with_valid_tokens() {
        let fragment = token_fragment(&sign_ed(&keys().ed, ED_KID, &id_claims()), STATE);
        assert_eq!(
            begin_callback(&fragment, None),
            Err(AuthError::NoStoredRequest)
        );
    }

    #[test]
    fn state_mismatch_message_is_plain() {
        let fragment = token_fragment(&sign_ed(&keys().ed, ED_KID, &id_claims()), "forged");
        let err = begin_callback(&fragment, Some(&stored())).unwrap_err();
        assert_eq!(err, AuthError::StateMismatch);
        assert_eq!(
            err.to_string(),
            "The sign-in response did not match this browser's request (state mismatch). \
             Please sign in again."
        );
    }

    #[test]
    fn error_responses_become_readable_messages() {
        let denied = begin_callback(
            "#error=access_denied&error_description=User+did+not+authorize&state=af0ifjsldkj",
            Some(&stored()),
        )
        .unwrap_err();
        assert_eq!(
            denied,
            AuthError::Provider {
                error: "access_denied".into(),
                description: Some("User did not authorize".into()),
            }
        );
        let text = denied.to_string();
        assert!(text.contains("declined"), "{text}");
        assert!(text.contains("User did not authorize"), "{text}");

        let login = begin_callback("#error=login_required&state=af0ifjsldkj", Some(&stored()))
            .unwrap_err()
            .to_string();
        assert!(login.contains("not signed in"), "{login}");

        let other = begin_callback("#error=weird_thing&state=af0ifjsldkj", Some(&stored()))
            .unwrap_err()
            .to_string();
        assert!(other.contains("weird_thing"), "{other}");
    }

    #[test]
    fn non_bearer_token_type_is_refused() {
        let fragment = format!("access_token=a&token_type=MAC&id_token=b&state={STATE}");
        assert_eq!(
            begin_callback(&fragment, Some(&stored())),
            Err(AuthError::UnsupportedTokenType("MAC".into()))
        );
    }

    // --- the whole callback ---

    #[test]
    fn full_sign_in_with_eddsa_yields_the_user_and_both_claim_sets() {
        let id_token = sign_ed(&keys().ed, ED_KID, &id_claims());
        let pending = begin_callback(&token_fragment(&id_token, STATE), Some(&stored())).unwrap();
        assert_eq!(pending.nonce, NONCE);
        let signed_in = finish(pending).unwrap();
        assert_eq!(signed_in.name(), Some("Ada Lovelace"));
        assert_eq!(signed_in.email(), Some("ada@example.com"));
        assert_eq!(signed_in.subject(), "auth0|abc123");
        assert_eq!(signed_in.id_token, id_token);
        assert_eq!(signed_in.access_token, access_token());
        assert_eq!(signed_in.expires_in, Some(86_400));
        assert_eq!(signed_in.scope.as_deref(), Some("openid profile email"));
        assert_eq!(Value::Object(signed_in.id_claims), id_claims());
        let access = signed_in.access_claims.expect("access token is a JWT");
        assert_eq!(access["aud"], "https://api.example.com");
    }

    #[test]
    fn opaque_access_token_still_signs_in_without_access_claims() {
        let opaque = "opaque-token-value";
        let claims = with(id_claims(), "at_hash", json!(at_hash(opaque)));
        let pending = PendingSignIn {
            tokens: TokenResponse {
                access_token: opaque.into(),
                token_type: "bearer".into(),
                expires_in: None,
                scope: None,
                id_token: sign_ed(&keys().ed, ED_KID, &claims),
                state: Some(STATE.into()),
            },
            nonce: NONCE.into(),
        };
        let signed_in = finish(pending).unwrap();
        assert_eq!(signed_in.access_claims, None);
    }

    // --- the ID token ---

    #[test]
    fn good_rs256_and_eddsa_tokens_are_accepted() {
        let rsa = sign_rsa(&keys().rsa, RSA_KID, &id_claims());
        assert_eq!(validate(&rsa).map(Value::Object), Ok(id_claims()));
        let ed = sign_ed(&keys().ed, ED_KID, &id_claims());
        assert_eq!(validate(&ed).map(Value::Object), Ok(id_claims()));
    }

    #[test]
    fn at_hash_follows_oidc_core() {
        // OIDC Core A.3/A.4 example (RS256).
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    #[test]
    fn wrong_nonce_is_refused() {
        let token = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "nonce", json!("other")),
        );
        assert_eq!(validate(&token), Err(AuthError::NonceMismatch));
        let mut claims = id_claims();
        claims.as_object_mut().unwrap().remove("nonce");
        let token = sign_ed(&keys().ed, ED_KID, &claims);
        assert_eq!(validate(&token), Err(AuthError::NonceMismatch));
    }

    #[test]
    fn wrong_audience_is_refused() {
        let token = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "aud", json!("someone-else")),
        );
        assert_eq!(validate(&token), Err(AuthError::AudienceMismatch));
        assert!(validate(&token)
            .unwrap_err()
            .to_string()
            .contains("another application"));
    }

    #[test]
    fn audience_array_needs_our_client_and_matching_azp() {
        let listed = with(id_claims(), "aud", json!(["api", CLIENT_ID]));
        assert!(validate(&sign_ed(&keys().ed, ED_KID, &listed)).is_ok());
        let with_azp = with(listed.clone(), "azp", json!(CLIENT_ID));
        assert!(validate(&sign_ed(&keys().ed, ED_KID, &with_azp)).is_ok());
        let other_azp = with(listed, "azp", json!("other-client"));
        assert_eq!(
            validate(&sign_ed(&keys().ed, ED_KID, &other_azp)),
            Err(AuthError::AuthorizedPartyMismatch)
        );
        let not_listed = with(id_claims(), "aud", json!(["api", "other"]));
        assert_eq!(
            validate(&sign_ed(&keys().ed, ED_KID, &not_listed)),
            Err(AuthError::AudienceMismatch)
        );
    }

    #[test]
    fn wrong_issuer_is_refused() {
        // Without the trailing slash it is a different issuer.
        let token = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "iss", json!("http://127.0.0.1:8787")),
        );
        assert_eq!(
            validate(&token),
            Err(AuthError::IssuerMismatch {
                expected: ISSUER.into(),
                found: "http://127.0.0.1:8787".into(),
            })
        );
    }

    #[test]
    fn expired_token_is_refused_beyond_the_leeway() {
        let just_expired = with(id_claims(), "exp", json!(NOW - 30));
        assert!(
            validate(&sign_ed(&keys().ed, ED_KID, &just_expired)).is_ok(),
            "within 60 s of clock skew"
        );
        let expired = with(id_claims(), "exp", json!(NOW - 61));
        let err = validate(&sign_ed(&keys().ed, ED_KID, &expired)).unwrap_err();
        assert_eq!(
            err,
            AuthError::Expired {
                exp: NOW - 61,
                now: NOW
            }
        );
        assert!(err.to_string().contains("expired"));
    }

    #[test]
    fn missing_iat_or_exp_is_refused() {
        for name in ["iat", "exp", "sub"] {
            let mut claims = id_claims();
            claims.as_object_mut().unwrap().remove(name);
            let token = sign_ed(&keys().ed, ED_KID, &claims);
            assert_eq!(validate(&token), Err(AuthError::MissingClaim(name)));
        }
    }

    #[test]
    fn token_signed_by_another_key_is_refused() {
        // Same kid, a key the tenant does not hold.
        let forged_ed = sign_ed(&random_ed25519(), ED_KID, &id_claims());
        assert_eq!(validate(&forged_ed), Err(AuthError::BadSignature));

        // RS256 signed by another RSA key under the tenant's kid.
        let (other_rsa, _) =
            Rsa::generate(&mut rand_core::OsRng, ModulusBits::TwoKibibytes).unwrap();
        let forged_rsa = sign_rsa(other_rsa.as_ref(), RSA_KID, &id_claims());
        assert_eq!(validate(&forged_rsa), Err(AuthError::BadSignature));

        // Altered claims under a genuine signature.
        let genuine = sign_ed(&keys().ed, ED_KID, &id_claims());
        let parts: Vec<&str> = genuine.split('.').collect();
        let altered = with(id_claims(), "email", json!("mallory@example.com"));
        let tampered = format!("{}.{}.{}", parts[0], b64_json(&altered), parts[2]);
        assert_eq!(validate(&tampered), Err(AuthError::BadSignature));
    }

    #[test]
    fn rs256_signature_covers_the_header_and_claims_as_sent() {
        let genuine = sign_rsa(&keys().rsa, RSA_KID, &id_claims());
        let parts: Vec<&str> = genuine.split('.').collect();
        let altered = with(id_claims(), "sub", json!("auth0|mallory"));
        let tampered = format!("{}.{}.{}", parts[0], b64_json(&altered), parts[2]);
        assert_eq!(validate(&tampered), Err(AuthError::BadSignature));
        let truncated = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40]);
        assert_eq!(validate(&truncated), Err(AuthError::BadSignature));
    }

    #[test]
    fn rs256_without_webcrypto_is_refused_and_said_so() {
        let token = sign_rsa(&keys().rsa, RSA_KID, &id_claims());
        let err = ready(validate_id_token(
            &token,
            Some(&access_token()),
            &keys().jwks,
            &expectations(),
            NOW,
            &NoWebCrypto,
        ))
        .unwrap_err();
        assert_eq!(
            err,
            AuthError::VerifierUnavailable("crypto.subtle is undefined".into())
        );
        assert!(err.to_string().contains("could not check"), "{err}");
    }

    #[test]
    fn unknown_kid_is_refused() {
        let token = sign_ed(&keys().ed, "retired-key", &id_claims());
        assert_eq!(
            validate(&token),
            Err(AuthError::UnknownKey("retired-key".into()))
        );
        let no_kid = jws(json!({"alg": "EdDSA"}), &id_claims(), |input| {
            keys().ed.sign(input).to_bytes().to_vec()
        });
        assert_eq!(validate(&no_kid), Err(AuthError::MissingKeyId));
    }

    #[test]
    fn alg_none_is_refused() {
        let unsigned = jws(
            json!({"alg": "none", "kid": ED_KID, "typ": "JWT"}),
            &id_claims(),
            |_| Vec::new(),
        );
        let err = validate(&unsigned).unwrap_err();
        assert_eq!(err, AuthError::UnsupportedAlgorithm("none".into()));
        assert!(err.to_string().contains("not signed"));
    }

    #[test]
    fn hs256_with_the_public_key_as_secret_is_refused() {
        // The classic key-confusion forgery: HMAC keyed with the RSA key's modulus.
        let secret = URL_SAFE_NO_PAD
            .decode(keys().jwks.keys[0].n.as_ref().unwrap())
            .unwrap();
        let forged = jws(
            json!({"alg": "HS256", "kid": RSA_KID, "typ": "JWT"}),
            &id_claims(),
            |input| {
                Hs256
                    .sign(&Hs256Key::new(&secret), input)
                    .as_bytes()
                    .into_owned()
            },
        );
        assert_eq!(
            validate(&forged),
            Err(AuthError::UnsupportedAlgorithm("HS256".into()))
        );
    }

    #[test]
    fn alg_must_be_the_named_keys_alg() {
        // An EdDSA signature that names the RSA key.
        let token = sign_ed(&keys().ed, RSA_KID, &id_claims());
        assert_eq!(
            validate(&token),
            Err(AuthError::KeyAlgorithmMismatch {
                alg: "EdDSA".into(),
                key_alg: "RS256".into(),
            })
        );
    }

    #[test]
    fn bad_or_missing_at_hash_is_refused() {
        let wrong = with(
            id_claims(),
            "at_hash",
            json!(at_hash("another-access-token")),
        );
        assert_eq!(
            validate(&sign_ed(&keys().ed, ED_KID, &wrong)),
            Err(AuthError::AtHashMismatch)
        );
        let mut missing = id_claims();
        missing.as_object_mut().unwrap().remove("at_hash");
        assert_eq!(
            validate(&sign_ed(&keys().ed, ED_KID, &missing)),
            Err(AuthError::MissingClaim("at_hash"))
        );
        // Without an access token there is nothing to bind.
        assert!(validate_with(&sign_ed(&keys().ed, ED_KID, &missing), None, &keys().jwks).is_ok());
    }

    #[test]
    fn garbage_id_tokens_are_malformed() {
        for token in ["", "abc", "a.b", "a.b.c.d", "!!.??.--"] {
            assert!(
                matches!(validate(token), Err(AuthError::MalformedIdToken(_))),
                "{token:?}"
            );
        }
    }

    #[test]
    fn weak_rsa_key_is_refused() {
        let (weak, _) = Rsa::generate(&mut rand_core::OsRng, ModulusBits::TwoKibibytes).unwrap();
        let mut jwk = rsa_jwk("weak", weak.as_ref());
        // Keep only 1024 bits of the modulus: too short to trust.
        let n = URL_SAFE_NO_PAD.decode(jwk.n.as_ref().unwrap()).unwrap();
        jwk.n = Some(URL_SAFE_NO_PAD.encode(&n[..128]));
        let jwks = JwkSet { keys: vec![jwk] };
        let token = sign_rsa(weak.as_ref(), "weak", &id_claims());
        let result = validate_with(&token, None, &jwks);
        assert!(
            matches!(result, Err(AuthError::InvalidKey(_))),
            "{result:?}"
        );
    }

    // --- the code flow: PKCE ---

    /// RFC 7636 Appendix B.
    const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const VERIFIER: &str = RFC7636_VERIFIER;
    const CODE: &str = "SplxlOBeZQQYbYS6WxSbIA";

    #[test]
    fn pkce_follows_rfc_7636_appendix_b() {
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(code_verifier(&octets), RFC7636_VERIFIER);
        assert_eq!(code_challenge(RFC7636_VERIFIER), RFC7636_CHALLENGE);
    }

    #[test]
    fn code_requests_are_fresh_and_keep_their_verifier() {
        let a = AuthRequest::generate_for_code().unwrap();
        let b = AuthRequest::generate_for_code().unwrap();
        let verifier = a.code_verifier.clone().expect("a verifier");
        assert_ne!(Some(&verifier), b.code_verifier.as_ref());
        assert_ne!(verifier, a.state);
        assert_ne!(verifier, a.nonce);
        // RFC 7636 §4.1: 43 to 128 unreserved characters; 256 bits here.
        assert_eq!(verifier.len(), 43);
        assert!(verifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(code_challenge(&verifier).len(), 43);
        // Kept with the request until the callback, and read back.
        assert_eq!(AuthRequest::from_json(&a.to_json()), Some(a.clone()));
        assert!(a.to_json().contains(&verifier));
        // An implicit request has none, and says nothing about it.
        assert_eq!(AuthRequest::generate().unwrap().code_verifier, None);
        assert!(!stored().to_json().contains("code_verifier"));
    }

    fn code_request() -> AuthRequest {
        AuthRequest {
            code_verifier: Some(VERIFIER.into()),
            ..stored()
        }
    }

    #[test]
    fn code_authorize_url_asks_for_a_code_in_the_query_with_the_s256_challenge() {
        let url = code_authorize_url(
            "http://127.0.0.1:8787/authorize",
            &AuthorizationParams {
                client_id: CLIENT_ID,
                redirect_uri: "http://127.0.0.1:8787/dashboard/callback",
                scope: &DASHBOARD.code_scope(),
                audience: Some("http://127.0.0.1:8787/api/v2/"),
            },
            &code_request(),
            &code_challenge(VERIFIER),
        );
        let (endpoint, query) = url.split_once('?').unwrap();
        assert_eq!(endpoint, "http://127.0.0.1:8787/authorize");
        let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let param = |name: &str| take(&params, name);
        assert_eq!(param("response_type").as_deref(), Some("code"));
        assert_eq!(param("response_mode").as_deref(), Some("query"));
        assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
        assert_eq!(
            param("redirect_uri").as_deref(),
            Some("http://127.0.0.1:8787/dashboard/callback")
        );
        let scope = param("scope").unwrap();
        assert!(
            scope.starts_with("openid profile email read:clients"),
            "{scope}"
        );
        assert!(scope.ends_with(" offline_access"), "{scope}");
        assert_eq!(
            param("audience").as_deref(),
            Some("http://127.0.0.1:8787/api/v2/")
        );
        assert_eq!(param("state").as_deref(), Some(STATE));
        assert_eq!(param("nonce").as_deref(), Some(NONCE));
        assert_eq!(param("code_challenge").as_deref(), Some(RFC7636_CHALLENGE));
        assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
        assert!(
            !url.contains(VERIFIER),
            "the verifier never leaves the browser"
        );
        assert_eq!(params.len(), 10);
    }

    #[test]
    fn the_sample_apps_code_sign_in_asks_for_a_refresh_token_too() {
        assert_eq!(
            SAMPLE_APP.code_scope(),
            "openid profile email offline_access"
        );
        // Its implicit link asks for what the reference pages show.
        assert_eq!(SAMPLE_APP.scope, "openid profile email");
    }

    // --- the code flow: the callback ---

    #[test]
    fn the_callback_tells_a_code_from_tokens() {
        assert_eq!(callback_flow("?code=abc&state=s", ""), Some(Flow::Code));
        assert_eq!(
            callback_flow("?error=access_denied&state=s", ""),
            Some(Flow::Code)
        );
        assert_eq!(callback_flow("state=s", ""), Some(Flow::Code));
        assert_eq!(
            callback_flow("", "#access_token=a&id_token=b&state=s"),
            Some(Flow::Implicit)
        );
        assert_eq!(
            callback_flow("?utm_source=mail", "#error=login_required"),
            Some(Flow::Implicit)
        );
        assert_eq!(callback_flow("?utm_source=mail", ""), None);
        assert_eq!(callback_flow("", ""), None);
        assert_eq!(callback_flow("?", "#"), None);
    }

    #[test]
    fn parses_a_code_response_and_an_error_response_from_the_query() {
        assert_eq!(
            parse_query(&format!("?code={CODE}&state={STATE}")),
            Ok(CodeResponse::Code {
                code: CODE.into(),
                state: Some(STATE.into()),
            })
        );
        assert_eq!(
            parse_query("error=access_denied&error_description=No+thanks&state=xyz"),
            Ok(CodeResponse::Error(ErrorResponse {
                error: "access_denied".into(),
                error_description: Some("No thanks".into()),
                state: Some("xyz".into()),
            }))
        );
        assert_eq!(parse_query(""), Err(AuthError::NoResponse));
        assert_eq!(parse_query("?utm_source=x"), Err(AuthError::NoResponse));
        assert!(matches!(
            parse_query("code=a&code=b&state=s"),
            Err(AuthError::Malformed(m)) if m.contains("code")
        ));
    }

    #[test]
    fn a_code_response_answering_this_browser_is_ready_to_redeem() {
        let pending = begin_code_callback(
            &format!("?code={CODE}&state={STATE}"),
            Some(&code_request()),
        )
        .unwrap();
        assert_eq!(
            pending,
            PendingCode {
                code: CODE.into(),
                code_verifier: VERIFIER.into(),
                nonce: NONCE.into(),
            }
        );
    }

    #[test]
    fn a_code_response_with_another_state_is_refused_plainly() {
        let err = begin_code_callback(&format!("?code={CODE}&state=forged"), Some(&code_request()))
            .unwrap_err();
        assert_eq!(err, AuthError::StateMismatch);
        assert_eq!(
            err.to_string(),
            "The sign-in response did not match this browser's request (state mismatch). \
             Please sign in again."
        );
        assert_eq!(
            begin_code_callback(&format!("?code={CODE}"), Some(&code_request())),
            Err(AuthError::StateMissing)
        );
    }

    #[test]
    fn a_code_response_without_a_code_is_refused_plainly() {
        let err =
            begin_code_callback(&format!("?state={STATE}"), Some(&code_request())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The sign-in response could not be read: it has no authorization code. \
             Please sign in again."
        );
        assert_eq!(
            begin_code_callback(&format!("?code=&state={STATE}"), Some(&code_request())),
            Err(AuthError::Malformed("it has no authorization code".into()))
        );
    }

    #[test]
    fn an_error_in_the_query_becomes_a_readable_message() {
        let err = begin_code_callback(
            &format!("?error=access_denied&error_description=Blocked+by+an+action&state={STATE}"),
            Some(&code_request()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "You declined the request, or the tenant refused to let you sign in \
             (access_denied). The tenant said: \u{201c}Blocked by an action\u{201d}"
        );
        // An error with another state is not this browser's either.
        assert_eq!(
            begin_code_callback("?error=access_denied&state=forged", Some(&code_request())),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn a_code_needs_this_browsers_code_sign_in() {
        let query = format!("?code={CODE}&state={STATE}");
        assert_eq!(
            begin_code_callback(&query, None),
            Err(AuthError::NoStoredRequest)
        );
        // An implicit request (no verifier) cannot redeem a code.
        assert_eq!(
            begin_code_callback(&query, Some(&stored())),
            Err(AuthError::NoStoredRequest)
        );
        assert_eq!(
            AuthError::WrongFlow.to_string(),
            "This page accepts only a sign-in code in its address, not tokens. \
             Please sign in again."
        );
    }

    // --- the code flow: the token endpoint ---

    fn pairs(body: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(body).unwrap()
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_token_requests_of_a_public_client() {
        let pending = PendingCode {
            code: CODE.into(),
            code_verifier: VERIFIER.into(),
            nonce: NONCE.into(),
        };
        let body = code_exchange_body(CLIENT_ID, "http://127.0.0.1:8787/callback", &pending);
        assert_eq!(
            body,
            format!(
                "grant_type=authorization_code&client_id={CLIENT_ID}&code={CODE}\
                 &redirect_uri=http%3A%2F%2F127.0.0.1%3A8787%2Fcallback&code_verifier={VERIFIER}"
            )
        );
        assert!(!body.contains(NONCE));
        assert_eq!(
            pairs(&refresh_body(CLIENT_ID, "rt+/=")),
            owned(&[
                ("grant_type", "refresh_token"),
                ("client_id", CLIENT_ID),
                ("refresh_token", "rt+/="),
            ])
        );
        assert_eq!(
            pairs(&revocation_body(CLIENT_ID, "rt&x")),
            owned(&[
                ("client_id", CLIENT_ID),
                ("token", "rt&x"),
                ("token_type_hint", "refresh_token"),
            ])
        );
    }

    fn token_json(id_token: Option<&str>, refresh_token: Option<&str>) -> String {
        let mut body = json!({
            "access_token": access_token(),
            "token_type": "Bearer",
            "expires_in": 86_400,
            "scope": "openid profile email offline_access",
        });
        if let Some(id_token) = id_token {
            body["id_token"] = json!(id_token);
        }
        if let Some(refresh_token) = refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        body.to_string()
    }

    #[test]
    fn reads_the_token_endpoints_answer() {
        let tokens = read_token_response(200, &token_json(Some("a.b.c"), Some("rt-1"))).unwrap();
        assert_eq!(tokens.access_token, access_token());
        assert_eq!(tokens.expires_in, 86_400);
        assert_eq!(tokens.id_token.as_deref(), Some("a.b.c"));
        assert_eq!(tokens.refresh_token.as_deref(), Some("rt-1"));

        let mac = token_json(None, None).replace("Bearer", "MAC");
        assert_eq!(
            read_token_response(200, &mac),
            Err(AuthError::UnsupportedTokenType("MAC".into()))
        );
        assert!(matches!(
            read_token_response(200, "<html>"),
            Err(AuthError::Malformed(_))
        ));
    }

    #[test]
    fn a_refusal_of_the_token_endpoint_says_why() {
        let refused = read_token_response(
            400,
            r#"{"error":"invalid_grant","error_description":"The code has expired"}"#,
        )
        .unwrap_err();
        assert_eq!(
            refused,
            AuthError::TokenRefused {
                status: 400,
                error: "invalid_grant".into(),
                description: Some("The code has expired".into()),
            }
        );
        assert_eq!(
            refused.to_string(),
            "The tenant no longer accepts this sign-in (invalid_grant): its code or refresh \
             token expired, was already used, or was revoked. The tenant said: \
             \u{201c}The code has expired\u{201d} Please sign in again."
        );
        assert_eq!(
            read_token_response(502, "Bad Gateway"),
            Err(AuthError::TokenRefused {
                status: 502,
                error: "HTTP 502".into(),
                description: None,
            })
        );
    }

    fn finish_code(body: &str) -> Result<SignedIn, AuthError> {
        let tokens = read_token_response(200, body)?;
        ready(finish_code_sign_in(
            NONCE,
            tokens,
            &keys().jwks,
            ISSUER,
            CLIENT_ID,
            NOW,
            &HostRs256,
        ))
    }

    #[test]
    fn a_redeemed_code_signs_in_with_the_refresh_token_in_memory() {
        for id_token in [
            sign_ed(&keys().ed, ED_KID, &id_claims()),
            sign_rsa(&keys().rsa, RSA_KID, &id_claims()),
        ] {
            let signed_in = finish_code(&token_json(Some(&id_token), Some("rt-1"))).unwrap();
            assert_eq!(signed_in.subject(), "auth0|abc123");
            assert_eq!(signed_in.id_token, id_token);
            assert_eq!(Value::Object(signed_in.id_claims), id_claims());
            assert_eq!(signed_in.access_token, access_token());
            assert_eq!(signed_in.expires_in, Some(86_400));
            assert_eq!(signed_in.refresh_token.as_deref(), Some("rt-1"));
            assert!(signed_in.access_claims.is_some());
        }
        // No offline access granted: no refresh token.
        let id_token = sign_ed(&keys().ed, ED_KID, &id_claims());
        let signed_in = finish_code(&token_json(Some(&id_token), None)).unwrap();
        assert_eq!(signed_in.refresh_token, None);
    }

    #[test]
    fn a_code_sign_ins_id_token_must_carry_this_browsers_nonce() {
        let other = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "nonce", json!("someone-elses")),
        );
        let err = finish_code(&token_json(Some(&other), Some("rt-1"))).unwrap_err();
        assert_eq!(err, AuthError::NonceMismatch);
        assert_eq!(
            err.to_string(),
            "The identity token was not issued for this browser's sign-in (nonce mismatch). \
             Please sign in again."
        );
        let mut claims = id_claims();
        claims.as_object_mut().unwrap().remove("nonce");
        let missing = sign_ed(&keys().ed, ED_KID, &claims);
        assert_eq!(
            finish_code(&token_json(Some(&missing), None)),
            Err(AuthError::NonceMismatch)
        );
    }

    #[test]
    fn a_code_sign_ins_at_hash_is_checked_when_present() {
        let mut claims = id_claims();
        claims.as_object_mut().unwrap().remove("at_hash");
        let without = sign_ed(&keys().ed, ED_KID, &claims);
        assert!(finish_code(&token_json(Some(&without), None)).is_ok());
        let wrong = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "at_hash", json!(at_hash("another"))),
        );
        assert_eq!(
            finish_code(&token_json(Some(&wrong), None)),
            Err(AuthError::AtHashMismatch)
        );
    }

    #[test]
    fn a_code_sign_in_needs_a_valid_id_token() {
        assert_eq!(
            finish_code(&token_json(None, Some("rt-1"))),
            Err(AuthError::Malformed("it has no id_token".into()))
        );
        let forged = sign_ed(&random_ed25519(), ED_KID, &id_claims());
        assert_eq!(
            finish_code(&token_json(Some(&forged), None)),
            Err(AuthError::BadSignature)
        );
        let expired = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "exp", json!(NOW - 61)),
        );
        assert!(matches!(
            finish_code(&token_json(Some(&expired), None)),
            Err(AuthError::Expired { .. })
        ));
        let foreign = sign_ed(
            &keys().ed,
            ED_KID,
            &with(id_claims(), "aud", json!("another-client")),
        );
        assert_eq!(
            finish_code(&token_json(Some(&foreign), None)),
            Err(AuthError::AudienceMismatch)
        );
    }

    // --- refreshes ---

    fn signed_in_with_code() -> SignedIn {
        let id_token = sign_ed(&keys().ed, ED_KID, &id_claims());
        finish_code(&token_json(Some(&id_token), Some("rt-1"))).unwrap()
    }

    /// A refreshed ID token as the tenant issues it: no nonce, a new `iat`.
    fn refreshed_claims() -> Value {
        let mut claims = with(id_claims(), "iat", json!(NOW + 100));
        claims.as_object_mut().unwrap().remove("nonce");
        claims
    }

    fn finish_refresh_with(previous: &SignedIn, body: &str) -> Result<SignedIn, AuthError> {
        let tokens = read_token_response(200, body)?;
        ready(finish_refresh(
            previous,
            tokens,
            &keys().jwks,
            ISSUER,
            CLIENT_ID,
            NOW + 100,
            &HostRs256,
        ))
    }

    #[test]
    fn a_refresh_keeps_the_rotated_refresh_token_and_the_new_id_token() {
        let previous = signed_in_with_code();
        let id_token = sign_ed(&keys().ed, ED_KID, &refreshed_claims());
        let refreshed =
            finish_refresh_with(&previous, &token_json(Some(&id_token), Some("rt-2"))).unwrap();
        assert_eq!(refreshed.refresh_token.as_deref(), Some("rt-2"));
        assert_eq!(refreshed.id_token, id_token);
        assert_eq!(Value::Object(refreshed.id_claims), refreshed_claims());

        // Non-rotating tokens, and no ID token: the sign-in's are kept.
        let kept = finish_refresh_with(&previous, &token_json(None, None)).unwrap();
        assert_eq!(kept.refresh_token.as_deref(), Some("rt-1"));
        assert_eq!(kept.id_token, previous.id_token);
    }

    #[test]
    fn a_refreshed_id_token_is_checked_like_the_first() {
        let previous = signed_in_with_code();
        // The sign-in's nonce may be repeated, never another.
        let same_nonce = sign_ed(
            &keys().ed,
            ED_KID,
            &with(refreshed_claims(), "nonce", json!(NONCE)),
        );
        assert!(finish_refresh_with(&previous, &token_json(Some(&same_nonce), None)).is_ok());
        let other_nonce = sign_ed(
            &keys().ed,
            ED_KID,
            &with(refreshed_claims(), "nonce", json!("other")),
        );
        assert_eq!(
            finish_refresh_with(&previous, &token_json(Some(&other_nonce), None)),
            Err(AuthError::NonceMismatch)
        );
        // Another person.
        let other_person = sign_ed(
            &keys().ed,
            ED_KID,
            &with(refreshed_claims(), "sub", json!("auth0|mallory")),
        );
        let err =
            finish_refresh_with(&previous, &token_json(Some(&other_person), None)).unwrap_err();
        assert_eq!(err, AuthError::SubjectMismatch);
        assert!(err.to_string().contains("someone other"), "{err}");
        // Forged, or for another client.
        let forged = sign_ed(&random_ed25519(), ED_KID, &refreshed_claims());
        assert_eq!(
            finish_refresh_with(&previous, &token_json(Some(&forged), None)),
            Err(AuthError::BadSignature)
        );
        let foreign = sign_ed(
            &keys().ed,
            ED_KID,
            &with(refreshed_claims(), "aud", json!("another-client")),
        );
        assert_eq!(
            finish_refresh_with(&previous, &token_json(Some(&foreign), None)),
            Err(AuthError::AudienceMismatch)
        );
    }
}
