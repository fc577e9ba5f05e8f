// @ts-check
// Static shapes of every tensor of a graph, computed in JavaScript from the input's shape, the attributes and the
// constants, for the operators whose output shape needs nothing else. It answers the question the probe run in
// ONNX Runtime answers (probe.mjs), in the same form, without building a session: for a graph of 100,000 nodes
// that session costs seconds while this takes milliseconds. A graph with any operator not listed here, a non-float
// tensor flowing between nodes, or shapes that do not agree (a Conv's channels, a MatMul's inner size) gets null,
// and the caller probes it in ONNX Runtime, which then also says what is wrong with it.
// tests/js/shapes.test.mjs checks every answer against ONNX Runtime's on the fixture models.
import { DermcamError } from '../errors.mjs';
import { DataType, GraphIndex, attribute, toNumber } from './model.mjs';
import { MAX_KEPT_VALUES, inputDims } from './probe.mjs';

const FLOAT = DataType.FLOAT;

/** Thrown inside a rule: this graph is not one the rules can answer for (the caller probes it instead). */
const UNKNOWN = Symbol('not answered by the rules');
const unknown = () => { throw UNKNOWN; };
const need = (condition) => { if (!condition) unknown(); };

const positive = (d) => Number.isSafeInteger(d) && d >= 1;
const axisOf = (axis, rank) => {
  const a = axis < 0 ? axis + rank : axis;
  need(Number.isInteger(a) && a >= 0 && a < rank);
  return a;
};
const product = (dims) => dims.reduce((a, b) => a * b, 1);

/** numpy broadcasting of any number of shapes. */
function broadcast(...shapes) {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const at = rank - s.length + i;
      if (s[i] === out[at] || s[i] === 1) continue;
      need(out[at] === 1);
      out[at] = s[i];
    }
  }
  return out;
}

const same = (node, ins) => ins[0];
const elementwise = (node, ins) => broadcast(...ins.filter(Boolean));

/** Spatial output sizes of a convolution or pooling window (auto_pad, pads, strides, dilations). */
function windowed(node, x, kernel) {
  const spatial = x.length - 2;
  need(spatial >= 1 && kernel.length === spatial && kernel.every(positive));
  const strides = attribute(node, 'strides', new Array(spatial).fill(1));
  const dilations = attribute(node, 'dilations', new Array(spatial).fill(1));
  const autoPad = attribute(node, 'auto_pad', 'NOTSET');
  need(strides.length === spatial && strides.every(positive) && dilations.length === spatial && dilations.every(positive));
  need(attribute(node, 'ceil_mode', 0) === 0);  // ceil mode's last-window rule differs between runtimes: probe it
  const out = [];
  for (let i = 0; i < spatial; i++) {
    const size = x[i + 2];
    const extent = (kernel[i] - 1) * dilations[i] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out.push(Math.ceil(size / strides[i]));
    } else {
      need(autoPad === 'NOTSET' || autoPad === 'VALID');
      const pads = autoPad === 'VALID' ? [] : attribute(node, 'pads', []);
      need(pads.length === 0 || pads.length === 2 * spatial);
      const padded = size + (pads[i] ?? 0) + (pads[i + spatial] ?? 0);
      need(padded >= extent);
      out.push(Math.floor((padded - extent) / strides[i]) + 1);
    }
  }
  return out;
}

function conv(node, [x, w, b]) {
  need(x && w && x.length === w.length && x.length >= 3);
  const group = attribute(node, 'group', 1);
  need(positive(group) && x[1] === w[1] * group && w[0] % group === 0);
  need(!b || (b.length === 1 && b[0] === w[0]));
  const kernel = attribute(node, 'kernel_shape', w.slice(2));
  need(kernel.every((k, i) => k === w[i + 2]));
  return [x[0], w[0], ...windowed(node, x, kernel)];
}

function pool(node, [x]) {
  need(x && x.length >= 3 && node.output.filter(Boolean).length === 1);  // MaxPool's Indices: probe it
  return [x[0], x[1], ...windowed(node, x, attribute(node, 'kernel_shape', []))];
}

function gemm(node, [a, b, c]) {
  need(a?.length === 2 && b?.length === 2);
  const [m, k] = attribute(node, 'transA', 0) ? [a[1], a[0]] : a;
  const [k2, n] = attribute(node, 'transB', 0) ? [b[1], b[0]] : b;
  need(k === k2);
  if (c) need(broadcast(c, [m, n]).every((d, i) => d === [m, n][i]));
  return [m, n];
}

function matmul(node, [a, b]) {
  need(a?.length >= 1 && b?.length >= 1);
  const left = a.length === 1 ? [1, a[0]] : a;
  const right = b.length === 1 ? [b[0], 1] : b;
  need(left.at(-1) === right.at(-2));
  const out = [...broadcast(left.slice(0, -2), right.slice(0, -2)), left.at(-2), right.at(-1)];
  if (a.length === 1) out.splice(-2, 1);
  if (b.length === 1) out.splice(-1, 1);
  return out;
}

