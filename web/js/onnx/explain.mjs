// @ts-check
// The explain graph: any ONNX image classifier plus outputs for a target layer's activations and the exact
// gradient of chosen class scores with respect to them, built from standard ONNX operators by reverse-mode
// differentiation of the head (target layer -> score). One session.run then returns the prediction, the
// activations and the gradients; no training API is needed.
//
// Added to the model (original inputs and outputs are untouched):
//   input  dermcam_classes        int64 [K]  class to explain in each slot; -1 = the k-th best class. ONNX Runtime's
//                                 JS API cannot override initializers, so this input is fed on every run
//                                 (all -1 for plain top-K).
//   output dermcam_class_indices  int64 [N, K]  the classes explained
//   output dermcam_scores         float [N, classes]  the differentiated scores (logits unless --score probability)
//   output dermcam_activations_i  the i-th target layer, as in the model (NCHW or NHWC, batch first); a token
//                                 layer [N, T, C] as its grid [N, H, W, C] without its prefix tokens (tokenLayout)
//   output dermcam_gradients_i    float [N, K, ...layer dims]: d score[n, class[n, k]] / d activations_i[n]; or
//                                 [N, K, C] when they are the same at every position (the layer feeds a global
//                                 average pool): metadata gradientsPerChannel, see classGradients in prepared.mjs
//   output dermcam_features_j     float [N, C]  the spatial mean of each channel of the j-th gate layer (options
//                                 gateLayers, `prepare --gate-layer`): what the photo gate's discriminator reads
//                                 (web/js/gate.mjs); no gradient, a few hundred floats per photo.
// metadata_props 'dermcam.explain' (JSON, see EXPLAIN_METADATA_KEY) records layers, layouts and class mode.
import { DermcamError } from '../errors.mjs';
import { layerGeometry } from '../layout.mjs';
import {
  Float, GraphIndex, DataType, attribute, decodeModel, encodeModel, floatTensor, int64Tensor,
  makeAttribute, toNumber, valueInfo,
} from './model.mjs';
import { batchIndependentValues, probeInput, probeModel } from './probe.mjs';
import {
  CLASSES_INPUT, CLASS_INDICES_OUTPUT, EXPLAIN_FORMAT_VERSION, EXPLAIN_METADATA_KEY, SCORES_OUTPUT, explainMetadata,
} from './prepared.mjs';
import { inferShapes } from './shapes.mjs';
import { RowGradient, densify, rowCopy } from './rows.mjs';
import { NON_DIFFERENTIABLE, RULES, SUPPORTED_OPS } from './vjp.mjs';

const FINAL_ACTIVATIONS = new Set(['Softmax', 'LogSoftmax', 'Sigmoid']);
const SPATIAL_REDUCERS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'AveragePool', 'MaxPool', 'Conv']);

/**
 * How a 3-D activation [batch, tokens, channels] maps to a grid: the first `prefix` tokens (class,
 * distillation, register tokens) are dropped and the rest, row by row, form grid[0] x grid[1]
 * (pytorch-grad-cam's reshape_transform). `declared` ({prefix, grid}, model.json explain.tokens) wins;
 * otherwise 1 or 2 prefix tokens before a square grid, or none, are recognised. null if it is no token layer.
 */
export function tokenLayout(dims, declared) {
  if (dims.length !== 3 || dims[0] !== 1) return null;
  const tokens = dims[1];
  if (declared) return declared.prefix + declared.grid[0] * declared.grid[1] === tokens ? declared : null;
  for (const prefix of [0, 1, 2]) {
    const side = Math.round(Math.sqrt(tokens - prefix));
    if (side >= 2 && side * side === tokens - prefix) return { prefix, grid: [side, side] };
  }
  return null;
}

class Analysis {
  constructor(model, probe, tokens) {
    this.model = model;
    this.index = new GraphIndex(model);
    this.probe = probe;
    this.tokens = tokens;
    this.order = this.index.topologicalOrder();
    this.position = new Map(this.order.map((nodeIndex, i) => [nodeIndex, i]));
    this.shapeValues = new Map();
    this.extraShapes = new Map();  // tensors the explain graph adds whose shapes rules need (rows.mjs)
    this.extraTypes = new Map();
    this.layouts = new Map();  // guessLayout's answers
  }

  /**
   * Tensors computed from the input's shape only (through Shape or Size), never from its values: the probe's
   * integer values of these are shape arithmetic (Swin's padding and window sizes).
   */
  shapeOnly() {
    const fromValues = new Set(this.index.graph.input.map((i) => i.name).filter((n) => !this.index.initializers.has(n)));
    for (const nodeIndex of this.order) {
      const node = this.index.graph.node[nodeIndex];
      if (node.opType === 'Shape' || node.opType === 'Size') continue;
      if (node.input.some((i) => i && fromValues.has(i))) for (const o of node.output) if (o) fromValues.add(o);
    }
    return (name) => !fromValues.has(name);
  }

  /** Learns which shape arithmetic read by the head's rules (pads, slice bounds, indices) is constant. */
  async resolveShapeValues(ort, headNodes) {
    const shapeOnly = this.shapeOnly();
    const wanted = new Set();
    for (const nodeIndex of headNodes) {
      const node = this.index.graph.node[nodeIndex];
      if (!RULES[node.opType]?.readsConstants) continue;
      for (const input of node.input.slice(1)) {
        if (input && this.index.constant(input) === undefined && shapeOnly(input)) wanted.add(input);
      }
    }
    this.shapeValues = await batchIndependentValues(ort, this.model, this.probe, [...wanted]);
  }

  /** The output of a LayerNormalization, or of the ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add chain older opsets export. */
  isLayerNormOutput(name) {
    let node = this.node(name);
    if (node?.opType === 'LayerNormalization') return true;
    const producerOf = (n, op) => n.input.map((i) => this.node(i)).find((p) => p?.opType === op);
    if (node?.opType === 'Add') node = producerOf(node, 'Mul') ?? producerOf(node, 'Div');
    if (node?.opType === 'Mul') node = producerOf(node, 'Div');
    if (node?.opType !== 'Div') return false;
    const centred = this.node(node.input[0]);
    return centred?.opType === 'Sub' && this.node(centred.input[1])?.opType === 'ReduceMean' &&
      this.node(node.input[1])?.opType === 'Sqrt';
  }

