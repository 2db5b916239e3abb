// Organizations: machine-to-machine access per customer, as a team that
// sells an API to other companies sets it up. The organizations, their
// links to client grants and their members are made with the official Auth0
// Node SDK (`auth0`), as Auth0's users write it; tokens are asked for with
// the raw form request of the reference page (call-your-api-client-
// credentials: grant_type, client_id, client_secret, audience,
// organization) and with `openid-client`, and verified with `jose` against
// the tenant's JWKS, as an API would. Then every refusal, and what stops an
// organization being accepted: unlinking it and deleting it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as oidc from 'openid-client';

import {
  api,
  auditLog,
  auth0Sdk,
  createApi,
  createM2MClient,
  createUser,
  mgmtToken,
  randomName,
  startTenant,
  tokenRequest,
  userPath,
  verifyAccessToken,
} from './harness.mjs';

let tenant;
let admin;
let management;

before(async () => {
  tenant = await startTenant();
  admin = await mgmtToken(tenant);
  management = auth0Sdk(tenant);
});

after(async () => {
  await tenant?.stop();
});

/** The reference page's request, as a form. */
function orgToken(client, audience, organization, extra = {}) {
  const form = {
    grant_type: 'client_credentials',
    client_id: client.client_id,
    client_secret: client.client_secret,
    audience,
    ...extra,
  };
  if (organization !== undefined) form.organization = organization;
  return tokenRequest(tenant.baseUrl, { form });
}

/** An API, an M2M app and its grant with these organization settings. */
async function customerIntegration(grantSettings = {}) {
  const resourceServer = await createApi(tenant, admin, { signing_alg: 'RS256' });
  const client = await createM2MClient(tenant, admin);
  const grant = await management.clientGrants.create({
    client_id: client.client_id,
    audience: resourceServer.identifier,
    scope: ['read:things'],
    ...grantSettings,
  });
  return { resourceServer, client, grant };
}

async function newOrganization(overrides = {}) {
  return management.organizations.create({ name: randomName('org'), display_name: 'Customer Inc.', ...overrides });
}

/** Verifies an access token as the API would; returns its claims. */
async function claimsOf(res, resourceServer) {
  assert.equal(res.status, 200, res.text);
  const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
    audience: resourceServer.identifier,
    algorithm: 'RS256',
  });
  return payload;
}

function assertRefusal(res, status, error, description) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body?.error, error, res.text);
  if (description instanceof RegExp) assert.match(res.body.error_description, description);
  else assert.equal(res.body.error_description, description);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.body.access_token, undefined);
}

async function setOrganizationNames(allowed) {
  const settings = await management.tenants.settings.update({ allow_organization_name_in_authentication_api: allowed });
  assert.equal(settings.allow_organization_name_in_authentication_api, allowed);
}

