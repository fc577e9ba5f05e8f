#!/usr/bin/env node
// Evaluates the demo model on the held-out generated test set and writes the committed report.
//   node scripts/demo/evaluate.mjs BUILD_DIR MODEL_DIR
// BUILD_DIR holds model-fp32.onnx, model-int8.onnx, training.json and test_{images,labels,masks}.npy
// (scripts/demo/train.py). Writes MODEL_DIR/REPORT.md, MODEL_DIR/examples.png and the metrics in
// MODEL_DIR/model.json. Everything runs through dermcam's own pipeline: the explain graph in
// onnxruntime-node and Grad-CAM from the wasm core, exactly as the app computes them.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import { computeCam, encodePng, renderOverlay } from '../../web/js/core.mjs';
import { prepareExplainModel } from '../../web/js/onnx/explain.mjs';
import { classGradients } from '../../web/js/onnx/prepared.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import { pearson } from '../../web/js/correlation.mjs';

const [buildDir, modelDir] = process.argv.slice(2);
if (!buildDir || !modelDir) {
  console.error('usage: node scripts/demo/evaluate.mjs BUILD_DIR MODEL_DIR');
  process.exit(2);
}

const config = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
const training = JSON.parse(readFileSync(join(buildDir, 'training.json'), 'utf8'));
const npy = (name, allow) => decodeNpy(new Uint8Array(readFileSync(join(buildDir, name))), { allow });
const images = npy('test_images.npy', ['|u1']);
const labels = Array.from(npy('test_labels.npy', ['<i8']).data, Number);
const masks = npy('test_masks.npy', ['|u1']);
const [count, size] = images.shape;
const classes = config.labels.length;
const { mean, std } = config.input;

function tensorFor(start, n) {
  const plane = size * size;
  const data = new Float32Array(n * 3 * plane);
  for (let b = 0; b < n; b++) {
    const pixels = images.data.subarray((start + b) * plane * 3, (start + b + 1) * plane * 3);
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) data[(b * 3 + c) * plane + i] = (pixels[i * 3 + c] / 255 - mean[c]) / std[c];
    }
  }
  return new ort.Tensor('float32', data, [n, 3, size, size]);
}

function softmax(row) {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

// Runs every test image; keeps predictions and the Grad-CAM map of the true class.
async function run(plainBytes) {
  const { bytes, report } = await prepareExplainModel(ort, plainBytes, { classes });
  const session = await ort.InferenceSession.create(bytes);
  const allClasses = new ort.Tensor('int64', BigInt64Array.from([...Array(classes).keys()].map(BigInt)), [classes]);
  const [channels, h, w] = report.layers[0].shape;
  const per = channels * h * w;
  const predictions = [];
  const probabilities = [];
  const maps = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const out = await session.run({ [report.input.name]: tensorFor(start, n), dermcam_classes: allClasses });
    const scores = out.dermcam_scores.data;
    const acts = out.dermcam_activations_0.data;
    for (let b = 0; b < n; b++) {
      const row = Array.from(scores.subarray(b * classes, (b + 1) * classes));
      const p = softmax(row);
      probabilities.push(p);
      predictions.push(p.indexOf(Math.max(...p)));
      const label = labels[start + b];
      const cam = await computeCam({
        method: 'gradcam', outputWidth: size, outputHeight: size,
        runs: [{ layers: [{ activations: acts.slice(b * per, (b + 1) * per),
          ...classGradients(out.dermcam_gradients_0, b, label, 1), shape: [1, channels, h, w], layout: 'NCHW' }] }],
      });
      maps.push(cam.map);
    }
  }
  await session.release();
  return { predictions, probabilities, maps, report };
}

function localisation(maps) {
  let hits = 0;
  let energy = 0;
  const perClass = new Array(classes).fill(0).map(() => ({ hits: 0, n: 0 }));
  maps.forEach((map, i) => {
    const mask = masks.data.subarray(i * size * size, (i + 1) * size * size);
    let best = 0;
    let total = 0;
    let inside = 0;
    for (let p = 0; p < map.length; p++) {
      if (map[p] > map[best]) best = p;
      total += map[p];
      if (mask[p]) inside += map[p];
    }
    const hit = mask[best] ? 1 : 0;
    hits += hit;
    energy += total > 0 ? inside / total : 0;
    perClass[labels[i]].hits += hit;
    perClass[labels[i]].n += 1;
  });
  return { pointing: hits / maps.length, energy: energy / maps.length, perClass: perClass.map((c) => c.hits / c.n) };
}


