// The contract: worker/openapi.json describes every endpoint the Worker
// serves, and this file holds it to what a real `wrangler dev` answers.
//
// 1. The document is OpenAPI 3.1: its structure, unique operation ids,
//    declared path parameters, security schemes and scopes, and every $ref
//    resolves; every schema in it compiles (JSON Schema 2020-12, ajv strict).
// 2. The Worker serves it, byte for byte, at GET /api/v2/openapi.json.
// 3. A table of real requests, successes and errors, covers every operation:
//    each answer's status must be documented for the operation, its media
//    type too, its body must match the documented schema, and the headers
//    documented as required (Retry-After on 429, WWW-Authenticate, Allow,
//    Cache-Control, Location...) must be there and match. Finally every
//    operation must have been called, and every status it documents must
//    have been seen (save 503, which a healthy tenant cannot be made to
//    answer, and the responses marked `x-edge-tenant-race-only`: a change
//    that lost to concurrent ones five times running), so the document can
//    drift from the server in neither direction.
//
// The Management API's 401 (no token), 403 (a token with every scope but
// the operation's), 404 (an unknown id), 413 and 415 are checked for every
// operation from the document itself: the scope each operation needs is
// the one its `security` names.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

import {
  api,
  appConfig,
  authorizeQuery,
  basicAuthorization,
  Browser,
  createApi,
  createGrant,
  createM2MClient,
  createUser,
  csrfField,
  DATABASE_CONNECTION,
  decodeJwt,
  fragmentParams,
  getAccessToken,
  hostedLogin,
  limitedManagementClient,
  MANAGEMENT_SCOPES,
  managementAudience,
  mgmtToken,
  randomAlphanumeric,
  randomEmail,
  randomName,
  randomPassword,
  readResponse,
  registerClient,
  repoRoot,
  requestForHost,
  setDynamicRegistration,
  startTenant,
  updateTenantSettings,
  userPath,
} from './harness.mjs';

const DOCUMENT_PATH = path.join(repoRoot, 'worker', 'openapi.json');
const documentText = await readFile(DOCUMENT_PATH, 'utf8');
const doc = JSON.parse(documentText);
const DOC_ID = 'https://edge-tenant.invalid/openapi.json';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** No endpoint reads more than this (tenant::management::MAX_BODY_BYTES), but
 * an action's creation, change and test: four times it (MAX_ACTION_BODY_BYTES). */
const MAX_BODY_BYTES = 64 * 1024;
/** A well-formed id (a UUID) of no action or version. */
const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';
/** Statuses a healthy tenant cannot be made to answer: the store failing. */
const UNREACHABLE_STATUSES = new Set(['503']);

// ---------------------------------------------------------------------------
// The document

/** RFC 6901 pointer lookup in the document; undefined when absent. */
function lookup(pointer) {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let node = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = node[key];
  }
  return node;
}

const escapePointer = (key) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/** Follows `$ref`s: `{ node, pointer }` of what `node` (at `pointer`) means. */
function deref(node, pointer) {
  const seen = new Set();
  while (node && typeof node === 'object' && typeof node.$ref === 'string') {
    assert.ok(node.$ref.startsWith('#'), `only local references: ${node.$ref}`);
    assert.ok(!seen.has(node.$ref), `reference cycle at ${node.$ref}`);
    seen.add(node.$ref);
    pointer = node.$ref.slice(1);
    node = lookup(pointer);
    assert.ok(node !== undefined, `unresolved reference ${[...seen].pop()}`);
  }
  return { node, pointer };
}

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
addFormats(ajv);
// The OpenAPI members around the schemas are not JSON Schema keywords.
ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components', 'tags', 'security', 'webhooks', 'externalDocs']);
ajv.addSchema({ ...doc, $id: DOC_ID });

const validators = new Map();
/** The ajv validator of the schema at `pointer` in the document. */
function validator(pointer) {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOC_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** Every operation: id -> { id, method, template, regex, operation, pathItem, pointer }. */
const operations = new Map();
for (const [template, pathItem] of Object.entries(doc.paths ?? {})) {
  for (const method of METHODS) {
    const operation = pathItem[method];
    if (!operation) continue;
    const regex = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
    operations.set(operation.operationId, {
      id: operation.operationId,
      method: method.toUpperCase(),
      template,
      regex,
      operation,
      pathItem,
      pointer: `/paths/${escapePointer(template)}/${method}`,
    });
  }
}

/** The scope the document says an operation needs (its managementApi requirement). */
function documentedScope(op) {
  const requirement = (op.operation.security ?? []).find((r) => 'managementApi' in r);
  return requirement?.managementApi?.[0];
}

// ---------------------------------------------------------------------------
// Checking answers against the document

/** operationId -> Set of statuses seen. */
const seen = new Map();

function mediaType(contentType) {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function describe(method, url, res) {
  return `${method} ${url} -> ${res.status} ${res.text.slice(0, 400)}`;
}

/**
 * Holds one answer to the document: the status documented for the
 * operation, the media type documented for that status, the body valid
 * against its schema, the documented headers present (when required) and
 * valid. `responseAt` is a pointer to a response object when the answer is
 * not an operation's (405, 404 of unknown paths).
 */
function conform(res, { op, method, url, responseAt }) {
  const what = describe(method, url, res);
  let response;
  let responsePointer;
  if (op) {
    const status = String(res.status);
    const responses = op.operation.responses;
    const key = status in responses ? status : `${status[0]}XX` in responses ? `${status[0]}XX` : 'default';
    assert.ok(key in responses, `status ${status} is not documented for ${op.id}: ${what}`);
    ({ node: response, pointer: responsePointer } = deref(responses[key], `${op.pointer}/responses/${key}`));
    if (!seen.has(op.id)) seen.set(op.id, new Set());
    seen.get(op.id).add(status);
  } else {
    ({ node: response, pointer: responsePointer } = deref({ $ref: `#${responseAt}` }, responseAt));
  }

  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const { node, pointer } = deref(header, `${responsePointer}/headers/${escapePointer(name)}`);
    const value = res.headers.get(name);
    if (value === null) {
      assert.ok(!node.required, `required header ${name} missing: ${what}`);
      continue;
    }
    const validate = validator(`${pointer}/schema`);
    assert.ok(validate(value), `header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(validate.errors)}: ${what}`);
  }

  const content = response.content ?? {};
  if (Object.keys(content).length === 0) {
    assert.equal(res.text, '', `no body is documented: ${what}`);
    return;
  }
  const type = mediaType(res.headers.get('content-type'));
  assert.ok(type in content, `media type ${JSON.stringify(type)} is not documented (${Object.keys(content)}): ${what}`);
  const schemaPointer = `${responsePointer}/content/${escapePointer(type)}/schema`;
  let body = res.text;
  if (type === 'application/json') {
    assert.doesNotThrow(() => (body = JSON.parse(res.text)), `not JSON: ${what}`);
  }
  const validate = validator(schemaPointer);
  assert.ok(validate(body), `body does not match ${schemaPointer}: ${ajv.errorsText(validate.errors)}: ${what}`);
}

let tenant;

async function readAnswer(res) {
  return { ...(await readResponse(res)), location: res.headers.get('location') };
}

/**
 * Calls an operation for real and holds the answer to the document.
 * `request`: `path` (concrete, must match the operation's template), `query`
 * (object), `token` (bearer) or `authorization`, `json` (a value), `form`
 * (an object), or `raw` + `contentType`, `headers`, and `status`: the
 * status this case is meant to get.
 */
async function call(operationId, request = {}) {
  const op = operations.get(operationId);
  assert.ok(op, `no operation ${operationId} in the document`);
  const pathname = request.path ?? op.template;
  assert.match(pathname.split('?')[0], op.regex, `${pathname} is not a path of ${operationId} (${op.template})`);
  const url = new URL(pathname, tenant.baseUrl);
  for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
  const headers = new Headers(request.headers ?? {});
  if (request.token) headers.set('authorization', `Bearer ${request.token}`);
  if (request.authorization) headers.set('authorization', request.authorization);
  let body;
  if (request.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(request.json);
  } else if (request.form !== undefined) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    body = new URLSearchParams(request.form).toString();
  } else if (request.raw !== undefined) {
    if (request.contentType) headers.set('content-type', request.contentType);
    body = request.raw;
  }
  const method = request.method ?? op.method;
  const res = await readAnswer(await fetch(url, { method, headers, body, redirect: 'manual' }));
  conform(res, { op, method, url: url.pathname + url.search });
  if (request.status !== undefined) {
    assert.equal(res.status, request.status, `${operationId}: ${describe(method, url.pathname + url.search, res)}`);
  }
  return res;
}

/** A page request through a test browser (cookies, CSRF), held to the document. */
async function browse(operationId, browser, target, options = {}) {
  const op = operations.get(operationId);
  assert.ok(op, `no operation ${operationId} in the document`);
  const url = new URL(target, tenant.baseUrl);
  assert.match(url.pathname, op.regex, `${target} is not a path of ${operationId}`);
  const method = options.method ?? op.method;
  const res = await browser.request(target, { ...options, method });
  conform(res, { op, method, url: url.pathname + url.search });
  if (options.status !== undefined) {
    assert.equal(res.status, options.status, `${operationId}: ${describe(method, url.pathname + url.search, res)}`);
  }
  return res;
}

/** Sends `send()` until it answers 429 (at most `max` times); returns that answer. */
async function until429(send, max) {
  for (let i = 0; i < max; i++) {
    const res = await send();
    if (res.status === 429) return res;
  }
  assert.fail(`no 429 after ${max} attempts`);
}

const tooLarge = () => 'x'.repeat(MAX_BODY_BYTES + 1024);

// ---------------------------------------------------------------------------

let admin;
let app;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  app = await appConfig(tenant);
});

after(async () => {
  await tenant?.stop();
});

