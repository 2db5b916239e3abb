//! The few browser APIs the SPA needs: the address, history, the clock,
//! `sessionStorage` and the clipboard. Everything decided about their values
//! is in [`crate::auth`] and [`crate::dashboard::model`].

use wasm_bindgen::JsValue;
use web_sys::Storage;

use crate::auth::{AuthRequest, SignInApp};

fn window() -> web_sys::Window {
    web_sys::window().expect("the SPA runs in a browser window")
}

/// `location.origin`, e.g. `http://127.0.0.1:8787`.
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// `location.pathname` + `location.search`: where this page is on the SPA.
pub fn current_path() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

/// Seconds since the Unix epoch by this browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Reads `location.hash` and replaces the address with the app's bare
/// callback path, so tokens never stay in the address bar or history.
pub fn take_callback_fragment(app: &SignInApp) -> String {
    let window = window();
    let fragment = window.location().hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        // Failure leaves the address as it was; nothing else depends on it.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(app.callback_path));
    }
    fragment
}

/// Leave the SPA for `url` (a full page load).
pub fn navigate(url: &str) {
    let _ = window().location().assign(url);
}

fn session_storage() -> Option<Storage> {
    window().session_storage().ok().flatten()
}

/// Remembers the app's pending sign-in for its callback in this tab.
pub fn store_auth_request(app: &SignInApp, request: &AuthRequest) -> Result<(), String> {
    let storage = session_storage()
        .ok_or("This browser does not let the page keep data for this tab (sessionStorage).")?;
    storage
        .set_item(app.storage_key, &request.to_json())
        .map_err(|_| "This browser refused to keep the sign-in request (sessionStorage).".into())
}

/// Takes the app's pending sign-in out of storage: it can be used only once.
pub fn take_auth_request(app: &SignInApp) -> Option<AuthRequest> {
    let storage = session_storage()?;
    let stored = storage.get_item(app.storage_key).ok().flatten();
    let _ = storage.remove_item(app.storage_key);
    stored.and_then(|json| AuthRequest::from_json(&json))
}

/// Puts `text` on the clipboard. The promise settles later; a refusal
/// (e.g. outside a secure context) is the browser's to report.
pub fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}
