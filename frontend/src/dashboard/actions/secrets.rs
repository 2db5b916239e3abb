//! An action's secrets: listed by name (their values are write-only: the
//! API never shows them), added with a name and a value, and removed. Each
//! change is a PATCH of the whole list, the others by name only, so their
//! stored values are kept.

use leptos::prelude::*;
use shared::actions::{Action, ActionUpdate, SecretInfo, SecretInput};

use crate::dashboard::admin;
use crate::dashboard::model::{readable_time, secrets_with, secrets_without};
use crate::dashboard::widgets::{FormError, GeneralError};
use crate::loading::{current, loaded_part, Loaded, Task};

#[component]
pub fn Secrets(action: Loaded<Action>) -> impl IntoView {
    let admin = admin();
    let editable = admin.can("update:actions");
    let name = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let error = FormError::new();
    let task = Task::new();
    let busy = task.pending();
    let save = Callback::new(move |secrets: Vec<SecretInput>| {
        let Some(saved) = current(action) else {
            return;
        };
        error.clear();
        let update = ActionUpdate {
            secrets: Some(secrets),
            ..Default::default()
        };
        task.run(
            admin.api.update_action(&saved.id, &update),
            move |updated| match updated {
                Ok(updated) => {
                    name.set(String::new());
                    value.set(String::new());
                    action.set(Some(Ok(updated)));
                }
                Err(err) => error.set(err),
            },
        );
    });
    let listed = move || loaded_part(action, |a| a.secrets.clone()).unwrap_or_default();
    let remove = Callback::new(move |secret: String| save.run(secrets_without(&listed(), &secret)));
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.run(secrets_with(
            &listed(),
            name.get_untracked().trim(),
            &value.get_untracked(),
        ));
    };
    let message = error.for_field("secrets");

    view! {
        <section class="panel" data-testid="action-secrets">
            <h2>"Secrets"</h2>
            <p class="note">
                "Values the code reads as "
                <code>"event.secrets.NAME"</code>
                ". A value is stored encrypted and never shown again; each change is deployed with the next version."
            </p>
            <GeneralError error fields=&["secrets"] />
            <table class="list" data-testid="secrets">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Updated"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        listed()
                            .into_iter()
                            .map(|secret| view! { <SecretRow secret editable busy remove /> })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {editable
                .then(|| {
                    view! {
                        <form class="inline-form" data-testid="add-secret-form" on:submit=add>
                            <input
                                type="text"
                                placeholder="API_KEY"
                                aria-label="Secret name"
                                data-testid="new-secret-name"
                                autocomplete="off"
                                required
                                bind:value=name
                            />
                            <input
                                type="password"
                                placeholder="Value"
                                aria-label="Secret value"
                                data-testid="new-secret-value"
                                autocomplete="new-password"
                                required
                                bind:value=value
                            />
                            <button type="submit" class="button small" data-testid="add-secret" disabled=move || busy.get()>
                                {move || if busy.get() { "Saving…" } else { "+ Add" }}
                            </button>
                        </form>
                    }
                })}
            <p class="field-error" role="alert" data-testid="field-secrets-error">
                {message}
            </p>
        </section>
    }
}

#[component]
fn SecretRow(
    secret: SecretInfo,
    editable: bool,
    busy: Signal<bool>,
    remove: Callback<String>,
) -> impl IntoView {
    let button = editable.then(|| {
        let name = secret.name.clone();
        view! {
            <button
                type="button"
                class="button secondary small"
                data-testid="remove-secret"
                disabled=move || busy.get()
                on:click=move |_| remove.run(name.clone())
            >
                "Remove"
            </button>
        }
    });
    let name = secret.name.clone();
    view! {
        <tr data-testid="secret-row" data-name=name>
            <td>
                <code>{secret.name}</code>
            </td>
            <td>{readable_time(&secret.updated_at)}</td>
            <td>{button}</td>
        </tr>
    }
}
