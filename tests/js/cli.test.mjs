// scripts/dermcam.mjs as a user runs it: output files, JSON, messages on stderr and exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { explainMetadata } from '../../web/js/onnx/prepared.mjs';
import { decodeModel } from '../../web/js/onnx/model.mjs';
import { decodeImage, encodePng } from '../../web/js/core.mjs';
import { decodeNpy, encodeNpy } from '../../web/js/npy.mjs';
import { EXPLAIN_FIXTURES, correlation, ortWeb } from './explain-helpers.mjs';
import { FIXTURES, ROOT } from './helpers.mjs';
import { testConfig } from './test-config.mjs';

const require = createRequire(import.meta.url);
const CLI = join(ROOT, 'scripts/dermcam.mjs');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdin: 'ignore' });
const fixture = (name) => join(EXPLAIN_FIXTURES, name, 'model.onnx');

describe('the photo gate on the command line', () => {
  let dir;
  let modelDir;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dermcam-gate-'));
    modelDir = join(dir, 'demo');
    mkdirSync(modelDir);
    for (const name of ['model-int8.onnx', 'model.json']) copyFileSync(join(ROOT, 'models/demo', name), join(modelDir, name));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('explain --json: a refused photo gets the gate\'s reasons and no predictions, exit 0; --force adds them', () => {
    const refused = run('explain', '--model', modelDir, '--image', join(FIXTURES, 'portrait.jpg'), '--json');
    assert.equal(refused.status, 0, refused.stderr);
    const json = JSON.parse(refused.stdout);
    assert.deepEqual(Object.keys(json).sort(), ['file', 'gate']);
    assert.equal(json.gate.accepted, false);
    assert.equal(json.gate.out_of_distribution_check, true);
    const [reason] = json.gate.reasons;
    assert.deepEqual(Object.keys(reason), ['code', 'message', 'value', 'threshold']);
    assert.equal(reason.code, 'not_skin');
    assert.match(reason.message, /does not look like a close-up of skin/);
    assert.ok(reason.value > reason.threshold);
    const forced = JSON.parse(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'portrait.jpg'), '--json', '--force').stdout);
    assert.equal(forced.forced, true);
    assert.equal(forced.gate.accepted, false);
    assert.equal(forced.predictions.length, 6);
    const text = run('explain', '--model', modelDir, '--image', join(FIXTURES, 'portrait.jpg'), '--force');
    assert.match(text.stdout, /FORCED past the photo gate: not_skin/);

    const photos = join(dir, 'photos');
    mkdirSync(photos);
    for (const name of ['lesion.jpg', 'lesion_blurry.jpg', 'portrait.jpg']) copyFileSync(join(FIXTURES, name), join(photos, name));
    const batch = run('explain', '--model', modelDir, '--image', photos, '--json');
    assert.equal(batch.status, 0, batch.stderr);
    const results = JSON.parse(batch.stdout);
    assert.deepEqual(results.map((r) => [r.gate.accepted, r.gate.reasons.map((x) => x.code).join()]),
      [[true, ''], [false, 'blurry'], [false, 'not_skin']]);
    assert.equal(results[0].predictions[0].label, 'melanoma');
    assert.ok(results[0].predictions[0].probability > 0.9);
    const plain = run('explain', '--model', modelDir, '--image', photos);
    assert.match(plain.stdout, /lesion_blurry\.jpg: refused by the photo gate: The photo is blurry/);
  });

  test('explain --region takes exactly that part of the photo, as the app\'s framing square does', async () => {
    // The lesion photo pasted into a large photo of plain skin: the region around it gives the lesion's own result.
    const lesion = await decodeImage(new Uint8Array(readFileSync(join(FIXTURES, 'lesion.jpg'))));
    const [width, height, left, top] = [1600, 1200, 1000, 200];
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = x >= left && x < left + lesion.width && y >= top && y < top + lesion.height;
        const from = inside ? ((y - top) * lesion.width + x - left) * 3 : 0;
        rgba.set([...lesion.rgb.subarray(from, from + 3), 255], (y * width + x) * 4);
      }
    }
    const big = join(dir, 'big.png');
    writeFileSync(big, await encodePng({ width, height, rgba }));
    const region = [left, top, lesion.width, lesion.height];
    const framed = run('explain', '--model', modelDir, '--image', big, '--region', region.join(','), '--json');
    assert.equal(framed.status, 0, framed.stderr);
    const own = JSON.parse(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'lesion.jpg'), '--json').stdout);
    const json = JSON.parse(framed.stdout);
    assert.deepEqual(json.region, region);
    assert.equal(json.gate.accepted, true);
    assert.deepEqual(json.predictions.map((p) => p.label), own.predictions.map((p) => p.label));
    // The same pixels, read through a crop: the resampling starts from another offset, so the model's input differs
    // by rounding, and the probabilities by about 1e-6 (measured: 1.0e-6 with the demo's temperature 0.53).
    json.predictions.forEach((p, i) => assert.ok(Math.abs(p.probability - own.predictions[i].probability) < 1e-5,
      `${p.label}: ${p.probability} vs ${own.predictions[i].probability}`));
    const whole = JSON.parse(run('explain', '--model', modelDir, '--image', big, '--json', '--force').stdout);
    assert.notEqual(whole.predictions[0].probability.toFixed(6), json.predictions[0].probability.toFixed(6));

    const outside = run('explain', '--model', modelDir, '--image', big, '--region', '1500,0,200,200');
    assert.equal(outside.status, 1);
    assert.match(outside.stderr, /must be whole pixels inside the 1600 x 1200 photo/);
    // The app's worker hands WebP to the browser's decoder; the CLI has none and refuses it as before.
    const webp = run('explain', '--model', modelDir, '--image', join(FIXTURES, 'lesion.webp'), '--json');
    assert.equal(webp.status, 1);
    assert.match(webp.stderr, /lesion\.webp: WebP images are not supported; please use a JPEG, PNG or BMP\./);
    assert.equal(JSON.parse(webp.stdout).error.code, 'unsupported_format');
    for (const bad of ['1,2,3', '0,0,-5,5', 'a,b,c,d', '0.5,0,10,10']) {
      const usage = run('explain', '--model', modelDir, '--image', big, '--region', bad);
      assert.equal(usage.status, 2, bad);
      assert.match(usage.stderr, /--region must be X,Y,WIDTH,HEIGHT/);
    }
  });

  test('fit-gate fits the statistics and the temperature from labelled photos and writes them into model.json', () => {
    const photos = join(dir, 'fit');
    execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/demo/gate_images.py'), '--per-type', '10', '--seed', '9003', photos]);
    // Sorted into subfolders by label id, as fit-gate reads labels.
    const { readdirSync, renameSync } = require('node:fs');
    for (const name of readdirSync(photos)) {
      const label = /^t\d_(.+)_\d+\.png$/.exec(name)[1];
      mkdirSync(join(photos, label), { recursive: true });
      renameSync(join(photos, name), join(photos, label, name));
    }
    const before = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    const out = run('fit-gate', '--model', modelDir, '--images', photos, '--json');
    assert.equal(out.status, 0, out.stderr);
    const summary = JSON.parse(out.stdout);
    assert.equal(summary.photos, 60);
    assert.equal(summary.labelled, 60);
    assert.equal(summary.dims, 256);
    const after = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    assert.notEqual(after.gate.outOfDistribution.means, before.gate.outOfDistribution.means);
    assert.equal(after.gate.outOfDistribution.fittedOn.photos, 48);
    assert.ok(after.calibration.temperature > 0.05 && after.calibration.temperature < 20);
    // The temperature from one half of the labelled photos, the prediction sets from the other.
    assert.equal(after.calibration.fittedOn.photos, 30);
    assert.equal(after.predictionSets.method, 'lac');
    assert.equal(after.predictionSets.coverage, 0.9);
    assert.equal(after.predictionSets.fittedOn.photos, 30);
    assert.ok(after.predictionSets.minProbability >= 0 && after.predictionSets.minProbability <= 1, JSON.stringify(after.predictionSets));
    assert.deepEqual(summary.predictionSets, after.predictionSets);
    assert.deepEqual(after.card, before.card, 'the model card is kept');
    // The new statistics load and gate photos.
    const check = JSON.parse(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'portrait.jpg'), '--json').stdout);
    assert.equal(check.gate.out_of_distribution_check, true);
    // A photo the gate accepts gets its set: the classes whose probability reaches the floor, the top one always.
    const lesion = JSON.parse(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'lesion.jpg'), '--json').stdout);
    if (lesion.gate.accepted) {
      assert.equal(lesion.coverage, 0.9);
      assert.equal(lesion.prediction_set[0], lesion.predictions[0].label);
      const expected = lesion.predictions.filter((p, i) => i === 0 || p.probability >= after.predictionSets.minProbability).map((p) => p.label);
      assert.deepEqual(lesion.prediction_set, expected);
    } else {
      assert.equal(lesion.prediction_set, undefined, 'a refused photo has no set');
    }
    const few = run('fit-gate', '--model', modelDir, '--images', photos, '--coverage', '1');
    assert.equal(few.status, 2);
    assert.match(few.stderr, /--coverage must be a fraction from 0.5 to below 1/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = run('fit-gate', '--model', modelDir, '--images', empty);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /holds no photos/);
    assert.equal(run('fit-gate', '--model', modelDir).status, 2);

    // --negatives: close-ups of photos the model must refuse fit the discriminator on the --gate-layer features.
    const negatives = join(dir, 'negatives');
    execFileSync('/usr/bin/python3', ['-c', `
import sys, cv2
sys.path.insert(0, '${join(ROOT, 'scripts/demo')}')
import gate_images
for p, name in enumerate(['coffee.png', 'rocket.jpg', 'astronaut.png']):
    for k, bgr, quality in gate_images.closeups('/usr/lib/python3/dist-packages/skimage/data/' + name, 15, 77 + p):
        gate_images.os.makedirs('${negatives}', exist_ok=True)
        cv2.imwrite('${negatives}/%s_%d.jpg' % (name[:-4], k), bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
`]);
    const withNegatives = run('fit-gate', '--model', modelDir, '--images', photos, '--negatives', negatives, '--json');
    assert.equal(withNegatives.status, 0, withNegatives.stderr);
    const fitted = JSON.parse(withNegatives.stdout).discriminator;
    assert.equal(fitted.dims, 432);
    assert.equal(fitted.layers.length, 6);
    assert.equal(fitted.photos, 48);
    assert.ok(fitted.negatives >= 16, `negatives ${fitted.negatives}`);
    const stored = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).gate.discriminator;
    assert.deepEqual(stored.layers, fitted.layers);
    const fur = JSON.parse(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'photo.jpg'), '--json').stdout);
    assert.deepEqual(fur.gate.reasons.map((r) => r.code), ['not_skin']);
    assert.equal(typeof fur.gate.discriminator_score, 'number', 'the discriminator is applied');
    // --fit-quality --quality-only fits the quality thresholds from what degradations do to this model and keeps
    // the checks, the calibration and the sets.
    const storedConfig = () => JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
    const checked = storedConfig();
    assert.equal(run('fit-gate', '--model', modelDir, '--images', photos, '--quality-only').status, 2);
    const qualityRefit = run('fit-gate', '--model', modelDir, '--images', photos, '--fit-quality', '--quality-only');
    assert.equal(qualityRefit.status, 0, qualityRefit.stderr);
    for (const id of ['blur', 'spotblur', 'darker', 'brighter', 'washedout', 'glare', 'noise', 'jpeg', 'smaller']) assert.match(qualityRefit.stdout, new RegExp(`Quality, ${id}: `));
    assert.match(qualityRefit.stdout, /Quality, jpeg: .*no gate measure follows it/);
    assert.match(qualityRefit.stdout, /discriminator, calibration and prediction sets are kept as they were/);
    assert.doesNotMatch(qualityRefit.stderr, /is removed/);
    const refitted = storedConfig();
    for (const key of ['outOfDistribution', 'discriminator']) assert.deepEqual(refitted.gate[key], checked.gate[key], key);
    assert.deepEqual([refitted.calibration, refitted.predictionSets], [checked.calibration, checked.predictionSets]);
    const quality = refitted.gate.quality;
    assert.ok(Object.keys(quality).length >= 2, JSON.stringify(quality));
    assert.equal(refitted.gate.qualityFittedOn.degradations.length, 9);
    // Refitting without --negatives removes the discriminator, and says so; the fitted quality thresholds stay.
    const refit = run('fit-gate', '--model', modelDir, '--images', photos);
    assert.equal(refit.status, 0, refit.stderr);
    assert.match(refit.stderr, /discriminator .* is removed: pass --negatives to fit it again/);
    assert.equal(storedConfig().gate.discriminator, undefined);
    assert.deepEqual(storedConfig().gate.quality, quality);
  });
});