const pct = (x) => `${(100 * x).toFixed(1)}%`;
const fp32Bytes = new Uint8Array(readFileSync(join(buildDir, 'model-fp32.onnx')));
const int8Bytes = new Uint8Array(readFileSync(join(buildDir, 'model-int8.onnx')));
const fp32 = await run(fp32Bytes);
const int8 = await run(int8Bytes);

// Where else could the explanation come from? Pointing game per target layer and method on the first 600
// test images, so the card can say which combination localises best.
const STUDY_IMAGES = Math.min(600, count);
const studyLayers = [fp32.report.layers[0].name, '/features/features.10/Add_output_0', '/features/features.7/Add_output_0'];
const study = [];
for (const layer of studyLayers) {
  const { bytes, report } = await prepareExplainModel(ort, fp32Bytes, { classes, layers: [layer] });
  const session = await ort.InferenceSession.create(bytes);
  const shape = [1, ...report.layers[0].shape];
  const all = new ort.Tensor('int64', BigInt64Array.from([...Array(classes).keys()].map(BigInt)), [classes]);
  const hits = { gradcam: 0, hirescam: 0, layercam: 0, 'gradcam++': 0 };
  for (let i = 0; i < STUDY_IMAGES; i++) {
    const out = await session.run({ [report.input.name]: tensorFor(i, 1), dermcam_classes: all });
    const a = out.dermcam_activations_0.data;
    const mask = masks.data.subarray(i * size * size, (i + 1) * size * size);
    for (const method of Object.keys(hits)) {
      const cam = await computeCam({ method, outputWidth: size, outputHeight: size,
        runs: [{ layers: [{ activations: a, ...classGradients(out.dermcam_gradients_0, 0, labels[i], 1), shape }] }] });
      let best = 0;
      for (let p = 0; p < cam.map.length; p++) if (cam.map[p] > cam.map[best]) best = p;
      hits[method] += mask[best];
    }
  }
  await session.release();
  study.push({ layer, shape: report.layers[0].shape, hits });
}

const accuracy = (predictions) => predictions.filter((p, i) => p === labels[i]).length / count;

// The generator must not make the classes separable by a trivial cue. For each cue alone (the image's mean
// colour, the lesion's area, the lesion's centroid) and for all three together: the accuracy of a 15-nearest-
// neighbour classifier on standardised features, two-fold over the test set (fit on one half, score the other).
function cueFeatures() {
  const plane = size * size;
  return labels.map((_, i) => {
    const rgb = [0, 0, 0];
    let area = 0;
    let sx = 0;
    let sy = 0;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgb[c] += images.data[(i * plane + p) * 3 + c];
      if (masks.data[i * plane + p]) { area += 1; sx += p % size; sy += Math.floor(p / size); }
    }
    return { colour: rgb.map((v) => v / plane), size: [area], position: [sx / Math.max(area, 1), sy / Math.max(area, 1)] };
  });
}

function nearestNeighbourAccuracy(rows, k = 15) {
  const dims = rows[0].length;
  const mean = new Array(dims).fill(0);
  const sd = new Array(dims).fill(0);
  rows.forEach((r) => r.forEach((v, d) => { mean[d] += v / rows.length; }));
  rows.forEach((r) => r.forEach((v, d) => { sd[d] += (v - mean[d]) ** 2 / rows.length; }));
  const z = rows.map((r) => r.map((v, d) => (v - mean[d]) / (Math.sqrt(sd[d]) || 1)));
  const half = Math.floor(count / 2);
  const folds = [[0, half, half, count], [half, count, 0, half]];
  let correct = 0;
  for (const [fitLo, fitHi, testLo, testHi] of folds) {
    for (let i = testLo; i < testHi; i++) {
      const nearest = [];
      for (let j = fitLo; j < fitHi; j++) {
        let d = 0;
        for (let t = 0; t < dims; t++) d += (z[i][t] - z[j][t]) ** 2;
        nearest.push([d, labels[j]]);
      }
      nearest.sort((a, b) => a[0] - b[0]);
      const votes = new Array(classes).fill(0);
      for (const [, label] of nearest.slice(0, k)) votes[label] += 1;
      correct += votes.indexOf(Math.max(...votes)) === labels[i];
    }
  }
  return correct / count;
}

