// Headless Debian Chromium through playwright-core, and the app served on 127.0.0.1 (shared by e2e tests).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';
import { ROOT } from '../js/helpers.mjs';

export const ARTIFACTS = join(ROOT, 'test-results');

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Serves web/ and opens Chromium; returns {baseUrl, browser, close()}. */
export async function openBrowser({ isolated = true } = {}) {
  const server = await startServer({ port: 0, isolated });
  const baseUrl = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,  // Playwright gives every launch a fresh temporary profile
    headless: true,
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    baseUrl,
    browser,
    async close() {
      await browser.close();
      await new Promise((done) => server.close(done));
    },
  };
}
