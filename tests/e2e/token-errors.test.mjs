// The token endpoint's refusals (RFC 6749 §5.2): each mistake a client can
// make gets the right status, the right `error` code and a JSON body.
//
// The fixtures made in `before` are only read by the tests (token requests
// change nothing), so the tests stay independent of each other.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  createApi,
  createGrant,
  createM2MClient,
  mgmtToken,
  startTenant,
  tokenRequest,
} from './harness.mjs';

let tenant;
/** An API with read:things and write:things. */
let things;
/** A second API nobody has a grant for. */
let ungrantedApi;
/** client_secret_post client granted read:things on `things`. */
let postClient;
/** client_secret_basic client granted read:things on `things`. */
let basicClient;
/** A client with no grant at all. */
let loneClient;

before(async () => {
  tenant = await startTenant();
  const admin = await mgmtToken(tenant);
  things = await createApi(tenant, admin);
  ungrantedApi = await createApi(tenant, admin);
  postClient = await createM2MClient(tenant, admin);
  basicClient = await createM2MClient(tenant, admin, { token_endpoint_auth_method: 'client_secret_basic' });
  loneClient = await createM2MClient(tenant, admin);
  await createGrant(tenant, admin, postClient.client_id, things.identifier, ['read:things']);
  await createGrant(tenant, admin, basicClient.client_id, things.identifier, ['read:things']);
});

after(async () => {
  await tenant?.stop();
});

/** The well-formed request of `postClient`, with `changes` applied (undefined deletes). */
function postForm(changes = {}) {
  const form = {
    grant_type: 'client_credentials',
    client_id: postClient.client_id,
    client_secret: postClient.client_secret,
    audience: things.identifier,
    ...changes,
  };
  for (const [name, value] of Object.entries(form)) if (value === undefined) delete form[name];
  return form;
}

/** The secret with its last character changed: same length and alphabet, wrong. */
function wrongSecret(secret) {
  return secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
}

function assertOAuthError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.body && typeof res.body === 'object', `JSON body: ${res.text}`);
  assert.equal(res.body.error, code);
  assert.equal(typeof res.body.error_description, 'string');
  assert.ok(!('access_token' in res.body));
  // RFC 6749 §5.1: errors are not to be cached either.
  assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/, 'Cache-Control: no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache', 'Pragma: no-cache');
}

test('a successful token response tells caches not to store it', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm() });
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.body.access_token, 'string');
  assert.match(res.headers.get('cache-control') ?? '', /\bno-store\b/);
  assert.equal(res.headers.get('pragma'), 'no-cache', 'RFC 6749 §5.1');
});

test('a client sending a wrong secret is refused with invalid_client', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    form: postForm({ client_secret: wrongSecret(postClient.client_secret) }),
  });
  assertOAuthError(res, 401, 'invalid_client');
});

test('a client sending no secret is refused with invalid_client', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ client_secret: undefined }) });
  assertOAuthError(res, 401, 'invalid_client');
});

test('an unknown client id is refused with invalid_client', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    form: postForm({ client_id: 'NoSuchClient0000000000000000000x' }),
  });
  assertOAuthError(res, 401, 'invalid_client');
});

test('a wrong secret sent with HTTP Basic gets invalid_client and a Basic challenge', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    basic: { clientId: basicClient.client_id, clientSecret: wrongSecret(basicClient.client_secret) },
    form: { grant_type: 'client_credentials', audience: things.identifier },
  });
  assertOAuthError(res, 401, 'invalid_client');
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
});

test('an unknown client using HTTP Basic gets invalid_client and a Basic challenge', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    basic: { clientId: 'NoSuchClient0000000000000000000x', clientSecret: 'whatever' },
    form: { grant_type: 'client_credentials', audience: things.identifier },
  });
  assertOAuthError(res, 401, 'invalid_client');
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
});

test('a client registered for HTTP Basic cannot put its secret in the body', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: basicClient.client_id,
      client_secret: basicClient.client_secret,
      audience: things.identifier,
    },
  });
  assertOAuthError(res, 401, 'invalid_client');
});

test('a client registered for client_secret_post cannot use HTTP Basic', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    basic: { clientId: postClient.client_id, clientSecret: postClient.client_secret },
    form: { grant_type: 'client_credentials', audience: things.identifier },
  });
  assertOAuthError(res, 401, 'invalid_client');
  assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
});

test('credentials in both a Basic header and the body are a bad request', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    basic: { clientId: basicClient.client_id, clientSecret: basicClient.client_secret },
    form: {
      grant_type: 'client_credentials',
      client_id: basicClient.client_id,
      client_secret: basicClient.client_secret,
      audience: things.identifier,
    },
  });
  assertOAuthError(res, 400, 'invalid_request');
});

test('asking for an audience no API has is denied', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    form: postForm({ audience: 'https://no-such-api.example.test/' }),
  });
  assertOAuthError(res, 403, 'access_denied');
});

