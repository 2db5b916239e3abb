// The scale benchmark: the Management API's listings and searches, and a
// sign-in, on tenants of growing size, with what each request cost in
// storage operations (the Worker's Server-Timing with SERVER_TIMING=1).
//
//   node bench/scale.mjs [--sizes 1000,10000,100000] [--logs 10000,100000,1000000] [--runs 15]
//   node bench/scale.mjs --kv-only DIR [--sizes 1000,10000] [--logs 10000,100000]
//
// Run through `bash scripts/bench.sh scale`, which builds the release
// Worker first. Each size is a fresh `wrangler dev` whose D1 database is
// seeded by bench/scale/seed.sql (users straight into the system of
// record, with the words the tenant would index) and then used through
// HTTP only. Writes bench/out/scale.json and bench/out/scale.md.
//
// With --kv-only, DIR is a built checkout of the KV-only version (commit
// f753308: `git worktree add DIR f753308`, node_modules, `bash
// scripts/build.sh`), started by its own harness and seeded with the same
// users and events in its KV layout; it writes scale-kv-only.{json,md}.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { option, percentile } from './measure.mjs';

const KV_ONLY = option('kv-only');
if (KV_ONLY) {
  // The old harness makes its state folder under the temporary directory:
  // this run's own, so the folder can be found to seed it.
  process.env.TMPDIR = mkdtempSync(path.join(os.tmpdir(), 'scale-kv-only-'));
}
const { api, appConfig, authorizeQuery, Browser, hostedLogin, mgmtToken, repoRoot, startTenant } = await import(
  KV_ONLY ? pathToFileURL(path.resolve(KV_ONLY, 'tests/e2e/harness.mjs')).href : '../tests/e2e/harness.mjs'
);
const { applyMigrations } = KV_ONLY ? {} : await import('../tests/e2e/harness.mjs');

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const wrangler = path.join(repoRoot, 'node_modules/.bin/wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };

const SIZES = option('sizes', KV_ONLY ? '1000,10000' : '1000,10000,100000').split(',').map(Number);
const LOGS = option('logs', KV_ONLY ? '10000,100000' : '10000,100000,1000000').split(',').map(Number);
const RUNS = Number(option('runs', '15'));
if (SIZES.length !== LOGS.length) throw new Error('--sizes and --logs name one tenant each');

// Every seeded user's password, hashed as the tenant stores it
// (tenant/src/primitives/password.rs) with its default iterations.
const PASSWORD = 'scale-benchmark-password';
function passwordHash(password, iterations = 100_000) {
  const salt = crypto.randomBytes(16);
  const hash = crypto.pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  return `pbkdf2-sha256$${iterations}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** `Server-Timing: kv;dur=..;desc="N operations", d1;dur=..;desc="M statements in B batches"`. */
function storageCost(headers) {
  const timing = headers.get('server-timing') ?? '';
  const count = (name) => Number(new RegExp(`${name};[^,]*desc="(\\d+)`).exec(timing)?.[1] ?? NaN);
  const batches = Number(/statements in (\d+) batches/.exec(timing)?.[1] ?? NaN);
  return { kv: count('kv'), d1: count('d1'), d1_batches: batches };
}


/** Runs `request` RUNS times after one warm-up; wall time and the last run's storage cost. */
async function measure(request) {
  await request();
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    last = await request();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    status: last.status,
    p50_ms: percentile(times, 50),
    p95_ms: percentile(times, 95),
    ...storageCost(last.headers),
    items: last.items,
  };
}

async function seed(stateDir, users, logs) {
  await applyMigrations(wrangler, stateDir);
  const now = Math.floor(Date.now() / 1000);
  const sql = readFileSync(path.join(here, 'scale/seed.sql'), 'utf8')
    .replaceAll(':users', String(users))
    .replaceAll(':logs', String(logs))
    .replaceAll(':now', String(now))
    .replaceAll(':password_hash', passwordHash(PASSWORD));
  const file = path.join(stateDir, 'seed.sql');
  writeFileSync(file, sql);
  const start = performance.now();
  await run(wrangler, ['d1', 'execute', 'DB', '--local', '--persist-to', stateDir, '--file', file], {
    cwd: repoRoot,
    env,
    maxBuffer: 1 << 26,
  });
  return { seconds: (performance.now() - start) / 1000, now };
}

/** The KV-only version's key of a log event: `log:` and the id's complement. */
function kvOnlyLogKey(logId) {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const time = [...logId.slice(0, 13)].map((d) => String(9 - Number(d))).join('');
  const suffix = [...logId.slice(13)].map((c) => alphabet[alphabet.length - 1 - alphabet.indexOf(c)]).join('');
  return `log:${time}${suffix}`;
}

