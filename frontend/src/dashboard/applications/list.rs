//! `/dashboard/applications`: the list, and creating an application.

use leptos::prelude::*;
use shared::management::{AppType, Client, ClientCreate};

use crate::dashboard::listing::Listing;
use crate::dashboard::model::{
    app_type_label, application_path, AppTab, Section, CREATABLE_APP_TYPES,
};
use crate::dashboard::widgets::{CreateForm, FormError, GeneralError, NotAllowed, TextField};
use crate::dashboard::{admin, RevealedSecret};
use crate::loading::Task;
use crate::route::{use_location, Link};

/// `/dashboard/applications`.
#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Applications.read_scope()) {
        return view! { <NotAllowed what="applications" scope="read:clients" /> }.into_any();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="applications-page">
            <div class="page-head">
                <h1>"Applications"</h1>
                {admin.can("create:clients").then(|| view! { <CreateApplication /> })}
            </div>
            <Listing
                testid="applications"
                busy="Loading applications…"
                columns=&["Name", "Type", "Client ID", "Party"]
                fetch=move |page, _| api.list_clients(page)
                row=application_row
            />
        </section>
    }
    .into_any()
}

fn application_row(client: Client) -> AnyView {
    let href = application_path(&client.client_id, AppTab::Settings);
    let client_id = client.client_id.clone();
    view! {
        <tr data-testid="application-row" data-client-id=client_id>
            <td>
                <Link href testid="application-link">
                    {client.name}
                </Link>
            </td>
            <td>{app_type_label(client.app_type)}</td>
            <td>
                <code>{client.client_id}</code>
            </td>
            <td>{if client.is_first_party { "First party" } else { "Third party" }}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateApplication() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let app_type = RwSignal::new(AppType::NonInteractive.as_str().to_owned());
    let error = FormError::new();
    let revealed = expect_context::<RevealedSecret>();
    let location = use_location();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let request = ClientCreate {
            name: name.get_untracked().trim().to_owned(),
            app_type: AppType::parse(&app_type.get_untracked()),
            ..Default::default()
        };
        create.run(api.create_client(&request), move |created| match created {
            Ok(client) => {
                let tab = match client.client_secret {
                    Some(secret) => {
                        revealed.0.set(Some((client.client_id.clone(), secret)));
                        AppTab::Credentials
                    }
                    None => AppTab::Settings,
                };
                location.open(&application_path(&client.client_id, tab));
            }
            Err(err) => error.set(err),
        });
    });

    view! {
        <CreateForm
            what="Application"
            title="Create Application"
            testid="create-application"
            busy=create.pending()
            on_submit=submit
        >
            <GeneralError error fields=&["name", "app_type"] />
            <TextField field="name" label="Name" value=name error />
            <fieldset class="field">
                <legend>"Application type"</legend>
                {CREATABLE_APP_TYPES
                    .into_iter()
                    .map(|t| {
                        let value = t.as_str();
                        view! {
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="app_type"
                                    value=value
                                    data-testid=format!("app-type-{value}")
                                    prop:checked=move || app_type.get() == value
                                    on:change=move |_| app_type.set(value.to_owned())
                                />
                                {app_type_label(Some(t))}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </CreateForm>
    }
}
