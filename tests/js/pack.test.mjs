// `dermcam pack` as a clinic runs it: a plain classifier (the demo's float32 model with its explain graph taken
// out, as a training script exports it), labels and labelled photos in, a model folder a site serves out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stripExplainGraph, explainMetadata } from '../../web/js/onnx/prepared.mjs';
import { decodeModel } from '../../web/js/onnx/model.mjs';
import { validateModelConfig } from '../../web/js/model-config.mjs';
import { QUALITY_RANGES } from '../../web/js/gate.mjs';
import { siteModels } from '../../scripts/site-models.mjs';
import { quantizeWeights } from '../../scripts/quantize.mjs';
import { FIXTURES, ROOT } from './helpers.mjs';

const CLI = join(ROOT, 'scripts/dermcam.mjs');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdin: 'ignore' });
const demo = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));

describe('dermcam pack', () => {
  let dir;
  let classifier;
  let labels;
  let photos;
  let types;
  let negatives;
  let masks;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dermcam-pack-'));
    classifier = join(dir, 'classifier.onnx');
    writeFileSync(classifier, stripExplainGraph(new Uint8Array(readFileSync(join(ROOT, 'models/demo/model.onnx')))));
    labels = join(dir, 'labels.csv');
    const quote = (text) => `"${text.replaceAll('"', '""')}"`;
    writeFileSync(labels, ['id,en,vi', ...demo.labels.map((l) => [l.id, quote(l.en), quote(l.vi)].join(','))].join('\n'));
    // 10 generated lesion photos per class and skin type pair (gate_images.py), sorted into folders by label id.
    photos = join(dir, 'photos');
    // Their lesion masks, named as the photos, for the pointing game.
    masks = join(dir, 'masks');
    execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/demo/gate_images.py'), '--per-type', '10', '--seed', '9011', photos, masks]);
    const rows = ['photo,type'];
    for (const name of readdirSync(photos)) {
      const [, type, label] = /^t(\d)_(.+)_\d+\.png$/.exec(name);
      for (const root of [photos, masks]) {
        mkdirSync(join(root, label), { recursive: true });
        renameSync(join(root, name), join(root, label, name));
      }
      rows.push(`${label}/${name},${type}`);
    }
    types = join(dir, 'types.csv');
    writeFileSync(types, rows.join('\n'));
    // Photos the model must refuse: close-ups of real non-skin photos, as fit-gate's test makes them.
    negatives = join(dir, 'negatives');
    execFileSync('/usr/bin/python3', ['-c', `
import sys, cv2, os
sys.path.insert(0, '${join(ROOT, 'scripts/demo')}')
import gate_images
os.makedirs('${negatives}', exist_ok=True)
for p, name in enumerate(['coffee.png', 'rocket.jpg', 'astronaut.png']):
    for k, bgr, quality in gate_images.closeups('/usr/lib/python3/dist-packages/skimage/data/' + name, 15, 77 + p):
        cv2.imwrite('${negatives}/%s_%d.jpg' % (name[:-4], k), bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
`]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('packs a classifier into a model folder: int8 when it agrees, the gate, sets, card and report', () => {
    // A photo that cannot be decoded is listed and skipped, not fatal.
    copyFileSync(join(FIXTURES, 'not_image.pdf.jpg'), join(photos, 'acne', 'broken.jpg'));
    const out = join(dir, 'models', 'clinic');
    const result = run('pack', '--onnx', classifier, '--labels', labels, '--photos', photos, '--skin-types', types,
      '--negatives', negatives, '--masks', masks, '--out', out, '--name', 'Clinic model', '--fit-quality', '--json');
    rmSync(join(photos, 'acne', 'broken.jpg'));
    assert.equal(result.status, 0, result.stderr);
    for (let stage = 1; stage <= 7; stage++) assert.match(result.stderr, new RegExp(`pack: \\[${stage}/7\\]`));
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.classes, 6);
    assert.equal(summary.photos, 61);
    assert.equal(summary.heldOut + summary.fit, 61);
    assert.deepEqual(summary.skipped.map((p) => p.endsWith('broken.jpg')), [true]);
    // The demo's weights quantize with near-identical answers and maps: the int8 file is the one served.
    assert.equal(summary.model, 'model-int8.onnx');
    assert.ok(summary.int8.top1Agreement >= 0.98 && summary.int8.camCorrelationP05 >= 0.9, JSON.stringify(summary.int8));
    assert.ok(summary.predictionSets && summary.temperature > 0);
    assert.deepEqual(readdirSync(out).sort(), ['REPORT.md', 'model-int8.onnx', 'model.json', 'quality-curves.svg']);
    const prepared = explainMetadata(decodeModel(new Uint8Array(readFileSync(join(out, 'model-int8.onnx')))));
    assert.equal(prepared.layers[0].name, summary.layer);
    const config = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    validateModelConfig(config, { gate: true });
    assert.equal(config.gate.outOfDistribution.classes.length, 6);
    assert.ok(config.gate.discriminator.fittedOn.negatives >= 16, 'the discriminator is fitted on the negatives');
    assert.equal(config.card.metrics.heldOut.photos, summary.evaluation.photos);
    assert.match(config.card.summary.en, /^TO BE WRITTEN: /);
    assert.match(config.card.summary.vi, /^CẦN VIẾT: /);
    const report = readFileSync(join(out, 'REPORT.md'), 'utf8');
    for (const heading of ['## Data', '## The model served', '## Accuracy', '### Confusion matrix', '## Calibration',
      '## Photo gate', '## Prediction sets', '## By skin type']) assert.ok(report.includes(heading), heading);
    assert.match(report, /broken\.jpg/);
    assert.match(report, /the discriminator refused [\d.]+% of \d+ held-out negatives/);
    assert.match(report, /\*\*Served: int8 \(weights\)\.\*\*/);
    // The demo model was trained to look at the lesion: its maps peak there on nearly every masked photo, far above
    // what the lesions' area alone would give.
    assert.equal(summary.pointing.photos, summary.evaluation.photos);
    assert.ok(summary.pointing.pointing >= 0.8 && summary.pointing.pointing > 2 * summary.pointing.area, JSON.stringify(summary.pointing));
    assert.match(report, /## Where the map looks \(pointing game\)/);
    assert.equal(config.card.metrics.heldOut.pointingGame, Number(summary.pointing.pointing.toFixed(4)));
    // --fit-quality: the thresholds come from what each degradation did to this model on the fitting split, with
    // the curves in the report; the held-out photos were judged with them and most clean ones still pass.
    assert.deepEqual(summary.quality.fits.map((f) => f.degradation), ['blur', 'spotblur', 'darker', 'brighter', 'washedout', 'glare', 'noise', 'jpeg', 'smaller']);
    for (const f of summary.quality.fits.filter((fit) => fit.threshold)) {
      if (f.value !== QUALITY_RANGES[f.threshold].default) assert.equal(config.gate.quality[f.threshold], f.value, f.threshold);
      assert.equal(f.cleanAccepted >= 0.99, true, JSON.stringify(f));
    }
    assert.ok(Object.keys(config.gate.quality).length >= 2, JSON.stringify(config.gate.quality));
    assert.ok(summary.evaluation.acceptance >= 0.9, `held-out acceptance ${summary.evaluation.acceptance}`);
    assert.match(report, /## Photo quality the model can read[^]*!\[[^\]]+\]\(quality-curves\.svg\)[^]*### glare/);
    assert.match(readFileSync(join(out, 'quality-curves.svg'), 'utf8'), /^<svg[^]*<\/svg>\n$/);
    // A site refuses the folder until its card is written, then serves it.
    assert.throws(() => siteModels([out]), /the model card is not written yet \(card\.summary\.en, card\.summary\.vi/);
    const written = JSON.parse(JSON.stringify(config), (key, value) => (typeof value === 'string'
      ? value.replace(/^TO BE WRITTEN: /, 'Written: ').replace(/^CẦN VIẾT: /, 'Đã viết: ') : value));
    writeFileSync(join(out, 'model.json'), JSON.stringify(written));
    assert.equal(siteModels([out])[0].id, 'clinic');
    // A second pack into the same folder needs --force.
    const again = run('pack', '--onnx', classifier, '--labels', labels, '--photos', photos, '--out', out);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds a model\.json; pass --force/);
  });

  test('refuses inconsistent inputs with a sentence naming what to fix', () => {
    const refuses = (args, pattern) => {
      const result = run('pack', '--onnx', classifier, '--out', join(dir, 'refused'), ...args);
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, pattern);
      assert.ok(!existsSync(join(dir, 'refused', 'model.json')));
    };
    // Five labels for a model that scores six.
    const five = join(dir, 'five.csv');
    writeFileSync(five, readFileSync(labels, 'utf8').split('\n').slice(0, 6).join('\n'));
    const fivePhotos = join(dir, 'five');
    for (const l of demo.labels.slice(0, 5)) {
      mkdirSync(join(fivePhotos, l.id), { recursive: true });
      copyFileSync(join(photos, l.id, readdirSync(join(photos, l.id))[0]), join(fivePhotos, l.id, 'a.png'));
    }
    refuses(['--labels', five, '--photos', fivePhotos], /five\.csv names 5 classes but the model scores 6/);
    // A label without its Vietnamese name.
    const noVi = join(dir, 'novi.csv');
    writeFileSync(noVi, readFileSync(labels, 'utf8').replace(/,"Nốt ruồi thông thường"/, ','));
    refuses(['--labels', noVi, '--photos', photos], /line 2: no 'vi' name/);
    // A masks folder that holds no mask for any photo.
    refuses(['--labels', labels, '--photos', photos, '--masks', negatives], /holds no mask for any photo: a photo <label>\/<name>\.jpg needs/);
    // An empty class folder and a folder that is no label.
    const odd = join(dir, 'odd');
    for (const l of demo.labels) mkdirSync(join(odd, l.id), { recursive: true });
    copyFileSync(join(FIXTURES, 'lesion.jpg'), join(odd, 'nevus', 'a.jpg'));
    mkdirSync(join(odd, 'melanom'));
    refuses(['--labels', labels, '--photos', odd], /subfolders that are no label id: melanom .*no photos for melanoma, seborrheic_keratosis/);
    refuses(['--labels', join(dir, 'missing.csv'), '--photos', photos], /Cannot read the labels .*missing\.csv: there is no such file/);
    const badTypes = join(dir, 'badtypes.csv');
    writeFileSync(badTypes, 'photo,type\nnevus/none.png,III\nacne/x.png,7\n');
    refuses(['--labels', labels, '--photos', photos, '--skin-types', badTypes], /line 2: no photo nevus\/none\.png .*line 3: type '7'/);
    const usage = run('pack', '--onnx', classifier, '--labels', labels);
    assert.equal(usage.status, 2);
  });
});

test('int8 weights: one scale per output channel, DequantizeLinear restores them within half a step', () => {
  const bytes = stripExplainGraph(new Uint8Array(readFileSync(join(ROOT, 'models/demo/model.onnx'))));
  const { bytes: quantized, tensors } = quantizeWeights(bytes);
  assert.ok(tensors > 5, `${tensors} weight tensors`);
  const model = decodeModel(quantized);
  const nodes = model.graph.node.filter((n) => n.opType === 'DequantizeLinear');
  assert.equal(nodes.length, tensors);
  assert.ok(quantized.length < bytes.length / 2.5, `${quantized.length} of ${bytes.length} bytes`);
  // Nothing to quantize twice.
  assert.equal(quantizeWeights(quantized).tensors, 0);
});
