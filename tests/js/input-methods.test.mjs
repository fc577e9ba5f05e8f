// The input-space methods (RISE, occlusion: issue #30 item 2) and models whose head dermcam cannot differentiate:
// each map against a one-copy-at-a-time reference, a model with a known answer, and the demo model with an
// operator that has no gradient rule, loaded forward-only and explained by the methods that need no gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { seededRandom } from '../../web/js/faithfulness.mjs';
import { DataType, encodeModel, floatTensor, valueInfo } from '../../web/js/onnx/model.mjs';
import { prepareExplainModel } from '../../web/js/onnx/explain.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { RISE_DEFAULTS, riseMask } from '../../web/js/cam/rise.mjs';
import { windowStarts } from '../../web/js/cam/occlusion.mjs';
import { demoWithoutGradients, ortWeb } from './explain-helpers.mjs';
import { ROOT, fixture } from './helpers.mjs';

const SIZE = 16;

// Class 0's score grows with the input's top-left 6 x 6 patch (the rest is multiplied by 0 before anything reads
// it); class 1's is its negative, class 2's 0.
const PATCH = 6;
const inPatch = (pixel) => pixel % SIZE < PATCH && Math.floor(pixel / SIZE) < PATCH;

function patchModel() {
  const keep = new Float32Array(3 * SIZE * SIZE).map((_, i) => (inPatch(i % (SIZE * SIZE)) ? 1 : 0));
  return encodeModel({
    irVersion: 8,
    producerName: 'dermcam-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'patch',
      node: [
        { opType: 'Mul', input: ['input', 'keep'], output: ['kept'], name: 'keep', attribute: [] },
        { opType: 'Relu', input: ['kept'], output: ['layer'], name: 'relu', attribute: [] },
        { opType: 'GlobalAveragePool', input: ['layer'], output: ['pooled'], name: 'pool', attribute: [] },
        { opType: 'Flatten', input: ['pooled'], output: ['flat'], name: 'flatten', attribute: [] },
        { opType: 'Gemm', input: ['flat', 'w', 'b'], output: ['logits'], name: 'head', attribute: [{ name: 'transB', type: 2, i: 1 }] },
      ],
      initializer: [floatTensor('keep', keep, [1, 3, SIZE, SIZE]), floatTensor('w', [20, 20, 20, -20, -20, -20, 0, 0, 0], [3, 3]),
        floatTensor('b', [0, 0, 0], [3])],
      input: [valueInfo('input', DataType.FLOAT, ['N', 3, SIZE, SIZE])],
      output: [valueInfo('logits', DataType.FLOAT, ['N', 3])],
    },
  });
}

async function explainerFor(onnxBytes, config) {
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] },
    perturbationBudgetBytes: 64 * 1024 });
  await explainer.load({ onnxBytes, config });
  return explainer;
}

// A positive input with some texture: hiding any of the patch lowers class 0.
function testInput() {
  const random = seededRandom(5);
  return { data: Float32Array.from({ length: 3 * SIZE * SIZE }, () => 0.5 + 0.5 * random.uniform()), shape: [1, 3, SIZE, SIZE] };
}

async function probabilityOf(explainer, data, classIndex) {
  const run = await explainer.run(data, 1, [classIndex]);
  return explainer.model.classProbability(run, 0, classIndex);
}

test('the windows cover every pixel, the last one flush with the edge', () => {
  assert.deepEqual(windowStarts(16, 4, 2), [0, 2, 4, 6, 8, 10, 12]);
  assert.deepEqual(windowStarts(10, 4, 4), [0, 4, 6]);
  assert.deepEqual(windowStarts(3, 8, 4), [0]);
});

