// The Dashboard in a real browser: an admin signs in through the tenant's
// own login page and does, by clicking, what the reference pages do in the
// Auth0 Dashboard; every result is then checked where a developer would
// check it: at /oauth/token, /oidc/register or the Management API.
//
// One tenant and one Chromium for the file; each test gets a fresh browser
// context (no cookies, no storage). The admin and the demo user are
// provisioned exactly as the README's dev command does. Screenshots of every
// page land in tests/artifacts/ (git-ignored).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { provisionDemo } from '../../scripts/provision-dev.mjs';
import { CHROMIUM_OPTIONS, screenshot } from './browser.mjs';
import {
  api,
  appConfig,
  authorizeQuery,
  Browser,
  createAdmin,
  createUser,
  decodeJwt,
  hostedLogin,
  managementAudience,
  mgmtToken,
  provisionM2M,
  randomEmail,
  randomName,
  registerClient,
  setDynamicRegistration,
  startTenant,
  tokenRequest,
  updateTenantSettings,
  userPath,
  verifyAccessToken,
} from './harness.mjs';

/** How long the SPA may take to render a step (wasm load, API calls). */
const UI_TIMEOUT = 20_000;

let tenant;
let chromiumBrowser;
let logins; // { email, password, admin: { email, password, user_id } }
let token; // the bootstrap client's Management API token

before(async () => {
  tenant = await startTenant();
  logins = await provisionDemo(tenant.baseUrl, tenant.bootstrap.clientId, tenant.bootstrap.clientSecret);
  token = await mgmtToken(tenant);
  chromiumBrowser = await chromium.launch(CHROMIUM_OPTIONS);
});

after(async () => {
  await chromiumBrowser?.close();
  await tenant?.stop();
});

// ---------------------------------------------------------------------------
// Helpers

function url(path) {
  return `${tenant.baseUrl}${path}`;
}

