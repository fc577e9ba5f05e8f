// @ts-check
// A model audited on labelled photos, as a patient meets it (the gate first, then the calibrated answer and its
// prediction set): the figures `dermcam pack` writes in REPORT.md and the audit screen shows and prints, from one
// row per photo (Explainer.assess). Also how a dropped folder of labelled photos and a skin-type CSV are read.
// Everything here is arithmetic on rows; no photo and no model is needed to test it.
import { calibrationError } from './calibration.mjs';
import { csvRows } from './csv.mjs';

/** Fitzpatrick skin types, as REPORT.md and the audit name them. */
export const SKIN_TYPES = Object.freeze(['I', 'II', 'III', 'IV', 'V', 'VI']);
/** The file names read as photos (stb_image's formats, and the ones a browser decodes). */
export const PHOTO_EXTENSIONS = Object.freeze(['.jpg', '.jpeg', '.png', '.bmp', '.gif', '.webp', '.heic', '.tif', '.tiff']);

/**
 * One labelled photo's audit: its true class, the model's answer and probabilities (calibrated; for a photo the
 * gate refused, the answer it would have given), whether the gate accepted it and why not, its prediction set
 * (null when refused or when the model has none) and its skin type when known.
 * @typedef {{label: number, predicted: number, probabilities: number[], accepted: boolean, reasons: string[],
 *   set: number[] | null, skinType: string | null}} AuditRow
 * @typedef {{photos: number, accepted: number, acceptance: number, accuracyAccepted: number, accuracyAll: number,
 *   recall: number[], recallPhotos: number[], ece: number, coverage: number, meanSetSize: number, withSets: number}} AuditSummary
 */

const ratio = (count, n) => (n ? count / n : NaN);

/**
 * The Wilson score interval (95%) of a share of n: how far the true share may be from what n photos show.
 * @param {number} fraction @param {number} n @returns {{low: number, high: number}}
 */
export function wilsonInterval(fraction, n) {
  if (!Number.isFinite(fraction) || !(n > 0)) return { low: NaN, high: NaN };
  const z = 1.96;
  const centre = (fraction + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z / (1 + (z * z) / n)) * Math.sqrt((fraction * (1 - fraction)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Accuracy (of the accepted photos, and of all analysed anyway), recall per class (all photos), expected
 * calibration error and prediction-set coverage and size (accepted photos), and the gate's acceptance.
 * @param {AuditRow[]} rows @param {number} classes @returns {AuditSummary}
 */
export function summariseAudit(rows, classes) {
  const accepted = rows.filter((r) => r.accepted);
  const correct = (list) => list.filter((r) => r.predicted === r.label).length;
  const withSets = accepted.filter((r) => r.set && r.set.length);
  const recallPhotos = Array.from({ length: classes }, (_, k) => rows.filter((r) => r.label === k).length);
  return {
    photos: rows.length,
    accepted: accepted.length,
    acceptance: ratio(accepted.length, rows.length),
    accuracyAccepted: ratio(correct(accepted), accepted.length),
    accuracyAll: ratio(correct(rows), rows.length),
    recall: recallPhotos.map((n, k) => ratio(correct(rows.filter((r) => r.label === k)), n)),
    recallPhotos,
    ece: accepted.length ? calibrationError(accepted.map((r) => r.probabilities), accepted.map((r) => r.label)).ece : NaN,
    coverage: ratio(withSets.filter((r) => r.set?.includes(r.label)).length, withSets.length),
    meanSetSize: ratio(withSets.reduce((s, r) => s + (r.set?.length ?? 0), 0), withSets.length),
    withSets: withSets.length,
  };
}

/** counts[true class][the model's answer], over all rows. @param {AuditRow[]} rows @param {number} classes */
export function confusionMatrix(rows, classes) {
  const counts = Array.from({ length: classes }, () => new Array(classes).fill(0));
  for (const r of rows) counts[r.label][r.predicted] += 1;
  return counts;
}

/** How often the gate gave each refusal reason. @param {AuditRow[]} rows @returns {Record<string, number>} */
export function refusalCounts(rows) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const r of rows) for (const code of r.reasons) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

/** The summary of each skin type that has photos, in I-VI order. @param {AuditRow[]} rows @param {number} classes */
export function bySkinType(rows, classes) {
  return SKIN_TYPES.filter((type) => rows.some((r) => r.skinType === type))
    .map((type) => ({ type, summary: summariseAudit(rows.filter((r) => r.skinType === type), classes) }));
}

/**
 * The pointing game (Zhang et al. 2018) and the map's energy inside a lesion mask, for one photo: whether the map's
 * highest point falls on the lesion, and the share of the map's sum there. The mask (1 on the lesion) is sampled
 * at the map's pixels (nearest), so it may have the model's input size while the map has another.
 * @param {{data: ArrayLike<number>, width: number, height: number}} map
 * @param {{data: ArrayLike<number>, width: number, height: number}} mask
 * @returns {{hit: boolean, energy: number, area: number}} area: the share of the map's pixels on the lesion
 */
export function pointingGame(map, mask) {
  let best = -Infinity;
  let hit = false;
  let inside = 0;
  let total = 0;
  let area = 0;
  for (let y = 0; y < map.height; y++) {
    const my = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / map.height));
    for (let x = 0; x < map.width; x++) {
      const mx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / map.width));
      const value = map.data[y * map.width + x];
      const onLesion = mask.data[my * mask.width + mx] > 0;
      if (value > best) {
        best = value;
        hit = onLesion;
      }
      total += Math.max(0, value);
      if (onLesion) {
        inside += Math.max(0, value);
        area += 1;
      }
    }
  }
  return { hit, energy: total > 0 ? inside / total : 0, area: area / (map.width * map.height) };
}

