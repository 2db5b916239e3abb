// The benchmark's peer: npm `oidc-provider` (in memory) configured like our
// hot path, `client_credentials` issuing EdDSA-signed JWT access tokens
// (RFC 9068) for a resource indicator (RFC 8707, the standard form of
// Auth0's `audience`).
//
//   node bench/peer/server.mjs <port> <client_id> <client_secret> <resource>
//
// Prints `ready` once it listens. Not a production configuration: keys are
// generated at start and nothing is persisted.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const [port, clientId, clientSecret, resource] = process.argv.slice(2);
if (!resource) {
  console.error('usage: server.mjs <port> <client_id> <client_secret> <resource>');
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('ed25519');
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'peer-ed25519', alg: 'EdDSA', use: 'sig' };
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  jwks: { keys: [jwk] },
  ttl: { ClientCredentials: 86400 },
  enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'read:things',
          audience: resource,
          accessTokenTTL: 86400,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'EdDSA' } },
        };
      },
    },
  },
});

provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
