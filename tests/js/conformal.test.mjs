// Prediction sets (web/js/conformal.mjs): the score and the set, the conformal floor, and the coverage they
// promise, checked on simulated photos whose true classes are drawn from the model's own probabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { evaluatePredictionSets, fitPredictionSets, minimumPhotos, nonconformity, predictionSet } from '../../web/js/conformal.mjs';

test('a set holds the classes whose probability reaches the floor, and always the most likely one', () => {
  const p = [0.1, 0.6, 0.3];
  assert.ok(Math.abs(nonconformity(p, 2) - 0.7) < 1e-12);
  assert.throws(() => nonconformity(p, 3), /class 3 is not one of the 3 classes/);
  assert.deepEqual(predictionSet(p, 0.5), [1]);
  assert.deepEqual(predictionSet(p, 0.3), [1, 2]);
  assert.deepEqual(predictionSet(p, 0.05), [1, 2, 0]);
  assert.deepEqual(predictionSet(p, 0.9), [1], 'never empty');
  assert.deepEqual(predictionSet([0.4, 0.2, 0.4], 0.3), [0, 2], 'ties: the lower index first');
});

test('the floor is one minus the conformal quantile of the scores; too few photos for the coverage are refused', () => {
  // True-class probabilities 0.1 .. 1.0: scores 0.9 .. 0; ceil(11 * 0.8) = 9th smallest score = 0.8.
  const rows = Array.from({ length: 10 }, (_, i) => [(i + 1) / 10, 1 - (i + 1) / 10]);
  const fit = fitPredictionSets(rows, rows.map(() => 0), 0.8);
  assert.ok(Math.abs(fit.minProbability - 0.2) < 1e-12, String(fit.minProbability));
  assert.equal(fit.photos, 10);
  assert.equal(minimumPhotos(0.9), 9);
  assert.equal(minimumPhotos(0.95), 19);
  assert.throws(() => fitPredictionSets(rows.slice(0, 8), rows.map(() => 0), 0.9), /8 labelled photos cannot give 0.9 coverage; at least 9/);
  assert.throws(() => fitPredictionSets(rows, rows.map(() => 0), 1), /coverage must be/);
});

// A deterministic stream of numbers in [0, 1).
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('on photos like the fitted ones the sets hold the true class at the promised rate, and stay small when the model is sure', () => {
  const next = random(7);
  // A calibrated model: the true class is drawn from the probabilities it gives.
  const photo = () => {
    const sure = next() < 0.5;
    const raw = Array.from({ length: 5 }, () => (sure ? next() ** 6 : next()));
    const top = Math.floor(next() * 5);
    if (sure) raw[top] += 3;
    const sum = raw.reduce((a, b) => a + b, 0);
    const p = raw.map((v) => v / sum);
    let u = next();
    let truth = 0;
    while (truth < 4 && u >= p[truth]) u -= p[truth++];
    return { p, truth };
  };
  const fit = Array.from({ length: 500 }, photo);
  const held = Array.from({ length: 4000 }, photo);
  const { minProbability } = fitPredictionSets(fit.map((x) => x.p), fit.map((x) => x.truth), 0.9);
  const result = evaluatePredictionSets(held.map((x) => x.p), held.map((x) => x.truth), minProbability);
  assert.ok(result.coverage >= 0.88 && result.coverage <= 0.93, `coverage ${result.coverage}`);
  assert.ok(result.meanSize < 3, `mean set size ${result.meanSize}`);
  const sure = held.filter((x) => Math.max(...x.p) > 0.85);
  const sizes = sure.map((x) => predictionSet(x.p, minProbability).length);
  assert.ok(sizes.filter((s) => s === 1).length > 0.3 * sizes.length, 'a sure model gets one-class sets');
});
