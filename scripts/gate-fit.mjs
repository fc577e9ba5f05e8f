// Fitting the photo gate (web/js/gate.mjs) from a model's own features: the out-of-distribution statistics and
// the discriminator that `node scripts/dermcam.mjs fit-gate` writes into model.json. CLI only: the page reads a
// fitted gate and never fits one, so this stays out of the browser's files.
import { DermcamError } from '../web/js/errors.mjs';
import { GATE_SCHEMA, cholesky, discriminatorScore, encodeFloats, mahalanobisDistance, validateGate } from '../web/js/gate.mjs';

/**
 * Fits the out-of-distribution statistics from in-distribution samples [{features: Float64Array, classIndex}].
 * A deterministic part (every 5th sample) is held out to choose the threshold at the `acceptance` quantile of
 * their distances; the rest gives the class means and the shared (within-class) covariance, shrunk towards
 * its mean variance by `shrinkage` so it stays positive definite with few photos. The defaults (99.5%, 0.001)
 * were chosen on the demo model's tuning photos (models/demo/REPORT.md, "Photo gate").
 * @returns the "outOfDistribution" object for model.json
 */
export function fitOutOfDistribution(samples, { layer, labels, pooling = 'mean-sqrt', acceptance = 0.995, shrinkage = 0.001 }) {
  if (samples.length < 20) {
    throw new DermcamError('too_few_photos', `fit-gate needs at least 20 in-distribution photos (found ${samples.length}).`);
  }
  const dims = samples[0].features.length;
  const fit = samples.filter((_, i) => i % 5 !== 4);
  const held = samples.filter((_, i) => i % 5 === 4);
  const classes = [...new Set(fit.map((s) => s.classIndex))].sort((a, b) => a - b);
  const means = new Float64Array(classes.length * dims);
  const counts = new Array(classes.length).fill(0);
  for (const s of fit) {
    const c = classes.indexOf(s.classIndex);
    counts[c] += 1;
    for (let i = 0; i < dims; i++) means[c * dims + i] += s.features[i];
  }
  for (let c = 0; c < classes.length; c++) for (let i = 0; i < dims; i++) means[c * dims + i] /= counts[c];
  const covariance = new Float64Array(dims * dims);
  const diff = new Float64Array(dims);
  for (const s of fit) {
    const c = classes.indexOf(s.classIndex);
    for (let i = 0; i < dims; i++) diff[i] = s.features[i] - means[c * dims + i];
    for (let i = 0; i < dims; i++) {
      const di = diff[i];
      if (di === 0) continue;
      for (let j = 0; j <= i; j++) covariance[i * dims + j] += di * diff[j];
    }
  }
  let trace = 0;
  for (let i = 0; i < dims; i++) trace += covariance[i * dims + i] / fit.length;
  const floor = Math.max(trace / dims, 1e-6);
  const packed = new Float64Array((dims * (dims + 1)) / 2);
  let k = 0;
  for (let i = 0; i < dims; i++) {
    for (let j = 0; j <= i; j++) {
      const sample = covariance[i * dims + j] / fit.length;
      packed[k++] = (1 - shrinkage) * sample + (i === j ? shrinkage * floor : 0);
    }
  }
  const ood = {
    layer, pooling, dims, classes: classes.map((c) => labels[c].id),
    means: encodeFloats(means), covariance: encodeFloats(packed),
  };
  // Distances as the app will compute them: from the float32 values stored.
  const stored = validateGate({ schema: GATE_SCHEMA, outOfDistribution: { ...ood, threshold: 1 } }, labels).outOfDistribution;
  const distances = held.map((s) => mahalanobisDistance(stored, s.features)).sort((a, b) => a - b);
  const threshold = distances[Math.min(distances.length - 1, Math.ceil(acceptance * distances.length) - 1)];
  return { ...ood, threshold: Number(threshold.toPrecision(6)), acceptance,
    fittedOn: { photos: fit.length, heldOut: held.length, shrinkage } };
}

/** Solves the symmetric positive definite system A x = b (row-major n x n) by Cholesky; null if A is not SPD. */
function solveSpd(a, b, n) {
  const l = cholesky(a, n);
  if (!l) return null;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * n + k] * y[k];
    y[i] = sum / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i] * y[k];
    y[i] = sum / l[i * n + i];
  }
  return y;
}