test('prepare writes an explain model and reports what it chose', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'prepared.onnx');
  const text = run('prepare', fixture('resnet18'), out, '--classes', '2');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /Target layer '.*layer4.*' \[64 x 2 x 2\] NCHW: the last 4-D activation/);
  assert.match(text.stdout, /top 2 class/);
  const meta = explainMetadata(decodeModel(new Uint8Array(readFileSync(out))));
  assert.equal(meta.classes.k, 2);

  const json = run('prepare', fixture('keras_nhwc_opset13'), out, '--json', '--score', 'probability');
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.layers[0].layout, 'NHWC');
  assert.equal(report.score.kind, 'probability');
  assert.ok(existsSync(out));
});

test('the CLI is the package\'s bin: `npx dermcam` runs it from a clone', () => {
  const out = spawnSync('npx', ['--no-install', 'dermcam', 'prepare', '--help'], { cwd: ROOT, encoding: 'utf8', stdin: 'ignore' });
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^usage:\n {2}node scripts\/dermcam\.mjs prepare/);
});

test('--list-layers prints the candidates', () => {
  const listed = run('prepare', fixture('unsupported_selu'), '--list-layers', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const layers = JSON.parse(listed.stdout);
  assert.ok(layers.length >= 2);
  assert.ok(layers.some((l) => !l.explainable && l.blockedBy.op === 'Selu'));
  const human = run('prepare', fixture('unsupported_selu'), '--list-layers');
  assert.match(human.stdout, /blocked by Selu/);
});

test('errors go to stderr with a non-zero exit code', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const usage = run('prepare');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage:/);
  assert.equal(run('frobnicate').status, 2);
  assert.equal(run('prepare', fixture('resnet18'), join(dir, 'x.onnx'), '--bogus').status, 2);

  const notOnnx = join(dir, 'photo.onnx');
  writeFileSync(notOnnx, 'this is not a model');
  const bad = run('prepare', notOnnx, join(dir, 'out.onnx'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^dermcam: This is not a readable ONNX model/);
  assert.equal(bad.stdout, '');

  const missing = run('prepare', join(dir, 'missing.onnx'), join(dir, 'out.onnx'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Cannot read/);

  const manifest = JSON.parse(readFileSync(join(EXPLAIN_FIXTURES, 'unsupported_selu/manifest.json'), 'utf8'));
  const blocked = run('prepare', fixture('unsupported_selu'), join(dir, 'out.onnx'), '--layer', manifest.layer);
  assert.equal(blocked.status, 1);
  assert.match(blocked.stderr, /Cannot explain through Selu/);
  assert.ok(!existsSync(join(dir, 'out.onnx')));
  assert.equal(run('prepare', fixture('resnet18'), join(dir, 'o.onnx'), '--classes', 'many').status, 2);
});

describe('explain', () => {
  let dir;
  let modelDir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dermcam-explain-'));
    modelDir = join(dir, 'model');
    mkdirSync(modelDir);
    copyFileSync(join(EXPLAIN_FIXTURES, 'mlp_head/model.onnx'), join(modelDir, 'model.onnx'));
    writeFileSync(join(modelDir, 'model.json'), JSON.stringify(testConfig()));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--eigen-smooth, --aug-smooth, --colormap, --opacity and --outline do what the app\'s choices do', async () => {
    const photo = join(FIXTURES, 'photo.jpg');
    const explainWith = (name, ...options) => {
      const png = join(dir, `${name}.png`);
      const npy = join(dir, `${name}.npy`);
      const out = run('explain', '--model', modelDir, '--image', photo, '--out', png, '--heatmap-out', npy, '--json', ...options);
      assert.equal(out.status, 0, out.stderr);
      return { json: JSON.parse(out.stdout), png: readFileSync(png), map: decodeNpy(new Uint8Array(readFileSync(npy))).data };
    };
    const plain = explainWith('plain');
    assert.deepEqual([plain.json.eigen_smooth, plain.json.aug_smooth], [false, false]);
    // The same pipeline in this process, with the same options, gives the same bytes.
    const { Explainer } = await import('../../web/js/pipeline.mjs');
    const core = await import('../../web/js/core.mjs');
    const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
    await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(modelDir, 'model.onnx'))),
      config: JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) });
    const bytes = new Uint8Array(readFileSync(photo));
    for (const [name, options, render, looks] of [
      ['eigen', ['--eigen-smooth'], { eigenSmooth: true }, {}],
      ['aug', ['--aug-smooth'], { augSmooth: true }, {}],
      ['looks', ['--colormap', 'viridis', '--opacity', '0.8', '--outline'], {}, { colormap: 'viridis', opacity: 0.8, outline: true }],
    ]) {
      const cli = explainWith(name, ...options);
      const want = await explainer.analyse({ bytes }, { method: 'gradcam', ...render });
      assert.deepEqual(Array.from(cli.map), Array.from(want.map.data), `${name}: map`);
      assert.deepEqual(new Uint8Array(cli.png), await explainer.overlayPng({ colormap: 'jet', opacity: 0.5, outline: false, ...looks }),
        `${name}: overlay`);
      if (name !== 'looks') assert.notDeepEqual(Array.from(cli.map), Array.from(plain.map), `${name} changed nothing`);
      else assert.notDeepEqual(cli.png, plain.png, 'the looks changed nothing');
    }
    assert.equal(explainWith('eigen-json', '--eigen-smooth').json.eigen_smooth, true);
    await explainer.release();
    for (const [options, message] of [[['--opacity', '2'], /--opacity must be a number from 0 to 1 \(got '2'\)/],
      [['--opacity', 'half'], /--opacity must be a number from 0 to 1/], [['--opacity', ''], /--opacity must be/],
      [['--colormap', 'rainbow'], /--colormap must be one of jet, turbo, viridis, inferno/]]) {
      const out = run('explain', '--model', modelDir, '--image', photo, ...options);
      assert.equal(out.status, 2, options.join(' '));
      assert.match(out.stderr, message);
    }
  });

  test('prints the documented JSON and writes the PNG and the .npy heatmap', async () => {
    const png = join(dir, 'overlay.png');
    const npy = join(dir, 'map.npy');
    const out = run('explain', '--model', modelDir, '--image', join(FIXTURES, 'photo.jpg'), '--method', 'gradcam++',
      '--class', '4', '--out', png, '--heatmap-out', npy, '--raw-out', join(dir, 'raw.npy'), '--json');
    assert.equal(out.status, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(json).sort(), ['aug_smooth', 'eigen_smooth', 'explained_class', 'file', 'gate', 'heatmap',
      'low_confidence', 'map_check', 'map_status', 'method', 'overlay', 'predictions', 'raw_map', 'region', 'target_layer',
      'timings_ms'].sort());
    // The quick map check of every map: its three tests and the verdict.
    assert.deepEqual(Object.keys(json.map_check).sort(), ['beats_random', 'changes_with_model', 'deletion_score', 'flip_correlation',
      'flip_stable', 'model_runs', 'passed', 'random_deletion_score', 'random_head_correlation', 'randomisation'].sort());
    assert.equal(json.map_check.passed, json.map_check.beats_random && json.map_check.flip_stable !== false && json.map_check.changes_with_model);
    assert.equal(json.map_check.model_runs, 12);
    // The raw map: signed, at the target layer's resolution; the drawn heatmap is its positive part, scaled and
    // resized, so it is brightest where the raw map peaks.
    assert.deepEqual(json.raw_map, [join(dir, 'raw.npy')]);
    const raw = decodeNpy(new Uint8Array(readFileSync(join(dir, 'raw.npy'))));
    const heat = decodeNpy(new Uint8Array(readFileSync(npy)));
    const [h, w] = raw.shape;
    assert.ok(h > 1 && h < heat.shape[0] && w > 1 && w < heat.shape[1], String(raw.shape));
    const peak = raw.data.indexOf(Math.max(...raw.data));
    const at = heat.data[Math.floor(((Math.floor(peak / w) + 0.5) * heat.shape[0]) / h) * heat.shape[1] +
      Math.floor((((peak % w) + 0.5) * heat.shape[1]) / w)];
    assert.ok(at > 0.8, `heatmap at the raw map's peak: ${at}`);
    // Grad-CAM's raw map keeps where the layer argues against the class (negative), which the heatmap clips away.
    const gradcam = run('explain', '--model', modelDir, '--image', join(FIXTURES, 'photo.jpg'), '--class', '4',
      '--raw-out', join(dir, 'raw-gradcam.npy'), '--json');
    assert.equal(gradcam.status, 0, gradcam.stderr);
    const signed = decodeNpy(new Uint8Array(readFileSync(join(dir, 'raw-gradcam.npy')))).data;
    assert.ok(Math.min(...signed) < 0 && Math.max(...signed) > 0, `signed: ${Math.min(...signed)} to ${Math.max(...signed)}`);
    assert.deepEqual(json.region, [0, 0, 451, 300]);  // without --region: the whole photo
    assert.equal(json.gate.accepted, true);
    assert.equal(json.gate.out_of_distribution_check, false);
    assert.match(out.stderr, /This model has no out-of-distribution check/);
    assert.equal(json.predictions.length, 6);
    assert.deepEqual(Object.keys(json.predictions[0]), ['index', 'label', 'probability']);
    assert.deepEqual(json.explained_class, { index: 4, label: 'e' });
    assert.equal(json.method, 'gradcam++');
    assert.match(json.target_layer, /Relu/);
    for (const stage of ['decode_preprocess', 'inference', 'cam', 'overlay']) assert.equal(typeof json.timings_ms[stage], 'number');
    const image = await decodeImage(new Uint8Array(readFileSync(png)));
    assert.deepEqual([image.width, image.height], [451, 300]);
    const map = decodeNpy(new Uint8Array(readFileSync(npy)));
    assert.deepEqual(map.shape, [64, 64]);
    assert.ok(Math.max(...map.data) <= 1 && Math.min(...map.data) >= 0);
  });

  test('--metrics adds the faithfulness metrics, the same as the pipeline computes them', async () => {
    const photo = join(FIXTURES, 'photo.jpg');
    const out = run('explain', '--model', modelDir, '--image', photo, '--method', 'layercam', '--metrics', '--json');
    assert.equal(out.status, 0, out.stderr);
    const { metrics } = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(metrics).sort(), ['average_drop', 'beats_random', 'deletion_auc', 'increase_in_confidence',
      'insertion_auc', 'model_runs', 'random_deletion_auc', 'road_combined', 'road_least_relevant_first',
      'road_most_relevant_first'].sort());
    for (const key of ['deletion_auc', 'insertion_auc', 'random_deletion_auc']) assert.ok(metrics[key] >= 0 && metrics[key] <= 1, key);
    const { Explainer } = await import('../../web/js/pipeline.mjs');
    const core = await import('../../web/js/core.mjs');
    const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
    await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(modelDir, 'model.onnx'))),
      config: JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) });
    await explainer.analyse({ bytes: new Uint8Array(readFileSync(photo)) }, { method: 'layercam' });
    assert.deepEqual(metrics, await explainer.metrics());
    await explainer.release();
    const text = run('explain', '--model', modelDir, '--image', photo, '--metrics');
    assert.match(text.stdout, /faithfulness: deletion AUC \d\.\d{3} \(random map \d\.\d{3}.*\), insertion AUC/);
  });

  test('takes an exact tensor', () => {
    const tensor = join(dir, 'input.npy');
    writeFileSync(tensor, encodeNpy(new Float32Array(3 * 64 * 64).fill(0.1), [1, 3, 64, 64]));
    const out = run('explain', '--model', modelDir, '--tensor', tensor, '--json', '--heatmap-out', join(dir, 't.npy'));
    assert.equal(out.status, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).timings_ms.decode_preprocess, undefined);
    writeFileSync(tensor, encodeNpy(new Float32Array(10), [10]));
    const bad = run('explain', '--model', modelDir, '--tensor', tensor);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /must be float32 with shape \[1, 3, 64, 64\]/);
  });

  test('audits a folder: one result per file, failures reported and counted', () => {
    const photos = join(dir, 'photos');
    const outputs = join(dir, 'outputs');
    mkdirSync(photos);
    copyFileSync(join(FIXTURES, 'photo.jpg'), join(photos, 'a.jpg'));
    copyFileSync(join(FIXTURES, 'blocks.png'), join(photos, 'b.png'));
    copyFileSync(join(FIXTURES, 'not_image.txt.jpg'), join(photos, 'c.jpg'));
    const out = run('explain', '--model', modelDir, '--image', photos, '--out', outputs, '--json');
    assert.equal(out.status, 1);
    const results = JSON.parse(out.stdout);
    assert.equal(results.length, 3);
    assert.ok(existsSync(join(outputs, 'a.overlay.png')));
    // b.png (13 x 11 px) is refused by the photo gate: a result, not a failure, and no overlay.
    assert.equal(results[1].gate.accepted, false);
    assert.equal(results[1].gate.reasons[0].code, 'too_small');
    assert.equal(results[1].predictions, undefined);
    assert.ok(!existsSync(join(outputs, 'b.overlay.png')));
    assert.equal(results[2].error.code, 'unrecognized_format');
    assert.match(out.stderr, /c\.jpg: This file is not a JPEG, PNG or BMP image/);
  });

  test('--layer is honoured with and without model.json', () => {
    const layer = '/backbone/body/body.3/Conv_output_0';  // not the automatic choice (the last one)
    const bare = join(dir, 'bare');
    mkdirSync(bare, { recursive: true });
    copyFileSync(join(EXPLAIN_FIXTURES, 'mlp_head/model.onnx'), join(bare, 'classifier.onnx'));
    const alone = run('explain', '--model', join(bare, 'classifier.onnx'), '--layer', layer, '--image', join(FIXTURES, 'photo.jpg'), '--json');
    assert.equal(alone.status, 0, alone.stderr);
    assert.equal(JSON.parse(alone.stdout).target_layer, layer);
    const described = run('explain', '--model', modelDir, '--layer', layer, '--image', join(FIXTURES, 'photo.jpg'), '--json');
    assert.equal(JSON.parse(described.stdout).target_layer, layer);
    const automatic = run('explain', '--model', join(bare, 'classifier.onnx'), '--image', join(FIXTURES, 'photo.jpg'), '--json');
    assert.notEqual(JSON.parse(automatic.stdout).target_layer, layer);
  });

  test('--help for every command, friendly messages for missing files, documented exit codes', () => {
    for (const args of [['--help'], ['help'], ['explain', '--help'], ['prepare', '-h'], ['fit-gate', '--help'], ['pack', '--help']]) {
      const help = run(...args);
      assert.equal(help.status, 0, args.join(' '));
      assert.match(help.stdout, /^usage:/);
      assert.match(help.stdout, /exit codes: 0 done/);
      assert.equal(help.stderr, '');
    }
    const photo = run('explain', '--model', modelDir, '--image', join(dir, 'missing.jpg'));
    assert.equal(photo.status, 1);
    assert.equal(photo.stderr.trim().split('\n').pop(), `dermcam: ${join(dir, 'missing.jpg')}: Cannot read the photo: there is no such file.`);
    const model = run('explain', '--model', join(dir, 'missing.onnx'), '--image', join(FIXTURES, 'photo.jpg'));
    assert.equal(model.status, 1);
    assert.match(model.stderr, /^dermcam: Cannot read the model .*missing\.onnx: there is no such file or folder\.\n$/);
    const folder = run('prepare', dir, join(dir, 'out.onnx'));
    assert.match(folder.stderr, /Cannot read the model .*: it is a folder, not a file\./);
    assert.doesNotMatch(photo.stderr + model.stderr + folder.stderr, /ENOENT|EISDIR|at .*\.mjs/);
  });

  test('bad models and arguments fail with a message and exit code', () => {
    assert.equal(run('explain', '--image', 'x.jpg').status, 2);
    assert.equal(run('explain', '--model', modelDir, '--image', 'x.jpg', '--tensor', 'y.npy').status, 2);
    assert.equal(run('explain', '--model', modelDir, '--image', join(FIXTURES, 'photo.jpg'), '--method', 'magic').status, 2);
    const missing = run('explain', '--model', join(dir, 'nowhere'), '--image', join(FIXTURES, 'photo.jpg'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^dermcam: /);
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'model.json'), JSON.stringify(testConfig({ labels: [{ id: 'x' }] })));
    copyFileSync(join(modelDir, 'model.onnx'), join(broken, 'model.onnx'));
    const invalid = run('explain', '--model', broken, '--image', join(FIXTURES, 'photo.jpg'));
    assert.equal(invalid.status, 1);
    assert.match(invalid.stderr, /model.json: 'labels' must list 2 to 10000 classes/);
    writeFileSync(join(broken, 'model.json'), '{ not json');
    assert.match(run('explain', '--model', broken, '--image', join(FIXTURES, 'photo.jpg')).stderr, /is not valid JSON/);
    writeFileSync(join(broken, 'model.json'), JSON.stringify(testConfig({ input: { ...testConfig().input, height: 32 } })));
    const shape = run('explain', '--model', broken, '--image', join(FIXTURES, 'photo.jpg'));
    assert.equal(shape.status, 1);
    assert.match(shape.stderr, /fixed size of 64 where the requested input shape has 32/);
    writeFileSync(join(broken, 'model.onnx'), 'garbage');
    writeFileSync(join(broken, 'model.json'), JSON.stringify(testConfig()));
    assert.match(run('explain', '--model', broken, '--image', join(FIXTURES, 'photo.jpg')).stderr, /not a readable ONNX model/);
  });
});