test('the document is OpenAPI 3.1: structure, unique ids, parameters, security, every $ref resolves, every schema compiles', () => {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  assert.ok(Array.isArray(doc.servers) && doc.servers.every((s) => typeof s.url === 'string'));
  assert.deepEqual(
    Object.keys(doc).filter((k) => !k.startsWith('x-')).sort(),
    ['components', 'info', 'openapi', 'paths', 'servers', 'tags'],
    'only OpenAPI 3.1 top-level members',
  );

  // Every reference resolves (and is local).
  const walk = (node, pointer) => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${pointer}/${i}`));
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') {
      assert.ok(node.$ref.startsWith('#/'), `non-local $ref at ${pointer}: ${node.$ref}`);
      assert.notEqual(lookup(node.$ref.slice(1)), undefined, `unresolved $ref at ${pointer}: ${node.$ref}`);
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${pointer}/${escapePointer(key)}`);
  };
  walk(doc, '');

  const schemes = doc.components.securitySchemes;
  const declaredTags = new Set(doc.tags.map((t) => t.name));
  const ids = new Set();
  const compile = (pointer) => assert.doesNotThrow(() => validator(pointer), `schema at ${pointer} compiles`);
  for (const [name] of Object.entries(doc.components.schemas)) compile(`/components/schemas/${escapePointer(name)}`);

  for (const [template, pathItem] of Object.entries(doc.paths)) {
    assert.ok(template.startsWith('/'), template);
    for (const key of Object.keys(pathItem)) {
      assert.ok([...METHODS, 'parameters', 'summary', 'description', 'servers'].includes(key) || key.startsWith('x-'), `unknown path item member ${key} in ${template}`);
    }
    const templated = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    const pathLevel = (pathItem.parameters ?? []).map((p) => deref(p).node);
    assert.ok(pathItem['x-method-not-allowed'], `${template} documents its 405 (x-method-not-allowed)`);
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const where = `${method.toUpperCase()} ${template}`;
      assert.equal(typeof operation.operationId, 'string', `${where} has an operationId`);
      assert.ok(!ids.has(operation.operationId), `operationId ${operation.operationId} is unique`);
      ids.add(operation.operationId);
      assert.equal(typeof operation.summary, 'string', `${where} has a summary`);
      for (const tag of operation.tags ?? []) assert.ok(declaredTags.has(tag), `${where}: tag ${tag} declared`);

      const parameters = [...pathLevel, ...(operation.parameters ?? []).map((p) => deref(p).node)];
      for (const parameter of parameters) {
        assert.ok(['query', 'header', 'path', 'cookie'].includes(parameter.in), `${where}: parameter ${parameter.name} in`);
        assert.ok(parameter.schema, `${where}: parameter ${parameter.name} has a schema`);
        if (parameter.in === 'path') assert.equal(parameter.required, true, `${where}: path parameter ${parameter.name} is required`);
      }
      assert.deepEqual(parameters.filter((p) => p.in === 'path').map((p) => p.name).sort(), templated, `${where}: path parameters match the template`);

      assert.ok(Array.isArray(operation.security), `${where} states its security (empty for public)`);
      for (const requirement of operation.security) {
        for (const [scheme, scopes] of Object.entries(requirement)) {
          assert.ok(scheme in schemes, `${where}: security scheme ${scheme} declared`);
          for (const scope of scopes) {
            assert.ok(Object.values(schemes[scheme].flows ?? {}).some((flow) => scope in flow.scopes), `${where}: scope ${scope} declared by ${scheme}`);
          }
        }
      }

      const statuses = Object.keys(operation.responses);
      assert.ok(statuses.length > 0, `${where} documents responses`);
      assert.ok(statuses.some((s) => /^[23]/.test(s)), `${where} documents a success`);
      for (const status of statuses) {
        assert.match(status, /^[1-5]\d\d$/, `${where}: status ${status}`);
        const pointer = `/paths/${escapePointer(template)}/${method}/responses/${status}`;
        const { node: response, pointer: at } = deref(operation.responses[status], pointer);
        assert.equal(typeof response.description, 'string', `${pointer} has a description`);
        for (const [type, media] of Object.entries(response.content ?? {})) {
          assert.ok(media.schema, `${at} ${type} has a schema`);
          compile(`${at}/content/${escapePointer(type)}/schema`);
        }
        for (const [name, header] of Object.entries(response.headers ?? {})) {
          const { node, pointer: headerAt } = deref(header, `${at}/headers/${escapePointer(name)}`);
          assert.ok(node.schema, `${headerAt} has a schema`);
          compile(`${headerAt}/schema`);
        }
      }
      if (operation.requestBody) {
        const { node: body, pointer: at } = deref(operation.requestBody, `/paths/${escapePointer(template)}/${method}/requestBody`);
        for (const [type, media] of Object.entries(body.content)) {
          assert.ok(media.schema, `${where}: ${type} request schema`);
          compile(`${at}/content/${escapePointer(type)}/schema`);
        }
      }
    }
  }

  // Management API operations need exactly one scope, one the tenant knows.
  for (const op of operations.values()) {
    if (!op.template.startsWith('/api/v2/') || op.id === 'getOpenApiDocument') continue;
    assert.ok(MANAGEMENT_SCOPES.includes(documentedScope(op)), `${op.id} names a Management API scope`);
  }
  assert.deepEqual(Object.keys(schemes.managementApi.flows.clientCredentials.scopes).sort(), [...MANAGEMENT_SCOPES].sort());
});

/**
 * The path templates of the Worker's route tables, read from their source:
 * the slice patterns of `routes::handle` (worker/src/routes.rs) and of
 * `management::route` (worker/src/management.rs, under /api/v2/). A string
 * is a literal segment, anything else a parameter; `"a" | "b"` is either.
 */
async function routeTemplates() {
  const templates = new Set();
  const add = (prefix, elements) => {
    let paths = [prefix];
    for (const element of elements) {
      const literals = [...element.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
      const segments = literals.length ? literals : ['{}'];
      paths = paths.flatMap((p) => segments.map((segment) => `${p}/${segment}`));
    }
    for (const p of paths) templates.add(p);
  };
  const source = (file) => readFile(path.join(repoRoot, 'worker', 'src', file), 'utf8');
  for (const [, pattern] of (await source('routes.rs')).matchAll(/^\s*\[([^\]]+)\]\s*(?:if\b|=>)/gm)) {
    const elements = pattern.split(',').map((e) => e.trim());
    if (elements.some((e) => e.includes('@ ..'))) continue; // /api/v2/..., the next table
    add('', elements);
  }
  for (const [, pattern] of (await source('management.rs')).matchAll(/^\s*\(\[([^\]]+)\],/gm)) {
    add('/api/v2', pattern.split(',').map((e) => e.trim()));
  }
  return templates;
}

test('every route the Worker serves is documented, and every documented path is routed', async () => {
  const routed = await routeTemplates();
  // Served only when BENCH_FLOOR=1 (the benchmark's floor), never deployed.
  routed.delete('/api/bench/floor');
  const documented = new Set(Object.keys(doc.paths).map((p) => p.replace(/\{[^}]+\}/g, '{}')));
  assert.ok(routed.size >= 25, `the route tables were read: ${[...routed]}`);
  assert.deepEqual([...routed].filter((p) => !documented.has(p)).sort(), [], 'routed but not documented');
  assert.deepEqual([...documented].filter((p) => !routed.has(p)).sort(), [], 'documented but not routed');
});

test('the Worker serves the document byte for byte, publicly, like discovery', async () => {
  const res = await call('getOpenApiDocument', { status: 200 });
  assert.equal(res.text, documentText, 'GET /api/v2/openapi.json is worker/openapi.json');
  assert.match(res.headers.get('content-type'), /^application\/json/);
});

test('every operation answers a request for another host 421 in its own format, and nothing else', async () => {
  for (const op of operations.values()) {
    const pathname = op.template.replace(/\{[^}]+\}/g, 'x');
    const res = await requestForHost(tenant, 'tenant.evil.example', op.method, pathname, {
      headers: { authorization: `Bearer ${admin}` },
    });
    conform(res, { op, method: op.method, url: pathname });
    assert.equal(res.status, 421, describe(op.method, pathname, res));
    assert.ok(res.text.includes(tenant.issuer), `the refusal names the issuer: ${describe(op.method, pathname, res)}`);
  }
});

test('discovery, JWKS and the SPA configuration', async () => {
  const config = await call('getOpenIdConfiguration', { status: 200 });
  assert.equal(config.body.issuer, tenant.issuer);
  const metadata = await call('getAuthorizationServerMetadata', { status: 200 });
  assert.deepEqual(metadata.body, config.body);
  assert.deepEqual(config.body.code_challenge_methods_supported, ['S256']);
  assert.equal(config.body.revocation_endpoint, `${tenant.issuer}oauth/revoke`);
  for (const grant of ['authorization_code', 'refresh_token']) assert.ok(config.body.grant_types_supported.includes(grant), grant);
  assert.ok(config.body.response_types_supported.includes('code'));
  assert.ok(config.body.response_modes_supported.includes('query'));
  assert.ok(config.body.scopes_supported.includes('offline_access'));
  const jwks = await call('getJwks', { status: 200 });
  assert.deepEqual(jwks.body.keys.map((k) => k.alg).sort(), ['EdDSA', 'RS256']);
  await call('getAppConfig', { status: 200 });
});

