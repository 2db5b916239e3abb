// What signing people in costs at the token endpoint: an authorization code
// redeemed (with PKCE, starting a refresh token family) and a refresh token
// used (rotated), beside the client_credentials grant, in one fresh
// `wrangler dev` of the release build.
//
//   node bench/user-grants.mjs [--codes 1000] [--duration 10] [--concurrency 1,8]
//
// Run through `bash scripts/bench.sh user-grants`, which builds first. A
// code is single-use and lives 60 s, and a rotating refresh token is good
// once, so wrk's one fixed body will not do: one Node driver runs every
// scenario the same way (`c` connections, each sending its next request
// when the last is answered; every answer checked), so the three compare
// like with like. Codes come from a real sign-in: one person signs in at
// the hosted login, then `/authorize` with the session cookie answers a
// code at once (that phase is measured too). CPU per request is the user +
// system time of the tenant's workerd (which also runs local KV and D1),
// read from /proc before and after each run. Writes
// bench/out/user-grants.json and bench/out/user-grants.md.
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  api,
  authorizeQuery,
  Browser,
  createApi,
  createGrant,
  createM2MClient,
  createUser,
  hostedLogin,
  mgmtToken,
  randomName,
  startTenant,
  verifyAccessToken,
} from '../tests/e2e/harness.mjs';
import { groupCpu, option, percentile, retrying } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');

const CODES = Number(option('codes', '1000'));
const DURATION_S = Number(option('duration', '10'));
const CONCURRENCY = option('concurrency', '1,8').split(',').map(Number);
const CALLBACK = 'https://app.bench.example/callback';
const VERIFIER = crypto.randomBytes(32).toString('base64url');
const CHALLENGE = crypto.createHash('sha256').update(VERIFIER).digest('base64url');

/**
 * Sends `next()`'s requests over `concurrency` loops until `done()` (or
 * `next()` returns null); each answer goes to `check`, which throws on a
 * wrong one. Returns requests, req/s and latency percentiles.
 */
async function drive({ concurrency, next, check, seconds }) {
  const latencies = [];
  const started = performance.now();
  const deadline = seconds === undefined ? Infinity : started + seconds * 1000;
  const loop = async (lane) => {
    for (;;) {
      if (performance.now() >= deadline) return;
      const request = next(lane);
      if (request === null) return;
      const sent = performance.now();
      const res = await fetch(request.url, request.init);
      const body = await res.text();
      latencies.push(performance.now() - sent);
      check(res, body, lane);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, lane) => loop(lane)));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
  };
}

const form = (url, fields) => ({
  url,
  init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() },
});

