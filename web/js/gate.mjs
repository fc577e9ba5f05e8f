// @ts-check
// The photo gate: decides whether a photo can be judged before any condition is named.
//
// Two parts, both reported as reasons {code, value, threshold}:
// - photo quality (too_small, too_dark, overexposed, glare, washed_out, no_colour, noisy, blurry): measured by the C++ core while it prepares the
//   photo (wasm/photo_quality.h), with thresholds from model.json's gate.quality or the core's defaults;
// - not_skin, the model's own out-of-distribution check: the Mahalanobis distance of the photo's pooled
//   target-layer activations (the explanation computes them anyway: no extra inference) to the nearest of
//   the class-conditional Gaussians with one shared covariance (Lee et al. 2018, "A Simple Unified Framework
//   for Detecting Out-of-Distribution Samples and Adversarial Attacks"), fitted on in-distribution photos by
//   `node scripts/dermcam.mjs fit-gate`, with a threshold chosen on held-out in-distribution photos;
// - not_skin from the discriminator, when fitted: a logistic regression on the pooled activations of several
//   layers (early ones see texture, late ones content), trained with photos the model must refuse as negatives
//   ("outlier exposure", Hendrycks et al. 2019). The distance, fitted on in-distribution photos only, lets
//   close-ups of fur, food or wood through on the demo model (REPORT.md "Photo gate"); the discriminator is what
//   refuses them. Its features come from `prepare --gate-layer` outputs (the means the graph computes) or the
//   target layer's activations, each channel's mean as its signed square root, layer after layer.
//
// model.json's "gate" (schema "dermcam-gate/1", documented in models/README.md):
//   quality:   {minSide, minSharpness, minBrightLevel, maxShadows, maxHighlights, maxSpotHighlights, minColourfulness,
//               maxColourNoise, minSpotSharpness, maxDarkLevel, fadedDarkLevel}
//   outOfDistribution: {layer, pooling, dims: C, classes: [label ids], means, covariance, threshold,
//                       acceptance, fittedOn}
//     pooling:    "mean-sqrt" (fit-gate's default): the signed square root of each channel's spatial mean, a
//                 variance-stabilising power normalisation (Perronnin et al. 2010) that brings the skewed,
//                 non-negative means of ReLU features closer to Gaussian; on the demo model it refuses 95% of
//                 the tuning set's non-skin photos at 99.5% acceptance, against 66% for plain "mean".
//     means:      base64 of K x C little-endian float32, class by class, in `classes` order
//     covariance: base64 of the C x C shared covariance's lower triangle, row by row (C (C + 1) / 2 float32)
//     threshold:  the largest accepted distance
//   discriminator: {layers: [names], dims, center, scale, weights, bias, threshold, acceptance, fittedOn}
//     center, scale, weights: base64 of `dims` float32 each; score = bias + sum_i weights_i (x_i - center_i) / scale_i
//     threshold:  the smallest accepted score (chosen on held-out in-distribution photos)
// Every error names the field at fault; a covariance that is not positive definite is refused.

import { DermcamError } from './errors.mjs';
import { unknownField } from './schema.mjs';
import { layerGeometry } from './layout.mjs';
import { QUALITY_RANGES } from '../prebuilt/quality-ranges.mjs';

export const GATE_SCHEMA = 'dermcam-gate/1';

const fail = (message) => {
  throw new DermcamError('bad_model_config', `model.json: ${message}`);
};
function known(object, path, fields) {
  const why = unknownField(object, path, fields);
  if (why) fail(why);
}

// What gate.quality may set: the core's own ranges (wasm/photo_quality.h), which it checks again, written out at
// build time because a model.json is checked before the core is loaded.
export { QUALITY_RANGES };
const withinRange = ({ min, max, integer }, v) => v >= min && v <= max && (!integer || Number.isInteger(v));

