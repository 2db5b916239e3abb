// Attacks on /authorize and the pages behind it: redirect URIs one
// character away from a registered one (the open redirect that leaks
// tokens), states built to break the response, and the caching and framing
// headers that keep tokens and forms out of caches and iframes.
//
// hosted-login.test.mjs already covers, for the built-in app's callback, a
// trailing slash, an added query, a path in another case and another host
// at /authorize (with and without a session) and at the login page and its
// form; a state with spaces, &, =, #, / ? + % and non-ASCII; the headers of
// the login, signup, error and consent pages and of every redirect with an
// answer; and the login and signup forms refused without the matching CSRF
// cookie and field or from another origin. None of that is repeated here.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  authorizeQuery,
  Browser,
  createM2MClient,
  createUser,
  fragmentParams,
  hostedLogin,
  mgmtToken,
  startTenant,
  tags,
  testIdText,
} from './harness.mjs';

const CALLBACK = 'https://app.example.test:8443/cb/done';
const LOOPBACK = 'http://127.0.0.1:9999/cb';

let tenant;
let admin;
/** A first-party SPA client with the two callbacks above. */
let spa;
/** Another SPA client, whose callback must not work for `spa`. */
let other;
/** A browser signed in to `spa`. */
let signedIn;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  spa = await createM2MClient(tenant, admin, { app_type: 'spa', callbacks: [CALLBACK, LOOPBACK] });
  other = await createM2MClient(tenant, admin, { app_type: 'spa', callbacks: ['https://other.example.test/cb'] });
  const user = await createUser(tenant, admin);
  signedIn = new Browser(tenant);
  const res = await hostedLogin(signedIn, query(), user);
  assert.equal(res.status, 302, res.text);
  assert.ok(res.location.startsWith(`${CALLBACK}#access_token=`), res.location);
});

after(async () => {
  await tenant?.stop();
});

/** An implicit request of `spa` at its https callback; `extra` overrides. */
function query(extra = {}) {
  return authorizeQuery({
    response_type: 'token',
    client_id: spa.client_id,
    redirect_uri: CALLBACK,
    scope: 'openid',
    state: 'the-state',
    ...extra,
  });
}

/** Headers every page of the tenant carries. */
function assertPageHeaders(res, what) {
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/, `${what}: HTML`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, `${what}: CSP`);
}

/** The tenant's own error page: no Location anywhere, no token, no session. */
function assertErrorPage(res, what) {
  assert.equal(res.status, 400, `${what}: ${res.status} ${res.location ?? ''} ${res.text.slice(0, 200)}`);
  assert.equal(res.location, null, `${what}: no redirect`);
  assertPageHeaders(res, what);
  assert.equal(testIdText(res.text, 'error-code'), 'invalid_request', what);
  assert.ok(!/access_token|id_token=/.test(res.text), `${what}: no token in the page`);
  assert.equal(tags(res.text, 'form').length, 0, `${what}: no form posting anywhere`);
  assert.ok(!res.setCookies.some((c) => c.startsWith('tenant_session=')), `${what}: no session`);
}

// ---------------------------------------------------------------------------

