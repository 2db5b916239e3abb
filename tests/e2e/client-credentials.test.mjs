// The machine-to-machine flow end to end, over HTTP only: the bootstrap
// client provisions an API, a client and a grant through the Management API;
// the client gets access tokens (form, JSON, HTTP Basic, and through an
// independent OAuth library); the tokens verify against the published JWKS
// like any API would check them; and the tenant's sample API accepts them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import {
  api,
  getAccessToken,
  mgmtToken,
  provisionM2M,
  startTenant,
  tokenRequest,
  verifyAccessToken,
} from './harness.mjs';

let tenant;
let adminToken;
let jwksKeys;

before(async () => {
  tenant = await startTenant();
  adminToken = await mgmtToken(tenant);
  jwksKeys = (await (await fetch(`${tenant.baseUrl}/.well-known/jwks.json`)).json()).keys;
});

after(async () => {
  await tenant?.stop();
});

/**
 * Checks a token endpoint success response and the access token in it the
 * way an API owner would: RFC 6749 §5.1 response, RFC 9068 JWT verified with
 * jose against the JWKS, every claim the contract promises. Returns the
 * verified claims.
 */
async function assertAccessToken(res, { resourceServer, client, scopes }) {
  assert.equal(res.status, 200, `token response: ${res.text}`);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = res.body;
  assert.equal(typeof body.access_token, 'string');
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, resourceServer.token_lifetime);
  assert.equal(typeof body.scope, 'string', 'scope is in the token response');
  assert.deepEqual(body.scope.split(' ').sort(), [...scopes].sort());

  return assertJwt(body.access_token, { resourceServer, client, scopes });
}

async function assertJwt(accessToken, { resourceServer, client, scopes }) {
  const now = Math.floor(Date.now() / 1000);
  const { payload, protectedHeader } = await verifyAccessToken(tenant, accessToken, {
    audience: resourceServer.identifier,
    algorithm: resourceServer.signing_alg,
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(protectedHeader.alg, resourceServer.signing_alg);
  const key = jwksKeys.find((k) => k.kid === protectedHeader.kid);
  assert.ok(key, `kid ${protectedHeader.kid} is published in the JWKS`);
  assert.equal(key.alg, resourceServer.signing_alg);

  assert.equal(payload.iss, tenant.issuer);
  assert.equal(payload.sub, `${client.client_id}@clients`);
  assert.equal(payload.aud, resourceServer.identifier);
  assert.equal(payload.azp, client.client_id);
  // RFC 9068 §2.2 makes client_id a required claim of JWT access tokens.
  assert.equal(payload.client_id, client.client_id);
  assert.equal(payload.gty, 'client-credentials');
  assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp));
  assert.ok(Math.abs(payload.iat - now) <= 60, `iat ${payload.iat} is now (${now})`);
  assert.equal(payload.exp - payload.iat, resourceServer.token_lifetime);
  assert.equal(typeof payload.jti, 'string');
  assert.ok(payload.jti.length > 0);
  assert.equal(typeof payload.scope, 'string');
  assert.deepEqual(payload.scope.split(' ').sort(), [...scopes].sort());
  return payload;
}

/** The tenant's sample API accepts the token and reports its claims. */
async function assertWhoamiAccepts(accessToken, claims) {
  const res = await api(tenant, accessToken, 'GET', '/api/whoami');
  assert.equal(res.status, 200, `whoami: ${res.text}`);
  assert.equal(res.body.iss, tenant.issuer);
  assert.equal(res.body.sub, claims.sub);
  assert.deepEqual(res.body.aud, claims.aud);
  assert.equal(res.body.scope, claims.scope);
}

async function discover(clientId, clientAuth) {
  // openid-client v6 refuses plain-http endpoints unless the configuration
  // opts in with allowInsecureRequests; the local tenant is served over http
  // on loopback, so the tests opt in.
  return oidc.discovery(new URL(tenant.issuer), clientId, undefined, clientAuth, {
    execute: [oidc.allowInsecureRequests],
  });
}

