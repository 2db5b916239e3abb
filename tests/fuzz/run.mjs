// Property-based API fuzzing: schemathesis against a fresh `wrangler dev`,
// driven by the OpenAPI document the Worker serves (worker/openapi.json at
// GET /api/v2/openapi.json), which is first validated against the official
// OpenAPI 3.1 JSON Schema.
//
//   EDGE_TENANT_PREBUILT=1 node tests/fuzz/run.mjs
//
// Needs the built Worker and schemathesis in .venv/ (`bash scripts/setup.sh
// --fuzz`). Every operation of the document is fuzzed twice:
//
// 1. "token": with real credentials for every security scheme (a Management
//    API token holding every scope, an M2M client's token for its API, a
//    user's token for /userinfo, registration access tokens, the M2M
//    client's id and secret for HTTP Basic at the token and revocation
//    endpoints). Path ids, some query parameters and JSON body members are
//    drawn, half of the time, from resources provisioned here, so requests
//    reach existing clients, APIs, grants, users, log events, organizations
//    (one of them one the M2M client's grant may act for, at the token
//    endpoint too), registrations, actions, their versions, triggers and an
//    execution, and a public SPA client with refresh tokens a sign-in issued
//    it (for the refresh token grant and revocation), not only 404s; reads
//    get resources that nothing deletes, writes get others. Each trigger has
//    an action bound that does nothing, so token requests run it; a fuzzed
//    binding may name only those, and no fuzzed write changes them
//    (tests/fuzz/hooks.py), so no action whose code the fuzzer wrote ever
//    runs at the token endpoint or a sign-in.
// 2. "anonymous": without any token or credentials at all.
//
// Checks (schemathesis 4.x names): not_a_server_error (no 5xx),
// status_code_conformance (every status is documented for the operation),
// response_schema_conformance (every body matches its documented schema),
// content_type_conformance, response_headers_conformance (documented
// required headers, e.g. Retry-After on 429, are there and match),
// unsupported_method (an undocumented method answers 405 with Allow) and
// ignored_auth (a protected operation refuses a request without its
// credentials, or with wrong ones).
//
// Nothing is excluded: the HTML pages (/authorize, /u/*, /v2/logout) are
// fuzzed too; their bodies are text/html, which no JSON schema describes,
// but their statuses, media types and headers are checked, and the form
// posts carry a valid CSRF pair (tests/fuzz/hooks.py) so that they reach
// the sign-in. Rate limits are not avoided either: /oidc/register (60 a
// minute per address), failed client authentication at /oauth/token and
// sign-in attempts answer the documented 429 with Retry-After once the
// fuzzer exceeds them.
//
// Bounded: FUZZ_MAX_EXAMPLES generated examples per operation (default 20)
// in the fuzzing phase, after the coverage phase's boundary cases; a run
// that takes longer than FUZZ_TIMEOUT seconds (default 300) is stopped and
// fails. FUZZ_SEED replays a run (schemathesis prints its seed). Exits
// non-zero when schemathesis reports any failure. JUnit reports land in
// tests/artifacts/fuzz/{token,anonymous}/, with a cassette of every request
// when FUZZ_CASSETTE=1.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  createUser,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  mgmtToken,
  provisionM2M,
  randomAlphanumeric,
  registerClient,
  repoRoot,
  setDynamicRegistration,
  startTenant,
  tokenRequest,
} from '../e2e/harness.mjs';

const SCHEMATHESIS = path.join(repoRoot, '.venv', 'bin', 'schemathesis');
const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 20);
const TIMEOUT_SECONDS = Number(process.env.FUZZ_TIMEOUT ?? 300);
const ARTIFACTS = path.join(repoRoot, 'tests', 'artifacts', 'fuzz');
/** A CSRF double-submit value: 32 characters of [A-Za-z0-9_-]. */
const CSRF_TOKEN = randomAlphanumeric(32);
const REGISTERED_CALLBACK = 'https://fuzz.example.com/callback';
const SPA_CALLBACK = 'https://spa.fuzz.example.com/callback';
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'response_schema_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'unsupported_method',
  'ignored_auth',
].join(',');

function fail(message) {
  console.error(`fuzz: ${message}`);
  process.exitCode = 1;
}