/** The pointing game over photos: the share of hits, the mean energy inside and the mean lesion area (the baseline). */
export function summarisePointing(results) {
  const n = results.length;
  const mean = (f) => (n ? results.reduce((s, r) => s + f(r), 0) / n : NaN);
  return { photos: n, pointing: mean((r) => (r.hit ? 1 : 0)), energy: mean((r) => r.energy), area: mean((r) => r.area) };
}

/**
 * The measured section of a model card (model.json's card.metrics) from an audit: rounded, and only what was
 * measured (no set figures for a model without prediction sets).
 * @param {AuditSummary} summary @param {{id: string}[]} labels @param {ReturnType<typeof bySkinType>} [types]
 * @param {ReturnType<typeof summarisePointing> | null} [pointing]
 */
export function cardMetrics(summary, labels, types = [], pointing = null) {
  const round = (x, digits = 4) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : undefined);
  /** @param {AuditSummary} s */
  const figures = (s) => Object.fromEntries(Object.entries({ photos: s.photos, gateAcceptance: round(s.acceptance),
    accuracyAccepted: round(s.accuracyAccepted), accuracyAll: round(s.accuracyAll), ece: round(s.ece),
    setCoverage: s.withSets ? round(s.coverage) : undefined, meanSetSize: s.withSets ? round(s.meanSetSize, 3) : undefined })
    .filter(([, v]) => v !== undefined));
  return {
    ...figures(summary),
    recall: Object.fromEntries(labels.map((l, k) => [l.id, round(summary.recall[k])]).filter(([, v]) => v !== undefined)),
    ...(pointing?.photos ? { pointingGame: round(pointing.pointing), energyInsideMask: round(pointing.energy), maskPhotos: pointing.photos } : {}),
    ...(types.length ? { bySkinType: Object.fromEntries(types.map(({ type, summary: s }) => [type, figures(s)])) } : {}),
  };
}

/**
 * Skin types by photo from a CSV with columns `photo` (its path under the labelled folder, e.g. nevus/a.jpg) and
 * `type` (I-VI or 1-6). `known` is every photo path there; a row naming another photo, or another type, is a
 * problem: {line, kind: 'type' | 'photo', value}. `missing` lists absent columns.
 * @param {string} text @param {Set<string>} known
 */
export function readSkinTypes(text, known) {
  const { rows, missing } = csvRows(text, ['photo', 'type']);
  /** @type {Map<string, string>} */
  const types = new Map();
  /** @type {Array<{line: number, kind: 'type' | 'photo', value: string}>} */
  const problems = [];
  for (const row of rows) {
    const type = /^[1-6]$/.test(row.type) ? SKIN_TYPES[Number(row.type) - 1] : row.type.toUpperCase();
    const photo = row.photo.replace(/\\/g, '/').replace(/^\.\//, '');
    if (!SKIN_TYPES.includes(type)) problems.push({ line: row.line, kind: 'type', value: row.type });
    else if (!known.has(photo)) problems.push({ line: row.line, kind: 'photo', value: row.photo });
    else types.set(photo, type);
  }
  return { types, problems, missing };
}

/**
 * A dropped folder of labelled photos: `paths` are the files' paths under it ('nevus/a.jpg'; the folder's own name
 * already taken off). A photo belongs to the label its first folder names; what does not fit is listed: folders
 * that name no label, photos outside any label folder, labels without photos, and CSV files at the top (a
 * skin-type table). Files that are not photos (.DS_Store, notes) are ignored.
 * @param {string[]} paths @param {string[]} labelIds
 */
export function sortLabelledPaths(paths, labelIds) {
  /** @type {Array<{path: string, label: number}>} */
  const photos = [];
  const unknownFolders = new Set();
  const loose = [];
  const tables = [];
  for (const path of [...paths].sort()) {
    const parts = path.split('/');
    const name = parts[parts.length - 1].toLowerCase();
    if (parts.length === 1 && name.endsWith('.csv')) tables.push(path);
    if (!PHOTO_EXTENSIONS.some((ext) => name.endsWith(ext)) || name.startsWith('.')) continue;
    if (parts.length === 1) {
      loose.push(path);
      continue;
    }
    const label = labelIds.indexOf(parts[0]);
    if (label < 0) unknownFolders.add(parts[0]);
    else photos.push({ path, label });
  }
  const counts = labelIds.map((_, k) => photos.filter((p) => p.label === k).length);
  return { photos, counts, unknownFolders: [...unknownFolders], loose, tables,
    empty: labelIds.filter((_, k) => counts[k] === 0) };
}

/**
 * File paths as a folder input or a drop gives them ('clinic-photos/nevus/a.jpg'), made relative to the labelled
 * folder: the folder the person chose is taken off when every path is under it and it is not itself a label
 * (dropping the label folders themselves gives 'nevus/a.jpg' already).
 * @param {string[]} paths @param {string[]} labelIds @returns {string[]}
 */
export function underChosenFolder(paths, labelIds) {
  const clean = paths.map((p) => p.replace(/^\/+/, ''));
  const firsts = new Set(clean.map((p) => p.split('/')[0]));
  const [first] = firsts;
  const chosen = firsts.size === 1 && clean.every((p) => p.includes('/')) && !labelIds.includes(first);
  return chosen ? clean.map((p) => p.slice(p.indexOf('/') + 1)) : clean;
}
