// @ts-check
// What the pixel-level methods share: the gradient of the class score with respect to the model's input
// (ModelSession.runInputGradients: the whole network differentiated, plain or with guided backpropagation's Relu
// rule), for the photo's input or for copies of it made in batches within the memory budget (progress after each,
// {label: 'perturbation', loaded, total}; `signal` stops between batches), and how a gradient image becomes a map
// at the input's resolution. Each method's map is kept per class in the analysis.
import { checkpoint } from '../checkpoint.mjs';
import { layerGeometry } from '../layout.mjs';
import { perturbationBatchSize } from './per-channel.mjs';

/**
 * The input gradients of `count` inputs, one after the other.
 * @param {import('./provider.mjs').ProviderContext} context
 * @param {Float32Array} inputs
 * @param {{signal?: AbortSignal, progress?: Function, guided?: boolean}} options
 */
export async function inputGradients({ model, budgetBytes }, inputs, count, classIndex, options = {}) {
  const { signal, progress, guided = false } = options;
  const per = inputs.length / count;
  // An input and its gradient, and the activations the backward pass keeps (about the explain graph's outputs).
  const batch = perturbationBatchSize(8 * per + model.addedOutputBytes(), budgetBytes);
  const gradients = new Float32Array(inputs.length);
  if (count > 1) progress?.({ label: 'perturbation', loaded: 0, total: count });
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    gradients.set(await model.runInputGradients(inputs.subarray(start * per, (start + n) * per), n, classIndex, { guided }), start * per);
    if (count > 1) progress?.({ label: 'perturbation', loaded: start + n, total: count });
    await checkpoint(signal);
  }
  return gradients;
}

/** The model input's geometry: {channels, width, height, at(c, y, x)}. */
export const inputGeometry = (model) => layerGeometry(model.metadata.input.shape, model.config.input.layout);

/** Per pixel, the largest magnitude over the colour channels: how a gradient image is drawn as one map. */
export function channelMaxAbs(gradients, { channels, width, height, at }) {
  const raw = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let c = 0; c < channels; c++) m = Math.max(m, Math.abs(gradients[at(c, y, x)]));
      raw[y * width + x] = m;
    }
  }
  return raw;
}

/** Per pixel, the sum over the colour channels of a * b (signed). */
export function channelDot(a, b, { channels, width, height, at }) {
  const raw = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let c = 0; c < channels; c++) s += a[at(c, y, x)] * b[at(c, y, x)];
      raw[y * width + x] = s;
    }
  }
  return raw;
}

/**
 * A pixel method's inputs for the pipeline: its raw map for this class, made by `make` once and kept.
 * @param {import('../photo-analysis.mjs').PhotoAnalysis} analysis
 * @param {() => Promise<Float32Array>} make
 * @returns {Promise<import('./provider.mjs').CamInputs>}
 */
export async function pixelMapInputs(model, analysis, cacheName, classIndex, make) {
  const cache = analysis.cache(cacheName);
  if (!cache.has(classIndex)) {
    const { width, height } = model.config.input;
    cache.set(classIndex, { raw: await make(), width, height });
  }
  return { inputMap: cache.get(classIndex), flags: [], slot: 0 };
}

/** A pixel method's description (camMethods()'s shape): the input-space methods that need the input's gradient. */
export const pixelMethod = (id, label, reference, description) =>
  ({ id, label, reference, description, needsGradients: true, target: id, inputSpace: true });
