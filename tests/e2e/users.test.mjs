// Users of the database connection through the Management API, as an admin
// manages them and as the people see it at the hosted login: creating users
// in Auth0's shape (emails trimmed and lowercased, profile defaults), the
// password policy, uniqueness by email, listing and search, reading by id
// and by email, changing the email (which moves the login), the password
// and the blocked flag, deleting, and direct permissions on an API. Every
// route needs its own scope. The last tests do the same basics through the
// official Auth0 Node SDK (`auth0` v7), unmodified. No response in this file
// ever carries a password or a password hash; the last test checks all of
// them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ManagementClient } from 'auth0';

import {
  DATABASE_CONNECTION,
  api as rawApi,
  appConfig,
  authorizeQuery,
  Browser,
  createApi,
  createGrant,
  decodeJwt,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  limitedManagementClient,
  managementAudience,
  mgmtToken,
  randomEmail,
  randomName,
  randomPassword,
  startTenant,
  testIdText,
  userPath,
} from './harness.mjs';

let tenant;
let admin;
let app;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  app = await appConfig(tenant);
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

/** Every response body this file received, checked for passwords at the end. */
const responses = [];
/** Every password this file sent. */
const passwords = new Set();

/** `api` from the harness, recording the response and any password sent. */
async function api(t, token, method, path, body, headers) {
  if (body && typeof body === 'object' && typeof body.password === 'string') passwords.add(body.password);
  const res = await rawApi(t, token, method, path, body, headers);
  responses.push({ what: `${method} ${path}`, text: res.text });
  return res;
}

const USER_ID = /^auth0\|[0-9a-f]{24}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function assertManagementError(res, status, errorCode) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.statusCode, status, `statusCode in ${res.text}`);
  assert.equal(typeof res.body.error, 'string');
  assert.equal(typeof res.body.message, 'string');
  if (errorCode !== undefined) assert.equal(res.body.errorCode, errorCode, res.text);
}

async function createUser(overrides = {}) {
  const body = { connection: DATABASE_CONNECTION, email: randomEmail(), password: randomPassword(), ...overrides };
  const res = await api(tenant, admin, 'POST', '/api/v2/users', body);
  assert.equal(res.status, 201, `create user: ${res.text}`);
  return { user: res.body, email: res.body.email, password: body.password };
}

async function getUser(userId, token = admin) {
  return api(tenant, token, 'GET', userPath(userId));
}

async function byEmail(email) {
  const res = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`);
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body), `users-by-email answers an array: ${res.text}`);
  return res.body;
}

/** A person signing in to the built-in app at the hosted login. */
function appQuery(extra = {}) {
  return authorizeQuery({
    response_type: 'id_token token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: 'openid profile email',
    state: randomName('state'),
    nonce: randomName('nonce'),
    ...extra,
  });
}

/** Signs in at the hosted login in a fresh browser; returns what happened. */
async function signIn(email, password, browser = new Browser(tenant)) {
  passwords.add(password);
  const res = await hostedLogin(browser, appQuery(), { email, password });
  responses.push({ what: 'POST /u/login', text: `${res.text} ${res.location ?? ''}` });
  return { res, browser };
}

async function assertSignInWorks(email, password, what) {
  const { res, browser } = await signIn(email, password);
  assert.equal(res.status, 302, `${what}: ${res.status} ${res.text}`);
  assert.ok(res.location.startsWith(`${tenant.baseUrl}/callback#`), `${what}: ${res.location}`);
  const params = fragmentParams(res.location);
  assert.equal(params.error, undefined, `${what}: ${res.location}`);
  assert.ok(browser.cookie('tenant_session'), `${what}: a session cookie`);
  return { params, idToken: decodeJwt(params.id_token), browser };
}