  shape(name) {
    if (this.probe.shapes.has(name)) return this.probe.shapes.get(name);
    if (this.extraShapes.has(name)) return this.extraShapes.get(name);
    const init = this.index.initializers.get(name);
    if (init) return init.dims.map(toNumber);
    const constant = this.index.constant(name);
    if (constant) return constant.dims;
    throw new DermcamError('no_shape', `dermcam could not learn the shape of tensor '${name}'.`);
  }

  elemType(name) {
    if (this.probe.types.has(name)) return this.probe.types.get(name);
    if (this.extraTypes.has(name)) return this.extraTypes.get(name);
    const init = this.index.initializers.get(name);
    return init ? init.dataType : 0;
  }

  node(name) {
    const p = this.index.producer.get(name);
    return p === undefined ? null : this.index.graph.node[p];
  }

  /** The score to differentiate: the first [N, classes] output, before a final Softmax/LogSoftmax/Sigmoid. */
  findScore(mode) {
    const output = this.index.graph.output.find((o) => this.probe.shapes.get(o.name)?.length === 2);
    if (!output) {
      throw new DermcamError('no_scores', 'The model has no output shaped [batch, classes]; dermcam explains classifiers.');
    }
    let tensor = output.name;
    let seededBefore = null;
    if (mode === 'logit') {
      let node = this.node(tensor);
      while (node && node.opType === 'Identity') node = this.node(node.input[0]);
      if (node && FINAL_ACTIVATIONS.has(node.opType) && (node.domain === '' || !node.domain)) {
        tensor = node.input[0];
        seededBefore = node.opType;
      } else if (node) {
        tensor = node.output[0];
      }
    }
    const dims = this.shape(tensor);
    if (dims.length !== 2) {
      throw new DermcamError('no_scores', `The scores before ${seededBefore} have shape [${dims}], not [batch, classes].`);
    }
    return { output: output.name, tensor, classes: dims[1], seededBefore };
  }

  /** Nodes between `sources` and `target` in topological order, and the tensors that depend on sources. */
  head(sources, target) {
    const active = new Set(sources);
    const touched = [];
    for (const nodeIndex of this.order) {
      const node = this.index.graph.node[nodeIndex];
      if (!node.input.some((i) => i && active.has(i))) continue;
      if ((node.domain === '' || !node.domain) && NON_DIFFERENTIABLE.has(node.opType)) continue;
      if (this.isConstantBranch(node)) continue;
      for (const output of node.output) if (output) active.add(output);
      touched.push(nodeIndex);
    }
    if (!active.has(target)) return null;
    // Keep only nodes on a path to the target.
    const needed = new Set([target]);
    const kept = [];
    for (let i = touched.length - 1; i >= 0; i--) {
      const node = this.index.graph.node[touched[i]];
      if (!node.output.some((o) => needed.has(o))) continue;
      kept.push(touched[i]);
      for (const input of node.input) if (input && active.has(input)) needed.add(input);
    }
    kept.reverse();
    return { nodes: kept, active };
  }

  // Integer-valued computations that merely pass through an active tensor's shape (Shape -> Gather -> ...)
  // never reach this point; a float node all of whose active inputs are integer typed is constant too.
  isConstantBranch(node) {
    return node.output.every((o) => !o || this.elemType(o) !== DataType.FLOAT && this.elemType(o) !== DataType.DOUBLE &&
      this.elemType(o) !== DataType.FLOAT16);
  }

  firstUnsupported(nodes) {
    for (const nodeIndex of nodes) {
      const node = this.index.graph.node[nodeIndex];
      const standard = node.domain === '' || !node.domain || node.domain === 'ai.onnx';
      if (!standard || !RULES[node.opType]) return node;
    }
    return null;
  }

  /**
   * Target layer candidates that influence the score, in topological order: 4-D float tensors with spatial
   * size > 1, and token layers (tokenLayout) whose grid has more than one position. Each has `blocked`: the first
   * node of its head (head([name], score)) that cannot be differentiated, or null.
   */
  candidates(score) {
    const reach = this.reachability(score.tensor);
    const out = [];
    for (const nodeIndex of this.order) {
      const node = this.index.graph.node[nodeIndex];
      for (const name of node.output) {
        if (!name || this.elemType(name) !== DataType.FLOAT || !reach.reaches.has(name)) continue;
        const dims = this.probe.shapes.get(name);
        if (!dims) continue;
        const blocked = reach.firstBlocked(name);
        if (dims.length === 3) {
          const tokens = tokenLayout(dims, this.tokens);
          if (tokens) out.push({ name, node, dims, layout: 'tokens', tokens, blocked });
          continue;
        }
        if (dims.length !== 4) continue;
        const layout = this.guessLayout(name);
        const spatial = layout === 'NHWC' ? dims[1] * dims[2] : dims[2] * dims[3];
        if (spatial <= 1) continue;
        out.push({ name, node, dims, layout, blocked });
      }
    }
    return out;
  }

