// The Dashboard's session in a real browser: the admin signs in with the
// authorization code flow and PKCE, the tokens stay in the page's memory
// (never in an address, a request's URL or storage), the access token is
// refreshed once when it is about to expire and the Dashboard keeps
// working, signing out revokes the refresh token, and a refresh token the
// tenant no longer accepts signs the admin out with the reason.
//
// Expiry is real: the Dashboard counts its access token's life (an hour for
// a person's Management API token) on the browser's clock from
// `expires_in`, so a test signs in with the browser's clock set an hour
// back (Playwright's clock) and then sets it to the present, as a laptop
// woken after an hour would. The
// tenant's clock is never touched.
//
// One tenant and one Chromium for the file; each test gets a fresh context
// and its own admin (the hosted login lets one account sign in 10 times a
// minute from one address).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { CHROMIUM_OPTIONS, screenshot } from './browser.mjs';
import { appConfig, createAdmin, mgmtToken, startTenant, tokenRequest } from './harness.mjs';

/** How long the SPA may take to render a step (wasm load, API calls). */
const UI_TIMEOUT = 20_000;
const HOUR_MS = 3_600_000;
const PENDING_SIGN_IN_KEY = 'edge_tenant.dashboard_auth_request';

let tenant;
let chromiumBrowser;
let token; // the bootstrap client's Management API token
let dashboardClientId;

before(async () => {
  tenant = await startTenant();
  token = await mgmtToken(tenant);
  dashboardClientId = (await appConfig(tenant)).dashboard_client_id;
  chromiumBrowser = await chromium.launch(CHROMIUM_OPTIONS);
});

after(async () => {
  await chromiumBrowser?.close();
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

function url(path) {
  return `${tenant.baseUrl}${path}`;
}


/**
 * A fresh context and page, watched (never altered): every URL the page
 * requested or showed (`seen`), every token endpoint exchange with its form
 * and answer (`tokenCalls`), every revocation (`revocations`), and the
 * bearer token of every Management API call (`bearers`).
 */
async function freshPage() {
  const context = await chromiumBrowser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.seen = [];
  page.tokenCalls = [];
  page.revocations = [];
  page.bearers = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer to fetch(); some tests expect one.
    const refused = /^Failed to load resource: the server responded with a status of 4\d\d/;
    if (msg.type() === 'error' && !refused.test(msg.text())) page.problems.push(`console: ${msg.text()}`);
  });
  page.on('framenavigated', (frame) => page.seen.push(frame.url()));
  page.on('request', (request) => {
    page.seen.push(request.url());
    const { pathname } = new URL(request.url());
    if (pathname.startsWith('/api/v2/')) page.bearers.push(request.headers().authorization ?? '');
  });
  page.on('response', (response) => {
    const location = response.headers().location;
    if (location) page.seen.push(new URL(location, response.url()).href);
    const request = response.request();
    const { pathname } = new URL(response.url());
    if (request.method() !== 'POST') return;
    if (pathname === '/oauth/token') {
      page.tokenCalls.push(
        response.json().then(
          (body) => ({ form: Object.fromEntries(new URLSearchParams(request.postData())), status: response.status(), body }),
          () => ({ form: Object.fromEntries(new URLSearchParams(request.postData())), status: response.status(), body: null }),
        ),
      );
    } else if (pathname === '/oauth/revoke') {
      page.revocations.push({ form: Object.fromEntries(new URLSearchParams(request.postData())), status: response.status() });
    }
  });
  return { context, page };
}

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no script or console errors');
}

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

/** The token endpoint exchanges so far, with answers. */
async function tokenCalls(page) {
  return Promise.all(page.tokenCalls);
}

