//! `POST /u/consent`: a person's decision for a third-party application.

use tenant::sign_in::outcome::Outcome;
use tenant::Result;
use worker::{Request, Response, Url};

use super::{
    check_csrf, cookie, expired_form, field, form_fields, query, redirect, render, SESSION_COOKIE,
};
use crate::sign_in::pages::Form;
use crate::Tenant;

/// `POST /u/consent`.
pub async fn consent_submit(req: &mut Request, url: &Url, tenant: &Tenant<'_>) -> Result<Response> {
    let query = query(url);
    let fields = form_fields(req).await?;
    if !check_csrf(req, tenant, &fields) {
        return expired_form();
    }
    let allow = field(&fields, "decision") == Some("accept");
    let session = cookie(req, SESSION_COOKIE);
    let outcome = tenant
        .decide_consent(&query, session.as_deref(), allow)
        .await?;
    match outcome {
        Outcome::Login(_) => redirect(&format!("/u/login?{query}")),
        outcome => render(&outcome, req, tenant, &query, Form::Login, None, 200),
    }
}
