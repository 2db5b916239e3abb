// Actions, end to end, with real isolates: the tenant's Worker calls its
// actions runner (worker/actions-runner, its own wrangler dev) over the
// service binding, and the runner runs each action version in an isolate
// of the Dynamic Worker Loader. Actions are written exactly as for Auth0
// (`exports.onExecuteCredentialsExchange = async (event, api) => ...`) and
// managed with the official Auth0 Node SDK; tokens are asked for with the
// reference page's form request and verified with `jose`.
//
// The order matters in one place: the busy loop runs last, because the
// local runtime cannot stop it (production's CPU limit does); the tenant
// stops waiting for it, and the harness then restarts the runner.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  api,
  auth0Sdk,
  createApi,
  createM2MClient,
  createGrant,
  mgmtToken,
  randomName,
  startTenant,
  tokenRequest,
  updateTenantSettings,
  verifyAccessToken,
} from './harness.mjs';

const CE = 'credentials-exchange';

let tenant;
let admin;
let management;
let resourceServer;
let client;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  management = auth0Sdk(tenant);
  resourceServer = await createApi(tenant, admin, { signing_alg: 'RS256' });
  client = await createM2MClient(tenant, admin);
  await createGrant(tenant, admin, client.client_id, resourceServer.identifier, ['read:things']);
});

after(async () => {
  await tenant?.stop();
});

/** The reference page's token request. */
function token() {
  return tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: resourceServer.identifier,
    },
  });
}

/** A deployed credentials-exchange action with this code (and secrets). */
async function deployedAction(code, secrets = []) {
  const action = await management.actions.create({
    name: randomName('action'),
    supported_triggers: [{ id: CE, version: 'v2' }],
    code,
    runtime: 'node22',
    secrets,
  });
  const version = await management.actions.deploy(action.id);
  assert.equal(version.deployed, true);
  return { action, version };
}

/** Binds exactly these actions, in order, to credentials-exchange. */
async function bind(...actions) {
  await management.actions.triggers.bindings.updateMany(CE, {
    bindings: actions.map((action) => ({ ref: { type: 'action_id', value: action.id }, display_name: action.name })),
  });
}

async function claimsOf(res) {
  assert.equal(res.status, 200, res.text);
  const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
    audience: resourceServer.identifier,
    algorithm: 'RS256',
  });
  return payload;
}

function executionIdOf(res) {
  const match = /see execution ([0-9a-f]{32})$/.exec(res.body?.error_description ?? '');
  assert.ok(match, `an execution id in ${res.text}`);
  return match[1];
}

