//! Applications: the list, creating one, and one application's Settings
//! (with the Danger Zone), Credentials and APIs tabs.

use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::management::{
    AppType, Client, ClientCreate, ClientGrant, ClientGrantCreate, ClientUpdate,
};

use super::management::Reply;
use super::model::{
    api_access, app_type_label, app_type_value, application_path, format_url_list, parse_app_type,
    parse_grace_period, parse_url_list, readable_time, toggle_scope, ApiAccess, AppTab, Section,
    AUTH_METHODS, CREATABLE_APP_TYPES,
};
use super::widgets::{
    current, load, load_by_id, load_with_progress, loaded_part, show_loaded, Breadcrumb, Busy,
    Confirm, CopyButton, CreateForm, DeleteItem, ErrorNotice, FormError, GeneralError, Loaded,
    NotAllowed, SaveActions, Task, TextField,
};
use super::{admin, RevealedSecret};
use crate::api::ApiError;

/// `/dashboard/applications`.
#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Applications.read_scope()) {
        return view! { <NotAllowed what="applications" scope="read:clients" /> }.into_any();
    }
    let page = RwSignal::new(0u64);
    let api = admin.api.clone();
    let loading = RwSignal::new(false);
    let clients = load_with_progress(loading, move || api.list_clients(page.get()));

    view! {
        <section data-testid="applications-page">
            <div class="page-head">
                <h1>"Applications"</h1>
                {admin.can("create:clients").then(|| view! { <CreateApplication /> })}
            </div>
            <Show when=move || loading.get()>
                <Busy text="Loading applications…" />
            </Show>
            {show_loaded(
                clients,
                None,
                move |listing| {
                    let summary = listing.summary();
                    let has_next = listing.has_next();
                    view! {
                        <table class="list" data-testid="applications">
                            <thead>
                                <tr>
                                    <th>"Name"</th>
                                    <th>"Type"</th>
                                    <th>"Client ID"</th>
                                    <th>"Party"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {listing
                                    .items
                                    .into_iter()
                                    .map(|client| view! { <ApplicationRow client /> })
                                    .collect_view()}
                            </tbody>
                        </table>
                        <Pager page summary has_next />
                    }
                        .into_any()
                },
            )}
        </section>
    }
    .into_any()
}

#[component]
fn ApplicationRow(client: Client) -> impl IntoView {
    let href = application_path(&client.client_id, AppTab::Settings);
    let client_id = client.client_id.clone();
    view! {
        <tr data-testid="application-row" data-client-id=client_id>
            <td>
                <A href=href attr:data-testid="application-link">
                    {client.name}
                </A>
            </td>
            <td>{app_type_label(client.app_type)}</td>
            <td>
                <code>{client.client_id}</code>
            </td>
            <td>{if client.is_first_party { "First party" } else { "Third party" }}</td>
        </tr>
    }
}

/// "1–50 of 120" with Previous / Next.
#[component]
pub fn Pager(page: RwSignal<u64>, summary: String, has_next: bool) -> impl IntoView {
    view! {
        <div class="pager">
            <span data-testid="pager-summary">{summary}</span>
            <button
                type="button"
                class="button secondary small"
                disabled=move || page.get() == 0
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1))
            >
                "Previous"
            </button>
            <button
                type="button"
                class="button secondary small"
                disabled=!has_next
                on:click=move |_| page.update(|p| *p += 1)
            >
                "Next"
            </button>
        </div>
    }
}