/** Opens `path` under /dashboard, signs in at the hosted login, waits for the Dashboard. */
async function signIn(page, { email, password }, path = '/dashboard') {
  await page.goto(url(path));
  await page.getByTestId('login-form').waitFor({ timeout: UI_TIMEOUT });
  await page.locator('[data-testid="login-form"] input[name="email"]').fill(email);
  await page.locator('[data-testid="login-form"] input[name="password"]').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('dashboard').or(page.getByTestId('dashboard-auth-error')).first().waitFor({ timeout: UI_TIMEOUT });
  if ((await page.getByTestId('dashboard-auth-error').count()) > 0) {
    throw new Error(`sign-in failed: ${await text(page, 'dashboard-auth-error-message')}`);
  }
}

/** Waits for `testId`, failing with what the page says if a request failed. */
async function waitFor(page, testId) {
  const target = page.getByTestId(testId).first();
  const failure = page.getByTestId('request-error').first();
  await target.or(failure).first().waitFor({ timeout: UI_TIMEOUT });
  if ((await target.count()) === 0 && (await failure.count()) > 0) {
    throw new Error(`waiting for ${testId}: ${await failure.textContent()}`);
  }
  return target;
}

/** What the page keeps where scripts (and other tabs) could read it. */
async function browserStorage(page) {
  return page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage } }));
}

/**
 * No URL the page requested, was redirected to or showed carries a token:
 * neither a token parameter nor the value of any token it received.
 */
function assertNoTokenInAnyUrl(page, tokens) {
  assert.ok(page.seen.length > 0);
  for (const seen of page.seen) {
    const address = new URL(seen);
    const params = [...address.searchParams.keys(), ...new URLSearchParams(address.hash.slice(1)).keys()];
    for (const name of ['access_token', 'refresh_token', 'id_token']) {
      assert.ok(!params.includes(name), `no ${name} in ${seen}`);
    }
    for (const value of tokens) assert.ok(!seen.includes(value), `no token value in ${seen}`);
  }
}

/** Every token value of the token endpoint's answers. */
function tokenValues(calls) {
  return calls
    .flatMap((call) => [call.body?.access_token, call.body?.refresh_token, call.body?.id_token])
    .filter((value) => typeof value === 'string');
}

function base64url(buffer) {
  return buffer.toString('base64url');
}

// ---------------------------------------------------------------------------

