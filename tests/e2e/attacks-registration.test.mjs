// Abuse of open dynamic registration (POST /oidc/register, RFC 7591) and of
// the registration management endpoint (RFC 7592): oversized and deeply
// nested bodies, redirect URIs crafted for open redirects, and members a
// registrant must not control. Each attempt is refused in RFC 7591's error
// format and nothing is written, or what is accepted is stored as sent and
// matched byte for byte, and members only the server sets are ignored;
// never a 5xx.
//
// dynamic-registration.test.mjs already refuses a fragment, javascript:,
// data:, plain http on a public host, plain user info, an upper-case scheme
// or host and a spelled-out default port; the tricks below are the ones it
// does not try.
//
// Registration is limited to 60 requests a minute per address: every
// request here comes from a fresh random address (cf-connecting-ip).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  api,
  authorizeQuery,
  Browser,
  countClients,
  mgmtToken,
  readResponse,
  registrationRequest,
  setDynamicRegistration,
  startTenant,
  testIdText,
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

const MAX_BODY_BYTES = 64 * 1024;

function freshIp() {
  return `198.51.${crypto.randomInt(256)}.${1 + crypto.randomInt(254)}`;
}


/**
 * POST /oidc/register from a fresh address: `metadata` as JSON, or `raw`
 * bytes (a string or a stream) as they are. Returns the answer and how long
 * it took.
 */
async function register(metadata, { raw, contentType = 'application/json' } = {}) {
  const init = {
    method: 'POST',
    headers: { 'content-type': contentType, 'cf-connecting-ip': freshIp() },
    body: raw ?? JSON.stringify(metadata),
    // A server that stops reading mid-body can leave the exchange hanging.
    signal: AbortSignal.timeout(30_000),
  };
  if (raw instanceof ReadableStream) init.duplex = 'half';
  const started = performance.now();
  const answer = await readResponse(await fetch(`${tenant.baseUrl}/oidc/register`, init));
  return { ...answer, ms: performance.now() - started };
}

function assertOAuthError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: expected ${status} ${code}, got ${res.status} ${res.text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, what);
  assert.ok(res.body && typeof res.body === 'object', `${what}: JSON body: ${res.text.slice(0, 300)}`);
  if (code) assert.equal(res.body.error, code, `${what}: ${res.text.slice(0, 300)}`);
  else assert.equal(typeof res.body.error, 'string', what);
  assert.equal(typeof res.body.error_description, 'string', what);
  assert.equal(res.body.client_id, undefined, `${what}: no client`);
  assert.ok(res.text.length < 4096, `${what}: the error does not echo the body (${res.text.length} bytes)`);
}

const valid = (extra = {}) => ({
  client_name: 'Abuser',
  redirect_uris: ['https://good.example/cb'],
  ...extra,
});

