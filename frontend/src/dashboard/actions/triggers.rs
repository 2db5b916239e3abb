//! `/dashboard/actions/triggers`: the triggers; and one trigger's page,
//! the actions bound to it in the order they run: added (from the deployed
//! actions of that trigger), removed and moved, then applied with one
//! PATCH of the whole list. A failed apply keeps the list as edited.

use leptos::prelude::*;
use shared::actions::{Action, Trigger, TriggerId};

use super::{not_allowed, ActionsTabs};
use crate::dashboard::admin;
use crate::dashboard::model::{
    action_path, bindings_update, bound_actions, moved, trigger_label, trigger_path, BoundAction,
    Section,
};
use crate::dashboard::widgets::{show_answer, show_loaded, FormError, GeneralError, SaveActions};
use crate::loading::{load, load_by_id, Task};
use crate::route::{use_location, Link};

#[component]
pub fn TriggersPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Actions.read_scope()) {
        return not_allowed();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="triggers-page">
            <div class="page-head">
                <h1>"Actions"</h1>
            </div>
            <ActionsTabs />
            <p class="note">"Each trigger runs the actions bound to it, in order."</p>
            {show_answer(
                Some("Loading triggers…"),
                move || api.triggers(),
                |triggers| {
                    view! {
                        <table class="list" data-testid="triggers">
                            <thead>
                                <tr>
                                    <th>"Trigger"</th>
                                    <th>"When it runs"</th>
                                    <th>"Version"</th>
                                </tr>
                            </thead>
                            <tbody>{triggers.into_iter().map(trigger_row).collect_view()}</tbody>
                        </table>
                    }
                        .into_any()
                },
            )}
        </section>
    }
    .into_any()
}

fn trigger_row(trigger: Trigger) -> AnyView {
    let label = TriggerId::parse(&trigger.id).map_or("", trigger_label);
    let (id, href) = (trigger.id.clone(), trigger_path(&trigger.id));
    view! {
        <tr data-testid="trigger-row" data-trigger=id>
            <td>
                <Link href testid="trigger-link">
                    <code>{trigger.id}</code>
                </Link>
            </td>
            <td>{label}</td>
            <td>{trigger.version}</td>
        </tr>
    }
    .into_any()
}

/// `/dashboard/actions/triggers/{id}`.
#[component]
pub fn TriggerPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Actions.read_scope()) {
        return not_allowed();
    }
    let location = use_location();
    let trigger = Memo::new(move |_| location.segment(3));
    let api = admin.api.clone();
    let bindings = load_by_id(trigger, move |id| api.bindings(id));

    view! {
        <section data-testid="trigger-page">
            <p class="breadcrumb">
                <Link href=format!("{}/triggers", Section::Actions.path()) testid="back-to-triggers">
                    "← Triggers"
                </Link>
            </p>
            <div class="page-head">
                <h1 data-testid="trigger-name">{move || trigger.get()}</h1>
                <span class="tag">
                    {move || TriggerId::parse(&trigger.get()).map_or("", trigger_label)}
                </span>
            </div>
            {show_loaded(
                bindings,
                Some("Loading the bound actions…"),
                move |bindings| {
                    view! { <Bindings trigger=trigger.get_untracked() bound=bound_actions(&bindings) /> }
                        .into_any()
                },
            )}
        </section>
    }
    .into_any()
}

/// A change of the list being edited.
type Edit = Box<dyn FnOnce(&mut Vec<BoundAction>)>;

