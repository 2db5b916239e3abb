// Client authentication at POST /oauth/token under attack: near-miss and
// borrowed secrets, secrets of deleted clients, mixed authentication
// methods, credentials where they do not belong, and client ids that are
// not ours. Every attempt must be refused in RFC 6749 §5.2's format with no
// token, and the real clients must keep working afterwards.
//
// token-errors.test.mjs already covers a secret wrong in its last character
// (body and Basic), no secret, an unknown client id (body and Basic), the
// registered method enforced both ways, and the same client's credentials
// in both a Basic header and the body; this file does not repeat them.
//
// Failed client authentication is throttled per client and address and per
// address (brute-force.test.mjs): every request here comes from a fresh
// random address (cf-connecting-ip), so no test trips that limit.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  api,
  appConfig,
  createApi,
  createGrant,
  createM2MClient,
  getAccessToken,
  mgmtToken,
  randomAlphanumeric,
  startTenant,
  tokenRequest,
} from './harness.mjs';

let tenant;
let admin;
let things;
/** client_secret_post clients granted read:things on `things`. */
let alice;
let bob;
/** A client_secret_basic client granted read:things. */
let basicClient;
/** A client deleted after it got a token. */
let deleted;

/** A random public IPv4 address, a different attacker every request. */
function freshIp() {
  return `203.0.${crypto.randomInt(256)}.${1 + crypto.randomInt(254)}`;
}

/** A token request from a fresh address. */
function request(options) {
  return tokenRequest(tenant.baseUrl, { ...options, headers: { 'cf-connecting-ip': freshIp(), ...options.headers } });
}

function postForm(client, changes = {}) {
  const form = {
    grant_type: 'client_credentials',
    client_id: client.client_id,
    client_secret: client.client_secret,
    audience: things.identifier,
    ...changes,
  };
  for (const [name, value] of Object.entries(form)) if (value === undefined) delete form[name];
  return form;
}

