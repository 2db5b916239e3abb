//! Auth0 Management API v2 resources: clients, resource servers (APIs) and
//! client grants.
//!
//! Resources are what the API returns; `*Create` / `*Update` are request
//! bodies of POST / PATCH. Requests deny unknown fields: Auth0 answers an
//! unknown property with a payload validation error, and so do we.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::organizations::{
    DefaultOrganization, OrganizationRequireBehavior, OrganizationUsage,
};
pub use crate::protocol::{AppType, AuthMethod, GrantType, SigningAlg};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwtConfiguration {
    pub alg: SigningAlg,
    pub lifetime_in_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<AppType>,
    pub is_first_party: bool,
    pub token_endpoint_auth_method: AuthMethod,
    pub grant_types: Vec<GrantType>,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub client_metadata: BTreeMap<String, String>,
    pub jwt_configuration: JwtConfiguration,
    /// Present only in the response that created the secret: it is stored
    /// hashed and can never be read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// While the secret replaced by the last rotation is still accepted: when
    /// it stops being accepted (RFC 3339). The secret itself is never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_client_secret_expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Whether `/authorize` may (or must) name an organization.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    #[serde(default)]
    pub organization_require_behavior: OrganizationRequireBehavior,
    /// The organization of a `client_credentials` request that names none,
    /// where the grant requires one.
    #[serde(default)]
    pub default_organization: Option<DefaultOrganization>,
    /// How its refresh tokens rotate and expire.
    #[serde(default)]
    pub refresh_token: RefreshTokenSettings,
    /// Always false: a tenant-scoped client.
    pub global: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCreate {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub app_type: Option<AppType>,
    #[serde(default)]
    pub is_first_party: Option<bool>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    #[serde(default)]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default)]
    pub callbacks: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_logout_urls: Option<Vec<String>>,
    #[serde(default)]
    pub web_origins: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default)]
    pub client_metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub jwt_configuration: Option<JwtConfigurationUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<OrganizationUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_require_behavior: Option<OrganizationRequireBehavior>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_organization: Option<DefaultOrganization>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenSettingsUpdate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_type: Option<AppType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_first_party: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<GrantType>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callbacks: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_logout_urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_configuration: Option<JwtConfigurationUpdate>,
    /// A custom secret (at least 32 printable ASCII characters); needs
    /// `update:client_keys` as well as `update:clients`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<OrganizationUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_require_behavior: Option<OrganizationRequireBehavior>,
    /// `null` removes it.
    #[serde(
        default,
        deserialize_with = "crate::organizations::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_organization: Option<Option<DefaultOrganization>>,
    /// Merged into the client's: what is present changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenSettingsUpdate>,
}

/// Whether a refresh token is replaced by a new one at each use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RotationType {
    #[default]
    #[serde(rename = "rotating")]
    Rotating,
    #[serde(rename = "non-rotating")]
    NonRotating,
}

/// Whether refresh tokens expire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpirationType {
    #[default]
    #[serde(rename = "expiring")]
    Expiring,
    #[serde(rename = "non-expiring")]
    NonExpiring,
}

