#!/usr/bin/env node
// How often each method's map passes the app's quick map check (web/js/map-check.mjs) on unseen lesion photos,
// explaining the true class, through the app's pipeline.
//   node scripts/demo/evaluate_map_check.mjs MODEL_DIR LESIONS_DIR [PER_TYPE]
// LESIONS_DIR holds t<type>_<label>_<n>.png|jpg photos (gate_images.py's test/lesions); the first PER_TYPE (10) of
// each Fitzpatrick type are used. Writes the "## Map check" section of MODEL_DIR/REPORT.md (before the int8 section).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

import * as core from '../../web/js/core.mjs';
import { MAP_CHECK } from '../../web/js/map-check.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';

const [modelDir, lesionsDir, perType = '10'] = process.argv.slice(2);
if (!modelDir || !lesionsDir) {
  console.error('usage: node scripts/demo/evaluate_map_check.mjs MODEL_DIR LESIONS_DIR [PER_TYPE]');
  process.exit(2);
}
const config = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
const explainer = new Explainer({ ort, core });
await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(modelDir, config.model ?? 'model.onnx'))), config });
const ids = explainer.config.labels.map((l) => l.id);
const names = readdirSync(lesionsDir).sort();
const photos = [1, 2, 3, 4, 5, 6].flatMap((t) => names.filter((n) => n.startsWith(`t${t}_`)).slice(0, Number(perType)))
  .map((name) => ({ name, label: ids.indexOf(/^t\d_(.+)_\d+\.(png|jpg)$/.exec(name)[1]) }));
const { methods } = await explainer.methods();
const rows = [];
for (const method of methods) {
  const verdicts = [];
  let ms = 0;
  for (const photo of photos) {
    await explainer.analyse({ bytes: new Uint8Array(readFileSync(join(lesionsDir, photo.name))) },
      { method: method.id, classIndex: photo.label }, { force: true });
    const started = performance.now();
    verdicts.push(await explainer.checkMap());
    ms += performance.now() - started;
  }
  const share = (f) => verdicts.filter(f).length / verdicts.length;
  rows.push({ method, passed: share((v) => v.passed), beatsRandom: share((v) => v.beatsRandom),
    flip: verdicts[0].flipStable === null ? null : share((v) => v.flipStable), changes: share((v) => v.changesWithModel),
    ms: ms / verdicts.length });
  console.error(`${method.id}: passed ${rows.at(-1).passed}`);
}
await explainer.release();

const pct = (x) => (x === null ? 'n/a' : `${(100 * x).toFixed(0)}%`);
const section = ['## Map check', '',
  `The app checks every map before it is shown as reliable (\`web/js/map-check.mjs\`; \`map_check\` in the CLI): it must`,
  `beat a random map on deletion (the class probability averaged over removing the top ${MAP_CHECK.deletionFractions.map((f) => 100 * f).join(', ')}%`,
  `of the pixels), correlate at least ${MAP_CHECK.flipCorrelation} with the map of the mirrored photo`,
  '(gradient methods; a perturbation method would need all its runs again), and correlate less than',
  `${MAP_CHECK.randomHeadCorrelation} with the map a randomised head gives (the model randomisation test of Adebayo et al. 2018: for a`,
  'gradient method, the same method through the head after the target layer with its weights redrawn at random; for the',
  'others, the head taken as a random linear layer, whose map is Random-CAM of the same activations). A patient',
  'sees a map that fails faded, with the reason. Pass rates explaining the true class on',
  `${photos.length} unseen lesion photos (${perType} of each Fitzpatrick type, \`gate_images.py\` seed 9001), written by`,
  '`scripts/demo/evaluate_map_check.mjs`; time is the check alone (the map is already made), in Node:', '',
  '| method | passed | beats a random map | stable mirrored | changes with the model | check time |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.method.label} | ${pct(r.passed)} | ${pct(r.beatsRandom)} | ${pct(r.flip)} | ${pct(r.changes)} | ` +
    `${r.ms.toFixed(0)} ms |`), '',
  'Class-blind methods (Eigen-CAM, KPCA-CAM, FEM: the layer\'s own structure) fail both ways: their map does not follow',
  'what the model uses for its answer, and it stays the same when the head\'s weights are redrawn. LayerCAM and Grad-CAM',
  'element-wise keep only the positive gradients, so through a random head they still draw much of the activations\'',
  'own pattern: about half of their maps correlate above the limit with the randomised head\'s, and fail. FinerCAM maps',
  'what separates the class from its neighbours, so removing it need not lower the class probability most; the check,',
  'which reads that probability, fails it. Ablation-CAM is the least faithful method on this model (see above).',
  'Random-CAM, the baseline, fails every time. The pixel-level maps (saliency to guided backpropagation) mark scattered',
  'pixels, and removing those lowers the probability less than removing a random CAM\'s connected regions at this',
  'model\'s 128 px input: they often fail on deletion; Guided Grad-CAM, masked by Grad-CAM, passes. The mirror test runs',
  'for the class-gradient CAM methods only (n/a for the perturbation and pixel-level methods).', '', ''].join('\n');
const reportPath = join(modelDir, 'REPORT.md');
let report = readFileSync(reportPath, 'utf8');
const start = report.indexOf('\n## Map check\n');
if (start >= 0) {
  const end = report.indexOf('\n## ', start + 5);
  report = report.slice(0, start + 1) + section + report.slice(end + 1);
} else {
  const at = report.indexOf('\n## Weight-quantized variant');
  report = `${report.slice(0, at + 1)}${section}${report.slice(at + 1)}`;
}
writeFileSync(reportPath, report);
