// Open registration is limited to 60 a minute per client IP: an app flooding
// POST /oidc/register from one address gets 429 too_many_requests with a
// Retry-After header past the 60th, none of the refused registrations creates
// a client, the flood is one `limit_mu` event in the audit log, and once the
// advertised wait is over registration works again.
// Every request here comes from 127.0.0.1 to a tenant of its own.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  auditLog,
  countClients,
  mgmtToken,
  registerClient,
  setDynamicRegistration,
  sleep,
  startEarlyInAMinute,
  startTenant,
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

const LIMIT = 60;
const FLOOD = 75;

const app = (i) => ({
  client_name: `Flood App ${i}`,
  redirect_uris: ['https://flood.example.com/callback'],
});

/** Retry-After in seconds, either form RFC 9110 allows. */
function retryAfterSeconds(res) {
  const value = res.headers.get('retry-after');
  assert.ok(value, `a Retry-After header on the 429: ${JSON.stringify(Object.fromEntries(res.headers))}`);
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  assert.ok(Number.isFinite(date), `Retry-After is delta-seconds or an HTTP date: ${value}`);
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function assertTooManyRequests(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body?.error, 'too_many_requests', `${what}: ${res.text}`);
  assert.equal(typeof res.body.error_description, 'string');
  assert.equal(res.body.client_id, undefined);
  const seconds = retryAfterSeconds(res);
  assert.ok(seconds >= 1 && seconds <= 60, `Retry-After of ${seconds} s is within the one-minute window`);
  return seconds;
}

let retryAfter;

test('an app flooding registration from one address gets 429 with Retry-After past 60 and nothing more is created', async () => {
  await startEarlyInAMinute();
  const before = await countClients(tenant, admin);

  // The flood: all at once.
  const results = await Promise.all(Array.from({ length: FLOOD }, (_, i) => registerClient(tenant, app(i))));
  const created = results.filter((res) => res.status === 201);
  const refused = results.filter((res) => res.status !== 201);
  assert.equal(created.length, LIMIT, `exactly ${LIMIT} registrations get through; statuses: ${results.map((r) => r.status)}`);
  assert.equal(refused.length, FLOOD - LIMIT);
  for (const res of refused) retryAfter = assertTooManyRequests(res, 'a registration past the limit');
  assert.equal(new Set(created.map((res) => res.body.client_id)).size, LIMIT);

  // Still within the minute: a few more, one at a time, are refused as well.
  for (let i = 0; i < 3; i++) {
    assertTooManyRequests(await registerClient(tenant, app(FLOOD + i)), 'a registration after the flood');
  }

  assert.equal(await countClients(tenant, admin), before + LIMIT, 'no client was created past the limit');

  // One event for the whole flood, not one per refusal.
  const events = await auditLog(tenant);
  const floods = events.filter((event) => event.type === 'limit_mu');
  assert.equal(floods.length, 1, `one limit_mu event: ${JSON.stringify(floods)}`);
  assert.equal(floods[0].description, 'Too many client registrations');
  // Every request here comes from the test process (miniflare sets
  // CF-Connecting-IP when the request has none).
  assert.equal(floods[0].ip, '127.0.0.1');
  assert.equal(floods[0].client_id, undefined, 'no client was registered');
  assert.equal(floods[0].details.actor.type, 'anonymous');
});

test('once the Retry-After wait is over the app can register again', async () => {
  assert.ok(Number.isInteger(retryAfter), 'the flood test recorded a Retry-After');
  const before = await countClients(tenant, admin);
  await sleep(retryAfter * 1000 + 1_000);
  const res = await registerClient(tenant, app('after the wait'));
  assert.equal(res.status, 201, `registration after waiting ${retryAfter} s: ${res.text}`);
  assert.equal(await countClients(tenant, admin), before + 1);
});