function expect(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${res.text}`);
  return res.body;
}

/** TOML basic string. */
const str = (value) => JSON.stringify(String(value));
/** TOML inline array of strings. */
const strs = (values) => `[${values.map(str).join(', ')}]`;

/** Registers a client through RFC 7591, as any app may. */
async function register(tenant, name) {
  return expect(
    await registerClient(tenant, { client_name: name, redirect_uris: [REGISTERED_CALLBACK] }),
    201,
    'register a client',
  );
}

/**
 * Creates everything the "token" run's credentials and dictionaries point
 * at, through the public API, as a client of the tenant would: a "kept" set
 * that only reads use (so the credentials stay valid for the whole run) and
 * a "doomed" set that writes and deletes may change or remove.
 */
async function provision(tenant) {
  const admin = await mgmtToken(tenant);
  const scopes = { grantScopes: ['read:things', 'write:things'] };
  const kept = await provisionM2M(tenant, admin, scopes);
  const doomed = await provisionM2M(tenant, admin, scopes);
  const apiToken = (
    await getAccessToken(tenant.baseUrl, {
      clientId: kept.client.client_id,
      clientSecret: kept.client.client_secret,
      audience: kept.resourceServer.identifier,
    })
  ).access_token;

  await setDynamicRegistration(tenant, admin, true);
  const registration = await register(tenant, 'Fuzzed registration');
  const doomedRegistration = await register(tenant, 'Fuzzed registration (deleted)');

  // A user, signed in through the hosted login with the built-in SPA client,
  // for a /userinfo token; the sign-in also writes log events.
  const { user, email, password } = await createUser(tenant, admin);
  const doomedUser = (await createUser(tenant, admin)).user;
  const app = await appConfig(tenant);
  const browser = new Browser(tenant);
  const signedIn = await hostedLogin(
    browser,
    authorizeQuery({
      response_type: 'token',
      client_id: app.client_id,
      redirect_uri: `${tenant.baseUrl}/callback`,
      scope: 'openid profile email',
      state: randomAlphanumeric(16),
    }),
    { email, password },
  );
  if (signedIn.status !== 302) throw new Error(`hosted login: ${signedIn.status} ${signedIn.text}`);
  const userToken = fragmentParams(signedIn.location).access_token;
  if (!userToken) throw new Error(`hosted login: no access token in ${signedIn.location}`);

  // A public SPA client of the code flow (PKCE), with non-rotating refresh
  // tokens, and a few of them from the person's session (no API: offline
  // access needs none), for token requests and revocations to name, so
  // that they reach the refresh and the revocation themselves. Nothing
  // else uses this client or these tokens: a fuzzed reuse or revocation
  // that ends them harms nothing.
  const spa = expect(
    await api(tenant, admin, 'POST', '/api/v2/clients', {
      name: 'Fuzzed SPA',
      app_type: 'spa',
      callbacks: [SPA_CALLBACK],
      refresh_token: { rotation_type: 'non-rotating' },
    }),
    201,
    'create an SPA client',
  );
  const refreshTokens = [];
  for (let i = 0; i < 3; i += 1) {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const authorized = await browser.request(`/authorize?${authorizeQuery({
      response_type: 'code',
      client_id: spa.client_id,
      redirect_uri: SPA_CALLBACK,
      scope: 'openid offline_access',
      state: randomAlphanumeric(16),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })}`);
    const code = authorized.location && new URL(authorized.location).searchParams.get('code');
    if (authorized.status !== 302 || !code) throw new Error(`a code for the SPA: ${authorized.status} ${authorized.location}`);
    const tokens = expect(
      await tokenRequest(tenant.baseUrl, {
        form: { grant_type: 'authorization_code', client_id: spa.client_id, code, redirect_uri: SPA_CALLBACK, code_verifier: verifier },
      }),
      200,
      'redeem a code',
    );
    if (!tokens.refresh_token) throw new Error(`no refresh token for the SPA: ${JSON.stringify(tokens)}`);
    refreshTokens.push(tokens.refresh_token);
  }
  for (const id of [user.user_id, doomedUser.user_id]) {
    expect(
      await api(tenant, admin, 'POST', `/api/v2/users/${encodeURIComponent(id)}/permissions`, {
        permissions: [{ resource_server_identifier: kept.resourceServer.identifier, permission_name: 'read:things' }],
      }),
      201,
      'assign a permission',
    );
  }

  // Organizations: a kept one that the kept grant may act for (so that
  // token requests naming it get a token) with the kept user as a member,
  // and a doomed one that writes may change or delete.
  const organization = async (name) =>
    expect(await api(tenant, admin, 'POST', '/api/v2/organizations', { name }), 201, 'create an organization');
  const keptOrganization = await organization(`fuzz-kept-${randomAlphanumeric(8).toLowerCase()}`);
  const doomedOrganization = await organization(`fuzz-doomed-${randomAlphanumeric(8).toLowerCase()}`);
  expect(
    await api(tenant, admin, 'PATCH', `/api/v2/client-grants/${kept.grant.id}`, { organization_usage: 'allow' }),
    200,
    'let the kept grant act for organizations',
  );
  for (const [org, grant] of [[keptOrganization, kept.grant], [doomedOrganization, doomed.grant]]) {
    expect(
      await api(tenant, admin, 'POST', `/api/v2/organizations/${org.id}/client-grants`, { grant_id: grant.id }),
      201,
      'associate a grant with an organization',
    );
  }
  for (const org of [keptOrganization, doomedOrganization]) {
    expect(
      await api(tenant, admin, 'POST', `/api/v2/organizations/${org.id}/members`, { members: [user.user_id] }),
      204,
      'add a member',
    );
  }

  // Actions: a kept one of each trigger, deployed twice, that does nothing
  // (what reads get, and the only actions a binding may name, see below),
  // and a doomed one that writes change, deploy, roll back, test and delete.
  // An execution to read: a failed run of an action that fails only for a
  // throwaway client, bound while that client asks for a token.
  const action = async (name, trigger, code, secrets = []) =>
    expect(
      await api(tenant, admin, 'POST', '/api/v2/actions/actions', { name, supported_triggers: [trigger], code, secrets, deploy: true }),
      201,
      'create an action',
    );
  const deploy = async (a) => expect(await api(tenant, admin, 'POST', `/api/v2/actions/actions/${a.id}/deploy`), 202, 'deploy an action');
  const bind = async (trigger, actions) =>
    expect(
      await api(tenant, admin, 'PATCH', `/api/v2/actions/triggers/${trigger}/bindings`, {
        bindings: actions.map((a) => ({ ref: { type: 'action_id', value: a.id } })),
      }),
      200,
      `bind actions to ${trigger}`,
    );
  const CREDENTIALS_EXCHANGE = { id: 'credentials-exchange', version: 'v2' };
  const POST_LOGIN = { id: 'post-login', version: 'v3' };
  const suffix = randomAlphanumeric(8).toLowerCase();
  const keptAction = await action(`fuzz-kept-${suffix}`, CREDENTIALS_EXCHANGE, 'exports.onExecuteCredentialsExchange = async (event, api) => {};\n', [{ name: 'KEPT', value: 'kept' }]);
  const keptPostLogin = await action(`fuzz-kept-login-${suffix}`, POST_LOGIN, 'exports.onExecutePostLogin = async (event, api) => {};\n');
  const doomedAction = await action(`fuzz-doomed-${suffix}`, CREDENTIALS_EXCHANGE, 'exports.onExecuteCredentialsExchange = async (event, api) => {\n  console.log(event.client?.name);\n};\n', [{ name: 'DOOMED', value: 'doomed' }]);
  const actionVersions = {};
  for (const a of [keptAction, doomedAction]) actionVersions[a.id] = [a.deployed_version.id, (await deploy(a)).id];
  const throwaway = await provisionM2M(tenant, admin, scopes);
  const failing = await action(
    `fuzz-failing-${suffix}`,
    CREDENTIALS_EXCHANGE,
    `exports.onExecuteCredentialsExchange = async (event) => {\n  if (event.client.client_id === ${JSON.stringify(throwaway.client.client_id)}) throw new Error('failed on purpose');\n};\n`,
  );
  await bind('credentials-exchange', [failing]);
  const failed = await tokenRequest(tenant.baseUrl, {
    form: { grant_type: 'client_credentials', client_id: throwaway.client.client_id, client_secret: throwaway.client.client_secret, audience: throwaway.resourceServer.identifier },
  });
  const executionId = /see execution ([0-9a-f]{32})$/.exec(failed.body?.error_description ?? '')?.[1];
  if (failed.status !== 500 || !executionId) throw new Error(`a failing action: expected HTTP 500 naming an execution, got ${failed.status} ${failed.text}`);
  // Only actions that do nothing stay bound (tests/fuzz/hooks.py keeps it so).
  await bind('credentials-exchange', [keptAction]);
  await bind('post-login', [keptPostLogin]);
  for (let attempt = 0; ; attempt += 1) {
    // Written after the response it belongs to.
    if ((await api(tenant, admin, 'GET', `/api/v2/actions/executions/${executionId}`)).status === 200) break;
    if (attempt === 50) throw new Error(`execution ${executionId} was never written`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await api(tenant, admin, 'DELETE', `/api/v2/actions/actions/${failing.id}`), 204, 'delete the failing action');

  const logs = expect(await api(tenant, admin, 'GET', '/api/v2/logs?per_page=5'), 200, 'list logs');
  if (!Array.isArray(logs) || logs.length === 0) throw new Error('no log events to fuzz with');

  return {
    admin,
    kept,
    doomed,
    apiToken,
    registration,
    doomedRegistration,
    user,
    doomedUser,
    email,
    password,
    appClientId: app.client_id,
    userToken,
    spa,
    refreshTokens,
    keptOrganization,
    doomedOrganization,
    logIds: logs.map((e) => e.log_id),
    keptAction,
    keptPostLogin,
    doomedAction,
    actionVersions,
    executionId,
  };
}

/** schemathesis.toml for a run; `credentials` false for the anonymous run. */
function config(tenant, p, credentials) {
  const lines = [
    '# Written by tests/fuzz/run.mjs for one run; holds test credentials.',
    '[generation]',
    `max-examples = ${MAX_EXAMPLES}`,
    // No made-up Authorization headers: the anonymous run sends none at all.
    'with-security-parameters = false',
    '',
    // Failures found earlier are replayed first; kept with the reports.
    '[cache]',
    `directory = ${str(path.join(ARTIFACTS, 'cache'))}`,
    '',
  ];
  if (credentials) {
    lines.push(
      '[auth.openapi.managementApi]',
      `bearer = ${str(p.admin)}`,
      '[auth.openapi.bearerAuth]',
      `bearer = ${str(p.apiToken)}`,
      '[auth.openapi.userAccessToken]',
      `bearer = ${str(p.userToken)}`,
      '[auth.openapi.clientSecretBasic]',
      `username = ${str(p.kept.client.client_id)}`,
      `password = ${str(p.kept.client.client_secret)}`,
      '',
    );
  }
  // Real ids and values, each drawn half of the time (the other half is
  // whatever the schema generates). Reads get the kept resources, writes
  // the doomed ones (and the system API, which refuses every write).
  const dictionaries = {
    read_client_ids: [p.kept.client.client_id, p.registration.client_id],
    write_client_ids: [p.doomed.client.client_id],
    read_resource_server_ids: [p.kept.resourceServer.id, p.kept.resourceServer.identifier, 'management-api'],
    write_resource_server_ids: [p.doomed.resourceServer.id, p.doomed.resourceServer.identifier, 'management-api'],
    read_client_grant_ids: [p.kept.grant.id],
    write_client_grant_ids: [p.doomed.grant.id],
    read_user_ids: [p.user.user_id],
    write_user_ids: [p.doomedUser.user_id],
    log_ids: p.logIds,
    read_organization_ids: [p.keptOrganization.id],
    write_organization_ids: [p.doomedOrganization.id],
    // Associations and members change on either; only the doomed one is deleted.
    link_organization_ids: [p.keptOrganization.id, p.doomedOrganization.id],
    link_grant_ids: [p.kept.grant.id, p.doomed.grant.id],
    organization_names: [p.keptOrganization.name],
    // What a token request may name: the kept organization, by id or name.
    organizations: [p.keptOrganization.id, p.keptOrganization.name],
    audiences: [p.kept.resourceServer.identifier, p.doomed.resourceServer.identifier, `${tenant.issuer}api/v2/`],
    emails: [p.email],
    // The hosted pages: the built-in SPA client (first party) and the
    // registered client (third party, consent), with their callbacks.
    page_client_ids: [p.appClientId, p.registration.client_id, p.spa.client_id],
    page_redirect_uris: [`${tenant.baseUrl}/callback`, REGISTERED_CALLBACK, SPA_CALLBACK],
    // The token and revocation endpoints: the clients that may ask, and
    // the SPA's refresh tokens.
    token_client_ids: [p.kept.client.client_id, p.registration.client_id, p.spa.client_id],
    refresh_tokens: p.refreshTokens,
    read_action_ids: [p.keptAction.id],
    write_action_ids: [p.doomedAction.id],
    read_action_version_ids: p.actionVersions[p.keptAction.id],
    write_action_version_ids: p.actionVersions[p.doomedAction.id],
    action_names: [p.keptAction.name, p.keptPostLogin.name],
    trigger_ids: ['credentials-exchange', 'post-login'],
    execution_ids: [p.executionId],
  };
  for (const [name, values] of Object.entries(dictionaries)) {
    lines.push(`[dictionaries.${name}]`, `values = ${strs(values)}`, '');
  }
  const bind = (dictionary) => `{ dictionary = ${str(dictionary)}, probability = 0.5 }`;
  // One name regex per entry ("METHOD /path"): the include filters of an
  // entry are alternatives, not conditions that must all hold.
  const READ = 'GET';
  const WRITE = '(POST|PUT|PATCH|DELETE)';
  const operations = [
    [READ, '/api/v2/clients/\\{id\\}.*', { 'path.id': 'read_client_ids' }],
    [WRITE, '/api/v2/clients/\\{id\\}.*', { 'path.id': 'write_client_ids' }],
    [READ, '/api/v2/resource-servers/\\{id\\}', { 'path.id': 'read_resource_server_ids' }],
    [WRITE, '/api/v2/resource-servers/\\{id\\}', { 'path.id': 'write_resource_server_ids' }],
    [READ, '/api/v2/client-grants/\\{id\\}(/organizations)?', { 'path.id': 'read_client_grant_ids' }],
    [WRITE, '/api/v2/client-grants/\\{id\\}', { 'path.id': 'write_client_grant_ids' }],
    [READ, '/api/v2/client-grants', { 'query.client_id': 'read_client_ids', 'query.audience': 'audiences' }],
    [WRITE, '/api/v2/client-grants', { 'body.client_id': 'write_client_ids', 'body.audience': 'audiences' }],
    [READ, '/api/v2/users/\\{id\\}.*', { 'path.id': 'read_user_ids' }],
    [WRITE, '/api/v2/users/\\{id\\}.*', { 'path.id': 'write_user_ids' }],
    [READ, '/api/v2/users-by-email', { 'query.email': 'emails' }],
    [READ, '/api/v2/logs/\\{id\\}', { 'path.id': 'log_ids' }],
    [READ, '/api/v2/logs', { 'query.from': 'log_ids' }],
    [READ, '/api/v2/organizations/\\{id\\}.*', { 'path.id': 'read_organization_ids' }],
    [READ, '/api/v2/organizations/name/\\{name\\}', { 'path.name': 'organization_names' }],
    [WRITE, '/api/v2/organizations/\\{id\\}', { 'path.id': 'write_organization_ids' }],
    [WRITE, '/api/v2/organizations/\\{id\\}/client-grants', { 'path.id': 'link_organization_ids', 'body.grant_id': 'link_grant_ids' }],
    [WRITE, '/api/v2/organizations/\\{id\\}/members', { 'path.id': 'link_organization_ids' }],
    [WRITE, '/api/v2/organizations/\\{id\\}/client-grants/\\{grant_id\\}', { 'path.id': 'link_organization_ids', 'path.grant_id': 'link_grant_ids' }],
    [READ, '/api/v2/actions/actions', { 'query.actionName': 'action_names', 'query.triggerId': 'trigger_ids' }],
    [READ, '/api/v2/actions/actions/\\{id\\}(/versions)?', { 'path.id': 'read_action_ids' }],
    [READ, '/api/v2/actions/actions/\\{id\\}/versions/\\{versionId\\}', { 'path.id': 'read_action_ids', 'path.versionId': 'read_action_version_ids' }],
    [WRITE, '/api/v2/actions/actions/\\{id\\}(/deploy|/test)?', { 'path.id': 'write_action_ids' }],
    [WRITE, '/api/v2/actions/actions/\\{id\\}/versions/\\{versionId\\}/deploy', { 'path.id': 'write_action_ids', 'path.versionId': 'write_action_version_ids' }],
    ['(GET|PATCH)', '/api/v2/actions/triggers/\\{triggerId\\}/bindings', { 'path.triggerId': 'trigger_ids' }],
    [READ, '/api/v2/actions/executions/\\{id\\}', { 'path.id': 'execution_ids' }],
    ['POST', '/oauth/token', {
      'body.audience': 'audiences',
      'body.client_id': 'token_client_ids',
      'body.organization': 'organizations',
      'body.refresh_token': 'refresh_tokens',
      'body.redirect_uri': 'page_redirect_uris',
    }],
    ['POST', '/oauth/revoke', { 'body.client_id': 'token_client_ids', 'body.token': 'refresh_tokens' }],
    // Authorization requests that name a real client and callback, so
    // that the pages get past "unknown client" to the sign-in itself.
    ['(GET|POST)', '/(authorize|u/login|u/signup|u/consent)', {
      'query.client_id': 'page_client_ids',
      'query.redirect_uri': 'page_redirect_uris',
    }],
    ['POST', '/authorize', { 'body.client_id': 'page_client_ids', 'body.redirect_uri': 'page_redirect_uris' }],
    ['GET', '/v2/logout', { 'query.client_id': 'page_client_ids' }],
  ];
  for (const [methods, pathRegex, parameters] of operations) {
    lines.push('[[operations]]', `include-name-regex = ${str(`^${methods} ${pathRegex}$`)}`);
    lines.push(`parameters = { ${Object.entries(parameters).map(([k, d]) => `${str(k)} = ${bind(d)}`).join(', ')} }`, '');
  }
  // The form posts carry the CSRF cookie, and tests/fuzz/hooks.py puts its
  // value in their `csrf` field, as a browser that loaded the form would:
  // without it every post would stop at the CSRF check (403).
  lines.push(
    '[[operations]]',
    `include-name-regex = ${str('^POST /u/(login|signup|consent)$')}`,
    `headers = { Cookie = ${str(`tenant_csrf=${CSRF_TOKEN}`)} }`,
    '',
  );
  if (credentials) {
    // RFC 7592: each registration has its own access token, so the token
    // goes with the operation rather than with the security scheme. Reads
    // and replacements work on one registration, deletion on another, so
    // that the others keep a registration to work on.
    const registrationAuth = [
      ['(GET|PUT)', p.registration],
      ['DELETE', p.doomedRegistration],
    ];
    for (const [methods, registration] of registrationAuth) {
      lines.push(
        '[[operations]]',
        `include-name-regex = ${str(`^${methods} /oidc/register/\\{client_id\\}$`)}`,
        `headers = { Authorization = ${str(`Bearer ${registration.registration_access_token}`)} }`,
        `parameters = { "path.client_id" = ${bind(`registration_${registration.client_id}`)}, "body.client_id" = ${bind(`registration_${registration.client_id}`)} }`,
        '',
        `[dictionaries.registration_${registration.client_id}]`,
        `values = ${strs([registration.client_id])}`,
        '',
      );
    }
  }
  return lines.join('\n');
}

/** Runs a command to completion, or kills it (and fails) after `timeoutMs`. */
function run(command, args, { env = {}, log, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`\nfuzz: ${path.basename(command)} still running after ${timeoutMs / 1000} s: stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, timeoutMs);
    child.stdout.on('data', (chunk) => log(chunk));
    child.stderr.on('data', (chunk) => log(chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(timedOut ? 124 : (code ?? (signal ? 128 : 1)));
    });
  });
}

