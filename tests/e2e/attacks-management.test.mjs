// Who must not get into the Management API (/api/v2), route by route: the
// table below is the route table of worker/src/management.rs (`route` and
// `Operation::scope`), each route with a real target and a body that would
// succeed with the right token. For every route, tokens that are genuine
// but wrong are refused and write nothing:
// - a Management token holding every scope but the route's: 403;
// - a token for another API, an ID token (even an admin's), the admin's
//   access token for another API: 401;
// - the tokens a third-party (dynamically registered) app can obtain: 401;
//   and a third-party app can get no Management token at all, by any grant;
// - a person without Management permissions: 403.
// A registered app cannot change its own settings through /api/v2 either.
//
// openapi.test.mjs already checks every documented operation for 401
// without a token or with a malformed one, and 403 with all scopes but one,
// against ids that do not exist and without bodies; here the targets exist
// and the bodies are valid, so a refusal that came too late would show.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  createApi,
  createGrant,
  createM2MClient,
  createUser,
  csrfField,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  limitedManagementClient,
  MANAGEMENT_SCOPES,
  managementAudience,
  mgmtToken,
  randomEmail,
  randomName,
  randomPassword,
  registerClient,
  registrationRequest,
  setDynamicRegistration,
  startTenant,
  tokenRequest,
  userPath,
} from './harness.mjs';

let tenant;
let admin;
/** What the routes act on. */
const target = {};
/** `scope` -> a Management token holding every other scope. */
const allBut = new Map();
/** Genuine tokens that are not Management tokens, by name. */
const foreign = {};
/** A person without Management permissions: a Management-audience token. */
let powerless;
/** A dynamically registered (third-party) app and what it holds. */
let thirdParty;

function freshIp() {
  return `192.0.2.${1 + crypto.randomInt(254)}`;
}