describe('a redirect_uri that is not exactly a registered one never gets a redirect', () => {
  const nearMisses = [
    ['a trailing slash', `${CALLBACK}/`],
    ['the path in another case', 'https://app.example.test:8443/cb/DONE'],
    ['the host in another case', 'https://APP.example.test:8443/cb/done'],
    ['an extra query', `${CALLBACK}?next=https://evil.example`],
    ['an empty query', `${CALLBACK}?`],
    ['a fragment', `${CALLBACK}#x`],
    ['another port', 'https://app.example.test:8444/cb/done'],
    ['no port', 'https://app.example.test/cb/done'],
    ['http instead of https', 'http://app.example.test:8443/cb/done'],
    ['a parent path', 'https://app.example.test:8443/cb'],
    ['a child path', `${CALLBACK}/more`],
    ['dot segments back to it', 'https://app.example.test:8443/cb/x/../done'],
    ['a percent-encoded path', 'https://app.example.test:8443/cb/%64one'],
    ['a double slash', 'https://app.example.test:8443//cb/done'],
    ['user info in front', 'https://evil.example@app.example.test:8443/cb/done'],
    ['the host as user info', 'https://app.example.test:8443@evil.example/cb/done'],
    ['a backslash trick', 'https://evil.example\\@app.example.test:8443/cb/done'],
    ['a subdomain', 'https://evil.app.example.test:8443/cb/done'],
    ['a suffix domain', 'https://app.example.test.evil.example:8443/cb/done'],
    ['a trailing dot on the host', 'https://app.example.test.:8443/cb/done'],
    ['a space at the end', `${CALLBACK} `],
    ['a NUL at the end', `${CALLBACK}\u0000`],
    ['another client\'s callback', 'https://other.example.test/cb'],
    ['localhost for 127.0.0.1', 'http://localhost:9999/cb'],
    ['another loopback port', 'http://127.0.0.1:9998/cb'],
    ['the loopback without its port', 'http://127.0.0.1/cb'],
    ['the IPv6 loopback', 'http://[::1]:9999/cb'],
    ['https on the loopback', 'https://127.0.0.1:9999/cb'],
  ];

  test('the exact callbacks do get redirects (the control)', async () => {
    for (const uri of [CALLBACK, LOOPBACK]) {
      const res = await new Browser(tenant).request(`/authorize?${query({ redirect_uri: uri, prompt: 'none' })}`);
      assert.equal(res.status, 302, res.text);
      assert.ok(res.location.startsWith(`${uri}#`), res.location);
      assert.equal(fragmentParams(res.location).error, 'login_required');
    }
    const res = await signedIn.request(`/authorize?${query()}`);
    assert.equal(res.status, 302, res.text);
    assert.ok(fragmentParams(res.location).access_token, 'a signed-in person gets a token at the exact callback');
  });

  for (const [what, uri] of nearMisses) {
    test(what, async () => {
      const variants = [
        ['GET, signed in', signedIn, query({ redirect_uri: uri })],
        ['GET, signed in, form_post', signedIn, query({ redirect_uri: uri, response_mode: 'form_post' })],
        ['GET, no session', new Browser(tenant), query({ redirect_uri: uri })],
        ['GET, prompt=none', new Browser(tenant), query({ redirect_uri: uri, prompt: 'none' })],
        ['GET, an error that would go to the client', signedIn, query({ redirect_uri: uri, response_type: 'code' })],
      ];
      for (const [how, browser, q] of variants) {
        assertErrorPage(await browser.request(`/authorize?${q}`), `${how}: ${uri}`);
      }
      const posted = await signedIn.request('/authorize', { form: Object.fromEntries(new URLSearchParams(query({ redirect_uri: uri }))) });
      assertErrorPage(posted, `POST, signed in: ${uri}`);
    });
  }

  test('a redirect_uri sent twice, the registered one first, is refused', async () => {
    const q = `${query()}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    assertErrorPage(await signedIn.request(`/authorize?${q}`), 'repeated redirect_uri');
    const reversed = `${query({ redirect_uri: 'https://evil.example/cb' })}&redirect_uri=${encodeURIComponent(CALLBACK)}`;
    assertErrorPage(await signedIn.request(`/authorize?${reversed}`), 'repeated redirect_uri, reversed');
  });

  test("one client's redirect_uri is not another's", async () => {
    const q = query({ client_id: other.client_id, redirect_uri: CALLBACK });
    assertErrorPage(await signedIn.request(`/authorize?${q}`), "spa's callback for the other client");
  });
});

describe('the state comes back exactly as sent, whatever it holds', () => {
  const states = [
    ['spaces', 'a state with  two  spaces '],
    ['& and =', 'a=1&b=2&redirect_uri=https://evil.example'],
    ['#', '#fragment#again'],
    ['unicode', 'é ü ✓ 😀 漢字 \u202e'],
    ['quotes', `"double" 'single' \`back\``],
    ['markup', '"><script>alert(1)</script><img src=x onerror=alert(1)>'],
    ['percent escapes', '%20%2B%00%ZZ%'],
    ['plus signs', '+a+b++'],
    ['backslashes', 'C:\\path\\"x'],
    ['CR LF, a header injection attempt', 'x\r\nSet-Cookie: injected=1\r\nLocation: https://evil.example'],
    ['500 characters', Array.from({ length: 500 }, (_, i) => String.fromCharCode(33 + (i % 94))).join('')],
  ];

  function assertNoInjection(res, what) {
    assert.ok(!res.setCookies.some((c) => c.startsWith('injected=')), `${what}: no injected cookie`);
    if (res.location) assert.ok(!/[\r\n]/.test(res.location), `${what}: one Location line`);
  }

  for (const [what, state] of states) {
    test(what, async () => {
      // Tokens in the fragment.
      const ok = await signedIn.request(`/authorize?${query({ state })}`);
      assert.equal(ok.status, 302, `${what}: ${ok.text}`);
      assert.ok(ok.location.startsWith(`${CALLBACK}#`), ok.location);
      assert.match(ok.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control`);
      assert.equal(fragmentParams(ok.location).state, state, `${what}: with tokens`);
      assert.ok(fragmentParams(ok.location).access_token);
      assertNoInjection(ok, what);

      // An error in the fragment.
      const refused = await new Browser(tenant).request(`/authorize?${query({ state, prompt: 'none' })}`);
      assert.equal(refused.status, 302, refused.text);
      assert.equal(fragmentParams(refused.location).state, state, `${what}: with an error`);
      assertNoInjection(refused, what);

      // Tokens in a form_post page.
      const page = await signedIn.request(`/authorize?${query({ state, response_mode: 'form_post' })}`);
      assert.equal(page.status, 200, page.text);
      assertPageHeaders(page, `${what}: form_post`);
      const fields = Object.fromEntries(tags(page.text, 'input').map((i) => [i.name, i.value]));
      assert.equal(fields.state, state, `${what}: in the form`);
      assert.equal(tags(page.text, 'form')[0].action, CALLBACK);
      assert.ok(!page.text.includes('<script>alert(1)'), `${what}: no markup injected`);
      assert.equal(tags(page.text, 'script').length, 1, `${what}: only the page's own script`);
      assertNoInjection(page, what);
    });
  }

  test('a form post whose raw body holds CR, LF and tabs is answered like the same GET', async () => {
    // Raw in the body, not percent-encoded: a form parser takes them, a
    // Location header cannot hold them.
    const state = 'x\r\nSet-Cookie: injected=1\r\n\tLocation: https://evil.example';
    const body = query().replace('state=the-state', `state=${state}`);
    assert.ok(body.includes('\r\n'), 'the body carries the raw bytes');

    const answered = await signedIn.request('/authorize', { body });
    assert.equal(answered.status, 302, answered.text);
    assert.ok(answered.location.startsWith(`${CALLBACK}#`), answered.location);
    assert.equal(fragmentParams(answered.location).state, state);
    assertNoInjection(answered, 'signed in');

    const fresh = new Browser(tenant);
    const toLogin = await fresh.request('/authorize', { body });
    assert.equal(toLogin.status, 302, `${toLogin.status} ${toLogin.text.slice(0, 200)}`);
    assertNoInjection(toLogin, 'to the login page');
    const loginUrl = new URL(toLogin.location, tenant.baseUrl);
    assert.equal(loginUrl.pathname, '/u/login');
    assert.equal(loginUrl.searchParams.get('state'), state, 'the login page keeps the state');
    const page = await fresh.request(toLogin.location);
    assert.equal(page.status, 200, page.text.slice(0, 200));
    assertPageHeaders(page, 'the login page');
  });

  test('a state too long to echo is refused on the tenant page, not sent anywhere', async () => {
    const res = await signedIn.request(`/authorize?${query({ state: 's'.repeat(2049) })}`);
    assertErrorPage(res, 'a 2049-character state');
  });
});

test('the answers of /authorize and the login page are never cached, and the pages never framed', async () => {
  const fresh = new Browser(tenant);
  const answers = {
    'the redirect to the login page': await fresh.request(`/authorize?${query()}`),
    'an error sent to the client': await fresh.request(`/authorize?${query({ prompt: 'none' })}`),
    'tokens sent to the client': await signedIn.request(`/authorize?${query()}`),
    'tokens by form_post': await signedIn.request(`/authorize?${query({ response_mode: 'form_post' })}`),
    'an error page': await fresh.request(`/authorize?${query({ redirect_uri: 'https://evil.example/' })}`),
    'the login page': await fresh.request(`/u/login?${query()}`),
    'a refused login form': await fresh.request(`/u/login?${query()}`, { form: { csrf: 'forged', email: 'a@b.example', password: 'whatever1' } }),
  };
  for (const [what, res] of Object.entries(answers)) {
    assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control ${res.headers.get('cache-control')}`);
    if (res.status === 200 || res.status === 400 || res.status === 403) assertPageHeaders(res, what);
  }
});
