// One `wrangler dev` under a burst: 200 apps registering at the same moment
// (RFC 7591) and 200 token requests at the same moment (RFC 6749 §4.4).
// Every registration answers 201 with its own credentials, and the Management
// API then lists each new client exactly once: none lost, none duplicated.
// Every token request answers 200 with a token that verifies against the
// JWKS and names the client that asked. No request answers 5xx.
//
// Registration is limited to 60 a minute per client IP, so the 200 apps come
// from four addresses (cf-connecting-ip), 50 each.
//
// And the races the system of record decides: 200 creations of one email,
// and sign-ups with one email, give exactly one user; a PATCH and a secret
// rotation at once leave the client with the secret the rotation returned
// (and the PATCH's change), never a stale copy written back.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  countClients,
  csrfField,
  getAccessToken,
  randomName,
  randomPassword,
  createApi,
  createGrant,
  createM2MClient,
  mgmtToken,
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
  await setDynamicRegistration(tenant, admin, true);
});

after(async () => {
  await tenant?.stop();
});

const CONCURRENT = 200;

/** Every client id the Management API lists, page by page. */
async function listedClientIds() {
  const ids = [];
  for (let page = 0; ; page += 1) {
    const res = await api(tenant, admin, 'GET', `/api/v2/clients?per_page=100&page=${page}`);
    assert.equal(res.status, 200, res.text);
    ids.push(...res.body.map((client) => client.client_id));
    if (res.body.length < 100) return ids;
  }
}

function failuresOf(results, expected) {
  return results
    .map((res, i) => [i, res])
    .filter(([, res]) => res.status !== expected)
    .map(([i, res]) => `#${i}: ${res.status} ${res.text}`);
}

test('200 apps registering at once each get their own working registration, listed exactly once', async () => {
  const before = await countClients(tenant, admin);
  const apps = Array.from({ length: CONCURRENT }, (_, i) => ({
    client_name: `Concurrent App ${i}`,
    redirect_uris: [`https://app-${i}.example.com/callback`],
  }));

  const results = await Promise.all(
    apps.map((metadata, i) =>
      registerClient(tenant, metadata, { headers: { 'cf-connecting-ip': `198.51.100.${i % 4}` } }),
    ),
  );

  assert.deepEqual(failuresOf(results, 201), [], 'every registration answers 201');
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

  assert.equal(await countClients(tenant, admin), before + CONCURRENT, 'exactly 200 clients were created');
  const listed = await listedClientIds();
  for (const [i, body] of bodies.entries()) {
    const times = listed.filter((id) => id === body.client_id).length;
    assert.equal(times, 1, `registration #${i} is listed exactly once`);
  }

  // Each developer reads back their own registration (RFC 7592) and the
  // Management API holds what they sent; a sample keeps this quick.
  for (const i of [0, 1, 2, 3, 99, 100, 198, 199]) {
    const body = bodies[i];
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
    assert.equal(client.status, 200, `Management API GET of #${i}: ${client.text}`);
    assert.equal(client.body.name, apps[i].client_name);
    assert.deepEqual(client.body.callbacks, apps[i].redirect_uris);
    const read = await registrationRequest(body.registration_client_uri, 'GET', body.registration_access_token);
    assert.equal(read.status, 200, `RFC 7592 GET of #${i}: ${read.text}`);
    assert.equal(read.body.client_id, body.client_id);
    assert.equal(read.body.client_name, apps[i].client_name);
  }
});

test('200 token requests at once from 10 clients all get valid tokens of their own', async () => {
  const eddsa = await createApi(tenant, admin, { signing_alg: 'EdDSA' });
  const rs256 = await createApi(tenant, admin, { signing_alg: 'RS256' });
  const clients = [];
  for (let i = 0; i < 10; i += 1) {
    const basic = i % 2 === 1;
    const client = await createM2MClient(tenant, admin, {
      token_endpoint_auth_method: basic ? 'client_secret_basic' : 'client_secret_post',
    });
    const audience = i < 5 ? eddsa : rs256;
    await createGrant(tenant, admin, client.client_id, audience.identifier, ['read:things']);
    clients.push({ client, basic, audience });
  }

  const requests = Array.from({ length: CONCURRENT }, (_, i) => clients[i % clients.length]);
  const results = await Promise.all(
    requests.map(({ client, basic, audience }) => {
      const form = { grant_type: 'client_credentials', audience: audience.identifier };
      return basic
        ? tokenRequest(tenant.baseUrl, { form, basic: { clientId: client.client_id, clientSecret: client.client_secret } })
        : tokenRequest(tenant.baseUrl, {
            form: { ...form, client_id: client.client_id, client_secret: client.client_secret },
          });
    }),
  );

  assert.deepEqual(failuresOf(results, 200), [], 'every token request answers 200');
  const jtis = new Set();
  for (const [i, res] of results.entries()) {
    const { client, audience } = requests[i];
    const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
      audience: audience.identifier,
      algorithm: audience.signing_alg,
    });
    assert.equal(payload.azp, client.client_id, `token #${i} names the client that asked`);
    assert.equal(payload.sub, `${client.client_id}@clients`);
    assert.equal(payload.scope, 'read:things');
    jtis.add(payload.jti);
  }
  assert.equal(jtis.size, CONCURRENT, 'every token has its own jti');
});

