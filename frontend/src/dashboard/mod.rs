//! The Dashboard under `/dashboard`: an admin signs in through the tenant's
//! own `/authorize` as the built-in Dashboard client, with the
//! authorization code flow and PKCE, for a Management API token and a
//! refresh token, both kept in memory only; every page is a view of
//! `/api/v2` with that token, refreshed before it expires (or when the API
//! refuses it). Signing out revokes the refresh token.
//!
//! What the token allows decides what is shown: without any Management API
//! permission the Dashboard says so and shows nothing else; a page whose
//! read scope is missing says so instead of failing.

pub mod actions;
pub mod apis;
pub mod applications;
pub mod listing;
pub mod logs;
pub mod model;
pub mod organizations;
pub mod settings;
pub mod users;
pub mod widgets;

use std::sync::Arc;

use leptos::prelude::*;

use self::model::{Permissions, Route, Section};
use crate::api::management::Management;
use crate::api::Reply;
use crate::auth::DASHBOARD;
use crate::browser;
use crate::loading::load;
use crate::route::{use_location, Link, Location, Redirect};
use crate::sign_in::{self, AuthState, Session, SignInFailed};
use crate::{NotFound, SiteHeader};

/// The Dashboard's sign-in state (separate from the sample client's).
#[derive(Debug, Clone, Copy)]
pub struct DashboardAuth(pub RwSignal<AuthState>);

/// A client secret just created or rotated, shown on that application's
/// Credentials tab until the person leaves it: `(client_id, secret)`.
/// Held in memory only; the tenant keeps only a hash.
#[derive(Debug, Clone, Copy)]
pub struct RevealedSecret(pub RwSignal<Option<(String, String)>>);

/// Provides the Dashboard's state to the whole app.
pub fn provide() {
    provide_context(DashboardAuth(RwSignal::new(AuthState::NotStarted)));
    provide_context(RevealedSecret(RwSignal::new(None)));
}

/// The signed-in admin: what their token allows, and the API client.
#[derive(Clone)]
pub struct Admin {
    pub permissions: Arc<Permissions>,
    pub api: Management,
}

impl Admin {
    pub fn can(&self, scope: &str) -> bool {
        self.permissions.can(scope)
    }
}

/// The admin, for a page under the Dashboard's shell (which shows pages
/// only once signed in; otherwise an admin without a token or permissions,
/// whose calls are refused and say so).
pub fn admin() -> Admin {
    let auth = expect_context::<DashboardAuth>();
    match auth.0.get_untracked() {
        AuthState::SignedIn(session) => Admin {
            permissions: Arc::new(Permissions::of(&session.signed_in)),
            api: Management::new(session.tokens.clone()),
        },
        _ => Admin {
            permissions: Arc::default(),
            api: Management::signed_out(),
        },
    }
}

/// Signs in again and comes back to this page (the session ended).
pub fn start_sign_in_again(auth: DashboardAuth) {
    sign_in::start_code_sign_in(DASHBOARD, auth.0, Some(browser::current_path()));
}

/// The id in the address of the page shown (`/dashboard/{section}/{id}`),
/// decoded.
pub fn page_id() -> Memo<String> {
    let location = use_location();
    Memo::new(move |_| location.segment(2))
}

/// The Dashboard's root component: its own entry point and bundle.
#[component]
pub fn DashboardApp() -> impl IntoView {
    provide();
    let location = Location::provide();
    let route = Memo::new(move |_| Route::of(&location.segments()));
    let found = Memo::new(move |_| route.get() != Route::NotFound);
    view! {
        <SiteHeader />
        <main class="content">
            {move || {
                if found.get() {
                    view! { <Shell route /> }.into_any()
                } else {
                    view! { <NotFound /> }.into_any()
                }
            }}
        </main>
    }
}

/// Every Dashboard page: signs the admin in first, then the navigation and
/// the page.
#[component]
fn Shell(route: Memo<Route>) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    let on_callback = Memo::new(move |_| route.get() == Route::Callback);

    Effect::new(move |_| {
        if !on_callback.get() && auth.0.get() == AuthState::NotStarted {
            sign_in::start_code_sign_in(DASHBOARD, auth.0, Some(browser::current_path()));
        }
    });

    move || {
        if on_callback.get() {
            return view! { <DashboardCallback /> }.into_any();
        }
        match auth.0.get() {
            AuthState::NotStarted | AuthState::Leaving => view! {
                <p class="status" data-testid="dashboard-redirecting">
                    "Taking you to sign in…"
                </p>
            }
            .into_any(),
            AuthState::Checking => view! {
                <p class="status" data-testid="dashboard-checking">
                    "Checking your sign-in…"
                </p>
            }
            .into_any(),
            AuthState::Failed(message) => view! { <DashboardSignInFailed message /> }.into_any(),
            AuthState::SessionEnded(message) => view! { <DashboardSignedOut message /> }.into_any(),
            AuthState::SignedIn(session) => {
                // A refresh the tenant refuses signs the admin out, saying why.
                session.tokens.on_end(move |why| {
                    auth.0.set(AuthState::SessionEnded(why.to_owned()));
                });
                if Permissions::of(&session.signed_in).is_admin() {
                    view! { <Layout session route /> }.into_any()
                } else {
                    view! { <NotAllowedPage session /> }.into_any()
                }
            }
        }
    }
}

/// The page at `route`, under the Dashboard's navigation: `/dashboard`
/// opens Applications; every other page is its section's.
fn page(section: Option<Section>, route: Memo<Route>) -> AnyView {
    match section {
        None => view! { <Redirect to=Section::Applications.path() /> }.into_any(),
        Some(section) => view! { <SectionPages section route /> }.into_any(),
    }
}

