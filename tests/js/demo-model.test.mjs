// The shipped demo model (models/demo): what its card promises, checked on the files themselves.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { validateModelConfig } from '../../web/js/model-config.mjs';
import { explainMetadata } from '../../web/js/onnx/prepared.mjs';
import { decodeModel } from '../../web/js/onnx/model.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { ortWeb } from './explain-helpers.mjs';
import { ROOT } from './helpers.mjs';
import { pearson } from '../../web/js/correlation.mjs';

const DEMO = join(ROOT, 'models/demo');
const config = JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8'));

test('model.json is valid, bilingual, and its card says what the model is', () => {
  const valid = validateModelConfig(config);
  assert.equal(valid.labels.length, 6);
  assert.match(valid.card.summary.en, /generated/);
  assert.match(valid.card.summary.en, /not a medical device/);
  assert.match(valid.card.limits.en, /see a doctor/);
  for (const field of ['summary', 'data', 'intendedUse', 'limits', 'provenance']) assert.ok(valid.card[field].vi.length > 20);
  assert.match(readFileSync(join(DEMO, 'README.md'), 'utf8'), /Not a medical device\. Not for diagnosis\./);
});

test('the ONNX files are prepared explain graphs within the size budget', () => {
  for (const file of ['model.onnx', 'model-int8.onnx']) {
    const bytes = new Uint8Array(readFileSync(join(DEMO, file)));
    assert.ok(bytes.length <= 4 * 1024 * 1024, `${file} is ${bytes.length} bytes`);
    const meta = explainMetadata(decodeModel(bytes));
    assert.equal(meta.classes.k, 3);
    assert.deepEqual(meta.input.shape, [3, 128, 128]);
    assert.deepEqual(meta.layers[0].shape.slice(1), [16, 16]);
  }
  assert.ok(statSync(join(DEMO, 'model-int8.onnx')).size < statSync(join(DEMO, 'model.onnx')).size / 2);
});

test('the evaluation report is there and meets the targets it states', () => {
  const report = readFileSync(join(DEMO, 'REPORT.md'), 'utf8');
  assert.match(report, /Pointing game/);
  const { metrics } = config.card;
  assert.ok(metrics.testImages >= 1000);
  assert.ok(metrics.accuracy >= 0.9, `accuracy ${metrics.accuracy}`);
  assert.ok(metrics.pointingGame >= 0.9, `pointing game ${metrics.pointingGame}`);
  assert.ok(metrics.int8.pointingGame >= 0.9, `int8 pointing game ${metrics.int8.pointingGame}`);
  assert.match(report, /Target: at least 90%\. Met\./);
  // The generator's classes are not separable by a trivial cue (the requirement), as the report measures.
  for (const [cue, accuracy] of Object.entries(metrics.trivialCueAccuracy)) assert.ok(accuracy < 0.5, `${cue} alone: ${accuracy}`);
  assert.deepEqual(Object.keys(metrics.trivialCueAccuracy), ['colour', 'size', 'position', 'allThree']);
  assert.ok(metrics.int8.top1Agreement >= 0.95, `int8 agreement ${metrics.int8.top1Agreement}`);
  assert.ok(existsSync(join(DEMO, 'examples.png')));
});

let explainer;  // the model the app loads: model.json's "model", the int8 variant
let fp32;
before(async () => {
  explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(DEMO, config.model))), config });
  fp32 = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await fp32.load({ onnxBytes: new Uint8Array(readFileSync(join(DEMO, 'model.onnx'))), config });
});

async function heldOutTiles() {
  const sheet = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/demo/labels.json'), 'utf8'));
  const image = await core.decodeImage(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/demo/lesions.jpg'))));
  const tile = sheet.tile;
  const { mean, std } = config.input;
  return sheet.labels.map((label, i) => {
    const ox = (i % sheet.columns) * tile;
    const oy = Math.floor(i / sheet.columns) * tile;
    const data = new Float32Array(3 * tile * tile);
    for (let y = 0; y < tile; y++) {
      for (let x = 0; x < tile; x++) {
        const p = ((oy + y) * image.width + ox + x) * 3;
        for (let c = 0; c < 3; c++) data[c * tile * tile + y * tile + x] = (image.rgb[p + c] / 255 - mean[c]) / std[c];
      }
    }
    return { label, ox, oy, tensor: { data, shape: [1, 3, tile, tile] } };
  });
}

test('the app loads the int8 model: it agrees with fp32 on every held-out tile and on the photo gate', async () => {
  assert.equal(config.model, 'model-int8.onnx');
  for (const { tensor } of await heldOutTiles()) {
    const small = await explainer.analyse({ tensor }, {}, { force: true });
    const full = await fp32.analyse({ tensor }, {}, { force: true });
    assert.equal(small.predictions[0].index, full.predictions[0].index);
    assert.ok(Math.abs(small.predictions[0].probability - full.predictions[0].probability) < 0.05);
    assert.ok(pearson(small.map.data, full.map.data) > 0.99, 'Grad-CAM maps differ');
  }
  for (const name of ['lesion.jpg', 'portrait.jpg', 'lesion_blurry.jpg']) {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/images', name)));
    assert.equal((await explainer.analyse({ bytes })).gate.accepted, (await fp32.analyse({ bytes })).gate.accepted, name);
  }
});

test('held-out generated lesions are recognised, and Grad-CAM points at them, through the app pipeline', async () => {
  const sheet = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/demo/labels.json'), 'utf8'));
  const masks = await core.decodeImage(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/demo/masks.png'))));
  let correct = 0;
  let pointed = 0;
  for (const [i, { ox, oy, tensor }] of (await heldOutTiles()).entries()) {
    const result = await explainer.analyse({ tensor });
    correct += result.predictions[0].index === sheet.labels[i];
    assert.equal(result.status, 'ok');
    const explained = await explainer.render({ classIndex: sheet.labels[i] });
    assert.equal(explained.ranModel, false, 'the true class is within the top 3 the model already explained');
    const { data: map, width } = explained.map;
    let best = 0;
    for (let p = 1; p < map.length; p++) if (map[p] > map[best]) best = p;
    const maskPixel = ((oy + Math.floor(best / width)) * masks.width + ox + (best % width)) * 3;
    pointed += masks.rgb[maskPixel] > 127;
  }
  assert.ok(correct / sheet.labels.length >= 0.9, `${correct} of ${sheet.labels.length} correct`);
  // The card's 90% pointing-game target, on a sample the model never saw, as the app computes the map.
  assert.ok(pointed / sheet.labels.length >= 0.9, `the map's maximum is inside the lesion for ${pointed} of ${sheet.labels.length}`);
});
