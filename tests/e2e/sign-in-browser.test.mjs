// Signing in through a real browser: the SPA's "Sign in" link, the tenant's
// hosted login, signup and consent pages, and the SPA's /callback, as a
// person sees them. One tenant and one Chromium for the file; every test
// gets its own browser context, so cookies and storage start empty.
//
// The demo user is provisioned exactly as the README's dev command does
// (scripts/provision-dev.mjs): the Sample API as the default audience and
// demo@example.com with a random password.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { provisionDemo } from '../../scripts/provision-dev.mjs';
import { CHROMIUM_OPTIONS, screenshot } from './browser.mjs';
import { mgmtToken, registerClient, setDynamicRegistration, startTenant } from './harness.mjs';

const SAMPLE_API = 'urn:edge-tenant:sample-api';
const AUTH_REQUEST_KEY = 'edge_tenant.auth_request';
const SESSION_COOKIE = 'tenant_session';
/** How long the SPA may take to render a step (wasm load, discovery, JWKS). */
const UI_TIMEOUT = 20_000;

let tenant;
let chromiumBrowser;
let demo; // { email, password, audience }
let appClientId;

// ---------------------------------------------------------------------------
// Helpers (local to this file)

/**
 * One headless Chromium whose contexts are isolated from each other (unlike
 * browser.mjs's persistent profile, which has a single context).
 */
async function launchChromium() {
  return chromium.launch(CHROMIUM_OPTIONS);
}

/**
 * A fresh context and page. `page.problems` collects script errors and
 * console errors; `page.tokenRedirects` collects every redirect whose
 * Location carries a fragment (observed, never altered), so a test knows
 * the raw tokens the tenant sent and can check they were not stored.
 */
