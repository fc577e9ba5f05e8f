// The photo gate's quality thresholds from the model itself: each degradation a phone photo suffers (blur, the
// spot alone blurred, darker, brighter, washed out, glare on the lesion, sensor noise, too few pixels) is applied
// at growing strengths to held-out labelled photos, and the model's accuracy, its calibrated confidence and its Grad-CAM map (correlation with the
// clean photo's map, the pointing game where a lesion mask exists) are measured at each strength. Where the model
// stops being reliable (RELIABILITY below) the gate's measure for that degradation is given the threshold that best
// separates the photos it can still read from the ones it cannot. Used by `dermcam fit-gate` and `dermcam pack`;
// CLI only, like gate-fit.mjs.
import { DermcamError } from '../web/js/errors.mjs';
import { pearson } from '../web/js/correlation.mjs';
import { pointingGame } from '../web/js/audit.mjs';
import { seededRandom } from '../web/js/faithfulness.mjs';
import { QUALITY_RANGES } from '../web/js/gate.mjs';
import { preparePhoto } from '../web/js/photo-analysis.mjs';

/**
 * When a degraded photo set is no longer read reliably, compared with the same photos undegraded: accuracy more than
 * `accuracyDrop` below, or the median correlation of the true class's map with the clean photo's map below
 * `mapCorrelation`, or (with masks) the pointing game more than `pointingDrop` below. A patient is harmed by a wrong
 * answer and misled by a map that moved; either ends reliability.
 */
export const RELIABILITY = Object.freeze({ accuracyDrop: 0.05, mapCorrelation: 0.8, pointingDrop: 0.1 });

const mapPixels = (image, f) => {
  const rgba = new Uint8ClampedArray(image.rgba.length);
  for (let i = 0; i < rgba.length; i += 4) {
    for (let c = 0; c < 3; c++) rgba[i + c] = f(image.rgba[i + c], i, c);
    rgba[i + 3] = 255;
  }
  return { width: image.width, height: image.height, rgba };
};

// Separable Gaussian blur with edge clamping, sigma in photo pixels.
function gaussianBlur(image, sigma) {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((s, k) => s + k, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const { width, height } = image;
  const pass = (src, horizontal) => {
    const out = new Float32Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
            sum += kernel[k + radius] * src[(yy * width + xx) * 4 + c];
          }
          out[(y * width + x) * 4 + c] = sum;
        }
      }
    }
    return out;
  };
  const blurred = pass(pass(image.rgba, true), false);
  return mapPixels(image, (_, i, c) => Math.round(blurred[i + c]));
}

// `changed` inside the spot (the middle half of the image along each axis), `image` elsewhere.
function onSpot(image, changed) {
  const { width, height } = image;
  return mapPixels(image, (v, i, c) => {
    const p = i / 4;
    const [x, y] = [p % width, Math.floor(p / width)];
    const inSpot = x >= width / 4 && x < width - width / 4 && y >= height / 4 && y < height - height / 4;
    return inSpot ? changed.rgba[i + c] : v;
  });
}

// Area-averaged downscale so the shorter side is `side` pixels.
function downscale(image, side) {
  const factor = side / Math.min(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * image.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.width) / width));
      const sum = [0, 0, 0];
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) for (let c = 0; c < 3; c++) sum[c] += image.rgba[(yy * image.width + xx) * 4 + c];
      }
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < 3; c++) rgba[(y * width + x) * 4 + c] = Math.round(sum[c] / n);
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { width, height, rgba };
}

// A flash reflected off the lesion: a white ellipse (axes 4:3) covering `area` of the frame, centred on the lesion
// (the mask's centroid, else the frame's centre), fully white over its inner 60% and fading out to its edge.
function glare(image, area, centre) {
  const { width, height } = image;
  const ry = Math.sqrt((area * width * height) / (Math.PI * 4 / 3));
  const rx = (4 / 3) * ry;
  const [cx, cy] = centre ?? [width / 2, height / 2];
  return mapPixels(image, (v, i) => {
    const p = i / 4;
    const d = Math.hypot((p % width + 0.5 - cx) / rx, (Math.floor(p / width) + 0.5 - cy) / ry);
    const w = d <= 0.6 ? 1 : d >= 1 ? 0 : (1 - d) / 0.4;
    return Math.round(v + w * (255 - v));
  });
}

