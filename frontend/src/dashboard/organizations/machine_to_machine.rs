//! An organization's Machine to Machine Access tab, as in Auth0's
//! Dashboard: the client grants that may act for the organization (an
//! application's access to an API), added by choosing an application and
//! then one of the APIs it is authorized for, and removed.

use leptos::prelude::*;

use crate::api::{ApiError, Reply};
use crate::dashboard::admin;
use crate::dashboard::model::{grant_labels, organization_usage_label, GrantLabel};
use crate::dashboard::widgets::{show_answer, ErrorLine, NotAllowed};
use crate::loading::Task;

/// The grants linked to the organization, and those that could be.
#[derive(Debug, Clone)]
struct Access {
    linked: Vec<GrantLabel>,
    others: Vec<GrantLabel>,
}

#[component]
pub fn MachineToMachineTab(id: String) -> impl IntoView {
    let admin = admin();
    let needed = [
        "read:organization_client_grants",
        "read:client_grants",
        "read:clients",
        "read:resource_servers",
    ];
    if let Some(scope) = admin.permissions.missing(&needed) {
        return view! { <NotAllowed what="this organization's machine-to-machine access" scope /> }
            .into_any();
    }
    let reload = RwSignal::new(0u32);
    let error = RwSignal::new(None::<ApiError>);
    let task = Task::new();
    let busy = task.pending();
    // A change of the links; once done, they are listed again.
    let change = Callback::new(move |reply: Reply<()>| {
        error.set(None);
        task.run(reply, move |done| match done {
            Ok(()) => reload.update(|n| *n += 1),
            Err(err) => error.set(Some(err)),
        });
    });
    let (may_add, may_remove) = (
        admin.can("create:organization_client_grants"),
        admin.can("delete:organization_client_grants"),
    );
    let access = {
        let (api, id) = (admin.api.clone(), id.clone());
        move || -> Reply<Access> {
            reload.track();
            let linked = api.organization_grants(&id);
            let (grants, clients, apis) = (api.all_grants(), api.all_clients(), api.all_apis());
            Box::pin(async move {
                let linked: Vec<String> = linked.await?.into_iter().map(|g| g.id).collect();
                let (linked, others) = grant_labels(&grants.await?, &clients.await?, &apis.await?)
                    .into_iter()
                    .partition(|label| linked.contains(&label.grant_id));
                Ok(Access { linked, others })
            })
        }
    };
    let (api, organization) = (admin.api.clone(), id.clone());
    let remove = Callback::new(move |grant_id: String| {
        change.run(api.unlink_grant(&organization, &grant_id));
    });
    let api = admin.api.clone();
    let add = Callback::new(move |grant_id: String| change.run(api.link_grant(&id, grant_id)));

    view! {
        <section class="panel" data-testid="organization-access">
            <h2>"Machine to Machine Access"</h2>
            <p class="note">
                "The applications whose access to an API may act for this organization: a "
                <code>"client_credentials"</code>
                " request naming it gets a token with its "
                <code>"org_id"</code>
                ", once the access's organization usage (the application's APIs tab) is Optional or Required."
            </p>
            <ErrorLine error />
            {show_answer(
                Some("Loading access…"),
                access,
                move |access: Access| {
                    view! {
                        <AccessTable linked=access.linked may_remove busy remove />
                        {may_add.then(|| view! { <AddAccess others=access.others busy add /> })}
                    }
                        .into_any()
                },
            )}
        </section>
    }
    .into_any()
}

#[component]
fn AccessTable(
    linked: Vec<GrantLabel>,
    may_remove: bool,
    busy: Signal<bool>,
    remove: Callback<String>,
) -> impl IntoView {
    if linked.is_empty() {
        return view! { <p class="note" data-testid="no-access">"No application has access yet."</p> }
            .into_any();
    }
    let row = move |label: GrantLabel| {
        let grant_id = label.grant_id.clone();
        let button = may_remove.then(|| {
            view! {
                <button
                    type="button"
                    class="button secondary small"
                    data-testid="remove-access"
                    disabled=move || busy.get()
                    on:click=move |_| remove.run(grant_id.clone())
                >
                    "Remove"
                </button>
            }
        });
        view! {
            <tr data-testid="access-row" data-grant-id=label.grant_id data-client-id=label.client_id>
                <td>{label.application}</td>
                <td>{label.api}</td>
                <td>{organization_usage_label(label.usage)}</td>
                <td>{button}</td>
            </tr>
        }
    };
    view! {
        <table class="list" data-testid="access">
            <thead>
                <tr>
                    <th>"Application"</th>
                    <th>"API"</th>
                    <th>"Organization usage"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{linked.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// "Add Access": an application, then one of the APIs it is authorized
/// for (its client grant).
#[component]
fn AddAccess(others: Vec<GrantLabel>, busy: Signal<bool>, add: Callback<String>) -> impl IntoView {
    let application = RwSignal::new(String::new());
    let grant = RwSignal::new(String::new());
    let mut applications: Vec<(String, String)> = others
        .iter()
        .map(|l| (l.client_id.clone(), l.application.clone()))
        .collect();
    applications.dedup();
    let application_options = applications
        .into_iter()
        .map(|(client_id, name)| view! { <option value=client_id>{name}</option> })
        .collect_view();
    let api_options = move || {
        let client_id = application.get();
        others
            .iter()
            .filter(|l| l.client_id == client_id)
            .map(|l| view! { <option value=l.grant_id.clone()>{l.api.clone()}</option> })
            .collect_view()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let grant_id = grant.get_untracked();
        if !grant_id.is_empty() {
            add.run(grant_id);
        }
    };

    view! {
        <h3>"Add Access"</h3>
        <form class="inline-form" data-testid="add-access" on:submit=submit>
            <select
                aria-label="Application"
                data-testid="access-application"
                prop:value=move || application.get()
                on:change=move |ev| {
                    application.set(event_target_value(&ev));
                    grant.set(String::new());
                }
            >
                <option value="">"Choose an application"</option>
                {application_options}
            </select>
            <select
                aria-label="API"
                data-testid="access-api"
                prop:value=move || grant.get()
                on:change=move |ev| grant.set(event_target_value(&ev))
            >
                <option value="">"Choose an API"</option>
                {api_options}
            </select>
            <button
                type="submit"
                class="button small"
                data-testid="save-access"
                disabled=move || busy.get() || grant.get().is_empty()
            >
                {move || if busy.get() { "Saving…" } else { "Save" }}
            </button>
        </form>
    }
}
