//! Running a trigger's actions: Auth0's contract, on whatever runs the
//! code ([`crate::seams::runner`]).
//!
//! The bound actions run one after another, in binding order, each with
//! the event, its own secrets, the claims the earlier ones set and the
//! trigger's cache. A deny wins: the actions after it do not run and no
//! token is issued. An action that throws, runs out of time or misuses
//! `api` fails the request, with the reason in the execution log
//! (`/api/v2/actions/executions/{id}`) and never in the answer. Claims an
//! action may not set are dropped, as Auth0 drops them ([`claims`]), and
//! the drop is logged in the execution. Nothing bound costs nothing:
//! the trigger's bindings come from isolate memory.

pub mod claims;
pub mod events;

use serde_json::{Map, Value};
use shared::actions::{Execution, ExecutionError, ExecutionResult, TriggerId};

use crate::error::{echo, Error, OAuthErrorCode, Result};
use crate::management::actions::executions::{ExecutionRecord, MAX_LOG_LINE, MAX_LOG_LINES};
use crate::seams::cache::ActionCache;
use crate::seams::clock::rfc3339_millis;
use crate::seams::crypto::CryptoBackend;
use crate::seams::database::Database;
use crate::seams::random;
use crate::seams::runner::{Command, RunRequest};
use crate::seams::store::Store;
use crate::Tenant;

/// The wall-clock time one action may take. Auth0 allows a trigger 20 s,
/// far too long for a request at the edge; in production the runner also
/// gives each isolate a CPU limit ([`CPU_MS`]), which stops a busy loop
/// sooner.
pub const TIMEOUT_MS: u64 = 5_000;
/// The CPU time one action may use in production (Dynamic Worker Loader
/// `limits.cpuMs`; not enforced by the local runtime).
pub const CPU_MS: u64 = 50;
/// Auth0's bound on the custom claims of a token.
pub const MAX_CUSTOM_CLAIMS_BYTES: usize = 100 * 1024;
/// Auth0's bounds on the actions cache.
pub const MAX_CACHE_ENTRIES: usize = 20;
pub const MAX_CACHE_KEY_BYTES: usize = 64;
pub const MAX_CACHE_VALUE_BYTES: usize = 4 * 1024;
pub const MAX_CACHE_BYTES: usize = 8 * 1024;
pub const MAX_CACHE_TTL_MS: u64 = 24 * 3600 * 1000;
pub const DEFAULT_CACHE_TTL_MS: u64 = 15 * 60 * 1000;
/// The error codes `api.access.deny` takes at `credentials-exchange`: 400
/// for the first two, 500 for `server_error`.
const DENY_CODES: [&str; 3] = ["invalid_request", "invalid_scope", "server_error"];

/// How a trigger's run ended for the request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerOutcome {
    /// The claims to add to the access token, and (post-login) to the ID
    /// token.
    pub access_token_claims: Map<String, Value>,
    pub id_token_claims: Map<String, Value>,
    /// The execution's id, when any action ran.
    pub execution_id: Option<String>,
}

/// What a trigger's run answers instead of tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `api.access.deny`: the code (credentials-exchange) and the reason.
    Denied {
        code: Option<String>,
        reason: String,
    },
    /// An action failed: its name and the execution that says why.
    Failed {
        action: String,
        execution_id: String,
    },
}

impl Refusal {
    /// At the token endpoint (RFC 6749 §5.2 JSON): a deny with its code
    /// (400, or 500 for `server_error`); a failure is `server_error`.
    pub fn for_token_endpoint(self) -> Error {
        match self {
            Self::Denied { code, reason } => {
                let code = code.unwrap_or_else(|| "invalid_request".into());
                let (code, status) = match code.as_str() {
                    "invalid_scope" => (OAuthErrorCode::InvalidScope, 400),
                    "server_error" => (OAuthErrorCode::ServerError, 500),
                    _ => (OAuthErrorCode::InvalidRequest, 400),
                };
                Error::oauth(status, code, reason)
            }
            Self::Failed {
                action,
                execution_id,
            } => Error::oauth(
                500,
                OAuthErrorCode::ServerError,
                failure(&action, &execution_id),
            ),
        }
    }

    /// The error code and description for a client's redirect URI.
    pub fn for_redirect(self) -> (OAuthErrorCode, String) {
        match self {
            Self::Denied { reason, .. } => (OAuthErrorCode::AccessDenied, reason),
            Self::Failed {
                action,
                execution_id,
            } => (OAuthErrorCode::ServerError, failure(&action, &execution_id)),
        }
    }
}

