// The quick map check (web/js/map-check.mjs): each test on synthetic maps with known answers, and on the demo
// model, where Grad-CAM passes and a random map, or a class-blind one, does not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';

import * as core from '../../web/js/core.mjs';
import { MAP_CHECK, checkMap } from '../../web/js/map-check.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { ROOT, fixture } from './helpers.mjs';

const [width, height] = [16, 16];
const shape = { width, height, layout: /** @type {'NCHW'} */ ('NCHW') };
const input = new Float32Array(3 * width * height).fill(1);
// A model that only sees the top left quarter: its probability is the share of that quarter still intact.
const inQuarter = (i) => i % width < width / 2 && Math.floor(i / width) < height / 2;
const probabilities = async (batch, count) => Array.from({ length: count }, (_, b) => {
  let kept = 0;
  for (let i = 0; i < width * height; i++) if (inQuarter(i) && batch[b * input.length + i] !== 0) kept += 1;
  return kept / (width * height / 4);
});
const quarterMap = Float32Array.from({ length: width * height }, (_, i) => (inQuarter(i) ? 0.5 + (i % 7) / 20 : (i % 5) / 20));
const scattered = Float32Array.from({ length: width * height }, (_, i) => ((i * 37) % 101) / 101);
const mirrored = (map) => Float32Array.from(map, (_, i) => map[Math.floor(i / width) * width + (width - 1 - (i % width))]);

test('a map on what the model reads beats a random one, is stable mirrored, and differs from a random head\'s', async () => {
  const result = await checkMap({ input, shape, map: quarterMap, randomMap: scattered, flippedMap: quarterMap, probabilities, batchSize: 5 });
  assert.equal(result.beatsRandom, true);
  assert.ok(result.deletionScore < result.randomDeletionScore);
  assert.equal(result.flipStable, true);
  assert.equal(result.changesWithModel, true);
  assert.equal(result.passed, true);
  assert.equal(result.modelRuns, 2 * MAP_CHECK.deletionFractions.length);
});

test('each failure is caught: a map on what the model ignores, a mirror that moves it, a map equal to a random head\'s', async () => {
  const elsewhere = Float32Array.from(quarterMap, (v) => 1 - v);
  const wrong = await checkMap({ input, shape, map: elsewhere, randomMap: scattered, flippedMap: null, probabilities, batchSize: 4 });
  assert.equal(wrong.beatsRandom, false);
  assert.equal(wrong.flipStable, null, 'no mirrored map: not judged');
  assert.equal(wrong.passed, false);
  const unstable = await checkMap({ input, shape, map: quarterMap, randomMap: scattered, flippedMap: mirrored(quarterMap), probabilities, batchSize: 64 });
  assert.equal(unstable.flipStable, false);
  assert.equal(unstable.passed, false);
  const blind = await checkMap({ input, shape, map: quarterMap, randomMap: quarterMap, flippedMap: quarterMap, probabilities, batchSize: 64 });
  assert.equal(blind.changesWithModel, false);
  assert.equal(blind.passed, false);
});

test('the randomised-head map, when there is one, is what the map must differ from', async () => {
  const same = await checkMap({ input, shape, map: quarterMap, randomMap: scattered, randomModelMap: quarterMap,
    flippedMap: quarterMap, probabilities, batchSize: 64 });
  assert.equal(same.randomisation, 'head');
  assert.equal(same.changesWithModel, false);
  const differs = await checkMap({ input, shape, map: quarterMap, randomMap: quarterMap, randomModelMap: scattered,
    flippedMap: quarterMap, probabilities, batchSize: 64 });
  assert.equal(differs.changesWithModel, true);
  const approximated = await checkMap({ input, shape, map: quarterMap, randomMap: scattered, flippedMap: null, probabilities, batchSize: 64 });
  assert.equal(approximated.randomisation, 'random-linear');
});

test('randomisedHead redraws the weights of the head (float, or int8 behind a DequantizeLinear) and keeps the rest', async () => {
  const { headGraph, randomisedHead } = await import('../../web/js/onnx/head.mjs');
  const { decodeModel } = await import('../../web/js/onnx/model.mjs');
  for (const file of ['model.onnx', 'model-int8.onnx']) {
    const cut = headGraph(readFileSync(join(ROOT, 'models/demo', file)), 0);
    const { bytes, redrawn } = randomisedHead(cut.bytes);
    assert.equal(redrawn, 1, file);
    const before = new Map(decodeModel(cut.bytes).graph.initializer.map((t) => [t.name, t]));
    for (const tensor of decodeModel(bytes).graph.initializer) {
      const old = before.get(tensor.name);
      const weight = /weight(_int8)?$/.test(tensor.name);
      const same = Buffer.from(old.rawData ?? []).equals(Buffer.from(tensor.rawData ?? [])) &&
        JSON.stringify(Array.from(old.floatData ?? [])) === JSON.stringify(Array.from(tensor.floatData ?? []));
      assert.equal(same, !weight, `${file} ${tensor.name}`);
    }
    assert.deepEqual(randomisedHead(cut.bytes).bytes, bytes, 'seeded: the same head every time');
  }
});

test('on the demo model: Grad-CAM passes; a random map and a class-blind map (Eigen-CAM) do not', async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  const explainer = new Explainer({ ort, core });
  await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(ROOT, 'models/demo', config.model))), config });
  const verdicts = {};
  for (const method of ['gradcam', 'randomcam', 'eigencam']) {
    await explainer.analyse({ bytes: fixture('lesion.jpg') }, { method });
    verdicts[method] = await explainer.checkMap();
  }
  await explainer.release();
  assert.equal(verdicts.gradcam.passed, true, JSON.stringify(verdicts.gradcam));
  assert.ok(verdicts.gradcam.flipCorrelation > 0.9);
  // The randomisation test itself, not its approximation: the head after the layer got random weights.
  assert.equal(verdicts.gradcam.randomisation, 'head');
  assert.ok(Math.abs(verdicts.gradcam.randomHeadCorrelation) < 0.5, JSON.stringify(verdicts.gradcam));
  assert.equal(verdicts.randomcam.passed, false);
  assert.equal(verdicts.randomcam.beatsRandom, false);
  assert.equal(verdicts.randomcam.changesWithModel, false);
  // Eigen-CAM is the layer's first principal component: the same map whatever the class or the head.
  assert.equal(verdicts.eigencam.changesWithModel, false, JSON.stringify(verdicts.eigencam));
});

test('one Random-CAM per photo: the map check and the metrics compare against the same random map, made once', async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  const made = [];
  const counting = { ...core, computeCam: (options) => {
    made.push(options.method);
    return core.computeCam(options);
  } };
  const explainer = new Explainer({ ort, core: counting });
  await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(ROOT, 'models/demo', config.model))), config });
  await explainer.analyse({ bytes: fixture('lesion.jpg') });
  const checked = await explainer.checkMap();
  const metrics = await explainer.metrics();
  assert.equal(made.filter((method) => method === 'randomcam').length, 1, made.join());
  assert.equal(typeof checked.beatsRandom, 'boolean');
  assert.ok(Number.isFinite(metrics.random_deletion_auc), JSON.stringify(metrics));
  // A new photo gets its own.
  await explainer.analyse({ bytes: fixture('lesion.jpg') });
  await explainer.checkMap();
  assert.equal(made.filter((method) => method === 'randomcam').length, 2);
  await explainer.release();
});
