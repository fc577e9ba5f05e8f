// The deployable dist/ (scripts/build-dist.mjs): hashed immutable assets, application/wasm, and a working app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';
import { FIXTURES, ROOT } from '../js/helpers.mjs';

const DIST = join(ROOT, 'dist');
let server;
let browser;
let base;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'dist/ is missing: run node scripts/build-dist.mjs');
  server = await startServer({ root: DIST, port: 0 });
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'] });
});

after(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
});

test('dist/ keeps immutable files under a content hash and lists them for offline use', async () => {
  const [hashed] = readdirSync(join(DIST, 'assets'));
  assert.match(hashed, /^[0-9a-f]{16}$/);
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assert.ok(html.includes(`assets/${hashed}/js/app.mjs`));
  const precache = JSON.parse(readFileSync(join(DIST, 'generated/precache.json'), 'utf8'));
  assert.equal(precache.version, hashed);
  assert.ok(precache.files.includes(`assets/${hashed}/models/demo/model.onnx`));
  assert.ok(precache.files.includes(`assets/${hashed}/generated/ort/ort-wasm-simd-threaded.wasm`));
  const wasm = await fetch(`${base}assets/${hashed}/prebuilt/dermcam-core.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cross-origin-embedder-policy'), 'require-corp');
});

test('the built site analyses a photo', async () => {
  const page = await browser.newPage();
  await page.goto(base);
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'lesion.jpg'));
  await page.waitForSelector('[data-testid="predictions"] li', { timeout: 60_000 });
  assert.equal(await page.isHidden('[data-testid="error"]'), true);
  await page.close();
});
