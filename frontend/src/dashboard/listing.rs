//! The Dashboard's three lists (Applications, APIs, Users), written once: a
//! Management API listing a page at a time, with its progress, errors,
//! empty state and pager, and a search box where the API searches.

use leptos::prelude::*;

use super::widgets::{show_loaded, Busy};
use crate::api::management::Page;
use crate::api::Reply;
use crate::loading::{load_with_progress, Loaded};

/// A search box above a list.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    pub label: &'static str,
    pub placeholder: &'static str,
    /// Test id of the box; its button's adds `-submit`, its choices'
    /// `-choice`.
    pub testid: &'static str,
    /// Values of one field to choose from, beside the box.
    pub choices: Option<Choices>,
}

/// Values of one field to search for, e.g. the log's event types: choosing
/// one searches `{field}:{value}`.
#[derive(Debug, Clone, Copy)]
pub struct Choices {
    pub field: &'static str,
    /// (value, label).
    pub values: &'static [(&'static str, &'static str)],
}

/// A Management API listing as a table, a page at a time: the previous
/// page stays on screen, with a progress line, until the next one is here;
/// a new search starts again at the first page.
#[component]
pub fn Listing<T>(
    /// Test id of the table.
    testid: &'static str,
    /// Shown while a page loads, e.g. "Loading applications…".
    busy: &'static str,
    /// The table's column headings.
    columns: &'static [&'static str],
    /// A search box, for a listing the Management API searches.
    #[prop(optional)]
    search: Option<Search>,
    /// A page of the listing (numbered from 0), narrowed to the search
    /// (blank for none).
    fetch: impl Fn(u64, &str) -> Reply<Page<T>> + 'static,
    /// An item as a table row.
    row: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
{
    let page = RwSignal::new(0u64);
    let searched = RwSignal::new(String::new());
    let loading = RwSignal::new(false);
    // Each page made into its table as it arrives: only this depends on `T`.
    let table = load_with_progress(loading, move || {
        let reply = searched.with(|search| fetch(page.get(), search));
        Box::pin(async move {
            let listing = reply.await?;
            Ok(ViewFn::from(move || {
                let rows = listing
                    .items
                    .iter()
                    .cloned()
                    .map(row)
                    .collect_view()
                    .into_any();
                let (summary, has_next) = (listing.summary(), listing.has_next());
                view! { <Table testid columns rows page summary has_next /> }.into_any()
            }))
        }) as Reply<ViewFn>
    });
    view! { <Pages busy search page searched loading table /> }
}

/// What [`Listing`] shows, for every type of item.
#[component]
fn Pages(
    busy: &'static str,
    search: Option<Search>,
    page: RwSignal<u64>,
    searched: RwSignal<String>,
    loading: RwSignal<bool>,
    table: Loaded<ViewFn>,
) -> impl IntoView {
    view! {
        {search.map(|search| view! { <SearchForm search page searched /> })}
        {move || loading.get().then(|| view! { <Busy text=busy /> })}
        {show_loaded(table, None, |table| table.run())}
    }
}

/// One page of a listing, its items already rows; the pager's summary says
/// when there are none ("None yet").
#[component]
fn Table(
    testid: &'static str,
    columns: &'static [&'static str],
    rows: AnyView,
    page: RwSignal<u64>,
    summary: String,
    has_next: bool,
) -> impl IntoView {
    view! {
        <table class="list" data-testid=testid>
            <thead>
                <tr>{columns.iter().map(|column| view! { <th>{*column}</th> }).collect_view()}</tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <Pager page summary has_next />
    }
}

#[component]
fn SearchForm(search: Search, page: RwSignal<u64>, searched: RwSignal<String>) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let search_for = move |q: String| {
        page.set(0);
        searched.set(q);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search_for(typed.get_untracked());
    };
    // A choice fills the box with its query and searches for it; the
    // first, "All", with nothing.
    let choices = search.choices.map(|choices| {
        let choose = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let q = if value.is_empty() {
                value
            } else {
                format!("{}:{value}", choices.field)
            };
            typed.set(q.clone());
            search_for(q);
        };
        view! {
            <select aria-label="Filter" data-testid=format!("{}-choice", search.testid) on:change=choose>
                <option value="">"All"</option>
                {choices
                    .values
                    .iter()
                    .map(|(value, label)| view! { <option value=*value>{*label}</option> })
                    .collect_view()}
            </select>
        }
    });
    view! {
        <form class="inline-form" role="search" on:submit=submit>
            {choices}
            <input
                type="search"
                placeholder=search.placeholder
                aria-label=search.label
                data-testid=search.testid
                bind:value=typed
            />
            <button
                type="submit"
                class="button secondary small"
                data-testid=format!("{}-submit", search.testid)
            >
                "Search"
            </button>
        </form>
    }
}

/// "1–50 of 120" (or "None yet") with Previous / Next.
#[component]
fn Pager(page: RwSignal<u64>, summary: String, has_next: bool) -> impl IntoView {
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
