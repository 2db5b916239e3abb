//! Small pieces every Dashboard page uses: progress, errors next to their
//! fields, copy buttons, confirmation panels.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use super::management::Reply;
use super::model::{invalid_field, Section};
use super::{start_sign_in_again, DashboardAuth};
use crate::api::ApiError;
use crate::browser;

/// A request in progress.
#[component]
pub fn Busy(#[prop(into)] text: String) -> impl IntoView {
    view! {
        <p class="status busy" role="status" aria-live="polite" data-testid="busy">
            {text}
        </p>
    }
}

/// What went wrong with a request, in words; an expired session offers to
/// sign in again.
#[component]
pub fn ErrorNotice(err: ApiError) -> impl IntoView {
    let auth = expect_context::<DashboardAuth>();
    let expired = err.status() == Some(401);
    let message = match err.status() {
        Some(401) => "Your Dashboard session has ended.".to_owned(),
        Some(403) => format!(
            "You are not allowed to do this. {}",
            err.detail().unwrap_or_default()
        ),
        _ => err.to_string(),
    };
    view! {
        <div class="status error" role="alert" data-testid="request-error">
            <span>{message}</span>
            {expired
                .then(|| {
                    view! {
                        " "
                        <button
                            type="button"
                            class="link-button"
                            on:click=move |_| start_sign_in_again(auth)
                        >
                            "Sign in again"
                        </button>
                    }
                })}
        </div>
    }
}

/// A form's last failed save, shown next to the field it names or, when it
/// names none of `fields`, above the form.
#[derive(Debug, Clone, Copy)]
pub struct FormError(pub RwSignal<Option<ApiError>>);

impl FormError {
    pub fn new() -> Self {
        Self(RwSignal::new(None))
    }

    pub fn clear(&self) {
        self.0.set(None);
    }

    pub fn set(&self, err: ApiError) {
        self.0.set(Some(err));
    }

    /// The message for `field`, when the error names it.
    pub fn for_field(&self, field: &'static str) -> impl Fn() -> Option<String> + Copy + 'static {
        let error = self.0;
        move || {
            error.with(|err| {
                let message = err.as_ref()?.detail()?;
                (invalid_field(message) == Some(field)).then(|| message.to_owned())
            })
        }
    }

    /// The error, when it names none of `fields`.
    pub fn general(&self, fields: &'static [&'static str]) -> impl Fn() -> Option<ApiError> + Copy {
        let error = self.0;
        move || {
            error.with(|err| {
                let err = err.as_ref()?;
                let named = err
                    .detail()
                    .and_then(invalid_field)
                    .is_some_and(|field| fields.contains(&field));
                (!named).then(|| err.clone())
            })
        }
    }
}

impl Default for FormError {
    fn default() -> Self {
        Self::new()
    }
}

/// Shows `FormError::general` above a form.
#[component]
pub fn GeneralError(error: FormError, fields: &'static [&'static str]) -> impl IntoView {
    let general = error.general(fields);
    move || general().map(|err| view! { <ErrorNotice err /> })
}

