// The photo gate (web/js/gate.mjs), calibration (web/js/calibration.mjs) and their use by the pipeline with the
// demo model: known answers, model.json round trips and refusals of malformed statistics, fairness across the six
// Fitzpatrick types on unseen generated photos, and the refusal contract (no predictions unless forced).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { calibrationError, fitTemperature, softmax } from '../../web/js/calibration.mjs';
import { GATE_SCHEMA, QUALITY_RANGES, discriminatorScore, distanceGradient, encodeFloats, judgePhoto, mahalanobisDistance, pooledFeatures,
  validateGate } from '../../web/js/gate.mjs';
import { fitDiscriminator, fitOutOfDistribution } from '../../scripts/gate-fit.mjs';
import { validateModelConfig } from '../../web/js/model-config.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { DermcamError } from '../../web/js/errors.mjs';
import { loadFixture, ortWeb } from './explain-helpers.mjs';
import { ROOT, fixture } from './helpers.mjs';
import { LABELS, testConfig } from './test-config.mjs';

// A seeded generator, so the synthetic samples are the same on every run.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function samples(n, dims, seed = 1) {
  const rand = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const classIndex = i % 3;
    const features = Float64Array.from({ length: dims }, (_, d) => (d === classIndex ? 5 : 0) + gaussian(rand));
    return { features, classIndex };
  });
}

const gateWith = (ood) => ({ schema: GATE_SCHEMA, outOfDistribution: ood });
const validOod = () => ({ layer: 'L', pooling: 'mean-sqrt', dims: 2, classes: ['a', 'b'], means: encodeFloats([0, 0, 3, 4]),
  covariance: encodeFloats([1, 0, 1]), threshold: 3, acceptance: 0.99 });

test('Mahalanobis distance: known answers with an identity and a scaled covariance', () => {
  const { outOfDistribution: ood } = validateGate(gateWith(validOod()), LABELS);
  assert.equal(mahalanobisDistance(ood, Float64Array.from([0, 0])), 0);
  assert.equal(mahalanobisDistance(ood, Float64Array.from([3, 4])), 0);
  assert.ok(Math.abs(mahalanobisDistance(ood, Float64Array.from([0, 2])) - 2) < 1e-12);   // nearest: class a
  assert.ok(Math.abs(mahalanobisDistance(ood, Float64Array.from([6, 8])) - 5) < 1e-12);   // nearest: class b
  // Covariance diag(4, 1): distances along x halve.
  const scaled = validateGate(gateWith({ ...validOod(), covariance: encodeFloats([4, 0, 1]) }), LABELS).outOfDistribution;
  assert.ok(Math.abs(mahalanobisDistance(scaled, Float64Array.from([-2, 0])) - 1) < 1e-12);
  // Correlated: [[2, 1], [1, 2]]; (1, -1) has variance 1 along it -> distance^2 = 2 / 1 = 2 ... exactly v' S^-1 v.
  const correlated = validateGate(gateWith({ ...validOod(), covariance: encodeFloats([2, 1, 2]) }), LABELS).outOfDistribution;
  const v = [1, -1];
  const inverse = [[2 / 3, -1 / 3], [-1 / 3, 2 / 3]];
  const expected = Math.sqrt(v[0] * (inverse[0][0] * v[0] + inverse[0][1] * v[1]) + v[1] * (inverse[1][0] * v[0] + inverse[1][1] * v[1]));
  assert.ok(Math.abs(mahalanobisDistance(correlated, Float64Array.from(v)) - expected) < 1e-12);
});

test('pooled features: spatial means of NCHW and NHWC activations, and their signed roots', () => {
  // 2 channels x 2 x 2: channel 0 = [1, 2, 3, 6] (mean 3), channel 1 = [-4, -4, -4, -4].
  const nchw = Float32Array.from([1, 2, 3, 6, -4, -4, -4, -4]);
  assert.deepEqual(Array.from(pooledFeatures(nchw, [2, 2, 2], 'NCHW', 'mean')), [3, -4]);
  assert.deepEqual(Array.from(pooledFeatures(nchw, [2, 2, 2], 'NCHW')), [Math.sqrt(3), -2]);
  const nhwc = Float32Array.from([1, -4, 2, -4, 3, -4, 6, -4]);
  assert.deepEqual(Array.from(pooledFeatures(nhwc, [2, 2, 2], 'NHWC', 'mean')), [3, -4]);
});

