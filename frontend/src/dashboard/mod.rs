//! The Dashboard under `/dashboard`: an admin signs in through the tenant's
//! own `/authorize` as the built-in Dashboard client, for a Management API
//! token, and every page is a view of `/api/v2` with that token.
//!
//! What the token allows decides what is shown: without any Management API
//! permission the Dashboard says so and shows nothing else; a page whose
//! read scope is missing says so instead of failing.

pub mod apis;
pub mod applications;
pub mod management;
pub mod model;
pub mod settings;
pub mod users;
pub mod widgets;

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes, A};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::{path, NavigateOptions};

use self::management::Management;
use self::model::{Permissions, Section};
use crate::auth::DASHBOARD;
use crate::browser;
use crate::sign_in::{self, AuthState, Session};
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

/// The signed-in admin: who, what their token allows, and the API client.
#[derive(Clone)]
pub struct Admin {
    pub session: Option<Arc<Session>>,
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
            api: Management::new(&session.signed_in.access_token),
            session: Some(session),
        },
        _ => Admin {
            session: None,
            permissions: Arc::default(),
            api: Management::new(""),
        },
    }
}

/// Signs in again and comes back to this page (the token expired).
pub fn start_sign_in_again(auth: DashboardAuth) {
    sign_in::start_sign_in(DASHBOARD, auth.0, Some(browser::current_path()));
}

/// The Dashboard's root component: its own entry point and bundle.
#[component]
pub fn DashboardApp() -> impl IntoView {
    provide();
    view! {
        <Router>
            <SiteHeader />
            <main class="content">
                <Routes fallback=NotFound>
                    <DashboardRoutes />
                </Routes>
            </main>
        </Router>
    }
}

/// The Dashboard's routes, under `/dashboard`.
#[component(transparent)]
pub fn DashboardRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <ParentRoute path=path!("/dashboard") view=Shell>
            <Route path=path!("") view=|| view! { <Redirect path="/dashboard/applications" /> } />
            <Route path=path!("callback") view=DashboardCallback />
            <Route path=path!("applications") view=applications::ApplicationsPage />
            <Route path=path!("applications/:id") view=applications::ApplicationRedirect />
            <Route path=path!("applications/:id/:tab") view=applications::ApplicationPage />
            <Route path=path!("apis") view=apis::ApisPage />
            <Route path=path!("apis/:id") view=apis::ApiPage />
            <Route path=path!("users") view=users::UsersPage />
            <Route path=path!("users/:id") view=users::UserPage />
            <Route path=path!("settings") view=settings::SettingsPage />
        </ParentRoute>
    }
    .into_inner()
}

/// Every Dashboard page: signs the admin in first, then the navigation and
/// the page.
#[component]
fn Shell() -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    let location = use_location();
    let on_callback = Memo::new(move |_| location.pathname.get() == DASHBOARD.callback_path);

    Effect::new(move |_| {
        if !on_callback.get() && auth.0.get() == AuthState::NotStarted {
            sign_in::start_sign_in(DASHBOARD, auth.0, Some(browser::current_path()));
        }
    });

    move || {
        if on_callback.get() {
            return view! { <Outlet /> }.into_any();
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
            AuthState::Failed(message) => view! { <SignInFailed message /> }.into_any(),
            AuthState::SignedIn(session) => {
                if Permissions::of(&session.signed_in).is_admin() {
                    view! { <Layout session /> }.into_any()
                } else {
                    view! { <NotAllowedPage session /> }.into_any()
                }
            }
        }
    }
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
fn Layout(session: Arc<Session>) -> impl IntoView {
    let who = display_name(&session);
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
                                <A
                                    href=section.path()
                                    attr:data-testid=format!("nav-{}", section.slug())
                                >
                                    {section.title()}
                                </A>
                            }
                        })
                        .collect_view()}
                </nav>
                <div class="dash-main">
                    <Outlet />
                </div>
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

#[component]
fn SignInFailed(message: String) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    view! {
        <section class="auth-error" data-testid="dashboard-auth-error">
            <h1>"Sign-in did not complete"</h1>
            <p class="status error" role="alert" data-testid="dashboard-auth-error-message">
                {message}
            </p>
            <button
                type="button"
                class="button"
                data-testid="dashboard-try-again"
                on:click=move |_| {
                    sign_in::start_sign_in(DASHBOARD, auth.0, Some("/dashboard".to_owned()))
                }
            >
                "Try again"
            </button>
        </section>
    }
}

/// `/dashboard/callback`: checks the answer, then opens the page the admin
/// was on.
#[component]
fn DashboardCallback() -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    sign_in::process_callback(DASHBOARD, auth.0);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let AuthState::SignedIn(session) = auth.0.get() {
            let to = session
                .return_to
                .clone()
                .filter(|path| path.starts_with("/dashboard") && path != DASHBOARD.callback_path)
                .unwrap_or_else(|| Section::Applications.path().to_owned());
            navigate(
                &to,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    move || match auth.0.get() {
        AuthState::Failed(message) => view! { <SignInFailed message /> }.into_any(),
        _ => view! {
            <p class="status" data-testid="dashboard-checking">
                "Checking your sign-in with the tenant's signing keys…"
            </p>
        }
        .into_any(),
    }
}
