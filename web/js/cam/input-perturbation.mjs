// @ts-check
// What the input-space perturbation methods (RISE, occlusion) share: they need nothing of the model but its class
// probability, so they explain any classifier, one whose head dermcam cannot differentiate included. Each makes
// `count` perturbed copies of the photo's input tensor; the copies run in batches within the memory budget
// (progress after each, {label: 'perturbation', loaded, total}; `signal` stops between batches, keeping nothing);
// the method folds each copy's probability into a map at the input's resolution. The map is kept per class in the
// analysis, so switching back to it costs no run.
import { checkpoint } from '../checkpoint.mjs';
import { perturbationBatchSize } from './per-channel.mjs';

/**
 * @typedef {{raw: Float32Array, width: number, height: number}} InputMap  signed, at the input's resolution
 * @typedef {{count: number, perturb: (index: number, input: Float32Array, out: Float32Array) => any,
 *   fold: (index: number, probability: number, perturbed: any) => void, finish: () => Float32Array}} Perturbation
 *   perturb writes copy `index` into `out` and returns what fold needs of it; finish gives the raw map
 */

/**
 * @param {import('./provider.mjs').ProviderContext} context
 * @param {import('../photo-analysis.mjs').PhotoAnalysis} analysis
 * @param {string} cacheName
 * @param {number} classIndex
 * @param {import('./provider.mjs').ProviderOptions} options
 * @param {() => Perturbation} start  a fresh perturbation for this photo and class
 * @returns {Promise<import('./provider.mjs').CamInputs>}
 */
export async function inputMapInputs({ model, budgetBytes }, analysis, cacheName, classIndex, { signal, progress }, start) {
  const cache = analysis.cache(cacheName);
  if (!cache.has(classIndex)) {
    const { width, height } = model.config.input;
    const input = analysis.tensor.data;
    const method = start();
    const batch = perturbationBatchSize(model.explainInputBytes(), budgetBytes);
    const copies = new Float32Array(batch * input.length);
    progress?.({ label: 'perturbation', loaded: 0, total: method.count });
    for (let first = 0; first < method.count; first += batch) {
      const n = Math.min(batch, method.count - first);
      const perturbed = [];
      for (let b = 0; b < n; b++) perturbed.push(method.perturb(first + b, input, copies.subarray(b * input.length, (b + 1) * input.length)));
      const run = await model.run(copies.subarray(0, n * input.length), n, [classIndex]);
      for (let b = 0; b < n; b++) method.fold(first + b, model.classProbability(run, b, classIndex), perturbed[b]);
      progress?.({ label: 'perturbation', loaded: first + n, total: method.count });
      await checkpoint(signal);
    }
    cache.set(classIndex, { raw: method.finish(), width, height });
  }
  return { inputMap: cache.get(classIndex), flags: [], slot: 0 };
}

/**
 * The map shown, from a raw input map, scaled as the core scales a CAM (wasm/cam.h step 3): ReLU, then
 * (m - min) / (max + 1e-7), in [0, 1].
 * @param {Float32Array} raw
 */
export function scaledInputMap(raw) {
  const map = new Float32Array(raw.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    const v = Math.max(0, raw[i]);
    map[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  for (let i = 0; i < map.length; i++) map[i] = (map[i] - min) / (max + 1e-7);
  return map;
}