/// The bound actions, in order, as edited; applied with one PATCH.
#[component]
fn Bindings(trigger: String, bound: Vec<BoundAction>) -> impl IntoView {
    let admin = admin();
    let editable = admin.can("update:actions");
    let list = RwSignal::new(bound);
    let error = FormError::new();
    let saved = RwSignal::new(false);
    let task = Task::new();
    let busy = task.pending();
    let edit = move |change: Edit| {
        saved.set(false);
        list.update(|list| change(list));
    };
    let apply = {
        let (api, trigger) = (admin.api.clone(), trigger.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            error.clear();
            saved.set(false);
            let update = bindings_update(&list.get_untracked());
            task.run(
                api.update_bindings(&trigger, &update),
                move |result| match result {
                    Ok(bindings) => {
                        list.set(bound_actions(&bindings));
                        saved.set(true);
                    }
                    Err(err) => error.set(err),
                },
            );
        }
    };
    let rows = move || {
        let list = list.get();
        let last = list.len().saturating_sub(1);
        list.into_iter()
            .enumerate()
            .map(|(index, bound)| {
                let controls = editable.then(|| {
                    view! {
                        <button
                            type="button"
                            class="button secondary small"
                            data-testid="move-up"
                            aria-label="Move up"
                            disabled=index == 0
                            on:click=move |_| edit(Box::new(move |list| *list = moved(list, index, true)))
                        >
                            "↑"
                        </button>
                        <button
                            type="button"
                            class="button secondary small"
                            data-testid="move-down"
                            aria-label="Move down"
                            disabled=index == last
                            on:click=move |_| edit(Box::new(move |list| *list = moved(list, index, false)))
                        >
                            "↓"
                        </button>
                        <button
                            type="button"
                            class="button secondary small"
                            data-testid="remove-binding"
                            on:click=move |_| edit(Box::new(move |list| { list.remove(index); }))
                        >
                            "Remove"
                        </button>
                    }
                });
                let version = bound.version.map(|n| format!("v{n}")).unwrap_or_default();
                view! {
                    <tr data-testid="binding-row" data-action-id=bound.action_id.clone()>
                        <td>{index + 1}</td>
                        <td>
                            <Link href=action_path(&bound.action_id) testid="binding-link">
                                {bound.display_name}
                            </Link>
                        </td>
                        <td>{version}</td>
                        <td>{controls}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let empty = move || list.with(Vec::is_empty);

    view! {
        <form class="panel" data-testid="bindings-form" on:submit=apply>
            <h2>"Bound actions"</h2>
            <p class="note">"They run in this order each time the trigger fires."</p>
            <GeneralError error fields=&["bindings"] />
            <table class="list" data-testid="bindings">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>"Action"</th>
                        <th>"Deployed"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {move || {
                empty().then(|| view! { <p class="note" data-testid="no-bindings">"No action runs at this trigger."</p> })
            }}
            <p class="field-error" role="alert" data-testid="field-bindings-error">
                {error.for_field("bindings")}
            </p>
            {editable
                .then(|| {
                    view! {
                        <AddBinding trigger list on_add=Callback::new(move |bound: BoundAction| {
                            edit(Box::new(move |list| list.push(bound)))
                        }) />
                        <SaveActions label="Apply" testid="apply-bindings" pending=busy saved />
                    }
                })}
        </form>
    }
}

/// A choice among the deployed actions of the trigger not bound yet.
#[component]
fn AddBinding(
    trigger: String,
    list: RwSignal<Vec<BoundAction>>,
    on_add: Callback<BoundAction>,
) -> impl IntoView {
    let api = admin().api;
    let deployed = load(move || api.deployed_actions(&trigger));
    let chosen = RwSignal::new(String::new());
    let choices = move |actions: Vec<Action>| {
        let unbound: Vec<Action> = actions
            .into_iter()
            .filter(|a| list.with(|list| list.iter().all(|b| b.action_id != a.id)))
            .collect();
        if unbound.is_empty() {
            return view! {
                <p class="note" data-testid="nothing-to-add">
                    "Every deployed action of this trigger is bound. Deploy another in the Library to add it."
                </p>
            }
            .into_any();
        }
        let add = {
            let unbound = unbound.clone();
            move |_| {
                let id = chosen.get_untracked();
                if let Some(action) = unbound.iter().find(|a| a.id == id) {
                    on_add.run(BoundAction::of(action));
                    chosen.set(String::new());
                }
            }
        };
        view! {
            <div class="inline-form">
                <select
                    aria-label="Action to add"
                    data-testid="add-binding-choice"
                    prop:value=move || chosen.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))
                >
                    <option value="">"Choose a deployed action…"</option>
                    {unbound
                        .iter()
                        .map(|a| view! { <option value=a.id.clone()>{a.name.clone()}</option> })
                        .collect_view()}
                </select>
                <button type="button" class="button secondary small" data-testid="add-binding" on:click=add>
                    "+ Add"
                </button>
            </div>
        }
        .into_any()
    };
    show_loaded(deployed, Some("Loading deployed actions…"), choices)
}