/// A labelled text field with its error underneath.
#[component]
pub fn TextField(
    /// The Management API field it edits; its id and test id derive from it.
    field: &'static str,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    error: FormError,
    #[prop(optional)] multiline: bool,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] input_type: Option<&'static str>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    let id = format!("field-{field}");
    let error_id = format!("{id}-error");
    let message = error.for_field(field);
    let invalid = move || message().is_some().to_string();
    let control = if multiline {
        view! {
            <textarea
                id=id.clone()
                name=field
                rows="3"
                data-testid=id.clone()
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                readonly=readonly
                bind:value=value
            ></textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=field
                type=input_type.unwrap_or("text")
                data-testid=id.clone()
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                readonly=readonly
                bind:value=value
            />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {control}
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            <p class="field-error" id=error_id data-testid=format!("{id}-error") role="alert">
                {message}
            </p>
        </div>
    }
}

/// Copies `text` and says so.
#[component]
pub fn CopyButton(
    text: Signal<String>,
    #[prop(into)] label: String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="button secondary small"
            aria-label=label
            data-testid=testid
            on:click=move |_| {
                browser::copy_to_clipboard(&text.get_untracked());
                copied.set(true);
            }
        >
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// "You may not see this": the admin's token lacks `scope`.
#[component]
pub fn NotAllowed(#[prop(into)] what: String, scope: &'static str) -> impl IntoView {
    view! {
        <section class="panel not-allowed" data-testid="not-allowed">
            <h2>"Not allowed"</h2>
            <p>
                {format!("Your account may not see {what}. It needs the Management API permission ")}
                <code>{scope}</code>
                "; an admin can assign it under Users."
            </p>
        </section>
    }
}

/// A confirmation panel for a destructive action: `children` explain it,
/// `confirm` runs it.
#[component]
pub fn Confirm(
    #[prop(into)] title: String,
    #[prop(into)] confirm_label: String,
    #[prop(into)] testid: String,
    busy: Signal<bool>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    let label = title.clone();
    view! {
        <div class="confirm" role="dialog" aria-modal="false" aria-label=label data-testid=testid>
            <h3>{title}</h3>
            {children()}
            <div class="actions">
                <button
                    type="button"
                    class="button danger"
                    data-testid="confirm"
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || if busy.get() { "Working…".to_owned() } else { confirm_label.clone() }}
                </button>
                <button
                    type="button"
                    class="button secondary"
                    data-testid="cancel"
                    disabled=move || busy.get()
                    on:click=move |_| on_cancel.run(())
                >
                    "Cancel"
                </button>
            </div>
        </div>
    }
}

/// A Danger Zone item that deletes something after a confirmation, then
/// opens `then` (the list it was in).
#[component]
pub fn DeleteItem(
    /// e.g. "Delete this API".
    #[prop(into)]
    heading: String,
    /// What deleting does, under the heading.
    #[prop(into)]
    note: String,
    /// The confirmation's title, e.g. "Delete the API?".
    #[prop(into)]
    question: String,
    /// The confirmation's text.
    #[prop(into)]
    consequence: String,
    /// Test id of the Delete button.
    testid: &'static str,
    /// Where to go once deleted.
    then: &'static str,
    /// The Management API call.
    delete: Callback<(), Reply<()>>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let navigate = use_navigate();
    let task = Task::new();
    let confirm = Callback::new(move |()| {
        error.set(None);
        let navigate = navigate.clone();
        task.run(delete.run(()), move |result| match result {
            Ok(()) => navigate(then, Default::default()),
            Err(err) => error.set(Some(err)),
        });
    });
    let cancel = Callback::new(move |()| asking.set(false));
    let consequence = StoredValue::new(consequence);
    let question = StoredValue::new(question);

    view! {
        <div class="danger-item">
            <div>
                <h3>{heading}</h3>
                <p class="note">{note}</p>
            </div>
            <button
                type="button"
                class="button danger"
                data-testid=testid
                on:click=move |_| asking.set(true)
            >
                "Delete"
            </button>
        </div>
        <Show when=move || asking.get()>
            <Confirm
                title=question.get_value()
                confirm_label="Delete"
                testid="delete-dialog"
                busy=task.pending()
                on_confirm=confirm
                on_cancel=cancel
            >
                <p>{consequence.get_value()}</p>
                {move || error.get().map(|err| view! { <ErrorNotice err /> })}
            </Confirm>
        </Show>
    }
}

/// "+ Create …": a button that opens a creation form; `children` are its
/// fields.
#[component]
pub fn CreateForm(
    /// What it creates, e.g. "API".
    what: &'static str,
    /// The form's heading.
    title: &'static str,
    /// Test id of the button; the form's and its submit button's add
    /// `-form` and `-submit`.
    testid: &'static str,
    busy: Signal<bool>,
    on_submit: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="button"
            data-testid=testid
            on:click=move |_| open.update(|o| *o = !*o)
        >
            {format!("+ Create {what}")}
        </button>
        <Show when=move || open.get()>
            <form
                class="panel create-form"
                data-testid=format!("{testid}-form")
                on:submit=move |ev| {
                    ev.prevent_default();
                    on_submit.run(());
                }
            >
                <h2>{title}</h2>
                {children()}
                <div class="actions">
                    <button
                        type="submit"
                        class="button"
                        data-testid=format!("{testid}-submit")
                        disabled=move || busy.get()
                    >
                        {move || if busy.get() { "Creating…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Show>
    }
}

/// A form's Save button, with progress and a "Saved." once it succeeded.
#[component]
pub fn SaveActions(
    #[prop(into)] label: String,
    testid: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] saved: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="actions">
            <button type="submit" class="button" data-testid=testid disabled=move || pending.get()>
                {move || if pending.get() { "Saving…".to_owned() } else { label.clone() }}
            </button>
            <Show when=move || saved.get()>
                <span class="status ok" role="status" data-testid="saved">
                    "Saved."
                </span>
            </Show>
        </div>
    }
}

/// Work to run once an answer arrived (the answer moved in already).
type Then = Box<dyn FnOnce()>;
/// A request whose answer, once here, is handed to its receiver.
type Pending = Pin<Box<dyn Future<Output = Then>>>;

/// `reply`, with what to do with its answer: the part of a request that
/// depends on its type, kept small so that what runs it is written once.
fn deliver<T: 'static>(reply: Reply<T>, to: impl FnOnce(Result<T, ApiError>) + 'static) -> Pending {
    Box::pin(async move {
        let answer = reply.await;
        Box::new(move || to(answer)) as Then
    })
}

/// A Management API call a button or form starts: pending while it runs;
/// its answer is handled only if the component that started it is still
/// on the page.
#[derive(Debug, Clone, Copy)]
pub struct Task(RwSignal<u32>);

