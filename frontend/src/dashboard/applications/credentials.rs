//! An application's Credentials tab: its client ID, its authentication
//! method, and its secret: masked, or right after a creation or rotation
//! the new one, shown until the admin leaves the application; the previous
//! secret's expiry, with Revoke now.

use leptos::prelude::*;
use shared::management::AuthMethod;
use shared::management::Client;

use crate::api::{ApiError, Reply};
use crate::dashboard::model::{auth_method_label, readable_time};
use crate::dashboard::widgets::{CopyButton, ErrorLine};
use crate::dashboard::{admin, RevealedSecret};
use crate::loading::{current, loaded_part, Loaded, Task};

#[component]
pub fn CredentialsTab(client: Loaded<Client>) -> impl IntoView {
    let Some(initial) = current(client) else {
        return ().into_any();
    };
    let revealed = expect_context::<RevealedSecret>();
    let client_id = initial.client_id.clone();
    let secret = {
        let client_id = client_id.clone();
        Memo::new(move |_| {
            revealed.0.with(|r| {
                r.as_ref()
                    .filter(|(c, _)| *c == client_id)
                    .map(|(_, s)| s.clone())
            })
        })
    };
    let method = move || loaded_part(client, |c| c.token_endpoint_auth_method);
    let previous_expiry =
        move || loaded_part(client, |c| c.previous_client_secret_expires_at.clone()).flatten();

    view! {
        <section class="panel" data-testid="application-credentials">
            <h2>"Client ID"</h2>
            <div class="secret-row">
                <code class="value" data-testid="client-id">{client_id.clone()}</code>
                <CopyButton text=client_id.clone() label="Copy client ID" testid="copy-client-id" />
            </div>
            <h2>"Authentication Method"</h2>
            <p data-testid="auth-method">
                {move || method().map(auth_method_label)}
            </p>
            <Show
                when=move || method() != Some(AuthMethod::None)
                fallback=|| {
                    view! {
                        <p class="note" data-testid="public-client">
                            "This application is public: it has no client secret."
                        </p>
                    }
                }
            >
                <h2>"Client Secret"</h2>
                {move || match secret.get() {
                    Some(secret) => view! { <NewSecret secret /> }.into_any(),
                    None => {
                        view! {
                            <div class="secret-row">
                                <code class="value masked" data-testid="client-secret-masked">
                                    "••••••••••••••••••••••••••••••••"
                                </code>
                            </div>
                            <p class="note">
                                "The tenant keeps only a hash of the secret, so it cannot be shown. \
                                 To get a new one, rotate it in the Danger Zone of the Settings tab."
                            </p>
                        }
                            .into_any()
                    }
                }}
                {move || previous_expiry().map(|expires_at| view! { <PreviousSecret client expires_at /> })}
            </Show>
        </section>
    }
    .into_any()
}

/// A secret just created: masked until the eye is pressed, copyable, and
/// shown only until the admin leaves this application.
#[component]
fn NewSecret(secret: String) -> impl IntoView {
    let shown = RwSignal::new(false);
    view! {
        <div class="secret-row">
            <input
                class="value"
                readonly
                aria-label="Client secret"
                data-testid="client-secret"
                prop:type=move || if shown.get() { "text" } else { "password" }
                prop:value=secret.clone()
            />
            <button
                type="button"
                class="icon-button"
                data-testid="reveal-secret"
                aria-label=move || if shown.get() { "Hide the secret" } else { "Show the secret" }
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                <EyeIcon open=shown />
            </button>
            <CopyButton text=secret label="Copy client secret" testid="copy-client-secret" />
        </div>
        <p class="status warning" role="status" data-testid="secret-notice">
            "This is the new client secret. Copy it now: it will not be shown again."
        </p>
    }
}

#[component]
fn EyeIcon(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
            <path
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"
            />
            <circle cx="12" cy="12" r="3" fill="none" stroke="currentColor" stroke-width="2" />
            <Show when=move || !open.get()>
                <path stroke="currentColor" stroke-width="2" d="M3 3l18 18" />
            </Show>
        </svg>
    }
}

#[component]
fn PreviousSecret(client: Loaded<Client>, expires_at: String) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let may_revoke = admin().can("update:client_keys");
    let api = admin().api;
    let revoke = Task::new();
    let start_revoke = move || {
        error.set(None);
        let Some(c) = current(client) else { return };
        let (revoked, reread) = (
            api.revoke_previous_secret(&c.client_id),
            api.get_client(&c.client_id),
        );
        let reply: Reply<Client> = Box::pin(async move {
            revoked.await?;
            reread.await
        });
        revoke.run(reply, move |updated| match updated {
            Ok(updated) => client.set(Some(Ok(updated))),
            Err(err) => error.set(Some(err)),
        });
    };
    view! {
        <div class="previous-secret" data-testid="previous-secret">
            <p>
                "The previous secret keeps working until "
                <strong data-testid="previous-secret-expiry">{readable_time(&expires_at)}</strong>
                "."
            </p>
            {may_revoke
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="button danger small"
                            data-testid="revoke-previous-secret"
                            disabled=move || revoke.is_pending()
                            on:click=move |_| start_revoke()
                        >
                            {move || if revoke.is_pending() { "Revoking…" } else { "Revoke now" }}
                        </button>
                    }
                })}
            <ErrorLine error />
        </div>
    }
}
