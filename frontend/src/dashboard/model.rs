//! What the Dashboard decides, free of any web API so it is tested on the
//! host: who may see which page, how form text becomes Management API
//! requests, and how an API error points at a form field.

use serde_json::Value;
use shared::management::{AppType, AuthMethod, ClientGrant, ResourceServer, SigningAlg};
use shared::organizations::OrganizationUsage;

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
    Logs,
    Settings,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Applications,
        Section::Apis,
        Section::Users,
        Section::Logs,
        Section::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Applications => "Applications",
            Section::Apis => "APIs",
            Section::Users => "Users",
            Section::Logs => "Logs",
            Section::Settings => "Settings",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Section::Applications => "/dashboard/applications",
            Section::Apis => "/dashboard/apis",
            Section::Users => "/dashboard/users",
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
            ["dashboard", "logs"] => Route::Logs,
            ["dashboard", "logs", _] => Route::Log,
            ["dashboard", "settings"] => Route::Settings,
            _ => Route::NotFound,
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

/// The label of `usage` among [`ORGANIZATION_USAGES`].
pub fn organization_usage_label(usage: OrganizationUsage) -> &'static str {
    ORGANIZATION_USAGES
        .iter()
        .find(|(value, _)| *value == usage.as_str())
        .map_or(usage.as_str(), |(_, label)| label)
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
        }
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
    fn organization_usages_round_trip_through_their_options() {
        for (value, label) in ORGANIZATION_USAGES {
            let usage = parse_organization_usage(value);
            assert_eq!(usage.as_str(), value);
            assert_eq!(organization_usage_label(usage), label);
        }
        assert_eq!(parse_organization_usage(""), OrganizationUsage::Deny);
    }

    #[test]
    fn identifiers_need_text_without_spaces() {
        assert!(check_identifier("https://api.example/").is_ok());
        assert!(check_identifier("  ").is_err());
        assert!(check_identifier("my api").is_err());
    }
}