test('fitted statistics round-trip through model.json validation and keep their acceptance', () => {
  const all = samples(600, 8);
  const ood = fitOutOfDistribution(all, { layer: 'L', labels: LABELS, acceptance: 0.95 });
  assert.equal(ood.dims, 8);
  assert.deepEqual(ood.classes, ['a', 'b', 'c']);
  const config = validateModelConfig(JSON.parse(JSON.stringify(testConfig({ gate: gateWith(ood) }))));
  const gate = config.gate.outOfDistribution;
  // Class means come back within float32 rounding of the sample means (about 5 on the class's own axis).
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(gate.means[c * 8 + c] - 5) < 0.3, `class ${c} mean`);
  const fresh = samples(600, 8, 99);
  const accepted = fresh.filter((s) => mahalanobisDistance(gate, s.features) <= gate.threshold).length / fresh.length;
  assert.ok(accepted > 0.9 && accepted < 0.99, `acceptance ${accepted} for a 95% threshold`);
  // Far away from every class: refused.
  const far = Float64Array.from({ length: 8 }, () => 12);
  assert.deepEqual(judgePhoto({ gate: config.gate, features: far }).reasons.map((r) => r.code), ['not_skin']);
  assert.equal(judgePhoto({ gate: config.gate, features: fresh[0].features }).outOfDistributionCheck, true);
  // Quality issues come first and keep their numbers; without statistics there is no OOD check.
  const verdict = judgePhoto({ qualityIssues: [{ code: 'blurry', value: 0.01, threshold: 0.018 }], gate: validateGate(undefined) });
  assert.deepEqual(verdict, { accepted: false, reasons: [{ code: 'blurry', value: 0.01, threshold: 0.018 }], outOfDistributionCheck: false });
  // A likely cause is named first for a photo refused only as not skin, and adds no refusal.
  const likelyCauses = [{ code: 'washed_out', value: 0.4, threshold: 0.3 }];
  assert.deepEqual(judgePhoto({ likelyCauses, gate: config.gate, features: far }).reasons.map((r) => [r.code, r.likely ?? false]),
    [['washed_out', true], ['not_skin', false]]);
  assert.deepEqual(judgePhoto({ likelyCauses, gate: config.gate, features: fresh[0].features }).reasons, []);
  // Where a quality code refuses, that code is the cause the patient reads.
  assert.deepEqual(judgePhoto({ qualityIssues: [{ code: 'blurry', value: 0.01, threshold: 0.018 }], likelyCauses, gate: config.gate, features: far })
    .reasons.map((r) => r.code), ['blurry', 'not_skin']);
  assert.throws(() => fitOutOfDistribution(samples(10, 4), { layer: 'L', labels: LABELS }), /at least 20/);
});

