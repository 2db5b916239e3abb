//! Signing in as one of the SPA's built-in clients: the browser glue around
//! [`crate::auth`] (both flows: the code flow with PKCE, and the implicit
//! link the sample client keeps), refreshes and sign-out, and the page of a
//! sign-in that failed, shared by the sample client and the Dashboard.

use std::rc::Rc;
use std::sync::Arc;

use futures::FutureExt as _;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, Discovery};
use crate::auth::{self, AuthError, AuthRequest, AuthorizationParams, Flow, SignInApp, SignedIn};
use crate::browser;
use crate::tokens::{Refresh, RefreshError, Tokens};

/// A validated sign-in and where it came from. Held in memory only: it is
/// gone when the tab reloads or closes.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The sign-in as validated at the callback.
    pub signed_in: SignedIn,
    /// Its tokens from now on, refreshed as they expire (when the tenant
    /// gave a refresh token): what API calls use.
    pub tokens: Tokens,
    /// How the person signed in.
    pub flow: Flow,
    /// The issuer from `/app-config.json`, for the sign-out link.
    pub issuer: String,
    pub client_id: String,
    /// The tenant's revocation endpoint, for the refresh token at sign-out.
    pub revocation_endpoint: Option<String>,
    /// The SPA path to show now (the Dashboard page the person was on).
    pub return_to: Option<String>,
}

/// Where this tab is in one app's sign-in.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// The callback has not been visited in this page load.
    NotStarted,
    /// The response is being checked against the tenant's keys.
    Checking,
    SignedIn(Arc<Session>),
    /// Why the sign-in failed, in plain words.
    Failed(String),
    /// Signed in, until the tenant refused to renew the tokens (the
    /// refresh token expired or was revoked): why, in plain words. The
    /// person is signed out.
    SessionEnded(String),
    /// The browser is leaving for the tenant (to sign in or out).
    Leaving,
}

/// The tenant's settings a sign-in needs: `/app-config.json` and discovery.
async fn tenant_settings() -> Result<(shared::app::AppConfig, Discovery), String> {
    let config = api::fetch_app_config()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::APP_CONFIG_PATH))?;
    let meta = api::fetch_discovery()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::DISCOVERY_PATH))?;
    Ok((config, meta))
}

/// Builds the implicit-flow authorization request for `app` (the sample
/// client's link of the reference pages): fresh `state` and `nonce`,
/// remembered in `sessionStorage` for the callback with `return_to`.
pub async fn prepare_sign_in(app: SignInApp, return_to: Option<String>) -> Result<String, String> {
    let key = app
        .implicit_storage_key
        .ok_or("This app signs in with the authorization code flow only.")?;
    let (config, meta) = tenant_settings().await?;
    let mut request = AuthRequest::generate().map_err(|e| e.to_string())?;
    request.return_to = return_to;
    browser::store_auth_request(key, &request)?;
    Ok(auth::authorize_url(
        &meta.authorization_endpoint,
        &AuthorizationParams {
            client_id: app.client_id(&config),
            redirect_uri: &app.callback_url(&browser::origin()),
            scope: app.scope,
            audience: app.audience(&config),
        },
        &request,
    ))
}

/// Builds the code-flow authorization request for `app`: fresh `state`,
/// `nonce` and PKCE verifier, remembered in `sessionStorage` (this tab
/// only) for the callback with `return_to`; the link carries the
/// verifier's S256 challenge and asks for `offline_access`.
pub async fn prepare_code_sign_in(
    app: SignInApp,
    return_to: Option<String>,
) -> Result<String, String> {
    let (config, meta) = tenant_settings().await?;
    let mut request = AuthRequest::generate_for_code().map_err(|e| e.to_string())?;
    request.return_to = return_to;
    let challenge = auth::code_challenge(request.code_verifier.as_deref().unwrap_or_default());
    browser::store_auth_request(app.code_storage_key, &request)?;
    Ok(auth::code_authorize_url(
        &meta.authorization_endpoint,
        &AuthorizationParams {
            client_id: app.client_id(&config),
            redirect_uri: &app.callback_url(&browser::origin()),
            scope: &app.code_scope(),
            audience: app.audience(&config),
        },
        &request,
        &challenge,
    ))
}