export function encodeFloats(values) {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  if (typeof Buffer === 'function') return Buffer.from(bytes).toString('base64');
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function decodeFloats(text, count, path) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) fail(`${path} must be base64 of float32 values`);
  let bytes;
  if (typeof Buffer === 'function') {
    bytes = new Uint8Array(Buffer.from(text, 'base64'));
  } else {
    const raw = atob(text);
    bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  if (bytes.length !== count * 4) fail(`${path} must hold ${count} float32 values (found ${Math.floor(bytes.length / 4)})`);
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, count);
  const out = Float64Array.from(floats);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) fail(`${path} holds a value that is not a finite number (element ${bad})`);
  return out;
}

/** Cholesky factor L (row-major C x C, lower) of a symmetric matrix; null if it is not positive definite. */
export function cholesky(matrix, n) {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * n + j];
      for (let k = 0; k < j; k++) sum -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(sum > 1e-12 * Math.max(1, Math.abs(matrix[i * n + i])))) return null;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / l[j * n + j];
      }
    }
  }
  return l;
}

function unpackLower(packed, n) {
  const full = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      full[i * n + j] = packed[k];
      full[j * n + i] = packed[k];
      k++;
    }
  }
  return full;
}

/**
 * Validates model.json's "gate" against the model's labels.
 * @returns {{quality: object, qualityFittedOn?: object|null, outOfDistribution: object|null, discriminator: object|null,
 *   raw: object}} with the
 *   covariance factorised.
 */
export function validateGate(json, labels, layerChannels) {
  if (json === undefined) return { quality: {}, qualityFittedOn: null, outOfDistribution: null, discriminator: null, raw: undefined };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail("'gate' must be an object");
  known(json, 'gate', ['schema', 'quality', 'qualityFittedOn', 'outOfDistribution', 'discriminator']);
  if (json.schema !== GATE_SCHEMA) fail(`gate.schema must be "${GATE_SCHEMA}" (found ${JSON.stringify(json.schema)})`);
  const quality = {};
  if (json.quality !== undefined) {
    if (!json.quality || typeof json.quality !== 'object' || Array.isArray(json.quality)) fail('gate.quality must be an object');
    for (const [key, value] of Object.entries(json.quality)) {
      if (!Object.hasOwn(QUALITY_RANGES, key)) fail(`gate.quality.${key} is not a known threshold (${Object.keys(QUALITY_RANGES).join(', ')})`);
      if (typeof value !== 'number' || !Number.isFinite(value) || !withinRange(QUALITY_RANGES[key], value)) {
        fail(`gate.quality.${key} is out of range (see models/README.md)`);
      }
      quality[key] = value;
    }
  }
  const qualityFittedOn = json.qualityFittedOn === undefined ? null : validateQualityFittedOn(json.qualityFittedOn);
  let outOfDistribution = null;
  const ood = json.outOfDistribution;
  if (ood !== undefined) {
    const path = 'gate.outOfDistribution';
    if (!ood || typeof ood !== 'object' || Array.isArray(ood)) fail(`${path} must be an object`);
    known(ood, path, ['layer', 'pooling', 'dims', 'classes', 'means', 'covariance', 'threshold', 'acceptance', 'fittedOn']);
    if (typeof ood.layer !== 'string' || !ood.layer) fail(`${path}.layer must name the target layer the features come from`);
    if (!POOLINGS.includes(ood.pooling)) fail(`${path}.pooling must be one of ${POOLINGS.map((p) => `"${p}"`).join(', ')}`);
    const dims = ood.dims;
    if (!Number.isInteger(dims) || dims < 1 || dims > 4096) fail(`${path}.dims must be an integer from 1 to 4096`);
    // Compared with the model before the covariance is decoded and factorised (a 4096-wide one takes seconds).
    if (layerChannels) {
      if (!layerChannels.has(ood.layer)) {
        fail(`${path}.layer '${ood.layer}' is not a target layer of this model (${[...layerChannels.keys()].map((l) => `'${l}'`).join(', ')})`);
      }
      if (layerChannels.get(ood.layer) !== dims) fail(`${path}.dims is ${dims}, but layer '${ood.layer}' has ${layerChannels.get(ood.layer)} channels`);
    }
    if (!Array.isArray(ood.classes) || ood.classes.length < 1) fail(`${path}.classes must list label ids`);
    const ids = labels.map((l) => l.id);
    const classes = ood.classes.map((id, i) => {
      const index = ids.indexOf(id);
      if (index < 0) fail(`${path}.classes[${i}] '${id}' is not one of the model's labels`);
      return index;
    });
    if (new Set(classes).size !== classes.length) fail(`${path}.classes lists a label twice`);
    const means = decodeFloats(ood.means, classes.length * dims, `${path}.means`);
    const packed = decodeFloats(ood.covariance, (dims * (dims + 1)) / 2, `${path}.covariance`);
    const factor = cholesky(unpackLower(packed, dims), dims);
    if (!factor) fail(`${path}.covariance is not positive definite`);
    if (typeof ood.threshold !== 'number' || !Number.isFinite(ood.threshold) || !(ood.threshold > 0) || ood.threshold > 1e6) {
      fail(`${path}.threshold must be a positive distance`);
    }
    if (ood.acceptance !== undefined && !(typeof ood.acceptance === 'number' && ood.acceptance > 0 && ood.acceptance <= 1)) {
      fail(`${path}.acceptance must be a fraction in (0, 1]`);
    }
    outOfDistribution = { layer: ood.layer, pooling: ood.pooling, dims, classes, means, factor, threshold: ood.threshold, acceptance: ood.acceptance };
  }
  const discriminator = json.discriminator === undefined ? null : validateDiscriminator(json.discriminator);
  return { quality, qualityFittedOn, outOfDistribution, discriminator, raw: json };
}

