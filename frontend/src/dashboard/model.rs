//! What the Dashboard decides, free of any web API so it is tested on the
//! host: who may see which page, how form text becomes Management API
//! requests, and how an API error points at a form field.

use std::collections::BTreeMap;

use serde_json::Value;
use shared::actions::{
    Action, Binding, BindingInput, BindingRef, BindingsUpdate, SecretInfo, SecretInput, TriggerId,
};
use shared::management::{AppType, AuthMethod, Client, ClientGrant, ResourceServer, SigningAlg};
use shared::organizations::{
    BrandingColors, Organization, OrganizationBranding, OrganizationUpdate, OrganizationUsage,
};

use crate::auth::{SignedIn, DASHBOARD};
use crate::route::encode_segment;

/// The scopes an admin's Management API token carries (a few dozen at
/// most, so a list).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions(Vec<String>);

impl Permissions {
    /// The access token's `scope` claim (the token response's `scope` when
    /// the access token is not a JWT).
    pub fn of(signed_in: &SignedIn) -> Self {
        let scope = signed_in
            .access_claims
            .as_ref()
            .and_then(|claims| claims.get("scope"))
            .and_then(Value::as_str)
            .or(signed_in.scope.as_deref())
            .unwrap_or_default();
        Self::from_scope(scope)
    }

    pub fn from_scope(scope: &str) -> Self {
        Self(scope.split_whitespace().map(str::to_owned).collect())
    }

    pub fn can(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// The first of `scopes` the token lacks, if any: what a page needing
    /// all of them says is missing.
    pub fn missing(&self, scopes: &[&'static str]) -> Option<&'static str> {
        scopes.iter().copied().find(|scope| !self.can(scope))
    }

    /// Whether the token can do anything in the Dashboard: it holds at least
    /// one of the Management API scopes the Dashboard asks for.
    pub fn is_admin(&self) -> bool {
        management_scopes().any(|scope| self.can(scope))
    }
}

/// The Management API scopes the Dashboard asks for.
pub fn management_scopes() -> impl Iterator<Item = &'static str> {
    DASHBOARD
        .scope
        .split_whitespace()
        .filter(|s| s.contains(':'))
}

/// The Dashboard's sections, as in its navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Applications,
    Apis,
    Users,
    Organizations,
    Actions,
    Logs,
    Settings,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Applications,
        Section::Apis,
        Section::Users,
        Section::Organizations,
        Section::Actions,
        Section::Logs,
        Section::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Applications => "Applications",
            Section::Apis => "APIs",
            Section::Users => "Users",
            Section::Organizations => "Organizations",
            Section::Actions => "Actions",
            Section::Logs => "Logs",
            Section::Settings => "Settings",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Section::Applications => "/dashboard/applications",
            Section::Apis => "/dashboard/apis",
            Section::Users => "/dashboard/users",
            Section::Organizations => "/dashboard/organizations",
            Section::Actions => "/dashboard/actions",
            Section::Logs => "/dashboard/logs",
            Section::Settings => "/dashboard/settings",
        }
    }

    /// Its name in test ids: the last segment of its path.
    pub fn slug(self) -> &'static str {
        &self.path()["/dashboard/".len()..]
    }

    /// The scope needed to see the section at all.
    pub fn read_scope(self) -> &'static str {
        match self {
            Section::Applications => "read:clients",
            Section::Apis => "read:resource_servers",
            Section::Users => "read:users",
            Section::Organizations => "read:organizations",
            Section::Actions => "read:actions",
            Section::Logs => "read:logs",
            Section::Settings => "read:tenant_settings",
        }
    }
}

/// The Dashboard's pages, as their addresses (`/dashboard/…`, in
/// segments) name them. Ids and tabs are not part of it: a page stays on
/// screen while they change, and reads them from the address itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/dashboard`: opens Applications.
    Home,
    Callback,
    Applications,
    /// `applications/{id}`: opens its Settings tab.
    ApplicationHome,
    /// `applications/{id}/{tab}`.
    Application,
    Apis,
    /// `apis/{id}`.
    Api,
    Users,
    /// `users/{id}`.
    User,
    Organizations,
    /// `organizations/{id}`: opens its Settings tab.
    OrganizationHome,
    /// `organizations/{id}/{tab}`.
    Organization,
    /// `actions`: opens the Library.
    ActionsHome,
    /// `actions/library`.
    ActionsLibrary,
    /// `actions/library/{id}`.
    Action,
    /// `actions/triggers`.
    Triggers,
    /// `actions/triggers/{id}`.
    Trigger,
    Logs,
    /// `logs/{id}`: one event.
    Log,
    Settings,
    NotFound,
}

impl Route {
    pub fn of(segments: &[String]) -> Self {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match segments[..] {
            ["dashboard"] => Route::Home,
            ["dashboard", "callback"] => Route::Callback,
            ["dashboard", "applications"] => Route::Applications,
            ["dashboard", "applications", _] => Route::ApplicationHome,
            ["dashboard", "applications", _, _] => Route::Application,
            ["dashboard", "apis"] => Route::Apis,
            ["dashboard", "apis", _] => Route::Api,
            ["dashboard", "users"] => Route::Users,
            ["dashboard", "users", _] => Route::User,
            ["dashboard", "organizations"] => Route::Organizations,
            ["dashboard", "organizations", _] => Route::OrganizationHome,
            ["dashboard", "organizations", _, _] => Route::Organization,
            ["dashboard", "actions"] => Route::ActionsHome,
            ["dashboard", "actions", "library"] => Route::ActionsLibrary,
            ["dashboard", "actions", "library", _] => Route::Action,
            ["dashboard", "actions", "triggers"] => Route::Triggers,
            ["dashboard", "actions", "triggers", _] => Route::Trigger,
            ["dashboard", "logs"] => Route::Logs,
            ["dashboard", "logs", _] => Route::Log,
            ["dashboard", "settings"] => Route::Settings,
            _ => Route::NotFound,
        }
    }

