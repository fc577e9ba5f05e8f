// @ts-check
// How a model's probability is said to a person: in words first (a band), then a rounded number that never
// claims certainty ("over 99%", never "100%"; "under 1%", never "0%"), formatted for the page's language; and,
// when the model is unsure between classes, the classes it cannot tell apart. Pure functions: the page, the
// report and the history all say a result the same way (tests/js/likelihood.test.mjs).

/**
 * Bands of the (calibrated) probability of the top class, highest first. `min` is inclusive. The words belong
 * to the catalogue (web/js/i18n.mjs): likelihood_<band>.
 */
export const LIKELIHOOD_BANDS = Object.freeze([
  { band: 'very_likely', min: 0.9 },
  { band: 'likely', min: 0.6 },
  { band: 'possible', min: 0.3 },
  { band: 'unlikely', min: 0 },
]);

/** @param {number} probability in 0..1 @returns {'very_likely'|'likely'|'possible'|'unlikely'} */
export function likelihoodBand(probability) {
  return /** @type {any} */ (LIKELIHOOD_BANDS.find(({ min }) => probability >= min)?.band ?? 'unlikely');
}

/**
 * A probability as a person reads it: a whole percentage between 1 and 99, or the bounds said as bounds.
 * @param {number} probability in 0..1
 * @param {string} language a BCP 47 tag ('en', 'vi')
 * @returns {{key: 'share'|'shareOver'|'shareUnder', value: string}} the catalogue key and the formatted number
 */
export function shareOf(probability, language) {
  const format = new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 0 });
  if (!(probability <= 1)) probability = 1;  // NaN never reaches here (pipeline.mjs refuses it); be safe anyway
  if (probability > 0.99) return { key: 'shareOver', value: format.format(0.99) };
  if (probability < 0.01) return { key: 'shareUnder', value: format.format(0.01) };
  return { key: 'share', value: format.format(Math.min(0.99, Math.max(0.01, Math.round(probability * 100) / 100))) };
}

// Unsure: the top class is below "likely", or the second is close to it (the model's own ranking could flip).
const UNSURE_BELOW = 0.6;
const CLOSE_WITHIN = 0.2;

/**
 * The classes this model cannot tell apart for this photo, most likely first, or [] when it can. A model that
 * brings prediction sets (model.json) answers with its own set; otherwise the top two when the model is unsure.
 * @template {{probability: number}} P
 * @param {P[]} predictions sorted, most likely first
 * @param {P[] | undefined} [predictionSet] the model's own set for this photo, when it has one
 * @returns {P[]}
 */
export function cannotTellApart(predictions, predictionSet) {
  if (predictionSet) return predictionSet.length > 1 ? predictionSet : [];
  if (predictions.length < 2) return [];
  const [first, second] = predictions;
  return first.probability < UNSURE_BELOW || first.probability - second.probability < CLOSE_WITHIN ? [first, second] : [];
}

/**
 * A plain number for the page's language (metrics, sizes): grouping and decimal marks as the reader writes them.
 * @param {number} value @param {string} language @param {number} [digits]
 */
export function formatNumber(value, language, digits = 3) {
  return new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value);
}
