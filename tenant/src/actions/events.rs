//! The `event` each trigger gives an action, in Auth0's shapes (its
//! reference pages for `credentials-exchange` and `post-login`), as far as
//! this tenant has the facts: what it does not have (geolocation, a
//! language, user metadata) is present and empty rather than missing, so
//! code written for Auth0 reads it without failing. `secrets` is added per
//! action by the runner loop.
//!
//! One difference, on purpose: `request.body` never carries the client's
//! secret (Auth0 passes the whole POST body): an action's logs are kept
//! ten days, and a secret must never be logged.

use serde_json::{json, Map, Value};

use crate::management::clients::ClientRecord;
use crate::management::organizations::{EdgeOrganization, OrganizationRecord};
use crate::management::users::UserRecord;
use crate::seams::clock::rfc3339;
use crate::Caller;

/// `client`, as both triggers show it.
fn client(client: &ClientRecord) -> Value {
    json!({
        "client_id": client.client_id,
        "name": client.name,
        "metadata": client.client_metadata,
    })
}

/// `request`, from what the edge reports about the caller.
fn request(caller: &Caller, hostname: &str, method: &str) -> Map<String, Value> {
    let mut request = Map::new();
    request.insert("ip".into(), caller.ip.clone().unwrap_or_default().into());
    request.insert("hostname".into(), hostname.into());
    request.insert("method".into(), method.into());
    if let Some(agent) = &caller.user_agent {
        request.insert("user_agent".into(), agent.clone().into());
    }
    request.insert("geoip".into(), json!({}));
    request
}

/// What a `client_credentials` request is about.
pub struct CredentialsExchange<'a> {
    pub client: &'a ClientRecord,
    pub audience: &'a str,
    /// The scopes the token is issued with.
    pub scope: Vec<String>,
    /// The scopes the request asked for (`transaction.requested_scopes`).
    pub requested_scopes: Vec<String>,
    pub organization: Option<&'a EdgeOrganization>,
    /// The request's parameters, the secret left out.
    pub body: Map<String, Value>,
    pub caller: &'a Caller,
    /// The tenant's host: `tenant.id` and `request.hostname`.
    pub tenant: &'a str,
}

impl CredentialsExchange<'_> {
    pub fn event(&self) -> Value {
        let mut request = request(self.caller, self.tenant, "POST");
        request.insert("body".into(), Value::Object(self.body.clone()));
        let mut event = json!({
            "accessToken": { "customClaims": {}, "scope": self.scope },
            "client": client(self.client),
            "request": request,
            "resource_server": { "identifier": self.audience },
            "tenant": { "id": self.tenant },
            "transaction": { "requested_scopes": self.requested_scopes },
        });
        if let Some(organization) = self.organization {
            event["organization"] = json!({
                "id": organization.id,
                "name": organization.name,
                "display_name": organization.display_name.clone().unwrap_or_default(),
                "metadata": organization.metadata,
            });
        }
        event
    }
}

/// What a sign-in through `/authorize` is about.
pub struct PostLogin<'a> {
    pub user: &'a UserRecord,
    pub client: &'a ClientRecord,
    pub organization: Option<&'a OrganizationRecord>,
    pub audience: Option<&'a str>,
    pub requested_scopes: Vec<String>,
    /// The `/authorize` parameters (`request.query`).
    pub query: Map<String, Value>,
    pub redirect_uri: &'a str,
    pub response_type: Vec<String>,
    pub response_mode: &'a str,
    pub state: Option<&'a str>,
    pub auth_time: u64,
    pub caller: &'a Caller,
    pub tenant: &'a str,
    /// The person's sign-ins, this one included.
    pub logins_count: u64,
}

impl PostLogin<'_> {
    pub fn event(&self) -> Value {
        let user = self.user;
        let mut request = request(self.caller, self.tenant, "GET");
        request.insert("query".into(), Value::Object(self.query.clone()));
        let mut event = json!({
            "user": {
                "user_id": user.user_id,
                "email": user.email,
                "email_verified": user.email_verified,
                "name": user.name,
                "nickname": user.nickname,
                "given_name": user.given_name,
                "family_name": user.family_name,
                "picture": user.picture,
                "created_at": rfc3339(user.created_at),
                "updated_at": rfc3339(user.updated_at),
                "app_metadata": {},
                "user_metadata": {},
                "identities": [{
                    "provider": "auth0",
                    "connection": shared::management::DATABASE_CONNECTION,
                    "user_id": user.user_id.trim_start_matches("auth0|"),
                    "isSocial": false,
                }],
            },
            "client": client(self.client),
            "connection": {
                "id": "con_database",
                "name": shared::management::DATABASE_CONNECTION,
                "strategy": "auth0",
                "metadata": {},
            },
            "request": request,
            "transaction": {
                "protocol": "oidc-implicit-profile",
                "requested_scopes": self.requested_scopes,
                "redirect_uri": self.redirect_uri,
                "response_mode": self.response_mode,
                "response_type": self.response_type,
                "state": self.state,
            },
            "authentication": {
                "methods": [{ "name": "pwd", "timestamp": rfc3339(self.auth_time) }],
            },
            "authorization": { "roles": [] },
            "stats": { "logins_count": self.logins_count },
            "tenant": { "id": self.tenant },
        });
        if let Some(audience) = self.audience {
            event["resource_server"] = json!({ "identifier": audience });
        }
        if let Some(organization) = self.organization {
            event["organization"] = json!({
                "id": organization.id,
                "name": organization.name,
                "display_name": organization.display_name.clone().unwrap_or_default(),
                "metadata": organization.metadata,
            });
        }
        event
    }
}