test('asking for an API the client has no grant for is denied', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ audience: ungrantedApi.identifier }) });
  assertOAuthError(res, 403, 'access_denied');
});

test('a client without any grant is denied a token', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    form: postForm({ client_id: loneClient.client_id, client_secret: loneClient.client_secret }),
  });
  assertOAuthError(res, 403, 'access_denied');
});

test('asking for an API scope outside the grant is denied', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ scope: 'read:things write:things' }) });
  assertOAuthError(res, 403, 'access_denied');
});

test('asking for a scope the API does not define is denied', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ scope: 'delete:everything' }) });
  assertOAuthError(res, 403, 'access_denied');
});

test('thousands of scopes are refused at once with a short invalid_scope, not compared or echoed', async () => {
  // 15,000 distinct scopes in under 64 KiB.
  const scope = Array.from({ length: 15_000 }, (_, i) => i.toString(36)).join(' ');
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ scope }) });
  assertOAuthError(res, 400, 'invalid_scope');
  assert.ok(res.text.length < 300, `a bounded error, not an echo: ${res.text.length} bytes`);
  assert.match(res.body.error_description, /at most 256 scopes and 8192 characters/);
  // The same in JSON; and characters RFC 6749 does not allow in a scope.
  assertOAuthError(await tokenRequest(tenant.baseUrl, { json: postForm({ scope }) }), 400, 'invalid_scope');
  assertOAuthError(await tokenRequest(tenant.baseUrl, { form: postForm({ scope: 'read:things "quoted"' }) }), 400, 'invalid_scope');
  // Within the bounds, what is not granted is named, briefly.
  const many = Array.from({ length: 200 }, (_, i) => `scope:${i}`).join(' ');
  const denied = await tokenRequest(tenant.baseUrl, { form: postForm({ scope: many }) });
  assertOAuthError(denied, 403, 'access_denied');
  assert.match(denied.body.error_description, /\(and 190 more\)$/);
});

for (const grantType of ['password', 'foo']) {
  test(`the ${grantType} grant type is refused as unsupported`, async () => {
    const res = await tokenRequest(tenant.baseUrl, { form: postForm({ grant_type: grantType }) });
    assertOAuthError(res, 400, 'unsupported_grant_type');
  });
}

test('a request without grant_type is a bad request', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ grant_type: undefined }) });
  assertOAuthError(res, 400, 'invalid_request');
});

test('a request without audience is a bad request', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ audience: undefined }) });
  assertOAuthError(res, 400, 'invalid_request');
});

test('a form request naming an organization is refused when the grant denies organizations (the default)', async () => {
  const res = await tokenRequest(tenant.baseUrl, { form: postForm({ organization: 'org_abc123' }) });
  assertOAuthError(res, 400, 'invalid_request');
  assert.equal(res.body.error_description, 'parameter organization is not allowed for this client');
});

test('a JSON request naming an organization is refused when the grant denies organizations (the default)', async () => {
  const res = await tokenRequest(tenant.baseUrl, { json: postForm({ organization: 'org_abc123' }) });
  assertOAuthError(res, 400, 'invalid_request');
  assert.equal(res.body.error_description, 'parameter organization is not allowed for this client');
});

test('a JSON request with organization null is served as if it had none', async () => {
  const res = await tokenRequest(tenant.baseUrl, { json: { ...postForm(), organization: null } });
  assert.equal(res.status, 200, res.text);
  assert.equal(typeof res.body.access_token, 'string');
});

test('a malformed JSON body is a bad request', async () => {
  const json = JSON.stringify(postForm());
  const res = await tokenRequest(tenant.baseUrl, {
    raw: json.slice(0, -1), // drop the closing brace
    contentType: 'application/json',
  });
  assertOAuthError(res, 400, 'invalid_request');
});

test('a body of an unsupported content type is a bad request', async () => {
  const res = await tokenRequest(tenant.baseUrl, {
    raw: new URLSearchParams(postForm()).toString(),
    contentType: 'text/plain',
  });
  assertOAuthError(res, 400, 'invalid_request');
});

test('a body over 64 KiB is refused with 413', async () => {
  const form = postForm({ padding: 'x'.repeat(65 * 1024) });
  const res = await tokenRequest(tenant.baseUrl, { form });
  assert.equal(res.status, 413, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(typeof res.body?.error, 'string', `JSON error: ${res.text}`);
  assert.ok(!('access_token' in res.body));
});

test('GET on the token endpoint is refused with 405', async () => {
  const res = await tokenRequest(tenant.baseUrl, { method: 'GET' });
  assert.equal(res.status, 405, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(typeof res.body?.error, 'string', `JSON error: ${res.text}`);
});

test('an unknown path under /oauth/ is a JSON 404', async () => {
  const res = await fetch(`${tenant.baseUrl}/oauth/nothing-here`, { method: 'POST' });
  const text = await res.text();
  assert.equal(res.status, 404, text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.doesNotThrow(() => JSON.parse(text), `JSON body: ${text}`);
});
