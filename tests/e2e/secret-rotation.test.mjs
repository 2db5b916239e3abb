// Client secret rotation through the Management API, as an admin does it and
// as the client's token requests see it: the new secret works at once and the
// old one is refused (no grace), or keeps working for a grace period given on
// the rotation or by the tenant setting, which an admin can end early; the
// bounds and scopes involved; custom secrets set with PATCH; public clients
// have no secret to rotate. The last tests walk Auth0's documented rotation
// flow through the official Auth0 Node SDK (`auth0` v7), unmodified.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  auth0Sdk,
  api,
  createApi,
  createGrant,
  createM2MClient,
  limitedManagementClient,
  mgmtToken,
  randomName,
  registerClient,
  startTenant,
  tokenRequest,
  updateTenantSettings,
} from './harness.mjs';

let tenant;
let admin;
/** One API every client here is granted, so token requests test only the secret. */
let resourceServer;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  resourceServer = await createApi(tenant, admin);
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

const SEVEN_DAYS = 604800;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A new M2M client (client_secret_post) granted the shared API. */
async function grantedClient(overrides = {}) {
  const client = await createM2MClient(tenant, admin, overrides);
  await createGrant(tenant, admin, client.client_id, resourceServer.identifier, ['read:things']);
  return client;
}

function tokenWith(clientId, clientSecret) {
  return tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: resourceServer.identifier,
    },
  });
}

async function assertSecretWorks(clientId, clientSecret, what) {
  const res = await tokenWith(clientId, clientSecret);
  assert.equal(res.status, 200, `${what} works at /oauth/token: ${res.status} ${res.text}`);
  assert.equal(typeof res.body.access_token, 'string');
}

async function assertSecretRefused(clientId, clientSecret, what) {
  const res = await tokenWith(clientId, clientSecret);
  assert.equal(res.status, 401, `${what} is refused at /oauth/token: ${res.status} ${res.text}`);
  assert.equal(res.body?.error, 'invalid_client', `${what}: ${res.text}`);
  assert.equal(res.body.access_token, undefined);
}

function assertManagementError(res, status) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.statusCode, status, `statusCode in ${res.text}`);
  assert.equal(typeof res.body.error, 'string');
  assert.equal(typeof res.body.message, 'string');
  assert.equal(typeof res.body.errorCode, 'string');
}

function rotate(clientId, { grace, token = admin } = {}) {
  const query = grace === undefined ? '' : `?previous_secret_grace_period=${grace}`;
  return api(tenant, token, 'POST', `/api/v2/clients/${clientId}/rotate-secret${query}`);
}

/** Rotates as an admin; checks the 200 and the new secret; returns the client. */
async function rotated(client, options) {
  const res = await rotate(client.client_id, options);
  assert.equal(res.status, 200, `rotate-secret: ${res.text}`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, 'a response with a secret is not cached');
  assert.equal(res.body.client_id, client.client_id);
  assert.equal(res.body.name, client.name);
  assert.equal(typeof res.body.client_secret, 'string');
  assert.equal(res.body.client_secret.length, 64);
  assert.notEqual(res.body.client_secret, client.client_secret, 'a new secret');
  return res.body;
}

async function getClient(clientId) {
  const res = await api(tenant, admin, 'GET', `/api/v2/clients/${clientId}`);
  assert.equal(res.status, 200, res.text);
  return res;
}

/** `previous_client_secret_expires_at` as epoch ms, checked to be RFC 3339. */
function expiryOf(body) {
  const value = body.previous_client_secret_expires_at;
  assert.equal(typeof value, 'string', `previous_client_secret_expires_at in ${JSON.stringify(body)}`);
  assert.match(value, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'RFC 3339');
  const ms = Date.parse(value);
  assert.ok(Number.isFinite(ms), value);
  return ms;
}

function assertAbout(actualMs, expectedMs, toleranceMs, what) {
  assert.ok(
    Math.abs(actualMs - expectedMs) <= toleranceMs,
    `${what}: ${new Date(actualMs).toISOString()} is within ${toleranceMs} ms of ${new Date(expectedMs).toISOString()}`,
  );
}

