// `dermcam pack`: from a trained classifier and labelled photos to a model folder a site can serve
// (build-dist --model DIR): the explain graph, the int8 variant when it agrees with float32, the photo gate,
// the temperature and the prediction sets fitted on one split of the photos, an evaluation on another, model.json
// with a card whose measured parts are filled in and whose prose is marked to be written, and REPORT.md.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';

import { bySkinType, cardMetrics, confusionMatrix, pointingGame, readSkinTypes as skinTypesFrom, refusalCounts, summariseAudit,
  summarisePointing, wilsonInterval } from '../web/js/audit.mjs';
import { pearson } from '../web/js/correlation.mjs';
import { csvRows as parseCsv } from '../web/js/csv.mjs';
import { CARD_TO_WRITE, validateModelConfig } from '../web/js/model-config.mjs';
import { DermcamError } from '../web/js/errors.mjs';
import { decodeModel, toNumber } from '../web/js/onnx/model.mjs';
import { verifiedExplainMetadata } from '../web/js/onnx/metadata.mjs';
import { GATE_SCHEMA } from '../web/js/gate.mjs';
import { preparePhoto } from '../web/js/photo-analysis.mjs';
import { IMAGE_EXTENSIONS, hashOf, loadWebOrt, photosIn, readInput } from './cli-files.mjs';
import { fitDescription } from './fit-model.mjs';
import { curvesSvg, qualityReport } from './quality-fit.mjs';
import { quantizeWeights } from './quantize.mjs';

/** What the int8 variant must agree with float32 on, on the held-out photos, to be the one served. */
export const INT8_LIMITS = Object.freeze({ top1Agreement: 0.98, meanAbsProbability: 0.01, camCorrelationP05: 0.9 });
const HELD_OUT = 0.2;  // the share of each class's photos kept for the evaluation (chosen by a hash of the path)

export class PackInputError extends DermcamError {
  constructor(message) {
    super('pack_input', message);
  }
}

const say = (text) => console.error(`pack: ${text}`);

// ---- inputs --------------------------------------------------------------------------------------------------

function csvRows(text, what, required) {
  const { rows, missing, empty } = parseCsv(text, required);
  if (empty) throw new PackInputError(`${what} is empty.`);
  if (missing.length) throw new PackInputError(`${what} needs a header line with ${required.join(', ')} (missing: ${missing.join(', ')}).`);
  return rows;
}

/**
 * The labels, in the model's output order: a JSON list of {id, en, vi, advice?: {en, vi}}, or a CSV with columns
 * id, en, vi (and optionally advice_en, advice_vi). Both languages are required: a patient reads them.
 */
export async function readLabels(path) {
  const text = new TextDecoder().decode(await readInput(path, `the labels ${path}`));
  let labels;
  if (extname(path).toLowerCase() === '.csv') {
    labels = csvRows(text, path, ['id', 'en', 'vi']).map((row) => ({ id: row.id, en: row.en, vi: row.vi, line: row.line,
      ...(row.advice_en || row.advice_vi ? { advice: { en: row.advice_en, vi: row.advice_vi } } : {}) }));
  } else {
    try {
      labels = JSON.parse(text);
    } catch (error) {
      throw new PackInputError(`${path} is not JSON (${error.message}); give a list of {"id", "en", "vi"} or a .csv.`);
    }
    if (!Array.isArray(labels)) throw new PackInputError(`${path} must hold a JSON list of {"id", "en", "vi"}.`);
  }
  const problems = [];
  const ids = new Set();
  labels.forEach((label, i) => {
    const where = label?.line ? `line ${label.line}` : `entry ${i + 1}`;
    if (!label || typeof label !== 'object') return problems.push(`${where} is not an object`);
    if (typeof label.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(label.id)) problems.push(`${where}: id must be letters, digits, _ . or - (a folder name)`);
    else if (ids.has(label.id)) problems.push(`${where}: id '${label.id}' is used twice`);
    ids.add(label.id);
    for (const lang of ['en', 'vi']) if (typeof label[lang] !== 'string' || !label[lang].trim()) problems.push(`${where}: no '${lang}' name`);
    if (label.advice && (!label.advice.en || !label.advice.vi)) problems.push(`${where}: advice needs both en and vi`);
  });
  if (labels.length < 2) problems.push(`${labels.length} label(s): a classifier needs at least 2`);
  if (problems.length) throw new PackInputError(`${path}: ${problems.join('; ')}.`);
  return labels.map(({ line: _line, ...label }) => label);
}

