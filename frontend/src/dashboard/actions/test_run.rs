//! Testing an action: an event (JSON, prefilled with a sample for its
//! trigger) and **Run**, which saves the code typed in the editor as the
//! draft and runs the draft with that event; then what it did: the
//! commands it gave `api`, what it logged and the error it ended with.
//! Nothing is issued and nothing is recorded.

use leptos::prelude::*;
use shared::actions::Action;

use super::action::save_draft;
use crate::api::management::TestRun as Outcome;
use crate::api::Reply;
use crate::dashboard::admin;
use crate::dashboard::model::{action_trigger, check_event, command_line, sample_event};
use crate::dashboard::widgets::{FormError, GeneralError};
use crate::loading::{current, Loaded, Task};

#[component]
pub fn TestRun(action: Loaded<Action>, code: RwSignal<String>) -> impl IntoView {
    let admin = admin();
    let Some(initial) = current(action) else {
        return ().into_any();
    };
    // Testing runs the code: Auth0 counts it as an update.
    if !admin.can("update:actions") {
        return ().into_any();
    }
    let event = RwSignal::new(
        action_trigger(&initial)
            .map(sample_event)
            .unwrap_or_default(),
    );
    let error = FormError::new();
    let local_error = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Outcome>);
    let task = Task::new();
    let busy = task.pending();
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(saved) = current(action) else {
            return;
        };
        error.clear();
        let typed = event.get_untracked();
        if let Err(message) = check_event(&typed) {
            return local_error.set(Some(message));
        }
        local_error.set(None);
        let saving = save_draft(saved, code.get_untracked());
        let api = admin.api.clone();
        let reply: Reply<(Action, Outcome)> = Box::pin(async move {
            let saved = saving.await?;
            let outcome = api.test_action(&saved.id, &typed).await?;
            Ok((saved, outcome))
        });
        task.run(reply, move |result| match result {
            Ok((saved, ran)) => {
                action.set(Some(Ok(saved)));
                outcome.set(Some(ran));
            }
            Err(err) => error.set(err),
        });
    };
    let message = move || local_error.get().or_else(error.for_field("payload"));

    view! {
        <form class="panel" data-testid="action-test" on:submit=run>
            <h2>"Test"</h2>
            <p class="note">
                "Runs the code in the editor (saved as the draft first) with this event and its secrets. \
                 No token is issued."
            </p>
            <GeneralError error fields=&["payload", "code"] />
            <div class="field">
                <label for="field-payload">"Event"</label>
                <textarea
                    id="field-payload"
                    class="code-editor"
                    rows="12"
                    spellcheck="false"
                    data-testid="field-payload"
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby="field-payload-error"
                    bind:value=event
                ></textarea>
                <p class="field-error" id="field-payload-error" data-testid="field-payload-error" role="alert">
                    {message}
                </p>
            </div>
            <div class="actions">
                <button type="submit" class="button" data-testid="run-test" disabled=move || busy.get()>
                    {move || if busy.get() { "Running…" } else { "Run" }}
                </button>
            </div>
            {move || outcome.get().map(|outcome| view! { <Result outcome /> })}
        </form>
    }
    .into_any()
}

/// What a test run did.
#[component]
fn Result(outcome: Outcome) -> impl IntoView {
    let commands = if outcome.commands.is_empty() {
        view! { <p class="note">"None."</p> }.into_any()
    } else {
        view! {
            <ul class="commands">
                {outcome
                    .commands
                    .iter()
                    .map(|command| view! { <li data-testid="test-command"><code>{command_line(command)}</code></li> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let logs = if outcome.logs.is_empty() {
        view! { <p class="note">"Nothing logged."</p> }.into_any()
    } else {
        view! { <pre class="log" data-testid="test-logs">{outcome.logs.join("\n")}</pre> }
            .into_any()
    };
    view! {
        <div class="test-result" data-testid="test-result" role="status">
            <h3>{format!("Ran in {} ms", outcome.duration_ms)}</h3>
            {outcome
                .error
                .map(|error| {
                    view! {
                        <p class="status error" data-testid="test-error">
                            {format!("It failed: {error}")}
                        </p>
                    }
                })}
            <h4>"Commands"</h4>
            <div data-testid="test-commands">{commands}</div>
            <h4>"Logs"</h4>
            {logs}
        </div>
    }
}