/**
 * The degradations, in the order their reasons are reported. Each: its id, the gate's quality measure that should
 * follow it (`measure`, a field of prepareImage's quality), the threshold that measure is judged by (`threshold`, a
 * key of gate.quality; `accept` says which side passes), the code a patient should get, and growing strengths.
 * Strengths in the model's own units where geometry matters: blur sigma and photo size in model input pixels.
 */
export const DEGRADATIONS = Object.freeze([
  { id: 'blur', unit: 'Gaussian sigma, model input px', strengths: [0.5, 1, 1.5, 2, 3, 4],
    measure: 'sharpness', threshold: 'minSharpness', accept: 'above', code: 'blurry',
    apply: (image, s, { inputSide }) => gaussianBlur(image, (s * Math.min(image.width, image.height)) / inputSide) },
  // The lesion alone out of focus (the spot: the middle half of the frame along each axis, as the gate reads it).
  { id: 'spotblur', unit: 'Gaussian sigma on the spot only, model input px', strengths: [0.5, 1, 1.5, 2, 3, 4],
    measure: 'spotSharpness', threshold: 'minSpotSharpness', accept: 'above', code: 'blurry',
    apply: (image, s, { inputSide }) => onSpot(image, gaussianBlur(image, (s * Math.min(image.width, image.height)) / inputSide)) },
  { id: 'darker', unit: 'exposure factor', strengths: [0.7, 0.5, 0.35, 0.25, 0.15, 0.08],
    measure: 'brightLevel', threshold: 'minBrightLevel', accept: 'above', code: 'too_dark',
    apply: (image, s) => mapPixels(image, (v) => Math.round(v * s)) },
  { id: 'brighter', unit: 'exposure factor', strengths: [1.3, 1.6, 2, 2.5, 3, 4],
    measure: 'highlights', threshold: 'maxHighlights', accept: 'below', code: 'overexposed',
    apply: (image, s) => mapPixels(image, (v) => Math.min(255, Math.round(v * s))) },
  // Blacks lifted towards white (haze on the lens, a lamp behind the camera): out = s * 255 + (1 - s) * in. A fade
  // by s sets darkLevel to at least s, so the onset itself is the level past which a photo the model's own check
  // refuses is told it is washed out first (`likely`: photo_quality.h's likely causes; never a refusal).
  { id: 'washedout', unit: 'fraction of white added', strengths: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    measure: 'darkLevel', threshold: 'maxDarkLevel', accept: 'below', code: 'washed_out', likely: 'fadedDarkLevel',
    apply: (image, s) => mapPixels(image, (v) => Math.round(s * 255 + (1 - s) * v)) },
  { id: 'glare', unit: 'glare area, fraction of the frame', strengths: [0.002, 0.005, 0.01, 0.02, 0.04, 0.08],
    measure: 'spotHighlights', threshold: 'maxSpotHighlights', accept: 'below', code: 'glare',
    apply: (image, s, { centre }) => glare(image, s, centre) },
  { id: 'noise', unit: 'Gaussian noise sigma, 8-bit levels', strengths: [3, 6, 12, 20, 35, 50],
    measure: 'colourNoise', threshold: 'maxColourNoise', accept: 'below', code: 'noisy',
    apply: (image, s, { seed }) => {
      // Each channel its own noise, as a sensor's is, from a generator seeded per photo (a fit is repeatable).
      const { normal } = seededRandom(seed);
      return mapPixels(image, (v) => Math.round(v + s * normal()));
    } },
  // No gate measure follows compression (blocks add edges as they remove detail): its curve is reported and its
  // onset stated, and no threshold is fitted.
  { id: 'jpeg', unit: 'JPEG quality', strengths: [80, 60, 40, 25, 15, 8, 4], measure: 'sharpness', threshold: null,
    accept: 'above', code: null, encode: (image, s, { core }) => core.encodeJpeg(image, s) },
  { id: 'smaller', unit: 'shorter side, model input sides', strengths: [1, 0.75, 0.5, 0.375, 0.25, 0.125],
    measure: 'photoSide', threshold: 'minSide', accept: 'above', code: 'too_small',
    apply: (image, s, { inputSide }) => (Math.round(s * inputSide) < Math.min(image.width, image.height)
      ? downscale(image, Math.round(s * inputSide)) : null) },
]);