/** The labelled photos: one subfolder per label id, none empty, no other subfolders, no loose photos. */
export async function readPhotos(folder, labels) {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new PackInputError(`${folder} is not a folder.`);
  const entries = await readdir(folder, { withFileTypes: true });
  const ids = labels.map((l) => l.id);
  const unknown = entries.filter((e) => e.isDirectory() && !ids.includes(e.name)).map((e) => e.name);
  const loose = entries.filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())).map((e) => e.name);
  const photos = await photosIn(folder, ids);
  const counts = ids.map((_, k) => photos.filter((p) => p.label === k).length);
  const empty = ids.filter((_, k) => counts[k] === 0);
  const problems = [];
  if (unknown.length) problems.push(`subfolders that are no label id: ${unknown.join(', ')} (the ids: ${ids.join(', ')})`);
  if (empty.length) problems.push(`no photos for ${empty.join(', ')} (each label needs a subfolder of photos)`);
  if (loose.length) problems.push(`${loose.length} photo(s) outside the label subfolders (${loose.slice(0, 3).join(', ')}${loose.length > 3 ? ', ...' : ''})`);
  if (problems.length) throw new PackInputError(`${folder}: ${problems.join('; ')}.`);
  return { photos, counts };
}

/** Fitzpatrick skin types by photo: a CSV with columns photo (relative to the photos folder) and type (I-VI or 1-6). */
export async function readSkinTypes(path, photos, folder) {
  const text = new TextDecoder().decode(await readInput(path, `the skin types ${path}`));
  csvRows(text, path, ['photo', 'type']);  // the same errors for an empty file or a missing column
  const { types, problems } = skinTypesFrom(text, new Set(photos.map((p) => relative(folder, p.path).split(sep).join('/'))));
  const said = problems.map(({ line, kind, value }) => (kind === 'type'
    ? `line ${line}: type '${value}' is not I-VI or 1-6` : `line ${line}: no photo ${value} under ${folder}`));
  if (said.length) throw new PackInputError(`${path}: ${said.slice(0, 5).join('; ')}${said.length > 5 ? `; and ${said.length - 5} more` : ''}.`);
  return types;
}

/**
 * Lesion masks by photo path: for a photo <label>/<name>.<ext> under the photos folder, <label>/<name>.png (or the
 * same file name) under `folder`, white on the lesion. Photos without a mask are not scored; no mask at all is an error.
 */
export async function readMasks(folder, photos, photosFolder) {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new PackInputError(`${folder} is not a folder.`);
  const masks = new Map();
  for (const photo of photos) {
    const path = relative(photosFolder, photo.path);
    const stem = path.slice(0, path.length - extname(path).length);
    const found = [`${stem}.png`, path].map((p) => join(folder, p)).find((p) => existsSync(p));
    if (found) masks.set(photo.path, found);
  }
  if (!masks.size) {
    throw new PackInputError(`${folder} holds no mask for any photo: a photo <label>/<name>.jpg needs <label>/<name>.png there.`);
  }
  return masks;
}

// A mask as the model sees its photo: the same crop and resize (the core's preprocessing), then 1 where it is light.
async function maskAtInput(core, config, bytes) {
  const { tensor } = await preparePhoto(core, config, bytes);
  const { width, height, layout, mean, std, scale } = config.input;
  const half = scale === '0-255' ? 127.5 : 0.5;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = tensor.data[layout === 'NHWC' ? i * 3 : i] * std[0] + mean[0] > half ? 1 : 0;
  return { data, width, height };
}

