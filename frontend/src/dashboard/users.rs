//! Users: search and list, create, and one user's details, permissions and
//! deletion.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::management::{
    Permission, PermissionRef, ResourceServer, User, UserCreate, DATABASE_CONNECTION,
};

use super::listing::{Listing, Search};
use super::model::{readable_time, Route, Section};
use super::widgets::{
    show_answer, Breadcrumb, CreateForm, DeleteItem, ErrorLine, FormError, GeneralError,
    NotAllowed, TextField,
};
use super::{admin, page_id};
use crate::api::ApiError;
use crate::loading::Task;
use crate::route::{encode_segment, use_location, Link};

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_users.wasm`, see `super::SectionPages`).
#[wasm_split(users, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Users => view! { <UsersPage /> }.into_any(),
        Route::User => view! { <UserPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

pub fn user_path(user_id: &str) -> String {
    format!("/dashboard/users/{}", encode_segment(user_id))
}

/// `/dashboard/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Users.read_scope()) {
        return view! { <NotAllowed what="users" scope="read:users" /> }.into_any();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="users-page">
            <div class="page-head">
                <h1>"Users"</h1>
                {admin.can("create:users").then(|| view! { <CreateUser /> })}
            </div>
            <Listing
                testid="users"
                busy="Loading users…"
                columns=&["Email", "Name", "Logins", "Last login"]
                search=Search {
                    label: "Search users",
                    placeholder: "Search by email or name",
                    testid: "user-search",
                    choices: None,
                }
                fetch=move |page, search| api.list_users(page, search)
                row=user_row
            />
        </section>
    }
    .into_any()
}

fn user_row(user: User) -> AnyView {
    let href = user_path(&user.user_id);
    let last_login = last_login(&user);
    view! {
        <tr data-testid="user-row" data-user-id=user.user_id>
            <td>
                <Link href testid="user-link">
                    {user.email}
                </Link>
                {user.blocked.then(|| view! { " " <span class="tag">"Blocked"</span> })}
            </td>
            <td>{user.name}</td>
            <td>{user.logins_count}</td>
            <td>{last_login}</td>
        </tr>
    }
    .into_any()
}

fn last_login(user: &User) -> String {
    user.last_login
        .as_deref()
        .map(readable_time)
        .unwrap_or_else(|| "Never".to_owned())
}

#[component]
fn CreateUser() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = FormError::new();
    let location = use_location();
    let api = admin().api;
    let create = Task::new();
    let submit = Callback::new(move |()| {
        error.clear();
        let name = name.get_untracked().trim().to_owned();
        let request = UserCreate {
            connection: DATABASE_CONNECTION.to_owned(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            name: (!name.is_empty()).then_some(name),
            ..Default::default()
        };
        create.run(api.create_user(&request), move |created| match created {
            Ok(user) => location.open(&user_path(&user.user_id)),
            Err(err) => error.set(err),
        });
    });

    view! {
        <CreateForm
            what="User"
            title="New User"
            testid="create-user"
            busy=create.pending()
            on_submit=submit
        >
            <GeneralError error fields=&["email", "password", "name"] />
            <TextField field="email" label="Email" value=email error input_type="email" />
            <TextField
                field="password"
                label="Password"
                value=password
                error
                input_type="password"
                hint="8 to 128 characters, not the email address."
            />
            <TextField field="name" label="Name (optional)" value=name error />
            <p class="hint">{format!("Connection: {DATABASE_CONNECTION}")}</p>
        </CreateForm>
    }
}

/// `/dashboard/users/{id}`.
#[component]
pub fn UserPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Users.read_scope()) {
        return view! { <NotAllowed what="users" scope="read:users" /> }.into_any();
    }
    let api = admin.api.clone();
    let id = page_id();

    view! {
        <section data-testid="user-page">
            <Breadcrumb section=Section::Users />
            {show_answer(
                Some("Loading the user…"),
                move || id.with(|id| api.get_user(id)),
                |user| view! { <UserDetails user /> }.into_any(),
            )}
        </section>
    }
    .into_any()
}

#[component]
fn UserDetails(user: User) -> impl IntoView {
    let user_id = user.user_id.clone();
    view! {
        <div class="page-head">
            <h1 data-testid="user-email">{user.email.clone()}</h1>
            {user.blocked.then(|| view! { <span class="tag">"Blocked"</span> })}
        </div>
        <section class="panel">
            <dl class="fields">
                <dt>"Name"</dt>
                <dd data-testid="user-name">{user.name.clone()}</dd>
                <dt>"User ID"</dt>
                <dd>
                    <code data-testid="user-id">{user.user_id.clone()}</code>
                </dd>
                <dt>"Connection"</dt>
                <dd>{DATABASE_CONNECTION}</dd>
                <dt>"Created"</dt>
                <dd>{readable_time(&user.created_at)}</dd>
                <dt>"Logins"</dt>
                <dd>{user.logins_count}</dd>
                <dt>"Last login"</dt>
                <dd>{last_login(&user)}</dd>
            </dl>
        </section>
        <UserPermissions user_id=user_id.clone() />
        <DeleteUser user_id email=user.email />
    }
}

/// What a person may do to a user's permissions.
#[derive(Debug, Clone)]
enum PermissionChange {
    Add(PermissionRef),
    Remove(PermissionRef),
}

