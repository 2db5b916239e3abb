//! Edge Tenant's single-page app (Leptos, client-side rendered): the tenant's
//! sample OIDC client, later also the admin Dashboard.
//!
//! Network calls live in [`api`]; this module only renders.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use shared::discovery::ProviderMetadata;

use crate::api::ApiError;

/// The product name shown in the UI.
pub const PRODUCT_NAME: &str = "Edge Tenant";

/// Root component: the header and the routed pages.
#[component]
pub fn App() -> impl IntoView {
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
                </Routes>
            </main>
        </Router>
    }
}

/// `/`: what this app is, and the tenant's discovery metadata.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <section id="home" data-testid="home-page">
            <h1 data-testid="product-name">{PRODUCT_NAME}</h1>
            <p class="lede" data-testid="tagline">
                "This is the tenant's sample client."
            </p>
            <TenantPanel />
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
