// @ts-check
// A prepared model's 'dermcam.explain' metadata (written by prepareExplainModel, explain.mjs) is data in a file
// someone else may have edited: it is verified against the graph it came with before anything is sized by it.
// verifiedExplainMetadata returns a copy holding only the fields dermcam reads, checked: names exist in the graph,
// shapes and class counts are positive integers that agree with the graph's own declared shapes, and what one
// run produces fits the budgets (budgets.mjs). Whatever the graph's declared shapes leave open (a symbolic
// dimension) is checked again on the first run, against what the session returns (checkRunShapes).
import {
  MAX_CLASSES, MAX_GATE_LAYERS, MAX_INPUT_ELEMENTS, MAX_LAYERS, MAX_RUN_BYTES, elementCount, megabytes,
} from '../budgets.mjs';
import { DermcamError } from '../errors.mjs';
import { EXPLAIN_FORMAT_VERSION, explainMetadata } from './prepared.mjs';
import { toNumber } from './model.mjs';
import { layerGeometry } from '../layout.mjs';

const PREPARE_AGAIN = 'prepare it again from the original model (node scripts/dermcam.mjs prepare IN.onnx OUT.onnx)';

function mismatch(why) {
  return new DermcamError('bad_metadata', `This prepared model's explanation data does not match its graph (${why}): ` +
    `${PREPARE_AGAIN}.`);
}

const isObject = (value) => Boolean(value) && typeof value === 'object' && !Array.isArray(value);
const isName = (value) => typeof value === 'string' && value.length > 0 && value.length <= 4096;
const positiveInts = (value, length) => Array.isArray(value) && value.length === length &&
  value.every((d) => Number.isSafeInteger(d) && d >= 1);

// Declared dims of a graph input or output: numbers, or null where the graph leaves a dimension symbolic.
function declaredDims(valueInfo) {
  const dims = valueInfo?.type?.tensorType?.shape?.dim;
  if (!dims) return null;
  return dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null));
}

// Does a graph value's declared shape allow `expected` (numbers, or null for "any")?
function agrees(declared, expected) {
  if (!declared) return true;  // no shape declared: the first run checks it
  return declared.length === expected.length && declared.every((d, i) => d === null || expected[i] === null || d === expected[i]);
}

/**
 * The verified explain metadata of `model` (a decoded ModelProto), or null when it is not prepared.
 * @throws DermcamError 'bad_metadata' naming what does not match; 'model_too_large' when a run would not fit.
 */
