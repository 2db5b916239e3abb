//! The Cloudflare Worker: translates HTTP into calls on the `tenant` crate,
//! and implements its system of record on D1 and its read model on Workers
//! KV. No OAuth rule lives here.

use std::cell::OnceCell;
use std::rc::Rc;

use tenant::seams::cache::Cache;
use tenant::seams::clock::Clock;
use tenant::seams::random::OsRng;
use tenant::throttle::{ClientAuthLimits, LoginLimits, RateLimit};
use tenant::{ActionsSecretsKey, BootstrapClient, Caller, Config};
use worker::kv::KvStore;
use worker::{
    console_error, console_log, console_warn, event, Context, D1Database, Env, Fetcher,
    RateLimiter, Request, Response, ScheduleContext, ScheduledEvent, Url,
};

mod actions;
mod d1;
mod floor;
mod http;
mod kv;
mod management;
mod oauth;
mod openapi;
mod routes;
mod sample_api;
mod sign_in;

use d1::D1TenantDatabase;
use kv::{KvTenantStore, Meter};
use tenant_webcrypto::WebCrypto;

/// The tenant as the Worker runs it: on D1, Workers KV and WebCrypto.
pub type Tenant<'a> = tenant::Tenant<'a, KvTenantStore<'a>, WebCrypto, D1TenantDatabase<'a>>;

/// The KV namespace binding that holds the edge's read model.
const KV_BINDING: &str = "TENANT";
/// The D1 binding that holds the system of record.
const D1_BINDING: &str = "DB";
/// The rate limiting binding for `POST /oidc/register`.
const REGISTRATION_LIMITER: &str = "REGISTRATION_RATE_LIMITER";
/// Rate limiting bindings for login and signup attempts.
const LOGIN_IP_LIMITER: &str = "LOGIN_IP_RATE_LIMITER";
const LOGIN_ACCOUNT_LIMITER: &str = "LOGIN_ACCOUNT_RATE_LIMITER";
/// Rate limiting bindings counting failed client authentications.
const CLIENT_AUTH_LIMITER: &str = "CLIENT_AUTH_RATE_LIMITER";
const CLIENT_AUTH_IP_LIMITER: &str = "CLIENT_AUTH_IP_RATE_LIMITER";
/// Shortest bootstrap secret accepted, as for any client secret.
const MIN_BOOTSTRAP_SECRET_LEN: usize = 32;

struct WorkerClock;

impl Clock for WorkerClock {
    fn now(&self) -> u64 {
        worker::Date::now().as_millis() / 1000
    }

    fn now_millis(&self) -> u64 {
        worker::Date::now().as_millis()
    }
}

thread_local! {
    /// The deployment this isolate serves: its bindings and configuration
    /// are read once, on its first request, then shared with every later
    /// one, as is its memory (the cache).
    static DEPLOYMENT: OnceCell<Rc<Deployment>> = const { OnceCell::new() };
}

/// What every request of an isolate reaches the tenant with: the
/// database, the read model, the configuration, isolate memory and the
/// rate limiting bindings.
pub struct Deployment {
    db: D1Database,
    kv: KvStore,
    config: Config,
    cache: Cache,
    /// Throttles open registration per client IP.
    registration_limiter: Limiter,
    login_limiters: LoginLimiters,
    client_auth_limiters: ClientAuthLimiters,
    /// Serves the benchmark's floor route (`BENCH_FLOOR=1`).
    bench_floor: bool,
    /// Reports each request's storage operations in `Server-Timing`
    /// (`SERVER_TIMING=1`, for the benchmark).
    server_timing: bool,
    /// The actions runner (the `ACTIONS_RUNNER` service binding); without
    /// it, a bound action fails its request.
    actions_runner: Option<Fetcher>,
}

/// Throttles login and signup attempts; each limits nothing when unbound.
pub struct LoginLimiters {
    /// Keyed by client IP.
    pub per_ip: Limiter,
    /// Keyed by the email tried and the client IP.
    pub per_account: Limiter,
}

impl LoginLimiters {
    pub fn limits(&self) -> LoginLimits<'_, Limiter> {
        LoginLimits {
            per_ip: &self.per_ip,
            per_account: &self.per_account,
        }
    }
}

/// Counts failed client authentications; each is absent when unbound.
pub struct ClientAuthLimiters {
    /// Keyed by client id and IP.
    pub per_client: Limiter,
    /// Keyed by client IP.
    pub per_ip: Limiter,
}

