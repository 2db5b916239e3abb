// The authorization code grant with PKCE, refresh tokens and revocation,
// against a real `wrangler dev`: the way Auth0's SDKs and any OIDC library
// sign people in. The happy paths are driven by `openid-client` v6, an
// independent implementation that checks the ID token, the PKCE exchange
// and the state itself; tokens are verified again with `jose` against the
// tenant's JWKS. The attacks RFC 6749 §10, RFC 7636 and RFC 9700 name are
// here too: a code replayed (what it issued is revoked), redeemed by
// another client or for another redirect URI, with a wrong or missing
// verifier or a `plain` downgrade; a refresh token reused after rotation
// (its family is revoked) or presented by another client. The browser
// side (Auth0's own SPA SDK in Chromium) is in spa-sdk-browser.test.mjs.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { jwtVerify } from 'jose';
import * as client from 'openid-client';

import {
  api,
  authorizeQuery,
  Browser,
  createApi,
  createUser,
  decodeJwt,
  discoveryDocument,
  hostedLogin,
  mgmtToken,
  randomName,
  randomPassword,
  readResponse,
  startTenant,
  tenantJwks,
  tokenRequest,
  userPath,
  verifyAccessToken,
} from './harness.mjs';

/** Where the applications of this file would live (never fetched). */
const SPA_ORIGIN = 'https://spa.example.test';
const SPA_CALLBACK = `${SPA_ORIGIN}/callback`;
const WEB_CALLBACK = 'https://web.example.test/callback';

let tenant;
let admin;
let resourceServer; // allow_offline_access: true
let spa; // public: token_endpoint_auth_method none, rotating refresh tokens
let web; // confidential: client_secret_post
let webBasic; // confidential: client_secret_basic
let person; // { user, email, password }

async function createClient(body) {
  const res = await api(tenant, admin, 'POST', '/api/v2/clients', { name: randomName('app'), ...body });
  assert.equal(res.status, 201, res.text);
  return res.body;
}

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  resourceServer = await createApi(tenant, admin, { allow_offline_access: true });
  spa = await createClient({
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [SPA_CALLBACK],
    web_origins: [SPA_ORIGIN],
    refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 0 },
  });
  web = await createClient({
    app_type: 'regular_web',
    token_endpoint_auth_method: 'client_secret_post',
    callbacks: [WEB_CALLBACK],
  });
  webBasic = await createClient({
    app_type: 'regular_web',
    token_endpoint_auth_method: 'client_secret_basic',
    callbacks: [WEB_CALLBACK],
  });
  person = await createUser(tenant, admin);
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const s256 = (verifier) => b64url(crypto.createHash('sha256').update(verifier).digest());
const newVerifier = () => b64url(crypto.randomBytes(32));

