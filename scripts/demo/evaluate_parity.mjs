#!/usr/bin/env node
// Writes the "Parity with reference implementations" section of models/demo/REPORT.md: how closely dermcam's
// explain graph and pixel-level methods match torch on the committed fixtures (tests/fixtures/explain, made by
// scripts/fixtures/make-explain-fixtures.py; tests/fixtures/pixel, by make-pixel-references.py). The tests assert
// the same numbers (tests/js/explain.test.mjs, tests/js/pixel-methods.test.mjs); this prints them as tables.
//   node scripts/demo/evaluate_parity.mjs [MODEL_DIR]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { channelDot, channelMaxAbs, inputGeometry } from '../../web/js/cam/pixel-gradients.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import { prepareExplainModel } from '../../web/js/onnx/explain.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { correlation, explainFixtures, loadFixture, maxAbs, maxAbsDiff, ortWeb, runModel, spreadGradients } from '../../tests/js/explain-helpers.mjs';
import { ROOT } from '../../tests/js/helpers.mjs';

const modelDir = process.argv[2] ?? join(ROOT, 'models/demo');
const ort = await ortWeb();
const fmt = (x) => (x === 0 ? '0' : x.toExponential(1));

// The explain graph: d(score)/d(layer) of the top 3 classes against torch autograd (float64), every fixture family.
const gradientRows = [];
for (const name of explainFixtures()) {
  const fixture = loadFixture(name);
  const options = name.includes('op_zoo') || fixture.manifest.chosen_with_layer ? { layers: [fixture.manifest.layer] } : {};
  const { bytes, report } = await prepareExplainModel(ort, fixture.model, { classes: 3, ...options });
  const outputs = await runModel(ort, bytes, report.input.name, fixture.input);
  const g = spreadGradients(outputs.dermcam_gradients_0, report.layers[0]);
  gradientRows.push(`| ${name} | ${report.layers[0].layout}${report.layers[0].tokens ? ' (tokens)' : ''} | ` +
    `${fmt(maxAbsDiff(g.data, fixture.gradients.data) / maxAbs(fixture.gradients.data))} | ${correlation(g.data, fixture.gradients.data).toFixed(6)} |`);
}

// The pixel-level methods against torch autograd (the input gradient, guided backpropagation), and the methods
// composed from them as pytorch-grad-cam and Captum compose them.
const pixelRows = [];
for (const name of ['small_cnn', 'small_resnet']) {
  const dir = join(ROOT, 'tests/fixtures/pixel', name);
  const npy = (file) => decodeNpy(readFileSync(join(dir, file)));
  const { class: c } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const input = npy('input.npy');
  const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'] } });
  await explainer.load({ onnxBytes: readFileSync(join(dir, 'model.onnx')) });
  await explainer.analyse({ tensor: { data: input.data, shape: input.shape } });
  const geometry = inputGeometry(explainer.model);
  const [saliency, guided, integrated, smooth] = ['saliency', 'guided', 'integrated', 'smoothgrad'].map((f) => npy(`${f}.npy`).data);
  const gradCam = (await explainer.render({ method: 'gradcam', classIndex: c })).map.data;
  const references = {
    saliency: channelMaxAbs(saliency, geometry),
    gradxinput: channelDot(saliency, input.data, geometry),
    guidedbackprop: channelMaxAbs(guided, geometry),
    guidedgradcam: channelMaxAbs(guided, geometry).map((v, i) => v * gradCam[i]),
    integratedgradients: channelDot(integrated, new Float32Array(integrated.length).fill(1), geometry),
    smoothgrad: channelMaxAbs(smooth, geometry),
  };
  for (const [method, want] of Object.entries(references)) {
    await explainer.render({ method, classIndex: c });
    const got = explainer.rawMap()[0].raw;
    pixelRows.push(`| ${name} | ${method} | ${fmt(maxAbsDiff(got, want) / maxAbs(want))} | ${correlation(got, want).toFixed(6)} |`);
  }
  await explainer.render({ method: 'integratedgradients', classIndex: c, integratedGradients: { steps: 256 } });
  const total = explainer.rawMap()[0].raw.reduce((a, b) => a + b, 0);
  const score = async (data) => (await explainer.run(data, 1, [c])).scores.data[c];
  const difference = await score(input.data) - await score(new Float32Array(input.data.length));
  pixelRows.push(`| ${name} | integratedgradients (256 steps): sum vs score difference | ${fmt(Math.abs(total - difference) / Math.abs(difference))} | - |`);
  await explainer.release();
}

const section = ['## Parity with reference implementations', '',
  'Written by `scripts/demo/evaluate_parity.mjs` from the committed fixtures (the tests assert the same bounds). The explain',
  'graph\'s gradients of the top 3 classes with respect to the target layer, against torch autograd in float64',
  '(`tests/fixtures/explain`, one fixture per family: CNNs NCHW and NHWC, an operator zoo, ViT, DeiT, Swin, ConvNeXt):', '',
  '| fixture | layer | max error / max value | correlation |', '|---|---|---:|---:|', ...gradientRows, '',
  'The pixel-level methods (`tests/fixtures/pixel`) against torch autograd: the input gradient, guided backpropagation',
  '(every `nn.ReLU` replaced as pytorch-grad-cam\'s GuidedBackpropReLUModel replaces it), integrated gradients (zero',
  'baseline, 32 midpoint steps) and SmoothGrad (25 copies, the same noise drawn in Python from dermcam\'s seeded',
  'generator); gradient x input and Guided Grad-CAM composed from them as Captum and pytorch-grad-cam compose them; and',
  'integrated gradients\' completeness (its sum against the score difference from the zero baseline, 256 steps):', '',
  '| fixture | method | max error / max value | correlation |', '|---|---|---:|---:|', ...pixelRows, '',
  'The CAM methods\' maps equal pytorch-grad-cam 1.5\'s on the same tensors (`tests/fixtures/cam`, the native tests: every',
  'map value within 1e-5) and on the transformer fixtures\' own maps (`gradcam.npy`).', '', ''].join('\n');
const reportPath = join(modelDir, 'REPORT.md');
if (!existsSync(reportPath)) throw new Error(`${reportPath} does not exist`);
let report = readFileSync(reportPath, 'utf8');
const start = report.indexOf('\n## Parity with reference implementations\n');
if (start >= 0) {
  const next = report.indexOf('\n## ', start + 1);
  report = report.slice(0, start + 1) + section + (next >= 0 ? report.slice(next + 1) : '');
} else {
  report = `${report.trimEnd()}\n\n${section}`;
}
writeFileSync(reportPath, report.replace(/\n{3,}$/, '\n'));
console.log(section);