/** `depth` nested arrays around a string: `[[[..."x"...]]]`. */
const nestedArrays = (depth) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
/** `depth` nested objects: `{"a":{"a":...{}...}}`. */
const nestedObjects = (depth) => `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;

/** A body with `json` spliced in as the value of `member`. */
function spliced(member, json) {
  const base = JSON.stringify(valid());
  return `${base.slice(0, -1)},"${member}":${json}}`;
}

// ---------------------------------------------------------------------------

describe('bodies over 64 KiB are refused with 413 before they are parsed', () => {
  const bodies = () => [
    ['valid metadata padded with an unknown member', JSON.stringify(valid({ x_padding: 'x'.repeat(MAX_BODY_BYTES) }))],
    ['bytes that are not even JSON', 'not json '.repeat(8 * 1024)],
    ['100,000 nested arrays inside a metadata member', spliced('contacts', nestedArrays(100_000))],
    ['valid metadata with 70,000 redirect URIs', JSON.stringify(valid({ redirect_uris: Array.from({ length: 70_000 }, (_, i) => `https://good.example/${i}`) }))],
  ];

  test('with a declared Content-Length', async () => {
    const before = await countClients(tenant, admin);
    for (const [what, raw] of bodies()) {
      assert.ok(Buffer.byteLength(raw) > MAX_BODY_BYTES, `${what} is over the limit`);
      const res = await register(undefined, { raw });
      assertOAuthError(res, 413, undefined, what);
      assert.ok(res.ms < 5_000, `${what}: answered in ${Math.round(res.ms)} ms`);
    }
    assert.equal(await countClients(tenant, admin), before, 'no client was created');
  });

  test('streamed without a Content-Length', async () => {
    const before = await countClients(tenant, admin);
    const chunk = new TextEncoder().encode(`${JSON.stringify(valid()).slice(0, -1)},"x_padding":"${'x'.repeat(8 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        // 80 KiB in 8 KiB chunks, never closed as valid JSON.
        if (sent >= 10) return controller.close();
        sent += 1;
        controller.enqueue(sent === 1 ? chunk : new TextEncoder().encode('x'.repeat(8 * 1024)));
      },
    });
    const res = await register(undefined, { raw: stream });
    assertOAuthError(res, 413, undefined, 'a chunked body');
    assert.equal(await countClients(tenant, admin), before, 'no client was created');
  });
});

test('deeply nested JSON under 64 KiB is a fast 400 invalid_client_metadata', async () => {
  const before = await countClients(tenant, admin);
  for (const [what, raw] of [
    ['30,000 nested arrays in contacts', spliced('contacts', nestedArrays(30_000))],
    ['30,000 nested arrays in redirect_uris', spliced('redirect_uris', nestedArrays(30_000))],
    ['10,000 nested objects in an unknown member', spliced('x_vendor', nestedObjects(10_000))],
    ['30,000 nested arrays as the whole body', nestedArrays(30_000)],
    ['an unterminated nest of 60,000 arrays', '['.repeat(60_000)],
  ]) {
    assert.ok(Buffer.byteLength(raw) <= MAX_BODY_BYTES, `${what} is under the limit`);
    const res = await register(undefined, { raw });
    assertOAuthError(res, 400, 'invalid_client_metadata', what);
    assert.ok(res.ms < 2_000, `${what}: answered in ${Math.round(res.ms)} ms`);
  }
  assert.equal(await countClients(tenant, admin), before, 'no client was created');
  // The Worker is unharmed: the next registration goes through.
  const ok = await register(valid());
  assert.equal(ok.status, 201, ok.text);
});

describe('redirect URIs crafted for open redirects are refused with invalid_redirect_uri', () => {
  const tricks = [
    ['user info that looks like the host', 'https://good.example@evil.example/cb'],
    ['user info with a password', 'https://good.example:443@evil.example/cb'],
    ['a percent-encoded slash in the user info', 'https://good.example%2F@evil.example/cb'],
    ['a backslash before @', 'https://good.example\\@evil.example/cb'],
    ['a backslash as a path separator', 'https://good.example\\evil.example/cb'],
    ['backslashes for the authority', 'https:\\\\evil.example/cb'],
    ['a mixed-case https scheme', 'HtTpS://good.example/cb'],
    ['a mixed-case http scheme on loopback', 'hTTp://localhost:3000/cb'],
    ['an IDN look-alike in Unicode (Cyrillic а)', 'https://\u0430pple.com/cb'],
    ['a full-width look-alike host', 'https://ｇｏｏｄ.example/cb'],
    ['a fragment that hides a host', 'https://a.example/cb#@evil.example'],
    ['an empty fragment', 'https://a.example/cb#'],
    ['javascript: in mixed case', 'JaVaScRiPt:alert(document.domain)'],
    ['javascript: dressed as a URL', 'javascript://good.example/%0aalert(1)'],
    ['data: in base64', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['vbscript:', 'vbscript:msgbox(1)'],
    ['file:', 'file:///etc/passwd'],
    ['http on a host that starts like localhost', 'http://localhost.evil.example/cb'],
    ['http on a host that starts like 127.0.0.1', 'http://127.0.0.1.nip.io/cb'],
    ['loopback spelled in hex', 'http://0x7f000001/cb'],
    ['loopback spelled as one number', 'http://2130706433/cb'],
    ['a scheme-relative URI', '//evil.example/cb'],
    ['https without slashes', 'https:evil.example/cb'],
    ['https with one slash', 'https:/evil.example/cb'],
    ['a percent-encoded dot in the host', 'https://evil.example%2Egood.example/cb'],
    ['dot segments climbing out', 'https://good.example/cb/../../evil'],
    ['percent-encoded dot segments', 'https://good.example/%2e%2e/evil'],
    ['a tab inside, which URL parsers drop', 'https://good.exa\tmple/cb'],
    ['a newline inside, which URL parsers drop', 'https://good.example/c\nb'],
  ];

  for (const [what, uri] of tricks) {
    test(what, async () => {
      const before = await countClients(tenant, admin);
      const res = await register(valid({ redirect_uris: ['https://good.example/cb', uri] }));
      assertOAuthError(res, 400, 'invalid_redirect_uri', `${what} (${JSON.stringify(uri)})`);
      assert.equal(await countClients(tenant, admin), before, 'no client was created');
    });
  }
});

test('a trailing-dot host is stored as sent and matched only as sent', async () => {
  // `good.example.` is the same DNS name as `good.example` to a resolver but
  // another origin to a browser. It is a valid https URI, so it is accepted,
  // and then only the exact string may match.
  const uri = 'https://good.example./cb';
  const res = await register({ ...valid({ redirect_uris: [uri] }), token_endpoint_auth_method: 'none', grant_types: ['implicit'], response_types: ['token'] });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body.redirect_uris, [uri]);
  const authorize = (redirectUri) =>
    new Browser(tenant).request(
      `/authorize?${authorizeQuery({ response_type: 'token', client_id: res.body.client_id, redirect_uri: redirectUri, scope: 'openid', state: 's', prompt: 'none' })}`,
    );
  const exact = await authorize(uri);
  assert.equal(exact.status, 302, exact.text);
  assert.ok(exact.location.startsWith(`${uri}#`), exact.location);
  for (const nearMiss of ['https://good.example/cb', 'https://good.example../cb', 'https://GOOD.example./cb']) {
    const miss = await authorize(nearMiss);
    assert.equal(miss.status, 400, `${nearMiss}: ${miss.status} ${miss.location}`);
    assert.equal(miss.location, null, nearMiss);
  }
});

test('a member sent twice is judged by the value that is stored: the last', async () => {
  const good = '"redirect_uris":["https://good.example/cb"]';
  const bad = '"redirect_uris":["javascript:alert(1)"]';
  const refused = await register(undefined, { raw: `{"client_name":"Twice",${good},${bad}}` });
  assertOAuthError(refused, 400, 'invalid_redirect_uri', 'the bad value last');

  // As JSON.parse and most parsers read it, the last value wins; the bad
  // one never reaches the checks or the store.
  const res = await register(undefined, { raw: `{"client_name":"Twice",${bad},${good}}` });
  assert.equal(res.status, 201, `the bad value first: ${res.text}`);
  assert.deepEqual(res.body.redirect_uris, ['https://good.example/cb']);
  const client = await api(tenant, admin, 'GET', `/api/v2/clients/${res.body.client_id}`);
  assert.deepEqual(client.body.callbacks, ['https://good.example/cb'], 'what is stored is what was checked');
});

describe('look-alike redirect URIs that are accepted are stored and matched byte for byte', () => {
  const PUNYCODE = 'https://xn--pple-43d.com/cb';
  const WITH_QUERY = 'https://a.example/cb?x=1';
  const LOOPBACK = 'http://127.0.0.1:8080/cb';
  let registration;

  before(async () => {
    const res = await register({
      client_name: 'Look-alike',
      redirect_uris: [PUNYCODE, WITH_QUERY, LOOPBACK],
      token_endpoint_auth_method: 'none',
      grant_types: ['implicit'],
      response_types: ['token'],
    });
    assert.equal(res.status, 201, res.text);
    registration = res.body;
  });

  test('stored exactly as sent', async () => {
    assert.deepEqual(registration.redirect_uris, [PUNYCODE, WITH_QUERY, LOOPBACK]);
    const read = await registrationRequest(registration.registration_client_uri, 'GET', registration.registration_access_token);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body.redirect_uris, [PUNYCODE, WITH_QUERY, LOOPBACK]);
    const client = await api(tenant, admin, 'GET', `/api/v2/clients/${registration.client_id}`);
    assert.deepEqual(client.body.callbacks, [PUNYCODE, WITH_QUERY, LOOPBACK]);
  });

  /** /authorize with prompt=none: the registered URI gets login_required back. */
  function authorize(redirectUri) {
    return new Browser(tenant).request(
      `/authorize?${authorizeQuery({
        response_type: 'token',
        client_id: registration.client_id,
        redirect_uri: redirectUri,
        scope: 'openid',
        state: 'st',
        prompt: 'none',
      })}`,
    );
  }

  test('the exact URIs are answered at /authorize', async () => {
    for (const uri of [PUNYCODE, WITH_QUERY, LOOPBACK]) {
      const res = await authorize(uri);
      assert.equal(res.status, 302, `${uri}: ${res.status} ${res.text}`);
      assert.ok(res.location.startsWith(`${uri}#`), `${uri}: ${res.location}`);
      assert.match(res.location, /error=login_required/);
    }
  });

  const nearMisses = [
    ['the Unicode form of the punycode host', 'https://\u0430pple.com/cb'],
    ['the punycode host in upper case', 'https://XN--PPLE-43D.com/cb'],
    ['the real brand', 'https://apple.com/cb'],
    ['a trailing slash', `${PUNYCODE}/`],
    ['an empty query', `${PUNYCODE}?`],
    ['an empty fragment', `${PUNYCODE}#`],
    ['the default port spelled out', 'https://xn--pple-43d.com:443/cb'],
    ['a trailing dot on the host', 'https://xn--pple-43d.com./cb'],
    ['a percent-encoded path', 'https://xn--pple-43d.com/%63b'],
    ['the path in upper case', 'https://xn--pple-43d.com/CB'],
    ['user info in front', 'https://evil.example@xn--pple-43d.com/cb'],
    ['the query changed', 'https://a.example/cb?x=2'],
    ['a query parameter added', 'https://a.example/cb?x=1&next=https://evil.example'],
    ['the query dropped', 'https://a.example/cb'],
    ['another loopback port', 'http://127.0.0.1:8081/cb'],
    ['localhost for 127.0.0.1', 'http://localhost:8080/cb'],
    ['https for http', 'https://127.0.0.1:8080/cb'],
  ];

  test('every near miss gets an error page and no redirect', async () => {
    for (const [what, uri] of nearMisses) {
      const res = await authorize(uri);
      assert.equal(res.status, 400, `${what} (${uri}): ${res.status} ${res.location ?? ''}`);
      assert.equal(res.location, null, `${what}: no redirect`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, what);
      assert.equal(testIdText(res.text, 'error-code'), 'invalid_request', what);
    }
  });
});

