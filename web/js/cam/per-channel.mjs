// @ts-check
// The per-channel perturbation methods' shared loop (Score-CAM, Ablation-CAM): for each target layer, one value
// per channel from the class scores of perturbed copies, made in batches within a memory budget, kept per class
// in the analysis. Progress after each batch ({label: 'perturbation', loaded, total}); `signal` stops between
// batches, keeping nothing.
import { checkpoint } from '../checkpoint.mjs';
import { layerGeometry } from '../layout.mjs';
import { firstItem } from './provider.mjs';

/** The bytes a batch of perturbed inputs (and their explain-graph outputs) may take; larger work is split. */
export const PERTURBATION_BUDGET_BYTES = 48 * 2 ** 20;

/** Batch size for `perItemBytes` per perturbed input within the budget: at least 1, at most 64. */
export function perturbationBatchSize(perItemBytes, budget = PERTURBATION_BUDGET_BYTES) {
  return Math.max(1, Math.min(64, Math.floor(budget / Math.max(1, perItemBytes))));
}

/**
 * @param {import('./provider.mjs').ProviderContext} context
 * @param {import('../photo-analysis.mjs').PhotoAnalysis} analysis
 * @param {string} cacheName  where the analysis keeps the values per class
 * @param {number} classIndex
 * @param {import('./provider.mjs').ProviderOptions} options
 * @param {{perItemBytes: (layers) => number, scores: (layer, l: number, start: number, count: number) =>
 *   Promise<ArrayLike<number>>, transform?: (score: number) => number}} method  `scores` gives the [count, classes]
 *   scores of channels [start, start + count) of layer l; `transform` turns the class's score into the value
 * @returns {Promise<import('./provider.mjs').CamInputs>} the photo's activations and one value per channel
 */
export async function perChannelInputs({ model, budgetBytes }, analysis, cacheName, classIndex, { signal, progress },
  { perItemBytes, scores, transform = (v) => v }) {
  const classes = model.metadata.score.classes;
  const layers = model.metadata.layers.map((layer, l) => {
    const { data, dims } = firstItem(analysis.run.layers[l].activations);
    const { channels, height, width } = layerGeometry(layer.shape, layer.layout);
    return { activations: data, dims, shape: { channels, height, width, layout: layer.layout } };
  });
  const cache = analysis.cache(cacheName);
  if (!cache.has(classIndex)) {
    const total = layers.reduce((sum, l) => sum + l.shape.channels, 0);
    const batch = perturbationBatchSize(perItemBytes(layers), budgetBytes);
    const values = [];
    let done = 0;
    progress?.({ label: 'perturbation', loaded: 0, total });
    for (const [l, layer] of layers.entries()) {
      const channelValues = new Float32Array(layer.shape.channels);
      for (let start = 0; start < layer.shape.channels; start += batch) {
        const count = Math.min(batch, layer.shape.channels - start);
        const out = await scores(layer, l, start, count);
        for (let b = 0; b < count; b++) channelValues[start + b] = transform(out[b * classes + classIndex]);
        done += count;
        progress?.({ label: 'perturbation', loaded: done, total });
        await checkpoint(signal);
      }
      values.push(channelValues);
    }
    cache.set(classIndex, values);
  }
  const values = cache.get(classIndex);
  return {
    run: { layers: layers.map(({ activations, dims }, l) => ({ activations: { data: activations, dims }, channelValues: values[l] })) },
    flags: [false],
    slot: 0,
  };
}
