//! The few browser APIs the SPA needs: the address, history, `fetch`, the
//! clock, `sessionStorage`, the clipboard, WebCrypto and a text area's
//! cursor. Everything decided
//! about their values is in [`crate::auth`], [`crate::route`] and
//! [`crate::dashboard::model`].

use std::future::Future;

use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast as _, JsValue};
use web_sys::{CryptoKey, RequestInit, Response, Storage};

use crate::auth::{AuthRequest, Rs256Verifier, RsaKey, SignInApp};

fn window() -> web_sys::Window {
    web_sys::window().expect("the SPA runs in a browser window")
}

/// A plain object of string members, e.g. for headers or a JWK.
fn js_object(members: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (name, value) in members {
        let _ = Reflect::set(&object, &(*name).into(), &(*value).into());
    }
    object
}

/// What a JS error says.
fn js_message(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .unwrap_or_default()
}

/// A failed browser call, in a few words: `step` and the error's message.
fn js_error(step: &str, err: JsValue) -> String {
    format!("{step}: {}", js_message(&err))
}

/// `location.origin`, e.g. `http://127.0.0.1:8787`.
pub fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// `location.pathname`, as the browser keeps it (percent-encoded).
pub fn pathname() -> String {
    window().location().pathname().unwrap_or_default()
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

/// Types `text` at the cursor of the text area a key was pressed in
/// (replacing what is selected), e.g. spaces for Tab in a code editor: its
/// text then, or `None` when the key was not pressed in a text area.
pub fn insert_at_cursor(ev: &web_sys::KeyboardEvent, text: &str) -> Option<String> {
    let area: web_sys::HtmlTextAreaElement = ev.target()?.dyn_into().ok()?;
    let start = area.selection_start().ok()??;
    let end = area.selection_end().ok()??;
    area.set_range_text_with_start_and_end(text, start, end)
        .ok()?;
    // Positions count UTF-16 units.
    let cursor = start + text.encode_utf16().count() as u32;
    area.set_selection_range(cursor, cursor).ok()?;
    Some(area.value())
}

/// Seconds since the Unix epoch by this browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Reads `location.search` and `location.hash` and replaces the address
/// with the app's bare callback path, so neither a code nor tokens stay in
/// the address bar or history (nor in the `Referer` of later requests).
pub fn take_callback_response(app: &SignInApp) -> (String, String) {
    let window = window();
    let location = window.location();
    let query = location.search().unwrap_or_default();
    let fragment = location.hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        // Failure leaves the address as it was; nothing else depends on it.
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(app.callback_path));
    }
    (query, fragment)
}

/// Leave the SPA for `url` (a full page load).
pub fn navigate(url: &str) {
    let _ = window().location().assign(url);
}

/// Shows `path` in the address bar without loading it: a new history entry,
/// or in place of the current one; then scrolls to the top, as a page load
/// would.
pub fn show_path(path: &str, replace: bool) {
    let window = window();
    if let Ok(history) = window.history() {
        let _ = if replace {
            history.replace_state_with_url(&JsValue::NULL, "", Some(path))
        } else {
            history.push_state_with_url(&JsValue::NULL, "", Some(path))
        };
    }
    window.scroll_to_with_x_and_y(0.0, 0.0);
}

/// Calls `moved` whenever the back or forward button changes the address,
/// for as long as the page is open.
pub fn on_history_move(moved: impl Fn() + 'static) {
    let listener = Closure::<dyn Fn()>::new(moved);
    let _ =
        window().add_event_listener_with_callback("popstate", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// What the SPA reads of an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub status_text: String,
    pub body: String,
}

impl HttpResponse {
    /// A 2xx status.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// `fetch(url)` with `method`, `headers` and `body`, sent when first
/// awaited, and the response's text; the error, when no response arrived,
/// is the browser's reason.
pub fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> impl Future<Output = Result<HttpResponse, String>> + 'static {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers_record_from_str_to_str(&js_object(headers));
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    let url = url.to_owned();
    async move {
        let sent = window().fetch_with_str_and_init(&url, &init);
        // The browser's reason, e.g. "Failed to fetch".
        let response: Response = sent.await.map_err(|e| js_message(&e))?.unchecked_into();
        let text = response.text().map_err(|e| js_message(&e))?;
        let body = text.await.map_err(|e| js_message(&e))?;
        Ok(HttpResponse {
            status: response.status(),
            status_text: response.status_text(),
            body: body.as_string().unwrap_or_default(),
        })
    }
}

fn session_storage() -> Option<Storage> {
    window().session_storage().ok().flatten()
}

/// Remembers a pending sign-in for its callback in this tab, under `key`
/// (one of the app's [`SignInApp`] storage keys).
pub fn store_auth_request(key: &str, request: &AuthRequest) -> Result<(), String> {
    let storage = session_storage()
        .ok_or("This browser does not let the page keep data for this tab (sessionStorage).")?;
    storage
        .set_item(key, &request.to_json())
        .map_err(|_| "This browser refused to keep the sign-in request (sessionStorage).".into())
}

/// Takes the pending sign-in under `key` out of storage: it can be used
/// only once (and a code verifier is gone once read).
pub fn take_auth_request(key: &str) -> Option<AuthRequest> {
    let storage = session_storage()?;
    let stored = storage.get_item(key).ok().flatten();
    let _ = storage.remove_item(key);
    stored.and_then(|json| AuthRequest::from_json(&json))
}

/// Puts `text` on the clipboard. The promise settles later; a refusal
/// (e.g. outside a secure context) is the browser's to report.
pub fn copy_to_clipboard(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

/// RS256 checked by the browser's WebCrypto.
pub struct WebCrypto;

/// RSASSA-PKCS1-v1_5 with SHA-256: RS256 (RFC 7518 §3.3).
const RS256: &str = "RSASSA-PKCS1-v1_5";

async fn settle(step: &str, promise: Result<Promise, JsValue>) -> Result<JsValue, String> {
    let promise = promise.map_err(|e| js_error(step, e))?;
    promise.await.map_err(|e| js_error(step, e))
}

impl Rs256Verifier for WebCrypto {
    async fn verify(&self, key: &RsaKey, message: &[u8], signature: &[u8]) -> Result<bool, String> {
        let subtle = window()
            .crypto()
            .map_err(|e| js_error("WebCrypto crypto", e))?
            .subtle();
        let jwk = js_object(&[
            ("kty", "RSA"),
            ("n", &key.n),
            ("e", &key.e),
            ("alg", "RS256"),
        ]);
        let algorithm = js_object(&[("name", RS256), ("hash", "SHA-256")]);
        let usages = Array::of1(&"verify".into());
        let imported = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages);
        let key: CryptoKey = settle("WebCrypto importKey", imported)
            .await?
            .unchecked_into();
        let verified =
            subtle.verify_with_str_and_u8_array_and_u8_array(RS256, &key, signature, message);
        Ok(settle("WebCrypto verify", verified).await?.as_bool() == Some(true))
    }
}
