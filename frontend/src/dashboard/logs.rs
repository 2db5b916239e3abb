//! Logs: the tenant's audit log, newest first, searched with the
//! Management API's `q`, and one event's details.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::logs::LogEvent;

use super::listing::{Choices, Listing, Search};
use super::model::{event_type_label, readable_time, Route, Section, EVENT_TYPES};
use super::widgets::{show_answer, Breadcrumb, NotAllowed};
use super::{admin, page_id};
use crate::api::ApiError;
use crate::route::{encode_segment, Link};

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_logs.wasm`, see `super::SectionPages`).
#[wasm_split(logs, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Logs => view! { <LogsPage /> }.into_any(),
        Route::Log => view! { <LogPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

fn log_path(log_id: &str) -> String {
    format!("/dashboard/logs/{}", encode_segment(log_id))
}

/// `/dashboard/logs`.
#[component]
pub fn LogsPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Logs.read_scope()) {
        return view! { <NotAllowed what="the logs" scope="read:logs" /> }.into_any();
    }
    let api = admin.api.clone();
    view! {
        <section data-testid="logs-page">
            <div class="page-head">
                <h1>"Logs"</h1>
            </div>
            <Listing
                testid="logs"
                busy="Loading events…"
                columns=&["Date", "Type", "Description", "User", "Client"]
                search=Search {
                    label: "Search events",
                    placeholder: "type:f, user_id:\"…\", client_id:…",
                    testid: "log-search",
                    choices: Some(Choices {
                        field: "type",
                        values: &EVENT_TYPES,
                    }),
                }
                fetch=move |page, q| api.list_logs(page, q)
                row=log_row
            />
        </section>
    }
    .into_any()
}

fn log_row(event: LogEvent) -> AnyView {
    let href = log_path(&event.log_id);
    view! {
        <tr data-testid="log-row" data-type=event.event_type.clone()>
            <td>
                <Link href testid="log-link">
                    {readable_time(&event.date)}
                </Link>
            </td>
            <td>{event_type_label(&event.event_type).to_owned()}</td>
            <td>{event.description}</td>
            <td>{event.user_name.or(event.user_id)}</td>
            <td>
                <code>{event.client_id}</code>
            </td>
        </tr>
    }
    .into_any()
}

/// `/dashboard/logs/{id}`.
#[component]
pub fn LogPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Logs.read_scope()) {
        return view! { <NotAllowed what="the logs" scope="read:logs" /> }.into_any();
    }
    let api = admin.api.clone();
    let id = page_id();
    view! {
        <section data-testid="log-page">
            <Breadcrumb section=Section::Logs />
            {show_answer(
                Some("Loading the event…"),
                move || id.with(|id| api.get_log(id)),
                |event| view! { <LogDetails event /> }.into_any(),
            )}
        </section>
    }
    .into_any()
}

#[component]
fn LogDetails(event: LogEvent) -> impl IntoView {
    let field = |label: &'static str, value: Option<String>| {
        value.map(|value| view! { <dt>{label}</dt> <dd>{value}</dd> })
    };
    let details = event.details;
    let named = |kind: &str, id: Option<String>| match id {
        Some(id) => format!("{kind} {id}"),
        None => kind.to_owned(),
    };
    let actor = named(details.actor.kind.as_str(), details.actor.id);
    let target = details.target.map(|target| named(&target.kind, target.id));
    let request = details
        .request
        .map(|request| format!("{} {}", request.method, request.path));
    view! {
        <div class="page-head">
            <h1 data-testid="log-description">{event.description}</h1>
        </div>
        <section class="panel">
            <dl class="fields" data-testid="log-details">
                <dt>"Type"</dt>
                <dd data-testid="log-type">
                    {format!("{} ({})", event_type_label(&event.event_type), event.event_type)}
                </dd>
                <dt>"Date"</dt>
                <dd>{readable_time(&event.date)}</dd>
                <dt>"Log ID"</dt>
                <dd>
                    <code data-testid="log-id">{event.log_id}</code>
                </dd>
                <dt>"Actor"</dt>
                <dd data-testid="log-actor">{actor}</dd>
                {field("Target", target)}
                {field("Request", request)}
                {field("Reason", details.reason)}
                {field("User", event.user_id)}
                {field("Email", event.user_name)}
                {field("Client", event.client_id)}
                {field("IP address", event.ip)}
                {field("User agent", event.user_agent)}
            </dl>
        </section>
    }
}