/** An openid-client configuration for the SPA (a public client). */
async function spaConfig() {
  return client.discovery(new URL(tenant.issuer), spa.client_id, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
}

/** An openid-client configuration for a confidential web app. */
async function webConfig(app, auth) {
  return client.discovery(new URL(tenant.issuer), app.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

/**
 * Signs `who` in through the hosted login with an authorization request
 * (`params`, `client_id` and `response_type=code` added) and returns the
 * redirect to the client as a URL. `browser` keeps the session.
 */
async function signIn(params, { browser = new Browser(tenant), who = person } = {}) {
  const query = authorizeQuery({ response_type: 'code', ...params });
  const res = await hostedLogin(browser, query, who);
  assert.equal(res.status, 302, res.text);
  return { browser, location: new URL(res.location) };
}

/**
 * A code for the SPA, straight over HTTP: PKCE S256 with a fresh
 * verifier. Returns `{ code, verifier, browser }`.
 */
async function spaCode({ scope = 'openid profile email offline_access', audience = resourceServer.identifier, browser, ...extra } = {}) {
  const verifier = newVerifier();
  const state = randomName('state');
  const { location, browser: used } = await signIn(
    {
      client_id: spa.client_id,
      redirect_uri: SPA_CALLBACK,
      scope,
      audience,
      state,
      nonce: randomName('nonce'),
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      ...extra,
    },
    { browser },
  );
  assert.equal(location.origin + location.pathname, SPA_CALLBACK);
  assert.equal(location.searchParams.get('state'), state);
  const code = location.searchParams.get('code');
  assert.ok(code, `a code in the query: ${location}`);
  return { code, verifier, browser: used };
}

/** Redeems a code for the SPA with a raw token request. */
function redeem(code, verifier, overrides = {}) {
  return tokenRequest(tenant.baseUrl, {
    form: dropUndefined({
      grant_type: 'authorization_code',
      client_id: spa.client_id,
      code,
      redirect_uri: SPA_CALLBACK,
      code_verifier: verifier,
      ...overrides,
    }),
  });
}

function refresh(refreshToken, overrides = {}) {
  return tokenRequest(tenant.baseUrl, {
    form: dropUndefined({ grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: refreshToken, ...overrides }),
  });
}

function revoke(form, headers = {}) {
  return fetch(`${tenant.baseUrl}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  }).then(readResponse);
}

function dropUndefined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function assertOAuthError(res, status, error, what) {
  assert.equal(res.status, status, `${what}: ${res.text}`);
  assert.equal(res.body?.error, error, `${what}: ${res.text}`);
  assert.equal(typeof res.body?.error_description, 'string', `${what}: a description`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
}

async function verifyIdToken(idToken, audience) {
  const { payload, protectedHeader } = await jwtVerify(idToken, await tenantJwks(tenant), {
    issuer: tenant.issuer,
    audience,
  });
  return { payload, protectedHeader };
}

// ---------------------------------------------------------------------------
// Discovery

test('discovery and RFC 8414 metadata list the code flow, PKCE, refresh tokens and revocation', async () => {
  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
    const res = await fetch(`${tenant.baseUrl}${path}`);
    assert.equal(res.status, 200, path);
    const doc = await res.json();
    assert.ok(doc.response_types_supported.includes('code'), `${path}: code`);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256'], `${path}: S256 only`);
    for (const grant of ['authorization_code', 'refresh_token', 'client_credentials', 'implicit']) {
      assert.ok(doc.grant_types_supported.includes(grant), `${path}: ${grant}`);
    }
    for (const mode of ['query', 'fragment', 'form_post']) {
      assert.ok(doc.response_modes_supported.includes(mode), `${path}: ${mode}`);
    }
    assert.equal(doc.revocation_endpoint, `${tenant.issuer}oauth/revoke`, path);
    assert.ok(doc.token_endpoint_auth_methods_supported.includes('none'), `${path}: public clients`);
    assert.ok(doc.scopes_supported.includes('offline_access'), `${path}: offline_access`);
  }
});

// ---------------------------------------------------------------------------
// openid-client: the whole flow

test('openid-client signs a person in with code + PKCE, refreshes with rotation and revokes', async () => {
  const config = await spaConfig();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: SPA_CALLBACK,
    scope: 'openid profile email offline_access read:things',
    audience: resourceServer.identifier,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  assert.equal(authorizationUrl.searchParams.get('response_type'), 'code');
  const browser = new Browser(tenant);
  const res = await hostedLogin(browser, authorizationUrl.search.slice(1), person);
  assert.equal(res.status, 302, res.text);
  const redirect = new URL(res.location);
  assert.equal(redirect.origin + redirect.pathname, SPA_CALLBACK, 'the code goes to the registered callback');
  assert.equal(redirect.hash, '', 'nothing in a fragment: response_mode query is the default for code');
  assert.deepEqual([...redirect.searchParams.keys()].sort(), ['code', 'state']);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');

  const tokens = await client.authorizationCodeGrant(config, redirect, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.equal(typeof tokens.expires_in, 'number');
  assert.deepEqual(tokens.scope.split(' ').sort(), ['email', 'offline_access', 'openid', 'profile', 'read:things']);
  assert.equal(typeof tokens.refresh_token, 'string', 'offline_access granted: a refresh token');
  assert.doesNotMatch(tokens.refresh_token, /^ey/, 'the refresh token is opaque, not a JWT');

  const claims = tokens.claims();
  assert.equal(claims.sub, person.user.user_id);
  assert.equal(claims.aud, spa.client_id);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.email, person.email);
  const { payload: access } = await verifyAccessToken(tenant, tokens.access_token, { audience: resourceServer.identifier, algorithm: 'RS256' });
  assert.equal(access.sub, person.user.user_id);
  assert.equal(access.client_id, spa.client_id);
  assert.ok(access.scope.split(' ').includes('read:things'));

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, person.email);

  // A refresh: new access token, new refresh token (rotation), and an ID
  // token for the same person.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotation: a new refresh token on each use');
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal(refreshed.claims()?.sub, person.user.user_id);
  const { payload: again } = await verifyAccessToken(tenant, refreshed.access_token, { audience: resourceServer.identifier, algorithm: 'RS256' });
  assert.equal(again.sub, person.user.user_id);
  assert.deepEqual(again.scope.split(' ').sort(), access.scope.split(' ').sort(), 'the same grant');

  // A refresh may narrow the scopes (RFC 6749 §6), never widen them.
  const narrowed = await refresh(refreshed.refresh_token, { scope: 'openid read:things' });
  assert.equal(narrowed.status, 200, narrowed.text);
  assert.deepEqual(narrowed.body.scope.split(' ').sort(), ['openid', 'read:things']);
  const widened = await refresh(narrowed.body.refresh_token, { scope: 'openid write:things' });
  assertOAuthError(widened, 400, 'invalid_scope', 'a refresh asking for more than was granted');
  // A refused refresh does not use the token up.
  const stillGood = await refresh(narrowed.body.refresh_token);
  assert.equal(stillGood.status, 200, stillGood.text);

  // Revocation (RFC 7009): the refresh token and its family end.
  await client.tokenRevocation(config, stillGood.body.refresh_token);
  const afterRevoke = await refresh(stillGood.body.refresh_token);
  assertOAuthError(afterRevoke, 400, 'invalid_grant', 'a revoked refresh token');
});

test('a confidential client redeems with client_secret_post, client_secret_basic or a JSON body, and gets no refresh token without offline_access', async () => {
  for (const [how, app, auth] of [
    ['client_secret_post', web, client.ClientSecretPost(web.client_secret)],
    ['client_secret_basic', webBasic, client.ClientSecretBasic(webBasic.client_secret)],
  ]) {
    const config = await webConfig(app, auth);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: WEB_CALLBACK, scope: 'openid email', state, nonce });
    const res = await hostedLogin(new Browser(tenant), url.search.slice(1), person);
    assert.equal(res.status, 302, `${how}: ${res.text}`);
    const tokens = await client.authorizationCodeGrant(config, new URL(res.location), {
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    assert.equal(tokens.claims().sub, person.user.user_id, how);
    assert.equal(tokens.refresh_token, undefined, `${how}: no offline_access, no refresh token`);
  }

  // A JSON body, as Auth0's SDKs send it; PKCE is accepted from a
  // confidential client too, and then checked.
  const verifier = newVerifier();
  const { location } = await signIn({
    client_id: web.client_id,
    redirect_uri: WEB_CALLBACK,
    scope: 'openid',
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
  });
  const body = {
    grant_type: 'authorization_code',
    client_id: web.client_id,
    client_secret: web.client_secret,
    code: location.searchParams.get('code'),
    redirect_uri: WEB_CALLBACK,
  };
  const missing = await tokenRequest(tenant.baseUrl, { json: body });
  assertOAuthError(missing, 400, 'invalid_grant', 'a confidential client that sent a challenge must send the verifier');
  const res = await tokenRequest(tenant.baseUrl, { json: { ...body, code_verifier: verifier } });
  assert.equal(res.status, 200, res.text);
  const { payload } = await verifyIdToken(res.body.id_token, web.client_id);
  assert.equal(payload.sub, person.user.user_id);

  // The wrong secret is a client authentication failure, not a grant one.
  const wrongSecret = await tokenRequest(tenant.baseUrl, {
    json: { ...body, client_secret: `${web.client_secret}x`, code_verifier: verifier },
  });
  assertOAuthError(wrongSecret, 401, 'invalid_client', 'a wrong client secret');
});

test('the code comes back in the response mode asked for, and so do errors', async () => {
  // fragment
  const verifier = newVerifier();
  const common = {
    client_id: spa.client_id,
    redirect_uri: SPA_CALLBACK,
    scope: 'openid',
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
  };
  const { location, browser } = await signIn({ ...common, response_mode: 'fragment', state: 'in-fragment' });
  assert.equal(location.search, '', 'nothing in the query');
  const fragment = new URLSearchParams(location.hash.slice(1));
  assert.equal(fragment.get('state'), 'in-fragment');
  const redeemed = await redeem(fragment.get('code'), verifier);
  assert.equal(redeemed.status, 200, redeemed.text);
  assert.equal(redeemed.body.refresh_token, undefined, 'no offline_access asked');

  // form_post: a page that posts code and state to the redirect URI.
  const posted = await browser.request(
    `/authorize?${authorizeQuery({ ...common, response_type: 'code', response_mode: 'form_post', state: 'posted' })}`,
  );
  assert.equal(posted.status, 200, posted.text);
  assert.match(posted.text, new RegExp(`<form[^>]*method="post"[^>]*action="${SPA_CALLBACK}"`));
  assert.match(posted.text, /name="code" value="[A-Za-z0-9_-]{20,}"/);
  assert.match(posted.text, /name="state" value="posted"/);

  // Errors: prompt=none without a session, in each mode.
  const anonymous = new Browser(tenant);
  const query = (mode) =>
    `/authorize?${authorizeQuery({ ...common, response_type: 'code', response_mode: mode, prompt: 'none', state: `e-${mode ?? 'default'}` })}`;
  const inQuery = await anonymous.request(query(undefined));
  assert.equal(inQuery.status, 302, inQuery.text);
  const errorUrl = new URL(inQuery.location);
  assert.equal(errorUrl.searchParams.get('error'), 'login_required', 'an error in the query, where the SDKs read it');
  assert.equal(errorUrl.searchParams.get('state'), 'e-default');
  const inFragment = await anonymous.request(query('fragment'));
  assert.equal(new URLSearchParams(new URL(inFragment.location).hash.slice(1)).get('error'), 'login_required');
  const inForm = await anonymous.request(query('form_post'));
  assert.equal(inForm.status, 200);
  assert.match(inForm.text, /name="error" value="login_required"/);
});

test('a person already signed in gets a code without the login page, and prompt=none works silently', async () => {
  const { browser } = await spaCode({ scope: 'openid' });
  const verifier = newVerifier();
  const res = await browser.request(
    `/authorize?${authorizeQuery({
      response_type: 'code',
      client_id: spa.client_id,
      redirect_uri: SPA_CALLBACK,
      scope: 'openid',
      prompt: 'none',
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
    })}`,
  );
  assert.equal(res.status, 302, res.text);
  const code = new URL(res.location).searchParams.get('code');
  const redeemed = await redeem(code, verifier);
  assert.equal(redeemed.status, 200, redeemed.text);
  assert.equal(decodeJwt(redeemed.body.id_token).sub, person.user.user_id);
});

// ---------------------------------------------------------------------------
// Attacks on the code

test('a code is single-use: a replay is refused and revokes what the first redemption issued', async () => {
  const { code, verifier } = await spaCode();
  const first = await redeem(code, verifier);
  assert.equal(first.status, 200, first.text);
  const replay = await redeem(code, verifier);
  assertOAuthError(replay, 400, 'invalid_grant', 'a replayed code');
  const refreshAfter = await refresh(first.body.refresh_token);
  assertOAuthError(refreshAfter, 400, 'invalid_grant', 'the refresh token the code issued is revoked');
});

test('two concurrent redemptions of one code give one token response', async () => {
  const { code, verifier } = await spaCode({ scope: 'openid' });
  const answers = await Promise.all(Array.from({ length: 6 }, () => redeem(code, verifier)));
  const statuses = answers.map((res) => res.status).sort();
  assert.deepEqual(statuses, [200, 400, 400, 400, 400, 400], answers.map((res) => res.text).join('\n'));
  for (const res of answers.filter((r) => r.status === 400)) assert.equal(res.body.error, 'invalid_grant');
});

test('a code is bound to its client, its redirect URI and its PKCE challenge; failed attempts do not use it up', async () => {
  const { code, verifier } = await spaCode();
  const attempts = [
    ['another client', { client_id: web.client_id, client_secret: web.client_secret }],
    ['another redirect URI', { redirect_uri: `${SPA_ORIGIN}/elsewhere` }],
    ['a wrong verifier', { code_verifier: newVerifier() }],
    ['no verifier', { code_verifier: undefined }],
    ['a plain downgrade (the challenge sent as verifier)', { code_verifier: s256(verifier) }],
  ];
  for (const [what, overrides] of attempts) {
    const res = await redeem(code, verifier, overrides);
    assertOAuthError(res, 400, 'invalid_grant', what);
  }
  const noRedirect = await redeem(code, verifier, { redirect_uri: undefined });
  assertOAuthError(noRedirect, 400, 'invalid_request', 'no redirect_uri (a required parameter)');
  const unknown = await redeem(b64url(crypto.randomBytes(32)), verifier);
  assertOAuthError(unknown, 400, 'invalid_grant', 'a code the tenant never issued');
  const ok = await redeem(code, verifier);
  assert.equal(ok.status, 200, `the rightful client still redeems: ${ok.text}`);
});

test('/authorize refuses code flows without PKCE for public clients, and plain always', async () => {
  const browser = new Browser(tenant);
  const base = { response_type: 'code', client_id: spa.client_id, redirect_uri: SPA_CALLBACK, scope: 'openid', state: 's' };
  const cases = [
    ['no challenge from a public client', base],
    ['plain', { ...base, code_challenge: newVerifier(), code_challenge_method: 'plain' }],
    ['an unknown method', { ...base, code_challenge: s256(newVerifier()), code_challenge_method: 'S512' }],
    ['a challenge that is not a SHA-256', { ...base, code_challenge: 'short', code_challenge_method: 'S256' }],
  ];
  for (const [what, params] of cases) {
    const res = await browser.request(`/authorize?${authorizeQuery(params)}`);
    assert.equal(res.status, 302, `${what}: ${res.text}`);
    const url = new URL(res.location);
    assert.equal(url.origin + url.pathname, SPA_CALLBACK, `${what}: the error goes to the client`);
    assert.equal(url.searchParams.get('error'), 'invalid_request', what);
    assert.equal(url.searchParams.get('state'), 's', what);
    assert.ok(url.searchParams.get('error_description'), what);
  }
  // A redirect URI the client did not register gets no redirect at all.
  const stray = await browser.request(`/authorize?${authorizeQuery({ ...base, redirect_uri: 'https://evil.example/cb' })}`);
  assert.equal(stray.status, 400, stray.text);
});

// ---------------------------------------------------------------------------
// Refresh tokens

test('a refresh token reused after rotation revokes its whole family', async () => {
  const { code, verifier } = await spaCode();
  const first = await redeem(code, verifier);
  const second = await refresh(first.body.refresh_token);
  assert.equal(second.status, 200, second.text);
  const reuse = await refresh(first.body.refresh_token);
  assertOAuthError(reuse, 400, 'invalid_grant', 'the rotated-out refresh token');
  const newest = await refresh(second.body.refresh_token);
  assertOAuthError(newest, 400, 'invalid_grant', 'the newest refresh token of the family is revoked too');
});

test('within the reuse interval a rotated-out refresh token still works, and non-rotating tokens stay the same', async () => {
  const patch = await api(tenant, admin, 'PATCH', `/api/v2/clients/${spa.client_id}`, {
    refresh_token: { rotation_type: 'rotating', leeway: 30 },
  });
  assert.equal(patch.status, 200, patch.text);
  assert.equal(patch.body.refresh_token.leeway, 30);
  try {
    const { code, verifier } = await spaCode();
    const first = await redeem(code, verifier);
    const second = await refresh(first.body.refresh_token);
    assert.equal(second.status, 200, second.text);
    const retried = await refresh(first.body.refresh_token);
    assert.equal(retried.status, 200, `a retry within the leeway (a lost response) works: ${retried.text}`);
    const latest = await refresh(retried.body.refresh_token);
    assert.equal(latest.status, 200, latest.text);

    await api(tenant, admin, 'PATCH', `/api/v2/clients/${spa.client_id}`, {
      refresh_token: { rotation_type: 'non-rotating' },
    });
    const fresh = await spaCode();
    const issued = await redeem(fresh.code, fresh.verifier);
    const used = await refresh(issued.body.refresh_token);
    assert.equal(used.status, 200, used.text);
    assert.equal(used.body.refresh_token, undefined, 'non-rotating: no new refresh token');
    const usedAgain = await refresh(issued.body.refresh_token);
    assert.equal(usedAgain.status, 200, usedAgain.text);
  } finally {
    const restore = await api(tenant, admin, 'PATCH', `/api/v2/clients/${spa.client_id}`, {
      refresh_token: { rotation_type: 'rotating', leeway: 0 },
    });
    assert.equal(restore.status, 200, restore.text);
  }
});

test("a client cannot use another client's refresh token", async () => {
  const { code, verifier } = await spaCode();
  const issued = await redeem(code, verifier);
  const stolen = await refresh(issued.body.refresh_token, { client_id: web.client_id, client_secret: web.client_secret });
  assertOAuthError(stolen, 400, 'invalid_grant', "another client's refresh token");
  const mine = await refresh(issued.body.refresh_token);
  assert.equal(mine.status, 200, `the owner still refreshes: ${mine.text}`);
});

test('offline_access needs the API to allow it, and the client the refresh_token grant', async () => {
  const closed = await createApi(tenant, admin, { allow_offline_access: false });
  const { code, verifier } = await spaCode({ audience: closed.identifier });
  const res = await redeem(code, verifier);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.refresh_token, undefined, 'the API does not allow offline access');
  assert.ok(!res.body.scope.split(' ').includes('offline_access'), res.body.scope);

  const noRefresh = await createClient({
    app_type: 'spa',
    token_endpoint_auth_method: 'none',
    callbacks: [SPA_CALLBACK],
    grant_types: ['authorization_code'],
  });
  const verifier2 = newVerifier();
  const { location } = await signIn({
    client_id: noRefresh.client_id,
    redirect_uri: SPA_CALLBACK,
    scope: 'openid offline_access',
    audience: resourceServer.identifier,
    code_challenge: s256(verifier2),
    code_challenge_method: 'S256',
  });
  const got = await tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'authorization_code',
      client_id: noRefresh.client_id,
      code: location.searchParams.get('code'),
      redirect_uri: SPA_CALLBACK,
      code_verifier: verifier2,
    },
  });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.refresh_token, undefined, 'the client lacks the refresh_token grant');
});

test('blocking the person, changing their password or deleting them ends their refresh tokens', async () => {
  const someone = await createUser(tenant, admin);
  const issue = async () => {
    const verifier = newVerifier();
    const { location } = await signIn(
      {
        client_id: spa.client_id,
        redirect_uri: SPA_CALLBACK,
        scope: 'openid offline_access',
        audience: resourceServer.identifier,
        code_challenge: s256(verifier),
        code_challenge_method: 'S256',
      },
      { who: someone },
    );
    const res = await redeem(location.searchParams.get('code'), verifier);
    assert.equal(res.status, 200, res.text);
    return res.body.refresh_token;
  };

  const beforeBlock = await issue();
  assert.equal((await api(tenant, admin, 'PATCH', userPath(someone.user.user_id), { blocked: true })).status, 200);
  assertOAuthError(await refresh(beforeBlock), 400, 'invalid_grant', 'after blocking');
  assert.equal((await api(tenant, admin, 'PATCH', userPath(someone.user.user_id), { blocked: false })).status, 200);
  assertOAuthError(await refresh(beforeBlock), 400, 'invalid_grant', 'unblocking does not bring old tokens back');

  const beforePassword = await issue();
  const newPassword = randomPassword();
  const changed = await api(tenant, admin, 'PATCH', userPath(someone.user.user_id), {
    password: newPassword,
    connection: 'Username-Password-Authentication',
  });
  assert.equal(changed.status, 200, changed.text);
  assertOAuthError(await refresh(beforePassword), 400, 'invalid_grant', 'after a password change');
  someone.password = newPassword;

  const beforeDelete = await issue();
  assert.equal((await api(tenant, admin, 'DELETE', userPath(someone.user.user_id))).status, 204);
  assertOAuthError(await refresh(beforeDelete), 400, 'invalid_grant', 'after deletion');
});

test('a refresh grants only what the person may still have', async () => {
  const guarded = await createApi(tenant, admin, { allow_offline_access: true, enforce_policies: true });
  const someone = await createUser(tenant, admin);
  const permissions = (names) => ({
    permissions: names.map((permission_name) => ({ resource_server_identifier: guarded.identifier, permission_name })),
  });
  const path = userPath(someone.user.user_id, '/permissions');
  assert.equal((await api(tenant, admin, 'POST', path, permissions(['read:things', 'write:things']))).status, 201);
  const verifier = newVerifier();
  const { location } = await signIn(
    {
      client_id: spa.client_id,
      redirect_uri: SPA_CALLBACK,
      scope: 'openid offline_access read:things write:things',
      audience: guarded.identifier,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
    },
    { who: someone },
  );
  const first = await redeem(location.searchParams.get('code'), verifier);
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body.scope.split(' ').sort(), ['offline_access', 'openid', 'read:things', 'write:things']);

  // A permission taken away is gone from the next refresh, at once.
  assert.equal((await api(tenant, admin, 'DELETE', path, permissions(['write:things']))).status, 204);
  const second = await refresh(first.body.refresh_token);
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(second.body.scope.split(' ').sort(), ['offline_access', 'openid', 'read:things']);
  const { payload } = await verifyAccessToken(tenant, second.body.access_token, { audience: guarded.identifier, algorithm: 'RS256' });
  assert.ok(!payload.scope.split(' ').includes('write:things'), payload.scope);

  // An API that no longer allows offline access refuses refreshes.
  const closed = await api(tenant, admin, 'PATCH', `/api/v2/resource-servers/${guarded.id}`, { allow_offline_access: false });
  assert.equal(closed.status, 200, closed.text);
  assertOAuthError(await refresh(second.body.refresh_token), 400, 'invalid_grant', 'offline access turned off');
});

// ---------------------------------------------------------------------------
// Revocation

test('/oauth/revoke follows RFC 7009: clients authenticate, revoke only their own tokens, and unknown tokens are fine', async () => {
  const { code, verifier } = await spaCode();
  const issued = await redeem(code, verifier);
  const token = issued.body.refresh_token;

  const noClient = await revoke({ token });
  assertOAuthError(noClient, 401, 'invalid_client', 'no client_id');
  const noToken = await revoke({ client_id: spa.client_id });
  assertOAuthError(noToken, 400, 'invalid_request', 'no token');
  const confidentialWithoutSecret = await revoke({ client_id: web.client_id, token });
  assertOAuthError(confidentialWithoutSecret, 401, 'invalid_client', 'a confidential client without its secret');

  // Another client cannot revoke it (RFC 7009 §2.1), and nothing changes.
  const other = await revoke({ client_id: web.client_id, client_secret: web.client_secret, token });
  assertOAuthError(other, 400, 'invalid_request', "another client's token");
  const stillWorks = await refresh(token);
  assert.equal(stillWorks.status, 200, `another client's attempt revoked nothing: ${stillWorks.text}`);

  // The owner revokes it: the token and its successor end.
  const revoked = await revoke({ client_id: spa.client_id, token: stillWorks.body.refresh_token });
  assert.equal(revoked.status, 200, revoked.text);
  assertOAuthError(await refresh(stillWorks.body.refresh_token), 400, 'invalid_grant', 'a revoked refresh token');

  const unknown = await revoke({ client_id: spa.client_id, token: b64url(crypto.randomBytes(32)) });
  assert.equal(unknown.status, 200, `an unknown token: ${unknown.text}`);

  // An access token cannot be revoked (a JWT valid until it expires).
  const access = await revoke({ client_id: spa.client_id, token: issued.body.access_token, token_type_hint: 'access_token' });
  assertOAuthError(access, 400, 'unsupported_token_type', 'an access token');
});

// ---------------------------------------------------------------------------
// CORS, as SPAs need it

test('the token and revocation endpoints answer CORS for the client’s Allowed Web Origins only', async () => {
  for (const path of ['/oauth/token', '/oauth/revoke']) {
    const preflight = await fetch(`${tenant.baseUrl}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin: SPA_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, auth0-client',
      },
    });
    assert.equal(preflight.status, 204, path);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/, path);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /auth0-client/i, path);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null, `${path}: no credentials`);
  }

  const { code, verifier } = await spaCode();
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: spa.client_id,
    code,
    redirect_uri: SPA_CALLBACK,
    code_verifier: verifier,
  });
  const allowed = await fetch(`${tenant.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { origin: SPA_ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), SPA_ORIGIN);
  assert.match(allowed.headers.get('vary') ?? '', /origin/i);
  const { refresh_token: refreshToken } = await allowed.json();

  const elsewhere = await fetch(`${tenant.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: refreshToken }),
  });
  assert.equal(elsewhere.headers.get('access-control-allow-origin'), null, 'another origin cannot read the answer');

  const revoked = await fetch(`${tenant.baseUrl}/oauth/revoke`, {
    method: 'POST',
    headers: { origin: SPA_ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: spa.client_id, token: refreshToken }),
  });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.headers.get('access-control-allow-origin'), SPA_ORIGIN);
});

test('the ID token of the code flow is what OIDC Core §3.1.3.7 asks for', async () => {
  const nonce = randomName('nonce');
  const { code, verifier } = await spaCode({ nonce, max_age: '3600' });
  const res = await redeem(code, verifier);
  assert.equal(res.status, 200, res.text);
  const { payload, protectedHeader } = await verifyIdToken(res.body.id_token, spa.client_id);
  assert.equal(protectedHeader.alg, 'RS256', 'RS256, as Auth0 SDKs require');
  assert.equal(payload.nonce, nonce);
  assert.equal(typeof payload.auth_time, 'number', 'max_age asked: auth_time present');
  assert.ok(payload.iat <= Math.ceil(Date.now() / 1000) + 5);
  assert.ok(payload.exp > payload.iat);
  if (payload.at_hash !== undefined) {
    const digest = crypto.createHash('sha256').update(res.body.access_token).digest();
    assert.equal(payload.at_hash, b64url(digest.subarray(0, 16)), 'at_hash matches the access token');
  }
  const doc = await discoveryDocument(tenant);
  assert.ok(doc.id_token_signing_alg_values_supported.includes(protectedHeader.alg));
});
