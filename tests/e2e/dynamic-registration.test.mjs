// Open dynamic client registration (RFC 7591) and the registration management
// protocol (RFC 7592), as an app developer and a tenant admin meet them:
// refused while the tenant flag is off; with it on, apps register with
// secrets or as public clients, every kind of bad metadata is refused without
// creating anything, registered apps are third-party (an admin can grant them
// an API, never the Management API), and a developer reads, replaces and
// deletes a registration with its registration access token, and nobody
// else can. One registration also goes through openid-client, an independent
// RFC 7591 implementation.
//
// Every POST /oidc/register counts against the per-IP limit of 60 a minute,
// whatever its outcome; `register` below keeps this file's total well under
// it (the limit itself is tested in registration-rate-limit.test.mjs).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import {
  api,
  countClients,
  createApi,
  createGrant,
  createM2MClient,
  managementAudience,
  mgmtToken,
  randomAlphanumeric,
  registerClient,
  registrationRequest,
  setDynamicRegistration,
  startTenant,
  tokenRequest,
  verifyAccessToken,
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

const REGISTRATION_BUDGET = 40;
let registrations = 0;

function countRegistration() {
  registrations += 1;
  assert.ok(
    registrations <= REGISTRATION_BUDGET,
    `this file must stay well under the 60/minute registration limit (budget ${REGISTRATION_BUDGET})`,
  );
}

/** POST /oidc/register, counted against this file's budget. */
async function register(metadata, options) {
  countRegistration();
  return registerClient(tenant, metadata, options);
}

/** A registration that must succeed; returns the RFC 7591 response body. */
async function registered(metadata) {
  const res = await register(metadata);
  assert.equal(res.status, 201, `registration: ${res.text}`);
  return res.body;
}

const DEFAULT_GRANT_TYPES = ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'];

/** Auth0's documentation example, with a distinct name per call. */
function docExample(name = 'My Dynamic Application') {
  return {
    client_name: name,
    redirect_uris: ['https://application.example.com/callback', 'https://application.example.com/callback2'],
  };
}

function assertOAuthError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.error, code, `error in ${res.text}`);
  assert.equal(typeof res.body.error_description, 'string', `error_description in ${res.text}`);
}

