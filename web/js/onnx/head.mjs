// @ts-check
// The head of a prepared model as a model of its own: from a target layer (its input) to the differentiated
// scores (its output). AblationCAM runs it once per ablated channel instead of the whole model. Cut from the
// plain classifier (stripExplainGraph): the nodes on a path from the layer to the scores, in their order, and
// the initializers they read.
import { DermcamError } from '../errors.mjs';
import { seededRandom } from '../faithfulness.mjs';
import { explainMetadata, stripExplainGraph } from './prepared.mjs';
import { DataType, decodeModel, encodeModel, valueInfo } from './model.mjs';

/**
 * @param {Uint8Array} modelBytes  a prepared model (prepareExplainModel)
 * @param {number} layerIndex  which target layer
 * @returns {{bytes: Uint8Array, input: string, output: string}}
 * Fails with 'head_not_separable' when the head also reads a tensor from before the layer (a skip connection
 * around it, or the photo itself): it then cannot run from the layer alone, and the message names what it reads.
 */
export function headGraph(modelBytes, layerIndex = 0) {
  const metadata = explainMetadata(decodeModel(modelBytes));
  if (!metadata) throw new DermcamError('not_prepared', 'The head is cut from a prepared model (dermcam prepare).');
  const layer = metadata.layers[layerIndex];
  const model = decodeModel(stripExplainGraph(modelBytes));
  const { graph } = model;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const producer = new Map();
  graph.node.forEach((node, i) => node.output.forEach((o) => o && producer.set(o, i)));
  const kept = new Set();
  const outside = new Set();
  const stack = [metadata.score.tensor];
  while (stack.length) {
    const name = stack.pop();
    if (name === layer.name || initializers.has(name)) continue;
    const p = producer.get(name);
    if (p === undefined) {
      outside.add(name);
      continue;
    }
    if (kept.has(p)) continue;
    kept.add(p);
    for (const input of graph.node[p].input) if (input) stack.push(input);
  }
  // A path that reaches a graph input without passing the layer reads from before it.
  if (outside.size) {
    throw new DermcamError('head_not_separable', `The part of the model after '${layer.name}' also reads ` +
      `${[...outside].map((n) => `'${n}'`).join(', ')}, computed before it: it cannot run from the layer alone.`,
    { layer: layer.name, reads: [...outside] });
  }
  if (layer.tokens) {
    // The explained grid leaves the prefix tokens out, and the head reads the layer as tokens.
    throw new DermcamError('head_not_separable', `'${layer.name}' is a token layer: the part of the model after it ` +
      'reads all its tokens, and the explained grid leaves the prefix tokens out, so it cannot run from the grid alone.',
    { layer: layer.name, reads: ['tokens'] });
  }
  graph.node = graph.node.filter((_, i) => kept.has(i));
  const read = new Set(graph.node.flatMap((node) => node.input));
  graph.initializer = graph.initializer.filter((t) => read.has(t.name));
  graph.input = [valueInfo(layer.name, DataType.FLOAT, ['N', ...layer.shape])];
  graph.output = [valueInfo(metadata.score.tensor, DataType.FLOAT, ['N', metadata.score.classes])];
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => read.has(v.name));
  return { bytes: encodeModel(model), input: layer.name, output: metadata.score.tensor };
}

/**
 * The head (headGraph's) with its weights redrawn at random: the model randomisation test's model (Adebayo et al.
 * 2018, cascading randomisation of the layers after the target layer). The weight input of every Conv, Gemm, MatMul
 * and ConvTranspose, an initializer or an int8 initializer behind a DequantizeLinear (a weight-quantized model), is
 * redrawn from a seeded normal distribution with its own mean and spread; biases, scales and zero points stay.
 * @param {Uint8Array} headBytes  headGraph(...).bytes
 * @param {number} [seed]
 * @returns {{bytes: Uint8Array, redrawn: number}} redrawn: how many weight tensors were redrawn (0: nothing to
 *   randomise, the head has no weights)
 */
export function randomisedHead(headBytes, seed = 20181008) {
  const model = decodeModel(headBytes);
  const { graph } = model;
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const producer = new Map(graph.node.flatMap((node) => node.output.map((o) => [o, node])));
  const weights = new Set();
  for (const node of graph.node) {
    if (!['Conv', 'Gemm', 'MatMul', 'ConvTranspose'].includes(node.opType)) continue;
    for (const input of node.input.slice(0, 2)) {
      if (initializers.has(input)) weights.add(initializers.get(input));
      const dq = producer.get(input);
      if (dq?.opType === 'DequantizeLinear' && initializers.has(dq.input[0])) weights.add(initializers.get(dq.input[0]));
    }
  }
  // The activations' input of a MatMul is no weight: only initializers are in `weights`, and a MatMul of two
  // initializers would have been folded away.
  const { normal } = seededRandom(seed);
  let redrawn = 0;
  for (const tensor of weights) {
    const values = readWeights(tensor);
    if (!values || values.length < 2) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const spread = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1e-3;
    const drawn = values.map(() => mean + spread * normal());
    writeWeights(tensor, drawn);
    redrawn += 1;
  }
  return { bytes: encodeModel(model), redrawn };
}

// A weight tensor's values (float32, int8 or uint8), or null for another type.
function readWeights(tensor) {
  const raw = tensor.rawData?.length ? tensor.rawData : null;
  if (tensor.dataType === DataType.FLOAT) {
    return raw ? Array.from(new Float32Array(Uint8Array.from(raw).buffer)) : Array.from(tensor.floatData ?? []);
  }
  if (tensor.dataType === DataType.INT8) return raw ? Array.from(new Int8Array(Uint8Array.from(raw).buffer)) : Array.from(tensor.int32Data ?? []);
  if (tensor.dataType === DataType.UINT8) return raw ? Array.from(raw) : Array.from(tensor.int32Data ?? []);
  return null;
}

function writeWeights(tensor, values) {
  const typed = tensor.dataType === DataType.FLOAT ? Float32Array.from(values)
    : tensor.dataType === DataType.INT8 ? Int8Array.from(values, (v) => Math.max(-128, Math.min(127, Math.round(v))))
      : Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(v))));
  tensor.rawData = new Uint8Array(typed.buffer);
  tensor.floatData = [];
  tensor.int32Data = [];
}