/// A rate limiting binding as the tenant's [`RateLimit`]; an absent
/// binding limits nothing.
pub struct Limiter(Option<RateLimiter>);

impl Limiter {
    pub fn is_bound(&self) -> bool {
        self.0.is_some()
    }
}

impl RateLimit for Limiter {
    async fn allow(&self, key: &str) -> tenant::Result<bool> {
        match &self.0 {
            Some(limiter) => Ok(limiter
                .limit(key.to_string())
                .await
                .map_err(http::internal)?
                .success),
            None => Ok(true),
        }
    }
}

impl ClientAuthLimiters {
    pub fn limits(&self) -> ClientAuthLimits<'_, Limiter> {
        ClientAuthLimits {
            per_client: &self.per_client,
            per_ip: &self.per_ip,
        }
    }
}

impl Deployment {
    /// This isolate's deployment, read from `env` on first use. A
    /// configuration that cannot serve (no ISSUER) is not kept, so a fixed
    /// one is read on the next request.
    fn of_isolate(env: &Env) -> tenant::Result<Rc<Self>> {
        if let Some(deployment) = DEPLOYMENT.with(|cell| cell.get().cloned()) {
            return Ok(deployment);
        }
        let deployment = Rc::new(Self::from_env(env)?);
        DEPLOYMENT.with(|cell| {
            let _ = cell.set(deployment.clone());
        });
        Ok(deployment)
    }

    fn from_env(env: &Env) -> tenant::Result<Self> {
        let kv = env.kv(KV_BINDING).map_err(http::internal)?;
        let db = env.d1(D1_BINDING).map_err(|err| {
            tenant::Error::unavailable(format!(
                "the D1 binding {D1_BINDING} is missing (wrangler.toml [[d1_databases]]): {err}"
            ))
        })?;
        // Configuration, never the request's Host: a tenant has one issuer.
        let issuer = string_binding(env, "ISSUER").ok_or_else(|| {
            tenant::Error::unavailable("ISSUER is not set: set it in wrangler.toml [vars] (the dev and test commands pass --var ISSUER:...)")
        })?;
        let bootstrap = match (
            string_binding(env, "BOOTSTRAP_CLIENT_ID"),
            string_binding(env, "BOOTSTRAP_CLIENT_SECRET"),
        ) {
            (Some(client_id), Some(client_secret))
                if client_secret.len() >= MIN_BOOTSTRAP_SECRET_LEN =>
            {
                Some(BootstrapClient {
                    client_id,
                    client_secret,
                })
            }
            (None, None) => None,
            _ => {
                console_warn!(
                    "bootstrap client disabled: BOOTSTRAP_CLIENT_ID and a BOOTSTRAP_CLIENT_SECRET of at least {MIN_BOOTSTRAP_SECRET_LEN} characters are required"
                );
                None
            }
        };
        let mut config = Config::new(&issuer, bootstrap)
            .map_err(|err| tenant::Error::unavailable(format!("{err}: {issuer}")))?;
        config.actions_secrets_key = match string_binding(env, "ACTIONS_SECRETS_KEY") {
            None => None,
            Some(text) => Some(ActionsSecretsKey::parse(&text).ok_or_else(|| {
                tenant::Error::unavailable(
                    "ACTIONS_SECRETS_KEY must be 32 bytes, base64url without padding",
                )
            })?),
        };
        // Fewer iterations only for plans whose CPU limit cannot afford the
        // default; never more than workerd allows.
        if let Some(iterations) =
            string_binding(env, "PASSWORD_ITERATIONS").and_then(|v| v.parse::<u32>().ok())
        {
            config.password_iterations = iterations.clamp(
                tenant::primitives::password::MIN_ITERATIONS,
                tenant::primitives::password::ITERATIONS,
            );
        }
        Ok(Self {
            db,
            kv,
            config,
            cache: Cache::new(),
            registration_limiter: Limiter(env.rate_limiter(REGISTRATION_LIMITER).ok()),
            login_limiters: LoginLimiters {
                per_ip: Limiter(env.rate_limiter(LOGIN_IP_LIMITER).ok()),
                per_account: Limiter(env.rate_limiter(LOGIN_ACCOUNT_LIMITER).ok()),
            },
            client_auth_limiters: ClientAuthLimiters {
                per_client: Limiter(env.rate_limiter(CLIENT_AUTH_LIMITER).ok()),
                per_ip: Limiter(env.rate_limiter(CLIENT_AUTH_IP_LIMITER).ok()),
            },
            bench_floor: string_binding(env, "BENCH_FLOOR").as_deref() == Some("1"),
            server_timing: string_binding(env, "SERVER_TIMING").as_deref() == Some("1"),
            actions_runner: env.service(actions::BINDING).ok(),
        })
    }

