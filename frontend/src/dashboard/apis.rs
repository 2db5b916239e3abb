//! APIs (resource servers): the list, creating one, and one API's settings
//! and permissions (scopes).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::management::{
    ResourceServer, ResourceServerCreate, ResourceServerScope, ResourceServerUpdate,
};

use super::admin;
use super::model::{check_identifier, encode_segment, parse_seconds, Section};
use super::widgets::{
    load_by_id, Busy, DeleteItem, ErrorNotice, FormError, GeneralError, LocalFuture, NotAllowed,
    SaveActions, TextField,
};
use crate::api::ApiError;

/// The signing algorithms an API may use.
const SIGNING_ALGS: [(&str, &str); 2] = [("RS256", "RS256"), ("EdDSA", "EdDSA (Ed25519)")];

fn api_path(api: &ResourceServer) -> String {
    format!("/dashboard/apis/{}", encode_segment(&api.id))
}

/// `/dashboard/apis`.
#[component]
pub fn ApisPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Apis.read_scope()) {
        return view! { <NotAllowed what="APIs" scope="read:resource_servers" /> }.into_any();
    }
    let api = admin.api.clone();
    let apis = LocalResource::new(move || {
        let api = api.clone();
        async move { api.list_apis().await }
    });

    view! {
        <section data-testid="apis-page">
            <div class="page-head">
                <h1>"APIs"</h1>
                {admin.can("create:resource_servers").then(|| view! { <CreateApi /> })}
            </div>
            {move || match apis.get() {
                None => view! { <Busy text="Loading APIs…" /> }.into_any(),
                Some(Err(err)) => view! { <ErrorNotice err /> }.into_any(),
                Some(Ok(list)) => {
                    view! {
                        <table class="list" data-testid="apis">
                            <thead>
                                <tr>
                                    <th>"Name"</th>
                                    <th>"Identifier"</th>
                                    <th>"Signing"</th>
                                    <th>"Token lifetime"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list
                                    .into_iter()
                                    .map(|api| {
                                        view! {
                                            <tr data-testid="api-row" data-identifier=api.identifier.clone()>
                                                <td>
                                                    <A href=api_path(&api) attr:data-testid="api-link">
                                                        {api.name.clone()}
                                                    </A>
                                                    {api.is_system.then(|| view! { " " <span class="tag">"System API"</span> })}
                                                </td>
                                                <td>
                                                    <code>{api.identifier.clone()}</code>
                                                </td>
                                                <td>{api.signing_alg.clone()}</td>
                                                <td>{format!("{} s", api.token_lifetime)}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                        .into_any()
                }
            }}
        </section>
    }
    .into_any()
}

#[component]
fn CreateApi() -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let identifier = RwSignal::new(String::new());
    let signing_alg = RwSignal::new("RS256".to_owned());
    let lifetime = RwSignal::new("86400".to_owned());
    let error = FormError::new();
    let local_error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let api = admin().api;
    let create = Action::new_local(move |request: &ResourceServerCreate| {
        let api = api.clone();
        let request = request.clone();
        async move { api.create_api(&request).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(created)) => navigate(&api_path(&created), Default::default()),
        Some(Err(err)) => error.set(err),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        let request = check_identifier(&identifier.get_untracked()).and_then(|()| {
            Ok(ResourceServerCreate {
                identifier: identifier.get_untracked().trim().to_owned(),
                name: Some(name.get_untracked().trim().to_owned()),
                signing_alg: Some(signing_alg.get_untracked()),
                token_lifetime: Some(parse_seconds(&lifetime.get_untracked())?),
                ..Default::default()
            })
        });
        match request {
            Ok(request) => {
                local_error.set(None);
                create.dispatch(request);
            }
            Err(message) => local_error.set(Some(message)),
        }
    };

    view! {
        <button
            type="button"
            class="button"
            data-testid="create-api"
            on:click=move |_| open.update(|o| *o = !*o)
        >
            "+ Create API"
        </button>
        <Show when=move || open.get()>
            <form class="panel create-form" data-testid="create-api-form" on:submit=submit>
                <h2>"New API"</h2>
                <GeneralError error fields=&["name", "identifier", "signing_alg", "token_lifetime"] />
                {move || {
                    local_error
                        .get()
                        .map(|m| view! { <p class="status error" role="alert" data-testid="form-error">{m}</p> })
                }}
                <TextField field="name" label="Name" value=name error hint="A friendly name, e.g. Notes API." />
                <TextField
                    field="identifier"
                    label="Identifier"
                    value=identifier
                    error
                    hint="The audience clients ask tokens for, e.g. https://notes.example.com/. It cannot be changed later."
                />
                <SigningAlgField value=signing_alg error readonly=false />
                <TextField
                    field="token_lifetime"
                    label="Token lifetime (seconds)"
                    value=lifetime
                    error
                    input_type="number"
                />
                <div class="actions">
                    <button
                        type="submit"
                        class="button"
                        data-testid="create-api-submit"
                        disabled=move || create.pending().get()
                    >
                        {move || if create.pending().get() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn SigningAlgField(value: RwSignal<String>, error: FormError, readonly: bool) -> impl IntoView {
    let message = error.for_field("signing_alg");
    view! {
        <div class="field">
            <label for="field-signing_alg">"Signing Algorithm"</label>
            <select
                id="field-signing_alg"
                data-testid="field-signing_alg"
                disabled=readonly
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {SIGNING_ALGS
                    .into_iter()
                    .map(|(alg, label)| {
                        view! {
                            <option value=alg selected=move || value.get() == alg>
                                {label}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" role="alert" data-testid="field-signing_alg-error">
                {message}
            </p>
        </div>
    }
}

/// `/dashboard/apis/:id`.
#[component]
pub fn ApiPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let admin = admin();
    if !admin.can(Section::Apis.read_scope()) {
        return view! { <NotAllowed what="APIs" scope="read:resource_servers" /> }.into_any();
    }
    let api = admin.api.clone();
    let resource = load_by_id(id, move |id| {
        let api = api.clone();
        async move { api.get_api(&id).await }
    });
    let loaded = Memo::new(move |_| {
        resource.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|r| r.id.clone())
        })
    });

    view! {
        <section data-testid="api-page">
            <p class="breadcrumb">
                <A href=Section::Apis.path() attr:data-testid="back-to-apis">
                    "← APIs"
                </A>
            </p>
            {move || match resource.get() {
                None => view! { <Busy text="Loading the API…" /> }.into_any(),
                Some(Err(err)) => view! { <ErrorNotice err /> }.into_any(),
                Some(Ok(r)) => {
                    view! {
                        <div class="page-head">
                            <h1 data-testid="api-name">{r.name.clone()}</h1>
                            <code class="tag" data-testid="api-identifier">{r.identifier.clone()}</code>
                        </div>
                    }
                        .into_any()
                }
            }}
            {move || {
                loaded
                    .get()
                    .map(|_| {
                        view! {
                            <ApiSettings resource />
                            <Permissions resource />
                            <DeleteApi resource />
                        }
                    })
            }}
        </section>
    }
    .into_any()
}

fn current(resource: RwSignal<Option<Result<ResourceServer, ApiError>>>) -> Option<ResourceServer> {
    resource.with_untracked(|r| r.as_ref().and_then(|r| r.as_ref().ok()).cloned())
}

#[component]
fn ApiSettings(resource: RwSignal<Option<Result<ResourceServer, ApiError>>>) -> impl IntoView {
    let Some(initial) = current(resource) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = !initial.is_system && admin.can("update:resource_servers");
    let readonly = !editable;
    let name = RwSignal::new(initial.name.clone());
    let lifetime = RwSignal::new(initial.token_lifetime.to_string());
    let signing_alg = RwSignal::new(initial.signing_alg.clone());
    let rbac = RwSignal::new(initial.enforce_policies);
    let error = FormError::new();
    let local_error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let api = admin.api.clone();
    let id = initial.id.clone();
    let save = Action::new_local(move |update: &ResourceServerUpdate| {
        let api = api.clone();
        let id = id.clone();
        let update = update.clone();
        async move { api.update_api(&id, &update).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(updated)) => {
            saved.set(true);
            resource.set(Some(Ok(updated)));
        }
        Some(Err(err)) => error.set(err),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        match parse_seconds(&lifetime.get_untracked()) {
            Ok(seconds) => {
                local_error.set(None);
                save.dispatch(ResourceServerUpdate {
                    name: Some(name.get_untracked().trim().to_owned()),
                    token_lifetime: Some(seconds),
                    signing_alg: Some(signing_alg.get_untracked()),
                    enforce_policies: Some(rbac.get_untracked()),
                    ..Default::default()
                });
            }
            Err(message) => local_error.set(Some(message)),
        }
    };

    view! {
        <form class="panel settings-form" data-testid="api-settings" on:submit=submit>
            <h2>"Settings"</h2>
            {initial
                .is_system
                .then(|| {
                    view! {
                        <p class="note" data-testid="system-api">
                            "This is the tenant's own Management API: a system API, which cannot be changed."
                        </p>
                    }
                })}
            <GeneralError error fields=&["name", "token_lifetime", "signing_alg"] />
            {move || {
                local_error
                    .get()
                    .map(|m| view! { <p class="status error" role="alert" data-testid="form-error">{m}</p> })
            }}
            <TextField field="name" label="Name" value=name error readonly />
            <TextField
                field="token_lifetime"
                label="Token lifetime (seconds)"
                value=lifetime
                error
                input_type="number"
                readonly
            />
            <SigningAlgField value=signing_alg error readonly />
            <label class="choice">
                <input
                    type="checkbox"
                    data-testid="field-enforce_policies"
                    disabled=readonly
                    bind:checked=rbac
                />
                "Enable RBAC: people's tokens carry only the permissions assigned to them"
            </label>
            {editable.then(|| view! { <SaveActions label="Save" testid="save-api" pending=Signal::derive(move || save.pending().get()) saved /> })}
        </form>
    }
    .into_any()
}

/// The API's scopes: listed, added and removed (a PATCH of the whole list).
#[component]
fn Permissions(resource: RwSignal<Option<Result<ResourceServer, ApiError>>>) -> impl IntoView {
    let Some(initial) = current(resource) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = !initial.is_system && admin.can("update:resource_servers");
    let value = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let error = FormError::new();
    let api = admin.api.clone();
    let id = initial.id.clone();
    let save = Action::new_local(move |scopes: &Vec<ResourceServerScope>| {
        let api = api.clone();
        let id = id.clone();
        let update = ResourceServerUpdate {
            scopes: Some(scopes.clone()),
            ..Default::default()
        };
        async move { api.update_api(&id, &update).await }
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(updated)) => {
            value.set(String::new());
            description.set(String::new());
            resource.set(Some(Ok(updated)));
        }
        Some(Err(err)) => error.set(err),
        None => {}
    });
    let scopes = move || {
        resource.with(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|r| r.scopes.clone())
                .unwrap_or_default()
        })
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        let mut list = scopes();
        list.push(ResourceServerScope {
            value: value.get_untracked().trim().to_owned(),
            description: description.get_untracked().trim().to_owned(),
        });
        save.dispatch(list);
    };
    let remove = move |scope: String| {
        error.clear();
        let list = scopes().into_iter().filter(|s| s.value != scope).collect();
        save.dispatch(list);
    };

    view! {
        <section class="panel" data-testid="api-permissions">
            <h2>"Permissions"</h2>
            <p class="note">
                "The scopes this API defines: what clients may be granted and people may be assigned."
            </p>
            <GeneralError error fields=&["scopes"] />
            <p class="field-error" role="alert" data-testid="field-scopes-error">
                {error.for_field("scopes")}
            </p>
            <table class="list" data-testid="scopes">
                <thead>
                    <tr>
                        <th>"Permission"</th>
                        <th>"Description"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        scopes()
                            .into_iter()
                            .map(|scope| {
                                let remove_value = scope.value.clone();
                                view! {
                                    <tr data-testid="scope-row" data-scope=scope.value.clone()>
                                        <td>
                                            <code>{scope.value.clone()}</code>
                                        </td>
                                        <td>{scope.description.clone()}</td>
                                        <td>
                                            {editable
                                                .then(|| {
                                                    view! {
                                                        <button
                                                            type="button"
                                                            class="button secondary small"
                                                            data-testid="remove-scope"
                                                            disabled=move || save.pending().get()
                                                            on:click=move |_| remove(remove_value.clone())
                                                        >
                                                            "Remove"
                                                        </button>
                                                    }
                                                })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {editable
                .then(|| {
                    view! {
                        <form class="inline-form" data-testid="add-scope-form" on:submit=add>
                            <input
                                type="text"
                                placeholder="read:notes"
                                aria-label="Permission"
                                data-testid="new-scope-value"
                                required
                                bind:value=value
                            />
                            <input
                                type="text"
                                placeholder="Read your notes"
                                aria-label="Description"
                                data-testid="new-scope-description"
                                bind:value=description
                            />
                            <button
                                type="submit"
                                class="button small"
                                data-testid="add-scope"
                                disabled=move || save.pending().get()
                            >
                                {move || if save.pending().get() { "Saving…" } else { "+ Add" }}
                            </button>
                        </form>
                    }
                })}
        </section>
    }
    .into_any()
}

#[component]
fn DeleteApi(resource: RwSignal<Option<Result<ResourceServer, ApiError>>>) -> impl IntoView {
    let Some(initial) = current(resource) else {
        return ().into_any();
    };
    let admin = admin();
    if initial.is_system || !admin.can("delete:resource_servers") {
        return ().into_any();
    }
    let api = admin.api.clone();
    let id = initial.id.clone();
    let delete = Callback::new(move |()| -> LocalFuture {
        let (api, id) = (api.clone(), id.clone());
        Box::pin(async move { api.delete_api(&id).await })
    });
    view! {
        <section class="panel danger-zone" data-testid="danger-zone">
            <h2>"Danger Zone"</h2>
            <DeleteItem
                heading="Delete this API"
                note="Tokens already issued stay valid until they expire; no new ones are issued."
                question="Delete the API?"
                consequence=format!("“{}” and the client grants for it are deleted.", initial.name)
                testid="delete-api"
                then=Section::Apis.path()
                delete
            />
        </section>
    }
    .into_any()
}
