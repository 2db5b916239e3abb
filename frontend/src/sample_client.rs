//! The tenant's sample OIDC client (`/`, `/callback`): signs a person in
//! with the authorization code flow and PKCE (the recommended way) or with
//! the implicit link of Auth0's reference pages, shows who they are and
//! both tokens' claims, calls the sample API with the access token, and,
//! when the tenant gave a refresh token, refreshes the tokens on request.

use std::sync::Arc;

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::api::{self, ApiError, Discovery};
use crate::auth::{Flow, SignedIn, SAMPLE_APP};
use crate::browser;
use crate::loading::load;
use crate::route::{Link, Location};
use crate::sign_in::{self, AuthState, Session, SignInFailed};
use crate::{HomeLink, NotFound, SiteHeader, PRODUCT_NAME};

/// The sample client's sign-in state, provided by [`App`].
#[derive(Debug, Clone, Copy)]
pub struct Auth(pub RwSignal<AuthState>);

/// The sample client's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Home,
    Callback,
    NotFound,
}

impl Page {
    fn of(segments: &[String]) -> Self {
        match segments {
            [] => Page::Home,
            [callback] if callback == "callback" => Page::Callback,
            _ => Page::NotFound,
        }
    }
}

/// The sample client's root component (`/`, `/callback`); the Dashboard
/// is a separate entry point, [`crate::dashboard::DashboardApp`].
#[component]
pub fn App() -> impl IntoView {
    provide_context(Auth(RwSignal::new(AuthState::NotStarted)));
    let location = Location::provide();
    let page = Memo::new(move |_| Page::of(&location.segments()));

    view! {
        <SiteHeader />
        <main class="content">
            {move || match page.get() {
                Page::Home => view! { <Home /> }.into_any(),
                Page::Callback => view! { <Callback /> }.into_any(),
                Page::NotFound => view! { <NotFound /> }.into_any(),
            }}
        </main>
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
    let link = load(|| Box::pin(sign_in::prepare_sign_in(SAMPLE_APP, None)));
    let signed_in_as = move || match auth.0.get() {
        AuthState::SignedIn(session) => Some(view! {
            <p class="status" data-testid="home-signed-in">
                "Signed in as "
                <strong>{display_name(&session.signed_in)}</strong>
                ". "
                <Link href="/callback">"See your session"</Link>
            </p>
        }),
        _ => None,
    };

    // The code flow's request (and its verifier) is made when the button is
    // pressed, not with the page: nothing is stored for a visit that does
    // not sign in.
    let code_error = RwSignal::new(None::<String>);
    let leaving = RwSignal::new(false);
    let sign_in_with_code = move |_| {
        leaving.set(true);
        code_error.set(None);
        leptos::task::spawn_local(async move {
            match sign_in::prepare_code_sign_in(SAMPLE_APP, None).await {
                Ok(url) => browser::navigate(&url),
                Err(message) => {
                    leaving.set(false);
                    code_error.set(Some(message));
                }
            }
        });
    };

    view! {
        <section class="panel sign-in-panel">
            <h2>"Try it"</h2>
            <p>
                "Sign in on the tenant's login page; you come back here with an ID token and an \
                 access token. The authorization code flow with PKCE is the recommended way: \
                 the tokens never travel in the address, and a refresh token can come with \
                 them. The implicit flow is the link of Auth0's reference pages."
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
            <p>
                <button
                    type="button"
                    class="button"
                    data-testid="sign-in-code"
                    disabled=move || leaving.get()
                    on:click=sign_in_with_code
                >
                    "Sign in with code + PKCE (recommended)"
                </button>
            </p>
            {move || {
                code_error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="status error" role="alert" data-testid="sign-in-code-error">
                                {message}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

/// Fetches `/.well-known/openid-configuration` and shows the key endpoints.
#[component]
fn TenantPanel() -> impl IntoView {
    let metadata = load(|| Box::pin(api::fetch_discovery()));

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
                AuthState::Failed(message) | AuthState::SessionEnded(message) => {
                    view! {
                        <SignInFailed testid="auth-error" message>
                            <HomeLink />
                        </SignInFailed>
                    }
                        .into_any()
                }
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

/// `/callback` once signed in: who, both tokens' claims, and the sample API.
#[component]
fn SignedInView(session: Arc<Session>) -> impl IntoView {
    let signed_in = &session.signed_in;
    let access_claims = match &signed_in.access_claims {
        Some(claims) => pretty_claims(claims),
        None => "The access token is not a JWT, so it has no claims to show.".to_owned(),
    };
    let id_claims = pretty_claims(&signed_in.id_claims);
    let access_token = signed_in.access_token.clone();
    let flow = match session.flow {
        Flow::Code => "Authorization code with PKCE",
        Flow::Implicit => "Implicit (tokens in the address's fragment)",
    };
    let refresh = (session.flow == Flow::Code).then(|| {
        let session = Arc::clone(&session);
        view! { <RefreshPanel session /> }
    });

    view! {
        <section class="signed-in" data-testid="signed-in">
            <UserPanel session />
            <p class="note">
                "Signed in with: " <strong data-testid="sign-in-flow">{flow}</strong>
            </p>
            <Claims
                title="ID token claims"
                note="Signature, issuer, audience, expiry, nonce and at_hash checked."
                testid="id-token-claims"
                text=id_claims
            />
            <Claims
                title="Access token claims"
                note="Decoded for display only; the API it is meant for validates it."
                testid="access-token-claims"
                text=access_claims
            />
            <SampleApi access_token />
            {refresh}
        </section>
    }
}

/// The refresh token of a code-flow sign-in: whether one came (never its
/// value), and a button that uses it and shows the new access token's
/// claims.
#[component]
fn RefreshPanel(session: Arc<Session>) -> impl IntoView {
    let tokens = session.tokens.clone();
    if session.signed_in.refresh_token.is_none() {
        return view! {
            <section class="panel" data-testid="refresh-panel">
                <h2>"Refresh token"</h2>
                <p data-testid="no-refresh-token">
                    "None came with this sign-in: the API the access token is for does not \
                     allow offline access (its "
                    <code>"allow_offline_access"</code>
                    " setting)."
                </p>
            </section>
        }
        .into_any();
    }
    // The latest refresh's answer: the new access token's claims, or why not.
    let refreshed = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let refresh = move |_| {
        busy.set(true);
        let refresh = tokens.refresh();
        leptos::task::spawn_local(async move {
            let answer = refresh.await;
            busy.set(false);
            refreshed.set(Some(match answer {
                Ok(signed_in) => Ok(match &signed_in.access_claims {
                    Some(claims) => pretty_claims(claims),
                    None => "The new access token is not a JWT.".to_owned(),
                }),
                Err(err) => Err(match err {
                    crate::tokens::RefreshError::Ended(why) => {
                        format!("The tenant refused the refresh token: {why}")
                    }
                    crate::tokens::RefreshError::Unavailable(why) => {
                        format!("The tenant could not be reached: {why}")
                    }
                }),
            }));
        });
    };
    let count = {
        let tokens = session.tokens.clone();
        move || {
            refreshed.track();
            tokens.refreshes()
        }
    };

    view! {
        <section class="panel" data-testid="refresh-panel">
            <h2>"Refresh token"</h2>
            <p data-testid="refresh-token-received">
                "A refresh token came with this sign-in. It is kept in this page's memory only, \
                 and its value is never shown; each use returns a new one, which replaces it."
            </p>
            <p>
                <button
                    type="button"
                    class="button secondary"
                    data-testid="refresh-tokens"
                    disabled=move || busy.get()
                    on:click=refresh
                >
                    "Refresh tokens"
                </button>
                " "
                <span class="note" data-testid="refresh-count">
                    {move || format!("Refreshed {} time(s).", count())}
                </span>
            </p>
            {move || match refreshed.get() {
                None => None,
                Some(Ok(claims)) => {
                    Some(
                        view! {
                            <h3>"The new access token's claims"</h3>
                            <pre class="claims" data-testid="refreshed-access-token-claims">
                                {claims}
                            </pre>
                        }
                            .into_any(),
                    )
                }
                Some(Err(message)) => {
                    Some(
                        view! {
                            <p class="status error" role="alert" data-testid="refresh-error">
                                {message}
                            </p>
                        }
                            .into_any(),
                    )
                }
            }}
        </section>
    }
    .into_any()
}

/// The person signed in, and Sign out.
#[component]
fn UserPanel(session: Arc<Session>) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let signed_in = &session.signed_in;
    let picture = signed_in
        .id_claims
        .get("picture")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with("https://") || p.starts_with("http://"))
        .map(|src| {
            view! {
                <img
                    class="avatar"
                    src=src.to_owned()
                    alt=""
                    width="56"
                    height="56"
                    referrerpolicy="no-referrer"
                />
            }
        });
    let name = signed_in.name().unwrap_or_default().to_owned();
    let email = signed_in.email().unwrap_or_default().to_owned();
    let subject = signed_in.subject().to_owned();
    let logout_url = sign_in::logout_url(&session);
    let sign_out = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        // Drop the tokens before leaving.
        sign_in::sign_out(&session, auth.0);
    };

    view! {
        <div class="panel user-panel">
            {picture}
            <div class="user-details">
                <h1>"You are signed in"</h1>
                <dl class="fields">
                    <dt>"Name"</dt>
                    <dd data-testid="user-name">{name}</dd>
                    <dt>"Email"</dt>
                    <dd data-testid="user-email">{email}</dd>
                    <dt>"User ID"</dt>
                    <dd data-testid="user-sub">
                        <code>{subject}</code>
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
    }
}

/// A token's claims, as JSON.
#[component]
fn Claims(
    title: &'static str,
    note: &'static str,
    testid: &'static str,
    text: String,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>{title}</h2>
            <p class="note">{note}</p>
            <pre class="claims" data-testid=testid>
                {text}
            </pre>
        </section>
    }
}

/// Calls the sample API with the access token and shows its answer.
#[component]
fn SampleApi(access_token: String) -> impl IntoView {
    let whoami = load(move || Box::pin(api::call_whoami(access_token.clone())));
    view! {
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
    }
}
