// The wasm core in headless Chromium: EXIF orientation exactly as the browser's own decoder applies it.
// (The app's own photo, error and recovery paths are in app.browser.test.mjs.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { openBrowser } from './browser.mjs';
import { fixture, withExifOrientation } from '../js/helpers.mjs';

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
  assert.deepEqual(pageErrors, []);
});
