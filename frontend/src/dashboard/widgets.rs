//! Small pieces every Dashboard page uses: what it loaded or why not,
//! progress, fields with their errors, copy buttons, the Danger Zone's
//! confirmations.

use leptos::prelude::*;

use super::model::{is_about, Section, Tabs};
use super::{start_sign_in_again, DashboardAuth};
use crate::api::{ApiError, Reply};
use crate::browser;
use crate::loading::{load_view, Loaded, Task};
use crate::route::{use_location, Link, Redirect};

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
        Some(401) => match err.detail() {
            Some(why) => format!("Your Dashboard session has ended ({why})."),
            None => "Your Dashboard session has ended.".to_owned(),
        },
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
                            data-testid="sign-in-again"
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
                let err = err.as_ref()?;
                err.field()
                    .is_some_and(|member| is_about(member, field))
                    .then(|| err.detail().unwrap_or_default().to_owned())
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
                    .field()
                    .is_some_and(|member| fields.iter().any(|field| is_about(member, field)));
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

/// A labelled choice among `options` (value and label), with its error
/// underneath.
#[component]
pub fn SelectField(
    /// The Management API field it edits; its id and test id derive from it.
    field: &'static str,
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    value: RwSignal<String>,
    error: FormError,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    let id = format!("field-{field}");
    let message = error.for_field(field);
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select
                id=id.clone()
                data-testid=id.clone()
                disabled=readonly
                prop:value=move || value.get()
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {options
                    .iter()
                    .map(|&(option, text)| {
                        view! {
                            <option value=option selected=move || value.get() == option>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" data-testid=format!("{id}-error") role="alert">
                {message}
            </p>
        </div>
    }
}

/// Copies `text` and says so.
#[component]
pub fn CopyButton(text: String, label: &'static str, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
        <button
            type="button"
            class="button secondary small"
            aria-label=label
            data-testid=testid
            on:click=move |_| {
                browser::copy_to_clipboard(&text);
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

/// A Danger Zone item: what it does, and its button, which asks first.
/// The confirmation panel shows `children` (what will happen) while
/// `asking`; its button runs `on_confirm`.
#[component]
pub fn DangerItem(
    /// e.g. "Rotate Secret".
    heading: &'static str,
    /// What it does, under the heading.
    note: &'static str,
    /// The label of the item's button and of the confirmation's, e.g. "Rotate".
    action: &'static str,
    /// Test id of the item's button.
    testid: &'static str,
    /// The confirmation's title, e.g. "Rotate the client secret?".
    question: &'static str,
    /// Test id of the confirmation panel.
    dialog: &'static str,
    asking: RwSignal<bool>,
    busy: Signal<bool>,
    on_confirm: Callback<()>,
    children: ChildrenFn,
) -> impl IntoView {
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
                {action}
            </button>
        </div>
        <Show when=move || asking.get()>
            <div class="confirm" role="dialog" aria-modal="false" aria-label=question data-testid=dialog>
                <h3>{question}</h3>
                {children()}
                <div class="actions">
                    <button
                        type="button"
                        class="button danger"
                        data-testid="confirm"
                        disabled=move || busy.get()
                        on:click=move |_| on_confirm.run(())
                    >
                        {move || if busy.get() { "Working…" } else { action }}
                    </button>
                    <button
                        type="button"
                        class="button secondary"
                        data-testid="cancel"
                        disabled=move || busy.get()
                        on:click=move |_| asking.set(false)
                    >
                        "Cancel"
                    </button>
                </div>
            </div>
        </Show>
    }
}

/// A Danger Zone item that deletes something after a confirmation, then
/// opens `then` (the list it was in).
#[component]
pub fn DeleteItem(
    /// e.g. "Delete this API".
    heading: &'static str,
    /// What deleting does, under the heading.
    note: &'static str,
    /// The confirmation's title, e.g. "Delete the API?".
    question: &'static str,
    /// The confirmation's text.
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
    let location = use_location();
    let task = Task::new();
    let confirm = Callback::new(move |()| {
        error.set(None);
        task.run(delete.run(()), move |result| match result {
            Ok(()) => location.open(then),
            Err(err) => error.set(Some(err)),
        });
    });

    view! {
        <DangerItem
            heading
            note
            action="Delete"
            testid
            question
            dialog="delete-dialog"
            asking
            busy=task.pending()
            on_confirm=confirm
        >
            <p>{consequence.clone()}</p>
            <ErrorLine error />
        </DangerItem>
    }
}

/// The last failed request's error, if any.
#[component]
pub fn ErrorLine(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || error.get().map(|err| view! { <ErrorNotice err /> })
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
            {move || {
                saved
                    .get()
                    .then(|| view! { <span class="status ok" role="status" data-testid="saved">"Saved."</span> })
            }}
        </div>
    }
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

/// What `fetch()` answers as `view` shows it (fetched again whenever a
/// signal it reads changes), else `busy` (if any) until the first answer,
/// or what went wrong.
pub fn show_answer<T: Clone + Send + Sync + 'static>(
    busy: Option<&'static str>,
    fetch: impl Fn() -> Reply<T> + 'static,
    view: impl Fn(T) -> AnyView + Clone + Send + Sync + 'static,
) -> impl Fn() -> AnyView {
    show_loaded(load_view(fetch, view), busy, |shown| shown.run())
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
            <Link href=section.path() testid=format!("back-to-{}", section.slug())>
                "← "
                {section.title()}
            </Link>
        </p>
    }
}

/// The tabs of the page at `base` (`{base}/{segment}` each); the one shown
/// is the `aria-current` page.
#[component]
pub fn TabLinks(label: &'static str, base: String, tabs: Tabs) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label=label>
            {tabs
                .iter()
                .map(|(segment, title)| {
                    view! {
                        <Link href=format!("{base}/{segment}") testid=format!("tab-{segment}") class="tab">
                            {*title}
                        </Link>
                    }
                })
                .collect_view()}
        </nav>
    }
}

/// `/dashboard/{section}/{id}`: opens its Settings tab.
#[component]
pub fn SettingsRedirect() -> impl IntoView {
    let path = browser::pathname();
    view! { <Redirect to=format!("{}/settings", path.trim_end_matches('/')) /> }
}