/** The model's image input as model.json describes it, from the graph (size and layout) and the options. */
export function inputDescription(model, values) {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) throw new PackInputError(`The model has ${inputs.length} inputs; dermcam explains classifiers of one image.`);
  const dims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null &&
    toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null));
  if (dims.length !== 4) throw new PackInputError(`The model's input '${inputs[0].name}' has ${dims.length} dimensions; an image classifier takes 4 ([1, 3, H, W] or [1, H, W, 3]).`);
  const layout = dims[1] === 3 ? 'NCHW' : dims[3] === 3 ? 'NHWC' : null;
  if (!layout) throw new PackInputError(`The model's input [${dims.map((d) => d ?? '?').join(', ')}] has no 3-channel axis second or last.`);
  let [height, width] = layout === 'NCHW' ? dims.slice(2) : dims.slice(1, 3);
  if (values['input-size']) {
    const m = /^(\d+)x(\d+)$/.exec(values['input-size']);
    if (!m) throw new PackInputError(`--input-size must be WIDTHxHEIGHT (got '${values['input-size']}').`);
    [width, height] = [Number(m[1]), Number(m[2])];
  }
  if (!width || !height) throw new PackInputError('The model\'s input size is not fixed in the graph: give --input-size WIDTHxHEIGHT.');
  const triple = (name, fallback) => {
    if (values[name] === undefined) return fallback;
    const v = values[name].split(',').map(Number);
    if (v.length !== 3 || !v.every(Number.isFinite)) throw new PackInputError(`--${name} must be three numbers R,G,B (got '${values[name]}').`);
    return v;
  };
  return { width, height, layout, scale: values.scale ?? '0-1', mean: triple('mean', [0.485, 0.456, 0.406]),
    std: triple('std', [0.229, 0.224, 0.225]), resize: values.resize ?? 'center-crop', filter: 'triangle' };
}

/** Each class's photos split by a hash of their path: the first HELD_OUT of them (at least 1) held out. */
export function splitPhotos(photos, folder, classes) {
  const fit = [];
  const heldOut = [];
  for (let k = 0; k < classes; k++) {
    const mine = photos.filter((p) => p.label === k)
      .sort((a, b) => hashOf(relative(folder, a.path)).localeCompare(hashOf(relative(folder, b.path))));
    const n = mine.length < 2 ? 0 : Math.max(1, Math.round(mine.length * HELD_OUT));
    heldOut.push(...mine.slice(0, n));
    fit.push(...mine.slice(n));
  }
  return { fit, heldOut };
}

// ---- the card --------------------------------------------------------------------------------------------------

function cardScaffold(measured) {
  const toWrite = (en, vi) => ({ en: `${CARD_TO_WRITE.en}: ${en}`, vi: `${CARD_TO_WRITE.vi}: ${vi}` });
  return {
    summary: toWrite('what this model does, in two sentences a patient understands, and that it is not a diagnosis.',
      'mô hình này làm gì, trong hai câu bệnh nhân hiểu được, và rằng nó không phải là chẩn đoán.'),
    data: toWrite('the photos it was trained on: how many, from where, which devices, which skin types.',
      'ảnh đã dùng để huấn luyện: bao nhiêu, từ đâu, thiết bị nào, những loại da nào.'),
    intendedUse: toWrite('who should use it, for what, and what it must not be used for.',
      'ai nên dùng, dùng để làm gì, và không được dùng vào việc gì.'),
    limits: toWrite('what it cannot see or tell apart, where it was not evaluated (REPORT.md), and to see a doctor.',
      'những gì mô hình không thấy hoặc không phân biệt được, những nơi chưa được đánh giá (REPORT.md), và hãy đi khám bác sĩ.'),
    licence: `${CARD_TO_WRITE.en}: the licence`,
    provenance: toWrite('who trained it, when, and who to contact.', 'ai đã huấn luyện, khi nào, và liên hệ với ai.'),
    metrics: measured,
  };
}

// ---- measuring -------------------------------------------------------------------------------------------------

