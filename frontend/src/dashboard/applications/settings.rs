//! An application's Settings tab: its settings form, and the Danger Zone
//! (rotate the secret, delete the application).

use leptos::prelude::*;
use shared::management::{AuthMethod, Client, ClientUpdate};

use crate::api::ApiError;
use crate::dashboard::model::{
    application_path, format_url_list, parse_grace_period, parse_url_list, AppTab, Section,
    AUTH_METHODS,
};
use crate::dashboard::widgets::{
    DangerItem, DeleteItem, ErrorLine, FormError, GeneralError, SaveActions, SelectField, TextField,
};
use crate::dashboard::{admin, RevealedSecret};
use crate::loading::{current, loaded_part, Loaded, Task};
use crate::route::use_location;

const SETTINGS_FIELDS: &[&str] = &[
    "name",
    "description",
    "callbacks",
    "allowed_logout_urls",
    "web_origins",
    "token_endpoint_auth_method",
];

/// The settings form's fields, as typed.
#[derive(Debug, Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    description: RwSignal<String>,
    callbacks: RwSignal<String>,
    logout_urls: RwSignal<String>,
    web_origins: RwSignal<String>,
    auth_method: RwSignal<String>,
}

impl Fields {
    fn of(client: &Client) -> Self {
        Self {
            name: RwSignal::new(client.name.clone()),
            description: RwSignal::new(client.description.clone()),
            callbacks: RwSignal::new(format_url_list(&client.callbacks)),
            logout_urls: RwSignal::new(format_url_list(&client.allowed_logout_urls)),
            web_origins: RwSignal::new(format_url_list(&client.web_origins)),
            auth_method: RwSignal::new(client.token_endpoint_auth_method.as_str().to_owned()),
        }
    }

    fn update(self) -> ClientUpdate {
        ClientUpdate {
            name: Some(self.name.get_untracked().trim().to_owned()),
            description: Some(self.description.get_untracked()),
            callbacks: Some(parse_url_list(&self.callbacks.get_untracked())),
            allowed_logout_urls: Some(parse_url_list(&self.logout_urls.get_untracked())),
            web_origins: Some(parse_url_list(&self.web_origins.get_untracked())),
            token_endpoint_auth_method: AuthMethod::parse(&self.auth_method.get_untracked()),
            ..Default::default()
        }
    }
}

#[component]
pub fn SettingsTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = admin.can("update:clients");
    let readonly = !editable;
    let fields = Fields::of(&initial);
    let Fields {
        name,
        description,
        callbacks,
        logout_urls,
        web_origins,
        auth_method,
    } = fields;
    let error = FormError::new();
    let saved = RwSignal::new(false);
    let api = admin.api.clone();
    let save = Task::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        let reply = api.update_client(&initial.client_id, &fields.update());
        save.run(reply, move |updated| match updated {
            Ok(updated) => {
                saved.set(true);
                client.set(Some(Ok(updated)));
            }
            Err(err) => error.set(err),
        });
    };

    view! {
        <form class="panel settings-form" data-testid="application-settings" on:submit=submit>
            <h2>"Basic Information"</h2>
            <GeneralError error fields=SETTINGS_FIELDS />
            <TextField field="name" label="Name" value=name error readonly />
            <TextField
                field="description"
                label="Description"
                value=description
                error
                multiline=true
                readonly
                hint="At most 140 characters."
            />
            <h2>"Application URIs"</h2>
            <TextField
                field="callbacks"
                label="Allowed Callback URLs"
                value=callbacks
                error
                multiline=true
                readonly
                hint="Where the tenant may send people after they sign in: comma-separated, exact matches."
            />
            <TextField
                field="allowed_logout_urls"
                label="Allowed Logout URLs"
                value=logout_urls
                error
                multiline=true
                readonly
                hint="Where /v2/logout may return people: comma-separated."
            />
            <TextField
                field="web_origins"
                label="Allowed Web Origins"
                value=web_origins
                error
                multiline=true
                readonly
                hint="Origins allowed to call the tenant from a browser: comma-separated."
            />
            <h2>"Credentials"</h2>
            <SelectField
                field="token_endpoint_auth_method"
                label="Authentication Method"
                options=&AUTH_METHODS
                value=auth_method
                error
                readonly
            />
            {editable.then(|| view! { <SaveActions label="Save Changes" testid="save-application" pending=save.pending() saved /> })}
        </form>
        <DangerZone client />
    }
    .into_any()
}