fn unavailable(what: &str, e: ApiError) -> String {
    format!(
        "Your sign-in could not be checked: {what} could not be loaded ({e}). Please try again."
    )
}

/// What checking and refreshing tokens needs of the tenant.
struct TenantKeys {
    issuer: String,
    client_id: String,
    token_endpoint: String,
    jwks_uri: String,
}

/// The tokens of `signed_in`, refreshed at `keys`' token endpoint.
fn keep_tokens(signed_in: SignedIn, keys: TenantKeys) -> Tokens {
    let keys = Rc::new(keys);
    Tokens::new(signed_in, browser::now, move |current| {
        refresh(Rc::clone(&keys), current)
    })
}

/// One refresh: the request, then the new ID token's validation. A refusal
/// of the tenant ends the session; no answer, or a failing tenant, does not.
fn refresh(keys: Rc<TenantKeys>, current: SignedIn) -> Refresh {
    async move {
        let refresh_token = current
            .refresh_token
            .clone()
            .ok_or_else(|| RefreshError::Ended(crate::tokens::NO_REFRESH_TOKEN.into()))?;
        let body = auth::refresh_body(&keys.client_id, &refresh_token);
        let response = api::post_form(&keys.token_endpoint, &body)
            .await
            .map_err(|e| RefreshError::Unavailable(e.to_string()))?;
        let tokens =
            auth::read_token_response(response.status, &response.body).map_err(|e| match e {
                AuthError::TokenRefused { status, .. } if status >= 500 || status == 429 => {
                    RefreshError::Unavailable(e.to_string())
                }
                e => RefreshError::Ended(e.to_string()),
            })?;
        let jwks = api::fetch_jwks(&keys.jwks_uri)
            .await
            .map_err(|e| RefreshError::Unavailable(e.to_string()))?;
        auth::finish_refresh(
            &current,
            tokens,
            &jwks,
            &keys.issuer,
            &keys.client_id,
            browser::now(),
            &browser::WebCrypto,
        )
        .await
        .map_err(|e| RefreshError::Ended(e.to_string()))
    }
    .boxed_local()
}

/// How a callback's answer is turned into tokens.
enum Pending {
    /// Implicit: the tokens came in the fragment.
    Implicit(auth::PendingSignIn),
    /// Code flow: the code is redeemed at the token endpoint.
    Code(auth::PendingCode),
}

/// Fetches what validation needs (client_id, issuer, JWK Set), redeems a
/// code, and validates the answer.
async fn complete_sign_in(
    app: SignInApp,
    pending: Pending,
    return_to: Option<String>,
) -> Result<Session, String> {
    let config = api::fetch_app_config()
        .await
        .map_err(|e| unavailable("this app's settings", e))?;
    let meta = api::fetch_discovery()
        .await
        .map_err(|e| unavailable("the tenant's configuration", e))?;
    let client_id = app.client_id(&config).to_owned();
    let jwks = api::fetch_jwks(&meta.jwks_uri)
        .await
        .map_err(|e| unavailable("the tenant's signing keys", e))?;
    let (flow, signed_in) = match pending {
        Pending::Implicit(pending) => {
            let signed_in = auth::finish_sign_in(
                pending,
                &jwks,
                &meta.issuer,
                &client_id,
                browser::now(),
                &browser::WebCrypto,
            )
            .await;
            (Flow::Implicit, signed_in)
        }
        Pending::Code(code) => {
            let body =
                auth::code_exchange_body(&client_id, &app.callback_url(&browser::origin()), &code);
            let response = api::post_form(&meta.token_endpoint, &body)
                .await
                .map_err(|e| unavailable("the tenant's answer to the sign-in code", e))?;
            let signed_in = match auth::read_token_response(response.status, &response.body) {
                Err(e) => Err(e),
                Ok(tokens) => {
                    auth::finish_code_sign_in(
                        &code.nonce,
                        tokens,
                        &jwks,
                        &meta.issuer,
                        &client_id,
                        browser::now(),
                        &browser::WebCrypto,
                    )
                    .await
                }
            };
            (Flow::Code, signed_in)
        }
    };
    let signed_in = signed_in.map_err(|e| e.to_string())?;
    let tokens = keep_tokens(
        signed_in.clone(),
        TenantKeys {
            issuer: meta.issuer,
            client_id: client_id.clone(),
            token_endpoint: meta.token_endpoint,
            jwks_uri: meta.jwks_uri,
        },
    );
    Ok(Session {
        signed_in,
        tokens,
        flow,
        issuer: config.issuer,
        client_id,
        revocation_endpoint: meta.revocation_endpoint,
        return_to,
    })
}