// A Vision Transformer as a user brings it (an ONNX file, no model.json): prepare finds its token layers and
// explains the last block's first LayerNorm; explain's map is pytorch-grad-cam's with its reshape_transform.
test('a ViT without model.json: prepare, --list-layers and explain', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vit = join(EXPLAIN_FIXTURES, 'vit_opset13');
  const listed = run('prepare', join(vit, 'model.onnx'), '--list-layers');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /encoder_layer_1\/ln_1\/Add_1_output_0 {2}\[1 x 37 x 32\] tokens \(1 prefix \+ 6 x 6 grid\) {2}from Add {2}ok/);
  const prepared = run('prepare', join(vit, 'model.onnx'), join(dir, 'vit.onnx'));
  assert.equal(prepared.status, 0, prepared.stderr);
  assert.match(prepared.stdout, /\[6 x 6 x 32\] NHWC, its grid of the tokens after 1 prefix token\(s\): the last LayerNorm output/);
  const input = decodeNpy(new Uint8Array(readFileSync(join(vit, 'input.npy'))));
  const per = input.data.length / 2;
  writeFileSync(join(dir, 'x.npy'), encodeNpy(input.data.slice(0, per), [1, ...input.shape.slice(1)]));
  const out = run('explain', '--model', join(vit, 'model.onnx'), '--tensor', join(dir, 'x.npy'), '--json',
    '--heatmap-out', join(dir, 'map.npy'));
  assert.equal(out.status, 0, out.stderr);
  assert.equal(JSON.parse(out.stdout).target_layer, '/encoder/layers/encoder_layer_1/ln_1/Add_1_output_0');
  const map = decodeNpy(new Uint8Array(readFileSync(join(dir, 'map.npy'))));
  const want = decodeNpy(new Uint8Array(readFileSync(join(vit, 'gradcam.npy'))));
  assert.deepEqual(map.shape.slice(-2), want.shape.slice(1));
  const r = correlation(map.data, want.data.subarray(0, want.shape[1] * want.shape[2]));
  assert.ok(r >= 0.999, `correlation ${r}`);
  const wrong = run('prepare', join(vit, 'model.onnx'), join(dir, 'bad.onnx'), '--tokens', '2:6x6');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /token layout \(2 prefix \+ 6 x 6 = 38 tokens\) fits no 3-D layer/);
});

