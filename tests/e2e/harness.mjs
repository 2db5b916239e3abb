// End-to-end harness: runs the built worker under `wrangler dev` (local
// workerd) with fresh state and fresh bootstrap credentials, and offers small
// HTTP helpers for the token endpoint and the Management API.
//
// Run from the repo root after building the worker:
//   node --test --test-concurrency=1 tests/e2e/
//
// One tenant per test file: startup takes seconds, so files start it in
// `before` and stop it in `after`; tests inside a file create their own
// clients and APIs with random names so they do not depend on each other.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ManagementClient } from 'auth0';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const STARTUP_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 250;
const KEPT_OUTPUT_LINES = 200;

/** Every Management API scope; the bootstrap client holds all of them. */
export const MANAGEMENT_SCOPES = [
  'read:clients',
  'create:clients',
  'update:clients',
  'delete:clients',
  'update:client_keys',
  'read:resource_servers',
  'create:resource_servers',
  'update:resource_servers',
  'delete:resource_servers',
  'read:client_grants',
  'create:client_grants',
  'update:client_grants',
  'delete:client_grants',
  'read:tenant_settings',
  'update:tenant_settings',
  'read:users',
  'create:users',
  'update:users',
  'delete:users',
  'read:logs',
  'read:organizations',
  'create:organizations',
  'update:organizations',
  'delete:organizations',
  'read:organization_members',
  'create:organization_members',
  'delete:organization_members',
  'read:organization_client_grants',
  'create:organization_client_grants',
  'delete:organization_client_grants',
  'read:actions',
  'create:actions',
  'update:actions',
  'delete:actions',
];

// ---------------------------------------------------------------------------
// Process lifecycle

/** Process groups of tenants still running, killed if this process exits. */
const running = new Map(); // pid -> stateDir

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function cleanupAllSync() {
  for (const [pid, stateDir] of running) {
    killGroup(pid, 'SIGKILL');
    if (stateDir === null) continue;
    try {
      rmSync(stateDir, { recursive: true, force: true });
    } catch {
      // Best effort.
    }
  }
  running.clear();
}

let exitHandlersInstalled = false;
function installExitHandlers() {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // A crashed or interrupted test run must never leave wrangler/workerd
  // running: 'exit' handlers may only do synchronous work, which is enough to
  // SIGKILL the process groups.
  process.on('exit', cleanupAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      cleanupAllSync();
      process.kill(process.pid, signal);
    });
  }
}

// `wrangler dev` forwards each request through its ProxyWorker to the Worker
// over a pool of keep-alive connections, and workerd closes a connection that
// has been idle for 5 s. When the proxy sends a request on a pooled
// connection that workerd has closed, or is closing, the forward fails: the
// Worker never read the request. The proxy then queues GET and HEAD again,
// and answers any other method 503 "Your worker restarted mid-request"
// (cloudflare/workers-sdk#14641; in 4.86, which this project pins, and
// still in 4.164). A burst of posts a few seconds after another burst can
// lose many this way. Deployed Workers have no such proxy, so the harness
// sends such a request again, at most twice, and only when the answer is
// that exact text from the proxy in front of a tenant it started: the
// Worker itself never answers it (its own 503s are JSON). The proxy gives
// the same answer for any failed forward; a duplicated post would show in
// the tests that count exactly what was created. Each file's output ends
// with how many requests were sent again.
const DEV_PROXY_DROPPED = 'Your worker restarted mid-request.';
const DEV_PROXY_RETRIES = 2;
const tenantOrigins = new Set();
/** "METHOD /path" -> how many times the proxy dropped it. */
const droppedByProxy = new Map();
let devProxyRetryInstalled = false;

function installDevProxyRetry() {
  if (devProxyRetryInstalled) return;
  devProxyRetryInstalled = true;
  const send = globalThis.fetch;
  globalThis.fetch = async function fetchThroughDevProxy(input, init) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (!tenantOrigins.has(url.origin)) return send(request);
    for (let attempt = 0; ; attempt += 1) {
      const res = await send(attempt < DEV_PROXY_RETRIES ? request.clone() : request);
      if (attempt === DEV_PROXY_RETRIES || !(await droppedByDevProxy(res))) return res;
      const what = `${request.method} ${url.pathname}`;
      droppedByProxy.set(what, (droppedByProxy.get(what) ?? 0) + 1);
    }
  };
  process.on('exit', () => {
    for (const [what, times] of droppedByProxy) {
      process.stderr.write(`# wrangler dev's proxy failed to forward ${what} ${times} time(s); sent again (workers-sdk#14641)\n`);
    }
  });
}