/**
 * A lesion mask (white on black, the photo's size) as the fit reads it: at the model's input through the model's
 * own crop and resize (for the pointing game), and its centroid in photo pixels (where glare is put).
 * @returns {Promise<{atInput: {data: Uint8Array, width: number, height: number}, centre: number[] | null}>}
 */
export async function lesionMask(core, config, bytes) {
  const { tensor } = await preparePhoto(core, config, bytes);
  const { width, height, layout, mean, std, scale } = config.input;
  const half = scale === '0-255' ? 127.5 : 0.5;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = tensor.data[layout === 'NHWC' ? i * 3 : i] * std[0] + mean[0] > half ? 1 : 0;
  const decoded = await core.decodeImage(bytes);
  let [sx, sy, n] = [0, 0, 0];
  for (let y = 0; y < decoded.height; y++) {
    for (let x = 0; x < decoded.width; x++) {
      if (decoded.rgb[(y * decoded.width + x) * decoded.channels] < 128) continue;
      sx += x + 0.5;
      sy += y + 0.5;
      n += 1;
    }
  }
  return { atInput: { data, width, height }, centre: n ? [sx / n, sy / n] : null };
}

const encodeIfAny = async (core, image) => (image ? core.encodePng(image) : null);

const measureOf = (quality, name) => (name === 'photoSide' ? Math.min(quality.photoWidth, quality.photoHeight) : quality[name]);

/**
 * Runs every degradation at every strength on labelled photos. `photos`: [{name, bytes, label, mask?}] (mask: what
 * lesionMask() reads, for the pointing game and to put glare on the lesion; without one glare goes in the centre). Each row: {photo, degradation, strength, correct, confidence, trueProbability, mapCorrelation,
 * pointing (null without a mask), measure, codes}; strength 0 is the clean photo.
 * @param {object} explainer  a loaded Explainer (web/js/pipeline.mjs)
 * @param {object} core  web/js/core.mjs
 */
export async function measureDegradations(explainer, core, photos, { degradations = DEGRADATIONS, progress = () => {} } = {}) {
  const { width, height } = explainer.config.input;
  const inputSide = Math.min(width, height);
  /** @type {object[]} */
  const rows = [];
  const run = async (bytes, label) => {
    const r = await explainer.analyse({ bytes }, { method: 'gradcam', classIndex: label }, { force: true });
    const top = r.predictions[0];
    return { correct: top.index === label, confidence: top.probability,
      trueProbability: r.predictions.find((p) => p.index === label).probability, map: r.map,
      quality: r.gate.quality, codes: r.gate.accepted ? [] : r.gate.reasons.map((x) => x.code),
      likelyFirst: Boolean(r.gate.reasons[0]?.likely) };
  };
  for (const [n, photo] of photos.entries()) {
    progress(n, photos.length);
    const decoded = await core.decodeImage(photo.bytes);
    const image = { width: decoded.width, height: decoded.height, rgba: new Uint8ClampedArray(decoded.width * decoded.height * 4) };
    for (let i = 0; i < decoded.width * decoded.height; i++) {
      for (let c = 0; c < 3; c++) image.rgba[i * 4 + c] = decoded.rgb[i * decoded.channels + c];
      image.rgba[i * 4 + 3] = 255;
    }
    const clean = await run(photo.bytes, photo.label);
    const row = (degradation, strength, r) => ({ photo: photo.name, skinType: photo.skinType ?? null, degradation, strength, correct: r.correct,
      confidence: r.confidence, trueProbability: r.trueProbability, mapCorrelation: pearson(r.map.data, clean.map.data),
      pointing: photo.mask ? pointingGame(r.map, photo.mask.atInput).hit : null, quality: r.quality, codes: r.codes,
      likelyFirst: r.likelyFirst });
    rows.push({ ...row('clean', 0, clean), measures: Object.fromEntries(degradations.map((d) => [d.measure, measureOf(clean.quality, d.measure)])) });
    for (const degradation of degradations) {
      for (const strength of degradation.strengths) {
        const context = { inputSide, centre: photo.mask?.centre, seed: 7919 * (n + 1), core };
        const bytes = degradation.encode ? await degradation.encode(image, strength, context)
          : await encodeIfAny(core, degradation.apply(image, strength, context));
        if (!bytes) continue;
        const r = await run(bytes, photo.label);
        rows.push({ ...row(degradation.id, strength, r), measure: measureOf(r.quality, degradation.measure) });
      }
    }
  }
  progress(photos.length, photos.length);
  return rows.map(({ quality, ...r }) => r);
}

