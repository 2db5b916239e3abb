// Auth0's own SPA SDK, `@auth0/auth0-spa-js`, unmodified, in headless
// Chromium against the tenant: what a developer who follows Auth0's
// quickstart runs. The application is a page on its own origin (a small
// Node server on another port) that loads the SDK's published browser
// bundle from node_modules and points its `domain` at the tenant
// (`http://127.0.0.1:PORT`, which the SDK accepts as is). It signs in with
// `loginWithRedirect` (authorization code + PKCE, response_mode query),
// finishes with `handleRedirectCallback`, reads the person with `getUser`,
// and gets access tokens with `getTokenSilently` and `useRefreshTokens`
// (offline_access; the SDK's Web Worker calls /oauth/token across origins
// with the refresh token, so CORS must let it read the answers). Tokens
// never appear in a URL; the test verifies them again with `jose`.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { CHROMIUM_OPTIONS, screenshot } from './browser.mjs';
import {
  api,
  createApi,
  createUser,
  mgmtToken,
  randomName,
  repoRoot,
  startTenant,
  verifyAccessToken,
} from './harness.mjs';

/** How long a step may take to show (a login costs a PBKDF2 hash). */
const UI_TIMEOUT = 20_000;
const SDK_BUNDLE = path.join(repoRoot, 'node_modules', '@auth0', 'auth0-spa-js', 'dist', 'auth0-spa-js.production.js');

let tenant;
let admin;
let resourceServer;
let app; // { origin, close }
let spa; // the tenant's client for the app
let chromiumBrowser;

