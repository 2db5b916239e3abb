// The audit log (GET /api/v2/logs, scope read:logs): every Management API
// change, every dynamic registration and every login is an event with its
// time, who acted (actor), on what (target), the caller's address and user
// agent; reads are not logged, and no event ever holds a secret, a password
// or a token. Pages come newest first (page/per_page/include_totals, as
// Auth0), and a log consumer reads on from a checkpoint with from/take.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  createUser,
  csrfField,
  hostedLogin,
  mgmtToken,
  randomName,
  registerClient,
  registrationRequest,
  setDynamicRegistration,
  startTenant,
  updateTenantSettings,
  userPath,
} from './harness.mjs';

let tenant;
let admin;
let reader;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  reader = await mgmtToken(tenant, 'read:logs');
});

after(async () => {
  await tenant?.stop();
});

const CALLER = { 'cf-connecting-ip': '192.0.2.44', 'user-agent': 'audit-test/1.0' };

async function logs(query = 'per_page=100') {
  const res = await api(tenant, reader, 'GET', `/api/v2/logs?${query}`);
  assert.equal(res.status, 200, res.text);
  return res.body;
}

function newestMatching(events, predicate, what) {
  const event = events.find(predicate);
  assert.ok(event, `${what}: not in ${JSON.stringify(events, null, 1)}`);
  assert.match(event.log_id, /^[0-9]{13}[A-Za-z0-9]{13}$/, what);
  assert.ok(Math.abs(Date.parse(event.date) - Date.now()) < 5 * 60_000, `${what}: date ${event.date}`);
  return event;
}

test('Management API changes are logged with actor, target, address and user agent; reads are not', async () => {
  const created = await api(tenant, admin, 'POST', '/api/v2/clients', { name: randomName('audited'), app_type: 'non_interactive' }, CALLER);
  assert.equal(created.status, 201, created.text);
  const clientId = created.body.client_id;
  const updated = await api(tenant, admin, 'PATCH', `/api/v2/clients/${clientId}`, { description: 'changed' }, CALLER);
  assert.equal(updated.status, 200, updated.text);
  const rotated = await api(tenant, admin, 'POST', `/api/v2/clients/${clientId}/rotate-secret`, undefined, CALLER);
  assert.equal(rotated.status, 200, rotated.text);
  await updateTenantSettings(tenant, admin, { friendly_name: 'Audited tenant' });
  const count = async () => (await logs('per_page=1&include_totals=true')).total;
  const before = await count();
  assert.equal((await api(tenant, admin, 'GET', `/api/v2/clients/${clientId}`)).status, 200);
  assert.equal((await api(tenant, admin, 'GET', '/api/v2/clients')).status, 200);
  assert.equal((await api(tenant, admin, 'GET', '/api/v2/users')).status, 200);
  assert.equal(await count(), before, 'reads are not logged');
  const deleted = await api(tenant, admin, 'DELETE', `/api/v2/clients/${clientId}`, undefined, CALLER);
  assert.equal(deleted.status, 204);

  const events = await logs();
  const about = (description) =>
    newestMatching(events, (e) => e.description === description && e.details.target?.id === clientId, description);
  for (const [description, method, path] of [
    ['Create a client', 'POST', '/api/v2/clients'],
    ['Update a client', 'PATCH', `/api/v2/clients/${clientId}`],
    ['Rotate a client secret', 'POST', `/api/v2/clients/${clientId}/rotate-secret`],
    ['Delete a client', 'DELETE', `/api/v2/clients/${clientId}`],
  ]) {
    const event = about(description);
    assert.equal(event.type, 'sapi', description);
    assert.deepEqual(event.details.actor, { type: 'client', id: tenant.bootstrap.clientId }, description);
    assert.deepEqual(event.details.target, { type: 'client', id: clientId }, description);
    assert.deepEqual(event.details.request, { method, path }, description);
    assert.equal(event.client_id, tenant.bootstrap.clientId, description);
    assert.equal(event.ip, CALLER['cf-connecting-ip'], description);
    assert.equal(event.user_agent, CALLER['user-agent'], description);
  }
  const settings = newestMatching(events, (e) => e.description === 'Update tenant settings', 'settings change');
  assert.deepEqual(settings.details.target, { type: 'tenant' });

  // Newest first: the deletion is the latest event.
  assert.equal(events[0].description, 'Delete a client');
  const raw = JSON.stringify(events);
  for (const secret of [created.body.client_secret, rotated.body.client_secret, admin]) {
    assert.equal(raw.includes(secret), false, 'no secret or token in the log');
  }
});

