// A site built with two models (build-dist --model A --model B): the first is the default, the page offers both
// by name, a choice loads that model (the previous one's result goes) and is remembered on this device.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';
import { FIXTURES, ROOT } from '../js/helpers.mjs';
import { ARTIFACTS, CHROMIUM_ARGS, modelReady, openPhonePage } from './browser.mjs';

const WORK = mkdtempSync(join(tmpdir(), 'dermcam-two-models-'));
const SITE = join(WORK, 'dist');
const CLINIC = { en: 'Clinic test model', vi: 'Mô hình thử của phòng khám' };
let server;
let browser;
let base;
let json;  // the demo model's description

before(async () => {
  // The clinic's model: the demo's network under another name and version.
  const clinic = join(WORK, 'clinic');
  mkdirSync(clinic);
  json = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  // Its prediction sets take every class from probability 0: a set of all five, whatever the photo.
  writeFileSync(join(clinic, 'model.json'), JSON.stringify({ ...json, name: CLINIC, version: '9.9',
    predictionSets: { method: 'lac', coverage: 0.9, minProbability: 0 } }));
  copyFileSync(join(ROOT, 'models/demo', json.model), join(clinic, json.model));
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs'), '--model', clinic, '--model', 'models/demo',
    '--out', SITE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(build.status, 0, build.stderr);
  assert.match(build.stdout, /built with clinic, demo/);
  server = await startServer({ root: SITE, port: 0 });
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await new Promise((done) => server?.close(done));
  rmSync(WORK, { recursive: true, force: true });
});

const sel = (id) => `[data-testid="${id}"]`;

async function analyse(page) {
  await page.setInputFiles(sel('photo-input'), join(FIXTURES, 'lesion.jpg'));
  await page.click(sel('analyse-region'));
  await page.waitForSelector(`${sel('finding')} strong`, { timeout: 60_000 });
}

test('the first model is the default; the picker offers both; a choice loads that model and is remembered', async () => {
  const { context, page, errors } = await openPhonePage(browser, base);
  assert.match(await page.textContent(sel('model-name')), /Clinic test model.*9\.9/);
  assert.equal(await page.isVisible(sel('model-picker')), true);
  const options = () => page.$$eval(`${sel('model-picker')} option`, (list) => list.map((o) => [o.value, o.textContent]));
  assert.deepEqual((await options()).map(([id, name]) => [id, name.replace(/[\u2068\u2069]/g, '')]),
    [['clinic', 'Clinic test model (9.9)'], ['demo', 'dermcam demo model (trained on generated images) (3.1.0)']]);
  await analyse(page);
  assert.equal(await page.isVisible(sel('result')), true);
  // The clinic model's prediction set: it cannot tell its five classes apart, and says how often such a set is right.
  const unsure = await page.textContent(sel('cannot-tell-apart'));
  assert.match(unsure, /cannot tell these apart for your photo: /);
  for (const label of json.labels) assert.ok(unsure.includes(label.en), `${label.en} is missing from the set`);
  // No likelihood words for a top class the model cannot tell from others.
  assert.equal(await page.getAttribute(sel('finding'), 'data-band'), 'set');
  assert.match(await page.textContent(sel('finding-likelihood')), /but for your photo this model cannot tell it apart from others/);
  assert.match(unsure, /for 90% of photos like those it was checked on the right answer is one of these/);
  await page.locator(sel('cannot-tell-apart')).screenshot({ path: join(ARTIFACTS, 'prediction-set-phone-en.png') });
  // The doctor's report says it too.
  await page.evaluate(() => {
    window.print = () => {};
  });
  await page.click(sel('report'));
  const report = await page.textContent('.report-facts');
  assert.match(report, /Cannot tell apart.*Melanoma-like lesion.*\(By the model's own check, for 90% of photos/s);

  // Another model: the result on screen was the clinic model's, so it goes; the demo's answers the next photo.
  await page.selectOption(sel('model-picker'), 'demo');
  await page.waitForFunction(() => document.querySelector('[data-testid="model-name"]').textContent.includes('dermcam demo model'),
    null, { timeout: 60_000 });
  await modelReady(page);
  assert.equal(await page.isVisible(sel('result')), false, 'the previous model\'s result is still shown');
  await analyse(page);
  assert.equal(await page.isVisible(sel('cannot-tell-apart')), false, 'the demo model has no sets and is sure of this photo');
  await page.locator(sel('model-picker')).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'two-models-phone-en.png') });

  // Remembered on this device; named in the page's language.
  await page.reload();
  await modelReady(page);
  assert.equal(await page.inputValue(sel('model-picker')), 'demo');
  assert.match(await page.textContent(sel('model-name')), /dermcam demo model/);
  await page.click('[data-language="vi"]');
  assert.match((await options())[0][1], /Mô hình thử của phòng khám/);
  assert.deepEqual(errors, []);
  await context.close();
});
