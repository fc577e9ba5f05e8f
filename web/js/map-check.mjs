// @ts-check
// A quick check of a map before a person relies on it: three of the tests the literature uses, cheap enough to
// run after every explanation (about 20 model runs; the full faithfulness metrics take about 120).
//
// - Beats a random map (deletion, Petsiuk et al. 2018, on MAP_CHECK.deletionSteps steps): removing the pixels the
//   map ranks first must lower the class probability faster than removing them in a Random-CAM map's order
//   (faithfulness.mjs explains the baseline). Fails when the map's deletion AUC is not below the random map's.
// - Stable under a mirror image: the map of the mirrored photo, mirrored back, must correlate with the map
//   (Pearson r >= MAP_CHECK.flipCorrelation). A lesion does not change by being photographed in a mirror, and
//   a map that does explains noise. Gradient methods only (a perturbation method would need all its runs again).
// - Changes when the model does (the model randomisation test, Adebayo et al. 2018, "Sanity checks for saliency
//   maps"): a map that stays the same when the model's weights are randomised explains the image, not the model.
//   The head after the target layer is randomised to a random linear layer, whose gradients with respect to the
//   layer are random channel weights: the Random-CAM map of the same activations. Fails when the map's
//   correlation with it is at least MAP_CHECK.randomHeadCorrelation.
//
// A map passes when every test that applies passes; the page dims one that fails and says so.
import { pearson } from './correlation.mjs';
import { at, curveAuc, saliencyOrder } from './faithfulness.mjs';

export const MAP_CHECK = Object.freeze({ deletionSteps: 8, flipCorrelation: 0.5, randomHeadCorrelation: 0.9 });

/**
 * @param {{input: Float32Array, shape: {width: number, height: number, layout: 'NCHW'|'NHWC'}, map: Float32Array,
 *   randomMap: Float32Array, flippedMap: Float32Array | null, probabilities: (batch: Float32Array, count: number) =>
 *   Promise<ArrayLike<number>>, batchSize: number}} options  map, randomMap, flippedMap (mirrored back): at the
 *   input size; probabilities: the explained class's probability of each input of a batch
 * @returns {Promise<{passed: boolean, deletionAuc: number, randomDeletionAuc: number, beatsRandom: boolean,
 *   flipCorrelation: number | null, flipStable: boolean | null, randomHeadCorrelation: number,
 *   changesWithModel: boolean, modelRuns: number}>}
 */
export async function checkMap({ input, shape, map, randomMap, flippedMap, probabilities, batchSize }) {
  const pixels = shape.width * shape.height;
  const index = at(shape);
  const steps = MAP_CHECK.deletionSteps;
  const step = Math.ceil(pixels / steps);
  const deleted = (order, count) => {
    const out = Float32Array.from(input);
    for (let j = 0; j < count; j++) {
      const p = order[j];
      for (let c = 0; c < 3; c++) out[index(c, p)] = 0;
    }
    return out;
  };
  const salient = saliencyOrder(map);
  const random = saliencyOrder(randomMap);
  // Step 0 (the photo) is the same for both curves: run once.
  const jobs = [() => input];
  for (let i = 1; i <= steps; i++) {
    const count = Math.min(pixels, i * step);
    jobs.push(() => deleted(salient, count), () => deleted(random, count));
  }
  const values = [];
  for (let start = 0; start < jobs.length; start += batchSize) {
    const chunk = jobs.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * input.length);
    chunk.forEach((make, b) => batch.set(make(), b * input.length));
    values.push(...Array.from(await probabilities(batch, chunk.length)));
  }
  const curve = (offset) => [values[0], ...Array.from({ length: steps }, (_, i) => values[1 + 2 * i + offset])];
  const deletionAuc = curveAuc(curve(0));
  const randomDeletionAuc = curveAuc(curve(1));
  const flipCorrelation = flippedMap ? pearson(map, flippedMap) : null;
  const randomHeadCorrelation = pearson(map, randomMap);
  const beatsRandom = deletionAuc < randomDeletionAuc;
  const flipStable = flipCorrelation === null ? null : flipCorrelation >= MAP_CHECK.flipCorrelation;
  // A flat map (no variance) correlates with nothing: NaN reads as "did not change", which fails.
  const changesWithModel = randomHeadCorrelation < MAP_CHECK.randomHeadCorrelation;
  return { passed: beatsRandom && flipStable !== false && changesWithModel, deletionAuc, randomDeletionAuc, beatsRandom,
    flipCorrelation, flipStable, randomHeadCorrelation, changesWithModel, modelRuns: jobs.length };
}