test('the token endpoint: both encodings, both client authentications, and every error', async () => {
  const { resourceServer, client } = await provisionApiAndClient();
  const audience = resourceServer.identifier;
  // client_secret_post, form and JSON
  await call('requestToken', { form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience }, status: 200 });
  const json = await call('requestToken', { json: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience, scope: 'read:things' }, status: 200 });
  assert.equal(json.body.scope, 'read:things');
  // client_secret_basic
  const basicClient = await createM2MClient(tenant, admin, { token_endpoint_auth_method: 'client_secret_basic' });
  await createGrant(tenant, admin, basicClient.client_id, audience, ['read:things']);
  await call('requestToken', {
    form: { grant_type: 'client_credentials', audience },
    authorization: basicAuthorization(basicClient.client_id, basicClient.client_secret),
    status: 200,
  });

  await call('requestToken', { form: { client_id: client.client_id, client_secret: client.client_secret, audience }, status: 400 });
  await call('requestToken', { form: { grant_type: 'password', audience }, status: 400 });
  await call('requestToken', { raw: 'grant_type=client_credentials', contentType: 'text/plain', status: 400 });
  const badScope = await call('requestToken', { form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience, scope: 'read:things "quoted"' }, status: 400 });
  assert.equal(badScope.body.error, 'invalid_scope');
  const basicFailure = await call('requestToken', {
    form: { grant_type: 'client_credentials', audience },
    authorization: basicAuthorization(basicClient.client_id, 'wrong-secret'),
    headers: { 'cf-connecting-ip': '198.51.100.7' },
    status: 401,
  });
  assert.match(basicFailure.headers.get('www-authenticate'), /^Basic /);
  await call('requestToken', { form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience: 'https://nowhere.example/' }, status: 403 });
  const implicitOnly = await createM2MClient(tenant, admin, { app_type: 'regular_web', grant_types: ['implicit'] });
  const denied = await call('requestToken', { form: { grant_type: 'client_credentials', client_id: implicitOnly.client_id, client_secret: implicitOnly.client_secret, audience }, status: 403 });
  assert.equal(denied.body.error, 'unauthorized_client');
  await call('requestToken', { raw: tooLarge(), contentType: 'application/x-www-form-urlencoded', status: 413 });
  // Guessing a secret from one address: 429 with Retry-After past the limit.
  const ip = `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
  await until429(
    () => call('requestToken', { form: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: 'guess', audience }, headers: { 'cf-connecting-ip': ip } }),
    25,
  );
});

async function provisionApiAndClient() {
  const resourceServer = await createApi(tenant, admin);
  const client = await createM2MClient(tenant, admin);
  const grant = await createGrant(tenant, admin, client.client_id, resourceServer.identifier, ['read:things', 'write:things']);
  return { resourceServer, client, grant };
}

/** Signs `user` in to the built-in SPA client; returns the browser and the access token. */
async function signIn({ email, password }, extra = {}) {
  const browser = new Browser(tenant);
  const query = authorizeQuery({
    response_type: 'token',
    client_id: app.client_id,
    redirect_uri: `${tenant.baseUrl}/callback`,
    scope: 'openid profile email',
    state: randomAlphanumeric(12),
    ...extra,
  });
  const res = await hostedLogin(browser, query, { email, password });
  assert.equal(res.status, 302, res.text);
  return { browser, accessToken: fragmentParams(res.location).access_token };
}

test('the sample API and UserInfo take bearer tokens, and refuse everything else', async () => {
  const { resourceServer, client } = await provisionApiAndClient();
  const token = await getAccessToken(tenant.baseUrl, { clientId: client.client_id, clientSecret: client.client_secret, audience: resourceServer.identifier });
  const whoami = await call('whoami', { token: token.access_token, status: 200 });
  assert.equal(whoami.body.sub, `${client.client_id}@clients`);
  const missing = await call('whoami', { status: 401 });
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
  await call('whoami', { token: 'not.a.jwt', status: 401 });

  const person = await createUser(tenant, admin, { given_name: 'Ada', family_name: 'Lovelace' });
  const { accessToken } = await signIn(person);
  const info = await call('getUserInfo', { token: accessToken, status: 200 });
  assert.equal(info.body.email, person.email);
  await call('postUserInfo', { token: accessToken, status: 200 });
  await call('getUserInfo', { token: token.access_token, status: 401 });
  await call('postUserInfo', { status: 401 });
  await call('preflightUserInfo', { headers: { origin: 'https://rp.example', 'access-control-request-method': 'GET' }, status: 204 });
});

// --- The authorization code flow with PKCE, refresh tokens, revocation.

/** A PKCE pair (RFC 7636): a random verifier and its S256 challenge. */
function pkcePair() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

/** The parameters of a redirect's query. */
const queryParams = (location) => Object.fromEntries(new URL(location).searchParams);

/** A fresh client address, so failed client authentications count apart. */
const freshIp = () => `198.18.${crypto.randomInt(256)}.${1 + crypto.randomInt(254)}`;

test('the authorization code flow with PKCE, refresh tokens and revocation, over HTTP', async () => {
  const origin = 'https://spa.example.test';
  const callback = `${origin}/callback`;
  // An API that allows offline access, and a public SPA client allowed
  // refresh tokens that rotate, with no reuse interval.
  const resourceServer = await createApi(tenant, admin, { allow_offline_access: true });
  const created = await call('createClient', {
    token: admin,
    json: {
      name: randomName('spa'),
      app_type: 'spa',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      callbacks: [callback],
      web_origins: [origin],
      refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 0, token_lifetime: 86400, idle_token_lifetime: 3600 },
    },
    status: 201,
  });
  const spa = created.body;
  assert.equal(spa.client_secret, undefined);
  assert.deepEqual(spa.refresh_token, {
    rotation_type: 'rotating',
    expiration_type: 'expiring',
    leeway: 0,
    token_lifetime: 86400,
    infinite_token_lifetime: false,
    idle_token_lifetime: 3600,
    infinite_idle_token_lifetime: false,
  });
  const person = await createUser(tenant, admin);
  const base = {
    response_type: 'code',
    client_id: spa.client_id,
    redirect_uri: callback,
    scope: 'openid profile offline_access read:things',
    audience: resourceServer.identifier,
  };

  // Signs in once; then each code comes from /authorize at once.
  const browser = new Browser(tenant);
  const first = pkcePair();
  const signedIn = await hostedLogin(browser, authorizeQuery({ ...base, state: 'st-0', nonce: 'n-0', code_challenge: first.challenge, code_challenge_method: 'S256' }), person);
  assert.equal(signedIn.status, 302, signedIn.text);
  assert.ok(signedIn.location.startsWith(`${callback}?`), signedIn.location);
  const firstCode = queryParams(signedIn.location);
  assert.equal(firstCode.state, 'st-0');
  /** A code for a fresh PKCE pair: `{ code, verifier }`. */
  const code = async (extra = {}) => {
    const pair = pkcePair();
    const res = await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, state: 'st', code_challenge: pair.challenge, code_challenge_method: 'S256', ...extra })}`, { status: 302 });
    assert.ok(res.location.startsWith(`${callback}?`), res.location);
    const params = queryParams(res.location);
    assert.ok(params.code, res.location);
    assert.equal(params.state, 'st');
    return { code: params.code, verifier: pair.verifier };
  };
  const redeem = ({ code: value, verifier }, extra = {}) => ({ grant_type: 'authorization_code', client_id: spa.client_id, code: value, redirect_uri: callback, code_verifier: verifier, ...extra });

  // /authorize: PKCE is required of this public client, S256 only; errors
  // go back in the mode asked; form_post carries the code in a form.
  const pair = pkcePair();
  const noPkce = await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, state: 'st' })}`, { status: 302 });
  assert.equal(queryParams(noPkce.location).error, 'invalid_request');
  const plain = await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, state: 'st', code_challenge: pair.verifier, code_challenge_method: 'plain' })}`, { status: 302 });
  assert.deepEqual([queryParams(plain.location).error, queryParams(plain.location).state], ['invalid_request', 'st']);
  const inFragment = await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, response_mode: 'fragment', state: 'st', code_challenge_method: 'S256' })}`, { status: 302 });
  assert.equal(fragmentParams(inFragment.location).error, 'invalid_request', inFragment.location);
  const posted = await browse('authorizeByPost', browser, '/authorize', { form: { ...base, response_mode: 'form_post', state: 'st', code_challenge: pair.challenge, code_challenge_method: 'S256' }, status: 200 });
  assert.match(posted.text, /name="code"/);

  // The first code: a person's tokens, readable from the client's web origin.
  const tokens = await call('requestToken', { form: redeem({ code: firstCode.code, verifier: first.verifier }), headers: { origin }, status: 200 });
  assert.equal(tokens.headers.get('access-control-allow-origin'), origin);
  assert.deepEqual(tokens.body.scope.split(' ').sort(), ['offline_access', 'openid', 'profile', 'read:things']);
  assert.ok(tokens.body.id_token && tokens.body.refresh_token, tokens.text);
  const idToken = decodeJwt(tokens.body.id_token);
  assert.deepEqual([idToken.aud, idToken.nonce, idToken.sub], [spa.client_id, 'n-0', person.user.user_id]);
  const whoami = await call('whoami', { token: tokens.body.access_token, status: 200 });
  assert.equal(whoami.body.sub, person.user.user_id);
  // Another origin may send, but not read.
  const elsewhere = await call('requestToken', { form: redeem(await code()), headers: { origin: 'https://evil.example' }, status: 200 });
  assert.equal(elsewhere.headers.get('access-control-allow-origin'), null);
  assert.equal(elsewhere.headers.get('vary'), 'Origin');

  // A code is bound to its verifier and redirect URI; a wrong one does not use it up.
  const second = await code();
  const wrongVerifier = await call('requestToken', { form: redeem(second, { code_verifier: pkcePair().verifier }), status: 400 });
  assert.equal(wrongVerifier.body.error, 'invalid_grant');
  const wrongUri = await call('requestToken', { json: redeem(second, { redirect_uri: `${origin}/other` }), status: 400 });
  assert.equal(wrongUri.body.error, 'invalid_grant');
  const malformedVerifier = await call('requestToken', { form: redeem(second, { code_verifier: 'short' }), status: 400 });
  assert.equal(malformedVerifier.body.error, 'invalid_request');
  const secondTokens = await call('requestToken', { json: redeem(second), status: 200 });
  // A replay is refused, and revokes the refresh token its first use issued.
  const replay = await call('requestToken', { form: redeem(second), status: 400 });
  assert.equal(replay.body.error, 'invalid_grant');
  const revokedByReplay = await call('requestToken', { form: { grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: secondTokens.body.refresh_token }, status: 400 });
  assert.equal(revokedByReplay.body.error, 'invalid_grant');

  // Client authentication: a public client sends no secret; an unknown client is refused.
  const withSecret = await call('requestToken', { form: redeem(await code(), { client_secret: 'x'.repeat(40) }), headers: { 'cf-connecting-ip': freshIp() }, status: 401 });
  assert.equal(withSecret.body.error, 'invalid_client');
  await call('requestToken', { form: redeem(await code(), { client_id: 'x'.repeat(32) }), headers: { 'cf-connecting-ip': freshIp() }, status: 401 });
  // A client not allowed the grant.
  const { client: m2m } = await provisionApiAndClient();
  const notAllowed = await call('requestToken', { form: { grant_type: 'refresh_token', client_id: m2m.client_id, client_secret: m2m.client_secret, refresh_token: tokens.body.refresh_token }, status: 403 });
  assert.equal(notAllowed.body.error, 'unauthorized_client');
  const noCode = await call('requestToken', { form: { grant_type: 'authorization_code', client_id: m2m.client_id, client_secret: m2m.client_secret, code: 'x', redirect_uri: callback }, status: 403 });
  assert.equal(noCode.body.error, 'unauthorized_client');

  // Refresh: rotating, narrowed but never widened, only for its API; a
  // refused refresh leaves the token as it was; a reuse revokes the family.
  const refresh = (token, extra = {}) => ({ grant_type: 'refresh_token', client_id: spa.client_id, refresh_token: token, ...extra });
  const narrowed = await call('requestToken', { json: refresh(tokens.body.refresh_token, { scope: 'openid read:things' }), headers: { origin }, status: 200 });
  assert.equal(narrowed.body.scope, 'openid read:things');
  assert.equal(narrowed.headers.get('access-control-allow-origin'), origin);
  assert.ok(narrowed.body.id_token && narrowed.body.refresh_token);
  assert.notEqual(narrowed.body.refresh_token, tokens.body.refresh_token);
  const rt = narrowed.body.refresh_token;
  const widened = await call('requestToken', { form: refresh(rt, { scope: 'openid write:things' }), status: 400 });
  assert.equal(widened.body.error, 'invalid_scope');
  const otherApi = await call('requestToken', { form: refresh(rt, { audience: 'https://other.example.test/' }), status: 400 });
  assert.equal(otherApi.body.error, 'invalid_request');
  const sameApi = await call('requestToken', { form: refresh(rt, { audience: resourceServer.identifier }), status: 200 });
  const reused = await call('requestToken', { form: refresh(rt), status: 400 });
  assert.equal(reused.body.error, 'invalid_grant');
  const afterReuse = await call('requestToken', { form: refresh(sameApi.body.refresh_token), status: 400 });
  assert.equal(afterReuse.body.error, 'invalid_grant', 'the whole family is revoked');
  const used = await call('requestToken', { form: refresh(tokens.body.refresh_token), status: 400 });
  assert.equal(used.body.error, 'invalid_grant');

  // Non-rotating tokens stay; the settings merge into the client's.
  const nonRotating = await call('updateClient', { path: `/api/v2/clients/${spa.client_id}`, token: admin, json: { refresh_token: { rotation_type: 'non-rotating', leeway: 30 } }, status: 200 });
  assert.deepEqual(nonRotating.body.refresh_token, { ...spa.refresh_token, rotation_type: 'non-rotating', leeway: 30 });
  const stays = (await call('requestToken', { form: redeem(await code()), status: 200 })).body.refresh_token;
  for (let i = 0; i < 2; i++) {
    const again = await call('requestToken', { form: refresh(stays), status: 200 });
    assert.equal(again.body.refresh_token, undefined, 'no new refresh token');
  }

  // Revocation: the client's own refresh token, with its family.
  const revoked = await call('revokeToken', { form: { token: stays, client_id: spa.client_id, token_type_hint: 'refresh_token' }, headers: { origin }, status: 200 });
  assert.equal(revoked.headers.get('access-control-allow-origin'), origin);
  const afterRevoke = await call('requestToken', { form: refresh(stays), status: 400 });
  assert.equal(afterRevoke.body.error, 'invalid_grant');
  await call('revokeToken', { json: { token: stays, client_id: spa.client_id }, status: 200 });
  await call('revokeToken', { form: { token: 'nobody-issued-this', client_id: spa.client_id }, status: 200 });
  const missing = await call('revokeToken', { form: { client_id: spa.client_id }, status: 400 });
  assert.equal(missing.body.error, 'invalid_request');
  const accessToken = await call('revokeToken', { form: { token: tokens.body.access_token, client_id: spa.client_id }, status: 400 });
  assert.equal(accessToken.body.error, 'unsupported_token_type');
  const hinted = await call('revokeToken', { form: { token: 'opaque', token_type_hint: 'access_token', client_id: spa.client_id }, status: 400 });
  assert.equal(hinted.body.error, 'unsupported_token_type');
  // Another client's token: refused, and left as it was.
  const live = (await call('requestToken', { form: redeem(await code()), status: 200 })).body.refresh_token;
  const foreign = await call('revokeToken', { form: { token: live, client_id: m2m.client_id, client_secret: m2m.client_secret }, status: 400 });
  assert.equal(foreign.body.error, 'invalid_request');
  await call('requestToken', { form: refresh(live), status: 200 });
  await call('revokeToken', { raw: 'token=x', contentType: 'text/plain', status: 400 });
  await call('revokeToken', { form: { token: live }, headers: { 'cf-connecting-ip': freshIp() }, status: 401 });
  const basicFailure = await call('revokeToken', { form: { token: live }, authorization: basicAuthorization(m2m.client_id, 'wrong-secret'), headers: { 'cf-connecting-ip': freshIp() }, status: 401 });
  assert.match(basicFailure.headers.get('www-authenticate'), /^Basic /);
  await call('revokeToken', { raw: tooLarge(), contentType: 'application/x-www-form-urlencoded', status: 413 });
  const ip = freshIp();
  await until429(() => call('revokeToken', { form: { token: live, client_id: m2m.client_id, client_secret: 'guess' }, headers: { 'cf-connecting-ip': ip } }), 25);

  // The preflights: any origin may send.
  for (const operationId of ['preflightToken', 'preflightRevocation']) {
    const res = await call(operationId, { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }, status: 204 });
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
  }

  // Refresh token settings are bounded.
  for (const refreshToken of [{ leeway: 601 }, { token_lifetime: 0 }, { token_lifetime: 3600, idle_token_lifetime: 7200 }, { rotation_type: 'sometimes' }, { unknown: true }]) {
    await call('updateClient', { path: `/api/v2/clients/${spa.client_id}`, token: admin, json: { refresh_token: refreshToken }, status: 400 });
  }
  await call('createClient', { token: admin, json: { name: randomName('spa'), app_type: 'spa', refresh_token: { token_lifetime: 31557601 } }, status: 400 });
});

test('the hosted pages: authorize, login, signup, consent and logout, as a browser uses them', async () => {
  const callback = `${tenant.baseUrl}/callback`;
  const base = { response_type: 'token', client_id: app.client_id, redirect_uri: callback, scope: 'openid profile', state: 'st' };
  const query = authorizeQuery(base);
  const person = await createUser(tenant, admin);

  // /authorize: no session -> the login page; an unknown client -> an error page.
  const browser = new Browser(tenant);
  const start = await browse('authorize', browser, `/authorize?${query}`, { status: 302 });
  assert.ok(start.location.startsWith('/u/login?'));
  await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, client_id: 'nobody' })}`, { status: 400 });
  await browse('authorizeByPost', browser, '/authorize', { form: base, status: 302 });
  await browse('authorizeByPost', browser, '/authorize', { form: { ...base, redirect_uri: 'https://evil.example/' }, status: 400 });
  await browse('authorizeByPost', browser, '/authorize', { form: { junk: tooLarge() }, status: 413 });
  // The built-in app denies organizations: the refusal goes back to it.
  const organization = await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, organization: 'acme' })}`, { status: 302 });
  assert.equal(fragmentParams(organization.location).error, 'invalid_request');

  // The login page and form.
  const page = await browse('loginPage', browser, `/u/login?${query}`, { status: 200 });
  const csrf = csrfField(page.text);
  await browse('loginPage', browser, `/u/login?${authorizeQuery({ ...base, client_id: 'nobody' })}`, { status: 400 });
  // An error that can go back to the client goes back to it: a code
  // without PKCE for this public client, in the query (the code flow's mode).
  const unsupported = await browse('loginPage', browser, `/u/login?${authorizeQuery({ ...base, response_type: 'code' })}`, { status: 302 });
  assert.ok(unsupported.location.startsWith(`${callback}?`), unsupported.location);
  assert.equal(new URL(unsupported.location).searchParams.get('error'), 'invalid_request');
  await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf: 'forged', email: person.email, password: person.password }, status: 403 });
  await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf, email: person.email, password: 'wrong-password' }, status: 400 });
  await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf, junk: tooLarge() }, status: 413 });
  const signedIn = await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf, email: person.email, password: person.password }, status: 302 });
  assert.ok(signedIn.location.startsWith(`${callback}#`));

  // Signed in: /authorize answers at once, by fragment or by form_post.
  await browse('authorize', browser, `/authorize?${query}`, { status: 302 });
  await browse('authorize', browser, `/authorize?${authorizeQuery({ ...base, response_mode: 'form_post' })}`, { status: 200 });
  await browse('authorizeByPost', browser, '/authorize', { form: { ...base, response_mode: 'form_post' }, status: 200 });

  // Signup.
  const signupPage = await browse('signupPage', browser, `/u/signup?${query}`, { status: 200 });
  const signupCsrf = csrfField(signupPage.text);
  await browse('signupPage', browser, `/u/signup?${authorizeQuery({ ...base, redirect_uri: 'https://evil.example/' })}`, { status: 400 });
  await browse('signupSubmit', browser, `/u/signup?${query}`, { form: { csrf: 'forged', email: randomEmail(), password: randomPassword() }, status: 403 });
  await browse('signupSubmit', browser, `/u/signup?${query}`, { form: { csrf: signupCsrf, email: randomEmail(), password: 'short' }, status: 400 });
  await browse('signupSubmit', browser, `/u/signup?${query}`, { form: { csrf: signupCsrf, junk: tooLarge() }, status: 413 });
  await browse('signupSubmit', browser, `/u/signup?${query}`, { form: { csrf: signupCsrf, email: randomEmail(), password: randomPassword() }, status: 302 });
  // Past 10 attempts a minute for one email: 429 with Retry-After.
  const hammered = randomEmail('hammered');
  await until429(() => browse('signupSubmit', browser, `/u/signup?${query}`, { form: { csrf: signupCsrf, email: hammered, password: 'short' } }), 25);
  const guessed = randomEmail('guessed');
  await until429(() => browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf, email: guessed, password: 'wrong-password' } }), 25);
  // With signup turned off, the signup page sends the browser to the login page.
  await updateTenantSettings(tenant, admin, { flags: { disable_signup: true } });
  const off = await browse('signupPage', browser, `/u/signup?${query}`, { status: 302 });
  assert.ok(off.location.startsWith('/u/login?'));
  await updateTenantSettings(tenant, admin, { flags: { disable_signup: false } });

  // Logout.
  await browse('logout', browser, `/v2/logout?${authorizeQuery({ client_id: app.client_id, returnTo: 'https://evil.example/' })}`, { status: 400 });
  const out = await browse('logout', browser, `/v2/logout?${authorizeQuery({ client_id: app.client_id, returnTo: `${tenant.baseUrl}/` })}`, { status: 302 });
  assert.equal(out.location, `${tenant.baseUrl}/`);
  await browse('logout', browser, '/v2/logout', { status: 200 });
});