/** A value inlined into a <script> as a JS literal. */
function scriptLiteral(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The application's one page. With no `code`/`error` in the query it shows
 * a "Log in" button calling `loginWithRedirect`; back from the tenant it
 * calls `handleRedirectCallback`, then `getUser` and `getTokenSilently`
 * three times (the cache, then two refreshes), and shows what it got as
 * JSON in `sdk-result` (or `sdk-error`). A "Log out" button calls
 * `logout` with a return to this page.
 */
function appPage(settings) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA SDK app</title>
<script src="/auth0-spa-js.production.js"></script></head>
<body><h1>An app built on @auth0/auth0-spa-js</h1>
<script type="module">
const settings = ${scriptLiteral(settings)};
function show(testId, value) {
  const pre = document.createElement('pre');
  pre.dataset.testid = testId;
  pre.textContent = typeof value === 'string' ? value : JSON.stringify(value);
  document.body.append(pre);
}
function button(testId, label, onClick) {
  const element = document.createElement('button');
  element.dataset.testid = testId;
  element.textContent = label;
  element.addEventListener('click', () => onClick().catch((err) => show('sdk-error', String(err.error_description || err.message || err))));
  document.body.append(element);
}
try {
  const sdk = await auth0.createAuth0Client({
    domain: settings.domain,
    clientId: settings.clientId,
    authorizationParams: {
      redirect_uri: location.origin + '/',
      audience: settings.audience,
      scope: 'openid profile email read:things',
    },
    useRefreshTokens: true,
    cacheLocation: 'memory',
  });
  const query = new URLSearchParams(location.search);
  if (query.has('code') || query.has('error')) {
    const { appState } = await sdk.handleRedirectCallback();
    history.replaceState(null, '', '/');
    const user = await sdk.getUser();
    const idTokenClaims = await sdk.getIdTokenClaims();
    const cached = await sdk.getTokenSilently({ detailedResponse: true });
    const refreshed = await sdk.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
    const again = await sdk.getTokenSilently({ cacheMode: 'off', detailedResponse: true });
    show('sdk-result', {
      appState,
      isAuthenticated: await sdk.isAuthenticated(),
      user,
      idToken: idTokenClaims.__raw,
      cached: cached.access_token,
      refreshed: refreshed.access_token,
      again: again.access_token,
      scope: again.scope,
    });
    button('sdk-log-out', 'Log out', () => sdk.logout({ logoutParams: { returnTo: location.origin + '/' } }));
  } else {
    show('sdk-signed-out', String(await sdk.isAuthenticated()));
    button('sdk-log-in', 'Log in', () => sdk.loginWithRedirect({ appState: { returnTo: '/profile' } }));
  }
} catch (err) {
  show('sdk-error', String((err && (err.error_description || err.message)) || err) + ' [' + (err && err.error) + ']');
}
</script></body></html>`;
}

async function startApp(settings) {
  const bundle = await readFile(SDK_BUNDLE);
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://app');
    if (pathname === '/auth0-spa-js.production.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return res.end(bundle);
    }
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(appPage(settings()));
    }
    if (pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    res.writeHead(404);
    return res.end();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  resourceServer = await createApi(tenant, admin, { allow_offline_access: true });
  app = await startApp(() => ({ domain: tenant.baseUrl, clientId: spa.client_id, audience: resourceServer.identifier }));
  const res = await api(tenant, admin, 'POST', '/api/v2/clients', {
    name: randomName('spa-sdk'),
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [`${app.origin}/`],
    allowed_logout_urls: [`${app.origin}/`],
    web_origins: [app.origin],
  });
  assert.equal(res.status, 201, res.text);
  spa = res.body;
  chromiumBrowser = await chromium.launch(CHROMIUM_OPTIONS);
});

after(async () => {
  await chromiumBrowser?.close();
  await app?.close();
  await tenant?.stop();
});

/**
 * A fresh context and page; `page.problems` collects script and console
 * errors and every 4xx/5xx answer, `page.urls` every URL requested.
 */
async function freshPage() {
  const context = await chromiumBrowser.newContext();
  const page = await context.newPage();
  page.problems = [];
  page.urls = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`);
  });
  context.on('request', (request) => page.urls.push(request.url()));
  context.on('response', (response) => {
    if (response.status() >= 400) page.problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  return { context, page };
}

/** Waits for one of the app's outcomes (or the tenant's login form) and returns its test id. */
async function outcome(page) {
  const ids = ['sdk-result', 'sdk-error', 'sdk-signed-out', 'login-form'];
  await page.locator(ids.map((id) => `[data-testid="${id}"]`).join(', ')).first().waitFor({ timeout: UI_TIMEOUT });
  for (const id of ids) {
    if ((await page.getByTestId(id).count()) > 0) return id;
  }
  throw new Error('unreachable');
}

async function shown(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

test('@auth0/auth0-spa-js signs a person in with code + PKCE and refreshes tokens from another origin', async () => {
  const { user, email, password } = await createUser(tenant, admin);
  const { context, page } = await freshPage();
  try {
    await page.goto(`${app.origin}/`);
    assert.equal(await outcome(page), 'sdk-signed-out', page.problems.join('\n'));
    assert.equal(await shown(page, 'sdk-signed-out'), 'false');

    await page.getByTestId('sdk-log-in').click();
    await page.waitForURL((url) => url.href.startsWith(`${tenant.baseUrl}/u/login`), { timeout: UI_TIMEOUT });
    assert.equal(await outcome(page), 'login-form', page.problems.join('\n'));
    const authorize = page.urls.find((url) => url.startsWith(`${tenant.baseUrl}/authorize?`));
    const asked = new URL(authorize).searchParams;
    assert.equal(asked.get('response_type'), 'code');
    assert.equal(asked.get('response_mode'), 'query');
    assert.equal(asked.get('code_challenge_method'), 'S256');
    assert.ok(asked.get('scope').split(' ').includes('offline_access'), 'useRefreshTokens asks for offline_access');

    await page.locator('[data-testid="login-form"] input[name="email"]').fill(email);
    await page.locator('[data-testid="login-form"] input[name="password"]').fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL((url) => url.origin === app.origin, { timeout: UI_TIMEOUT });
    const ended = await outcome(page);
    if (ended !== 'sdk-result') {
      await screenshot(page, 'spa-sdk-sign-in');
      assert.fail(`the SDK did not finish the sign-in: ${ended} ${ended === 'sdk-error' ? await shown(page, 'sdk-error') : ''} ${page.problems.join('\n')}`);
    }
    const result = JSON.parse(await shown(page, 'sdk-result'));
    assert.equal(new URL(page.url()).origin, app.origin);
    assert.deepEqual(result.appState, { returnTo: '/profile' });
    assert.equal(result.isAuthenticated, true);
    assert.equal(result.user.sub, user.user_id, 'getUser: the person who signed in');
    assert.equal(result.user.email, email);

    // Three access tokens: from the code, then two refreshes (each a new
    // refresh token: rotation), all for the API and the person.
    assert.notEqual(result.refreshed, result.cached, 'cacheMode off: a new token from the refresh token');
    assert.notEqual(result.again, result.refreshed);
    for (const token of [result.cached, result.refreshed, result.again]) {
      const { payload } = await verifyAccessToken(tenant, token, { audience: resourceServer.identifier, algorithm: 'RS256' });
      assert.equal(payload.sub, user.user_id);
      assert.equal(payload.client_id, spa.client_id);
      assert.ok(payload.scope.split(' ').includes('read:things'), payload.scope);
    }
    const refreshes = page.urls.filter((url) => url === `${tenant.baseUrl}/oauth/token`);
    assert.ok(refreshes.length >= 3, `the code redemption and two refreshes reached /oauth/token: ${refreshes.length}`);

    // No token in any URL the browser requested; the code only in the query.
    for (const url of page.urls) {
      assert.doesNotMatch(url, /access_token|id_token=|refresh_token/, url);
      assert.ok(!url.includes(result.cached) && !url.includes(result.idToken), url);
    }
    assert.deepEqual(page.problems, [], 'no script or console error');

    // Log out: the tenant's session ends and the app is back, signed out.
    await Promise.all([
      page.waitForRequest((request) => request.url().startsWith(`${tenant.baseUrl}/v2/logout?`), { timeout: UI_TIMEOUT }),
      page.getByTestId('sdk-log-out').click(),
    ]);
    await page.getByTestId('sdk-signed-out').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(new URL(page.url()).origin, app.origin);
    assert.equal(await shown(page, 'sdk-signed-out'), 'false');
    await page.getByTestId('sdk-log-in').click();
    await page.waitForURL((url) => url.href.startsWith(`${tenant.baseUrl}/u/login`), { timeout: UI_TIMEOUT });
    assert.equal(await outcome(page), 'login-form', 'signing in again asks for the password');
  } finally {
    await context.close();
  }
});