/// Auth0's `refresh_token` settings of a client: rotation, the reuse
/// interval (`leeway`) and the absolute and idle lifetimes, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenSettings {
    pub rotation_type: RotationType,
    pub expiration_type: ExpirationType,
    pub leeway: u64,
    pub token_lifetime: u64,
    pub infinite_token_lifetime: bool,
    pub idle_token_lifetime: u64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshTokenSettings {
    /// Auth0's defaults for rotating refresh tokens: 30 days absolute, 15
    /// days idle, no reuse interval.
    fn default() -> Self {
        Self {
            rotation_type: RotationType::Rotating,
            expiration_type: ExpirationType::Expiring,
            leeway: 0,
            token_lifetime: 2_592_000,
            infinite_token_lifetime: false,
            idle_token_lifetime: 1_296_000,
            infinite_idle_token_lifetime: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenSettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<RotationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_type: Option<ExpirationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeway: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infinite_token_lifetime: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_token_lifetime: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infinite_idle_token_lifetime: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfigurationUpdate {
    #[serde(default)]
    pub alg: Option<SigningAlg>,
    #[serde(default)]
    pub lifetime_in_seconds: Option<u64>,
}

/// A permission an API defines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerScope {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

/// An API (OAuth 2.0 resource server) that tokens are issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServer {
    pub id: String,
    pub name: String,
    /// The `audience` clients ask tokens for; immutable.
    pub identifier: String,
    pub scopes: Vec<ResourceServerScope>,
    pub signing_alg: SigningAlg,
    /// Access token lifetime in seconds.
    pub token_lifetime: u64,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    /// Role-based access control: limit user tokens to the user's permissions.
    pub enforce_policies: bool,
    /// The tenant's own Management API is a system API: read-only.
    pub is_system: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerCreate {
    pub identifier: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<ResourceServerScope>>,
    #[serde(default)]
    pub signing_alg: Option<SigningAlg>,
    #[serde(default)]
    pub token_lifetime: Option<u64>,
    #[serde(default)]
    pub allow_offline_access: Option<bool>,
    #[serde(default)]
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    #[serde(default)]
    pub enforce_policies: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<ResourceServerScope>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<SigningAlg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_offline_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_consent_for_verifiable_first_party_clients: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce_policies: Option<bool>,
}

/// Authorizes a client to get tokens for an API with some of its scopes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    /// Whether a token request may (or must) name an organization.
    #[serde(default)]
    pub organization_usage: OrganizationUsage,
    /// Any organization, not only those linked to this grant.
    #[serde(default)]
    pub allow_any_organization: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantCreate {
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_usage: Option<OrganizationUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}

/// `PATCH /api/v2/client-grants/{id}`: what is present changes;
/// `organization_usage: null` is the default, `deny`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "crate::organizations::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub organization_usage: Option<Option<OrganizationUsage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_any_organization: Option<bool>,
}

/// A page of a listing with `include_totals=true` (Auth0's offset paging).
/// Serialized with the resource's plural name as the items key, e.g.
/// `{"clients": [...], "start": 0, "limit": 50, "length": 2, "total": 2}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub start: u64,
    pub limit: u64,
    pub length: u64,
    pub total: u64,
}

/// Tenant settings (`/api/v2/tenants/settings`), the subset this tenant has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub friendly_name: String,
    pub support_email: String,
    pub flags: TenantFlags,
    /// Seconds a rotated-out client secret keeps working by default.
    pub client_secret_rotation_grace_period: u64,
    /// The API an `/authorize` request without `audience` is for; empty for
    /// none (Auth0's "Default Audience").
    pub default_audience: String,
    /// Organization names in the Authentication API: `org_name` in tokens
    /// beside `org_id`.
    #[serde(default)]
    pub allow_organization_name_in_authentication_api: bool,
    /// Hosts (`host`, `host:port` or `*.domain`) actions may fetch; none by
    /// default: an action has no network.
    #[serde(default)]
    pub actions_allowed_hosts: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantFlags {
    /// Open `POST /oidc/register` (OIDC Dynamic Client Registration).
    pub enable_dynamic_client_registration: bool,
    /// Hide the hosted signup form: users are only created through the
    /// Management API.
    pub disable_signup: bool,
}

/// PATCH body: only what is present changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettingsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<TenantFlagsUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_rotation_grace_period: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_audience: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_organization_name_in_authentication_api: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_allowed_hosts: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFlagsUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_dynamic_client_registration: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_signup: Option<bool>,
}

/// The database connection every user belongs to.
pub const DATABASE_CONNECTION: &str = "Username-Password-Authentication";

/// A user, in the shape of Auth0's `GET /api/v2/users/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub nickname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    pub blocked: bool,
    pub identities: Vec<UserIdentity>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    pub logins_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserIdentity {
    pub connection: String,
    pub provider: String,
    /// The id within the provider: `user_id` without `auth0|`.
    pub user_id: String,
    #[serde(rename = "isSocial")]
    pub is_social: bool,
}

/// `POST /api/v2/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    pub connection: String,
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Accepted for compatibility; this tenant sends no email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
}

/// `PATCH /api/v2/users/{id}`: only what is present changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
}

/// A permission (an API's scope) assigned to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub permission_name: String,
    pub description: String,
    pub resource_server_name: String,
    pub resource_server_identifier: String,
    pub sources: Vec<PermissionSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionSource {
    pub source_id: String,
    pub source_name: String,
    /// `DIRECT`: assigned to the user, not through a role.
    pub source_type: String,
}

/// Body of `POST` and `DELETE /api/v2/users/{id}/permissions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionsRequest {
    pub permissions: Vec<PermissionRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionRef {
    pub resource_server_identifier: String,
    pub permission_name: String,
}