// Where gate.quality came from when `fit-gate --fit-quality` fitted it: the photos, and per degradation the
// strength from which the model stopped being reliable (null: it never did), its own threshold and what limited the
// applied one. Read by the reports; the app judges by gate.quality alone.
function validateQualityFittedOn(q) {
  const path = 'gate.qualityFittedOn';
  if (!q || typeof q !== 'object' || Array.isArray(q)) fail(`${path} must be an object`);
  known(q, path, ['photos', 'criterion', 'degradations']);
  if (!Number.isInteger(q.photos) || q.photos < 1) fail(`${path}.photos must be a positive integer`);
  if (!Array.isArray(q.degradations)) fail(`${path}.degradations must be a list`);
  const finiteOrNull = (v) => v === null || (typeof v === 'number' && Number.isFinite(v));
  return { photos: q.photos, criterion: q.criterion, degradations: q.degradations.map((d, i) => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) fail(`${path}.degradations[${i}] must be an object`);
    known(d, `${path}.degradations[${i}]`, ['id', 'threshold', 'onset', 'model', 'value', 'limitedBy']);
    if (typeof d.id !== 'string' || !(d.threshold === null || Object.hasOwn(QUALITY_RANGES, d.threshold)) || !finiteOrNull(d.onset) ||
      !finiteOrNull(d.model) || !finiteOrNull(d.value) || !(d.limitedBy === null || typeof d.limitedBy === 'string')) {
      fail(`${path}.degradations[${i}] must be {id, threshold (a gate.quality key or null), onset, model, value, limitedBy}`);
    }
    return d;
  }) };
}

