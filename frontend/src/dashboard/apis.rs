//! APIs (resource servers): the list, creating one, and one API's settings
//! and permissions (scopes).

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::management::{
    ResourceServer, ResourceServerCreate, ResourceServerScope, ResourceServerUpdate, SigningAlg,
};

use super::listing::Listing;
use super::model::{check_identifier, parse_seconds, Route, Section, SIGNING_ALGS};
use super::widgets::{
    show_loaded, Breadcrumb, CreateForm, DeleteItem, FormError, GeneralError, NotAllowed,
    SaveActions, SelectField, TextField,
};
use super::{admin, page_id};
use crate::api::ApiError;
use crate::loading::{current, load_by_id, loaded_part, Loaded, Task};
use crate::route::{encode_segment, use_location, Link};

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_apis.wasm`, see `super::SectionPages`).
#[wasm_split(apis, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Apis => view! { <ApisPage /> }.into_any(),
        Route::Api => view! { <ApiPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

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
    view! {
        <section data-testid="apis-page">
            <div class="page-head">
                <h1>"APIs"</h1>
                {admin.can("create:resource_servers").then(|| view! { <CreateApi /> })}
            </div>
            <Listing
                testid="apis"
                busy="Loading APIs…"
                columns=&["Name", "Identifier", "Signing", "Token lifetime"]
                fetch=move |page, _| api.list_apis(page)
                row=api_row
            />
        </section>
    }
    .into_any()
}

fn api_row(api: ResourceServer) -> AnyView {
    let href = api_path(&api);
    view! {
        <tr data-testid="api-row" data-identifier=api.identifier.clone()>
            <td>
                <Link href testid="api-link">
                    {api.name}
                </Link>
                {api.is_system.then(|| view! { " " <span class="tag">"System API"</span> })}
            </td>
            <td>
                <code>{api.identifier.clone()}</code>
            </td>
            <td>{api.signing_alg.as_str()}</td>
            <td>{format!("{} s", api.token_lifetime)}</td>
        </tr>
    }
    .into_any()
}

#[component]
fn CreateApi() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let identifier = RwSignal::new(String::new());
    let signing_alg = RwSignal::new(SigningAlg::Rs256.as_str().to_owned());
    let lifetime = RwSignal::new("86400".to_owned());
    let error = FormError::new();
    let local_error = RwSignal::new(None::<String>);
    let location = use_location();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let request = check_identifier(&identifier.get_untracked()).and_then(|()| {
            Ok(ResourceServerCreate {
                identifier: identifier.get_untracked().trim().to_owned(),
                name: Some(name.get_untracked().trim().to_owned()),
                signing_alg: SigningAlg::parse(&signing_alg.get_untracked()),
                token_lifetime: Some(parse_seconds(&lifetime.get_untracked())?),
                ..Default::default()
            })
        });
        let request = match request {
            Ok(request) => request,
            Err(message) => return local_error.set(Some(message)),
        };
        local_error.set(None);
        create.run(api.create_api(&request), move |created| match created {
            Ok(created) => location.open(&api_path(&created)),
            Err(err) => error.set(err),
        });
    });

    view! {
        <CreateForm
            what="API"
            title="New API"
            testid="create-api"
            busy=create.pending()
            on_submit=submit
        >
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
            <SelectField field="signing_alg" label="Signing Algorithm" options=&SIGNING_ALGS value=signing_alg error />
            <TextField
                field="token_lifetime"
                label="Token lifetime (seconds)"
                value=lifetime
                error
                input_type="number"
            />
        </CreateForm>
    }
}

/// `/dashboard/apis/{id}`.
#[component]
pub fn ApiPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Apis.read_scope()) {
        return view! { <NotAllowed what="APIs" scope="read:resource_servers" /> }.into_any();
    }
    let api = admin.api.clone();
    let resource = load_by_id(page_id(), move |id| api.get_api(id));
    let loaded = Memo::new(move |_| loaded_part(resource, |r| r.id.clone()));

    view! {
        <section data-testid="api-page">
            <Breadcrumb section=Section::Apis />
            {show_loaded(
                resource,
                Some("Loading the API…"),
                |r| {
                    view! {
                        <div class="page-head">
                            <h1 data-testid="api-name">{r.name}</h1>
                            <code class="tag" data-testid="api-identifier">{r.identifier}</code>
                        </div>
                    }
                        .into_any()
                },
            )}
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

#[component]
fn ApiSettings(resource: Loaded<ResourceServer>) -> impl IntoView {
    let Some(initial) = current(resource) else {
        return ().into_any();
    };
    let admin = admin();
    let editable = !initial.is_system && admin.can("update:resource_servers");
    let readonly = !editable;
    let name = RwSignal::new(initial.name.clone());
    let lifetime = RwSignal::new(initial.token_lifetime.to_string());
    let signing_alg = RwSignal::new(initial.signing_alg.as_str().to_owned());
    let rbac = RwSignal::new(initial.enforce_policies);
    let error = FormError::new();
    let local_error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let api = admin.api.clone();
    let id = initial.id.clone();
    let save = Task::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        let seconds = match parse_seconds(&lifetime.get_untracked()) {
            Ok(seconds) => seconds,
            Err(message) => return local_error.set(Some(message)),
        };
        local_error.set(None);
        let update = ResourceServerUpdate {
            name: Some(name.get_untracked().trim().to_owned()),
            token_lifetime: Some(seconds),
            signing_alg: SigningAlg::parse(&signing_alg.get_untracked()),
            enforce_policies: Some(rbac.get_untracked()),
            ..Default::default()
        };
        save.run(api.update_api(&id, &update), move |updated| match updated {
            Ok(updated) => {
                saved.set(true);
                resource.set(Some(Ok(updated)));
            }
            Err(err) => error.set(err),
        });
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
            <SelectField field="signing_alg" label="Signing Algorithm" options=&SIGNING_ALGS value=signing_alg error readonly />
            <label class="choice">
                <input
                    type="checkbox"
                    data-testid="field-enforce_policies"
                    disabled=readonly
                    bind:checked=rbac
                />
                "Enable RBAC: people's tokens carry only the permissions assigned to them"
            </label>
            {editable.then(|| view! { <SaveActions label="Save" testid="save-api" pending=save.pending() saved /> })}
        </form>
    }
    .into_any()
}

/// The API's scopes: listed, added and removed (a PATCH of the whole list).
#[component]
fn Permissions(resource: Loaded<ResourceServer>) -> impl IntoView {
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
    let save = Task::new();
    let save_scopes = Callback::new(move |scopes: Vec<ResourceServerScope>| {
        error.clear();
        let update = ResourceServerUpdate {
            scopes: Some(scopes),
            ..Default::default()
        };
        save.run(api.update_api(&id, &update), move |updated| match updated {
            Ok(updated) => {
                value.set(String::new());
                description.set(String::new());
                resource.set(Some(Ok(updated)));
            }
            Err(err) => error.set(err),
        });
    });
    let scopes = move || loaded_part(resource, |r| r.scopes.clone()).unwrap_or_default();
    let add = Callback::new(move |()| {
        let mut list = scopes();
        list.push(ResourceServerScope {
            value: value.get_untracked().trim().to_owned(),
            description: description.get_untracked().trim().to_owned(),
        });
        save_scopes.run(list);
    });
    let remove = Callback::new(move |scope: String| {
        let list = scopes().into_iter().filter(|s| s.value != scope).collect();
        save_scopes.run(list);
    });
    let busy = save.pending();

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
                            .map(|scope| view! { <ScopeRow scope editable busy remove /> })
                            .collect_view()
                    }}
                </tbody>
            </table>
            {editable.then(|| view! { <AddScope value description busy on_add=add /> })}
        </section>
    }
    .into_any()
}

#[component]
fn ScopeRow(
    scope: ResourceServerScope,
    editable: bool,
    busy: Signal<bool>,
    remove: Callback<String>,
) -> impl IntoView {
    let value = scope.value.clone();
    let button = editable.then(|| {
        let value = value.clone();
        view! {
            <button
                type="button"
                class="button secondary small"
                data-testid="remove-scope"
                disabled=move || busy.get()
                on:click=move |_| remove.run(value.clone())
            >
                "Remove"
            </button>
        }
    });
    view! {
        <tr data-testid="scope-row" data-scope=scope.value>
            <td>
                <code>{value}</code>
            </td>
            <td>{scope.description}</td>
            <td>{button}</td>
        </tr>
    }
}

/// A new scope: its value and description.
#[component]
fn AddScope(
    value: RwSignal<String>,
    description: RwSignal<String>,
    busy: Signal<bool>,
    on_add: Callback<()>,
) -> impl IntoView {
    view! {
        <form
            class="inline-form"
            data-testid="add-scope-form"
            on:submit=move |ev| {
                ev.prevent_default();
                on_add.run(());
            }
        >
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
            <button type="submit" class="button small" data-testid="add-scope" disabled=move || busy.get()>
                {move || if busy.get() { "Saving…" } else { "+ Add" }}
            </button>
        </form>
    }
}

#[component]
fn DeleteApi(resource: Loaded<ResourceServer>) -> impl IntoView {
    let Some(initial) = current(resource) else {
        return ().into_any();
    };
    let admin = admin();
    if initial.is_system || !admin.can("delete:resource_servers") {
        return ().into_any();
    }
    let api = admin.api.clone();
    let id = initial.id.clone();
    let delete = Callback::new(move |()| api.delete_api(&id));
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
