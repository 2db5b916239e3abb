//! Where customer JavaScript runs: one action version's code, given an
//! event, in an isolate of its own with no network (unless hosts are
//! allowed), no bindings and a time limit. The Worker implements it with a
//! runner Worker holding Cloudflare's Dynamic Worker Loader, behind a
//! service binding; host tests with a fake that plays scripted outcomes.
//!
//! The runner only runs code and reports what it asked for: the commands
//! it gave its `api` object, in order, and what it logged. What those
//! commands mean (which claims a token may carry, what a deny answers,
//! the order of actions) is the tenant's, not the runner's.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// One action version to run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRequest {
    /// `credentials-exchange` or `post-login`.
    pub trigger: String,
    /// The immutable version (or a test's draft): the isolate's identity,
    /// so the runner may keep it loaded.
    pub version_id: String,
    pub code: String,
    /// The trigger's event, the action's own secrets included.
    pub event: serde_json::Value,
    /// The trigger's cache as the action may read it (`api.cache.get`).
    pub cache: serde_json::Map<String, serde_json::Value>,
    /// Hosts (`host` or `host:port`) the action may fetch; none by default.
    pub allowed_hosts: Vec<String>,
    /// The wall-clock limit for this action.
    pub timeout_ms: u64,
    /// A deploy's check: load the code and find the trigger's entry point,
    /// run nothing (the outcome's `error` says why it does not load).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check: bool,
}

/// What the action asked for through `api`, in the order it asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Command {
    /// `api.accessToken.setCustomClaim(name, value)`.
    AccessTokenClaim {
        name: String,
        value: serde_json::Value,
    },
    /// `api.idToken.setCustomClaim(name, value)` (post-login).
    IdTokenClaim {
        name: String,
        value: serde_json::Value,
    },
    /// `api.access.deny(code, reason)` (credentials-exchange) or
    /// `api.access.deny(reason)` (post-login, no code).
    Deny {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// `api.cache.set(key, value, {ttl})`, `ttl` in milliseconds.
    CacheSet {
        key: String,
        value: String,
        #[serde(default)]
        ttl: Option<u64>,
    },
    /// `api.cache.delete(key)`.
    CacheDelete { key: String },
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    #[serde(default)]
    pub commands: Vec<Command>,
    /// What it logged, each line cut to 256 characters.
    #[serde(default)]
    pub logs: Vec<String>,
    /// Why it failed: what it threw (the message only, never a stack),
    /// or that it ran out of time.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub duration_ms: u64,
}

/// A future of the runner's, which runs on one thread like everything in a
/// Worker.
pub type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<RunOutcome>> + 'a>>;

pub trait ActionRunner {
    /// Runs one action. `Err` when the runner could not be reached; a
    /// failing action (also one whose result cannot be read) is an `Ok`
    /// outcome with its `error`.
    fn run(&self, request: RunRequest) -> RunFuture<'_>;
}

/// A deployment without a runner: bound actions cannot run, so requests
/// that would run them fail (closed), with the reason.
pub struct NoRunner;

impl ActionRunner for NoRunner {
    fn run(&self, request: RunRequest) -> RunFuture<'_> {
        Box::pin(async move {
            if request.check {
                // Nothing can load the code, and nothing will run it: a
                // deploy here is not checked.
                return Ok(RunOutcome::default());
            }
            Err(crate::Error::unavailable(
                "actions are bound but this deployment has no action runner (the ACTIONS_RUNNER service binding)",
            ))
        })
    }
}
