// The load benchmark: our endpoints, the platform floor and a peer, measured
// in one run on one machine with `wrk`.
//
//   node bench/load.mjs [--duration 10] [--warmup 3] [--concurrency 1,8,32]
//
// Run through scripts/bench.sh, which builds the release Worker and installs
// wrk and the peer first. Writes bench/out/load.json; bench/report.mjs turns
// it into the markdown table and the chart.
//
// - ours: a fresh `wrangler dev` (workerd + local KV) with the release build,
//   provisioned through the Management API like any tenant;
// - the floor: the same Worker's `/api/bench/floor` (served only with
//   BENCH_FLOOR=1), which does exactly the KV reads of a warm grant and
//   nothing else;
// - the peer: npm `oidc-provider` (bench/peer/server.mjs) issuing EdDSA JWT
//   access tokens with client_credentials, in a Node process.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  createApi,
  createGrant,
  createM2MClient,
  getAccessToken,
  mgmtToken,
  setDynamicRegistration,
  startTenant,
  verifyAccessToken,
} from '../tests/e2e/harness.mjs';
import { option } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const luaDir = path.join(outDir, 'lua');

const DURATION_S = Number(option('duration', '10'));
const WARMUP_S = Number(option('warmup', '3'));
const CONCURRENCY = option('concurrency', '1,8,32').split(',').map(Number);

const FORM = 'application/x-www-form-urlencoded';
const form = (params) => new URLSearchParams(params).toString();
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

// ---------------------------------------------------------------------------
// wrk

/** Lua string literal. */
const lua = (value) => JSON.stringify(value);

/**
 * A wrk script for one request shape. `done` prints one JSON line: wrk's own
 * counts (non-2xx/3xx responses are `errors.status`) and latency percentiles.
 */
