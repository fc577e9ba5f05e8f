// The shared pipeline (web/js/pipeline.mjs) in Node with ONNX Runtime Web's wasm backend, as the CLI runs
// it: model loading and validation, analysis, and re-rendering without re-running the model.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';

import * as core from '../../web/js/core.mjs';
import { validateModelConfig } from '../../web/js/model-config.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { DermcamError } from '../../web/js/errors.mjs';
import { loadFixture, ortWeb } from './explain-helpers.mjs';
import { fixture } from './helpers.mjs';
import { LABELS, testConfig } from './test-config.mjs';

let explainer;
before(async () => {
  explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await explainer.load({ onnxBytes: loadFixture('mlp_head').model, config: testConfig() });
});

test('analyse gives sorted predictions, an explanation and timings', async () => {
  const result = await explainer.analyse({ bytes: fixture('photo.jpg') });
  assert.equal(result.predictions.length, 6);
  const total = result.predictions.reduce((s, p) => s + p.probability, 0);
  assert.ok(Math.abs(total - 1) < 1e-5);
  assert.ok(result.predictions.every((p, i, all) => i === 0 || all[i - 1].probability >= p.probability));
  assert.equal(result.explainedClass.index, result.predictions[0].index);
  assert.deepEqual([result.map.width, result.map.height], [64, 64]);
  assert.deepEqual([result.overlay.width, result.overlay.height], [451, 300]);
  for (const stage of ['decodeAndPreprocess', 'inference', 'cam', 'overlay']) assert.ok(result.timings[stage] >= 0, stage);
  assert.equal(result.ranModel, true);
});

test('switching method, colormap, opacity or a top-K class does not run the model again', async () => {
  const first = await explainer.analyse({ bytes: fixture('photo.jpg') });
  const runs = explainer.modelRuns;
  const second = first.predictions[1].index;
  const variants = [
    // (Grad-CAM, HiResCAM and XGrad-CAM coincide for a pooling-then-linear head: not a change to look for here.)
    { method: 'gradcam++' }, { method: 'eigencam' }, { colormap: 'viridis', opacity: 0.9 }, { outline: true, box: true },
    { classIndex: second }, { method: 'layercam', classIndex: second, eigenSmooth: true },
  ];
  let previous = first.overlay.rgba;
  for (const options of variants) {
    const result = await explainer.render(options);
    assert.equal(result.ranModel, false, JSON.stringify(options));
    assert.notDeepEqual(result.overlay.rgba, previous, JSON.stringify(options));
    previous = result.overlay.rgba;
  }
  assert.equal(explainer.modelRuns, runs);
  // A class outside the top K needs one run, then it is remembered.
  const outside = first.predictions[5].index;
  assert.equal((await explainer.render({ classIndex: outside })).ranModel, true);
  assert.equal((await explainer.render({ classIndex: outside, method: 'xgradcam' })).ranModel, false);
  // aug_smooth: one batched run of the 6 augmented copies.
  const smooth = await explainer.render({ augSmooth: true });
  assert.equal(smooth.ranModel, true);
  assert.equal(explainer.modelRuns, runs + 2);
  assert.equal(smooth.status, 'ok');
});

test('a recycled heat index is written over by the next render; nothing else is', async () => {
  await explainer.analyse({ bytes: fixture('photo.jpg') });
  const gradcam = await explainer.render({ method: 'gradcam', output: 'layers' });
  const eigencam = await explainer.render({ method: 'eigencam', output: 'layers' });
  assert.notDeepEqual(eigencam.layers.index, gradcam.layers.index);
  const kept = Uint8Array.from(gradcam.layers.index);
  // Not handed back: a new array, the earlier results untouched.
  const again = await explainer.render({ method: 'eigencam', output: 'layers' });
  assert.notEqual(again.layers.index, eigencam.layers.index);
  assert.deepEqual(gradcam.layers.index, kept);
  // Handed back: Eigen-CAM's index lands in Grad-CAM's array, once.
  explainer.recycle(gradcam.layers.index);
  const reused = await explainer.render({ method: 'eigencam', output: 'layers' });
  assert.equal(reused.layers.index, gradcam.layers.index);
  assert.deepEqual(reused.layers.index, eigencam.layers.index);
  assert.notEqual((await explainer.render({ method: 'gradcam', output: 'layers' })).layers.index, reused.layers.index);
  // One of another size (another photo's display) is not used.
  explainer.recycle(new Uint8Array(7));
  assert.equal((await explainer.render({ method: 'gradcam', output: 'layers' })).layers.index.length, kept.length);
  assert.deepEqual((await explainer.render({ method: 'gradcam', output: 'layers' })).layers.index, kept);
});

