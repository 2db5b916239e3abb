// Forged, tampered and misused bearer tokens, tried the way an attacker
// would against the three kinds of bearer-protected endpoints: the sample
// API (GET /api/whoami), OIDC UserInfo (GET /userinfo) and the Management
// API (GET /api/v2/clients). Every attempt must be a 401 in the endpoint's
// own format with a `WWW-Authenticate: Bearer` challenge: never served,
// never a 5xx.
//
// management.test.mjs already covers, for /api/whoami only, alg "none", a
// stranger's RSA signature under the tenant's kid, HS256 keyed with the RSA
// key's PEM and JWK, and an edited payload; and for the Management API a
// token of another API and a hand-edited scope. This file runs the whole
// catalogue against all three endpoints, adds the EdDSA key's `x` as an HMAC
// secret, other issuers, unknown kids, swapped signatures, ID tokens,
// oversized and malformed tokens, tokens outside the Authorization header,
// and a genuinely expired token.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  api,
  appConfig,
  authorizeQuery,
  b64urlJson,
  Browser,
  countClients,
  createApi,
  createUser,
  decodeJwt,
  decodeProtectedHeader,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  mgmtToken,
  provisionM2M,
  randomName,
  readResponse,
  startTenant,
} from './harness.mjs';

let tenant;
let admin;
/** The tenant's published keys: `{ rsa, okp }` JWKs. */
let jwks;
/** Genuine tokens, one per endpoint, each accepted before the attacks. */
const genuine = {};
/** An ID token of the built-in app for the same person. */
let idToken;
/** An M2M token (RS256) and one for an EdDSA API. */
let m2mRs;
let m2mEd;
/** Tokens for an API with the shortest lifetime (60 s), for the last test. */
let shortLived;

const TARGETS = {
  whoami: { path: '/api/whoami', format: 'bearer' },
  userinfo: { path: '/userinfo', format: 'bearer' },
  management: { path: '/api/v2/clients', format: 'management' },
};

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  jwks = await (await fetch(`${tenant.baseUrl}/.well-known/jwks.json`)).json();

  const rs = await provisionM2M(tenant, admin, { apiOverrides: { signing_alg: 'RS256' } });
  m2mRs = (await getAccessToken(tenant.baseUrl, {
    clientId: rs.client.client_id,
    clientSecret: rs.client.client_secret,
    audience: rs.resourceServer.identifier,
  })).access_token;
  const ed = await provisionM2M(tenant, admin, { apiOverrides: { signing_alg: 'EdDSA' } });
  m2mEd = (await getAccessToken(tenant.baseUrl, {
    clientId: ed.client.client_id,
    clientSecret: ed.client.client_secret,
    audience: ed.resourceServer.identifier,
  })).access_token;

  // A person signed in to the built-in app: an access token for an API and
  // /userinfo, and an ID token; then one more for a 60-second API.
  const app = await appConfig(tenant);
  const user = await createUser(tenant, admin);
  const longApi = await createApi(tenant, admin);
  const shortApi = await createApi(tenant, admin, { token_lifetime: 60 });
  const browser = new Browser(tenant);
  const query = (audience) =>
    authorizeQuery({
      response_type: 'id_token token',
      client_id: app.client_id,
      redirect_uri: `${tenant.baseUrl}/callback`,
      scope: 'openid profile email read:things',
      audience,
      state: randomName('state'),
      nonce: randomName('nonce'),
    });
  const signedIn = await hostedLogin(browser, query(longApi.identifier), user);
  assert.equal(signedIn.status, 302, signedIn.text);
  const params = fragmentParams(signedIn.location);
  idToken = params.id_token;
  const again = await browser.request(`/authorize?${query(shortApi.identifier)}`);
  assert.equal(again.status, 302, again.text);
  const short = fragmentParams(again.location);
  const shortM2M = await provisionM2M(tenant, admin, { apiOverrides: { token_lifetime: 60 } });
  shortLived = {
    user: short.access_token,
    m2m: (await getAccessToken(tenant.baseUrl, {
      clientId: shortM2M.client.client_id,
      clientSecret: shortM2M.client.client_secret,
      audience: shortM2M.resourceServer.identifier,
    })).access_token,
  };

  genuine.whoami = m2mRs;
  genuine.userinfo = params.access_token;
  genuine.management = await mgmtToken(tenant, 'read:clients');

  // The refusals below are the attacks' doing: the genuine tokens pass.
  for (const [name, target] of Object.entries(TARGETS)) {
    const res = await api(tenant, genuine[name], 'GET', target.path);
    assert.equal(res.status, 200, `${name} accepts its genuine token: ${res.text}`);
  }
  assert.equal((await api(tenant, m2mEd, 'GET', '/api/whoami')).status, 200, 'an EdDSA token passes whoami');
  assert.equal((await api(tenant, shortLived.user, 'GET', '/userinfo')).status, 200);
  assert.equal((await api(tenant, shortLived.m2m, 'GET', '/api/whoami')).status, 200);
});

