// The audit screen with folders a clinic gets wrong (issue #29 item 4): folders that name no label and loose
// photos refuse to start and say why; a skin-type table with bad rows names them; an unreadable photo is listed and
// skipped; Stop keeps the figures measured so far; a dropped folder is read through its entries. The happy path (a mislabelled class's
// low recall, printing, the card section, only GETs) runs on a packed torchvision model in torch-pack.browser.test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { browserForThisFile, openPhonePage } from './browser.mjs';
import { ROOT } from '../js/helpers.mjs';

const env = browserForThisFile();
const WORK = mkdtempSync(join(tmpdir(), 'dermcam-audit-'));
const RAW = join(WORK, 'raw');
const sel = (id) => `[data-testid="${id}"]`;

/** A folder `name` of the generated photos filed by their label; `extra(folder)` spoils it. */
function folder(name, extra = () => {}, count = Infinity) {
  const root = join(WORK, name, 'clinic');
  for (const photo of readdirSync(RAW).sort().slice(0, count)) {
    const label = /^t\d_(.+)_\d+\.png$/.exec(photo)[1];
    mkdirSync(join(root, label), { recursive: true });
    copyFileSync(join(RAW, photo), join(root, label, photo));
  }
  extra(root);
  return root;
}

before(() => {
  execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/demo/gate_images.py'), '--per-type', '12', '--seed', '31', RAW]);
});
after(() => rmSync(WORK, { recursive: true, force: true }));

async function openAudit() {
  const opened = await openPhonePage(env.browser, env.baseUrl);
  await opened.page.click(`${sel('audit')} summary`);
  return opened;
}

const statusIs = (page, pattern) => page.waitForFunction((source) => new RegExp(source).test(
  document.querySelector('[data-testid="audit-status"]').textContent), pattern.source, { timeout: 60_000 });

test('a folder that names no label and loose photos: nothing starts, and the page says what to move', async () => {
  const root = folder('wrong', (dir) => {
    mkdirSync(join(dir, 'psoriasis'));
    copyFileSync(join(RAW, readdirSync(RAW)[0]), join(dir, 'psoriasis', 'p.png'));
    copyFileSync(join(RAW, readdirSync(RAW)[1]), join(dir, 'loose.png'));
  }, 12);
  const { context, page, errors } = await openAudit();
  await page.setInputFiles(sel('audit-folder'), root);
  await statusIs(page, /cannot be audited/);
  const problems = await page.textContent(sel('audit-problems'));
  assert.match(problems, /psoriasis/);
  assert.match(problems, /1 photos are not in a label subfolder \(loose\.png\)/);
  assert.equal(await page.isDisabled(sel('audit-start')), true);
  assert.equal(await page.isVisible(sel('audit-results')), false);
  await page.click(sel('language-vi'));
  assert.match(await page.textContent(sel('audit-problems')), /không phải nhãn của mô hình: psoriasis/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a skin-type table with bad rows: each is named with its line, and nothing starts', async () => {
  const root = folder('types', (dir) => {
    const [first] = readdirSync(join(dir, 'nevus'));
    writeFileSync(join(dir, 'types.csv'), `photo,type\nnevus/${first},III\nnevus/none.png,2\nnevus/${first},7\n`);
  }, 12);
  const { context, page, errors } = await openAudit();
  await page.setInputFiles(sel('audit-folder'), root);
  await statusIs(page, /cannot be audited/);
  const problems = await page.textContent(sel('audit-problems'));
  assert.match(problems, /types\.csv, line 3: there is no photo nevus\/none\.png/);
  assert.match(problems, /types\.csv, line 4: "7" is not a skin type/);
  assert.equal(await page.isDisabled(sel('audit-start')), true);
  // A table chosen on its own replaces the one in the folder.
  const good = join(WORK, 'good.csv');
  writeFileSync(good, 'photo,type\n');
  await page.setInputFiles(sel('audit-skin-types'), good);
  await statusIs(page, /ready to audit/);
  assert.match(await page.textContent(sel('audit-notes')), /Skin types from good\.csv: 0 photos/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an unreadable photo is listed and skipped; Stop keeps what was measured; a new folder starts afresh', async () => {
  const root = folder('mixed', (dir) => writeFileSync(join(dir, 'nevus', 'aaa-broken.jpg'), 'this is not a photo'));
  const { context, page, errors } = await openAudit();
  await page.setInputFiles(sel('audit-folder'), root);
  await statusIs(page, /ready to audit/);
  await page.click(sel('audit-start'));
  await statusIs(page, /Audit finished: 73 of 73 photos checked, 1 could not be read/);
  assert.match(await page.textContent(sel('audit-skipped')), /nevus\/aaa-broken\.jpg: .*not an image|nevus\/aaa-broken\.jpg: /);
  const summary = await page.textContent(sel('audit-summary'));
  assert.match(summary, /n = 72/);

  // Stopped part way: the figures say how many photos they are for.
  await page.click(sel('audit-start'));
  await page.waitForFunction(() => /Checked [1-9]\d* of 73/.test(document.querySelector('[data-testid="audit-status"]').textContent));
  await page.click(sel('audit-stop'));
  await statusIs(page, /Stopped after \d+ of 73 photos/);
  const done = Number(/Stopped after (\d+)/.exec(await page.textContent(sel('audit-status')))[1]);
  assert.ok(done >= 1 && done < 73, String(done));
  assert.equal(await page.isVisible(sel('audit-results')), true);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(sel('audit-download-card'))]);
  const section = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(section.card.metrics.audit.complete, false);

  // The app is still the patient's: a photo is analysed as before.
  await page.setInputFiles(sel('audit-folder'), folder('small', () => {}, 6));
  await statusIs(page, /6 photos in 6 labels, ready to audit/);
  assert.equal(await page.isVisible(sel('audit-results')), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a folder dropped on the audit: read through the browser\'s entries, folders and all', async () => {
  const { context, page, errors } = await openAudit();
  // What a drop of a folder hands the page (DataTransfer items whose entries are read folder by folder); the
  // browser's own drag cannot be driven headless, so the entries are made as the File System API makes them.
  await page.evaluate(() => {
    const file = (fullPath) => ({ isFile: true, fullPath,
      file: (done) => done(new File([new Uint8Array([137, 80, 78, 71])], fullPath.split('/').pop(), { type: 'image/png' })) });
    const folder = (fullPath, children) => ({ isFile: false, fullPath, createReader: () => {
      let given = false;
      return { readEntries: (done) => setTimeout(() => done(given ? [] : ((given = true), children))) };
    } });
    const root = folder('/clinic', [folder('/clinic/nevus', [file('/clinic/nevus/a.png'), file('/clinic/nevus/b.png')]),
      folder('/clinic/melanoma', [file('/clinic/melanoma/c.png')])]);
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', { value: { items: [{ webkitGetAsEntry: () => root }], files: [] } });
    document.querySelector('[data-testid="audit-drop"]').dispatchEvent(drop);
  });
  await statusIs(page, /3 photos in 6 labels, ready to audit/);
  assert.match(await page.textContent(sel('audit-notes')), /No photos for seborrheic_keratosis, vascular, acne, eczema/);
  assert.deepEqual(errors, []);
  await context.close();
});