    /// The section whose pages show this route (each section's code is
    /// loaded when it is first opened); `None` for what the shell shows
    /// itself.
    pub fn section(self) -> Option<Section> {
        match self {
            Route::Applications | Route::ApplicationHome | Route::Application => {
                Some(Section::Applications)
            }
            Route::Apis | Route::Api => Some(Section::Apis),
            Route::Users | Route::User => Some(Section::Users),
            Route::Organizations | Route::OrganizationHome | Route::Organization => {
                Some(Section::Organizations)
            }
            Route::ActionsHome
            | Route::ActionsLibrary
            | Route::Action
            | Route::Triggers
            | Route::Trigger => Some(Section::Actions),
            Route::Logs | Route::Log => Some(Section::Logs),
            Route::Settings => Some(Section::Settings),
            Route::Home | Route::Callback | Route::NotFound => None,
        }
    }
}

/// The tabs of one application's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppTab {
    Settings,
    Credentials,
    Apis,
}

impl AppTab {
    pub const ALL: [AppTab; 3] = [AppTab::Settings, AppTab::Credentials, AppTab::Apis];

    /// The tab a path segment names; Settings for an unknown one.
    pub fn from_segment(segment: &str) -> Self {
        match segment {
            "credentials" => AppTab::Credentials,
            "apis" => AppTab::Apis,
            _ => AppTab::Settings,
        }
    }

    pub const fn segment(self) -> &'static str {
        match self {
            AppTab::Settings => "settings",
            AppTab::Credentials => "credentials",
            AppTab::Apis => "apis",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            AppTab::Settings => "Settings",
            AppTab::Credentials => "Credentials",
            AppTab::Apis => "APIs",
        }
    }

    /// The tabs as links: (segment, title).
    pub const LINKS: Tabs = &[
        (AppTab::Settings.segment(), AppTab::Settings.title()),
        (AppTab::Credentials.segment(), AppTab::Credentials.title()),
        (AppTab::Apis.segment(), AppTab::Apis.title()),
    ];
}

/// A page's tabs as links, in order: each one's path segment and title.
pub type Tabs = &'static [(&'static str, &'static str)];

/// The tabs of one organization's page, as in Auth0's Dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgTab {
    Settings,
    Members,
    MachineToMachine,
}

impl OrgTab {
    pub const ALL: [OrgTab; 3] = [OrgTab::Settings, OrgTab::Members, OrgTab::MachineToMachine];

    /// The tab a path segment names; Settings for an unknown one.
    pub fn from_segment(segment: &str) -> Self {
        match segment {
            "members" => OrgTab::Members,
            "machine-to-machine" => OrgTab::MachineToMachine,
            _ => OrgTab::Settings,
        }
    }

    pub const fn segment(self) -> &'static str {
        match self {
            OrgTab::Settings => "settings",
            OrgTab::Members => "members",
            OrgTab::MachineToMachine => "machine-to-machine",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            OrgTab::Settings => "Settings",
            OrgTab::Members => "Members",
            OrgTab::MachineToMachine => "Machine to Machine Access",
        }
    }

    /// The tabs as links: (segment, title).
    pub const LINKS: Tabs = &[
        (OrgTab::Settings.segment(), OrgTab::Settings.title()),
        (OrgTab::Members.segment(), OrgTab::Members.title()),
        (
            OrgTab::MachineToMachine.segment(),
            OrgTab::MachineToMachine.title(),
        ),
    ];
}

/// `/dashboard/organizations/{id}/{tab}`.
pub fn organization_path(id: &str, tab: OrgTab) -> String {
    format!(
        "/dashboard/organizations/{}/{}",
        encode_segment(id),
        tab.segment()
    )
}

/// A client grant's `organization_usage`, as a form's options, in the
/// Dashboard's words.
pub const ORGANIZATION_USAGES: [(&str, &str); 3] = [
    ("deny", "None"),
    ("allow", "Optional"),
    ("require", "Required"),
];

/// The usage an option of [`ORGANIZATION_USAGES`] names; `deny` for any
/// other.
pub fn parse_organization_usage(value: &str) -> OrganizationUsage {
    match value {
        "allow" => OrganizationUsage::Allow,
        "require" => OrganizationUsage::Require,
        _ => OrganizationUsage::Deny,
    }
}

/// Metadata as typed: one `key: value` a line (a line without `:` is a
/// key with an empty value), blank lines ignored; the API checks the rest.
pub fn parse_metadata(text: &str) -> BTreeMap<String, String> {
    // Inserted one by one: collecting sorts first, with code of its own.
    let mut metadata = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let (key, value) = line.split_once(':').unwrap_or((line, ""));
        metadata.insert(key.trim().to_owned(), value.trim().to_owned());
    }
    metadata
}

/// Metadata as the form shows it.
pub fn format_metadata(metadata: &BTreeMap<String, String>) -> String {
    metadata
        .iter()
        .map(|(key, value)| format!("{key}: {value}\n"))
        .collect()
}

/// An organization's branding as typed (a logo URL and two colors): `None`
/// when all are blank, which removes it.
pub fn branding(
    logo_url: &str,
    primary: &str,
    page_background: &str,
) -> Option<OrganizationBranding> {
    let (primary, page_background) = (optional(primary), optional(page_background));
    let colors = (primary.is_some() || page_background.is_some()).then_some(BrandingColors {
        primary,
        page_background,
    });
    let logo_url = optional(logo_url);
    (logo_url.is_some() || colors.is_some()).then_some(OrganizationBranding { logo_url, colors })
}