  /**
   * For every tensor at once, what head([tensor], target) would say, in one pass backwards over the graph (asking
   * head() per candidate made preparing a 100,000-node chain quadratic): `reaches` holds the tensors whose head
   * reaches the target; firstBlocked(name) is the first node of that head, in topological order, without a
   * gradient rule, or null. A node takes part as in head(): differentiable, not a constant branch, and with an
   * output that reaches the target.
   */
  reachability(target) {
    const reaches = new Set([target]);
    const blockedAt = new Map();  // tensor -> topological position of the first blocked node of its head
    const graph = this.index.graph;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const node = graph.node[this.order[i]];
      if ((node.domain === '' || !node.domain) && NON_DIFFERENTIABLE.has(node.opType)) continue;
      if (this.isConstantBranch(node) || !node.output.some((o) => o && reaches.has(o))) continue;
      const standard = node.domain === '' || !node.domain || node.domain === 'ai.onnx';
      let first = standard && RULES[node.opType] ? Infinity : i;
      for (const o of node.output) if (o && blockedAt.has(o)) first = Math.min(first, blockedAt.get(o));
      for (const input of node.input) {
        if (!input) continue;
        reaches.add(input);
        if (first < Infinity) blockedAt.set(input, Math.min(blockedAt.get(input) ?? Infinity, first));
      }
    }
    return {
      reaches,
      firstBlocked: (name) => (blockedAt.has(name) ? graph.node[this.order[blockedAt.get(name)]] : null),
    };
  }

  /**
   * NCHW unless the tensor reaches a reduction over axes 1, 2 or a Transpose to channels-first first (breadth
   * first). Memoised along chains: a tensor whose consumers decide nothing and pass on exactly one 4-D tensor has
   * that tensor's answer, so a long chain is walked once, not once per candidate.
   */
  guessLayout(name) {
    const chain = [];
    let tensor = name;
    let layout;
    while (layout === undefined) {
      if (this.layouts.has(tensor)) {
        layout = this.layouts.get(tensor);
        break;
      }
      const step = this.layoutStep(tensor);
      if (step.next === undefined) {
        layout = step.layout ?? this.searchLayout(tensor);
        this.layouts.set(tensor, layout);
        break;
      }
      chain.push(tensor);
      tensor = step.next;
    }
    for (const t of chain) this.layouts.set(t, layout);
    return layout;
  }

  // What the consumers of `tensor` say: {layout} when one decides (or none pass anything on: NCHW), {next} when
  // they pass on exactly one 4-D tensor, {} when the search must branch.
  layoutStep(tensor) {
    const passed = [];
    for (const c of this.index.consumers.get(tensor) ?? []) {
      const node = this.index.graph.node[c];
      const decided = this.decidesLayout(node);
      if (decided) return { layout: decided };
      for (const o of node.output) if (o && this.probe.shapes.get(o)?.length === 4 && !passed.includes(o)) passed.push(o);
    }
    if (passed.length === 0) return { layout: 'NCHW' };
    return passed.length === 1 ? { next: passed[0] } : {};
  }

  decidesLayout(node) {
    if (SPATIAL_REDUCERS.has(node.opType)) return 'NCHW';
    if (node.opType === 'Transpose') {
      const perm = attribute(node, 'perm', []);
      if (perm.join() === '0,3,1,2') return 'NHWC';
      if (perm.join() === '0,2,3,1') return 'NCHW';
    }
    if (node.opType.startsWith('Reduce')) {
      let axes = attribute(node, 'axes');
      if (!axes && node.input[1]) axes = this.index.constant(node.input[1])?.values;
      const set = (axes ?? []).map((a) => (a < 0 ? a + 4 : a)).sort().join();
      if (set === '1,2') return 'NHWC';
      if (set === '2,3') return 'NCHW';
    }
    return null;
  }

  // The breadth-first search from a tensor where the graph branches.
  searchLayout(name) {
    const queue = [name];
    const seen = new Set(queue);
    while (queue.length) {
      const tensor = queue.shift();
      for (const c of this.index.consumers.get(tensor) ?? []) {
        const node = this.index.graph.node[c];
        const decided = this.decidesLayout(node);
        if (decided) return decided;
        for (const o of node.output) {
          if (o && !seen.has(o) && this.probe.shapes.get(o)?.length === 4) {
            seen.add(o);
            queue.push(o);
          }
        }
      }
    }
    return 'NCHW';
  }
}

function describeShape(dims) {
  return dims.join(' x ');
}

/** Candidate target layers with shapes and whether the head after them can be differentiated. */
export async function listLayers(ort, modelBytes, options = {}) {
  const model = decodeModel(modelBytes);
  const analysis = new Analysis(model, await probeModel(ort, model, options), options.tokens);
  const score = analysis.findScore(options.score ?? 'logit');
  return analysis.candidates(score).map((c) => {
    const unsupported = c.blocked;
    return {
      name: c.name,
      shape: c.dims,
      layout: c.layout,
      ...(c.tokens ? { tokens: c.tokens } : {}),
      producer: c.node.opType,
      explainable: !unsupported,
      blockedBy: unsupported ? { op: unsupported.opType, node: unsupported.name || unsupported.output[0] } : null,
    };
  });
}

// Emits the backward graph; the ctx object the rules in vjp.mjs use.
class Emitter {
  constructor(analysis, head, { guided = false } = {}) {
    this.analysis = analysis;
    this.guided = guided;  // guided backpropagation's Relu rule (vjp.mjs)
    this.index = analysis.index;
    this.opset = analysis.index.opset;
    this.activeSet = head.active;
    this.nodes = [];
    this.initializers = [];
    this.memoTable = new Map();
    this.counter = 0;
    this.currentNode = null;
    this.extraOutputs = new Map();  // forward nodes given an extra output (MaxPool Indices)
    this.spreads = new Map();  // spread() outputs -> {compact, axes}
  }

  fresh(base) {
    let name;
    do {
      name = `dermcam/${base}_${this.counter++}`;
    } while (this.index.names.has(name));
    this.index.names.add(name);
    return name;
  }

  opN(type, inputs, attrs = {}, count = 1) {
    const outputs = Array.from({ length: count }, () => this.fresh(type));
    this.nodes.push({
      opType: type,
      input: inputs,
      output: outputs,
      name: this.fresh(`${type}_node`),
      attribute: Object.entries(attrs).filter(([, v]) => v !== undefined).map(([k, v]) => makeAttribute(k, v)),
    });
    return outputs;
  }

  op(type, inputs, attrs = {}) {
    return this.opN(type, inputs, attrs, 1)[0];
  }

  /** A node that depends only on forward values: emitted once however many classes are explained. */
  memo(type, inputs, attrs = {}) {
    const key = `${type}|${inputs.join(',')}|${JSON.stringify(attrs, (k, v) => (v instanceof Float ? `f${v.value}` : v))}`;
    if (!this.memoTable.has(key)) this.memoTable.set(key, this.op(type, inputs, attrs));
    return this.memoTable.get(key);
  }

