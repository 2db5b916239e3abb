//! Users: search and list, create, and one user's details, permissions and
//! deletion.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use shared::management::{
    Permission, PermissionRef, ResourceServer, User, UserCreate, DATABASE_CONNECTION,
};

use super::admin;
use super::applications::Pager;
use super::model::{encode_segment, readable_time, Section};
use super::widgets::{
    load, load_by_id, load_with_progress, show_loaded, Breadcrumb, Busy, CreateForm, DeleteItem,
    ErrorNotice, FormError, GeneralError, NotAllowed, Task, TextField,
};
use crate::api::ApiError;

fn user_path(user_id: &str) -> String {
    format!("/dashboard/users/{}", encode_segment(user_id))
}

/// `/dashboard/users`.
#[component]
pub fn UsersPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Users.read_scope()) {
        return view! { <NotAllowed what="users" scope="read:users" /> }.into_any();
    }
    let page = RwSignal::new(0u64);
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let api = admin.api.clone();
    let loading = RwSignal::new(false);
    let users = load_with_progress(loading, move || {
        search.with(|search| api.list_users(page.get(), search))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        page.set(0);
        search.set(typed.get_untracked());
    };

    view! {
        <section data-testid="users-page">
            <div class="page-head">
                <h1>"Users"</h1>
                {admin.can("create:users").then(|| view! { <CreateUser /> })}
            </div>
            <form class="inline-form" role="search" on:submit=submit>
                <input
                    type="search"
                    placeholder="Search by email or name"
                    aria-label="Search users"
                    data-testid="user-search"
                    bind:value=typed
                />
                <button type="submit" class="button secondary small" data-testid="user-search-submit">
                    "Search"
                </button>
            </form>
            <Show when=move || loading.get()>
                <Busy text="Loading users…" />
            </Show>
            {show_loaded(
                users,
                None,
                move |listing| {
                    let summary = listing.summary();
                    let has_next = listing.has_next();
                    view! {
                        <table class="list" data-testid="users">
                            <thead>
                                <tr>
                                    <th>"Email"</th>
                                    <th>"Name"</th>
                                    <th>"Logins"</th>
                                    <th>"Last login"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {listing
                                    .items
                                    .into_iter()
                                    .map(|user| {
                                        view! {
                                            <tr data-testid="user-row" data-user-id=user.user_id.clone()>
                                                <td>
                                                    <A href=user_path(&user.user_id) attr:data-testid="user-link">
                                                        {user.email.clone()}
                                                    </A>
                                                    {user.blocked.then(|| view! { " " <span class="tag">"Blocked"</span> })}
                                                </td>
                                                <td>{user.name.clone()}</td>
                                                <td>{user.logins_count}</td>
                                                <td>
                                                    {user
                                                        .last_login
                                                        .as_deref()
                                                        .map(readable_time)
                                                        .unwrap_or_else(|| "Never".to_owned())}
                                                </td>
                                            </tr>
                                        }
                                    })
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
fn CreateUser() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = FormError::new();
    let navigate = use_navigate();
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
        let navigate = navigate.clone();
        create.run(api.create_user(&request), move |created| match created {
            Ok(user) => navigate(&user_path(&user.user_id), Default::default()),
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

/// `/dashboard/users/:id`.
#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let admin = admin();
    if !admin.can(Section::Users.read_scope()) {
        return view! { <NotAllowed what="users" scope="read:users" /> }.into_any();
    }
    let api = admin.api.clone();
    let user = load_by_id(id, move |id| api.get_user(id));

    view! {
        <section data-testid="user-page">
            <Breadcrumb section=Section::Users />
            {show_loaded(
                user,
                Some("Loading the user…"),
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
                <dd>
                    {user.last_login.as_deref().map(readable_time).unwrap_or_else(|| "Never".to_owned())}
                </dd>
            </dl>
        </section>
        <UserPermissions user_id=user_id.clone() />
        <DeleteUser user_id email=user.email />
    }
}

/// The permissions assigned to the user, and assigning more from the
/// scopes the APIs define.
#[component]
fn UserPermissions(user_id: String) -> impl IntoView {
    let admin = admin();
    let api = admin.api.clone();
    let editable = admin.can("update:users") && admin.can("read:resource_servers");
    let reload = RwSignal::new(0u32);
    let permissions = {
        let user_id = user_id.clone();
        load(move || {
            reload.track();
            api.user_permissions(&user_id)
        })
    };
    let api = admin.api.clone();
    let error = RwSignal::new(None::<ApiError>);
    #[derive(Clone)]
    enum Change {
        Add(PermissionRef),
        Remove(PermissionRef),
    }
    let change = Task::new();
    let run = Callback::new(move |c: Change| {
        error.set(None);
        let reply = match c {
            Change::Add(p) => api.add_permission(&user_id, p),
            Change::Remove(p) => api.remove_permission(&user_id, p),
        };
        change.run(reply, move |changed| match changed {
            Ok(()) => reload.update(|n| *n += 1),
            Err(err) => error.set(Some(err)),
        });
    });
    let busy = move || change.is_pending();
    let row = move |p: Permission| {
        let reference = PermissionRef {
            resource_server_identifier: p.resource_server_identifier.clone(),
            permission_name: p.permission_name.clone(),
        };
        view! {
            <tr
                data-testid="permission-row"
                data-permission=p.permission_name.clone()
                data-api=p.resource_server_identifier.clone()
            >
                <td>
                    <code>{p.permission_name.clone()}</code>
                </td>
                <td>{p.description.clone()}</td>
                <td>{p.resource_server_name.clone()}</td>
                <td>
                    {admin
                        .can("update:users")
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="button secondary small"
                                    data-testid="remove-permission"
                                    disabled=busy
                                    on:click=move |_| run.run(Change::Remove(reference.clone()))
                                >
                                    "Remove"
                                </button>
                            }
                        })}
                </td>
            </tr>
        }
    };

    view! {
        <section class="panel" data-testid="user-permissions">
            <h2>"Permissions"</h2>
            <p class="note">
                "Scopes of APIs this user may be granted when they sign in to an application \
                 (for APIs with RBAC, and always for the Management API: an admin is a user with \
                 Management API permissions)."
            </p>
            {move || error.get().map(|err| view! { <ErrorNotice err /> })}
            {show_loaded(
                permissions,
                Some("Loading permissions…"),
                move |list| {
                    if list.is_empty() {
                        return view! { <p class="note" data-testid="no-permissions">"No permissions assigned."</p> }
                            .into_any();
                    }
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
                            <tbody>{list.into_iter().map(&row).collect_view()}</tbody>
                        </table>
                    }
                        .into_any()
                },
            )}
            {editable.then(|| view! { <AssignPermission on_assign=Callback::new(move |p| run.run(Change::Add(p))) busy=change.pending() /> })}
        </section>
    }
}

#[component]
fn AssignPermission(on_assign: Callback<PermissionRef>, busy: Signal<bool>) -> impl IntoView {
    let api = admin().api;
    let apis = load(move || api.list_apis());
    let chosen_api = RwSignal::new(String::new());
    let chosen_scope = RwSignal::new(String::new());
    let scopes_of = move |list: &[ResourceServer]| -> Vec<String> {
        let identifier = chosen_api.get();
        list.iter()
            .find(|a| a.identifier == identifier)
            .map(|a| a.scopes.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (api, scope) = (chosen_api.get_untracked(), chosen_scope.get_untracked());
        if !api.is_empty() && !scope.is_empty() {
            on_assign.run(PermissionRef {
                resource_server_identifier: api,
                permission_name: scope,
            });
        }
    };

    show_loaded(apis, Some("Loading APIs…"), move |list| {
        let options = list.clone();
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
                        {options
                            .into_iter()
                            .map(|a| view! { <option value=a.identifier.clone()>{a.name.clone()}</option> })
                            .collect_view()}
                    </select>
                    <select
                        aria-label="Permission"
                        data-testid="permission-scope"
                        prop:value=move || chosen_scope.get()
                        on:change=move |ev| chosen_scope.set(event_target_value(&ev))
                    >
                        <option value="">"Choose a permission"</option>
                        {move || {
                            scopes_of(&list)
                                .into_iter()
                                .map(|s| view! { <option value=s.clone()>{s.clone()}</option> })
                                .collect_view()
                        }}
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
                .into_any()
    })
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
