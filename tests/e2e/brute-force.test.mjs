// Guessing client secrets at POST /oauth/token is throttled (wrangler.toml:
// CLIENT_AUTH_RATE_LIMITER, 10 failures a minute per client and address;
// CLIENT_AUTH_IP_RATE_LIMITER, 60 failures a minute per address). Past the
// limit the address gets 429 too_many_requests with Retry-After, even with
// the right secret, while the client itself keeps working from any other
// address: an attacker cannot lock it out. Each burst is one `limit_mu` event
// in the audit log, holding no secret.
//
// Addresses are set with cf-connecting-ip, as Cloudflare's edge sets it.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  auditLog,
  mgmtToken,
  provisionM2M,
  randomAlphanumeric,
  startEarlyInAMinute,
  startTenant,
  tokenRequest,
} from './harness.mjs';

let tenant;
let admin;
let client;
let audience;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  const provisioned = await provisionM2M(tenant, admin);
  client = provisioned.client;
  audience = provisioned.resourceServer.identifier;
});

after(async () => {
  await tenant?.stop();
});

const PER_CLIENT_LIMIT = 10;
const PER_IP_LIMIT = 60;

function attempt(ip, clientId, clientSecret, { basic = false } = {}) {
  const headers = { 'cf-connecting-ip': ip };
  const form = { grant_type: 'client_credentials', audience };
  return basic
    ? tokenRequest(tenant.baseUrl, { form, basic: { clientId, clientSecret }, headers })
    : tokenRequest(tenant.baseUrl, { form: { ...form, client_id: clientId, client_secret: clientSecret }, headers });
}

function assertThrottled(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.body.error, 'too_many_requests', what);
  assert.equal(typeof res.body.error_description, 'string', what);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `${what}: Retry-After ${retryAfter}`);
  assert.equal(res.headers.get('cache-control'), 'no-store', what);
}

test('guessing one client secret from one address is throttled; the client keeps working elsewhere', async () => {
  await startEarlyInAMinute();
  const attacker = '203.0.113.66';
  const wrong = () => randomAlphanumeric(64);
  for (let i = 0; i < PER_CLIENT_LIMIT; i += 1) {
    const res = await attempt(attacker, client.client_id, wrong());
    assert.equal(res.status, 401, `guess #${i}: ${res.text}`);
    assert.equal(res.body.error, 'invalid_client');
  }
  assertThrottled(await attempt(attacker, client.client_id, wrong()), 'the guess past the limit');
  assertThrottled(
    await attempt(attacker, client.client_id, wrong(), { basic: true }),
    'the same guesses with HTTP Basic',
  );
  assertThrottled(
    await attempt(attacker, client.client_id, client.client_secret),
    'the right secret from the throttled address',
  );

  const legitimate = await attempt('198.51.100.20', client.client_id, client.client_secret);
  assert.equal(legitimate.status, 200, `the client from its own address: ${legitimate.text}`);
  assert.equal(typeof legitimate.body.access_token, 'string');

  const events = await auditLog(tenant);
  const bursts = events.filter((event) => event.type === 'limit_mu' && event.ip === attacker);
  assert.equal(bursts.length, 1, `one event for the burst: ${JSON.stringify(events)}`);
  assert.equal(bursts[0].client_id, client.client_id);
  assert.equal(bursts[0].details.target.id, client.client_id);
  assert.equal(JSON.stringify(events).includes(client.client_secret), false, 'no secret in the log');
});

test('one address guessing across many client ids is throttled, other addresses are not', async () => {
  await startEarlyInAMinute();
  const attacker = '203.0.113.99';
  const results = [];
  for (let i = 0; i < PER_IP_LIMIT; i += 1) {
    results.push(await attempt(attacker, randomAlphanumeric(32), randomAlphanumeric(64)));
  }
  assert.deepEqual(
    results.filter((res) => res.status !== 401).map((res) => `${res.status} ${res.text}`),
    [],
    'every guess within the limit is a plain invalid_client',
  );
  assertThrottled(await attempt(attacker, randomAlphanumeric(32), randomAlphanumeric(64)), 'past the per-address limit');
  assertThrottled(await attempt(attacker, client.client_id, client.client_secret), 'a real client from that address');

  const elsewhere = await attempt('198.51.100.21', client.client_id, client.client_secret);
  assert.equal(elsewhere.status, 200, elsewhere.text);
});

test('successful token requests are never throttled', async () => {
  const ip = '198.51.100.30';
  for (let i = 0; i < PER_CLIENT_LIMIT * 2; i += 1) {
    const res = await attempt(ip, client.client_id, client.client_secret, { basic: false });
    assert.equal(res.status, 200, `request #${i}: ${res.text}`);
  }
});