  constFloat(values, dims) {
    const name = this.fresh('const');
    this.initializers.push(floatTensor(name, values, dims));
    return name;
  }

  constInt64(values, dims) {
    const key = `i64|${values.join(',')}|${dims.join(',')}`;
    if (!this.memoTable.has(key)) {
      const name = this.fresh('const');
      this.initializers.push(int64Tensor(name, values, dims));
      this.memoTable.set(key, name);
    }
    return this.memoTable.get(key);
  }

  scalar(value) {
    const key = `f32|${value}`;
    if (!this.memoTable.has(key)) this.memoTable.set(key, this.constFloat([value], []));
    return this.memoTable.get(key);
  }

  zero() {
    return this.scalar(0);
  }

  shape(name) {
    return this.analysis.shape(name);
  }

  rank(name) {
    return this.shape(name).length;
  }

  elemType(name) {
    return this.analysis.elemType(name);
  }

  isFloat(name) {
    return this.elemType(name) === DataType.FLOAT;
  }

  active(name) {
    return Boolean(name) && this.activeSet.has(name);
  }

  attr(node, name, fallback) {
    return attribute(node, name, fallback);
  }

  /** A constant's value: an initializer, a Constant node, or shape arithmetic the probe found batch-independent. */
  constantValue(name) {
    return this.index.constant(name) ?? this.analysis.shapeValues.get(name);
  }

  shapeOf(name) {
    return this.memo('Shape', [name]);
  }

  reshapeLike(g, like) {
    return this.op('Reshape', [g, this.shapeOf(like)]);
  }

  unsqueeze(x, axes, forwardOnly = false) {
    const emit = forwardOnly ? this.memo.bind(this) : this.op.bind(this);
    if (this.opset >= 13) return emit('Unsqueeze', [x, this.constInt64(axes, [axes.length])]);
    return emit('Unsqueeze', [x], { axes });
  }