test('consent for third-party clients, from the login and signup forms to the decision', async () => {
  await setDynamicRegistration(tenant, admin, true);
  const redirect = 'https://rp.example.test/cb';
  const registration = await registerClient(tenant, {
    client_name: 'Third Party',
    redirect_uris: [redirect],
    token_endpoint_auth_method: 'none',
    grant_types: ['implicit'],
    response_types: ['token'],
  });
  assert.equal(registration.status, 201, registration.text);
  const base = { response_type: 'token', client_id: registration.body.client_id, redirect_uri: redirect, scope: 'openid profile', state: 'st' };
  const query = authorizeQuery(base);

  // Login, then the consent page (200) instead of a redirect.
  const person = await createUser(tenant, admin);
  const browser = new Browser(tenant);
  const page = await browse('loginPage', browser, `/u/login?${query}`, { status: 200 });
  const csrf = csrfField(page.text);
  await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf, email: person.email, password: person.password }, status: 200 });
  await browse('consentSubmit', browser, `/u/consent?${query}`, { form: { csrf: 'forged', decision: 'accept' }, status: 403 });
  await browse('consentSubmit', browser, `/u/consent?${authorizeQuery({ ...base, client_id: 'nobody' })}`, { form: { csrf, decision: 'accept' }, status: 400 });
  await browse('consentSubmit', browser, `/u/consent?${query}`, { form: { csrf, junk: tooLarge() }, status: 413 });
  await browse('consentSubmit', browser, `/u/consent?${authorizeQuery({ ...base, response_mode: 'form_post' })}`, { form: { csrf, decision: 'accept' }, status: 200 });
  const accepted = await browse('consentSubmit', browser, `/u/consent?${query}`, { form: { csrf, decision: 'accept' }, status: 302 });
  assert.ok(accepted.location.startsWith(`${redirect}#`) && fragmentParams(accepted.location).access_token);

  // A signup for a third-party client also asks for consent.
  const fresh = new Browser(tenant);
  const signupPage = await browse('signupPage', fresh, `/u/signup?${query}`, { status: 200 });
  await browse('signupSubmit', fresh, `/u/signup?${query}`, { form: { csrf: csrfField(signupPage.text), email: randomEmail(), password: randomPassword() }, status: 200 });
});

test('dynamic registration and RFC 7592 management of a registration', async () => {
  await setDynamicRegistration(tenant, admin, false);
  const metadata = { client_name: 'Registered App', redirect_uris: ['https://app.example.test/cb'] };
  await call('registerClient', { json: metadata, status: 403 });
  await setDynamicRegistration(tenant, admin, true);
  const created = await call('registerClient', { json: metadata, status: 201 });
  const publicClient = await call('registerClient', { json: { ...metadata, token_endpoint_auth_method: 'none', grant_types: ['implicit'] }, status: 201 });
  assert.equal(publicClient.body.client_secret, undefined);
  await call('registerClient', { json: { redirect_uris: ['javascript:alert(1)'] }, status: 400 });
  await call('registerClient', { raw: 'client_name=x', contentType: 'application/x-www-form-urlencoded', status: 400 });
  await call('registerClient', { raw: tooLarge(), contentType: 'application/json', status: 413 });

  const { client_id: id, registration_access_token: token } = created.body;
  const at = `/oidc/register/${id}`;
  await call('readRegistration', { path: at, token, status: 200 });
  await call('readRegistration', { path: at, token: 'wrong', status: 401 });
  await call('readRegistration', { path: at, status: 401 });
  await call('updateRegistration', { path: at, token, json: { client_id: id, client_name: 'Renamed', redirect_uris: ['https://app.example.test/cb2'] }, status: 200 });
  await call('updateRegistration', { path: at, token, json: { client_id: 'someone-else', redirect_uris: ['https://app.example.test/cb2'] }, status: 400 });
  await call('updateRegistration', { path: at, token: 'wrong', json: { client_id: id }, status: 401 });
  await call('updateRegistration', { path: at, token, raw: tooLarge(), contentType: 'application/json', status: 413 });
  await call('deleteRegistration', { path: at, token: 'wrong', status: 401 });
  await call('deleteRegistration', { path: at, token, status: 204 });
  await call('readRegistration', { path: at, token, status: 401 });

  // 60 a minute per address, whatever the outcome: the documented 429.
  const ip = `192.0.2.${1 + Math.floor(Math.random() * 250)}`;
  await until429(() => call('registerClient', { raw: 'not json', contentType: 'application/json', headers: { 'cf-connecting-ip': ip } }), 130);
});

// --- Management API: what every operation shares, from the document itself.

/** A concrete path for an operation: every template parameter filled with `id`. */
const concrete = (op, id) => op.template.replace(/\{[^}]+\}/g, encodeURIComponent(id));
const managementOps = () => [...operations.values()].filter((op) => documentedScope(op));