async function freshPage() {
  const context = await chromiumBrowser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.tokenRedirects = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()} (${msg.location()?.url ?? ''})`);
  });
  page.on('response', (response) => {
    const status = response.status();
    if (status >= 300 && status < 400) {
      const location = response.headers().location;
      if (location?.includes('#')) page.tokenRedirects.push(new URL(location, response.url()).href);
    }
  });
  return { context, page };
}

function url(path) {
  return `${tenant.baseUrl}${path}`;
}

/** Opens the home page and waits for the SPA's "Sign in" link. */
async function openHome(page) {
  await page.goto(url('/'));
  const link = page.getByTestId('sign-in');
  await link.waitFor({ timeout: UI_TIMEOUT });
  return link;
}

/** The pending sign-in the SPA stored for this tab, parsed, or null. */
async function storedAuthRequest(page) {
  const json = await page.evaluate((key) => sessionStorage.getItem(key), AUTH_REQUEST_KEY);
  return json === null ? null : JSON.parse(json);
}

/**
 * From the home page: waits for the link, reads the stored {state, nonce}
 * (before the callback consumes them) and the link, then clicks it.
 */
async function clickSignIn(page) {
  const link = await openHome(page);
  const stored = await storedAuthRequest(page);
  assert.ok(stored?.state && stored?.nonce, `the SPA stored a pending sign-in: ${JSON.stringify(stored)}`);
  const href = await link.getAttribute('href');
  await link.click();
  return { stored, href };
}

/** Waits for the hosted login form and checks the address is /u/login. */
async function expectLoginPage(page) {
  await page.getByTestId('login-form').waitFor({ timeout: UI_TIMEOUT });
  assert.equal(new URL(page.url()).pathname, '/u/login');
}

async function submitLogin(page, email, password) {
  await page.locator('[data-testid="login-form"] input[name="email"]').fill(email);
  await page.locator('[data-testid="login-form"] input[name="password"]').fill(password);
  await page.getByTestId('login-submit').click();
}

async function text(page, testId) {
  return (await page.getByTestId(testId).textContent()).trim();
}

/** Every page or panel a step of the sign-in can end on. */
const OUTCOMES = ['signed-in', 'auth-error', 'error-page', 'login-error', 'signup-error', 'consent-form'];

/**
 * Waits until the page shows one of `OUTCOMES` and fails at once, saying
 * what the person sees, if it is not `expected`: a refused form should not
 * read as a 20-second timeout.
 */
async function expectOutcome(page, expected) {
  const any = OUTCOMES.map((id) => page.getByTestId(id)).reduce((a, b) => a.or(b));
  try {
    await any.first().waitFor({ timeout: UI_TIMEOUT });
  } catch (err) {
    throw new Error(`waiting for ${expected} at ${page.url()}: nothing known appeared (${err.message.split('\n')[0]})`);
  }
  for (const id of OUTCOMES) {
    if (id !== expected && (await page.getByTestId(id).count()) > 0) {
      const detail =
        id === 'error-page'
          ? `${await text(page, 'error-code')}: ${await text(page, 'error-description')}`
          : id === 'auth-error'
            ? await text(page, 'auth-error-message')
            : await text(page, id);
      throw new Error(`expected ${expected} but ${page.url()} shows ${id}: ${detail}`);
    }
  }
}

/**
 * Waits for the signed-in panel and the sample API call, and returns what
 * the page shows.
 */
async function readSignedIn(page) {
  await expectOutcome(page, 'signed-in');
  const api = page.getByTestId('api-response').or(page.getByTestId('api-error'));
  await api.first().waitFor({ timeout: UI_TIMEOUT });
  const apiError = (await page.getByTestId('api-error').count()) > 0 ? await text(page, 'api-error') : null;
  return {
    name: await text(page, 'user-name'),
    email: await text(page, 'user-email'),
    sub: await text(page, 'user-sub'),
    idClaims: JSON.parse(await text(page, 'id-token-claims')),
    accessClaims: JSON.parse(await text(page, 'access-token-claims')),
    apiResponse: apiError === null ? JSON.parse(await text(page, 'api-response')) : null,
    apiError,
  };
}

/** What the page keeps where scripts (and other tabs) could read it. */
async function browserStorage(page) {
  return page.evaluate(() => ({
    local: { ...localStorage },
    session: { ...sessionStorage },
    cookie: document.cookie,
  }));
}

/** Asserts no token of `redirects` (or any JWT) is in the page's storage. */
async function assertNoStoredTokens(page, redirects) {
  const storage = await browserStorage(page);
  const dump = JSON.stringify(storage);
  assert.doesNotMatch(dump, /eyJ[\w-]+\.[\w-]+\./, `no JWT in storage: ${dump}`);
  for (const location of redirects) {
    const params = new URLSearchParams(new URL(location).hash.slice(1));
    for (const name of ['access_token', 'id_token']) {
      const token = params.get(name);
      if (token) assert.ok(!dump.includes(token), `the ${name} is not kept in storage`);
    }
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fragmentOf(location) {
  return Object.fromEntries(new URLSearchParams(new URL(location).hash.slice(1)));
}

async function sessionCookie(context) {
  return (await context.cookies(tenant.baseUrl)).find((c) => c.name === SESSION_COOKIE);
}

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no script or console errors');
}

/** A random address and a password the tenant's policy accepts. */
function newAccount() {
  return {
    email: `browser-${crypto.randomBytes(5).toString('hex')}@example.test`,
    password: `pw-${crypto.randomBytes(12).toString('base64url')}`,
  };
}

// ---------------------------------------------------------------------------

before(async () => {
  tenant = await startTenant();
  demo = await provisionDemo(tenant.baseUrl, tenant.bootstrap.clientId, tenant.bootstrap.clientSecret);
  const res = await fetch(url('/app-config.json'));
  assert.equal(res.status, 200);
  appClientId = (await res.json()).client_id;
  chromiumBrowser = await launchChromium();
});

after(async () => {
  await chromiumBrowser?.close();
  await tenant?.stop();
});

test('the demo user signs in, is signed in again without the form, and signs out', async () => {
  const { context, page } = await freshPage();
  try {
    // Home: the sign-in link is the authorization request of the app client.
    await openHome(page);
    await screenshot(page, 'sign-in-home');
    const { stored, href } = await clickSignIn(page);
    const request = new URL(href);
    assert.equal(request.origin + request.pathname, url('/authorize'));
    assert.equal(request.searchParams.get('client_id'), appClientId);
    assert.equal(request.searchParams.get('redirect_uri'), url('/callback'));
    assert.equal(request.searchParams.get('response_type'), 'id_token token');
    assert.equal(request.searchParams.get('state'), stored.state);
    assert.equal(request.searchParams.get('nonce'), stored.nonce);

    // The tenant's login page, then back to the app.
    await expectLoginPage(page);
    assert.match(await page.locator('main').textContent(), /Sign in to continue to Edge Tenant/);
    await screenshot(page, 'sign-in-login');
    await submitLogin(page, demo.email, demo.password);

    const shown = await readSignedIn(page);
    await screenshot(page, 'sign-in-signed-in');
    assert.equal(shown.email, demo.email);
    assert.equal(shown.name, 'Demo User');
    assert.match(shown.sub, /^auth0\|/);

    // The ID token: for this app, from this tenant, answering this request.
    assert.equal(shown.idClaims.aud, appClientId);
    assert.equal(shown.idClaims.iss, tenant.issuer);
    assert.equal(shown.idClaims.nonce, stored.nonce);
    assert.equal(shown.idClaims.sub, shown.sub);
    assert.equal(shown.idClaims.email, demo.email);
    assert.equal(typeof shown.idClaims.at_hash, 'string');
    // The access token: for the default audience (the Sample API).
    const audiences = [].concat(shown.accessClaims.aud);
    assert.ok(audiences.includes(SAMPLE_API), `access token audiences ${JSON.stringify(audiences)}`);
    assert.ok(audiences.includes(`${tenant.issuer}userinfo`), `access token audiences ${JSON.stringify(audiences)}`);
    assert.equal(shown.accessClaims.sub, shown.sub);
    // The API accepted the access token and saw the same person.
    assert.equal(shown.apiError, null, `the API call failed: ${shown.apiError}`);
    assert.equal(shown.apiResponse.sub, shown.sub);

    // Tokens are gone from the address bar and never stored.
    assert.equal(page.url(), url('/callback'));
    assert.equal(await page.evaluate(() => location.hash), '');
    assert.equal(page.tokenRedirects.length, 1, `one redirect with tokens: ${page.tokenRedirects}`);
    const sent = fragmentOf(page.tokenRedirects[0]);
    assert.equal(sent.state, stored.state);
    assert.ok(sent.access_token && sent.id_token, 'the tenant sent both tokens');
    await assertNoStoredTokens(page, page.tokenRedirects);
    assert.equal(await storedAuthRequest(page), null, 'the pending sign-in was used up');
    const cookie = await sessionCookie(context);
    assert.ok(cookie, 'the tenant set its session cookie');
    assert.equal(cookie.httpOnly, true);
    assertNoProblems(page);

    // A second sign-in goes straight through: the tenant remembers the session.
    const visited = [];
    const onRequest = (req) => req.isNavigationRequest() && visited.push(req.url());
    page.on('request', onRequest);
    const second = await clickSignIn(page);
    assert.notEqual(second.stored.state, stored.state, 'a fresh state for each sign-in');
    const again = await readSignedIn(page);
    page.off('request', onRequest);
    assert.equal(again.email, demo.email);
    assert.equal(again.sub, shown.sub);
    assert.equal(again.idClaims.nonce, second.stored.nonce);
    assert.ok(
      !visited.some((u) => new URL(u).pathname.startsWith('/u/')),
      `no login page on the way: ${visited.join(', ')}`,
    );
    assert.equal(page.url(), url('/callback'));

    // Sign out: back on the home page, without the tenant's session.
    await page.getByTestId('sign-out').click();
    await page.waitForURL(url('/'), { timeout: UI_TIMEOUT });
    await page.getByTestId('sign-in').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await sessionCookie(context), undefined, 'the session cookie is gone');
    assert.equal(await page.getByTestId('home-signed-in').count(), 0);

    // A third sign-in asks for the password again.
    await clickSignIn(page);
    await expectLoginPage(page);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('the demo user signs in with code + PKCE: the same verified claims, the code gone from the address, no token in any URL', async () => {
  const { context, page } = await freshPage();
  try {
    const seen = [];
    const exchanges = [];
    page.on('framenavigated', (frame) => seen.push(frame.url()));
    page.on('request', (request) => seen.push(request.url()));
    page.on('response', (response) => {
      const location = response.headers().location;
      if (location) seen.push(new URL(location, response.url()).href);
      if (new URL(response.url()).pathname === '/oauth/token') {
        const form = Object.fromEntries(new URLSearchParams(response.request().postData()));
        exchanges.push(response.json().then((body) => ({ form, status: response.status(), body })));
      }
    });

    // Both ways in: the reference pages' implicit link, unchanged, then the
    // code flow's button.
    const link = await openHome(page);
    assert.equal(new URL(await link.getAttribute('href')).searchParams.get('response_type'), 'id_token token');
    const button = page.getByTestId('sign-in-code');
    assert.equal((await button.textContent()).trim(), 'Sign in with code + PKCE (recommended)');
    await screenshot(page, 'sign-in-home-two-buttons');
    const authorizeSeen = page.waitForRequest((request) => new URL(request.url()).pathname === '/authorize');
    await button.click();
    const authorize = new URL((await authorizeSeen).url());
    await expectLoginPage(page);
    const pending = JSON.parse(await page.evaluate(() => sessionStorage.getItem('edge_tenant.code_request')));
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('client_id'), appClientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), url('/callback'));
    assert.equal(authorize.searchParams.get('state'), pending.state);
    assert.equal(authorize.searchParams.get('nonce'), pending.nonce);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(
      authorize.searchParams.get('code_challenge'),
      crypto.createHash('sha256').update(pending.code_verifier).digest('base64url'),
    );
    await submitLogin(page, demo.email, demo.password);

    // The same page as the implicit flow shows, from verified tokens.
    const shown = await readSignedIn(page);
    await screenshot(page, 'sign-in-signed-in-code');
    assert.equal(await text(page, 'sign-in-flow'), 'Authorization code with PKCE');
    assert.equal(shown.email, demo.email);
    assert.equal(shown.name, 'Demo User');
    assert.equal(shown.idClaims.aud, appClientId);
    assert.equal(shown.idClaims.iss, tenant.issuer);
    assert.equal(shown.idClaims.nonce, pending.nonce, 'the ID token answers this sign-in');
    assert.equal(shown.idClaims.sub, shown.sub);
    const audiences = [].concat(shown.accessClaims.aud);
    assert.ok(audiences.includes(SAMPLE_API), `access token audiences ${JSON.stringify(audiences)}`);
    assert.equal(shown.apiError, null, `the API call failed: ${shown.apiError}`);
    assert.equal(shown.apiResponse.sub, shown.sub);

    // The code came in the query, was redeemed once with the verifier, and
    // left the address bar (replaced, so not in the history either).
    const callback = seen.map((u) => new URL(u)).find((u) => u.pathname === '/callback' && u.searchParams.has('code'));
    assert.ok(callback, 'the tenant answered with a code in the query');
    assert.equal(callback.hash, '');
    const calls = await Promise.all(exchanges);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].form.grant_type, 'authorization_code');
    assert.equal(calls[0].form.code, callback.searchParams.get('code'));
    assert.equal(calls[0].form.code_verifier, pending.code_verifier);
    assert.equal(calls[0].status, 200);
    assert.equal(page.url(), url('/callback'));
    assert.equal(await page.evaluate(() => location.search + location.hash), '');
    assert.equal(page.tokenRedirects.length, 0, 'no redirect carried tokens');
    const tokens = [calls[0].body.access_token, calls[0].body.id_token, calls[0].body.refresh_token].filter(Boolean);
    for (const address of seen) {
      for (const name of ['access_token', 'id_token', 'refresh_token']) {
        assert.ok(!address.includes(`${name}=`), `no ${name} in ${address}`);
      }
      for (const value of tokens) assert.ok(!address.includes(value), `no token value in ${address}`);
    }
    const storage = JSON.stringify(await browserStorage(page));
    for (const value of tokens) assert.ok(!storage.includes(value), 'no token in storage');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('edge_tenant.code_request')), null, 'the verifier is gone');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a wrong password keeps the person on the login page with an error and no session', async () => {
  const { context, page } = await freshPage();
  try {
    await clickSignIn(page);
    await expectLoginPage(page);
    await submitLogin(page, demo.email, `${demo.password}-wrong`);

    await expectOutcome(page, 'login-error');
    const error = page.getByTestId('login-error');
    await screenshot(page, 'sign-in-login-error');
    assert.equal((await error.textContent()).trim(), 'Wrong email or password.');
    assert.equal(new URL(page.url()).pathname, '/u/login');
    await page.getByTestId('login-form').waitFor();
    // The email is kept for another try; the password is not.
    assert.equal(await page.locator('input[name="email"]').inputValue(), demo.email);
    assert.equal(await page.locator('input[name="password"]').inputValue(), '');
    assert.equal(await sessionCookie(context), undefined, 'no session cookie');
    assert.equal(page.tokenRedirects.length, 0, 'no tokens sent anywhere');
    assert.equal(await page.getByTestId('signed-in').count(), 0);
  } finally {
    await context.close();
  }
});

test('a new person signs up from the login page and arrives signed in', async () => {
  const { context, page } = await freshPage();
  try {
    await clickSignIn(page);
    await expectLoginPage(page);
    await page.getByTestId('signup-link').click();

    await page.getByTestId('signup-form').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(new URL(page.url()).pathname, '/u/signup');
    await screenshot(page, 'sign-in-signup');
    const account = newAccount();
    await page.locator('[data-testid="signup-form"] input[name="email"]').fill(account.email);
    await page.locator('[data-testid="signup-form"] input[name="password"]').fill(account.password);
    await page.getByTestId('signup-submit').click();

    const shown = await readSignedIn(page);
    await screenshot(page, 'sign-in-signed-up');
    assert.equal(shown.email, account.email);
    assert.equal(shown.idClaims.email, account.email);
    assert.equal(shown.idClaims.aud, appClientId);
    assert.equal(shown.apiError, null, `the API call failed: ${shown.apiError}`);
    assert.equal(shown.apiResponse.sub, shown.sub);
    assert.notEqual(shown.sub, '');
    assert.equal(page.url(), url('/callback'));
    assert.ok(await sessionCookie(context), 'signed in at the tenant too');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a response whose state was changed is refused and shows no tokens', async () => {
  const { context, page } = await freshPage();
  try {
    // Signed in once, so the tenant answers the next request at once.
    await clickSignIn(page);
    await expectLoginPage(page);
    await submitLogin(page, demo.email, demo.password);
    await readSignedIn(page);

    // A new sign-in prepared by the SPA; the tenant's real answer to it is
    // fetched with this browser's cookies instead of being followed.
    const link = await openHome(page);
    const stored = await storedAuthRequest(page);
    const href = await link.getAttribute('href');
    const answer = await context.request.get(href, { maxRedirects: 0 });
    assert.equal(answer.status(), 302);
    const location = new URL(answer.headers().location, tenant.baseUrl);
    assert.equal(location.origin + location.pathname, url('/callback'));
    const params = new URLSearchParams(location.hash.slice(1));
    assert.equal(params.get('state'), stored.state, 'the tenant echoed the stored state');
    assert.ok(params.get('access_token') && params.get('id_token'), 'a real token response');

    // Someone changed the state on the way.
    params.set('state', crypto.randomBytes(32).toString('base64url'));
    const tampered = `${location.origin}${location.pathname}#${params.toString()}`;
    await page.goto(tampered);

    await expectOutcome(page, 'auth-error');
    await screenshot(page, 'sign-in-auth-error-state');
    const message = await text(page, 'auth-error-message');
    assert.match(message, /state/i);
    assert.equal(await page.getByTestId('signed-in').count(), 0, 'no signed-in panel');
    assert.equal(await page.getByTestId('id-token-claims').count(), 0);
    assert.equal(await page.getByTestId('access-token-claims').count(), 0);
    assert.ok(!(await page.content()).includes(params.get('access_token')), 'the token is not on the page');
    assert.equal(page.url(), url('/callback'), 'the tokens left the address bar');
    await assertNoStoredTokens(page, [tampered]);

    // The pending sign-in is used up: the untouched answer no longer works.
    await page.goto('about:blank');
    await page.goto(location.href);
    await expectOutcome(page, 'auth-error');
    assert.match(await text(page, 'auth-error-message'), /no sign-in in progress/);
    assert.equal(await page.getByTestId('signed-in').count(), 0);
  } finally {
    await context.close();
  }
});