#[component]
fn CreateApplication() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let app_type = RwSignal::new(app_type_value(AppType::NonInteractive).to_owned());
    let error = FormError::new();
    let revealed = expect_context::<RevealedSecret>();
    let navigate = use_navigate();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let request = ClientCreate {
            name: name.get_untracked().trim().to_owned(),
            app_type: parse_app_type(&app_type.get_untracked()),
            ..Default::default()
        };
        let navigate = navigate.clone();
        create.run(api.create_client(&request), move |created| match created {
            Ok(client) => {
                let tab = match client.client_secret {
                    Some(secret) => {
                        revealed.0.set(Some((client.client_id.clone(), secret)));
                        AppTab::Credentials
                    }
                    None => AppTab::Settings,
                };
                navigate(
                    &application_path(&client.client_id, tab),
                    Default::default(),
                );
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
                        let value = app_type_value(t);
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

/// `/dashboard/applications/:id`: its Settings tab.
#[component]
pub fn ApplicationRedirect() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    view! { <Redirect path=application_path(&id, AppTab::Settings) /> }
}

/// `/dashboard/applications/:id/:tab`.
#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let tab = Memo::new(move |_| AppTab::from_segment(params.read().get("tab").as_deref()));
    let admin = admin();
    if !admin.can(Section::Applications.read_scope()) {
        return view! { <NotAllowed what="applications" scope="read:clients" /> }.into_any();
    }
    let revealed = expect_context::<RevealedSecret>();
    let api = admin.api.clone();
    let client = load_by_id(id, move |id| api.get_client(id));
    // A revealed secret is shown only on its application's pages.
    on_cleanup(move || revealed.0.set(None));
    Effect::new(move |_| {
        let id = id.get();
        if revealed
            .0
            .with_untracked(|r| r.as_ref().is_some_and(|(c, _)| *c != id))
        {
            revealed.0.set(None);
        }
    });
    let loaded = Memo::new(move |_| loaded_part(client, |c| c.client_id.clone()));

    view! {
        <section data-testid="application-page">
            <Breadcrumb section=Section::Applications />
            {show_loaded(
                client,
                Some("Loading the application…"),
                |c| {
                    view! {
                        <div class="page-head">
                            <h1 data-testid="application-name">{c.name}</h1>
                            <span class="tag">{app_type_label(c.app_type)}</span>
                        </div>
                    }
                        .into_any()
                },
            )}
            {move || {
                loaded
                    .get()
                    .map(|client_id| {
                        view! {
                            <nav class="tabs" aria-label="Application">
                                {AppTab::ALL
                                    .into_iter()
                                    .map(|t| {
                                        view! {
                                            <A
                                                href=application_path(&client_id, t)
                                                attr:data-testid=format!("tab-{}", t.segment())
                                                attr:class=move || {
                                                    if tab.get() == t { "tab active" } else { "tab" }
                                                }
                                            >
                                                {t.title()}
                                            </A>
                                        }
                                    })
                                    .collect_view()}
                            </nav>
                        }
                    })
            }}
            {move || {
                loaded
                    .get()
                    .map(|_| match tab.get() {
                        AppTab::Settings => view! { <SettingsTab client /> }.into_any(),
                        AppTab::Credentials => view! { <CredentialsTab client /> }.into_any(),
                        AppTab::Apis => view! { <ApisTab client /> }.into_any(),
                    })
            }}
        </section>
    }
    .into_any()
}

const SETTINGS_FIELDS: &[&str] = &[
    "name",
    "description",
    "callbacks",
    "allowed_logout_urls",
    "web_origins",
    "token_endpoint_auth_method",
];

#[component]
fn SettingsTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = admin.can("update:clients");
    let name = RwSignal::new(initial.name.clone());
    let description = RwSignal::new(initial.description.clone());
    let callbacks = RwSignal::new(format_url_list(&initial.callbacks));
    let logout_urls = RwSignal::new(format_url_list(&initial.allowed_logout_urls));
    let web_origins = RwSignal::new(format_url_list(&initial.web_origins));
    let auth_method = RwSignal::new(initial.token_endpoint_auth_method.clone());
    let error = FormError::new();
    let saved = RwSignal::new(false);
    let client_id = initial.client_id.clone();
    let api = admin.api.clone();
    let save = Task::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        let update = ClientUpdate {
            name: Some(name.get_untracked().trim().to_owned()),
            description: Some(description.get_untracked()),
            callbacks: Some(parse_url_list(&callbacks.get_untracked())),
            allowed_logout_urls: Some(parse_url_list(&logout_urls.get_untracked())),
            web_origins: Some(parse_url_list(&web_origins.get_untracked())),
            token_endpoint_auth_method: Some(auth_method.get_untracked()),
            ..Default::default()
        };
        save.run(
            api.update_client(&client_id, &update),
            move |updated| match updated {
                Ok(updated) => {
                    saved.set(true);
                    client.set(Some(Ok(updated)));
                }
                Err(err) => error.set(err),
            },
        );
    };
    let readonly = !editable;
    let method_message = error.for_field("token_endpoint_auth_method");

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
            <div class="field">
                <label for="field-token_endpoint_auth_method">"Authentication Method"</label>
                <select
                    id="field-token_endpoint_auth_method"
                    data-testid="field-token_endpoint_auth_method"
                    disabled=readonly
                    on:change=move |ev| auth_method.set(event_target_value(&ev))
                    prop:value=move || auth_method.get()
                >
                    {AUTH_METHODS
                        .into_iter()
                        .map(|(value, label)| {
                            view! {
                                <option value=value selected=move || auth_method.get() == value>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p
                    class="field-error"
                    data-testid="field-token_endpoint_auth_method-error"
                    role="alert"
                >
                    {method_message}
                </p>
            </div>
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
    let confidential = Memo::new(move |_| {
        loaded_part(client, |c| c.token_endpoint_auth_method != "none").unwrap_or(false)
    });
    let client_id = initial.client_id.clone();
    let name = initial.name.clone();

    view! {
        <section class="panel danger-zone" data-testid="danger-zone">
            <h2>"Danger Zone"</h2>
            {may_rotate
                .then(|| {
                    let client_id = client_id.clone();
                    view! {
                        <Show
                            when=move || confidential.get()
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
            {may_delete.then(|| view! { <DeleteApplication client_id=client_id.clone() name=name.clone() /> })}
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
    let navigate = use_navigate();
    let api = admin().api;
    let rotate = Task::new();
    let confirm = Callback::new(move |()| {
        error.set(None);
        let seconds = match parse_grace_period(&grace.get_untracked()) {
            Ok(seconds) => seconds,
            Err(message) => return grace_error.set(Some(message)),
        };
        grace_error.set(None);
        let navigate = navigate.clone();
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
                    navigate(&path, Default::default());
                }
                Err(err) => error.set(Some(err)),
            },
        );
    });
    let cancel = Callback::new(move |()| asking.set(false));
    let busy = rotate.pending();

    view! {
        <div class="danger-item">
            <div>
                <h3>"Rotate Secret"</h3>
                <p class="note">
                    "Replace the client secret. Whoever uses the current one must switch to the new one."
                </p>
            </div>
            <button
                type="button"
                class="button danger"
                data-testid="rotate-secret"
                on:click=move |_| asking.set(true)
            >
                "Rotate"
            </button>
        </div>
        <Show when=move || asking.get()>
            <Confirm
                title="Rotate the client secret?"
                confirm_label="Rotate"
                testid="rotate-dialog"
                busy
                on_confirm=confirm
                on_cancel=cancel
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
                {move || error.get().map(|err| view! { <ErrorNotice err /> })}
            </Confirm>
        </Show>
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

#[component]
fn CredentialsTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    let revealed = expect_context::<RevealedSecret>();
    let client_id = initial.client_id.clone();
    let secret = {
        let client_id = client_id.clone();
        Memo::new(move |_| {
            revealed.0.with(|r| {
                r.as_ref()
                    .filter(|(c, _)| *c == client_id)
                    .map(|(_, s)| s.clone())
            })
        })
    };
    let method =
        move || loaded_part(client, |c| c.token_endpoint_auth_method.clone()).unwrap_or_default();
    let previous_expiry =
        move || loaded_part(client, |c| c.previous_client_secret_expires_at.clone()).flatten();
    let id_text = Signal::derive({
        let client_id = client_id.clone();
        move || client_id.clone()
    });

    view! {
        <section class="panel" data-testid="application-credentials">
            <h2>"Client ID"</h2>
            <div class="secret-row">
                <code class="value" data-testid="client-id">{client_id.clone()}</code>
                <CopyButton text=id_text label="Copy client ID" testid="copy-client-id" />
            </div>
            <h2>"Authentication Method"</h2>
            <p data-testid="auth-method">
                {move || {
                    let method = method();
                    AUTH_METHODS
                        .iter()
                        .find(|(value, _)| *value == method)
                        .map(|(_, label)| (*label).to_owned())
                        .unwrap_or(method)
                }}
            </p>
            <Show
                when=move || method() != "none"
                fallback=|| {
                    view! {
                        <p class="note" data-testid="public-client">
                            "This application is public: it has no client secret."
                        </p>
                    }
                }
            >
                <h2>"Client Secret"</h2>
                {move || match secret.get() {
                    Some(secret) => view! { <NewSecret secret /> }.into_any(),
                    None => {
                        view! {
                            <div class="secret-row">
                                <code class="value masked" data-testid="client-secret-masked">
                                    "••••••••••••••••••••••••••••••••"
                                </code>
                            </div>
                            <p class="note">
                                "The tenant keeps only a hash of the secret, so it cannot be shown. \
                                 To get a new one, rotate it in the Danger Zone of the Settings tab."
                            </p>
                        }
                            .into_any()
                    }
                }}
                {move || previous_expiry().map(|expires_at| view! { <PreviousSecret client expires_at /> })}
            </Show>
        </section>
    }
    .into_any()
}

/// A secret just created: masked until the eye is pressed, copyable, and
/// shown only until the admin leaves this application.
#[component]
fn NewSecret(secret: String) -> impl IntoView {
    let shown = RwSignal::new(false);
    let text = Signal::derive({
        let secret = secret.clone();
        move || secret.clone()
    });
    view! {
        <div class="secret-row">
            <input
                class="value"
                readonly
                aria-label="Client secret"
                data-testid="client-secret"
                prop:type=move || if shown.get() { "text" } else { "password" }
                prop:value=secret.clone()
            />
            <button
                type="button"
                class="icon-button"
                data-testid="reveal-secret"
                aria-label=move || if shown.get() { "Hide the secret" } else { "Show the secret" }
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                <EyeIcon open=shown />
            </button>
            <CopyButton text label="Copy client secret" testid="copy-client-secret" />
        </div>
        <p class="status warning" role="status" data-testid="secret-notice">
            "This is the new client secret. Copy it now: it will not be shown again."
        </p>
    }
}

#[component]
fn EyeIcon(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"
            />
            <circle cx="12" cy="12" r="3" fill="none" stroke="currentColor" stroke-width="2" />
            <Show when=move || !open.get()>
                <path stroke="currentColor" stroke-width="2" d="M3 3l18 18" />
            </Show>
        </svg>
    }
}

#[component]
fn PreviousSecret(client: Loaded<Client>, expires_at: String) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let may_revoke = admin().can("update:client_keys");
    let api = admin().api;
    let revoke = Task::new();
    let start_revoke = move || {
        error.set(None);
        let Some(c) = current(client) else { return };
        let (revoked, reread) = (
            api.revoke_previous_secret(&c.client_id),
            api.get_client(&c.client_id),
        );
        let reply: Reply<Client> = Box::pin(async move {
            revoked.await?;
            reread.await
        });
        revoke.run(reply, move |updated| match updated {
            Ok(updated) => client.set(Some(Ok(updated))),
            Err(err) => error.set(Some(err)),
        });
    };
    view! {
        <div class="previous-secret" data-testid="previous-secret">
            <p>
                "The previous secret keeps working until "
                <strong data-testid="previous-secret-expiry">{readable_time(&expires_at)}</strong>
                "."
            </p>
            {may_revoke
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button danger small"
                            data-testid="revoke-previous-secret"
                            disabled=move || revoke.is_pending()
                            on:click=move |_| start_revoke()
                        >
                            {move || if revoke.is_pending() { "Revoking…" } else { "Revoke now" }}
                        </button>
                    }
                })}
            {move || error.get().map(|err| view! { <ErrorNotice err /> })}
        </div>
    }
}

/// Which APIs a machine-to-machine application may get tokens for, and with
/// which scopes (client grants).
#[component]
fn ApisTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    if !initial
        .grant_types
        .iter()
        .any(|g| g == "client_credentials")
    {
        return view! {
            <section class="panel" data-testid="application-apis">
                <p class="note" data-testid="no-client-credentials">
                    "Only applications with the Client Credentials grant (Machine to Machine) are \
                     authorized for APIs here; people's sign-ins get the scopes they consent to."
                </p>
            </section>
        }
        .into_any();
    }
    let admin = admin();
    if !admin.can("read:client_grants") || !admin.can("read:resource_servers") {
        return view! {
            <NotAllowed what="this application's API access" scope="read:client_grants" />
        }
        .into_any();
    }
    let api = admin.api.clone();
    let client_id = initial.client_id.clone();
    let access = load(move || {
        let (apis, grants) = (api.list_apis(), api.grants_of(&client_id));
        Box::pin(async move { Ok(api_access(apis.await?, &grants.await?)) })
    });
    let client_id = initial.client_id.clone();

    view! {
        <section class="panel" data-testid="application-apis">
            <h2>"APIs"</h2>
            <p class="note">
                "Authorize this application to get access tokens for an API with the \
                 Client Credentials grant, and choose the scopes it gets."
            </p>
            {show_loaded(
                access,
                Some("Loading APIs…"),
                move |list| {
                    list.into_iter()
                        .map(|access| view! { <ApiAccessRow access client_id=client_id.clone() /> })
                        .collect_view()
                        .into_any()
                },
            )}
        </section>
    }
    .into_any()
}