export function verifiedExplainMetadata(model) {
  let raw;
  try {
    raw = explainMetadata(model);
  } catch (error) {
    throw mismatch(error.message);
  }
  if (raw === null) return null;
  if (!isObject(raw)) throw mismatch('it is not an object');
  if (raw.version !== EXPLAIN_FORMAT_VERSION) {
    throw new DermcamError('bad_metadata', `This model was prepared by another dermcam version (explanation data format ` +
      `${JSON.stringify(raw.version)?.slice(0, 20)}, this one reads ${EXPLAIN_FORMAT_VERSION}): ${PREPARE_AGAIN}.`);
  }
  const graph = model.graph;
  const inputs = new Map(graph.input.map((i) => [i.name, i]));
  const outputs = new Map(graph.output.map((o) => [o.name, o]));
  const produced = new Set();
  for (const node of graph.node) for (const output of node.output) if (output) produced.add(output);
  const output = (name, what) => {
    if (!isName(name) || !outputs.has(name)) throw mismatch(`${what} is not an output of the graph`);
    return outputs.get(name);
  };

  const { input, classes, score, layers, features = [] } = raw;
  // A forward-only graph (no gradient outputs): {op, node} of the operator that stopped the gradients, or {}.
  const forwardOnly = raw.forwardOnly === undefined ? null : raw.forwardOnly;
  if (forwardOnly !== null && (!isObject(forwardOnly) || Object.entries(forwardOnly).some(([key, value]) =>
    !['op', 'node'].includes(key) || typeof value !== 'string' || value.length > 200))) {
    throw mismatch('forwardOnly is not described');
  }
  if (!isObject(input) || !isName(input.name) || !positiveInts(input.shape, 3)) throw mismatch('the input is not described');
  if (!inputs.has(input.name)) throw mismatch(`the input '${input.name.slice(0, 80)}' is not an input of the graph`);
  if (!agrees(declaredDims(inputs.get(input.name)), [null, ...input.shape])) {
    throw mismatch(`the input is described as ${input.shape.join(' x ')}, the graph declares another shape`);
  }
  const inputElements = elementCount(input.shape);
  if (inputElements > MAX_INPUT_ELEMENTS) {
    throw new DermcamError('model_too_large', `The model's input (${input.shape.join(' x ')}) is larger than dermcam ` +
      `reads (${MAX_INPUT_ELEMENTS} values, e.g. 3 x 2048 x 2048).`, { limit: 'input' });
  }

  if (!isObject(score) || !['logit', 'probability'].includes(score.kind) || !isName(score.tensor)) {
    throw mismatch('the score is not described');
  }
  if (![null, undefined, 'Softmax', 'LogSoftmax', 'Sigmoid'].includes(score.seededBefore)) throw mismatch('score.seededBefore is unknown');
  if (!Number.isSafeInteger(score.classes) || score.classes < 2 || score.classes > MAX_CLASSES) {
    throw mismatch(`it states ${String(score.classes).slice(0, 20)} classes; a model scores 2 to ${MAX_CLASSES}`);
  }
  for (const [name, what] of [[score.output, 'the score output'], [score.modelOutput, "the model's output"]]) {
    const declared = declaredDims(output(name, what))?.slice(1);
    if (declared?.every((d) => d !== null) && elementCount(declared) !== score.classes) {
      throw mismatch(`it states ${score.classes} classes, ${what} declares ${declared.join(' x ')}`);
    }
  }

  if (!isObject(classes) || !Number.isSafeInteger(classes.k) || classes.k < 1 || classes.k > Math.min(100, score.classes)) {
    throw mismatch('the number of explained classes is not between 1 and the number of classes');
  }
  if (!isName(classes.input) || !inputs.has(classes.input)) throw mismatch('the class input is not an input of the graph');
  if (!agrees(declaredDims(inputs.get(classes.input)), [classes.k])) throw mismatch('the class input declares another size');
  if (!agrees(declaredDims(output(classes.output, 'the class indices output')), [null, classes.k])) {
    throw mismatch('the class indices output declares another size');
  }

  if (!Array.isArray(layers) || layers.length < 1 || layers.length > MAX_LAYERS) {
    throw mismatch(`it must describe 1 to ${MAX_LAYERS} target layers`);
  }
  let runBytes = 4 * inputElements;
  const verifiedLayers = layers.map((layer, i) => {
    const what = `target layer ${i}`;
    if (!isObject(layer) || !isName(layer.name) || !['NCHW', 'NHWC'].includes(layer.layout) || !positiveInts(layer.shape, 3)) {
      throw mismatch(`${what} is not described`);
    }
    if (!produced.has(layer.name) && !inputs.has(layer.name)) throw mismatch(`no node computes ${what}, '${layer.name.slice(0, 80)}'`);
    const elements = elementCount(layer.shape);
    const { channels } = layerGeometry(layer.shape, layer.layout);
    const perChannel = layer.gradientsPerChannel === true;
    if (!agrees(declaredDims(output(layer.activations, `${what}'s activations`)), [null, ...layer.shape])) {
      throw mismatch(`${what}'s activations are described as ${layer.shape.join(' x ')}, the graph declares another shape`);
    }
    if (forwardOnly && (layer.gradients !== undefined || perChannel)) throw mismatch(`${what} has gradients in a forward-only graph`);
    if (!forwardOnly && !agrees(declaredDims(output(layer.gradients, `${what}'s gradients`)),
      [null, classes.k, ...(perChannel ? [channels] : layer.shape)])) {
      throw mismatch(`${what}'s gradients declare another shape`);
    }
    runBytes += 4 * (elements + (forwardOnly ? 0 : classes.k * (perChannel ? channels : elements)));
    let tokens;
    if (layer.tokens !== undefined) {
      const t = layer.tokens;
      if (!isObject(t) || !Number.isSafeInteger(t.prefix) || t.prefix < 0 || !positiveInts(t.grid, 2) ||
          layer.layout !== 'NHWC' || t.grid[0] !== layer.shape[0] || t.grid[1] !== layer.shape[1]) {
        throw mismatch(`${what}'s token grid does not match its shape`);
      }
      tokens = { prefix: t.prefix, grid: [...t.grid] };
    }
    return { name: layer.name, activations: layer.activations, ...(!forwardOnly && { gradients: layer.gradients }), layout: layer.layout,
      shape: [...layer.shape], ...(perChannel && { gradientsPerChannel: true }), ...(tokens && { tokens }) };
  });
  if (!Array.isArray(features) || features.length > MAX_GATE_LAYERS) throw mismatch(`it must describe at most ${MAX_GATE_LAYERS} gate layers`);
  const verifiedFeatures = features.map((feature, j) => {
    const what = `gate layer ${j}`;
    if (!isObject(feature) || !isName(feature.name) || !['NCHW', 'NHWC'].includes(feature.layout) ||
        !Number.isSafeInteger(feature.channels) || feature.channels < 1 || feature.channels > 65536) {
      throw mismatch(`${what} is not described`);
    }
    if (!produced.has(feature.name)) throw mismatch(`no node computes ${what}, '${feature.name.slice(0, 80)}'`);
    if (!agrees(declaredDims(output(feature.output, `${what}'s output`)), [null, feature.channels])) {
      throw mismatch(`${what}'s output declares another number of channels`);
    }
    runBytes += 4 * feature.channels;
    return { name: feature.name, output: feature.output, layout: feature.layout, channels: feature.channels };
  });
  runBytes += 4 * score.classes * 2;
  if (runBytes > MAX_RUN_BYTES) {
    throw new DermcamError('model_too_large', `One photo through this model's explain graph takes ${megabytes(runBytes)} ` +
      `(its input, target layer activations and gradients); dermcam's budget is ${megabytes(MAX_RUN_BYTES)}. Prepare ` +
      'it with an earlier, smaller target layer, or fewer classes.', { limit: 'run' });
  }
  return {
    version: raw.version,
    layers: verifiedLayers,
    features: verifiedFeatures,
    classes: { input: classes.input, k: classes.k, output: classes.output, topK: -1 },
    score: { kind: score.kind, tensor: score.tensor, output: score.output, modelOutput: score.modelOutput,
      seededBefore: score.seededBefore ?? null, classes: score.classes },
    input: { name: input.name, shape: [...input.shape] },
    why: typeof raw.why === 'string' ? raw.why.slice(0, 1000) : '',
    ...(forwardOnly && { forwardOnly: { ...forwardOnly } }),
    ...(raw.guided === true && { guided: true }),
  };
}

