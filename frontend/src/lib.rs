//! Edge Tenant's single-page app (Leptos, client-side rendered): the tenant's
//! sample OIDC client, later also the admin Dashboard.
//!
//! Network calls live in [`api`], the sign-in rules in [`auth`] and the
//! browser APIs they need in [`browser`]; this module only renders.

pub mod api;
pub mod auth;
pub mod browser;

use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use serde_json::{Map, Value};
use shared::discovery::ProviderMetadata;

use crate::api::ApiError;
use crate::auth::{AuthRequest, PendingSignIn, SignedIn};

/// The product name shown in the UI.
pub const PRODUCT_NAME: &str = "Edge Tenant";

/// A validated sign-in and where it came from. Held in memory only: it is
/// gone when the tab reloads or closes.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub signed_in: SignedIn,
    /// The issuer from `/app-config.json`, for the sign-out link.
    pub issuer: String,
    pub client_id: String,
}

/// Where this tab is in the sign-in.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// `/callback` has not been visited in this page load.
    NotStarted,
    /// The response is being checked against the tenant's keys.
    Checking,
    SignedIn(Arc<Session>),
    /// Why the sign-in failed, in plain words.
    Failed(String),
    /// The person chose "Sign out"; the browser is leaving for the tenant.
    SignedOut,
}

/// The app-wide sign-in state, provided by [`App`].
#[derive(Debug, Clone, Copy)]
pub struct Auth(pub RwSignal<AuthState>);

/// Root component: the header and the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Auth(RwSignal::new(AuthState::NotStarted)));

    view! {
        <Router>
            <header class="site-header">
                <A href="/" attr:class="brand" attr:data-testid="brand">
                    {PRODUCT_NAME}
                </A>
            </header>
            <main class="content">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/callback") view=Callback />
                </Routes>
            </main>
        </Router>
    }
}

/// `/`: what this app is, the sign-in link and the tenant's discovery
/// metadata.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section id="home" data-testid="home-page">
            <h1 data-testid="product-name">{PRODUCT_NAME}</h1>
            <p class="lede" data-testid="tagline">
                "This is the tenant's sample client."
            </p>
            <SignInPanel />
            <TenantPanel />
        </section>
    }
}

/// Builds the authorization request once per visit: fresh `state` and
/// `nonce`, remembered in `sessionStorage` for the callback.
async fn prepare_sign_in() -> Result<String, String> {
    let config = api::fetch_app_config()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::APP_CONFIG_PATH))?;
    let meta = api::fetch_discovery()
        .await
        .map_err(|e| format!("Could not load {}: {e}", api::DISCOVERY_PATH))?;
    let request = AuthRequest::generate().map_err(|e| e.to_string())?;
    browser::store_auth_request(&request)?;
    Ok(auth::authorize_url(
        &meta.authorization_endpoint,
        &config.client_id,
        &auth::callback_url(&browser::origin()),
        &request,
    ))
}