describe('explain over many photos: --jsonl, --jobs, --shard, --resume', () => {
  let dir;
  let photos;
  const model = join(ROOT, 'models/demo');
  const lines = (text) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dermcam-batch-'));
    photos = join(dir, 'photos');
    mkdirSync(photos);
    const names = { 'a.jpg': 'lesion.jpg', 'b.jpg': 'portrait.jpg', 'c.jpg': 'photo.jpg', 'd.jpg': 'not_image.txt.jpg', 'e.webp': 'lesion.webp',
      'f.jpg': 'lesion_blurry.jpg' };
    for (const [name, from] of Object.entries(names)) copyFileSync(join(FIXTURES, from), join(photos, name));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--jsonl gives a line per photo in input order, and two jobs answer exactly as one', () => {
    const one = run('explain', '--model', model, '--image', photos, '--jsonl');
    assert.equal(one.status, 1, 'd.jpg is not an image: the batch goes on and ends with 1');
    const two = run('explain', '--model', model, '--image', photos, '--jsonl', '--jobs', '2');
    assert.equal(two.status, 1, two.stderr);
    const [a, b] = [lines(one.stdout), lines(two.stdout)];
    assert.deepEqual(a.map((r) => basename(r.file)), ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.webp', 'f.jpg']);
    const answers = (results) => results.map(({ timings_ms: _timings, ...rest }) => rest);
    assert.deepEqual(answers(b), answers(a));
    assert.equal(a[3].error.code, 'unrecognized_format');
    assert.ok(a[0].predictions, 'the lesion is answered');
  });

  test('--shard I/N splits the photos into disjoint shares that cover them, the same on every run', () => {
    const share = (i) => lines(run('explain', '--model', model, '--image', photos, '--jsonl', '--shard', `${i}/3`).stdout).map((r) => basename(r.file));
    const shares = [1, 2, 3].map(share);
    assert.deepEqual(shares.flat().sort(), ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.webp', 'f.jpg']);
    assert.deepEqual(share(2), shares[1]);
    // Another machine mounts the folder elsewhere: the same photos are in the same share.
    const elsewhere = join(dir, 'mounted', 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    for (const name of shares.flat()) copyFileSync(join(photos, name), join(elsewhere, name));
    const there = lines(run('explain', '--model', model, '--image', elsewhere, '--jsonl', '--shard', '2/3').stdout).map((r) => basename(r.file));
    assert.deepEqual(there, shares[1]);
    for (const bad of ['0/3', '4/3', '1/0', 'x', '1/2/3']) {
      const usage = run('explain', '--model', model, '--image', photos, '--shard', bad);
      assert.equal(usage.status, 2, bad);
      assert.match(usage.stderr, /--shard must be I\/N/);
    }
    assert.match(run('explain', '--model', model, '--image', photos, '--jobs', '0').stderr, /--jobs must be a whole number from 1 to 64/);
    assert.match(run('explain', '--model', model, '--image', photos, '--json', '--jsonl').stderr, /choose one/);
  });

  test('--resume keeps what a killed run wrote, drops its cut line and its errors, and answers only the rest', () => {
    const results = join(dir, 'results.jsonl');
    const full = lines(run('explain', '--model', model, '--image', photos, '--jsonl').stdout);
    // A run killed while writing c.jpg's line: a, b complete, c cut short; d's error from an earlier try.
    const cut = JSON.stringify(full[2]).slice(0, 40);
    writeFileSync(results, `${JSON.stringify(full[0])}\n${JSON.stringify(full[3])}\n${JSON.stringify(full[1])}\n${cut}`);
    const resumed = run('explain', '--model', model, '--image', photos, '--resume', results, '--jsonl');
    assert.equal(resumed.status, 1, 'd.jpg still fails');
    assert.deepEqual(lines(resumed.stdout).map((r) => basename(r.file)), ['c.jpg', 'd.jpg', 'e.webp', 'f.jpg']);
    assert.match(resumed.stderr, /4 photo\(s\) answered into .*results\.jsonl; 2 were there already/);
    const kept = lines(readFileSync(results, 'utf8'));
    assert.deepEqual(kept.map((r) => basename(r.file)).sort(), ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.webp', 'f.jpg']);
    const again = run('explain', '--model', model, '--image', photos, '--resume', results, '--jsonl');
    const failed = full.filter((r) => r.error).map((r) => basename(r.file));
    assert.ok(failed.includes('d.jpg'));
    assert.deepEqual(lines(again.stdout).map((r) => basename(r.file)), failed, 'only the errors are tried again');
  });
});

describe('a model without gradients on the command line', () => {
  test('prepare --forward-only, and explain: occlusion by default, RISE and occlusion on request, gradient methods refused', async () => {
    const { demoWithoutGradients } = await import('./explain-helpers.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'dermcam-forward-only-'));
    try {
      writeFileSync(join(dir, 'forward-only.onnx'), demoWithoutGradients());
      const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...config, model: 'forward-only.onnx' }));
      const refusedPrepare = run('prepare', join(dir, 'forward-only.onnx'), join(dir, 'prepared.onnx'));
      assert.equal(refusedPrepare.status, 1);
      assert.match(refusedPrepare.stderr, /Cannot explain through Shrink/);
      const prepared = run('prepare', join(dir, 'forward-only.onnx'), join(dir, 'prepared.onnx'), '--forward-only');
      assert.equal(prepared.status, 0, prepared.stderr);
      assert.match(prepared.stdout, /Forward-only: no gradients \(Shrink, node 'no_gradient_rule', has no gradient rule\)/);

      const photo = join(FIXTURES, 'lesion.jpg');
      const first = run('explain', '--model', dir, '--image', photo, '--json', '--raw-out', join(dir, 'occlusion.npy'));
      assert.equal(first.status, 0, first.stderr);
      const json = JSON.parse(first.stdout);
      assert.equal(json.method, 'occlusion');
      assert.equal(json.map_status, 'ok');
      assert.equal(typeof json.map_check.passed, 'boolean');
      const raw = decodeNpy(readFileSync(join(dir, 'occlusion.npy')));
      assert.deepEqual(raw.shape, [128, 128], 'the input\'s resolution');
      const rise = run('explain', '--model', dir, '--image', photo, '--method', 'rise', '--rise-masks', '64', '--no-map-check', '--json');
      assert.equal(rise.status, 0, rise.stderr);
      assert.equal(JSON.parse(rise.stdout).method, 'rise');
      const window = run('explain', '--model', dir, '--image', photo, '--method', 'occlusion', '--occlusion-window', '32',
        '--occlusion-stride', '32', '--no-map-check', '--json', '--raw-out', join(dir, 'coarse.npy'));
      assert.equal(window.status, 0, window.stderr);
      // 4 x 4 windows of 32 pixels: the raw map is constant on each.
      const coarse = decodeNpy(readFileSync(join(dir, 'coarse.npy'))).data;
      assert.equal(coarse[0], coarse[31 * 128 + 31]);
      assert.notEqual(new Set(Array.from(coarse)).size, 1);
      const gradcam = run('explain', '--model', dir, '--image', photo, '--method', 'gradcam');
      assert.equal(gradcam.status, 1);
      assert.match(gradcam.stderr, /gradcam needs gradients.*\(Shrink\).*RISE, occlusion/);
      const bad = run('explain', '--model', dir, '--image', photo, '--method', 'rise', '--rise-masks', '0');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--rise-masks must be a whole number from 1 to 100000 \(got '0'\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pixel-level methods on the command line', () => {
  test('--method integratedgradients with --ig-steps and --ig-baseline; smoothgrad; bad values are usage errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dermcam-pixel-'));
    try {
      const model = join(ROOT, 'models/demo');
      const photo = join(FIXTURES, 'lesion.jpg');
      const ig = run('explain', '--model', model, '--image', photo, '--method', 'integratedgradients', '--ig-steps', '4',
        '--ig-baseline', 'black', '--no-map-check', '--json', '--raw-out', join(dir, 'ig.npy'));
      assert.equal(ig.status, 0, ig.stderr);
      assert.equal(JSON.parse(ig.stdout).method, 'integratedgradients');
      const raw = decodeNpy(readFileSync(join(dir, 'ig.npy')));
      assert.deepEqual(raw.shape, [128, 128]);
      assert.ok(Array.from(raw.data).some((v) => v < 0) && Array.from(raw.data).some((v) => v > 0), 'signed');
      const smooth = run('explain', '--model', model, '--image', photo, '--method', 'smoothgrad', '--smoothgrad-samples', '2',
        '--smoothgrad-noise', '0.1', '--no-map-check', '--json');
      assert.equal(smooth.status, 0, smooth.stderr);
      for (const [args, pattern] of [[['--ig-baseline', 'grey'], /--ig-baseline must be one of zero, black, blur/],
        [['--ig-steps', '0'], /--ig-steps must be a whole number from 1 to 1000/], [['--smoothgrad-noise', '2'], /--smoothgrad-noise must be a number from 0 to 1/]]) {
        const bad = run('explain', '--model', model, '--image', photo, '--method', 'integratedgradients', ...args);
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, pattern);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('concepts on the command line', () => {
  test('--concepts K adds Deep Feature Factorization with each concept\'s classes; --concepts-out writes the maps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dermcam-concepts-'));
    try {
      const out = join(dir, 'concepts.npy');
      const result = run('explain', '--model', join(ROOT, 'models/demo'), '--image', join(FIXTURES, 'lesion.jpg'),
        '--concepts', '3', '--concepts-out', out, '--no-map-check', '--json');
      assert.equal(result.status, 0, result.stderr);
      const { concepts } = JSON.parse(result.stdout);
      assert.equal(concepts.parts.length, 3);
      assert.ok(concepts.relative_error > 0 && concepts.relative_error < 1);
      for (const part of concepts.parts) assert.equal(part.classes.length, 3);
      const maps = decodeNpy(readFileSync(out));
      assert.deepEqual(maps.shape, [3, 128, 128]);
      const bad = run('explain', '--model', join(ROOT, 'models/demo'), '--image', join(FIXTURES, 'lesion.jpg'), '--concepts', '17');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--concepts must be a whole number from 1 to 16/);
      const alone = run('explain', '--model', join(ROOT, 'models/demo'), '--image', join(FIXTURES, 'lesion.jpg'), '--concepts-out', out);
      assert.equal(alone.status, 2);
      assert.match(alone.stderr, /--concepts-out needs --concepts K/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
