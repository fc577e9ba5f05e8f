// @ts-check
// What a prepared model carries and what running one needs (explain.mjs builds it; its builder, with the gradient
// rules, is loaded only when a model has to be prepared): the names of the inputs and outputs dermcam adds, the
// `dermcam.explain` metadata, the gradients' slots in a run's output, and the plain classifier inside.
import { DermcamError } from '../errors.mjs';
import { decodeModel, encodeModel } from './model.mjs';

export const EXPLAIN_METADATA_KEY = 'dermcam.explain';
export const EXPLAIN_FORMAT_VERSION = 1;
export const CLASSES_INPUT = 'dermcam_classes';
export const CLASS_INDICES_OUTPUT = 'dermcam_class_indices';
export const SCORES_OUTPUT = 'dermcam_scores';

/** Reads the explain metadata of a prepared model, or null. */
export function explainMetadata(model) {
  const entry = model.metadataProps?.find((p) => p.key === EXPLAIN_METADATA_KEY);
  if (!entry) return null;
  try {
    return JSON.parse(entry.value);
  } catch {
    throw new DermcamError('bad_metadata', `The model's '${EXPLAIN_METADATA_KEY}' metadata is not valid JSON.`);
  }
}

/**
 * Slots `first` .. `first + count - 1` of batch item `item` of a target layer's gradients as a session returns them
 * ({data, dims}: [N, K, ...layer shape], or [N, K, C] for a layer with `gradientsPerChannel`, whose gradients are
 * the same at every position), in the form computeCam takes: {gradients, gradientsPerChannel}.
 */
export function classGradients({ data, dims }, item, first = 0, count = dims[1]) {
  const perClass = dims.slice(2).reduce((p, d) => p * d, 1);
  const start = (item * dims[1] + first) * perClass;
  return { gradients: data.subarray(start, start + count * perClass), gradientsPerChannel: dims.length === 3 };
}

/**
 * The plain classifier inside a prepared model: the dermcam inputs, outputs, nodes and metadata removed
 * (what the model was before `prepare`, up to MaxPool nodes keeping an unused Indices output).
 */
export function stripExplainGraph(modelBytes) {
  const model = decodeModel(modelBytes);
  const metadata = explainMetadata(model);
  if (!metadata) return modelBytes;
  const graph = model.graph;
  const added = new Set([metadata.classes.input, metadata.classes.output, metadata.score.output,
    ...metadata.layers.flatMap((l) => [l.activations, l.gradients]), ...(metadata.features ?? []).map((f) => f.output)]);
  graph.output = graph.output.filter((o) => !added.has(o.name));
  graph.input = graph.input.filter((i) => !added.has(i.name));
  const needed = new Set(graph.output.map((o) => o.name));
  const kept = [];
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const node = graph.node[i];
    if (!node.output.some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input) if (input) needed.add(input);
  }
  graph.node = kept.reverse();
  graph.initializer = graph.initializer.filter((t) => needed.has(t.name));
  model.metadataProps = model.metadataProps.filter((p) => p.key !== EXPLAIN_METADATA_KEY);
  return encodeModel(model);
}