test('every Management API operation: 401 without a token, 403 without its scope, and its scope suffices', async () => {
  const allBut = new Map();
  const only = new Map();
  for (const scope of MANAGEMENT_SCOPES) {
    allBut.set(scope, (await limitedManagementClient(tenant, admin, MANAGEMENT_SCOPES.filter((s) => s !== scope))).token);
    only.set(scope, (await limitedManagementClient(tenant, admin, [scope])).token);
  }
  for (const op of managementOps()) {
    const scope = documentedScope(op);
    const pathname = concrete(op, 'nonexistent-id');
    const none = await call(op.id, { path: pathname, status: 401 });
    assert.equal(none.body.errorCode, 'invalid_token');
    await call(op.id, { path: pathname, token: 'malformed', status: 401 });
    const forbidden = await call(op.id, { path: pathname, token: allBut.get(scope), status: 403 });
    assert.equal(forbidden.body.errorCode, 'insufficient_scope', `${op.id} needs ${scope}`);
    assert.match(forbidden.body.message, new RegExp(scope));
    // With only the documented scope: past authorization. No body, an
    // unknown id: nothing changes (415, 404, 400 or a listing). A body the
    // operation may do without (a roll back's) is not one it lacks.
    const allowed = await call(op.id, { path: pathname, token: only.get(scope) });
    assert.ok(![401, 403].includes(allowed.status), `${op.id} with ${scope} alone: ${allowed.status} ${allowed.text}`);
    if (op.operation.requestBody?.required) assert.equal(allowed.status, 415, `${op.id}: a body that is not JSON`);
    else if (op.template.includes('{')) assert.equal(allowed.status, 404, `${op.id}: an unknown id`);
    else if (op.template === '/api/v2/users-by-email') assert.equal(allowed.status, 400, `${op.id}: no email`);
    else assert.equal(allowed.status, 200, `${op.id}: a listing`);
  }
});

/** The most bytes an operation's body may have, as its 413 response says. */
function bodyLimit(op) {
  const { node } = deref(op.operation.responses['413'], `${op.pointer}/responses/413`);
  const limit = /exceeds (\d+) bytes/.exec(node?.description ?? '');
  assert.ok(limit, `${op.id}: its 413 names the limit (${node?.description})`);
  return Number(limit[1]);
}