async function droppedByDevProxy(res) {
  if (res.status !== 503 || res.headers.get('retry-after') !== '0') return false;
  return (await res.clone().text()).startsWith(DEV_PROXY_DROPPED);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlphanumeric(length) {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[crypto.randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Keeps the last `max` lines of a stream of chunks. */
class TailBuffer {
  constructor(max) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }
  push(prefix, chunk) {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop();
    for (const line of parts) this.lines.push(`${prefix} ${line}`);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  toString() {
    return [...this.lines, this.partial].join('\n');
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits, if need be, until the clock is early in a minute, so that a burst
 * of a few seconds falls within one minute whether a rate limiter counts in
 * sliding windows or in fixed windows aligned to the minute (as the local
 * workerd limiter does). Without this a burst straddling a minute boundary
 * could legitimately get up to twice the limit through.
 */
export async function startEarlyInAMinute() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 30_000) await sleep(60_000 - intoMinute + 500);
}

/**
 * Starts a fresh tenant under `wrangler dev` and waits until it answers
 * discovery. `vars` are extra Worker vars (e.g. the benchmark's
 * `BENCH_FLOOR`); `stateDir` an existing state folder to serve. Returns
 * `{ baseUrl, issuer, bootstrap: { clientId, clientSecret }, stateDir, stop,
 * output }`.
 */
export async function startTenant({ vars = {}, stateDir: given } = {}) {
  installExitHandlers();
  installDevProxyRetry();
  const port = await freePort();
  const inspectorPort = await freePort();
  const runnerPort = await freePort();
  const runnerInspectorPort = await freePort();
  // A state folder of the caller's (e.g. a tenant to upgrade) is used as
  // it is, and removed at stop like a fresh one.
  const stateDir = given ?? (await mkdtemp(path.join(os.tmpdir(), 'edge-tenant-e2e-')));
  const bootstrap = {
    clientId: randomAlphanumeric(32),
    clientSecret: crypto.randomBytes(48).toString('base64url'),
  };
  // This tenant's own dev registry: its service binding finds its own
  // actions runner, never another test run's.
  const registry = path.join(stateDir, 'registry');
  const baseUrl = `http://127.0.0.1:${port}`;
  tenantOrigins.add(baseUrl);
  const issuer = `${baseUrl}/`;

  // E2E_WRANGLER lets the suite run with another wrangler binary (or a
  // stand-in that accepts the same arguments); normally the project's own.
  const wrangler = process.env.E2E_WRANGLER || path.join(repoRoot, 'node_modules', '.bin', 'wrangler');
  // The system of record's schema, on this run's own fresh state.
  await applyMigrations(wrangler, stateDir);
  const args = [
    'dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    // Not the default 9229, so a stray debugger or a previous run cannot make
    // startup fail or attach to the wrong process.
    '--inspector-port', String(inspectorPort),
    '--persist-to', stateDir,
    // The issuer is configuration: this instance answers for its own port.
    '--var', `ISSUER:${issuer}`,
    '--var', `BOOTSTRAP_CLIENT_ID:${bootstrap.clientId}`,
    '--var', `BOOTSTRAP_CLIENT_SECRET:${bootstrap.clientSecret}`,
    '--var', `ACTIONS_SECRETS_KEY:${crypto.randomBytes(32).toString('base64url')}`,
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    // The cron trigger at /__scheduled, for the tests of the read model.
    '--test-scheduled',
    '--show-interactive-dev-session=false',
    '--log-level', process.env.E2E_LOG_LEVEL ?? 'warn',
  ];
  const childEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    EDGE_TENANT_PREBUILT: '1',
    CI: 'true',
    // Plain text in the captured output printed when startup fails.
    NO_COLOR: '1',
    WRANGLER_REGISTRY_PATH: registry,
  };
  const output = new TailBuffer(KEPT_OUTPUT_LINES);
  // The actions runner, in a wrangler dev (and so a workerd) of its own:
  // an action stuck in a busy loop holds its runtime's thread, which the
  // local runtime does not stop (production's CPU limit does); the tenant
  // then stops waiting and stays responsive (worker/src/actions.rs).
  const runnerArgs = [
    'dev',
    '-c', path.join('worker', 'actions-runner', 'wrangler.toml'),
    '--ip', '127.0.0.1',
    '--port', String(runnerPort),
    '--inspector-port', String(runnerInspectorPort),
    '--persist-to', path.join(stateDir, 'runner'),
    '--show-interactive-dev-session=false',
    '--log-level', process.env.E2E_LOG_LEVEL ?? 'warn',
  ];
  let runner = null;
  const startRunner = () => {
    const proc = spawn(wrangler, runnerArgs, { cwd: repoRoot, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.set(proc.pid, null);
    proc.stdout.on('data', (chunk) => output.push('[runner]', chunk));
    proc.stderr.on('data', (chunk) => output.push('[runner!]', chunk));
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    runner = { proc, exited };
  };
  const stopRunner = async () => {
    if (runner === null) return;
    const { proc, exited } = runner;
    runner = null;
    killGroup(proc.pid, 'SIGKILL');
    await Promise.race([exited, sleep(5_000)]);
    running.delete(proc.pid);
  };
  /** Waits until the runner answers and has registered for the tenant. */
  const runnerReady = async () => {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${runnerPort}/health`, { signal: AbortSignal.timeout(2_000) });
        if ((await res.text()) === 'ok') return;
      } catch {
        // Not yet.
      }
      if (Date.now() > deadline) throw new Error(`the actions runner did not start\n--- last output ---\n${output}`);
      await sleep(POLL_INTERVAL_MS);
    }
  };
  startRunner();

  const child = spawn(wrangler, args, {
    cwd: repoRoot,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(child.pid, stateDir);

  child.stdout.on('data', (chunk) => output.push('[wrangler]', chunk));
  child.stderr.on('data', (chunk) => output.push('[wrangler!]', chunk));
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  let spawnError = null;
  child.on('error', (err) => {
    spawnError = err;
  });

  let stopped = false;
  // `keepState` leaves the state folder for another startTenant({ stateDir }).
  async function stop({ keepState = false } = {}) {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      killGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000);
      await exitPromise;
      clearTimeout(timer);
    }
    // workerd may outlive wrangler in the same group; make sure it is gone.
    killGroup(child.pid, 'SIGKILL');
    running.delete(child.pid);
    await stopRunner();
    tenantOrigins.delete(baseUrl);
    if (!keepState) await rm(stateDir, { recursive: true, force: true });
  }

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (spawnError || exited) {
      await stop();
      throw new Error(
        `wrangler dev ended before the tenant answered (${spawnError ?? JSON.stringify(exited)})\n` +
          `--- last output ---\n${output}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      lastProblem = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `tenant did not answer discovery within ${STARTUP_TIMEOUT_MS / 1000}s (last: ${lastProblem})\n` +
          `--- last output ---\n${output}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  try {
    await runnerReady();
  } catch (err) {
    await stop();
    throw err;
  }

  /**
   * Starts the actions runner again: after a test left it busy (a loop the
   * local runtime cannot stop), as a developer restarts `scripts/dev.sh`.
   */
  async function restartRunner() {
    await stopRunner();
    startRunner();
    await runnerReady();
  }

  /** The process groups of the tenant's and the runner's wrangler dev (for the benchmarks' CPU figures). */
  const processGroups = () => ({ tenant: child.pid, runner: runner?.proc.pid ?? null });

  return { baseUrl, issuer, bootstrap, stateDir, stop, restartRunner, processGroups, output: () => output.toString() };
}

/** Applies `migrations/` to the local D1 database under `stateDir`. */
export async function applyMigrations(wrangler, stateDir) {
  const { execFile } = await import('node:child_process');
  await new Promise((resolve, reject) => {
    execFile(
      wrangler,
      ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', stateDir],
      { cwd: repoRoot, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' } },
      (err, stdout, stderr) => (err ? reject(new Error(`migrations failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve()),
    );
  });
}

/**
 * Runs the tenant's scheduled task once, as the cron trigger would
 * (`wrangler dev --test-scheduled`), and waits for it to finish.
 */
export async function runScheduled(tenant) {
  const res = await fetch(`${tenant.baseUrl}/__scheduled?cron=${encodeURIComponent('* * * * *')}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`scheduled run failed: ${res.status} ${text}`);
}

// ---------------------------------------------------------------------------
// HTTP helpers

/** A response read whole: `{ status, headers, body, text }`, `body` the
 * parsed JSON or undefined. */
export async function readResponse(res) {
  const text = await res.text();
  let body;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** RFC 6749 §2.3.1: form-urlencode id and secret, then Basic. */
export function basicAuthorization(clientId, clientSecret) {
  const formEncode = (value) => new URLSearchParams({ v: value }).toString().slice(2);
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/**
 * POSTs to the token endpoint. `options`:
 * - `form`: object sent as application/x-www-form-urlencoded
 * - `json`: value sent as application/json
 * - `raw` + `contentType`: a body sent as is
 * - `basic`: `{ clientId, clientSecret }` for an HTTP Basic header
 * - `headers`, `method`: extra headers, another method
 * Returns `{ status, headers, body, text }`, body parsed as JSON when it is.
 */
export async function tokenRequest(baseUrl, options = {}) {
  const headers = new Headers(options.headers ?? {});
  let body;
  if (options.form !== undefined) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(options.form).toString();
  } else if (options.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    if (options.contentType) headers.set('content-type', options.contentType);
    body = options.raw;
  }
  if (options.basic) {
    headers.set('authorization', basicAuthorization(options.basic.clientId, options.basic.clientSecret));
  }
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: options.method ?? 'POST',
    headers,
    body,
  });
  return readResponse(res);
}

/** A client_credentials token request; throws unless it succeeds. */
export async function getAccessToken(baseUrl, { clientId, clientSecret, audience, scope, basic = false }) {
  const params = { grant_type: 'client_credentials', audience };
  if (scope !== undefined) params.scope = scope;
  const res = basic
    ? await tokenRequest(baseUrl, { form: params, basic: { clientId, clientSecret } })
    : await tokenRequest(baseUrl, { form: { ...params, client_id: clientId, client_secret: clientSecret } });
  if (res.status !== 200 || typeof res.body?.access_token !== 'string') {
    throw new Error(`token request for ${audience} failed: HTTP ${res.status} ${res.text}`);
  }
  return res.body;
}

export function managementAudience(tenant) {
  return `${tenant.issuer}api/v2/`;
}

/** A Management API access token for the bootstrap client. */
export async function mgmtToken(tenant, scopes) {
  const body = await getAccessToken(tenant.baseUrl, {
    clientId: tenant.bootstrap.clientId,
    clientSecret: tenant.bootstrap.clientSecret,
    audience: managementAudience(tenant),
    scope: scopes === undefined ? undefined : [].concat(scopes).join(' '),
  });
  return body.access_token;
}

/**
 * Calls the tenant with a bearer token (`token` may be null for none) and a
 * JSON body. Returns `{ status, headers, body, text }`.
 */
export async function api(tenant, token, method, urlPath, body, extraHeaders = {}) {
  const headers = new Headers(extraHeaders);
  if (token != null) headers.set('authorization', `Bearer ${token}`);
  let payload;
  if (body !== undefined) {
    headers.set('content-type', 'application/json');
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(`${tenant.baseUrl}${urlPath}`, { method, headers, body: payload });
  return readResponse(res);
}

/**
 * A request to the tenant's address that names another host in `Host`, as a
 * browser does for a custom domain, `*.workers.dev`, or any name an
 * attacker points at the tenant (fetch cannot set `Host`). `headers` and
 * `body` as for fetch. Sent again, like every request to a tenant, when
 * wrangler dev's proxy drops it. Returns `{ status, headers, body, text }`.
 */
export async function requestForHost(tenant, host, method, target, { headers = {}, body } = {}) {
  const { hostname, port } = new URL(tenant.baseUrl);
  const once = () =>
    new Promise((resolve, reject) => {
      const req = http.request({ hostname, port, method, path: target, headers: { ...headers, host } }, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const received = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const one of [].concat(value)) received.append(name, one);
          }
          resolve(new Response(res.statusCode === 204 || method === 'HEAD' ? null : Buffer.concat(chunks), { status: res.statusCode, headers: received }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  for (let attempt = 0; ; attempt += 1) {
    const res = await once();
    if (attempt === DEV_PROXY_RETRIES || !(await droppedByDevProxy(res))) return readResponse(res);
  }
}

// ---------------------------------------------------------------------------
// The official Auth0 Node SDK (v7)

/**
 * TRANSPORT ONLY. The SDK always builds `https://{domain}/...` URLs, for the
 * Management API and for its own client-credentials token request, while the
 * local tenant speaks plain http on 127.0.0.1. This `fetch`, handed to the
 * SDK through its documented `fetch` option, changes the scheme of requests
 * to this tenant's origin from https to http and nothing else: method,
 * path, query, headers and body go out exactly as the SDK made them. Any
 * request to another origin fails the test. `record(url, init, res)`, when
 * given, sees each exchange.
 */
export function sdkTransport(t, record) {
  const sdkOrigin = t.baseUrl.replace(/^http:/, 'https:');
  return async (input, init) => {
    const url = input instanceof URL ? input.href : input;
    if (typeof url !== 'string') throw new Error(`unexpected fetch input from the SDK: ${input}`);
    if (!url.startsWith(`${sdkOrigin}/`)) throw new Error(`the SDK called an unexpected URL: ${url}`);
    const res = await fetch(`${t.baseUrl}${url.slice(sdkOrigin.length)}`, init);
    if (record) await record(url, init, res.clone());
    return res;
  };
}

/**
 * The SDK's ManagementClient for this tenant, authenticating with
 * `credentials` (`{ clientId, clientSecret }`, the bootstrap client's by
 * default, through the client credentials grant as its users configure it;
 * or `{ token }`).
 */
export function auth0Sdk(t, credentials = t.bootstrap, record) {
  return new ManagementClient({
    domain: new URL(t.baseUrl).host, // 127.0.0.1:PORT
    audience: managementAudience(t), // {issuer}api/v2/ (the SDK's default is https://{domain}/api/v2/)
    ...credentials, // or { token }
    fetch: sdkTransport(t, record),
    // Surface every answer as is rather than retrying it.
    maxRetries: 0,
  });
}

// ---------------------------------------------------------------------------
// Provisioning through the Management API

export function randomName(prefix) {
  return `${prefix}-${randomAlphanumeric(10).toLowerCase()}`;
}

function expectStatus(res, status, what) {
  if (res.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${res.text}`);
  }
  return res.body;
}

/** Creates an API (resource server); `overrides` are merged into the body. */
export async function createApi(tenant, token, overrides = {}) {
  const name = randomName('api');
  const res = await api(tenant, token, 'POST', '/api/v2/resource-servers', {
    name,
    identifier: `https://${name}.example.test/`,
    scopes: [
      { value: 'read:things', description: 'Read things' },
      { value: 'write:things', description: 'Write things' },
    ],
    ...overrides,
  });
  return expectStatus(res, 201, 'create resource server');
}

/** Creates a machine-to-machine client; the response holds its secret. */
export async function createM2MClient(tenant, token, overrides = {}) {
  const res = await api(tenant, token, 'POST', '/api/v2/clients', {
    name: randomName('m2m'),
    app_type: 'non_interactive',
    ...overrides,
  });
  return expectStatus(res, 201, 'create client');
}

export async function createGrant(tenant, token, clientId, audience, scope) {
  const res = await api(tenant, token, 'POST', '/api/v2/client-grants', {
    client_id: clientId,
    audience,
    scope,
  });
  return expectStatus(res, 201, 'create client grant');
}

/**
 * An API, a client and a grant of `grantScopes` on it, ready for the
 * client_credentials flow.
 */
export async function provisionM2M(tenant, token, { apiOverrides = {}, clientOverrides = {}, grantScopes = ['read:things'] } = {}) {
  const resourceServer = await createApi(tenant, token, apiOverrides);
  const client = await createM2MClient(tenant, token, clientOverrides);
  const grant = await createGrant(tenant, token, client.client_id, resourceServer.identifier, grantScopes);
  return { resourceServer, client, grant };
}

// ---------------------------------------------------------------------------
// Tokens

const jwksByIssuer = new Map();

/** The tenant's discovery document, fetched once. */
export async function discoveryDocument(tenant) {
  const res = await fetch(`${tenant.baseUrl}/.well-known/openid-configuration`);
  if (res.status !== 200) throw new Error(`discovery: HTTP ${res.status}`);
  return res.json();
}

/** A jose remote key set on the JWKS URI the tenant advertises. */
export async function tenantJwks(tenant) {
  let jwks = jwksByIssuer.get(tenant.issuer);
  if (!jwks) {
    const doc = await discoveryDocument(tenant);
    jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
    jwksByIssuer.set(tenant.issuer, jwks);
  }
  return jwks;
}

/**
 * Verifies a client_credentials access token the way an API would (RFC 9068):
 * signature against the tenant's JWKS with the API's algorithm pinned,
 * issuer, audience and `typ`. Returns `{ payload, protectedHeader }`.
 */
export async function verifyAccessToken(tenant, accessToken, { audience, algorithm }) {
  const jwks = await tenantJwks(tenant);
  return jwtVerify(accessToken, jwks, {
    issuer: tenant.issuer,
    audience,
    algorithms: [algorithm],
    typ: 'at+jwt',
  });
}

export { decodeJwt, decodeProtectedHeader };

/** base64url of a JSON value, for hand-made JWTs. */
export function b64urlJson(value) {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

// ---------------------------------------------------------------------------
// Client lifecycle: tenant settings, dynamic registration, limited tokens

/** PATCHes the tenant settings; throws unless it succeeds. Returns them. */
export async function updateTenantSettings(tenant, token, patch) {
  const res = await api(tenant, token, 'PATCH', '/api/v2/tenants/settings', patch);
  return expectStatus(res, 200, 'update tenant settings');
}

/** Turns open dynamic client registration on (or off). */
export async function setDynamicRegistration(tenant, token, enabled = true) {
  return updateTenantSettings(tenant, token, { flags: { enable_dynamic_client_registration: enabled } });
}

/**
 * POST /oidc/register (RFC 7591) without a token, as any app may. `metadata`
 * is sent as JSON; `options.raw` + `options.contentType` send a body as is.
 * Every call counts against the per-IP registration rate limit (60 a minute
 * per server instance), whatever the outcome. Returns `{ status, headers,
 * body, text }`.
 */
export async function registerClient(tenant, metadata, options = {}) {
  const headers = new Headers(options.headers ?? {});
  let body;
  if (options.raw !== undefined) {
    if (options.contentType) headers.set('content-type', options.contentType);
    body = options.raw;
  } else {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(metadata);
  }
  const res = await fetch(`${tenant.baseUrl}/oidc/register`, { method: 'POST', headers, body });
  return readResponse(res);
}

/**
 * A request to a registration's RFC 7592 `registration_client_uri` (an
 * absolute URL), with `token` as the bearer (null for none) and an optional
 * JSON body.
 */
export async function registrationRequest(registrationClientUri, method, token, body) {
  const headers = new Headers();
  if (token != null) headers.set('authorization', `Bearer ${token}`);
  let payload;
  if (body !== undefined) {
    headers.set('content-type', 'application/json');
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(registrationClientUri, { method, headers, body: payload });
  return readResponse(res);
}

/** The newest 100 audit log events (`GET /api/v2/logs`, read:logs). */
export async function auditLog(tenant) {
  const token = await mgmtToken(tenant, 'read:logs');
  const res = await api(tenant, token, 'GET', '/api/v2/logs?per_page=100');
  return expectStatus(res, 200, 'read the audit log');
}

/** The number of clients the Management API lists (include_totals). */
export async function countClients(tenant, token) {
  const res = await api(tenant, token, 'GET', '/api/v2/clients?include_totals=true&per_page=1');
  const body = expectStatus(res, 200, 'count clients');
  if (!Number.isInteger(body?.total)) throw new Error(`count clients: no total in ${res.text}`);
  return body.total;
}

/**
 * A new M2M client granted only `scopes` on the Management API, and a
 * Management API token for it: `{ client, token }`.
 */
export async function limitedManagementClient(tenant, adminToken, scopes) {
  const client = await createM2MClient(tenant, adminToken);
  await createGrant(tenant, adminToken, client.client_id, managementAudience(tenant), [].concat(scopes));
  const body = await getAccessToken(tenant.baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: managementAudience(tenant),
  });
  return { client, token: body.access_token };
}

// ---------------------------------------------------------------------------
// Users and the hosted login, driven over plain HTTP

/** The database connection every user belongs to. */
export const DATABASE_CONNECTION = 'Username-Password-Authentication';

/** A password the tenant's policy accepts, different every call. */
export function randomPassword() {
  return `pw-${crypto.randomBytes(12).toString('base64url')}`;
}

/** A fresh, unused email address (lowercase, as the tenant stores it). */
export function randomEmail(prefix = 'user') {
  return `${randomName(prefix)}@example.test`;
}

/**
 * Creates a user of the database connection through the Management API;
 * `overrides` are merged into the body. Returns `{ user, email, password }`.
 */
export async function createUser(tenant, token, overrides = {}) {
  const body = {
    connection: DATABASE_CONNECTION,
    email: randomEmail(),
    password: randomPassword(),
    ...overrides,
  };
  const res = await api(tenant, token, 'POST', '/api/v2/users', body);
  const user = expectStatus(res, 201, 'create user');
  return { user, email: user.email, password: body.password };
}

/**
 * A new user holding every Management API permission, as the dev
 * command's admin does (browser tests sign in as one each: the hosted
 * login lets one account try 10 sign-ins a minute from one address).
 */
export async function createAdmin(tenant, token, prefix) {
  const admin = await createUser(tenant, token, { email: randomEmail(prefix) });
  const management = await api(tenant, token, 'GET', '/api/v2/resource-servers?per_page=100');
  const system = management.body.find((resource) => resource.is_system);
  const granted = await api(tenant, token, 'POST', userPath(admin.user.user_id, '/permissions'), {
    permissions: system.scopes.map((scope) => ({
      resource_server_identifier: system.identifier,
      permission_name: scope.value,
    })),
  });
  expectStatus(granted, 201, 'grant every Management API permission');
  return admin;
}

/** `/api/v2/users/{id}` with the id URL-encoded (`auth0%7C...`). */
export function userPath(userId, rest = '') {
  return `/api/v2/users/${encodeURIComponent(userId)}${rest}`;
}

/** The built-in app client (`GET /app-config.json`): `{ issuer, client_id }`. */
export async function appConfig(tenant) {
  const res = await fetch(`${tenant.baseUrl}/app-config.json`);
  if (res.status !== 200) throw new Error(`app-config.json: HTTP ${res.status}`);
  return res.json();
}

/** A random private IPv4 address, a browser's client address. */
function randomClientIp() {
  return `10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${1 + crypto.randomInt(254)}`;
}

/**
 * A minimal browser over fetch for the tenant's pages: a cookie jar that
 * honours Path and Max-Age, no redirects followed (every hop is the test's to
 * look at), and an `Origin` header on POSTs as browsers send on form posts.
 *
 * Each browser comes from its own client address: workerd under `wrangler dev`
 * takes the client address the login rate limits key on from the request's
 * `CF-Connecting-IP` header (Cloudflare's edge sets that header itself), so
 * the per-IP limit (30 a minute) counts each browser apart, as it would
 * count different people.
 */
export class Browser {
  constructor(tenant, { ip = randomClientIp() } = {}) {
    this.tenant = tenant;
    this.ip = ip;
    /** name -> { value, path } */
    this.jar = new Map();
  }

  /** The value of a cookie in the jar, or undefined. */
  cookie(name) {
    return this.jar.get(name)?.value;
  }

  setCookie(name, value, path = '/') {
    this.jar.set(name, { value, path });
  }

  deleteCookie(name) {
    this.jar.delete(name);
  }

  cookieHeader(pathname) {
    const pairs = [];
    for (const [name, { value, path }] of this.jar) {
      // RFC 6265 §5.1.4 path-match.
      const matches = pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
      if (matches) pairs.push(`${name}=${value}`);
    }
    return pairs.join('; ');
  }

  storeCookies(setCookies) {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let maxAge;
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'max-age') maxAge = Number(val);
      }
      if (maxAge !== undefined && maxAge <= 0) this.jar.delete(name);
      else this.jar.set(name, { value, path });
    }
  }

  /**
   * One request to the tenant (`target` a path or an absolute URL on it).
   * `form`: fields posted as application/x-www-form-urlencoded (`body`:
   * such a form as a raw string, sent byte for byte); `origin`:
   * the Origin header of a POST (default the tenant's, null for none);
   * `headers`: more headers. Returns `{ status, headers, text, location,
   * setCookies }`.
   */
  async request(target, { method, form, body: rawBody, origin, headers = {} } = {}) {
    const url = new URL(target, this.tenant.baseUrl);
    if (url.origin !== new URL(this.tenant.baseUrl).origin) {
      throw new Error(`the test browser only talks to the tenant, not ${url.origin}`);
    }
    const outgoing = new Headers(headers);
    outgoing.set('cf-connecting-ip', this.ip);
    const cookies = this.cookieHeader(url.pathname);
    if (cookies && !outgoing.has('cookie')) outgoing.set('cookie', cookies);
    let body = rawBody;
    const verb = method ?? (form === undefined && rawBody === undefined ? 'GET' : 'POST');
    if (form !== undefined) body = new URLSearchParams(form).toString();
    if (body !== undefined) outgoing.set('content-type', 'application/x-www-form-urlencoded');
    if (verb === 'POST' && origin !== null && !outgoing.has('origin')) {
      outgoing.set('origin', origin ?? new URL(this.tenant.baseUrl).origin);
    }
    const res = await fetch(url, { method: verb, headers: outgoing, body, redirect: 'manual' });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    this.storeCookies(setCookies);
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location'), setCookies };
  }
}

