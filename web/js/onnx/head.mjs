// @ts-check
// The head of a prepared model as a model of its own: from a target layer (its input) to the differentiated
// scores (its output). AblationCAM runs it once per ablated channel instead of the whole model. Cut from the
// plain classifier (stripExplainGraph): the nodes on a path from the layer to the scores, in their order, and
// the initializers they read.
import { DermcamError } from '../errors.mjs';
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