function expectOk(what) {
  return (res, body) => {
    if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${body}`);
  };
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  console.log('bench-user-grants: starting wrangler dev (release build)');
  const tenant = await startTenant();
  try {
    const admin = await mgmtToken(tenant);
    const resourceServer = await createApi(tenant, admin, { signing_alg: 'EdDSA', allow_offline_access: true });
    const m2m = await createM2MClient(tenant, admin);
    await createGrant(tenant, admin, m2m.client_id, resourceServer.identifier, ['read:things']);
    const created = await api(tenant, admin, 'POST', '/api/v2/clients', {
      name: randomName('bench-spa'),
      app_type: 'spa',
      token_endpoint_auth_method: 'none',
      callbacks: [CALLBACK],
    });
    if (created.status !== 201) throw new Error(`create the SPA: ${created.text}`);
    const spa = created.body;
    const person = await createUser(tenant, admin);
    const groups = tenant.processGroups();
    const tokenUrl = `${tenant.baseUrl}/oauth/token`;

    // One sign-in; then each /authorize answers a code from the session.
    const browser = new Browser(tenant);
    const query = authorizeQuery({
      response_type: 'code',
      client_id: spa.client_id,
      redirect_uri: CALLBACK,
      scope: 'openid profile email offline_access read:things',
      audience: resourceServer.identifier,
      state: 'bench',
      nonce: 'bench',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
    const signedIn = await hostedLogin(browser, query, person);
    if (signedIn.status !== 302) throw new Error(`sign-in: ${signedIn.status} ${signedIn.text}`);
    const cookie = browser.cookieHeader('/authorize');
    const authorizeUrl = `${tenant.baseUrl}/authorize?${query}`;

    const results = [];
    const measured = async (scenario, concurrency, run) => {
      const before = groupCpu(groups.tenant);
      const outcome = await run();
      const cpuMs = ((groupCpu(groups.tenant) - before) * 1000) / outcome.requests;
      results.push({ scenario, concurrency, ...outcome, cpu_ms: cpuMs });
      console.log(
        `bench-user-grants: ${scenario.padEnd(30)} c=${concurrency} ${outcome.requests} requests ${outcome.rps.toFixed(0).padStart(5)} req/s p50 ${outcome.p50_ms.toFixed(2)} ms p99 ${outcome.p99_ms.toFixed(2)} ms  CPU/request ${cpuMs.toFixed(2)} ms`,
      );
      return outcome;
    };

    // Check each scenario once, fully, before loading it.
    const cc = await retrying(() =>
      fetch(tokenUrl, form(tokenUrl, { grant_type: 'client_credentials', client_id: m2m.client_id, client_secret: m2m.client_secret, audience: resourceServer.identifier }).init).then((r) => r.json()),
    );
    await verifyAccessToken(tenant, cc.access_token, { audience: resourceServer.identifier, algorithm: 'EdDSA' });

    for (const concurrency of CONCURRENCY) {
      await measured('client_credentials', concurrency, () =>
        drive({
          concurrency,
          seconds: DURATION_S,
          next: () => form(tokenUrl, { grant_type: 'client_credentials', client_id: m2m.client_id, client_secret: m2m.client_secret, audience: resourceServer.identifier }),
          check: expectOk('client_credentials'),
        }),
      );

      // Codes, from the session: /authorize answers each at once.
      const codes = [];
      let asked = 0;
      await measured('/authorize (signed in) -> code', concurrency, () =>
        drive({
          concurrency,
          next: () => (asked++ < CODES ? { url: authorizeUrl, init: { headers: { cookie, 'cf-connecting-ip': browser.ip }, redirect: 'manual' } } : null),
          check: (res, body) => {
            const location = res.headers.get('location') ?? '';
            const code = location.startsWith(CALLBACK) ? new URL(location).searchParams.get('code') : null;
            if (res.status !== 302 || !code) throw new Error(`/authorize: ${res.status} ${location} ${body}`);
            codes.push(code);
          },
        }),
      );

      // Each code redeemed once, within its 60 s.
      const refreshTokens = [];
      let redeemed = 0;
      await measured('authorization_code (PKCE)', concurrency, () =>
        drive({
          concurrency,
          next: () =>
            redeemed < codes.length
              ? form(tokenUrl, { grant_type: 'authorization_code', client_id: spa.client_id, code: codes[redeemed++], redirect_uri: CALLBACK, code_verifier: VERIFIER })
              : null,
          check: (res, body) => {
            const json = res.status === 200 ? JSON.parse(body) : null;
            if (!json?.refresh_token || !json.id_token) throw new Error(`redemption: ${res.status} ${body}`);
            refreshTokens.push(json.refresh_token);
          },
        }),
      );

      // Refreshes: each connection rotates its own family.
      const chains = refreshTokens.slice(0, concurrency);
      await measured('refresh_token (rotating)', concurrency, () =>
        drive({
          concurrency,
          seconds: DURATION_S,
          next: (lane) => form(tokenUrl, { grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: chains[lane] }),
          check: (res, body, lane) => {
            const json = res.status === 200 ? JSON.parse(body) : null;
            if (!json?.refresh_token || json.refresh_token === chains[lane]) throw new Error(`refresh: ${res.status} ${body}`);
            chains[lane] = json.refresh_token;
          },
        }),
      );
    }

    const row = (scenario, c) => results.find((r) => r.scenario === scenario && r.concurrency === c);
    const scenarios = ['client_credentials', 'authorization_code (PKCE)', 'refresh_token (rotating)', '/authorize (signed in) -> code'];
    const lines = [
      '| scenario | ' + CONCURRENCY.map((c) => `c = ${c}: req/s (p50, p99) | CPU/request`).join(' | ') + ' |',
      '|---|' + CONCURRENCY.map(() => '---:|---:').join('|') + '|',
      ...scenarios.map(
        (scenario) =>
          `| ${scenario} | ` +
          CONCURRENCY.map((c) => {
            const r = row(scenario, c);
            return `${r.rps.toFixed(0)} (${r.p50_ms.toFixed(1)}, ${r.p99_ms.toFixed(1)} ms) | ${r.cpu_ms.toFixed(2)} ms`;
          }).join(' | ') +
          ' |',
      ),
    ];
    writeFileSync(path.join(outDir, 'user-grants.json'), JSON.stringify({ date: new Date().toISOString(), codes: CODES, results }, null, 2));
    writeFileSync(path.join(outDir, 'user-grants.md'), `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  } finally {
    await tenant.stop();
  }
}

main().catch((err) => {
  console.error(`bench-user-grants: ${err.stack ?? err}`);
  process.exit(1);
});
