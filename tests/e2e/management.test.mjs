// The Management API (Auth0 /api/v2 shape) as an administrator uses it:
// clients, APIs (resource servers) and client grants, paging, the errors it
// answers (401/403/404/400/409/405) in Auth0's format, and that a refused
// request writes nothing. Also how the sample API /api/whoami refuses bad
// bearer tokens.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { SignJWT } from 'jose';

import {
  api,
  b64urlJson,
  createApi,
  createGrant,
  createM2MClient,
  decodeJwt,
  getAccessToken,
  managementAudience,
  mgmtToken,
  provisionM2M,
  randomName,
  startTenant,
  tokenRequest,
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

// ---------------------------------------------------------------------------
// Helpers

function assertManagementError(res, status) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.body && typeof res.body === 'object', `JSON body: ${res.text}`);
  assert.equal(res.body.statusCode, status, `statusCode in ${res.text}`);
  assert.equal(typeof res.body.error, 'string', `error in ${res.text}`);
  assert.equal(typeof res.body.message, 'string', `message in ${res.text}`);
  assert.equal(typeof res.body.errorCode, 'string', `errorCode in ${res.text}`);
}

function assertBearerError(res, code) {
  assert.equal(res.status, 401, `expected 401, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.error, code, `error in ${res.text}`);
  assert.equal(typeof res.body.error_description, 'string');
}

/** Every item of a listing (plain array form), following pages of 100. */
async function listAll(path, token = admin) {
  const items = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 0; ; page++) {
    const res = await api(tenant, token, 'GET', `${path}${sep}per_page=100&page=${page}`);
    assert.equal(res.status, 200, `listing ${path}: ${res.text}`);
    assert.ok(Array.isArray(res.body), `listing ${path} is an array: ${res.text}`);
    items.push(...res.body);
    if (res.body.length < 100) return items;
  }
}

const listClients = () => listAll('/api/v2/clients');
const listResourceServers = () => listAll('/api/v2/resource-servers');
const listGrants = (query) => listAll(`/api/v2/client-grants?${new URLSearchParams(query)}`);

/** A client granted `scope` on the Management API, and a token for it. */
async function limitedManagementToken(scope) {
  const client = await createM2MClient(tenant, admin);
  await createGrant(tenant, admin, client.client_id, managementAudience(tenant), scope);
  const body = await getAccessToken(tenant.baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: managementAudience(tenant),
  });
  return body.access_token;
}

function tokenFor(client, resourceServer, extra = {}) {
  return tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: resourceServer.identifier,
      ...extra,
    },
  });
}

/** The token with its payload replaced and the original signature kept. */
function withPayload(jwt, changes) {
  const [header, , signature] = jwt.split('.');
  return `${header}.${b64urlJson({ ...decodeJwt(jwt), ...changes })}.${signature}`;
}

// ---------------------------------------------------------------------------
// Clients

describe('clients', () => {
  test('an admin creates an M2M client and sees its secret only once', async () => {
    const name = randomName('app');
    const created = await api(tenant, admin, 'POST', '/api/v2/clients', {
      name,
      app_type: 'non_interactive',
      description: 'nightly sync job',
      client_metadata: { team: 'billing' },
    });
    assert.equal(created.status, 201, created.text);
    const client = created.body;
    assert.equal(typeof client.client_id, 'string');
    assert.ok(client.client_id.length > 0);
    assert.equal(client.name, name);
    assert.equal(client.description, 'nightly sync job');
    assert.equal(client.app_type, 'non_interactive');
    assert.equal(typeof client.is_first_party, 'boolean');
    assert.equal(client.token_endpoint_auth_method, 'client_secret_post');
    assert.deepEqual(client.grant_types, ['client_credentials']);
    for (const list of ['callbacks', 'allowed_logout_urls', 'web_origins', 'allowed_origins']) {
      assert.ok(Array.isArray(client[list]), `${list} is an array`);
    }
    assert.deepEqual(client.client_metadata, { team: 'billing' });
    assert.equal(typeof client.jwt_configuration, 'object');
    assert.equal(client.global, false);
    assert.ok(!Number.isNaN(Date.parse(client.created_at)), `created_at ${client.created_at}`);
    assert.equal(typeof client.client_secret, 'string');
    assert.equal(client.client_secret.length, 64);

    const read = await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`);
    assert.equal(read.status, 200, read.text);
    assert.ok(!('client_secret' in read.body), 'GET does not return the secret');
    assert.ok(!read.text.includes(client.client_secret), 'the secret appears nowhere in GET');
    const { client_secret: _secret, ...withoutSecret } = client;
    assert.deepEqual(read.body, withoutSecret);

    const listing = await api(tenant, admin, 'GET', '/api/v2/clients');
    assert.equal(listing.status, 200, listing.text);
    const listed = listing.body.find((c) => c.client_id === client.client_id);
    assert.ok(listed, 'the new client is listed');
    assert.ok(!('client_secret' in listed));
    assert.ok(!listing.text.includes(client.client_secret), 'the secret appears nowhere in the listing');

    // The secret shown once is the one that works.
    const things = await createApi(tenant, admin);
    await createGrant(tenant, admin, client.client_id, things.identifier, ['read:things']);
    const token = await tokenFor(client, things);
    assert.equal(token.status, 200, token.text);
  });

  test('an admin renames and describes a client, and the change is kept', async () => {
    const client = await createM2MClient(tenant, admin);
    const newName = randomName('renamed');
    const patched = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, {
      name: newName,
      description: 'now with a description',
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.name, newName);
    assert.equal(patched.body.description, 'now with a description');
    assert.equal(patched.body.client_id, client.client_id);
    assert.ok(!('client_secret' in patched.body), 'PATCH does not return the secret');

    const read = await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.name, newName);
    assert.equal(read.body.description, 'now with a description');
    assert.equal(read.body.app_type, 'non_interactive');
  });

  test('a client switched to HTTP Basic must then authenticate with Basic', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const patched = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.token_endpoint_auth_method, 'client_secret_basic');

    const inBody = await tokenFor(client, resourceServer);
    assert.equal(inBody.status, 401, inBody.text);
    assert.equal(inBody.body.error, 'invalid_client');
    const withBasic = await tokenRequest(tenant.baseUrl, {
      basic: { clientId: client.client_id, clientSecret: client.client_secret },
      form: { grant_type: 'client_credentials', audience: resourceServer.identifier },
    });
    assert.equal(withBasic.status, 200, withBasic.text);
  });

  test('a deleted client is gone, loses its grants and can no longer get tokens', async () => {
    const { resourceServer, client, grant } = await provisionM2M(tenant, admin);
    const beforeDelete = await tokenFor(client, resourceServer);
    assert.equal(beforeDelete.status, 200, beforeDelete.text);

    const deleted = await api(tenant, admin, 'DELETE', `/api/v2/clients/${client.client_id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');

    assertManagementError(await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`), 404);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), []);
    assertManagementError(await api(tenant, admin, 'GET', `/api/v2/client-grants/${grant.id}`), 404);
    assert.ok(!(await listClients()).some((c) => c.client_id === client.client_id));

    const afterDelete = await tokenFor(client, resourceServer);
    assert.equal(afterDelete.status, 401, afterDelete.text);
    assert.equal(afterDelete.body.error, 'invalid_client');
  });

  test('an admin pages through clients two at a time', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push((await createM2MClient(tenant, admin)).client_id);
    const total = (await listClients()).length;

    const seen = [];
    for (let page = 0; ; page++) {
      const res = await api(tenant, admin, 'GET', `/api/v2/clients?per_page=2&page=${page}&include_totals=true`);
      assert.equal(res.status, 200, res.text);
      const { clients, start, limit, length, total: reportedTotal } = res.body;
      assert.ok(Array.isArray(clients), `clients array in ${res.text}`);
      assert.ok(clients.length <= 2, `page ${page} has ${clients.length} items`);
      assert.equal(start, page * 2);
      assert.equal(limit, 2);
      assert.equal(length, clients.length);
      assert.equal(reportedTotal, total);
      if (clients.length === 0) break;
      seen.push(...clients.map((c) => c.client_id));
      assert.ok(page < 100, 'paging ends');
    }
    assert.equal(seen.length, total, 'every client appears once across the pages');
    assert.equal(new Set(seen).size, seen.length, 'no client appears on two pages');
    for (const id of mine) assert.ok(seen.includes(id), `client ${id} is on some page`);
  });

  test('without include_totals a listing is a plain array; with it the defaults are page 0 of 50', async () => {
    await createM2MClient(tenant, admin);
    const plain = await api(tenant, admin, 'GET', '/api/v2/clients');
    assert.equal(plain.status, 200, plain.text);
    assert.ok(Array.isArray(plain.body));

    const withTotals = await api(tenant, admin, 'GET', '/api/v2/clients?include_totals=true');
    assert.equal(withTotals.status, 200, withTotals.text);
    assert.ok(!Array.isArray(withTotals.body));
    assert.deepEqual(Object.keys(withTotals.body).sort(), ['clients', 'length', 'limit', 'start', 'total']);
    assert.equal(withTotals.body.start, 0);
    assert.equal(withTotals.body.limit, 50);
    assert.equal(withTotals.body.length, withTotals.body.clients.length);
    assert.ok(withTotals.body.total >= 1);
  });

  test('creating a client with an unknown property is refused naming the property, and nothing is created', async () => {
    const name = randomName('unknown-prop');
    const res = await api(tenant, admin, 'POST', '/api/v2/clients', {
      name,
      app_type: 'non_interactive',
      favourite_colour: 'teal',
    });
    assertManagementError(res, 400);
    assert.match(res.body.message, /favourite_colour/);
    assert.ok(!(await listClients()).some((c) => c.name === name), 'no client was created');
  });

  test('creating a client without a name is refused naming the field, and nothing is created', async () => {
    const countBefore = (await listClients()).length;
    const res = await api(tenant, admin, 'POST', '/api/v2/clients', { app_type: 'non_interactive' });
    assertManagementError(res, 400);
    assert.match(res.body.message, /\bname\b/);
    assert.equal((await listClients()).length, countBefore, 'no client was created');
  });

  test('creating a client whose name is a number is refused naming the field', async () => {
    const countBefore = (await listClients()).length;
    const res = await api(tenant, admin, 'POST', '/api/v2/clients', { name: 42, app_type: 'non_interactive' });
    assertManagementError(res, 400);
    assert.match(res.body.message, /\bname\b/);
    assert.equal((await listClients()).length, countBefore, 'no client was created');
  });

  test('updating a client with an unknown property is refused and changes nothing', async () => {
    const client = await createM2MClient(tenant, admin);
    const res = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, {
      name: randomName('should-not-stick'),
      favourite_colour: 'teal',
    });
    assertManagementError(res, 400);
    assert.match(res.body.message, /favourite_colour/);
    const read = await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`);
    assert.equal(read.body.name, client.name);
  });

  test('asking for a client that does not exist is a 404', async () => {
    const res = await api(tenant, admin, 'GET', '/api/v2/clients/NoSuchClient0000000000000000000x');
    assertManagementError(res, 404);
  });

  test('updating a client that does not exist is a 404', async () => {
    const res = await api(tenant, admin, 'PATCH', '/api/v2/clients/NoSuchClient0000000000000000000x', {
      name: 'ghost',
    });
    assertManagementError(res, 404);
  });
});

// ---------------------------------------------------------------------------
// Resource servers (APIs)

describe('resource servers', () => {
  test('an admin creates an API with defaults and reads it by id and by identifier', async () => {
    const name = randomName('orders');
    const identifier = `https://${name}.example.test/`;
    const created = await api(tenant, admin, 'POST', '/api/v2/resource-servers', {
      name,
      identifier,
      scopes: [{ value: 'read:orders', description: 'Read orders' }],
    });
    assert.equal(created.status, 201, created.text);
    const rs = created.body;
    assert.equal(typeof rs.id, 'string');
    assert.equal(rs.name, name);
    assert.equal(rs.identifier, identifier);
    assert.deepEqual(rs.scopes, [{ value: 'read:orders', description: 'Read orders' }]);
    assert.equal(rs.signing_alg, 'RS256');
    assert.equal(rs.token_lifetime, 86400);
    for (const flag of ['allow_offline_access', 'skip_consent_for_verifiable_first_party_clients', 'enforce_policies']) {
      assert.equal(typeof rs[flag], 'boolean', `${flag} is a boolean`);
    }
    assert.equal(rs.is_system, false);

    const byId = await api(tenant, admin, 'GET', `/api/v2/resource-servers/${rs.id}`);
    assert.equal(byId.status, 200, byId.text);
    assert.deepEqual(byId.body, rs);
    const byIdentifier = await api(tenant, admin, 'GET', `/api/v2/resource-servers/${encodeURIComponent(identifier)}`);
    assert.equal(byIdentifier.status, 200, byIdentifier.text);
    assert.deepEqual(byIdentifier.body, rs);
  });

  test('the API list includes the tenant’s own Management API as a system API', async () => {
    const apis = await listResourceServers();
    const system = apis.find((rs) => rs.identifier === managementAudience(tenant));
    assert.ok(system, `Management API listed: ${JSON.stringify(apis.map((rs) => rs.identifier))}`);
    assert.equal(system.is_system, true);
    const values = system.scopes.map((s) => s.value);
    for (const scope of ['read:clients', 'create:clients', 'read:client_grants', 'create:resource_servers']) {
      assert.ok(values.includes(scope), `Management API defines ${scope}`);
    }
  });

  test("an admin updates an API's name, scopes and token lifetime", async () => {
    const rs = await createApi(tenant, admin);
    const newName = randomName('renamed-api');
    const scopes = [
      { value: 'read:things', description: 'Read things' },
      { value: 'delete:things', description: 'Delete things' },
    ];
    const patched = await api(tenant, admin, 'PATCH', `/api/v2/resource-servers/${rs.id}`, {
      name: newName,
      scopes,
      token_lifetime: 7200,
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.name, newName);
    assert.deepEqual(patched.body.scopes, scopes);
    assert.equal(patched.body.token_lifetime, 7200);
    assert.equal(patched.body.identifier, rs.identifier);

    const read = await api(tenant, admin, 'GET', `/api/v2/resource-servers/${rs.id}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, patched.body);
  });

  test("an API's identifier cannot be changed", async () => {
    const rs = await createApi(tenant, admin);
    const res = await api(tenant, admin, 'PATCH', `/api/v2/resource-servers/${rs.id}`, {
      identifier: `https://${randomName('moved')}.example.test/`,
    });
    assertManagementError(res, 400);
    assert.match(res.body.message, /identifier/);
    const read = await api(tenant, admin, 'GET', `/api/v2/resource-servers/${rs.id}`);
    assert.equal(read.body.identifier, rs.identifier);
  });

  test('an API with an unsupported signing algorithm is refused and not created', async () => {
    const identifier = `https://${randomName('hs')}.example.test/`;
    const res = await api(tenant, admin, 'POST', '/api/v2/resource-servers', {
      name: randomName('hs'),
      identifier,
      signing_alg: 'HS256',
    });
    assertManagementError(res, 400);
    assert.match(res.body.message, /signing_alg/);
    assert.ok(!(await listResourceServers()).some((rs) => rs.identifier === identifier));
  });

  test('an API without an identifier is refused naming the field', async () => {
    const name = randomName('no-identifier');
    const res = await api(tenant, admin, 'POST', '/api/v2/resource-servers', { name });
    assertManagementError(res, 400);
    assert.match(res.body.message, /identifier/);
    assert.ok(!(await listResourceServers()).some((rs) => rs.name === name));
  });

  test('a second API with an existing identifier is a conflict', async () => {
    const rs = await createApi(tenant, admin);
    const res = await api(tenant, admin, 'POST', '/api/v2/resource-servers', {
      name: randomName('dup'),
      identifier: rs.identifier,
    });
    assertManagementError(res, 409);
    const same = (await listResourceServers()).filter((r) => r.identifier === rs.identifier);
    assert.equal(same.length, 1);
    assert.equal(same[0].id, rs.id);
    assert.equal(same[0].name, rs.name);
  });

  test('a deleted API is gone and no token can be had for it', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const deleted = await api(tenant, admin, 'DELETE', `/api/v2/resource-servers/${resourceServer.id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assertManagementError(await api(tenant, admin, 'GET', `/api/v2/resource-servers/${resourceServer.id}`), 404);
    assert.ok(!(await listResourceServers()).some((rs) => rs.id === resourceServer.id));
    const token = await tokenFor(client, resourceServer);
    assert.equal(token.status, 403, token.text);
    assert.equal(token.body.error, 'access_denied');
  });

  test('asking for an API that does not exist is a 404', async () => {
    assertManagementError(await api(tenant, admin, 'GET', '/api/v2/resource-servers/no-such-api-id'), 404);
    assertManagementError(
      await api(tenant, admin, 'GET', `/api/v2/resource-servers/${encodeURIComponent('https://nope.example.test/')}`),
      404,
    );
  });
});

// ---------------------------------------------------------------------------
// Client grants

describe('client grants', () => {
  test('an admin grants a client scopes on an API and the client gets tokens with them', async () => {
    const rs = await createApi(tenant, admin);
    const client = await createM2MClient(tenant, admin);
    const created = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: client.client_id,
      audience: rs.identifier,
      scope: ['read:things'],
    });
    assert.equal(created.status, 201, created.text);
    const grant = created.body;
    assert.equal(typeof grant.id, 'string');
    assert.equal(grant.client_id, client.client_id);
    assert.equal(grant.audience, rs.identifier);
    assert.deepEqual(grant.scope, ['read:things']);

    const read = await api(tenant, admin, 'GET', `/api/v2/client-grants/${grant.id}`);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, grant);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), [grant]);
    assert.deepEqual(await listGrants({ audience: rs.identifier }), [grant]);
    assert.deepEqual(await listGrants({ client_id: client.client_id, audience: rs.identifier }), [grant]);

    const token = await tokenFor(client, rs);
    assert.equal(token.status, 200, token.text);
    assert.equal(token.body.scope, 'read:things');
  });

  test("updating a grant's scopes changes what the client's tokens carry", async () => {
    const { resourceServer, client, grant } = await provisionM2M(tenant, admin);
    const patched = await api(tenant, admin, 'PATCH', `/api/v2/client-grants/${grant.id}`, {
      scope: ['read:things', 'write:things'],
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual([...patched.body.scope].sort(), ['read:things', 'write:things']);
    assert.equal(patched.body.id, grant.id);

    const token = await tokenFor(client, resourceServer);
    assert.equal(token.status, 200, token.text);
    assert.deepEqual(token.body.scope.split(' ').sort(), ['read:things', 'write:things']);
  });

  test('revoking a grant stops the client getting tokens for that API', async () => {
    const { resourceServer, client, grant } = await provisionM2M(tenant, admin);
    const deleted = await api(tenant, admin, 'DELETE', `/api/v2/client-grants/${grant.id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assertManagementError(await api(tenant, admin, 'GET', `/api/v2/client-grants/${grant.id}`), 404);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), []);
    const token = await tokenFor(client, resourceServer);
    assert.equal(token.status, 403, token.text);
    assert.equal(token.body.error, 'access_denied');
  });

  test("an admin pages through a client's grants two at a time", async () => {
    const client = await createM2MClient(tenant, admin);
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const rs = await createApi(tenant, admin);
      ids.push((await createGrant(tenant, admin, client.client_id, rs.identifier, ['read:things'])).id);
    }
    const query = `client_id=${encodeURIComponent(client.client_id)}&per_page=2&include_totals=true`;
    const first = await api(tenant, admin, 'GET', `/api/v2/client-grants?${query}&page=0`);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(Object.keys(first.body).sort(), ['client_grants', 'length', 'limit', 'start', 'total']);
    assert.equal(first.body.client_grants.length, 2);
    assert.equal(first.body.start, 0);
    assert.equal(first.body.limit, 2);
    assert.equal(first.body.length, 2);
    assert.equal(first.body.total, 3);

    const second = await api(tenant, admin, 'GET', `/api/v2/client-grants?${query}&page=1`);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.client_grants.length, 1);
    assert.equal(second.body.start, 2);
    assert.equal(second.body.length, 1);
    assert.equal(second.body.total, 3);

    const seen = [...first.body.client_grants, ...second.body.client_grants].map((g) => g.id);
    assert.deepEqual(seen.sort(), [...ids].sort());
  });

  test('a grant for a client that does not exist is a 404 and nothing is written', async () => {
    const rs = await createApi(tenant, admin);
    const res = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: 'NoSuchClient0000000000000000000x',
      audience: rs.identifier,
      scope: ['read:things'],
    });
    assertManagementError(res, 404);
    assert.deepEqual(await listGrants({ audience: rs.identifier }), []);
  });

  test('a grant for an API that does not exist is a 404 and nothing is written', async () => {
    const client = await createM2MClient(tenant, admin);
    const res = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: client.client_id,
      audience: 'https://no-such-api.example.test/',
      scope: ['read:things'],
    });
    assertManagementError(res, 404);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), []);
  });

  test('a grant of a scope the API does not define is refused and nothing is written', async () => {
    const rs = await createApi(tenant, admin);
    const client = await createM2MClient(tenant, admin);
    const res = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: client.client_id,
      audience: rs.identifier,
      scope: ['read:things', 'launch:rockets'],
    });
    assertManagementError(res, 400);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), []);
    const token = await tokenFor(client, rs);
    assert.equal(token.status, 403, token.text);
  });

  test('a second grant for the same client and API is a conflict', async () => {
    const { resourceServer, client, grant } = await provisionM2M(tenant, admin);
    const res = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: client.client_id,
      audience: resourceServer.identifier,
      scope: ['read:things', 'write:things'],
    });
    assertManagementError(res, 409);
    assert.deepEqual(await listGrants({ client_id: client.client_id }), [grant]);
  });

  test('asking for a grant that does not exist is a 404', async () => {
    assertManagementError(await api(tenant, admin, 'GET', '/api/v2/client-grants/no-such-grant'), 404);
  });
});