// ---------------------------------------------------------------------------
// Rotation

test('an admin rotates a secret: the new one works at once and the old one is refused', async () => {
  const client = await grantedClient();
  await assertSecretWorks(client.client_id, client.client_secret, 'the original secret');

  const body = await rotated(client);
  await assertSecretWorks(client.client_id, body.client_secret, 'the new secret');
  await assertSecretRefused(client.client_id, client.client_secret, 'the old secret (tenant grace 0)');

  const read = await getClient(client.client_id);
  assert.ok(!('client_secret' in read.body), 'reading the client never shows a secret');
  assert.ok(!read.text.includes(body.client_secret));
});

test('with a 3-second grace period the old secret works for 3 seconds, then is refused', async () => {
  const client = await grantedClient();
  const rotatedAt = Date.now();
  const body = await rotated(client, { grace: 3 });
  const expiresAt = expiryOf(body);
  assertAbout(expiresAt, rotatedAt + 3_000, 2_000, 'the rotation response gives the grace end');

  await assertSecretWorks(client.client_id, body.client_secret, 'the new secret');
  await assertSecretWorks(client.client_id, client.client_secret, 'the old secret during the grace period');

  const read = await getClient(client.client_id);
  assert.equal(expiryOf(read.body), expiresAt, 'reading the client shows when the grace ends');
  assert.ok(!('client_secret' in read.body) && !('previous_client_secret' in read.body), 'no secret is shown');
  assert.ok(!read.text.includes(client.client_secret) && !read.text.includes(body.client_secret), 'no secret is shown');

  await sleep(Math.max(0, expiresAt - Date.now()) + 1_000);
  await assertSecretRefused(client.client_id, client.client_secret, 'the old secret after the grace period');
  await assertSecretWorks(client.client_id, body.client_secret, 'the new secret after the grace period');
});

test('an admin ends a grace period early by deleting the previous secret', async () => {
  const client = await grantedClient();
  const body = await rotated(client, { grace: 600 });
  await assertSecretWorks(client.client_id, client.client_secret, 'the old secret during the grace period');

  const res = await api(tenant, admin, 'DELETE', `/api/v2/clients/${client.client_id}/previous-secret`);
  assert.equal(res.status, 204, res.text);
  await assertSecretRefused(client.client_id, client.client_secret, 'the old secret once deleted');
  await assertSecretWorks(client.client_id, body.client_secret, 'the new secret');
  const read = await getClient(client.client_id);
  assert.ok(!('previous_client_secret_expires_at' in read.body), `no grace period left: ${read.text}`);
});

test('deleting the previous secret needs update:client_keys', async () => {
  const client = await grantedClient();
  await rotated(client, { grace: 600 });
  const { token } = await limitedManagementClient(tenant, admin, ['read:clients', 'update:clients']);
  assertManagementError(await api(tenant, token, 'DELETE', `/api/v2/clients/${client.client_id}/previous-secret`), 403);
  await assertSecretWorks(client.client_id, client.client_secret, 'the old secret, still in its grace period');
});

test('a grace period of seven days is accepted and one second more is refused without rotating', async () => {
  const client = await grantedClient();
  const refused = await rotate(client.client_id, { grace: SEVEN_DAYS + 1 });
  assertManagementError(refused, 400);
  assert.equal(refused.body.client_secret, undefined);
  await assertSecretWorks(client.client_id, client.client_secret, 'the secret after a refused rotation');
  assert.ok(!('previous_client_secret_expires_at' in (await getClient(client.client_id)).body));

  const rotatedAt = Date.now();
  const body = await rotated(client, { grace: SEVEN_DAYS });
  assertAbout(expiryOf(body), rotatedAt + SEVEN_DAYS * 1000, 5_000, 'a seven-day grace');
  await assertSecretWorks(client.client_id, client.client_secret, 'the old secret during a seven-day grace');
  await assertSecretWorks(client.client_id, body.client_secret, 'the new secret');
});