function assertOAuthError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
  assert.ok(res.body && typeof res.body === 'object', `${what}: JSON body: ${res.text}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description'], `${what}: ${res.text}`);
  assert.equal(res.body.error, code, `${what}: ${res.text}`);
  assert.equal(typeof res.body.error_description, 'string', what);
  assert.ok(!res.text.includes('access_token'), `${what}: no token`);
}

function assertInvalidClient(res, what, { basic = false } = {}) {
  assertOAuthError(res, 401, 'invalid_client', what);
  const challenge = res.headers.get('www-authenticate');
  if (basic) assert.match(challenge ?? '', /^Basic\b/, `${what}: a Basic challenge`);
  else assert.equal(challenge, null, `${what}: no challenge without Basic`);
}

/** Both real clients still get tokens: no attack locked them out. */
async function assertStillWorking() {
  for (const client of [alice, bob]) {
    const res = await request({ form: postForm(client) });
    assert.equal(res.status, 200, `${client.client_id} still works: ${res.text}`);
  }
  const res = await request({
    basic: { clientId: basicClient.client_id, clientSecret: basicClient.client_secret },
    form: { grant_type: 'client_credentials', audience: things.identifier },
  });
  assert.equal(res.status, 200, `the Basic client still works: ${res.text}`);
}

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  things = await createApi(tenant, admin);
  alice = await createM2MClient(tenant, admin);
  bob = await createM2MClient(tenant, admin);
  basicClient = await createM2MClient(tenant, admin, { token_endpoint_auth_method: 'client_secret_basic' });
  deleted = await createM2MClient(tenant, admin);
  for (const client of [alice, bob, basicClient, deleted]) {
    await createGrant(tenant, admin, client.client_id, things.identifier, ['read:things']);
  }
  await getAccessToken(tenant.baseUrl, {
    clientId: deleted.client_id,
    clientSecret: deleted.client_secret,
    audience: things.identifier,
  });
  const res = await api(tenant, admin, 'DELETE', `/api/v2/clients/${deleted.client_id}`);
  assert.equal(res.status, 204, res.text);
  await assertStillWorking();
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------

describe('near-miss secrets are refused', () => {
  const flipCase = (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
  const variants = (secret) => [
    ['the secret without its last character', secret.slice(0, -1)],
    ['the secret with one character more', `${secret}A`],
    ['the first half of the secret', secret.slice(0, 32)],
    ['the secret in the other case', flipCase(secret)],
    ['the secret with a trailing space', `${secret} `],
    ['the secret with a leading space', ` ${secret}`],
    ['the secret twice', secret + secret],
    ['the secret base64url-decoded and hex-encoded', Buffer.from(secret, 'base64url').toString('hex')],
    ['a 10,000-character secret', 'x'.repeat(10_000)],
    ['a secret with a NUL byte appended', `${secret}\u0000`],
  ];

  test('in the body (client_secret_post)', async () => {
    for (const [what, secret] of variants(alice.client_secret)) {
      assertInvalidClient(await request({ form: postForm(alice, { client_secret: secret }) }), what);
    }
  });

  test('in a Basic header', async () => {
    for (const [what, secret] of variants(basicClient.client_secret)) {
      const res = await request({
        basic: { clientId: basicClient.client_id, clientSecret: secret },
        form: { grant_type: 'client_credentials', audience: things.identifier },
      });
      assertInvalidClient(res, what, { basic: true });
    }
  });

  test('the real clients are not locked out by them', assertStillWorking);
});

test("another client's secret is refused, in the body and in a Basic header", async () => {
  assertInvalidClient(await request({ form: postForm(alice, { client_secret: bob.client_secret }) }), "bob's secret for alice");
  assertInvalidClient(await request({ form: postForm(bob, { client_secret: alice.client_secret }) }), "alice's secret for bob");
  assertInvalidClient(
    await request({ form: postForm(alice, { client_secret: tenant.bootstrap.clientSecret }) }),
    "the bootstrap client's secret for alice",
  );
  assertInvalidClient(
    await request({ form: postForm(alice, { client_id: tenant.bootstrap.clientId }) }),
    "alice's secret for the bootstrap client",
  );
  assertInvalidClient(
    await request({
      basic: { clientId: basicClient.client_id, clientSecret: alice.client_secret },
      form: { grant_type: 'client_credentials', audience: things.identifier },
    }),
    "alice's secret for the Basic client",
    { basic: true },
  );
  await assertStillWorking();
});

test('the secret of a deleted client is refused, by either method and under any id', async () => {
  assertInvalidClient(await request({ form: postForm(deleted) }), 'the deleted client, in the body');
  assertInvalidClient(
    await request({
      basic: { clientId: deleted.client_id, clientSecret: deleted.client_secret },
      form: { grant_type: 'client_credentials', audience: things.identifier },
    }),
    'the deleted client, with Basic',
    { basic: true },
  );
  assertInvalidClient(
    await request({ form: postForm(alice, { client_secret: deleted.client_secret }) }),
    "the deleted client's secret for alice",
  );
  // And its id is not reusable by anyone.
  const read = await api(tenant, admin, 'GET', `/api/v2/clients/${deleted.client_id}`);
  assert.equal(read.status, 404, read.text);
});

test('two ways of authenticating at once are a bad request whatever the mix, and issue no token', async () => {
  const cases = [
    ["Basic as alice, bob's id and secret in the body", alice, { form: postForm(bob) }],
    ["Basic as bob with a wrong secret, alice's id and secret in the body", { ...bob, client_secret: 'wrong' }, { form: postForm(alice) }],
    ["Basic as alice, only bob's id in the body", alice, { form: postForm(bob, { client_secret: undefined }) }],
    ["Basic as alice, alice's secret in a JSON body", alice, { json: postForm(alice) }],
  ];
  for (const [what, basic, body] of cases) {
    const res = await request({ basic: { clientId: basic.client_id, clientSecret: basic.client_secret }, ...body });
    assertOAuthError(res, 400, 'invalid_request', what);
  }
});

describe('client ids that are not a client of this tenant get invalid_client', () => {
  const ids = () => [
    ['an id of the right shape', randomAlphanumeric(32)],
    ["alice's id in the other case", alice.client_id.toLowerCase() === alice.client_id ? alice.client_id.toUpperCase() : alice.client_id.toLowerCase()],
    ["alice's id with a trailing space", `${alice.client_id} `],
    ["alice's id with a path around it", `../client/${alice.client_id}`],
    ['a 10,000-character id', 'c'.repeat(10_000)],
    ['an id with a NUL byte', `${alice.client_id.slice(0, 31)}\u0000`],
    ['a non-ASCII id', 'ç'.repeat(32)],
    ['a KV key prefix', 'client/'],
  ];

  test('in the body', async () => {
    for (const [what, clientId] of ids()) {
      assertInvalidClient(await request({ form: postForm(alice, { client_id: clientId }) }), what);
    }
  });

  test('in a Basic header', async () => {
    for (const [what, clientId] of ids()) {
      const res = await request({
        basic: { clientId, clientSecret: alice.client_secret },
        form: { grant_type: 'client_credentials', audience: things.identifier },
      });
      assertInvalidClient(res, what, { basic: true });
    }
  });

  test('malformed Basic credentials', async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', audience: things.identifier }).toString();
    for (const [what, authorization] of [
      ['not base64', 'Basic !!!not-base64!!!'],
      ['no colon', `Basic ${Buffer.from(alice.client_id).toString('base64')}`],
      ['an empty id', `Basic ${Buffer.from(`:${alice.client_secret}`).toString('base64')}`],
      ['invalid UTF-8', `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString('base64')}`],
      ['a broken percent-escape', `Basic ${Buffer.from(`${alice.client_id}%zz:${alice.client_secret}`).toString('base64')}`],
      ['a 20 KB header', `Basic ${'QUFB'.repeat(5_000)}`],
    ]) {
      const res = await request({ raw: form, contentType: 'application/x-www-form-urlencoded', headers: { authorization } });
      assertInvalidClient(res, what, { basic: true });
    }
  });

  test("the built-in app's id, with or without a secret", async () => {
    const app = await appConfig(tenant);
    assertInvalidClient(await request({ form: postForm(alice, { client_id: app.client_id }) }), 'with a secret');
    assertInvalidClient(await request({ form: postForm(alice, { client_id: app.client_id, client_secret: undefined }) }), 'without');
  });
});

test('a public client granted an API cannot get client_credentials tokens by naming itself', async () => {
  const spa = await createM2MClient(tenant, admin, { app_type: 'spa', callbacks: ['https://spa.example.test/callback'] });
  assert.equal(spa.token_endpoint_auth_method, 'none', JSON.stringify(spa));
  assert.equal(spa.client_secret, undefined);
  // An admin may grant it the API; the grant is no credential.
  await createGrant(tenant, admin, spa.client_id, things.identifier, ['read:things']);
  for (const [what, form] of [
    ['only its id', postForm(spa, { client_secret: undefined })],
    ['an empty secret', postForm(spa, { client_secret: '' })],
    ['a made-up secret', postForm(spa, { client_secret: randomAlphanumeric(64) })],
    ["alice's secret", postForm(spa, { client_secret: alice.client_secret })],
  ]) {
    assertInvalidClient(await request({ form }), what);
  }
  // Nor can it be switched to client_credentials while it has no secret.
  const patched = await api(tenant, admin, 'PATCH', `/api/v2/clients/${spa.client_id}`, { grant_types: ['client_credentials'] });
  assert.equal(patched.status, 400, patched.text);
});

test('credentials in the query string are not client authentication', async () => {
  const query = new URLSearchParams({ client_id: alice.client_id, client_secret: alice.client_secret }).toString();
  const res = await fetch(`${tenant.baseUrl}/oauth/token?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': freshIp() },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: things.identifier }).toString(),
  });
  const text = await res.text();
  assert.equal(res.status, 401, text);
  assert.equal(JSON.parse(text).error, 'invalid_client');
  assert.ok(!text.includes('access_token'));
});