function assertManagementError(res, status) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status} ${res.text}`);
  assert.equal(res.body?.statusCode, status, `statusCode in ${res.text}`);
  assert.equal(typeof res.body.error, 'string');
  assert.equal(typeof res.body.message, 'string');
  assert.equal(typeof res.body.errorCode, 'string');
}

/** A client_credentials request with client_secret_post (the default method). */
function clientCredentials(clientId, clientSecret, audience) {
  return tokenRequest(tenant.baseUrl, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience },
  });
}

/** What RFC 7592 GET must show: the registration response without its secrets. */
function publicMetadata(registration) {
  const { client_secret: _secret, registration_access_token: _token, ...rest } = registration;
  return rest;
}

async function readRegistration(registration, token = registration.registration_access_token) {
  return registrationRequest(registration.registration_client_uri, 'GET', token);
}

// ---------------------------------------------------------------------------

test('an app cannot register while the tenant has not turned registration on', async () => {
  const settings = await api(tenant, admin, 'GET', '/api/v2/tenants/settings');
  assert.equal(settings.body?.flags?.enable_dynamic_client_registration, false, 'a new tenant has the flag off');
  const before = await countClients(tenant, admin);

  const res = await register(docExample());
  assertOAuthError(res, 403, 'access_denied');
  assert.equal(res.body.client_id, undefined);
  assert.equal(await countClients(tenant, admin), before, 'no client was created');
});

describe('with dynamic registration turned on', () => {
  before(async () => {
    await setDynamicRegistration(tenant, admin, true);
  });

  test('an app registers with a name and two redirect URIs and gets its credentials', async () => {
    const before = await countClients(tenant, admin);
    const startedAt = Math.floor(Date.now() / 1000);
    const res = await register(docExample());
    assert.equal(res.status, 201, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);

    const body = res.body;
    assert.match(body.client_id, /^[A-Za-z0-9]{32}$/);
    assert.equal(typeof body.client_secret, 'string');
    assert.equal(body.client_secret.length, 64);
    assert.equal(body.client_secret_expires_at, 0);
    assert.ok(Number.isInteger(body.client_id_issued_at), `client_id_issued_at: ${body.client_id_issued_at}`);
    assert.ok(
      Math.abs(body.client_id_issued_at - startedAt) <= 60,
      `client_id_issued_at ${body.client_id_issued_at} is now (${startedAt})`,
    );
    assert.equal(typeof body.registration_access_token, 'string');
    assert.ok(body.registration_access_token.length >= 20, 'an unguessable registration access token');
    assert.notEqual(body.registration_access_token, body.client_secret);
    assert.equal(body.registration_client_uri, `${tenant.issuer}oidc/register/${body.client_id}`);
    assert.equal(body.client_name, 'My Dynamic Application');
    assert.deepEqual(body.redirect_uris, docExample().redirect_uris);
    assert.equal(body.token_endpoint_auth_method, 'client_secret_post');
    assert.deepEqual(body.grant_types, DEFAULT_GRANT_TYPES);
    assert.ok(Array.isArray(body.response_types), `response_types: ${JSON.stringify(body.response_types)}`);
    assert.ok(body.response_types.includes('code'), 'the authorization_code grant implies the code response type');

    assert.equal(await countClients(tenant, admin), before + 1);
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.status, 200, client.text);
    assert.equal(client.body.name, 'My Dynamic Application');
    assert.deepEqual(client.body.callbacks, docExample().redirect_uris);
    assert.equal(client.body.is_first_party, false, 'registered clients are third-party');
    assert.equal(client.body.client_secret, undefined, 'the Management API never shows the secret');
  });

  test('a single-page app registers as a public client and gets no secret', async () => {
    const body = await registered({
      client_name: 'My SPA',
      redirect_uris: ['https://spa.example.com/callback'],
      token_endpoint_auth_method: 'none',
    });
    assert.match(body.client_id, /^[A-Za-z0-9]{32}$/);
    assert.equal(body.token_endpoint_auth_method, 'none');
    assert.ok(!('client_secret' in body), `no client_secret in ${JSON.stringify(body)}`);
    assert.ok(Array.isArray(body.grant_types) && body.grant_types.length > 0);
    assert.ok(!body.grant_types.includes('client_credentials'), `grant_types ${body.grant_types}`);
    assert.ok(body.grant_types.includes('authorization_code'), `grant_types ${body.grant_types}`);
    assert.equal(typeof body.registration_access_token, 'string', 'a public client still manages its registration');

    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.status, 200, client.text);
    assert.equal(client.body.token_endpoint_auth_method, 'none');
  });

  test('an app registers for HTTP Basic and, once granted an API, gets tokens with Basic', async () => {
    const body = await registered({ ...docExample('Basic App'), token_endpoint_auth_method: 'client_secret_basic' });
    assert.equal(body.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(body.client_secret.length, 64);

    const resourceServer = await createApi(tenant, admin);
    await createGrant(tenant, admin, body.client_id, resourceServer.identifier, ['read:things']);
    const res = await tokenRequest(tenant.baseUrl, {
      form: { grant_type: 'client_credentials', audience: resourceServer.identifier },
      basic: { clientId: body.client_id, clientSecret: body.client_secret },
    });
    assert.equal(res.status, 200, res.text);
    const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
      audience: resourceServer.identifier,
      algorithm: resourceServer.signing_alg,
    });
    assert.equal(payload.sub, `${body.client_id}@clients`);
  });

  test('an app registers its logo, home page, policy, terms, contacts and scope; unknown members are dropped', async () => {
    const metadata = {
      ...docExample('Described App'),
      logo_uri: 'https://application.example.com/logo.png',
      client_uri: 'https://application.example.com/',
      policy_uri: 'https://application.example.com/privacy',
      tos_uri: 'https://application.example.com/terms',
      contacts: ['dev@application.example.com', 'ops@application.example.com'],
      scope: 'openid profile email',
    };
    const body = await registered({ ...metadata, foo: 'bar', x_vendor_extension: { nested: true } });
    for (const [member, value] of Object.entries(metadata)) {
      assert.deepEqual(body[member], value, `${member} is registered as sent`);
    }
    assert.ok(!('foo' in body), 'an unknown member is not returned');
    assert.ok(!('x_vendor_extension' in body), 'an unknown member is not returned');

    const read = await readRegistration(body);
    assert.equal(read.status, 200, read.text);
    for (const [member, value] of Object.entries(metadata)) {
      assert.deepEqual(read.body[member], value, `${member} is stored`);
    }
    assert.ok(!('foo' in read.body) && !('x_vendor_extension' in read.body), 'unknown members are not stored');
  });

  test('a native app registers http redirect URIs on localhost and 127.0.0.1', async () => {
    const redirectUris = ['http://localhost:8080/callback', 'http://127.0.0.1:3000/callback'];
    const body = await registered({ client_name: 'Native App', redirect_uris: redirectUris });
    assert.deepEqual(body.redirect_uris, redirectUris);
  });

  // -------------------------------------------------------------------------
  // Refused metadata: each case differs from a valid registration in one way.

  describe('an app sending bad metadata is refused and nothing is created', () => {
    const valid = () => ({ client_name: 'Refused App', redirect_uris: ['https://application.example.com/callback'] });
    const withUris = (redirect_uris) => ({ ...valid(), redirect_uris });
    const withoutUris = () => {
      const { redirect_uris: _, ...rest } = valid();
      return rest;
    };

    const cases = [
      ['without redirect_uris', 'invalid_redirect_uri', withoutUris()],
      ['with an empty redirect_uris', 'invalid_redirect_uri', withUris([])],
      ['with a relative redirect URI', 'invalid_redirect_uri', withUris(['/callback'])],
      ['with a fragment in a redirect URI', 'invalid_redirect_uri', withUris(['https://application.example.com/callback#x'])],
      ['with a javascript: redirect URI', 'invalid_redirect_uri', withUris(['javascript:alert(1)'])],
      ['with a data: redirect URI', 'invalid_redirect_uri', withUris(['data:text/html,<script>alert(1)</script>'])],
      ['with a plain http redirect URI on a public host', 'invalid_redirect_uri', withUris(['http://application.example.com/callback'])],
      ['with user info in a redirect URI', 'invalid_redirect_uri', withUris(['https://a@b.example/'])],
      ['with an upper-case scheme', 'invalid_redirect_uri', withUris(['HTTPS://application.example.com/callback'])],
      ['with an upper-case host', 'invalid_redirect_uri', withUris(['https://Application.Example.com/callback'])],
      ['with the default port spelled out', 'invalid_redirect_uri', withUris(['https://application.example.com:443/callback'])],
      ['with redirect_uris as a string', 'invalid_redirect_uri', withUris('https://application.example.com/callback')],
      [
        'with 21 redirect URIs',
        'invalid_redirect_uri',
        withUris(Array.from({ length: 21 }, (_, i) => `https://application.example.com/callback${i}`)),
      ],
      ['with a number as client_name', 'invalid_client_metadata', { ...valid(), client_name: 42 }],
      ['asking for private_key_jwt', 'invalid_client_metadata', { ...valid(), token_endpoint_auth_method: 'private_key_jwt' }],
      ['asking for the password grant', 'invalid_client_metadata', { ...valid(), grant_types: ['password'] }],
      [
        'with response types its grant types do not allow',
        'invalid_client_metadata',
        { ...valid(), grant_types: ['authorization_code'], response_types: ['token'] },
      ],
      ['with a 129-character client_name', 'invalid_client_metadata', { ...valid(), client_name: 'n'.repeat(129) }],
      [
        'as a public client asking for client_credentials',
        'invalid_client_metadata',
        { ...valid(), token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
      ],
    ];

    for (const [what, code, metadata] of cases) {
      test(`an app registering ${what} gets ${code}`, async () => {
        const before = await countClients(tenant, admin);
        const res = await register(metadata);
        assertOAuthError(res, 400, code);
        assert.equal(res.body.client_id, undefined);
        assert.equal(await countClients(tenant, admin), before, 'no client was created');
      });
    }

    test('an app sending a body that is not JSON gets invalid_client_metadata', async () => {
      const before = await countClients(tenant, admin);
      const res = await register(undefined, { raw: 'client_name=Form+App', contentType: 'application/json' });
      assertOAuthError(res, 400, 'invalid_client_metadata');
      assert.equal(await countClients(tenant, admin), before, 'no client was created');
    });

    test('an app sending JSON under a non-JSON content type gets invalid_client_metadata', async () => {
      const before = await countClients(tenant, admin);
      const res = await register(undefined, { raw: JSON.stringify(valid()), contentType: 'text/plain' });
      assertOAuthError(res, 400, 'invalid_client_metadata');
      assert.equal(await countClients(tenant, admin), before, 'no client was created');
    });
  });

  // -------------------------------------------------------------------------
  // What an admin can do with registered apps

  test('an admin grants a registered app an API and the app gets tokens with client_credentials', async () => {
    const body = await registered(docExample('Granted App'));
    const resourceServer = await createApi(tenant, admin);

    const denied = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assertOAuthError(denied, 403, 'access_denied');

    await createGrant(tenant, admin, body.client_id, resourceServer.identifier, ['read:things']);
    const res = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assert.equal(res.status, 200, res.text);
    const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
      audience: resourceServer.identifier,
      algorithm: resourceServer.signing_alg,
    });
    assert.equal(payload.sub, `${body.client_id}@clients`);
    assert.equal(payload.client_id, body.client_id);
    assert.equal(payload.scope, 'read:things');
  });

  test('a registered app can neither be granted nor get tokens for the Management API', async () => {
    const body = await registered(docExample('Third Party App'));
    const audience = managementAudience(tenant);
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.body?.is_first_party, false, client.text);

    // The same grant for an admin-created (first-party) client succeeds, so
    // the refusal below is about the registered app, not the request.
    const firstParty = await createM2MClient(tenant, admin);
    const control = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: firstParty.client_id,
      audience,
      scope: ['read:clients'],
    });
    assert.equal(control.status, 201, control.text);

    const grant = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: body.client_id,
      audience,
      scope: ['read:clients'],
    });
    assertManagementError(grant, 403);
    const grants = await api(tenant, admin, 'GET', `/api/v2/client-grants?client_id=${body.client_id}`);
    assert.equal(grants.status, 200, grants.text);
    assert.deepEqual(grants.body, [], 'no grant was created');

    const token = await clientCredentials(body.client_id, body.client_secret, audience);
    assertOAuthError(token, 403, 'access_denied');
    assert.equal(token.body.access_token, undefined);
  });

  test('an app registers through openid-client and gets tokens with it after an admin grant', async () => {
    // openid-client v6 refuses plain-http endpoints unless told otherwise;
    // the local tenant is plain http on loopback.
    countRegistration();
    const config = await oidc.dynamicClientRegistration(
      new URL(tenant.issuer),
      { client_name: 'openid-client App', redirect_uris: ['https://rp.example.com/cb'] },
      undefined,
      { execute: [oidc.allowInsecureRequests] },
    );
    const metadata = config.clientMetadata();
    assert.match(metadata.client_id, /^[A-Za-z0-9]{32}$/);
    assert.equal(typeof metadata.client_secret, 'string');
    assert.equal(metadata.client_name, 'openid-client App');
    assert.equal(metadata.registration_client_uri, `${tenant.issuer}oidc/register/${metadata.client_id}`);

    const resourceServer = await createApi(tenant, admin);
    await createGrant(tenant, admin, metadata.client_id, resourceServer.identifier, ['read:things', 'write:things']);
    const tokens = await oidc.clientCredentialsGrant(config, { audience: resourceServer.identifier });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    const { payload } = await verifyAccessToken(tenant, tokens.access_token, {
      audience: resourceServer.identifier,
      algorithm: resourceServer.signing_alg,
    });
    assert.equal(payload.sub, `${metadata.client_id}@clients`);
    assert.deepEqual(payload.scope.split(' ').sort(), ['read:things', 'write:things']);
  });

  // -------------------------------------------------------------------------
  // RFC 7592: the developer manages the registration

  test('the developer reads the registration with its registration access token', async () => {
    const body = await registered({ ...docExample('Readable App'), logo_uri: 'https://application.example.com/logo.png' });
    const res = await readRegistration(body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.body, publicMetadata(body));
    assert.ok(!('client_secret' in res.body), 'no client_secret');
    assert.ok(!('registration_access_token' in res.body), 'no registration_access_token');
  });

  test('the developer replaces the metadata with PUT; omitted members return to defaults and the secret keeps working', async () => {
    const body = await registered({
      ...docExample('Before Update'),
      token_endpoint_auth_method: 'client_secret_basic',
      logo_uri: 'https://application.example.com/logo.png',
      contacts: ['dev@application.example.com'],
      grant_types: ['authorization_code', 'client_credentials'],
    });
    assert.deepEqual(body.grant_types, ['authorization_code', 'client_credentials']);

    const replacement = {
      client_id: body.client_id,
      client_name: 'After Update',
      redirect_uris: ['https://application.example.com/new-callback'],
    };
    const res = await registrationRequest(body.registration_client_uri, 'PUT', body.registration_access_token, replacement);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.client_id, body.client_id);
    assert.equal(res.body.client_name, 'After Update');
    assert.deepEqual(res.body.redirect_uris, replacement.redirect_uris);
    assert.equal(res.body.token_endpoint_auth_method, 'client_secret_post', 'back to the default method');
    assert.deepEqual(res.body.grant_types, DEFAULT_GRANT_TYPES, 'back to the default grant types');
    assert.ok(!('logo_uri' in res.body), 'an omitted logo_uri is removed');
    assert.ok(!('contacts' in res.body), 'omitted contacts are removed');

    const token = res.body.registration_access_token ?? body.registration_access_token;
    const read = await readRegistration(body, token);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.client_name, 'After Update');
    assert.deepEqual(read.body.redirect_uris, replacement.redirect_uris);
    assert.equal(read.body.token_endpoint_auth_method, 'client_secret_post');
    assert.ok(!('logo_uri' in read.body) && !('contacts' in read.body));

    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.body.name, 'After Update');
    assert.deepEqual(client.body.callbacks, replacement.redirect_uris);

    // The secret issued at registration still works, now with client_secret_post.
    const resourceServer = await createApi(tenant, admin);
    await createGrant(tenant, admin, body.client_id, resourceServer.identifier, ['read:things']);
    const tokenRes = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assert.equal(tokenRes.status, 200, tokenRes.text);
  });

  test('the developer may send the current client_secret in a PUT, but not another one', async () => {
    const body = await registered(docExample('Secret Echo App'));
    const uri = body.registration_client_uri;
    const rat = body.registration_access_token;

    const same = await registrationRequest(uri, 'PUT', rat, {
      ...docExample('Secret Echo App v2'),
      client_id: body.client_id,
      client_secret: body.client_secret,
    });
    assert.equal(same.status, 200, same.text);
    assert.equal(same.body.client_name, 'Secret Echo App v2');

    const token = same.body.registration_access_token ?? rat;
    const other = await registrationRequest(uri, 'PUT', token, {
      ...docExample('Secret Echo App v3'),
      client_id: body.client_id,
      client_secret: randomAlphanumeric(64),
    });
    assert.equal(other.status, 400, other.text);
    assert.equal(typeof other.body?.error, 'string', other.text);
    assert.equal((await readRegistration(body, token)).body.client_name, 'Secret Echo App v2', 'the refused PUT changed nothing');

    const resourceServer = await createApi(tenant, admin);
    await createGrant(tenant, admin, body.client_id, resourceServer.identifier, ['read:things']);
    const tokenRes = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assert.equal(tokenRes.status, 200, `the registered secret still works: ${tokenRes.text}`);
  });

  describe('a PUT the server must refuse changes nothing', () => {
    let reg;
    before(async () => {
      reg = await registered(docExample('Guarded App'));
    });

    const put = (body) => registrationRequest(reg.registration_client_uri, 'PUT', reg.registration_access_token, body);
    const full = (extra = {}) => ({ ...docExample('Changed Name'), client_id: reg.client_id, ...extra });

    async function assertUnchanged() {
      const read = await readRegistration(reg);
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.body, publicMetadata(reg), 'the registration is as it was');
    }

    for (const member of ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at']) {
      test(`a PUT sending ${member} is invalid_request`, async () => {
        assertOAuthError(await put(full({ [member]: reg[member] })), 400, 'invalid_request');
        await assertUnchanged();
      });
    }

    test('a PUT without client_id is invalid_request', async () => {
      const { client_id: _, ...body } = full();
      assertOAuthError(await put(body), 400, 'invalid_request');
      await assertUnchanged();
    });

    test('a PUT naming another client_id is invalid_request', async () => {
      assertOAuthError(await put(full({ client_id: randomAlphanumeric(32) })), 400, 'invalid_request');
      await assertUnchanged();
    });

    const invalid = [
      ['a redirect URI with a fragment', 'invalid_redirect_uri', { redirect_uris: ['https://application.example.com/cb#x'] }],
      ['an http redirect URI on a public host', 'invalid_redirect_uri', { redirect_uris: ['http://application.example.com/cb'] }],
      ['no redirect URIs', 'invalid_redirect_uri', { redirect_uris: [] }],
      ['a number as client_name', 'invalid_client_metadata', { client_name: 42 }],
      ['private_key_jwt', 'invalid_client_metadata', { token_endpoint_auth_method: 'private_key_jwt' }],
      ['the password grant', 'invalid_client_metadata', { grant_types: ['password'] }],
      [
        'none with client_credentials',
        'invalid_client_metadata',
        { token_endpoint_auth_method: 'none', grant_types: ['client_credentials'] },
      ],
    ];
    for (const [what, code, extra] of invalid) {
      test(`a PUT with ${what} is ${code}, as at registration`, async () => {
        assertOAuthError(await put(full(extra)), 400, code);
        await assertUnchanged();
      });
    }
  });

  test('the developer deletes the registration; its secret and registration token stop working', async () => {
    const body = await registered(docExample('Deleted App'));
    const resourceServer = await createApi(tenant, admin);
    await createGrant(tenant, admin, body.client_id, resourceServer.identifier, ['read:things']);
    const beforeDelete = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assert.equal(beforeDelete.status, 200, `the app works before the delete: ${beforeDelete.text}`);

    const res = await registrationRequest(body.registration_client_uri, 'DELETE', body.registration_access_token);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');

    const afterDelete = await clientCredentials(body.client_id, body.client_secret, resourceServer.identifier);
    assertOAuthError(afterDelete, 401, 'invalid_client');
    const read = await readRegistration(body);
    assert.equal(read.status, 401, read.text);
    assert.match(read.headers.get('www-authenticate') ?? '', /^Bearer\b/);
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assertManagementError(client, 404);
  });

  describe('nobody but the holder of the registration token manages a registration', () => {
    let app;
    let other;
    before(async () => {
      app = await registered(docExample('Owned App'));
      other = await registered(docExample('Other App'));
    });

    // RFC 6750 §3.1: a request with no token gets a challenge without an
    // error code (invalid_request in the body); a bad token is invalid_token.
    const attempts = [
      ['without a token', () => null, 'invalid_request'],
      ['with a made-up token', () => randomAlphanumeric(43), 'invalid_token'],
      ["with another app's registration token", () => other.registration_access_token, 'invalid_token'],
    ];

    for (const [how, token, expectedError] of attempts) {
      test(`reading, replacing or deleting a registration ${how} is 401 ${expectedError}`, async () => {
        const uri = app.registration_client_uri;
        const answers = {
          GET: await registrationRequest(uri, 'GET', token()),
          PUT: await registrationRequest(uri, 'PUT', token(), { ...docExample('Hijacked'), client_id: app.client_id }),
          DELETE: await registrationRequest(uri, 'DELETE', token()),
        };
        for (const [method, res] of Object.entries(answers)) {
          assert.equal(res.status, 401, `${method}: ${res.status} ${res.text}`);
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, `${method}: a Bearer challenge`);
        }

        const read = await readRegistration(app);
        assert.equal(read.status, 200, `the owner still reads it: ${read.text}`);
        assert.deepEqual(read.body, publicMetadata(app), 'it is unchanged');

        for (const [method, res] of Object.entries(answers)) {
          assert.equal(res.body?.error, expectedError, `${method} ${how}: ${res.text}`);
          const challenge = res.headers.get('www-authenticate') ?? '';
          if (expectedError === 'invalid_request') {
            assert.doesNotMatch(challenge, /error=/, `${method}: no error code without a token`);
          } else {
            assert.match(challenge, /error="invalid_token"/, `${method}: ${challenge}`);
          }
          assert.equal(typeof res.body.error_description, 'string', `${method}: ${res.text}`);
        }
      });
    }
  });
});