test('a third-party app gets consent first: declining answers access_denied, accepting sends tokens', async () => {
  const token = await mgmtToken(tenant, ['update:tenant_settings']);
  await setDynamicRegistration(tenant, token, true);
  const clientName = `Partner App ${crypto.randomBytes(3).toString('hex')}`;
  const redirectUri = url('/partner/callback');
  const registration = await registerClient(tenant, {
    client_name: clientName,
    redirect_uris: [redirectUri],
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit'],
    response_types: ['id_token token'],
  });
  assert.equal(registration.status, 201, registration.text);
  const clientId = registration.body.client_id;

  const { context, page } = await freshPage();
  try {
    const authorizeUrl = (state) =>
      url(
        `/authorize?${new URLSearchParams({
          response_type: 'id_token token',
          client_id: clientId,
          redirect_uri: redirectUri,
          scope: 'openid profile email',
          state,
          nonce: crypto.randomBytes(16).toString('base64url'),
        })}`,
      );

    // Sign in, then the consent page names the app and what it asks for.
    await page.goto(authorizeUrl('deny-1'));
    await expectLoginPage(page);
    assert.match(await page.locator('main').textContent(), new RegExp(`continue to ${escapeRegExp(clientName)}`));
    await submitLogin(page, demo.email, demo.password);
    await expectOutcome(page, 'consent-form');
    await screenshot(page, 'sign-in-consent');
    const main = await page.locator('main').textContent();
    assert.match(main, new RegExp(`Authorize ${escapeRegExp(clientName)}`));
    assert.match(main, new RegExp(`Signed in as ${escapeRegExp(demo.email)}`));
    const scopes = await page
      .locator('[data-testid="consent-scopes"] li')
      .evaluateAll((items) => items.map((li) => li.dataset.scope));
    assert.deepEqual(scopes, ['openid', 'profile', 'email']);

    // Decline: the app is told access_denied, with its state.
    await page.getByTestId('consent-deny').click();
    await page.waitForURL((u) => u.hash.includes('error='), { timeout: UI_TIMEOUT });
    const denied = new URL(page.url());
    assert.equal(denied.origin + denied.pathname, redirectUri);
    const deniedParams = fragmentOf(denied.href);
    assert.equal(deniedParams.error, 'access_denied');
    assert.equal(deniedParams.state, 'deny-1');
    assert.equal(deniedParams.access_token, undefined);

    // Asked again (declining is not remembered); accept this time.
    await page.goto(authorizeUrl('accept-1'));
    await expectOutcome(page, 'consent-form');
    await page.getByTestId('consent-accept').click();
    await page.waitForURL((u) => u.hash.includes('access_token='), { timeout: UI_TIMEOUT });
    const accepted = new URL(page.url());
    assert.equal(accepted.origin + accepted.pathname, redirectUri);
    const acceptedParams = fragmentOf(accepted.href);
    assert.equal(acceptedParams.state, 'accept-1');
    assert.ok(acceptedParams.id_token, 'an ID token too');
    const idClaims = JSON.parse(Buffer.from(acceptedParams.id_token.split('.')[1], 'base64url'));
    assert.equal(idClaims.aud, clientId);
    assert.equal(idClaims.email, demo.email);
  } finally {
    await context.close();
  }
});

