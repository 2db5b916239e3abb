// Headless Chromium for the browser tests: Debian's /usr/bin/chromium
// (installed by `scripts/setup.sh --browser`) driven by playwright-core,
// which downloads no browser of its own.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { repoRoot } from './harness.mjs';

export const artifactsDir = path.join(repoRoot, 'tests', 'artifacts');

/** How every test launches Chromium. */
export const CHROMIUM_OPTIONS = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    // The machine's network is closed: keep Chromium from calling home.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

/** A fresh browser with its own empty profile; `close()` removes it. */
export async function launchBrowser() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'edge-tenant-chromium-'));
  const context = await chromium.launchPersistentContext(profile, CHROMIUM_OPTIONS);
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot under tests/artifacts/ (git-ignored). */
export async function screenshot(page, name) {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}
