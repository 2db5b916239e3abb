//! `/dashboard/actions/library/{id}`: one action. Its code in an editor,
//! saved as the draft (**Save Draft**) and made a new version the trigger
//! runs (**Deploy**, which saves what was typed first); its secrets, a test
//! run and its versions below; and deleting it.

use leptos::prelude::*;
use shared::actions::{Action, ActionUpdate, Binding};

use super::not_allowed;
use super::secrets::Secrets;
use super::test_run::TestRun;
use super::versions::Versions;
use crate::api::Reply;
use crate::browser;
use crate::dashboard::admin;
use crate::dashboard::model::{action_trigger, deployment, Section};
use crate::dashboard::widgets::{show_loaded, Breadcrumb, DeleteItem, ErrorNotice, FormError};
use crate::loading::{current, load, load_by_id, loaded_part, Loaded, Task};
use crate::route::use_location;

/// Spaces a Tab inserts in the code editor.
const INDENT: &str = "  ";

#[component]
pub fn ActionPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Actions.read_scope()) {
        return not_allowed();
    }
    let location = use_location();
    let id = Memo::new(move |_| location.segment(3));
    let api = admin.api.clone();
    let action = load_by_id(id, move |id| api.get_action(id));
    let loaded = Memo::new(move |_| loaded_part(action, |a| a.id.clone()));

    view! {
        <section data-testid="action-page">
            <Breadcrumb section=Section::Actions />
            {show_loaded(
                action,
                Some("Loading the action…"),
                |a| {
                    let trigger = action_trigger(&a).map_or("", |t| t.as_str());
                    let (version, status) = deployment(&a);
                    view! {
                        <div class="page-head">
                            <h1 data-testid="action-name">{a.name}</h1>
                            <code class="tag" data-testid="action-trigger">{trigger}</code>
                        </div>
                        <p class="note">
                            <span data-testid="action-version">{version}</span>
                            " · "
                            <span data-testid="action-status">{status}</span>
                        </p>
                    }
                        .into_any()
                },
            )}
            {move || {
                loaded
                    .get()
                    .map(|_| {
                        // What is typed in the editor, shared with the test run,
                        // which saves it first.
                        let code = RwSignal::new(current(action).map(|a| a.code).unwrap_or_default());
                        view! {
                            <Editor action code />
                            <Secrets action />
                            <TestRun action code />
                            <Versions action code />
                            <DeleteAction action />
                        }
                    })
            }}
        </section>
    }
    .into_any()
}

/// Saves `code` as the draft of `saved` (the action as last loaded) unless
/// it is its code already; the action as it is then.
pub fn save_draft(saved: Action, code: String) -> Reply<Action> {
    let api = admin().api;
    Box::pin(async move {
        if saved.code == code {
            return Ok(saved);
        }
        let update = ActionUpdate {
            code: Some(code),
            ..Default::default()
        };
        api.update_action(&saved.id, &update).await
    })
}

/// What the last save or deploy did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Saved,
    Deployed,
}

