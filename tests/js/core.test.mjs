// The WebAssembly core in Node: loading, decoding, preprocessing, errors, and equality with native.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { coreMemoryBytes, decodeImage, loadCore, prepareImage, qualityThresholdRanges } from '../../web/js/core.mjs';
import { QUALITY_RANGES } from '../../web/js/gate.mjs';
import { DermcamError } from '../../web/js/errors.mjs';
import { FIXTURES, NATIVE_BUILD, fixture, withExifOrientation } from './helpers.mjs';

const sample8 = (x, y, c) => (x * 37 + y * 101 + c * 59 + 7) % 256;

async function rejectsWith(promise, code, pattern) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof DermcamError, `expected DermcamError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

test('the module loads once and is shared', async () => {
  const [a, b] = await Promise.all([loadCore(), loadCore()]);
  assert.equal(a, b);
  assert.equal(typeof a.prepareImage, 'function');
});

test('decodes an interlaced PNG to the exact known pixels', async () => {
  const image = await decodeImage(fixture('rgb8_interlaced.png'));
  assert.equal(image.format, 'PNG');
  assert.equal(image.width, 13);
  assert.equal(image.height, 11);
  assert.ok(image.rgb instanceof Uint8Array);
  for (let y = 0; y < 11; y++) {
    for (let x = 0; x < 13; x++) {
      for (let c = 0; c < 3; c++) assert.equal(image.rgb[(y * 13 + x) * 3 + c], sample8(x, y, c));
    }
  }
});

test('decodes 16-bit PNG with rounding and reports its depth', async () => {
  const image = await decodeImage(fixture('gray16.png'));
  assert.equal(image.bitsPerChannel, 16);
  assert.equal(image.channels, 1);
  const v = (12345 * 255) / 65535;  // pixel (0,0): sample16 = 12345
  assert.equal(image.rgb[0], Math.round(v));
});

test('applies every EXIF orientation, as a browser does', async () => {
  const jpeg = fixture('photo.jpg');
  for (let o = 1; o <= 8; o++) {
    const image = await decodeImage(withExifOrientation(jpeg, o));
    assert.equal(image.exifOrientation, o);
    assert.equal(image.storedWidth, 451);
    assert.deepEqual([image.width, image.height], o >= 5 ? [300, 451] : [451, 300], `orientation ${o}`);
  }
  const raw = await decodeImage(withExifOrientation(jpeg, 6), { applyExifOrientation: false });
  assert.deepEqual([raw.width, raw.height], [451, 300]);
});

test('prepareImage returns tensor, display copy and mapping', async () => {
  const result = await prepareImage(fixture('photo.jpg'), { width: 224, height: 224, resize: 'letterbox' });
  assert.deepEqual(result.tensor.shape, [1, 3, 224, 224]);
  assert.equal(result.tensor.layout, 'NCHW');
  assert.ok(result.tensor.data instanceof Float32Array);
  assert.equal(result.tensor.data.length, 3 * 224 * 224);
  assert.ok(result.display.rgba instanceof Uint8ClampedArray);
  assert.deepEqual([result.display.width, result.display.height], [451, 300]);
  assert.equal(result.display.rgba.length, 451 * 300 * 4);
  // 451 x 300 letterboxed into 224: content 224 x 149, top = 37.
  assert.deepEqual(result.placement.tensorContent, { x0: 0, y0: 37, x1: 224, y1: 186 });
  const m = result.tensorToDisplay;
  assert.ok(Math.abs(37 * m.scaleY + m.offsetY) < 1e-9);
  assert.ok(Math.abs(186 * m.scaleY + m.offsetY - 300) < 1e-9);
  // The typed arrays are JS-owned copies: a later call that grows wasm memory must not detach them.
  const before = result.tensor.data[1000];
  await prepareImage(fixture('photo.jpg'), { width: 2048, height: 2048, resize: 'stretch' });
  assert.equal(result.tensor.data[1000], before);
  assert.equal(result.tensor.data.buffer.byteLength, 3 * 224 * 224 * 4);
});

test('NHWC and byte-scale options are honoured', async () => {
  const result = await prepareImage(fixture('blocks24.bmp'), {
    width: 8, height: 6, resize: 'stretch', layout: 'NHWC', scale: '0-255', mean: [0, 0, 0], std: [1, 1, 1],
  });
  assert.deepEqual(result.tensor.shape, [1, 6, 8, 3]);
  // Top-left block is (200, 30, 30) and stays flat at this scale.
  assert.deepEqual(Array.from(result.tensor.data.subarray(0, 3)), [200, 30, 30]);
});

test('bad bytes are refused with the right code and a plain message', async () => {
  await rejectsWith(decodeImage(new Uint8Array(0)), 'empty_input', /empty/);
  await rejectsWith(decodeImage(fixture('refused.gif')), 'unsupported_format', /GIF images are not supported/);
  await rejectsWith(decodeImage(fixture('refused.heic')), 'unsupported_format', /HEIC/);
  await rejectsWith(decodeImage(fixture('refused.webp')), 'unsupported_format', /WebP/);
  await rejectsWith(decodeImage(fixture('not_image.pdf.jpg')), 'unrecognized_format', /not a JPEG, PNG or BMP/);
  const truncated = fixture('blocks.png').subarray(0, 60);
  await rejectsWith(decodeImage(truncated), 'corrupt_image', /damaged or incomplete/);
  await rejectsWith(decodeImage(fixture('photo.jpg'), { maxPixels: 1000 }), 'image_too_large', /451 x 300/);
});

test('bad arguments are refused before any work', async () => {
  await rejectsWith(decodeImage('not bytes'), 'invalid_argument', /Uint8Array or an ArrayBuffer/);
  await rejectsWith(decodeImage(fixture('photo.jpg'), { maxPixel: 5 }), 'invalid_argument', /Unknown option 'maxPixel'/);
  await rejectsWith(prepareImage(fixture('photo.jpg'), { resize: 'crop' }), 'invalid_argument',
    /'resize' must be one of 'stretch', 'center-crop', 'letterbox'/);
  await rejectsWith(prepareImage(fixture('photo.jpg'), { std: [1, 0, 1] }), 'invalid_argument', /non-zero std/);
  await rejectsWith(prepareImage(fixture('photo.jpg'), { width: 1.5 }), 'invalid_argument', /'width' must be an integer/);
  await rejectsWith(prepareImage(fixture('photo.jpg'), { mean: [1, 2] }), 'invalid_argument', /array of 3 numbers/);
  await rejectsWith(prepareImage(fixture('photo.jpg'), { maxDisplaySide: 4 }), 'invalid_argument', /display size/);
  // ArrayBuffer input works too.
  const bytes = fixture('blocks.png');
  const image = await decodeImage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  assert.equal(image.width, 64);
});

test('errors leave the module usable and its memory bounded', async () => {
  const good = fixture('photo.jpg');
  await prepareImage(good);
  const baseline = await coreMemoryBytes();
  const bad = [fixture('refused.gif'), fixture('not_image.txt.jpg'), good.subarray(0, 200), new Uint8Array(1)];
  for (let i = 0; i < 200; i++) await prepareImage(bad[i % bad.length]).catch(() => {});
  const result = await prepareImage(good);
  assert.equal(result.photo.width, 451);
  assert.equal(await coreMemoryBytes(), baseline);
});

// --- native == wasm, bit for bit ---

const NATIVE_TOOL = join(NATIVE_BUILD, 'tests/native/dermcam_prepare_tool');
const CASES = [
  ['photo.jpg', { width: 224, height: 224, resize: 'center-crop' }],
  ['photo.jpg', { width: 224, height: 224, resize: 'letterbox', layout: 'NHWC' }],
  ['photo.jpg', { width: 299, height: 180, resize: 'stretch', filter: 'cubic', maxDisplaySide: 200 }],
  ['photo.jpg', { width: 600, height: 600, resize: 'stretch', filter: 'box', scale: '0-255' }],
  ['blocks_progressive.jpg', { width: 32, height: 32, resize: 'center-crop' }],
  ['blocks_cmyk.jpg', { width: 50, height: 20, resize: 'letterbox' }],
  ['rgba16_interlaced.png', { width: 64, height: 64, resize: 'stretch' }],
  ['palette.png', { width: 7, height: 9, resize: 'center-crop' }],
  ['blocks8.bmp', { width: 100, height: 100, resize: 'letterbox', filter: 'box' }],
  ['lesion_blurry.jpg', { width: 128, height: 128, resize: 'center-crop' }],
  ['lesion_glare.jpg', { width: 96, height: 96, resize: 'center-crop' }],  // glare: spotHighlights above 0
  ['portrait.jpg', { width: 96, height: 160, resize: 'stretch', maxDisplaySide: 100 }],
  ['photo.jpg', { width: 128, height: 128, resize: 'center-crop', region: [100, 40, 150, 150] }],
  ['photo.jpg', { width: 64, height: 48, resize: 'letterbox', region: [0, 0, 31, 200], maxDisplaySide: 64 }],
];

test('wasm tensors and display copies are bit-identical to native', async (t) => {
  assert.ok(existsSync(NATIVE_TOOL), `native tool missing at ${NATIVE_TOOL}: build the native tree first`);
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, options] of CASES) {
    const args = Object.entries(options).map(([k, v]) => `${k}=${v}`);  // region=x,y,w,h as the tool reads it
    const prefix = join(dir, 'out');
    const meta = JSON.parse(execFileSync(NATIVE_TOOL, [FIXTURES + name, prefix, ...args], { encoding: 'utf8' }));
    const nativeTensor = readFileSync(`${prefix}.tensor.f32`);
    const nativeDisplay = readFileSync(`${prefix}.display.rgba`);
    const wasm = await prepareImage(fixture(name), options);
    const label = `${name} ${JSON.stringify(options)}`;
    assert.deepEqual(wasm.tensor.shape, meta.shape, label);
    assert.ok(Buffer.from(wasm.tensor.data.buffer).equals(nativeTensor), `tensor differs: ${label}`);
    assert.deepEqual([wasm.display.width, wasm.display.height], [meta.display.width, meta.display.height]);
    assert.ok(Buffer.from(wasm.display.rgba.buffer).equals(nativeDisplay), `display differs: ${label}`);
    assert.deepEqual(wasm.tensorToDisplay, meta.tensorToDisplay, label);
    const { issues, likelyCauses, ...measures } = wasm.quality;
    assert.deepEqual(measures, meta.quality, `photo quality differs: ${label}`);
    assert.ok(Array.isArray(issues) && Array.isArray(likelyCauses));
  }
});

test('a region: the display copy shows it, the tensor comes from it, and a bad one is refused', async () => {
  const whole = await prepareImage(fixture('photo.jpg'), { width: 64, height: 64 });
  const region = await prepareImage(fixture('photo.jpg'), { width: 64, height: 64, region: [100, 40, 150, 150] });
  assert.deepEqual(region.shown, { x0: 100, y0: 40, x1: 250, y1: 190 });
  assert.deepEqual([region.display.width, region.display.height], [150, 150]);
  assert.deepEqual(region.placement.sourceRegion, region.shown);
  assert.notDeepEqual(region.tensor.data, whole.tensor.data);
  // The display copy is the photo's own pixels there (no scaling at this size).
  const decoded = await decodeImage(fixture('photo.jpg'));
  for (const [x, y] of [[0, 0], [149, 149], [70, 20]]) {
    const at = ((y + 40) * decoded.width + x + 100) * 3;
    assert.deepEqual(Array.from(region.display.rgba.subarray((y * 150 + x) * 4, (y * 150 + x) * 4 + 3)),
      Array.from(decoded.rgb.subarray(at, at + 3)), `${x},${y}`);
  }
  for (const bad of [[0, 0, 0, 10], [-1, 0, 5, 5], [1.5, 0, 5, 5], 'all', [1, 2, 3]]) {
    await assert.rejects(prepareImage(fixture('photo.jpg'), { region: bad }),
      (e) => e instanceof DermcamError && e.code === 'invalid_argument', JSON.stringify(bad));
  }
  // Well formed but beyond the photo: its own code, with the photo's size for the sentence a person reads.
  await assert.rejects(prepareImage(fixture('photo.jpg'), { region: [0, 0, 1e4, 10] }),
    (e) => e instanceof DermcamError && e.code === 'region_outside_photo' &&
      e.params.photoWidth === whole.photo.width && e.params.photoHeight === whole.photo.height);
});

test('pixels a browser decoded go through the same preprocessing as decoded bytes', async () => {
  const decoded = await decodeImage(fixture('photo.jpg'));
  const rgba = new Uint8Array(decoded.width * decoded.height * 4);
  for (let i = 0; i < decoded.width * decoded.height; i++) {
    rgba.set(decoded.rgb.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  const options = { width: 96, height: 96, region: [10, 10, 200, 180] };
  const fromBytes = await prepareImage(fixture('photo.jpg'), options);
  const fromPixels = await prepareImage({ width: decoded.width, height: decoded.height, rgba }, options);
  assert.equal(fromPixels.photo.format, 'browser-decoded');
  assert.deepEqual(fromPixels.tensor.data, fromBytes.tensor.data);
  assert.deepEqual(fromPixels.display.rgba, fromBytes.display.rgba);
  assert.deepEqual(fromPixels.quality, fromBytes.quality);
  // Transparent pixels are composited over white, as stb_image's path does.
  const clear = await prepareImage({ width: 2, height: 2, rgba: new Uint8Array(16) }, { width: 2, height: 2 });
  assert.deepEqual(Array.from(clear.display.rgba), Array(16).fill(255));
  await assert.rejects(prepareImage({ width: 3, height: 2, rgba: new Uint8Array(16) }),
    (e) => e.code === 'invalid_argument' && /3 x 2 x 4 = 24, got 16/.test(e.message));
  await assert.rejects(prepareImage({ width: 4000, height: 4000, rgba: new Uint8Array(64e6) }, { maxPixels: 1e6 }),
    (e) => e.code === 'image_too_large');
});

test("the quality thresholds' ranges: the core's table is the one model.json is checked against", async () => {
  const ranges = await qualityThresholdRanges();
  assert.deepEqual(Object.fromEntries(ranges.map(({ name, ...range }) => [name, range])), { ...QUALITY_RANGES });
  // And the core refuses what gate.mjs refuses: a threshold just past its range.
  const photo = fixture('photo.jpg');
  for (const { name, max } of ranges) {
    const result = await prepareImage(photo, { width: 224, height: 224, quality: { [name]: max + 1 } }).catch((error) => error);
    assert.ok(result instanceof DermcamError && result.code === 'invalid_argument' && result.message.includes(name), name);
  }
});