/// The fields of an organization's settings form, in order: the
/// Management API member each edits.
pub const ORGANIZATION_FIELDS: [&str; 6] = [
    "display_name",
    "name",
    "branding.logo_url",
    "branding.colors.primary",
    "branding.colors.page_background",
    "metadata",
];

/// An organization as its settings form shows it ([`ORGANIZATION_FIELDS`]).
pub fn organization_form(organization: &Organization) -> [String; 6] {
    let branding = organization.branding.clone().unwrap_or_default();
    let colors = branding.colors.unwrap_or_default();
    [
        organization.display_name.clone().unwrap_or_default(),
        organization.name.clone(),
        branding.logo_url.unwrap_or_default(),
        colors.primary.unwrap_or_default(),
        colors.page_background.unwrap_or_default(),
        format_metadata(&organization.metadata),
    ]
}

/// The settings form as typed, as a PATCH of every field: a blank display
/// name or branding removes it.
pub fn organization_update(form: &[String; 6]) -> OrganizationUpdate {
    let [display_name, name, logo_url, primary, page_background, metadata] = form;
    OrganizationUpdate {
        name: Some(name.trim().to_owned()),
        display_name: Some(optional(display_name)),
        branding: Some(branding(logo_url, primary, page_background)),
        metadata: Some(parse_metadata(metadata)),
    }
}

/// The label of `usage` among [`ORGANIZATION_USAGES`].
pub fn organization_usage_label(usage: OrganizationUsage) -> &'static str {
    ORGANIZATION_USAGES
        .iter()
        .find(|(value, _)| *value == usage.as_str())
        .map_or(usage.as_str(), |(_, label)| label)
}

/// A client grant as an organization's Machine to Machine Access shows it:
/// by its application's and its API's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantLabel {
    pub grant_id: String,
    pub client_id: String,
    pub application: String,
    pub api: String,
    pub usage: OrganizationUsage,
}

/// `grants`, named after their applications and APIs, grouped by
/// application in the order of `clients`; the grants for a system API (the
/// Management API, whose grants cannot act for an organization) are left
/// out, and an API not found is named by its identifier.
pub fn grant_labels(
    grants: &[ClientGrant],
    clients: &[Client],
    apis: &[ResourceServer],
) -> Vec<GrantLabel> {
    let mut labels = Vec::new();
    for client in clients {
        for grant in grants.iter().filter(|g| g.client_id == client.client_id) {
            let api = apis.iter().find(|a| a.identifier == grant.audience);
            if api.is_some_and(|a| a.is_system) {
                continue;
            }
            labels.push(GrantLabel {
                grant_id: grant.id.clone(),
                client_id: client.client_id.clone(),
                application: client.name.clone(),
                api: api.map_or(&grant.audience, |a| &a.name).clone(),
                usage: grant.organization_usage,
            });
        }
    }
    labels
}

/// The Actions section's tabs: (segment, title).
pub const ACTIONS_TABS: Tabs = &[("library", "Library"), ("triggers", "Triggers")];

/// `/dashboard/actions/library/{id}`.
pub fn action_path(id: &str) -> String {
    format!("/dashboard/actions/library/{}", encode_segment(id))
}

/// `/dashboard/actions/triggers/{id}`.
pub fn trigger_path(id: &str) -> String {
    format!("/dashboard/actions/triggers/{}", encode_segment(id))
}

/// The triggers, as a form's options: the id, and when it runs.
pub const TRIGGERS: [(&str, &str); 2] = [
    (
        "credentials-exchange",
        "Machine to Machine (credentials-exchange)",
    ),
    ("post-login", "Login (post-login)"),
];

/// When `trigger` runs, in words.
pub fn trigger_label(trigger: TriggerId) -> &'static str {
    match trigger {
        TriggerId::CredentialsExchange => {
            "Machine to Machine: a client_credentials token is issued"
        }
        TriggerId::PostLogin => "Login: a person signs in",
    }
}

/// The trigger an action runs at (an action supports one).
pub fn action_trigger(action: &Action) -> Option<TriggerId> {
    action
        .supported_triggers
        .first()
        .and_then(|trigger| TriggerId::parse(&trigger.id))
}

/// An action's deployment as the Library shows it: its deployed version
/// ("v3", or "Draft" when never deployed) and whether the draft has
/// changed since.
pub fn deployment(action: &Action) -> (String, &'static str) {
    match &action.deployed_version {
        None => ("Draft".to_owned(), "Not deployed"),
        Some(version) => (
            format!("v{}", version.number),
            if action.all_changes_deployed {
                "All changes deployed"
            } else {
                "Draft has changes not deployed"
            },
        ),
    }
}

/// A sample `event` to test an action of `trigger` with, as JSON text: the
/// members this tenant passes, with made-up values.
pub fn sample_event(trigger: TriggerId) -> String {
    match trigger {
        TriggerId::CredentialsExchange => r#"{
  "accessToken": { "customClaims": {}, "scope": ["read:reports"] },
  "client": { "client_id": "sample-client-id", "name": "Reports Job", "metadata": {} },
  "request": {
    "ip": "203.0.113.7",
    "hostname": "tenant.example.com",
    "method": "POST",
    "body": { "grant_type": "client_credentials", "audience": "https://api.example.com/" },
    "geoip": {}
  },
  "resource_server": { "identifier": "https://api.example.com/" },
  "tenant": { "id": "tenant.example.com" },
  "transaction": { "requested_scopes": ["read:reports"] }
}
"#,
        TriggerId::PostLogin => r#"{
  "user": {
    "user_id": "auth0|sample",
    "email": "ada@example.com",
    "email_verified": true,
    "name": "Ada Lovelace",
    "app_metadata": {},
    "user_metadata": {},
    "identities": [{ "provider": "auth0", "connection": "Username-Password-Authentication", "user_id": "sample", "isSocial": false }]
  },
  "client": { "client_id": "sample-client-id", "name": "Notes App", "metadata": {} },
  "connection": { "id": "con_database", "name": "Username-Password-Authentication", "strategy": "auth0", "metadata": {} },
  "request": { "ip": "203.0.113.7", "hostname": "tenant.example.com", "method": "GET", "query": {}, "geoip": {} },
  "transaction": { "protocol": "oidc-implicit-profile", "requested_scopes": ["openid", "profile"] },
  "authentication": { "methods": [{ "name": "pwd", "timestamp": "2026-01-01T00:00:00.000Z" }] },
  "authorization": { "roles": [] },
  "stats": { "logins_count": 1 },
  "tenant": { "id": "tenant.example.com" }
}
"#,
    }
    .to_owned()
}

