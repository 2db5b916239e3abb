//! The tenant's own HTML pages: hosted login and signup, consent, errors,
//! sign-out, and the form_post response. Server-rendered, no JavaScript
//! except the one line that submits a form_post response; every page is
//! `no-store` and refuses to be framed.

use tenant::primitives::redirect_uri;
use tenant::sign_in::grant::OIDC_SCOPES;
use tenant::sign_in::outcome::{ConsentPrompt, LoginPrompt};
use tenant::sign_in::response::AuthorizationResponse;
use tenant::{Error, Result};
use worker::{Headers, Response};

use crate::http;

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f4f5f7;color:#1d2330;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.08);padding:2rem 2.25rem;width:100%;max-width:24rem}
h1{font-size:1.35rem;margin:0 0 .25rem}
p.sub{color:#5b6475;margin:0 0 1.25rem}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=email],input[type=password]{box-sizing:border-box;width:100%;padding:.6rem .7rem;border:1px solid #c6cbd4;border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:6px;background:#3b5bdb;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
button.secondary{background:#e9ecf2;color:#1d2330}
.error{background:#fdecec;color:#a61b1b;border-radius:6px;padding:.6rem .75rem;margin:0 0 1rem}
.alt{margin-top:1.25rem;text-align:center;color:#5b6475}
ul.scopes{padding-left:1.1rem}
ul.scopes li{margin:.35rem 0}
code{background:#f0f2f5;padding:.1rem .3rem;border-radius:4px}
";

/// A page with the tenant's security headers. `form_action` is where its
/// forms may lead besides the tenant itself: `form-action` also governs
/// the redirect a post is answered with, so a page whose post ends at the
/// client names the client's validated redirect URI (its origin, see
/// `tenant::primitives::redirect_uri::csp_source`) and nothing else. `script_nonce`
/// allows one inline script.
fn page(
    status: u16,
    title: &str,
    body: &str,
    form_action: Option<&str>,
    script_nonce: Option<&str>,
) -> Result<Response> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>",
        escape(title)
    );
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(http::internal);
    set("Content-Type", "text/html; charset=utf-8")?;
    set("Cache-Control", "no-store")?;
    set("Pragma", "no-cache")?;
    set("X-Frame-Options", "DENY")?;
    // Not `no-referrer`: with it, browsers send `Origin: null` on the
    // page's own form posts, which the CSRF check must refuse. With
    // `same-origin`, nothing (no URL, no query) leaves for other sites.
    set("Referrer-Policy", "same-origin")?;
    let scripts = script_nonce
        .map(|nonce| format!("'nonce-{nonce}'"))
        .unwrap_or_else(|| "'none'".to_string());
    let actions = match form_action {
        Some(source) => format!("'self' {source}"),
        None => "'self'".to_string(),
    };
    set(
        "Content-Security-Policy",
        &format!(
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
script-src {scripts}; form-action {actions}; frame-ancestors 'none'; base-uri 'none'"
        ),
    )?;
    Ok(Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(html.into_bytes()))
}

fn is_oidc_scope(scope: &str) -> bool {
    OIDC_SCOPES.iter().any(|(name, _)| *name == scope)
}

/// Which form the login page shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Login,
    Signup,
}

pub fn login(
    status: u16,
    form: Form,
    prompt: &LoginPrompt,
    query: &str,
    csrf: &str,
    error: Option<&str>,
) -> Result<Response> {
    let query = escape(query);
    let app = escape(&prompt.client_name);
    // Signing in to an organization names it, as Auth0's login does.
    let app = match &prompt.organization {
        Some(organization) => format!(
            "{app} <span data-testid=\"organization\">({})</span>",
            escape(organization)
        ),
        None => app,
    };
    let (title, heading, action, testid, submit, autocomplete) = match form {
        Form::Login => (
            "Sign in",
            format!("Sign in to continue to {app}"),
            "/u/login",
            "login",
            "Continue",
            "current-password",
        ),
        Form::Signup => (
            "Sign up",
            format!("Create your account for {app}"),
            "/u/signup",
            "signup",
            "Sign up",
            "new-password",
        ),
    };
    let error = error
        .map(|e| {
            format!(
                "<p class=\"error\" role=\"alert\" data-testid=\"{testid}-error\">{}</p>",
                escape(e)
            )
        })
        .unwrap_or_default();
    let alternative = match (form, prompt.signup_enabled) {
        (Form::Login, true) => format!(
            "<p class=\"alt\">Don't have an account? \
<a href=\"/u/signup?{query}\" data-testid=\"signup-link\">Sign up</a></p>"
        ),
        (Form::Signup, _) => format!(
            "<p class=\"alt\">Already have an account? \
<a href=\"/u/login?{query}\" data-testid=\"login-link\">Sign in</a></p>"
        ),
        (Form::Login, false) => String::new(),
    };
    let body = format!(
        "<h1>{title}</h1><p class=\"sub\">{heading}</p>{error}\
<form method=\"post\" action=\"{action}?{query}\" data-testid=\"{testid}-form\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<label for=\"email\">Email address</label>\
<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\">\
<label for=\"password\">Password</label>\
<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"{autocomplete}\" required>\
<button type=\"submit\" data-testid=\"{testid}-submit\">{submit}</button></form>{alternative}",
        csrf = escape(csrf),
        email = escape(&prompt.email),
    );
    let form_action = redirect_uri::csp_source(&prompt.redirect_uri);
    page(status, title, &body, form_action.as_deref(), None)
}

pub fn consent(prompt: &ConsentPrompt, query: &str, csrf: &str) -> Result<Response> {
    let scopes: String = prompt
        .scopes
        .iter()
        .map(|(scope, meaning)| {
            format!(
                "<li data-scope=\"{}\">{} <code>{}</code></li>",
                escape(scope),
                escape(meaning),
                escape(scope)
            )
        })
        .collect();
    let api = match &prompt.api {
        Some((name, identifier)) => format!(
            "<p data-testid=\"consent-api\">Access to the API <b>{}</b> <code>{}</code>{}</p>",
            escape(name),
            escape(identifier),
            if prompt.scopes.iter().any(|(scope, _)| !is_oidc_scope(scope)) {
                ""
            } else {
                ", with no permission of its own"
            }
        ),
        None => String::new(),
    };
    let body = format!(
        "<h1>Authorize {app}</h1>\
<p class=\"sub\">Signed in as {email}. <b>{app}</b> is a third-party application and asks to:</p>\
<ul class=\"scopes\" data-testid=\"consent-scopes\">{scopes}</ul>{api}\
<p data-testid=\"consent-destination\">If you accept, {app} receives your tokens at <b>{destination}</b>.</p>\
<form method=\"post\" action=\"/u/consent?{query}\" data-testid=\"consent-form\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<button type=\"submit\" name=\"decision\" value=\"accept\" data-testid=\"consent-accept\">Accept</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\" data-testid=\"consent-deny\">Decline</button>\
</form>",
        app = escape(&prompt.client_name),
        email = escape(&prompt.user_email),
        destination = escape(&prompt.destination()),
        query = escape(query),
        csrf = escape(csrf),
    );
    let form_action = redirect_uri::csp_source(&prompt.redirect_uri);
    page(
        200,
        "Authorize application",
        &body,
        form_action.as_deref(),
        None,
    )
}

/// An [`Error`] raised while serving a page, shown as a page: its status,
/// its code and its description (never the detail of an unavailability,
/// which goes to the log).
pub fn error(err: &Error) -> Response {
    if let Error::Unavailable(detail) = err {
        worker::console_error!("unavailable: {detail}");
    }
    let status = err.status();
    let body = format!(
        "<h1 data-testid=\"error-page\">Something went wrong</h1>\
<p class=\"error\" role=\"alert\"><code data-testid=\"error-code\">{}</code> \
<span data-testid=\"error-description\">{}</span></p>\
<p class=\"sub\">The application that sent you here may be misconfigured. \
Go back to it and try again, or contact its developers.</p>",
        escape(err.code()),
        escape(&err.description())
    );
    page(status, "Error", &body, None, None)
        .unwrap_or_else(|_| Response::builder().with_status(status).empty())
}

pub fn signed_out() -> Result<Response> {
    page(
        200,
        "Signed out",
        "<h1 data-testid=\"logged-out\">You are signed out</h1>\
<p class=\"sub\">You can close this window.</p>",
        None,
        None,
    )
}

/// OAuth 2.0 Form Post Response Mode: a form that posts the response to
/// the redirect URI, submitted by script (or by hand without script).
pub fn form_post(response: &AuthorizationResponse, nonce: &str) -> Result<Response> {
    let fields: String = response
        .params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<h1>Signing you in…</h1>\
<form method=\"post\" action=\"{action}\">{fields}\
<noscript><button type=\"submit\">Continue</button></noscript></form>\
<script nonce=\"{nonce}\">document.forms[0].submit()</script>",
        action = escape(&response.redirect_uri),
    );
    let form_action = redirect_uri::csp_source(&response.redirect_uri);
    page(
        200,
        "Signing in",
        &body,
        form_action.as_deref(),
        Some(nonce),
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_neutralizes_markup_and_attribute_quotes() {
        assert_eq!(
            escape(r#"<script>"x" & 'y'</script>"#),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }
}