describe('machine-to-machine access for an organization', () => {
  test('an app linked to a customer organization gets tokens that name it, by id or by name', async () => {
    const { resourceServer, client, grant } = await customerIntegration({ organization_usage: 'allow' });
    assert.equal(grant.organization_usage, 'allow');
    assert.equal(grant.allow_any_organization, false);
    const organization = await newOrganization();
    assert.match(organization.id, /^org_[A-Za-z0-9]{16}$/);
    const linked = await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    assert.equal(linked.id, grant.id);
    assert.equal(linked.audience, resourceServer.identifier);

    // By id, org_name only once the tenant allows names.
    let claims = await claimsOf(await orgToken(client, resourceServer.identifier, organization.id), resourceServer);
    assert.equal(claims.org_id, organization.id);
    assert.equal(claims.org_name, undefined);
    assert.equal(claims.gty, 'client-credentials');
    assert.equal(claims.sub, `${client.client_id}@clients`);
    claims = await claimsOf(await orgToken(client, resourceServer.identifier, organization.name), resourceServer);
    assert.equal(claims.org_id, organization.id, 'a name finds the same organization');

    await setOrganizationNames(true);
    try {
      claims = await claimsOf(await orgToken(client, resourceServer.identifier, organization.name), resourceServer);
      assert.equal(claims.org_id, organization.id);
      assert.equal(claims.org_name, organization.name);
    } finally {
      await setOrganizationNames(false);
    }

    // The grant allows organizations without requiring one; JSON's null is
    // absent, as Auth0's SDKs send it.
    const none = await tokenRequest(tenant.baseUrl, {
      json: {
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        audience: resourceServer.identifier,
        organization: null,
      },
    });
    assert.equal((await claimsOf(none, resourceServer)).org_id, undefined);
  });

  test('openid-client asks for a token for an organization with an extra parameter', async () => {
    const { resourceServer, client, grant } = await customerIntegration({ organization_usage: 'require' });
    const organization = await newOrganization();
    await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    const config = await oidc.discovery(new URL(tenant.issuer), client.client_id, client.client_secret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const tokens = await oidc.clientCredentialsGrant(config, {
      audience: resourceServer.identifier,
      organization: organization.id,
    });
    const { payload } = await verifyAccessToken(tenant, tokens.access_token, {
      audience: resourceServer.identifier,
      algorithm: 'RS256',
    });
    assert.equal(payload.org_id, organization.id);
  });

  test('each refusal is its own OAuth error, and none issues a token', async () => {
    const organization = await newOrganization();

    // The default grant denies organizations.
    const denied = await customerIntegration();
    assert.equal(denied.grant.organization_usage, 'deny');
    assertRefusal(
      await orgToken(denied.client, denied.resourceServer.identifier, organization.id),
      400,
      'invalid_request',
      'parameter organization is not allowed for this client',
    );

    // A grant that requires one, asked without.
    const required = await customerIntegration({ organization_usage: 'require' });
    assertRefusal(
      await orgToken(required.client, required.resourceServer.identifier),
      400,
      'invalid_request',
      'parameter organization is required for this client',
    );

    // An organization that does not exist, by id and by name.
    for (const unknown of ['org_AAAAAAAAAAAAAAAA', 'no-such-customer']) {
      assertRefusal(
        await orgToken(required.client, required.resourceServer.identifier, unknown),
        400,
        'invalid_request',
        `parameter organization is invalid: ${unknown}`,
      );
    }

    // One that exists, but the grant is not linked to it.
    assertRefusal(
      await orgToken(required.client, required.resourceServer.identifier, organization.id),
      403,
      'access_denied',
      /^Client is not authorized to access ".*" for organization ".*"/,
    );

    // Linked: the same request succeeds.
    await management.organizations.clientGrants.create(organization.id, { grant_id: required.grant.id });
    const claims = await claimsOf(
      await orgToken(required.client, required.resourceServer.identifier, organization.id),
      required.resourceServer,
    );
    assert.equal(claims.org_id, organization.id);
  });

  test('a grant that allows any organization needs no link; a required one falls back on the client default', async () => {
    const { resourceServer, client, grant } = await customerIntegration({
      organization_usage: 'require',
      allow_any_organization: true,
    });
    const organization = await newOrganization();
    const claims = await claimsOf(await orgToken(client, resourceServer.identifier, organization.id), resourceServer);
    assert.equal(claims.org_id, organization.id);

    const updated = await management.clients.update(client.client_id, {
      default_organization: { organization_id: organization.id, flows: ['client_credentials'] },
    });
    assert.deepEqual(updated.default_organization, { organization_id: organization.id, flows: ['client_credentials'] });
    const fallback = await claimsOf(await orgToken(client, resourceServer.identifier), resourceServer);
    assert.equal(fallback.org_id, organization.id, 'the default organization applies');

    // The SDK lists grants that allow any organization (checkpoints).
    const anyPage = await management.clientGrants.list({ allow_any_organization: true, client_id: client.client_id });
    assert.deepEqual(anyPage.data.map((g) => g.id), [grant.id]);
    const onePage = await management.clientGrants.list({ allow_any_organization: false, client_id: client.client_id });
    assert.deepEqual(onePage.data, []);
  });

  test('unlinking a grant or deleting an organization stops tokens for it at once here', async () => {
    const { resourceServer, client, grant } = await customerIntegration({ organization_usage: 'allow' });
    const organization = await newOrganization();
    await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    await claimsOf(await orgToken(client, resourceServer.identifier, organization.id), resourceServer);

    const linkedOrgs = await management.clientGrants.organizations.list(grant.id);
    assert.deepEqual(linkedOrgs.data.map((o) => o.id), [organization.id]);

    await management.organizations.clientGrants.delete(organization.id, grant.id);
    assertRefusal(await orgToken(client, resourceServer.identifier, organization.id), 403, 'access_denied', /for organization/);

    await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    await claimsOf(await orgToken(client, resourceServer.identifier, organization.name), resourceServer);
    await management.organizations.delete(organization.id);
    for (const named of [organization.id, organization.name]) {
      assertRefusal(
        await orgToken(client, resourceServer.identifier, named),
        400,
        'invalid_request',
        `parameter organization is invalid: ${named}`,
      );
    }
    // The grant itself still works without an organization.
    await claimsOf(await orgToken(client, resourceServer.identifier), resourceServer);
  });
});

describe('the Management API through the Auth0 Node SDK', () => {
  test('organizations are created, found by name, paged, updated and deleted', async () => {
    const prefix = randomName('page');
    const made = [];
    for (const suffix of ['c', 'a', 'b']) made.push(await newOrganization({ name: `${prefix}-${suffix}` }));
    const byName = await management.organizations.getByName(`${prefix}-a`);
    assert.equal(byName.id, made[1].id);
    assert.equal(byName.display_name, 'Customer Inc.');

    // The SDK pages with checkpoints; walk every page, two at a time.
    const names = [];
    let page = await management.organizations.list({ take: 2 });
    for (;;) {
      assert.ok(page.data.length <= 2);
      names.push(...page.data.map((o) => o.name));
      if (!page.hasNextPage()) break;
      page = await page.getNextPage();
    }
    assert.deepEqual(names.filter((n) => n.startsWith(prefix)), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    assert.deepEqual([...names].sort(), names, 'listed by name');

    const updated = await management.organizations.update(made[0].id, {
      display_name: 'Renamed Inc.',
      metadata: { plan: 'enterprise' },
      branding: { logo_url: 'https://cdn.example/logo.png', colors: { primary: '#635dff', page_background: '#ffffff' } },
    });
    assert.equal(updated.display_name, 'Renamed Inc.');
    assert.deepEqual(updated.metadata, { plan: 'enterprise' });
    assert.equal(updated.branding.colors.primary, '#635dff');
    assert.equal((await management.organizations.get(made[0].id)).display_name, 'Renamed Inc.');

    // Auth0's errors: 409 for a name taken, 400 naming the field, 404.
    await assert.rejects(management.organizations.create({ name: `${prefix}-a` }), (err) => {
      assert.equal(err.statusCode, 409);
      return true;
    });
    const bad = await api(tenant, admin, 'POST', '/api/v2/organizations', { name: 'Not Lowercase' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /'name'/);
    await management.organizations.delete(made[2].id);
    await assert.rejects(management.organizations.get(made[2].id), (err) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.body.errorCode, 'inexistent_organization');
      return true;
    });
  });

  test('members are added, listed, found from the user and removed', async () => {
    const organization = await newOrganization();
    const ada = (await createUser(tenant, admin, { name: 'Ada' })).user;
    const grace = (await createUser(tenant, admin, { name: 'Grace' })).user;
    await management.organizations.members.create(organization.id, { members: [ada.user_id, grace.user_id] });
    const members = await management.organizations.members.list(organization.id);
    assert.deepEqual(members.data.map((m) => m.user_id).sort(), [ada.user_id, grace.user_id].sort());
    assert.ok(members.data.every((m) => typeof m.email === 'string'));
    const orgsOfAda = await management.users.organizations.list(ada.user_id);
    assert.deepEqual(orgsOfAda.data.map((o) => o.id), [organization.id]);

    // A user that does not exist refuses the whole call and adds no one.
    const refused = await api(tenant, admin, 'POST', `/api/v2/organizations/${organization.id}/members`, {
      members: ['auth0|000000000000000000000000'],
    });
    assert.equal(refused.status, 400, refused.text);

    await management.organizations.members.delete(organization.id, { members: [grace.user_id] });
    const after = await management.organizations.members.list(organization.id);
    assert.deepEqual(after.data.map((m) => m.user_id), [ada.user_id]);

    // Deleting the user ends the membership.
    assert.equal((await api(tenant, admin, 'DELETE', userPath(ada.user_id))).status, 204);
    assert.deepEqual((await management.organizations.members.list(organization.id)).data, []);
  });

  test('an organization lists the grants linked to it, filtered', async () => {
    const organization = await newOrganization();
    const first = await customerIntegration({ organization_usage: 'allow' });
    const second = await customerIntegration({ organization_usage: 'require' });
    for (const { grant } of [first, second]) {
      await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    }
    await assert.rejects(
      management.organizations.clientGrants.create(organization.id, { grant_id: first.grant.id }),
      (err) => err.statusCode === 409,
    );
    const all = await management.organizations.clientGrants.list(organization.id);
    assert.deepEqual(all.data.map((g) => g.id).sort(), [first.grant.id, second.grant.id].sort());
    const one = await management.organizations.clientGrants.list(organization.id, { audience: second.resourceServer.identifier });
    assert.deepEqual(one.data.map((g) => [g.id, g.organization_usage]), [[second.grant.id, 'require']]);
  });

  test('the Management API refuses organization settings it cannot honour, writing nothing', async () => {
    const client = await createM2MClient(tenant, admin);
    const managementGrant = await api(tenant, admin, 'POST', '/api/v2/client-grants', {
      client_id: client.client_id,
      audience: `${tenant.issuer}api/v2/`,
      scope: ['read:clients'],
      organization_usage: 'allow',
    });
    assert.equal(managementGrant.status, 400, managementGrant.text);
    const prompt = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, {
      organization_require_behavior: 'post_login_prompt',
    });
    assert.equal(prompt.status, 400, prompt.text);
    const unknownDefault = await api(tenant, admin, 'PATCH', `/api/v2/clients/${client.client_id}`, {
      default_organization: { organization_id: 'org_AAAAAAAAAAAAAAAA', flows: ['client_credentials'] },
    });
    assert.equal(unknownDefault.status, 400, unknownDefault.text);
    const unchanged = await api(tenant, admin, 'GET', `/api/v2/clients/${client.client_id}`);
    assert.equal(unchanged.body.organization_require_behavior, 'no_prompt');
    assert.equal(unchanged.body.default_organization, null);
  });

  test('every change to organizations is in the audit log', async () => {
    const organization = await newOrganization();
    const { grant } = await customerIntegration({ organization_usage: 'allow' });
    await management.organizations.clientGrants.create(organization.id, { grant_id: grant.id });
    const { user } = await createUser(tenant, admin);
    await management.organizations.members.create(organization.id, { members: [user.user_id] });
    await management.organizations.update(organization.id, { display_name: 'Audited' });
    await management.organizations.delete(organization.id);
    const events = (await auditLog(tenant)).filter((event) => event.details.target?.id === organization.id);
    assert.ok(events.every((event) => event.type === 'sapi' && event.details.target.type === 'organization'));
    const descriptions = events.map((event) => event.description);
    for (const expected of [
      'Create an organization',
      'Associate a client grant with an organization',
      'Add members to an organization',
      'Update an organization',
      'Delete an organization',
    ]) {
      assert.ok(descriptions.includes(expected), `${expected} in ${JSON.stringify(descriptions)}`);
    }
  });
});