describe('the tenant grace period', () => {
  after(async () => {
    await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: 0 });
  });

  test('applies when a rotation gives none, and a rotation can still ask for none', async () => {
    await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: 600 });

    const client = await grantedClient();
    const rotatedAt = Date.now();
    const body = await rotated(client);
    assertAbout(expiryOf(body), rotatedAt + 600_000, 5_000, 'the tenant default of 600 s');
    await assertSecretWorks(client.client_id, client.client_secret, 'the old secret under the tenant grace period');
    await assertSecretWorks(client.client_id, body.client_secret, 'the new secret');

    const other = await grantedClient();
    const immediate = await rotated(other, { grace: 0 });
    await assertSecretRefused(other.client_id, other.client_secret, 'the old secret when the rotation asked for 0');
    await assertSecretWorks(other.client_id, immediate.client_secret, 'the new secret');
  });
});

test('a token without update:client_keys cannot rotate a secret', async () => {
  const client = await grantedClient();
  const { token } = await limitedManagementClient(tenant, admin, ['read:clients', 'update:clients']);
  // The token is good for what it was granted, so the 403 is about the scope.
  assert.equal((await api(tenant, token, 'GET', `/api/v2/clients/${client.client_id}`)).status, 200);

  const res = await rotate(client.client_id, { token });
  assertManagementError(res, 403);
  assert.equal(res.body.client_secret, undefined);
  await assertSecretWorks(client.client_id, client.client_secret, 'the secret after a refused rotation');
});

test('rotating the secret of a public client is refused', async () => {
  const res = await api(tenant, admin, 'POST', '/api/v2/clients', {
    name: randomName('spa'),
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
  });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.token_endpoint_auth_method, 'none');
  const refused = await rotate(res.body.client_id);
  assertManagementError(refused, 400);
  assert.equal(refused.body.client_secret, undefined);
});

test('rotating the secret of an unknown client is 404', async () => {
  assertManagementError(await rotate('NoSuchClientNoSuchClientNoSuchCl'), 404);
});

// ---------------------------------------------------------------------------
// Custom secrets

/** 48 printable ASCII characters without spaces, punctuation included. */
function customSecret() {
  return `Custom-${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('hex').slice(0, 36)}!#$%~`;
}

test('an admin sets a custom secret: it works, the old one does not, and it is not echoed', async () => {
  const client = await grantedClient();
  const secret = customSecret();
  assert.ok(secret.length >= 32 && !/\s/.test(secret));

  const res = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, { client_secret: secret });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.client_id, client.client_id);
  assert.ok(!('client_secret' in res.body), `the response does not echo the secret: ${res.text}`);
  assert.ok(!res.text.includes(secret));

  await assertSecretWorks(client.client_id, secret, 'the custom secret');
  await assertSecretRefused(client.client_id, client.client_secret, 'the replaced secret');
});

test('setting a custom secret needs update:client_keys as well as update:clients', async () => {
  const client = await grantedClient();
  const secret = customSecret();
  const { token } = await limitedManagementClient(tenant, admin, ['read:clients', 'update:clients']);
  // update:clients alone is enough for other changes, so the 403 is about the secret.
  const rename = await api(tenant, token, 'PATCH', `/api/v2/clients/${client.client_id}`, { description: 'renamed' });
  assert.equal(rename.status, 200, rename.text);

  assertManagementError(
    await api(tenant, token, 'PATCH', `/api/v2/clients/${client.client_id}`, { client_secret: secret }),
    403,
  );
  await assertSecretRefused(client.client_id, secret, 'the refused custom secret');
  await assertSecretWorks(client.client_id, client.client_secret, 'the secret still in place');

  const { token: both } = await limitedManagementClient(tenant, admin, ['update:clients', 'update:client_keys']);
  const allowed = await api(tenant, both, 'PATCH', `/api/v2/clients/${client.client_id}`, { client_secret: secret });
  assert.equal(allowed.status, 200, `update:clients + update:client_keys is enough: ${allowed.text}`);
  await assertSecretWorks(client.client_id, secret, 'the custom secret');
});