/** The same users and events as seed.sql, in the KV-only version's layout, put into its running tenant's KV. */
async function seedKvOnly(stateDir, users, logs) {
  const now = Math.floor(Date.now() / 1000);
  const hash = passwordHash(PASSWORD);
  const entries = [];
  const userId = (i) => `auth0|${i.toString(16).padStart(24, '0')}`;
  for (let i = 1; i <= users; i++) {
    const email = `user${i}@scale.example`;
    const user = {
      user_id: userId(i), email, email_verified: true, name: `Scale User ${i}`, nickname: `user${i}`,
      given_name: null, family_name: null, picture: null, blocked: false, password_hash: hash,
      permissions: [], created_at: now - i, updated_at: now - i, last_login: null, logins_count: 0,
    };
    entries.push({ key: `user/${user.user_id}`, value: JSON.stringify(user) });
    entries.push({ key: `user_email/${email}`, value: JSON.stringify(user.user_id) });
  }
  for (let i = 1; i <= logs; i++) {
    const failed = i % 10 === 0;
    const logId = seededLogId(now, i);
    const event = {
      log_id: logId, date: new Date((now - i) * 1000).toISOString(), type: failed ? 'f' : 'sapi',
      description: failed ? 'Failed login' : 'Update a client',
      ...(failed ? { user_id: userId(1) } : { client_id: 'scaleclientscaleclientscalecli00' }),
      details: { actor: { type: 'anonymous' } },
    };
    entries.push({ key: kvOnlyLogKey(logId), value: JSON.stringify(event) });
  }
  const start = performance.now();
  for (let i = 0; i < entries.length; i += 50_000) {
    const file = path.join(stateDir, `seed-${i}.json`);
    writeFileSync(file, JSON.stringify(entries.slice(i, i + 50_000)));
    await run(wrangler, ['kv', 'bulk', 'put', file, '--binding', 'TENANT', '--local', '--persist-to', stateDir], {
      cwd: repoRoot,
      env,
      maxBuffer: 1 << 26,
    });
  }
  return { seconds: (performance.now() - start) / 1000, now };
}

/** The id bench/scale/seed.sql gives event `i` (one a second back from `now`). */
const seededLogId = (now, i) => `${String((now - i) * 1000).padStart(13, '0')}${String(i).padStart(13, '0')}`;