fn failure(action: &str, execution_id: &str) -> String {
    format!(
        "The action \"{}\" failed; see execution {execution_id}",
        echo(action)
    )
}

/// A reason shown to the client: printable, bounded.
fn reason_text(reason: Option<&str>) -> String {
    let reason: String = reason
        .unwrap_or("Access denied by an action")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    echo(reason.trim())
}

pub(crate) fn log_line(line: &str) -> String {
    line.chars().take(MAX_LOG_LINE).collect()
}

/// The trigger's cache as the action sees it: key -> `{value}`.
fn cache_view(cache: &ActionCache) -> Map<String, Value> {
    cache
        .iter()
        .map(|(key, (value, expires))| {
            (
                key.clone(),
                serde_json::json!({ "value": value, "expires_at": expires }),
            )
        })
        .collect()
}

/// Applies a `cache.set` within Auth0's bounds; why not, when refused.
fn cache_set(
    cache: &mut ActionCache,
    key: &str,
    value: &str,
    ttl: Option<u64>,
    now_ms: u64,
) -> std::result::Result<(), String> {
    if key.is_empty() || key.len() > MAX_CACHE_KEY_BYTES {
        return Err(format!("cache keys are 1 to {MAX_CACHE_KEY_BYTES} bytes"));
    }
    if value.len() > MAX_CACHE_VALUE_BYTES {
        return Err(format!(
            "cache values are at most {MAX_CACHE_VALUE_BYTES} bytes"
        ));
    }
    let ttl = ttl.unwrap_or(DEFAULT_CACHE_TTL_MS).min(MAX_CACHE_TTL_MS);
    let mut next = cache.clone();
    next.insert(
        key.to_string(),
        (value.to_string(), now_ms.saturating_add(ttl)),
    );
    let total: usize = next.iter().map(|(k, (v, _))| k.len() + v.len()).sum();
    if next.len() > MAX_CACHE_ENTRIES || total > MAX_CACHE_BYTES {
        return Err(format!(
            "the cache holds at most {MAX_CACHE_ENTRIES} entries and {MAX_CACHE_BYTES} bytes"
        ));
    }
    *cache = next;
    Ok(())
}