function validateDiscriminator(d) {
  const path = 'gate.discriminator';
  if (!d || typeof d !== 'object' || Array.isArray(d)) fail(`${path} must be an object`);
  known(d, path, ['layers', 'dims', 'center', 'scale', 'weights', 'bias', 'threshold', 'acceptance', 'fittedOn']);
  if (!Array.isArray(d.layers) || !d.layers.length || d.layers.some((l) => typeof l !== 'string' || !l)) {
    fail(`${path}.layers must list the layers its features come from`);
  }
  if (new Set(d.layers).size !== d.layers.length) fail(`${path}.layers lists a layer twice`);
  const { dims } = d;
  if (!Number.isInteger(dims) || dims < 1 || dims > 16384) fail(`${path}.dims must be an integer from 1 to 16384`);
  const center = decodeFloats(d.center, dims, `${path}.center`);
  const scale = decodeFloats(d.scale, dims, `${path}.scale`);
  const bad = scale.findIndex((v) => !(v > 0));
  if (bad >= 0) fail(`${path}.scale must be positive (element ${bad})`);
  const weights = decodeFloats(d.weights, dims, `${path}.weights`);
  for (const key of ['bias', 'threshold']) {
    if (typeof d[key] !== 'number' || !Number.isFinite(d[key])) fail(`${path}.${key} must be a finite number`);
  }
  if (d.acceptance !== undefined && !(typeof d.acceptance === 'number' && d.acceptance > 0 && d.acceptance <= 1)) {
    fail(`${path}.acceptance must be a fraction in (0, 1]`);
  }
  return { layers: d.layers, dims, center, scale, weights, bias: d.bias, threshold: d.threshold, acceptance: d.acceptance };
}

/** The discriminator's score of a photo's features: above its threshold looks like the photos the model knows. */
export function discriminatorScore(discriminator, features) {
  const { dims, center, scale, weights, bias } = discriminator;
  if (features.length !== dims) {
    throw new DermcamError('bad_model_config', `The gate's discriminator reads ${dims} features; this model gives ${features.length}.`);
  }
  let score = bias;
  for (let i = 0; i < dims; i++) score += (weights[i] * (features[i] - center[i])) / scale[i];
  return score;
}

export const POOLINGS = ['mean-sqrt', 'mean'];

/** The signed square root of each value: the "mean-sqrt" pooling of channel means. */
export function signedRoots(means) {
  return Float64Array.from(means, (mean) => Math.sign(mean) * Math.sqrt(Math.abs(mean)));
}

/** Each channel's mean over the spatial positions of a batch-1 activation tensor ("mean-sqrt": its signed root). */
export function pooledFeatures(activations, shape, layout, pooling = 'mean-sqrt') {
  const { channels, height, width, positions, at } = layerGeometry(shape, layout);
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) sum += activations[at(c, y, x)];
    const mean = sum / positions;
    out[c] = pooling === 'mean' ? mean : Math.sign(mean) * Math.sqrt(Math.abs(mean));
  }
  return out;
}

function forwardSolveNorm(factor, n, vector) {
  const y = new Float64Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let sum = vector[i];
    for (let k = 0; k < i; k++) sum -= factor[i * n + k] * y[k];
    y[i] = sum / factor[i * n + i];
    norm += y[i] * y[i];
  }
  return norm;
}

/** The distance of pooled features to the nearest class Gaussian: sqrt(min_c (x - mu_c)' S^-1 (x - mu_c)). */
export function mahalanobisDistance(ood, features) {
  const { dims, means, factor } = ood;
  const diff = new Float64Array(dims);
  let best = Infinity;
  for (let c = 0; c < means.length / dims; c++) {
    for (let i = 0; i < dims; i++) diff[i] = features[i] - means[c * dims + i];
    best = Math.min(best, forwardSolveNorm(factor, dims, diff));
  }
  return Math.sqrt(best);
}

/**
 * The gradient of mahalanobisDistance with respect to each channel's spatial MEAN (before the pooling's signed
 * root): d = sqrt(q), q = (f - mu)' S^-1 (f - mu) for the nearest class, so dd/df = S^-1 (f - mu) / d, and for
 * "mean-sqrt" df/dm = 1 / (2 sqrt|m|) = 1 / (2 |f|) (|f| floored at 1e-3: a channel that is silent everywhere
 * would otherwise weigh without limit). Divided by the layer's positions it is the exact gradient at every
 * position of the layer, which is what Grad-CAM weighs the activations by: a map of where the photo pushed the
 * distance up ("why was my photo refused?").
 * @returns {Float64Array} one value per channel
 */
