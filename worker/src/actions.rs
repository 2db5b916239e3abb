//! The tenant's action runner on Cloudflare: the actions runner Worker
//! (worker/actions-runner), reached over the `ACTIONS_RUNNER` service
//! binding, which runs each action version in a Dynamic Worker Loader
//! isolate. A run is one subrequest; the tenant stops waiting a little
//! after the action's own time limit, so a runner that cannot answer (a
//! busy loop holds it, locally, where CPU limits are not enforced) fails
//! the request instead of hanging it.

use std::time::Duration;

use futures_util::future::{select, Either};
use tenant::seams::runner::{ActionRunner, RunFuture, RunOutcome, RunRequest};
use tenant::{Error, Result};
use worker::{Delay, Fetcher, Headers, Method, RequestInit};

use crate::kv::Meter;

/// The service binding to the actions runner.
pub const BINDING: &str = "ACTIONS_RUNNER";
/// How much longer than an action's limit the tenant waits for the runner.
const GRACE_MS: u64 = 1_000;

/// The runner behind the service binding, counting its runs on the
/// request's meter.
pub struct ServiceRunner<'a> {
    pub fetcher: &'a Fetcher,
    pub meter: &'a Meter,
}

fn unavailable(detail: impl std::fmt::Display) -> Error {
    Error::unavailable(format!("the actions runner: {detail}"))
}

impl ServiceRunner<'_> {
    async fn call(&self, request: &RunRequest) -> Result<RunOutcome> {
        let headers = Headers::new();
        headers
            .set("content-type", "application/json")
            .map_err(unavailable)?;
        let body = serde_json::to_string(request).map_err(unavailable)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let mut response = self
            .fetcher
            .fetch("https://actions-runner.internal/run", Some(init))
            .await
            .map_err(unavailable)?;
        if response.status_code() != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err(unavailable(format!(
                "answered {}: {}",
                response.status_code(),
                text.chars().take(200).collect::<String>()
            )));
        }
        // A reachable runner answers what the action made; an answer that
        // cannot be read is the action failing (it lands in its execution),
        // not the runner being away.
        let text = response.text().await.map_err(unavailable)?;
        Ok(
            serde_json::from_str(&text).unwrap_or_else(|err| RunOutcome {
                error: Some(format!("The action's result could not be read: {err}")),
                ..RunOutcome::default()
            }),
        )
    }
}

impl ActionRunner for ServiceRunner<'_> {
    fn run(&self, request: RunRequest) -> RunFuture<'_> {
        Box::pin(async move {
            let limit = Duration::from_millis(request.timeout_ms + GRACE_MS);
            let started = worker::Date::now().as_millis();
            let outcome = Meter::time(
                &self.meter.action_runs,
                &self.meter.action_millis,
                1,
                async {
                    let call = Box::pin(self.call(&request));
                    match select(call, Delay::from(limit)).await {
                        Either::Left((outcome, _)) => outcome,
                        Either::Right(((), _)) => Ok(RunOutcome {
                            timed_out: true,
                            duration_ms: worker::Date::now().as_millis() - started,
                            ..Default::default()
                        }),
                    }
                },
            )
            .await;
            outcome
        })
    }
}
