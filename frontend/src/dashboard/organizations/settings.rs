//! An organization's Settings tab: its names, branding and metadata, and
//! the Danger Zone (delete the organization).

use leptos::prelude::*;
use shared::organizations::Organization;

use crate::dashboard::admin;
use crate::dashboard::model::{
    organization_form, organization_update, Section, ORGANIZATION_FIELDS,
};
use crate::dashboard::widgets::{DeleteItem, FormError, GeneralError, SaveActions, TextField};
use crate::loading::{current, Loaded, Task};

/// Each of [`ORGANIZATION_FIELDS`] as the form shows it: the heading it
/// starts, if any, its label and its hint.
const LABELS: [(Option<&str>, &str, &str); 6] = [
    (
        Some("General"),
        "Display Name",
        "What people see when they sign in to it.",
    ),
    (
        None,
        "Name",
        "How applications name it (organization=…): lowercase letters, digits, - and _.",
    ),
    (Some("Branding"), "Logo URL", "An https URL."),
    (None, "Primary Color", "A hex color, e.g. #635dff."),
    (None, "Page Background Color", "A hex color, e.g. #ffffff."),
    (
        Some("Metadata"),
        "Metadata",
        "One key: value a line, at most 25.",
    ),
];

#[component]
pub fn SettingsTab(organization: Loaded<Organization>) -> impl IntoView {
    let Some(initial) = current(organization) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = admin.can("update:organizations");
    let readonly = !editable;
    let values = organization_form(&initial).map(RwSignal::new);
    let error = FormError::new();
    let saved = RwSignal::new(false);
    let api = admin.api.clone();
    let id = initial.id.clone();
    let save = Task::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        let update = organization_update(&values.map(|value| value.get_untracked()));
        save.run(
            api.update_organization(&id, &update),
            move |updated| match updated {
                Ok(updated) => {
                    saved.set(true);
                    organization.set(Some(Ok(updated)));
                }
                Err(err) => error.set(err),
            },
        );
    };
    let fields = ORGANIZATION_FIELDS
        .into_iter()
        .zip(LABELS)
        .zip(values)
        .map(|((field, (heading, label, hint)), value)| {
            view! {
                {heading.map(|heading| view! { <h2>{heading}</h2> })}
                <TextField field label value error readonly hint multiline=field == "metadata" />
            }
        })
        .collect_view();
    let delete = admin.can("delete:organizations").then(|| {
        let (api, id) = (admin.api.clone(), initial.id.clone());
        let delete = Callback::new(move |()| api.delete_organization(&id));
        view! {
            <section class="panel danger-zone" data-testid="danger-zone">
                <h2>"Danger Zone"</h2>
                <DeleteItem
                    heading="Delete this organization"
                    note="Its members and its machine-to-machine access go with it; tokens already issued for it stay valid until they expire."
                    question="Delete the organization?"
                    consequence=format!("“{}” is deleted. This cannot be undone.", initial.name)
                    testid="delete-organization"
                    then=Section::Organizations.path()
                    delete
                />
            </section>
        }
    });

    view! {
        <form class="panel settings-form" data-testid="organization-settings" on:submit=submit>
            <GeneralError error fields=&ORGANIZATION_FIELDS />
            {fields}
            {editable.then(|| view! { <SaveActions label="Save" testid="save-organization" pending=save.pending() saved /> })}
        </form>
        {delete}
    }
    .into_any()
}
