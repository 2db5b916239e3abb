//! Edge Tenant's single-page app (Leptos, client-side rendered): the tenant's
//! sample OIDC client ([`sample_client::App`]) and the admin Dashboard
//! ([`dashboard::DashboardApp`]). They are two entry points, built as two
//! wasm bundles, so neither page downloads the other's code; `index.html`
//! loads the Dashboard's under `/dashboard`.
//!
//! Network calls live in [`api`], the sign-in rules in [`auth`], a
//! session's tokens and their refreshes in [`tokens`], and the browser APIs
//! they need in [`browser`]; both bundles wait for answers the
//! same way ([`loading`]) and move between their pages with [`route`]. This
//! module holds what every page shows.

pub mod api;
pub mod auth;
pub mod browser;
#[cfg(feature = "dashboard")]
pub mod dashboard;
pub mod loading;
pub mod route;
pub mod sample_client;
pub mod sign_in;
pub mod tokens;

use leptos::prelude::*;

use crate::route::Link;

/// The product name shown in the UI.
pub const PRODUCT_NAME: &str = "Edge Tenant";

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

/// Fallback for every path no page matches.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section id="not-found" data-testid="not-found-page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <HomeLink />
        </section>
    }
}

/// "Back to the home page": the sample client's `/`.
#[component]
pub fn HomeLink() -> impl IntoView {
    view! {
        <p>
            <Link href="/" testid="home-link">
                "Back to the home page"
            </Link>
        </p>
    }
}