test('every Management API operation with a body refuses one over its limit (413): 64 KiB, 256 KiB for an action\'s code', async () => {
  const limits = new Map();
  for (const op of managementOps().filter((o) => o.operation.requestBody)) {
    const limit = bodyLimit(op);
    limits.set(op.id, limit);
    const res = await call(op.id, { path: concrete(op, 'nonexistent-id'), token: admin, raw: 'x'.repeat(limit + 1024), contentType: 'application/json', status: 413 });
    assert.equal(res.body.errorCode, 'payload_too_large');
    assert.match(res.body.message, new RegExp(`exceeds ${limit} bytes`));
  }
  // Just under the limit, a body is read: the code of an action may be 100 kB.
  for (const [operationId, pathname] of [['createAction', '/api/v2/actions/actions'], ['testAction', '/api/v2/actions/actions/nonexistent-id/test']]) {
    const res = await call(operationId, { path: pathname, token: admin, raw: JSON.stringify({ padding: 'x'.repeat(limits.get(operationId) - 100) }), contentType: 'application/json' });
    assert.ok([400, 404].includes(res.status), `${operationId}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  assert.deepEqual([...new Set(limits.values())].sort((a, b) => a - b), [MAX_BODY_BYTES, 4 * MAX_BODY_BYTES]);
});

test('Management API: updates of unknown ids answer 404', async () => {
  for (const [operationId, pathname, json] of [
    ['updateClient', '/api/v2/clients/nonexistent-id', {}],
    ['updateResourceServer', '/api/v2/resource-servers/nonexistent-id', {}],
    ['updateClientGrant', '/api/v2/client-grants/nonexistent-id', { scope: [] }],
    ['updateUser', userPath('auth0|000000000000000000000000'), {}],
    ['addUserPermissions', userPath('auth0|000000000000000000000000', '/permissions'), { permissions: [] }],
    ['removeUserPermissions', userPath('auth0|000000000000000000000000', '/permissions'), { permissions: [] }],
    ['updateOrganization', '/api/v2/organizations/org_0000000000000000', {}],
    ['createOrganizationClientGrant', '/api/v2/organizations/org_0000000000000000/client-grants', { grant_id: 'cgr_0000000000000000' }],
    ['addOrganizationMembers', '/api/v2/organizations/org_0000000000000000/members', { members: ['auth0|000000000000000000000000'] }],
    ['removeOrganizationMembers', '/api/v2/organizations/org_0000000000000000/members', { members: ['auth0|000000000000000000000000'] }],
    ['updateAction', `/api/v2/actions/actions/${NO_SUCH_UUID}`, {}],
    ['testAction', `/api/v2/actions/actions/${NO_SUCH_UUID}/test`, { payload: {} }],
    ['rollBackAction', `/api/v2/actions/actions/${NO_SUCH_UUID}/versions/${NO_SUCH_UUID}/deploy`, { update_draft: false }],
    ['updateTriggerBindings', '/api/v2/actions/triggers/pre-user-registration/bindings', { bindings: [] }],
  ]) {
    await call(operationId, { path: pathname, token: admin, json, status: 404 });
  }
});

test('Management API: clients', async () => {
  await call('listClients', { token: admin, status: 200 });
  const page = await call('listClients', { token: admin, query: { include_totals: 'true', per_page: '2' }, status: 200 });
  assert.ok(Array.isArray(page.body.clients));
  await call('listClients', { token: admin, query: { per_page: '0' }, status: 400 });
  const created = await call('createClient', { token: admin, json: { name: randomName('app'), app_type: 'non_interactive' }, status: 201 });
  const spa = await call('createClient', { token: admin, json: { name: randomName('spa'), app_type: 'spa', callbacks: ['https://spa.example.test/cb'] }, status: 201 });
  assert.equal(spa.body.client_secret, undefined);
  await call('createClient', { token: admin, json: { name: 'x', unknown_property: true }, status: 400 });
  // A body is an object: serde would read ["x"] as {"name": "x"}.
  const array = await call('createClient', { token: admin, json: ['x'], status: 400 });
  assert.match(array.body.message, /JSON object/);
  const at = `/api/v2/clients/${created.body.client_id}`;
  await call('getClient', { path: at, token: admin, status: 200 });
  await call('updateClient', { path: at, token: admin, json: { description: 'Updated' }, status: 200 });
  await call('updateClient', { path: at, token: admin, json: { grant_types: ['password'] }, status: 400 });
  // Organizations: only `no_prompt`, and a default organization that exists.
  const organization = await call('createOrganization', { token: admin, json: { name: randomName('org') }, status: 201 });
  const settings = { organization_usage: 'required', organization_require_behavior: 'no_prompt', default_organization: { organization_id: organization.body.id, flows: ['client_credentials'] } };
  const member = await call('updateClient', { path: at, token: admin, json: settings, status: 200 });
  assert.equal(member.body.organization_usage, 'require');
  assert.deepEqual(member.body.default_organization, settings.default_organization);
  await call('updateClient', { path: at, token: admin, json: { organization_require_behavior: 'pre_login_prompt' }, status: 400 });
  await call('updateClient', { path: at, token: admin, json: { default_organization: { organization_id: 'org_0000000000000000', flows: ['client_credentials'] } }, status: 400 });
  await call('updateClient', { path: at, token: admin, json: { default_organization: { organization_id: organization.body.id, flows: ['authorization_code'] } }, status: 400 });
  const cleared = await call('updateClient', { path: at, token: admin, json: { default_organization: null, organization_usage: 'deny' }, status: 200 });
  assert.equal(cleared.body.default_organization, null);
  await call('createClient', { token: admin, json: { name: randomName('app'), organization_usage: 'allow', default_organization: { organization_id: organization.body.id, flows: ['client_credentials'] } }, status: 201 });
  await call('createClient', { token: admin, json: { name: randomName('app'), organization_require_behavior: 'post_login_prompt' }, status: 400 });
  const rotated = await call('rotateClientSecret', { path: `${at}/rotate-secret`, token: admin, query: { previous_secret_grace_period: '60' }, status: 200 });
  assert.ok(rotated.body.previous_client_secret_expires_at);
  await call('rotateClientSecret', { path: `${at}/rotate-secret`, token: admin, query: { previous_secret_grace_period: 'soon' }, status: 400 });
  await call('revokePreviousClientSecret', { path: `${at}/previous-secret`, token: admin, status: 204 });
  await call('deleteClient', { path: at, token: admin, status: 204 });
});

test('Management API: resource servers and client grants', async () => {
  await call('listResourceServers', { token: admin, status: 200 });
  await call('listResourceServers', { token: admin, query: { include_totals: 'yes' }, status: 400 });
  const name = randomName('api');
  const identifier = `https://${name}.example.test/`;
  const created = await call('createResourceServer', { token: admin, json: { name, identifier, scopes: [{ value: 'read:things', description: 'Read' }] }, status: 201 });
  await call('createResourceServer', { token: admin, json: { identifier }, status: 409 });
  await call('createResourceServer', { token: admin, json: { identifier: 'has space' }, status: 400 });
  await call('getResourceServer', { path: `/api/v2/resource-servers/${created.body.id}`, token: admin, status: 200 });
  await call('getResourceServer', { path: `/api/v2/resource-servers/${encodeURIComponent(identifier)}`, token: admin, status: 200 });
  await call('updateResourceServer', { path: `/api/v2/resource-servers/${created.body.id}`, token: admin, json: { token_lifetime: 3600 }, status: 200 });
  await call('updateResourceServer', { path: `/api/v2/resource-servers/${created.body.id}`, token: admin, json: { token_lifetime: 1 }, status: 400 });
  const system = await call('updateResourceServer', { path: '/api/v2/resource-servers/management-api', token: admin, json: { name: 'Mine' }, status: 403 });
  assert.equal(system.body.errorCode, 'operation_not_supported');
  await call('deleteResourceServer', { path: '/api/v2/resource-servers/management-api', token: admin, status: 403 });

  const client = await createM2MClient(tenant, admin);
  await call('listClientGrants', { token: admin, query: { client_id: client.client_id }, status: 200 });
  await call('listClientGrants', { token: admin, query: { page: '-1' }, status: 400 });
  const grant = await call('createClientGrant', { token: admin, json: { client_id: client.client_id, audience: identifier, scope: ['read:things'] }, status: 201 });
  await call('createClientGrant', { token: admin, json: { client_id: client.client_id, audience: identifier, scope: ['read:things'] }, status: 409 });
  await call('createClientGrant', { token: admin, json: { client_id: 'nobody', audience: identifier, scope: [] }, status: 404 });
  await call('createClientGrant', { token: admin, json: { client_id: client.client_id, audience: identifier, scope: ['undefined:scope'] }, status: 400 });
  await setDynamicRegistration(tenant, admin, true);
  const thirdParty = await registerClient(tenant, { redirect_uris: ['https://tp.example.test/cb'] });
  const refused = await call('createClientGrant', { token: admin, json: { client_id: thirdParty.body.client_id, audience: managementAudience(tenant), scope: ['read:clients'] }, status: 403 });
  assert.equal(refused.body.errorCode, 'operation_not_supported');
  const at = `/api/v2/client-grants/${grant.body.id}`;
  await call('getClientGrant', { path: at, token: admin, status: 200 });
  await call('updateClientGrant', { path: at, token: admin, json: { scope: [] }, status: 200 });
  await call('updateClientGrant', { path: at, token: admin, json: { scope: 'read:things' }, status: 400 });
  // Organization settings: `required` is read as `require`, `null` is `deny`.
  const required = await call('updateClientGrant', { path: at, token: admin, json: { organization_usage: 'required', allow_any_organization: true }, status: 200 });
  assert.equal(required.body.organization_usage, 'require');
  assert.equal(required.body.allow_any_organization, true);
  const any = await call('listClientGrants', { token: admin, query: { allow_any_organization: 'true', client_id: client.client_id }, status: 200 });
  assert.deepEqual(any.body.map((g) => g.id), [grant.body.id]);
  await call('listClientGrants', { token: admin, query: { allow_any_organization: 'maybe' }, status: 400 });
  const reset = await call('updateClientGrant', { path: at, token: admin, json: { organization_usage: null, allow_any_organization: false }, status: 200 });
  assert.equal(reset.body.organization_usage, 'deny');
  await call('updateClientGrant', { path: at, token: admin, json: { organization_usage: 'sometimes' }, status: 400 });
  // A Management API grant never acts for organizations.
  const admins = await createM2MClient(tenant, admin);
  await call('createClientGrant', { token: admin, json: { client_id: admins.client_id, audience: managementAudience(tenant), scope: ['read:clients'], organization_usage: 'allow' }, status: 400 });
  const withOrganizations = await call('createClientGrant', { token: admin, json: { client_id: admins.client_id, audience: identifier, scope: [], organization_usage: 'allow', allow_any_organization: true }, status: 201 });
  assert.equal(withOrganizations.body.organization_usage, 'allow');
  // Checkpoints, as Auth0's SDK asks for them: `next` while more may follow.
  const first = await call('listClientGrants', { token: admin, query: { include_totals: 'true', take: '1' }, status: 200 });
  assert.equal(first.body.client_grants.length, 1);
  assert.ok(first.body.next, 'more grants follow');
  const second = await call('listClientGrants', { token: admin, query: { from: first.body.next, take: '100' }, status: 200 });
  assert.ok(second.body.client_grants.every((g) => g.id > first.body.client_grants[0].id));
  await call('listClientGrants', { token: admin, query: { take: '1', per_page: '1' }, status: 400 });
  await call('listClientGrants', { token: admin, query: { from: '!' }, status: 400 });
  await call('deleteClientGrant', { path: at, token: admin, status: 204 });
  await call('deleteResourceServer', { path: `/api/v2/resource-servers/${created.body.id}`, token: admin, status: 204 });
});

test('Management API: tenant settings', async () => {
  await call('getTenantSettings', { token: admin, status: 200 });
  await call('updateTenantSettings', { token: admin, json: { friendly_name: 'Contract Test' }, status: 200 });
  await call('updateTenantSettings', { token: admin, json: { client_secret_rotation_grace_period: -1 }, status: 400 });
  await call('updateTenantSettings', { token: admin, json: { allow_organization_name_in_authentication_api: 'yes' }, status: 400 });
});

test('Management API: users and their permissions', async () => {
  const email = randomEmail();
  const created = await call('createUser', { token: admin, json: { connection: DATABASE_CONNECTION, email, password: randomPassword(), name: 'Grace' }, status: 201 });
  await call('createUser', { token: admin, json: { connection: DATABASE_CONNECTION, email, password: randomPassword() }, status: 409 });
  await call('createUser', { token: admin, json: { connection: 'google-oauth2', email: randomEmail(), password: randomPassword() }, status: 400 });
  await call('listUsers', { token: admin, status: 200 });
  await call('listUsers', { token: admin, query: { q: 'grace', include_totals: 'true' }, status: 200 });
  await call('listUsers', { token: admin, query: { per_page: '1000' }, status: 400 });
  await call('listUsers', { token: admin, query: { q: 'name:*race' }, status: 400 });
  await call('listUsers', { token: admin, query: { page: '10', per_page: '100' }, status: 400 });
  await call('usersByEmail', { token: admin, query: { email: email.toUpperCase() }, status: 200 });
  const at = userPath(created.body.user_id);
  await call('getUser', { path: at, token: admin, status: 200 });
  await call('updateUser', { path: at, token: admin, json: { nickname: 'gh' }, status: 200 });
  await call('updateUser', { path: at, token: admin, json: { picture: 'http://insecure.example/p.png' }, status: 400 });
  const other = await createUser(tenant, admin);
  await call('updateUser', { path: at, token: admin, json: { email: other.email }, status: 409 });

  const resourceServer = await createApi(tenant, admin);
  const permission = { resource_server_identifier: resourceServer.identifier, permission_name: 'read:things' };
  await call('addUserPermissions', { path: `${at}/permissions`, token: admin, json: { permissions: [permission] }, status: 201 });
  await call('addUserPermissions', { path: `${at}/permissions`, token: admin, json: { permissions: [{ ...permission, permission_name: 'undefined:scope' }] }, status: 400 });
  await call('addUserPermissions', { path: `${at}/permissions`, token: admin, json: { permissions: [{ ...permission, resource_server_identifier: 'https://nowhere.example/' }] }, status: 404 });
  const listed = await call('getUserPermissions', { path: `${at}/permissions`, token: admin, status: 200 });
  assert.equal(listed.body.length, 1);
  await call('getUserPermissions', { path: `${at}/permissions`, token: admin, query: { include_totals: 'true' }, status: 200 });
  await call('getUserPermissions', { path: `${at}/permissions`, token: admin, query: { per_page: 'many' }, status: 400 });
  await call('removeUserPermissions', { path: `${at}/permissions`, token: admin, json: { permission: [] }, status: 400 });
  await call('removeUserPermissions', { path: `${at}/permissions`, token: admin, json: { permissions: [permission] }, status: 204 });
  await call('deleteUser', { path: at, token: admin, status: 204 });
});

test('Management API: the audit log', async () => {
  const list = await call('listLogs', { token: admin, status: 200 });
  assert.ok(Array.isArray(list.body) && list.body.length > 0, 'earlier tests wrote events');
  const totals = await call('listLogs', { token: admin, query: { include_totals: 'true', per_page: '5' }, status: 200 });
  assert.ok(Array.isArray(totals.body.logs));
  const oldest = list.body[list.body.length - 1];
  const after = await call('listLogs', { token: admin, query: { from: oldest.log_id, take: '3' }, status: 200 });
  assert.ok(Array.isArray(after.body));
  await call('listLogs', { token: admin, query: { q: 'type:sapi AND date:[2020-01-01 TO *]', per_page: '3' }, status: 200 });
  await call('listLogs', { token: admin, query: { q: 'description:anything' }, status: 400 });
  await call('listLogs', { token: admin, query: { take: '3' }, status: 400 });
  await call('listLogs', { token: admin, query: { page: '10', per_page: '100' }, status: 400 });
  await call('getLog', { path: `/api/v2/logs/${oldest.log_id}`, token: admin, status: 200 });
});

test('Management API: organizations, their client grants and members', async () => {
  const name = randomName('org');
  const branding = { logo_url: 'https://cdn.example.test/logo.png', colors: { primary: '#635dff', page_background: '#FFF' } };
  const created = await call('createOrganization', { token: admin, json: { name, display_name: 'Acme Corp', branding, metadata: { tier: 'gold' } }, status: 201 });
  assert.match(created.body.id, /^org_/);
  await call('createOrganization', { token: admin, json: { name }, status: 409 });
  await call('createOrganization', { token: admin, json: { name: 'Not Lower Case' }, status: 400 });
  await call('createOrganization', { token: admin, json: { name: 'org_lookslikeanid' }, status: 400 });
  await call('createOrganization', { token: admin, json: { name: randomName('org'), branding: { logo_url: 'http://cdn.example.test/logo.png' } }, status: 400 });
  await call('createOrganization', { token: admin, json: { name: randomName('org'), members: [] }, status: 400 });
  const other = await call('createOrganization', { token: admin, json: { name: randomName('org') }, status: 201 });
  assert.equal(other.body.display_name, undefined, 'unset members are absent');

  const at = `/api/v2/organizations/${created.body.id}`;
  await call('getOrganization', { path: at, token: admin, status: 200 });
  const byName = await call('getOrganizationByName', { path: `/api/v2/organizations/name/${name}`, token: admin, status: 200 });
  assert.equal(byName.body.id, created.body.id);
  await call('getOrganizationByName', { path: `/api/v2/organizations/name/${created.body.id}`, token: admin, status: 404 });
  const changed = await call('updateOrganization', { path: at, token: admin, json: { display_name: null, metadata: { tier: 'platinum' } }, status: 200 });
  assert.equal(changed.body.display_name, undefined, 'null removed it');
  assert.deepEqual(changed.body.branding, branding);
  await call('updateOrganization', { path: at, token: admin, json: { name: other.body.name }, status: 409 });
  await call('updateOrganization', { path: at, token: admin, json: { branding: { colors: { primary: 'red' } } }, status: 400 });

  // Listed by name: pages, or checkpoints.
  await call('listOrganizations', { token: admin, status: 200 });
  const page = await call('listOrganizations', { token: admin, query: { include_totals: 'true', per_page: '1', sort: 'name:1' }, status: 200 });
  assert.equal(page.body.organizations.length, 1);
  const first = await call('listOrganizations', { token: admin, query: { include_totals: 'true', take: '1' }, status: 200 });
  assert.ok(first.body.next, 'more organizations follow');
  const second = await call('listOrganizations', { token: admin, query: { from: first.body.next, take: '1' }, status: 200 });
  assert.ok(second.body.organizations[0].name > first.body.organizations[0].name);
  await call('listOrganizations', { token: admin, query: { sort: 'name:-1' }, status: 400 });
  await call('listOrganizations', { token: admin, query: { take: '5', page: '1' }, status: 400 });
  await call('listOrganizations', { token: admin, query: { take: '101' }, status: 400 });

  // Client grants that act for it.
  const { resourceServer, client, grant } = await provisionApiAndClient();
  const grants = `${at}/client-grants`;
  const linked = await call('createOrganizationClientGrant', { path: grants, token: admin, json: { grant_id: grant.id }, status: 201 });
  assert.equal(linked.body.id, grant.id);
  await call('createOrganizationClientGrant', { path: grants, token: admin, json: { grant_id: grant.id }, status: 409 });
  const unknownGrant = await call('createOrganizationClientGrant', { path: grants, token: admin, json: { grant_id: 'cgr_0000000000000000' }, status: 404 });
  assert.equal(unknownGrant.body.errorCode, 'inexistent_client_grant');
  const admins = await limitedManagementClient(tenant, admin, ['read:clients']);
  const managementGrant = await call('listClientGrants', { token: admin, query: { client_id: admins.client.client_id }, status: 200 });
  await call('createOrganizationClientGrant', { path: grants, token: admin, json: { grant_id: managementGrant.body[0].id }, status: 400 });
  await call('createOrganizationClientGrant', { path: grants, token: admin, json: { grant: grant.id }, status: 400 });
  const listed = await call('listOrganizationClientGrants', { path: grants, token: admin, status: 200 });
  assert.deepEqual(listed.body.map((g) => g.id), [grant.id]);
  const filtered = await call('listOrganizationClientGrants', {
    path: `${grants}?grant_ids=${grant.id}&grant_ids=cgr_other`,
    token: admin,
    query: { include_totals: 'true', audience: resourceServer.identifier, client_id: client.client_id },
    status: 200,
  });
  assert.equal(filtered.body.total, 1);
  const tooMany = Array.from({ length: 101 }, (_, i) => `cgr_${i}`).join(',');
  await call('listOrganizationClientGrants', { path: grants, token: admin, query: { grant_ids: tooMany }, status: 400 });
  const organizationsOf = `/api/v2/client-grants/${grant.id}/organizations`;
  const of = await call('listClientGrantOrganizations', { path: organizationsOf, token: admin, status: 200 });
  assert.deepEqual(of.body.map((o) => o.id), [created.body.id]);
  await call('listClientGrantOrganizations', { path: organizationsOf, token: admin, query: { include_totals: 'true' }, status: 200 });
  const checkpoint = await call('listClientGrantOrganizations', { path: organizationsOf, token: admin, query: { take: '10' }, status: 200 });
  assert.equal(checkpoint.body.next, undefined, 'fewer than taken: no next');
  await call('listClientGrantOrganizations', { path: organizationsOf, token: admin, query: { take: '0' }, status: 400 });

  // Members.
  const person = await createUser(tenant, admin);
  const members = `${at}/members`;
  await call('addOrganizationMembers', { path: members, token: admin, json: { members: [person.user.user_id, person.user.user_id] }, status: 204 });
  await call('addOrganizationMembers', { path: members, token: admin, json: { members: ['auth0|000000000000000000000000'] }, status: 400 });
  await call('addOrganizationMembers', { path: members, token: admin, json: { members: [] }, status: 400 });
  const memberList = await call('listOrganizationMembers', { path: members, token: admin, status: 200 });
  assert.deepEqual(memberList.body.map((m) => m.user_id), [person.user.user_id]);
  await call('listOrganizationMembers', { path: members, token: admin, query: { include_totals: 'true' }, status: 200 });
  await call('listOrganizationMembers', { path: members, token: admin, query: { take: '1' }, status: 200 });
  await call('listOrganizationMembers', { path: members, token: admin, query: { per_page: '101' }, status: 400 });
  const ofUser = userPath(person.user.user_id, '/organizations');
  const memberships = await call('listUserOrganizations', { path: ofUser, token: admin, status: 200 });
  assert.deepEqual(memberships.body.map((o) => o.id), [created.body.id]);
  await call('listUserOrganizations', { path: ofUser, token: admin, query: { include_totals: 'true' }, status: 200 });
  await call('listUserOrganizations', { path: ofUser, token: admin, query: { page: 'first' }, status: 400 });
  await call('removeOrganizationMembers', { path: members, token: admin, json: { members: [person.user.user_id, 'auth0|000000000000000000000000'] }, status: 204 });
  await call('removeOrganizationMembers', { path: members, token: admin, json: { member: [person.user.user_id] }, status: 400 });

  // Unlinking is idempotent; deleting takes the links and members along.
  await call('deleteOrganizationClientGrant', { path: `${grants}/${grant.id}`, token: admin, status: 204 });
  await call('deleteOrganizationClientGrant', { path: `${grants}/${grant.id}`, token: admin, status: 204 });
  await call('deleteOrganization', { path: at, token: admin, status: 204 });
  const gone = await call('getOrganization', { path: at, token: admin, status: 404 });
  assert.equal(gone.body.errorCode, 'inexistent_organization');
});

test('the token endpoint acts for an organization as the grant allows: org_id, org_name, and the refusals', async () => {
  const { resourceServer, client, grant } = await provisionApiAndClient();
  const organization = (await call('createOrganization', { token: admin, json: { name: randomName('org') }, status: 201 })).body;
  const form = (extra = {}) => ({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience: resourceServer.identifier, ...extra });
  const claims = async (res) => (await call('whoami', { token: res.body.access_token, status: 200 })).body;

  // A grant denies organizations unless it says otherwise; JSON null is none.
  const denied = await call('requestToken', { form: form({ organization: organization.id }), status: 400 });
  assert.equal(denied.body.error, 'invalid_request');
  assert.equal((await claims(await call('requestToken', { json: { ...form(), organization: null }, status: 200 }))).org_id, undefined);

  await call('updateClientGrant', { path: `/api/v2/client-grants/${grant.id}`, token: admin, json: { organization_usage: 'require' }, status: 200 });
  const missing = await call('requestToken', { form: form(), status: 400 });
  assert.match(missing.body.error_description, /required/);
  const unknown = await call('requestToken', { form: form({ organization: 'no-such-organization' }), status: 400 });
  assert.match(unknown.body.error_description, /invalid/);
  const unlinked = await call('requestToken', { form: form({ organization: organization.id }), status: 403 });
  assert.equal(unlinked.body.error, 'access_denied');

  await call('createOrganizationClientGrant', { path: `/api/v2/organizations/${organization.id}/client-grants`, token: admin, json: { grant_id: grant.id }, status: 201 });
  const byId = await claims(await call('requestToken', { form: form({ organization: organization.id }), status: 200 }));
  assert.equal(byId.org_id, organization.id);
  assert.equal(byId.org_name, undefined, 'names only when the tenant allows them');
  await call('updateTenantSettings', { token: admin, json: { allow_organization_name_in_authentication_api: true }, status: 200 });
  try {
    const byName = await claims(await call('requestToken', { json: form({ organization: organization.name }), status: 200 }));
    assert.deepEqual([byName.org_id, byName.org_name], [organization.id, organization.name]);
  } finally {
    await updateTenantSettings(tenant, admin, { allow_organization_name_in_authentication_api: false });
  }
  // The client's default organization, where the grant requires one.
  await call('updateClient', { path: `/api/v2/clients/${client.client_id}`, token: admin, json: { default_organization: { organization_id: organization.id, flows: ['client_credentials'] } }, status: 200 });
  assert.equal((await claims(await call('requestToken', { form: form(), status: 200 }))).org_id, organization.id);
});

const CREDENTIALS_EXCHANGE = { id: 'credentials-exchange', version: 'v2' };
const POST_LOGIN = { id: 'post-login', version: 'v3' };

/** Binds exactly these actions to `trigger` (outside the table: set-up and clean-up). */
async function bindOnly(trigger, actions) {
  const res = await api(tenant, admin, 'PATCH', `/api/v2/actions/triggers/${trigger}/bindings`, {
    bindings: actions.map((action) => ({ ref: { type: 'action_id', value: action.id } })),
  });
  assert.equal(res.status, 200, res.text);
}

/** An execution, once written (after the response it belongs to). */
async function executionWritten(id) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const res = await api(tenant, admin, 'GET', `/api/v2/actions/executions/${id}`);
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`execution ${id} was never written`);
}

