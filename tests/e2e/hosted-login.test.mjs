// The hosted login and the implicit flow, driven over plain HTTP the way a
// browser does (a cookie jar, every redirect looked at): `/authorize`, the
// login and signup pages under `/u/`, consent for third-party apps,
// `/v2/logout`, and what the tokens are good for (`/userinfo`,
// `/api/whoami`, an API's scopes). The ID tokens are validated by an
// independent client, `openid-client` v6 (its implicit flow), and with
// `jose` where a check needs more than it offers (`at_hash` of
// `id_token token`). The attacks a login page must withstand are here too:
// tokens sent only to registered redirect URIs, forms accepted only from
// the tenant's own pages, no framing or caching, and rate limits per
// account and per address.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { jwtVerify } from 'jose';
import * as client from 'openid-client';

import {
  api,
  auditLog,
  appConfig,
  authorizeQuery,
  Browser,
  createApi,
  createM2MClient,
  createUser,
  csrfField,
  decodeJwt,
  fragmentParams,
  hostedLogin,
  mgmtToken,
  randomEmail,
  randomName,
  randomPassword,
  registerClient,
  setDynamicRegistration,
  sleep,
  startEarlyInAMinute,
  startTenant,
  tags,
  tenantJwks,
  testIdText,
  updateTenantSettings,
  userPath,
  verifyAccessToken,
} from './harness.mjs';
import { provisionDemo } from '../../scripts/provision-dev.mjs';

let tenant;
let admin;
let app;
let demo;
let callback;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  app = await appConfig(tenant);
  demo = await provisionDemo(tenant.baseUrl, tenant.bootstrap.clientId, tenant.bootstrap.clientSecret);
  callback = `${tenant.baseUrl}/callback`;
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

const WRONG_CREDENTIALS = 'Wrong email or password.';
const TOO_MANY = 'Too many attempts. Wait a minute, then try again.';
const SIGNUP_REFUSED =
  'We could not create an account with these details. If you already have an account, sign in instead.';

/** An `/authorize` query for the built-in app; `extra` overrides (undefined drops). */
function appQuery(extra = {}) {
  return authorizeQuery({
    response_type: 'id_token token',
    client_id: app.client_id,
    redirect_uri: callback,
    scope: 'openid profile email',
    state: randomName('state'),
    nonce: randomName('nonce'),
    ...extra,
  });
}

const paramsOf = (query) => Object.fromEntries(new URLSearchParams(query));

/** The fields a person types into the login form. */
const creds = ({ email, password }) => ({ email, password });

/** A user of its own for a test, so attempts never share an account's limit. */
async function newUser(overrides) {
  return createUser(tenant, admin, overrides);
}

async function userRecord(userId) {
  const res = await api(tenant, admin, 'GET', userPath(userId));
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Headers every page of the tenant carries. */
function assertPageHeaders(res, what) {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/, `${what}: HTML`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  // same-origin: no URL leaks to other sites, yet the page's own form posts
  // carry a real Origin (no-referrer would make browsers send Origin: null).
  assert.equal(res.headers.get('referrer-policy'), 'same-origin', `${what}: Referrer-Policy`);
}

/** A redirect carrying an answer for the client is not cached or leaked. */
function assertRedirectHeaders(res, what) {
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
}

function sessionCookieSet(res) {
  return res.setCookies.some((line) => /^tenant_session=[^;]+/.test(line) && !/Max-Age=0\b/i.test(line));
}

/** The tenant's own error page: never a redirect, never a session. */
function assertErrorPage(res, status, code, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.location ?? ''} ${res.text}`);
  assert.equal(res.location, null, `${what}: no redirect`);
  assertPageHeaders(res, what);
  assert.notEqual(testIdText(res.text, 'error-page'), null, `${what}: the error page`);
  assert.equal(testIdText(res.text, 'error-code'), code, what);
  assert.ok(testIdText(res.text, 'error-description'), `${what}: a description`);
  assert.ok(!sessionCookieSet(res), `${what}: no session`);
}

/** An error sent back to the client at its redirect URI, in the fragment. */
function assertClientError(res, redirectUri, error, state, what) {
  assert.equal(res.status, 302, `${what}: ${res.status} ${res.text}`);
  assert.ok(res.location.startsWith(`${redirectUri}#`), `${what}: to the client, in the fragment: ${res.location}`);
  const params = fragmentParams(res.location);
  assert.equal(params.error, error, `${what}: ${res.location}`);
  assert.equal(typeof params.error_description, 'string', what);
  assert.equal(params.state, state, `${what}: the state comes back`);
  assert.equal(params.access_token, undefined, what);
  assert.equal(params.id_token, undefined, what);
  assertRedirectHeaders(res, what);
  return params;
}

/** Tokens sent back to the client at its redirect URI, in the fragment. */
function assertTokens(res, redirectUri, what) {
  assert.equal(res.status, 302, `${what}: ${res.status} ${res.location ?? ''} ${res.text}`);
  assert.ok(res.location.startsWith(`${redirectUri}#`), `${what}: to the client: ${res.location}`);
  const params = fragmentParams(res.location);
  assert.equal(params.error, undefined, `${what}: ${params.error} ${params.error_description}`);
  assertRedirectHeaders(res, what);
  return params;
}

/** OIDC Core §3.2.2.9: base64url of the left half of SHA-256 of the token. */
function atHash(accessToken) {
  return crypto.createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/**
 * Validates an ID token as a relying party must (OIDC Core §3.2.2.11):
 * signature against the tenant's JWKS (RS256), typ, iss, aud, exp, nonce,
 * and at_hash when an access token came with it. Returns the claims.
 */
async function verifyIdToken(idToken, { clientId, nonce, accessToken }) {
  const { payload, protectedHeader } = await jwtVerify(idToken, await tenantJwks(tenant), {
    issuer: tenant.issuer,
    audience: clientId,
    algorithms: ['RS256'],
    typ: 'JWT',
  });
  assert.equal(typeof protectedHeader.kid, 'string');
  assert.equal(payload.nonce, nonce, 'nonce');
  assert.equal(typeof payload.sub, 'string');
  assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp) && payload.exp > payload.iat);
  assert.ok(Number.isInteger(payload.auth_time) && payload.auth_time <= payload.iat + 1, 'auth_time');
  if (accessToken !== undefined) assert.equal(payload.at_hash, atHash(accessToken), 'at_hash');
  return payload;
}

/** Signs in a fresh browser to the built-in app; returns the browser and tokens. */
async function signedIn(user, extra = {}) {
  const browser = new Browser(tenant);
  const query = appQuery(extra);
  const res = await hostedLogin(browser, query, user);
  const params = assertTokens(res, callback, 'sign-in');
  return { browser, params, query };
}

// ---------------------------------------------------------------------------
// The built-in app and the whole sign-in

test('the tenant publishes its built-in app client and the implicit flow in discovery', async () => {
  assert.equal(app.issuer, tenant.issuer);
  assert.match(app.client_id, /^[A-Za-z0-9]{16,}$/);
  const doc = await (await fetch(`${tenant.baseUrl}/.well-known/openid-configuration`)).json();
  assert.equal(doc.authorization_endpoint, `${tenant.issuer}authorize`);
  assert.equal(doc.userinfo_endpoint, `${tenant.issuer}userinfo`);
  for (const type of ['token', 'id_token', 'id_token token']) assert.ok(doc.response_types_supported.includes(type), type);
  for (const mode of ['fragment', 'form_post']) assert.ok(doc.response_modes_supported.includes(mode), mode);
});