const median = (values) => {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (values) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN);

/**
 * What each strength does to the model: per degradation, the clean figures then one point per strength
 * {strength, photos, accuracy, confidence, mapCorrelation, pointing, measure (median), refusedForCode}.
 */
export function degradationCurves(rows, degradations = DEGRADATIONS) {
  const figures = (subset, code) => ({ photos: subset.length, accuracy: mean(subset.map((r) => (r.correct ? 1 : 0))),
    confidence: mean(subset.map((r) => r.confidence)), mapCorrelation: median(subset.map((r) => r.mapCorrelation)),
    pointing: subset.some((r) => r.pointing !== null) ? mean(subset.filter((r) => r.pointing !== null).map((r) => (r.pointing ? 1 : 0))) : null,
    measure: median(subset.map((r) => r.measure)), refused: mean(subset.map((r) => (r.codes.length ? 1 : 0))),
    refusedForCode: code ? mean(subset.map((r) => (r.codes[0] === code ? 1 : 0))) : null });
  const clean = figures(rows.filter((r) => r.degradation === 'clean'));
  return { clean, degradations: degradations.map((d) => ({ id: d.id, unit: d.unit, code: d.code, threshold: d.threshold,
    points: d.strengths.map((strength) => ({ strength, ...figures(rows.filter((r) => r.degradation === d.id && r.strength === strength), d.code) }))
      .filter((p) => p.photos > 0) })) };
}

/** Whether a point of a curve is still reliable against the clean figures (RELIABILITY). */
export function reliable(point, clean, criterion = RELIABILITY) {
  if (point.accuracy < clean.accuracy - criterion.accuracyDrop) return false;
  if (point.mapCorrelation < criterion.mapCorrelation) return false;
  if (point.pointing !== null && clean.pointing !== null && point.pointing < clean.pointing - criterion.pointingDrop) return false;
  return true;
}

/**
 * Each degradation's threshold from the rows, in three steps:
 * 1. the onset: the first strength from which the model is no longer reliable (RELIABILITY) at that strength and
 *    every stronger one (a single unlucky point among reliable ones is noise of a small photo set, not an onset);
 * 2. the model's threshold: the measure's value that best separates the photos the model still reads (the clean
 *    ones and those at strengths below the onset) from those at the onset and beyond: the highest balanced accuracy
 *    of accepting the first and refusing the second, the middle of the gap among equals;
 * 3. the applied threshold: the model's, moved towards leniency until it accepts at least `cleanAcceptance` (all)
 *    of the clean photos (those measured here and `cleanPhotos`: [{measures, skinType}]; a fitted threshold refuses
 *    no clean photo the default accepts, so acceptance cannot fall), `cleanTypeAcceptance` (all) of each skin
 *    type's (a group kept whole is kept with a margin past its extreme: the spread of its last percent), and
 *    `typeAcceptance` (97%) of each skin type's swept photos the model still reads (a measure that cannot tell a
 *    dimmed photo of fair skin from a correctly exposed one of dark skin must not refuse dark skin), and never more
 *    lenient than the core's default (the defaults are the least a clinician would accept of any photo; a model may
 *    only ask for more).
 * A degradation with a `likely` level (washedout) also sets it to the onset: `fit.likely` {threshold, value}.
 * No onset within the strengths tried: the default stays, since nothing showed where the model fails.
 * @returns {{quality: Record<string, number>, decided: string[], fits: object[], curves: object}} quality: the
 *   gate.quality values that differ from the core's defaults; decided: every gate.quality key the fit chose (at a
 *   default or not), which an earlier fit's value must not outlive
 */