/** A fresh context and page that records script and console errors. */
async function freshPage({ clipboard = false } = {}) {
  const context = await chromiumBrowser.newContext(
    clipboard ? { permissions: ['clipboard-read', 'clipboard-write'] } : {},
  );
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`pageerror: ${err}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer to fetch(); the tests expect some.
    const refused = /^Failed to load resource: the server responded with a status of 4\d\d/;
    if (msg.type() === 'error' && !refused.test(msg.text())) page.problems.push(`console: ${msg.text()}`);
  });
  return { context, page };
}

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'no script or console errors');
}

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

/**
 * Opens `path` under /dashboard, is sent to the hosted login, signs in and
 * waits until the Dashboard (or its "not allowed" page) shows.
 */
async function signIn(page, { email, password }, path = '/dashboard') {
  await page.goto(url(path));
  await page.getByTestId('login-form').waitFor({ timeout: UI_TIMEOUT });
  assert.equal(new URL(page.url()).pathname, '/u/login', 'the Dashboard sends people to the hosted login');
  await page.locator('[data-testid="login-form"] input[name="email"]').fill(email);
  await page.locator('[data-testid="login-form"] input[name="password"]').fill(password);
  await page.getByTestId('login-submit').click();
  await page
    .getByTestId('dashboard')
    .or(page.getByTestId('not-allowed-page'))
    .or(page.getByTestId('dashboard-auth-error'))
    .first()
    .waitFor({ timeout: UI_TIMEOUT });
  if ((await page.getByTestId('dashboard-auth-error').count()) > 0) {
    throw new Error(`sign-in failed: ${await text(page, 'dashboard-auth-error-message')}`);
  }
}

async function signInAsAdmin(page, path, admin = logins.admin) {
  await signIn(page, admin, path);
  await page.getByTestId('dashboard').waitFor({ timeout: UI_TIMEOUT });
}


/** Waits for `testId`, failing with what the page says if a request failed. */
async function waitFor(page, testId) {
  const target = page.getByTestId(testId).first();
  const failure = page.getByTestId('request-error').first();
  await target.or(failure).first().waitFor({ timeout: UI_TIMEOUT });
  if ((await target.count()) === 0 && (await failure.count()) > 0) {
    throw new Error(`waiting for ${testId}: ${await failure.textContent()}`);
  }
  return target;
}

async function openApplication(page, name) {
  await page.getByTestId('nav-applications').click();
  await waitFor(page, 'applications');
  await page.getByTestId('application-link').filter({ hasText: name }).click();
  await waitFor(page, 'application-settings');
}

/** From an application's Settings tab: Danger Zone > Rotate > confirm. */
async function rotateFromDangerZone(page, grace, shot) {
  await page.getByTestId('rotate-secret').click();
  const dialog = page.getByTestId('rotate-dialog');
  await dialog.waitFor();
  await page.getByTestId('rotate-grace').fill(grace);
  if (shot) await screenshot(page, shot);
  await dialog.getByTestId('confirm').click();
  await waitFor(page, 'secret-notice');
}

/** Presses the eye icon and reads the revealed secret. */
async function revealSecret(page) {
  const input = page.getByTestId('client-secret');
  assert.equal(await input.getAttribute('type'), 'password', 'the new secret is masked until revealed');
  await page.getByTestId('reveal-secret').click();
  assert.equal(await input.getAttribute('type'), 'text');
  assert.equal(await page.getByTestId('reveal-secret').getAttribute('aria-pressed'), 'true');
  return input.inputValue();
}

async function clientCredentials(clientId, clientSecret, audience) {
  return tokenRequest(tenant.baseUrl, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience },
  });
}

// ---------------------------------------------------------------------------
// The reference procedures

test('rotate: Applications > an M2M app > Danger Zone > Rotate; the new secret works, the old one does not', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, token);
  const oldSecret = client.client_secret;
  assert.equal((await clientCredentials(client.client_id, oldSecret, resourceServer.identifier)).status, 200);

  const { context, page } = await freshPage({ clipboard: true });
  try {
    await signInAsAdmin(page);
    await waitFor(page, 'applications');
    assert.equal(await text(page, 'dashboard-user'), logins.admin.email);
    await screenshot(page, 'dashboard-applications');
    const row = page.locator(`[data-testid="application-row"][data-client-id="${client.client_id}"]`);
    assert.match(await row.textContent(), /Machine to Machine/);
    assert.match(await row.textContent(), /First party/);

    await openApplication(page, client.name);
    await screenshot(page, 'dashboard-application-settings');
    await rotateFromDangerZone(page, '0', 'dashboard-rotate-confirm');

    // Credentials: the new secret, behind the eye icon, with its notice.
    assert.equal(new URL(page.url()).pathname, `/dashboard/applications/${client.client_id}/credentials`);
    assert.equal(await text(page, 'client-id'), client.client_id);
    assert.match(await text(page, 'secret-notice'), /will not be shown again/);
    const newSecret = await revealSecret(page);
    await screenshot(page, 'dashboard-credentials-new-secret');
    assert.notEqual(newSecret, oldSecret);
    assert.ok(newSecret.length >= 32, 'a secret as long as a generated one');
    await page.getByTestId('copy-client-secret').click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), newSecret, 'Copy puts the secret on the clipboard');
    assert.equal(await page.getByTestId('previous-secret').count(), 0, 'grace 0: no previous secret');

    const fresh = await clientCredentials(client.client_id, newSecret, resourceServer.identifier);
    assert.equal(fresh.status, 200, fresh.text);
    const stale = await clientCredentials(client.client_id, oldSecret, resourceServer.identifier);
    assert.equal(stale.status, 401);
    assert.equal(stale.body.error, 'invalid_client');

    // Once the admin leaves the application, the secret is gone for good.
    await page.getByTestId('back-to-applications').click();
    await openApplication(page, client.name);
    await page.getByTestId('tab-credentials').click();
    await waitFor(page, 'client-secret-masked');
    assert.equal(await page.getByTestId('client-secret').count(), 0);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('rotate with a grace period: the previous secret works until "Revoke now"', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, token);
  const oldSecret = client.client_secret;
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page, `/dashboard/applications/${client.client_id}/settings`);
    await waitFor(page, 'application-settings');
    await rotateFromDangerZone(page, '3600');
    const newSecret = await revealSecret(page);
    await waitFor(page, 'previous-secret');
    const expiry = Date.parse((await text(page, 'previous-secret-expiry')).replace(' UTC', 'Z').replace(' ', 'T'));
    assert.ok(Math.abs(expiry - (Date.now() + 3600_000)) < 120_000, 'expires an hour from now');
    await screenshot(page, 'dashboard-credentials-grace');
    for (const secret of [oldSecret, newSecret]) {
      assert.equal((await clientCredentials(client.client_id, secret, resourceServer.identifier)).status, 200);
    }

    await page.getByTestId('revoke-previous-secret').click();
    await page.getByTestId('previous-secret').waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    assert.equal((await clientCredentials(client.client_id, oldSecret, resourceServer.identifier)).status, 401);
    assert.equal((await clientCredentials(client.client_id, newSecret, resourceServer.identifier)).status, 200);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('Settings > Advanced: turning on OIDC Dynamic Application Registration opens /oidc/register', async () => {
  await setDynamicRegistration(tenant, token, false);
  const metadata = { client_name: randomName('dcr'), redirect_uris: ['https://app.example.test/callback'] };
  const refused = await registerClient(tenant, metadata);
  assert.ok(refused.status >= 400 && refused.status < 500, `closed registration is refused: ${refused.status}`);

  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page);
    await page.getByTestId('nav-settings').click();
    await waitFor(page, 'advanced-settings');
    const toggle = page.getByTestId('dcr-toggle');
    assert.equal(await toggle.isChecked(), false);

    // A bad grace period is refused next to its field and nothing is lost.
    const grace = page.getByTestId('field-client_secret_rotation_grace_period');
    await toggle.check();
    await grace.fill('soon');
    await page.getByTestId('save-settings').click();
    await waitFor(page, 'field-client_secret_rotation_grace_period-error');
    assert.match(await text(page, 'field-client_secret_rotation_grace_period-error'), /seconds/);
    assert.equal(await toggle.isChecked(), true, 'the form keeps what was typed');
    assert.equal((await registerClient(tenant, metadata)).status, refused.status, 'nothing was saved');

    await grace.fill('600');
    await page.getByTestId('save-settings').click();
    await waitFor(page, 'saved');
    await screenshot(page, 'dashboard-settings-advanced');
    const settings = await api(tenant, token, 'GET', '/api/v2/tenants/settings');
    assert.equal(settings.body.flags.enable_dynamic_client_registration, true);
    assert.equal(settings.body.client_secret_rotation_grace_period, 600);

    const registered = await registerClient(tenant, metadata);
    assert.equal(registered.status, 201, registered.text);
    assert.equal(registered.body.client_name, metadata.client_name);
    assertNoProblems(page);
  } finally {
    await context.close();
    await setDynamicRegistration(tenant, token, false);
  }
});

test('create an API and its scopes, create an M2M app and authorize it: client_credentials works', async () => {
  const apiName = randomName('Reports API');
  const identifier = `urn:test:${randomName('reports')}`;
  const appName = randomName('Reports worker');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page);

    // APIs > Create API.
    await page.getByTestId('nav-apis').click();
    await waitFor(page, 'apis');
    await page.getByTestId('create-api').click();
    await page.getByTestId('field-name').fill(apiName);
    await page.getByTestId('field-identifier').fill(identifier);
    await page.getByTestId('field-signing_alg').selectOption('EdDSA');
    await page.getByTestId('field-token_lifetime').fill('3600');
    await screenshot(page, 'dashboard-api-create');
    await page.getByTestId('create-api-submit').click();
    await waitFor(page, 'api-permissions');
    assert.equal(await text(page, 'api-identifier'), identifier);

    // Permissions: add a scope.
    await page.getByTestId('new-scope-value').fill('read:reports');
    await page.getByTestId('new-scope-description').fill('Read reports');
    await page.getByTestId('add-scope').click();
    await page.locator('[data-testid="scope-row"][data-scope="read:reports"]').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-api-permissions');

    // Applications > Create Application (Machine to Machine).
    await page.getByTestId('nav-applications').click();
    await page.getByTestId('create-application').click();
    await page.getByTestId('field-name').fill(appName);
    await page.getByTestId('app-type-non_interactive').check();
    await page.getByTestId('create-application-submit').click();
    await waitFor(page, 'secret-notice');
    const clientId = await text(page, 'client-id');
    const secret = await revealSecret(page);

    // Not authorized yet: the token endpoint refuses.
    const before = await clientCredentials(clientId, secret, identifier);
    assert.equal(before.status, 403, before.text);

    // Application > APIs: authorize it with the scope.
    await page.getByTestId('tab-apis').click();
    const row = page.locator(`[data-testid="api-access"][data-identifier="${identifier}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await row.getAttribute('data-authorized'), 'false');
    await row.locator('[data-testid="grant-scope"][value="read:reports"]').check();
    await row.getByTestId('authorize-api').click();
    await row.getByTestId('grant-saved').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await row.getAttribute('data-authorized'), 'true');
    await screenshot(page, 'dashboard-application-apis');

    const granted = await clientCredentials(clientId, secret, identifier);
    assert.equal(granted.status, 200, granted.text);
    assert.equal(granted.body.scope, 'read:reports');
    const { payload, protectedHeader } = await verifyAccessToken(tenant, granted.body.access_token, {
      audience: identifier,
      algorithm: 'EdDSA',
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, `${clientId}@clients`);

    // Unauthorize: refused again.
    await row.getByTestId('unauthorize-api').click();
    await page
      .locator(`[data-testid="api-access"][data-identifier="${identifier}"][data-authorized="false"]`)
      .waitFor({ timeout: UI_TIMEOUT });
    assert.equal((await clientCredentials(clientId, secret, identifier)).status, 403);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('organizations: create one, add a member and M2M access, set the grant’s organization usage; tokens act for it until the access is removed; delete it', async () => {
  const { resourceServer, client, grant } = await provisionM2M(tenant, token);
  const member = await createUser(tenant, token, { email: randomEmail('member') });
  const orgName = randomName('acme');
  const forOrganization = () =>
    tokenRequest(tenant.baseUrl, {
      form: {
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        audience: resourceServer.identifier,
        organization: orgName,
      },
    });
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page);

    // Organizations > Create Organization.
    await page.getByTestId('nav-organizations').click();
    await waitFor(page, 'organizations');
    await page.getByTestId('create-organization').click();
    await page.getByTestId('field-name').fill(orgName);
    await page.getByTestId('field-display_name').fill('Acme Corporation');
    await screenshot(page, 'dashboard-organization-create');
    await page.getByTestId('create-organization-submit').click();
    await waitFor(page, 'organization-settings');
    const orgId = await text(page, 'organization-id');
    assert.match(orgId, /^org_/);
    assert.equal(await text(page, 'organization-name'), 'Acme Corporation');
    const created = await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}`);
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.name, orgName);
    assert.equal(created.body.display_name, 'Acme Corporation');

    // Settings: a bad color is refused next to its field and kept; then saved.
    const primary = page.getByTestId('field-branding.colors.primary');
    await primary.fill('blue');
    await page.getByTestId('field-metadata').fill('plan: gold\nregion: eu');
    await page.getByTestId('save-organization').click();
    await waitFor(page, 'field-branding.colors.primary-error');
    assert.match(await text(page, 'field-branding.colors.primary-error'), /hex color/);
    assert.equal(await primary.getAttribute('aria-invalid'), 'true');
    assert.equal(await primary.inputValue(), 'blue', 'nothing typed is lost');
    assert.equal((await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}`)).body.branding, undefined);
    await primary.fill('#635dff');
    await page.getByTestId('field-branding.logo_url').fill('https://cdn.example.test/acme.png');
    await page.getByTestId('save-organization').click();
    await waitFor(page, 'saved');
    await screenshot(page, 'dashboard-organization-settings');
    const saved = (await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}`)).body;
    assert.deepEqual(saved.branding, { logo_url: 'https://cdn.example.test/acme.png', colors: { primary: '#635dff' } });
    assert.deepEqual(saved.metadata, { plan: 'gold', region: 'eu' });

    // Members: nobody has this email (the API says so next to the field); then a member by email.
    await page.getByTestId('tab-members').click();
    await waitFor(page, 'members');
    await page.getByTestId('field-members').fill(randomEmail('nobody'));
    await page.getByTestId('add-member').click();
    await waitFor(page, 'field-members-error');
    assert.match(await text(page, 'field-members-error'), /does not exist/);
    await page.getByTestId('field-members').fill(member.email);
    await page.getByTestId('add-member').click();
    const memberRow = page.locator(`[data-testid="member-row"][data-user-id="${member.user.user_id}"]`);
    await memberRow.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await memberRow.textContent(), new RegExp(member.email));
    await screenshot(page, 'dashboard-organization-members');
    const members = await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}/members`);
    assert.deepEqual(members.body.map((m) => m.user_id), [member.user.user_id]);

    // Machine to Machine Access > Add Access: the application, then its API.
    await page.getByTestId('tab-machine-to-machine').click();
    await waitFor(page, 'add-access');
    await page.getByTestId('access-application').selectOption(client.client_id);
    await page.getByTestId('access-api').selectOption(grant.id);
    await page.getByTestId('save-access').click();
    const accessRow = page.locator(`[data-testid="access-row"][data-grant-id="${grant.id}"]`);
    await accessRow.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await accessRow.textContent(), new RegExp(`${client.name}.*${resourceServer.name}.*None`));
    await screenshot(page, 'dashboard-organization-access');
    const linked = await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}/client-grants`);
    assert.deepEqual(linked.body.map((g) => g.id), [grant.id]);

    // Linked, but the grant's organization usage is still None: refused.
    const denied = await forOrganization();
    assert.equal(denied.status, 400, denied.text);
    assert.match(denied.body.error_description, /not allowed/);

    // Application > APIs: the grant's organization usage, Optional.
    await openApplication(page, client.name);
    await page.getByTestId('tab-apis').click();
    const apiRow = page.locator(`[data-testid="api-access"][data-identifier="${resourceServer.identifier}"]`);
    await apiRow.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await apiRow.getByTestId('organization-usage').inputValue(), 'deny');
    await apiRow.getByTestId('organization-usage').selectOption('allow');
    await apiRow.getByTestId('update-grant').click();
    await apiRow.getByTestId('grant-saved').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-application-apis-organizations');
    const updated = (await api(tenant, token, 'GET', `/api/v2/client-grants/${grant.id}`)).body;
    assert.equal(updated.organization_usage, 'allow');
    assert.equal(updated.allow_any_organization, false);
    assert.deepEqual(updated.scope, grant.scope, 'the scopes are kept');

    const issued = await forOrganization();
    assert.equal(issued.status, 200, issued.text);
    const claims = decodeJwt(issued.body.access_token);
    assert.equal(claims.org_id, orgId);
    assert.equal(claims.org_name, undefined, 'no names until the tenant allows them');

    // Settings > Advanced: organization names in tokens.
    await page.getByTestId('nav-settings').click();
    await waitFor(page, 'advanced-settings');
    const names = page.getByTestId('org-names-toggle');
    assert.equal(await names.isChecked(), false);
    await names.check();
    await page.getByTestId('save-settings').click();
    await waitFor(page, 'saved');
    const settings = await api(tenant, token, 'GET', '/api/v2/tenants/settings');
    assert.equal(settings.body.allow_organization_name_in_authentication_api, true);
    const named = await forOrganization();
    assert.equal(named.status, 200, named.text);
    assert.deepEqual(
      [decodeJwt(named.body.access_token).org_id, decodeJwt(named.body.access_token).org_name],
      [orgId, orgName],
    );

    // Back to the organization: remove the access, then the member.
    await page.getByTestId('nav-organizations').click();
    await waitFor(page, 'organizations');
    await page.getByTestId('organization-link').filter({ hasText: orgName }).click();
    await waitFor(page, 'organization-settings');
    await page.getByTestId('tab-machine-to-machine').click();
    await accessRow.getByTestId('remove-access').click();
    await waitFor(page, 'no-access');
    const refused = await forOrganization();
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.error, 'access_denied');

    await page.getByTestId('tab-members').click();
    await memberRow.getByTestId('remove-member').click();
    await memberRow.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    assert.deepEqual((await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}/members`)).body, []);

    // Settings > Danger Zone > Delete.
    await page.getByTestId('tab-settings').click();
    await waitFor(page, 'danger-zone');
    await page.getByTestId('delete-organization').click();
    await page.getByTestId('delete-dialog').getByTestId('confirm').click();
    await waitFor(page, 'organizations');
    assert.equal(new URL(page.url()).pathname, '/dashboard/organizations');
    assert.equal((await api(tenant, token, 'GET', `/api/v2/organizations/${orgId}`)).status, 404);
    assert.equal(await page.locator(`[data-testid="organization-row"][data-organization-id="${orgId}"]`).count(), 0);
    assertNoProblems(page);
  } finally {
    await context.close();
    await updateTenantSettings(tenant, token, { allow_organization_name_in_authentication_api: false });
  }
});