test('a person signs in to the built-in app at the hosted login, and openid-client validates the ID token', async () => {
  const config = await client.discovery(new URL(tenant.issuer), app.client_id, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  client.useIdTokenResponseType(config);
  const nonce = client.randomNonce();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope: 'openid profile email',
    nonce,
    state,
  });
  assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${tenant.baseUrl}/authorize`);
  const query = authorizationUrl.search.slice(1);
  const browser = new Browser(tenant);

  // No session: to the login page, which keeps the whole request.
  const start = await browser.request(`${authorizationUrl.pathname}${authorizationUrl.search}`);
  assert.equal(start.status, 302, start.text);
  const loginUrl = new URL(start.location, tenant.baseUrl);
  assert.equal(loginUrl.origin + loginUrl.pathname, `${tenant.baseUrl}/u/login`);
  assert.deepEqual(paramsOf(loginUrl.search.slice(1)), paramsOf(query));
  assert.equal(browser.cookie('tenant_session'), undefined);

  // The login page: a form posting back with the request, and a CSRF cookie.
  const page = await browser.request(start.location);
  assert.equal(page.status, 200, page.text);
  assertPageHeaders(page, 'the login page');
  assert.notEqual(testIdText(page.text, 'login-form'), null);
  assert.notEqual(testIdText(page.text, 'signup-link'), null, 'signup is on by default');
  const form = tags(page.text, 'form')[0];
  assert.equal(form.method, 'post');
  assert.equal(form.action, `/u/login?${query}`);
  const inputs = Object.fromEntries(tags(page.text, 'input').map((input) => [input.name, input]));
  assert.equal(inputs.email?.type, 'email');
  assert.equal(inputs.password?.type, 'password');
  assert.equal(inputs.password.value, undefined, 'no password prefilled');
  assert.equal(inputs.csrf?.type, 'hidden');
  const csrfCookie = page.setCookies.find((line) => line.startsWith('tenant_csrf='));
  assert.ok(csrfCookie, `a CSRF cookie: ${page.setCookies}`);
  assert.match(csrfCookie, /;\s*Path=\/(;|$)/);
  assert.match(csrfCookie, /;\s*HttpOnly(;|$)/i);
  assert.match(csrfCookie, /;\s*SameSite=Strict(;|$)/i);
  assert.equal(inputs.csrf.value, browser.cookie('tenant_csrf'), 'the double-submit token');

  // The form: signed in, a session cookie, and the answer at the callback.
  const res = await browser.request(form.action, {
    form: { csrf: inputs.csrf.value, email: demo.email, password: demo.password },
  });
  assert.equal(res.status, 302, res.text);
  assert.ok(res.location.startsWith(`${callback}#`), res.location);
  assertRedirectHeaders(res, 'the answer');
  const sessionCookie = res.setCookies.find((line) => line.startsWith('tenant_session='));
  assert.ok(sessionCookie, `a session cookie: ${res.setCookies}`);
  assert.match(sessionCookie, /^tenant_session=[A-Za-z0-9_-]{20,};/);
  assert.match(sessionCookie, /;\s*Path=\/(;|$)/);
  assert.match(sessionCookie, /;\s*HttpOnly(;|$)/i);
  assert.match(sessionCookie, /;\s*SameSite=Lax(;|$)/i);
  assert.doesNotMatch(sessionCookie, /;\s*Secure/i, 'no Secure on plain-http loopback');
  const params = fragmentParams(res.location);
  assert.equal(params.access_token, undefined, 'response_type=id_token brings no access token');

  const claims = await client.implicitAuthentication(config, new URL(res.location), nonce, { expectedState: state });
  const [demoUser] = (await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${demo.email}`)).body;
  assert.equal(claims.sub, demoUser.user_id);
  assert.equal(claims.aud, app.client_id);
  assert.equal(claims.iss, tenant.issuer);
  assert.equal(claims.email, demo.email);
  assert.equal(claims.email_verified, true);
  assert.equal(claims.name, 'Demo User');
  assert.equal(claims.nickname, 'demo');
  assert.equal(typeof claims.updated_at, 'number');
  assert.ok(Math.abs(claims.auth_time - Date.now() / 1000) < 60, 'auth_time is now');

  // The same validation refuses another nonce or state.
  await assert.rejects(client.implicitAuthentication(config, new URL(res.location), client.randomNonce(), { expectedState: state }));
  await assert.rejects(client.implicitAuthentication(config, new URL(res.location), nonce, { expectedState: client.randomState() }));
});

test('id_token token: a verifiable ID token bound to an access token for the default API and userinfo', async () => {
  const user = await newUser({ name: 'Token Tester', email_verified: true });
  const nonce = randomName('nonce');
  const state = randomName('state');
  const browser = new Browser(tenant);
  const res = await hostedLogin(
    browser,
    appQuery({ scope: 'openid profile email read:messages', nonce, state }),
    user,
  );
  const params = assertTokens(res, callback, 'sign-in');
  assert.equal(params.token_type, 'Bearer');
  assert.equal(params.expires_in, '7200');
  assert.equal(params.scope, 'openid profile email read:messages');
  assert.equal(params.state, state);

  const idToken = await verifyIdToken(params.id_token, { clientId: app.client_id, nonce, accessToken: params.access_token });
  assert.equal(idToken.sub, user.user.user_id);
  assert.equal(idToken.name, 'Token Tester');
  assert.equal(idToken.nickname, user.email.split('@')[0]);
  assert.equal(idToken.email, user.email);
  assert.equal(idToken.email_verified, true);
  assert.equal(typeof idToken.updated_at, 'number');

  // The access token: for the tenant's default audience (the sample API)
  // and for /userinfo, as an API verifies it.
  const { payload, protectedHeader } = await verifyAccessToken(tenant, params.access_token, {
    audience: demo.audience,
    algorithm: 'RS256',
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.deepEqual(payload.aud, [demo.audience, `${tenant.issuer}userinfo`]);
  assert.equal(payload.sub, user.user.user_id);
  assert.equal(payload.scope, 'openid profile email read:messages');
  assert.equal(payload.exp - payload.iat, 7200);

  // Naming the audience gives the same.
  const named = await browser.request(`/authorize?${appQuery({ audience: demo.audience, scope: 'openid read:messages' })}`);
  const namedToken = decodeJwt(assertTokens(named, callback, 'with audience').access_token);
  assert.deepEqual(namedToken.aud, [demo.audience, `${tenant.issuer}userinfo`]);
  assert.equal(namedToken.scope, 'openid read:messages');
});

test('the access token audience: only the API without openid, only userinfo without an API', async () => {
  const user = await newUser();
  const { browser } = await signedIn(user);
  const apiOnly = await browser.request(`/authorize?${appQuery({ response_type: 'token', scope: 'read:messages', nonce: undefined })}`);
  const apiOnlyParams = assertTokens(apiOnly, callback, 'token without openid');
  const { payload } = await verifyAccessToken(tenant, apiOnlyParams.access_token, { audience: demo.audience, algorithm: 'RS256' });
  assert.deepEqual([].concat(payload.aud), [demo.audience]);
  assert.equal(payload.scope, 'read:messages');
  assert.equal(apiOnlyParams.id_token, undefined, 'response_type=token: no ID token');
  const refused = await api(tenant, apiOnlyParams.access_token, 'GET', '/userinfo');
  assert.equal(refused.status, 401, `a token not for userinfo cannot read it: ${refused.text}`);

  await updateTenantSettings(tenant, admin, { default_audience: '' });
  try {
    const userinfoOnly = await browser.request(`/authorize?${appQuery({ scope: 'openid email read:messages' })}`);
    const params = assertTokens(userinfoOnly, callback, 'no API');
    const { payload: claims } = await verifyAccessToken(tenant, params.access_token, {
      audience: `${tenant.issuer}userinfo`,
      algorithm: 'RS256',
    });
    assert.deepEqual([].concat(claims.aud), [`${tenant.issuer}userinfo`]);
    assert.equal(claims.scope, 'openid email', 'API scopes need an API');
    assert.equal(params.scope, 'openid email');
  } finally {
    await updateTenantSettings(tenant, admin, { default_audience: demo.audience });
  }
});

test('/userinfo and /api/whoami accept the implicit access token', async () => {
  const user = await newUser({ name: 'Info Seeker', given_name: 'Info' });
  const { params } = await signedIn(user, { scope: 'openid profile email' });
  const token = params.access_token;

  const info = await api(tenant, token, 'GET', '/userinfo');
  assert.equal(info.status, 200, info.text);
  assert.equal(info.headers.get('access-control-allow-origin'), '*');
  assert.equal(info.body.sub, user.user.user_id);
  assert.equal(info.body.name, 'Info Seeker');
  assert.equal(info.body.given_name, 'Info');
  assert.equal(info.body.nickname, user.email.split('@')[0]);
  assert.equal(info.body.email, user.email);
  assert.equal(info.body.email_verified, false);
  assert.equal(typeof info.body.updated_at, 'number');
  const posted = await api(tenant, token, 'POST', '/userinfo');
  assert.equal(posted.status, 200, posted.text);
  assert.deepEqual(posted.body, info.body);

  const preflight = await fetch(`${tenant.baseUrl}/userinfo`, {
    method: 'OPTIONS',
    headers: { origin: 'https://spa.example.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.ok(preflight.status === 204 || preflight.status === 200, `preflight: ${preflight.status}`);
  assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/i);

  // Refusals are readable cross-origin too, with their challenge.
  for (const [what, bearer] of [['no token', null], ['a broken token', `${token}x`]]) {
    const refused = await api(tenant, bearer, 'GET', '/userinfo');
    assert.equal(refused.status, 401, `${what}: ${refused.text}`);
    assert.equal(refused.headers.get('access-control-allow-origin'), '*', what);
    assert.match(refused.headers.get('access-control-expose-headers') ?? '', /WWW-Authenticate/i, what);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/, what);
  }

  // Only the claims the scopes release.
  const { params: narrow } = await signedIn(user, { scope: 'openid' });
  const narrowInfo = await api(tenant, narrow.access_token, 'GET', '/userinfo');
  assert.equal(narrowInfo.status, 200, narrowInfo.text);
  assert.deepEqual(narrowInfo.body, { sub: user.user.user_id });

  const whoami = await api(tenant, token, 'GET', '/api/whoami');
  assert.equal(whoami.status, 200, whoami.text);
  assert.equal(whoami.body.sub, user.user.user_id);
  assert.equal(whoami.body.iss, tenant.issuer);
  assert.deepEqual(whoami.body.aud, [demo.audience, `${tenant.issuer}userinfo`]);
  assert.equal(whoami.body.scope, 'openid profile email');
  assert.equal((await api(tenant, null, 'GET', '/api/whoami')).status, 401);
});

// ---------------------------------------------------------------------------
// Sessions and prompts

test('a session signs the person in again without the login page; another browser has none', async () => {
  const user = await newUser();
  const { browser, params } = await signedIn(user);
  const first = decodeJwt(params.id_token);

  const nonce = randomName('nonce');
  const state = randomName('state');
  const again = await browser.request(`/authorize?${appQuery({ nonce, state })}`);
  const answer = assertTokens(again, callback, 'with the session');
  assert.equal(answer.state, state);
  const second = await verifyIdToken(answer.id_token, { clientId: app.client_id, nonce, accessToken: answer.access_token });
  assert.equal(second.sub, first.sub);
  assert.equal(second.auth_time, first.auth_time, 'the same sign-in');
  assert.ok(!sessionCookieSet(again), 'no new session');

  const silent = await browser.request(`/authorize?${appQuery({ prompt: 'none' })}`);
  assertTokens(silent, callback, 'prompt=none with a session');

  const stranger = new Browser(tenant);
  const state2 = randomName('state');
  assertClientError(
    await stranger.request(`/authorize?${appQuery({ prompt: 'none', state: state2 })}`),
    callback,
    'login_required',
    state2,
    'prompt=none without a session',
  );
});

test('prompt=login and max_age ask for the password again even with a session', async () => {
  const user = await newUser();
  const { browser, params } = await signedIn(user);
  const firstAuthTime = decodeJwt(params.id_token).auth_time;
  const firstSession = browser.cookie('tenant_session');
  await sleep(1_100); // auth_time has second resolution

  const recent = await browser.request(`/authorize?${appQuery({ max_age: '3600' })}`);
  assertTokens(recent, callback, 'max_age=3600, signed in a second ago');

  for (const extra of [{ prompt: 'login' }, { max_age: '0' }]) {
    const query = appQuery(extra);
    const res = await browser.request(`/authorize?${query}`);
    assert.equal(res.status, 302, res.text);
    assert.equal(res.location, `/u/login?${query}`, `${JSON.stringify(extra)}: the login page`);
  }

  const query = appQuery({ prompt: 'login' });
  const page = await browser.request(`/u/login?${query}`);
  const res = await browser.request(`/u/login?${query}`, { form: { csrf: csrfField(page.text), ...creds(user) } });
  const answer = assertTokens(res, callback, 'signing in again');
  assert.ok(decodeJwt(answer.id_token).auth_time > firstAuthTime, 'a new auth_time');
  assert.ok(sessionCookieSet(res), 'a new session');
  assert.notEqual(browser.cookie('tenant_session'), firstSession, 'a new session id, not the old one kept');
});

test('the state and nonce come back exactly, whatever they contain', async () => {
  const user = await newUser();
  const state = 'a b&c=d#e/f?g+h%20i é✓';
  const nonce = 'n+1 & n=2 / ü';
  const res = await hostedLogin(new Browser(tenant), appQuery({ state, nonce }), user);
  const params = assertTokens(res, callback, 'odd state and nonce');
  assert.equal(params.state, state);
  await verifyIdToken(params.id_token, { clientId: app.client_id, nonce, accessToken: params.access_token });
});

test('the pages escape what the request puts in them', async () => {
  const attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
  const browser = new Browser(tenant);
  const page = await browser.request(`/u/login?${appQuery({ login_hint: attack, state: attack })}`);
  assert.equal(page.status, 200, page.text);
  assert.ok(!page.text.includes('<script>alert(1)'), 'no script injected into the login page');
  assert.ok(!page.text.includes('<img src=x'), 'no markup injected into the login page');
  assert.equal(tags(page.text, 'input').find((i) => i.name === 'email').value, attack, 'the hint, as text');
  assert.equal(paramsOf(tags(page.text, 'form')[0].action.split('?')[1]).state, attack, 'the state, kept intact in the form');

  const error = await browser.request(`/authorize?${appQuery({ client_id: attack })}`);
  assert.equal(error.status, 400);
  assert.ok(!error.text.includes('<script>alert(1)') && !error.text.includes('<img src=x'), 'nothing injected into the error page');
});

test('login_hint fills in the email address', async () => {
  const hint = randomEmail('hinted');
  const page = await new Browser(tenant).request(`/u/login?${appQuery({ login_hint: hint })}`);
  assert.equal(page.status, 200, page.text);
  assert.equal(tags(page.text, 'input').find((i) => i.name === 'email').value, hint);
});

// ---------------------------------------------------------------------------
// Errors

describe('requests that cannot be trusted get an error page and go nowhere', () => {
  const cases = () => [
    ['no client_id', appQuery({ client_id: undefined })],
    ['an unknown client_id', appQuery({ client_id: 'no-such-client' })],
    ['an unknown client_id of the right shape', appQuery({ client_id: 'A'.repeat(32) })],
    ['no redirect_uri', appQuery({ redirect_uri: undefined })],
    ['a redirect_uri with a trailing slash', appQuery({ redirect_uri: `${callback}/` })],
    ['a redirect_uri with a query', appQuery({ redirect_uri: `${callback}?next=/admin` })],
    ['a redirect_uri differing in case', appQuery({ redirect_uri: `${tenant.baseUrl}/Callback` })],
    ['a redirect_uri elsewhere', appQuery({ redirect_uri: 'https://attacker.example.test/callback' })],
    ['a repeated parameter', `${appQuery()}&client_id=${app.client_id}`],
  ];

  test('at /authorize, even for a signed-in person', async () => {
    const { browser } = await signedIn(await newUser());
    for (const [what, query] of cases()) {
      assertErrorPage(await browser.request(`/authorize?${query}`), 400, 'invalid_request', what);
      assertErrorPage(await new Browser(tenant).request(`/authorize?${query}`), 400, 'invalid_request', `${what} (no session)`);
    }
  });

  test('at the login page, and when its form is posted', async () => {
    const user = await newUser();
    const browser = new Browser(tenant);
    const csrf = csrfField((await browser.request(`/u/login?${appQuery()}`)).text);
    for (const [what, query] of cases()) {
      const page = await browser.request(`/u/login?${query}`);
      assertErrorPage(page, 400, 'invalid_request', `${what}: login page`);
      assert.equal(testIdText(page.text, 'login-form'), null, `${what}: no form`);
      const posted = await browser.request(`/u/login?${query}`, { form: { csrf, ...creds(user) } });
      assertErrorPage(posted, 400, 'invalid_request', `${what}: login form`);
    }
    assert.equal((await userRecord(user.user.user_id)).logins_count, 0, 'no sign-in was recorded');
  });
});

test('other errors go back to the client with the state, before any login page', async () => {
  const m2m = await createM2MClient(tenant, admin, { callbacks: ['https://m2m.example.test/callback'] });
  const cases = [
    ['id_token token without a nonce', { nonce: undefined }, 'invalid_request'],
    ['id_token without a nonce', { response_type: 'id_token', nonce: undefined }, 'invalid_request'],
    ['the hybrid flow', { response_type: 'code id_token' }, 'unsupported_response_type'],
    ['no response_type', { response_type: undefined }, 'invalid_request'],
    ['an ID token without openid', { scope: 'profile email' }, 'invalid_scope'],
    ['response_mode=query', { response_mode: 'query' }, 'invalid_request'],
    ['prompt=none with login', { prompt: 'none login' }, 'invalid_request'],
    ['prompt=none without a session', { prompt: 'none' }, 'login_required'],
  ];
  for (const [what, extra, error] of cases) {
    const state = randomName('state');
    const res = await new Browser(tenant).request(`/authorize?${appQuery({ ...extra, state })}`);
    assertClientError(res, callback, error, state, what);
  }
  const state = randomName('state');
  const res = await new Browser(tenant).request(
    `/authorize?${appQuery({ client_id: m2m.client_id, redirect_uri: 'https://m2m.example.test/callback', state })}`,
  );
  assertClientError(res, 'https://m2m.example.test/callback', 'unauthorized_client', state, 'a machine-to-machine client');

  // The code flow answers in the query, errors included: the built-in app
  // is a public client, so PKCE is required of it.
  const codeState = randomName('state');
  const noPkce = await new Browser(tenant).request(`/authorize?${appQuery({ response_type: 'code', state: codeState })}`);
  assert.equal(noPkce.status, 302, noPkce.text);
  const answered = new URL(noPkce.location);
  assert.equal(`${answered.origin}${answered.pathname}`, callback);
  assert.equal(answered.searchParams.get('error'), 'invalid_request', noPkce.location);
  assert.equal(answered.searchParams.get('state'), codeState);
  assert.equal(answered.hash, '');
});

test('an audience that is no API of the tenant is access_denied after the sign-in', async () => {
  const user = await newUser();
  const state = randomName('state');
  const res = await hostedLogin(new Browser(tenant), appQuery({ audience: 'https://unknown-api.example.test/', state }), user);
  assertClientError(res, callback, 'access_denied', state, 'unknown audience');
});

test('a wrong password and an unknown email get the same answer, and no session', async () => {
  const user = await newUser();
  const answers = [];
  for (const [what, email, password] of [
    ['a wrong password', user.email, randomPassword()],
    ['an unknown email', randomEmail('nobody'), randomPassword()],
  ]) {
    const browser = new Browser(tenant);
    const res = await hostedLogin(browser, appQuery(), { email, password });
    assert.equal(res.status, 400, `${what}: ${res.status} ${res.location} ${res.text}`);
    assert.equal(res.location, null);
    assertPageHeaders(res, what);
    assert.equal(testIdText(res.text, 'login-error'), WRONG_CREDENTIALS, what);
    assert.notEqual(testIdText(res.text, 'login-form'), null, `${what}: the form again`);
    const inputs = tags(res.text, 'input');
    assert.equal(inputs.find((i) => i.name === 'email').value, email, `${what}: the email is kept`);
    assert.ok(!res.text.includes(password), `${what}: the password is not echoed`);
    assert.ok(!sessionCookieSet(res), `${what}: no session`);
    assert.equal(browser.cookie('tenant_session'), undefined);
    answers.push(testIdText(res.text, 'login-error'));
  }
  assert.equal(answers[0], answers[1], 'nothing tells which emails have accounts');
  assert.equal((await userRecord(user.user.user_id)).logins_count, 0);
});

// ---------------------------------------------------------------------------
// Forms only from the tenant's own pages

test('a login form without the matching CSRF cookie and field, or from another origin, is refused and signs no one in', async () => {
  const user = await newUser();
  const query = appQuery();
  const victim = new Browser(tenant);
  const field = csrfField((await victim.request(`/u/login?${query}`)).text);

  const attempts = [
    ['no CSRF cookie', new Browser(tenant), { csrf: field }, {}],
    ['a field not matching the cookie', victim, { csrf: `${field.slice(0, -4)}AAAA` }, {}],
    ['no CSRF field', victim, {}, {}],
    ['an empty CSRF field', victim, { csrf: '' }, {}],
    ['another origin', victim, { csrf: field }, { origin: 'https://attacker.example.test' }],
    ['an opaque origin', victim, { csrf: field }, { origin: 'null' }],
  ];
  for (const [what, browser, fields, options] of attempts) {
    const res = await browser.request(`/u/login?${query}`, { form: { ...fields, ...creds(user) }, ...options });
    assertErrorPage(res, 403, 'invalid_request', what);
    assert.equal(browser.cookie('tenant_session'), undefined, `${what}: no session`);
  }
  assert.equal((await userRecord(user.user.user_id)).logins_count, 0, 'no sign-in happened');
  assertClientError(
    await victim.request(`/authorize?${appQuery({ prompt: 'none', state: 'after' })}`),
    callback,
    'login_required',
    'after',
    'still signed out',
  );

  // The same browser with its own cookie and field gets in, with or
  // without an Origin header (older browsers send none).
  const res = await victim.request(`/u/login?${query}`, { form: { csrf: field, ...creds(user) }, origin: null });
  assertTokens(res, callback, 'the genuine form');
  assert.equal((await userRecord(user.user.user_id)).logins_count, 1);
});

test('a signup form without the matching CSRF field is refused and creates no one', async () => {
  const query = appQuery();
  const browser = new Browser(tenant);
  const field = csrfField((await browser.request(`/u/signup?${query}`)).text);
  const email = randomEmail('csrf-signup');
  for (const [what, fields, options] of [
    ['a wrong field', { csrf: 'x'.repeat(32) }, {}],
    ['another origin', { csrf: field }, { origin: 'https://attacker.example.test' }],
  ]) {
    const res = await browser.request(`/u/signup?${query}`, { form: { ...fields, email, password: randomPassword() }, ...options });
    assertErrorPage(res, 403, 'invalid_request', what);
  }
  const found = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`);
  assert.deepEqual(found.body, [], 'no user was created');
});