function flatten(node, [x]) {
  const axis = attribute(node, 'axis', 1);
  const a = axis < 0 ? axis + x.length : axis;
  need(a >= 0 && a <= x.length);
  return [product(x.slice(0, a)), product(x.slice(a))];
}

function reshape(node, [x], constants) {
  const target = constants(1);
  const allowZero = attribute(node, 'allowzero', 0);
  const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
  need(out.every((d) => d === -1 || positive(d)) && out.filter((d) => d === -1).length <= 1);
  const known = product(out.filter((d) => d !== -1));
  const total = product(x);
  if (out.includes(-1)) {
    need(total % known === 0);
    out[out.indexOf(-1)] = total / known;
  }
  need(product(out) === total);
  return out;
}

function transpose(node, [x]) {
  const perm = attribute(node, 'perm', x.map((_, i) => x.length - 1 - i));
  need(perm.length === x.length && new Set(perm).size === x.length);
  return perm.map((p) => { need(p >= 0 && p < x.length); return x[p]; });
}

function concat(node, ins) {
  const shapes = ins.filter(Boolean);
  const rank = shapes[0].length;
  const axis = axisOf(attribute(node, 'axis'), rank);
  need(shapes.every((s) => s.length === rank && s.every((d, i) => i === axis || d === shapes[0][i])));
  const out = shapes[0].slice();
  out[axis] = shapes.reduce((sum, s) => sum + s[axis], 0);
  return out;
}

// The axes of a Reduce*, Squeeze or Unsqueeze: an attribute before opset 13/18, an optional constant input after.
function axesOf(node, constants) {
  const fromAttribute = attribute(node, 'axes');
  if (fromAttribute) return fromAttribute;
  return node.input[1] ? constants(1) : null;
}

function reduce(node, [x], constants) {
  const axes = axesOf(node, constants);
  const keep = attribute(node, 'keepdims', 1);
  if (!axes?.length && attribute(node, 'noop_with_empty_axes', 0)) return x;
  const reduced = new Set((axes?.length ? axes : x.map((_, i) => i)).map((a) => axisOf(a, x.length)));
  return keep ? x.map((d, i) => (reduced.has(i) ? 1 : d)) : x.filter((_, i) => !reduced.has(i));
}

function squeeze(node, [x], constants) {
  const axes = axesOf(node, constants);
  const dropped = new Set((axes ?? x.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) => axisOf(a, x.length)));
  for (const a of dropped) need(x[a] === 1);
  return x.filter((_, i) => !dropped.has(i));
}

function unsqueeze(node, [x], constants) {
  const axes = axesOf(node, constants);
  need(axes?.length);
  const rank = x.length + axes.length;
  const added = new Set(axes.map((a) => axisOf(a, rank)));
  need(added.size === axes.length);
  const rest = x.slice();
  return Array.from({ length: rank }, (_, i) => (added.has(i) ? 1 : rest.shift()));
}

function pad(node, [x], constants) {
  need(!node.input[3]);  // opset 18's axes input: probe it
  const pads = node.input[1] ? constants(1) : attribute(node, 'pads', []);
  need(pads.length === 2 * x.length);
  return x.map((d, i) => d + pads[i] + pads[i + x.length]);
}

function softmax(node, [x]) {
  axisOf(attribute(node, 'axis', -1), x.length);
  return x;
}

const UNARY = ['Abs', 'Celu', 'Ceil', 'Cos', 'Elu', 'Erf', 'Exp', 'Floor', 'Gelu', 'HardSigmoid', 'HardSwish',
  'Identity', 'LeakyRelu', 'Log', 'Mish', 'Neg', 'Reciprocal', 'Relu', 'Round', 'Selu', 'Sigmoid', 'Sign', 'Sin',
  'Softplus', 'Softsign', 'Sqrt', 'Tanh', 'ThresholdedRelu'];
const BROADCAST = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'PRelu'];

/**
 * The rule per operator: (node, input shapes, constants) => output shape. `constants(i)` is input i's constant
 * values. Which inputs a rule reads as constants is `CONSTANT_INPUTS`; every other input must be a float tensor.
 */