// FinerCAM contrasts the class with the three whose scores are nearest: with K = 3 explained classes the fourth
// gradient needs one run, kept for later renders; its map is Grad-CAM of the combined gradient (finer-cam.mjs).
test('FinerCAM runs the model at most once more, then re-renders from what it kept', async () => {
  const first = await explainer.analyse({ bytes: fixture('photo.jpg') });
  const runs = explainer.modelRuns;
  const finer = await explainer.render({ method: 'finercam' });
  assert.equal(finer.ranModel, true);
  assert.equal(finer.status, 'ok');
  assert.equal(explainer.modelRuns, runs + 1);
  assert.equal(finer.comparedWith.length, 3);
  assert.ok(finer.comparedWith.every((c) => c.index !== first.predictions[0].index && c.label));
  const again = await explainer.render({ method: 'finercam', eigenSmooth: true });
  assert.equal(again.ranModel, false);
  const unsmoothed = await explainer.render({ method: 'finercam', augSmooth: true });  // no aug_smooth in FinerCAM
  assert.equal(unsmoothed.ranModel, false);
  assert.deepEqual(unsmoothed.map.data, finer.map.data);
  assert.equal(explainer.modelRuns, runs + 1);
  const plain = await explainer.render({ method: 'gradcam' });
  assert.notDeepEqual(plain.map.data, finer.map.data, 'the contrast is not the class\'s own map');
  // The second class's FinerCAM compares it with its own nearest classes: another map.
  const second = await explainer.render({ method: 'finercam', classIndex: first.predictions[1].index });
  assert.notDeepEqual(second.map.data, finer.map.data);
});

// Score-CAM equals pytorch-grad-cam's on the same weights and input (scripts/fixtures/make-cam-references.py rebuilds the
// fixture in torch); a memory budget smaller than the work splits it into batches (every channel still scored
// once), progress counts the channels, and the scores are kept for the next render.
test('Score-CAM matches pytorch-grad-cam, split into batches by the memory budget, with progress', async () => {
  const { decodeNpy } = await import('../../web/js/npy.mjs');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { ROOT } = await import('./helpers.mjs');
  const cam = (name) => decodeNpy(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/cam', name))));
  const input = decodeNpy(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/explain/mlp_head/input.npy'))));
  const want = cam('scorecam_mlp_head.npy').data;
  const category = Number(cam('scorecam_mlp_head_category.npy').data[0]);
  const small = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] },
    perturbationBudgetBytes: 1_000_000 });  // about 5 masked inputs a batch
  await small.load({ onnxBytes: loadFixture('mlp_head').model, config: testConfig() });
  const per = input.data.length / input.shape[0];
  await small.analyse({ tensor: { data: input.data.slice(0, per), shape: [1, ...input.shape.slice(1)] } });
  const runs = small.modelRuns;
  const reports = [];
  const result = await small.render({ method: 'scorecam', classIndex: category }, { progress: (p) => reports.push(p) });
  assert.equal(result.status, 'ok');
  // Each channel's score (the class score of the input masked by it), then the map.
  const scores = small.current.cache('channel-scores').get(category)[0];
  const wantScores = cam('scorecam_mlp_head_scores.npy').data;
  scores.forEach((v, k) => assert.ok(Math.abs(v - wantScores[k]) <= 1e-4 * Math.max(1, Math.abs(wantScores[k])),
    `channel ${k}: ${v} against ${wantScores[k]}`));
  const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mg, mw] = [mean(result.map.data), mean(want)];
  let [num, dg, dw] = [0, 0, 0];
  for (let i = 0; i < want.length; i++) {
    num += (result.map.data[i] - mg) * (want[i] - mw);
    dg += (result.map.data[i] - mg) ** 2;
    dw += (want[i] - mw) ** 2;
  }
  const correlation = num / Math.sqrt(dg * dw);
  assert.ok(correlation >= 0.999, `correlation ${correlation}`);
  assert.ok(result.map.data.every((v, i) => Math.abs(v - want[i]) < 1e-3));
  assert.deepEqual(reports.at(-1), { label: 'perturbation', loaded: 32, total: 32 });
  const batches = reports.slice(1).map((r, i) => r.loaded - reports[i].loaded);
  assert.ok(batches.length > 1 && batches.slice(0, -1).every((n) => n === batches[0]) && batches.at(-1) <= batches[0],
    `split into equal batches: ${batches}`);
  assert.equal(small.modelRuns - runs, batches.length, 'one model run per batch');
  const again = await small.render({ method: 'scorecam', classIndex: category, eigenSmooth: true });
  assert.equal(again.ranModel, false);
  // Cancelled between batches: nothing kept, and the next Score-CAM of that class starts again.
  const controller = new AbortController();
  const other = (category + 1) % 6;
  const cancelled = small.render({ method: 'scorecam', classIndex: other }, { signal: controller.signal,
    progress: ({ loaded }) => { if (loaded >= 10) controller.abort(); } });
  await assert.rejects(cancelled);
  assert.equal((await small.render({ method: 'scorecam', classIndex: other })).status, 'ok');
});