async function assertSignInRefused(email, password, message, what) {
  const { res, browser } = await signIn(email, password);
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.location} ${res.text}`);
  assert.equal(res.location, null);
  assert.equal(testIdText(res.text, 'login-error'), message, what);
  assert.equal(browser.cookie('tenant_session'), undefined, `${what}: no session`);
}

// ---------------------------------------------------------------------------
// Creating users

test('a new user comes back in Auth0 shape with defaults, and without the password', async () => {
  const local = randomName('Ada.Lovelace');
  const password = randomPassword();
  const res = await api(tenant, admin, 'POST', '/api/v2/users', {
    connection: DATABASE_CONNECTION,
    email: `  ${local.toUpperCase()}@Example.TEST `,
    password,
  });
  assert.equal(res.status, 201, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const user = res.body;
  assert.match(user.user_id, USER_ID);
  assert.equal(user.email, `${local.toLowerCase()}@example.test`, 'trimmed and lowercased');
  assert.equal(user.email_verified, false);
  assert.equal(user.name, user.email, 'name defaults to the email');
  assert.equal(user.nickname, local.toLowerCase(), 'nickname defaults to the local part');
  assert.equal(user.blocked, false);
  assert.deepEqual(user.identities, [
    { connection: DATABASE_CONNECTION, provider: 'auth0', user_id: user.user_id.slice('auth0|'.length), isSocial: false },
  ]);
  assert.match(user.created_at, RFC3339);
  assert.match(user.updated_at, RFC3339);
  assert.ok(Math.abs(Date.parse(user.created_at) - Date.now()) < 120_000, `created_at ${user.created_at} is now`);
  assert.equal(user.logins_count, 0);
  assert.equal(user.last_login, undefined, 'never signed in');
  assert.equal(user.password, undefined);
  assert.ok(!res.text.includes(password), 'the password is not echoed');
  assert.doesNotMatch(res.text, /"password(_hash)?"\s*:|pbkdf2/i, 'no password field, no hash');

  // Read back by id, URL-encoded as Auth0's SDKs send it, and with a raw `|`.
  const read = await getUser(user.user_id);
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.body, user);
  const raw = await api(tenant, admin, 'GET', `/api/v2/users/${user.user_id}`);
  assert.equal(raw.status, 200, raw.text);
  assert.deepEqual(raw.body, user);
});

test('the optional profile fields are stored and returned', async () => {
  const email = randomEmail('grace');
  const profile = {
    name: 'Grace Hopper',
    nickname: 'amazing-grace',
    given_name: 'Grace',
    family_name: 'Hopper',
    picture: 'https://images.example.test/grace.png',
    email_verified: true,
    blocked: false,
  };
  const res = await api(tenant, admin, 'POST', '/api/v2/users', {
    connection: DATABASE_CONNECTION,
    email,
    password: randomPassword(),
    verify_email: false,
    ...profile,
  });
  assert.equal(res.status, 201, res.text);
  for (const [field, value] of Object.entries(profile)) assert.equal(res.body[field], value, field);
  const read = await getUser(res.body.user_id);
  assert.deepEqual(read.body, res.body);
});

test('an email already taken, in any case and with spaces, is 409 Conflict and nothing changes', async () => {
  const { user, email } = await createUser();
  const res = await api(tenant, admin, 'POST', '/api/v2/users', {
    connection: DATABASE_CONNECTION,
    email: `  ${email.toUpperCase()}  `,
    password: randomPassword(),
    name: 'Impostor',
  });
  assert.equal(res.status, 409, res.text);
  assert.deepEqual(res.body, {
    statusCode: 409,
    error: 'Conflict',
    message: 'The user already exists.',
    errorCode: 'auth0_idp_error',
  });
  const found = await byEmail(email);
  assert.deepEqual(found.map((u) => u.user_id), [user.user_id]);
  assert.equal(found[0].name, user.name, 'the existing user is untouched');
});

test('passwords outside 8 to 128 characters, or equal to the email, are refused with PasswordStrengthError', async () => {
  const email = randomEmail('weak');
  for (const [what, password] of [
    ['7 characters', 'abcdefg'],
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['the email itself', email],
  ]) {
    const res = await api(tenant, admin, 'POST', '/api/v2/users', { connection: DATABASE_CONNECTION, email, password });
    assertManagementError(res, 400, 'invalid_body');
    assert.match(res.body.message, /PasswordStrengthError/, `${what}: ${res.text}`);
    assert.deepEqual(await byEmail(email), [], `${what}: no user was created`);
  }
  // The bounds themselves are fine.
  for (const password of ['12345678', 'y'.repeat(128)]) {
    const created = await api(tenant, admin, 'POST', '/api/v2/users', {
      connection: DATABASE_CONNECTION,
      email: randomEmail('bound'),
      password,
    });
    assert.equal(created.status, 201, `a password of ${password.length} characters: ${created.text}`);
  }
});

test('a body with the wrong connection, a bad email, an unknown field or a missing password is 400 and creates nothing', async () => {
  const cases = [
    ['another connection', (email) => ({ connection: 'google-oauth2', email, password: randomPassword() })],
    ['no connection', (email) => ({ email, password: randomPassword() })],
    ['no password', (email) => ({ connection: DATABASE_CONNECTION, email })],
    ['an unknown field', (email) => ({ connection: DATABASE_CONNECTION, email, password: randomPassword(), favourite_colour: 'blue' })],
    ['a picture over http', (email) => ({ connection: DATABASE_CONNECTION, email, password: randomPassword(), picture: 'http://images.example.test/a.png' })],
    ['a number for a name', (email) => ({ connection: DATABASE_CONNECTION, email, password: randomPassword(), name: 42 })],
  ];
  for (const [what, body] of cases) {
    const email = randomEmail('invalid');
    const res = await api(tenant, admin, 'POST', '/api/v2/users', body(email));
    assertManagementError(res, 400, 'invalid_body');
    assert.deepEqual(await byEmail(email), [], `${what}: no user was created`);
  }
  for (const email of ['not-an-email', 'ada@', '@example.test', 'ada@localhost', 'a da@example.test']) {
    const res = await api(tenant, admin, 'POST', '/api/v2/users', { connection: DATABASE_CONNECTION, email, password: randomPassword() });
    assertManagementError(res, 400, 'invalid_body');
  }
  const notJson = await api(tenant, admin, 'POST', '/api/v2/users', '{"connection":');
  assertManagementError(notJson, 400, 'invalid_body');
});

// ---------------------------------------------------------------------------
// Reading users

test('users are listed with Auth0 paging, and q finds them by email or name whatever the case', async () => {
  const marker = randomName('find').replace('-', '');
  const byMail = [];
  for (const suffix of ['a', 'b', 'c']) {
    byMail.push((await createUser({ email: `${marker}-${suffix}@example.test` })).user.user_id);
  }
  const byName = (await createUser({ name: `Someone ${marker.toUpperCase()} Else` })).user.user_id;
  await createUser(); // not a match
  const expected = new Set([...byMail, byName]);

  const first = await api(tenant, admin, 'GET', `/api/v2/users?q=${marker}&per_page=3&page=0&include_totals=true`);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.total, 4, first.text);
  assert.equal(first.body.start, 0);
  assert.equal(first.body.limit, 3);
  assert.equal(first.body.length, 3);
  assert.equal(first.body.users.length, 3);
  const second = await api(tenant, admin, 'GET', `/api/v2/users?q=${marker.toUpperCase()}&per_page=3&page=1&include_totals=true`);
  assert.equal(second.status, 200, second.text);
  assert.equal(second.body.total, 4);
  assert.equal(second.body.start, 3);
  assert.equal(second.body.length, 1);
  const found = [...first.body.users, ...second.body.users].map((u) => u.user_id);
  assert.deepEqual(new Set(found), expected, 'both pages together are the four matches');
  assert.equal(found.length, 4, 'no user on both pages');

  // Without include_totals: a bare array of full users.
  const bare = await api(tenant, admin, 'GET', `/api/v2/users?q=${marker}`);
  assert.equal(bare.status, 200, bare.text);
  assert.ok(Array.isArray(bare.body), bare.text);
  assert.deepEqual(new Set(bare.body.map((u) => u.user_id)), expected);
  for (const user of bare.body) assert.equal(user.identities[0].connection, DATABASE_CONNECTION);

  // Without q: everyone, counted.
  const all = await api(tenant, admin, 'GET', '/api/v2/users?include_totals=true&per_page=100');
  assert.equal(all.status, 200, all.text);
  assert.ok(all.body.total >= 5, `total ${all.body.total}`);
  assert.equal(all.body.users.length, Math.min(all.body.total, 100));

  for (const query of ['per_page=0', 'per_page=101', 'page=-1', 'include_totals=yes']) {
    assertManagementError(await api(tenant, admin, 'GET', `/api/v2/users?${query}`), 400, 'invalid_query_string');
  }
});

test('an unknown or malformed user id is 404 inexistent_user on every route', async () => {
  for (const id of ['auth0|000000000000000000000000', 'auth0|nope', 'google-oauth2|123456789012345678901234']) {
    assertManagementError(await getUser(id), 404, 'inexistent_user');
    assertManagementError(await api(tenant, admin, 'PATCH', userPath(id), { name: 'x' }), 404, 'inexistent_user');
    assertManagementError(await api(tenant, admin, 'DELETE', userPath(id)), 404, 'inexistent_user');
    assertManagementError(await api(tenant, admin, 'GET', userPath(id, '/permissions')), 404, 'inexistent_user');
  }
});

test('users-by-email finds a user whatever the case of the address, and nothing otherwise', async () => {
  const { user, email } = await createUser();
  assert.deepEqual(await byEmail(email), [user]);
  assert.deepEqual(await byEmail(`  ${email.toUpperCase()} `), [user]);
  assert.deepEqual(await byEmail(randomEmail('nobody')), []);
  const bad = await api(tenant, admin, 'GET', '/api/v2/users-by-email?email=not-an-email');
  assertManagementError(bad, 400);
  const missing = await api(tenant, admin, 'GET', '/api/v2/users-by-email');
  assertManagementError(missing, 400);
});

// ---------------------------------------------------------------------------
// Changing users

test('PATCH changes only the fields it names', async () => {
  const { user } = await createUser({ name: 'Before', given_name: 'Old' });
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // updated_at has second resolution
  const res = await api(tenant, admin, 'PATCH', userPath(user.user_id), { name: 'After', family_name: 'Newname' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.name, 'After');
  assert.equal(res.body.family_name, 'Newname');
  assert.equal(res.body.given_name, 'Old', 'unchanged');
  assert.equal(res.body.email, user.email, 'unchanged');
  assert.equal(res.body.nickname, user.nickname, 'unchanged');
  assert.equal(res.body.created_at, user.created_at);
  assert.ok(Date.parse(res.body.updated_at) > Date.parse(user.updated_at), `updated_at moved: ${res.body.updated_at}`);
  assert.deepEqual((await getUser(user.user_id)).body, res.body);

  assertManagementError(await api(tenant, admin, 'PATCH', userPath(user.user_id), { shoe_size: 42 }), 400, 'invalid_body');
  assertManagementError(await api(tenant, admin, 'PATCH', userPath(user.user_id), { picture: 'javascript:alert(1)' }), 400, 'invalid_body');
  assertManagementError(await api(tenant, admin, 'PATCH', userPath(user.user_id), { email: 'nope' }), 400, 'invalid_body');
  assert.deepEqual((await getUser(user.user_id)).body, res.body, 'refused patches change nothing');
});

test('changing the email moves the login to the new address and frees the old one', async () => {
  const { user, email, password } = await createUser({ email_verified: true });
  const first = await assertSignInWorks(email, password, 'sign-in with the first address');
  assert.equal(first.idToken.email, email);

  const local = randomName('moved');
  const res = await api(tenant, admin, 'PATCH', userPath(user.user_id), { email: ` ${local.toUpperCase()}@Example.TEST` });
  assert.equal(res.status, 200, res.text);
  const newEmail = `${local}@example.test`;
  assert.equal(res.body.email, newEmail, 'normalized');
  assert.equal(res.body.email_verified, false, 'a new address is not verified');
  assert.equal(res.body.user_id, user.user_id);
  assert.equal(res.body.logins_count, 1, 'the first sign-in was counted');
  assert.match(res.body.last_login, RFC3339);

  assert.deepEqual(await byEmail(email), [], 'the old address finds nobody');
  assert.deepEqual((await byEmail(newEmail)).map((u) => u.user_id), [user.user_id]);

  await assertSignInRefused(email, password, 'Wrong email or password.', 'the old address');
  const moved = await assertSignInWorks(newEmail, password, 'the new address');
  assert.equal(moved.idToken.sub, user.user_id);
  assert.equal(moved.idToken.email, newEmail);
  assert.equal(moved.idToken.email_verified, false);

  // The old address can be given to someone else.
  const { user: other } = await createUser({ email });
  assert.notEqual(other.user_id, user.user_id);
});

test('an email taken by another user cannot be patched in', async () => {
  const a = await createUser();
  const b = await createUser();
  const res = await api(tenant, admin, 'PATCH', userPath(b.user.user_id), { email: a.email.toUpperCase() });
  assertManagementError(res, 409, 'auth0_idp_error');
  assert.equal((await getUser(b.user.user_id)).body.email, b.email);
  assert.deepEqual((await byEmail(a.email)).map((u) => u.user_id), [a.user.user_id]);
  // Setting one's own address again is no conflict.
  const same = await api(tenant, admin, 'PATCH', userPath(b.user.user_id), { email: b.email });
  assert.equal(same.status, 200, same.text);
});

test('a new password replaces the old one at the login, and a weak one is refused', async () => {
  const { user, email, password } = await createUser();
  const weak = await api(tenant, admin, 'PATCH', userPath(user.user_id), { password: 'short' });
  assertManagementError(weak, 400, 'invalid_body');
  assert.match(weak.body.message, /PasswordStrengthError/);
  const asEmail = await api(tenant, admin, 'PATCH', userPath(user.user_id), { password: email });
  assertManagementError(asEmail, 400, 'invalid_body');
  await assertSignInWorks(email, password, 'the password after refused changes');

  const next = randomPassword();
  const res = await api(tenant, admin, 'PATCH', userPath(user.user_id), { password: next });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.password, undefined);
  await assertSignInRefused(email, password, 'Wrong email or password.', 'the old password');
  await assertSignInWorks(email, next, 'the new password');
});

test('a blocked user cannot sign in and loses their session; unblocking lets them back in', async () => {
  const { user, email, password } = await createUser();
  const { params, browser } = await assertSignInWorks(email, password, 'before the block');
  const userinfo = () => rawApi(tenant, params.access_token, 'GET', '/userinfo');
  assert.equal((await userinfo()).status, 200);

  const res = await api(tenant, admin, 'PATCH', userPath(user.user_id), { blocked: true });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.blocked, true);

  // The session no longer signs anyone in: a silent request is login_required.
  const silent = await browser.request(`/authorize?${appQuery({ prompt: 'none', state: 'blocked' })}`);
  assert.equal(silent.status, 302, silent.text);
  const answer = fragmentParams(silent.location);
  assert.equal(answer.error, 'login_required', silent.location);
  assert.equal(answer.access_token, undefined);
  // Tokens already issued no longer read the profile.
  assert.equal((await userinfo()).status, 401);
  // And the password no longer works.
  const { res: refused, browser: fresh } = await signIn(email, password);
  assert.equal(refused.status, 400, refused.text);
  assert.match(testIdText(refused.text, 'login-error') ?? '', /blocked/i);
  assert.equal(fresh.cookie('tenant_session'), undefined);

  const unblocked = await api(tenant, admin, 'PATCH', userPath(user.user_id), { blocked: false });
  assert.equal(unblocked.body.blocked, false);
  await assertSignInWorks(email, password, 'after unblocking');
});

test('deleting a user: 204, then 404; no login, no session, and the address is free again', async () => {
  const { user, email, password } = await createUser();
  const { browser } = await assertSignInWorks(email, password, 'before the deletion');

  const res = await api(tenant, admin, 'DELETE', userPath(user.user_id));
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
  assertManagementError(await getUser(user.user_id), 404, 'inexistent_user');
  assertManagementError(await api(tenant, admin, 'DELETE', userPath(user.user_id)), 404, 'inexistent_user');
  assert.deepEqual(await byEmail(email), []);

  const silent = await browser.request(`/authorize?${appQuery({ prompt: 'none' })}`);
  assert.equal(fragmentParams(silent.location).error, 'login_required', `the session died with the user: ${silent.location}`);
  await assertSignInRefused(email, password, 'Wrong email or password.', 'a deleted user');

  const again = await createUser({ email });
  assert.notEqual(again.user.user_id, user.user_id, 'a new user gets a new id');
  assert.equal(again.user.logins_count, 0);
});

// ---------------------------------------------------------------------------
// Permissions

describe('permissions', () => {
  let resourceServer;
  before(async () => {
    resourceServer = await createApi(tenant, admin, {
      name: randomName('Reports'),
      scopes: [
        { value: 'read:reports', description: 'Read reports' },
        { value: 'write:reports', description: 'Write reports' },
      ],
      enforce_policies: true,
    });
  });

  const ref = (permission_name, resource_server_identifier = resourceServer.identifier) => ({
    resource_server_identifier,
    permission_name,
  });

  async function listPermissions(userId, query = '') {
    const res = await api(tenant, admin, 'GET', userPath(userId, `/permissions${query}`));
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  test('permissions are assigned, listed in Auth0 shape and removed', async () => {
    const { user } = await createUser();
    assert.deepEqual(await listPermissions(user.user_id), []);

    const add = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), {
      permissions: [ref('read:reports'), ref('write:reports')],
    });
    assert.equal(add.status, 201, add.text);
    const listed = await listPermissions(user.user_id);
    assert.equal(listed.length, 2, JSON.stringify(listed));
    const read = listed.find((p) => p.permission_name === 'read:reports');
    assert.equal(read.description, 'Read reports');
    assert.equal(read.resource_server_name, resourceServer.name);
    assert.equal(read.resource_server_identifier, resourceServer.identifier);
    assert.ok(Array.isArray(read.sources) && read.sources.length === 1, JSON.stringify(read));
    assert.equal(read.sources[0].source_type, 'DIRECT');

    // Assigning one again adds nothing.
    const again = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), { permissions: [ref('read:reports')] });
    assert.equal(again.status, 201, again.text);
    const totals = await listPermissions(user.user_id, '?include_totals=true&per_page=1');
    assert.equal(totals.total, 2);
    assert.equal(totals.permissions.length, 1);

    const remove = await api(tenant, admin, 'DELETE', userPath(user.user_id, '/permissions'), { permissions: [ref('write:reports')] });
    assert.equal(remove.status, 204, remove.text);
    assert.deepEqual((await listPermissions(user.user_id)).map((p) => p.permission_name), ['read:reports']);
  });

  test('a scope the API does not define is 400, an unknown API 404, and nothing is assigned', async () => {
    const { user } = await createUser();
    const undefinedScope = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), {
      permissions: [ref('read:reports'), ref('delete:reports')],
    });
    assertManagementError(undefinedScope, 400, 'invalid_body');
    const unknownApi = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), {
      permissions: [ref('read:reports', 'https://nowhere.example.test/')],
    });
    assertManagementError(unknownApi, 404);
    const empty = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), { permissions: [] });
    assertManagementError(empty, 400, 'invalid_body');
    const unknownField = await api(tenant, admin, 'POST', userPath(user.user_id, '/permissions'), {
      permissions: [{ ...ref('read:reports'), sources: [] }],
    });
    assertManagementError(unknownField, 400, 'invalid_body');
    assert.deepEqual(await listPermissions(user.user_id), [], 'refused requests assign nothing');
  });
});

// ---------------------------------------------------------------------------
// Scopes

test('each users route needs its own scope; a token without it gets 403 and changes nothing', async () => {
  const { user, email } = await createUser({ name: 'Scoped' });
  const resourceServer = await createApi(tenant, admin);
  const tokens = {};
  for (const scope of ['read:users', 'create:users', 'update:users', 'delete:users']) {
    tokens[scope] = (await limitedManagementClient(tenant, admin, [scope])).token;
  }
  const others = (scope) => Object.entries(tokens).filter(([s]) => s !== scope).map(([, token]) => token);

  const operations = {
    'read:users': [
      (token) => api(tenant, token, 'GET', '/api/v2/users'),
      (token) => api(tenant, token, 'GET', userPath(user.user_id)),
      (token) => api(tenant, token, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`),
      (token) => api(tenant, token, 'GET', userPath(user.user_id, '/permissions')),
    ],
    'create:users': [],
    'update:users': [
      (token) => api(tenant, token, 'PATCH', userPath(user.user_id), { name: 'Renamed by a token without update:users' }),
      (token) =>
        api(tenant, token, 'POST', userPath(user.user_id, '/permissions'), {
          permissions: [{ resource_server_identifier: resourceServer.identifier, permission_name: 'read:things' }],
        }),
    ],
    'delete:users': [(token) => api(tenant, token, 'DELETE', userPath(user.user_id))],
  };
  for (const [scope, calls] of Object.entries(operations)) {
    for (const call of calls) {
      for (const token of others(scope)) {
        const res = await call(token);
        assertManagementError(res, 403, 'insufficient_scope');
        assert.match(res.body.message, new RegExp(scope));
      }
    }
  }
  const refusedEmail = randomEmail('refused');
  for (const token of others('create:users')) {
    const res = await api(tenant, token, 'POST', '/api/v2/users', { connection: DATABASE_CONNECTION, email: refusedEmail, password: randomPassword() });
    assertManagementError(res, 403, 'insufficient_scope');
  }

  // Nothing the refused calls asked for happened.
  const after = await getUser(user.user_id);
  assert.equal(after.status, 200, 'not deleted');
  assert.equal(after.body.name, 'Scoped', 'not renamed');
  assert.deepEqual((await api(tenant, admin, 'GET', userPath(user.user_id, '/permissions'))).body, [], 'no permission');
  assert.deepEqual(await byEmail(refusedEmail), [], 'not created');

  // Each scope is enough for its own routes.
  for (const call of operations['read:users']) assert.equal((await call(tokens['read:users'])).status, 200);
  const created = await api(tenant, tokens['create:users'], 'POST', '/api/v2/users', {
    connection: DATABASE_CONNECTION,
    email: randomEmail('created'),
    password: randomPassword(),
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((await operations['update:users'][0](tokens['update:users'])).status, 200);
  assert.equal((await operations['update:users'][1](tokens['update:users'])).status, 201);
  assert.equal((await operations['delete:users'][0](tokens['delete:users'])).status, 204);
});

