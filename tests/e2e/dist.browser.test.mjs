// The deployable dist/ (scripts/build-dist.mjs): hashed immutable assets, application/wasm, and a working app.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
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
  // The service worker precaches the app; the two large binaries are the worker's to download, once.
  assert.ok(precache.files.includes(`assets/${hashed}/prebuilt/dermcam-core.wasm`));
  assert.deepEqual(precache.lazy.map((l) => l.url), [`assets/${hashed}/generated/ort/ort-wasm-simd-threaded.wasm`,
    `assets/${hashed}/models/demo/model-int8.onnx`]);
  assert.ok(!existsSync(join(DIST, `assets/${hashed}/models/demo/model.onnx`)), 'the fp32 model the app does not load is deployed');
  assert.ok(precache.lazy.every((l) => l.bytes === readFileSync(join(DIST, l.url)).length));
  const wasm = await fetch(`${base}assets/${hashed}/prebuilt/dermcam-core.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cross-origin-embedder-policy'), 'require-corp');
});

// One raw HTTP GET (Node's fetch would decompress silently): status, headers and the body as sent.
function rawGet(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('large files are precompressed and served as the browser accepts them', async () => {
  const [hashed] = readdirSync(join(DIST, 'assets'));
  const path = `assets/${hashed}/generated/ort/ort-wasm-simd-threaded.wasm`;
  const original = readFileSync(join(DIST, path));
  const brotli = await rawGet(`${base}${path}`, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(brotli.headers['content-encoding'], 'br');
  assert.equal(brotli.headers['content-type'], 'application/wasm');
  assert.ok(brotli.body.length < original.length / 4, `brotli ${brotli.body.length} of ${original.length} bytes`);
  assert.ok(brotliDecompressSync(brotli.body).equals(original));
  const gzip = await rawGet(`${base}${path}`, { 'Accept-Encoding': 'gzip' });
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(gzip.body).equals(original));
  const identity = await rawGet(`${base}${path}`, {});
  assert.equal(identity.headers['content-encoding'], undefined);
  assert.ok(identity.body.equals(original));
  const precache = JSON.parse(readFileSync(join(DIST, 'generated/precache.json'), 'utf8'));
  assert.deepEqual(precache.files.filter((f) => /\.(br|gz)$/.test(f)), [], 'compressed copies are not precached');
});

test('the built site analyses a photo', async () => {
  const page = await browser.newPage();
  await page.goto(base);
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'lesion.jpg'));
  await page.click('[data-testid="analyse-region"]');  // the framing square's default: the centre
  await page.waitForSelector('[data-testid="finding"] strong', { timeout: 60_000 });
  assert.equal(await page.isHidden('[data-testid="error"]'), true);
  assert.equal(await page.isHidden('[data-testid="model-picker-field"]'), true, 'a picker for a site with one model');
  await page.close();
});

// The stylesheet is inlined (the first paint waits for the HTML alone) and allowed by its hash: the page is styled,
// nothing is refused, and any other inline style (an injected one) still is.
test('the inlined stylesheet is the one inline style the page allows', async () => {
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assert.ok(!html.includes('rel="stylesheet"'), 'the page still asks for its stylesheet');
  const context = await browser.newContext({ colorScheme: 'light' });
  await context.addInitScript(() => {
    window.refused = [];
    document.addEventListener('securitypolicyviolation', (event) => window.refused.push(`${event.violatedDirective} ${event.sample}`));
  });
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(247, 244, 241)');
  assert.deepEqual(await page.evaluate(() => window.refused), []);
  const injected = await page.evaluate(async () => {
    const style = document.createElement('style');
    style.textContent = 'html { background: rgb(1, 2, 3) !important; }';
    document.head.append(style);
    await new Promise((done) => setTimeout(done, 100));
    return { background: getComputedStyle(document.documentElement).backgroundColor, refused: window.refused };
  });
  assert.equal(injected.background, 'rgb(247, 244, 241)', 'an injected inline style was applied');
  assert.ok(injected.refused.some((r) => r.startsWith('style-src')), JSON.stringify(injected.refused));
  await context.close();
});

// Served as their forty-odd source modules, the page and its worker waited for a chain of imports, one round trip
// per level, before the model was even asked for (3.7 s on a 10 Mbit/s, 40 ms link with a 4x slower CPU).
test('the page and its worker load a few bundled scripts, not a chain of modules', async () => {
  const scripts = [];
  const served = (request) => {
    if (/\.m?js$/.test(request.url.split('?')[0])) scripts.push(request.url.split('/').pop());
  };
  server.on('request', served);
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent === 'Model ready.',
    null, { timeout: 60_000 });
  server.off('request', served);
  await page.close();
  const [hashed] = readdirSync(join(DIST, 'assets'));
  const bundled = readdirSync(join(DIST, `assets/${hashed}/js`)).filter((f) => f.endsWith('.mjs'));
  assert.ok(bundled.includes('app.mjs') && bundled.includes('worker.mjs'), bundled.join(', '));
  assert.ok(bundled.length <= 8, `js/ holds ${bundled.length} scripts: ${bundled.join(', ')}`);
  assert.ok(!scripts.some((name) => ['pipeline.mjs', 'bridge.mjs', 'store.mjs'].includes(name)), `source modules served: ${scripts.join(', ')}`);
  assert.ok(scripts.length <= 12, `${scripts.length} scripts before the model was ready: ${scripts.join(', ')}`);
});

test('a first visit downloads the model and the runtime once; a repeat visit downloads neither', async () => {
  const context = await browser.newContext({ serviceWorkers: 'allow' });
  // What reached the server (the page's preloads, the worker's fetches, the service worker's): a request the
  // browser answers from its HTTP cache or the app's cache never gets here.
  const network = [];
  const served = (request) => {
    if (/\.onnx$|ort-wasm-simd-threaded\.wasm$/.test(request.url)) network.push(request.url);
  };
  server.on('request', served);
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForFunction(() => document.querySelector('[data-testid="status"]').textContent === 'Model ready.',
    null, { timeout: 60_000 });
  await page.evaluate(() => navigator.serviceWorker.ready);
  const large = (urls) => [...new Set(urls.map((u) => u.split('/').pop()))].sort();
  assert.deepEqual(large(network), ['model-int8.onnx', 'ort-wasm-simd-threaded.wasm']);
  assert.equal(network.length, 2, `downloaded twice: ${network.join(', ')}`);
  network.length = 0;
  await page.reload();
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'lesion.jpg'));
  await page.click('[data-testid="analyse-region"]');  // the framing square's default: the centre
  await page.waitForSelector('[data-testid="finding"] strong', { timeout: 60_000 });
  assert.deepEqual(network, [], 'a repeat visit downloaded the model or the runtime again');
  server.off('request', served);
  await context.close();
});