export function fitQualityThresholds(rows, { degradations = DEGRADATIONS, criterion = RELIABILITY, cleanAcceptance = 1,
  cleanTypeAcceptance = 1, typeAcceptance = 0.97, cleanPhotos = [] } = {}) {
  if (!rows.some((r) => r.degradation === 'clean')) throw new DermcamError('too_few_photos', 'No clean photo was measured.');
  // The clean photos that guard acceptance: the degraded ones' and any others measured (fit-gate passes every photo
  // it read: a quantile of 60 photos cannot promise 99.8% of thousands).
  const sweptClean = rows.filter((r) => r.degradation === 'clean');
  const cleanRows = [...sweptClean, ...cleanPhotos];
  const { clean, degradations: curves } = degradationCurves(rows, degradations);
  const quality = {};
  const fits = [];
  for (const d of degradations) {
    if (!d.threshold) {
      const points = curves.find((c) => c.id === d.id).points;
      const failing = points.map((p) => !reliable(p, clean, criterion));
      const first = failing.findIndex((_, i) => failing.slice(i).every(Boolean));
      fits.push({ degradation: d.id, threshold: null, code: null, onset: first >= 0 ? points[first].strength : null, model: null,
        value: null, acceptedBelow: null, refusedBeyond: null, cleanAccepted: null, limitedBy: 'no gate measure' });
      continue;
    }
    const range = QUALITY_RANGES[d.threshold];
    const passes = (v, t) => (d.accept === 'above' ? v >= t : v <= t);
    const lenient = (a, b) => (d.accept === 'above' ? Math.min(a, b) : Math.max(a, b));
    const points = curves.find((c) => c.id === d.id).points;
    const failing = points.map((p) => !reliable(p, clean, criterion));
    const first = failing.findIndex((_, i) => failing.slice(i).every(Boolean));
    const onset = first >= 0 ? points[first].strength : null;
    const fit = { degradation: d.id, threshold: d.threshold, code: d.code, onset, model: null, value: range.default,
      acceptedBelow: null, refusedBeyond: null, cleanAccepted: null, limitedBy: onset === null ? 'no onset' : null };
    fits.push(fit);
    const mine = rows.filter((r) => r.degradation === d.id && Number.isFinite(r.measure));
    const index = onset === null ? Infinity : d.strengths.indexOf(onset);
    const cleanValues = cleanRows.map((r) => r.measures[d.measure]).filter(Number.isFinite);
    // The separation weighs the swept photos only, clean and degraded alike; every clean photo guards acceptance.
    const good = [...sweptClean.map((r) => r.measures[d.measure]).filter(Number.isFinite), ...mine.filter((r) => d.strengths.indexOf(r.strength) < index).map((r) => r.measure)];
    const bad = mine.filter((r) => d.strengths.indexOf(r.strength) >= index).map((r) => r.measure);
    if (onset !== null && bad.length) {
      const values = [...new Set([...good, ...bad])].sort((a, b) => a - b);
      const candidates = [values[0] - 1e-9, ...values.slice(1).map((v, i) => (v + values[i]) / 2), values.at(-1) + 1e-9];
      let best = { score: -1, ties: [] };
      for (const t of candidates) {
        const score = (good.filter((v) => passes(v, t)).length / good.length + bad.filter((v) => !passes(v, t)).length / bad.length) / 2;
        if (score > best.score + 1e-12) best = { score, ties: [t] };
        else if (Math.abs(score - best.score) <= 1e-12) best.ties.push(t);
      }
      let value = best.ties[Math.floor((best.ties.length - 1) / 2)];
      value = range.integer ? (d.accept === 'above' ? Math.ceil(value) : Math.floor(value)) : Number(value.toPrecision(3));
      fit.model = value;
      const round = (v) => { // to 3 significant digits, towards leniency (a rounded threshold still accepts what it did)
        if (range.integer || v === 0) return v;
        const unit = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 2);
        return (d.accept === 'above' ? Math.floor(v / unit) : Math.ceil(v / unit)) * unit;
      };
      // Clean photos first: overall, then each skin type.
      const byType = new Map();
      for (const r of cleanRows) {
        if (r.skinType && Number.isFinite(r.measures[d.measure])) byType.set(r.skinType, [...(byType.get(r.skinType) ?? []), r.measures[d.measure]]);
      }
      // And, of each skin type, the swept photos the model still reads (clean and below the onset): a threshold
      // that refuses a mildly dimmed photo of dark skin, which the model reads, is not fair to it.
      const readByType = new Map();
      for (const r of sweptClean) {
        if (r.skinType && Number.isFinite(r.measures[d.measure])) readByType.set(r.skinType, [...(readByType.get(r.skinType) ?? []), r.measures[d.measure]]);
      }
      for (const r of mine) {
        if (r.skinType && d.strengths.indexOf(r.strength) < index) readByType.set(r.skinType, [...(readByType.get(r.skinType) ?? []), r.measure]);
      }
      const groups = [[cleanValues, cleanAcceptance], ...[...byType.values()].map((v) => [v, cleanTypeAcceptance]),
        ...[...readByType.values()].map((v) => [v, typeAcceptance])];
      for (const [values, share] of groups) {
        const sorted = [...values].sort((a, b) => (d.accept === 'above' ? a - b : b - a));
        // The value that lets `share` of this group through: its (1 - share) quantile from the refusing side.
        let allowed = sorted[Math.min(sorted.length - 1, Math.floor((1 - share) * sorted.length))];
        if (share >= 1 && sorted.length > 1) {
          // Kept whole, a group is kept up to its most extreme photo, and unseen photos like it spread beyond any
          // sample's extreme: about as far as the sample's own last percent spreads, so the threshold moves on by
          // that much. (Set on the extreme of 1920 fit photos, maxDarkLevel 0.648 refused 0.7% more of the unseen
          // type I photos, whose darkest parts reach 0.68.)
          const tail = sorted[Math.max(1, Math.floor(0.01 * sorted.length))];
          allowed = lenient(allowed, allowed + (allowed - tail));
        }
        if (!passes(allowed, value) || sorted.filter((v) => passes(v, value)).length / sorted.length < share) {
          const relaxed = lenient(value, allowed);
          if (relaxed !== value) fit.limitedBy = groups[0][0] === values ? 'clean photos' : 'a skin type';
          value = relaxed;
        }
      }
      if (lenient(value, range.default) === value && value !== range.default) {
        value = range.default;
        fit.limitedBy = 'default';
      }
      fit.value = Math.min(range.max, Math.max(range.min, Number(round(value).toPrecision(3))));
    }
    fit.cleanAccepted = cleanValues.filter((v) => passes(v, fit.value)).length / Math.max(1, cleanValues.length);
    fit.cleanPhotos = cleanValues.length;
    fit.acceptedBelow = good.length ? good.filter((v) => passes(v, fit.value)).length / good.length : null;
    fit.refusedBeyond = bad.length ? bad.filter((v) => !passes(v, fit.value)).length / bad.length : null;
    if (fit.value !== range.default) quality[d.threshold] = fit.value;
    if (d.likely && onset !== null) {
      const likelyRange = QUALITY_RANGES[d.likely];
      fit.likely = { threshold: d.likely, value: Math.min(likelyRange.max, Math.max(likelyRange.min, onset)) };
      if (fit.likely.value !== likelyRange.default) quality[d.likely] = fit.likely.value;
    }
  }
  const decided = degradations.flatMap((d) => [d.threshold, d.likely]).filter((key) => typeof key === 'string');
  return { quality, decided, fits, curves: { clean, degradations: curves } };
}

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