#[component]
fn Editor(action: Loaded<Action>, code: RwSignal<String>) -> impl IntoView {
    let editable = admin().can("update:actions");
    let error = FormError::new();
    let done = RwSignal::new(None::<Done>);
    let task = Task::new();
    let busy = task.pending();
    // Save Draft, and Deploy: the draft saved first, then deployed, then
    // the action read again for its deployed version.
    let run = move |deploy: bool| {
        let Some(saved) = current(action) else {
            return;
        };
        error.clear();
        done.set(None);
        let saving = save_draft(saved, code.get_untracked());
        let api = admin().api;
        let reply: Reply<Action> = Box::pin(async move {
            let saved = saving.await?;
            if !deploy {
                return Ok(saved);
            }
            api.deploy_action(&saved.id).await?;
            api.get_action(&saved.id).await
        });
        task.run(reply, move |result| match result {
            Ok(updated) => {
                action.set(Some(Ok(updated)));
                done.set(Some(if deploy { Done::Deployed } else { Done::Saved }));
            }
            Err(err) => error.set(err),
        });
    };
    let message = error.for_field("code");
    let general = error.general(&["code"]);
    let indent = move |ev: leptos::ev::KeyboardEvent| {
        let plain = !(ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.shift_key());
        if ev.key() == "Tab" && plain {
            if let Some(text) = browser::insert_at_cursor(&ev, INDENT) {
                ev.prevent_default();
                code.set(text);
            }
        }
    };

    view! {
        <section class="panel" data-testid="action-code">
            <h2>"Code"</h2>
            <p class="note">
                "JavaScript: export the trigger's function. Secrets are in "
                <code>"event.secrets"</code>
                "; "
                <code>"api.accessToken.setCustomClaim(name, value)"</code>
                " adds a claim."
            </p>
            {move || general().map(|err| view! { <ErrorNotice err /> })}
            <div class="field">
                <label for="field-code">"Code"</label>
                <textarea
                    id="field-code"
                    class="code-editor"
                    rows="18"
                    spellcheck="false"
                    data-testid="field-code"
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby="field-code-error"
                    readonly=!editable
                    bind:value=code
                    on:keydown=indent
                ></textarea>
                <p class="field-error" id="field-code-error" data-testid="field-code-error" role="alert">
                    {message}
                </p>
            </div>
            {editable
                .then(|| {
                    view! {
                        <div class="actions">
                            <button
                                type="button"
                                class="button secondary"
                                data-testid="save-draft"
                                disabled=move || busy.get()
                                on:click=move |_| run(false)
                            >
                                "Save Draft"
                            </button>
                            <button
                                type="button"
                                class="button"
                                data-testid="deploy-action"
                                disabled=move || busy.get()
                                on:click=move |_| run(true)
                            >
                                {move || if busy.get() { "Working…" } else { "Deploy" }}
                            </button>
                            {move || {
                                done.get()
                                    .map(|done| {
                                        let text = match done {
                                            Done::Saved => "Draft saved.",
                                            Done::Deployed => "Deployed.",
                                        };
                                        view! { <span class="status ok" role="status" data-testid="saved">{text}</span> }
                                    })
                            }}
                        </div>
                    }
                })}
        </section>
    }
}

#[component]
fn DeleteAction(action: Loaded<Action>) -> impl IntoView {
    let Some(initial) = current(action) else {
        return ().into_any();
    };
    let admin = admin();
    if !admin.can("delete:actions") {
        return ().into_any();
    }
    // A bound action is deleted with `force`, which also unbinds it: the
    // item is offered once its trigger's bindings say which.
    let trigger = action_trigger(&initial)
        .map_or("", |t| t.as_str())
        .to_owned();
    let bindings = {
        let api = admin.api.clone();
        load(move || api.bindings(&trigger))
    };
    let item = move |bindings: Vec<Binding>| {
        let bound = bindings.iter().any(|b| b.action.id == initial.id);
        let (api, id) = (admin.api.clone(), initial.id.clone());
        let delete = Callback::new(move |()| api.delete_action(&id, bound));
        let consequence = if bound {
            format!(
                "“{}” is bound to its trigger: deleting it removes it from there too, and its versions are deleted.",
                initial.name
            )
        } else {
            format!("“{}” and its versions are deleted.", initial.name)
        };
        view! {
            <DeleteItem
                heading="Delete this action"
                note="Tokens no longer run it once it is deleted."
                question="Delete the action?"
                consequence
                testid="delete-action"
                then="/dashboard/actions/library"
                delete
            />
        }
        .into_any()
    };
    view! {
        <section class="panel danger-zone" data-testid="danger-zone">
            <h2>"Danger Zone"</h2>
            {show_loaded(bindings, None, item)}
        </section>
    }
    .into_any()
}