test('200 creations of one email at once give exactly one user, the others 409', async () => {
  const local = randomName('race');
  const email = `${local}@example.test`;
  const results = await Promise.all(
    Array.from({ length: CONCURRENT }, (_, i) =>
      api(tenant, admin, 'POST', '/api/v2/users', {
        connection: 'Username-Password-Authentication',
        // The same address as the tenant keys it, however it is written.
        email: i % 2 ? email.toUpperCase() : ` ${email} `,
        password: randomPassword(),
      }),
    ),
  );
  const created = results.filter((res) => res.status === 201);
  const refused = results.filter((res) => res.status === 409);
  assert.equal(created.length, 1, results.filter((r) => r.status !== 409).map((r) => `${r.status} ${r.text}`).join('\n'));
  assert.equal(refused.length, CONCURRENT - 1, failuresOf(results, 409).slice(0, 3).join('\n'));
  for (const res of refused) assert.equal(res.body.errorCode, 'auth0_idp_error');
  const found = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`);
  assert.deepEqual(found.body.map((u) => u.user_id), [created[0].body.user_id]);
  const searched = await api(tenant, admin, 'GET', `/api/v2/users?q=${encodeURIComponent(`email:${email}`)}&include_totals=true`);
  assert.equal(searched.body.total, 1, searched.text);
});

test('sign-ups with one email at once, each from its own address, give exactly one user', async () => {
  const app = await appConfig(tenant);
  const query = authorizeQuery({
    response_type: 'id_token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: 'openid',
    state: 's',
    nonce: randomName('nonce'),
  });
  const email = `${randomName('signup-race')}@example.test`;
  const SIGNUPS = 20;
  const browsers = Array.from({ length: SIGNUPS }, () => new Browser(tenant));
  const forms = await Promise.all(browsers.map((b) => b.request(`/u/signup?${query}`)));
  const results = await Promise.all(
    browsers.map((browser, i) =>
      browser.request(`/u/signup?${query}`, {
        form: { csrf: csrfField(forms[i].text), email, password: randomPassword() },
      }),
    ),
  );
  const signedUp = results.filter((res) => res.status === 302);
  assert.equal(signedUp.length, 1, results.map((r) => r.status).join(' '));
  for (const res of results.filter((r) => r.status !== 302)) {
    assert.ok(res.status < 500, `${res.status} ${res.text.slice(0, 200)}`);
  }
  const found = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`);
  assert.equal(found.body.length, 1);
});

test('PATCHes and a rotation at once: the client keeps the rotated secret and a PATCH', async () => {
  const grace = await api(tenant, admin, 'PATCH', '/api/v2/tenants/settings', { client_secret_rotation_grace_period: 0 });
  assert.equal(grace.status, 200, grace.text);
  const audience = `https://${randomName('race')}.example/`;
  await createApi(tenant, admin, { identifier: audience });
  for (let round = 0; round < 10; round += 1) {
    const client = await createM2MClient(tenant, admin);
    await createGrant(tenant, admin, client.client_id, audience, ['read:things']);
    const patch = (n) => api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, { description: `round ${round} patch ${n}` });
    const [rotated, ...patched] = await Promise.all([
      api(tenant, admin, 'POST', `/api/v2/clients/${client.client_id}/rotate-secret`),
      patch(0),
      patch(1),
      patch(2),
    ]);
    assert.equal(rotated.status, 200, rotated.text);
    // A PATCH that kept losing to the others may be told to retry (409);
    // none is lost silently.
    for (const res of patched) assert.ok([200, 409].includes(res.status), `${res.status} ${res.text}`);
    const kept = patched.filter((res) => res.status === 200).map((res) => res.body.description);
    assert.ok(kept.length >= 1, 'at least one PATCH went through');
    const stored = await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`);
    assert.ok(kept.includes(stored.body.description), `${stored.body.description} is one of ${kept}`);
    // The rotated secret works; the one it replaced does not.
    const fresh = await tokenRequest(tenant.baseUrl, {
      form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: rotated.body.client_secret, audience },
    });
    assert.equal(fresh.status, 200, `round ${round}: the rotated secret is refused: ${fresh.text}`);
    const old = await tokenRequest(tenant.baseUrl, {
      form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience },
    });
    assert.equal(old.status, 401, `round ${round}: the replaced secret still works: ${old.text}`);
  }
});
