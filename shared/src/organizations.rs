//! Auth0 Organizations: the customers a tenant serves, their members, and
//! which machine-to-machine grants may act for them
//! (`/api/v2/organizations`), with the settings clients and client grants
//! carry about them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// Whether a client (at `/authorize`) or a client grant (at the token
/// endpoint) may, or must, name an organization. Auth0's documentation
/// table spells the last one `required` while its API takes `require`: both
/// are read, `require` is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    #[default]
    Deny,
    Allow,
    #[serde(alias = "required")]
    Require,
}

impl OrganizationUsage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::Allow => "allow",
            Self::Require => "require",
        }
    }
}

/// What `/authorize` does for a client that requires an organization when
/// the request names none. This tenant implements `no_prompt` (the request
/// is refused); the prompts are refused when set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationRequireBehavior {
    #[default]
    NoPrompt,
    PreLoginPrompt,
    PostLoginPrompt,
}

/// The one flow a client's `default_organization` may name.
pub const CLIENT_CREDENTIALS_FLOW: &str = "client_credentials";

/// A client's organization for the flows that name none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultOrganization {
    pub organization_id: String,
    /// Only `client_credentials`, as in Auth0.
    pub flows: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandingColors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_background: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBranding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colors: Option<BrandingColors>,
}

/// An organization, as `GET /api/v2/organizations/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// `org_` and 16 letters and digits.
    pub id: String,
    /// Unique; 1-50 lowercase letters, digits, `-` and `_`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<OrganizationBranding>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// `POST /api/v2/organizations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationCreate {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branding: Option<OrganizationBranding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// `PATCH /api/v2/organizations/{id}`: what is present changes; `null`
/// removes `display_name` or `branding`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub branding: Option<Option<OrganizationBranding>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// `POST /api/v2/organizations/{id}/client-grants`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationClientGrantCreate {
    pub grant_id: String,
}

/// A member of an organization, as `GET .../members` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationMember {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

/// Body of `POST` and `DELETE /api/v2/organizations/{id}/members`: user ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersRequest {
    pub members: Vec<String>,
}

/// A field that is present, even as `null`: `Some(None)`. Absent is `None`
/// (with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_reads_both_spellings_and_writes_auth0s() {
        let usage: OrganizationUsage = serde_json::from_str("\"required\"").unwrap();
        assert_eq!(usage, OrganizationUsage::Require);
        assert_eq!(serde_json::to_string(&usage).unwrap(), "\"require\"");
        assert!(serde_json::from_str::<OrganizationUsage>("\"maybe\"").is_err());
    }

    #[test]
    fn an_update_tells_null_from_absent() {
        let update: OrganizationUpdate = serde_json::from_str(r#"{"display_name":null}"#).unwrap();
        assert_eq!(update.display_name, Some(None));
        assert_eq!(update.branding, None);
    }
}