/// A test event as typed: a JSON object, or why not.
pub fn check_event(text: &str) -> Result<(), String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(()),
        Ok(_) => Err("The event must be a JSON object: { … }.".to_owned()),
        Err(e) => Err(format!("The event is not valid JSON: {e}.")),
    }
}

/// A command an action gave `api` in a test run, on one line: what it
/// does, then the rest of it as JSON (`access_token_claim
/// {"name":"…","value":…}`).
pub fn command_line(command: &Value) -> String {
    let Value::Object(members) = command else {
        return command.to_string();
    };
    let op = members.get("op").and_then(Value::as_str).unwrap_or("?");
    let mut rest = members.clone();
    rest.remove("op");
    format!("{op} {}", Value::Object(rest))
}

/// The secrets an action will have once `name` is set to `value` (a new
/// one, or a new value): the others by name only, so their values are
/// kept.
pub fn secrets_with(existing: &[SecretInfo], name: &str, value: &str) -> Vec<SecretInput> {
    let mut secrets = secrets_without(existing, name);
    secrets.push(SecretInput {
        name: name.to_owned(),
        value: Some(value.to_owned()),
    });
    secrets
}

/// The secrets an action keeps once `name` is removed, by name only.
pub fn secrets_without(existing: &[SecretInfo], name: &str) -> Vec<SecretInput> {
    existing
        .iter()
        .filter(|secret| secret.name != name)
        .map(|secret| SecretInput {
            name: secret.name.clone(),
            value: None,
        })
        .collect()
}

/// An action bound to a trigger, as its page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundAction {
    pub action_id: String,
    pub display_name: String,
    /// The deployed version the trigger runs.
    pub version: Option<u64>,
}

impl BoundAction {
    /// `action`, newly bound under its own name.
    pub fn of(action: &Action) -> Self {
        Self {
            action_id: action.id.clone(),
            display_name: action.name.clone(),
            version: action.deployed_version.as_ref().map(|v| v.number),
        }
    }
}

/// A trigger's bindings, in order, as its page lists them.
pub fn bound_actions(bindings: &[Binding]) -> Vec<BoundAction> {
    bindings
        .iter()
        .map(|binding| BoundAction {
            display_name: binding.display_name.clone(),
            ..BoundAction::of(&binding.action)
        })
        .collect()
}

/// `list` with the item at `index` moved one place up or down (unchanged
/// at either end).
pub fn moved<T: Clone>(list: &[T], index: usize, up: bool) -> Vec<T> {
    let mut list = list.to_vec();
    let other = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1)
    };
    if let Some(other) = other.filter(|&other| other < list.len() && index < list.len()) {
        list.swap(index, other);
    }
    list
}

/// The PATCH that makes a trigger run `list`, in order.
pub fn bindings_update(list: &[BoundAction]) -> BindingsUpdate {
    BindingsUpdate {
        bindings: list
            .iter()
            .map(|bound| BindingInput {
                reference: BindingRef {
                    kind: "action_id".to_owned(),
                    value: bound.action_id.clone(),
                },
                display_name: Some(bound.display_name.clone()),
                secrets: None,
            })
            .collect(),
    }
}

/// Text typed in an optional field: `None` when blank.
pub fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `/dashboard/applications/{client_id}/{tab}`.
pub fn application_path(client_id: &str, tab: AppTab) -> String {
    format!(
        "/dashboard/applications/{}/{}",
        encode_segment(client_id),
        tab.segment()
    )
}

/// The application types the Dashboard creates, in its words.
pub const CREATABLE_APP_TYPES: [AppType; 3] =
    [AppType::NonInteractive, AppType::Spa, AppType::RegularWeb];

pub fn app_type_label(app_type: Option<AppType>) -> &'static str {
    match app_type {
        Some(AppType::NonInteractive) => "Machine to Machine",
        Some(AppType::Spa) => "Single Page Application",
        Some(AppType::RegularWeb) => "Regular Web Application",
        Some(AppType::Native) => "Native",
        None => "Generic",
    }
}

/// The token endpoint authentication methods, as a form's options: the
/// wire value, and the Dashboard's label.
pub const AUTH_METHODS: [(&str, &str); 3] = [
    (AuthMethod::None.as_str(), "None"),
    (
        AuthMethod::ClientSecretPost.as_str(),
        "Client Secret (Post)",
    ),
    (
        AuthMethod::ClientSecretBasic.as_str(),
        "Client Secret (Basic)",
    ),
];

/// The signing algorithms an API or an ID token may use, as a form's
/// options.
pub const SIGNING_ALGS: [(&str, &str); 2] = [
    (SigningAlg::Rs256.as_str(), "RS256"),
    (SigningAlg::EdDsa.as_str(), "EdDSA (Ed25519)"),
];