const quantile = (values, q) => {
  const s = [...values].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

// Every photo's forced analysis (predictions and a Grad-CAM map whatever the gate says), unreadable ones skipped.
async function forcedRuns(explainer, photos, skipped) {
  const out = new Map();
  for (const photo of photos) {
    try {
      const r = await explainer.analyse({ bytes: await readInput(photo.path, 'the photo') }, { method: 'gradcam' }, { force: true });
      out.set(photo.path, { probabilities: [...r.predictions].sort((a, b) => a.index - b.index).map((p) => p.probability),
        map: r.map.data });
    } catch (error) {
      skipped.set(photo.path, error.message);
    }
  }
  return out;
}

/** How the int8 model agrees with float32 on `photos`: top-1, mean |probability difference|, CAM correlation. */
async function int8Agreement(fp32, int8, photos, skipped) {
  const [a, b] = [await forcedRuns(fp32, photos, skipped), await forcedRuns(int8, photos, skipped)];
  const rows = [...a.keys()].filter((k) => b.has(k)).map((k) => [a.get(k), b.get(k)]);
  const top = (p) => p.indexOf(Math.max(...p));
  const agree = rows.filter(([x, y]) => top(x.probabilities) === top(y.probabilities)).length;
  const diffs = rows.flatMap(([x, y]) => x.probabilities.map((p, i) => Math.abs(p - y.probabilities[i])));
  const correlations = rows.map(([x, y]) => pearson(x.map, y.map));
  return { photos: rows.length, top1Agreement: agree / Math.max(1, rows.length),
    meanAbsProbability: diffs.reduce((s, d) => s + d, 0) / Math.max(1, diffs.length),
    maxAbsProbability: Math.max(0, ...diffs), camCorrelationP05: quantile(correlations, 0.05),
    camCorrelationMedian: quantile(correlations, 0.5) };
}

/** The held-out evaluation, as a patient meets the model: the gate first, then the (calibrated) answer and its set. */
// With lesion masks, the pointing game of the true class's Grad-CAM map on each masked photo (gate or not: it
// measures where the model looks, not what a patient is shown).
async function evaluate(explainer, photos, folder, skinTypes, masks, core, skipped) {
  /** @type {import('../web/js/audit.mjs').AuditRow[]} */
  const rows = [];
  const pointing = [];
  for (const photo of photos) {
    try {
      const bytes = await readInput(photo.path, 'the photo');
      const { accepted, reasons, probabilities, predicted, set } = await explainer.assess(bytes);
      rows.push({ label: photo.label, predicted, probabilities, accepted, reasons, set,
        skinType: skinTypes?.get(relative(folder, photo.path).split(sep).join('/')) ?? null });
      const mask = masks?.get(photo.path);
      if (mask) {
        const { map } = await explainer.analyse({ bytes }, { method: 'gradcam', classIndex: photo.label }, { force: true });
        pointing.push(pointingGame(map, await maskAtInput(core, explainer.config, await readInput(mask, 'the mask'))));
      }
    } catch (error) {
      skipped.set(photo.path, error.message);
    }
  }
  return { rows, pointing: masks ? summarisePointing(pointing) : null };
}

// ---- the report --------------------------------------------------------------------------------------------------

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
// A share of n photos with its Wilson 95% interval: a small held-out split cannot claim more than that.
function share(fraction, n) {
  if (!Number.isFinite(fraction) || !n) return 'n/a';
  const { low, high } = wilsonInterval(fraction, n);
  return `${pct(fraction)} (95% CI ${(100 * low).toFixed(0)}-${(100 * high).toFixed(0)}%)`;
}
const num = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

function report({ name, onnxName, labels, counts, split, int8, served, fitted, evaluation, rows, pointing, skipped, skinTypes, limits }) {
  const lines = [`# ${name}: evaluation report`, '',
    `Written by \`dermcam pack\` from \`${onnxName}\` on ${new Date().toISOString().slice(0, 10)}. Every number below comes from ` +
    'photos the model\'s gate, temperature and prediction sets were not fitted on (the held-out split), unless it says otherwise.', '',
    '## Data', '',
    `${counts.reduce((s, c) => s + c, 0)} labelled photos; each class's photos were split by a hash of their path: ` +
    `${split.fit.length} to fit the gate, the temperature and the prediction sets, ${split.heldOut.length} held out for this report.`, '',
    '| class | id | photos | held out |', '|---|---|---:|---:|',
    ...labels.map((l, k) => `| ${l.en} | ${l.id} | ${counts[k]} | ${split.heldOut.filter((p) => p.label === k).length} |`)];
  if (skipped.size) {
    lines.push('', `Skipped (could not be read or decoded): ${skipped.size}`, '',
      ...[...skipped].map(([path, why]) => `- \`${path}\`: ${why}`));
  }
  lines.push('', '## The model served', '');
  if (int8) {
    lines.push(`Weight-only int8 (${int8.tensors} weight tensors) against float32 on ${int8.photos} held-out photos: top-1 agreement ` +
      `${pct(int8.top1Agreement)} (limit ${pct(limits.top1Agreement)}), mean |probability difference| ${num(int8.meanAbsProbability, 4)} ` +
      `(limit ${limits.meanAbsProbability}; largest ${num(int8.maxAbsProbability, 4)}), Grad-CAM correlation 5th percentile ` +
      `${num(int8.camCorrelationP05)} (limit ${limits.camCorrelationP05}; median ${num(int8.camCorrelationMedian)}). ` +
      `**Served: ${served}.**`);
  } else {
    lines.push(`The model has no float32 Conv, Gemm or MatMul weights to quantize: **served: ${served}.**`);
  }
  const e = evaluation;
  lines.push('', '## Accuracy', '',
    `On the ${e.photos} held-out photos: ${share(e.accuracyAccepted, e.accepted)} of the ${e.accepted} the gate accepted were ` +
    `answered correctly (${share(e.accuracyAll, e.photos)} of all ${e.photos}, the refused ones analysed anyway). The intervals ` +
    'say how far the true accuracy may be from what so few photos show.', '',
    '| class | recall (all held-out photos) |', '|---|---:|',
    ...labels.map((l, k) => `| ${l.en} | ${pct(e.recall[k])} |`),
    '', '### Confusion matrix (rows: true class, columns: the model\'s answer; all held-out photos)', '',
    `| | ${labels.map((l) => l.id).join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`,
    ...confusionMatrix(rows, labels.length).map((counts, k) => `| ${labels[k].id} | ${counts.join(' | ')} |`));
  lines.push('', '## Calibration', '',
    fitted.calibration
      ? `Temperature ${fitted.calibration.temperature}, fitted on ${fitted.calibration.fittedOn.photos} photos (expected calibration ` +
        `error there ${fitted.calibration.fittedOn.eceBefore} before, ${fitted.calibration.fittedOn.eceAfter} after). On the accepted ` +
        `held-out photos: ECE ${num(e.ece)}.`
      : `Not calibrated (the model's scores are not logits, or too few labelled photos). ECE on the accepted held-out photos: ${num(e.ece)}.`);
  const ood = fitted.gate.outOfDistribution;
  const d = fitted.gate.discriminator;
  lines.push('', '## Photo gate', '',
    `The out-of-distribution check was fitted on the fitting split to accept ${pct(ood.acceptance)} of photos like them` +
    (d ? `; the discriminator refused ${pct(d.fittedOn.heldOutNegativesRefused)} of ${d.fittedOn.heldOutNegatives} held-out negatives` : '; ' +
      'no negatives were given, so there is no discriminator (pass --negatives with photos the model must refuse)') +
    `. On the held-out photos it accepted ${e.accepted} of ${e.photos}: ${share(e.acceptance, e.photos)}.`);
  const reasons = refusalCounts(rows);
  if (Object.keys(reasons).length) lines.push('', `Refusal reasons: ${Object.entries(reasons).map(([c, n]) => `${c} ${n}`).join(', ')}.`);
  lines.push('', '## Prediction sets', '',
    fitted.predictionSets
      ? `At ${pct(fitted.predictionSets.coverage)} coverage (fitted on ${fitted.predictionSets.fittedOn.photos} photos): on the accepted ` +
        `held-out photos the set held the true class for ${share(e.coverage, e.accepted)} of them, with ${num(e.meanSetSize, 2)} ` +
        'classes on average.'
      : 'Not fitted: too few labelled photos in the fitting split.');
  if (skinTypes) {
    lines.push('', '## By skin type (Fitzpatrick; held-out photos with a type)', '',
      '| type | photos | gate acceptance | accuracy (accepted) | set coverage | mean set size |', '|---|---:|---:|---:|---:|---:|',
      ...bySkinType(rows, labels.length).map(({ type, summary: s }) =>
        `| ${type} | ${s.photos} | ${pct(s.acceptance)} | ${pct(s.accuracyAccepted)} | ${pct(s.coverage)} | ${num(s.meanSetSize, 2)} |`));
  }
  if (pointing) {
    lines.push('', '## Where the map looks (pointing game)', '',
      `On the ${pointing.photos} held-out photos with a lesion mask, the Grad-CAM map of the true class peaked on the lesion ` +
      `for ${share(pointing.pointing, pointing.photos)} of them, with ${pct(pointing.energy)} of its energy on the lesion ` +
      `(the lesions cover ${pct(pointing.area)} of the photo on average: a map that knew nothing would score about that).`);
  }
  lines.push('', '## Still to do before serving it', '',
    `model.json's card holds prose marked "${CARD_TO_WRITE.en}" / "${CARD_TO_WRITE.vi}": write it in both languages ` +
    '(build-dist refuses a model whose card is not written).' + (pointing ? '' : ' Pointing-game figures need lesion masks (--masks).'), '');
  return lines.join('\n');
}

// ---- the command -------------------------------------------------------------------------------------------------

export const PACK_OPTIONS = {
  onnx: { type: 'string' }, labels: { type: 'string' }, photos: { type: 'string' }, negatives: { type: 'string' },
  'skin-types': { type: 'string' }, masks: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, version: { type: 'string' },
  layer: { type: 'string' }, score: { type: 'string' }, 'input-size': { type: 'string' }, mean: { type: 'string' },
  std: { type: 'string' }, scale: { type: 'string' }, resize: { type: 'string' }, coverage: { type: 'string' },
  acceptance: { type: 'string' }, force: { type: 'boolean' }, 'fit-quality': { type: 'boolean' },
};

/** Runs `pack` with parsed option values; progress goes to stderr, the summary is returned. */
export async function pack(values) {
  const stages = 7;
  let stage = 0;
  const step = (text) => say(`[${++stage}/${stages}] ${text}`);
  const coverage = values.coverage === undefined ? 0.9 : Number(values.coverage);
  if (!(coverage >= 0.5 && coverage < 1)) throw new PackInputError(`--coverage must be a fraction from 0.5 to below 1 (got '${values.coverage}').`);
  const acceptance = values.acceptance === undefined ? 0.995 : Number(values.acceptance);
  if (!(acceptance > 0.5 && acceptance <= 1)) throw new PackInputError(`--acceptance must be a fraction above 0.5 (got '${values.acceptance}').`);
  if (existsSync(join(values.out, 'model.json')) && !values.force) {
    throw new PackInputError(`${values.out} already holds a model.json; pass --force to write over it.`);
  }

  step('reading the labels, the photos and the model');
  const labels = await readLabels(values.labels);
  const { photos, counts } = await readPhotos(values.photos, labels);
  const skinTypes = values['skin-types'] ? await readSkinTypes(values['skin-types'], photos, values.photos) : null;
  const masks = values.masks ? await readMasks(values.masks, photos, values.photos) : null;
  const rawBytes = await readInput(values.onnx, `the model ${values.onnx}`);
  const input = inputDescription(decodeModel(rawBytes), values);
  const split = splitPhotos(photos, values.photos, labels.length);
  say(`${labels.length} classes, ${photos.length} photos (${split.fit.length} to fit, ${split.heldOut.length} held out), ` +
    `input ${input.width} x ${input.height} ${input.layout}`);
  const negatives = values.negatives ? await photosIn(values.negatives, []) : null;

  step('preparing the explain graph (float32)');
  const ort = await loadWebOrt();
  const { prepareExplainModel } = await import('../web/js/onnx/explain.mjs');
  const options = { classes: Math.min(3, labels.length), score: values.score ?? 'logit', layers: values.layer ? [values.layer] : undefined };
  const fp32 = await prepareExplainModel(ort, rawBytes, options);
  const metadata = verifiedExplainMetadata(decodeModel(fp32.bytes));
  if (metadata.score.classes !== labels.length) {
    throw new PackInputError(`${values.labels} names ${labels.length} classes but the model scores ${metadata.score.classes}.`);
  }
  const layer = metadata.layers[0].name;
  say(`target layer ${layer}`);
  const name = values.name ?? basename(values.out);
  const description = { schema: 'dermcam-model/1', name: { en: name, vi: name }, version: values.version ?? '1.0.0',
    model: 'model.onnx', labels, input, explain: { classes: options.classes, score: options.score }, lowConfidence: 0.6,
    card: cardScaffold({}), gate: { schema: GATE_SCHEMA } };
  validateModelConfig(description, { gate: false });

  step('making the int8 variant and measuring its agreement with float32');
  const { Explainer } = await import('../web/js/pipeline.mjs');
  const core = await import('../web/js/core.mjs');
  const explainerFor = async (bytes, config) => {
    const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } });
    await explainer.load({ onnxBytes: bytes, config });
    return explainer;
  };
  const skipped = new Map();
  const quantized = quantizeWeights(rawBytes);
  let int8 = null;
  let served = { bytes: fp32.bytes, file: 'model.onnx', kind: 'float32' };
  if (quantized.tensors) {
    const prepared = await prepareExplainModel(ort, quantized.bytes, { ...options, layers: [layer] });
    const [a, b] = [await explainerFor(fp32.bytes, description), await explainerFor(prepared.bytes, description)];
    int8 = { tensors: quantized.tensors, ...(await int8Agreement(a, b, split.heldOut, skipped)) };
    await a.release();
    await b.release();
    const within = int8.top1Agreement >= INT8_LIMITS.top1Agreement && int8.meanAbsProbability <= INT8_LIMITS.meanAbsProbability &&
      int8.camCorrelationP05 >= INT8_LIMITS.camCorrelationP05;
    if (within) served = { bytes: prepared.bytes, file: 'model-int8.onnx', kind: 'int8 (weights)' };
    say(`int8: top-1 agreement ${pct(int8.top1Agreement)}, mean |dp| ${num(int8.meanAbsProbability, 4)}, CAM r (5th pct) ` +
      `${num(int8.camCorrelationP05)}: ${within ? 'kept' : 'outside the limits, float32 is served'}`);
  } else {
    say('int8: no float32 weights to quantize; float32 is served');
  }
  description.model = served.file;

  step(`fitting the gate${values['fit-quality'] ? ' (with its quality thresholds)' : ''}, the temperature and the prediction sets on the fitting split`);
  const { config: fitted, summary: fitSummary } = await fitDescription({ raw: description, model: { onnxBytes: served.bytes, config: description },
    photos: split.fit, base: values.photos, negatives, negativesFolder: values.negatives, acceptance, coverage,
    fitQuality: values['fit-quality'] ? { masks, skinTypes } : null });

  for (const path of fitSummary.skippedPaths) skipped.set(path, 'could not be read or decoded (see above)');

  step('evaluating on the held-out split');
  const evaluator = await explainerFor(served.bytes, fitted);
  const { rows, pointing } = await evaluate(evaluator, split.heldOut, values.photos, skinTypes, masks, core, skipped);
  await evaluator.release();
  const evaluation = summariseAudit(rows, labels.length);
  say(`accuracy ${pct(evaluation.accuracyAccepted)} on the ${evaluation.accepted} accepted of ${evaluation.photos}; ` +
    `set coverage ${pct(evaluation.coverage)}${pointing ? `; pointing game ${pct(pointing.pointing)} on ${pointing.photos} masked photos` : ''}`);

  step('writing model.json and its card');
  // The held-out figures, in the same shape as an audit's card section (the audit screen downloads one).
  fitted.card = cardScaffold({ heldOut: cardMetrics(evaluation, labels, skinTypes ? bySkinType(rows, labels.length) : [], pointing),
    served: served.kind, ...(int8 ? { int8Top1Agreement: Number(int8.top1Agreement.toFixed(4)) } : {}) });
  validateModelConfig(fitted, { layerChannels: undefined });
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, served.file), served.bytes);
  await writeFile(join(values.out, 'model.json'), `${JSON.stringify(fitted, null, 2)}\n`);

  step('writing REPORT.md');
  let text = report({ name, onnxName: basename(values.onnx), labels, counts, split, int8, served: served.kind, fitted,
    evaluation, rows, pointing, skipped, skinTypes, limits: INT8_LIMITS });
  if (fitSummary.quality) {
    await writeFile(join(values.out, 'quality-curves.svg'), curvesSvg(fitSummary.quality));
    // Before the closing to-do section: the thresholds are part of what was measured.
    const at = text.indexOf('\n## Still to do before serving it');
    text = `${text.slice(0, at)}\n${qualityReport(fitSummary.quality, { figure: 'quality-curves.svg' })}${text.slice(at)}`;
  }
  await writeFile(join(values.out, 'REPORT.md'), text);
  for (const [path, why] of skipped) say(`skipped ${path}: ${why}`);
  return { out: values.out, model: served.file, served: served.kind, layer, classes: labels.length, photos: photos.length,
    fit: split.fit.length, heldOut: split.heldOut.length, skipped: [...skipped.keys()], int8, evaluation,
    temperature: fitted.calibration?.temperature ?? null, predictionSets: fitted.predictionSets ?? null, pointing,
    quality: fitSummary.quality ? { thresholds: fitted.gate.quality, fits: fitSummary.quality.fits } : null };
}
