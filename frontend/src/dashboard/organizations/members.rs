//! An organization's Members tab: the people who may sign in to it, added
//! by email (found with the users' search) or by user ID, and removed.

use leptos::prelude::*;
use shared::organizations::OrganizationMember;

use crate::api::{Method, Reply};
use crate::dashboard::admin;
use crate::dashboard::listing::Listing;
use crate::dashboard::users::user_path;
use crate::dashboard::widgets::{FormError, GeneralError, NotAllowed, TextField};
use crate::loading::Task;
use crate::route::Link;

/// Removing a member, offered on each row when the admin may: the rows of
/// a [`Listing`] are plain functions, so they find it in context.
#[derive(Debug, Clone, Copy)]
struct Removal {
    remove: Callback<String>,
    busy: Signal<bool>,
}

#[component]
pub fn MembersTab(id: String) -> impl IntoView {
    let admin = admin();
    if !admin.can("read:organization_members") {
        return view! {
            <NotAllowed what="this organization's members" scope="read:organization_members" />
        }
        .into_any();
    }
    let reload = RwSignal::new(0u32);
    let error = FormError::new();
    let typed = RwSignal::new(String::new());
    let task = Task::new();
    let busy = task.pending();
    // A change of the members; once done, they are listed again.
    let change = Callback::new(move |reply: Reply<()>| {
        error.clear();
        task.run(reply, move |done| match done {
            Ok(()) => {
                typed.set(String::new());
                reload.update(|n| *n += 1);
            }
            Err(err) => error.set(err),
        });
    });
    if admin.can("delete:organization_members") {
        let (api, id) = (admin.api.clone(), id.clone());
        let remove = Callback::new(move |user_id: String| {
            change.run(api.change_members(Method::Delete, &id, vec![user_id]));
        });
        provide_context(Removal { remove, busy });
    }
    let add = admin.can("create:organization_members").then(|| {
        let (api, id) = (admin.api.clone(), id.clone());
        // An email is looked up with the users' search; what it does not
        // find is sent as it is, and the API says that nobody has it.
        let by_email = admin.can("read:users");
        let submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let who = typed.get_untracked().trim().to_owned();
            let (api, id) = (api.clone(), id.clone());
            change.run(Box::pin(async move {
                let mut members = Vec::new();
                if by_email && who.contains('@') {
                    let found = api.list_users(0, &format!("email:\"{who}\"")).await?;
                    members.extend(found.items.into_iter().map(|user| user.user_id));
                }
                if members.is_empty() {
                    members.push(who);
                }
                api.change_members(Method::Post, &id, members).await
            }));
        };
        view! {
            <form class="inline-form" data-testid="add-member-form" on:submit=submit>
                <TextField
                    field="members"
                    label="Add a member"
                    value=typed
                    error
                    hint=if by_email { "Their email address or user ID." } else { "Their user ID." }
                />
                <button type="submit" class="button small" data-testid="add-member" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Add" }}
                </button>
            </form>
        }
    });
    let api = admin.api.clone();

    view! {
        <section class="panel" data-testid="organization-members">
            <h2>"Members"</h2>
            <p class="note">"The people who may sign in to this organization."</p>
            <GeneralError error fields=&["members"] />
            {add}
            <Listing
                testid="members"
                busy="Loading members…"
                columns=&["Email", "Name", "User ID", ""]
                fetch=move |page, _| {
                    reload.track();
                    api.list_members(&id, page)
                }
                row=member_row
            />
        </section>
    }
    .into_any()
}

fn member_row(member: OrganizationMember) -> AnyView {
    let remove = use_context::<Removal>().map(|Removal { remove, busy }| {
        let user_id = member.user_id.clone();
        view! {
            <button
                type="button"
                class="button secondary small"
                data-testid="remove-member"
                disabled=move || busy.get()
                on:click=move |_| remove.run(user_id.clone())
            >
                "Remove"
            </button>
        }
    });
    let (user_id, href) = (member.user_id.clone(), user_path(&member.user_id));
    view! {
        <tr data-testid="member-row" data-user-id=user_id>
            <td>
                <Link href testid="member-link">
                    {member.email}
                </Link>
            </td>
            <td>{member.name}</td>
            <td>
                <code>{member.user_id}</code>
            </td>
            <td>{remove}</td>
        </tr>
    }
    .into_any()
}