/// What a button of an API's row does to the application's grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantChange {
    Authorize,
    Update,
    Unauthorize,
}

impl GrantChange {
    fn label(self) -> &'static str {
        match self {
            GrantChange::Authorize => "Authorize",
            GrantChange::Update => "Update",
            GrantChange::Unauthorize => "Unauthorize",
        }
    }

    fn testid(self) -> &'static str {
        match self {
            GrantChange::Authorize => "authorize-api",
            GrantChange::Update => "update-grant",
            GrantChange::Unauthorize => "unauthorize-api",
        }
    }

    fn class(self) -> &'static str {
        match self {
            GrantChange::Unauthorize => "button secondary small",
            _ => "button small",
        }
    }

    /// What the row says once it is done.
    fn done(self) -> &'static str {
        match self {
            GrantChange::Authorize => "Authorized.",
            GrantChange::Update => "Updated.",
            GrantChange::Unauthorize => "Unauthorized.",
        }
    }
}

#[component]
fn GrantButton(
    change: GrantChange,
    busy: Signal<bool>,
    on_click: Callback<GrantChange>,
) -> impl IntoView {
    view! {
        <button
            type="button"
            class=change.class()
            data-testid=change.testid()
            disabled=move || busy.get()
            on:click=move |_| on_click.run(change)
        >
            {change.label()}
        </button>
    }
}

