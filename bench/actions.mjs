// What an Action costs a grant: the client_credentials grant with nothing
// bound, with one credentials-exchange action bound (its isolate warm), and
// the first grant after each deploy (its isolate loaded), beside the
// platform floor, in one fresh `wrangler dev` of the release build.
//
//   node bench/actions.mjs [--duration 10] [--warmup 3] [--concurrency 1,8] [--loads 20]
//
// Run through `bash scripts/bench.sh actions`, which builds first. Latency
// and throughput come from wrk; CPU per grant from the processes
// themselves: the user + system time of the tenant's workerd and of the
// actions runner's workerd (which also runs the action's isolate: a child
// isolate's CPU appears nowhere in the parent's), read from /proc before
// and after each run and divided by the grants it served. Writes
// bench/out/actions.json and bench/out/actions.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  auth0Sdk,
  createApi,
  createGrant,
  createM2MClient,
  mgmtToken,
  startTenant,
  verifyAccessToken,
} from '../tests/e2e/harness.mjs';
import { groupCpu, option, percentile, retrying } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');

const DURATION_S = Number(option('duration', '10'));
const WARMUP_S = Number(option('warmup', '3'));
const CONCURRENCY = option('concurrency', '1,8').split(',').map(Number);
const LOADS = Number(option('loads', '20'));
/** Runs wrk with a POST body; requests, req/s and latency percentiles. */
function wrk(url, body, concurrency, seconds) {
  const script = path.join(outDir, 'actions-post.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["content-type"] = "application/x-www-form-urlencoded"\nwrk.body = ${JSON.stringify(body)}\n` +
      `done = function(summary, latency, requests)\n  io.write(string.format('\\nWRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\\n', summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, latency:percentile(50), latency:percentile(99)))\nend\n`,
  );
  const result = spawnSync('wrk', ['-t', String(Math.min(concurrency, 2)), '-c', String(concurrency), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, url], {
    encoding: 'utf8',
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error(`wrk failed: ${result.stderr}${result.stdout}`);
  const raw = JSON.parse(line.slice(9));
  return { requests: raw.requests, rps: raw.requests / (raw.duration_us / 1e6), p50_ms: raw.p50_us / 1000, p99_ms: raw.p99_us / 1000, errors: raw.errors };
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  console.log('bench-actions: starting wrangler dev (release build) and the actions runner');
  const tenant = await startTenant({ vars: { BENCH_FLOOR: '1' } });
  try {
    const admin = await mgmtToken(tenant);
    const management = auth0Sdk(tenant);
    const api = await createApi(tenant, admin, { signing_alg: 'EdDSA' });
    const client = await createM2MClient(tenant, admin);
    await createGrant(tenant, admin, client.client_id, api.identifier, ['read:things']);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: api.identifier,
    }).toString();
    const tokenUrl = `${tenant.baseUrl}/oauth/token`;
    const floorUrl = `${tenant.baseUrl}/api/bench/floor?${new URLSearchParams({ client_id: client.client_id, audience: api.identifier })}`;
    const grant = () => retrying(async () => {
      const res = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      const json = await res.json();
      if (res.status !== 200) throw new Error(`grant: ${res.status} ${JSON.stringify(json)}`);
      return json;
    });
    const groups = tenant.processGroups();

    const results = [];
    const measure = (name, url) => {
      for (const concurrency of CONCURRENCY) {
        wrk(url, body, concurrency, WARMUP_S);
        const before = { tenant: groupCpu(groups.tenant), runner: groupCpu(groups.runner) };
        const run = wrk(url, body, concurrency, DURATION_S);
        const after = { tenant: groupCpu(groups.tenant), runner: groupCpu(groups.runner) };
        const cpu = {
          tenant_ms: ((after.tenant - before.tenant) * 1000) / run.requests,
          runner_ms: ((after.runner - before.runner) * 1000) / run.requests,
        };
        results.push({ scenario: name, concurrency, ...run, ...cpu });
        console.log(
          `bench-actions: ${name.padEnd(22)} c=${concurrency} ${run.rps.toFixed(0).padStart(5)} req/s p50 ${run.p50_ms.toFixed(2)} ms p99 ${run.p99_ms.toFixed(2)} ms  CPU/grant tenant ${cpu.tenant_ms.toFixed(2)} ms runner ${cpu.runner_ms.toFixed(2)} ms  errors ${run.errors}`,
        );
      }
    };

    measure('floor', floorUrl);
    measure('grant, nothing bound', tokenUrl);

    const code = (n) => `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/plan', 'gold-${n}');
};`;
    const action = await retrying(() =>
      management.actions.create({
        name: 'bench-plan',
        supported_triggers: [{ id: 'credentials-exchange', version: 'v2' }],
        code: code(0),
      }),
    );
    await retrying(() => management.actions.deploy(action.id));
    await retrying(() =>
      management.actions.triggers.bindings.updateMany('credentials-exchange', {
        bindings: [{ ref: { type: 'action_id', value: action.id } }],
      }),
    );
    const first = await grant();
    const { payload } = await verifyAccessToken(tenant, first.access_token, { audience: api.identifier, algorithm: 'EdDSA' });
    if (payload['https://example.com/plan'] !== 'gold-0') throw new Error(`the action did not run: ${JSON.stringify(payload)}`);
    measure('grant, one action', tokenUrl);

    // First loads: each deploy is a new version, so the next grant loads a
    // new isolate; the one after it finds it warm.
    const cold = [];
    const warm = [];
    for (let n = 1; n <= LOADS; n++) {
      await retrying(() => management.actions.update(action.id, { code: code(n) }));
      await retrying(() => management.actions.deploy(action.id));
      let start = performance.now();
      const loaded = await grant();
      cold.push(performance.now() - start);
      start = performance.now();
      await grant();
      warm.push(performance.now() - start);
      const claims = JSON.parse(Buffer.from(loaded.access_token.split('.')[1], 'base64url'));
      if (claims['https://example.com/plan'] !== `gold-${n}`) throw new Error(`version ${n} did not run`);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    const loads = {
      first_load_p50_ms: percentile(cold, 50),
      first_load_p90_ms: percentile(cold, 90),
      warm_p50_ms: percentile(warm, 50),
      warm_p90_ms: percentile(warm, 90),
      samples: LOADS,
    };
    console.log(`bench-actions: first grant after a deploy p50 ${loads.first_load_p50_ms.toFixed(1)} ms (p90 ${loads.first_load_p90_ms.toFixed(1)}), the next p50 ${loads.warm_p50_ms.toFixed(1)} ms`);

    const row = (name, concurrency) => results.find((r) => r.scenario === name && r.concurrency === concurrency);
    const lines = [
      '| concurrency | floor | grant, nothing bound | grant, one action (warm isolate) | CPU per grant: tenant / runner, nothing bound | one action |',
      '|---:|---:|---:|---:|---:|---:|',
      ...CONCURRENCY.map((c) => {
        const [floor, none, one] = [row('floor', c), row('grant, nothing bound', c), row('grant, one action', c)];
        const fmt = (r) => `${r.rps.toFixed(0)} req/s (p50 ${r.p50_ms.toFixed(1)}, p99 ${r.p99_ms.toFixed(1)} ms)`;
        return `| ${c} | ${fmt(floor)} | ${fmt(none)} | ${fmt(one)} | ${none.tenant_ms.toFixed(2)} / ${none.runner_ms.toFixed(2)} ms | ${one.tenant_ms.toFixed(2)} / ${one.runner_ms.toFixed(2)} ms |`;
      }),
      '',
      `First grant after a deploy (a new isolate loaded): p50 ${loads.first_load_p50_ms.toFixed(1)} ms, p90 ${loads.first_load_p90_ms.toFixed(1)} ms; the grant after it: p50 ${loads.warm_p50_ms.toFixed(1)} ms, p90 ${loads.warm_p90_ms.toFixed(1)} ms (${LOADS} deploys).`,
    ];
    writeFileSync(path.join(outDir, 'actions.json'), JSON.stringify({ date: new Date().toISOString(), results, loads }, null, 2));
    writeFileSync(path.join(outDir, 'actions.md'), `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
  } finally {
    await tenant.stop();
  }
}

main().catch((err) => {
  console.error(`bench-actions: ${err.stack ?? err}`);
  process.exit(1);
});
