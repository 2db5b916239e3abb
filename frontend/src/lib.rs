//! Edge Tenant's single-page app (Leptos, client-side rendered): the tenant's
//! sample OIDC client ([`App`]) and the admin Dashboard
//! ([`dashboard::DashboardApp`]). They are two entry points, built as two
//! wasm bundles, so neither page downloads the other's code; `index.html`
//! loads the Dashboard's under `/dashboard`.
//!
//! Network calls live in [`api`], the sign-in rules in [`auth`] and the
//! browser APIs they need in [`browser`]; this module only renders.

pub mod api;
pub mod auth;
pub mod browser;
pub mod dashboard;
pub mod sign_in;

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use serde_json::{Map, Value};

use crate::api::{ApiError, Discovery};
use crate::auth::{SignedIn, SAMPLE_APP};
use crate::sign_in::{AuthState, Session};

/// The product name shown in the UI.
pub const PRODUCT_NAME: &str = "Edge Tenant";

/// The sample client's sign-in state, provided by [`App`].
#[derive(Debug, Clone, Copy)]
pub struct Auth(pub RwSignal<AuthState>);

/// The sample client's root component (`/`, `/callback`); the Dashboard
/// is a separate entry point, [`dashboard::DashboardApp`].
#[component]
pub fn App() -> impl IntoView {
    provide_context(Auth(RwSignal::new(AuthState::NotStarted)));

    view! {
        <Router>
            <SiteHeader />
            <main class="content">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/callback") view=Callback />
                </Routes>
            </main>
        </Router>
    }
}

/// The header of every page. The sample client and the Dashboard are
/// separate bundles, so links between them load the page.
#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <header class="site-header">
            <a href="/" rel="external" class="brand" data-testid="brand">
                {PRODUCT_NAME}
            </a>
            <nav class="site-nav">
                <a href="/dashboard" rel="external" data-testid="dashboard-link">
                    "Dashboard"
                </a>
            </nav>
        </header>
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

#[component]
fn SignInPanel() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let link = LocalResource::new(|| sign_in::prepare_sign_in(SAMPLE_APP, None));
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
fn MetadataList(meta: Discovery) -> impl IntoView {
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

/// `/callback`: the redirect URI.
#[component]
pub fn Callback() -> impl IntoView {
    let auth = expect_context::<Auth>();
    sign_in::process_callback(SAMPLE_APP, auth.0);

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
                AuthState::Leaving => {
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
    let logout_url = sign_in::logout_url(&session);
    let sign_out = {
        let session = session.clone();
        move |ev: leptos::ev::MouseEvent| {
            ev.prevent_default();
            // Drop the tokens before leaving.
            sign_in::sign_out(&session, auth.0);
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