// Ablation-CAM equals pytorch-grad-cam's on the same weights and input: each channel's ablated score from the
// head graph, then the map; AblationLayer's values for a layer with negative activations (1e7 lower per copy).
test('Ablation-CAM matches pytorch-grad-cam, running only the head after the target layer', async () => {
  const { ablationValue } = await import('../../web/js/cam/ablation-cam.mjs');
  const { decodeNpy } = await import('../../web/js/npy.mjs');
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { ROOT } = await import('./helpers.mjs');
  const cam = (name) => decodeNpy(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/cam', name))));
  const [min, ...values] = cam('ablation_values_negative.npy').data;
  assert.deepEqual(values.map((_, k) => ablationValue(min, k)), Array.from(values));
  assert.equal(ablationValue(0, 5), 0);

  const input = decodeNpy(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/explain/mlp_head/input.npy'))));
  const category = Number(cam('scorecam_mlp_head_category.npy').data[0]);
  const per = input.data.length / input.shape[0];
  await explainer.analyse({ tensor: { data: input.data.slice(0, per), shape: [1, ...input.shape.slice(1)] } });
  const reports = [];
  const result = await explainer.render({ method: 'ablationcam', classIndex: category }, { progress: (p) => reports.push(p) });
  assert.equal(result.status, 'ok');
  assert.deepEqual(reports.at(-1), { label: 'perturbation', loaded: 32, total: 32 });
  const original = explainer.current.run.scores.data[category];
  const drops = explainer.current.cache('ablation-drops').get(category)[0];
  const wantScores = cam('ablationcam_mlp_head_scores.npy').data;
  drops.forEach((drop, k) => {
    const want = (original - wantScores[k]) / original;
    assert.ok(Math.abs(drop - want) <= 1e-4 * Math.max(1, Math.abs(want)), `channel ${k}: ${drop} against ${want}`);
  });
  const want = cam('ablationcam_mlp_head.npy').data;
  assert.ok(result.map.data.every((v, i) => Math.abs(v - want[i]) < 1e-3), 'the map');
  assert.equal((await explainer.render({ method: 'ablationcam', classIndex: category })).ranModel, false);
});

// aug_smooth averages the maps of {no flip, flip} x 3 brightness levels with each flip undone: the set is
// symmetric, so the smoothed map of the mirrored photo is the mirror image of the photo's smoothed map (a flip
// not undone, or undone twice, breaks it), and it is not the plain map.
test('aug_smooth gives the mirror image for a mirrored photo, and differs from the plain map', async () => {
  const prepared = await core.prepareImage(fixture('photo.jpg'), { width: 64, height: 64, resize: 'center-crop',
    mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  const mirrored = new Float32Array(prepared.tensor.data.length);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) mirrored[(c * 64 + y) * 64 + 63 - x] = prepared.tensor.data[(c * 64 + y) * 64 + x];
    }
  }
  const first = await explainer.analyse({ tensor: { data: prepared.tensor.data, shape: [1, 3, 64, 64] } });
  const classIndex = first.predictions[0].index;
  const plain = (await explainer.render({ classIndex })).map;
  const smooth = (await explainer.render({ classIndex, augSmooth: true })).map;
  await explainer.analyse({ tensor: { data: mirrored, shape: [1, 3, 64, 64] } });
  const smoothMirrored = (await explainer.render({ classIndex, augSmooth: true })).map;
  let mirrorError = 0;
  let fromPlain = 0;
  for (let y = 0; y < smooth.height; y++) {
    for (let x = 0; x < smooth.width; x++) {
      const at = y * smooth.width + x;
      mirrorError = Math.max(mirrorError, Math.abs(smooth.data[at] - smoothMirrored.data[y * smooth.width + smooth.width - 1 - x]));
      fromPlain = Math.max(fromPlain, Math.abs(smooth.data[at] - plain.data[at]));
    }
  }
  assert.ok(mirrorError < 1e-4, `the smoothed map of the mirrored photo is not the mirror image (max error ${mirrorError})`);
  assert.ok(fromPlain > 0.01, `aug_smooth gave the plain map (max difference ${fromPlain})`);
});

test('an exact input tensor skips decoding and gives the same result as the photo', async () => {
  const fromPhoto = await explainer.analyse({ bytes: fixture('photo.jpg') });
  const prepared = await core.prepareImage(fixture('photo.jpg'), { width: 64, height: 64, resize: 'center-crop',
    mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
  const fromTensor = await explainer.analyse({ tensor: { data: prepared.tensor.data, shape: [1, 3, 64, 64] } });
  assert.deepEqual(fromTensor.predictions, fromPhoto.predictions);
  assert.deepEqual(fromTensor.map.data, fromPhoto.map.data);
  await assert.rejects(explainer.analyse({ tensor: { data: new Float32Array(10), shape: [1, 10] } }),
    (e) => e instanceof DermcamError && e.code === 'shape_mismatch' && /\[1, 3, 64, 64\]/.test(e.message));
});

test('bad photos are refused and the pipeline keeps working', async () => {
  await assert.rejects(explainer.analyse({ bytes: fixture('not_image.pdf.jpg') }), (e) => e.code === 'unrecognized_format');
  await assert.rejects(explainer.analyse({ bytes: fixture('refused.gif') }), (e) => e.code === 'unsupported_format');
  // A 13 x 11 image decodes but the photo gate refuses it (too_small); forced, it is explained.
  const tiny = await explainer.analyse({ bytes: fixture('blocks.png') });
  assert.deepEqual(tiny.gate.reasons.map((r) => r.code), ['too_small']);
  assert.equal((await explainer.analyse({ bytes: fixture('blocks.png') }, {}, { force: true })).status, 'ok');
});

test('model.json and model must agree, with clear errors', async () => {
  const other = new Explainer({ ort: await ortWeb(), core });
  const model = loadFixture('mlp_head').model;
  await assert.rejects(other.load({ onnxBytes: model, config: testConfig({ labels: LABELS.slice(0, 4) }) }),
    /lists 4 labels, but the model scores 6 classes/);
  await assert.rejects(other.load({ onnxBytes: model, config: testConfig({ input: { ...testConfig().input, width: 96 } }) }),
    /Input 'input' has a fixed size of 64 where the requested input shape has 96/);
  const { prepareExplainModel } = await import('../../web/js/onnx/explain.mjs');
  const prepared = (await prepareExplainModel(await ortWeb(), model, { classes: 2 })).bytes;
  await assert.rejects(other.load({ onnxBytes: prepared, config: testConfig({ input: { ...testConfig().input, width: 96 } }) }),
    /model.json describes a NCHW input of 3 x 64 x 96, but the model takes 3 x 64 x 64/);
  await assert.rejects(other.load({ onnxBytes: new Uint8Array([8, 1, 2]), config: testConfig() }), /not a readable ONNX model/);
  await assert.rejects(other.load({ onnxBytes: model, config: { ...testConfig(), schema: 'v0' } }), /'schema' must be/);
  // No model.json at all: generic labels, the model's own input size.
  const described = await other.load({ onnxBytes: model, config: undefined });
  assert.equal(described.config.labels[5].en, 'Class 5');
  assert.equal(described.config.input.width, 64);
});

test('model.json validation names the field at fault', () => {
  const bad = (patch, pattern) => assert.throws(() => validateModelConfig({ ...testConfig(), ...patch }), pattern);
  bad({ labels: [{ id: 'x', en: 'X' }, { id: 'y', en: 'Y', vi: 'Y' }] }, /labels\[0\]\.vi must be a non-empty string/);
  bad({ labels: [LABELS[0], LABELS[0]] }, /labels\[1\]\.id 'a' is used twice/);
  bad({ input: { ...testConfig().input, layout: 'CHW' } }, /input.layout must be one of 'NCHW', 'NHWC'/);
  bad({ input: { ...testConfig().input, std: [1, 0, 1] } }, /input.std must be an array of 3 valid numbers/);
  bad({ model: '../secret.onnx' }, /'model' must be a file name/);
  bad({ card: undefined }, /'card' \(the model card\) is required/);
  bad({ lowConfidence: 2 }, /'lowConfidence' must be between 0 and 1/);
  bad({ labels: [{ ...LABELS[0], advice: 'see a doctor' }, ...LABELS.slice(1)] }, /labels\[0\]\.advice must be an object with 'en' and 'vi' texts/);
  bad({ labels: [LABELS[0], { ...LABELS[1], advice: { en: 'Soon.' } }, ...LABELS.slice(2)] }, /labels\[1\]\.advice\.vi must be a non-empty string/);
  const advised = validateModelConfig({ ...testConfig(), labels: [{ ...LABELS[0], advice: { en: 'Soon.', vi: 'Sớm.' } }, ...LABELS.slice(1)] });
  assert.deepEqual(advised.labels[0].advice, { en: 'Soon.', vi: 'Sớm.' });
  assert.equal(advised.labels[1].advice, undefined);
  assert.throws(() => validateModelConfig([]), /must be a JSON object/);
  assert.equal(validateModelConfig(testConfig()).input.filter, 'triangle');
  bad({ explain: { tokens: { prefix: 1 } } }, /explain.tokens must be \{"prefix": P, "grid": \[H, W\]\}/);
  bad({ explain: { tokens: { prefix: -1, grid: [6, 6] } } }, /explain.tokens.prefix must be an integer from 0 to 64/);
  bad({ explain: { tokens: { prefix: 1, grid: [6, 0] } } }, /explain.tokens.grid\[1\] must be an integer from 1 to 1024/);
});

// explain.tokens reaches the explain graph: a DeiT-like model's 2 prefix tokens as stated, or refused when they
// do not fit (the automatic reading would otherwise be used).
test('model.json explain.tokens states how a transformer\'s tokens form a grid', async () => {
  const deit = loadFixture('deit_opset17').model;
  const config = (tokens) => testConfig({ labels: LABELS.slice(0, 5), input: { ...testConfig().input, width: 48, height: 48 },
    explain: { classes: 2, tokens } });
  const explainer = new Explainer({ ort: await ortWeb(), core });
  const loaded = await explainer.load({ onnxBytes: deit, config: config({ prefix: 2, grid: [6, 6] }) });
  assert.deepEqual(loaded.metadata.layers[0].tokens, { prefix: 2, grid: [6, 6] });
  assert.deepEqual(loaded.metadata.layers[0].shape, [6, 6, 32]);
  await assert.rejects(explainer.load({ onnxBytes: deit, config: config({ prefix: 1, grid: [6, 6] }) }),
    /token layout \(1 prefix \+ 6 x 6 = 37 tokens\) fits no 3-D layer/);
  await explainer.release();
});

test('a cancelled analysis or render leaves the previous photo and map in place', async () => {
  const shown = await explainer.analyse({ bytes: fixture('photo.jpg') }, { method: 'gradcam' });
  const png = await explainer.overlayPng({ opacity: 0.6 });
  // A second photo, cancelled after its decode, after its model run, and during its first explanation.
  const other = fixture('portrait.jpg');
  // The map is computed in the photo's view in the core (core.mjs PhotoView), which keeps it.
  const { computeCam } = core.PhotoView.prototype;
  const stopping = (original, controller) => async function (...args) {
    const value = await original.apply(this, args);
    controller.abort();
    return value;
  };
  for (const stopAfter of ['prepareImage', 'run', 'computeCam']) {
    const controller = new AbortController();
    if (stopAfter === 'run') explainer.model.run = stopping(explainer.model.run, controller).bind(explainer.model);
    else if (stopAfter === 'computeCam') core.PhotoView.prototype.computeCam = stopping(computeCam, controller);
    else explainer.core = { ...core, [stopAfter]: stopping(core[stopAfter], controller) };
    try {
      await assert.rejects(explainer.analyse({ bytes: other }, {}, { signal: controller.signal }),
        (e) => controller.signal.aborted && e?.name === 'AbortError', stopAfter);
    } finally {
      delete explainer.model.run;
      explainer.core = core;
      core.PhotoView.prototype.computeCam = computeCam;
    }
    assert.deepEqual(await explainer.overlayPng({ opacity: 0.6 }), png, `the photo shown stays current (${stopAfter})`);
  }
  // A render cancelled after its CAM: the map stays the previous one, the PNG export draws what is shown.
  const controller = new AbortController();
  core.PhotoView.prototype.computeCam = stopping(computeCam, controller);
  try {
    await assert.rejects(explainer.render({ method: 'eigencam' }, { signal: controller.signal }), (e) => e?.name === 'AbortError');
  } finally {
    core.PhotoView.prototype.computeCam = computeCam;
  }
  assert.deepEqual(await explainer.overlayPng({ opacity: 0.6 }), png);
  assert.equal(shown.method, 'gradcam');
});

// The photo's display copy, the model's runs and the map stay in the core between calls (core.mjs PhotoView).
test('a method or class switch sends none of the runs again, and the PNG export sends nothing in', async () => {
  const shown = await explainer.analyse({ bytes: fixture('photo.jpg') }, { method: 'gradcam', output: 'layers' });
  core.boundaryTraffic({ reset: true });
  const switched = await explainer.render({ method: 'gradcam++', output: 'layers' });
  const other = await explainer.render({ method: 'gradcam', classIndex: shown.predictions[1].index, output: 'layers' });
  assert.ok(!switched.ranModel && !other.ranModel, 'the switches come from the kept run');
  const traffic = core.boundaryTraffic({ reset: true });
  assert.equal(traffic.bytesIn, 0, 'nothing crosses into the core for a switch');
  assert.ok(traffic.bytesOut > 0);
  const png = await explainer.overlayPng({ opacity: 0.5 });
  assert.deepEqual(core.boundaryTraffic(), { calls: 1, bytesIn: 0, bytesOut: png.byteLength });
});

test('loading names each step as it starts: the preparation of a raw model, then the session and a test run', async () => {
  const steps = [];
  const fresh = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await fresh.load({ onnxBytes: loadFixture('mlp_head').model, config: testConfig(), onStep: (s) => steps.push(s) });
  const names = ['read', 'probe', 'layer', 'graph', 'session', 'check'];
  assert.deepEqual(steps, names.map((step, i) => ({ step, index: i + 1, count: names.length })));
  // A model prepared already skips the preparation's steps.
  steps.length = 0;
  await fresh.load({ onnxBytes: fresh.model.modelBytes, config: testConfig(), onStep: (s) => steps.push(s) });
  assert.deepEqual(steps.map((s) => `${s.step} ${s.index}/${s.count}`), ['read 1/3', 'session 2/3', 'check 3/3']);
});

test('a model with prediction sets gives a photo the gate accepts its set, and a forced one none', async () => {
  const withSets = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await withSets.load({ onnxBytes: loadFixture('mlp_head').model,
    config: testConfig({ predictionSets: { method: 'lac', coverage: 0.9, minProbability: 0.1 } }) });
  const accepted = await withSets.analyse({ bytes: fixture('photo.jpg') });
  assert.equal(accepted.gate.accepted, true);
  assert.equal(accepted.coverage, 0.9);
  assert.deepEqual(accepted.predictionSet.map((p) => p.index),
    accepted.predictions.filter((p, i) => i === 0 || p.probability >= 0.1).map((p) => p.index));
  const forced = await withSets.analyse({ bytes: fixture('blocks.png') }, {}, { force: true });
  assert.equal(forced.forced, true);
  assert.equal(forced.predictionSet, undefined);
  assert.equal(forced.coverage, undefined);
  await withSets.release();
});
