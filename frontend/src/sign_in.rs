//! Signing in as one of the SPA's built-in clients: the browser glue around
//! [`crate::auth`], and the page of a sign-in that failed, shared by the
//! sample client and the Dashboard.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::auth::{self, AuthRequest, AuthorizationParams, SignInApp, SignedIn};
use crate::browser;

/// A validated sign-in and where it came from. Held in memory only: it is
/// gone when the tab reloads or closes.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub signed_in: SignedIn,
    /// The issuer from `/app-config.json`, for the sign-out link.
    pub issuer: String,
    pub client_id: String,
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
    /// The browser is leaving for the tenant (to sign in or out).
    Leaving,
}

/// Builds the authorization request for `app`: fresh `state` and `nonce`,
/// remembered in `sessionStorage` for the callback with `return_to`.
pub async fn prepare_sign_in(app: SignInApp, return_to: Option<String>) -> Result<String, String> {
    let config = api::fetch_app_config()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::APP_CONFIG_PATH))?;
    let meta = api::fetch_discovery()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::DISCOVERY_PATH))?;
    let mut request = AuthRequest::generate().map_err(|e| e.to_string())?;
    request.return_to = return_to;
    browser::store_auth_request(&app, &request)?;
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

/// Fetches what validation needs (client_id, issuer, JWK Set) and validates
/// the response.
async fn complete_sign_in(
    app: SignInApp,
    pending: auth::PendingSignIn,
    return_to: Option<String>,
) -> Result<Session, String> {
    let unavailable = |what: &str, e: ApiError| {
        format!("Your sign-in could not be checked: {what} could not be loaded ({e}). Please try again.")
    };
    let config = api::fetch_app_config()
        .await
        .map_err(|e| unavailable("this app's settings", e))?;
    let meta = api::fetch_discovery()
        .await
        .map_err(|e| unavailable("the tenant's configuration", e))?;
    let jwks = api::fetch_jwks(&meta.jwks_uri)
        .await
        .map_err(|e| unavailable("the tenant's signing keys", e))?;
    let client_id = app.client_id(&config).to_owned();
    let signed_in = auth::finish_sign_in(
        pending,
        &jwks,
        &meta.issuer,
        &client_id,
        browser::now(),
        &browser::WebCrypto,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(Session {
        signed_in,
        issuer: config.issuer,
        client_id,
        return_to,
    })
}

/// Handles the tenant's answer at `app`'s callback, once per page load: the
/// fragment and the stored request are consumed and the address is cleaned
/// before anything else happens.
pub fn process_callback(app: SignInApp, state: RwSignal<AuthState>) {
    if state.get_untracked() != AuthState::NotStarted {
        // Already handled in this page load; never leave tokens in the address.
        let _ = browser::take_callback_fragment(&app);
        return;
    }
    let fragment = browser::take_callback_fragment(&app);
    let stored = browser::take_auth_request(&app);
    let return_to = stored
        .as_ref()
        .and_then(|s| s.return_to.as_deref())
        .and_then(auth::return_path)
        .map(str::to_owned);
    match auth::begin_callback(&fragment, stored.as_ref()) {
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

/// Starts a sign-in for `app` and leaves for the tenant's login page.
pub fn start_sign_in(app: SignInApp, state: RwSignal<AuthState>, return_to: Option<String>) {
    state.set(AuthState::Leaving);
    spawn_local(async move {
        match prepare_sign_in(app, return_to).await {
            Ok(url) => browser::navigate(&url),
            Err(message) => state.set(AuthState::Failed(message)),
        }
    });
}

/// Drops the tokens and leaves for the tenant's `/v2/logout`.
pub fn sign_out(session: &Session, state: RwSignal<AuthState>) {
    let url = logout_url(session);
    state.set(AuthState::Leaving);
    browser::navigate(&url);
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