after(async () => {
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Crafting tokens

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** A compact JWS over `header` and `payload`, signed by `sign(data)`. */
function jws(header, payload, sign) {
  const data = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  return `${data}.${b64url(sign(Buffer.from(data, 'ascii')))}`;
}

const hmac = (secret) => (data) => crypto.createHmac('sha256', secret).update(data).digest();
const rsaSigner = (privateKey) => (data) => crypto.sign('sha256', data, privateKey);
const edSigner = (privateKey) => (data) => crypto.sign(null, data, privateKey);

/** The parts of a compact JWS, decoded. */
function parts(token) {
  const [header, payload, signature] = token.split('.');
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token), signature, rawHeader: header, rawPayload: payload };
}

/** The token with its payload replaced by `changes`, the original signature kept. */
function withPayload(token, changes) {
  const { rawHeader, payload, signature } = parts(token);
  const next = { ...payload, ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete next[name];
  return `${rawHeader}.${b64urlJson(next)}.${signature}`;
}

/** The token with its header replaced by `changes`, the original signature kept. */
function withHeader(token, changes) {
  const { header, rawPayload, signature } = parts(token);
  return `${b64urlJson({ ...header, ...changes })}.${rawPayload}.${signature}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** The genuine token's claims, good for another hour, with `changes`. */
function claimsOf(token, changes = {}) {
  return { ...decodeJwt(token), iat: now(), exp: now() + 3600, ...changes };
}

const rsaKid = () => jwks.keys.find((k) => k.kty === 'RSA').kid;
const okpKid = () => jwks.keys.find((k) => k.kty === 'OKP').kid;
/** The kid and alg of the key that signed `token`. */
const keyOf = (token) => ({ kid: parts(token).header.kid, alg: parts(token).header.alg });

const stranger = {
  rsa: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
  ed: crypto.generateKeyPairSync('ed25519').privateKey,
};

// Each attack makes, from an endpoint's genuine token, what an attacker
// would send: a token, or `{ headers, query }` for requests without one.
const ATTACKS = [
  [
    'alg "none" with no signature',
    (token) => jws({ alg: 'none', typ: 'at+jwt', kid: keyOf(token).kid }, claimsOf(token), () => Buffer.alloc(0)),
  ],
  [
    'alg "none" without the third segment',
    (token) => jws({ alg: 'none', typ: 'at+jwt', kid: keyOf(token).kid }, claimsOf(token), () => Buffer.alloc(0)).slice(0, -1),
  ],
  [
    'alg "None" with the original signature',
    (token) => withHeader(token, { alg: 'None' }),
  ],
  [
    'HS256 keyed with the EdDSA key\'s x (decoded bytes)',
    (token) => {
      const okp = jwks.keys.find((k) => k.kty === 'OKP');
      return jws({ alg: 'HS256', typ: 'at+jwt', kid: okp.kid }, claimsOf(token), hmac(Buffer.from(okp.x, 'base64url')));
    },
  ],
  [
    'HS256 keyed with the EdDSA key\'s x (as text)',
    (token) => {
      const okp = jwks.keys.find((k) => k.kty === 'OKP');
      return jws({ alg: 'HS256', typ: 'at+jwt', kid: okp.kid }, claimsOf(token), hmac(okp.x));
    },
  ],
  [
    'HS256 keyed with the RSA public key as PEM',
    (token) => {
      const rsa = jwks.keys.find((k) => k.kty === 'RSA');
      const pem = crypto.createPublicKey({ key: rsa, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return jws({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid }, claimsOf(token), hmac(pem));
    },
  ],
  [
    'HS256 keyed with the RSA public key as DER (SPKI and PKCS#1)',
    (token) => {
      const rsa = jwks.keys.find((k) => k.kty === 'RSA');
      const key = crypto.createPublicKey({ key: rsa, format: 'jwk' });
      const spki = key.export({ type: 'spki', format: 'der' });
      const pkcs1 = key.export({ type: 'pkcs1', format: 'der' });
      const header = { alg: 'HS256', typ: 'at+jwt', kid: rsa.kid };
      return [jws(header, claimsOf(token), hmac(spki)), jws(header, claimsOf(token), hmac(pkcs1))];
    },
  ],
  [
    'HS256 keyed with the RSA modulus n, and without a kid',
    (token) => {
      const rsa = jwks.keys.find((k) => k.kty === 'RSA');
      return [
        jws({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid }, claimsOf(token), hmac(rsa.n)),
        jws({ alg: 'HS256', typ: 'at+jwt' }, claimsOf(token), hmac(rsa.n)),
      ];
    },
  ],
  [
    "a stranger's RSA key, another issuer, the stranger's kid",
    (token) =>
      jws(
        { alg: 'RS256', typ: 'at+jwt', kid: 'attacker-key-1' },
        claimsOf(token, { iss: 'https://attacker.example.test/' }),
        rsaSigner(stranger.rsa),
      ),
  ],
  [
    "a stranger's Ed25519 key under the tenant's EdDSA kid and issuer",
    (token) => jws({ alg: 'EdDSA', typ: 'at+jwt', kid: okpKid() }, claimsOf(token), edSigner(stranger.ed)),
  ],
  [
    "a stranger's RSA key under the tenant's RSA kid and issuer",
    (token) => jws({ alg: 'RS256', typ: 'at+jwt', kid: rsaKid() }, claimsOf(token), rsaSigner(stranger.rsa)),
  ],
  [
    'an expired token (exp an hour ago) signed by a key the attacker holds',
    (token) =>
      jws(
        { alg: 'RS256', typ: 'at+jwt', kid: rsaKid() },
        claimsOf(token, { iat: now() - 7200, exp: now() - 3600 }),
        rsaSigner(stranger.rsa),
      ),
  ],
  [
    'a not-yet-valid token (nbf in an hour) signed by a key the attacker holds',
    (token) =>
      jws(
        { alg: 'EdDSA', typ: 'at+jwt', kid: okpKid() },
        claimsOf(token, { nbf: now() + 3600, exp: now() + 7200 }),
        edSigner(stranger.ed),
      ),
  ],
  ['a genuine token with exp extended by a year', (token) => withPayload(token, { exp: decodeJwt(token).exp + 365 * 86400 })],
  ['a genuine token with nbf set an hour ahead', (token) => withPayload(token, { nbf: now() + 3600 })],
  [
    'a genuine token with scopes added',
    (token) => withPayload(token, { scope: `${decodeJwt(token).scope ?? ''} create:clients delete:clients write:things`.trim() }),
  ],
  ['a genuine token naming another subject', (token) => withPayload(token, { sub: 'auth0|000000000000000000000001' })],
  ['a genuine token with its issuer changed', (token) => withPayload(token, { iss: 'https://attacker.example.test/' })],
  ['a genuine token with exp removed', (token) => withPayload(token, { exp: undefined })],
  ['a genuine token with a kid that does not exist', (token) => withHeader(token, { kid: crypto.randomBytes(32).toString('base64url') })],
  [
    'a token signed by the attacker under a kid that does not exist',
    (token) => jws({ alg: 'RS256', typ: 'at+jwt', kid: crypto.randomUUID() }, claimsOf(token), rsaSigner(stranger.rsa)),
  ],
  [
    "a genuine token naming the tenant's other key",
    (token) => withHeader(token, { kid: keyOf(token).kid === rsaKid() ? okpKid() : rsaKid() }),
  ],
  [
    "a genuine RS256 token relabelled EdDSA, and an EdDSA one relabelled RS256",
    () => [withHeader(m2mRs, { alg: 'EdDSA' }), withHeader(m2mEd, { alg: 'RS256' })],
  ],
  [
    'a genuine token without its signature',
    (token) => [`${token.split('.').slice(0, 2).join('.')}.`, token.split('.').slice(0, 2).join('.')],
  ],
  [
    "another genuine token's signature",
    (token) => {
      const other = token === m2mRs ? genuine.management : m2mRs;
      return `${token.split('.').slice(0, 2).join('.')}.${other.split('.')[2]}`;
    },
  ],
  [
    'a genuine token with a flipped signature bit',
    (token) => {
      const [h, p, s] = token.split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[sig.length - 1] ^= 1;
      return `${h}.${p}.${b64url(sig)}`;
    },
  ],
  ['an ID token of the same person', () => idToken],
  ['an ID token relabelled at+jwt', () => withHeader(idToken, { typ: 'at+jwt' })],
  ['a token of about 9 KiB (a genuine one padded)', (token) => withPayload(token, { padding: 'x'.repeat(9 * 1024) })],
  ['a 100 KB bearer header', () => `${'A'.repeat(50_000)}.${'B'.repeat(50_000)}.C`],
  [
    'malformed compact serializations',
    (token) => {
      const [h, p, s] = token.split('.');
      return [
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        `${h}..${s}`,
        `.${p}.${s}`,
        `${h}.${p}.${s}!`,
        `${b64url('not json')}.${p}.${s}`,
        `${h}.${b64urlJson([1, 2, 3])}.${s}`,
        `${h}.${b64urlJson('a string')}.${s}`,
        '...',
        'Bearer',
      ];
    },
  ],
];

/** The requests one attack makes at `target`. */
function attempts(make, name) {
  const made = make(genuine[name]);
  return [].concat(made).map((token) => ({ headers: { authorization: `Bearer ${token}` } }));
}

async function send(target, { headers = {}, query = '' }) {
  return readResponse(await fetch(`${tenant.baseUrl}${target.path}${query}`, { headers }));
}

/**
 * A refusal as RFC 6750 §3 (whoami, userinfo) or Auth0's Management API
 * answers it: 401, a Bearer challenge, the error in the body, nothing
 * cached. `code` is the RFC 6750 error; no code means no token was sent.
 */
function assertRefused(res, target, what, code = 'invalid_token') {
  assert.equal(res.status, 401, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer\b/, `${what}: a Bearer challenge, got ${JSON.stringify(challenge)}`);
  if (code === 'invalid_request') {
    assert.doesNotMatch(challenge, /error=/, `${what}: no error code without a token: ${challenge}`);
  } else {
    assert.match(challenge, new RegExp(`error="${code}"`), `${what}: ${challenge}`);
  }
  assert.ok(res.body && typeof res.body === 'object' && !Array.isArray(res.body), `${what}: a JSON error: ${res.text}`);
  if (target.format === 'bearer') {
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'error_description'], `${what}: ${res.text}`);
    assert.equal(res.body.error, code, `${what}: ${res.text}`);
    assert.equal(typeof res.body.error_description, 'string');
  } else {
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'errorCode', 'message', 'statusCode'], `${what}: ${res.text}`);
    assert.equal(res.body.statusCode, 401, what);
    assert.equal(res.body.error, 'Unauthorized', what);
    assert.equal(res.body.errorCode, 'invalid_token', what);
    assert.equal(typeof res.body.message, 'string', what);
  }
  assert.ok(res.text.length < 2000, `${what}: the error does not echo the token (${res.text.length} bytes)`);
}

// ---------------------------------------------------------------------------

for (const [name, target] of Object.entries(TARGETS)) {
  describe(`GET ${target.path} refuses`, () => {
    for (const [what, make] of ATTACKS) {
      test(what, async () => {
        for (const [i, request] of attempts(make, name).entries()) {
          assertRefused(await send(target, request), target, `${target.path}: ${what} #${i}`);
        }
      });
    }

    test('a token in the query string or under another scheme is refused, with a Bearer challenge', async () => {
      const token = encodeURIComponent(genuine[name]);
      for (const [what, request] of [
        ['?access_token=', { query: `?access_token=${token}` }],
        ['Basic scheme', { headers: { authorization: `Basic ${genuine[name]}` } }],
        ['no scheme', { headers: { authorization: genuine[name] } }],
        ['Token scheme', { headers: { authorization: `Token ${genuine[name]}` } }],
      ]) {
        const res = await send(target, request);
        assert.equal(res.status, 401, `${what}: ${res.status} ${res.text}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, `${what}: a Bearer challenge`);
      }
      assertRefused(await send(target, { query: `?access_token=${token}` }), target, 'query only', 'invalid_request');
    });
  });
}

test('a token for another API is refused by UserInfo and the Management API', async () => {
  for (const token of [m2mRs, m2mEd]) {
    assertRefused(await send(TARGETS.userinfo, { headers: { authorization: `Bearer ${token}` } }), TARGETS.userinfo, 'userinfo');
  }
  // The person's own token, for an API and /userinfo, is not a Management token.
  assertRefused(
    await send(TARGETS.management, { headers: { authorization: `Bearer ${genuine.userinfo}` } }),
    TARGETS.management,
    'a user token at the Management API',
  );
});

test('a token of an API deleted since is refused by whoami', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, admin);
  const { access_token: token } = await getAccessToken(tenant.baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: resourceServer.identifier,
  });
  assert.equal((await api(tenant, token, 'GET', '/api/whoami')).status, 200);
  const deleted = await api(tenant, admin, 'DELETE', `/api/v2/resource-servers/${resourceServer.id}`);
  assert.equal(deleted.status, 204, deleted.text);
  assertRefused(await send(TARGETS.whoami, { headers: { authorization: `Bearer ${token}` } }), TARGETS.whoami, 'deleted API');
});

test('forged Management tokens with every scope write nothing', async () => {
  const before = await countClients(tenant, admin);
  const claims = claimsOf(genuine.management, { scope: 'create:clients read:clients' });
  const forgeries = [
    withPayload(genuine.management, { scope: claims.scope }),
    jws({ alg: 'none', typ: 'at+jwt', kid: rsaKid() }, claims, () => Buffer.alloc(0)),
    jws({ alg: 'RS256', typ: 'at+jwt', kid: rsaKid() }, claims, rsaSigner(stranger.rsa)),
    jws({ alg: 'HS256', typ: 'at+jwt', kid: okpKid() }, claims, hmac(Buffer.from(jwks.keys.find((k) => k.kty === 'OKP').x, 'base64url'))),
  ];
  for (const [i, forged] of forgeries.entries()) {
    const res = await api(tenant, forged, 'POST', '/api/v2/clients', { name: randomName('forged'), app_type: 'non_interactive' });
    assertRefused(res, TARGETS.management, `forgery #${i}`);
  }
  assert.equal(await countClients(tenant, admin), before, 'no client was created');
});

// Last: waits until the 60-second tokens made in `before` have expired.
test('a genuinely expired token is refused everywhere it was accepted', async () => {
  const exp = Math.max(decodeJwt(shortLived.user).exp, decodeJwt(shortLived.m2m).exp);
  const wait = (exp + 1) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  for (const [token, targets] of [
    [shortLived.user, [TARGETS.whoami, TARGETS.userinfo]],
    [shortLived.m2m, [TARGETS.whoami]],
  ]) {
    for (const target of targets) {
      const res = await send(target, { headers: { authorization: `Bearer ${token}` } });
      assertRefused(res, target, `${target.path}: expired`);
      assert.match(res.body.error_description, /expired/, res.text);
    }
  }
});
