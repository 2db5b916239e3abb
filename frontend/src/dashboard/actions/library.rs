//! `/dashboard/actions/library`: the tenant's actions, and creating one
//! from its trigger's template.

use leptos::prelude::*;
use shared::actions::{Action, ActionCreate, SupportedTrigger, TriggerId};

use super::{not_allowed, ActionsTabs};
use crate::dashboard::admin;
use crate::dashboard::listing::Listing;
use crate::dashboard::model::{action_path, action_trigger, deployment, Section, TRIGGERS};
use crate::dashboard::widgets::{CreateForm, FormError, GeneralError, SelectField, TextField};
use crate::loading::Task;
use crate::route::{use_location, Link};

#[component]
pub fn LibraryPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Actions.read_scope()) {
        return not_allowed();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="actions-page">
            <div class="page-head">
                <h1>"Actions"</h1>
                {admin.can("create:actions").then(|| view! { <CreateAction /> })}
            </div>
            <ActionsTabs />
            <p class="note">
                "Code that runs when a token is issued. Deploy an action, then add it to its \
                 trigger under Triggers."
            </p>
            <Listing
                testid="actions"
                busy="Loading actions…"
                columns=&["Name", "Trigger", "Deployed", "Status"]
                fetch=move |page, _| api.list_actions(page)
                row=action_row
            />
        </section>
    }
    .into_any()
}

fn action_row(action: Action) -> AnyView {
    let href = action_path(&action.id);
    let trigger = action_trigger(&action).map_or("", TriggerId::as_str);
    let (version, status) = deployment(&action);
    view! {
        <tr data-testid="action-row" data-action-id=action.id.clone()>
            <td>
                <Link href testid="action-link">
                    {action.name}
                </Link>
            </td>
            <td>
                <code>{trigger}</code>
            </td>
            <td data-testid="action-version">{version}</td>
            <td data-testid="action-status">{status}</td>
        </tr>
    }
    .into_any()
}

/// A new action: its name and trigger; the tenant fills in the trigger's
/// template as its code.
#[component]
fn CreateAction() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let trigger = RwSignal::new(TriggerId::CredentialsExchange.as_str().to_owned());
    let error = FormError::new();
    let location = use_location();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let trigger =
            TriggerId::parse(&trigger.get_untracked()).unwrap_or(TriggerId::CredentialsExchange);
        let request = ActionCreate {
            name: name.get_untracked().trim().to_owned(),
            supported_triggers: vec![SupportedTrigger {
                id: trigger.as_str().to_owned(),
                version: trigger.version().to_owned(),
            }],
            ..Default::default()
        };
        create.run(api.create_action(&request), move |created| match created {
            Ok(created) => location.open(&action_path(&created.id)),
            Err(err) => error.set(err),
        });
    });

    view! {
        <CreateForm
            what="Action"
            title="Create Action"
            testid="create-action"
            busy=create.pending()
            on_submit=submit
        >
            <GeneralError error fields=&["name", "supported_triggers"] />
            <TextField field="name" label="Name" value=name error hint="e.g. Add the customer's plan." />
            <SelectField
                field="supported_triggers"
                label="Trigger"
                options=&TRIGGERS
                value=trigger
                error
            />
            <p class="hint">"It starts from the trigger's template; edit its code next."</p>
        </CreateForm>
    }
}