test('RISE masks: in [0, 1], about `keep` of the photo shown, the same from the same seed, soft edges', () => {
  const a = riseMask(seededRandom(1), 64, 48);
  const b = riseMask(seededRandom(1), 64, 48);
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
  let mean = 0;
  const random = seededRandom(2);
  for (let i = 0; i < 200; i++) mean += riseMask(random, 64, 48).reduce((s, v) => s + v, 0) / (64 * 48 * 200);
  assert.ok(Math.abs(mean - RISE_DEFAULTS.keep) < 0.03, `mean mask ${mean}`);
  assert.ok(a.some((v) => v > 0.05 && v < 0.95), 'bilinear: values between hidden and shown');
});

test('occlusion equals the windows run one at a time, and is exactly 0 where the model does not look', async () => {
  const explainer = await explainerFor(patchModel());
  const tensor = testInput();
  await explainer.analyse({ tensor });
  const result = await explainer.render({ method: 'occlusion', classIndex: 0, occlusion: { window: 4, stride: 2 } });
  assert.equal(result.status, 'ok');
  const [raw] = explainer.rawMap();
  assert.deepEqual([raw.width, raw.height, raw.name], [SIZE, SIZE, 'input']);
  // The reference: each window hidden on its own copy, the drop averaged over the windows covering a pixel.
  const clean = await probabilityOf(explainer, tensor.data, 0);
  const sum = new Float64Array(SIZE * SIZE);
  const count = new Float64Array(SIZE * SIZE);
  const starts = windowStarts(SIZE, 4, 2);
  for (const y0 of starts) {
    for (const x0 of starts) {
      const copy = tensor.data.slice();
      for (let c = 0; c < 3; c++) for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) copy[(c * SIZE + y) * SIZE + x] = 0;
      const drop = clean - await probabilityOf(explainer, copy, 0);
      for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) [sum[y * SIZE + x], count[y * SIZE + x]] = [sum[y * SIZE + x] + drop, count[y * SIZE + x] + 1];
    }
  }
  for (let i = 0; i < sum.length; i++) assert.ok(Math.abs(raw.raw[i] - sum[i] / count[i]) < 1e-6, `pixel ${i}: ${raw.raw[i]} vs ${sum[i] / count[i]}`);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      // From column or row 8 on, every window covering a pixel misses the patch: hiding it changes nothing.
      if (x >= 8 || y >= 8) assert.equal(raw.raw[y * SIZE + x], 0, `(${x}, ${y})`);
      // Every window covering these touches the patch.
      if (x < 4 && y < 4) assert.ok(raw.raw[y * SIZE + x] > 0, `(${x}, ${y})`);
    }
  }
  // Shown as a CAM is: ReLU, scaled into [0, 1].
  assert.ok(result.map.data.every((v) => v >= 0 && v <= 1));
  assert.ok(Math.max(...result.map.data) > 0.99);
});

test('RISE equals its masks run one at a time, and finds the patch the model reads', async () => {
  const explainer = await explainerFor(patchModel());
  const tensor = testInput();
  await explainer.analyse({ tensor });
  const options = { masks: 48, seed: 11 };
  const progress = [];
  const result = await explainer.render({ method: 'rise', classIndex: 0, rise: options },
    { progress: (p) => progress.push(p.loaded) });
  assert.equal(result.status, 'ok');
  assert.equal(progress.at(-1), 48);
  assert.ok(progress.length > 2, 'batches within the memory budget, progress after each');
  const [raw] = explainer.rawMap();
  const random = seededRandom(11);
  const reference = new Float64Array(SIZE * SIZE);
  for (let i = 0; i < 48; i++) {
    const mask = riseMask(random, SIZE, SIZE);
    const copy = tensor.data.map((v, j) => v * mask[j % (SIZE * SIZE)]);
    const p = await probabilityOf(explainer, copy, 0);
    for (let j = 0; j < reference.length; j++) reference[j] += (p * mask[j]) / (48 * RISE_DEFAULTS.keep);
  }
  for (let j = 0; j < reference.length; j++) assert.ok(Math.abs(raw.raw[j] - reference[j]) < 1e-5, `pixel ${j}`);
  // With more masks the patch (what class 0 reads) stands out against the rest.
  await explainer.render({ method: 'rise', classIndex: 0, rise: { masks: 400 } });
  const [{ raw: map }] = explainer.rawMap();
  const mean = (want) => { const v = Array.from(map).filter((_, j) => inPatch(j) === want); return v.reduce((a, b) => a + b) / v.length; };
  assert.ok(mean(true) > 1.03 * mean(false), `patch ${mean(true)}, elsewhere ${mean(false)}`);
  // Switching back to a map already made costs no run.
  const runs = explainer.modelRuns;
  await explainer.render({ method: 'rise', classIndex: 0, rise: options });
  assert.equal(explainer.modelRuns, runs);
});