async function measureTenant(users, logs) {
  let tenant;
  let seeded;
  if (KV_ONLY) {
    tenant = await startTenant();
    const [stateDir] = readdirSync(process.env.TMPDIR).filter((name) => name.startsWith('edge-tenant-e2e-'));
    seeded = await seedKvOnly(path.join(process.env.TMPDIR, stateDir), users, logs);
  } else {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edge-tenant-scale-'));
    seeded = await seed(stateDir, users, logs);
    tenant = await startTenant({ stateDir, vars: { SERVER_TIMING: '1' } });
  }
  const { seconds, now } = seeded;
  console.log(`scale: ${users} users, ${logs} events seeded in ${seconds.toFixed(0)} s`);
  try {
    const token = await mgmtToken(tenant);
    const get = (target, key) => async () => {
      const res = await api(tenant, token, 'GET', target);
      if (res.status !== 200) throw new Error(`${target}: ${res.status} ${res.text}`);
      const body = res.body;
      const items = Array.isArray(body) ? body.length : (body[key]?.length ?? 0);
      return { status: res.status, headers: res.headers, items, total: body.total };
    };
    const middle = Math.ceil(users / 2);
    const app = await appConfig(tenant);
    // Organizations as seed.sql makes them: one per ten users, every user a
    // member of the first; a sign-in to it checks that membership.
    const organizationCases = (users, middle) => {
      const organizations = Math.max(1, Math.floor(users / 10));
      const orgId = (i) => `org_${String(i).padStart(16, '0')}`;
      const checkpoint = (key) => Buffer.from(key).toString('base64url');
      const first = orgId(1);
      let spa;
      const orgLogin = async () => {
        spa ??= await api(tenant, token, 'POST', '/api/v2/clients', {
          name: 'Scale SPA',
          app_type: 'spa',
          grant_types: ['implicit'],
          callbacks: [`${tenant.baseUrl}/callback`],
          organization_usage: 'allow',
        }).then((res) => res.body);
        const query = authorizeQuery({
          response_type: 'id_token',
          client_id: spa.client_id,
          redirect_uri: `${tenant.baseUrl}/callback`,
          scope: 'openid email',
          state: 's',
          nonce: 'n',
          organization: first,
        });
        const res = await hostedLogin(new Browser(tenant), query, { email: `user${middle}@scale.example`, password: PASSWORD });
        if (res.status !== 302 || !res.location?.includes('id_token=')) {
          throw new Error(`sign-in to an organization failed: ${res.status} ${res.location} ${res.text.slice(0, 300)}`);
        }
        return { status: res.status, headers: res.headers, items: 1 };
      };
      const userId = (i) => `auth0|${i.toString(16).padStart(24, '0')}`;
      return {
        'organizations: first page with totals': get('/api/v2/organizations?include_totals=true&per_page=50', 'organizations'),
        'organizations: checkpoint 90 % in': get(
          `/api/v2/organizations?take=50&from=${checkpoint(`customer-${String(Math.floor(organizations * 0.9)).padStart(6, '0')}`)}`,
          'organizations',
        ),
        'members (every user): page 10 with totals': get(
          `/api/v2/organizations/${first}/members?include_totals=true&per_page=50&page=10`,
          'members',
        ),
        'members (every user): checkpoint 90 % in': get(
          `/api/v2/organizations/${first}/members?take=50&from=${checkpoint(userId(Math.floor(users * 0.9)))}`,
          'members',
        ),
        "a member's organizations": get(`/api/v2/users/${encodeURIComponent(userId(middle))}/organizations`, ''),
        'sign-in to an organization (PBKDF2, membership)': orgLogin,
      };
    };
    const login = async () => {
      const browser = new Browser(tenant);
      const query = authorizeQuery({
        response_type: 'id_token',
        client_id: app.client_id,
        redirect_uri: `${tenant.baseUrl}/callback`,
        scope: 'openid email',
        state: 's',
        nonce: 'n',
      });
      const res = await hostedLogin(browser, query, { email: `user${middle}@scale.example`, password: PASSWORD });
      if (res.status !== 302 || !res.location?.includes('id_token=')) {
        throw new Error(`sign-in failed: ${res.status} ${res.location} ${res.text.slice(0, 300)}`);
      }
      return { status: res.status, headers: res.headers, items: 1 };
    };
    // The KV-only version's q is a substring of the email or the name.
    const search = KV_ONLY
      ? {
          email: `user${middle}@scale.example`,
          name: `Scale User ${middle}`,
          word: 'scale',
        }
      : {
          email: `email:"user${middle}@scale.example"`,
          name: `name:"Scale User ${middle}*"`,
          word: 'scale',
          words: `scale ${middle}`,
        };
    const cases = {
      'search: email': get(`/api/v2/users?q=${encodeURIComponent(search.email)}`, 'users'),
      'search: name prefix': get(`/api/v2/users?q=${encodeURIComponent(search.name)}`, 'users'),
      'search: a word, every user': get(`/api/v2/users?q=${search.word}&include_totals=true&per_page=50`, 'users'),
      ...(search.words && { 'search: two words': get(`/api/v2/users?q=${encodeURIComponent(search.words)}`, 'users') }),
      'users: page 10 with totals': get('/api/v2/users?include_totals=true&per_page=50&page=10', 'users'),
      'users-by-email': get(`/api/v2/users-by-email?email=user${middle}@scale.example`, ''),
      'logs: newest page with totals': get('/api/v2/logs?include_totals=true&per_page=100', 'logs'),
      ...(!KV_ONLY && { 'logs: q type:f': get('/api/v2/logs?q=type:f&include_totals=true&per_page=100', 'logs') }),
      'logs: checkpoint after the oldest 10%': get(
        `/api/v2/logs?from=${seededLogId(now, Math.floor(logs * 0.9))}&take=100`,
        '',
      ),
      'sign-in (PBKDF2, 100k iterations)': login,
      ...(!KV_ONLY && organizationCases(users, middle)),
    };
    const results = {};
    for (const [name, request] of Object.entries(cases)) {
      try {
        results[name] = { ok: true, ...(await measure(request)) };
      } catch (err) {
        results[name] = { ok: false, error: err.message.slice(0, 120) };
        console.log(`scale: ${String(users).padStart(6)} users  ${name.padEnd(40)} refused: ${err.message.slice(0, 200)}`);
        continue;
      }
      const r = results[name];
      console.log(
        `scale: ${String(users).padStart(6)} users  ${name.padEnd(40)} p50 ${r.p50_ms.toFixed(1).padStart(7)} ms  p95 ${r.p95_ms.toFixed(1).padStart(7)} ms  D1 ${r.d1} (${r.d1_batches} batches)  KV ${r.kv}  items ${r.items}`,
      );
    }
    return { users, logs, seed_seconds: seconds, results };
  } finally {
    await tenant.stop();
  }
}

mkdirSync(outDir, { recursive: true });
const tenants = [];
for (let i = 0; i < SIZES.length; i++) tenants.push(await measureTenant(SIZES[i], LOGS[i]));
const out = KV_ONLY ? 'scale-kv-only' : 'scale';
writeFileSync(path.join(outDir, `${out}.json`), JSON.stringify({ runs: RUNS, tenants }, null, 2));

const names = Object.keys(tenants[0].results);
const lines = [
  `| request | ${tenants.map((t) => `${t.users.toLocaleString('en')} users / ${t.logs.toLocaleString('en')} events`).join(' | ')} |`,
  `|---|${tenants.map(() => '---').join('|')}|`,
  ...names.map(
    (name) =>
      `| ${name} | ${tenants
        .map((t) => {
          const r = t.results[name];
          if (!r.ok) return `refused: ${r.error}`;
          const cost = Number.isNaN(r.kv) ? '' : `, ${r.d1} D1 in ${r.d1_batches} / ${r.kv} KV`;
          return `${r.p50_ms.toFixed(1)} ms (p95 ${r.p95_ms.toFixed(1)})${cost}`;
        })
        .join(' | ')} |`,
  ),
];
writeFileSync(path.join(outDir, `${out}.md`), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
