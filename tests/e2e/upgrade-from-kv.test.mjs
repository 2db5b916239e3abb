// The upgrade from a KV-only version: a namespace filled through that
// version (tests/e2e/fixtures/kv-only-tenant.json, made by its own
// `wrangler dev`) is copied into D1 by the documented command, and the
// tenant then serves every record from the database: the machine client
// gets tokens with its secret, people sign in with their passwords, search
// finds them, the settings, grants, permissions and audit events are
// there. Running the command again changes nothing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  mgmtToken,
  repoRoot,
  runScheduled,
  startTenant,
  verifyAccessToken,
} from './harness.mjs';

const run = promisify(execFile);
const fixture = JSON.parse(await readFile(new URL('./fixtures/kv-only-tenant.json', import.meta.url), 'utf8'));
const { credentials } = fixture;
const wrangler = path.join(repoRoot, 'node_modules/.bin/wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };

let stateDir;
let tenant;
let admin;

async function upgrade() {
  const { stdout } = await run('node', ['scripts/upgrade-from-kv.mjs', '--local', '--persist-to', stateDir], {
    cwd: repoRoot,
    env,
    maxBuffer: 1 << 26,
  });
  return JSON.parse(stdout.trim().split('\n').pop());
}

before(async () => {
  // The namespace as the KV-only version left it.
  stateDir = await mkdtemp(path.join(os.tmpdir(), 'edge-tenant-upgrade-'));
  const entries = path.join(stateDir, 'entries.json');
  await writeFile(entries, JSON.stringify(fixture.entries));
  await run(wrangler, ['kv', 'bulk', 'put', entries, '--binding', 'TENANT', '--local', '--persist-to', stateDir], {
    cwd: repoRoot,
    env,
  });
});

after(async () => {
  await tenant?.stop();
});

const kinds = (entries, prefix) => entries.filter((e) => e.key.startsWith(prefix)).length;

test('the upgrade command copies every record into D1 and checks the counts', async () => {
  const { counts, stored } = await upgrade();
  const entries = fixture.entries;
  assert.equal(counts.users, kinds(entries, 'user/'));
  assert.equal(counts.clients, kinds(entries, 'client/'));
  assert.equal(counts.client_grants, kinds(entries, 'client_grant/'));
  assert.equal(counts.resource_servers, kinds(entries, 'resource_server/'));
  assert.equal(counts.logs, kinds(entries, 'log:'));
  assert.equal(counts.signing_keys, kinds(entries, 'signing_key/'));
  assert.equal(counts.tenant_settings, 1);
  for (const [kind, n] of Object.entries(counts)) assert.equal(stored[kind], n, kind);

  tenant = await startTenant({ stateDir });
  admin = await mgmtToken(tenant);
});

test('the machine client gets tokens for its API with the secret it had', async () => {
  const { m2m, api: audience } = credentials;
  const token = await getAccessToken(tenant.baseUrl, {
    clientId: m2m.client_id,
    clientSecret: m2m.client_secret,
    audience,
  });
  assert.equal(token.scope, 'read:reports');
  const { payload } = await verifyAccessToken(tenant, token.access_token, { audience, algorithm: 'RS256' });
  assert.equal(payload.sub, `${m2m.client_id}@clients`);

  const client = await api(tenant, admin, 'GET', `/api/v2/clients/${m2m.client_id}`);
  assert.equal(client.status, 200, client.text);
  assert.equal(client.body.name, 'Legacy billing');
  const grants = await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${m2m.client_id}`);
  assert.deepEqual(grants.body.map((g) => [g.audience, g.scope]), [[audience, ['read:reports']]]);
  const settings = await api(tenant, admin, 'GET', '/api/v2/tenants/settings');
  assert.equal(settings.body.friendly_name, 'Upgraded Tenant');
  assert.equal(settings.body.client_secret_rotation_grace_period, 600);
});

test('people are found by email and by search, keep their permissions and sign in with their passwords', async () => {
  const [ada, grace] = credentials.users;
  const byEmail = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(ada.email)}`);
  assert.deepEqual(byEmail.body.map((u) => u.user_id), [ada.user_id]);
  const found = await api(tenant, admin, 'GET', '/api/v2/users?q=lovelace');
  assert.deepEqual(found.body.map((u) => u.email), [ada.email]);
  const permissions = await api(tenant, admin, 'GET', `/api/v2/users/${encodeURIComponent(ada.user_id)}/permissions`);
  assert.deepEqual(permissions.body.map((p) => p.permission_name), ['read:reports']);
  assert.equal(permissions.body[0].resource_server_name, 'Legacy reports');
  assert.equal(byEmail.body[0].logins_count, 1, 'her sign-in was counted by the old version');

  const app = await appConfig(tenant);
  const browser = new Browser(tenant);
  const signedIn = await hostedLogin(
    browser,
    authorizeQuery({
      response_type: 'id_token',
      client_id: app.client_id,
      redirect_uri: `${tenant.baseUrl}/callback`,
      scope: 'openid email',
      state: 'upgraded',
      nonce: 'n',
    }),
    grace,
  );
  assert.equal(signedIn.status, 302, signedIn.text);
  assert.equal(fragmentParams(signedIn.location).state, 'upgraded');
  assert.ok(fragmentParams(signedIn.location).id_token, signedIn.location);
  const after = await api(tenant, admin, 'GET', `/api/v2/users/${encodeURIComponent(grace.user_id)}`);
  assert.equal(after.body.logins_count, 1);
});

test('the audit events of the old version are there', async () => {
  for (const { key } of fixture.entries.filter((e) => e.key.startsWith('log:'))) {
    const value = JSON.parse(fixture.entries.find((e) => e.key === key).value);
    const res = await api(tenant, admin, 'GET', `/api/v2/logs/${value.log_id}`);
    assert.equal(res.status, 200, `${value.log_id}: ${res.text}`);
    assert.equal(res.body.type, value.type);
  }
});

test('running the upgrade again adds nothing and undoes nothing', async () => {
  const renamed = await api(tenant, admin, 'PATCH', `/api/v2/clients/${credentials.m2m.client_id}`, {
    name: 'Billing, after the upgrade',
  });
  assert.equal(renamed.status, 200, renamed.text);
  const { counts, stored } = await upgrade();
  assert.equal(stored.users, counts.users);
  assert.equal(stored.clients, counts.clients);
  const client = await api(tenant, admin, 'GET', `/api/v2/clients/${credentials.m2m.client_id}`);
  assert.equal(client.body.name, 'Billing, after the upgrade', 'the newer row was kept');
  // The read model is projected again from the rows, and still serves.
  await runScheduled(tenant);
  await getAccessToken(tenant.baseUrl, {
    clientId: credentials.m2m.client_id,
    clientSecret: credentials.m2m.client_secret,
    audience: credentials.api,
  });
});