const cues = cueFeatures();
const trivialCues = {
  colour: nearestNeighbourAccuracy(cues.map((c) => c.colour)),
  size: nearestNeighbourAccuracy(cues.map((c) => c.size)),
  position: nearestNeighbourAccuracy(cues.map((c) => c.position)),
  allThree: nearestNeighbourAccuracy(cues.map((c) => [...c.colour, ...c.size, ...c.position])),
};
const confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
fp32.predictions.forEach((p, i) => { confusion[labels[i]][p] += 1; });
const loc = localisation(fp32.maps);
const locInt8 = localisation(int8.maps);
const agreement = int8.predictions.filter((p, i) => p === fp32.predictions[i]).length / count;
const camCorrelation = fp32.maps.reduce((s, m, i) => s + pearson(m, int8.maps[i]), 0) / count;
const sizes = {
  fp32: statSync(join(modelDir, 'model.onnx')).size,
  int8: statSync(join(modelDir, 'model-int8.onnx')).size,
};

// Contact sheet: for the first test image of each class, the photo and its Grad-CAM overlay.
const sheetW = size * 2 * 3;
const sheetH = size * 2;
const sheet = new Uint8ClampedArray(sheetW * sheetH * 4);
for (let c = 0; c < classes; c++) {
  const i = labels.indexOf(c);
  const rgba = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    rgba.set(images.data.subarray((i * size * size + p) * 3, (i * size * size + p) * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  const overlay = await renderOverlay({ display: { width: size, height: size, rgba }, map: fp32.maps[i], mapWidth: size,
    mapHeight: size, tensorContent: { x0: 0, y0: 0, x1: size, y1: size },
    tensorToDisplay: { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 }, opacity: 0.45, outline: true });
  const ox = (c % 3) * size * 2;
  const oy = Math.floor(c / 3) * size;
  for (let y = 0; y < size; y++) {
    sheet.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), ((oy + y) * sheetW + ox) * 4);
    sheet.set(overlay.rgba.subarray(y * size * 4, (y + 1) * size * 4), ((oy + y) * sheetW + ox + size) * 4);
  }
}
writeFileSync(join(modelDir, 'examples.png'), await encodePng({ width: sheetW, height: sheetH, rgba: sheet }));

const metrics = {
  testImages: count,
  accuracy: Number(accuracy(fp32.predictions).toFixed(4)),
  pointingGame: Number(loc.pointing.toFixed(4)),
  energyInsideMask: Number(loc.energy.toFixed(4)),
  trivialCueAccuracy: Object.fromEntries(Object.entries(trivialCues).map(([cue, a]) => [cue, Number(a.toFixed(4))])),
  int8: {
    sizeBytes: sizes.int8,
    fp32SizeBytes: sizes.fp32,
    top1Agreement: Number(agreement.toFixed(4)),
    accuracy: Number(accuracy(int8.predictions).toFixed(4)),
    camCorrelation: Number(camCorrelation.toFixed(4)),
    pointingGame: Number(locInt8.pointing.toFixed(4)),
  },
};
config.card.metrics = metrics;
writeFileSync(join(modelDir, 'model.json'), `${JSON.stringify(config, null, 2)}\n`);