test('every kind of change is logged with its target and request: APIs, grants, users, permissions, secrets, registrations, signups', async () => {
  /** [description, target type, target id, method, path] of each change made. */
  const made = [];
  async function change(method, path, body, expected, { kind, id, description }) {
    const res = await api(tenant, admin, method, path, body, CALLER);
    assert.equal(res.status, expected, `${method} ${path}: ${res.text}`);
    made.push([description, kind, id ?? res.body?.id ?? res.body?.user_id ?? res.body?.client_id, method, path]);
    return res.body;
  }

  const identifier = `https://${randomName('audited-api')}.example.test/`;
  const apiBody = { name: randomName('audited'), identifier, scopes: [{ value: 'read:things', description: 'Read things' }] };
  const created = await change('POST', '/api/v2/resource-servers', apiBody, 201, { kind: 'resource_server', description: 'Create a resource server' });
  const apiPath = `/api/v2/resource-servers/${created.id}`;
  await change('PATCH', apiPath, { name: randomName('renamed') }, 200, { kind: 'resource_server', id: created.id, description: 'Update a resource server' });

  const client = await change('POST', '/api/v2/clients', { name: randomName('audited'), app_type: 'non_interactive' }, 201, {
    kind: 'client',
    description: 'Create a client',
  });
  const grant = await change('POST', '/api/v2/client-grants', { client_id: client.client_id, audience: identifier, scope: [] }, 201, {
    kind: 'client_grant',
    description: 'Create a client grant',
  });
  const grantPath = `/api/v2/client-grants/${grant.id}`;
  await change('PATCH', grantPath, { scope: ['read:things'] }, 200, { kind: 'client_grant', id: grant.id, description: 'Update a client grant' });
  const clientPath = `/api/v2/clients/${client.client_id}`;
  await change('POST', `${clientPath}/rotate-secret?previous_secret_grace_period=600`, undefined, 200, {
    kind: 'client',
    id: client.client_id,
    description: 'Rotate a client secret',
  });
  await change('DELETE', `${clientPath}/previous-secret`, undefined, 204, {
    kind: 'client',
    id: client.client_id,
    description: "Revoke a client's previous secret",
  });
  await change('DELETE', grantPath, undefined, 204, { kind: 'client_grant', id: grant.id, description: 'Delete a client grant' });

  const user = await change('POST', '/api/v2/users', { connection: 'Username-Password-Authentication', email: `${randomName('audited')}@example.test`, password: 'a long enough password 1' }, 201, {
    kind: 'user',
    description: 'Create a user',
  });
  const path = userPath(user.user_id);
  await change('PATCH', path, { name: 'Audited Person' }, 200, { kind: 'user', id: user.user_id, description: 'Update a user' });
  const permissions = { permissions: [{ resource_server_identifier: identifier, permission_name: 'read:things' }] };
  await change('POST', `${path}/permissions`, permissions, 201, { kind: 'user', id: user.user_id, description: 'Assign permissions to a user' });
  await change('DELETE', `${path}/permissions`, permissions, 204, { kind: 'user', id: user.user_id, description: 'Remove permissions from a user' });
  await change('DELETE', path, undefined, 204, { kind: 'user', id: user.user_id, description: 'Delete a user' });
  await change('DELETE', apiPath, undefined, 204, { kind: 'resource_server', id: created.id, description: 'Delete a resource server' });

  const events = await logs();
  for (const [description, kind, id, method, requestPath] of made) {
    const event = newestMatching(events, (e) => e.description === description && e.details.target?.id === id, description);
    assert.equal(event.type, 'sapi', description);
    assert.deepEqual(event.details.target, { type: kind, id }, description);
    assert.deepEqual(event.details.request, { method, path: requestPath.split('?')[0] }, description);
    assert.deepEqual(event.details.actor, { type: 'client', id: tenant.bootstrap.clientId }, description);
    assert.equal(event.ip, CALLER['cf-connecting-ip'], description);
    assert.equal(event.user_agent, CALLER['user-agent'], description);
  }

  // A registered app managing its own registration (RFC 7592) acts as itself.
  await setDynamicRegistration(tenant, admin, true);
  const registered = await registerClient(tenant, { client_name: 'Self-managed', redirect_uris: ['https://self.example.com/cb'] });
  assert.equal(registered.status, 201, registered.text);
  const { client_id: selfId, registration_client_uri: uri, registration_access_token: rat } = registered.body;
  const updated = await registrationRequest(uri, 'PUT', rat, { client_id: selfId, client_name: 'Self-managed 2', redirect_uris: ['https://self.example.com/cb'] });
  assert.equal(updated.status, 200, updated.text);
  assert.equal((await registrationRequest(uri, 'DELETE', rat)).status, 204);
  // And a person signing up is an `ss` event naming the new user.
  const app = await appConfig(tenant);
  const email = `${randomName('signup')}@example.test`;
  const browser = new Browser(tenant);
  const query = authorizeQuery({ response_type: 'token', client_id: app.client_id, redirect_uri: `${tenant.baseUrl}/callback`, scope: 'openid', state: 's' });
  const page = await browser.request(`/u/signup?${query}`);
  assert.equal(page.status, 200, page.text);
  const signedUp = await browser.request(`/u/signup?${query}`, { form: { csrf: csrfField(page.text), email, password: 'a long enough password 2' } });
  assert.equal(signedUp.status, 302, signedUp.text);

  const later = await logs();
  for (const description of ["Update a client's registration", "Delete a client's registration"]) {
    const event = newestMatching(later, (e) => e.description === description && e.client_id === selfId, description);
    assert.deepEqual(event.details.actor, { type: 'client', id: selfId }, description);
    assert.deepEqual(event.details.target, { type: 'client', id: selfId }, description);
  }
  const signup = newestMatching(later, (e) => e.type === 'ss' && e.user_name === email, 'signup');
  assert.match(signup.user_id, /^auth0\|/);
  assert.deepEqual(signup.details.actor, { type: 'user', id: signup.user_id });
  const raw = JSON.stringify(later);
  for (const secret of [client.client_secret, rat, registered.body.client_secret, 'a long enough password 2']) {
    assert.equal(raw.includes(secret), false, 'no secret, token or password in the log');
  }
});

