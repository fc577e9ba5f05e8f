// @ts-check
// model.json: what dermcam needs to know about a model besides its ONNX graph. Schema "dermcam-model/1",
// documented in models/README.md. validateModelConfig returns a normalised copy (defaults filled in) or
// throws a DermcamError 'bad_model_config' naming the field at fault, e.g. "labels[2].vi must be a non-empty string".
// The photo gate's part ("gate") is checked by web/js/gate.mjs.
import { MAX_CLASSES, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_METRICS_ENTRIES, MAX_TEXT, megabytes } from './budgets.mjs';
import { DermcamError } from './errors.mjs';
import { validateGate } from './gate.mjs';
import { unsafeText } from './safe-text.mjs';
import { unknownField } from './schema.mjs';

export const MODEL_SCHEMA = 'dermcam-model/1';

const fail = (message) => {
  throw new DermcamError('bad_model_config', `model.json: ${message}`);
};

/**
 * model.json's bytes (or text) as a JSON value: a UTF-8 byte-order mark is accepted (editors on Windows write
 * one), and the CLI and the browser both read it through here, so they give the same answer. Refused: over
 * MAX_CONFIG_BYTES, not JSON, nested deeper than MAX_CONFIG_DEPTH. What the value must be is validateModelConfig's.
 */
export function parseModelJson(source, name = 'model.json') {
  const size = typeof source === 'string' ? source.length : source.byteLength;
  if (size > MAX_CONFIG_BYTES) {
    throw new DermcamError('bad_model_config', `${name} is ${megabytes(size)}; a model description may be at most ` +
      `${megabytes(MAX_CONFIG_BYTES)}.`);
  }
  const text = (typeof source === 'string' ? source : new TextDecoder().decode(source)).replace(/^\uFEFF/, '');
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DermcamError('bad_model_config', `${name} is not valid JSON (${error.message}).`);
  }
  if (depth(value) > MAX_CONFIG_DEPTH) {
    throw new DermcamError('bad_model_config', `${name} is nested more than ${MAX_CONFIG_DEPTH} levels deep.`);
  }
  return value;
}

// Nesting depth of a parsed JSON value, without recursion (a hostile file can nest 100,000 levels).
function depth(value) {
  let deepest = 0;
  const stack = [[value, 0]];
  while (stack.length) {
    const [item, level] = stack.pop();
    if (!item || typeof item !== 'object') continue;
    deepest = Math.max(deepest, level + 1);
    if (deepest > MAX_CONFIG_DEPTH) return deepest;
    for (const child of Object.values(item)) if (child && typeof child === 'object') stack.push([child, level + 1]);
  }
  return deepest;
}

function text(value, path, max = MAX_TEXT.short, options) {
  const why = unsafeText(value, max, options);
  if (why) fail(`${path} ${why}`);
  return value;
}

function localized(value, path, max = MAX_TEXT.label, options) {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${path} must be an object with 'en' and 'vi' texts`);
  known(value, path, ['en', 'vi']);
  return { en: text(value.en, `${path}.en`, max, options), vi: text(value.vi, `${path}.vi`, max, options) };
}

const prose = (value, path) => localized(value, path, MAX_TEXT.card, { multiline: true });

function known(object, path, fields) {
  const why = unknownField(object, path, fields);
  if (why) fail(why);
}

/**
 * Numbers, booleans, short safe texts and objects or arrays of them (card.metrics, calibration.fittedOn): what
 * the page shows as a table. At most MAX_METRICS_ENTRIES values in all; a copy, so nothing else crosses.
 */
function plainData(value, path) {
  let entries = 0;
  const copy = (item, where) => {
    if (++entries > MAX_METRICS_ENTRIES) fail(`${path} holds more than ${MAX_METRICS_ENTRIES} values`);
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) fail(`${where} must be a finite number`);
      return item;
    }
    if (typeof item === 'boolean' || item === null) return item;
    if (typeof item === 'string') return text(item, where);
    if (Array.isArray(item)) return item.map((v, i) => copy(v, `${where}[${i}]`));
    return Object.fromEntries(Object.entries(item).map(([k, v]) => [text(k, `${where} key`, MAX_TEXT.id), copy(v, `${where}.${k}`)]));
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${path} must be an object`);
  return copy(value, path);
}

const TOP_FIELDS = ['schema', 'name', 'version', 'model', 'labels', 'input', 'explain', 'lowConfidence', 'calibration',
  'predictionSets', 'gate', 'card'];
const INPUT_FIELDS = ['width', 'height', 'layout', 'scale', 'mean', 'std', 'resize', 'padColor', 'filter'];
const EXPLAIN_FIELDS = ['layers', 'classes', 'score', 'tokens'];
/**
 * What `dermcam pack` writes where a person must write the card's prose: a site refuses a model whose card still
 * holds it (site-models.mjs), so a scaffold never reaches a patient.
 */
export const CARD_TO_WRITE = Object.freeze({ en: 'TO BE WRITTEN', vi: 'CẦN VIẾT' });