// ---------------------------------------------------------------------------
// Pages

test('every page refuses framing and caching, and every redirect with an answer is uncached', async () => {
  const user = await newUser();
  const browser = new Browser(tenant);
  const query = appQuery();
  const pages = {
    'the login page': await browser.request(`/u/login?${query}`),
    'the signup page': await browser.request(`/u/signup?${query}`),
    'an error page': await browser.request('/authorize?client_id=nope'),
    'a signed-out page': await browser.request('/v2/logout'),
  };
  pages['a login error'] = await browser.request(`/u/login?${query}`, {
    form: { csrf: browser.cookie('tenant_csrf'), email: user.email, password: randomPassword() },
  });
  pages['a refused form'] = await browser.request(`/u/login?${query}`, { form: { csrf: 'forged', ...creds(user) } });
  for (const [what, res] of Object.entries(pages)) {
    assert.ok([200, 400, 403].includes(res.status), `${what}: ${res.status}`);
    assertPageHeaders(res, what);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /default-src 'none'/, `${what}: ${csp}`);
    assert.match(csp, /script-src 'none'/, `${what}: no script on this page: ${csp}`);
  }
  assert.equal(pages['the signup page'].status, 200);
  assert.notEqual(testIdText(pages['the signup page'].text, 'signup-form'), null);
  assert.notEqual(testIdText(pages['the signup page'].text, 'login-link'), null);

  const toLogin = await browser.request(`/authorize?${query}`);
  assertRedirectHeaders(toLogin, 'the redirect to the login page');
});