test('dynamic registrations and logins are logged, without secrets or passwords', async () => {
  await setDynamicRegistration(tenant, admin, true);
  const registered = await registerClient(
    tenant,
    { client_name: 'Audited App', redirect_uris: ['https://audited.example.com/cb'] },
    { headers: CALLER },
  );
  assert.equal(registered.status, 201, registered.text);

  const app = await appConfig(tenant);
  const { user, email, password } = await createUser(tenant, admin);
  const query = () =>
    authorizeQuery({
      response_type: 'id_token token',
      client_id: app.client_id,
      redirect_uri: `${tenant.baseUrl}/callback`,
      scope: 'openid',
      state: randomName('state'),
      nonce: randomName('nonce'),
    });
  const browser = new Browser(tenant);
  const wrongPassword = `${password}x`;
  const failed = await hostedLogin(browser, query(), { email, password: wrongPassword });
  assert.equal(failed.status, 400, 'a wrong password asks again');
  const signedIn = await hostedLogin(browser, query(), { email, password });
  assert.equal(signedIn.status, 302, signedIn.text);

  const events = await logs();
  const registration = newestMatching(
    events,
    (e) => e.description === 'Register a client' && e.client_id === registered.body.client_id,
    'registration',
  );
  assert.equal(registration.type, 'sapi');
  assert.deepEqual(registration.details.actor, { type: 'anonymous' });
  assert.equal(registration.ip, CALLER['cf-connecting-ip']);

  const success = newestMatching(events, (e) => e.type === 's' && e.user_id === user.user_id, 'successful login');
  assert.equal(success.client_id, app.client_id);
  assert.equal(success.user_name, email);
  assert.equal(success.ip, browser.ip);
  const failure = newestMatching(events, (e) => e.type === 'f' && e.user_name === email, 'failed login');
  assert.equal(failure.user_id, undefined, 'a failed login names no user');
  assert.equal(failure.ip, browser.ip);

  const raw = JSON.stringify(events);
  for (const secret of [
    password,
    wrongPassword,
    registered.body.client_secret,
    registered.body.registration_access_token,
  ]) {
    assert.equal(raw.includes(secret), false, 'no password, secret or token in the log');
  }
});

test('the log pages newest first, reads on from a checkpoint, and serves single events', async () => {
  for (let i = 0; i < 3; i += 1) {
    await updateTenantSettings(tenant, admin, { friendly_name: `Paged ${i}` });
  }
  const all = await logs('per_page=100&include_totals=true');
  assert.equal(all.start, 0);
  assert.equal(all.total, all.logs.length);
  assert.ok(all.total >= 3);
  const ids = all.logs.map((event) => event.log_id);
  assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');

  const second = await logs('page=1&per_page=2');
  assert.deepEqual(second.map((e) => e.log_id), ids.slice(2, 4));

  const checkpoint = ids[3];
  const onwards = await logs(`from=${checkpoint}&take=2`);
  assert.deepEqual(onwards.map((e) => e.log_id), [ids[2], ids[1]], 'the two events after the checkpoint, oldest first');
  assert.deepEqual(await logs(`from=${ids[0]}`), [], 'nothing after the newest');

  const one = await api(tenant, reader, 'GET', `/api/v2/logs/${ids[0]}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.body, all.logs[0]);
  const missing = await api(tenant, reader, 'GET', `/api/v2/logs/${ids[0].slice(0, 13)}${'Z'.repeat(13)}`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.errorCode, 'inexistent_log');

  for (const [query, what] of [
    ['per_page=0', 'per_page 0'],
    ['page=10&per_page=100', 'past the first 1000 events'],
    ['from=nope', 'a malformed checkpoint'],
    ['take=5', 'take without from'],
  ]) {
    const res = await api(tenant, reader, 'GET', `/api/v2/logs?${query}`);
    assert.equal(res.status, 400, `${what}: ${res.text}`);
    assert.equal(res.body.errorCode, 'invalid_query_string', what);
  }
});

test('reading the log needs read:logs', async () => {
  const noToken = await api(tenant, null, 'GET', '/api/v2/logs');
  assert.equal(noToken.status, 401);
  const otherScopes = await mgmtToken(tenant, ['read:clients', 'read:users']);
  for (const path of ['/api/v2/logs', '/api/v2/logs/1763800000000ABCDEFGHIJKLM']) {
    const res = await api(tenant, otherScopes, 'GET', path);
    assert.equal(res.status, 403, `${path}: ${res.text}`);
    assert.equal(res.body.errorCode, 'insufficient_scope');
  }
});
