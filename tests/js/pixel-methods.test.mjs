// The pixel-level methods (issue #30 item 3): the input gradient and guided backpropagation against torch autograd
// (tests/fixtures/pixel, scripts/fixtures/make-pixel-references.py), Guided Grad-CAM and gradient x input composed
// from them as pytorch-grad-cam and Captum compose them, integrated gradients' completeness, SmoothGrad's limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { prepareExplainModel } from '../../web/js/onnx/explain.mjs';
import { channelDot, channelMaxAbs, inputGeometry } from '../../web/js/cam/pixel-gradients.mjs';
import { correlation, ortWeb } from './explain-helpers.mjs';
import { ROOT } from './helpers.mjs';

const PIXEL = join(ROOT, 'tests/fixtures/pixel');

function loadPixelFixture(name) {
  const dir = join(PIXEL, name);
  const npy = (file) => decodeNpy(readFileSync(join(dir, file)));
  return { model: readFileSync(join(dir, 'model.onnx')), manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')),
    input: npy('input.npy'), saliency: npy('saliency.npy').data, guided: npy('guided.npy').data,
    integrated: npy('integrated.npy').data, smoothgrad: npy('smoothgrad.npy').data };
}

async function explainerFor(fixture) {
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] },
    perturbationBudgetBytes: 256 * 1024 });
  await explainer.load({ onnxBytes: fixture.model });
  await explainer.analyse({ tensor: { data: fixture.input.data, shape: fixture.input.shape } });
  return explainer;
}

const rawOf = (explainer) => explainer.rawMap()[0].raw;
const score = async (explainer, data, c) => (await explainer.run(data, 1, [c])).scores.data[c];

for (const name of ['small_cnn', 'small_resnet']) {
  test(`${name}: saliency, guided backpropagation, Guided Grad-CAM, gradient x input, integrated gradients and SmoothGrad equal torch's`, async () => {
    const fixture = loadPixelFixture(name);
    const c = fixture.manifest.class;
    const explainer = await explainerFor(fixture);
    const geometry = inputGeometry(explainer.model);
    const check = (got, want, what) => {
      assert.equal(got.length, want.length, what);
      const r = correlation(got, want);
      assert.ok(r >= 0.999, `${what}: correlation ${r}`);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      assert.ok(worst <= 1e-5 * Math.max(...want.map(Math.abs)), `${what}: largest difference ${worst}`);
    };
    const shown = await explainer.render({ method: 'saliency', classIndex: c });
    assert.deepEqual([shown.map.width, shown.map.height], [32, 32]);
    check(rawOf(explainer), channelMaxAbs(fixture.saliency, geometry), 'saliency');
    await explainer.render({ method: 'guidedbackprop', classIndex: c });
    check(rawOf(explainer), channelMaxAbs(fixture.guided, geometry), 'guided backpropagation');
    await explainer.render({ method: 'gradxinput', classIndex: c });
    check(rawOf(explainer), channelDot(fixture.saliency, fixture.input.data, geometry), 'gradient x input');
    const gradCam = (await explainer.render({ method: 'gradcam', classIndex: c })).map.data;
    await explainer.render({ method: 'guidedgradcam', classIndex: c });
    check(rawOf(explainer), channelMaxAbs(fixture.guided, geometry).map((g, i) => g * gradCam[i]), 'Guided Grad-CAM');
    // The reference built its path and its noise as dermcam does (zero baseline, 32 midpoints; seed 20170612).
    await explainer.render({ method: 'integratedgradients', classIndex: c });
    check(rawOf(explainer), channelDot(fixture.integrated, new Float32Array(fixture.integrated.length).fill(1), geometry),
      'integrated gradients');
    await explainer.render({ method: 'smoothgrad', classIndex: c });
    check(rawOf(explainer), channelMaxAbs(fixture.smoothgrad, geometry), 'SmoothGrad');
    await explainer.release();
  });
}

test('integrated gradients add up to the score difference from the baseline (completeness), for each baseline', async () => {
  const fixture = loadPixelFixture('small_resnet');
  const c = fixture.manifest.class;
  const explainer = await explainerFor(fixture);
  const { igBaseline } = await import('../../web/js/cam/integrated-gradients.mjs');
  const progress = [];
  for (const baseline of ['zero', 'black', 'blur']) {
    await explainer.render({ method: 'integratedgradients', classIndex: c, integratedGradients: { steps: 256, baseline } },
      { progress: (p) => progress.push(p.loaded) });
    const total = rawOf(explainer).reduce((a, b) => a + b, 0);
    const start = igBaseline(baseline, fixture.input.data, explainer.config.input, inputGeometry(explainer.model));
    const difference = await score(explainer, fixture.input.data, c) - await score(explainer, start, c);
    assert.ok(Math.abs(total - difference) <= 0.01 * Math.abs(difference), `${baseline}: sum ${total}, score difference ${difference}`);
  }
  assert.ok(progress.includes(256) && progress.length > 3, 'the path runs in batches, with progress');
  await assert.rejects(explainer.render({ method: 'integratedgradients', integratedGradients: { baseline: 'grey' } }), { code: 'bad_option' });
  await explainer.release();
});

test('SmoothGrad: without noise it is saliency; with noise it smooths, the same map from the same seed', async () => {
  const fixture = loadPixelFixture('small_cnn');
  const c = fixture.manifest.class;
  const explainer = await explainerFor(fixture);
  await explainer.render({ method: 'saliency', classIndex: c });
  const plain = rawOf(explainer);
  await explainer.render({ method: 'smoothgrad', classIndex: c, smoothGrad: { samples: 3, noise: 0 } });
  const noiseless = rawOf(explainer);
  for (let i = 0; i < plain.length; i++) assert.ok(Math.abs(noiseless[i] - plain[i]) <= 1e-6 * (1 + Math.abs(plain[i])), `pixel ${i}`);
  await explainer.render({ method: 'smoothgrad', classIndex: c });
  const smooth = rawOf(explainer);
  assert.ok(correlation(smooth, plain) < 0.99, 'the noise changes the map');
  const again = await explainerFor(fixture);
  await again.render({ method: 'smoothgrad', classIndex: c });
  assert.deepEqual(rawOf(again), smooth);
  await Promise.all([explainer.release(), again.release()]);
});

test('a graph prepared for guided backpropagation is not loaded as a model: its gradients are not the scores\'', async () => {
  const fixture = loadPixelFixture('small_cnn');
  const { bytes } = await prepareExplainModel(await ortWeb(), fixture.model, { guided: true });
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await assert.rejects(explainer.load({ onnxBytes: bytes }), (error) => error.code === 'bad_metadata' && /guided backpropagation/.test(error.message));
});