test('response_mode=form_post answers with a page that posts the tokens to the redirect URI', async () => {
  const user = await newUser();
  const { browser } = await signedIn(user);
  const nonce = randomName('nonce');
  const state = randomName('state');
  const res = await browser.request(`/authorize?${appQuery({ response_mode: 'form_post', nonce, state })}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.location, null, 'no redirect: the tokens are in the page');
  assertPageHeaders(res, 'the form_post page');
  const [form] = tags(res.text, 'form');
  assert.equal(form.method, 'post');
  assert.equal(form.action, callback);
  const fields = Object.fromEntries(tags(res.text, 'input').filter((i) => i.type === 'hidden').map((i) => [i.name, i.value]));
  assert.deepEqual(Object.keys(fields).sort(), ['access_token', 'expires_in', 'id_token', 'scope', 'state', 'token_type']);
  assert.equal(fields.state, state);
  assert.equal(fields.token_type, 'Bearer');
  await verifyIdToken(fields.id_token, { clientId: app.client_id, nonce, accessToken: fields.access_token });

  // The page's one script submits the form, allowed by its nonce alone, and
  // the form may post to the client's origin.
  const csp = res.headers.get('content-security-policy');
  const script = tags(res.text, 'script')[0];
  assert.ok(script?.nonce, 'a script with a nonce');
  assert.ok(csp.includes(`'nonce-${script.nonce}'`), csp);
  assert.match(csp, new RegExp(`form-action [^;]*${new URL(callback).origin.replace(/[.]/g, '\\.')}`), csp);

  // Errors come the same way.
  const errorState = randomName('state');
  const refused = await new Browser(tenant).request(`/authorize?${appQuery({ response_mode: 'form_post', prompt: 'none', state: errorState })}`);
  assert.equal(refused.status, 200, refused.text);
  const errorFields = Object.fromEntries(tags(refused.text, 'input').filter((i) => i.type === 'hidden').map((i) => [i.name, i.value]));
  assert.equal(errorFields.error, 'login_required');
  assert.equal(errorFields.state, errorState);
  assert.equal(errorFields.access_token, undefined);
});

// ---------------------------------------------------------------------------
// Third-party apps need consent

describe('third-party apps', () => {
  const PARTNER_CALLBACK = 'https://partner.example.test/callback';
  let partner;
  let notes;

  before(async () => {
    await setDynamicRegistration(tenant, admin, true);
    const res = await registerClient(tenant, {
      client_name: 'Partner App',
      redirect_uris: [PARTNER_CALLBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit'],
      response_types: ['id_token token', 'token'],
    });
    assert.equal(res.status, 201, res.text);
    partner = res.body;
    notes = await createApi(tenant, admin, {
      name: 'Notes',
      scopes: [
        { value: 'read:notes', description: 'Read your notes' },
        { value: 'write:notes', description: 'Write your notes' },
      ],
    });
  });

  function partnerQuery(extra = {}) {
    return authorizeQuery({
      response_type: 'id_token token',
      client_id: partner.client_id,
      redirect_uri: PARTNER_CALLBACK,
      scope: 'openid profile email read:notes',
      audience: notes.identifier,
      state: randomName('state'),
      nonce: randomName('nonce'),
      ...extra,
    });
  }

  function consentScopes(html) {
    return tags(html, 'li').map((li) => li['data-scope']).filter(Boolean);
  }

  function assertConsentPage(res, scopes, what) {
    assert.equal(res.status, 200, `${what}: ${res.status} ${res.location} ${res.text}`);
    assertPageHeaders(res, what);
    assert.notEqual(testIdText(res.text, 'consent-form'), null, `${what}: the consent form`);
    assert.notEqual(testIdText(res.text, 'consent-scopes'), null, what);
    assert.deepEqual(consentScopes(res.text), scopes, `${what}: the scopes asked for`);
    assert.match(res.text, /Partner App/);
    const buttons = tags(res.text, 'button').filter((b) => b.name === 'decision').map((b) => b.value);
    assert.deepEqual(buttons.sort(), ['accept', 'deny']);
    return csrfField(res.text);
  }

  test('a person is asked to consent; declining sends access_denied, accepting sends tokens, and it is remembered', async () => {
    const user = await newUser();
    const browser = new Browser(tenant);
    const query = partnerQuery();
    const state = paramsOf(query).state;
    const nonce = paramsOf(query).nonce;

    const res = await hostedLogin(browser, query, user);
    assert.ok(sessionCookieSet(res), 'signed in, whatever the decision');
    let csrf = assertConsentPage(res, ['openid', 'profile', 'email', 'read:notes'], 'after the sign-in');
    assert.equal(tags(res.text, 'form')[0].action, `/u/consent?${query}`);
    assert.match(res.text, /Read your notes/);

    // Before any decision nothing is sent silently, and asking again asks.
    const silentState = randomName('state');
    assertClientError(
      await browser.request(`/authorize?${partnerQuery({ prompt: 'none', state: silentState })}`),
      PARTNER_CALLBACK,
      'consent_required',
      silentState,
      'prompt=none before consent',
    );
    // (A consent page shown at /authorize, outside the CSRF cookie's path,
    // comes with a fresh CSRF cookie: its own field is the one to post.)
    csrf = assertConsentPage(await browser.request(`/authorize?${query}`), ['openid', 'profile', 'email', 'read:notes'], 'asking again');
    assert.equal(csrf, browser.cookie('tenant_csrf'));

    // A forged decision is refused.
    const forged = await browser.request(`/u/consent?${query}`, { form: { csrf: 'forged', decision: 'accept' } });
    assertErrorPage(forged, 403, 'invalid_request', 'a forged consent');
    const foreign = await browser.request(`/u/consent?${query}`, {
      form: { csrf, decision: 'accept' },
      origin: 'https://partner.example.test',
    });
    assertErrorPage(foreign, 403, 'invalid_request', 'a consent posted from the app itself');

    // Declining.
    const denied = await browser.request(`/u/consent?${query}`, { form: { csrf, decision: 'deny' } });
    assertClientError(denied, PARTNER_CALLBACK, 'access_denied', state, 'declined');
    const stillSilentState = randomName('state');
    assertClientError(
      await browser.request(`/authorize?${partnerQuery({ prompt: 'none', state: stillSilentState })}`),
      PARTNER_CALLBACK,
      'consent_required',
      stillSilentState,
      'declining is not consenting',
    );

    // Accepting.
    const accepted = await browser.request(`/u/consent?${query}`, { form: { csrf, decision: 'accept' } });
    const params = assertTokens(accepted, PARTNER_CALLBACK, 'accepted');
    assert.equal(params.state, state);
    assert.equal(params.scope, 'openid profile email read:notes');
    const idToken = await verifyIdToken(params.id_token, { clientId: partner.client_id, nonce, accessToken: params.access_token });
    assert.equal(idToken.sub, user.user.user_id);
    const { payload } = await verifyAccessToken(tenant, params.access_token, { audience: notes.identifier, algorithm: 'RS256' });
    assert.deepEqual(payload.aud, [notes.identifier, `${tenant.issuer}userinfo`]);

    // Remembered: silently and plainly, the same scopes need no question.
    assertTokens(await browser.request(`/authorize?${partnerQuery({ prompt: 'none' })}`), PARTNER_CALLBACK, 'prompt=none after consent');
    assertTokens(await browser.request(`/authorize?${partnerQuery()}`), PARTNER_CALLBACK, 'again after consent');
    // prompt=consent asks anyway; a new scope asks again.
    assertConsentPage(
      await browser.request(`/authorize?${partnerQuery({ prompt: 'consent' })}`),
      ['openid', 'profile', 'email', 'read:notes'],
      'prompt=consent',
    );
    assertConsentPage(
      await browser.request(`/authorize?${partnerQuery({ scope: 'openid read:notes write:notes' })}`),
      ['openid', 'read:notes', 'write:notes'],
      'a new scope',
    );

    // The consent is this person's: someone else is asked.
    const other = await newUser();
    assertConsentPage(await hostedLogin(new Browser(tenant), partnerQuery(), other), ['openid', 'profile', 'email', 'read:notes'], 'another person');
  });

  test('consent is per API: approved for signing in alone, an access token for an API asks again, naming it and where the tokens go', async () => {
    const registered = await registerClient(tenant, {
      client_name: 'Partner App',
      redirect_uris: [PARTNER_CALLBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit'],
      response_types: ['id_token', 'token'],
    });
    assert.equal(registered.status, 201, registered.text);
    const client_id = registered.body.client_id;
    const user = await newUser();
    const browser = new Browser(tenant);
    const signInOnly = partnerQuery({ client_id, response_type: 'id_token', scope: 'openid', audience: undefined });
    let res = await hostedLogin(browser, signInOnly, user);
    assertConsentPage(res, ['openid'], 'signing in alone');
    assert.equal(testIdText(res.text, 'consent-api'), null, 'no API is named when none is asked');
    assert.match(testIdText(res.text, 'consent-destination'), /partner\.example\.test/);
    assertTokens(
      await browser.request(`/u/consent?${signInOnly}`, { form: { csrf: csrfField(res.text), decision: 'accept' } }),
      PARTNER_CALLBACK,
      'signing in alone, accepted',
    );

    // The same scope, but with an access token for the API: no silent token.
    const forApi = (extra) => partnerQuery({ client_id, response_type: 'token', scope: 'openid', ...extra });
    const state = randomName('state');
    assertClientError(
      await browser.request(`/authorize?${forApi({ prompt: 'none', state })}`),
      PARTNER_CALLBACK,
      'consent_required',
      state,
      'an API never consented to, silently',
    );
    res = await browser.request(`/authorize?${forApi()}`);
    assertConsentPage(res, ['openid'], 'an API never consented to');
    const named = testIdText(res.text, 'consent-api');
    assert.ok(named?.includes('Notes') && named.includes(notes.identifier), `the consent page names the API: ${named}`);
    assert.match(named, /no permission of its own/);
    assert.equal(testIdText(res.text, 'consent-destination'), 'If you accept, Partner App receives your tokens at partner.example.test.');
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /form-action 'self' https:\/\/partner\.example\.test;/, `the decision may lead to the app only: ${csp}`);
    const accepted = assertTokens(
      await browser.request(`/u/consent?${forApi()}`, { form: { csrf: csrfField(res.text), decision: 'accept' } }),
      PARTNER_CALLBACK,
      'the API, accepted',
    );
    const { payload } = await verifyAccessToken(tenant, accepted.access_token, { audience: notes.identifier, algorithm: 'RS256' });
    assert.equal(payload.sub, user.user.user_id);
    assertTokens(await browser.request(`/authorize?${forApi({ prompt: 'none' })}`), PARTNER_CALLBACK, 'remembered for that API');
  });

  test('a consent decision without a session leads to the login page', async () => {
    const browser = new Browser(tenant);
    const query = partnerQuery();
    const csrf = csrfField((await browser.request(`/u/login?${query}`)).text);
    const res = await browser.request(`/u/consent?${query}`, { form: { csrf, decision: 'accept' } });
    assert.equal(res.status, 302, res.text);
    assert.equal(res.location, `/u/login?${query}`);
  });

  test('a response_type the app did not register is unauthorized_client', async () => {
    const state = randomName('state');
    const res = await new Browser(tenant).request(`/authorize?${partnerQuery({ response_type: 'id_token', state })}`);
    assertClientError(res, PARTNER_CALLBACK, 'unauthorized_client', state, 'response_type=id_token');
  });
});

// ---------------------------------------------------------------------------
// Logout

test('logout returns only to an allowed URL; an unlisted returnTo changes nothing', async () => {
  const user = await newUser();
  const { browser } = await signedIn(user);
  const session = browser.cookie('tenant_session');

  for (const [what, query] of [
    ['an unlisted returnTo', `client_id=${app.client_id}&returnTo=${encodeURIComponent('https://attacker.example.test/')}`],
    ['a returnTo without client_id', `returnTo=${encodeURIComponent(`${tenant.baseUrl}/`)}`],
    ['a returnTo with an unknown client_id', `client_id=nope&returnTo=${encodeURIComponent(`${tenant.baseUrl}/`)}`],
  ]) {
    const res = await browser.request(`/v2/logout?${query}`);
    assertErrorPage(res, 400, 'invalid_request', what);
    assert.ok(!res.setCookies.some((line) => line.startsWith('tenant_session=')), `${what}: the cookie is kept`);
    assertTokens(await browser.request(`/authorize?${appQuery({ prompt: 'none' })}`), callback, `${what}: still signed in`);
  }

  const returnTo = `${tenant.baseUrl}/`;
  const res = await browser.request(`/v2/logout?client_id=${app.client_id}&returnTo=${encodeURIComponent(returnTo)}`);
  assert.equal(res.status, 302, res.text);
  assert.equal(res.location, returnTo);
  const cleared = res.setCookies.find((line) => line.startsWith('tenant_session='));
  assert.ok(cleared, 'the session cookie is cleared');
  assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  assert.equal(browser.cookie('tenant_session'), undefined);
  const state = randomName('state');
  assertClientError(
    await browser.request(`/authorize?${appQuery({ prompt: 'none', state })}`),
    callback,
    'login_required',
    state,
    'signed out',
  );

  // The session is over on the server too: the old cookie is worth nothing.
  const replay = new Browser(tenant);
  replay.setCookie('tenant_session', session);
  assertClientError(
    await replay.request(`/authorize?${appQuery({ prompt: 'none', state })}`),
    callback,
    'login_required',
    state,
    'the old session cookie replayed',
  );
});

test('HEAD /v2/logout answers like GET and ends nothing', async () => {
  const user = await newUser();
  const { browser } = await signedIn(user);
  const session = browser.cookie('tenant_session');
  const returnTo = `${tenant.baseUrl}/`;
  for (const query of ['', `?client_id=${app.client_id}&returnTo=${encodeURIComponent(returnTo)}`]) {
    const res = await browser.request(`/v2/logout${query}`, { method: 'HEAD' });
    assert.ok([200, 302].includes(res.status), `HEAD /v2/logout${query}: ${res.status}`);
    assert.equal(res.text, '');
    assert.ok(!res.setCookies.some((line) => line.startsWith('tenant_session=')), 'the cookie is kept');
    assert.equal(browser.cookie('tenant_session'), session);
    assertTokens(await browser.request(`/authorize?${appQuery({ prompt: 'none' })}`), callback, `after HEAD /v2/logout${query}: still signed in`);
  }
});

test('a new password, or a block, ends every session of the person; lifting the block brings none back', async () => {
  const user = await newUser();
  const first = await signedIn(user);
  const second = await signedIn(user);
  const silently = async (browser, what) => {
    const state = randomName('state');
    return browser.request(`/authorize?${appQuery({ prompt: 'none', state })}`).then((res) => ({ res, state, what }));
  };
  const expectSignedOut = async (browser, what) => {
    const { res, state } = await silently(browser, what);
    assertClientError(res, callback, 'login_required', state, what);
  };
  const patch = async (body) => {
    const res = await api(tenant, admin, 'PATCH', userPath(user.user.user_id), body);
    assert.equal(res.status, 200, res.text);
  };

  await patch({ name: 'Only a new name' });
  assertTokens((await silently(first.browser)).res, callback, 'a profile change ends nothing');

  const password = randomPassword();
  await patch({ password });
  await expectSignedOut(first.browser, 'the first browser after a new password');
  await expectSignedOut(second.browser, 'the second browser after a new password');
  const third = await signedIn({ ...user, password });

  await patch({ blocked: true });
  await patch({ blocked: false });
  await expectSignedOut(third.browser, 'after a block, even once lifted');
  await signedIn({ ...user, password });
});

test('logout without returnTo ends the session on a signed-out page', async () => {
  const { browser } = await signedIn(await newUser());
  const session = browser.cookie('tenant_session');
  const res = await browser.request('/v2/logout');
  assert.equal(res.status, 200, res.text);
  assertPageHeaders(res, 'the signed-out page');
  assert.notEqual(testIdText(res.text, 'logged-out'), null);
  const replay = new Browser(tenant);
  replay.setCookie('tenant_session', session);
  for (const b of [browser, replay]) {
    assert.equal(fragmentParams((await b.request(`/authorize?${appQuery({ prompt: 'none' })}`)).location).error, 'login_required');
  }
});

// ---------------------------------------------------------------------------
// Signup

describe('signup', () => {
  test('a person signs up at the hosted signup page and is signed in', async () => {
    const local = randomName('newcomer');
    const password = randomPassword();
    const nonce = randomName('nonce');
    const query = appQuery({ nonce });
    const browser = new Browser(tenant);
    const login = await browser.request(`/u/login?${query}`);
    const link = tags(login.text, 'a').find((a) => a['data-testid'] === 'signup-link');
    assert.equal(link.href, `/u/signup?${query}`);
    const page = await browser.request(link.href);
    assert.equal(page.status, 200, page.text);
    assertPageHeaders(page, 'the signup page');
    assert.notEqual(testIdText(page.text, 'signup-form'), null);
    assert.equal(tags(page.text, 'form')[0].action, `/u/signup?${query}`);

    const res = await browser.request(`/u/signup?${query}`, {
      form: { csrf: csrfField(page.text), email: ` ${local.toUpperCase()}@Example.TEST`, password },
    });
    const params = assertTokens(res, callback, 'signed up');
    assert.ok(sessionCookieSet(res), 'signed in at once');
    const email = `${local}@example.test`;
    const idToken = await verifyIdToken(params.id_token, { clientId: app.client_id, nonce, accessToken: params.access_token });
    assert.equal(idToken.email, email);
    assert.equal(idToken.email_verified, false);

    const [user] = (await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`)).body;
    assert.equal(user.user_id, idToken.sub);
    assert.equal(user.name, email);
    assert.equal(user.nickname, local);
    assert.equal(user.logins_count, 1);
    assert.equal(user.identities[0].connection, 'Username-Password-Authentication');

    // The new account signs in with its password.
    await signedIn({ email, password });
  });

  test('an email with an account, or a weak password, is refused and creates no one', async () => {
    const existing = await newUser();
    const browser = new Browser(tenant);
    const query = appQuery();
    const csrf = csrfField((await browser.request(`/u/signup?${query}`)).text);

    const taken = await browser.request(`/u/signup?${query}`, {
      form: { csrf, email: existing.email.toUpperCase(), password: randomPassword() },
    });
    assert.equal(taken.status, 400, taken.text);
    assertPageHeaders(taken, 'signup refused');
    assert.equal(testIdText(taken.text, 'signup-error'), SIGNUP_REFUSED);
    assert.ok(!sessionCookieSet(taken));
    const found = await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(existing.email)}`);
    assert.deepEqual(found.body.map((u) => u.user_id), [existing.user.user_id], 'still one account');
    await signedIn(existing); // its password is unchanged

    const email = randomEmail('weak');
    const weak = await browser.request(`/u/signup?${query}`, { form: { csrf, email, password: 'short' } });
    assert.equal(weak.status, 400, weak.text);
    assert.match(testIdText(weak.text, 'signup-error') ?? '', /weak/i);
    assert.ok(!sessionCookieSet(weak));
    assert.deepEqual((await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`)).body, []);
  });

  test('with signup disabled there is no link and no way to sign up', async () => {
    await updateTenantSettings(tenant, admin, { flags: { disable_signup: true } });
    try {
      const browser = new Browser(tenant);
      const query = appQuery();
      const login = await browser.request(`/u/login?${query}`);
      assert.equal(login.status, 200);
      assert.notEqual(testIdText(login.text, 'login-form'), null);
      assert.equal(testIdText(login.text, 'signup-link'), null, 'no signup link');
      assert.ok(!login.text.includes('/u/signup'), 'no way to the signup page');

      const page = await browser.request(`/u/signup?${query}`);
      assert.equal(page.status, 302);
      assert.equal(page.location, `/u/login?${query}`);

      const email = randomEmail('late');
      const state = paramsOf(query).state;
      const res = await browser.request(`/u/signup?${query}`, {
        form: { csrf: csrfField(login.text), email, password: randomPassword() },
      });
      assertClientError(res, callback, 'access_denied', state, 'signup while disabled');
      assert.ok(!sessionCookieSet(res));
      assert.deepEqual((await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`)).body, []);
    } finally {
      await updateTenantSettings(tenant, admin, { flags: { disable_signup: false } });
    }
    const back = await new Browser(tenant).request(`/u/login?${appQuery()}`);
    assert.notEqual(testIdText(back.text, 'signup-link'), null, 'the link is back');
  });
});

// ---------------------------------------------------------------------------
// Scopes: what the API defines, and with RBAC what the person holds

test('an API with RBAC grants only the permissions the person holds', async () => {
  const reports = await createApi(tenant, admin, {
    name: randomName('Reports'),
    scopes: [
      { value: 'read:reports', description: 'Read reports' },
      { value: 'write:reports', description: 'Write reports' },
    ],
    enforce_policies: true,
  });
  const user = await newUser();
  const extra = { audience: reports.identifier, scope: 'openid read:reports write:reports delete:reports' };

  const { browser, params } = await signedIn(user, extra);
  assert.equal(params.scope, 'openid', 'no permissions, no API scopes');
  const before = await verifyAccessToken(tenant, params.access_token, { audience: reports.identifier, algorithm: 'RS256' });
  assert.equal(before.payload.scope, 'openid');
  assert.deepEqual(before.payload.aud, [reports.identifier, `${tenant.issuer}userinfo`]);

  const assigned = await api(tenant, admin, 'POST', userPath(user.user.user_id, '/permissions'), {
    permissions: [{ resource_server_identifier: reports.identifier, permission_name: 'write:reports' }],
  });
  assert.equal(assigned.status, 201, assigned.text);

  // Signing in again, and the existing session, both get the permission.
  const { params: fresh } = await signedIn(user, extra);
  assert.equal(fresh.scope, 'openid write:reports');
  const after = await verifyAccessToken(tenant, fresh.access_token, { audience: reports.identifier, algorithm: 'RS256' });
  assert.equal(after.payload.scope, 'openid write:reports');
  const again = assertTokens(await browser.request(`/authorize?${appQuery(extra)}`), callback, 'with the session');
  assert.equal(again.scope, 'openid write:reports');
});

test('scopes the API does not define are dropped', async () => {
  const user = await newUser();
  const { params } = await signedIn(user, { scope: 'openid read:messages write:messages admin' });
  assert.equal(params.scope, 'openid read:messages');
  assert.equal(decodeJwt(params.access_token).scope, 'openid read:messages');
});

test('a person without Management API permissions gets a token that can do nothing there', async () => {
  const user = await newUser();
  const { params } = await signedIn(user, { audience: `${tenant.issuer}api/v2/`, scope: 'openid read:users delete:users' });
  assert.equal(params.scope, 'openid');
  const res = await api(tenant, params.access_token, 'GET', '/api/v2/users');
  assert.equal(res.status, 403, res.text);
  assert.equal(res.body?.errorCode, 'insufficient_scope');
});

// ---------------------------------------------------------------------------
// Rate limits (last: they may wait for a minute to begin)

function assertTooMany(res, what) {
  assert.equal(res.status, 429, `${what}: ${res.status} ${res.location ?? ''} ${res.text}`);
  assertPageHeaders(res, what);
  assert.equal(res.headers.get('retry-after'), '60', what);
  assert.ok(!sessionCookieSet(res), `${what}: no session`);
  assert.equal(res.location, null);
}

describe('rate limits', () => {
  before(startEarlyInAMinute);

  test('ten attempts a minute per account from one address; the eleventh is refused there even with the right password, not elsewhere', async () => {
    const user = await newUser();
    const query = appQuery();
    const attacker = new Browser(tenant);
    for (let i = 0; i < 10; i++) {
      // Each attempt in a fresh browser (new cookies) from one address, the
      // email in another case.
      const email = i % 2 ? user.email.toUpperCase() : user.email;
      const res = await hostedLogin(new Browser(tenant, { ip: attacker.ip }), query, { email, password: randomPassword() });
      assert.equal(res.status, 400, `attempt ${i + 1}: ${res.status} ${res.text}`);
      assert.equal(testIdText(res.text, 'login-error'), WRONG_CREDENTIALS, `attempt ${i + 1}`);
    }
    const res = await hostedLogin(attacker, query, user);
    assertTooMany(res, 'the eleventh attempt');
    assert.equal(testIdText(res.text, 'login-error'), TOO_MANY);
    assert.equal(attacker.cookie('tenant_session'), undefined);
    assert.equal((await userRecord(user.user.user_id)).logins_count, 0, 'not signed in');

    // Someone else, from the same address, is not affected.
    const other = await newUser();
    const ok = await attacker.request(`/u/login?${query}`, { form: { csrf: attacker.cookie('tenant_csrf'), ...creds(other) } });
    assertTokens(ok, callback, 'another account from the same address');

    // Nor is the person, from their own address: the attacker cannot lock
    // them out.
    assertTokens(await hostedLogin(new Browser(tenant), query, user), callback, 'the person from another address');

    // The audit log has one `limit_wc` for the account and address.
    const blocked = (await auditLog(tenant)).filter((event) => event.type === 'limit_wc' && event.ip === attacker.ip);
    assert.equal(blocked.length, 1, JSON.stringify(blocked));
    assert.equal(blocked[0].user_name, user.email.toLowerCase());
    assert.equal(blocked[0].client_id, new URLSearchParams(query).get('client_id'));
  });

  test('thirty attempts a minute per address, whatever the account', async () => {
    const query = appQuery();
    const browser = new Browser(tenant);
    const csrf = csrfField((await browser.request(`/u/login?${query}`)).text);
    for (let i = 0; i < 30; i++) {
      const res = await browser.request(`/u/login?${query}`, { form: { csrf, email: randomEmail('spray'), password: randomPassword() } });
      assert.equal(res.status, 400, `attempt ${i + 1}: ${res.status} ${res.text}`);
    }
    const user = await newUser();
    const res = await browser.request(`/u/login?${query}`, { form: { csrf, ...creds(user) } });
    assertTooMany(res, 'the 31st attempt from one address');
    assert.equal(testIdText(res.text, 'login-error'), TOO_MANY);

    const email = randomEmail('signup-limited');
    const signup = await browser.request(`/u/signup?${query}`, { form: { csrf, email, password: randomPassword() } });
    assertTooMany(signup, 'a signup from the same address');
    assert.equal(testIdText(signup.text, 'signup-error'), TOO_MANY);
    assert.deepEqual((await api(tenant, admin, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`)).body, []);
    // One `limit_mu` for the address, however many attempts it refused.
    const blocked = (await auditLog(tenant)).filter((event) => event.type === 'limit_mu' && event.ip === browser.ip);
    assert.equal(blocked.length, 1, `one limit_mu for the address: ${JSON.stringify(blocked)}`);
    assert.equal(blocked[0].user_name, undefined, 'about the address, not an account');

    // The same person from another address gets in.
    assertTokens(await hostedLogin(new Browser(tenant), query, user), callback, 'from another address');
  });
});