/// The label of `method` among [`AUTH_METHODS`].
pub fn auth_method_label(method: AuthMethod) -> &'static str {
    AUTH_METHODS
        .iter()
        .find(|(value, _)| *value == method.as_str())
        .map_or(method.as_str(), |(_, label)| label)
}

/// A URL list field as typed: comma- or line-separated, blanks ignored.
pub fn parse_url_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A URL list as the form shows it.
pub fn format_url_list(urls: &[String]) -> String {
    urls.join(", ")
}

/// Whether a payload validation error about the body member `member` (its
/// `field`) is about the form field `field`: the member itself or one
/// inside it (`callbacks[0]` is about `callbacks`, `metadata.plan` about
/// `metadata`, `branding.logo_url` about `branding.logo_url` only).
pub fn is_about(member: &str, field: &str) -> bool {
    member
        .strip_prefix(field)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['[', '.']))
}

/// A grace period as typed: blank for the tenant's default, else seconds.
pub fn parse_grace_period(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| "Enter a whole number of seconds, or leave it blank.".to_owned())
}

/// A whole number of seconds typed in a form field.
pub fn parse_seconds(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| "Enter a whole number of seconds.".to_owned())
}

/// An RFC 3339 UTC time (`2026-11-22T10:00:00.000Z`) as people read it.
pub fn readable_time(rfc3339: &str) -> String {
    let Some((date, time)) = rfc3339.split_once('T') else {
        return rfc3339.to_owned();
    };
    let time = time.trim_end_matches('Z');
    let time = time.split('.').next().unwrap_or(time);
    format!("{date} {time} UTC")
}

/// The log's event types, in Auth0's Dashboard's words.
pub const EVENT_TYPES: [(&str, &str); 6] = {
    use shared::logs::event_type::*;
    [
        (SUCCESS_API_OPERATION, "Success API Operation"),
        (SUCCESS_LOGIN, "Success Login"),
        (FAILED_LOGIN, "Failed Login"),
        (SUCCESS_SIGNUP, "Success Signup"),
        (BLOCKED_ADDRESS, "Too Many Calls from One Address"),
        (BLOCKED_ACCOUNT, "Too Many Attempts at One Account"),
    ]
};

/// A log event's type in words; a code this Dashboard does not know is
/// shown as it is.
pub fn event_type_label(code: &str) -> &str {
    EVENT_TYPES
        .iter()
        .find(|(value, _)| *value == code)
        .map_or(code, |(_, label)| label)
}

/// One API as an application's APIs tab shows it: whether the application
/// is authorized for it, and with which of its scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiAccess {
    pub api: ResourceServer,
    pub grant: Option<ClientGrant>,
}

/// Every API with the application's grant for it, if any; the Management
/// API last.
pub fn api_access(apis: Vec<ResourceServer>, grants: &[ClientGrant]) -> Vec<ApiAccess> {
    let (system, mut access): (Vec<ApiAccess>, Vec<ApiAccess>) = apis
        .into_iter()
        .map(|api| ApiAccess {
            grant: grants
                .iter()
                .find(|g| g.audience == api.identifier)
                .cloned(),
            api,
        })
        .partition(|a| a.api.is_system);
    access.extend(system);
    access
}

/// `scopes` with `scope` added or removed, in the API's order.
pub fn toggle_scope(api: &ResourceServer, scopes: &[String], scope: &str, on: bool) -> Vec<String> {
    api.scopes
        .iter()
        .map(|s| &s.value)
        .filter(|s| if *s == scope { on } else { scopes.contains(s) })
        .cloned()
        .collect()
}