async function fuzz(tenant, workDir, name, toml, p) {
  const configPath = path.join(workDir, `${name}.toml`);
  await writeFile(configPath, toml, { mode: 0o600 });
  await chmod(configPath, 0o600);
  const reports = path.join(ARTIFACTS, name);
  await rm(reports, { recursive: true, force: true });
  const args = [
    '--config-file', configPath,
    'run', `${tenant.baseUrl}/api/v2/openapi.json`,
    '--url', tenant.baseUrl,
    '--checks', CHECKS,
    '--max-examples', String(MAX_EXAMPLES),
    '--phases', 'examples,coverage,fuzzing',
    // Every operation, the one serving this document included (schemathesis
    // leaves that one out unless a filter names it).
    '--include-path-regex', '^/',
    // One worker: with two threads, Hypothesis' concurrent `ast.parse`
    // calls can trip CPython 3.11's "AST constructor recursion depth
    // mismatch" SystemError (a race in the interpreter, not in the API).
    '--workers', '1',
    '--request-timeout', '30',
    '--max-redirects', '0',
    '--seed', String(Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)),
    '--no-color',
    '--report', process.env.FUZZ_CASSETTE === '1' ? 'junit,vcr' : 'junit',
    '--report-dir', reports,
    '--output-sanitize', 'true',
  ];
  console.log(`\nfuzz: run "${name}" (${MAX_EXAMPLES} examples per operation, at most ${TIMEOUT_SECONDS} s)`);
  const started = Date.now();
  const code = await run(SCHEMATHESIS, args, {
    env: {
      SCHEMATHESIS_HOOKS: path.join(repoRoot, 'tests', 'fuzz', 'hooks.py'),
      EDGE_TENANT_FUZZ_CSRF: CSRF_TOKEN,
      // What a fuzzed binding may name (the kept actions, which do nothing,
      // and no write changes), and where writes to those go instead.
      EDGE_TENANT_FUZZ_ACTIONS: JSON.stringify({
        bindable: {
          'credentials-exchange': { id: p.keptAction.id, name: p.keptAction.name },
          'post-login': { id: p.keptPostLogin.id, name: p.keptPostLogin.name },
        },
        doomed: p.doomedAction.id,
      }),
    },
    log: (chunk) => process.stdout.write(chunk),
    timeoutMs: TIMEOUT_SECONDS * 1000,
  });
  console.log(`fuzz: run "${name}" exited ${code} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return code;
}

/**
 * Validates the served document against the official OpenAPI 3.1 JSON
 * Schema (the copy bundled with the pinned schemathesis), which loading it
 * for a run does not enforce.
 */
async function validateDocument(tenant, workDir) {
  const res = await fetch(`${tenant.baseUrl}/api/v2/openapi.json`);
  if (res.status !== 200) throw new Error(`GET /api/v2/openapi.json: HTTP ${res.status}`);
  const file = path.join(workDir, 'openapi.json');
  await writeFile(file, await res.text());
  const script = [
    'import json, sys',
    'from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR',
    'errors = list(OPENAPI_31_VALIDATOR.iter_errors(json.load(open(sys.argv[1]))))',
    'for error in errors: print(f"fuzz: not OpenAPI 3.1: {error}")',
    'sys.exit(1 if errors else 0)',
  ].join('\n');
  const code = await run(path.join(repoRoot, '.venv', 'bin', 'python'), ['-c', script, file], {
    log: (chunk) => process.stdout.write(chunk),
    timeoutMs: 60_000,
  });
  if (code !== 0) throw new Error('the served document is not valid OpenAPI 3.1 (official schema)');
  console.log('fuzz: the served document is valid OpenAPI 3.1 (official JSON Schema)');
}

async function main() {
  const started = Date.now();
  if (!existsSync(SCHEMATHESIS)) {
    fail(`no schemathesis at ${path.relative(repoRoot, SCHEMATHESIS)}: run \`bash scripts/setup.sh --fuzz\` first`);
    return;
  }
  const tenant = await startTenant();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'edge-tenant-fuzz-'));
  await mkdir(ARTIFACTS, { recursive: true });
  try {
    await validateDocument(tenant, workDir);
    const p = await provision(tenant);
    for (const [name, credentials] of [
      ['token', true],
      ['anonymous', false],
    ]) {
      const code = await fuzz(tenant, workDir, name, config(tenant, p, credentials), p);
      if (code === 124) fail(`the "${name}" run took longer than ${TIMEOUT_SECONDS} s (FUZZ_TIMEOUT)`);
      else if (code !== 0) fail(`schemathesis found failures in the "${name}" run (exit ${code}); see the output above and ${path.relative(repoRoot, ARTIFACTS)}/${name}/`);
    }
  } catch (err) {
    fail(err.stack ?? String(err));
    console.error(`--- wrangler output ---\n${tenant.output()}`);
  } finally {
    await tenant.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(`fuzz: done in ${((Date.now() - started) / 1000).toFixed(0)} s${process.exitCode ? ' with failures' : ''}`);
}

await main();