/**
 * The shapes a run returned, against the verified metadata (the first run settles what the graph's symbolic
 * dimensions left open). `results` maps output names to {dims}; `batch` is the run's batch size.
 * @throws DermcamError 'bad_metadata'
 */
export function checkRunShapes(metadata, results, batch) {
  // Scores may come as [N, classes] or with unit axes ([N, 1, classes]): their count per item is what is read.
  const expect = (name, dims, countOnly = false) => {
    const got = results[name]?.dims;
    const wrong = countOnly ? !got || Number(got[0]) !== dims[0] || elementCount(Array.from(got, Number)) !== elementCount(dims)
      : !got || got.length !== dims.length || got.some((d, i) => Number(d) !== dims[i]);
    if (wrong) {
      throw mismatch(`'${name.slice(0, 80)}' came out as [${got ? Array.from(got, Number).join(', ') : 'nothing'}], ` +
        `not [${dims.join(', ')}]`);
    }
  };
  const { classes, score, layers, features } = metadata;
  expect(score.output, [batch, score.classes], true);
  expect(score.modelOutput, [batch, score.classes], true);
  expect(classes.output, [batch, classes.k]);
  for (const layer of layers) {
    expect(layer.activations, [batch, ...layer.shape]);
    const { channels } = layerGeometry(layer.shape, layer.layout);
    if (layer.gradients) expect(layer.gradients, [batch, classes.k, ...(layer.gradientsPerChannel ? [channels] : layer.shape)]);
  }
  for (const feature of features) expect(feature.output, [batch, feature.channels]);
}