for (const [what, secret] of [
  ['shorter than 32 characters', 'S'.repeat(31)],
  ['containing a space', `${'S'.repeat(20)} ${'T'.repeat(20)}`],
]) {
  test(`a custom secret ${what} is refused and the secret stays as it was`, async () => {
    const client = await grantedClient();
    const res = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, { client_secret: secret });
    assertManagementError(res, 400);
    await assertSecretRefused(client.client_id, secret, 'the refused custom secret');
    await assertSecretWorks(client.client_id, client.client_secret, 'the secret still in place');
  });
}

// ---------------------------------------------------------------------------
// Auth0's documented flow through the official Auth0 Node SDK (v7)

describe('through the Auth0 Node SDK', () => {
  let management;
  before(() => {
    management = auth0Sdk(tenant, { clientId: tenant.bootstrap.clientId, clientSecret: tenant.bootstrap.clientSecret });
  });

  test('an admin creates a client, grants it an API and rotates its secret with the SDK', async () => {
    const created = await management.clients.create({ name: randomName('sdk'), app_type: 'non_interactive' });
    assert.match(created.client_id, /^[A-Za-z0-9]{32}$/);
    assert.equal(typeof created.client_secret, 'string');
    const grant = await management.clientGrants.create({
      client_id: created.client_id,
      audience: resourceServer.identifier,
      scope: ['read:things'],
    });
    assert.equal(grant.client_id, created.client_id);
    await assertSecretWorks(created.client_id, created.client_secret, 'the secret from clients.create');

    const rotatedClient = await management.clients.rotateSecret(created.client_id);
    assert.equal(rotatedClient.client_id, created.client_id);
    assert.equal(typeof rotatedClient.client_secret, 'string');
    assert.equal(rotatedClient.client_secret.length, 64);
    assert.notEqual(rotatedClient.client_secret, created.client_secret);
    await assertSecretWorks(created.client_id, rotatedClient.client_secret, 'the secret from clients.rotateSecret');
    await assertSecretRefused(created.client_id, created.client_secret, 'the secret rotated out');

    const read = await management.clients.get(created.client_id);
    assert.equal(read.client_id, created.client_id);
    assert.equal(read.client_secret, undefined, 'clients.get shows no secret');
  });

  test('an admin rotates with a grace period through the SDK request options', async () => {
    const client = await grantedClient();
    const rotatedClient = await management.clients.rotateSecret(client.client_id, {
      queryParams: { previous_secret_grace_period: 600 },
    });
    assert.equal(typeof rotatedClient.previous_client_secret_expires_at, 'string');
    await assertSecretWorks(client.client_id, client.client_secret, 'the old secret in its grace period');
    await assertSecretWorks(client.client_id, rotatedClient.client_secret, 'the new secret');
  });

  test('an admin turns on dynamic registration with the SDK and an app can register', async () => {
    const updated = await management.tenants.settings.update({ flags: { enable_dynamic_client_registration: true } });
    assert.equal(updated.flags.enable_dynamic_client_registration, true);
    const read = await management.tenants.settings.get();
    assert.equal(read.flags.enable_dynamic_client_registration, true);

    const res = await registerClient(tenant, {
      client_name: 'My Dynamic Application',
      redirect_uris: ['https://application.example.com/callback'],
    });
    assert.equal(res.status, 201, res.text);

    await management.tenants.settings.update({ flags: { enable_dynamic_client_registration: false } });
    assert.equal((await management.tenants.settings.get()).flags.enable_dynamic_client_registration, false);
  });

  test('the SDK reports 403 when its token lacks update:client_keys', async () => {
    const client = await grantedClient();
    const { token } = await limitedManagementClient(tenant, admin, ['read:clients', 'update:clients']);
    const limited = auth0Sdk(tenant, { token });
    await assert.rejects(limited.clients.rotateSecret(client.client_id), (err) => {
      assert.equal(err.statusCode, 403, String(err));
      return true;
    });
    await assertSecretWorks(client.client_id, client.client_secret, 'the secret after the refused rotation');
  });
});