test('malformed gate statistics get a clear error naming the field', () => {
  const bad = (ood, pattern) => assert.throws(() => validateModelConfig(testConfig({ gate: gateWith({ ...validOod(), ...ood }) })), pattern);
  bad({ means: encodeFloats([0, 0, 3]) }, /gate.outOfDistribution.means must hold 4 float32 values \(found 3\)/);
  bad({ means: encodeFloats([0, NaN, 3, 4]) }, /gate.outOfDistribution.means holds a value that is not a finite number \(element 1\)/);
  bad({ means: 'not base64!' }, /gate.outOfDistribution.means must be base64/);
  bad({ covariance: encodeFloats([1, 0]) }, /gate.outOfDistribution.covariance must hold 3 float32 values/);
  bad({ covariance: encodeFloats([1, 2, 1]) }, /gate.outOfDistribution.covariance is not positive definite/);
  bad({ covariance: encodeFloats([-1, 0, 1]) }, /covariance is not positive definite/);
  bad({ covariance: encodeFloats([0, 0, 0]) }, /covariance is not positive definite/);
  bad({ dims: 3 }, /means must hold 6 float32 values/);
  bad({ dims: 0 }, /gate.outOfDistribution.dims must be an integer/);
  for (const threshold of [0, -1, NaN, 1e9, '3', undefined]) bad({ threshold }, /gate.outOfDistribution.threshold must be a positive distance/);
  bad({ classes: ['a', 'zz'] }, /gate.outOfDistribution.classes\[1\] 'zz' is not one of the model's labels/);
  bad({ classes: ['a', 'a'] }, /lists a label twice/);
  bad({ pooling: 'max' }, /gate.outOfDistribution.pooling must be one of "mean-sqrt", "mean"/);
  bad({ layer: '' }, /gate.outOfDistribution.layer must name/);
  bad({ acceptance: 2 }, /acceptance must be a fraction/);
  const badGate = (gate, pattern) => assert.throws(() => validateModelConfig(testConfig({ gate })), pattern);
  badGate({ schema: 'dermcam-gate/0' }, /gate.schema must be "dermcam-gate\/1"/);
  badGate({ schema: GATE_SCHEMA, quality: { minSharpness: -1 } }, /gate.quality.minSharpness is out of range/);
  badGate({ schema: GATE_SCHEMA, quality: { minSide: 6.5 } }, /gate.quality.minSide is out of range/);
  badGate({ schema: GATE_SCHEMA, quality: { sharpness: 1 } }, /gate.quality.sharpness is not a known threshold/);
  badGate({ schema: GATE_SCHEMA, quality: { minSharpness: 10.5 } }, /gate.quality.minSharpness is out of range/);
  // A name every object has is no threshold either (the table is looked up as data, not as an object's methods).
  badGate({ schema: GATE_SCHEMA, quality: { constructor: 1 } }, /gate.quality.constructor is not a known threshold/);
  badGate([], /'gate' must be an object/);
  // Where fit-gate --fit-quality's thresholds came from: checked as data like the rest.
  const fitted = { photos: 60, criterion: { accuracyDrop: 0.05 },
    degradations: [{ id: 'blur', threshold: 'minSharpness', onset: 3, model: 0.013, value: 0.018, limitedBy: 'default' }] };
  assert.equal(validateModelConfig(testConfig({ gate: { schema: GATE_SCHEMA, qualityFittedOn: fitted } })).gate.qualityFittedOn.photos, 60);
  const fittedWith = (change) => ({ schema: GATE_SCHEMA, qualityFittedOn: { ...fitted, ...change } });
  badGate(fittedWith({ photos: 0 }), /gate.qualityFittedOn.photos must be a positive integer/);
  badGate(fittedWith({ degradations: {} }), /gate.qualityFittedOn.degradations must be a list/);
  badGate(fittedWith({ degradations: [{ ...fitted.degradations[0], threshold: 'sharpness' }] }), /degradations\[0\] must be \{id, threshold/);
  badGate(fittedWith({ degradations: [{ ...fitted.degradations[0], onset: '3' }] }), /degradations\[0\] must be/);
  badGate(fittedWith({ degradations: [{ ...fitted.degradations[0], script: '<b>' }] }), /qualityFittedOn.degradations\[0\].*script/);
  badGate(fittedWith({ extra: 1 }), /gate.qualityFittedOn.*extra/);
  assert.throws(() => validateModelConfig(testConfig({ calibration: { temperature: 0 } })), /calibration.temperature must be/);
  const badSets = (predictionSets, pattern) => assert.throws(() => validateModelConfig(testConfig({ predictionSets })), pattern);
  badSets({ method: 'aps', coverage: 0.9, minProbability: 0.1 }, /predictionSets.method must be "lac"/);
  badSets({ method: 'lac', coverage: 1, minProbability: 0.1 }, /predictionSets.coverage must be/);
  badSets({ method: 'lac', coverage: 0.9, minProbability: NaN }, /predictionSets.minProbability must be/);
  badSets({ method: 'lac', coverage: 0.9, minProbability: 1.5 }, /predictionSets.minProbability must be/);
  badSets({ method: 'lac', coverage: 0.9, minProbability: 0.1, extra: 1 }, /predictionSets has an unknown field 'extra'|predictionSets.extra/);
  badSets([], /'predictionSets' must be an object/);
  assert.deepEqual(validateModelConfig(testConfig({ predictionSets: { method: 'lac', coverage: 0.9, minProbability: 0.12 } })).predictionSets,
    { method: 'lac', coverage: 0.9, minProbability: 0.12 });
  assert.equal(validateModelConfig(testConfig({})).predictionSets, null);
  assert.deepEqual(validateModelConfig(testConfig({ gate: { schema: GATE_SCHEMA, quality: { minSide: 32 } } })).gate.quality, { minSide: 32 });
});

test('temperature scaling recovers a known temperature and lowers the calibration error', () => {
  const rand = random(7);
  const logits = [];
  const labels = [];
  for (let i = 0; i < 3000; i++) {
    const row = Array.from({ length: 4 }, () => 3 * gaussian(rand));
    // Labels drawn from softmax(row / 2.5): the logits are over-confident by a factor 2.5.
    const p = softmax(row, 2.5);
    let u = rand();
    let label = 0;
    while (label < 3 && (u -= p[label]) > 0) label++;
    logits.push(row);
    labels.push(label);
  }
  const t = fitTemperature(logits, labels);
  assert.ok(Math.abs(t - 2.5) < 0.25, `fitted ${t}`);
  const before = calibrationError(logits.map((r) => softmax(r)), labels);
  const after = calibrationError(logits.map((r) => softmax(r, t)), labels);
  assert.ok(after.ece < before.ece / 3, `ECE ${before.ece} -> ${after.ece}`);
  assert.equal(before.bins.reduce((s, b) => s + b.count, 0), 3000);
  // Known answer: two photos at confidence 0.9, one right and one wrong -> |0.5 - 0.9| = 0.4.
  assert.ok(Math.abs(calibrationError([[0.9, 0.1], [0.9, 0.1]], [0, 1]).ece - 0.4) < 1e-12);
});

let demo;
before(async () => {
  demo = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  await demo.load({ onnxBytes: new Uint8Array(readFileSync(join(ROOT, 'models/demo', config.model))), config });
});

test('the demo model: a face, a blurry, a faded and a tiny photo are refused with their codes and no predictions', async () => {
  for (const [name, code] of [['portrait.jpg', 'not_skin'], ['photo.jpg', 'not_skin'], ['lesion_blurry.jpg', 'blurry'],
    ['lesion_faded.jpg', 'washed_out'], ['blocks.png', 'too_small']]) {
    const result = await demo.analyse({ bytes: fixture(name) });
    assert.equal(result.refused, true, name);
    assert.equal(result.gate.accepted, false, name);
    assert.ok(result.gate.reasons.some((r) => r.code === code), `${name}: ${JSON.stringify(result.gate.reasons)}`);
    for (const key of ['predictions', 'overlay', 'map', 'explainedClass', 'lowConfidence']) assert.equal(result[key], undefined, `${name} ${key}`);
    await assert.rejects(demo.render({ method: 'gradcam' }), (e) => e instanceof DermcamError && e.code === 'photo_refused');
    await assert.rejects(demo.overlayPng(), /Analyse a photo first/);
    const forced = await demo.analyseAnyway({ method: 'gradcam' });
    assert.equal(forced.forced, true);
    assert.equal(forced.predictions.length, 6);
    assert.equal(forced.lowConfidence, false, 'a refusal is not reported as low confidence');
    assert.ok(forced.overlay.rgba.length > 0);
  }
  const good = await demo.analyse({ bytes: fixture('lesion.jpg') });
  assert.equal(good.refused, false);
  assert.equal(good.gate.accepted, true);
  assert.equal(good.forced, false);
  assert.equal(good.predictions[0].label.id, 'melanoma');
  assert.ok(Number.isFinite(good.timings.gate));  // its duration is the benchmark's "gate" column (BENCHMARKS.md)
});

// The lesion fixture as the degradations take it: {width, height, rgba}.
async function lesionRgba() {
  const decoded = await core.decodeImage(fixture('lesion.jpg'));
  const rgba = new Uint8ClampedArray(decoded.width * decoded.height * 4);
  for (let i = 0; i < decoded.width * decoded.height; i++) {
    rgba.set(decoded.rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return { width: decoded.width, height: decoded.height, rgba };
}

test('the demo model: a lesion alone out of focus in a sharp frame is refused as blurry, with the spot\'s value', async () => {
  const { DEGRADATIONS } = await import('../../scripts/quality-fit.mjs');
  const spotBlur = DEGRADATIONS.find((d) => d.id === 'spotblur');
  const image = await lesionRgba();
  const clean = await demo.analyse({ bytes: fixture('lesion.jpg') });
  const blurred = await core.encodePng(spotBlur.apply(image, 3, { inputSide: 128 }));
  const result = await demo.analyse({ bytes: blurred });
  assert.equal(result.refused, true);
  const [reason] = result.gate.reasons;
  assert.equal(reason.code, 'blurry', JSON.stringify(result.gate.reasons));
  // The frame as a whole is still sharp enough: the spot's own measure refused it.
  const minSharpness = demo.config.gate.quality.minSharpness ?? QUALITY_RANGES.minSharpness.default;
  assert.ok(result.gate.quality.sharpness >= minSharpness, JSON.stringify(result.gate.quality));
  assert.equal(reason.value, result.gate.quality.spotSharpness);
  assert.ok(result.gate.quality.spotSharpness < clean.gate.quality.spotSharpness / 3);
});

test('the demo model: a milder fade, blurry only because of the fade, is told it is washed out', async () => {
  const { DEGRADATIONS } = await import('../../scripts/quality-fit.mjs');
  const washedOut = DEGRADATIONS.find((d) => d.id === 'washedout');
  const image = await lesionRgba();
  const faded = await demo.analyse({ bytes: await core.encodePng(washedOut.apply(image, 0.4, {})) });
  assert.equal(faded.refused, true);
  const { quality } = faded.gate;
  assert.ok(quality.darkLevel < QUALITY_RANGES.maxDarkLevel.default && quality.sharpness < QUALITY_RANGES.minSharpness.default,
    JSON.stringify(quality));
  assert.deepEqual(faded.gate.reasons[0], { code: 'washed_out', value: quality.darkLevel, threshold: QUALITY_RANGES.fadedDarkLevel.default });
  assert.ok(!faded.gate.reasons.some((r) => r.code === 'blurry'), JSON.stringify(faded.gate.reasons));
  // Faded just past the level the model still reads: accepted (a likely cause refuses nothing), the cause reported.
  const slight = await demo.analyse({ bytes: await core.encodePng(washedOut.apply(image, 0.31, {})) });
  assert.equal(slight.refused, false, JSON.stringify(slight.gate.reasons));
  assert.deepEqual(slight.gate.quality.likelyCauses.map((c) => c.code), ['washed_out']);
  const clean = await demo.analyse({ bytes: fixture('lesion.jpg') });
  assert.deepEqual(clean.gate.quality.likelyCauses, []);
});

test('the demo model: a washed-out lesion photo is told it is washed out, not blurry or unlike skin', async () => {
  const { DEGRADATIONS } = await import('../../scripts/quality-fit.mjs');
  const washedOut = DEGRADATIONS.find((d) => d.id === 'washedout');
  const image = await lesionRgba();
  const faded = await core.encodePng(washedOut.apply(image, 0.75, {}));
  const result = await demo.analyse({ bytes: faded });
  assert.equal(result.refused, true);
  const codes = result.gate.reasons.map((r) => r.code);
  assert.equal(codes[0], 'washed_out', JSON.stringify(result.gate.reasons));
  assert.ok(!codes.includes('blurry') && !codes.includes('no_colour'), codes.join());  // its symptoms are not named
  assert.equal(result.gate.reasons[0].value, result.gate.quality.darkLevel);
  assert.ok(result.gate.quality.darkLevel >= 0.75 - 1 / 255 && result.gate.quality.highlights < 0.01, JSON.stringify(result.gate.quality));
  const clean = await demo.analyse({ bytes: fixture('lesion.jpg') });
  assert.ok(clean.gate.quality.darkLevel < 0.5, String(clean.gate.quality.darkLevel));
});

test('fair across skin types: unseen generated photos of Fitzpatrick I-VI are accepted alike', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-types-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/demo/gate_images.py'), '--per-type', '30', '--seed', '9002', dir]);
  const accepted = [0, 0, 0, 0, 0, 0];
  const counts = [0, 0, 0, 0, 0, 0];
  for (const name of readdirSync(dir)) {
    const type = Number(name[1]) - 1;
    counts[type] += 1;
    const result = await demo.analyse({ bytes: new Uint8Array(readFileSync(join(dir, name))) });
    if (result.gate.accepted) accepted[type] += 1;
  }
  assert.deepEqual(counts, [30, 30, 30, 30, 30, 30]);
  const rates = accepted.map((a, i) => a / counts[i]);
  for (const [i, rate] of rates.entries()) assert.ok(rate >= 28 / 30, `type ${i + 1} accepted ${accepted[i]}/30`);
  const gap = (rates[0] + rates[1]) / 2 - (rates[4] + rates[5]) / 2;
  assert.ok(Math.abs(gap) <= 0.05, `acceptance gap I-II vs V-VI: ${gap}`);
});

test('a model without statistics has no OOD check, says so, and still gets the quality gate', async () => {
  const plain = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await plain.load({ onnxBytes: loadFixture('mlp_head').model, config: testConfig() });
  const result = await plain.analyse({ bytes: fixture('photo.jpg') });
  assert.equal(result.gate.outOfDistributionCheck, false);
  assert.equal(result.gate.accepted, true);
  const blurry = await plain.analyse({ bytes: fixture('lesion_blurry.jpg') });
  assert.deepEqual(blurry.gate.reasons.map((r) => r.code), ['blurry']);
  // model.json's gate.quality overrides a threshold: lenient minimum sharpness, of the frame and of the spot, lets it
  // through; the frame's alone does not.
  await plain.load({ onnxBytes: loadFixture('mlp_head').model,
    config: testConfig({ gate: { schema: GATE_SCHEMA, quality: { minSharpness: 0.001 } } }) });
  const spot = (await plain.analyse({ bytes: fixture('lesion_blurry.jpg') })).gate;
  assert.deepEqual(spot.reasons.map((r) => [r.code, r.value]), [['blurry', spot.quality.spotSharpness]]);
  await plain.load({ onnxBytes: loadFixture('mlp_head').model,
    config: testConfig({ gate: { schema: GATE_SCHEMA, quality: { minSharpness: 0.001, minSpotSharpness: 0.001 } } }) });
  assert.equal((await plain.analyse({ bytes: fixture('lesion_blurry.jpg') })).gate.accepted, true);
  // Statistics for a layer the model does not have are refused when the model loads.
  const ood = { ...validOod(), classes: ['a'], means: encodeFloats([0, 0]) };
  await assert.rejects(plain.load({ onnxBytes: loadFixture('mlp_head').model, config: testConfig({ gate: gateWith(ood) }) }),
    /gate.outOfDistribution.layer 'L' is not a target layer of this model/);
  await plain.release();
});

// Two clouds in 6-D: in-distribution photos around +1.5 on the first two axes, photos to refuse around -1.5 on
// them (and wider); the other axes are noise. A fitted discriminator must accept about `acceptance` of unseen
// positives and refuse nearly all unseen negatives.
function clouds(n, seed) {
  const rand = random(seed);
  const point = (shift, spread) => Float64Array.from({ length: 6 }, (_, d) => (d < 2 ? shift : 0) + spread * gaussian(rand));
  return { positives: Array.from({ length: n }, () => point(1.5, 1)), negatives: Array.from({ length: n }, () => point(-1.5, 1.5)) };
}

test('the discriminator: fitted by logistic regression, it accepts the in-distribution side and refuses the other', () => {
  const { positives, negatives } = clouds(1000, 3);
  const fitted = fitDiscriminator(positives, negatives, { layers: ['L1', 'L2'], acceptance: 0.99 });
  assert.equal(fitted.dims, 6);
  assert.deepEqual(fitted.fittedOn, { photos: 800, negatives: 800, heldOut: 200, heldOutNegatives: 200,
    heldOutNegativesRefused: fitted.fittedOn.heldOutNegativesRefused, l2: 0.01 });
  const config = validateModelConfig(JSON.parse(JSON.stringify(testConfig({ gate: { schema: GATE_SCHEMA, discriminator: fitted } }))));
  const d = config.gate.discriminator;
  // The weights point along the axes that separate the clouds, not along the noise.
  const along = Math.abs(d.weights[0] / d.scale[0]) + Math.abs(d.weights[1] / d.scale[1]);
  const across = Math.max(...[2, 3, 4, 5].map((i) => Math.abs(d.weights[i] / d.scale[i])));
  assert.ok(along > 10 * across, `weights ${Array.from(d.weights)}`);
  // The score is bias + w . (x - center) / scale, as documented.
  const x = positives[0];
  let expected = d.bias;
  for (let i = 0; i < 6; i++) expected += (d.weights[i] * (x[i] - d.center[i])) / d.scale[i];
  assert.ok(Math.abs(discriminatorScore(d, x) - expected) < 1e-12);
  const fresh = clouds(2000, 4);
  const accepted = fresh.positives.filter((f) => discriminatorScore(d, f) >= d.threshold).length / 2000;
  const refused = fresh.negatives.filter((f) => discriminatorScore(d, f) < d.threshold).length / 2000;
  assert.ok(accepted > 0.97 && accepted < 0.999, `accepted ${accepted} at 99% acceptance`);
  assert.ok(refused > 0.9, `refused ${refused}`);
  assert.ok(Math.abs(fitted.fittedOn.heldOutNegativesRefused - refused) < 0.05);
  assert.throws(() => fitDiscriminator(positives.slice(0, 19), negatives, { layers: ['L'] }), /at least 20 photos on each side/);
  assert.throws(() => discriminatorScore(d, new Float64Array(5)), /reads 6 features; this model gives 5/);
});

test('the verdict: one not_skin reason, the distance\'s before the discriminator\'s', () => {
  const { outOfDistribution: ood } = validateGate(gateWith(validOod()), LABELS);
  const { positives, negatives } = clouds(200, 5);
  const discriminator = validateGate({ schema: GATE_SCHEMA, discriminator: fitDiscriminator(positives, negatives, { layers: ['L'] }) },
    LABELS).discriminator;
  const gate = { outOfDistribution: ood, discriminator };
  const near = Float64Array.from([0, 0]);
  const far = Float64Array.from([12, 12]);
  const good = Float64Array.from([1.5, 1.5, 0, 0, 0, 0]);
  const bad = Float64Array.from([-3, -3, 0, 0, 0, 0]);
  assert.equal(judgePhoto({ gate, features: near, discriminatorFeatures: good }).accepted, true);
  const byDiscriminator = judgePhoto({ gate, features: near, discriminatorFeatures: bad });
  assert.deepEqual(byDiscriminator.reasons.map((r) => [r.code, r.check]), [['not_skin', 'discriminator']]);
  assert.equal(byDiscriminator.reasons[0].threshold, discriminator.threshold);
  assert.ok(byDiscriminator.discriminatorScore < discriminator.threshold);
  const both = judgePhoto({ gate, features: far, discriminatorFeatures: bad });
  assert.deepEqual(both.reasons.map((r) => [r.code, r.check]), [['not_skin', undefined]]);
  assert.equal(judgePhoto({ gate: { discriminator }, discriminatorFeatures: bad }).outOfDistributionCheck, true);
});

test('malformed discriminators get a clear error naming the field', () => {
  const { positives, negatives } = clouds(100, 6);
  const good = fitDiscriminator(positives, negatives, { layers: ['L'] });
  const bad = (patch, pattern) => assert.throws(() => validateModelConfig(testConfig({ gate: { schema: GATE_SCHEMA,
    discriminator: { ...good, ...patch } } })), pattern);
  bad({ layers: [] }, /gate.discriminator.layers must list the layers/);
  bad({ layers: ['a', 'a'] }, /gate.discriminator.layers lists a layer twice/);
  bad({ dims: 7 }, /gate.discriminator.center must hold 7 float32 values \(found 6\)/);
  bad({ weights: encodeFloats([1, 2, 3]) }, /gate.discriminator.weights must hold 6 float32 values/);
  bad({ scale: encodeFloats([1, 1, 0, 1, 1, 1]) }, /gate.discriminator.scale must be positive \(element 2\)/);
  bad({ bias: 'x' }, /gate.discriminator.bias must be a finite number/);
  bad({ threshold: Infinity }, /gate.discriminator.threshold must be a finite number/);
  bad({ acceptance: 0 }, /gate.discriminator.acceptance must be a fraction/);
});

test('the demo model refuses close-ups of a cat\'s fur (the benchmark photo framed by the default square)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-fur-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // As scripts/bench.mjs makes its photos: chelsea upscaled with sensor noise; and three close-ups of the fur.
  execFileSync('/usr/bin/python3', ['-c', `
from PIL import Image
import numpy as np
src = Image.open('/usr/lib/python3/dist-packages/skimage/data/chelsea.png').convert('RGB')
rng = np.random.default_rng(1)
def save(image, size, name):
    a = np.asarray(image.resize(size, Image.LANCZOS)).astype(np.float32) + rng.normal(0, 3, (size[1], size[0], 3))
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save('${dir}/' + name, quality=90)
save(src, (1155, 866), 'whole.jpg')
for i, box in enumerate([(150, 45, 255, 150), (60, 150, 165, 255), (280, 170, 385, 275)]):
    save(src.crop(box), (640, 640), 'fur_%d.jpg' % i)
`]);
  const cases = [['whole.jpg', [144, 0, 866, 866]], ['whole.jpg', undefined],
    ...[0, 1, 2].map((i) => [`fur_${i}.jpg`, undefined])];
  for (const [name, region] of cases) {
    const result = await demo.analyse({ bytes: new Uint8Array(readFileSync(join(dir, name))), region });
    assert.equal(result.gate.accepted, false, `${name} ${region ?? ''}: ${JSON.stringify(result.gate)}`);
    assert.deepEqual(result.gate.reasons.map((r) => r.code), ['not_skin'], name);
    assert.equal(result.predictions, undefined);
  }
});

test("the distance's gradient with respect to the channel means equals finite differences", () => {
  const rand = random(11);
  const dims = 5;
  // A random positive definite covariance (A A' + I) and two class means.
  const a = Array.from({ length: dims * dims }, () => gaussian(rand));
  const packed = [];
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = i === j ? 1 : 0;
      for (let k = 0; k < dims; k++) sum += a[i * dims + k] * a[j * dims + k];
      packed.push(sum);
    }
  }
  for (const pooling of ['mean-sqrt', 'mean']) {
    const ood = validateGate({ schema: GATE_SCHEMA, outOfDistribution: { layer: 'L', pooling, dims, classes: ['a', 'b'],
      means: encodeFloats(Array.from({ length: 2 * dims }, () => gaussian(rand))), covariance: encodeFloats(packed), threshold: 3 } },
    [{ id: 'a' }, { id: 'b' }]).outOfDistribution;
    const channelMeans = Array.from({ length: dims }, () => 0.2 + rand() * 2);
    const pool = (m) => Float64Array.from(m, (v) => (pooling === 'mean' ? v : Math.sign(v) * Math.sqrt(Math.abs(v))));
    const gradient = distanceGradient(ood, pool(channelMeans));
    for (let i = 0; i < dims; i++) {
      const h = 1e-6;
      const up = [...channelMeans];
      const down = [...channelMeans];
      up[i] += h;
      down[i] -= h;
      const numeric = (mahalanobisDistance(ood, pool(up)) - mahalanobisDistance(ood, pool(down))) / (2 * h);
      assert.ok(Math.abs(numeric - gradient[i]) < 1e-5 * Math.max(1, Math.abs(numeric)), `${pooling} ${i}: ${numeric} vs ${gradient[i]}`);
    }
  }
});

