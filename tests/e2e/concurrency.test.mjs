// Fifty apps registering at the same moment (RFC 7591) all get their own
// client: every registration answers 201 with distinct credentials, every
// client exists in the Management API exactly once with the name it sent, and
// each developer reads back their own registration (RFC 7592) with their own
// token. 50 registrations stay under the per-IP limit of 60 a minute; this
// file makes no others.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  api,
  countClients,
  mgmtToken,
  registerClient,
  registrationRequest,
  setDynamicRegistration,
  startTenant,
} from './harness.mjs';

let tenant;
let admin;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  await setDynamicRegistration(tenant, admin, true);
});

after(async () => {
  await tenant?.stop();
});

const CONCURRENT = 50;

test('50 apps registering at once each get their own working registration', async () => {
  const before = await countClients(tenant, admin);
  const apps = Array.from({ length: CONCURRENT }, (_, i) => ({
    client_name: `Concurrent App ${i}`,
    redirect_uris: [`https://app-${i}.example.com/callback`],
  }));

  const results = await Promise.all(apps.map((metadata) => registerClient(tenant, metadata)));

  const failures = results
    .map((res, i) => [i, res])
    .filter(([, res]) => res.status !== 201)
    .map(([i, res]) => `#${i}: ${res.status} ${res.text}`);
  assert.deepEqual(failures, [], 'every registration answers 201');

  const bodies = results.map((res) => res.body);
  bodies.forEach((body, i) => {
    assert.match(body.client_id, /^[A-Za-z0-9]{32}$/);
    assert.equal(body.client_name, apps[i].client_name, `registration #${i} answers for its own app`);
    assert.deepEqual(body.redirect_uris, apps[i].redirect_uris);
    assert.equal(body.client_secret.length, 64);
  });
  const distinct = (key) => new Set(bodies.map((body) => body[key])).size;
  assert.equal(distinct('client_id'), CONCURRENT, 'distinct client_ids');
  assert.equal(distinct('client_secret'), CONCURRENT, 'distinct client secrets');
  assert.equal(distinct('registration_access_token'), CONCURRENT, 'distinct registration access tokens');

  assert.equal(await countClients(tenant, admin), before + CONCURRENT, 'exactly 50 clients were created');

  for (const [i, body] of bodies.entries()) {
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.status, 200, `Management API GET of #${i}: ${client.text}`);
    assert.equal(client.body.client_id, body.client_id);
    assert.equal(client.body.name, apps[i].client_name);
    assert.deepEqual(client.body.callbacks, apps[i].redirect_uris);

    assert.equal(body.registration_client_uri, `${tenant.issuer}oidc/register/${body.client_id}`);
    const read = await registrationRequest(body.registration_client_uri, 'GET', body.registration_access_token);
    assert.equal(read.status, 200, `RFC 7592 GET of #${i}: ${read.text}`);
    assert.equal(read.body.client_id, body.client_id);
    assert.equal(read.body.client_name, apps[i].client_name);
    assert.deepEqual(read.body.redirect_uris, apps[i].redirect_uris);
  }
});