// ---------------------------------------------------------------------------
// Who may call the Management API

describe('authorization', () => {
  test('a request without a token is refused with 401', async () => {
    const res = await api(tenant, null, 'GET', '/api/v2/clients');
    assertManagementError(res, 401);
  });

  test('a request with a garbage token is refused with 401', async () => {
    const res = await api(tenant, 'this-is-not-a-jwt', 'GET', '/api/v2/clients');
    assertManagementError(res, 401);
  });

  test('a valid token for another API is refused with 401', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const token = await getAccessToken(tenant.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: resourceServer.identifier,
    });
    const res = await api(tenant, token.access_token, 'GET', '/api/v2/clients');
    assertManagementError(res, 401);
  });

  test('a client with only read:clients can list clients but not create one', async () => {
    const token = await limitedManagementToken(['read:clients']);
    const listing = await api(tenant, token, 'GET', '/api/v2/clients');
    assert.equal(listing.status, 200, listing.text);
    assert.ok(Array.isArray(listing.body));

    const name = randomName('not-allowed');
    const res = await api(tenant, token, 'POST', '/api/v2/clients', { name, app_type: 'non_interactive' });
    assertManagementError(res, 403);
    assert.match(res.body.message, /create:clients/);
    assert.ok(!(await listClients()).some((c) => c.name === name), 'no client was created');
  });

  test('a client with only read:clients cannot read APIs', async () => {
    const token = await limitedManagementToken(['read:clients']);
    const res = await api(tenant, token, 'GET', '/api/v2/resource-servers');
    assertManagementError(res, 403);
    assert.match(res.body.message, /read:resource_servers/);
  });

  test('a Management token whose scopes were edited by hand is refused', async () => {
    const token = await limitedManagementToken(['read:clients']);
    const forged = withPayload(token, { scope: 'read:clients create:clients' });
    const name = randomName('forged');
    const res = await api(tenant, forged, 'POST', '/api/v2/clients', { name, app_type: 'non_interactive' });
    assertManagementError(res, 401);
    assert.ok(!(await listClients()).some((c) => c.name === name), 'no client was created');
  });
});