/** @typedef {(node: any, inputs: number[][], constants: (i: number) => number[]) => number[]} ShapeRule */
/** @param {string[]} ops @param {ShapeRule} rule */
const each = (ops, rule) => Object.fromEntries(ops.map((op) => [op, rule]));
const globalPool = (node, [x]) => { need(x.length >= 3); return [x[0], x[1], ...x.slice(2).map(() => 1)]; };
/** @type {Map<string, ShapeRule>} */
const RULES = new Map(Object.entries({
  ...each(UNARY, same),
  ...each(BROADCAST, elementwise),
  ...each(['Clip', 'Dropout', 'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LpNormalization',
    'LRN'], same),
  Softmax: softmax, LogSoftmax: softmax,
  Conv: conv, MaxPool: pool, AveragePool: pool, LpPool: pool, GlobalAveragePool: globalPool, GlobalMaxPool: globalPool,
  Gemm: gemm, MatMul: matmul, Flatten: flatten, Reshape: reshape, Transpose: transpose,
  Concat: concat, Squeeze: squeeze, Unsqueeze: unsqueeze, Pad: pad,
  ...each(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceL2', 'ReduceProd'], reduce),
}));
const CONSTANT_INPUTS = {
  Reshape: [1], Squeeze: [1], Unsqueeze: [1], Pad: [1, 2], Clip: [1, 2], Dropout: [1, 2],
  ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceSum: [1], ReduceL2: [1], ReduceProd: [1],
};
// Operators with a second output the rules do not describe (BatchNormalization's running statistics in training
// mode, LayerNormalization's mean, MaxPool's indices): a graph that reads one is probed. Dropout's mask is a
// boolean tensor of its input's shape.
const ONE_OUTPUT = new Set(['BatchNormalization', 'LayerNormalization', 'MaxPool']);

function constantShape(index, node) {
  const value = attribute(node, 'value');
  if (value) {
    return { dims: value.dims.map(toNumber), type: value.dataType };
  }
  const values = index.constant(node.output[0]);
  need(values);
  const isFloat = ['value_float', 'value_floats'].some((n) => attribute(node, n) !== undefined);
  return { dims: values.dims, type: isFloat ? FLOAT : DataType.INT64 };
}

/**
 * What `probeModel` returns, computed without running the model, or null when the graph needs the probe.
 * @param {{inputShape?: number[]}} options  as probeModel: dynamic image dimensions (default 224 x 224, 3 channels)
 * @returns {{shapes: Map<string, number[]>, types: Map<string, number>,
 *           values: Map<string, {dims: number[], values: number[]}>, inputs: Map<string, number[]>} | null}
 */
export function inferShapes(model, options = {}) {
  const { inputShape } = options;
  const index = new GraphIndex(model);
  const graph = model.graph;
  const shapes = new Map();
  const types = new Map();
  const values = new Map();
  const inputs = new Map();
  for (const input of graph.input) {
    if (index.initializers.has(input.name)) continue;
    if (input.type?.tensorType?.elemType !== FLOAT) return null;  // the probe's own message says why
    const dims = inputDims(input, inputShape);
    inputs.set(input.name, dims);
    shapes.set(input.name, dims);
    types.set(input.name, FLOAT);
  }
  if (inputs.size !== 1) return null;
  const shapeOf = (name) => {
    if (shapes.has(name)) return shapes.get(name);
    const init = index.initializers.get(name);
    return init ? init.dims.map(toNumber) : unknown();
  };
  const typeOf = (name) => types.get(name) ?? index.initializers.get(name)?.dataType ?? unknown();
  let order;
  try {
    order = index.topologicalOrder();
  } catch {
    return null;  // a cycle or a dangling input: ONNX Runtime's own message names it
  }
  try {
    for (const nodeIndex of order) {
      const node = graph.node[nodeIndex];
      need(!node.domain || node.domain === 'ai.onnx');
      if (node.opType === 'Constant') {
        const { dims, type } = constantShape(index, node);
        shapes.set(node.output[0], dims);
        types.set(node.output[0], type);
        if ((type === DataType.INT64 || type === DataType.INT32) && product(dims) <= MAX_KEPT_VALUES) {
          values.set(node.output[0], { dims, values: index.constant(node.output[0]).values });
        }
        continue;
      }
      const rule = RULES.get(node.opType) ?? unknown();
      if (ONE_OUTPUT.has(node.opType)) need(node.output.slice(1).every((o) => !o));
      const constantInputs = CONSTANT_INPUTS[node.opType] ?? [];
      const ins = node.input.map((name, i) => {
        if (!name || constantInputs.includes(i)) return null;
        need(typeOf(name) === FLOAT);
        return shapeOf(name);
      });
      need(ins[0]);
      const constants = (i) => index.constant(node.input[i])?.values ?? unknown();
      const dims = rule(node, ins, constants);
      need(dims.every(positive));
      shapes.set(node.output[0], dims);
      types.set(node.output[0], FLOAT);
      if (node.opType === 'Dropout' && node.output[1]) {
        shapes.set(node.output[1], dims);
        types.set(node.output[1], DataType.BOOL);
      }
    }
  } catch (error) {
    if (error === UNKNOWN) return null;
    if (error instanceof DermcamError && error.code === 'unsupported_tensor') return null;
    throw error;
  }
  return { shapes, types, values, inputs };
}