test('Management API: actions, their versions, the test endpoint, triggers and bindings', async () => {
  const name = randomName('action');
  const code = (n) => `exports.onExecuteCredentialsExchange = async (event, api) => {\n  api.accessToken.setCustomClaim('https://example.com/version', ${n});\n};\n`;
  const created = await call('createAction', {
    token: admin,
    json: { name, supported_triggers: [CREDENTIALS_EXCHANGE], code: code(1), dependencies: [], runtime: 'node22', secrets: [{ name: 'API_KEY', value: 'value-of-the-key' }] },
    status: 201,
  });
  assert.deepEqual(created.body.secrets.map((secret) => secret.name), ['API_KEY']);
  assert.doesNotMatch(created.text, /value-of-the-key/, 'a secret is never shown');
  assert.equal(created.body.deployed_version, undefined, 'not deployed yet');
  assert.equal(created.body.all_changes_deployed, false);
  const templated = await call('createAction', { token: admin, json: { name: randomName('action'), supported_triggers: [CREDENTIALS_EXCHANGE], deploy: true }, status: 201 });
  assert.match(templated.body.code, /exports\.onExecuteCredentialsExchange/, 'a new action starts from the template');
  assert.equal(templated.body.deployed_version.number, 1);
  await call('createAction', { token: admin, json: { name, supported_triggers: [CREDENTIALS_EXCHANGE] }, status: 409 });
  for (const refused of [
    { dependencies: [{ name: 'axios', version: '1.7.0' }] },
    { code: `// ${'x'.repeat(100 * 1024)}` },
    { supported_triggers: [{ id: 'post-login', version: 'v2' }] },
    { supported_triggers: [{ id: 'pre-user-registration', version: 'v2' }] },
    { supported_triggers: [CREDENTIALS_EXCHANGE, POST_LOGIN] },
    { runtime: 'node12' },
    { secrets: [{ name: 'NOT-A-NAME', value: 'x' }] },
    { secrets: [{ name: 'UNSET' }] },
    { secrets: Array.from({ length: 21 }, (_, i) => ({ name: `S${i}`, value: 'x' })) },
    { secrets: [{ name: 'LONG', value: 'x'.repeat(4097) }] },
    { name: '' },
    { name: 'x'.repeat(101) },
    { name: '<script>' },
    { install: true },
  ]) {
    await call('createAction', { token: admin, json: { name: randomName('refused'), supported_triggers: [CREDENTIALS_EXCHANGE], ...refused }, status: 400 });
  }

  const at = `/api/v2/actions/actions/${created.body.id}`;
  await call('getAction', { path: at, token: admin, status: 200 });
  await call('getAction', { path: `/api/v2/actions/actions/${NO_SUCH_UUID}`, token: admin, status: 404 });
  const listed = await call('listActions', { token: admin, query: { triggerId: 'credentials-exchange', actionName: name, deployed: 'false', page: '0', per_page: '10' }, status: 200 });
  assert.deepEqual([listed.body.total, listed.body.actions.map((a) => a.id)], [1, [created.body.id]]);
  const deployedOnes = await call('listActions', { token: admin, query: { deployed: 'true' }, status: 200 });
  assert.ok(deployedOnes.body.actions.some((a) => a.id === templated.body.id));
  assert.equal((await call('listActions', { token: admin, query: { installed: 'true' }, status: 200 })).body.total, 0, 'no marketplace integrations');
  await call('listActions', { token: admin, status: 200 });
  await call('listActions', { token: admin, query: { deployed: 'maybe' }, status: 400 });
  await call('listActions', { token: admin, query: { per_page: '101' }, status: 400 });

  // The draft changes; a secret without a value keeps its value.
  const changed = await call('updateAction', { path: at, token: admin, json: { code: code(2), secrets: [{ name: 'API_KEY' }, { name: 'OTHER', value: 'v' }] }, status: 200 });
  assert.deepEqual(changed.body.secrets.map((secret) => secret.name), ['API_KEY', 'OTHER']);
  await call('updateAction', { path: at, token: admin, json: { secrets: [{ name: 'NEVER_SET' }] }, status: 400 });
  await call('updateAction', { path: at, token: admin, json: { runtime: 'deno' }, status: 400 });
  await call('updateAction', { path: at, token: admin, json: { name: templated.body.name }, status: 409 });

  // Deploys, versions, roll backs. Code that does not load is not deployed.
  await call('updateAction', { path: at, token: admin, json: { code: 'exports.onExecuteCredentialsExchange = async (event, api) => {' }, status: 200 });
  await call('deployAction', { path: `${at}/deploy`, token: admin, status: 400 });
  await call('updateAction', { path: at, token: admin, json: { code: code(2) }, status: 200 });
  const first = await call('deployAction', { path: `${at}/deploy`, token: admin, status: 202 });
  assert.deepEqual([first.body.number, first.body.deployed, first.body.code], [1, true, code(2)]);
  await call('deployAction', { path: `/api/v2/actions/actions/${NO_SUCH_UUID}/deploy`, token: admin, status: 404 });
  await call('updateAction', { path: at, token: admin, json: { code: code(3) }, status: 200 });
  const second = await call('deployAction', { path: `${at}/deploy`, token: admin, status: 202 });
  assert.equal(second.body.number, 2);
  const versions = await call('listActionVersions', { path: `${at}/versions`, token: admin, status: 200 });
  assert.deepEqual(versions.body.versions.map((v) => [v.number, v.deployed]), [[2, true], [1, false]]);
  await call('listActionVersions', { path: `${at}/versions`, token: admin, query: { page: '1', per_page: '1' }, status: 200 });
  await call('listActionVersions', { path: `${at}/versions`, token: admin, query: { per_page: '0' }, status: 400 });
  await call('listActionVersions', { path: `/api/v2/actions/actions/${NO_SUCH_UUID}/versions`, token: admin, status: 404 });
  const version = `${at}/versions/${first.body.id}`;
  await call('getActionVersion', { path: version, token: admin, status: 200 });
  await call('getActionVersion', { path: `${at}/versions/${NO_SUCH_UUID}`, token: admin, status: 404 });
  // A roll back with no body (as Auth0's SDK sends it), `null`, or update_draft.
  const third = await call('rollBackAction', { path: `${version}/deploy`, token: admin, status: 202 });
  assert.deepEqual([third.body.number, third.body.code], [3, code(2)]);
  assert.equal((await call('getAction', { path: at, token: admin, status: 200 })).body.code, code(3), 'the draft is kept');
  await call('rollBackAction', { path: `${version}/deploy`, token: admin, raw: 'null', contentType: 'application/json', status: 202 });
  await call('rollBackAction', { path: `${version}/deploy`, token: admin, json: { update_draft: true }, status: 202 });
  const rolledBack = await call('getAction', { path: at, token: admin, status: 200 });
  assert.deepEqual([rolledBack.body.code, rolledBack.body.deployed_version.number, rolledBack.body.all_changes_deployed], [code(2), 5, true]);
  await call('rollBackAction', { path: `${version}/deploy`, token: admin, json: { update_draft: 'yes' }, status: 400 });
  await call('rollBackAction', { path: `${at}/versions/${NO_SUCH_UUID}/deploy`, token: admin, status: 404 });

  // The test endpoint runs the draft.
  const tested = await call('testAction', { path: `${at}/test`, token: admin, json: { payload: { client: { client_id: 'probe', name: 'Probe' } } }, status: 200 });
  assert.deepEqual(tested.body.payload.commands, [{ op: 'access_token_claim', name: 'https://example.com/version', value: 2 }]);
  assert.equal(tested.body.payload.error, null);
  await call('testAction', { path: `${at}/test`, token: admin, json: { payload: [] }, status: 400 });
  await call('testAction', { path: `${at}/test`, token: admin, json: {}, status: 400 });

  // Triggers and bindings.
  const triggers = await call('listActionTriggers', { token: admin, status: 200 });
  assert.deepEqual(triggers.body.triggers.map((t) => `${t.id}@${t.version}`).sort(), ['credentials-exchange@v2', 'post-login@v3']);
  await call('listTriggerBindings', { path: '/api/v2/actions/triggers/credentials-exchange/bindings', token: admin, status: 200 });
  await call('listTriggerBindings', { path: '/api/v2/actions/triggers/pre-user-registration/bindings', token: admin, status: 404 });
  const undeployed = await call('createAction', { token: admin, json: { name: randomName('draft'), supported_triggers: [CREDENTIALS_EXCHANGE] }, status: 201 });
  const postLogin = await call('createAction', { token: admin, json: { name: randomName('login'), supported_triggers: [POST_LOGIN], deploy: true }, status: 201 });
  const bindings = '/api/v2/actions/triggers/credentials-exchange/bindings';
  const ref = (action) => ({ ref: { type: 'action_id', value: action.id } });
  for (const refused of [
    [ref(undeployed.body)],
    [ref(postLogin.body)],
    [ref(templated.body), { ref: { type: 'action_name', value: templated.body.name } }],
    Array.from({ length: 11 }, () => ref(templated.body)),
    [{ ...ref(templated.body), secrets: [{ name: 'X', value: 'y' }] }],
    [{ ref: { type: 'action_name', value: randomName('nobody') } }],
    [{ ref: { type: 'action_slug', value: 'x' } }],
  ]) {
    await call('updateTriggerBindings', { path: bindings, token: admin, json: { bindings: refused }, status: 400 });
  }
  try {
    const bound = await call('updateTriggerBindings', { path: bindings, token: admin, json: { bindings: [{ ...ref(templated.body), display_name: 'Does nothing' }, { ref: { type: 'action_name', value: name } }] }, status: 200 });
    assert.deepEqual(bound.body.bindings.map((b) => [b.action.id, b.display_name]), [[templated.body.id, 'Does nothing'], [created.body.id, name]]);
    // A binding named by its id keeps it.
    const kept = await call('updateTriggerBindings', { path: bindings, token: admin, json: { bindings: [{ ref: { type: 'binding_id', value: bound.body.bindings[1].id } }] }, status: 200 });
    assert.deepEqual(kept.body.bindings.map((b) => b.id), [bound.body.bindings[1].id]);
    const list = await call('listTriggerBindings', { path: bindings, token: admin, status: 200 });
    assert.equal(list.body.total, 1);
    // Bound: deleted only with force=true.
    await call('deleteAction', { path: at, token: admin, status: 409 });
    await call('deleteAction', { path: at, token: admin, query: { force: 'maybe' }, status: 400 });
    await call('deleteAction', { path: at, token: admin, query: { force: 'true' }, status: 204 });
    assert.equal((await call('listTriggerBindings', { path: bindings, token: admin, status: 200 })).body.total, 0, 'unbound with it');
  } finally {
    await bindOnly('credentials-exchange', []);
  }
  await call('deleteAction', { path: at, token: admin, status: 404 });
  await call('deleteAction', { path: `/api/v2/actions/actions/${templated.body.id}`, token: admin, query: { force: 'false' }, status: 204 });
});