test('prompt=none without a session comes back to the app as "not signed in"', async () => {
  const { context, page } = await freshPage();
  try {
    const link = await openHome(page);
    const stored = await storedAuthRequest(page);
    const href = await link.getAttribute('href');
    await page.goto(`${href}&prompt=none`);

    await expectOutcome(page, 'auth-error');
    await screenshot(page, 'sign-in-auth-error-login-required');
    const message = await text(page, 'auth-error-message');
    assert.match(message, /not signed in/i);
    assert.match(message, /login_required/);
    assert.equal(page.url(), url('/callback'));
    assert.equal(page.tokenRedirects.length, 1);
    const sent = fragmentOf(page.tokenRedirects[0]);
    assert.equal(sent.error, 'login_required');
    assert.equal(sent.state, stored.state);
    assert.equal(await page.getByTestId('signed-in').count(), 0);
    assert.equal(await sessionCookie(context), undefined);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('an unregistered redirect_uri shows the tenant error page and goes nowhere', async () => {
  const { context, page } = await freshPage();
  try {
    const navigations = [];
    page.on('request', (req) => navigations.push(req.url()));
    const bad = 'https://attacker.example/callback';
    const response = await page.goto(
      url(
        `/authorize?${new URLSearchParams({
          response_type: 'id_token token',
          client_id: appClientId,
          redirect_uri: bad,
          scope: 'openid profile email',
          state: 'xyz',
          nonce: 'abc',
        })}`,
      ),
    );
    assert.equal(response.status(), 400);
    await page.getByTestId('error-page').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'sign-in-error-page');
    assert.equal(await text(page, 'error-code'), 'invalid_request');
    assert.match(await text(page, 'error-description'), /redirect_uri/);
    assert.equal(new URL(page.url()).origin, new URL(tenant.baseUrl).origin);
    assert.equal(new URL(page.url()).pathname, '/authorize');
    assert.ok(
      navigations.every((u) => new URL(u).origin === new URL(tenant.baseUrl).origin),
      `every request stayed on the tenant: ${navigations.join(', ')}`,
    );
    assert.equal(page.tokenRedirects.length, 0);
  } finally {
    await context.close();
  }
});