for (const signingAlg of ['EdDSA', 'RS256']) {
  describe(`an API that signs with ${signingAlg}`, () => {
    const apiOverrides = { signing_alg: signingAlg };

    test(`an M2M app gets an ${signingAlg}-signed token with a form post and the API accepts it`, async () => {
      const { resourceServer, client } = await provisionM2M(tenant, adminToken, { apiOverrides });
      assert.equal(resourceServer.signing_alg, signingAlg);
      const res = await tokenRequest(tenant.baseUrl, {
        form: {
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
          audience: resourceServer.identifier,
        },
      });
      const claims = await assertAccessToken(res, { resourceServer, client, scopes: ['read:things'] });
      await assertWhoamiAccepts(res.body.access_token, claims);
    });

    test(`an M2M app gets an ${signingAlg}-signed token with a JSON body and the API accepts it`, async () => {
      const { resourceServer, client } = await provisionM2M(tenant, adminToken, { apiOverrides });
      const res = await tokenRequest(tenant.baseUrl, {
        json: {
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
          audience: resourceServer.identifier,
          // Auth0 SDKs send an explicit null when no organization is chosen.
          organization: null,
        },
      });
      const claims = await assertAccessToken(res, { resourceServer, client, scopes: ['read:things'] });
      await assertWhoamiAccepts(res.body.access_token, claims);
    });

    test(`an M2M app registered for HTTP Basic gets an ${signingAlg}-signed token and the API accepts it`, async () => {
      const { resourceServer, client } = await provisionM2M(tenant, adminToken, {
        apiOverrides,
        clientOverrides: { token_endpoint_auth_method: 'client_secret_basic' },
      });
      assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
      const res = await tokenRequest(tenant.baseUrl, {
        basic: { clientId: client.client_id, clientSecret: client.client_secret },
        form: { grant_type: 'client_credentials', audience: resourceServer.identifier },
      });
      const claims = await assertAccessToken(res, { resourceServer, client, scopes: ['read:things'] });
      await assertWhoamiAccepts(res.body.access_token, claims);
    });

    test(`openid-client gets an ${signingAlg}-signed token with client_secret_post and the API accepts it`, async () => {
      const { resourceServer, client } = await provisionM2M(tenant, adminToken, { apiOverrides });
      const config = await discover(client.client_id, oidc.ClientSecretPost(client.client_secret));
      const tokens = await oidc.clientCredentialsGrant(config, { audience: resourceServer.identifier });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.expires_in, resourceServer.token_lifetime);
      assert.equal(tokens.scope, 'read:things');
      const claims = await assertJwt(tokens.access_token, { resourceServer, client, scopes: ['read:things'] });
      await assertWhoamiAccepts(tokens.access_token, claims);
    });

    test(`openid-client gets an ${signingAlg}-signed token with client_secret_basic and the API accepts it`, async () => {
      const { resourceServer, client } = await provisionM2M(tenant, adminToken, {
        apiOverrides,
        clientOverrides: { token_endpoint_auth_method: 'client_secret_basic' },
      });
      const config = await discover(client.client_id, oidc.ClientSecretBasic(client.client_secret));
      const tokens = await oidc.clientCredentialsGrant(config, { audience: resourceServer.identifier });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      const claims = await assertJwt(tokens.access_token, { resourceServer, client, scopes: ['read:things'] });
      await assertWhoamiAccepts(tokens.access_token, claims);
    });
  });
}

test('asking for one of two granted scopes gives a token with exactly that scope', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, adminToken, {
    grantScopes: ['read:things', 'write:things'],
  });
  const res = await tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: resourceServer.identifier,
      scope: 'read:things',
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.scope, 'read:things');
  const claims = await assertJwt(res.body.access_token, { resourceServer, client, scopes: ['read:things'] });
  assert.equal(claims.scope, 'read:things');
});

test('without a scope parameter the token carries every granted scope', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, adminToken, {
    grantScopes: ['read:things', 'write:things'],
  });
  const res = await tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      audience: resourceServer.identifier,
    },
  });
  await assertAccessToken(res, { resourceServer, client, scopes: ['read:things', 'write:things'] });
});

test("an API's token lifetime sets when its tokens expire", async () => {
  const { resourceServer, client } = await provisionM2M(tenant, adminToken, {
    apiOverrides: { token_lifetime: 3600 },
  });
  assert.equal(resourceServer.token_lifetime, 3600);
  const body = await getAccessToken(tenant.baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: resourceServer.identifier,
  });
  assert.equal(body.expires_in, 3600);
  const claims = await assertJwt(body.access_token, { resourceServer, client, scopes: ['read:things'] });
  assert.equal(claims.exp - claims.iat, 3600);
});

test('an API created without a token lifetime issues tokens valid for a day', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, adminToken);
  assert.equal(resourceServer.token_lifetime, 86400);
  const body = await getAccessToken(tenant.baseUrl, {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: resourceServer.identifier,
  });
  assert.equal(body.expires_in, 86400);
  const claims = await assertJwt(body.access_token, { resourceServer, client, scopes: ['read:things'] });
  assert.equal(claims.exp - claims.iat, 86400);
});

test('two tokens for the same client and API have different jti', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, adminToken);
  const credentials = {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    audience: resourceServer.identifier,
  };
  const first = await getAccessToken(tenant.baseUrl, credentials);
  const second = await getAccessToken(tenant.baseUrl, credentials);
  const a = await assertJwt(first.access_token, { resourceServer, client, scopes: ['read:things'] });
  const b = await assertJwt(second.access_token, { resourceServer, client, scopes: ['read:things'] });
  assert.notEqual(a.jti, b.jti);
});

test('the bootstrap client gets a Management API token that the Management API accepts', async () => {
  const audience = `${tenant.issuer}api/v2/`;
  const apis = await api(tenant, adminToken, 'GET', '/api/v2/resource-servers');
  assert.equal(apis.status, 200, apis.text);
  const managementApi = apis.body.find((rs) => rs.identifier === audience);
  assert.ok(managementApi, 'the Management API is listed');

  const res = await tokenRequest(tenant.baseUrl, {
    form: {
      grant_type: 'client_credentials',
      client_id: tenant.bootstrap.clientId,
      client_secret: tenant.bootstrap.clientSecret,
      audience,
    },
  });
  assert.equal(res.status, 200, res.text);
  const { payload, protectedHeader } = await verifyAccessToken(tenant, res.body.access_token, {
    audience,
    algorithm: managementApi.signing_alg,
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(payload.iss, tenant.issuer);
  assert.equal(payload.sub, `${tenant.bootstrap.clientId}@clients`);
  assert.ok(payload.scope.split(' ').includes('read:clients'));
  const list = await api(tenant, res.body.access_token, 'GET', '/api/v2/clients');
  assert.equal(list.status, 200, list.text);
  assert.ok(Array.isArray(list.body));
});
