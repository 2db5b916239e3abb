// The SPA and the API on one origin: a person opening the tenant in a
// browser gets the Leptos app, which reads the tenant's discovery document,
// while server paths still reach the Worker.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from './browser.mjs';
import { startTenant } from './harness.mjs';

let tenant;
let browser;

before(async () => {
  tenant = await startTenant();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await tenant?.stop();
});

test('opening the tenant shows the app with the issuer it discovered', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));

  await page.goto(`${tenant.baseUrl}/`);
  const issuer = page.getByTestId('issuer');
  await issuer.waitFor({ timeout: 15_000 });
  assert.equal((await issuer.textContent()).trim(), tenant.issuer);
  assert.equal(
    (await page.getByTestId('token-endpoint').textContent()).trim(),
    `${tenant.issuer}oauth/token`,
  );
  await screenshot(page, 'spa-home');
  assert.deepEqual(errors, [], 'no script errors');
  await page.close();
});

test('a deep link into the app is served the app, which shows its not-found page', async () => {
  const page = await browser.context.newPage();
  const response = await page.goto(`${tenant.baseUrl}/no/such/page`);
  assert.equal(response.status(), 200);
  await page.getByTestId('not-found-page').waitFor({ timeout: 15_000 });
  await screenshot(page, 'spa-not-found');
  await page.close();
});

test('navigating the browser to a server path reaches the Worker, not the app', async () => {
  const page = await browser.context.newPage();
  const response = await page.goto(`${tenant.baseUrl}/.well-known/openid-configuration`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'] ?? '', /^application\/json/);
  assert.equal((await response.json()).issuer, tenant.issuer);
  await page.close();
});