test('a registration cannot be changed to an open redirect with RFC 7592 PUT', async () => {
  const res = await register(valid());
  assert.equal(res.status, 201, res.text);
  const reg = res.body;
  for (const uri of ['https://good.example@evil.example/cb', 'https://good.example\\@evil.example', 'HtTpS://good.example/cb', 'https://\u0430pple.com/cb']) {
    const put = await registrationRequest(reg.registration_client_uri, 'PUT', reg.registration_access_token, {
      client_id: reg.client_id,
      client_name: 'Abuser',
      redirect_uris: [uri],
    });
    assertOAuthError(put, 400, 'invalid_redirect_uri', uri);
  }
  const read = await registrationRequest(reg.registration_client_uri, 'GET', reg.registration_access_token);
  assert.deepEqual(read.body.redirect_uris, ['https://good.example/cb'], 'unchanged');
});

test('a registrant cannot choose its id, secret, tokens, party or Management settings', async () => {
  const chosenSecret = 'chosen-secret-'.padEnd(64, 'x');
  const res = await register({
    ...valid(),
    client_id: 'ChosenClientId000000000000000000',
    client_secret: chosenSecret,
    registration_access_token: 'chosen-token',
    client_secret_expires_at: 1,
    is_first_party: true,
    app_type: 'non_interactive',
    callbacks: ['https://evil.example/cb'],
    allowed_logout_urls: ['https://evil.example/'],
    jwt_configuration: { alg: 'HS256', lifetime_in_seconds: 999999999 },
    client_metadata: { role: 'admin' },
    global: true,
  });
  // RFC 7591 §2: the server ignores what it does not let a registrant set,
  // so the registration succeeds with the server's own values.
  assert.equal(res.status, 201, res.text);
  const body = res.body;
  assert.notEqual(body.client_id, 'ChosenClientId000000000000000000');
  assert.notEqual(body.client_secret, chosenSecret);
  assert.notEqual(body.registration_access_token, 'chosen-token');
  assert.equal(body.client_secret_expires_at, 0);
  const client = await api(tenant, admin, 'GET', `/api/v2/clients/${body.client_id}`);
  assert.equal(client.status, 200, client.text);
  assert.equal(client.body.is_first_party, false, 'still third-party');
  assert.deepEqual(client.body.callbacks, ['https://good.example/cb'], 'callbacks are the redirect URIs');
  assert.ok(!client.body.allowed_logout_urls?.includes('https://evil.example/'));
  assert.notEqual(client.body.jwt_configuration?.alg, 'HS256');
  assert.notEqual(client.body.jwt_configuration?.lifetime_in_seconds, 999999999);
  assert.notEqual(client.body.app_type, 'non_interactive', 'not a machine-to-machine app');
  assert.notEqual(client.body.global, true);
  assert.notDeepEqual(client.body.client_metadata, { role: 'admin' });
});

