// @ts-check
// A quick check of a map before a person relies on it: three of the tests the literature uses, cheap enough to
// run after every explanation (12 model runs, 13 for a gradient method; the full faithfulness metrics take about 120).
//
// - Beats a random map (deletion, after Petsiuk et al. 2018): removing the pixels the map ranks first must lower
//   the class probability more than removing as many in a Random-CAM map's order (faithfulness.mjs explains the
//   baseline). Removed: the first MAP_CHECK.deletionFractions of the pixels (set to 0, the normalised mean colour),
//   doubling from 1%: a model sure of its answer loses it once a sixth of any photo is gone, so the steps that tell
//   maps apart are the small ones (even steps of an eighth compare two curves already at zero). The score is the
//   class probability averaged over the fractions; fails when the map's is not below the random map's.
// - Stable under a mirror image: the map of the mirrored photo, mirrored back, must correlate with the map
//   (Pearson r >= MAP_CHECK.flipCorrelation). A lesion does not change by being photographed in a mirror, and
//   a map that does explains noise. Gradient methods only (a perturbation method would need all its runs again).
// - Changes when the model does (the model randomisation test, Adebayo et al. 2018, "Sanity checks for saliency
//   maps"): a map that stays the same when the model's weights are randomised explains the image, not the model.
//   For a gradient method the head after the target layer gets random weights (onnx/head.mjs randomisedHead, the
//   head Ablation-CAM cuts) and the same method maps the photo through it (`randomModelMap`). Where that cannot be
//   done (a method that is not a gradient method, a head that cannot run alone, several target layers) the head is
//   taken as a random linear layer, whose gradients with respect to the layer are random channel weights: the
//   Random-CAM map of the same activations. Fails when the map's correlation with it is at least
//   MAP_CHECK.randomHeadCorrelation; `randomisation` says which was done ('head' or 'random-linear').
//
// A map passes when every test that applies passes; the page dims one that fails and says so.
import { pearson } from './correlation.mjs';
import { at, saliencyOrder } from './faithfulness.mjs';

export const MAP_CHECK = Object.freeze({ deletionFractions: Object.freeze([0.01, 0.02, 0.04, 0.08, 0.16, 0.32]),
  flipCorrelation: 0.5, randomHeadCorrelation: 0.9 });

/**
 * @param {{input: Float32Array, shape: {width: number, height: number, layout: 'NCHW'|'NHWC'}, map: Float32Array,
 *   randomMap: Float32Array, randomModelMap?: Float32Array | null, flippedMap: Float32Array | null, probabilities: (batch: Float32Array, count: number) =>
 *   Promise<ArrayLike<number>>, batchSize: number}} options  map, randomMap, flippedMap (mirrored back): at the
 *   input size; probabilities: the explained class's probability of each input of a batch
 * @returns {Promise<{passed: boolean, deletionScore: number, randomDeletionScore: number, beatsRandom: boolean,
 *   flipCorrelation: number | null, flipStable: boolean | null, randomHeadCorrelation: number,
 *   changesWithModel: boolean, randomisation: 'head'|'random-linear', modelRuns: number}>}
 */
export async function checkMap({ input, shape, map, randomMap, randomModelMap = null, flippedMap, probabilities, batchSize }) {
  const pixels = shape.width * shape.height;
  const index = at(shape);
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
  const counts = MAP_CHECK.deletionFractions.map((f) => Math.max(1, Math.round(f * pixels)));
  const jobs = counts.flatMap((count) => [() => deleted(salient, count), () => deleted(random, count)]);
  const values = [];
  for (let start = 0; start < jobs.length; start += batchSize) {
    const chunk = jobs.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * input.length);
    chunk.forEach((make, b) => batch.set(make(), b * input.length));
    values.push(...Array.from(await probabilities(batch, chunk.length)));
  }
  const mean = (offset) => counts.reduce((sum, _, i) => sum + values[2 * i + offset], 0) / counts.length;
  const deletionScore = mean(0);
  const randomDeletionScore = mean(1);
  const flipCorrelation = flippedMap ? pearson(map, flippedMap) : null;
  const randomHeadCorrelation = pearson(map, randomModelMap ?? randomMap);
  const beatsRandom = deletionScore < randomDeletionScore;
  const flipStable = flipCorrelation === null ? null : flipCorrelation >= MAP_CHECK.flipCorrelation;
  // A flat map (no variance) correlates with nothing: NaN reads as "did not change", which fails.
  const changesWithModel = randomHeadCorrelation < MAP_CHECK.randomHeadCorrelation;
  return { passed: beatsRandom && flipStable !== false && changesWithModel, deletionScore, randomDeletionScore, beatsRandom,
    flipCorrelation, flipStable, randomHeadCorrelation, changesWithModel, randomisation: randomModelMap ? 'head' : 'random-linear',
    modelRuns: jobs.length };
}