/**
 * The curves as an SVG figure for REPORT.md: one panel per degradation, strength along x (evenly spaced, clean
 * first), accuracy (solid), calibrated confidence (dashed) and the map's correlation with the clean map (dotted)
 * from 0 to 1, the onset marked by a red line.
 */
export function curvesSvg({ curves, fits }) {
  const [panelWidth, panelHeight, columns] = [280, 170, 3];
  const rows = Math.ceil(curves.degradations.length / columns);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${columns * panelWidth}" height="${rows * panelHeight + 30}" ` +
    'font-family="sans-serif" font-size="10">', `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="${rows * panelHeight + 20}">solid: accuracy · dashed: calibrated confidence · dotted: map correlation with the clean photo's · red: onset</text>`];
  curves.degradations.forEach((curve, k) => {
    const [ox, oy] = [(k % columns) * panelWidth, Math.floor(k / columns) * panelHeight];
    const [left, top, width, height] = [ox + 30, oy + 22, panelWidth - 45, panelHeight - 52];
    const points = [{ strength: 'clean', ...curves.clean }, ...curve.points];
    const x = (i) => left + (i * width) / Math.max(1, points.length - 1);
    const y = (v) => top + height * (1 - v);
    parts.push(`<text x="${ox + 8}" y="${oy + 14}" font-weight="bold">${escapeXml(curve.id)} (${escapeXml(curve.unit)})</text>`,
      `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`);
    for (const v of [0, 0.5, 1]) parts.push(`<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${v}</text>`);
    points.forEach((p, i) => parts.push(`<text x="${x(i)}" y="${top + height + 12}" text-anchor="middle">${escapeXml(p.strength)}</text>`));
    const fit = fits.find((f) => f.degradation === curve.id);
    const onset = points.findIndex((p) => p.strength === fit?.onset);
    if (onset > 0) parts.push(`<line x1="${x(onset)}" x2="${x(onset)}" y1="${top}" y2="${top + height}" stroke="#c00"/>`);
    for (const [key, dash] of [['accuracy', ''], ['confidence', ' stroke-dasharray="5 3"'], ['mapCorrelation', ' stroke-dasharray="1 2"']]) {
      const line = points.map((p, i) => `${x(i).toFixed(1)},${y(Math.max(0, Math.min(1, p[key] ?? 0))).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${line}" fill="none" stroke="#124" stroke-width="1.5"${dash}/>`);
    }
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** REPORT.md's section: the criterion, each degradation's curve as a table, and the thresholds chosen. */
export function qualityReport({ photos, curves, fits }, { figure = null } = {}) {
  const lines = ['## Photo quality the model can read', '',
    `Each degradation was applied at growing strengths to ${photos} labelled photos and the model asked again ` +
    '(`dermcam fit-gate --fit-quality`, scripts/quality-fit.mjs). A strength is **reliable** while accuracy stays within ' +
    `${100 * RELIABILITY.accuracyDrop} points of the clean photos', the median correlation of the true class's Grad-CAM map ` +
    `with the clean photo's stays at least ${RELIABILITY.mapCorrelation}, and (with lesion masks) the pointing game stays ` +
    `within ${100 * RELIABILITY.pointingDrop} points. The **onset** is the first strength from which no stronger one is ` +
    'reliable. The model\'s threshold best separates the photos it reads (clean and below the onset) from those at the ' +
    'onset and beyond; the applied one then keeps every clean photo the default keeps, 97% of each skin ' +
    'type\'s photos the model still reads, and is never more lenient than the core\'s default.', ''];
  if (figure) lines.push(`![How the model's answers and maps fall as each degradation grows](${figure})`, '');
  lines.push('| Degradation | Gate threshold | Onset | Model\'s value | Applied | Why | Photos below accepted | At or beyond refused |',
    '|---|---|---:|---:|---:|---|---:|---:|',
    ...fits.map((f) => `| ${f.degradation} | ${f.threshold ? `${f.threshold} (${f.code})` : 'none'} | ${f.onset ?? 'none'} | ` +
      `${num(f.model)} | ${num(f.value)} | ${f.limitedBy ?? 'model'} | ${pct(f.acceptedBelow)} | ${pct(f.refusedBeyond)} |`), '',
    ...curveTables(curves));
  return lines.join('\n');
}

const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : 'n/a');
const num = (v) => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : 'n/a');

/** The curves as Markdown lines: the clean figures, then one table per degradation (a ### heading each). */
export function curveTables(curves) {
  const lines = [`Clean photos: accuracy ${pct(curves.clean.accuracy)}, calibrated confidence ${num(curves.clean.confidence)}` +
    (curves.clean.pointing !== null ? `, pointing game ${pct(curves.clean.pointing)}` : '') + '.', ''];
  for (const c of curves.degradations) {
    lines.push(`### ${c.id} (${c.unit})`, '',
      `| Strength | Accuracy | Confidence | Map correlation | Pointing | Measure (median) | Refused | ${c.code ? `Refused as ${c.code} first` : 'Refused (no code of its own)'} |`,
      '|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...c.points.map((p) => `| ${p.strength} | ${pct(p.accuracy)} | ${num(p.confidence)} | ${num(p.mapCorrelation)} | ` +
        `${p.pointing === null ? 'n/a' : pct(p.pointing)} | ${num(p.measure)} | ${pct(p.refused)} | ${pct(p.refusedForCode)} |`), '');
  }
  return lines;
}
