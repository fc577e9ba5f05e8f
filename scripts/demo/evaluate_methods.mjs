#!/usr/bin/env node
// Compares every explanation method on the demo model's held-out test images and writes the "Explanation methods
// compared" section of models/demo/REPORT.md: the pointing game (the map's maximum inside the lesion mask) and the
// faithfulness metrics (web/js/faithfulness.mjs) of each method, next to a random map's.
//   node scripts/demo/evaluate_methods.mjs MODEL_DIR STUDY_DIR [METRIC_IMAGES]
// STUDY_DIR is scripts/demo/study_images.py's output. Everything runs through the app's pipeline (the explain
// graph, the wasm core), explaining each image's true class.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import * as core from '../../web/js/core.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';

const [modelDir, studyDir, metricImages = '8'] = process.argv.slice(2);
if (!modelDir || !studyDir) {
  console.error('usage: node scripts/demo/evaluate_methods.mjs MODEL_DIR STUDY_DIR [METRIC_IMAGES]');
  process.exit(2);
}
const npy = (name) => decodeNpy(new Uint8Array(readFileSync(join(studyDir, name))));
const images = npy('images.npy');
const labels = Array.from(npy('labels.npy').data);
const masks = npy('masks.npy');
const [count, size] = images.shape;
const config = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['cpu'], logSeverityLevel: 3 } });
await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(modelDir, config.model ?? 'model.onnx'))), config });
const { methods } = await explainer.methods();
const { mean, std } = config.input;

const plane = size * size;
const rows = new Map(methods.map((m) => [m.id, { label: m.label, hits: 0, metrics: [] }]));
let coverage = 0;
const randomMetrics = [];
const started = performance.now();
for (let i = 0; i < count; i++) {
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) data[c * plane + p] = (images.data[(i * plane + p) * 3 + c] / 255 - mean[c]) / std[c];
  }
  await explainer.analyse({ tensor: { data, shape: [1, 3, size, size] } }, {}, { force: true });
  const mask = masks.data.subarray(i * plane, (i + 1) * plane);
  coverage += mask.reduce((a, b) => a + b, 0) / plane;
  for (const method of methods) {
    const result = await explainer.render({ method: method.id, classIndex: labels[i] });
    let best = 0;
    for (let p = 1; p < plane; p++) if (result.map.data[p] > result.map.data[best]) best = p;
    const row = rows.get(method.id);
    row.hits += mask[best] > 0 ? 1 : 0;
    if (i < Number(metricImages)) {
      const m = await explainer.metrics();
      row.metrics.push(m);
      if (method === methods[0]) randomMetrics.push(m.random_deletion_auc);
    }
  }
  console.error(`image ${i + 1}/${count} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
await explainer.release();

const pct = (v) => `${(100 * v).toFixed(1)}%`;
const avg = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const f3 = (v) => v.toFixed(3);
const n = Number(metricImages);
const table = [...rows.values()].map((r) => {
  const m = (key) => avg(r.metrics.map((x) => Number(x[key])));
  return `| ${r.label} | ${pct(r.hits / count)} | ${f3(m('deletion_auc'))} | ${f3(m('insertion_auc'))} | ` +
    `${f3(m('road_combined'))} | ${pct(m('average_drop'))} | ${r.metrics.filter((x) => x.beats_random).length} of ${n} |`;
});
const section = [
  '## Explanation methods compared',
  '',
  `Every method of the app on the first ${count} held-out test images (scripts/demo/study_images.py), explaining ` +
    'the true class, through the app\'s pipeline (`scripts/demo/evaluate_methods.mjs`). Pointing game: the map\'s ' +
    `maximum inside the lesion mask, over ${count} images; a random map hits the mask as often as the mask covers ` +
    `the image: **${pct(coverage / count)}**. Faithfulness (web/js/faithfulness.mjs: deletion and insertion AUC ` +
    'as RISE, ROAD as pytorch-grad-cam, average drop as Grad-CAM++\'s paper), averaged over the first ' +
    `${n} images; a random map's deletion AUC averages **${f3(avg(randomMetrics))}** there, and the last column ` +
    'counts the images where the method\'s deletion AUC beats it (the app warns when it does not).',
  '',
  '| method | pointing game | deletion AUC (lower is better) | insertion AUC (higher) | ROAD (higher) | average drop (lower) | beats a random map |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...table,
  '',
  'Read with care: the demo model was trained to look inside the lesion masks (see "Where the model looks"), ' +
    'so high pointing scores here say more about that training than about the methods; the faithfulness ' +
    `columns rest on ${n} images. Gradient-free methods (Eigen-CAM, KPCA-CAM, FEM) explain the layer, not the class. ` +
    'Ablation-CAM divides each drop by the class logit, as pytorch-grad-cam does, so its weights depend on the ' +
    'logit\'s scale (a logit near zero makes them unstable); on this model it is the least faithful method. ' +
    'RISE, occlusion and the pixel-level methods (saliency to Guided Grad-CAM) map at the model input\'s resolution ' +
    '(128 x 128), not the target layer\'s: their maximum is one pixel, so the pointing game asks more of them.',
  '',
].join('\n');
const reportPath = join(modelDir, 'REPORT.md');
const report = readFileSync(reportPath, 'utf8');
const start = report.indexOf('## Explanation methods compared');
const next = start < 0 ? -1 : report.indexOf('\n## ', start + 3);
const updated = start < 0 ? report.replace('\n## Weight-quantized variant', `\n${section}\n## Weight-quantized variant`)
  : report.slice(0, start) + section + (next < 0 ? '' : report.slice(next + 1));
writeFileSync(reportPath, updated);
console.error(`wrote the methods section of ${reportPath}`);