/// Handles the tenant's answer at `app`'s callback, once per page load: a
/// code in the query or tokens in the fragment (for an app that keeps the
/// implicit flow). The address is cleaned and the stored request (with its
/// code verifier) consumed before anything else happens.
pub fn process_callback(app: SignInApp, state: RwSignal<AuthState>) {
    if state.get_untracked() != AuthState::NotStarted {
        // Already handled in this page load; never leave a code or tokens
        // in the address.
        let _ = browser::take_callback_response(&app);
        return;
    }
    let (query, fragment) = browser::take_callback_response(&app);
    let (pending, stored) = match auth::callback_flow(&query, &fragment) {
        None => (Err(AuthError::NoResponse), None),
        Some(Flow::Code) => {
            let stored = browser::take_auth_request(app.code_storage_key);
            let pending = auth::begin_code_callback(&query, stored.as_ref()).map(Pending::Code);
            (pending, stored)
        }
        Some(Flow::Implicit) => match app.implicit_storage_key {
            None => (Err(AuthError::WrongFlow), None),
            Some(key) => {
                let stored = browser::take_auth_request(key);
                let pending =
                    auth::begin_callback(&fragment, stored.as_ref()).map(Pending::Implicit);
                (pending, stored)
            }
        },
    };
    let return_to = stored
        .as_ref()
        .and_then(|s| s.return_to.as_deref())
        .and_then(auth::return_path)
        .map(str::to_owned);
    match pending {
        Err(e) => state.set(AuthState::Failed(e.to_string())),
        Ok(pending) => {
            state.set(AuthState::Checking);
            spawn_local(async move {
                state.set(match complete_sign_in(app, pending, return_to).await {
                    Ok(session) => AuthState::SignedIn(Arc::new(session)),
                    Err(message) => AuthState::Failed(message),
                });
            });
        }
    }
}

/// Starts a code-flow sign-in for `app` and leaves for the tenant's login
/// page.
pub fn start_code_sign_in(app: SignInApp, state: RwSignal<AuthState>, return_to: Option<String>) {
    state.set(AuthState::Leaving);
    spawn_local(async move {
        match prepare_code_sign_in(app, return_to).await {
            Ok(url) => browser::navigate(&url),
            Err(message) => state.set(AuthState::Failed(message)),
        }
    });
}

/// Drops the tokens, revokes the refresh token (if any) at the tenant, and
/// leaves for the tenant's `/v2/logout`. The browser leaves even when the
/// revocation fails: the token is gone from this page either way.
pub fn sign_out(session: &Session, state: RwSignal<AuthState>) {
    let url = logout_url(session);
    let revocation = session
        .tokens
        .end()
        .zip(session.revocation_endpoint.clone())
        .map(|(token, endpoint)| (endpoint, auth::revocation_body(&session.client_id, &token)));
    state.set(AuthState::Leaving);
    spawn_local(async move {
        if let Some((endpoint, body)) = revocation {
            let _ = api::post_form(&endpoint, &body).await;
        }
        browser::navigate(&url);
    });
}

/// The tenant's `/v2/logout`, returning to the SPA's home page.
pub fn logout_url(session: &Session) -> String {
    auth::logout_url(
        &session.issuer,
        &session.client_id,
        &format!("{}/", browser::origin()),
    )
}

/// A sign-in that did not complete: why, and `children`, the way on (back
/// to the home page, or try again). `testid` names the section; the
/// message's is `{testid}-message`.
#[component]
pub fn SignInFailed(testid: &'static str, message: String, children: Children) -> impl IntoView {
    view! {
        <section class="auth-error" data-testid=testid>
            <h1>"Sign-in did not complete"</h1>
            <p class="status error" role="alert" data-testid=format!("{testid}-message")>
                {message}
            </p>
            {children()}
        </section>
    }
}