/// An API identifier must be a URI-like string with no spaces, as Auth0
/// asks; checked here so the mistake shows before the request.
pub fn check_identifier(identifier: &str) -> Result<(), String> {
    let identifier = identifier.trim();
    if identifier.is_empty() {
        return Err("Enter the identifier, e.g. https://api.example.com/".to_owned());
    }
    if identifier.chars().any(char::is_whitespace) {
        return Err("The identifier cannot contain spaces.".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::management::ResourceServerScope;

    fn api(identifier: &str, scopes: &[&str], is_system: bool) -> ResourceServer {
        ResourceServer {
            id: format!("id-{identifier}"),
            name: identifier.to_owned(),
            identifier: identifier.to_owned(),
            scopes: scopes
                .iter()
                .map(|s| ResourceServerScope {
                    value: (*s).to_owned(),
                    description: String::new(),
                })
                .collect(),
            signing_alg: SigningAlg::Rs256,
            token_lifetime: 86400,
            allow_offline_access: false,
            skip_consent_for_verifiable_first_party_clients: true,
            enforce_policies: false,
            is_system,
        }
    }

    #[test]
    fn an_admin_holds_some_management_scope() {
        assert!(!Permissions::from_scope("openid profile email").is_admin());
        assert!(!Permissions::from_scope("").is_admin());
        let admin = Permissions::from_scope("openid read:users");
        assert!(admin.is_admin());
        assert!(admin.can("read:users"));
        assert!(!admin.can("read:clients"));
    }

    #[test]
    fn permissions_come_from_the_access_token_scope() {
        let mut claims = serde_json::Map::new();
        claims.insert("scope".into(), "openid read:clients".into());
        let signed_in = SignedIn {
            id_token: String::new(),
            access_token: String::new(),
            token_type: "Bearer".into(),
            expires_in: None,
            scope: Some("openid".into()),
            id_claims: serde_json::Map::new(),
            access_claims: Some(claims),
            refresh_token: None,
        };
        assert!(Permissions::of(&signed_in).can("read:clients"));
        let opaque = SignedIn {
            access_claims: None,
            ..signed_in
        };
        assert!(!Permissions::of(&opaque).can("read:clients"));
    }

    #[test]
    fn every_section_needs_a_scope_the_dashboard_asks_for() {
        for section in Section::ALL {
            assert!(management_scopes().any(|s| s == section.read_scope()));
            assert!(section.path().starts_with("/dashboard/"));
            assert_eq!(section.slug(), section.title().to_lowercase());
        }
    }

    #[test]
    fn every_page_has_its_address() {
        let route = |path: &str| Route::of(&crate::route::segments(path));
        assert_eq!(route("/dashboard"), Route::Home);
        assert_eq!(route("/dashboard/"), Route::Home);
        assert_eq!(route("/dashboard/callback"), Route::Callback);
        assert_eq!(route("/dashboard/applications/abc"), Route::ApplicationHome);
        assert_eq!(
            route("/dashboard/applications/abc/apis"),
            Route::Application
        );
        assert_eq!(route("/dashboard/users/auth0%7C1"), Route::User);
        assert_eq!(route("/dashboard/logs/90017"), Route::Log);
        assert_eq!(route("/dashboard/applications/abc/apis/x"), Route::NotFound);
        assert_eq!(route("/dashboard/nope"), Route::NotFound);
        for section in Section::ALL {
            assert_ne!(route(section.path()), Route::NotFound);
            assert_eq!(route(section.path()).section(), Some(section));
        }
        assert_eq!(route("/dashboard/users/x").section(), Some(Section::Users));
        assert_eq!(route("/dashboard").section(), None);
    }

    #[test]
    fn application_tabs_round_trip_through_their_paths() {
        for tab in AppTab::ALL {
            assert_eq!(AppTab::from_segment(tab.segment()), tab);
        }
        assert_eq!(AppTab::from_segment("nope"), AppTab::Settings);
        assert_eq!(
            application_path("abc", AppTab::Credentials),
            "/dashboard/applications/abc/credentials"
        );
    }

    #[test]
    fn app_types_have_labels_and_values() {
        for app_type in CREATABLE_APP_TYPES {
            assert_eq!(AppType::parse(app_type.as_str()), Some(app_type));
        }
        assert_eq!(
            app_type_label(Some(AppType::NonInteractive)),
            "Machine to Machine"
        );
        assert_eq!(app_type_label(None), "Generic");
        assert_eq!(AppType::parse("web"), None);
    }

    #[test]
    fn url_lists_are_typed_with_commas_or_lines() {
        assert_eq!(
            parse_url_list(" https://a.example/cb,\nhttps://b.example/cb ,, \n"),
            vec!["https://a.example/cb", "https://b.example/cb"]
        );
        assert!(parse_url_list("  ").is_empty());
        let urls = vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ];
        assert_eq!(parse_url_list(&format_url_list(&urls)), urls);
    }

    #[test]
    fn validation_errors_point_at_their_field() {
        assert!(is_about("callbacks", "callbacks"));
        assert!(is_about("callbacks[0]", "callbacks"));
        assert!(is_about("jwt_configuration.alg", "jwt_configuration"));
        assert!(is_about("metadata.plan", "metadata"));
        assert!(is_about("branding.logo_url", "branding.logo_url"));
        assert!(!is_about("branding.colors.primary", "branding.logo_url"));
        assert!(!is_about("callbacks_extra", "callbacks"));
        assert!(!is_about("name", "display_name"));
        assert_eq!(
            auth_method_label(AuthMethod::ClientSecretBasic),
            "Client Secret (Basic)"
        );
    }

    #[test]
    fn grace_periods_are_blank_or_seconds() {
        assert_eq!(parse_grace_period(""), Ok(None));
        assert_eq!(parse_grace_period(" 0 "), Ok(Some(0)));
        assert_eq!(parse_grace_period("3600"), Ok(Some(3600)));
        assert!(parse_grace_period("-1").is_err());
        assert!(parse_grace_period("1h").is_err());
        assert_eq!(parse_seconds("86400"), Ok(86400));
        assert!(parse_seconds("").is_err());
    }

    #[test]
    fn times_read_as_utc() {
        assert_eq!(
            readable_time("2026-11-22T10:05:00.123Z"),
            "2026-11-22 10:05:00 UTC"
        );
        assert_eq!(
            readable_time("2026-11-22T10:05:00Z"),
            "2026-11-22 10:05:00 UTC"
        );
        assert_eq!(readable_time("soon"), "soon");
    }

    #[test]
    fn event_types_read_as_words_and_unknown_codes_as_they_are() {
        assert_eq!(event_type_label("f"), "Failed Login");
        assert_eq!(event_type_label("sapi"), "Success API Operation");
        assert_eq!(event_type_label("fcoa"), "fcoa");
    }

    #[test]
    fn api_access_pairs_apis_with_grants_management_api_last() {
        let grants = vec![ClientGrant {
            id: "g1".into(),
            client_id: "c".into(),
            audience: "https://notes/".into(),
            scope: vec!["read".into()],
            organization_usage: Default::default(),
            allow_any_organization: false,
        }];
        let access = api_access(
            vec![
                api("https://mgmt/", &["read:clients"], true),
                api("https://notes/", &["read", "write"], false),
            ],
            &grants,
        );
        assert_eq!(access[0].api.identifier, "https://notes/");
        assert_eq!(access[0].grant.as_ref().unwrap().id, "g1");
        assert!(access[1].grant.is_none());
    }

    #[test]
    fn toggling_scopes_keeps_the_apis_order_and_drops_unknown_ones() {
        let notes = api("https://notes/", &["read", "write", "delete"], false);
        let scopes = vec!["delete".to_owned(), "gone".to_owned()];
        assert_eq!(
            toggle_scope(&notes, &scopes, "read", true),
            vec!["read", "delete"]
        );
        assert_eq!(
            toggle_scope(&notes, &scopes, "delete", false),
            Vec::<String>::new()
        );
    }

    #[test]
    fn metadata_is_typed_a_key_a_line() {
        let typed = "plan: gold\n\n  region : eu-west : 1 \nflag\n";
        let metadata = parse_metadata(typed);
        assert_eq!(metadata.len(), 3);
        assert_eq!(metadata["plan"], "gold");
        assert_eq!(metadata["region"], "eu-west : 1");
        assert_eq!(metadata["flag"], "");
        assert_eq!(parse_metadata(&format_metadata(&metadata)), metadata);
        assert!(parse_metadata(" \n ").is_empty());
    }

    #[test]
    fn blank_branding_is_none_and_blank_colors_are_left_out() {
        assert_eq!(branding(" ", "", " "), None);
        let logo = branding("https://cdn.example/logo.png", "", "").unwrap();
        assert_eq!(
            logo.logo_url.as_deref(),
            Some("https://cdn.example/logo.png")
        );
        assert_eq!(logo.colors, None);
        let colors = branding("", "#635dff", "").unwrap().colors.unwrap();
        assert_eq!(colors.primary.as_deref(), Some("#635dff"));
        assert_eq!(colors.page_background, None);
        assert_eq!(optional("  Acme "), Some("Acme".to_owned()));
    }

    #[test]
    fn the_organization_form_saves_what_it_shows() {
        let organization: Organization = serde_json::from_value(serde_json::json!({
            "id": "org_1", "name": "acme", "display_name": "Acme",
            "branding": {"logo_url": "https://cdn.example/a.png", "colors": {"page_background": "#fff"}},
            "metadata": {"plan": "gold", "tier": ""},
        }))
        .unwrap();
        let form = organization_form(&organization);
        assert_eq!(form[5], "plan: gold\ntier: \n");
        let update = organization_update(&form);
        assert_eq!(update.name.as_deref(), Some("acme"));
        assert_eq!(update.display_name, Some(organization.display_name.clone()));
        assert_eq!(update.branding, Some(organization.branding.clone()));
        assert_eq!(update.metadata, Some(organization.metadata.clone()));

        let bare: Organization =
            serde_json::from_value(serde_json::json!({"id": "org_2", "name": "bare"})).unwrap();
        let update = organization_update(&organization_form(&bare));
        assert_eq!(
            update.display_name,
            Some(None),
            "a blank display name is removed"
        );
        assert_eq!(update.branding, Some(None), "blank branding is removed");
        assert_eq!(update.metadata, Some(Default::default()));
    }

    #[test]
    fn organization_usages_round_trip_through_their_options() {
        for (value, label) in ORGANIZATION_USAGES {
            let usage = parse_organization_usage(value);
            assert_eq!(usage.as_str(), value);
            assert_eq!(organization_usage_label(usage), label);
        }
        assert_eq!(parse_organization_usage(""), OrganizationUsage::Deny);
    }

    #[test]
    fn grants_are_named_by_application_and_api_grouped_without_the_management_api() {
        let grant = |id: &str, client_id: &str, audience: &str| ClientGrant {
            id: id.into(),
            client_id: client_id.into(),
            audience: audience.into(),
            scope: vec![],
            organization_usage: OrganizationUsage::Allow,
            allow_any_organization: false,
        };
        let client = |client_id: &str, name: &str| -> Client {
            serde_json::from_value(serde_json::json!({
                "client_id": client_id, "name": name, "description": "",
                "is_first_party": true, "token_endpoint_auth_method": "client_secret_post",
                "grant_types": ["client_credentials"], "callbacks": [],
                "allowed_logout_urls": [], "web_origins": [], "allowed_origins": [],
                "client_metadata": {}, "jwt_configuration": {"alg": "RS256", "lifetime_in_seconds": 36000},
                "global": false, "created_at": "2026-01-01T00:00:00.000Z",
            }))
            .unwrap()
        };
        let labels = grant_labels(
            &[
                grant("g1", "c2", "https://notes/"),
                grant("g2", "c1", "https://mgmt/"),
                grant("g3", "c1", "https://gone/"),
                grant("g4", "c2", "https://notes/"),
                grant("g5", "gone", "https://notes/"),
            ],
            &[client("c1", "Billing"), client("c2", "Reports")],
            &[
                api("https://mgmt/", &[], true),
                api("https://notes/", &[], false),
            ],
        );
        let named: Vec<(&str, &str, &str)> = labels
            .iter()
            .map(|l| (l.grant_id.as_str(), l.application.as_str(), l.api.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("g3", "Billing", "https://gone/"),
                ("g1", "Reports", "https://notes/"),
                ("g4", "Reports", "https://notes/"),
            ]
        );
        assert_eq!(labels[0].client_id, "c1");
        assert_eq!(labels[0].usage, OrganizationUsage::Allow);
    }

    #[test]
    fn organization_tabs_round_trip_through_their_paths() {
        for tab in OrgTab::ALL {
            assert_eq!(OrgTab::from_segment(tab.segment()), tab);
        }
        assert_eq!(OrgTab::LINKS.len(), OrgTab::ALL.len());
        assert_eq!(
            organization_path("org_1", OrgTab::MachineToMachine),
            "/dashboard/organizations/org_1/machine-to-machine"
        );
        let route = |path: &str| Route::of(&crate::route::segments(path));
        assert_eq!(route("/dashboard/organizations"), Route::Organizations);
        assert_eq!(
            route("/dashboard/organizations/org_1"),
            Route::OrganizationHome
        );
        assert_eq!(
            route("/dashboard/organizations/org_1/members"),
            Route::Organization
        );
    }

    #[test]
    fn a_page_needing_several_scopes_names_the_first_missing() {
        let admin = Permissions::from_scope("read:organizations read:clients");
        assert_eq!(admin.missing(&["read:organizations", "read:clients"]), None);
        assert_eq!(
            admin.missing(&["read:clients", "read:client_grants", "read:users"]),
            Some("read:client_grants")
        );
    }

    #[test]
    fn the_actions_pages_have_their_addresses() {
        let route = |path: &str| Route::of(&crate::route::segments(path));
        assert_eq!(route("/dashboard/actions"), Route::ActionsHome);
        assert_eq!(route("/dashboard/actions/library"), Route::ActionsLibrary);
        assert_eq!(route(&action_path("a/b")), Route::Action);
        assert_eq!(route("/dashboard/actions/triggers"), Route::Triggers);
        assert_eq!(route(&trigger_path("post-login")), Route::Trigger);
        assert_eq!(route("/dashboard/actions/nope"), Route::NotFound);
        for (segment, _) in ACTIONS_TABS {
            let tab = route(&format!("{}/{segment}", Section::Actions.path()));
            assert_eq!(tab.section(), Some(Section::Actions));
        }
        assert_eq!(route(&action_path("x")).section(), Some(Section::Actions));
    }

    #[test]
    fn sample_events_are_objects_with_what_each_trigger_passes() {
        for trigger in TriggerId::ALL {
            assert_eq!(check_event(&sample_event(trigger)), Ok(()));
        }
        let event: Value =
            serde_json::from_str(&sample_event(TriggerId::CredentialsExchange)).unwrap();
        assert!(event["resource_server"]["identifier"].is_string());
        assert!(event["accessToken"]["customClaims"].is_object());
        assert!(event["client"]["client_id"].is_string());
        let event: Value = serde_json::from_str(&sample_event(TriggerId::PostLogin)).unwrap();
        assert!(event["user"]["email"].is_string());
        assert!(check_event("[1]").unwrap_err().contains("object"));
        assert!(check_event("{").unwrap_err().contains("not valid JSON"));
        for (id, _) in TRIGGERS {
            assert!(TriggerId::parse(id).is_some(), "{id}");
        }
    }

    #[test]
    fn a_test_runs_commands_read_as_one_line_each() {
        let command = serde_json::json!({"op": "access_token_claim", "name": "https://x/plan", "value": "gold"});
        assert_eq!(
            command_line(&command),
            r#"access_token_claim {"name":"https://x/plan","value":"gold"}"#
        );
    }

    #[test]
    fn secrets_are_sent_by_name_with_only_the_new_value() {
        let info = |name: &str| SecretInfo {
            name: name.into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
        };
        let input = |name: &str, value: Option<&str>| SecretInput {
            name: name.into(),
            value: value.map(Into::into),
        };
        let existing = [info("A"), info("B")];
        assert_eq!(
            secrets_with(&existing, "B", "new"),
            [input("A", None), input("B", Some("new"))]
        );
        assert_eq!(
            secrets_with(&existing, "C", "c"),
            [input("A", None), input("B", None), input("C", Some("c"))]
        );
        assert_eq!(secrets_without(&existing, "A"), [input("B", None)]);
    }

    #[test]
    fn an_actions_deployment_reads_as_its_version_or_draft() {
        let action =
            |deployed: Option<u64>, all: bool| -> Action {
                let version = deployed.map(|number| serde_json::json!({
                "id": "v", "action_id": "a", "number": number, "code": "", "dependencies": [],
                "runtime": "node22", "secrets": [], "supported_triggers": [], "deployed": true,
                "status": "built", "created_at": "t", "updated_at": "t", "built_at": "t",
            }));
                let mut action = serde_json::json!({
                    "id": "a", "name": "n", "code": "", "dependencies": [], "runtime": "node22",
                    "secrets": [], "status": "built", "all_changes_deployed": all,
                    "supported_triggers": [{"id": "post-login", "version": "v3"}],
                    "created_at": "t", "updated_at": "t",
                });
                if let Some(version) = version {
                    action["deployed_version"] = version;
                }
                serde_json::from_value(action).unwrap()
            };
        assert_eq!(
            deployment(&action(None, false)),
            ("Draft".into(), "Not deployed")
        );
        assert_eq!(
            deployment(&action(Some(3), true)),
            ("v3".into(), "All changes deployed")
        );
        assert_eq!(
            deployment(&action(Some(3), false)).1,
            "Draft has changes not deployed"
        );
        assert_eq!(
            action_trigger(&action(None, false)),
            Some(TriggerId::PostLogin)
        );
        assert_eq!(BoundAction::of(&action(Some(2), true)).version, Some(2));
    }

    #[test]
    fn bound_actions_move_one_place_and_are_sent_in_order() {
        assert_eq!(moved(&[1, 2, 3], 0, true), [1, 2, 3]);
        assert_eq!(moved(&[1, 2, 3], 0, false), [2, 1, 3]);
        assert_eq!(moved(&[1, 2, 3], 2, true), [1, 3, 2]);
        assert_eq!(moved(&[1, 2, 3], 2, false), [1, 2, 3]);
        let bound = |id: &str, name: &str| BoundAction {
            action_id: id.into(),
            display_name: name.into(),
            version: Some(1),
        };
        let update = bindings_update(&[bound("a2", "Second"), bound("a1", "First")]);
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            serde_json::json!({"bindings": [
                {"ref": {"type": "action_id", "value": "a2"}, "display_name": "Second"},
                {"ref": {"type": "action_id", "value": "a1"}, "display_name": "First"},
            ]})
        );
    }

    #[test]
    fn identifiers_need_text_without_spaces() {
        assert!(check_identifier("https://api.example/").is_ok());
        assert!(check_identifier("  ").is_err());
        assert!(check_identifier("my api").is_err());
    }
}
