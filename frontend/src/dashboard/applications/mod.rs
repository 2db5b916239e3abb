//! Applications: the list and creating one ([`list`]), and one
//! application's page with its tabs: Settings with the Danger Zone
//! ([`settings`]), Credentials ([`credentials`]) and APIs ([`apis`]).

mod apis;
mod credentials;
mod list;
mod settings;

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::management::Client;

pub use self::list::ApplicationsPage;
use super::model::{app_type_label, AppTab, Route, Section};
use super::widgets::{show_loaded, Breadcrumb, NotAllowed, SettingsRedirect, TabLinks};
use super::{admin, lazy_pages, page_id, RevealedSecret};
use crate::api::ApiError;
use crate::loading::{load_by_id, loaded_part, Loaded};
use crate::route::{encode_segment, use_location};

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_applications.wasm`, see `super::SectionPages`).
/// The list is where the Dashboard opens, so one application's pages are
/// fetched apart, when one is first opened.
#[wasm_split(applications, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Applications => view! { <ApplicationsPage /> }.into_any(),
        Route::ApplicationHome | Route::Application => {
            lazy_pages(move || Box::pin(application_pages(route))).into_any()
        }
        _ => ().into_any(),
    }))
}

/// One application's pages (`split_application.wasm`).
#[wasm_split(application, wasm_split_path = ::leptos::wasm_split, fallible)]
fn application_pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::ApplicationHome => view! { <SettingsRedirect /> }.into_any(),
        Route::Application => view! { <ApplicationPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

/// `/dashboard/applications/{id}/{tab}`.
#[component]
pub fn ApplicationPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Applications.read_scope()) {
        return view! { <NotAllowed what="applications" scope="read:clients" /> }.into_any();
    }
    let id = page_id();
    let location = use_location();
    // The tab's segment; a memo of it re-renders the panel only when it changes.
    let tab = Memo::new(move |_| location.segment(3));
    let api = admin.api.clone();
    let client = load_by_id(id, move |id| api.get_client(id));
    forget_secret_elsewhere(id);
    let loaded = Memo::new(move |_| loaded_part(client, |c| c.client_id.clone()));

    view! {
        <section data-testid="application-page">
            <Breadcrumb section=Section::Applications />
            {show_loaded(
                client,
                Some("Loading the application…"),
                |c| {
                    view! {
                        <div class="page-head">
                            <h1 data-testid="application-name">{c.name}</h1>
                            <span class="tag">{app_type_label(c.app_type)}</span>
                        </div>
                    }
                        .into_any()
                },
            )}
            {move || {
                loaded
                    .get()
                    .map(|client_id| {
                        let base = format!("{}/{}", Section::Applications.path(), encode_segment(&client_id));
                        view! { <TabLinks label="Application" base tabs=AppTab::LINKS /> }
                    })
            }}
            {move || loaded.get().map(|_| view! { <TabPanel tab=AppTab::from_segment(&tab.get()) client /> })}
        </section>
    }
    .into_any()
}

/// A revealed secret is shown only on its application's pages: it is
/// dropped when the admin leaves them or opens another application.
fn forget_secret_elsewhere(id: Memo<String>) {
    let revealed = expect_context::<RevealedSecret>();
    on_cleanup(move || revealed.0.set(None));
    Effect::new(move |_| {
        let id = id.get();
        if revealed
            .0
            .with_untracked(|r| r.as_ref().is_some_and(|(c, _)| *c != id))
        {
            revealed.0.set(None);
        }
    });
}

#[component]
fn TabPanel(tab: AppTab, client: Loaded<Client>) -> impl IntoView {
    match tab {
        AppTab::Settings => view! { <settings::SettingsTab client /> }.into_any(),
        AppTab::Credentials => view! { <credentials::CredentialsTab client /> }.into_any(),
        AppTab::Apis => view! { <apis::ApisTab client /> }.into_any(),
    }
}