const names = config.labels.map((l) => l.en);
const lines = [
  '# Demo model: evaluation report',
  '',
  `Regenerated by \`scripts/train-demo-model.sh\` (evaluation alone: \`node scripts/demo/evaluate.mjs build/demo models/demo\`).`,
  `Test set: ${count} generated images never seen in training (seed ${training.splits.test.seed}); ` +
    `training: ${training.splits.train.images} images, ${training.history.length} epochs, ` +
    `${training.total_minutes} min on the CPU with torch ${training.torch}; ${training.parameters} parameters.`,
  '',
  '**These numbers describe generated images only. They say nothing about real skin or real disease.**',
  '',
  '## Classification',
  '',
  `Top-1 accuracy: **${pct(metrics.accuracy)}** (kept epoch ${training.selected.epoch}: validation accuracy ` +
    `${pct(training.selected.val_accuracy)}, validation pointing game ${pct(training.selected.val_pointing_game)}).`,
  '',
  `| true \\ predicted | ${names.join(' | ')} | recall |`,
  `|---|${names.map(() => '---:').join('|')}|---:|`,
  ...confusion.map((row, i) => `| ${names[i]} | ${row.join(' | ')} | ${pct(row[i] / row.reduce((a, b) => a + b, 0))} |`),
  '',
  'Can a trivial cue do the same? Accuracy of a 15-nearest-neighbour classifier on each cue alone and on all ' +
    `three together, two-fold over the test set (chance: ${pct(1 / classes)}):`,
  '',
  '| image mean colour | lesion area | lesion position | all three |',
  '|---:|---:|---:|---:|',
  `| ${pct(trivialCues.colour)} | ${pct(trivialCues.size)} | ${pct(trivialCues.position)} | ${pct(trivialCues.allThree)} |`,
  '',
  'Size carries some information (moles and acne papules are small, eczema patches large) but the ranges ' +
    'overlap; colour of the whole image is mostly skin tone, and lesions appear anywhere.',
  '',
  '## Where the model looks (Grad-CAM of the true class, target layer ' +
    `\`${fp32.report.layers[0].name}\`, ${fp32.report.layers[0].shape.join(' x ')})`,
  '',
  `- Pointing game (the map's maximum inside the lesion mask): **${pct(loc.pointing)}** over ${count} images ` +
    `(target: at least 90%).`,
  `- Share of map energy inside the mask: **${pct(loc.energy)}** (the masks cover ` +
    `${pct(Array.from(masks.data).reduce((a, b) => a + b, 0) / masks.data.length)} of the pixels on average).`,
  '',
  `| class | ${names.join(' | ')} |`,
  `|---|${names.map(() => '---:').join('|')}|`,
  `| pointing game | ${loc.perClass.map(pct).join(' | ')} |`,
  '',
  '![Photo and Grad-CAM overlay, one per class](examples.png)',
  '',
  `**Target: at least 90%. ${loc.pointing >= 0.9 ? 'Met.' : 'Missed.'}** ` +
    'Training supervised the class activation map of the true class with the generated lesion masks ' +
    `(loss weights: pointing ${training.localisation_loss.pointing_weight}, outside ` +
    `${training.localisation_loss.outside_weight}; see \`scripts/demo/train.py\`). Without that term the same ` +
    'network and data reached the same accuracy but pointed inside the lesion only 44% of the time: it looked ' +
    'at the skin around small or diffuse lesions. A real model trained on photos without masks gets no such ' +
    'help, so its maps must be checked, not assumed to be right.',
  '',
  `Pointing game by target layer and method (first ${STUDY_IMAGES} test images):`,
  '',
  '| target layer | shape | Grad-CAM | HiResCAM | LayerCAM | Grad-CAM++ |',
  '|---|---|---:|---:|---:|---:|',
  ...study.map((r) => `| \`${r.layer}\` | ${r.shape.join(' x ')} | ${['gradcam', 'hirescam', 'layercam', 'gradcam++']
    .map((m) => pct(r.hits[m] / STUDY_IMAGES)).join(' | ')} |`),
  '',
  '## Weight-quantized variant (`model-int8.onnx`)',
  '',
  'Conv and Gemm weights stored as int8 with a per-channel scale (DequantizeLinear); activations stay float32.',
  '',
  '| | fp32 (`model.onnx`) | int8 weights (`model-int8.onnx`) |',
  '|---|---:|---:|',
  `| file size | ${(sizes.fp32 / 1024).toFixed(0)} KiB | ${(sizes.int8 / 1024).toFixed(0)} KiB |`,
  `| top-1 accuracy | ${pct(metrics.accuracy)} | ${pct(metrics.int8.accuracy)} |`,
  `| top-1 agreement with fp32 | | ${pct(agreement)} |`,
  `| Grad-CAM correlation with fp32 (mean Pearson r) | | ${camCorrelation.toFixed(4)} |`,
  `| pointing game | ${pct(loc.pointing)} | ${pct(locInt8.pointing)} |`,
  '',
];
writeFileSync(join(modelDir, 'REPORT.md'), lines.join('\n'));
console.log(JSON.stringify(metrics, null, 2));
