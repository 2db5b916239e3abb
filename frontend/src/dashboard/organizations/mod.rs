//! Organizations: the list and creating one ([`list`]), and one
//! organization's page with its tabs: Settings with the Danger Zone
//! ([`settings`]), Members ([`members`]) and Machine to Machine Access
//! ([`machine_to_machine`]).

mod list;
mod machine_to_machine;
mod members;
mod settings;

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::organizations::Organization;

pub use self::list::OrganizationsPage;
use super::model::{OrgTab, Route, Section};
use super::widgets::{show_loaded, Breadcrumb, NotAllowed, SettingsRedirect, TabLinks};
use super::{admin, page_id};
use crate::api::ApiError;
use crate::loading::{load_by_id, loaded_part, Loaded};
use crate::route::{encode_segment, use_location};

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_organizations.wasm`, see `super::SectionPages`).
#[wasm_split(organizations, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Organizations => view! { <OrganizationsPage /> }.into_any(),
        Route::OrganizationHome => view! { <SettingsRedirect /> }.into_any(),
        Route::Organization => view! { <OrganizationPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

/// "You may not see organizations".
fn not_allowed() -> AnyView {
    view! { <NotAllowed what="organizations" scope="read:organizations" /> }.into_any()
}

/// `/dashboard/organizations/{id}/{tab}`.
#[component]
pub fn OrganizationPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Organizations.read_scope()) {
        return not_allowed();
    }
    let location = use_location();
    // The tab's segment; a memo of it re-renders the panel only when it changes.
    let tab = Memo::new(move |_| location.segment(3));
    let api = admin.api.clone();
    let organization = load_by_id(page_id(), move |id| api.get_organization(id));
    let loaded = Memo::new(move |_| loaded_part(organization, |o| o.id.clone()));

    view! {
        <section data-testid="organization-page">
            <Breadcrumb section=Section::Organizations />
            {show_loaded(
                organization,
                Some("Loading the organization…"),
                |o| {
                    view! {
                        <div class="page-head">
                            <h1 data-testid="organization-name">{o.display_name.unwrap_or(o.name)}</h1>
                            <code class="tag" data-testid="organization-id">{o.id}</code>
                        </div>
                    }
                        .into_any()
                },
            )}
            {move || {
                loaded
                    .get()
                    .map(|id| {
                        let base = format!("{}/{}", Section::Organizations.path(), encode_segment(&id));
                        view! {
                            <TabLinks label="Organization" base tabs=OrgTab::LINKS />
                            <TabPanel tab=OrgTab::from_segment(&tab.get()) id organization />
                        }
                    })
            }}
        </section>
    }
    .into_any()
}

#[component]
fn TabPanel(tab: OrgTab, id: String, organization: Loaded<Organization>) -> impl IntoView {
    match tab {
        OrgTab::Settings => view! { <settings::SettingsTab organization /> }.into_any(),
        OrgTab::Members => view! { <members::MembersTab id /> }.into_any(),
        OrgTab::MachineToMachine => {
            view! { <machine_to_machine::MachineToMachineTab id /> }.into_any()
        }
    }
}