describe('credentials-exchange', () => {
  test('an action written for Auth0 adds a claim to the token, and its execution says what it logged', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async (event, api) => {
        console.log('issuing for', event.client.client_id, 'to', event.resource_server.identifier);
        api.accessToken.setCustomClaim('https://example.com/tier', 'gold');
        api.accessToken.setCustomClaim('https://example.com/scopes', event.accessToken.scope);
        api.accessToken.setCustomClaim('sub', 'not allowed');
      };`);
    await bind(action);
    const claims = await claimsOf(await token());
    assert.equal(claims['https://example.com/tier'], 'gold');
    assert.deepEqual(claims['https://example.com/scopes'], ['read:things']);
    assert.equal(claims.sub, `${client.client_id}@clients`, 'a restricted claim is dropped');

    const bindings = await management.actions.triggers.bindings.list(CE);
    assert.deepEqual(bindings.data.map((b) => b.action.id), [action.id]);
  });

  test('a deny answers the OAuth error the action chose, with no token', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async (event, api) => {
        api.access.deny('invalid_scope', 'This client may not ask for tokens today');
      };`);
    await bind(action);
    const res = await token();
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body, { error: 'invalid_scope', error_description: 'This client may not ask for tokens today' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('a throwing action fails the request with server_error; the reason is in the execution log only', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async (event, api) => {
        console.log('about to fail');
        throw new Error('database password is hunter2');
      };`);
    await bind(action);
    const res = await token();
    assert.equal(res.status, 500, res.text);
    assert.equal(res.body.error, 'server_error');
    assert.doesNotMatch(res.text, /hunter2|at |\.js/);
    const execution = await management.actions.executions.get(executionIdOf(res));
    assert.equal(execution.status, 'partial');
    assert.equal(execution.results[0].action_name, action.name);
    assert.match(execution.results[0].error.msg, /database password is hunter2/);
    assert.deepEqual(execution.results[0].logs.slice(0, 1), ['about to fail']);
  });

  test('an action has no network unless the tenant allows a host', async () => {
    const server = http.createServer((req, res) => res.end(JSON.stringify({ plan: 'enterprise' })));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${server.address().port}`;
    try {
      const { action } = await deployedAction(`
        exports.onExecuteCredentialsExchange = async (event, api) => {
          const res = await fetch('http://${host}/plan');
          api.accessToken.setCustomClaim('https://example.com/plan', (await res.json()).plan);
        };`);
      await bind(action);
      const refused = await token();
      assert.equal(refused.status, 500, refused.text);
      const execution = await management.actions.executions.get(executionIdOf(refused));
      assert.match(execution.results[0].error.msg, /not permitted to access the internet/);

      await updateTenantSettings(tenant, admin, { actions_allowed_hosts: [host] });
      // The settings reach the token endpoint within a minute; this isolate
      // saw the change.
      const claims = await claimsOf(await token());
      assert.equal(claims['https://example.com/plan'], 'enterprise');
      // Another host stays closed.
      await updateTenantSettings(tenant, admin, { actions_allowed_hosts: ['example.com'] });
      assert.equal((await token()).status, 500);
    } finally {
      await updateTenantSettings(tenant, admin, { actions_allowed_hosts: [] });
      server.close();
    }
  });

  test('each action reads only its own secrets, which the API never shows', async () => {
    const code = (label) => `
      exports.onExecuteCredentialsExchange = async (event, api) => {
        api.accessToken.setCustomClaim('https://example.com/${label}', Object.keys(event.secrets).sort().join(','));
        api.accessToken.setCustomClaim('https://example.com/${label}-value', event.secrets.${label.toUpperCase()}_KEY);
      };`;
    const first = await deployedAction(code('one'), [{ name: 'ONE_KEY', value: 'value-of-one' }]);
    const second = await deployedAction(code('two'), [{ name: 'TWO_KEY', value: 'value-of-two' }]);
    await bind(first.action, second.action);
    const claims = await claimsOf(await token());
    assert.equal(claims['https://example.com/one'], 'ONE_KEY');
    assert.equal(claims['https://example.com/one-value'], 'value-of-one');
    assert.equal(claims['https://example.com/two'], 'TWO_KEY');
    assert.equal(claims['https://example.com/two-value'], 'value-of-two');
    const shown = await api(tenant, admin, 'GET', `/api/v2/actions/actions/${first.action.id}`);
    assert.deepEqual(shown.body.secrets.map((s) => s.name), ['ONE_KEY']);
    assert.doesNotMatch(shown.text, /value-of-one/);
  });

  test('versions: a new deploy runs at once, and a roll back deploys the old code as a new version', async () => {
    const code = (n) => `exports.onExecuteCredentialsExchange = async (event, api) => {
      api.accessToken.setCustomClaim('https://example.com/version', ${n});
    };`;
    const { action, version: first } = await deployedAction(code(1));
    await bind(action);
    assert.equal((await claimsOf(await token()))['https://example.com/version'], 1);
    await management.actions.update(action.id, { code: code(2) });
    assert.equal((await claimsOf(await token()))['https://example.com/version'], 1, 'a draft does not run');
    const second = await management.actions.deploy(action.id);
    assert.equal(second.number, 2);
    assert.equal((await claimsOf(await token()))['https://example.com/version'], 2);
    const rolledBack = await management.actions.versions.deploy(action.id, first.id);
    assert.equal(rolledBack.number, 3);
    assert.equal(rolledBack.code, first.code);
    assert.equal((await claimsOf(await token()))['https://example.com/version'], 1);
    const versions = await management.actions.versions.list(action.id);
    assert.deepEqual(versions.data.map((v) => [v.number, v.deployed]), [[3, true], [2, false], [1, false]]);
  });

  test('the test endpoint runs the draft with an event and shows what it did', async () => {
    const action = await management.actions.create({
      name: randomName('draft'),
      supported_triggers: [{ id: CE, version: 'v2' }],
      code: `exports.onExecuteCredentialsExchange = async (event, api) => {
        console.log('testing', event.client.name);
        api.accessToken.setCustomClaim('https://example.com/tested', true);
      };`,
    });
    const result = await management.actions.test(action.id, { payload: { client: { name: 'Probe' } } });
    assert.deepEqual(result.payload.logs, ['testing Probe']);
    assert.deepEqual(result.payload.commands, [
      { op: 'access_token_claim', name: 'https://example.com/tested', value: true },
    ]);
  });

  test('whatever an action writes, the tenant reads its result: cut emoji, lone surrogates and odd cache lifetimes', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async (event, api) => {
        console.log('x'.repeat(255) + '\\u{1F600}');
        console.log('half a pair: \\ud800');
        api.accessToken.setCustomClaim('https://example.com/odd', 'lone \\ud800 surrogate');
        const fractional = api.cache.set('k', 'v', { ttl: 1500.5 });
        const negative = api.cache.set('k2', 'v', { ttl: -1 });
        api.accessToken.setCustomClaim('https://example.com/cache', [fractional.type, negative.code]);
      };`);
    await bind(action);
    const claims = await claimsOf(await token());
    assert.equal(claims['https://example.com/odd'], 'lone \ufffd surrogate', 'a lone surrogate arrives as U+FFFD');
    assert.deepEqual(claims['https://example.com/cache'], ['success', 'INVALID_TTL']);

    const result = await management.actions.test(action.id, { payload: {} });
    assert.equal(result.payload.logs[0], `${'x'.repeat(255)}\ufffd`, 'the line is cut at 256 code units, the half emoji replaced');
    assert.equal(result.payload.logs[1], 'half a pair: \ufffd');
  });

  test('code that does not load is not deployed, and a deployed action keeps its trigger', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async (event, api) => {
        api.accessToken.setCustomClaim('https://example.com/build', 'good');
      };`);
    await bind(action);
    for (const [what, code, reason] of [
      ['a syntax error', 'exports.onExecuteCredentialsExchange = async (event, api) => {', /SyntaxError/],
      ['no entry point', 'exports.somethingElse = async () => {};', /does not export onExecuteCredentialsExchange/],
      ['a throw at the top level', "throw new Error('cannot start');", /cannot start/],
    ]) {
      await management.actions.update(action.id, { code });
      const res = await api(tenant, admin, 'POST', `/api/v2/actions/actions/${action.id}/deploy`);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.match(res.body.message, reason, what);
      const claims = await claimsOf(await token());
      assert.equal(claims['https://example.com/build'], 'good', `${what}: the deployed version goes on running`);
    }
    const versions = await api(tenant, admin, 'GET', `/api/v2/actions/actions/${action.id}/versions`);
    assert.equal(versions.body.versions.length, 1, 'no version was made');

    await bind();
    const moved = await api(tenant, admin, 'PATCH', `/api/v2/actions/actions/${action.id}`, {
      supported_triggers: [{ id: 'post-login', version: 'v3' }],
    });
    assert.equal(moved.status, 400, moved.text);
  });

  test('dependencies and code over 100 kB are refused, and nothing is created', async () => {
    const refusals = [
      { dependencies: [{ name: 'axios', version: '1.7.0' }] },
      { code: `// ${'x'.repeat(100 * 1024)}` },
    ];
    for (const extra of refusals) {
      const name = randomName('refused');
      const res = await api(tenant, admin, 'POST', '/api/v2/actions/actions', {
        name,
        supported_triggers: [{ id: CE, version: 'v2' }],
        ...extra,
      });
      assert.equal(res.status, 400, res.text);
      const listed = await api(tenant, admin, 'GET', `/api/v2/actions/actions?actionName=${name}`);
      assert.equal(listed.body.total, 0);
    }
  });

  test('a looping action is refused within the time limit, and the tenant keeps answering', async () => {
    const { action } = await deployedAction(`
      exports.onExecuteCredentialsExchange = async () => { while (true) {} };`);
    await bind(action);
    const started = Date.now();
    const res = await token();
    const took = Date.now() - started;
    assert.equal(res.status, 500, res.text);
    assert.equal(res.body.error, 'server_error');
    assert.ok(took < 10_000, `refused after ${took} ms`);
    const execution = await management.actions.executions.get(executionIdOf(res));
    assert.match(execution.results[0].error.msg, /did not finish within 5000 ms/);
    // The tenant itself still answers; the runner is started again.
    await bind();
    assert.equal((await token()).status, 200);
    await tenant.restartRunner();
  });
});