describe('paging', () => {
  // A page number whose offset no JavaScript number holds (found by the
  // fuzzer: D1 refused the bound OFFSET, and the listing answered 503).
  const far = 'page=6771284113244073984&per_page=30&include_totals=true';

  test('a page far past the end is empty, not an error', async () => {
    for (const [path, key] of [
      ['/api/v2/clients', 'clients'],
      ['/api/v2/resource-servers', 'resource_servers'],
      ['/api/v2/client-grants', 'client_grants'],
    ]) {
      const res = await api(tenant, admin, 'GET', `${path}?${far}`);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.deepEqual(res.body[key], [], path);
      assert.ok(res.body.total >= 1, `${path} still counts what it holds`);
    }
  });

  test('users and logs refuse a page past the first 1,000 results with 400', async () => {
    for (const path of ['/api/v2/users', '/api/v2/logs']) {
      const res = await api(tenant, admin, 'GET', `${path}?${far}`);
      assertManagementError(res, 400);
    }
  });
});

describe('routing', () => {
  test('an unsupported method on a Management route is a 405', async () => {
    const res = await api(tenant, admin, 'PUT', '/api/v2/clients', { name: randomName('put') });
    assertManagementError(res, 405);
  });

  test('an unknown Management API path is a JSON 404', async () => {
    const res = await api(tenant, admin, 'GET', '/api/v2/no-such-collection');
    assertManagementError(res, 404);
  });

  test('an unknown path under /api/ is a JSON 404', async () => {
    const res = await api(tenant, null, 'GET', '/api/no-such-thing');
    assert.equal(res.status, 404, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(res.body && typeof res.body === 'object', `JSON body: ${res.text}`);
  });
});

// ---------------------------------------------------------------------------
// The sample API refusing bad bearer tokens

describe('whoami refusals', () => {
  test('whoami without a token answers 401 invalid_request with a Bearer challenge', async () => {
    const res = await api(tenant, null, 'GET', '/api/whoami');
    assertBearerError(res, 'invalid_request');
  });

  test('whoami with a garbage token answers 401 invalid_token', async () => {
    const res = await api(tenant, 'garbage.garbage.garbage', 'GET', '/api/whoami');
    assertBearerError(res, 'invalid_token');
  });

  test('whoami with a token whose payload was edited answers 401 invalid_token', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const { access_token: token } = await getAccessToken(tenant.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: resourceServer.identifier,
    });
    // The untouched token is accepted, so the refusal below is the edit's doing.
    assert.equal((await api(tenant, token, 'GET', '/api/whoami')).status, 200);
    const tampered = withPayload(token, { scope: 'read:things write:things' });
    assertBearerError(await api(tenant, tampered, 'GET', '/api/whoami'), 'invalid_token');
  });

  test('whoami with an unsigned alg "none" token answers 401 invalid_token', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const now = Math.floor(Date.now() / 1000);
    const header = b64urlJson({ alg: 'none', typ: 'at+jwt' });
    const payload = b64urlJson({
      iss: tenant.issuer,
      sub: `${client.client_id}@clients`,
      aud: resourceServer.identifier,
      azp: client.client_id,
      iat: now,
      exp: now + 3600,
      jti: crypto.randomUUID(),
      scope: 'read:things',
      gty: 'client-credentials',
    });
    for (const token of [`${header}.${payload}.`, `${header}.${payload}`]) {
      assertBearerError(await api(tenant, token, 'GET', '/api/whoami'), 'invalid_token');
    }
  });

  test('whoami with a token signed by a stranger under the tenant’s kid answers 401 invalid_token', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const jwks = await (await fetch(`${tenant.baseUrl}/.well-known/jwks.json`)).json();
    const tenantRsa = jwks.keys.find((k) => k.kty === 'RSA');
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT({
      sub: `${client.client_id}@clients`,
      azp: client.client_id,
      scope: 'read:things',
      gty: 'client-credentials',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: tenantRsa.kid })
      .setIssuer(tenant.issuer)
      .setAudience(resourceServer.identifier)
      .setIssuedAt()
      .setExpirationTime('1h')
      .setJti(crypto.randomUUID())
      .sign(privateKey);
    assertBearerError(await api(tenant, token, 'GET', '/api/whoami'), 'invalid_token');
  });

  test('whoami with an HS256 token keyed with the tenant’s public RSA key answers 401 invalid_token', async () => {
    // The classic algorithm-confusion forgery: HMAC keyed with public data.
    const { resourceServer, client } = await provisionM2M(tenant, admin);
    const jwks = await (await fetch(`${tenant.baseUrl}/.well-known/jwks.json`)).json();
    const tenantRsa = jwks.keys.find((k) => k.kty === 'RSA');
    const publicPem = crypto.createPublicKey({ key: tenantRsa, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const claims = {
      iss: tenant.issuer,
      sub: `${client.client_id}@clients`,
      aud: resourceServer.identifier,
      azp: client.client_id,
      scope: 'read:things',
      gty: 'client-credentials',
      jti: crypto.randomUUID(),
    };
    for (const secret of [Buffer.from(publicPem), Buffer.from(JSON.stringify(tenantRsa))]) {
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: tenantRsa.kid })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new Uint8Array(secret));
      assertBearerError(await api(tenant, token, 'GET', '/api/whoami'), 'invalid_token');
    }
  });

  test('after an API switches from RS256 to EdDSA, its RS256 tokens are refused by whoami', async () => {
    const { resourceServer, client } = await provisionM2M(tenant, admin, { apiOverrides: { signing_alg: 'RS256' } });
    const { access_token: token } = await getAccessToken(tenant.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: resourceServer.identifier,
    });
    assert.equal((await api(tenant, token, 'GET', '/api/whoami')).status, 200);

    const patched = await api(tenant, admin, 'PATCH', `/api/v2/resource-servers/${resourceServer.id}`, {
      signing_alg: 'EdDSA',
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.signing_alg, 'EdDSA');

    assertBearerError(await api(tenant, token, 'GET', '/api/whoami'), 'invalid_token');
    // New tokens for the API are EdDSA and accepted.
    const fresh = await getAccessToken(tenant.baseUrl, {
      clientId: client.client_id,
      clientSecret: client.client_secret,
      audience: resourceServer.identifier,
    });
    const [header] = fresh.access_token.split('.');
    assert.equal(JSON.parse(Buffer.from(header, 'base64url')).alg, 'EdDSA');
    assert.equal((await api(tenant, fresh.access_token, 'GET', '/api/whoami')).status, 200);
  });
});
