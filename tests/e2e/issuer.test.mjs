// One issuer per tenant, from configuration (`ISSUER`), never from the
// request's Host header. Before, a tenant without ISSUER took its issuer
// from the Host: anyone who pointed another name at it got discovery,
// tokens and sessions for that name, and a person holding only
// create:resource_servers could register an API whose identifier was the
// Management API audience of that name, then sign in through it for a token
// with every Management API scope. Now every request for another host is
// refused (421) before anything is read or written, in the endpoint's own
// error format; the contract test (openapi.test.mjs) sends one to every
// operation.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  createUser,
  decodeJwt,
  discoveryDocument,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  limitedManagementClient,
  MANAGEMENT_SCOPES,
  managementAudience,
  mgmtToken,
  randomName,
  requestForHost,
  startTenant,
  userPath,
} from './harness.mjs';

const OTHER_HOST = 'auth.attacker.example';

let tenant;
let admin;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
});

after(async () => {
  await tenant?.stop();
});

/** A refusal for another host: 421, uncached, naming the issuer, in `format`. */
function assertMisdirected(res, format, what) {
  assert.equal(res.status, 421, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.headers.get('cache-control'), 'no-store', `${what}: never cached`);
  assert.equal(res.headers.get('set-cookie'), null, `${what}: no cookie`);
  assert.equal(res.headers.get('access-control-allow-origin'), null, `${what}: nothing for other origins to read`);
  if (format === 'oauth') {
    assert.equal(res.body?.error, 'invalid_request', what);
    assert.ok(res.body.error_description.includes(tenant.issuer), `${what}: names the issuer`);
  } else if (format === 'management') {
    assert.equal(res.body?.statusCode, 421, what);
    assert.equal(res.body.error, 'Misdirected Request', what);
    assert.equal(res.body.errorCode, 'misdirected_request', what);
  } else {
    assert.match(res.headers.get('content-type'), /^text\/html/, what);
    assert.ok(res.text.includes(tenant.issuer), `${what}: the error page names the issuer`);
  }
}

test('discovery and every token name the configured issuer; another host gets no document', async () => {
  const doc = await discoveryDocument(tenant);
  assert.equal(doc.issuer, tenant.issuer);
  const token = decodeJwt(admin);
  assert.equal(token.iss, tenant.issuer);

  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
    const res = await requestForHost(tenant, OTHER_HOST, 'GET', path);
    assertMisdirected(res, 'oauth', `GET ${path} for ${OTHER_HOST}`);
    assert.ok(!res.text.includes('"jwks_uri"') && !res.text.includes('"keys"'), `${path}: no document`);
  }
  // The same origin's other spellings are other hosts too.
  const { port } = new URL(tenant.baseUrl);
  for (const host of [`localhost:${port}`, `127.0.0.1:${Number(port) + 1}`, '127.0.0.1']) {
    assertMisdirected(await requestForHost(tenant, host, 'GET', '/.well-known/openid-configuration'), 'oauth', `discovery for ${host}`);
  }
});

test('an API named like the Management API of another host gives that host nothing', async () => {
  // A person or app holding only create:resource_servers...
  const { token } = await limitedManagementClient(tenant, admin, ['create:resource_servers']);
  const lookalike = `http://${OTHER_HOST}/api/v2/`;
  const created = await api(tenant, token, 'POST', '/api/v2/resource-servers', {
    name: 'Look-alike',
    identifier: lookalike,
    scopes: MANAGEMENT_SCOPES.map((value) => ({ value, description: value })),
  });
  assert.equal(created.status, 201, created.text);
  // ...cannot take the real one's identifier...
  const taken = await api(tenant, token, 'POST', '/api/v2/resource-servers', {
    name: 'Management API',
    identifier: managementAudience(tenant),
  });
  assert.equal(taken.status, 409, taken.text);

  // ...and the other host answers nothing: no sign-in, no token, no Management API.
  const app = await appConfig(tenant);
  const person = await createUser(tenant, admin);
  const query = authorizeQuery({
    response_type: 'token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: `openid ${MANAGEMENT_SCOPES.join(' ')}`,
    audience: lookalike,
    state: randomName('state'),
  });
  assertMisdirected(await requestForHost(tenant, OTHER_HOST, 'GET', `/authorize?${query}`), 'page', '/authorize');
  assertMisdirected(await requestForHost(tenant, OTHER_HOST, 'GET', `/u/login?${query}`), 'page', '/u/login');
  const login = await requestForHost(tenant, OTHER_HOST, 'POST', `/u/login?${query}`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: `http://${OTHER_HOST}` },
    body: new URLSearchParams({ email: person.email, password: person.password, csrf: 'x' }).toString(),
  });
  assertMisdirected(login, 'page', 'POST /u/login');
  const tokenForm = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: tenant.bootstrap.clientId,
    client_secret: tenant.bootstrap.clientSecret,
    audience: lookalike,
  }).toString();
  assertMisdirected(
    await requestForHost(tenant, OTHER_HOST, 'POST', '/oauth/token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: tokenForm }),
    'oauth',
    'POST /oauth/token',
  );
  assertMisdirected(
    await requestForHost(tenant, OTHER_HOST, 'GET', '/api/v2/users', { headers: { authorization: `Bearer ${admin}` } }),
    'management',
    'GET /api/v2/users',
  );
  assertMisdirected(
    await requestForHost(tenant, OTHER_HOST, 'PATCH', userPath(person.user.user_id), {
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'a password the attacker knows' }),
    }),
    'management',
    'PATCH a user',
  );

  // At the real host the look-alike is an ordinary API: a token for it is
  // no Management token.
  const browser = new Browser(tenant);
  const res = await hostedLogin(browser, query, person);
  assert.equal(res.status, 302, res.text);
  const params = fragmentParams(res.location);
  assert.equal(params.error, undefined, res.location);
  assert.equal(decodeJwt(params.access_token).iss, tenant.issuer);
  const refused = await api(tenant, params.access_token, 'GET', '/api/v2/users');
  assert.equal(refused.status, 401, refused.text);
  // And the person's password is the one they had.
  const again = await hostedLogin(new Browser(tenant), query, person);
  assert.equal(again.status, 302, again.text);
});

test('a session cookie is only ever set by the issuer, and only read there', async () => {
  const app = await appConfig(tenant);
  const person = await createUser(tenant, admin);
  const query = authorizeQuery({
    response_type: 'id_token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: 'openid',
    state: randomName('state'),
    nonce: randomName('nonce'),
  });
  const browser = new Browser(tenant);
  const res = await hostedLogin(browser, query, person);
  assert.equal(res.status, 302, res.text);
  const session = browser.cookie('tenant_session');
  assert.ok(session, 'signed in at the issuer');
  // The same cookie sent to another host is not honoured there.
  const elsewhere = await requestForHost(tenant, OTHER_HOST, 'GET', `/authorize?${query}&prompt=none`, {
    headers: { cookie: `tenant_session=${session}` },
  });
  assertMisdirected(elsewhere, 'page', '/authorize with a session cookie');
  // At the issuer it still is.
  const silent = await browser.request(`/authorize?${query}&prompt=none`);
  assert.equal(silent.status, 302, silent.text);
  assert.ok(fragmentParams(silent.location).id_token, silent.location);
  // Client credentials tokens name the issuer whatever host name the client used.
  const { access_token } = await getAccessToken(tenant.baseUrl, {
    clientId: tenant.bootstrap.clientId,
    clientSecret: tenant.bootstrap.clientSecret,
    audience: managementAudience(tenant),
  });
  assert.equal(decodeJwt(access_token).iss, tenant.issuer);
});