export function distanceGradient(ood, features) {
  const { dims, means, factor, pooling } = ood;
  const diff = new Float64Array(dims);
  let [best, nearest] = [Infinity, 0];
  for (let c = 0; c < means.length / dims; c++) {
    for (let i = 0; i < dims; i++) diff[i] = features[i] - means[c * dims + i];
    const q = forwardSolveNorm(factor, dims, diff);
    if (q < best) [best, nearest] = [q, c];
  }
  for (let i = 0; i < dims; i++) diff[i] = features[i] - means[nearest * dims + i];
  // S^-1 diff = L^-T (L^-1 diff): a forward then a backward substitution with the Cholesky factor.
  const y = new Float64Array(dims);
  for (let i = 0; i < dims; i++) {
    let sum = diff[i];
    for (let k = 0; k < i; k++) sum -= factor[i * dims + k] * y[k];
    y[i] = sum / factor[i * dims + i];
  }
  const gradient = new Float64Array(dims);
  for (let i = dims - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < dims; k++) sum -= factor[k * dims + i] * gradient[k];
    gradient[i] = sum / factor[i * dims + i];
  }
  const distance = Math.sqrt(best) || 1;
  for (let i = 0; i < dims; i++) {
    gradient[i] /= distance;
    if (pooling !== 'mean') gradient[i] /= 2 * Math.max(Math.abs(features[i]), 1e-3);
  }
  return gradient;
}

/**
 * @typedef {{code: string, value?: number, threshold?: number, check?: string, likely?: boolean}} GateReason
 * @typedef {{accepted: boolean, reasons: GateReason[], outOfDistributionCheck: boolean, distance?: number,
 *   discriminatorScore?: number, quality?: object}} GateVerdict  quality: the core's measures, added by pipeline.mjs
 */

/**
 * The gate's verdict: quality issues from the core, then not_skin from the distance or the discriminator (one
 * not_skin reason: the distance's if it refuses, else the discriminator's, marked check: 'discriminator').
 * A photo refused only as not skin whose quality shows a likely cause (`likelyCauses`, the core's
 * likely_quality_causes: e.g. blacks lifted past the fade the model reads) gets that cause first, marked
 * likely: true, so the patient reads the fix before "not like skin" (still listed); it adds no refusal.
 * @returns {GateVerdict}
 */
export function judgePhoto({ qualityIssues = [], likelyCauses = [], gate, features, discriminatorFeatures }) {
  /** @type {GateReason[]} */
  const reasons = qualityIssues.map(({ code, value, threshold }) => ({ code, value, threshold }));
  const ood = gate?.outOfDistribution;
  const discriminator = gate?.discriminator;
  const verdict = {};
  if (ood && features) {
    verdict.distance = mahalanobisDistance(ood, features);
    if (!(verdict.distance <= ood.threshold)) reasons.push({ code: 'not_skin', value: verdict.distance, threshold: ood.threshold });
  }
  if (discriminator && discriminatorFeatures) {
    verdict.discriminatorScore = discriminatorScore(discriminator, discriminatorFeatures);
    if (!(verdict.discriminatorScore >= discriminator.threshold) && !reasons.some((r) => r.code === 'not_skin')) {
      reasons.push({ code: 'not_skin', value: verdict.discriminatorScore, threshold: discriminator.threshold, check: 'discriminator' });
    }
  }
  if (qualityIssues.length === 0 && reasons.length > 0) {
    reasons.unshift(...likelyCauses.map(({ code, value, threshold }) => ({ code, value, threshold, likely: true })));
  }
  return { accepted: reasons.length === 0, reasons, outOfDistributionCheck: Boolean(ood || discriminator), ...verdict };
}
