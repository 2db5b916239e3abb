//! The hosted login and signup pages: `GET` and `POST /u/login`, `/u/signup`.

use tenant::sign_in::login::FormResult;
use tenant::sign_in::outcome::Outcome;
use tenant::Result;
use worker::{Request, Response, Url};

use super::{
    check_csrf, expired_form, field, form_fields, query, redirect, render, set_session_cookie,
};
use crate::http;
use crate::sign_in::pages::Form;
use crate::Deployment;
use crate::Tenant;

/// `GET /u/login` and `GET /u/signup`.
pub async fn login_page(
    req: &Request,
    url: &Url,
    tenant: &Tenant<'_>,
    form: Form,
) -> Result<Response> {
    let query = query(url);
    let prompt = tenant.login_page(&query).await?;
    if form == Form::Signup && !prompt.signup_enabled {
        return redirect(&format!("/u/login?{query}"));
    }
    render(
        &Outcome::Login(prompt),
        req,
        tenant,
        &query,
        form,
        None,
        200,
    )
}

const TOO_MANY: &str = "Too many attempts. Wait a minute, then try again.";

/// `POST /u/login` and `POST /u/signup`: CSRF check, rate limits per IP and
/// per account from that IP, then the tenant. Nothing is counted per account
/// alone: that would let anyone lock a person out from everywhere.
pub async fn login_submit(
    req: &mut Request,
    url: &Url,
    tenant: &Tenant<'_>,
    deployment: &Deployment,
    form: Form,
) -> Result<Response> {
    let query = query(url);
    let fields = form_fields(req).await?;
    if !check_csrf(req, tenant, &fields) {
        return expired_form();
    }
    let email = field(&fields, "email").unwrap_or_default();
    let password = field(&fields, "password").unwrap_or_default();
    let query_pairs = http::query_pairs(url);
    let client_id = http::query_value(&query_pairs, "client_id");
    let limits = deployment.login_limiters.limits();
    if !tenant.admit_login(client_id, email, &limits).await? {
        let prompt = Outcome::Login(tenant.login_page(&query).await?);
        let response = render(&prompt, req, tenant, &query, form, Some(TOO_MANY), 429)?;
        response
            .headers()
            .set("Retry-After", "60")
            .map_err(http::internal)?;
        return Ok(response);
    }
    let result: FormResult = match form {
        Form::Login => tenant.login(&query, email, password).await?,
        Form::Signup => tenant.signup(&query, email, password).await?,
    };
    let response = render(
        &result.outcome,
        req,
        tenant,
        &query,
        form,
        result.error.as_deref(),
        400,
    )?;
    if let Some(session_id) = &result.new_session {
        set_session_cookie(&response, tenant, session_id)?;
    }
    Ok(response)
}
