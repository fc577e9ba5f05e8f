// Row-sparse gradients. A transformer's classifier reads one token (Gather of the class token), so the gradient
// that flows back from the scores is zero on every other token until the next operator that mixes tokens
// (attention). Carried densely, the backward pass through the last LayerNorm and MLP would multiply 197 rows of
// which 196 are zeros. A RowGradient keeps only the rows that can be non-zero; operators that treat each row on
// its own (elementwise, LayerNormalization over the channels, MatMul by weights, Softmax over another axis) are
// differentiated on those rows alone, by a copy of the forward node that computes just those rows. Any other
// operator gets the full gradient (densify). The values are exactly those of the dense computation.
import { reducedAxes, scatterAlong } from './axes.mjs';

/** The gradient of a tensor that is zero except at positions `rows` of `axis` (length `size`). */
export class RowGradient {
  constructor(tensor, axis, rows, size, rank) {
    this.tensor = tensor;  // the gradient at those rows: the tensor's shape with `axis` of length rows.length
    this.axis = axis;
    this.rows = rows;
    this.size = size;
    this.rank = rank;
  }

  sameRows(other) {
    return other instanceof RowGradient && other.axis === this.axis && other.rows.join() === this.rows.join();
  }
}

const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Identity', 'Cast', 'Dropout', 'Relu',
  'LeakyRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal',
  'Erf', 'Gelu', 'Softplus', 'Elu', 'PRelu']);

/**
 * How each input of `node` is cut when only rows `axis` (of the output, length `size`) are wanted: 'slice'
 * (the input has that axis at full length), 'keep' (broadcast along it, or not indexed by it), or null when the
 * node mixes rows along that axis.
 */
function rowPlan(ctx, node, axis, size) {
  const rank = ctx.rank(node.output[0]);
  const broadcastPlan = () => node.input.map((input) => {
    if (!input) return 'keep';
    const dims = ctx.shape(input);
    const a = axis - (rank - dims.length);
    if (a < 0 || dims[a] === 1) return 'keep';
    return dims[a] === size ? 'slice' : null;
  });
  const op = node.opType;
  let plan = null;
  if (ELEMENTWISE.has(op)) {
    plan = broadcastPlan();
  } else if (op === 'LayerNormalization') {
    const first = ctx.attr(node, 'axis', -1);
    if (axis < (first < 0 ? first + rank : first)) plan = ['slice', 'keep', 'keep'].slice(0, node.input.length);
  } else if (op === 'Softmax' || op === 'LogSoftmax') {
    const along = ctx.attr(node, 'axis', -1);
    if (ctx.opset >= 13 && axis !== (along < 0 ? along + rank : along)) plan = ['slice'];
  } else if (op === 'ReduceMean' || op === 'ReduceSum') {
    const axes = reducedAxes(ctx, node);
    if (axes && ctx.attr(node, 'keepdims', 1) && !axes.includes(axis)) plan = ['slice', 'keep'].slice(0, node.input.length);
  } else if (op === 'MatMul') {
    const [a, b] = node.input.map((i) => ctx.rank(i));
    if (a >= 2 && b >= 2 && axis === rank - 2) {
      plan = ['slice', 'keep'];  // rows of A; B is read whole
    } else if (a >= 2 && b >= 2 && axis < rank - 2) {
      plan = broadcastPlan();
    }
  }
  return plan && plan.every(Boolean) && plan.some((p) => p === 'slice') ? plan : null;
}

/**
 * The copy of `node` that computes only rows `rows` of its outputs along `axis` (emitted once per node and rows,
 * however many classes are explained), or null when the node mixes those rows. Inputs of the copy that were cut
 * record which original input they stand for (sliceOf).
 */
export function rowCopy(ctx, node, gradient) {
  const { axis, rows, size } = gradient;
  if (node.output.filter(Boolean).length !== 1 && node.opType !== 'Dropout') return null;
  const plan = rowPlan(ctx, node, axis, size);
  if (!plan) return null;
  const key = `rows|${node.output[0]}|${axis}|${rows.join(',')}`;
  const cached = ctx.memoTable.get(key);
  if (cached) return cached;
  const rank = ctx.rank(node.output[0]);
  const indices = ctx.constInt64(rows, [rows.length]);
  const sliceOf = new Map();
  const inputs = node.input.map((input, k) => {
    if (plan[k] !== 'slice') return input;
    const dims = ctx.shape(input);
    const a = axis - (rank - dims.length);
    const sliced = ctx.memo('Gather', [input, indices], { axis: a });
    ctx.registerTensor(sliced, dims.map((d, i) => (i === a ? rows.length : d)), ctx.elemType(input), ctx.active(input));
    sliceOf.set(sliced, input);
    return sliced;
  });
  const outputs = node.output.map((output) => {
    if (!output) return '';
    const name = ctx.fresh(`${node.opType}_rows`);
    ctx.registerTensor(name, ctx.shape(output).map((d, i) => (i === axis ? rows.length : d)), ctx.elemType(output), true);
    return name;
  });
  ctx.nodes.push({ ...node, input: inputs, output: outputs, name: ctx.fresh(`${node.opType}_rows_node`) });
  const copy = { node: { ...node, input: inputs, output: outputs }, sliceOf };
  ctx.memoTable.set(key, copy);
  return copy;
}

/** The full gradient: the kept rows scattered into zeros. */
export function densify(ctx, g) {
  if (!(g instanceof RowGradient)) return g;
  return scatterAlong(ctx, g.tensor, g.axis, 1, g.rows, g.size, g.rank);
}
