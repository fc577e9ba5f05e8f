// Without COOP/COEP and without the service worker that would add them (a browser that blocks service workers,
// or a private window), the page is not cross-origin isolated: ONNX Runtime runs on one thread, the diagnostics
// say so, and the app works the same. (deploy.browser.test.mjs: with the service worker, GitHub Pages is isolated.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { openBrowser } from './browser.mjs';
import { FIXTURES } from '../js/helpers.mjs';

let env;
before(async () => {
  env = await openBrowser({ isolated: false });
});
after(async () => {
  await env?.close();
});

test('not isolated: one thread, said in the diagnostics, and a working analysis', async () => {
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(env.baseUrl);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'lesion.jpg'));
  await page.click('[data-testid="analyse-region"]');  // the framing square's default: the centre
  await page.waitForSelector('[data-testid="finding"] strong', { timeout: 60_000 });
  await page.click('[data-testid="diagnostics"] summary');
  await page.waitForFunction(() => document.querySelector('[data-testid="diagnostics"]').dataset.modelRuns !== undefined);
  const text = await page.textContent('[data-testid="diagnostics"]');
  assert.match(text, /Threads\s*1/);
  assert.match(text, /Cross-origin isolated\s*no/);
  await context.close();
});