/** The card fields (e.g. 'card.summary.vi') that still hold CARD_TO_WRITE. */
export function unwrittenCardFields(card) {
  const found = [];
  const visit = (value, path) => {
    if (typeof value === 'string') {
      if (value.includes(CARD_TO_WRITE.en) || value.includes(CARD_TO_WRITE.vi)) found.push(path);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
    }
  };
  visit(card, 'card');
  return found;
}

const CARD_FIELDS = ['summary', 'data', 'intendedUse', 'limits', 'metrics', 'licence', 'provenance', 'resultNote'];

function integer(value, path, lo, hi) {
  if (!Number.isInteger(value) || value < lo || value > hi) fail(`${path} must be an integer from ${lo} to ${hi}`);
  return value;
}

function oneOf(value, path, choices, fallback) {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!choices.includes(value)) fail(`${path} must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  return value;
}

function triple(value, path, check) {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v) && check(v))) {
    fail(`${path} must be an array of 3 valid numbers`);
  }
  return value.slice();
}

/**
 * @typedef {{en: string, vi: string}} Localized
 * @typedef {{id: string, en: string, vi: string, advice?: Localized}} Label
 * @typedef {{method: 'lac', coverage: number, minProbability: number, fittedOn?: object}} PredictionSets
 *   conformal prediction sets (web/js/conformal.mjs), fitted by fit-gate
 * @typedef {{width: number, height: number, layout: import('./layout.mjs').Layout, scale: string, mean: number[],
 *   std: number[], resize: string, padColor?: number[], filter?: string}} InputDescription
 * @typedef {{schema: string, name: Localized, version: string, model: string, labels: Label[],
 *   input: InputDescription, explain: {layers?: string[], classes: number, score: 'logit'|'probability', tokens?: object},
 *   card: Record<string, any>, lowConfidence: number, calibration: {temperature: number},
 *   predictionSets: PredictionSets | null,
 *   gate: {quality?: object, outOfDistribution?: any, discriminator?: any}}} ModelConfig
 *   a validated model.json, defaults filled in (models/README.md)
 */

/**
 * @param json  model.json's value (parseModelJson)
 * @param {{layerChannels?: Map<string, number>, gate?: boolean}} [model]  what the model's graph says, when known:
 *   the channels of each layer the gate may read (its sizes are then compared before any factorisation); `gate:
 *   false` skips the gate (the description is read once before the model is prepared, then again in full).
 * @returns {ModelConfig} the validated config, with defaults.
 */
export function validateModelConfig(json, { layerChannels, gate = true } = {}) {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    fail(`must be a JSON object {"schema": "${MODEL_SCHEMA}", ...} (found ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json})`);
  }
  known(json, '', TOP_FIELDS);
  if (json.schema !== MODEL_SCHEMA) fail(`'schema' must be "${MODEL_SCHEMA}" (found ${JSON.stringify(json.schema)?.slice(0, 40)})`);
  const file = json.model === undefined ? 'model.onnx' : text(json.model, 'model');
  if (!/^[\w.-]+\.onnx$/.test(file) || file.startsWith('.')) fail("'model' must be a file name ending in .onnx, in the same folder");
  if (!Array.isArray(json.labels) || json.labels.length < 2 || json.labels.length > MAX_CLASSES) {
    fail(`'labels' must list 2 to ${MAX_CLASSES} classes`);
  }
  const ids = new Set();
  const labels = json.labels.map((label, i) => {
    if (!label || typeof label !== 'object' || Array.isArray(label)) fail(`labels[${i}] must be an object {id, en, vi, advice?}`);
    known(label, `labels[${i}]`, ['id', 'en', 'vi', 'advice']);
    const id = text(label.id, `labels[${i}].id`, MAX_TEXT.id);
    if (ids.has(id)) fail(`labels[${i}].id '${id}' is used twice`);
    ids.add(id);
    const described = { id, en: text(label.en, `labels[${i}].en`, MAX_TEXT.label), vi: text(label.vi, `labels[${i}].vi`, MAX_TEXT.label) };
    // What a patient should do next when this is the top finding (the app shows it under the result).
    if (label.advice !== undefined) described.advice = localized(label.advice, `labels[${i}].advice`, MAX_TEXT.advice);
    return described;
  });
  const input = json.input;
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail("'input' must describe the model's input (width, height, layout, ...)");
  known(input, 'input', INPUT_FIELDS);
  const normalized = {
    width: integer(input.width, 'input.width', 1, 4096),
    height: integer(input.height, 'input.height', 1, 4096),
    layout: oneOf(input.layout, 'input.layout', ['NCHW', 'NHWC']),
    scale: oneOf(input.scale, 'input.scale', ['0-1', '0-255']),
    mean: triple(input.mean, 'input.mean', () => true),
    std: triple(input.std, 'input.std', (v) => v > 0),
    resize: oneOf(input.resize, 'input.resize', ['stretch', 'center-crop', 'letterbox']),
    padColor: input.padColor === undefined ? [0, 0, 0] : triple(input.padColor, 'input.padColor',
      (v) => Number.isInteger(v) && v >= 0 && v <= 255),
    filter: oneOf(input.filter, 'input.filter', ['triangle', 'box', 'cubic'], 'triangle'),
  };
  const explain = json.explain ?? {};
  if (typeof explain !== 'object' || Array.isArray(explain)) fail("'explain' must be an object");
  known(explain, 'explain', EXPLAIN_FIELDS);
  const layers = explain.layers === undefined ? [] : explain.layers;
  if (!Array.isArray(layers) || layers.length > 8 || !layers.every((l, i) => text(l, `explain.layers[${i}]`, 1000))) {
    fail('explain.layers must be a list of up to 8 tensor names');
  }
  let tokens;
  if (explain.tokens !== undefined) {
    const declared = explain.tokens;
    if (!declared || typeof declared !== 'object' || !Array.isArray(declared.grid) || declared.grid.length !== 2) {
      fail('explain.tokens must be {"prefix": P, "grid": [H, W]}');
    }
    known(declared, 'explain.tokens', ['prefix', 'grid']);
    tokens = { prefix: integer(declared.prefix, 'explain.tokens.prefix', 0, 64),
      grid: declared.grid.map((d, i) => integer(d, `explain.tokens.grid[${i}]`, 1, 1024)) };
  }
  const card = json.card;
  if (!card || typeof card !== 'object' || Array.isArray(card)) fail("'card' (the model card) is required");
  known(card, 'card', CARD_FIELDS);
  const metrics = plainData(card.metrics ?? {}, 'card.metrics');
  const calibration = json.calibration ?? {};
  if (!calibration || typeof calibration !== 'object' || Array.isArray(calibration)) fail("'calibration' must be an object");
  known(calibration, 'calibration', ['temperature', 'fittedOn']);
  const temperature = calibration.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0.05 && temperature <= 20)) {
    fail('calibration.temperature must be a number from 0.05 to 20');
  }
  const resultNote = card.resultNote === undefined ? null : prose(card.resultNote, 'card.resultNote');
  const predictionSets = json.predictionSets === undefined ? null : validatePredictionSets(json.predictionSets);
  const lowConfidence = json.lowConfidence ?? 0.5;
  if (typeof lowConfidence !== 'number' || !(lowConfidence > 0 && lowConfidence < 1)) fail("'lowConfidence' must be between 0 and 1");
  return {
    schema: MODEL_SCHEMA,
    name: localized(json.name, 'name'),
    version: json.version === undefined ? '' : text(json.version, 'version', MAX_TEXT.id),
    model: file,
    labels,
    input: normalized,
    explain: {
      layers,
      classes: explain.classes === undefined ? Math.min(3, labels.length) : integer(explain.classes, 'explain.classes', 1, labels.length),
      score: oneOf(explain.score, 'explain.score', ['logit', 'probability'], 'logit'),
      tokens,
    },
    card: {
      summary: prose(card.summary, 'card.summary'),
      data: prose(card.data, 'card.data'),
      intendedUse: prose(card.intendedUse, 'card.intendedUse'),
      limits: prose(card.limits, 'card.limits'),
      metrics,
      licence: text(card.licence, 'card.licence'),
      provenance: prose(card.provenance, 'card.provenance'),
      resultNote,
    },
    calibration: { temperature, ...(calibration.fittedOn ? { fittedOn: plainData(calibration.fittedOn, 'calibration.fittedOn') } : {}) },
    predictionSets,
    gate: gate ? validateGate(json.gate, labels, layerChannels) : validateGate(undefined),
    lowConfidence,
  };
}

/** @returns {PredictionSets} */
function validatePredictionSets(sets) {
  if (!sets || typeof sets !== 'object' || Array.isArray(sets)) fail("'predictionSets' must be an object");
  known(sets, 'predictionSets', ['method', 'coverage', 'minProbability', 'fittedOn']);
  if (sets.method !== 'lac') fail("predictionSets.method must be \"lac\" (web/js/conformal.mjs)");
  if (typeof sets.coverage !== 'number' || !(sets.coverage >= 0.5 && sets.coverage < 1)) fail('predictionSets.coverage must be a number from 0.5 to below 1');
  if (typeof sets.minProbability !== 'number' || !(sets.minProbability >= 0 && sets.minProbability <= 1)) {
    fail('predictionSets.minProbability must be a number from 0 to 1');
  }
  return { method: 'lac', coverage: sets.coverage, minProbability: sets.minProbability,
    ...(sets.fittedOn ? { fittedOn: plainData(sets.fittedOn, 'predictionSets.fittedOn') } : {}) };
}

/** The preprocessing options for prepareImage() (web/js/core.mjs) from a validated config. */
export function preprocessOptions(config) {
  const { width, height, layout, scale, mean, std, resize, padColor, filter } = config.input;
  return { width, height, layout, scale, mean, std, resize, padColor, filter };
}