/// A section's pages. Each section's code is its own wasm module, fetched
/// the first time the section is opened (`scripts/build-frontend.sh` splits
/// it off at its `pages` function); this shows the page once it is here,
/// and then follows the route within the section.
#[component]
fn SectionPages(section: Section, route: Memo<Route>) -> impl IntoView {
    lazy_pages(move || match section {
        Section::Applications => Box::pin(applications::pages(route)),
        Section::Apis => Box::pin(apis::pages(route)),
        Section::Users => Box::pin(users::pages(route)),
        Section::Organizations => Box::pin(organizations::pages(route)),
        Section::Actions => Box::pin(actions::pages(route)),
        Section::Logs => Box::pin(logs::pages(route)),
        Section::Settings => Box::pin(settings::pages(route)),
    })
}

/// Pages whose code `fetch` brings (once; then it answers at once), shown
/// when it is here, with a progress line meanwhile and what went wrong if
/// it could not be fetched.
pub fn lazy_pages(fetch: impl Fn() -> Reply<ViewFn> + 'static) -> impl IntoView {
    widgets::show_loaded(load(fetch), Some("Loading the page…"), |pages| {
        pages.run()
    })
}

fn display_name(session: &Session) -> String {
    let signed_in = &session.signed_in;
    signed_in
        .email()
        .or(signed_in.name())
        .unwrap_or(signed_in.subject())
        .to_owned()
}

#[component]
fn SignOutButton(session: Arc<Session>) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    view! {
        <button
            type="button"
            class="button secondary small"
            data-testid="dashboard-sign-out"
            on:click=move |_| sign_in::sign_out(&session, auth.0)
        >
            "Sign out"
        </button>
    }
}

#[component]
fn Layout(session: Arc<Session>, route: Memo<Route>) -> impl IntoView {
    let who = display_name(&session);
    // Its pages are shown again only when the section changes; within it,
    // they follow the route themselves.
    let section = Memo::new(move |_| route.get().section());
    view! {
        <div class="dashboard" data-testid="dashboard">
            <div class="dash-bar">
                <span class="dash-title">"Dashboard"</span>
                <span class="dash-user" data-testid="dashboard-user">{who}</span>
                <SignOutButton session />
            </div>
            <div class="dash-body">
                <nav class="dash-nav" aria-label="Dashboard">
                    {Section::ALL
                        .into_iter()
                        .map(|section| {
                            view! {
                                <Link
                                    href=section.path()
                                    testid=format!("nav-{}", section.slug())
                                >
                                    {section.title()}
                                </Link>
                            }
                        })
                        .collect_view()}
                </nav>
                <div class="dash-main">{move || page(section.get(), route)}</div>
            </div>
        </div>
    }
}

/// Signed in, but the token carries no Management API permission.
#[component]
fn NotAllowedPage(session: Arc<Session>) -> impl IntoView {
    let who = display_name(&session);
    view! {
        <section class="panel not-allowed" data-testid="not-allowed-page">
            <h1>"Not allowed"</h1>
            <p>
                "You are signed in as "
                <strong data-testid="dashboard-user">{who}</strong>
                ", but your account has no permission to manage this tenant."
            </p>
            <p>
                "An admin can give you Management API permissions on the Users page of \
                 the Dashboard, or with "
                <code>"POST /api/v2/users/{id}/permissions"</code>
                "."
            </p>
            <SignOutButton session />
        </section>
    }
}

/// The sign-in failed: why, and a way to try again.
#[component]
fn DashboardSignInFailed(message: String) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    view! {
        <SignInFailed testid="dashboard-auth-error" message>
            <button
                type="button"
                class="button"
                data-testid="dashboard-try-again"
                on:click=move |_| {
                    sign_in::start_code_sign_in(DASHBOARD, auth.0, Some("/dashboard".to_owned()))
                }
            >
                "Try again"
            </button>
        </SignInFailed>
    }
}

/// The tenant refused to renew the admin's tokens: signed out, why, and a
/// way back to the page they were on.
#[component]
fn DashboardSignedOut(message: String) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    view! {
        <section class="auth-error" data-testid="dashboard-signed-out">
            <h1>"You are signed out"</h1>
            <p class="status error" role="alert" data-testid="dashboard-signed-out-message">
                "Your Dashboard session has ended: " {message}
            </p>
            <button
                type="button"
                class="button"
                data-testid="dashboard-sign-in"
                on:click=move |_| start_sign_in_again(auth)
            >
                "Sign in"
            </button>
        </section>
    }
}

/// `/dashboard/callback`: redeems the code and checks the answer, then
/// opens the page the admin was on.
#[component]
fn DashboardCallback() -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    sign_in::process_callback(DASHBOARD, auth.0);
    let location = use_location();
    Effect::new(move |_| {
        if let AuthState::SignedIn(session) = auth.0.get() {
            let to = session
                .return_to
                .clone()
                .filter(|path| path.starts_with("/dashboard") && path != DASHBOARD.callback_path)
                .unwrap_or_else(|| Section::Applications.path().to_owned());
            location.replace(&to);
        }
    });

    move || match auth.0.get() {
        AuthState::Failed(message) => view! { <DashboardSignInFailed message /> }.into_any(),
        _ => view! {
            <p class="status" data-testid="dashboard-checking">
                "Checking your sign-in with the tenant's signing keys…"
            </p>
        }
        .into_any(),
    }
}
