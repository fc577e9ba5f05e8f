// Faithfulness metrics (web/js/faithfulness.mjs): each part against its reference code's output
// (scripts/fixtures/make-cam-references.py: RISE's order and blur, numpy's percentile, pytorch-grad-cam's imputer solved
// by scipy), and the whole on the demo model: a map that points at the lesion beats a random one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  blurInput, curveAuc, faithfulness, noisyLinearImpute, percentile, saliencyOrder, seededRandom,
} from '../../web/js/faithfulness.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import { ROOT } from './helpers.mjs';

const npy = (name) => decodeNpy(new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/cam', `faithfulness_${name}.npy`))));
const image = npy('image');
const cam = npy('cam');
const shape = { width: 12, height: 10, layout: 'NCHW' };
const worst = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('the salient order is RISE\'s (ties: later pixel first), and the AUC its formula', () => {
  assert.deepEqual(Array.from(saliencyOrder(cam.data)), Array.from(npy('order').data));
  assert.equal(curveAuc([1, 0.5, 0]), 0.5);
  assert.equal(curveAuc([1, 1, 1, 1]), 1);
});

test('the insertion baseline is RISE\'s blur, and the percentiles numpy\'s', () => {
  assert.ok(worst(blurInput(image.data, shape), npy('blurred').data) < 1e-5);
  const want = npy('percentiles').data;
  [10, 20, 30, 40, 50, 60, 70, 80, 90].forEach((p, i) => assert.ok(Math.abs(percentile(cam.data, p) - want[i]) < 1e-6, `p${p}`));
});

test('noisy linear imputation without noise is pytorch-grad-cam\'s system solved exactly', () => {
  const keep = Uint8Array.from(cam.data, (v) => v < percentile(cam.data, 30));
  const got = noisyLinearImpute(image.data, keep, shape, seededRandom(1), { noise: 0 });
  assert.ok(worst(got, npy('imputed_morf30').data) < 1e-4, `differs by ${worst(got, npy('imputed_morf30').data)}`);
  // Kept pixels are untouched; with noise, the removed ones move by about the noise.
  const noisy = noisyLinearImpute(image.data, keep, shape, seededRandom(1));
  keep.forEach((k, i) => { if (k) assert.equal(noisy[i], image.data[i]); });
  // Nothing kept: nothing to impute from, the mean colour (0) plus noise, never NaN.
  const none = noisyLinearImpute(image.data, new Uint8Array(120), shape, seededRandom(1));
  assert.ok(none.every((v) => Number.isFinite(v) && Math.abs(v) < 0.1));
});

test('every metric for a map that follows a known probability: faithful beats random, reversed does not', async () => {
  // A stand-in model whose probability is the mean of the first channel over the "lesion" (top-left quarter).
  const lesion = (i) => i % 12 < 6 && Math.floor(i / 12) < 5;
  const input = Float32Array.from({ length: 3 * 120 }, (_, i) => (lesion(i % 120) ? 1 : 0));
  const probabilities = async (batch, count) => Array.from({ length: count }, (_, b) => {
    let sum = 0;
    for (let i = 0; i < 120; i++) if (lesion(i)) sum += batch[b * 360 + i];
    return Math.max(0, Math.min(1, sum / 30));
  });
  const faithfulMap = Float32Array.from({ length: 120 }, (_, i) => (lesion(i) ? 1 : 0.1 * (i % 7) / 7));
  const reversed = faithfulMap.map((v) => 1 - v);
  const randomMap = Float32Array.from({ length: 120 }, (_, i) => ((i * 37) % 120) / 120);
  const good = await faithfulness({ input, shape, map: faithfulMap, randomMap, probabilities, batchSize: 16 });
  const bad = await faithfulness({ input, shape, map: reversed, randomMap, probabilities, batchSize: 16 });
  assert.ok(good.deletion_auc < good.random_deletion_auc && good.beats_random);
  assert.ok(!bad.beats_random && bad.deletion_auc > good.deletion_auc);
  assert.ok(good.road_combined > bad.road_combined);
  assert.equal(good.model_runs, 3 * 33 + 18 + 2);
  for (const key of ['deletion_auc', 'insertion_auc', 'road_combined', 'average_drop']) assert.ok(Number.isFinite(good[key]), key);
});
