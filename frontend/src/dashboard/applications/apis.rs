//! An application's APIs tab: which APIs a machine-to-machine application
//! may get tokens for, with which scopes, and whether for organizations
//! (its client grants).

use std::sync::Arc;

use leptos::prelude::*;
use shared::management::{
    Client, ClientGrant, ClientGrantCreate, ClientGrantUpdate, GrantType, ResourceServer,
};

use crate::api::{ApiError, Reply};
use crate::dashboard::admin;
use crate::dashboard::model::{
    api_access, parse_organization_usage, toggle_scope, ApiAccess, ORGANIZATION_USAGES,
};
use crate::dashboard::widgets::{show_answer, Busy, ErrorLine, NotAllowed};
use crate::loading::{current, Loaded, Task};

/// Which APIs a machine-to-machine application may get tokens for.
#[component]
pub fn ApisTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    if !initial.grant_types.contains(&GrantType::ClientCredentials) {
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
    let access = move || -> Reply<Vec<ApiAccess>> {
        let (apis, grants) = (api.all_apis(), api.grants_of(&client_id));
        Box::pin(async move { Ok(api_access(apis.await?, &grants.await?)) })
    };
    let client_id = initial.client_id.clone();

    view! {
        <section class="panel" data-testid="application-apis">
            <h2>"APIs"</h2>
            <p class="note">
                "Authorize this application to get access tokens for an API with the \
                 Client Credentials grant, and choose the scopes it gets."
            </p>
            {show_answer(
                Some("Loading APIs…"),
                access,
                move |list: Vec<ApiAccess>| {
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

/// The id of the grant `reply` makes.
fn granted(reply: Reply<ClientGrant>) -> Reply<Option<String>> {
    Box::pin(async move { reply.await.map(|grant| Some(grant.id)) })
}

/// One API: whether the application is authorized for it, the scopes to
/// grant, and the buttons that change the grant.
#[component]
fn ApiAccessRow(access: ApiAccess, client_id: String) -> impl IntoView {
    let admin = admin();
    let ApiAccess {
        api: resource,
        grant,
    } = access;
    let scopes = RwSignal::new(grant.as_ref().map(|g| g.scope.clone()).unwrap_or_default());
    let usage = RwSignal::new(
        grant
            .as_ref()
            .map_or("deny", |g| g.organization_usage.as_str())
            .to_owned(),
    );
    let any_organization = RwSignal::new(grant.as_ref().is_some_and(|g| g.allow_any_organization));
    // The grant's id while the application is authorized.
    let grant = RwSignal::new(grant.map(|g| g.id));
    let error = RwSignal::new(None::<ApiError>);
    // What the last change did, e.g. "Authorized.".
    let saved = RwSignal::new(None::<String>);
    let authorized = move || grant.with(Option::is_some);
    let resource = Arc::new(resource);

    let api = admin.api.clone();
    let audience = resource.identifier.clone();
    let task = Task::new();
    let run = Callback::new(move |change: GrantChange| {
        let scope = scopes.get_untracked();
        let organization_usage = parse_organization_usage(&usage.get_untracked());
        let allow_any_organization = any_organization.get_untracked();
        let reply = match (change, grant.get_untracked()) {
            (GrantChange::Authorize, _) => granted(api.create_grant(&ClientGrantCreate {
                client_id: client_id.clone(),
                audience: audience.clone(),
                scope,
                organization_usage: Some(organization_usage),
                allow_any_organization: Some(allow_any_organization),
            })),
            (GrantChange::Update, Some(id)) => granted(api.update_grant(
                &id,
                &ClientGrantUpdate {
                    scope: Some(scope),
                    organization_usage: Some(Some(organization_usage)),
                    allow_any_organization: Some(allow_any_organization),
                },
            )),
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
                saved.set(Some(change.done().to_owned()));
            }
            Err(err) => error.set(Some(err)),
        });
    });
    let busy = task.pending();
    let button = move |change: GrantChange, allowed: bool| {
        allowed.then(|| view! { <GrantButton change busy on_click=run /> })
    };
    let (may_create, may_update, may_delete) = (
        admin.can("create:client_grants"),
        admin.can("update:client_grants"),
        admin.can("delete:client_grants"),
    );

    let (name, identifier) = (resource.name.clone(), resource.identifier.clone());
    let shown_identifier = identifier.clone();
    // The Management API's grants cannot act for organizations.
    let organizations =
        (!resource.is_system).then(|| view! { <OrganizationChoices usage any_organization /> });

    view! {
        <div
            class="api-access"
            data-testid="api-access"
            data-identifier=identifier
            data-authorized=move || authorized().to_string()
        >
            <div class="api-access-head">
                <div>
                    <strong>{name}</strong>
                    " "
                    <code class="hint">{shown_identifier}</code>
                </div>
                <span class="tag" data-testid="authorization-status">
                    {move || if authorized() { "Authorized" } else { "Unauthorized" }}
                </span>
            </div>
            <ScopeChoices resource scopes />
            {organizations}
            <div class="actions">
                <Show when=authorized fallback=move || button(GrantChange::Authorize, may_create)>
                    {button(GrantChange::Update, may_update)}
                    {button(GrantChange::Unauthorize, may_delete)}
                </Show>
                {move || busy.get().then(|| view! { <Busy text="Saving…" /> })}
                {move || {
                    saved
                        .get()
                        .map(|m| view! { <span class="status ok" role="status" data-testid="grant-saved">{m}</span> })
                }}
            </div>
            <ErrorLine error />
        </div>
    }
}

/// A checkbox per scope the API defines: those to grant.
#[component]
fn ScopeChoices(resource: Arc<ResourceServer>, scopes: RwSignal<Vec<String>>) -> impl IntoView {
    if resource.scopes.is_empty() {
        return view! { <p class="note">"This API defines no scopes."</p> }.into_any();
    }
    let choices = resource
        .scopes
        .iter()
        .map(|s| {
            let value = s.value.clone();
            let checked = {
                let value = value.clone();
                move || scopes.with(|list| list.contains(&value))
            };
            let toggle = {
                let (resource, value) = (resource.clone(), value.clone());
                move |ev| {
                    let on = event_target_checked(&ev);
                    scopes.update(|list| *list = toggle_scope(&resource, list, &value, on));
                }
            };
            view! {
                <label class="choice">
                    <input
                        type="checkbox"
                        data-testid="grant-scope"
                        value=value.clone()
                        prop:checked=checked
                        on:change=toggle
                    />
                    <code>{value}</code>
                    {(!s.description.is_empty()).then(|| view! { <span class="hint">{s.description.clone()}</span> })}
                </label>
            }
        })
        .collect_view();
    view! { <fieldset class="scopes" aria-label="Scopes">{choices}</fieldset> }.into_any()
}

/// Whether a token request with the grant may, or must, name an
/// organization, and whether any organization or only those the grant is
/// linked to (an organization's Machine to Machine Access).
#[component]
fn OrganizationChoices(usage: RwSignal<String>, any_organization: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="inline-form">
            <label class="choice">
                "Organization usage"
                <select
                    data-testid="organization-usage"
                    prop:value=move || usage.get()
                    on:change=move |ev| usage.set(event_target_value(&ev))
                >
                    {ORGANIZATION_USAGES
                        .iter()
                        .map(|&(value, label)| {
                            view! { <option value=value selected=move || usage.get() == value>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="choice">
                <input type="checkbox" data-testid="allow-any-organization" bind:checked=any_organization />
                "Allow any organization"
            </label>
        </div>
    }
}