/// Rotate the secret (with a grace period for the previous one) or delete
/// the application, each after confirming.
#[component]
fn DangerZone(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    let admin = admin();
    let may_rotate = admin.can("update:client_keys");
    let may_delete = admin.can("delete:clients");
    if !may_rotate && !may_delete {
        return ().into_any();
    }
    // `Show` re-renders only when this changes, not on every saved change.
    let confidential = move || {
        loaded_part(client, |c| c.token_endpoint_auth_method != AuthMethod::None).unwrap_or(false)
    };
    let Client {
        client_id, name, ..
    } = initial;

    view! {
        <section class="panel danger-zone" data-testid="danger-zone">
            <h2>"Danger Zone"</h2>
            {may_rotate
                .then(|| {
                    let client_id = client_id.clone();
                    view! {
                        <Show
                            when=confidential
                            fallback=|| {
                                view! {
                                    <p class="note">
                                        "This application is public (authentication method None): it has no secret to rotate."
                                    </p>
                                }
                            }
                        >
                            <RotateSecret client client_id=client_id.clone() />
                        </Show>
                    }
                })}
            {may_delete.then(|| view! { <DeleteApplication client_id name /> })}
        </section>
    }
    .into_any()
}

#[component]
fn RotateSecret(client: Loaded<Client>, client_id: String) -> impl IntoView {
    let asking = RwSignal::new(false);
    let grace = RwSignal::new(String::new());
    let grace_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let revealed = expect_context::<RevealedSecret>();
    let location = use_location();
    let api = admin().api;
    let rotate = Task::new();
    let confirm = Callback::new(move |()| {
        error.set(None);
        let seconds = match parse_grace_period(&grace.get_untracked()) {
            Ok(seconds) => seconds,
            Err(message) => return grace_error.set(Some(message)),
        };
        grace_error.set(None);
        rotate.run(
            api.rotate_secret(&client_id, seconds),
            move |rotated| match rotated {
                Ok(mut rotated) => {
                    if let Some(secret) = rotated.client_secret.take() {
                        revealed.0.set(Some((rotated.client_id.clone(), secret)));
                    }
                    let path = application_path(&rotated.client_id, AppTab::Credentials);
                    client.set(Some(Ok(rotated)));
                    asking.set(false);
                    location.open(&path);
                }
                Err(err) => error.set(Some(err)),
            },
        );
    });

    view! {
        <DangerItem
            heading="Rotate Secret"
            note="Replace the client secret. Whoever uses the current one must switch to the new one."
            action="Rotate"
            testid="rotate-secret"
            question="Rotate the client secret?"
            dialog="rotate-dialog"
            asking
            busy=rotate.pending()
            on_confirm=confirm
        >
            <p>
                "A new secret is created and shown once. The current secret keeps working \
                 for the grace period below, then is refused."
            </p>
            <div class="field">
                <label for="rotate-grace">"Grace period for the previous secret (seconds)"</label>
                <input
                    id="rotate-grace"
                    type="text"
                    inputmode="numeric"
                    placeholder="the tenant's default"
                    data-testid="rotate-grace"
                    aria-invalid=move || grace_error.get().is_some().to_string()
                    bind:value=grace
                />
                <p class="hint">"0 stops the previous secret at once. Leave blank for the tenant's default."</p>
                <p class="field-error" role="alert" data-testid="rotate-grace-error">
                    {move || grace_error.get()}
                </p>
            </div>
            <ErrorLine error />
        </DangerItem>
    }
}

#[component]
fn DeleteApplication(client_id: String, name: String) -> impl IntoView {
    let api = admin().api;
    let delete = Callback::new(move |()| api.delete_client(&client_id));
    view! {
        <DeleteItem
            heading="Delete this application"
            note="Its client ID stops working and its API grants are deleted."
            question="Delete the application?"
            consequence=format!("“{name}” and its grants are deleted. This cannot be undone.")
            testid="delete-application"
            then=Section::Applications.path()
            delete
        />
    }
}
