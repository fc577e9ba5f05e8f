// model.json: what dermcam needs to know about a model besides its ONNX graph. Schema "dermcam-model/1",
// documented in models/README.md. validateModelConfig returns a normalised copy (defaults filled in) or
// throws a DermcamError 'bad_model_config' naming the field at fault, e.g. "labels[2].vi must be a non-empty string".
// The photo gate's part ("gate") is checked by web/js/gate.mjs.
import { DermcamError } from './errors.mjs';
import { validateGate } from './gate.mjs';

export const MODEL_SCHEMA = 'dermcam-model/1';

const fail = (message) => {
  throw new DermcamError('bad_model_config', `model.json: ${message}`);
};

function text(value, path) {
  if (typeof value !== 'string' || !value.trim()) fail(`${path} must be a non-empty string`);
  return value;
}

function localized(value, path) {
  if (!value || typeof value !== 'object') fail(`${path} must be an object with 'en' and 'vi' texts`);
  return { en: text(value.en, `${path}.en`), vi: text(value.vi, `${path}.vi`) };
}

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

/** @returns the validated config, with defaults. */
export function validateModelConfig(json) {
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('must be a JSON object');
  if (json.schema !== MODEL_SCHEMA) fail(`'schema' must be "${MODEL_SCHEMA}" (found ${JSON.stringify(json.schema)})`);
  const file = json.model === undefined ? 'model.onnx' : text(json.model, 'model');
  if (!/^[\w.-]+\.onnx$/.test(file) || file.startsWith('.')) fail("'model' must be a file name ending in .onnx, in the same folder");
  if (!Array.isArray(json.labels) || json.labels.length < 2) fail("'labels' must list at least 2 classes");
  const ids = new Set();
  const labels = json.labels.map((label, i) => {
    if (!label || typeof label !== 'object') fail(`labels[${i}] must be an object {id, en, vi, advice?}`);
    const id = text(label.id, `labels[${i}].id`);
    if (ids.has(id)) fail(`labels[${i}].id '${id}' is used twice`);
    ids.add(id);
    const described = { id, en: text(label.en, `labels[${i}].en`), vi: text(label.vi, `labels[${i}].vi`) };
    // What a patient should do next when this is the top finding (the app shows it under the result).
    if (label.advice !== undefined) {
      if (!label.advice || typeof label.advice !== 'object') fail(`labels[${i}].advice must be an object {en, vi}`);
      described.advice = { en: text(label.advice.en, `labels[${i}].advice.en`), vi: text(label.advice.vi, `labels[${i}].advice.vi`) };
    }
    return described;
  });
  const input = json.input;
  if (!input || typeof input !== 'object') fail("'input' must describe the model's input (width, height, layout, ...)");
  const normalized = {
    width: integer(input.width, 'input.width', 1, 4096),
    height: integer(input.height, 'input.height', 1, 4096),
    layout: oneOf(input.layout, 'input.layout', ['NCHW', 'NHWC']),
    scale: oneOf(input.scale, 'input.scale', ['0-1', '0-255']),
    mean: triple(input.mean, 'input.mean', () => true),
    std: triple(input.std, 'input.std', (v) => v !== 0),
    resize: oneOf(input.resize, 'input.resize', ['stretch', 'center-crop', 'letterbox']),
    padColor: input.padColor === undefined ? [0, 0, 0] : triple(input.padColor, 'input.padColor',
      (v) => Number.isInteger(v) && v >= 0 && v <= 255),
    filter: oneOf(input.filter, 'input.filter', ['triangle', 'box', 'cubic'], 'triangle'),
  };
  const explain = json.explain ?? {};
  if (typeof explain !== 'object') fail("'explain' must be an object");
  const layers = explain.layers === undefined ? [] : explain.layers;
  if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string' && l)) fail('explain.layers must be a list of tensor names');
  let tokens;
  if (explain.tokens !== undefined) {
    const declared = explain.tokens;
    if (!declared || typeof declared !== 'object' || !Array.isArray(declared.grid) || declared.grid.length !== 2) {
      fail('explain.tokens must be {"prefix": P, "grid": [H, W]}');
    }
    tokens = { prefix: integer(declared.prefix, 'explain.tokens.prefix', 0, 64),
      grid: declared.grid.map((d, i) => integer(d, `explain.tokens.grid[${i}]`, 1, 1024)) };
  }
  const card = json.card;
  if (!card || typeof card !== 'object') fail("'card' (the model card) is required");
  const metrics = card.metrics ?? {};
  if (typeof metrics !== 'object' || Array.isArray(metrics)) fail('card.metrics must be an object');
  const calibration = json.calibration ?? {};
  if (!calibration || typeof calibration !== 'object' || Array.isArray(calibration)) fail("'calibration' must be an object");
  const temperature = calibration.temperature ?? 1;
  if (typeof temperature !== 'number' || !(temperature >= 0.05 && temperature <= 20)) {
    fail('calibration.temperature must be a number from 0.05 to 20');
  }
  const resultNote = card.resultNote === undefined ? null : localized(card.resultNote, 'card.resultNote');
  const lowConfidence = json.lowConfidence ?? 0.5;
  if (typeof lowConfidence !== 'number' || !(lowConfidence > 0 && lowConfidence < 1)) fail("'lowConfidence' must be between 0 and 1");
  return {
    schema: MODEL_SCHEMA,
    name: localized(json.name, 'name'),
    version: json.version === undefined ? '' : text(json.version, 'version'),
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
      summary: localized(card.summary, 'card.summary'),
      data: localized(card.data, 'card.data'),
      intendedUse: localized(card.intendedUse, 'card.intendedUse'),
      limits: localized(card.limits, 'card.limits'),
      metrics,
      licence: text(card.licence, 'card.licence'),
      provenance: localized(card.provenance, 'card.provenance'),
      resultNote,
    },
    calibration: { temperature, ...(calibration.fittedOn ? { fittedOn: calibration.fittedOn } : {}) },
    gate: validateGate(json.gate, labels),
    lowConfidence,
  };
}

/** The preprocessing options for prepareImage() (web/js/core.mjs) from a validated config. */
export function preprocessOptions(config) {
  const { width, height, layout, scale, mean, std, resize, padColor, filter } = config.input;
  return { width, height, layout, scale, mean, std, resize, padColor, filter };
}
