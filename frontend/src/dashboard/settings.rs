//! Settings: the tenant's general settings and, under Advanced, dynamic
//! client registration, the secret-rotation grace period, signup and
//! organization names in tokens.

use leptos::prelude::*;
use leptos::wasm_split::wasm_split;
use shared::management::{TenantFlagsUpdate, TenantSettings, TenantSettingsUpdate};

use super::admin;
use super::model::{parse_seconds, Route, Section};
use super::widgets::{show_answer, FormError, GeneralError, NotAllowed, SaveActions, TextField};
use crate::api::ApiError;
use crate::loading::Task;

/// The section's pages, by route: their code is fetched when the section
/// is first opened (`split_settings.wasm`, see `super::SectionPages`).
#[wasm_split(settings, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn pages(route: Memo<Route>) -> Result<ViewFn, ApiError> {
    Ok(ViewFn::from(move || match route.get() {
        Route::Settings => view! { <SettingsPage /> }.into_any(),
        _ => ().into_any(),
    }))
}

const FIELDS: &[&str] = &[
    "friendly_name",
    "support_email",
    "default_audience",
    "flags",
    "client_secret_rotation_grace_period",
    "allow_organization_name_in_authentication_api",
];

/// `/dashboard/settings`.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let admin = admin();
    if !admin.can(Section::Settings.read_scope()) {
        return view! { <NotAllowed what="the tenant's settings" scope="read:tenant_settings" /> }
            .into_any();
    }
    let api = admin.api.clone();

    view! {
        <section data-testid="settings-page">
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            {show_answer(
                Some("Loading settings…"),
                move || api.settings(),
                |initial| view! { <SettingsForm initial /> }.into_any(),
            )}
        </section>
    }
    .into_any()
}

#[component]
fn SettingsForm(initial: TenantSettings) -> impl IntoView {
    let admin = admin();
    let editable = admin.can("update:tenant_settings");
    let readonly = !editable;
    let friendly_name = RwSignal::new(initial.friendly_name);
    let support_email = RwSignal::new(initial.support_email);
    let default_audience = RwSignal::new(initial.default_audience);
    let dcr = RwSignal::new(initial.flags.enable_dynamic_client_registration);
    let signup = RwSignal::new(!initial.flags.disable_signup);
    let grace = RwSignal::new(initial.client_secret_rotation_grace_period.to_string());
    let org_names = RwSignal::new(initial.allow_organization_name_in_authentication_api);
    let error = FormError::new();
    let grace_error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let api = admin.api.clone();
    let save = Task::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.clear();
        saved.set(false);
        let grace = match parse_seconds(&grace.get_untracked()) {
            Ok(seconds) => seconds,
            Err(message) => return grace_error.set(Some(message)),
        };
        grace_error.set(None);
        let update = TenantSettingsUpdate {
            friendly_name: Some(friendly_name.get_untracked().trim().to_owned()),
            support_email: Some(support_email.get_untracked().trim().to_owned()),
            default_audience: Some(default_audience.get_untracked().trim().to_owned()),
            client_secret_rotation_grace_period: Some(grace),
            allow_organization_name_in_authentication_api: Some(org_names.get_untracked()),
            flags: Some(TenantFlagsUpdate {
                enable_dynamic_client_registration: Some(dcr.get_untracked()),
                disable_signup: Some(!signup.get_untracked()),
            }),
            ..Default::default()
        };
        save.run(api.update_settings(&update), move |updated| match updated {
            Ok(_) => saved.set(true),
            Err(err) => error.set(err),
        });
    };
    let grace_message = error.for_field("client_secret_rotation_grace_period");

    view! {
        <form class="settings-form" data-testid="tenant-settings" on:submit=submit>
            <GeneralError error fields=FIELDS />
            <section class="panel">
                <h2>"General"</h2>
                <TextField field="friendly_name" label="Friendly Name" value=friendly_name error readonly />
                <TextField
                    field="support_email"
                    label="Support Email"
                    value=support_email
                    error
                    input_type="email"
                    readonly
                />
                <TextField
                    field="default_audience"
                    label="Default Audience"
                    value=default_audience
                    error
                    readonly
                    hint="The API identifier a sign-in without an audience gets its access token for; blank for none."
                />
            </section>
            <section class="panel" data-testid="advanced-settings">
                <h2>"Advanced"</h2>
                <Switch
                    id="field-dcr"
                    testid="dcr-toggle"
                    title="OIDC Dynamic Application Registration"
                    value=dcr
                    readonly
                >
                    "Let anyone register a third-party application with "
                    <code>"POST /oidc/register"</code>
                    " (RFC 7591). Off, registration is refused."
                </Switch>
                <Switch id="field-signup" testid="signup-toggle" title="Allow sign-ups" value=signup readonly>
                    "Show the sign-up form on the hosted login page. Off, users are created only by admins."
                </Switch>
                <Switch
                    id="field-allow_organization_name_in_authentication_api"
                    testid="org-names-toggle"
                    title="Allow Organization Names in Authentication API"
                    value=org_names
                    readonly
                >
                    "Let token requests name an organization by its name as well as its id, and put "
                    <code>"org_name"</code>
                    " beside "
                    <code>"org_id"</code>
                    " in the tokens issued for one."
                </Switch>
                <div class="field">
                    <label for="field-client_secret_rotation_grace_period">
                        "Default grace period for a rotated client secret (seconds)"
                    </label>
                    <input
                        id="field-client_secret_rotation_grace_period"
                        type="text"
                        inputmode="numeric"
                        data-testid="field-client_secret_rotation_grace_period"
                        readonly=readonly
                        bind:value=grace
                    />
                    <p class="hint">
                        "How long the previous secret keeps working after a rotation that names no grace period."
                    </p>
                    <p
                        class="field-error"
                        role="alert"
                        data-testid="field-client_secret_rotation_grace_period-error"
                    >
                        {move || grace_error.get().or_else(grace_message)}
                    </p>
                </div>
            </section>
            {editable.then(|| view! { <SaveActions label="Save" testid="save-settings" pending=save.pending() saved /> })}
        </form>
    }
}

/// A setting that is on or off; `children` say what it does.
#[component]
fn Switch(
    id: &'static str,
    testid: &'static str,
    title: &'static str,
    value: RwSignal<bool>,
    readonly: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="toggle-row">
            <div>
                <label for=id>
                    <strong>{title}</strong>
                </label>
                <p class="hint">{children()}</p>
            </div>
            <input
                id=id
                type="checkbox"
                role="switch"
                data-testid=testid
                disabled=readonly
                bind:checked=value
            />
        </div>
    }
}