test('a repeated client_id or client_secret is a bad request, not a second guess', async () => {
  for (const [what, raw] of [
    ['two secrets, the wrong one first', `${new URLSearchParams(postForm(alice, { client_secret: 'wrong' }))}&client_secret=${encodeURIComponent(alice.client_secret)}`],
    ['two client ids', `${new URLSearchParams(postForm(alice))}&client_id=${bob.client_id}`],
  ]) {
    const res = await request({ raw, contentType: 'application/x-www-form-urlencoded' });
    assertOAuthError(res, 400, 'invalid_request', what);
  }
  await assertStillWorking();
});

test('an oversized body streamed without a Content-Length is a clean 413, not a reset or a 5xx', async () => {
  // The form begins like a real request, so the endpoint starts reading it.
  const start = `${new URLSearchParams(postForm(alice))}&padding=`;
  const encoder = new TextEncoder();
  for (const total of [80 * 1024, 2 * 1024 * 1024]) {
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= total) return controller.close();
        const piece = sent === 0 ? start : 'x'.repeat(16 * 1024);
        sent += piece.length;
        controller.enqueue(encoder.encode(piece));
      },
    });
    const res = await fetch(`${tenant.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'cf-connecting-ip': freshIp() },
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    assert.equal(res.status, 413, `${total} bytes: ${res.status} ${text.slice(0, 200)}`);
    assert.equal(JSON.parse(text).error, 'invalid_request');
    assert.ok(!text.includes('access_token'));
  }
  await assertStillWorking();
});