/// The grant `reply` makes, or none.
fn granted(reply: Reply<ClientGrant>) -> Reply<Option<ClientGrant>> {
    Box::pin(async move { reply.await.map(Some) })
}

#[component]
fn ApiAccessRow(access: ApiAccess, client_id: String) -> impl IntoView {
    let admin = admin();
    let ApiAccess {
        api: resource,
        grant,
    } = access;
    let scopes = RwSignal::new(grant.as_ref().map(|g| g.scope.clone()).unwrap_or_default());
    let grant = RwSignal::new(grant);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<&'static str>);
    let authorized = move || grant.with(Option::is_some);
    let resource = std::sync::Arc::new(resource);

    let api = admin.api.clone();
    let audience = resource.identifier.clone();
    let task = Task::new();
    let run = Callback::new(move |change: GrantChange| {
        let grant_id = grant.with_untracked(|g| g.as_ref().map(|g| g.id.clone()));
        let scope = scopes.get_untracked();
        let reply = match (change, grant_id) {
            (GrantChange::Authorize, _) => granted(api.create_grant(&ClientGrantCreate {
                client_id: client_id.clone(),
                audience: audience.clone(),
                scope,
            })),
            (GrantChange::Update, Some(id)) => granted(api.update_grant(&id, scope)),
            (GrantChange::Unauthorize, Some(id)) => {
                let deleted = api.delete_grant(&id);
                Box::pin(async move { deleted.await.map(|()| None) })
            }
            (_, None) => return,
        };
        error.set(None);
        saved.set(None);
        task.run(reply, move |changed| match changed {
            Ok(new_grant) => {
                if new_grant.is_none() {
                    scopes.set(Vec::new());
                }
                grant.set(new_grant);
                saved.set(Some(change.done()));
            }
            Err(err) => error.set(Some(err)),
        });
    });
    let may_create = admin.can("create:client_grants");
    let may_update = admin.can("update:client_grants");
    let may_delete = admin.can("delete:client_grants");
    let busy = task.pending();
    let scope_boxes = {
        let resource = resource.clone();
        resource
            .scopes
            .iter()
            .map(|s| {
                let value = s.value.clone();
                let checked = {
                    let value = value.clone();
                    move || scopes.with(|list| list.contains(&value))
                };
                let resource = resource.clone();
                let toggle_value = value.clone();
                view! {
                    <label class="choice">
                        <input
                            type="checkbox"
                            data-testid="grant-scope"
                            value=value.clone()
                            prop:checked=checked
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                scopes.update(|list| *list = toggle_scope(&resource, list, &toggle_value, on));
                            }
                        />
                        <code>{value.clone()}</code>
                        {(!s.description.is_empty()).then(|| view! { <span class="hint">{s.description.clone()}</span> })}
                    </label>
                }
            })
            .collect_view()
    };

    view! {
        <div
            class="api-access"
            data-testid="api-access"
            data-identifier=resource.identifier.clone()
            data-authorized=move || authorized().to_string()
        >
            <div class="api-access-head">
                <div>
                    <strong>{resource.name.clone()}</strong>
                    " "
                    <code class="hint">{resource.identifier.clone()}</code>
                </div>
                <span class="tag" data-testid="authorization-status">
                    {move || if authorized() { "Authorized" } else { "Unauthorized" }}
                </span>
            </div>
            {if resource.scopes.is_empty() {
                view! { <p class="note">"This API defines no scopes."</p> }.into_any()
            } else {
                view! { <fieldset class="scopes" aria-label="Scopes">{scope_boxes}</fieldset> }
                    .into_any()
            }}
            <div class="actions">
                <Show
                    when=authorized
                    fallback=move || {
                        may_create
                            .then(|| {
                                view! { <GrantButton change=GrantChange::Authorize busy on_click=run /> }
                            })
                    }
                >
                    {may_update
                        .then(|| {
                            view! { <GrantButton change=GrantChange::Update busy on_click=run /> }
                        })}
                    {may_delete
                        .then(|| {
                            view! { <GrantButton change=GrantChange::Unauthorize busy on_click=run /> }
                        })}
                </Show>
                <Show when=move || busy.get()>
                    <Busy text="Saving…" />
                </Show>
                {move || saved.get().map(|m| view! { <span class="status ok" role="status" data-testid="grant-saved">{m}</span> })}
            </div>
            {move || error.get().map(|err| view! { <ErrorNotice err /> })}
        </div>
    }
}
