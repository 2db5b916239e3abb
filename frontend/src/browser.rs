//! The few browser APIs the sign-in needs: the address, history, the clock
//! and `sessionStorage`. Everything decided about their values is in
//! [`crate::auth`].

use wasm_bindgen::JsValue;
use web_sys::Storage;

use crate::auth::{AuthRequest, AUTH_REQUEST_KEY, CALLBACK_PATH};

fn window() -> web_sys::Window {
    web_sys::window().expect("the SPA runs in a browser window")
}

/// `location.origin`, e.g. `http://127.0.0.1:8787`.
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// Seconds since the Unix epoch by this browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Reads `location.hash` and replaces the address with a bare
/// [`CALLBACK_PATH`], so tokens never stay in the address bar or history.
pub fn take_callback_fragment() -> String {
    let window = window();
    let fragment = window.location().hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        // Failure leaves the address as it was; nothing else depends on it.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(CALLBACK_PATH));
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

/// Remembers the pending sign-in for the callback in this tab.
pub fn store_auth_request(request: &AuthRequest) -> Result<(), String> {
    let storage = session_storage()
        .ok_or("This browser does not let the page keep data for this tab (sessionStorage).")?;
    storage
        .set_item(AUTH_REQUEST_KEY, &request.to_json())
        .map_err(|_| "This browser refused to keep the sign-in request (sessionStorage).".into())
}

/// Takes the pending sign-in out of storage: it can be used only once.
pub fn take_auth_request() -> Option<AuthRequest> {
    let storage = session_storage()?;
    let stored = storage.get_item(AUTH_REQUEST_KEY).ok().flatten();
    let _ = storage.remove_item(AUTH_REQUEST_KEY);
    stored.and_then(|json| AuthRequest::from_json(&json))
}
