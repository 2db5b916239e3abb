// Sets up a local tenant so a newcomer can sign in at once: the sample API
// (the tenant's default audience, so the SPA's tokens are for it), a demo
// user, and an admin holding every Management API permission (who can use
// the Dashboard), each with a fresh random password. Idempotent: run it on
// every start.
//
//   node scripts/provision-dev.mjs <base-url> <bootstrap-client-id> <bootstrap-client-secret>
//
// Prints the logins as JSON on the last line of its output.

import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

export const SAMPLE_API = {
  identifier: 'urn:edge-tenant:sample-api',
  name: 'Sample API',
  scopes: [{ value: 'read:messages', description: 'Read your messages' }],
};
export const DEMO_EMAIL = 'demo@example.com';
export const ADMIN_EMAIL = 'admin@example.com';

async function call(baseUrl, token, method, path, body) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

function expect(result, statuses, what) {
  if (!statuses.includes(result.status)) {
    throw new Error(`${what}: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result.body;
}

/**
 * Provisions the demo tenant; returns the demo login `{ email, password,
 * audience }` and the admin's, `admin: { email, password, user_id }`.
 */
export async function provisionDemo(baseUrl, clientId, clientSecret) {
  const issuer = `${baseUrl}/`;
  const tokenResponse = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience: `${issuer}api/v2/`,
    }),
  });
  const token = expect(
    { status: tokenResponse.status, body: await tokenResponse.json() },
    [200],
    'Management API token',
  ).access_token;

  const apis = expect(await call(baseUrl, token, 'GET', '/api/v2/resource-servers?per_page=100'), [200], 'list APIs');
  if (!apis.some((api) => api.identifier === SAMPLE_API.identifier)) {
    expect(await call(baseUrl, token, 'POST', '/api/v2/resource-servers', SAMPLE_API), [201], 'create the sample API');
  }
  expect(
    await call(baseUrl, token, 'PATCH', '/api/v2/tenants/settings', { default_audience: SAMPLE_API.identifier }),
    [200],
    'set the default audience',
  );

  const demo = await upsertUser(baseUrl, token, DEMO_EMAIL, 'Demo User');
  const admin = await upsertUser(baseUrl, token, ADMIN_EMAIL, 'Tenant Admin');
  // An admin is a user with Management API permissions: all of them.
  const managementApi = apis.find((api) => api.is_system);
  expect(
    await call(baseUrl, token, 'POST', `/api/v2/users/${encodeURIComponent(admin.userId)}/permissions`, {
      permissions: managementApi.scopes.map((scope) => ({
        resource_server_identifier: managementApi.identifier,
        permission_name: scope.value,
      })),
    }),
    [201],
    'make the admin an admin',
  );
  return {
    email: DEMO_EMAIL,
    password: demo.password,
    audience: SAMPLE_API.identifier,
    admin: { email: ADMIN_EMAIL, password: admin.password, user_id: admin.userId },
  };
}

/**
 * Creates the user, or gives an existing one a new password: a fresh
 * password on every start, so the printed login is always current.
 * Returns `{ userId, password }`.
 */
async function upsertUser(baseUrl, token, email, name) {
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const found = expect(
    await call(baseUrl, token, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`),
    [200],
    `find ${email}`,
  );
  if (found.length > 0) {
    const userId = found[0].user_id;
    expect(
      await call(baseUrl, token, 'PATCH', `/api/v2/users/${encodeURIComponent(userId)}`, { password }),
      [200],
      `reset the password of ${email}`,
    );
    return { userId, password };
  }
  const created = expect(
    await call(baseUrl, token, 'POST', '/api/v2/users', {
      connection: 'Username-Password-Authentication',
      email,
      password,
      name,
      email_verified: true,
    }),
    [201],
    `create ${email}`,
  );
  return { userId: created.user_id, password };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [baseUrl, clientId, clientSecret] = process.argv.slice(2);
  if (!baseUrl || !clientId || !clientSecret) {
    console.error('usage: node scripts/provision-dev.mjs <base-url> <client-id> <client-secret>');
    process.exit(2);
  }
  const login = await provisionDemo(baseUrl.replace(/\/$/, ''), clientId, clientSecret);
  console.log(JSON.stringify(login));
}