#[component]
fn SignInPanel() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let link = LocalResource::new(prepare_sign_in);
    let signed_in_as = move || match auth.0.get() {
        AuthState::SignedIn(session) => Some(view! {
            <p class="status" data-testid="home-signed-in">
                "Signed in as "
                <strong>{display_name(&session.signed_in)}</strong>
                ". "
                <A href="/callback">"See your session"</A>
            </p>
        }),
        _ => None,
    };

    view! {
        <section class="panel sign-in-panel">
            <h2>"Try it"</h2>
            <p>
                "Sign in on the tenant's login page; you come back here with an ID token and an \
                 access token."
            </p>
            {signed_in_as}
            {move || match link.get() {
                None => {
                    view! {
                        <p class="status" data-testid="sign-in-loading">
                            "Preparing sign-in…"
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(href)) => {
                    view! {
                        <a class="button" href=href rel="external" data-testid="sign-in">
                            "Sign in"
                        </a>
                    }
                        .into_any()
                }
                Some(Err(message)) => {
                    view! {
                        <p class="status error" role="alert" data-testid="sign-in-error">
                            {message}
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// Fetches `/.well-known/openid-configuration` and shows the key endpoints.
#[component]
fn TenantPanel() -> impl IntoView {
    let metadata = LocalResource::new(api::fetch_discovery);

    view! {
        <section class="panel" id="tenant-panel" data-testid="tenant-panel">
            <h2>"Tenant"</h2>
            {move || match metadata.get() {
                None => {
                    view! {
                        <p class="status" data-testid="tenant-loading">
                            "Loading…"
                        </p>
                    }
                        .into_any()
                }
                Some(Ok(meta)) => view! { <MetadataList meta /> }.into_any(),
                Some(Err(err)) => view! { <FetchError err /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn MetadataList(meta: ProviderMetadata) -> impl IntoView {
    view! {
        <dl class="fields" data-testid="tenant-metadata">
            <dt>"Issuer"</dt>
            <dd id="issuer" data-testid="issuer">
                <code>{meta.issuer}</code>
            </dd>
            <dt>"Token endpoint"</dt>
            <dd id="token-endpoint" data-testid="token-endpoint">
                <code>{meta.token_endpoint}</code>
            </dd>
            <dt>"JWKS URI"</dt>
            <dd id="jwks-uri" data-testid="jwks-uri">
                <code>{meta.jwks_uri}</code>
            </dd>
        </dl>
    }
}

#[component]
fn FetchError(err: ApiError) -> impl IntoView {
    view! {
        <p class="status error" role="alert" data-testid="tenant-error">
            "Could not load "
            <code>{api::DISCOVERY_PATH}</code>
            ": "
            {err.to_string()}
        </p>
    }
}

/// Fetches what validation needs (client_id, issuer, JWK Set) and validates
/// the response.
async fn complete_sign_in(pending: PendingSignIn) -> Result<Session, String> {
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
    let signed_in = auth::finish_sign_in(
        pending,
        &jwks,
        &meta.issuer,
        &config.client_id,
        browser::now(),
    )
    .map_err(|e| e.to_string())?;
    Ok(Session {
        signed_in,
        issuer: config.issuer,
        client_id: config.client_id,
    })
}

/// Handles the tenant's answer, once per page load: the fragment and the
/// stored request are consumed and the address is cleaned before anything
/// else happens.
fn process_callback(auth: Auth) {
    let fragment = browser::take_callback_fragment();
    let stored = browser::take_auth_request();
    match auth::begin_callback(&fragment, stored.as_ref()) {
        Err(e) => auth.0.set(AuthState::Failed(e.to_string())),
        Ok(pending) => {
            auth.0.set(AuthState::Checking);
            spawn_local(async move {
                auth.0.set(match complete_sign_in(pending).await {
                    Ok(session) => AuthState::SignedIn(Arc::new(session)),
                    Err(message) => AuthState::Failed(message),
                });
            });
        }
    }
}

/// `/callback`: the redirect URI.
#[component]
pub fn Callback() -> impl IntoView {
    let auth = expect_context::<Auth>();
    if auth.0.get_untracked() == AuthState::NotStarted {
        process_callback(auth);
    } else {
        // Already handled in this page load; never leave tokens in the address.
        let _ = browser::take_callback_fragment();
    }

    view! {
        <section id="callback" data-testid="callback-page">
            {move || match auth.0.get() {
                AuthState::NotStarted | AuthState::Checking => {
                    view! {
                        <p class="status" data-testid="callback-progress">
                            "Checking your sign-in with the tenant's signing keys…"
                        </p>
                    }
                        .into_any()
                }
                AuthState::SignedIn(session) => view! { <SignedInView session /> }.into_any(),
                AuthState::Failed(message) => view! { <AuthErrorView message /> }.into_any(),
                AuthState::SignedOut => {
                    view! {
                        <p class="status" data-testid="signing-out">
                            "Signing out…"
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn display_name(signed_in: &SignedIn) -> String {
    signed_in
        .name()
        .or(signed_in.email())
        .unwrap_or(signed_in.subject())
        .to_owned()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn pretty_claims(claims: &Map<String, Value>) -> String {
    pretty(&Value::Object(claims.clone()))
}

#[component]
fn SignedInView(session: Arc<Session>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let signed_in = &session.signed_in;
    let logout_url = auth::logout_url(
        &session.issuer,
        &session.client_id,
        &format!("{}/", browser::origin()),
    );
    let sign_out = {
        let logout_url = logout_url.clone();
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            // Drop the tokens before leaving.
            auth.0.set(AuthState::SignedOut);
            browser::navigate(&logout_url);
        }
    };
    let access_token = signed_in.access_token.clone();
    let whoami = LocalResource::new(move || api::call_whoami(access_token.clone()));
    let picture = signed_in
        .id_claims
        .get("picture")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
        .map(str::to_owned);
    let access_claims = match &signed_in.access_claims {
        Some(claims) => pretty_claims(claims),
        None => "The access token is not a JWT, so it has no claims to show.".to_owned(),
    };

    view! {
        <section class="signed-in" data-testid="signed-in">
            <div class="panel user-panel">
                {picture
                    .map(|src| {
                        view! {
                            <img
                                class="avatar"
                                src=src
                                alt=""
                                width="56"
                                height="56"
                                referrerpolicy="no-referrer"
                            />
                        }
                    })}
                <div class="user-details">
                    <h1>"You are signed in"</h1>
                    <dl class="fields">
                        <dt>"Name"</dt>
                        <dd data-testid="user-name">
                            {signed_in.name().unwrap_or_default().to_owned()}
                        </dd>
                        <dt>"Email"</dt>
                        <dd data-testid="user-email">
                            {signed_in.email().unwrap_or_default().to_owned()}
                        </dd>
                        <dt>"User ID"</dt>
                        <dd data-testid="user-sub">
                            <code>{signed_in.subject().to_owned()}</code>
                        </dd>
                    </dl>
                </div>
                <a
                    class="button secondary"
                    href=logout_url
                    rel="external"
                    data-testid="sign-out"
                    on:click=sign_out
                >
                    "Sign out"
                </a>
            </div>

            <section class="panel">
                <h2>"ID token claims"</h2>
                <p class="note">"Signature, issuer, audience, expiry, nonce and at_hash checked."</p>
                <pre class="claims" data-testid="id-token-claims">
                    {pretty_claims(&signed_in.id_claims)}
                </pre>
            </section>

            <section class="panel">
                <h2>"Access token claims"</h2>
                <p class="note">
                    "Decoded for display only; the API it is meant for validates it."
                </p>
                <pre class="claims" data-testid="access-token-claims">
                    {access_claims}
                </pre>
            </section>

            <section class="panel">
                <h2>
                    "Sample API: "
                    <code>"GET "{api::WHOAMI_PATH}</code>
                </h2>
                {move || match whoami.get() {
                    None => {
                        view! {
                            <p class="status" data-testid="api-loading">
                                "Calling the API with the access token…"
                            </p>
                        }
                            .into_any()
                    }
                    Some(Ok(body)) => {
                        view! {
                            <pre class="claims" data-testid="api-response">
                                {pretty(&body)}
                            </pre>
                        }
                            .into_any()
                    }
                    Some(Err(err)) => {
                        view! {
                            <p class="status error" role="alert" data-testid="api-error">
                                "The API call failed. "
                                {err.to_string()}
                            </p>
                        }
                            .into_any()
                    }
                }}
            </section>
        </section>
    }
}

#[component]
fn AuthErrorView(message: String) -> impl IntoView {
    view! {
        <section class="auth-error" data-testid="auth-error">
            <h1>"Sign-in did not complete"</h1>
            <p class="status error" role="alert" data-testid="auth-error-message">
                {message}
            </p>
            <p>
                <A href="/" attr:data-testid="home-link">
                    "Back to the home page"
                </A>
            </p>
        </section>
    }
}

/// Fallback for every path no route matches.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section id="not-found" data-testid="not-found-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p>
                <A href="/" attr:data-testid="home-link">
                    "Back to the home page"
                </A>
            </p>
        </section>
    }
}