    /// The storage (and the actions runner) one request or scheduled run
    /// works on, counted by `meter`.
    pub fn storage<'a>(&'a self, meter: &'a Meter) -> Storage<'a> {
        Storage {
            store: KvTenantStore::new(&self.kv, meter),
            db: D1TenantDatabase::new(&self.db, meter),
            runner: self
                .actions_runner
                .as_ref()
                .map(|fetcher| actions::ServiceRunner { fetcher, meter }),
        }
    }

    /// One request's view of the tenant, as `caller`.
    pub fn tenant<'a>(&'a self, storage: &'a Storage<'a>, caller: Caller) -> Tenant<'a> {
        let tenant = tenant::Tenant::new(
            &storage.store,
            &storage.db,
            &WebCrypto,
            &WorkerClock,
            &OsRng,
            &self.cache,
            &self.config,
        )
        .with_caller(caller);
        match &storage.runner {
            Some(runner) => tenant.with_runner(runner),
            None => tenant,
        }
    }
}

/// The read model, the database and the actions runner as one request
/// sees them.
pub struct Storage<'a> {
    store: KvTenantStore<'a>,
    db: D1TenantDatabase<'a>,
    runner: Option<actions::ServiceRunner<'a>>,
}

/// A var or secret binding, when set and not blank.
fn string_binding(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let url = req.url()?;
    let family = routes::family(url.path());
    let response = match Deployment::of_isolate(&env) {
        Ok(deployment) => serve(&mut req, &url, &deployment, &ctx).await,
        Err(err) => Err(err),
    };
    let response = response.unwrap_or_else(|err| http::error_response(&err, family));
    let _ = response.headers().set("X-Content-Type-Options", "nosniff");
    Ok(response)
}

/// Serves one request, then hands what the tenant deferred (the audit
/// events of changes already made) to `wait_until`, so the response does
/// not wait for them. A failed write goes to the Worker's log.
async fn serve(
    req: &mut Request,
    url: &Url,
    deployment: &Rc<Deployment>,
    ctx: &Context,
) -> tenant::Result<Response> {
    let caller = Caller {
        ip: http::header(req, "cf-connecting-ip"),
        user_agent: http::header(req, "user-agent"),
        method: req.method().to_string(),
        path: url.path().to_string(),
    };
    let meter = Meter::default();
    let storage = deployment.storage(&meter);
    let tenant = deployment.tenant(&storage, caller);
    let response = routes::handle(req, url, deployment, &tenant).await;
    let deferred = tenant.take_deferred();
    if !deferred.is_empty() {
        let deployment = deployment.clone();
        ctx.wait_until(async move {
            let meter = Meter::default();
            let storage = deployment.storage(&meter);
            if let Some(err) = deferred.write(&storage.db).await {
                console_error!("audit log: events could not be written: {err}");
            }
        });
    }
    if deployment.server_timing {
        if let Ok(response) = &response {
            let _ = response
                .headers()
                .set("Server-Timing", &meter.server_timing());
        }
    }
    response
}

/// The cron trigger (`[triggers] crons` in wrangler.toml): converges the
/// read model and deletes what has expired (see `Tenant::maintain`).
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let deployment = match Deployment::of_isolate(&env) {
        Ok(deployment) => deployment,
        Err(err) => {
            console_error!("scheduled: the deployment cannot serve: {err}");
            return;
        }
    };
    let meter = Meter::default();
    let storage = deployment.storage(&meter);
    let tenant = deployment.tenant(&storage, Caller::default());
    let (done, failure) = tenant.maintain().await;
    let _ = tenant.take_deferred();
    console_log!(
        "scheduled: projected {} read-model entries, deleted {} expired log events, {} ended sessions and {} expired action executions ({})",
        done.projected,
        done.expired_logs,
        done.ended_sessions,
        done.expired_executions,
        meter.server_timing()
    );
    if let Some(err) = failure {
        console_error!("scheduled: {err}");
    }
}