/** Decodes the few HTML entities the tenant's pages escape. */
export function htmlDecode(text) {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function parseAttributes(tag) {
  const attributes = {};
  for (const match of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*"([^"]*)")?/g)) {
    attributes[match[1].toLowerCase()] = match[2] === undefined ? '' : htmlDecode(match[2]);
  }
  return attributes;
}

/** The attributes of every `<tag ...>` in `html` (e.g. 'input', 'form'). */
export function tags(html, name) {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map((m) => parseAttributes(m[1]));
}

/** The text inside the element with `data-testid="id"`, or null if none. */
export function testIdText(html, id) {
  const match = html.match(new RegExp(`<([a-z0-9]+)\\b[^>]*data-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`, 'i'));
  return match ? htmlDecode(match[2].replace(/<[^>]+>/g, '')).trim() : null;
}

/** The value of the hidden `csrf` field of the page's form. */
export function csrfField(html) {
  const input = tags(html, 'input').find((attributes) => attributes.name === 'csrf');
  if (!input) throw new Error(`no csrf field in the page:\n${html}`);
  return input.value;
}

/** The parameters in the fragment of a redirect to the client. */
export function fragmentParams(location) {
  const url = new URL(location);
  return Object.fromEntries(new URLSearchParams(url.hash.slice(1)));
}

/** An `/authorize` query string from parameters (undefined ones left out). */
export function authorizeQuery(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.set(name, value);
  }
  return query.toString();
}

/**
 * Signs in through the hosted login as a person would: `/authorize`, the
 * redirect to the login page, the page, and the form posted with its CSRF
 * field. Throws if a step is not what a sign-in looks like. Returns the
 * response to the form (a redirect to the client, a consent page, or the
 * form again with an error).
 */
export async function hostedLogin(browser, query, { email, password }) {
  const start = await browser.request(`/authorize?${query}`);
  if (start.status !== 302 || !start.location?.startsWith('/u/login?')) {
    throw new Error(`/authorize did not send the browser to the login page: ${start.status} ${start.location} ${start.text}`);
  }
  const page = await browser.request(start.location);
  if (page.status !== 200 || testIdText(page.text, 'login-form') === null) {
    throw new Error(`no login form at ${start.location}: ${page.status} ${page.text}`);
  }
  return browser.request(`/u/login?${query}`, { form: { csrf: csrfField(page.text), email, password } });
}