impl<S: Store, K: CryptoBackend, D: Database> Tenant<'_, S, K, D> {
    /// Runs what is bound to `trigger` with `event` (without `secrets`,
    /// which each action gets its own of). `token` says where access token
    /// claims go. A refusal is `Err(Ok(refusal))`; a runner that cannot be
    /// reached is `Err(Err(error))` (503): bound actions never go unrun.
    pub(crate) async fn run_trigger(
        &self,
        trigger: TriggerId,
        mut event: Value,
        token: claims::Token,
    ) -> Result<std::result::Result<TriggerOutcome, Refusal>> {
        let bindings = self.trigger_bindings(trigger).await?;
        if bindings.is_empty() {
            return Ok(Ok(TriggerOutcome::default()));
        }
        let allowed_hosts = self.edge_settings().await?.actions_allowed_hosts.clone();
        let execution_id = random::hex(self.rng, 32);
        let mut cache = self
            .cache
            .action_cache(trigger.as_str(), self.clock.now_millis());
        let mut outcome = TriggerOutcome {
            execution_id: Some(execution_id.clone()),
            ..Default::default()
        };
        let mut results = Vec::new();
        let mut refusal = None;
        for binding in bindings.iter() {
            event["secrets"] = serde_json::to_value(self.open_secrets(&binding.secrets).await?)
                .expect("strings serialize");
            if trigger == TriggerId::CredentialsExchange {
                event["accessToken"]["customClaims"] =
                    Value::Object(outcome.access_token_claims.clone());
            }
            let started = self.clock.now_millis();
            let run = self
                .runner
                .run(RunRequest {
                    trigger: trigger.as_str().to_string(),
                    version_id: binding.version_id.clone(),
                    code: binding.code.clone(),
                    event: event.clone(),
                    cache: cache_view(&cache),
                    allowed_hosts: allowed_hosts.clone(),
                    timeout_ms: TIMEOUT_MS,
                    check: false,
                })
                .await?;
            let ended = self.clock.now_millis().max(started + run.duration_ms);
            let mut logs: Vec<String> = run
                .logs
                .iter()
                .take(MAX_LOG_LINES)
                .map(|l| log_line(l))
                .collect();
            let mut error = run.error.clone().map(|e| log_line(&e));
            if run.timed_out {
                error = Some(format!("the action did not finish within {TIMEOUT_MS} ms"));
            }
            if error.is_none() {
                match self.apply(
                    trigger,
                    token,
                    &run.commands,
                    &mut outcome,
                    &mut cache,
                    &mut logs,
                ) {
                    Ok(Some(denied)) => refusal = Some(denied),
                    Ok(None) => {}
                    Err(misuse) => error = Some(misuse),
                }
            }
            if let Some(error) = &error {
                refusal = Some(Refusal::Failed {
                    action: binding.action_name.clone(),
                    execution_id: execution_id.clone(),
                });
                logs.push(log_line(&format!("error: {error}")));
            }
            results.push(ExecutionResult {
                action_name: binding.action_name.clone(),
                action_id: binding.action_id.clone(),
                version_id: binding.version_id.clone(),
                error: error.map(|msg| ExecutionError {
                    id: "action_failed".into(),
                    msg,
                }),
                logs,
                started_at: rfc3339_millis(started),
                ended_at: rfc3339_millis(ended),
            });
            if refusal.is_some() {
                break;
            }
        }
        let claims_size = serde_json::to_vec(&outcome.access_token_claims).map_or(0, |v| v.len())
            + serde_json::to_vec(&outcome.id_token_claims).map_or(0, |v| v.len());
        if refusal.is_none() && claims_size > MAX_CUSTOM_CLAIMS_BYTES {
            if let Some(last) = results.last_mut() {
                last.error = Some(ExecutionError {
                    id: "action_failed".into(),
                    msg: format!("the custom claims exceed {MAX_CUSTOM_CLAIMS_BYTES} bytes"),
                });
                refusal = Some(Refusal::Failed {
                    action: last.action_name.clone(),
                    execution_id: execution_id.clone(),
                });
            }
        }
        self.cache.set_action_cache(trigger.as_str(), cache);
        let now = self.clock.now_millis();
        self.defer_execution(&ExecutionRecord {
            execution: Execution {
                id: execution_id,
                trigger_id: trigger.as_str().to_string(),
                status: if refusal.is_some() {
                    "partial"
                } else {
                    "final"
                }
                .to_string(),
                results,
                created_at: rfc3339_millis(now),
                updated_at: rfc3339_millis(now),
            },
            at: now / 1000,
        });
        Ok(match refusal {
            Some(refusal) => Err(refusal),
            None => Ok(outcome),
        })
    }

    /// Applies one action's commands; a deny is returned, a misuse of
    /// `api` is an error (the action fails).
    fn apply(
        &self,
        trigger: TriggerId,
        token: claims::Token,
        commands: &[Command],
        outcome: &mut TriggerOutcome,
        cache: &mut ActionCache,
        logs: &mut Vec<String>,
    ) -> std::result::Result<Option<Refusal>, String> {
        for command in commands {
            match command {
                Command::AccessTokenClaim { name, value } => match claims::refusal(name, token) {
                    None => {
                        outcome
                            .access_token_claims
                            .insert(name.clone(), value.clone());
                    }
                    Some(why) => logs.push(log_line(&format!(
                        "access token claim {name} dropped: {why}"
                    ))),
                },
                Command::IdTokenClaim { name, value } => {
                    if trigger != TriggerId::PostLogin {
                        return Err("api.idToken is not available at this trigger".into());
                    }
                    match claims::refusal(name, claims::Token::Id) {
                        None => {
                            outcome.id_token_claims.insert(name.clone(), value.clone());
                        }
                        Some(why) => {
                            logs.push(log_line(&format!("ID token claim {name} dropped: {why}")))
                        }
                    }
                }
                Command::Deny { code, reason } => {
                    let code = match trigger {
                        TriggerId::CredentialsExchange => {
                            let code = code.clone().unwrap_or_default();
                            if !DENY_CODES.contains(&code.as_str()) {
                                return Err(format!(
                                    "api.access.deny: the code must be one of {}, not '{}'",
                                    DENY_CODES.join(", "),
                                    echo(&code)
                                ));
                            }
                            Some(code)
                        }
                        TriggerId::PostLogin => None,
                    };
                    return Ok(Some(Refusal::Denied {
                        code,
                        reason: reason_text(reason.as_deref()),
                    }));
                }
                // The action was answered `{type: "error"}` for a set
                // outside the bounds; it is logged and not kept.
                Command::CacheSet { key, value, ttl } => {
                    if let Err(why) = cache_set(cache, key, value, *ttl, self.clock.now_millis()) {
                        logs.push(log_line(&format!("api.cache.set({key}) not kept: {why}")));
                    }
                }
                Command::CacheDelete { key } => {
                    cache.remove(key);
                }
            }
        }
        Ok(None)
    }
}