/** The person's implicit answer at the built-in app, signed in in `browser`. */
async function implicit(browser, app, user, extra) {
  const query = authorizeQuery({
    response_type: 'id_token token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: 'openid profile email',
    state: randomName('state'),
    nonce: randomName('nonce'),
    ...extra,
  });
  const res = browser.cookie('tenant_session') ? await browser.request(`/authorize?${query}`) : await hostedLogin(browser, query, user);
  assert.equal(res.status, 302, res.text);
  const params = fragmentParams(res.location);
  assert.equal(params.error, undefined, `${params.error}: ${params.error_description}`);
  return params;
}

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  await setDynamicRegistration(tenant, admin, true);
  const audience = managementAudience(tenant);

  // Targets.
  const provisioned = await (async () => {
    const resourceServer = await createApi(tenant, admin);
    const client = await createM2MClient(tenant, admin);
    const grant = await createGrant(tenant, admin, client.client_id, resourceServer.identifier, ['read:things']);
    return { resourceServer, client, grant };
  })();
  target.client = provisioned.client;
  target.api = provisioned.resourceServer;
  target.grant = provisioned.grant;
  target.user = (await createUser(tenant, admin)).user;
  // An organization with the target grant and user: what its routes act on.
  target.organization = await (async () => {
    const res = await api(tenant, admin, 'POST', '/api/v2/organizations', { name: randomName('target') });
    assert.equal(res.status, 201, res.text);
    return res.body;
  })();
  const organizationPath = `/api/v2/organizations/${target.organization.id}`;
  for (const [path, body] of [
    [`${organizationPath}/client-grants`, { grant_id: target.grant.id }],
    [`${organizationPath}/members`, { members: [target.user.user_id] }],
  ]) {
    const res = await api(tenant, admin, 'POST', path, body);
    assert.ok([201, 204].includes(res.status), `${path}: ${res.text}`);
  }
  // What the routes that add would add.
  target.spareGrant = await createGrant(tenant, admin, (await createM2MClient(tenant, admin)).client_id, provisioned.resourceServer.identifier, ['read:things']);
  target.spareUser = (await createUser(tenant, admin)).user;
  // An action, deployed, and an execution: what the Actions routes act on.
  // The execution is a failed run of another action, bound only while one
  // throwaway client asks for a token.
  const CE = { id: 'credentials-exchange', version: 'v2' };
  const createAction = async (code) => {
    const res = await api(tenant, admin, 'POST', '/api/v2/actions/actions', { name: randomName('target'), supported_triggers: [CE], code, deploy: true });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const bind = async (actions) => {
    const res = await api(tenant, admin, 'PATCH', '/api/v2/actions/triggers/credentials-exchange/bindings', {
      bindings: actions.map((action) => ({ ref: { type: 'action_id', value: action.id } })),
    });
    assert.equal(res.status, 200, res.text);
  };
  target.action = await createAction('exports.onExecuteCredentialsExchange = async (event, api) => {};\n');
  target.actionVersion = target.action.deployed_version;
  const throwaway = await createM2MClient(tenant, admin);
  await createGrant(tenant, admin, throwaway.client_id, provisioned.resourceServer.identifier, ['read:things']);
  const failing = await createAction(`exports.onExecuteCredentialsExchange = async (event) => {
    if (event.client.client_id === ${JSON.stringify(throwaway.client_id)}) throw new Error('failed on purpose');
  };\n`);
  try {
    await bind([failing]);
    const failed = await tokenRequest(tenant.baseUrl, {
      form: { grant_type: 'client_credentials', client_id: throwaway.client_id, client_secret: throwaway.client_secret, audience: provisioned.resourceServer.identifier },
    });
    assert.equal(failed.status, 500, failed.text);
    target.executionId = /see execution ([0-9a-f]{32})$/.exec(failed.body.error_description)[1];
  } finally {
    await bind([]);
  }
  for (let attempt = 0; ; attempt += 1) {
    // Written after the response it belongs to.
    const res = await api(tenant, admin, 'GET', `/api/v2/actions/executions/${target.executionId}`);
    if (res.status === 200) break;
    assert.ok(attempt < 50, `the execution is written: ${res.text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const logs = await api(tenant, admin, 'GET', '/api/v2/logs?per_page=1');
  assert.equal(logs.status, 200, logs.text);
  target.logId = logs.body[0].log_id;

  // Management tokens missing one scope each.
  for (const scope of MANAGEMENT_SCOPES) {
    allBut.set(scope, (await limitedManagementClient(tenant, admin, MANAGEMENT_SCOPES.filter((s) => s !== scope))).token);
  }

  // An admin person (every Management permission) and a powerless one.
  const app = await appConfig(tenant);
  const adminPerson = await createUser(tenant, admin);
  const grantAll = await api(tenant, admin, 'POST', userPath(adminPerson.user.user_id, '/permissions'), {
    permissions: MANAGEMENT_SCOPES.map((permission_name) => ({ resource_server_identifier: audience, permission_name })),
  });
  assert.equal(grantAll.status, 201, grantAll.text);
  const adminBrowser = new Browser(tenant);
  const adminMgmt = await implicit(adminBrowser, app, adminPerson, { audience, scope: `openid ${MANAGEMENT_SCOPES.join(' ')}` });
  // The control: this person's Management token works.
  assert.equal((await api(tenant, adminMgmt.access_token, 'GET', '/api/v2/clients')).status, 200);
  foreign["an admin's ID token"] = adminMgmt.id_token;
  foreign["an admin's access token for another API"] = (await implicit(adminBrowser, app, adminPerson, { audience: target.api.identifier, scope: 'openid read:things' })).access_token;
  const powerlessPerson = await createUser(tenant, admin);
  powerless = (await implicit(new Browser(tenant), app, powerlessPerson, { audience, scope: `openid ${MANAGEMENT_SCOPES.join(' ')}` })).access_token;

  // An M2M token for another API.
  foreign['an M2M token for another API'] = (await getAccessToken(tenant.baseUrl, {
    clientId: target.client.client_id,
    clientSecret: target.client.client_secret,
    audience: target.api.identifier,
  })).access_token;

  // A third-party app: confidential, granted an API by an admin.
  const registered = await registerClient(
    tenant,
    { client_name: 'Third Party', redirect_uris: ['https://third.example.test/cb'] },
    { headers: { 'cf-connecting-ip': freshIp() } },
  );
  assert.equal(registered.status, 201, registered.text);
  thirdParty = registered.body;
  await createGrant(tenant, admin, thirdParty.client_id, target.api.identifier, ['read:things']);
  thirdParty.apiToken = (await getAccessToken(tenant.baseUrl, {
    clientId: thirdParty.client_id,
    clientSecret: thirdParty.client_secret,
    audience: target.api.identifier,
  })).access_token;
  foreign["a third-party app's registration access token"] = thirdParty.registration_access_token;
  foreign["a third-party app's client_credentials token for an API"] = thirdParty.apiToken;
  foreign["a third-party app's client secret"] = thirdParty.client_secret;
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// The route table

const permissionBody = () => ({
  permissions: [{ resource_server_identifier: target.api.identifier, permission_name: 'read:things' }],
});

/** What an attacker would give a client: refresh tokens that never end and never rotate. */
const LASTING_REFRESH_TOKENS = { rotation_type: 'non-rotating', expiration_type: 'non-expiring', leeway: 600, infinite_token_lifetime: true, infinite_idle_token_lifetime: true };

/** [method, path, body, scope], from `route` and `Operation::scope`. */
const ROUTES = () => [
  ['GET', '/api/v2/clients', undefined, 'read:clients'],
  ['POST', '/api/v2/clients', { name: randomName('pwned'), app_type: 'spa', callbacks: ['https://evil.example/cb'], refresh_token: LASTING_REFRESH_TOKENS }, 'create:clients'],
  ['GET', `/api/v2/clients/${target.client.client_id}`, undefined, 'read:clients'],
  ['PATCH', `/api/v2/clients/${target.client.client_id}`, { name: 'pwned', callbacks: ['https://evil.example/cb'], refresh_token: LASTING_REFRESH_TOKENS }, 'update:clients'],
  ['DELETE', `/api/v2/clients/${target.client.client_id}`, undefined, 'delete:clients'],
  ['POST', `/api/v2/clients/${target.client.client_id}/rotate-secret`, undefined, 'update:client_keys'],
  ['DELETE', `/api/v2/clients/${target.client.client_id}/previous-secret`, undefined, 'update:client_keys'],
  ['GET', '/api/v2/resource-servers', undefined, 'read:resource_servers'],
  ['POST', '/api/v2/resource-servers', { name: randomName('pwned'), identifier: `https://${randomName('pwned')}.example/` }, 'create:resource_servers'],
  ['GET', `/api/v2/resource-servers/${target.api.id}`, undefined, 'read:resource_servers'],
  ['PATCH', `/api/v2/resource-servers/${target.api.id}`, { name: 'pwned' }, 'update:resource_servers'],
  ['DELETE', `/api/v2/resource-servers/${target.api.id}`, undefined, 'delete:resource_servers'],
  ['GET', '/api/v2/client-grants', undefined, 'read:client_grants'],
  ['POST', '/api/v2/client-grants', { client_id: target.client.client_id, audience: managementAudience(tenant), scope: ['read:users'] }, 'create:client_grants'],
  ['GET', `/api/v2/client-grants/${target.grant.id}`, undefined, 'read:client_grants'],
  ['PATCH', `/api/v2/client-grants/${target.grant.id}`, { scope: ['read:things', 'write:things'] }, 'update:client_grants'],
  ['DELETE', `/api/v2/client-grants/${target.grant.id}`, undefined, 'delete:client_grants'],
  ['GET', '/api/v2/tenants/settings', undefined, 'read:tenant_settings'],
  ['PATCH', '/api/v2/tenants/settings', { friendly_name: 'pwned', flags: { disable_signup: true } }, 'update:tenant_settings'],
  ['GET', '/api/v2/users', undefined, 'read:users'],
  ['POST', '/api/v2/users', { connection: 'Username-Password-Authentication', email: randomEmail('pwned'), password: randomPassword() }, 'create:users'],
  ['GET', userPath(target.user.user_id), undefined, 'read:users'],
  ['PATCH', userPath(target.user.user_id), { name: 'pwned', blocked: true }, 'update:users'],
  ['DELETE', userPath(target.user.user_id), undefined, 'delete:users'],
  ['GET', `/api/v2/users-by-email?email=${encodeURIComponent(target.user.email)}`, undefined, 'read:users'],
  ['GET', userPath(target.user.user_id, '/permissions'), undefined, 'read:users'],
  ['POST', userPath(target.user.user_id, '/permissions'), permissionBody(), 'update:users'],
  ['DELETE', userPath(target.user.user_id, '/permissions'), permissionBody(), 'update:users'],
  ['GET', '/api/v2/logs', undefined, 'read:logs'],
  ['GET', `/api/v2/logs/${target.logId}`, undefined, 'read:logs'],
  ['GET', '/api/v2/organizations', undefined, 'read:organizations'],
  ['POST', '/api/v2/organizations', { name: randomName('pwned') }, 'create:organizations'],
  ['GET', `/api/v2/organizations/${target.organization.id}`, undefined, 'read:organizations'],
  ['GET', `/api/v2/organizations/name/${target.organization.name}`, undefined, 'read:organizations'],
  ['PATCH', `/api/v2/organizations/${target.organization.id}`, { name: randomName('pwned'), display_name: 'pwned' }, 'update:organizations'],
  ['DELETE', `/api/v2/organizations/${target.organization.id}`, undefined, 'delete:organizations'],
  ['GET', `/api/v2/organizations/${target.organization.id}/client-grants`, undefined, 'read:organization_client_grants'],
  ['POST', `/api/v2/organizations/${target.organization.id}/client-grants`, { grant_id: target.spareGrant.id }, 'create:organization_client_grants'],
  ['DELETE', `/api/v2/organizations/${target.organization.id}/client-grants/${target.grant.id}`, undefined, 'delete:organization_client_grants'],
  ['GET', `/api/v2/organizations/${target.organization.id}/members`, undefined, 'read:organization_members'],
  ['POST', `/api/v2/organizations/${target.organization.id}/members`, { members: [target.spareUser.user_id] }, 'create:organization_members'],
  ['DELETE', `/api/v2/organizations/${target.organization.id}/members`, { members: [target.user.user_id] }, 'delete:organization_members'],
  ['GET', userPath(target.user.user_id, '/organizations'), undefined, 'read:organizations'],
  ['GET', `/api/v2/client-grants/${target.grant.id}/organizations`, undefined, 'read:organization_client_grants'],
  ['GET', '/api/v2/actions/actions', undefined, 'read:actions'],
  ['POST', '/api/v2/actions/actions', { name: randomName('pwned'), supported_triggers: [{ id: 'credentials-exchange', version: 'v2' }], code: OWNING_ACTION, deploy: true }, 'create:actions'],
  ['GET', `/api/v2/actions/actions/${target.action.id}`, undefined, 'read:actions'],
  ['PATCH', `/api/v2/actions/actions/${target.action.id}`, { code: OWNING_ACTION, secrets: [{ name: 'PWNED', value: 'pwned' }] }, 'update:actions'],
  ['DELETE', `/api/v2/actions/actions/${target.action.id}?force=true`, undefined, 'delete:actions'],
  ['POST', `/api/v2/actions/actions/${target.action.id}/deploy`, undefined, 'update:actions'],
  ['POST', `/api/v2/actions/actions/${target.action.id}/test`, { payload: { client: { client_id: target.client.client_id } } }, 'update:actions'],
  ['GET', `/api/v2/actions/actions/${target.action.id}/versions`, undefined, 'read:actions'],
  ['GET', `/api/v2/actions/actions/${target.action.id}/versions/${target.actionVersion.id}`, undefined, 'read:actions'],
  ['POST', `/api/v2/actions/actions/${target.action.id}/versions/${target.actionVersion.id}/deploy`, { update_draft: true }, 'update:actions'],
  ['GET', '/api/v2/actions/triggers', undefined, 'read:actions'],
  ['GET', '/api/v2/actions/triggers/credentials-exchange/bindings', undefined, 'read:actions'],
  ['PATCH', '/api/v2/actions/triggers/credentials-exchange/bindings', { bindings: [{ ref: { type: 'action_id', value: target.action.id } }] }, 'update:actions'],
  ['GET', `/api/v2/actions/executions/${target.executionId}`, undefined, 'read:actions'],
];

/** What an attacker would deploy: a claim in every token. */
const OWNING_ACTION = "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://evil.example/owned', true); };";

/** The most bytes a route's body may have: 256 KiB for an action's creation, change and test, 64 KiB for every other. */
function bodyLimit(method, path) {
  const actionCode = /^\/api\/v2\/actions\/actions(\/[^/]+(\/test)?)?$/.test(path) && ['POST', 'PATCH'].includes(method);
  return (actionCode ? 256 : 64) * 1024;
}

/** Everything the routes could change, read with the bootstrap token. */
async function snapshot() {
  const reads = [
    '/api/v2/clients?per_page=100',
    `/api/v2/clients/${target.client.client_id}`,
    '/api/v2/resource-servers?per_page=100',
    `/api/v2/resource-servers/${target.api.id}`,
    '/api/v2/client-grants?per_page=100',
    `/api/v2/client-grants/${target.grant.id}`,
    '/api/v2/tenants/settings',
    '/api/v2/users?per_page=100',
    userPath(target.user.user_id),
    userPath(target.user.user_id, '/permissions'),
    '/api/v2/organizations?per_page=100',
    `/api/v2/organizations/${target.organization.id}`,
    `/api/v2/organizations/${target.organization.id}/client-grants`,
    `/api/v2/organizations/${target.organization.id}/members`,
    userPath(target.spareUser.user_id, '/organizations'),
    '/api/v2/actions/actions?per_page=100',
    `/api/v2/actions/actions/${target.action.id}`,
    `/api/v2/actions/actions/${target.action.id}/versions`,
    '/api/v2/actions/triggers/credentials-exchange/bindings',
    '/api/v2/actions/triggers/post-login/bindings',
  ];
  const state = {};
  for (const path of reads) {
    const res = await api(tenant, admin, 'GET', path);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    state[path] = res.body;
  }
  // A rotation, or revoking a previous secret, changes none of the records
  // above (the default grace period is 0): the client's own secret still
  // getting a token shows that neither happened.
  const { client_id, client_secret } = target.client;
  const token = await tokenRequest(tenant.baseUrl, {
    form: { grant_type: 'client_credentials', client_id, client_secret, audience: target.api.identifier },
  });
  assert.equal(token.status, 200, `the target client still authenticates with its secret: ${token.text}`);
  return state;
}

function assertManagementError(res, status, errorCode, what) {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.deepEqual(Object.keys(res.body ?? {}).sort(), ['error', 'errorCode', 'message', 'statusCode'], `${what}: ${res.text}`);
  assert.equal(res.body.statusCode, status, what);
  assert.equal(res.body.errorCode, errorCode, `${what}: ${res.text}`);
  assert.equal(typeof res.body.message, 'string', what);
  if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, `${what}: a Bearer challenge`);
}

async function call(token, [method, path, body]) {
  return api(tenant, token, method, path, body);
}

// ---------------------------------------------------------------------------

test('the route table covers every scope of the Management API', () => {
  assert.equal(ROUTES().length, 58);
  assert.deepEqual([...new Set(ROUTES().map((r) => r[3]))].sort(), [...MANAGEMENT_SCOPES].sort());
});

test('every route: a Management token with every scope but its own is 403 insufficient_scope and writes nothing', async () => {
  const before = await snapshot();
  for (const route of ROUTES()) {
    const [method, path, , scope] = route;
    const res = await call(allBut.get(scope), route);
    assertManagementError(res, 403, 'insufficient_scope', `${method} ${path} without ${scope}`);
    assert.match(res.body.message, new RegExp(scope), `${method} ${path}: names ${scope}`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
});

describe('every route refuses genuine tokens that are not Management tokens with 401', () => {
  for (const name of [
    'an M2M token for another API',
    "an admin's ID token",
    "an admin's access token for another API",
    "a third-party app's registration access token",
    "a third-party app's client_credentials token for an API",
    "a third-party app's client secret",
  ]) {
    test(name, async () => {
      const before = await snapshot();
      for (const route of ROUTES()) {
        assertManagementError(await call(foreign[name], route), 401, 'invalid_token', `${route[0]} ${route[1]} with ${name}`);
      }
      assert.deepEqual(await snapshot(), before, 'nothing changed');
    });
  }
});

test('every route: a person without Management permissions is 403 and writes nothing', async () => {
  const before = await snapshot();
  for (const route of ROUTES()) {
    assertManagementError(await call(powerless, route), 403, 'insufficient_scope', `${route[0]} ${route[1]}`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
});

describe('a third-party app never gets a Management token', () => {
  const form = (extra = {}) => ({
    grant_type: 'client_credentials',
    client_id: thirdParty.client_id,
    client_secret: thirdParty.client_secret,
    audience: managementAudience(tenant),
    ...extra,
  });
  const send = (options) => tokenRequest(tenant.baseUrl, { ...options, headers: { 'cf-connecting-ip': freshIp() } });

  test('by the client credentials grant, however it asks', async () => {
    const management = managementAudience(tenant);
    for (const [what, options] of [
      ['form, client_secret_post', { form: form() }],
      ['JSON', { json: form() }],
      ['with every scope named', { form: form({ scope: MANAGEMENT_SCOPES.join(' ') }) }],
      ['with one scope', { form: form({ scope: 'read:clients' }) }],
      ['the audience without its trailing slash', { form: form({ audience: management.slice(0, -1) }) }],
      ['the audience in upper case', { form: form({ audience: management.toUpperCase() }) }],
      ['the audience with a query', { form: form({ audience: `${management}?x=1` }) }],
      ['the audience through localhost', { form: form({ audience: management.replace('127.0.0.1', 'localhost') }) }],
    ]) {
      const res = await send(options);
      assert.equal(res.status, 403, `${what}: ${res.status} ${res.text}`);
      assert.equal(res.body.error, 'access_denied', what);
      assert.ok(!('access_token' in res.body), what);
    }
  });

  test('nor can an admin grant it the Management API, even if it was created third-party through /api/v2', async () => {
    const created = await createM2MClient(tenant, admin, { is_first_party: false });
    assert.equal(created.is_first_party, false, JSON.stringify(created));
    for (const clientId of [thirdParty.client_id, created.client_id]) {
      const res = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
        client_id: clientId,
        audience: managementAudience(tenant),
        scope: ['read:clients'],
      });
      assertManagementError(res, 403, 'operation_not_supported', clientId);
      const grants = await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${clientId}&audience=${encodeURIComponent(managementAudience(tenant))}`);
      assert.deepEqual(grants.body, [], 'no grant was created');
    }
  });

  test('a first-party client made third-party loses its Management access at once, its unexpired token too', async () => {
    const { client, token } = await limitedManagementClient(tenant, admin, ['read:clients']);
    assert.equal((await api(tenant, token, 'GET', '/api/v2/clients')).status, 200);
    const demoted = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, { is_first_party: false });
    assert.equal(demoted.status, 200, demoted.text);
    const res = await send({
      form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience: managementAudience(tenant) },
    });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.error, 'access_denied');
    const old = await api(tenant, token, 'GET', '/api/v2/clients');
    assert.equal(old.status, 401, old.text);
    assert.equal(old.body.errorCode, 'invalid_token');
    assert.match(old.headers.get('www-authenticate'), /^Bearer error="invalid_token"/);
  });

  test("a deleted client's unexpired Management token is refused", async () => {
    const { client, token } = await limitedManagementClient(tenant, admin, ['read:clients']);
    assert.equal((await api(tenant, token, 'GET', '/api/v2/clients')).status, 200);
    const deleted = await api(tenant, admin, 'DELETE', `/api/v2/clients/${client.client_id}`);
    assert.equal(deleted.status, 204, deleted.text);
    const old = await api(tenant, token, 'GET', '/api/v2/clients');
    assert.equal(old.status, 401, old.text);
    assert.match(old.body.message, /no longer exists/);
  });

  test("through the implicit flow, not even for a person holding every Management permission", async () => {
    const audience = managementAudience(tenant);
    const reg = await registerClient(
      tenant,
      {
        client_name: 'Third Party SPA',
        redirect_uris: ['https://spa.third.example.test/cb'],
        token_endpoint_auth_method: 'none',
        grant_types: ['implicit'],
        response_types: ['token', 'id_token token'],
      },
      { headers: { 'cf-connecting-ip': freshIp() } },
    );
    assert.equal(reg.status, 201, reg.text);
    const person = await createUser(tenant, admin);
    const granted = await api(tenant, admin, 'POST', userPath(person.user.user_id, '/permissions'), {
      permissions: MANAGEMENT_SCOPES.map((permission_name) => ({ resource_server_identifier: audience, permission_name })),
    });
    assert.equal(granted.status, 201, granted.text);
    const query = authorizeQuery({
      response_type: 'token',
      client_id: reg.body.client_id,
      redirect_uri: 'https://spa.third.example.test/cb',
      scope: `openid ${MANAGEMENT_SCOPES.join(' ')}`,
      audience,
      state: 'mgmt',
    });
    const browser = new Browser(tenant);
    let res = await hostedLogin(browser, query, person);
    if (res.status === 200) {
      // A consent page: the person accepts; it must still not help.
      res = await browser.request(`/u/consent?${query}`, { form: { csrf: csrfField(res.text), decision: 'accept' } });
    }
    assert.equal(res.status, 302, `${res.status} ${res.text.slice(0, 300)}`);
    assert.ok(res.location.startsWith('https://spa.third.example.test/cb#'), res.location);
    const params = fragmentParams(res.location);
    assert.equal(params.error, 'access_denied', res.location);
    assert.equal(params.access_token, undefined);
    assert.equal(params.state, 'mgmt');
  });

  test('through the authorization code flow, with PKCE and offline access: no code, no refresh token', async () => {
    const audience = managementAudience(tenant);
    const callback = 'https://code.third.example.test/cb';
    const reg = await registerClient(
      tenant,
      {
        client_name: 'Third Party Code',
        redirect_uris: [callback],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      { headers: { 'cf-connecting-ip': freshIp() } },
    );
    assert.equal(reg.status, 201, reg.text);
    const person = await createUser(tenant, admin);
    const granted = await api(tenant, admin, 'POST', userPath(person.user.user_id, '/permissions'), {
      permissions: MANAGEMENT_SCOPES.map((permission_name) => ({ resource_server_identifier: audience, permission_name })),
    });
    assert.equal(granted.status, 201, granted.text);
    const verifier = crypto.randomBytes(32).toString('base64url');
    const query = authorizeQuery({
      response_type: 'code',
      client_id: reg.body.client_id,
      redirect_uri: callback,
      scope: `openid offline_access ${MANAGEMENT_SCOPES.join(' ')}`,
      audience,
      state: 'mgmt',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const browser = new Browser(tenant);
    let res = await hostedLogin(browser, query, person);
    if (res.status === 200) {
      // A consent page: the person accepts; it must still not help.
      res = await browser.request(`/u/consent?${query}`, { form: { csrf: csrfField(res.text), decision: 'accept' } });
    }
    assert.equal(res.status, 302, `${res.status} ${res.text.slice(0, 300)}`);
    assert.ok(res.location.startsWith(`${callback}?`), res.location);
    const params = Object.fromEntries(new URL(res.location).searchParams);
    assert.equal(params.error, 'access_denied', res.location);
    assert.equal(params.code, undefined);
    assert.equal(params.state, 'mgmt');
  });
});

describe('a registered app cannot change its own settings through /api/v2', () => {
  const takeover = () => [
    ['PATCH', `/api/v2/clients/${thirdParty.client_id}`, { is_first_party: true }],
    ['PATCH', `/api/v2/clients/${thirdParty.client_id}`, { grant_types: ['client_credentials', 'implicit', 'password'] }],
    ['PATCH', `/api/v2/clients/${thirdParty.client_id}`, { callbacks: ['https://evil.example/cb'], allowed_logout_urls: ['https://evil.example/'] }],
    ['PATCH', `/api/v2/clients/${thirdParty.client_id}`, { token_endpoint_auth_method: 'none' }],
    ['PATCH', `/api/v2/clients/${thirdParty.client_id}`, { grant_types: ['authorization_code', 'refresh_token'], refresh_token: LASTING_REFRESH_TOKENS }],
    ['POST', `/api/v2/clients/${thirdParty.client_id}/rotate-secret`, undefined],
    ['POST', '/api/v2/client-grants', { client_id: thirdParty.client_id, audience: managementAudience(tenant), scope: ['read:clients'] }],
    ['POST', '/api/v2/client-grants', { client_id: thirdParty.client_id, audience: target.api.identifier, scope: ['write:things'] }],
  ];

  async function settings() {
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${thirdParty.client_id}`);
    assert.equal(client.status, 200, client.text);
    const grants = await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${thirdParty.client_id}`);
    return { client: client.body, grants: grants.body };
  }

  test('with any token it holds, in any scheme', async () => {
    const before = await settings();
    assert.equal(before.client.is_first_party, false);
    const tokens = [
      ['its registration access token', thirdParty.registration_access_token],
      ['its client_credentials token', thirdParty.apiToken],
      ['its client secret', thirdParty.client_secret],
    ];
    for (const [what, token] of tokens) {
      for (const route of takeover()) {
        assertManagementError(await call(token, route), 401, 'invalid_token', `${route[0]} ${route[1]} with ${what}`);
      }
    }
    for (const route of takeover()) {
      const basic = `Basic ${Buffer.from(`${thirdParty.client_id}:${thirdParty.client_secret}`).toString('base64')}`;
      const res = await api(tenant, null, route[0], route[1], route[2], { authorization: basic });
      assertManagementError(res, 401, 'invalid_token', `${route[0]} ${route[1]} with HTTP Basic`);
    }
    assert.deepEqual(await settings(), before, 'its settings are unchanged');
  });

  test('nor by slipping Management settings into an RFC 7592 update', async () => {
    const before = await settings();
    const res = await registrationRequest(thirdParty.registration_client_uri, 'PUT', thirdParty.registration_access_token, {
      client_id: thirdParty.client_id,
      client_name: 'Third Party',
      redirect_uris: ['https://third.example.test/cb'],
      is_first_party: true,
      app_type: 'non_interactive',
      callbacks: ['https://evil.example/cb'],
      jwt_configuration: { alg: 'HS256' },
      client_metadata: { role: 'admin' },
    });
    if (res.status === 200) {
      const after = await settings();
      assert.equal(after.client.is_first_party, false, 'still third-party');
      assert.deepEqual(after.client.callbacks, ['https://third.example.test/cb']);
      assert.deepEqual(after.client.jwt_configuration, before.client.jwt_configuration);
      assert.deepEqual(after.client.client_metadata, before.client.client_metadata);
      assert.deepEqual(after.grants, before.grants);
    } else {
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(await settings(), before, 'unchanged');
    }
    // And it still cannot get a Management token.
    const token = await tokenRequest(tenant.baseUrl, {
      form: {
        grant_type: 'client_credentials',
        client_id: thirdParty.client_id,
        client_secret: thirdParty.client_secret,
        audience: managementAudience(tenant),
      },
      headers: { 'cf-connecting-ip': freshIp() },
    });
    assert.equal(token.status, 403, token.text);
  });
});

test('an oversized body streamed without a Content-Length is 413 on every route with a body, and writes nothing', async () => {
  const before = await snapshot();
  const encoder = new TextEncoder();
  for (const [method, path, body] of ROUTES().filter((route) => route[2] !== undefined)) {
    // Valid JSON at first, so the route starts reading it; 32 KiB past its limit.
    const start = `${JSON.stringify(body).slice(0, -1)},"padding":"`;
    const size = bodyLimit(method, path) + 32 * 1024;
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= size) return controller.close();
        const piece = sent === 0 ? start : 'x'.repeat(8 * 1024);
        sent += piece.length;
        controller.enqueue(encoder.encode(piece));
      },
    });
    const res = await fetch(`${tenant.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    assert.equal(res.status, 413, `${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    assert.equal(JSON.parse(text).errorCode, 'payload_too_large', `${method} ${path}`);
  }
  assert.deepEqual(await snapshot(), before, 'nothing changed');
});

// ---------------------------------------------------------------------------
// Access that is withdrawn, and access that is passed on

/** The bootstrap client's view of a user's direct permissions. */
async function permissionsOf(userId) {
  const res = await api(tenant, admin, 'GET', userPath(userId, '/permissions?per_page=100'));
  assert.equal(res.status, 200, res.text);
  return res.body.map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort();
}

/** A new person holding `scopes` on the Management API, signed in at the built-in app for a Management token. */
async function personHolding(scopes) {
  const audience = managementAudience(tenant);
  const person = await createUser(tenant, admin);
  const granted = await api(tenant, admin, 'POST', userPath(person.user.user_id, '/permissions'), {
    permissions: scopes.map((permission_name) => ({ resource_server_identifier: audience, permission_name })),
  });
  assert.equal(granted.status, 201, granted.text);
  const params = await implicit(new Browser(tenant), await appConfig(tenant), person, { audience, scope: `openid ${scopes.join(' ')}` });
  assert.equal(params.scope, `openid ${scopes.join(' ')}`);
  return { ...person, token: params.access_token };
}

describe("a person's Management token holds what the person holds now, not what they held when it was issued", () => {
  test('a permission taken away stops working at once; the others keep working', async () => {
    const person = await personHolding(['read:users', 'read:clients']);
    assert.equal((await api(tenant, person.token, 'GET', '/api/v2/users')).status, 200);
    const removed = await api(tenant, admin, 'DELETE', userPath(person.user.user_id, '/permissions'), {
      permissions: [{ resource_server_identifier: managementAudience(tenant), permission_name: 'read:users' }],
    });
    assert.equal(removed.status, 204, removed.text);
    assertManagementError(await api(tenant, person.token, 'GET', '/api/v2/users'), 403, 'insufficient_scope', 'after read:users was taken away');
    assert.equal((await api(tenant, person.token, 'GET', '/api/v2/clients')).status, 200, 'read:clients is still held');
  });

  test('blocked: every route is 401 at once; unblocked: the token works again for what is still held', async () => {
    const person = await personHolding(['read:users', 'update:users']);
    const block = (blocked) => api(tenant, admin, 'PATCH', userPath(person.user.user_id), { blocked });
    assert.equal((await block(true)).status, 200);
    const before = await snapshot();
    for (const route of ROUTES()) {
      const res = await call(person.token, route);
      assertManagementError(res, 401, 'invalid_token', `${route[0]} ${route[1]} by a blocked person`);
      assert.match(res.body.message, /blocked or no longer exists/);
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed');
    assert.equal((await block(false)).status, 200);
    assert.equal((await api(tenant, person.token, 'GET', '/api/v2/users')).status, 200);
  });

  test('deleted: 401', async () => {
    const person = await personHolding(['read:users']);
    assert.equal((await api(tenant, admin, 'DELETE', userPath(person.user.user_id))).status, 204);
    assertManagementError(await api(tenant, person.token, 'GET', '/api/v2/users'), 401, 'invalid_token', 'a deleted person');
  });

  test("a client's Management token loses what is taken from its grant, and everything with the grant", async () => {
    const { client, token } = await limitedManagementClient(tenant, admin, ['read:clients', 'read:users']);
    const grants = await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${client.client_id}`);
    const grant = grants.body.find((g) => g.audience === managementAudience(tenant));
    const narrowed = await api(tenant, admin, 'PATCH', `/api/v2/client-grants/${grant.id}`, { scope: ['read:clients'] });
    assert.equal(narrowed.status, 200, narrowed.text);
    assertManagementError(await api(tenant, token, 'GET', '/api/v2/users'), 403, 'insufficient_scope', 'a scope taken from the grant');
    assert.equal((await api(tenant, token, 'GET', '/api/v2/clients')).status, 200);
    assert.equal((await api(tenant, admin, 'DELETE', `/api/v2/client-grants/${grant.id}`)).status, 204);
    assertManagementError(await api(tenant, token, 'GET', '/api/v2/clients'), 403, 'insufficient_scope', 'the grant deleted');
  });
});

describe('no caller passes on a Management API permission it does not hold', () => {
  test('a person with update:users cannot give themselves, or anyone, what they lack: 403 in Auth0 format, nothing written', async () => {
    const person = await personHolding(['update:users', 'read:users']);
    const audience = managementAudience(tenant);
    const before = await permissionsOf(person.user.user_id);
    for (const scopes of [MANAGEMENT_SCOPES, ['delete:users'], ['read:users', 'create:clients']]) {
      const res = await api(tenant, person.token, 'POST', userPath(person.user.user_id, '/permissions'), {
        permissions: scopes.map((permission_name) => ({ resource_server_identifier: audience, permission_name })),
      });
      assertManagementError(res, 403, 'insufficient_scope', `assigning ${scopes.join(' ')}`);
      assert.match(res.body.message, /^Only Management API permissions the caller holds can be granted; missing: /);
      assert.equal(res.body.error, 'Forbidden');
    }
    assert.deepEqual(await permissionsOf(person.user.user_id), before, 'nothing was assigned');
    // Another person's permissions likewise; what the caller holds it may pass on.
    const other = await createUser(tenant, admin);
    const refused = await api(tenant, person.token, 'POST', userPath(other.user.user_id, '/permissions'), {
      permissions: [{ resource_server_identifier: audience, permission_name: 'update:tenant_settings' }],
    });
    assertManagementError(refused, 403, 'insufficient_scope', "assigning another person what the caller lacks");
    const passed = await api(tenant, person.token, 'POST', userPath(other.user.user_id, '/permissions'), {
      permissions: [
        { resource_server_identifier: audience, permission_name: 'read:users' },
        { resource_server_identifier: target.api.identifier, permission_name: 'write:things' },
      ],
    });
    assert.equal(passed.status, 201, passed.text);
  });

  test('a client with create:client_grants cannot grant the Management API beyond its own scopes', async () => {
    const { token } = await limitedManagementClient(tenant, admin, ['create:client_grants', 'update:client_grants', 'read:clients']);
    const other = await createM2MClient(tenant, admin);
    const grants = async () => (await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${other.client_id}`)).body;
    const refused = await api(tenant, token, 'POST', '/api/v2/client-grants', {
      client_id: other.client_id,
      audience: managementAudience(tenant),
      scope: ['read:clients', 'update:users'],
    });
    assertManagementError(refused, 403, 'insufficient_scope', 'a grant beyond the granter');
    assert.match(refused.body.message, /missing: update:users$/);
    assert.deepEqual(await grants(), [], 'no grant was written');
    const created = await api(tenant, token, 'POST', '/api/v2/client-grants', {
      client_id: other.client_id,
      audience: managementAudience(tenant),
      scope: ['read:clients'],
    });
    assert.equal(created.status, 201, created.text);
    const widened = await api(tenant, token, 'PATCH', `/api/v2/client-grants/${created.body.id}`, { scope: ['read:clients', 'delete:clients'] });
    assertManagementError(widened, 403, 'insufficient_scope', 'widening a grant beyond the granter');
    assert.deepEqual((await grants())[0].scope, ['read:clients']);
  });

  test("a person with update:users cannot take over an account that holds more: its password and email are refused", async () => {
    const person = await personHolding(['update:users', 'read:users']);
    const root = await personHolding(['read:users', 'delete:users']);
    const before = await api(tenant, admin, 'GET', userPath(root.user.user_id));
    for (const body of [{ password: randomPassword() }, { email: randomEmail('takeover') }]) {
      const res = await api(tenant, person.token, 'PATCH', userPath(root.user.user_id), body);
      assertManagementError(res, 403, 'insufficient_scope', `changing ${Object.keys(body)} of a stronger account`);
      assert.match(res.body.message, /delete:users/);
    }
    const after = await api(tenant, admin, 'GET', userPath(root.user.user_id));
    assert.deepEqual(after.body, before.body, 'the account is unchanged');
    // Its old password still signs it in.
    await implicit(new Browser(tenant), await appConfig(tenant), root, {});
    // A person holding no more than the caller is theirs to manage.
    const plain = await createUser(tenant, admin);
    assert.equal((await api(tenant, person.token, 'PATCH', userPath(plain.user.user_id), { password: randomPassword() })).status, 200);
  });
});
