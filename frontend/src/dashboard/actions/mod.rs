//! Actions: the Library of the tenant's actions and creating one from its
//! trigger's template ([`library`]); an action's page ([`action`]): its
//! code, saved as a draft and deployed, its secrets ([`secrets`]), a test
//! run of the draft ([`test_run`]), its versions and rolling back to one
//! ([`versions`]), and deleting it; and the Triggers, each with the actions
//! bound to it in order ([`triggers`]).

mod action;
mod library;
mod secrets;
mod test_run;
mod triggers;
mod versions;

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;

use super::model::{Route, Section, ACTIONS_TABS};
use super::widgets::{NotAllowed, TabLinks};
use crate::api::ApiError;
use crate::route::Redirect;

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_actions.wasm`, see `super::SectionPages`).
#[wasm_split(actions, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::ActionsHome => {
            view! { <Redirect to=format!("{}/library", Section::Actions.path()) /> }.into_any()
        }
        Route::ActionsLibrary => view! { <library::LibraryPage /> }.into_any(),
        Route::Action => view! { <action::ActionPage /> }.into_any(),
        Route::Triggers => view! { <triggers::TriggersPage /> }.into_any(),
        Route::Trigger => view! { <triggers::TriggerPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

/// "You may not see actions".
fn not_allowed() -> AnyView {
    view! { <NotAllowed what="actions" scope="read:actions" /> }.into_any()
}

/// The section's tabs, Library and Triggers.
#[component]
fn ActionsTabs() -> impl IntoView {
    view! { <TabLinks label="Actions" base=Section::Actions.path().to_owned() tabs=ACTIONS_TABS /> }
}