function wrkScript(name, { method = 'GET', headers = {}, body, perRequest }) {
  const lines = [`wrk.method = ${lua(method)}`];
  for (const [header, value] of Object.entries(headers)) {
    lines.push(`wrk.headers[${lua(header)}] = ${lua(value)}`);
  }
  if (body !== undefined) lines.push(`wrk.body = ${lua(body)}`);
  if (perRequest) lines.push(perRequest);
  // Failed responses by status, and the first failed body, per thread.
  lines.push(`
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args) failures = {}; failed_body = "" end
response = function(status, headers, body)
  if status >= 300 then
    failures[status] = (failures[status] or 0) + 1
    if failed_body == "" then failed_body = string.sub(body or "", 1, 300) end
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("failures")) do
      io.write(string.format("WRK_FAILED %d %d\\n", status, count))
    end
    local body = thread:get("failed_body")
    if body ~= "" then io.write("WRK_FAILED_BODY " .. string.gsub(body, "\\n", " ") .. "\\n") end
  end
end`);
  const file = path.join(luaDir, `${name}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function runWrk(url, script, concurrency, seconds) {
  const threads = Math.min(concurrency, 2);
  const args = ['-t', String(threads), '-c', String(concurrency), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url];
  const result = spawnSync('wrk', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk ${args.join(' ')} failed: ${result.stderr}`);
  const line = result.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk printed no summary: ${result.stdout}`);
  const raw = JSON.parse(line.slice('WRK_JSON '.length));
  const failedStatuses = {};
  for (const failed of result.stdout.split('\n').filter((l) => l.startsWith('WRK_FAILED '))) {
    const [, status, count] = failed.split(' ');
    failedStatuses[status] = (failedStatuses[status] ?? 0) + Number(count);
  }
  const failedBody = result.stdout.split('\n').find((l) => l.startsWith('WRK_FAILED_BODY '))?.slice(16);
  const errors = raw.connect + raw.read + raw.write + raw.status + raw.timeout;
  return {
    requests: raw.requests,
    rps: raw.requests / (raw.duration_us / 1e6),
    p50_ms: raw.p50_us / 1000,
    p90_ms: raw.p90_us / 1000,
    p99_ms: raw.p99_us / 1000,
    mean_ms: raw.mean_us / 1000,
    errors,
    error_detail: { connect: raw.connect, read: raw.read, write: raw.write, status: raw.status, timeout: raw.timeout },
    failed_statuses: failedStatuses,
    failed_body: failedBody,
    // A run with any failed request is reported as failed, not averaged.
    ok: errors === 0 && raw.requests > 0,
  };
}

// ---------------------------------------------------------------------------
// The peer

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startPeer(clientId, clientSecret, resource) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(here, 'peer', 'server.mjs'), String(port), clientId, clientSecret, resource], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`peer did not start: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`peer exited with ${code}: ${stderr}`)));
  });
  return { baseUrl: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

// ---------------------------------------------------------------------------
// The run

/** Sends one request of a scenario and checks it the way a client would. */
async function check(scenario) {
  const send = () =>
    fetch(scenario.url, { method: scenario.method ?? 'GET', headers: scenario.headers, body: scenario.body });
  // Keep-alive connections the server closed while wrk ran (EPIPE,
  // ECONNRESET) fail the first sends: try a few times, a moment apart.
  let res;
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await send();
    } catch (err) {
      if (attempt === 4) throw new Error(`${scenario.name}: ${err.cause?.message ?? err.message}`);
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${scenario.name}: HTTP ${res.status} ${text}`);
  }
  if (scenario.verify) await scenario.verify(JSON.parse(text));
}

async function main() {
  mkdirSync(luaDir, { recursive: true });
  const version = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (version.error) throw new Error('wrk not found: run scripts/bench.sh, which installs it');

  console.log('bench: starting wrangler dev (release build, BENCH_FLOOR=1)');
  const tenant = await startTenant({ vars: { BENCH_FLOOR: '1' } });
  let peer;
  try {
    const admin = await mgmtToken(tenant);
    const eddsa = await createApi(tenant, admin, { signing_alg: 'EdDSA', token_lifetime: 86400 });
    const rs256 = await createApi(tenant, admin, { signing_alg: 'RS256', token_lifetime: 86400 });
    const post = await createM2MClient(tenant, admin);
    const basicClient = await createM2MClient(tenant, admin, { token_endpoint_auth_method: 'client_secret_basic' });
    for (const client of [post, basicClient]) {
      for (const resource of [eddsa, rs256]) {
        await createGrant(tenant, admin, client.client_id, resource.identifier, ['read:things']);
      }
    }
    await setDynamicRegistration(tenant, admin, true);
    const { access_token: bearer } = await getAccessToken(tenant.baseUrl, {
      clientId: post.client_id,
      clientSecret: post.client_secret,
      audience: eddsa.identifier,
    });

    const peerSecret = crypto.randomBytes(32).toString('base64url');
    peer = await startPeer('bench-peer', peerSecret, eddsa.identifier);

    const grantBody = (client, resource) =>
      form({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        audience: resource.identifier,
      });
    const tokenVerifier = (resource, algorithm) => async (body) => {
      await verifyAccessToken(tenant, body.access_token, { audience: resource.identifier, algorithm });
    };
    const token = `${tenant.baseUrl}/oauth/token`;
    const scenarios = [
      {
        name: 'floor',
        group: 'floor',
        label: 'floor: the 2 KV reads of a warm grant',
        url: `${tenant.baseUrl}/api/bench/floor?${form({ client_id: post.client_id, audience: eddsa.identifier })}`,
        method: 'POST',
        headers: { 'content-type': FORM },
        body: grantBody(post, eddsa),
      },
      {
        name: 'token-eddsa-post',
        group: 'ours',
        label: 'client_credentials, EdDSA, form + client_secret_post',
        url: token,
        method: 'POST',
        headers: { 'content-type': FORM },
        body: grantBody(post, eddsa),
        verify: tokenVerifier(eddsa, 'EdDSA'),
      },
      {
        name: 'token-eddsa-basic',
        group: 'token',
        label: 'client_credentials, EdDSA, form + client_secret_basic',
        url: token,
        method: 'POST',
        headers: { 'content-type': FORM, authorization: basic(basicClient.client_id, basicClient.client_secret) },
        body: form({ grant_type: 'client_credentials', audience: eddsa.identifier }),
        verify: tokenVerifier(eddsa, 'EdDSA'),
      },
      {
        name: 'token-eddsa-json',
        group: 'token',
        label: 'client_credentials, EdDSA, JSON + client_secret_post (Auth0 SDKs)',
        url: token,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: post.client_id,
          client_secret: post.client_secret,
          audience: eddsa.identifier,
        }),
        verify: tokenVerifier(eddsa, 'EdDSA'),
      },
      {
        name: 'token-rs256-post',
        group: 'token',
        label: 'client_credentials, RS256 (WebCrypto), form + client_secret_post',
        url: token,
        method: 'POST',
        headers: { 'content-type': FORM },
        body: grantBody(post, rs256),
        verify: tokenVerifier(rs256, 'RS256'),
      },
      {
        name: 'peer',
        group: 'peer',
        label: 'peer: oidc-provider client_credentials, EdDSA JWT',
        url: `${peer.baseUrl}/token`,
        method: 'POST',
        headers: { 'content-type': FORM },
        body: form({
          grant_type: 'client_credentials',
          client_id: 'bench-peer',
          client_secret: peerSecret,
          resource: eddsa.identifier,
          scope: 'read:things',
        }),
      },
      {
        name: 'whoami',
        group: 'other',
        label: 'GET /api/whoami (validates an EdDSA bearer token)',
        url: `${tenant.baseUrl}/api/whoami`,
        headers: { authorization: `Bearer ${bearer}` },
      },
      {
        name: 'discovery',
        group: 'other',
        label: 'GET /.well-known/openid-configuration',
        url: `${tenant.baseUrl}/.well-known/openid-configuration`,
      },
      {
        name: 'jwks',
        group: 'other',
        label: 'GET /.well-known/jwks.json',
        url: `${tenant.baseUrl}/.well-known/jwks.json`,
      },
      {
        name: 'register',
        group: 'other',
        label: 'POST /oidc/register (open DCR, a new client each time)',
        url: `${tenant.baseUrl}/oidc/register`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'bench',
          redirect_uris: ['https://app.example.com/callback'],
          grant_types: ['client_credentials'],
          token_endpoint_auth_method: 'client_secret_post',
        }),
        // Many registering parties, each under the per-IP limit (60/min):
        // the limiter still runs on every request.
        perRequest: `
math.randomseed(os.time())
request = function()
  wrk.headers["cf-connecting-ip"] = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format()
end`,
      },
    ];

    // The floor once more at the end of each round: the spread between its
    // two runs is the noise every other difference has to beat.
    scenarios.push({ ...scenarios[0], name: 'floor-repeat', label: 'floor again, last in the round (noise)' });

    for (const scenario of scenarios) {
      await check(scenario);
      scenario.script = wrkScript(scenario.name, scenario);
    }

    // Registration writes a client per request: its rounds come last, so
    // the other scenarios run against the same small tenant.
    const rounds = [
      ...CONCURRENCY.map((concurrency) => ({ concurrency, scenarios: scenarios.filter((s) => s.name !== 'register') })),
      ...CONCURRENCY.map((concurrency) => ({ concurrency, scenarios: scenarios.filter((s) => s.name === 'register') })),
    ];
    const results = [];
    for (const { concurrency, scenarios: round } of rounds) {
      for (const scenario of round) {
        runWrk(scenario.url, scenario.script, concurrency, WARMUP_S);
        const result = runWrk(scenario.url, scenario.script, concurrency, DURATION_S);
        results.push({ scenario: scenario.name, group: scenario.group, label: scenario.label, concurrency, ...result });
        const flag = result.ok
          ? ''
          : `  FAILED (${result.errors} errors: ${JSON.stringify(result.error_detail)} ${JSON.stringify(result.failed_statuses)} ${result.failed_body ?? ''})`;
        console.log(
          `bench: c=${String(concurrency).padStart(2)} ${scenario.name.padEnd(18)} ${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50_ms.toFixed(2)} ms  p99 ${result.p99_ms.toFixed(2)} ms${flag}`,
        );
      }
      // Each scenario still answers correctly after its load.
      for (const scenario of round) await check(scenario);
    }

    const cpus = os.cpus();
    const report = {
      date: new Date().toISOString(),
      machine: `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
      node: process.version,
      wrk: (version.stdout || version.stderr).split('\n')[0].trim(),
      duration_s: DURATION_S,
      warmup_s: WARMUP_S,
      concurrency: CONCURRENCY,
      scenarios: scenarios.map(({ name, group, label }) => ({ name, group, label })),
      results,
    };
    writeFileSync(path.join(outDir, 'load.json'), JSON.stringify(report, null, 2));
    // What the Worker logged (the last lines), to explain any failed run.
    writeFileSync(path.join(outDir, 'wrangler.log'), tenant.output());
    console.log(`bench: wrote ${path.relative(process.cwd(), path.join(outDir, 'load.json'))}`);
  } finally {
    peer?.stop();
    await tenant.stop();
  }
}

main().catch((err) => {
  console.error(`bench: ${err.stack ?? err}`);
  process.exit(1);
});
