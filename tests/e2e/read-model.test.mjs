// The edge's read model is rebuilt from the system of record by the
// documented command: a tenant whose KV lost a client's entry (so the token
// endpoint refuses the client) and holds an entry no row backs (a deleted
// API's) is put right by `node scripts/read-model.mjs rebuild`, and the
// scheduled task alone puts right a lost entry once its change has settled.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';

import { mgmtToken, provisionM2M, repoRoot, runScheduled, startTenant, tokenRequest } from './harness.mjs';

const run = promisify(execFile);
const wrangler = path.join(repoRoot, 'node_modules/.bin/wrangler');
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' };

let tenant;
after(async () => {
  await tenant?.stop();
});

const kv = (stateDir, ...argv) =>
  run(wrangler, ['kv', 'key', ...argv, '--binding', 'TENANT', '--local', '--persist-to', stateDir], {
    cwd: repoRoot,
    env,
  });

async function kvHas(stateDir, key) {
  const { stdout } = await kv(stateDir, 'list', '--prefix', key);
  return JSON.parse(stdout).some((k) => k.name === key);
}

const tokenFor = (client, resourceServer) =>
  tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: resourceServer.identifier,
    },
  });

test('the rebuild command puts a lost entry back and deletes one no row backs', async () => {
  tenant = await startTenant();
  const admin = await mgmtToken(tenant);
  const { client, resourceServer } = await provisionM2M(tenant, admin);
  assert.equal((await tokenFor(client, resourceServer)).status, 200);
  const stateDir = tenant.stateDir;
  await tenant.stop({ keepState: true });

  // KV loses the client's entry and gains one for an API that has no row.
  const stray = 'resource_server/https://deleted.example/';
  await kv(stateDir, 'delete', `client/${client.client_id}`);
  await kv(stateDir, 'put', stray, JSON.stringify({ identifier: 'https://deleted.example/', scopes: [] }));
  tenant = await startTenant({ stateDir });
  const lost = await tokenFor(client, resourceServer);
  assert.equal(lost.status, 401, 'the edge no longer knows the client');
  assert.equal(lost.body.error, 'invalid_client');

  const { stdout } = await run(
    'node',
    ['scripts/read-model.mjs', 'rebuild', '--local', '--persist-to', stateDir, '--scheduled', tenant.baseUrl],
    { cwd: repoRoot, env },
  );
  const summary = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(summary.queued, 0, 'every queued entry was projected');
  assert.ok(summary.kv_keys >= 3, `KV's read-model keys were queued too: ${stdout}`);

  const back = await tokenFor(client, resourceServer);
  assert.equal(back.status, 200, back.text);
  assert.equal(await kvHas(stateDir, stray), false, 'the entry no row backs is deleted');
  assert.equal(await kvHas(stateDir, `client/${client.client_id}`), true);
});

test('a lost projection converges by the scheduled task alone once its change settles', async () => {
  tenant ??= await startTenant();
  const admin = await mgmtToken(tenant);
  const { client, resourceServer } = await provisionM2M(tenant, admin);
  const changedAt = Date.now();
  const stateDir = tenant.stateDir;
  await tenant.stop({ keepState: true });
  await kv(stateDir, 'delete', `client/${client.client_id}`);
  tenant = await startTenant({ stateDir });
  assert.equal((await tokenFor(client, resourceServer)).status, 401);

  // Once the change has settled (queued more than 30 s ago), the task
  // projects it again.
  const settled = changedAt + 31_000 - Date.now();
  if (settled > 0) await new Promise((resolve) => setTimeout(resolve, settled));
  await runScheduled(tenant);
  const back = await tokenFor(client, resourceServer);
  assert.equal(back.status, 200, back.text);
});
