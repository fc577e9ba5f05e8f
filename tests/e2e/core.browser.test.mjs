// The wasm core in headless Chromium: a real photo through the page, and EXIF orientation exactly as the
// browser's own decoder applies it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import { ARTIFACTS, openBrowser } from './browser.mjs';
import { FIXTURES, fixture, withExifOrientation } from '../js/helpers.mjs';

let env;
let page;
const pageErrors = [];

before(async () => {
  env = await openBrowser();
  page = await env.browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(env.baseUrl);
});

after(async () => {
  await env?.close();
});

test('the page decodes a real photo and draws it', async () => {
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'photo.jpg'));
  await page.waitForSelector('[data-testid="display"]', { state: 'visible' });
  const drawn = await page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="display"]');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 4) sum += pixels[i] + pixels[i + 1] + pixels[i + 2];
    return { width: canvas.width, height: canvas.height, mean: sum / (pixels.length / 4) / 3 };
  });
  assert.deepEqual([drawn.width, drawn.height], [451, 300]);
  assert.ok(drawn.mean > 40 && drawn.mean < 220, `mean brightness ${drawn.mean}`);
  assert.match(await page.textContent('[data-testid="photo-info"]'), /JPEG, 451 × 300 px/);
  await page.screenshot({ path: join(ARTIFACTS, 'core-photo.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('a bad file shows a plain error and the next photo still works', async () => {
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'not_image.pdf.jpg'));
  await page.waitForSelector('[data-testid="error"]', { state: 'visible' });
  assert.match(await page.textContent('[data-testid="error"]'), /not a JPEG, PNG or BMP image/);
  await page.screenshot({ path: join(ARTIFACTS, 'core-bad-file.png'), fullPage: true });
  await page.setInputFiles('[data-testid="photo-input"]', join(FIXTURES, 'blocks.png'));
  await page.waitForSelector('[data-testid="display"]', { state: 'visible' });
  assert.equal(await page.isHidden('[data-testid="error"]'), true);
  assert.equal(await page.getAttribute('[data-testid="display"]', 'data-width'), '64');
});

test('EXIF orientation matches the browser decoder for all 8 values', async () => {
  const jpeg = fixture('photo.jpg');
  const variants = [];
  for (let o = 1; o <= 8; o++) variants.push(Array.from(withExifOrientation(jpeg, o)));
  const results = await page.evaluate(async (variants) => {
    const { decodeImage } = await import('./js/core.mjs');
    const out = [];
    for (const bytes of variants) {
      const data = new Uint8Array(bytes);
      const ours = await decodeImage(data);
      // Control: the same file left as stored must differ clearly from the browser's upright view.
      const stored = await decodeImage(data, { applyExifOrientation: false });
      const bitmap = await createImageBitmap(new Blob([data], { type: 'image/jpeg' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0);
      const theirs = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const meanDiff = (image) => {
        if (bitmap.width !== image.width || bitmap.height !== image.height) return Infinity;
        let diff = 0;
        for (let i = 0, j = 0; j < image.rgb.length; i += 4, j += 3) {
          diff += Math.abs(theirs[i] - image.rgb[j]) + Math.abs(theirs[i + 1] - image.rgb[j + 1]) +
            Math.abs(theirs[i + 2] - image.rgb[j + 2]);
        }
        return diff / image.rgb.length;
      };
      out.push({ ours: [ours.width, ours.height], theirs: [bitmap.width, bitmap.height],
        meanDiff: meanDiff(ours), storedDiff: meanDiff(stored) });
    }
    return out;
  }, variants);
  results.forEach((r, i) => {
    assert.deepEqual(r.ours, r.theirs, `orientation ${i + 1}: size`);
    // Two JPEG decoders (stb vs libjpeg-turbo) differ slightly in chroma upsampling; a wrong rotation
    // or mirror gives a mean difference of tens of levels.
    assert.ok(r.meanDiff < 3, `orientation ${i + 1}: mean difference ${r.meanDiff.toFixed(2)}`);
    if (i > 0) assert.ok(r.storedDiff > 10, `orientation ${i + 1}: control difference ${r.storedDiff}`);
  });
});