test("a registrant cannot take a built-in app's name, or hide characters in its own, at registration or with PUT", async () => {
  const before = await countClients(tenant, admin);
  const names = [
    'Dashboard',
    ' dashboard ',
    'Edge  Tenant',
    // "Dashboard" drawn by a right-to-left override over "draob".
    'Dash\u202Edraob',
    'Bank\u2066 of\u2069 Trust',
    'Zero\u200Bwidth',
    'Tag\u{E0041}ged',
  ];
  for (const client_name of names) {
    assertOAuthError(await register(valid({ client_name })), 400, 'invalid_client_metadata', JSON.stringify(client_name));
  }
  assert.equal(await countClients(tenant, admin), before, 'no client was registered');

  const res = await register(valid({ client_name: 'Dashboard Helper 👩\u200D💻' }));
  assert.equal(res.status, 201, res.text);
  const reg = res.body;
  for (const client_name of ['Dashboard', 'Dash\u202Edraob']) {
    const put = await registrationRequest(reg.registration_client_uri, 'PUT', reg.registration_access_token, {
      client_id: reg.client_id,
      client_name,
      redirect_uris: reg.redirect_uris,
    });
    assertOAuthError(put, 400, 'invalid_client_metadata', `PUT ${JSON.stringify(client_name)}`);
  }
  const read = await registrationRequest(reg.registration_client_uri, 'GET', reg.registration_access_token);
  assert.equal(read.body.client_name, 'Dashboard Helper 👩\u200D💻', 'unchanged');

  // What a person sees: the registered name on the login page, never a built-in one.
  const query = authorizeQuery({
    response_type: 'id_token',
    client_id: reg.client_id,
    redirect_uri: reg.redirect_uris[0],
    scope: 'openid',
    nonce: 'n',
    state: 's',
  });
  const start = await new Browser(tenant).request(`/authorize?${query}`);
  assert.equal(start.status, 302, start.text);
  const page = await new Browser(tenant).request(start.location);
  assert.match(page.text, /Dashboard Helper/);
});
