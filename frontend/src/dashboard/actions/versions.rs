//! An action's versions, newest first, and rolling back to one: the tenant
//! deploys a copy of it as a new version (and, when asked, makes its code
//! the draft again).

use leptos::prelude::*;
use shared::actions::{Action, ActionVersion};

use crate::api::{ApiError, Reply};
use crate::dashboard::admin;
use crate::dashboard::listing::Listing;
use crate::dashboard::model::readable_time;
use crate::dashboard::widgets::ErrorLine;
use crate::loading::{current, loaded_part, Loaded, Task};

/// Rolling back, offered on each row when the admin may: the rows of a
/// [`Listing`] are plain functions, so they find it in context.
#[derive(Debug, Clone, Copy)]
struct RollBack {
    /// The version being confirmed: its id and number.
    asking: RwSignal<Option<(String, u64)>>,
}

#[component]
pub fn Versions(action: Loaded<Action>, code: RwSignal<String>) -> impl IntoView {
    let admin = admin();
    let Some(initial) = current(action) else {
        return ().into_any();
    };
    let id = initial.id.clone();
    // Listed again whenever another version is deployed.
    let deployed = Memo::new(move |_| {
        loaded_part(action, |a| {
            a.deployed_version.as_ref().map(|v| v.id.clone())
        })
        .flatten()
    });
    let asking = RwSignal::new(None::<(String, u64)>);
    if admin.can("update:actions") {
        provide_context(RollBack { asking });
    }
    let api = admin.api.clone();

    view! {
        <section class="panel" data-testid="action-versions">
            <h2>"Versions"</h2>
            <p class="note">"Each deploy makes a version; the trigger runs the deployed one."</p>
            {move || {
                asking
                    .get()
                    .map(|(version_id, number)| {
                        view! { <ConfirmRollBack action code asking version_id number /> }
                    })
            }}
            <Listing
                testid="versions"
                busy="Loading versions…"
                columns=&["Version", "", "Created", ""]
                fetch=move |page, _| {
                    // Read, not only tracked: a memo that never ran follows nothing.
                    let _ = deployed.get();
                    api.list_versions(&id, page)
                }
                row=version_row
            />
        </section>
    }
    .into_any()
}

fn version_row(version: ActionVersion) -> AnyView {
    let roll_back = (!version.deployed)
        .then(use_context::<RollBack>)
        .flatten()
        .map(|RollBack { asking }| {
            let (id, number) = (version.id.clone(), version.number);
            view! {
                <button
                    type="button"
                    class="button secondary small"
                    data-testid="roll-back"
                    on:click=move |_| asking.set(Some((id.clone(), number)))
                >
                    "Roll back"
                </button>
            }
        });
    view! {
        <tr data-testid="version-row" data-number=version.number.to_string()>
            <td>{format!("v{}", version.number)}</td>
            <td>{version.deployed.then(|| view! { <span class="tag">"Deployed"</span> })}</td>
            <td>{readable_time(&version.created_at)}</td>
            <td>{roll_back}</td>
        </tr>
    }
    .into_any()
}

/// "Deploy v2 again?", and whether its code becomes the draft.
#[component]
fn ConfirmRollBack(
    action: Loaded<Action>,
    code: RwSignal<String>,
    asking: RwSignal<Option<(String, u64)>>,
    version_id: String,
    number: u64,
) -> impl IntoView {
    let update_draft = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let task = Task::new();
    let busy = task.pending();
    let confirm = move |_| {
        let Some(saved) = current(action) else {
            return;
        };
        error.set(None);
        let api = admin().api;
        let (version_id, update_draft) = (version_id.clone(), update_draft.get_untracked());
        let reply: Reply<Action> = Box::pin(async move {
            api.roll_back(&saved.id, &version_id, update_draft).await?;
            api.get_action(&saved.id).await
        });
        task.run(reply, move |result| match result {
            Ok(updated) => {
                if update_draft {
                    code.set(updated.code.clone());
                }
                action.set(Some(Ok(updated)));
                asking.set(None);
            }
            Err(err) => error.set(Some(err)),
        });
    };
    let question = format!("Roll back to v{number}?");
    let label = question.clone();
    view! {
        <div class="confirm" role="dialog" aria-modal="false" aria-label=label data-testid="roll-back-dialog">
            <h3>{question}</h3>
            <p>{format!("v{number}'s code and secrets are deployed again, as a new version.")}</p>
            <label class="choice">
                <input type="checkbox" data-testid="roll-back-update-draft" bind:checked=update_draft />
                "Also make its code the draft (replaces what is in the editor)"
            </label>
            <ErrorLine error />
            <div class="actions">
                <button
                    type="button"
                    class="button"
                    data-testid="confirm"
                    disabled=move || busy.get()
                    on:click=confirm
                >
                    {move || if busy.get() { "Working…" } else { "Roll back" }}
                </button>
                <button
                    type="button"
                    class="button secondary"
                    data-testid="cancel"
                    disabled=move || busy.get()
                    on:click=move |_| asking.set(None)
                >
                    "Cancel"
                </button>
            </div>
        </div>
    }
}
