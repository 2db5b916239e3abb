//! Auth0 Actions: the tenant owner's JavaScript that runs when a token is
//! issued (`/api/v2/actions`). An action supports one trigger; deploying it
//! makes a numbered, immutable version; a trigger's bindings say which
//! actions run for it, in order, each at its deployed version.

use serde::{Deserialize, Serialize};

/// The triggers an action may run at, as Auth0 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TriggerId {
    /// `POST /oauth/token` with `client_credentials`, before the token is
    /// returned (`exports.onExecuteCredentialsExchange`).
    #[serde(rename = "credentials-exchange")]
    CredentialsExchange,
    /// A sign-in through `/authorize`, before the tokens are returned
    /// (`exports.onExecutePostLogin`).
    #[serde(rename = "post-login")]
    PostLogin,
}

impl TriggerId {
    pub const ALL: [TriggerId; 2] = [TriggerId::CredentialsExchange, TriggerId::PostLogin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CredentialsExchange => "credentials-exchange",
            Self::PostLogin => "post-login",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == id)
    }

    /// The version of the trigger's contract this tenant implements.
    pub fn version(self) -> &'static str {
        match self {
            Self::CredentialsExchange => "v2",
            Self::PostLogin => "v3",
        }
    }

    /// The function an action exports for it.
    pub fn entry_point(self) -> &'static str {
        match self {
            Self::CredentialsExchange => "onExecuteCredentialsExchange",
            Self::PostLogin => "onExecutePostLogin",
        }
    }
}

/// `{"id": "credentials-exchange", "version": "v2"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportedTrigger {
    pub id: String,
    pub version: String,
}

/// A secret as the API shows it: its name and when it was set, never its
/// value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretInfo {
    pub name: String,
    pub updated_at: String,
}

/// A secret in a request: a value sets it; without one (on PATCH) the
/// stored value is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// An npm dependency, as Auth0's body names them; refused here (actions
/// run without a package registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_url: Option<String>,
}

/// `GET /api/v2/actions/actions/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub name: String,
    pub supported_triggers: Vec<SupportedTrigger>,
    pub code: String,
    pub dependencies: Vec<Dependency>,
    pub runtime: String,
    pub secrets: Vec<SecretInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_version: Option<ActionVersion>,
    /// `built`: the code is stored and ready to deploy.
    pub status: String,
    /// Whether the deployed version has the current code and secrets.
    pub all_changes_deployed: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/v2/actions/actions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionCreate {
    pub name: String,
    pub supported_triggers: Vec<SupportedTrigger>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretInput>>,
    /// Deploy the new action at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<bool>,
}

/// `PATCH /api/v2/actions/actions/{id}`: what is present changes.
/// `secrets` replaces the list of names (see [`SecretInput`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_triggers: Option<Vec<SupportedTrigger>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Vec<Dependency>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretInput>>,
}

/// A deployed version: immutable, numbered from 1 per action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionVersion {
    pub id: String,
    pub action_id: String,
    pub number: u64,
    pub code: String,
    pub dependencies: Vec<Dependency>,
    pub runtime: String,
    pub secrets: Vec<SecretInfo>,
    pub supported_triggers: Vec<SupportedTrigger>,
    /// Whether it is the version bindings run now.
    pub deployed: bool,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub built_at: String,
}

/// One trigger, as `GET /api/v2/actions/triggers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: String,
    pub version: String,
    pub status: String,
    pub runtimes: Vec<String>,
    pub default_runtime: String,
    pub compatible_triggers: Vec<SupportedTrigger>,
    pub binding_policy: String,
}

/// An action bound to a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub id: String,
    pub trigger_id: String,
    pub display_name: String,
    pub action: Action,
    pub created_at: String,
    pub updated_at: String,
}

/// How a binding in a `PATCH .../bindings` names its action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingRef {
    /// `action_id`, `action_name` or `binding_id`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingInput {
    #[serde(rename = "ref")]
    pub reference: BindingRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Auth0 lets a binding override secrets; refused when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretInput>>,
}

/// `PATCH /api/v2/actions/triggers/{id}/bindings`: the whole ordered list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingsUpdate {
    pub bindings: Vec<BindingInput>,
}

/// What one action did in an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionResult {
    pub action_name: String,
    pub action_id: String,
    pub version_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ExecutionError>,
    /// The first 256 characters of each line it logged.
    pub logs: Vec<String>,
    pub started_at: String,
    pub ended_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionError {
    pub id: String,
    pub msg: String,
}

/// `GET /api/v2/actions/executions/{id}`: a trigger's run, kept 10 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub trigger_id: String,
    /// `final`: every action ran; `partial`: one denied or failed, and the
    /// ones after it did not run.
    pub status: String,
    pub results: Vec<ExecutionResult>,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/v2/actions/actions/{id}/versions/{version}/deploy` (a roll
/// back), optionally also making that version the draft again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollBack {
    #[serde(default)]
    pub update_draft: bool,
}

/// `POST /api/v2/actions/actions/{id}/test`: an event to run the draft
/// with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionTest {
    pub payload: serde_json::Value,
}