test('why was my photo refused: on a lesion photo with another photo pasted in, the map points at the pasted patch', async () => {
  const toRgba = (d) => {
    const rgba = new Uint8ClampedArray(d.width * d.height * 4);
    for (let i = 0; i < d.width * d.height; i++) {
      for (let c = 0; c < 3; c++) rgba[i * 4 + c] = d.rgb[i * d.channels + c];
      rgba[i * 4 + 3] = 255;
    }
    return { width: d.width, height: d.height, rgba };
  };
  const lesion = toRgba(await core.decodeImage(fixture('lesion.jpg')));
  const other = toRgba(await core.decodeImage(new Uint8Array(readFileSync('/usr/lib/python3/dist-packages/skimage/data/astronaut.png'))));
  // A 180 px square of the astronaut's face, pasted near the top left corner of the 512 px lesion photo.
  const [x0, y0, side] = [51, 51, 180];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) lesion.rgba[((y0 + y) * lesion.width + x0 + x) * 4 + c] = other.rgba[((y + 100) * other.width + x + 100) * 4 + c];
    }
  }
  const result = await demo.analyse({ bytes: await core.encodePng(lesion) });
  assert.equal(result.refused, true);
  assert.ok(result.gate.reasons.some((r) => r.code === 'not_skin'), JSON.stringify(result.gate.reasons));
  const why = await demo.whyRefused({});
  for (const key of ['predictions', 'explainedClass', 'probability', 'method']) assert.equal(why[key], undefined, key);
  const { data, width, height } = why.map;
  // The patch at the map's resolution (the model sees the whole square photo), grown by one cell of the 16 x 16
  // target layer: a map at that layer's resolution cannot place an edge more finely.
  const cell = width / 16;
  const scale = width / lesion.width;
  const inPatch = (x, y) => x >= x0 * scale - cell && x < (x0 + side) * scale + cell && y >= y0 * scale - cell && y < (y0 + side) * scale + cell;
  let [inside, total, area, peak, peakInPatch] = [0, 0, 0, -Infinity, false];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      total += v;
      if (inPatch(x, y)) [inside, area] = [inside + v, area + 1];
      if (v > peak) [peak, peakInPatch] = [v, inPatch(x, y)];
    }
  }
  assert.ok(peakInPatch, 'the map peaks on the pasted patch');
  assert.ok(inside / total > 2 * (area / (width * height)), `energy ${inside / total} against area ${area / (width * height)}`);
  // Asked of a photo that is not refused as not skin, it says there is nothing to map.
  await demo.analyse({ bytes: fixture('lesion_blurry.jpg') });
  await assert.rejects(demo.whyRefused({}), (e) => e instanceof DermcamError && e.code === 'no_gate_map');
});