test('a stopped RISE keeps nothing and leaves the map drawn before', async () => {
  const explainer = await explainerFor(patchModel());
  await explainer.analyse({ tensor: testInput() });
  const before = explainer.current.map;
  const controller = new AbortController();
  await assert.rejects(explainer.render({ method: 'rise', rise: { masks: 200 } }, { signal: controller.signal,
    progress: ({ loaded }) => { if (loaded > 0) controller.abort(); } }), { name: 'AbortError' });
  assert.equal(explainer.current.map, before);
  assert.equal(explainer.current.cache('rise:200:7:0.5:20181203').size, 0);
});

test('a model whose head has an operator without a gradient rule is prepared forward-only and explained without gradients', async () => {
  const ort = await ortWeb();
  const bytes = demoWithoutGradients();
  // Asked for gradients, prepare names the operator; the session then prepares it forward-only.
  await assert.rejects(prepareExplainModel(ort, bytes, {}), (error) => error.code === 'unsupported_op' && error.params.op === 'Shrink');
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  const explainer = await explainerFor(bytes, config);
  assert.deepEqual(explainer.metadata.forwardOnly, { op: 'Shrink', node: 'no_gradient_rule' });
  assert.ok(explainer.metadata.layers.every((l) => l.gradients === undefined));
  const { methods, forwardOnly } = await explainer.methods();
  assert.equal(forwardOnly.op, 'Shrink');
  const ids = methods.map((m) => m.id);
  for (const id of ['rise', 'occlusion', 'scorecam']) assert.ok(ids.includes(id), id);
  for (const id of ['gradcam', 'gradcam++', 'finercam', 'layercam', 'saliency', 'integratedgradients', 'guidedgradcam']) {
    assert.ok(!ids.includes(id), id);
  }
  // The same answer as the demo model (Shrink with lambd 0 is the identity), the gate as strict.
  const demo = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'] } });
  await demo.load({ onnxBytes: readFileSync(join(ROOT, 'models/demo/model.onnx')), config });
  const photo = { bytes: fixture('lesion.jpg') };
  const [result, reference] = [await explainer.analyse(photo), await demo.analyse(photo)];
  assert.equal(result.gate.accepted, reference.gate.accepted);
  assert.equal(result.predictions[0].index, reference.predictions[0].index);
  assert.ok(Math.abs(result.predictions[0].probability - reference.predictions[0].probability) < 1e-5);
  // The first map is the forward-only default, occlusion; a gradient method is refused with the operator named.
  assert.equal(result.method, 'occlusion');
  assert.equal(result.status, 'ok');
  await assert.rejects(explainer.render({ method: 'gradcam' }), (error) => error.code === 'needs_gradients' &&
    error.params.op === 'Shrink' && /Shrink/.test(error.message));
  const scoreCam = await explainer.render({ method: 'scorecam' });
  assert.equal(scoreCam.status, 'ok');
  const check = await explainer.checkMap();
  assert.equal(check.flipCorrelation, null, 'no mirror check without gradients');
  // A refused photo's "why" reads the gate's own gradient, not the model's: it still has a map.
  await explainer.analyse({ bytes: fixture('photo.jpg') });
  const why = await explainer.whyRefused();
  assert.ok(why.map.data.some((v) => v > 0));
  await Promise.all([explainer.release(), demo.release()]);
});