test('an admin without read:organizations sees "Not allowed" for Organizations, and no organization', async () => {
  const admin = await createUser(tenant, token, { email: randomEmail('apps-admin') });
  const granted = await api(tenant, token, 'POST', userPath(admin.user.user_id, '/permissions'), {
    permissions: [{ resource_server_identifier: managementAudience(tenant), permission_name: 'read:clients' }],
  });
  assert.equal(granted.status, 201, granted.text);
  const organization = await api(tenant, token, 'POST', '/api/v2/organizations', { name: randomName('hidden') });
  assert.equal(organization.status, 201, organization.text);
  const { context, page } = await freshPage();
  try {
    await signIn(page, admin, '/dashboard/organizations');
    await page.getByTestId('dashboard').waitFor({ timeout: UI_TIMEOUT });
    const notAllowed = page.getByTestId('not-allowed');
    await notAllowed.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await notAllowed.textContent(), /may not see organizations.*read:organizations/);
    assert.equal(await page.getByTestId('organizations').count(), 0, 'no list');
    assert.equal(await page.getByTestId('create-organization').count(), 0, 'no Create Organization');
    await screenshot(page, 'dashboard-organizations-not-allowed');

    // An organization's own page says the same.
    await page.goto(url(`/dashboard/organizations/${organization.body.id}/members`));
    await page.getByTestId('not-allowed').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await page.getByTestId('organization-page').count(), 0);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a user without Management API permissions is refused with a clear page', async () => {
  const { context, page } = await freshPage();
  try {
    await signIn(page, logins, '/dashboard/applications');
    await page.getByTestId('not-allowed-page').waitFor({ timeout: UI_TIMEOUT });
    assert.match(await text(page, 'not-allowed-page'), /no permission to manage this tenant/);
    assert.equal(await text(page, 'dashboard-user'), logins.email);
    assert.equal(await page.getByTestId('dashboard').count(), 0, 'no Dashboard navigation');
    assert.equal(await page.getByTestId('applications').count(), 0, 'no applications are shown');
    await screenshot(page, 'dashboard-not-allowed');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------
// The rest of the Dashboard

test('the sample app and the Dashboard each download only their own bundle', async () => {
  const { context, page } = await freshPage();
  try {
    const wasm = [];
    page.on('request', (request) => {
      if (request.url().endsWith('.wasm')) wasm.push(new URL(request.url()).pathname);
    });
    await page.goto(url('/'));
    await page.getByTestId('sign-in').waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(wasm, ['/pkg/frontend_bg.wasm']);

    wasm.length = 0;
    await page.getByTestId('dashboard-link').click();
    await page.getByTestId('login-form').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(wasm.length, 1, wasm.join(', '));
    assert.match(wasm[0], /^\/pkg\/dashboard-[0-9a-f]{16}\/dashboard_bg\.wasm$/, 'the shell, from its build’s folder');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('application settings: a bad URL is shown next to its field, the form keeps it, a good one saves', async () => {
  const { client } = await provisionM2M(tenant, token);
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page, `/dashboard/applications/${client.client_id}/settings`);
    await waitFor(page, 'application-settings');
    const callbacks = page.getByTestId('field-callbacks');
    await page.getByTestId('field-description').fill('Nightly reports');
    await callbacks.fill('https://ok.example.test/cb, not a url');
    await page.getByTestId('save-application').click();
    await waitFor(page, 'field-callbacks-error');
    assert.match(await text(page, 'field-callbacks-error'), /not a url/);
    assert.equal(await callbacks.getAttribute('aria-invalid'), 'true');
    assert.equal(await callbacks.inputValue(), 'https://ok.example.test/cb, not a url', 'nothing typed is lost');
    await screenshot(page, 'dashboard-application-settings-error');
    assert.deepEqual((await api(tenant, token, 'GET', `/api/v2/clients/${client.client_id}`)).body.callbacks, []);

    await callbacks.fill('https://ok.example.test/cb,\nhttps://two.example.test/cb');
    await page.getByTestId('save-application').click();
    await waitFor(page, 'saved');
    const saved = (await api(tenant, token, 'GET', `/api/v2/clients/${client.client_id}`)).body;
    assert.deepEqual(saved.callbacks, ['https://ok.example.test/cb', 'https://two.example.test/cb']);
    assert.equal(saved.description, 'Nightly reports');
    assert.equal(await page.getByTestId('field-callbacks-error').textContent(), '');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('users: create (with a refused password first), search, assign a permission, delete', async () => {
  const email = randomEmail('dash');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page);
    await page.getByTestId('nav-users').click();
    await waitFor(page, 'users');
    await page.getByTestId('create-user').click();
    await page.getByTestId('field-email').fill(email);
    await page.getByTestId('field-password').fill('short');
    await page.getByTestId('create-user-submit').click();
    await waitFor(page, 'field-password-error');
    assert.equal(await page.getByTestId('field-email').inputValue(), email, 'the email is kept');
    assert.equal((await api(tenant, token, 'GET', `/api/v2/users-by-email?email=${encodeURIComponent(email)}`)).body.length, 0);

    await page.getByTestId('field-password').fill(`pw-${crypto.randomBytes(12).toString('base64url')}`);
    await page.getByTestId('field-name').fill('Dash Board');
    await page.getByTestId('create-user-submit').click();
    await waitFor(page, 'user-permissions');
    const userId = await text(page, 'user-id');
    assert.equal(await text(page, 'user-email'), email);

    // Assign the Sample API's permission.
    await page.getByTestId('permission-api').selectOption(logins.audience);
    await page.getByTestId('permission-scope').selectOption('read:messages');
    await page.getByTestId('add-permission').click();
    await page.locator('[data-testid="permission-row"][data-permission="read:messages"]').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-user');
    const permissions = await api(tenant, token, 'GET', userPath(userId, '/permissions'));
    assert.deepEqual(
      permissions.body.map((p) => [p.resource_server_identifier, p.permission_name]),
      [[logins.audience, 'read:messages']],
    );

    // Search finds the user.
    await page.getByTestId('back-to-users').click();
    await page.getByTestId('user-search').fill(email.split('@')[0]);
    await page.getByTestId('user-search-submit').click();
    // The unfiltered list (which holds the user too) shows until the answer.
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="user-row"]').length === 1,
      null,
      { timeout: UI_TIMEOUT },
    );
    assert.equal(await page.getByTestId('user-row').getAttribute('data-user-id'), userId);
    await screenshot(page, 'dashboard-users');

    // Delete, after confirming.
    await page.getByTestId('user-link').click();
    await waitFor(page, 'danger-zone');
    await page.getByTestId('delete-user').click();
    await page.getByTestId('delete-dialog').getByTestId('confirm').click();
    await waitFor(page, 'users');
    assert.equal((await api(tenant, token, 'GET', userPath(userId))).status, 404);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('logs: newest first, filtered to failed logins, one event opened with who and from where', async () => {
  // A failed sign-in of a person, through the hosted login.
  const user = await createUser(tenant, token, { email: randomEmail('logs') });
  const failed = await hostedLogin(
    new Browser(tenant),
    authorizeQuery({
      response_type: 'id_token',
      client_id: (await appConfig(tenant)).client_id,
      redirect_uri: `${tenant.baseUrl}/callback`,
      scope: 'openid',
      state: 's',
      nonce: 'n',
    }),
    { email: user.email, password: 'not-the-password' },
  );
  assert.equal(failed.status, 400, 'the form again, with an error');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page);
    await page.getByTestId('nav-logs').click();
    await waitFor(page, 'log-row');
    const dates = await page.locator('[data-testid="log-row"] td:first-child').allTextContents();
    assert.ok(dates.length > 1, 'the admin has been busy');
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');

    await page.getByTestId('log-search-choice').selectOption('f');
    await page.waitForFunction(
      (email) => {
        const rows = [...document.querySelectorAll('[data-testid="log-row"]')];
        return rows.length > 0 && rows.every((r) => r.dataset.type === 'f') && rows[0].textContent.includes(email);
      },
      user.email,
      { timeout: UI_TIMEOUT },
    );
    assert.equal(await page.getByTestId('log-search').inputValue(), 'type:f', 'the filter is the query the API took');
    await screenshot(page, 'dashboard-logs');

    const [newest] = (await api(tenant, token, 'GET', '/api/v2/logs?q=type:f&per_page=1')).body;
    await page.getByTestId('log-link').first().click();
    await waitFor(page, 'log-details');
    assert.equal(await text(page, 'log-id'), newest.log_id);
    assert.equal(await text(page, 'log-type'), 'Failed Login (f)');
    const details = await text(page, 'log-details');
    assert.ok(details.includes(user.email), details);
    assert.ok(details.includes(newest.ip), `the address it came from: ${details}`);
    assert.ok(!details.includes('not-the-password'), 'never the password typed');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------
// Sections loaded on demand

test('each section’s code is fetched when the section is first opened, without a page load', async () => {
  const admin = await createAdmin(tenant, token, 'sections-admin');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page, '/dashboard', admin);
    await waitFor(page, 'applications');
    const wasm = [];
    page.on('request', (request) => {
      if (request.url().endsWith('.wasm')) wasm.push(new URL(request.url()).pathname);
    });
    // Survives only as long as the page is not loaded again.
    await page.evaluate(() => {
      window.stillTheSamePage = true;
    });
    const splits = () => wasm.map((p) => p.split('/').pop()).filter((name) => name.startsWith('split_'));

    await page.getByTestId('nav-users').click();
    await waitFor(page, 'users');
    assert.deepEqual(splits(), ['split_users.wasm'], 'Users brings its own code and no other section’s');
    assert.ok(!wasm.some((p) => p.endsWith('/dashboard_bg.wasm')), 'the shell is not fetched again');

    await page.getByTestId('nav-logs').click();
    await waitFor(page, 'logs');
    assert.deepEqual(splits(), ['split_users.wasm', 'split_logs.wasm']);

    // Back to a section already here: nothing more to fetch.
    const fetched = wasm.length;
    await page.getByTestId('nav-users').click();
    await waitFor(page, 'users');
    assert.equal(wasm.length, fetched, 'Users is not fetched twice');

    assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'no page load: the token is still in memory');
    assert.equal(await page.getByTestId('dashboard-sign-out').count(), 1, 'still signed in');
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('a section whose code cannot be fetched says so in its place, and opening it again retries', async () => {
  const admin = await createAdmin(tenant, token, 'retry-admin');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page, '/dashboard', admin);
    await waitFor(page, 'applications');
    // As after a deploy: this build's folder is gone, and the SPA fallback
    // answers its files with the HTML page.
    const gone = (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Edge Tenant</title>' });
    await page.route('**/split_settings.wasm', gone);
    await page.getByTestId('nav-settings').click();
    const failure = page.getByTestId('request-error');
    await failure.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await failure.textContent(), /this page's code could not be loaded.*reload the page/);
    assert.equal(await page.getByTestId('settings-page').count(), 0);
    assert.equal(await page.getByTestId('dashboard-sign-out').count(), 1, 'the rest of the Dashboard still works');
    await screenshot(page, 'dashboard-section-not-loaded');

    await page.unroute('**/split_settings.wasm', gone);
    await page.getByTestId('nav-logs').click();
    await waitFor(page, 'logs');
    await page.getByTestId('nav-settings').click();
    await waitFor(page, 'tenant-settings');
    // The loader logs the failed fetch; nothing else went wrong.
    assert.ok(
      page.problems.every((problem) => problem.includes('split_settings.wasm') || /WebAssembly|wasm-split|MIME/i.test(problem)),
      page.problems.join('\n'),
    );
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------
// Actions

test('actions: create one from the template, give it a claim and a secret, test, deploy and bind it; tokens carry the claim until it is unbound', async () => {
  const { resourceServer, client } = await provisionM2M(tenant, token);
  const name = randomName('Add the plan');
  const claim = 'https://example.com/plan';
  const code = [
    'exports.onExecuteCredentialsExchange = async (event, api) => {',
    "  console.log('plan for', event.client.name);",
    `  api.accessToken.setCustomClaim('${claim}', event.secrets.PLAN);`,
    '};',
    '',
  ].join('\n');
  const issued = async () => {
    const res = await clientCredentials(client.client_id, client.client_secret, resourceServer.identifier);
    assert.equal(res.status, 200, res.text);
    const { payload } = await verifyAccessToken(tenant, res.body.access_token, {
      audience: resourceServer.identifier,
      algorithm: resourceServer.signing_alg,
    });
    return payload;
  };
  const admin = await createAdmin(tenant, token, 'actions-admin');
  const { context, page } = await freshPage();
  try {
    await signInAsAdmin(page, '/dashboard', admin);

    // Actions > Library > Create Action, from the credentials-exchange template.
    await page.getByTestId('nav-actions').click();
    await waitFor(page, 'actions');
    await page.getByTestId('create-action').click();
    await page.getByTestId('field-name').fill(name);
    await page.getByTestId('field-supported_triggers').selectOption('credentials-exchange');
    await screenshot(page, 'dashboard-action-create');
    await page.getByTestId('create-action-submit').click();
    await waitFor(page, 'action-code');
    const actionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    assert.equal(await text(page, 'action-name'), name);
    assert.equal(await text(page, 'action-trigger'), 'credentials-exchange');
    assert.equal(await text(page, 'action-version'), 'Draft');
    const editor = page.getByTestId('field-code');
    assert.match(await editor.inputValue(), /exports\.onExecuteCredentialsExchange = async \(event, api\) => \{/);

    // The editor: Tab indents instead of leaving it; then the new code.
    await editor.fill('');
    await editor.press('Tab');
    assert.equal(await editor.inputValue(), '  ');
    await editor.fill(code);

    // Secrets: PLAN, whose value is never shown again.
    await page.getByTestId('new-secret-name').fill('PLAN');
    await page.getByTestId('new-secret-value').fill('gold');
    await page.getByTestId('add-secret').click();
    await page.locator('[data-testid="secret-row"][data-name="PLAN"]').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await page.getByTestId('new-secret-value').inputValue(), '', 'the value is gone from the form');
    assert.doesNotMatch(await page.getByTestId('action-secrets').textContent(), /gold/);
    assert.equal(await editor.inputValue(), code, 'saving a secret keeps the code typed');

    // Test: the sample event of the trigger; Run saves the draft and runs it.
    assert.match(await page.getByTestId('field-payload').inputValue(), /"resource_server"/);
    await page.getByTestId('run-test').click();
    await waitFor(page, 'test-result');
    assert.equal(await page.getByTestId('test-error').count(), 0, await text(page, 'test-result'));
    const commands = await text(page, 'test-commands');
    assert.ok(commands.includes(`access_token_claim {"name":"${claim}","value":"gold"}`), commands);
    assert.match(await text(page, 'test-logs'), /plan for Reports Job/);
    await screenshot(page, 'dashboard-action-test');
    const draft = await api(tenant, token, 'GET', `/api/v2/actions/actions/${actionId}`);
    assert.equal(draft.body.code, code, 'the test saved the draft');

    // Deploy: version 1, everything deployed.
    await page.getByTestId('deploy-action').click();
    await page.getByTestId('saved').filter({ hasText: 'Deployed.' }).waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await text(page, 'action-version'), 'v1');
    assert.equal(await text(page, 'action-status'), 'All changes deployed');
    await page.locator('[data-testid="version-row"][data-number="1"]').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-action-deployed');
    assert.equal((await issued())[claim], undefined, 'deployed but not bound: not run');

    // Actions > Triggers > credentials-exchange: add it, Apply.
    await page.getByTestId('back-to-actions').click();
    await page.getByTestId('tab-triggers').click();
    await page
      .locator('[data-testid="trigger-row"][data-trigger="credentials-exchange"] [data-testid="trigger-link"]')
      .click();
    await waitFor(page, 'bindings-form');
    await page.getByTestId('no-bindings').waitFor({ timeout: UI_TIMEOUT });
    await waitFor(page, 'add-binding-choice');
    await page.getByTestId('add-binding-choice').selectOption(actionId);
    await page.getByTestId('add-binding').click();
    const binding = page.locator(`[data-testid="binding-row"][data-action-id="${actionId}"]`);
    await binding.waitFor({ timeout: UI_TIMEOUT });
    await page.getByTestId('apply-bindings').click();
    await page.getByTestId('saved').waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'dashboard-trigger-bindings');

    // Where a developer checks: the token carries the claim, from the secret.
    assert.equal((await issued())[claim], 'gold');

    // Remove the binding and Apply: tokens no longer carry it.
    await binding.getByTestId('remove-binding').click();
    await page.getByTestId('no-bindings').waitFor({ timeout: UI_TIMEOUT });
    await page.getByTestId('apply-bindings').click();
    await page.getByTestId('saved').waitFor({ timeout: UI_TIMEOUT });
    const bindings = await api(tenant, token, 'GET', '/api/v2/actions/triggers/credentials-exchange/bindings');
    assert.deepEqual(bindings.body.bindings, []);
    assert.equal((await issued())[claim], undefined);

    // Library > the action > Danger Zone > Delete.
    await page.getByTestId('back-to-triggers').click();
    await page.getByTestId('tab-library').click();
    await page.locator(`[data-testid="action-row"][data-action-id="${actionId}"] [data-testid="action-link"]`).click();
    await waitFor(page, 'danger-zone');
    await page.getByTestId('delete-action').click();
    await page.getByTestId('delete-dialog').getByTestId('confirm').click();
    await waitFor(page, 'actions');
    assert.equal(await page.locator(`[data-testid="action-row"][data-action-id="${actionId}"]`).count(), 0);
    assert.equal((await api(tenant, token, 'GET', `/api/v2/actions/actions/${actionId}`)).status, 404);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});

test('an admin without read:actions sees "Not allowed" for Actions, and no action', async () => {
  const admin = await createUser(tenant, token, { email: randomEmail('no-actions-admin') });
  const granted = await api(tenant, token, 'POST', userPath(admin.user.user_id, '/permissions'), {
    permissions: [{ resource_server_identifier: managementAudience(tenant), permission_name: 'read:clients' }],
  });
  assert.equal(granted.status, 201, granted.text);
  const { context, page } = await freshPage();
  try {
    await signIn(page, admin, '/dashboard/actions');
    await page.getByTestId('dashboard').waitFor({ timeout: UI_TIMEOUT });
    const notAllowed = page.getByTestId('not-allowed');
    await notAllowed.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await notAllowed.textContent(), /may not see actions.*read:actions/);
    assert.equal(await page.getByTestId('actions').count(), 0, 'no list');
    assert.equal(await page.getByTestId('create-action').count(), 0, 'no Create Action');
    await screenshot(page, 'dashboard-actions-not-allowed');

    // The Triggers say the same.
    await page.goto(url('/dashboard/actions/triggers/credentials-exchange'));
    await page.getByTestId('not-allowed').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await page.getByTestId('bindings-form').count(), 0);
    assertNoProblems(page);
  } finally {
    await context.close();
  }
});