/// The permissions assigned to the user, and assigning more from the
/// scopes the APIs define.
#[component]
fn UserPermissions(user_id: String) -> impl IntoView {
    let admin = admin();
    let may_remove = admin.can("update:users");
    let may_add = may_remove && admin.can("read:resource_servers");
    let reload = RwSignal::new(0u32);
    let permissions = {
        let (api, user_id) = (admin.api.clone(), user_id.clone());
        move || {
            reload.track();
            api.user_permissions(&user_id)
        }
    };
    let api = admin.api.clone();
    let error = RwSignal::new(None::<ApiError>);
    let task = Task::new();
    let change = Callback::new(move |change: PermissionChange| {
        error.set(None);
        let reply = match change {
            PermissionChange::Add(p) => api.add_permission(&user_id, p),
            PermissionChange::Remove(p) => api.remove_permission(&user_id, p),
        };
        task.run(reply, move |changed| match changed {
            Ok(()) => reload.update(|n| *n += 1),
            Err(err) => error.set(Some(err)),
        });
    });
    let busy = task.pending();

    view! {
        <section class="panel" data-testid="user-permissions">
            <h2>"Permissions"</h2>
            <p class="note">
                "Scopes of APIs this user may be granted when they sign in to an application \
                 (for APIs with RBAC, and always for the Management API: an admin is a user with \
                 Management API permissions)."
            </p>
            <ErrorLine error />
            {show_answer(
                Some("Loading permissions…"),
                permissions,
                move |list: Vec<Permission>| {
                    view! { <PermissionsTable list may_remove busy change /> }.into_any()
                },
            )}
            {may_add.then(|| view! { <AssignPermission busy change /> })}
        </section>
    }
}

#[component]
fn PermissionsTable(
    list: Vec<Permission>,
    may_remove: bool,
    busy: Signal<bool>,
    change: Callback<PermissionChange>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="note" data-testid="no-permissions">"No permissions assigned."</p> }
            .into_any();
    }
    let row = move |p: Permission| {
        let reference = PermissionRef {
            resource_server_identifier: p.resource_server_identifier.clone(),
            permission_name: p.permission_name.clone(),
        };
        let remove = may_remove.then(|| {
            view! {
                <button
                    type="button"
                    class="button secondary small"
                    data-testid="remove-permission"
                    disabled=move || busy.get()
                    on:click=move |_| change.run(PermissionChange::Remove(reference.clone()))
                >
                    "Remove"
                </button>
            }
        });
        let name = p.permission_name.clone();
        view! {
            <tr
                data-testid="permission-row"
                data-permission=p.permission_name
                data-api=p.resource_server_identifier
            >
                <td>
                    <code>{name}</code>
                </td>
                <td>{p.description}</td>
                <td>{p.resource_server_name}</td>
                <td>{remove}</td>
            </tr>
        }
    };
    view! {
        <table class="list" data-testid="permissions">
            <thead>
                <tr>
                    <th>"Permission"</th>
                    <th>"Description"</th>
                    <th>"API"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

/// Choose an API, then one of its scopes, and add it.
#[component]
fn AssignPermission(busy: Signal<bool>, change: Callback<PermissionChange>) -> impl IntoView {
    let api = admin().api;
    show_answer(
        Some("Loading APIs…"),
        move || api.all_apis(),
        move |apis: Vec<ResourceServer>| view! { <AssignForm apis busy change /> }.into_any(),
    )
}

#[component]
fn AssignForm(
    apis: Vec<ResourceServer>,
    busy: Signal<bool>,
    change: Callback<PermissionChange>,
) -> impl IntoView {
    let chosen_api = RwSignal::new(String::new());
    let chosen_scope = RwSignal::new(String::new());
    let options = apis
        .iter()
        .map(|a| view! { <option value=a.identifier.clone()>{a.name.clone()}</option> })
        .collect_view();
    let scope_options = move || {
        let identifier = chosen_api.get();
        apis.iter().find(|a| a.identifier == identifier).map(|a| {
            a.scopes
                .iter()
                .map(|s| view! { <option value=s.value.clone()>{s.value.clone()}</option> })
                .collect_view()
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (api, scope) = (chosen_api.get_untracked(), chosen_scope.get_untracked());
        if !api.is_empty() && !scope.is_empty() {
            change.run(PermissionChange::Add(PermissionRef {
                resource_server_identifier: api,
                permission_name: scope,
            }));
        }
    };

    view! {
        <form class="inline-form" data-testid="assign-permission" on:submit=submit>
            <select
                aria-label="API"
                data-testid="permission-api"
                prop:value=move || chosen_api.get()
                on:change=move |ev| {
                    chosen_api.set(event_target_value(&ev));
                    chosen_scope.set(String::new());
                }
            >
                <option value="">"Choose an API"</option>
                {options}
            </select>
            <select
                aria-label="Permission"
                data-testid="permission-scope"
                prop:value=move || chosen_scope.get()
                on:change=move |ev| chosen_scope.set(event_target_value(&ev))
            >
                <option value="">"Choose a permission"</option>
                {scope_options}
            </select>
            <button
                type="submit"
                class="button small"
                data-testid="add-permission"
                disabled=move || {
                    busy.get() || chosen_api.get().is_empty() || chosen_scope.get().is_empty()
                }
            >
                {move || if busy.get() { "Saving…" } else { "Add permission" }}
            </button>
        </form>
    }
}

#[component]
fn DeleteUser(user_id: String, email: String) -> impl IntoView {
    let admin = admin();
    if !admin.can("delete:users") {
        return ().into_any();
    }
    let api = admin.api.clone();
    let delete = Callback::new(move |()| api.delete_user(&user_id));
    view! {
        <section class="panel danger-zone" data-testid="danger-zone">
            <h2>"Danger Zone"</h2>
            <DeleteItem
                heading="Delete this user"
                note="They can no longer sign in, and their sessions end."
                question="Delete the user?"
                consequence=format!("{email} is deleted. This cannot be undone.")
                testid="delete-user"
                then=Section::Users.path()
                delete
            />
        </section>
    }
    .into_any()
}