/**
 * Fits the discriminator: L2-regularised logistic regression, photos the model knows (`positives`) against
 * photos it must refuse (`negatives`), both Float64Array features. Every 5th photo of each side is held out;
 * the features are standardised on the rest, the two sides weigh the same whatever their counts, and Newton's
 * method runs to convergence (deterministic: no learning rate, no random start). The threshold accepts
 * `acceptance` of the held-out positives; the held-out negatives' refusal rate is reported in fittedOn.
 * `l2` (0.01; 0.001 and 0.1 refuse about as many close-ups) comes from the exploration REPORT.md's "Photo gate"
 * describes.
 * @returns the "discriminator" object for model.json
 */
export function fitDiscriminator(positives, negatives, { layers, acceptance = 0.995, l2 = 0.01 }) {
  if (positives.length < 20 || negatives.length < 20) {
    throw new DermcamError('too_few_photos', `fit-gate's discriminator needs at least 20 photos on each side (found ` +
      `${positives.length} in-distribution and ${negatives.length} negatives).`);
  }
  const dims = positives[0].length;
  const split = (rows) => [rows.filter((_, i) => i % 5 !== 4), rows.filter((_, i) => i % 5 === 4)];
  const [fitPositives, heldPositives] = split(positives);
  const [fitNegatives, heldNegatives] = split(negatives);
  const rows = [...fitPositives, ...fitNegatives];
  const center = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (const row of rows) for (let i = 0; i < dims; i++) center[i] += row[i] / rows.length;
  for (const row of rows) for (let i = 0; i < dims; i++) scale[i] += (row[i] - center[i]) ** 2 / rows.length;
  for (let i = 0; i < dims; i++) scale[i] = Math.max(Math.sqrt(scale[i]), 1e-6);
  // Stored as float32: standardise with the values the app will read.
  const center32 = Float64Array.from(Float32Array.from(center));
  const scale32 = Float64Array.from(Float32Array.from(scale));
  const standard = rows.map((row) => Float64Array.from(row, (v, i) => (v - center32[i]) / scale32[i]));
  const labels = rows.map((_, i) => (i < fitPositives.length ? 1 : 0));
  const sampleWeight = labels.map((y) => 0.5 / (y ? fitPositives.length : fitNegatives.length));
  const n = dims + 1;  // weights, then the bias
  const theta = new Float64Array(n);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    const z = new Float64Array(n);
    for (let r = 0; r < standard.length; r++) {
      z.set(standard[r]);
      z[dims] = 1;
      let logit = 0;
      for (let i = 0; i < n; i++) logit += theta[i] * z[i];
      const p = 1 / (1 + Math.exp(-logit));
      const g = sampleWeight[r] * (p - labels[r]);
      const h = sampleWeight[r] * p * (1 - p);
      for (let i = 0; i < n; i++) {
        gradient[i] += g * z[i];
        if (h === 0) continue;
        const hz = h * z[i];
        for (let j = 0; j <= i; j++) hessian[i * n + j] += hz * z[j];
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) hessian[j * n + i] = hessian[i * n + j];
    for (let i = 0; i < dims; i++) {
      gradient[i] += l2 * theta[i];
      hessian[i * n + i] += l2;
    }
    hessian[dims * n + dims] += 1e-9;  // keeps the bias's row positive definite when the sides separate
    const step = solveSpd(hessian, gradient, n);
    if (!step) throw new DermcamError('fit_failed', 'The discriminator could not be fitted (its Hessian is singular).');
    let largest = 0;
    for (let i = 0; i < n; i++) {
      theta[i] -= step[i];
      largest = Math.max(largest, Math.abs(step[i]));
    }
    if (largest < 1e-9) break;
  }
  const weights = Float64Array.from(Float32Array.from(theta.subarray(0, dims)));
  const bias = Math.fround(theta[dims]);
  const fitted = { dims, center: center32, scale: scale32, weights, bias };
  const heldScores = heldPositives.map((f) => discriminatorScore(fitted, f)).sort((a, b) => a - b);
  const threshold = heldScores[Math.max(0, Math.floor((1 - acceptance) * heldScores.length))];
  const refused = heldNegatives.filter((f) => !(discriminatorScore(fitted, f) >= threshold)).length / heldNegatives.length;
  return {
    layers, dims, center: encodeFloats(center32), scale: encodeFloats(scale32), weights: encodeFloats(weights),
    bias, threshold: Number(threshold.toPrecision(6)), acceptance,
    fittedOn: { photos: fitPositives.length, negatives: fitNegatives.length, heldOut: heldPositives.length,
      heldOutNegatives: heldNegatives.length, heldOutNegativesRefused: Number(refused.toFixed(4)), l2 },
  };
}