  reduceSum(x, axes, keepdims) {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  /** A Reduce* node over `axes` in the form the model's opset takes; `forward` memoises it (forward values). */
  reduce(type, x, axes, keepdims, forward = false) {
    const emit = forward ? this.memo.bind(this) : this.op.bind(this);
    const attrs = { keepdims: keepdims ? 1 : 0 };
    if (this.opset >= (type === 'ReduceSum' ? 13 : 18)) return emit(type, [x, this.constInt64(axes, [axes.length])], attrs);
    return emit(type, [x], { ...attrs, axes });
  }

  /**
   * `g` (size 1 along `axes`) expanded to the shape of `like`, as a global average pool's gradient is. Remembered:
   * a target layer whose whole gradient is one of these leaves the graph compact, one value per channel.
   */
  spread(g, like, axes) {
    const expanded = this.op('Expand', [g, this.shapeOf(like)]);
    this.spreads.set(expanded, { compact: g, axes });
    return expanded;
  }

  /** Drops added nodes nothing reads (an Expand whose compact input left the graph instead). */
  pruneUnread(graphOutputs) {
    for (let removed = true; removed;) {
      const read = new Set(graphOutputs);
      for (const node of [...this.index.graph.node, ...this.nodes]) for (const input of node.input) read.add(input);
      const before = this.nodes.length;
      this.nodes = this.nodes.filter((node) => node.output.some((o) => read.has(o)));
      removed = this.nodes.length < before;
    }
  }

  /** Sums g (shaped like the broadcast result) back to the shape of `input`. */
  unbroadcast(g, input) {
    const target = this.shape(input);
    const node = this.currentNode;
    const result = this.shape(node.output[0]);
    const lead = result.length - target.length;
    const axes = [];
    for (let i = 0; i < result.length; i++) {
      if (i < lead || (target[i - lead] === 1 && result[i] !== 1)) axes.push(i);
    }
    if (!axes.length) return g;
    return this.reshapeLike(this.reduceSum(g, axes, true), input);
  }

  /** The Indices output of a forward MaxPool node, added to it when the model did not ask for it. */
  maxPoolIndices(node) {
    if (node.output[1]) return node.output[1];
    if (!this.extraOutputs.has(node)) {
      const name = this.fresh('maxpool_indices');
      this.extraOutputs.set(node, name);
    }
    return this.extraOutputs.get(node);
  }

  /** Records an added forward tensor's static shape and type, and whether it depends on the target layer. */
  registerTensor(name, dims, elemType, active) {
    this.analysis.extraShapes.set(name, dims);
    this.analysis.extraTypes.set(name, elemType);
    if (active) this.activeSet.add(name);
  }

  refuse(node, why) {
    throw new DermcamError('unsupported_config',
      `Cannot differentiate ${node.opType} node ${this.index.nodeLabel(node)}: ${why}. Choose a target layer after it.`);
  }

  addGradients(names) {
    if (names.length === 1) return names[0];
    return names.slice(1).reduce((sum, g) => this.op('Add', [sum, g]), names[0]);
  }

  /** Reverse pass for one seed: returns the gradient of every layer tensor (or null if unreached). */
  /** The sum of a tensor's gradient contributions: row-sparse while they all keep the same rows. */
  combine(entries) {
    if (entries.length === 1) return entries[0];
    const [first] = entries;
    if (first instanceof RowGradient && entries.every((e) => first.sameRows(e))) {
      return new RowGradient(this.addGradients(entries.map((e) => e.tensor)), first.axis, first.rows, first.size, first.rank);
    }
    return this.addGradients(entries.map((e) => densify(this, e)));
  }

  /** Reverse pass for one seed: returns the gradient of every layer tensor (or null if unreached). */
  backward(headNodes, score, seed, layers) {
    const grads = new Map([[score, [seed]]]);
    for (let i = headNodes.length - 1; i >= 0; i--) {
      const node = this.index.graph.node[headNodes[i]];
      const outputGrads = node.output.map((o) => (o ? grads.get(o) : undefined));
      if (!outputGrads.some(Boolean)) continue;
      const dYs = outputGrads.map((g) => (g ? this.combine(g) : null));
      this.currentNode = node;
      if (node.opType !== 'Split' && (!dYs[0] || dYs.slice(1).some(Boolean))) {
        this.refuse(node, 'the scores depend on an output other than its first');
      }
      // A row-sparse gradient goes through a row-wise node as a copy of it on those rows; else it is densified.
      const rows = dYs[0] instanceof RowGradient ? dYs[0] : null;
      const copy = rows && rowCopy(this, node, rows, RULES[node.opType].rows);
      const differentiated = copy ? copy.node : node;
      this.currentNode = differentiated;
      const dY = copy ? rows.tensor : densify(this, dYs[0]);
      const all = node.opType === 'Split' ? dYs.map((g) => (g ? densify(this, g) : null)) : [dY];
      const inputGrads = RULES[node.opType].vjp(this, differentiated, dY, all);
      const outputRank = this.rank(node.output[0]);
      node.input.forEach((input, k) => {
        let g = inputGrads[k];
        if (!g || !this.active(input)) return;
        if (copy?.sliceOf.has(differentiated.input[k])) {
          const rank = this.rank(input);
          g = new RowGradient(g, rows.axis - (outputRank - rank), rows.rows, rows.size, rank);
        }
        if (!grads.has(input)) grads.set(input, []);
        grads.get(input).push(g);
      });
    }
    return layers.map((layer) => (grads.has(layer) ? densify(this, this.combine(grads.get(layer))) : null));
  }
}

function unsupportedMessage(analysis, node, score, layers) {
  const later = analysis.candidates(score).filter((c) => {
    if ((analysis.position.get(analysis.index.producer.get(c.name)) ?? -1) <=
      analysis.position.get(analysis.index.producer.get(node.output[0]))) return false;
    return !c.blocked;
  });
  const suggestion = later.length
    ? `A later layer that works: --layer '${later[later.length - 1].name}' (${describeShape(later[later.length - 1].dims)}).`
    : 'No later layer can be explained either.';
  return `Cannot explain through ${node.opType} (node ${analysis.index.nodeLabel(node)}) between target layer ` +
    `'${layers.join("', '")}' and the scores: dermcam differentiates ${SUPPORTED_OPS.join(', ')}. ${suggestion}`;
}

// The error for a head with an operator the gradient rules do not know; its params name the operator and node
// (a page says which in its own words; ModelSession then prepares the model forward-only).
function unsupported(analysis, node, score, layers) {
  return new DermcamError('unsupported_op', unsupportedMessage(analysis, node, score, layers),
    { op: node.opType, node: (node.name || node.output[0]).slice(0, 200) });
}

function checkTokens(tokens) {
  if (tokens === undefined || tokens === null) return undefined;
  const { prefix, grid } = tokens;
  if (!Number.isInteger(prefix) || prefix < 0 || !Array.isArray(grid) || grid.length !== 2 ||
    !grid.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new DermcamError('bad_option', 'The token layout must give a prefix (an integer >= 0) and a grid [H, W] of positive integers.');
  }
  return { prefix, grid: [...grid] };
}

// The probe of the same model, passed when the builder prepares a model again for its own use.
const PROBED = Symbol('probed');

// A large graph is probed at its end first: the automatic layer is the last usable 4-D activation, and it and
// its head lie among the last nodes of nearly every classifier. The answer is kept only when it is provably the
// one a probe of every tensor gives (the chosen layer is produced inside the tail, so no later candidate is
// unknown; every head node is in the tail); otherwise the whole graph is probed.
const TAIL_NODES = 1000;
const TAIL_PROBE_FROM = 5000;  // nodes; below this a whole probe takes well under a second

/**
 * A large graph's shapes computed in JavaScript when its operators allow (shapes.mjs): ONNX Runtime's probe session
 * is most of the time a large graph takes to prepare (a 100,000-node chain: 6 s of 7). null: probe it.
 */
function largeGraphShapes(model, options) {
  return model.graph.node.length >= TAIL_PROBE_FROM ? inferShapes(model, options) : null;
}

/** The last TAIL_NODES nodes in topological order, and the tensors they produce and read; null when not used. */
function probeTail(model, options) {
  if (options[PROBED] || options.layers?.length || options.gateLayers?.length || options.tokens) return null;
  const index = new GraphIndex(model);
  const order = index.topologicalOrder();
  if (order.length < TAIL_PROBE_FROM) return null;
  // A transformer's layer is chosen among LayerNorm outputs anywhere in the graph (lastReachingGrid).
  const graph = model.graph;
  const layerNorm = graph.node.some((n) => n.opType === 'LayerNormalization' || (n.opType === 'ReduceMean' &&
    (index.consumers.get(n.output[0]) ?? []).some((c) => graph.node[c].opType === 'Sub')));
  if (layerNorm) return null;
  const nodes = new Set(order.slice(-TAIL_NODES));
  const produced = new Set();
  const tensors = new Set();
  for (const i of nodes) {
    for (const name of graph.node[i].output) if (name) produced.add(name);
    for (const name of graph.node[i].input) if (name && !index.initializers.has(name)) tensors.add(name);
  }
  for (const name of produced) tensors.add(name);
  return { nodes, produced, tensors };
}

/**
 * The last of `norms` (LayerNorm outputs that are token layers) whose grid tokens reach the scores. After a
 * transformer's last attention only the prefix (class) token reaches the classifier, so the later LayerNorms'
 * gradients are exactly zero on the grid: that is why pytorch-grad-cam takes the last block's first
 * LayerNorm. One run of an explain graph for all of them on the probe input says which.
 */
async function lastReachingGrid(ort, modelBytes, options, analysis, norms) {
  // The last few first (a transformer's last block has two, then the final one): their head is short.
  for (const tried of [norms.slice(-4), norms.slice(0, -4)]) {
    if (!tried.length) continue;
    const { bytes, report } = await prepareExplainModel(ort, modelBytes, {
      ...options, classes: 1, layers: tried.map((c) => c.name), gateLayers: [], [PROBED]: analysis.probe, onStep: undefined });
    const [[inputName, dims]] = [...analysis.probe.inputs];
    const session = await ort.InferenceSession.create(bytes);
    try {
      const results = await session.run({
        [inputName]: new ort.Tensor('float32', probeInput(dims), dims),
        [CLASSES_INPUT]: new ort.Tensor('int64', BigInt64Array.from([-1n]), [1]),
      });
      for (let i = tried.length - 1; i >= 0; i--) {
        if (results[report.layers[i].gradients].data.some((v) => v !== 0)) return tried[i];
      }
    } finally {
      await session.release();
    }
  }
  return norms[norms.length - 1];
}

/**
 * The steps of `prepareExplainModel`, in order, as `onStep` reports them: one run of the model that learns its
 * shapes, the choice and check of the target layer, and the gradient graph written.
 */
export const PREPARE_STEPS = Object.freeze(['probe', 'layer', 'graph']);

/**
 * Builds the explain graph.
 * @param ort  onnxruntime-web or -node, for the probe run that learns tensor shapes
 * @param {Uint8Array} modelBytes
 * @param {{layers?: string[], gateLayers?: string[], classes?: number, score?: 'logit'|'probability',
 *          inputShape?: number[], tokens?: {prefix: number, grid: number[]},
 *          forwardOnly?: boolean, guided?: boolean, onStep?: (step: string) => void}} options
 *   tokens: how the model's token layers map to a grid (tokenLayout), when not recognised automatically
 *   forwardOnly: no gradients, for a model whose head has an operator the gradient rules do not know: the
 *     scores, the target layers' activations and the gate's features only (the gradient-free methods read them);
 *     the metadata's `forwardOnly` names the operator that stopped the gradients
 *   guided: guided backpropagation's rule for every Relu (Springenberg et al. 2015, as pytorch-grad-cam's
 *     GuidedBackpropReLUModel): only positive gradients pass back, where the input was positive; the graph's
 *     gradients are then not the scores' gradients (the metadata says `guided: true`)
 *   onStep: called as each of PREPARE_STEPS starts (progress for a person waiting)
 * @returns {Promise<{bytes: Uint8Array, report: object}>}
 */
export async function prepareExplainModel(ort, modelBytes, options = {}) {
  const model = decodeModel(modelBytes);
  const { k, scoreMode, tokens, forwardOnly } = checkedOptions(model, options);
  const step = options.onStep ?? (() => {});
  step('probe');
  const inferred = options[PROBED] ? null : largeGraphShapes(model, options);
  const tail = inferred ? null : probeTail(model, options);
  const analysis = new Analysis(model,
    options[PROBED] ?? inferred ?? await probeModel(ort, model, { ...options, only: tail?.tensors }), tokens);
  // The tail did not settle it: the same preparation from a probe of every tensor.
  const probeAll = async () => prepareExplainModel(ort, modelBytes,
    /** @type {any} */ ({ ...options, [PROBED]: await probeModel(ort, model, options) }));
  step('layer');
  const score = analysis.findScore(scoreMode);
  if (k > score.classes) {
    throw new DermcamError('bad_option', `The model has ${score.classes} classes; cannot explain the top ${k}.`);
  }
  const candidates = analysis.candidates(score);
  const choice = options.layers?.length ? statedLayers(analysis, options.layers, tokens)
    : await automaticLayer(ort, modelBytes, options, analysis, { score, candidates, tokens, tail });
  if (!choice) return probeAll();
  const { layers, layerTokens, why } = choice;
  const gateLayers = checkedGateLayers(analysis, options.gateLayers ?? []);
  const head = analysis.head(layers, score.tensor);
  if (tail && !head?.nodes.every((i) => tail.nodes.has(i))) return probeAll();
  if (!head) {
    throw new DermcamError('bad_layer', `The scores do not depend on '${layers.join("', '")}'.`);
  }
  const blocked = analysis.firstUnsupported(head.nodes);
  if (blocked && !forwardOnly) throw unsupported(analysis, blocked, score, layers);
  if (!forwardOnly) await analysis.resolveShapeValues(ort, head.nodes);

  step('graph');
  const emitter = new Emitter(analysis, head, { guided: options.guided === true });
  const { outputs, layerMeta, featureMeta } = emitExplainOutputs(analysis, emitter, model.graph,
    { k, score, layers, layerTokens, gateLayers, head, forwardOnly });
  for (const [node, indices] of emitter.extraOutputs) node.output[1] = indices;
  emitter.pruneUnread([...model.graph.output, ...outputs].map((o) => o.name));
  model.graph.node.push(...emitter.nodes);
  model.graph.initializer.push(...emitter.initializers);
  model.graph.output.push(...outputs);
  const [inputName, inputDims] = [...analysis.probe.inputs][0];
  const metadata = {
    version: EXPLAIN_FORMAT_VERSION,
    layers: layerMeta,
    features: featureMeta,
    classes: { input: CLASSES_INPUT, k, output: CLASS_INDICES_OUTPUT, topK: -1 },
    score: {
      kind: scoreMode,
      tensor: score.tensor,
      output: SCORES_OUTPUT,
      modelOutput: score.output,
      seededBefore: score.seededBefore,
      classes: score.classes,
    },
    input: { name: inputName, shape: inputDims.slice(1) },
    why,
    ...(options.guided === true && { guided: true }),
    // A forward-only graph has no gradients: the operator that stopped them, when one did.
    ...(forwardOnly && { forwardOnly: blocked ? { op: blocked.opType, node: (blocked.name || blocked.output[0]).slice(0, 200) } : {} }),
  };
  model.metadataProps = (model.metadataProps ?? []).filter((p) => p.key !== EXPLAIN_METADATA_KEY);
  model.metadataProps.push({ key: EXPLAIN_METADATA_KEY, value: JSON.stringify(metadata) });

  return {
    bytes: encodeModel(model),
    report: {
      ...metadata,
      headNodes: head.nodes.length,
      addedNodes: emitter.nodes.length,
      candidates: candidates.map((c) => ({ name: c.name, shape: c.dims, layout: c.layout })),
    },
  };
}

// Stage 1: the model can be prepared with these options (not prepared already, an opset the rules know).
function checkedOptions(model, options) {
  if (explainMetadata(model)) {
    throw new DermcamError('already_prepared', 'This model is already prepared for explanations; use it as it is.');
  }
  const opset = new GraphIndex(model).opset;
  if (opset < 11 || opset > 23) {
    throw new DermcamError('unsupported_opset', `The model uses ONNX opset ${opset}; dermcam differentiates opsets 11 to 23 ` +
      '(convert older models with onnx.version_converter.convert_version(model, 13)).');
  }
  const k = options.classes ?? 1;
  if (!Number.isInteger(k) || k < 1 || k > 100) {
    throw new DermcamError('bad_option', 'The number of explained classes (--classes) must be an integer from 1 to 100.');
  }
  const scoreMode = options.score ?? 'logit';
  if (scoreMode !== 'logit' && scoreMode !== 'probability') {
    throw new DermcamError('bad_option', "The score must be 'logit' or 'probability'.");
  }
  return { k, scoreMode, tokens: checkTokens(options.tokens), forwardOnly: options.forwardOnly === true };
}

// Stage 2a: the target layers a person named (--layer, model.json explain.layers), each checked.
function statedLayers(analysis, layers, tokens) {
  const layerTokens = new Map();
  for (const layer of layers) {
    // The model's input is a layer too: its gradients are the pixel-level methods' (saliency, integrated gradients).
    if (!analysis.index.producer.has(layer) && !analysis.probe.inputs.has(layer)) {
      throw new DermcamError('unknown_layer', `No node produces a tensor named '${layer}'. Use --list-layers to see the candidates.`);
    }
    const dims = analysis.probe.shapes.get(layer);
    if (!dims || analysis.elemType(layer) !== DataType.FLOAT) {
      throw new DermcamError('bad_layer', `Tensor '${layer}' is not a float activation.`);
    }
    const layout = tokenLayout(dims, tokens);
    if (layout) {
      layerTokens.set(layer, layout);
    } else if (dims.length === 3 && dims[0] === 1) {
      throw new DermcamError('bad_layer', `Tensor '${layer}' has shape [${dims}]: its ${dims[1]} tokens are not ` +
        (tokens ? `the ${tokens.prefix} + ${tokens.grid.join(' x ')} stated in explain.tokens.`
          : '1 or 2 prefix tokens and a square grid; state them in model.json as explain.tokens: {"prefix": P, "grid": [H, W]}.'));
    } else if (dims.length !== 4) {
      throw new DermcamError('bad_layer', `Tensor '${layer}' has shape [${dims}]; a target layer must be 4-D (batch, ` +
        'channels and two spatial axes) or a token layer (batch, tokens, channels).');
    }
  }
  return { layers, layerTokens, why: 'chosen with --layer' };
}

// Stage 2b: the layer chosen for a person who named none, as pytorch-grad-cam's users choose it: the last 4-D
// activation before the scores, or a transformer's last block's first LayerNorm. null when a probe of the tail
// alone cannot settle the choice (the whole graph is probed then).
async function automaticLayer(ort, modelBytes, options, analysis, { score, candidates, tokens, tail }) {
  const usable = options.forwardOnly ? candidates : candidates.filter((c) => !c.blocked);
  const last = usable.filter((c) => !c.tokens).pop();
  if (tail && (!last || !tail.produced.has(last.name) || usable.some((c) => c.tokens))) return null;
  if (!usable.length) {
    const first = candidates[candidates.length - 1];
    if (first) throw unsupported(analysis, first.blocked, score, [first.name]);
    throw new DermcamError('no_layer', 'The model has no 4-D activation with a spatial size above 1 and no token layer before its scores.');
  }
  if (tokens && !candidates.some((c) => c.tokens)) {
    const counts = [...new Set([...analysis.probe.shapes.values()].filter((d) => d.length === 3 && d[0] === 1).map((d) => d[1]))];
    throw new DermcamError('bad_option', `The token layout (${tokens.prefix} prefix + ${tokens.grid.join(' x ')} = ` +
      `${tokens.prefix + tokens.grid[0] * tokens.grid[1]} tokens) fits no 3-D layer of the model` +
      (counts.length ? ` (their token counts: ${counts.slice(0, 8).join(', ')}).` : '; it has none.'));
  }
  const norms = usable.filter((c) => c.tokens && analysis.isLayerNormOutput(c.name));
  const chosen = norms.length ? await lastReachingGrid(ort, modelBytes, options, analysis, norms)
    : usable.filter((c) => !c.tokens).pop() ?? usable[usable.length - 1];
  const layerTokens = new Map(chosen.tokens ? [[chosen.name, chosen.tokens]] : []);
  const consumer = analysis.index.consumers.get(chosen.name)?.map((c) => analysis.index.graph.node[c].opType) ?? [];
  const why = chosen.tokens
    ? `the last LayerNorm output whose grid tokens reach the scores (${describeShape(chosen.dims)}: ` +
      `${chosen.tokens.prefix} prefix token${chosen.tokens.prefix === 1 ? '' : 's'} and a ${describeShape(chosen.tokens.grid)} grid), as pytorch-grad-cam ` +
      "takes a transformer's last block's first LayerNorm"
    : `the last 4-D activation with spatial size > 1 before the scores (${describeShape(chosen.dims)}, ` +
      `${chosen.layout}, produced by ${chosen.node.opType}, feeding ${[...new Set(consumer)].join(', ')})`;
  return { layers: [chosen.name], layerTokens, why };
}

// Stage 3: the layers whose pooled activations the gate's discriminator reads (--gate-layer).
function checkedGateLayers(analysis, gateLayers) {
  for (const layer of gateLayers) {
    if (!analysis.index.producer.has(layer)) {
      throw new DermcamError('unknown_layer', `No node produces a tensor named '${layer}' (--gate-layer). Use --list-layers to see the candidates.`);
    }
    const dims = analysis.probe.shapes.get(layer);
    if (!dims || dims.length !== 4 || analysis.elemType(layer) !== DataType.FLOAT) {
      throw new DermcamError('bad_layer', `Tensor '${layer}' (--gate-layer) is not a 4-D float activation.`);
    }
  }
  if (new Set(gateLayers).size !== gateLayers.length) throw new DermcamError('bad_option', 'A --gate-layer is listed twice.');
  return gateLayers;
}

// Stage 4: the added nodes and outputs: class selection, the K backward passes through the head, each target
// layer's activations and gradients, the gate's pooled features. Returns the outputs and their metadata.
function emitExplainOutputs(analysis, emitter, graph, { k, score, layers, layerTokens, gateLayers, head, forwardOnly }) {
  // A token layer leaves the graph as its grid, [N, H, W, C] (NHWC): the prefix tokens dropped.
  const asGrid = (tensor, layer) => {
    const layout = layerTokens.get(layer);
    if (!layout) return tensor;
    const [, count, channels] = analysis.shape(layer);
    const grid = emitter.op('Slice', [tensor, emitter.constInt64([layout.prefix], [1]), emitter.constInt64([count], [1]),
      emitter.constInt64([1], [1])]);
    return emitter.op('Reshape', [grid, emitter.constInt64([0, ...layout.grid, channels], [4])]);
  };
  // Class selection: dermcam_classes[k] >= 0 picks that class; -1 takes the k-th best of the model's output.
  graph.input.push(valueInfo(CLASSES_INPUT, DataType.INT64, [k]));
  const [, topIndices] = emitter.opN('TopK', [score.output, emitter.constInt64([k], [1])], { axis: -1, largest: 1, sorted: 1 }, 2);
  const chosen = emitter.op('Where', [emitter.op('Less', [CLASSES_INPUT, emitter.constInt64([0], [])]), topIndices, CLASSES_INPUT]);
  emitter.nodes.push({ opType: 'Identity', input: [chosen], output: [CLASS_INDICES_OUTPUT], name: emitter.fresh('class_indices'), attribute: [] });
  const classRange = emitter.constInt64([...Array(score.classes).keys()], [1, score.classes]);

  const perSlot = [];
  for (let slot = 0; slot < (forwardOnly ? 0 : k); slot++) {
    const column = emitter.op('Slice', [chosen, emitter.constInt64([slot], [1]), emitter.constInt64([slot + 1], [1]),
      emitter.constInt64([1], [1])]);
    const seed = emitter.op('Cast', [emitter.op('Equal', [classRange, column])], { to: DataType.FLOAT });
    const gradients = emitter.backward(head.nodes, score.tensor, seed, layers);
    gradients.forEach((g, i) => {
      if (!g) throw new DermcamError('bad_layer', `The scores do not depend on '${layers[i]}'.`);
    });
    perSlot.push(gradients);
  }
  // A layer whose gradient is a global average pool's, the same at every position, leaves the graph as [N, K, C]
  // (the core spreads it): the browser pays for every byte a session hands back (about 2 ms per MB in Chromium).
  const perChannel = layers.map((layer, i) => {
    if (layerTokens.has(layer) || forwardOnly) return false;
    const spatial = analysis.guessLayout(layer) === 'NHWC' ? '1,2' : '2,3';
    return perSlot.every((gradients) => emitter.spreads.get(gradients[i])?.axes.join(',') === spatial);
  });
  const perLayer = layers.map((layer, i) => perSlot.map((gradients) => emitter.unsqueeze(perChannel[i]
    ? emitter.op('Flatten', [emitter.spreads.get(gradients[i]).compact], { axis: 1 })
    : asGrid(gradients[i], layer), [1])));

  const outputs = [];
  emitter.nodes.push({ opType: 'Identity', input: [score.tensor], output: [SCORES_OUTPUT], name: emitter.fresh('scores'), attribute: [] });
  outputs.push(valueInfo(CLASS_INDICES_OUTPUT, DataType.INT64, ['N', k]));
  outputs.push(valueInfo(SCORES_OUTPUT, DataType.FLOAT, ['N', score.classes]));
  const layerMeta = layers.map((layer, i) => {
    const tokenGrid = layerTokens.get(layer);
    const dims = tokenGrid ? [...tokenGrid.grid, analysis.shape(layer)[2]] : analysis.shape(layer).slice(1);
    const activations = `dermcam_activations_${i}`;
    const gradients = `dermcam_gradients_${i}`;
    emitter.nodes.push({ opType: 'Identity', input: [asGrid(layer, layer)], output: [activations], name: emitter.fresh('activations'), attribute: [] });
    outputs.push(valueInfo(activations, DataType.FLOAT, ['N', ...dims]));
    const layout = tokenGrid ? 'NHWC' : analysis.guessLayout(layer);
    if (forwardOnly) return { name: layer, activations, layout, shape: dims, ...(tokenGrid && { tokens: tokenGrid }) };
    const stacked = perLayer[i].length === 1 ? perLayer[i][0] : emitter.op('Concat', perLayer[i], { axis: 1 });
    emitter.nodes.push({ opType: 'Identity', input: [stacked], output: [gradients], name: emitter.fresh('gradients'), attribute: [] });
    outputs.push(valueInfo(gradients, DataType.FLOAT, ['N', k, ...(perChannel[i] ? [layerGeometry(dims, layout).channels] : dims)]));
    if (tokenGrid) return { name: layer, activations, gradients, layout, shape: dims, tokens: tokenGrid };
    return { name: layer, activations, gradients, layout, shape: dims, ...(perChannel[i] && { gradientsPerChannel: true }) };
  });

  const featureMeta = gateLayers.map((layer, j) => {
    const layout = analysis.guessLayout(layer);
    const dims = analysis.shape(layer).slice(1);
    const nchw = layout === 'NCHW' ? layer : emitter.op('Transpose', [layer], { perm: [0, 3, 1, 2] });
    const pooled = emitter.op('Flatten', [emitter.op('GlobalAveragePool', [nchw])], { axis: 1 });
    const output = `dermcam_features_${j}`;
    emitter.nodes.push({ opType: 'Identity', input: [pooled], output: [output], name: emitter.fresh('features'), attribute: [] });
    const { channels } = layerGeometry(dims, layout);
    outputs.push(valueInfo(output, DataType.FLOAT, ['N', channels]));
    return { name: layer, output, layout, channels };
  });
  return { outputs, layerMeta, featureMeta };
}