test('without a Management API token the users routes are 401', async () => {
  const { user } = await createUser();
  const resourceServer = await createApi(tenant, admin);
  const m2m = await limitedManagementClient(tenant, admin, ['read:users']);
  // A valid token, but for another API.
  await createGrant(tenant, admin, m2m.client.client_id, resourceServer.identifier, ['read:things']);
  const other = await getAccessToken(tenant.baseUrl, {
    clientId: m2m.client.client_id,
    clientSecret: m2m.client.client_secret,
    audience: resourceServer.identifier,
  });
  for (const token of [null, 'not-a-token', other.access_token]) {
    assertManagementError(await api(tenant, token, 'GET', userPath(user.user_id)), 401);
    assertManagementError(await api(tenant, token, 'GET', '/api/v2/users'), 401);
  }
});

// ---------------------------------------------------------------------------
// The official Auth0 Node SDK

/**
 * TRANSPORT ONLY. The SDK always builds `https://{domain}/...` URLs, while the
 * local tenant speaks plain http on 127.0.0.1. This `fetch`, handed to the SDK
 * through its documented `fetch` option, changes the scheme of requests to
 * this tenant's origin from https to http and nothing else; it also records
 * each response body for the password check at the end.
 */
function httpTransportFor(t) {
  const sdkOrigin = t.baseUrl.replace(/^http:/, 'https:');
  return async (input, init) => {
    const url = input instanceof URL ? input.href : input;
    if (typeof url !== 'string') throw new Error(`unexpected fetch input from the SDK: ${input}`);
    if (!url.startsWith(`${sdkOrigin}/`)) throw new Error(`the SDK called an unexpected URL: ${url}`);
    if (typeof init?.body === 'string' && init.body.includes('"password"')) {
      const sent = JSON.parse(init.body).password;
      if (typeof sent === 'string') passwords.add(sent);
    }
    const res = await fetch(`${t.baseUrl}${url.slice(sdkOrigin.length)}`, init);
    responses.push({ what: `SDK ${init?.method ?? 'GET'} ${url}`, text: await res.clone().text() });
    return res;
  };
}