test('the Dashboard signs in with code + PKCE; no address, request URL or storage ever holds a token; a reload signs in again without the form', async () => {
  const admin = await createAdmin(tenant, token, 'code-admin');
  const { context, page } = await freshPage();
  try {
    // The authorization request, and the verifier kept for the round trip.
    const authorizeSeen = page.waitForRequest((request) => new URL(request.url()).pathname === '/authorize');
    await page.goto(url('/dashboard/users'));
    const authorize = new URL((await authorizeSeen).url());
    await page.getByTestId('login-form').waitFor({ timeout: UI_TIMEOUT });
    const pending = JSON.parse(await page.evaluate((key) => sessionStorage.getItem(key), PENDING_SIGN_IN_KEY));
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('client_id'), dashboardClientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), url('/dashboard/callback'));
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(pending.code_verifier, /^[\w-]{43}$/);
    assert.equal(
      authorize.searchParams.get('code_challenge'),
      base64url(crypto.createHash('sha256').update(pending.code_verifier).digest()),
      'the challenge is the S256 of the verifier kept in this tab',
    );
    assert.ok(!authorize.href.includes(pending.code_verifier), 'the verifier never leaves the browser');
    assert.equal(authorize.searchParams.get('state'), pending.state);
    assert.equal(authorize.searchParams.get('nonce'), pending.nonce);
    assert.ok(authorize.searchParams.get('scope').split(' ').includes('offline_access'));
    assert.equal(authorize.searchParams.get('audience'), `${tenant.issuer}api/v2/`);

    await page.locator('[data-testid="login-form"] input[name="email"]').fill(admin.email);
    await page.locator('[data-testid="login-form"] input[name="password"]').fill(admin.password);
    await page.getByTestId('login-submit').click();
    await waitFor(page, 'users');
    assert.equal(await text(page, 'dashboard-user'), admin.email);
    assert.equal(page.url(), url('/dashboard/users'), 'back on the page asked for, with no code in the address');
    await screenshot(page, 'dashboard-code-flow-users');

    // One code exchange with the verifier, answered with a refresh token.
    const calls = await tokenCalls(page);
    assert.equal(calls.length, 1, JSON.stringify(calls.map((c) => c.form.grant_type)));
    const [exchange] = calls;
    assert.equal(exchange.form.grant_type, 'authorization_code');
    assert.equal(exchange.form.client_id, dashboardClientId);
    assert.equal(exchange.form.code_verifier, pending.code_verifier);
    assert.equal(exchange.status, 200);
    assert.equal(typeof exchange.body.refresh_token, 'string', 'offline_access was granted');
    assert.equal(typeof exchange.body.id_token, 'string');
    // The Management API calls carry the access token as a header.
    assert.ok(page.bearers.length > 0);
    assert.ok(page.bearers.every((bearer) => bearer === `Bearer ${exchange.body.access_token}`));

    // Nowhere a token could leak.
    const tokens = tokenValues(calls);
    assertNoTokenInAnyUrl(page, tokens);
    const storage = JSON.stringify(await browserStorage(page));
    for (const value of tokens) assert.ok(!storage.includes(value), 'no token in localStorage or sessionStorage');
    assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), PENDING_SIGN_IN_KEY), null, 'the verifier is gone');
    assert.deepEqual(JSON.parse(storage).local, {}, 'nothing in localStorage');

    // A reload loses the tokens; the tenant's session signs the admin in
    // again without the form, on the same page.
    const navigated = page.seen.length;
    await page.reload();
    await waitFor(page, 'users');
    assert.equal(await text(page, 'dashboard-user'), admin.email);
    const afterReload = page.seen.slice(navigated);
    assert.ok(!afterReload.some((u) => new URL(u).pathname.startsWith('/u/')), `no login page: ${afterReload.join(', ')}`);
    const again = await tokenCalls(page);
    assert.equal(again.length, 2);
    assert.equal(again[1].form.grant_type, 'authorization_code');
    assert.equal(again[1].status, 200);
    assertNoTokenInAnyUrl(page, tokenValues(again));
    assert.equal(page.url(), url('/dashboard/users'));
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('when the access token is about to expire, the Dashboard refreshes it once, keeps the rotated refresh token and keeps working', async () => {
  const admin = await createAdmin(tenant, token, 'refresh-admin');
  const { context, page } = await freshPage();
  try {
    // Signed in with the browser's clock an hour back: its access token (an
    // hour) is due for renewal when the clock shows the present again.
    await context.clock.setFixedTime(Date.now() - HOUR_MS);
    await signIn(page, admin);
    await waitFor(page, 'applications');
    const [exchange] = await tokenCalls(page);
    assert.equal(exchange.body.expires_in, 3600);
    const firstRefreshToken = exchange.body.refresh_token;
    assert.equal(typeof firstRefreshToken, 'string');

    await context.clock.setFixedTime(Date.now());
    // Sections that make several calls at once: one refresh for them all.
    await page.getByTestId('nav-users').click();
    await waitFor(page, 'users');
    await page.getByTestId('nav-apis').click();
    await waitFor(page, 'apis');
    await page.getByTestId('nav-settings').click();
    await waitFor(page, 'advanced-settings');
    await screenshot(page, 'dashboard-after-refresh');

    const calls = await tokenCalls(page);
    const refreshes = calls.filter((call) => call.form.grant_type === 'refresh_token');
    assert.equal(refreshes.length, 1, 'one refresh, shared by every call that needed it');
    const [refresh] = refreshes;
    assert.equal(refresh.status, 200, JSON.stringify(refresh.body));
    assert.equal(refresh.form.refresh_token, firstRefreshToken);
    assert.equal(refresh.form.client_id, dashboardClientId);
    assert.notEqual(refresh.body.access_token, exchange.body.access_token);
    assert.equal(typeof refresh.body.refresh_token, 'string');
    assert.notEqual(refresh.body.refresh_token, firstRefreshToken, 'the refresh token rotated');
    // The calls since the refresh use the new access token.
    assert.equal(page.bearers.at(-1), `Bearer ${refresh.body.access_token}`);
    assert.equal(await page.getByTestId('request-error').count(), 0);
    assertNoTokenInAnyUrl(page, tokenValues(calls));

    // The new refresh token is the one kept: signing out revokes it, which
    // ends the family the old one belonged to.
    const revoked = page.waitForResponse((response) => new URL(response.url()).pathname === '/oauth/revoke');
    await page.getByTestId('dashboard-sign-out').click();
    assert.equal((await revoked).status(), 200);
    assert.equal(page.revocations[0].form.token, refresh.body.refresh_token);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('signing out revokes the refresh token at /oauth/revoke: it no longer refreshes', async () => {
  const admin = await createAdmin(tenant, token, 'signout-admin');
  const { context, page } = await freshPage();
  try {
    await signIn(page, admin);
    await waitFor(page, 'applications');
    const [exchange] = await tokenCalls(page);
    const refreshToken = exchange.body.refresh_token;
    assert.equal(typeof refreshToken, 'string');

    const revoked = page.waitForResponse((response) => new URL(response.url()).pathname === '/oauth/revoke');
    await page.getByTestId('dashboard-sign-out').click();
    const revocation = await revoked;
    assert.equal(revocation.status(), 200);
    assert.deepEqual(page.revocations[0].form, {
      client_id: dashboardClientId,
      token: refreshToken,
      token_type_hint: 'refresh_token',
    });
    // Then the tenant's logout, back on the sample app's home page.
    await page.waitForURL(url('/'), { timeout: UI_TIMEOUT });
    await page.getByTestId('sign-in').waitFor({ timeout: UI_TIMEOUT });

    const refresh = await tokenRequest(tenant.baseUrl, {
      form: { grant_type: 'refresh_token', client_id: dashboardClientId, refresh_token: refreshToken },
    });
    assert.equal(refresh.status, 400, refresh.text);
    assert.equal(refresh.body.error, 'invalid_grant');
    assertNoTokenInAnyUrl(page, tokenValues(await tokenCalls(page)));
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a refresh token the tenant no longer accepts signs the admin out with the reason; signing in again returns to the page', async () => {
  const admin = await createAdmin(tenant, token, 'ended-admin');
  const { context, page } = await freshPage();
  try {
    await context.clock.setFixedTime(Date.now() - HOUR_MS);
    await signIn(page, admin);
    await waitFor(page, 'applications');
    const [exchange] = await tokenCalls(page);

    // Revoked elsewhere (as another tab's sign-out would).
    const revoke = await fetch(url('/oauth/revoke'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: dashboardClientId, token: exchange.body.refresh_token }),
    });
    assert.equal(revoke.status, 200);

    await context.clock.setFixedTime(Date.now());
    await page.getByTestId('nav-users').click();
    await page.getByTestId('dashboard-signed-out').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-session-ended');
    const message = await text(page, 'dashboard-signed-out-message');
    assert.match(message, /Your Dashboard session has ended/);
    assert.match(message, /invalid_grant/);
    assert.match(message, /revoked/);
    assert.equal(await page.getByTestId('dashboard').count(), 0, 'no Dashboard page is shown signed out');
    const refreshes = (await tokenCalls(page)).filter((call) => call.form.grant_type === 'refresh_token');
    assert.equal(refreshes.length, 1, 'one refused refresh, not a retry loop');
    assert.equal(refreshes[0].status, 400);

    // The tenant's session still stands: "Sign in" comes back without the form.
    await page.getByTestId('dashboard-sign-in').click();
    await waitFor(page, 'users');
    assert.equal(page.url(), url('/dashboard/users'));
    assert.equal(await text(page, 'dashboard-user'), admin.email);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});