impl Task {
    pub fn new() -> Self {
        Self(RwSignal::new(0))
    }

    /// Whether a call is in progress (tracked).
    pub fn is_pending(self) -> bool {
        self.0.get() > 0
    }

    pub fn pending(self) -> Signal<bool> {
        Signal::derive(move || self.is_pending())
    }

    /// Runs `reply` and hands its answer to `then`.
    pub fn run<T: 'static>(
        self,
        reply: Reply<T>,
        then: impl FnOnce(Result<T, ApiError>) + 'static,
    ) {
        self.start(deliver(reply, then));
    }

    fn start(self, request: Pending) {
        let in_flight = self.0;
        in_flight.update(|n| *n += 1);
        spawn_local(async move {
            let then = request.await;
            if !in_flight.is_disposed() {
                in_flight.update(|n| *n -= 1);
                then();
            }
        });
    }
}

impl Default for Task {
    fn default() -> Self {
        Self::new()
    }
}

/// What a page loaded: `None` until the first answer.
pub type Loaded<T> = RwSignal<Option<Result<T, ApiError>>>;

/// Loads `fetch()` now and again whenever a signal it reads changes; the
/// previous answer stays on screen meanwhile, and an answer to a request
/// since replaced is dropped.
pub fn load<T: Send + Sync + 'static>(fetch: impl Fn() -> Reply<T> + 'static) -> Loaded<T> {
    load_with_progress(RwSignal::new(false), fetch)
}

/// [`load`], with `loading` true while a request is in progress.
pub fn load_with_progress<T: Send + Sync + 'static>(
    loading: RwSignal<bool>,
    fetch: impl Fn() -> Reply<T> + 'static,
) -> Loaded<T> {
    let loaded = RwSignal::new(None);
    watch(
        loading,
        Box::new(move || deliver(fetch(), move |answer| loaded.set(Some(answer)))),
    );
    loaded
}

/// What a page shows by id: `None` while loading, fetched again whenever
/// the id changes.
pub fn load_by_id<T: Send + Sync + 'static>(
    id: Memo<String>,
    fetch: impl Fn(&str) -> Reply<T> + 'static,
) -> Loaded<T> {
    let loaded = RwSignal::new(None);
    watch(
        RwSignal::new(false),
        Box::new(move || {
            let request = id.with(|id| fetch(id));
            loaded.set(None);
            deliver(request, move |answer| loaded.set(Some(answer)))
        }),
    );
    loaded
}

/// Runs `request()` whenever what it reads changes; only the latest
/// request's answer is delivered.
fn watch(loading: RwSignal<bool>, request: Box<dyn Fn() -> Pending>) {
    let latest = StoredValue::new(0u32);
    Effect::new(move |_| {
        let pending = request();
        let this = latest.with_value(|n| n.wrapping_add(1));
        latest.set_value(this);
        loading.set(true);
        spawn_local(async move {
            let then = pending.await;
            if latest.try_get_value() == Some(this) {
                loading.set(false);
                then();
            }
        });
    });
}

/// The loaded value, untracked; a page's parts render only once it is
/// loaded.
pub fn current<T: Clone + Send + Sync + 'static>(loaded: Loaded<T>) -> Option<T> {
    loaded.with_untracked(|l| l.as_ref()?.as_ref().ok().cloned())
}

/// Part of the loaded value (tracked); `None` until it is loaded.
pub fn loaded_part<T: Send + Sync + 'static, U>(
    loaded: Loaded<T>,
    part: impl Fn(&T) -> U,
) -> Option<U> {
    loaded.with(|l| l.as_ref()?.as_ref().ok().map(part))
}

/// The loaded value as `view` shows it, else `busy` (if any) while it
/// loads, or what went wrong.
pub fn show_loaded<T: Clone + Send + Sync + 'static>(
    loaded: Loaded<T>,
    busy: Option<&'static str>,
    view: impl Fn(T) -> AnyView + 'static,
) -> impl Fn() -> AnyView {
    move || match loaded.get() {
        Some(Ok(value)) => view(value),
        other => status_view(other.map(Result::err), busy),
    }
}

fn status_view(outcome: Option<Option<ApiError>>, busy: Option<&'static str>) -> AnyView {
    match (outcome, busy) {
        (Some(Some(err)), _) => view! { <ErrorNotice err /> }.into_any(),
        (None, Some(text)) => view! { <Busy text /> }.into_any(),
        _ => ().into_any(),
    }
}

/// "← Applications": back to the section's list.
#[component]
pub fn Breadcrumb(section: Section) -> impl IntoView {
    view! {
        <p class="breadcrumb">
            <A href=section.path() attr:data-testid=format!("back-to-{}", section.slug())>
                "← "
                {section.title()}
            </A>
        </p>
    }
}