function sdkFor(t, credentials) {
  return new ManagementClient({
    domain: new URL(t.baseUrl).host,
    audience: managementAudience(t),
    ...credentials,
    fetch: httpTransportFor(t),
    maxRetries: 0,
  });
}

describe('through the Auth0 Node SDK', () => {
  let management;
  let resourceServer;
  before(async () => {
    management = sdkFor(tenant, { clientId: tenant.bootstrap.clientId, clientSecret: tenant.bootstrap.clientSecret });
    resourceServer = await createApi(tenant, admin, {
      scopes: [
        { value: 'read:notes', description: 'Read notes' },
        { value: 'write:notes', description: 'Write notes' },
      ],
    });
  });

  test('an admin creates, reads, updates and deletes a user with the SDK', async () => {
    const email = randomEmail('sdk');
    const password = randomPassword();
    const created = await management.users.create({
      connection: DATABASE_CONNECTION,
      email: email.toUpperCase(),
      password,
      name: 'SDK User',
      email_verified: true,
    });
    assert.match(created.user_id, USER_ID);
    assert.equal(created.email, email);
    assert.equal(created.name, 'SDK User');
    assert.equal(created.email_verified, true);
    assert.equal(created.identities[0].provider, 'auth0');
    assert.equal(created.password, undefined);

    // The SDK URL-encodes the `|` of the id in the path.
    const read = await management.users.get(created.user_id);
    assert.equal(read.user_id, created.user_id);
    assert.equal(read.email, email);

    const updated = await management.users.update(created.user_id, { nickname: 'sdk-nick', blocked: true });
    assert.equal(updated.nickname, 'sdk-nick');
    assert.equal(updated.blocked, true);
    assert.equal((await management.users.get(created.user_id)).blocked, true);

    const found = await management.users.listUsersByEmail({ email });
    assert.deepEqual(found.map((u) => u.user_id), [created.user_id]);

    const listed = await management.users.list({ q: email, per_page: 10 });
    assert.deepEqual(listed.data.map((u) => u.user_id), [created.user_id]);

    await management.users.delete(created.user_id);
    await assert.rejects(management.users.get(created.user_id), (err) => {
      assert.equal(err.statusCode, 404, String(err));
      assert.equal(err.body?.errorCode, 'inexistent_user', JSON.stringify(err.body));
      return true;
    });
  });

  test('a user signs in with a password set through the SDK', async () => {
    const email = randomEmail('sdk-login');
    const created = await management.users.create({ connection: DATABASE_CONNECTION, email, password: randomPassword() });
    const password = randomPassword();
    await management.users.update(created.user_id, { password });
    const { idToken } = await assertSignInWorks(email, password, 'the password set with users.update');
    assert.equal(idToken.sub, created.user_id);
    assert.equal((await management.users.get(created.user_id)).logins_count, 1);
  });

  test('an admin assigns, lists and removes permissions with the SDK', async () => {
    const { user } = await createUser();
    await management.users.permissions.create(user.user_id, {
      permissions: [
        { resource_server_identifier: resourceServer.identifier, permission_name: 'read:notes' },
        { resource_server_identifier: resourceServer.identifier, permission_name: 'write:notes' },
      ],
    });
    const page = await management.users.permissions.list(user.user_id);
    const names = page.data.map((p) => p.permission_name).sort();
    assert.deepEqual(names, ['read:notes', 'write:notes']);
    for (const permission of page.data) {
      assert.equal(permission.resource_server_identifier, resourceServer.identifier);
      assert.equal(permission.resource_server_name, resourceServer.name);
      assert.equal(permission.sources[0].source_type, 'DIRECT');
    }

    await management.users.permissions.delete(user.user_id, {
      permissions: [{ resource_server_identifier: resourceServer.identifier, permission_name: 'read:notes' }],
    });
    const after = await management.users.permissions.list(user.user_id);
    assert.deepEqual(after.data.map((p) => p.permission_name), ['write:notes']);

    await assert.rejects(
      management.users.permissions.create(user.user_id, {
        permissions: [{ resource_server_identifier: resourceServer.identifier, permission_name: 'admin:notes' }],
      }),
      (err) => {
        assert.equal(err.statusCode, 400, String(err));
        assert.equal(err.body?.errorCode, 'invalid_body');
        return true;
      },
    );
  });

  test('the SDK pages through users with include_totals', async () => {
    const marker = randomName('sdkpage').replace('-', '');
    const ids = new Set();
    for (let i = 0; i < 3; i++) ids.add((await createUser({ email: `${marker}${i}@example.test` })).user.user_id);
    const first = await management.users.list({ q: marker, per_page: 2, page: 0, include_totals: true });
    assert.equal(first.data.length, 2);
    assert.equal(first.response.total, 3);
    const seen = [];
    for await (const user of first) seen.push(user.user_id);
    assert.deepEqual(new Set(seen), ids, 'iterating the page fetches the rest');
    assert.equal(seen.length, 3);
  });

  test('the SDK surfaces 409 and 400 with Auth0 error bodies', async () => {
    const { email } = await createUser();
    await assert.rejects(management.users.create({ connection: DATABASE_CONNECTION, email, password: randomPassword() }), (err) => {
      assert.equal(err.statusCode, 409, String(err));
      assert.equal(err.body?.errorCode, 'auth0_idp_error');
      assert.equal(err.body?.message, 'The user already exists.');
      return true;
    });
    await assert.rejects(management.users.create({ connection: DATABASE_CONNECTION, email: randomEmail(), password: 'short' }), (err) => {
      assert.equal(err.statusCode, 400, String(err));
      assert.equal(err.body?.errorCode, 'invalid_body');
      assert.match(err.body?.message ?? '', /PasswordStrengthError/);
      return true;
    });
  });

  test('the SDK reports 403 when its token lacks create:users, and no user is created', async () => {
    const { token } = await limitedManagementClient(tenant, admin, ['read:users']);
    const limited = sdkFor(tenant, { token });
    const email = randomEmail('sdk-refused');
    await assert.rejects(limited.users.create({ connection: DATABASE_CONNECTION, email, password: randomPassword() }), (err) => {
      assert.equal(err.statusCode, 403, String(err));
      assert.equal(err.body?.errorCode, 'insufficient_scope');
      return true;
    });
    assert.deepEqual(await limited.users.listUsersByEmail({ email }), []);
  });
});

// ---------------------------------------------------------------------------

test('no response in this file carried a password or a password hash', () => {
  assert.ok(responses.length > 50, `responses were recorded (${responses.length})`);
  assert.ok(passwords.size > 10, `passwords were recorded (${passwords.size})`);
  for (const { what, text } of responses) {
    for (const password of passwords) {
      // Short test passwords like "12345678" could occur by chance in a JWT,
      // and an email tried as a password is rightly shown as an email; every
      // generated password is long and random.
      if (password.length < 16 || password.includes('@')) continue;
      assert.ok(!text.includes(password), `${what} echoed a password`);
    }
    assert.doesNotMatch(text, /"password(_hash)?"\s*:/, `${what} has a password field`);
    assert.doesNotMatch(text, /pbkdf2/i, `${what} shows a password hash`);
  }
});
