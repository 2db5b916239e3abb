// Discovery: what a relying party or an API reads before it talks to the
// tenant: OpenID Connect Discovery 1.0, RFC 8414 metadata and the JWKS.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { importJWK } from 'jose';
import * as oidc from 'openid-client';

import { startTenant } from './harness.mjs';

let tenant;

before(async () => {
  tenant = await startTenant();
});

after(async () => {
  await tenant?.stop();
});

async function getJson(url) {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

test('a relying party reads the OpenID configuration and finds every endpoint under the issuer', async () => {
  const res = await getJson(`${tenant.baseUrl}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const doc = res.body;

  // Byte-identical to the issuer every token carries, trailing slash included.
  assert.equal(doc.issuer, tenant.issuer);
  assert.equal(doc.authorization_endpoint, `${tenant.issuer}authorize`);
  assert.equal(doc.token_endpoint, `${tenant.issuer}oauth/token`);
  assert.equal(doc.registration_endpoint, `${tenant.issuer}oidc/register`);
  assert.equal(doc.jwks_uri, `${tenant.issuer}.well-known/jwks.json`);
  assert.equal(typeof doc.userinfo_endpoint, 'string');
  assert.ok(doc.userinfo_endpoint.startsWith(tenant.issuer), `userinfo_endpoint ${doc.userinfo_endpoint}`);

  for (const member of [
    'scopes_supported',
    'response_types_supported',
    'grant_types_supported',
    'subject_types_supported',
    'id_token_signing_alg_values_supported',
    'token_endpoint_auth_methods_supported',
  ]) {
    assert.ok(Array.isArray(doc[member]) && doc[member].length > 0, `${member} is a non-empty array`);
    for (const value of doc[member]) assert.equal(typeof value, 'string', `${member} holds strings`);
  }
  assert.ok(doc.grant_types_supported.includes('client_credentials'), 'client_credentials grant advertised');
  assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'), 'RS256 advertised for ID tokens');
  assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_post'));
  assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
});

test('the RFC 8414 authorization server metadata names the same issuer and endpoints', async () => {
  const oidcDoc = (await getJson(`${tenant.baseUrl}/.well-known/openid-configuration`)).body;
  const res = await getJson(`${tenant.baseUrl}/.well-known/oauth-authorization-server`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.body.issuer, tenant.issuer);
  assert.equal(res.body.issuer, oidcDoc.issuer);
  assert.equal(res.body.token_endpoint, oidcDoc.token_endpoint);
  assert.equal(res.body.jwks_uri, oidcDoc.jwks_uri);
  assert.ok(res.body.grant_types_supported.includes('client_credentials'));
});

test('the JWKS publishes an RS256 and an Ed25519 signing key and no private key material', async () => {
  const res = await getJson(`${tenant.baseUrl}/.well-known/jwks.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /json/);
  assert.ok(Array.isArray(res.body.keys) && res.body.keys.length >= 2, `keys: ${res.text}`);

  const kids = new Set();
  for (const key of res.body.keys) {
    assert.equal(typeof key.kid, 'string', `kid of ${JSON.stringify(key)}`);
    assert.ok(key.kid.length > 0);
    assert.ok(!kids.has(key.kid), `kid ${key.kid} is unique`);
    kids.add(key.kid);
    assert.equal(typeof key.alg, 'string', `alg of ${key.kid}`);
    assert.equal(key.use, 'sig', `use of ${key.kid}`);
    for (const member of PRIVATE_JWK_MEMBERS) {
      assert.ok(!(member in key), `key ${key.kid} must not publish private member "${member}"`);
    }
  }
  // Also search the raw text, so private material cannot hide in a nested or
  // oddly-cased member either.
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
    assert.ok(!res.text.includes(`"${member}":`), `JWKS text contains "${member}":`);
  }

  const rsa = res.body.keys.find((k) => k.kty === 'RSA' && k.alg === 'RS256');
  assert.ok(rsa, 'an RS256 RSA key is published');
  assert.equal(typeof rsa.n, 'string');
  assert.equal(typeof rsa.e, 'string');
  assert.ok(Buffer.from(rsa.n, 'base64url').length >= 256, 'RSA modulus is at least 2048 bits');
  const rsaKey = await importJWK(rsa, 'RS256');
  assert.equal(rsaKey.type, 'public');

  const ed = res.body.keys.find((k) => k.kty === 'OKP' && k.crv === 'Ed25519');
  assert.ok(ed, 'an Ed25519 OKP key is published');
  assert.equal(ed.alg, 'EdDSA');
  assert.equal(Buffer.from(ed.x, 'base64url').length, 32, 'Ed25519 public key is 32 bytes');
  const edKey = await importJWK(ed, 'EdDSA');
  assert.equal(edKey.type, 'public');
});

test('openid-client discovers the tenant from its issuer URL', async () => {
  // openid-client v6 refuses plain-http endpoints unless the configuration
  // opts in with allowInsecureRequests; the local tenant is served over http
  // on the loopback interface, so the test opts in (production is https).
  const config = await oidc.discovery(
    new URL(tenant.issuer),
    tenant.bootstrap.clientId,
    undefined,
    oidc.ClientSecretPost(tenant.bootstrap.clientSecret),
    { execute: [oidc.allowInsecureRequests] },
  );
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, tenant.issuer);
  assert.equal(metadata.token_endpoint, `${tenant.issuer}oauth/token`);
  assert.equal(metadata.jwks_uri, `${tenant.issuer}.well-known/jwks.json`);
  assert.equal(config.clientMetadata().client_id, tenant.bootstrap.clientId);
});

test('openid-client discovers the tenant through RFC 8414 metadata', async () => {
  // Same reason for allowInsecureRequests as above: plain http on loopback.
  const config = await oidc.discovery(
    new URL(tenant.issuer),
    tenant.bootstrap.clientId,
    undefined,
    oidc.ClientSecretPost(tenant.bootstrap.clientSecret),
    { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
  );
  assert.equal(config.serverMetadata().issuer, tenant.issuer);
  assert.equal(config.serverMetadata().token_endpoint, `${tenant.issuer}oauth/token`);
});