test('the token endpoint and /authorize answer what bound actions decide; their executions', async () => {
  const { resourceServer, client } = await provisionApiAndClient();
  const form = { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret, audience: resourceServer.identifier };
  // Each action acts only for this test's client (or person), should another request come in meanwhile.
  const action = async (trigger, body, guard) => {
    const created = await call('createAction', {
      token: admin,
      json: {
        name: randomName('bound'),
        supported_triggers: [trigger],
        code: `exports.${trigger === POST_LOGIN ? 'onExecutePostLogin' : 'onExecuteCredentialsExchange'} = async (event, api) => {\n  if (${guard}) { ${body} }\n};\n`,
        deploy: true,
      },
      status: 201,
    });
    return created.body;
  };
  const ours = `event.client.client_id === ${JSON.stringify(client.client_id)}`;
  const claim = await action(CREDENTIALS_EXCHANGE, "api.accessToken.setCustomClaim('https://example.com/tier', 'gold');", ours);
  const deny = await action(CREDENTIALS_EXCHANGE, "api.access.deny('invalid_scope', 'No tokens for this client today');", ours);
  const fail = await action(CREDENTIALS_EXCHANGE, "throw new Error('the database is down');", ours);
  try {
    await bindOnly('credentials-exchange', [claim]);
    const issued = await call('requestToken', { form, status: 200 });
    const claims = await call('whoami', { token: issued.body.access_token, status: 200 });
    assert.equal(claims.body['https://example.com/tier'], 'gold');

    await bindOnly('credentials-exchange', [claim, deny]);
    const denied = await call('requestToken', { form, status: 400 });
    assert.deepEqual(denied.body, { error: 'invalid_scope', error_description: 'No tokens for this client today' });

    await bindOnly('credentials-exchange', [fail]);
    const failed = await call('requestToken', { json: form, status: 500 });
    assert.equal(failed.body.error, 'server_error');
    assert.doesNotMatch(failed.text, /database is down/, 'the reason is only in the execution');
    const id = /see execution ([0-9a-f]{32})$/.exec(failed.body.error_description)?.[1];
    assert.ok(id, failed.text);
    await executionWritten(id);
    const execution = await call('getActionExecution', { path: `/api/v2/actions/executions/${id}`, token: admin, status: 200 });
    assert.equal(execution.body.status, 'partial');
    assert.match(execution.body.results[0].error.msg, /the database is down/);
  } finally {
    await bindOnly('credentials-exchange', []);
  }
  await call('requestToken', { form, status: 200 });
  await call('getActionExecution', { path: `/api/v2/actions/executions/${'0'.repeat(32)}`, token: admin, status: 404 });
  await call('getActionExecution', { path: '/api/v2/actions/executions/not-an-id', token: admin, status: 404 });

  // post-login: a deny goes back to the application as access_denied.
  const person = await createUser(tenant, admin);
  const refuse = await action(POST_LOGIN, "api.access.deny('Not today');", `event.user.email === ${JSON.stringify(person.email)}`);
  try {
    await bindOnly('post-login', [refuse]);
    const browser = new Browser(tenant);
    const query = authorizeQuery({ response_type: 'token', client_id: app.client_id, redirect_uri: `${tenant.baseUrl}/callback`, scope: 'openid', state: 'st' });
    const start = await browse('authorize', browser, `/authorize?${query}`, { status: 302 });
    const page = await browse('loginPage', browser, start.location, { status: 200 });
    const refused = await browse('loginSubmit', browser, `/u/login?${query}`, { form: { csrf: csrfField(page.text), email: person.email, password: person.password }, status: 302 });
    const params = fragmentParams(refused.location);
    assert.deepEqual([params.error, params.error_description, params.state, params.access_token], ['access_denied', 'Not today', 'st', undefined]);
  } finally {
    await bindOnly('post-login', []);
  }
  for (const a of [claim, deny, fail, refuse]) await api(tenant, admin, 'DELETE', `/api/v2/actions/actions/${a.id}`);
});

test('Management API: the hosts actions may fetch, a tenant setting', async () => {
  const set = await call('updateTenantSettings', { token: admin, json: { actions_allowed_hosts: ['api.example.com', '*.example.org', '127.0.0.1:8080'] }, status: 200 });
  assert.deepEqual(set.body.actions_allowed_hosts, ['api.example.com', '*.example.org', '127.0.0.1:8080']);
  for (const hosts of [['API.example.com'], ['https://api.example.com'], ['example.com:0'], Array.from({ length: 21 }, (_, i) => `h${i}.example.com`)]) {
    await call('updateTenantSettings', { token: admin, json: { actions_allowed_hosts: hosts }, status: 400 });
  }
  const closed = await call('updateTenantSettings', { token: admin, json: { actions_allowed_hosts: [] }, status: 200 });
  assert.deepEqual(closed.body.actions_allowed_hosts, []);
  assert.deepEqual((await call('getTenantSettings', { token: admin, status: 200 })).body.actions_allowed_hosts, []);
});

test('every path answers an unsupported method with 405, Allow and its family\'s error body', async () => {
  for (const [template, pathItem] of Object.entries(doc.paths)) {
    const documented = METHODS.filter((m) => pathItem[m]).map((m) => m.toUpperCase());
    const pathname = template.replace(/\{[^}]+\}/g, 'some-id');
    const unsupported = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !documented.includes(m));
    // QUERY is a method the `worker` crate does not know: it must not be
    // served as a GET.
    for (const method of [unsupported, 'QUERY']) {
      const res = await readAnswer(await fetch(new URL(pathname, tenant.baseUrl), { method, redirect: 'manual', headers: { authorization: `Bearer ${admin}` } }));
      assert.equal(res.status, 405, describe(method, pathname, res));
      const ref = pathItem['x-method-not-allowed'].$ref.slice(1);
      conform(res, { method, url: pathname, responseAt: ref });
      // Exactly what is served: the documented methods, and HEAD wherever
      // GET is (RFC 9110 §9.3.2).
      const allow = res.headers.get('allow').split(',').map((m) => m.trim());
      const served = documented.includes('GET') ? [...documented, 'HEAD'] : documented;
      assert.deepEqual(allow.sort(), served.sort(), `Allow of ${template}`);
    }
  }
});

test('unknown paths answer 404 in their family\'s format', async () => {
  for (const [pathname, responseAt] of [
    ['/api/v2/nothing-here', '/components/responses/ManagementNotFound'],
    ['/api/v2/clients/a/b/c', '/components/responses/ManagementNotFound'],
    ['/oauth/nothing-here', '/components/responses/OAuthNotFound'],
    ['/api/nothing-here', '/components/responses/OAuthNotFound'],
  ]) {
    const res = await readAnswer(await fetch(new URL(pathname, tenant.baseUrl)));
    assert.equal(res.status, 404, describe('GET', pathname, res));
    conform(res, { method: 'GET', url: pathname, responseAt });
  }
});

test('every operation was exercised, with every status it documents', () => {
  const missing = [];
  for (const op of operations.values()) {
    const statuses = seen.get(op.id);
    if (!statuses) {
      missing.push(`${op.id}: never called`);
      continue;
    }
    for (const [status, response] of Object.entries(op.operation.responses)) {
      const raceOnly = (response.$ref ? lookup(response.$ref.slice(1)) : response)?.['x-edge-tenant-race-only'] === true;
      if (!UNREACHABLE_STATUSES.has(status) && !raceOnly && !statuses.has(status)) {
        missing.push(`${op.id}: ${status} documented, never seen`);
      }
    }
  }
  assert.deepEqual(missing, [], 'the table covers the whole document');
});
