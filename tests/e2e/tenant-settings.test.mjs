// Tenant settings as an administrator uses them through the Management API:
// the defaults of a new tenant, PATCH merging only what was sent, turning open
// dynamic client registration on and off (and seeing /oidc/register follow),
// the secret-rotation grace period and its bound, the 400s for unknown flags
// and wrong types (which change nothing), and the scopes each method needs.
//
// Tests in this file run in order and share one tenant's settings: the first
// one reads the untouched defaults.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  api,
  limitedManagementClient,
  mgmtToken,
  registerClient,
  startTenant,
  updateTenantSettings,
} from './harness.mjs';

let tenant;
let admin;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
});

after(async () => {
  await tenant?.stop();
});

const SETTINGS = '/api/v2/tenants/settings';
const SEVEN_DAYS = 604800;

async function readSettings(token = admin) {
  const res = await api(tenant, token, 'GET', SETTINGS);
  assert.equal(res.status, 200, `GET settings: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return res.body;
}

function assertManagementError(res, status) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.statusCode, status, `statusCode in ${res.text}`);
  assert.equal(typeof res.body.error, 'string', `error in ${res.text}`);
  assert.equal(typeof res.body.message, 'string', `message in ${res.text}`);
  assert.equal(typeof res.body.errorCode, 'string', `errorCode in ${res.text}`);
}

/** A PATCH that must be refused with 400 naming `named`, changing nothing. */
async function assertPatchRefused(patch, named) {
  const before = await readSettings();
  const res = await api(tenant, admin, 'PATCH', SETTINGS, patch);
  assertManagementError(res, 400);
  if (named !== undefined) {
    assert.ok(res.body.message.includes(named), `message names ${named}: ${res.body.message}`);
  }
  assert.deepEqual(await readSettings(), before, 'a refused PATCH changes nothing');
}

const sampleApp = {
  client_name: 'Settings Probe',
  redirect_uris: ['https://application.example.com/callback'],
};

test('an admin reads the settings of a new tenant and sees the defaults', async () => {
  assert.deepEqual(await readSettings(), {
    friendly_name: '',
    support_email: '',
    flags: { enable_dynamic_client_registration: false, disable_signup: false },
    client_secret_rotation_grace_period: 0,
    default_audience: '',
    allow_organization_name_in_authentication_api: false,
    actions_allowed_hosts: [],
  });
});

test('an admin names the tenant and sets its support email', async () => {
  const res = await api(tenant, admin, 'PATCH', SETTINGS, {
    friendly_name: 'Acme Identity',
    support_email: 'support@acme.example',
  });
  assert.equal(res.status, 200, res.text);
  const expected = {
    friendly_name: 'Acme Identity',
    support_email: 'support@acme.example',
    flags: { enable_dynamic_client_registration: false, disable_signup: false },
    client_secret_rotation_grace_period: 0,
    default_audience: '',
    allow_organization_name_in_authentication_api: false,
    actions_allowed_hosts: [],
  };
  assert.deepEqual(res.body, expected, 'the PATCH answers the merged settings');
  assert.deepEqual(await readSettings(), expected);
});

test('an admin turns on dynamic registration and only that flag changes', async () => {
  const before = await readSettings();
  assert.equal(before.friendly_name, 'Acme Identity', 'the name set earlier is there to be kept');
  // Off: an app cannot register.
  const refused = await registerClient(tenant, sampleApp);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.body?.error, 'access_denied');

  const res = await api(tenant, admin, 'PATCH', SETTINGS, { flags: { enable_dynamic_client_registration: true } });
  assert.equal(res.status, 200, res.text);
  const expected = { ...before, flags: { ...before.flags, enable_dynamic_client_registration: true } };
  assert.deepEqual(res.body, expected);
  assert.deepEqual(await readSettings(), expected, 'friendly_name, support_email and the grace period are kept');

  // On: the same registration now succeeds.
  const registered = await registerClient(tenant, sampleApp);
  assert.equal(registered.status, 201, registered.text);
  assert.equal(typeof registered.body.client_id, 'string');
});

test('an admin turns dynamic registration off again and apps are refused again', async () => {
  await updateTenantSettings(tenant, admin, { flags: { enable_dynamic_client_registration: true } });
  const settings = await updateTenantSettings(tenant, admin, { flags: { enable_dynamic_client_registration: false } });
  assert.equal(settings.flags.enable_dynamic_client_registration, false);
  assert.equal(settings.friendly_name, 'Acme Identity');
  const refused = await registerClient(tenant, sampleApp);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.body?.error, 'access_denied');
});

test('an admin sets the default audience and turns signup off, and only those change', async () => {
  const before = await readSettings();
  const settings = await updateTenantSettings(tenant, admin, {
    default_audience: 'https://orders.example',
    flags: { disable_signup: true },
  });
  assert.deepEqual(settings, {
    ...before,
    default_audience: 'https://orders.example',
    flags: { ...before.flags, disable_signup: true },
  });
  for (const bad of [{ default_audience: 42 }, { flags: { disable_signup: 'yes' } }]) {
    const res = await api(tenant, admin, 'PATCH', SETTINGS, bad);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.errorCode, 'invalid_body');
  }
  const restored = await updateTenantSettings(tenant, admin, {
    default_audience: '',
    flags: { disable_signup: false },
  });
  assert.deepEqual(restored, before);
});

test('an admin sets the secret rotation grace period, up to seven days', async () => {
  const before = await readSettings();
  let settings = await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: 3600 });
  assert.deepEqual(settings, { ...before, client_secret_rotation_grace_period: 3600 });
  assert.equal((await readSettings()).client_secret_rotation_grace_period, 3600);

  settings = await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: SEVEN_DAYS });
  assert.equal(settings.client_secret_rotation_grace_period, SEVEN_DAYS);
  assert.deepEqual(await readSettings(), { ...before, client_secret_rotation_grace_period: SEVEN_DAYS });

  await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: 0 });
  assert.deepEqual(await readSettings(), before);
});

test('a grace period over seven days is refused and nothing changes', async () => {
  await updateTenantSettings(tenant, admin, { client_secret_rotation_grace_period: 120 });
  await assertPatchRefused({ client_secret_rotation_grace_period: SEVEN_DAYS + 1 });
  assert.equal((await readSettings()).client_secret_rotation_grace_period, 120);
  // A refused PATCH is refused whole: the valid member sent with it is not applied.
  await assertPatchRefused({ friendly_name: 'Not Applied', client_secret_rotation_grace_period: SEVEN_DAYS + 1 });
  assert.equal((await readSettings()).friendly_name, 'Acme Identity');
});

test('an unknown flag is refused with a 400 naming it and nothing changes', async () => {
  await assertPatchRefused({ flags: { foo: true } }, 'foo');
  // Also when sent next to a valid flag change, which must not be applied.
  const before = await readSettings();
  await assertPatchRefused(
    { flags: { enable_dynamic_client_registration: !before.flags.enable_dynamic_client_registration, foo: true } },
    'foo',
  );
});

test('a flag of the wrong type is refused with a 400 naming it and nothing changes', async () => {
  await assertPatchRefused({ flags: { enable_dynamic_client_registration: 'yes' } }, 'enable_dynamic_client_registration');
});

test('reading the settings needs read:tenant_settings and changing them needs update:tenant_settings', async () => {
  const before = await readSettings();

  const { token: readOnly } = await limitedManagementClient(tenant, admin, ['read:tenant_settings']);
  assert.deepEqual(await readSettings(readOnly), before, 'read:tenant_settings is enough to read');
  const patchRes = await api(tenant, readOnly, 'PATCH', SETTINGS, { friendly_name: 'Read Only Was Here' });
  assertManagementError(patchRes, 403);

  const { token: clientsOnly } = await limitedManagementClient(tenant, admin, ['read:clients', 'update:clients']);
  assertManagementError(await api(tenant, clientsOnly, 'GET', SETTINGS), 403);
  assertManagementError(await api(tenant, clientsOnly, 'PATCH', SETTINGS, { friendly_name: 'Nope' }), 403);

  const { token: updateOnly } = await limitedManagementClient(tenant, admin, ['update:tenant_settings']);
  const allowed = await api(tenant, updateOnly, 'PATCH', SETTINGS, { support_email: 'help@acme.example' });
  assert.equal(allowed.status, 200, `update:tenant_settings is enough to PATCH: ${allowed.text}`);

  assert.deepEqual(await readSettings(), { ...before, support_email: 'help@acme.example' });
});

test('the settings cannot be read or changed without a token', async () => {
  const before = await readSettings();
  assertManagementError(await api(tenant, null, 'GET', SETTINGS), 401);
  assertManagementError(await api(tenant, null, 'PATCH', SETTINGS, { friendly_name: 'Anonymous' }), 401);
  assert.deepEqual(await readSettings(), before);
});
