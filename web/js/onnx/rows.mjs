// @ts-check
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

// How each input of a node is cut when only rows along `axis` (of the output, length `size`) are wanted:
// 'slice' (the input has that axis at full length), 'keep' (broadcast along it, or not indexed by it), or null
// when the node mixes rows along that axis. A gradient rule that is row-wise names its plan (vjp.mjs, `rows`).
const rankOf = (ctx, node) => ctx.rank(node.output[0]);

/** Each output element reads the same position of its (broadcast) inputs. */
export function elementwiseRows(ctx, node, axis, size) {
  const rank = rankOf(ctx, node);
  return node.input.map((input) => {
    if (!input) return 'keep';
    const dims = ctx.shape(input);
    const a = axis - (rank - dims.length);
    if (a < 0 || dims[a] === 1) return 'keep';
    return dims[a] === size ? 'slice' : null;
  });
}

/** LayerNormalization normalises over the axes from `axis` on: rows before them are independent. */
export function layerNormRows(ctx, node, axis) {
  const first = ctx.attr(node, 'axis', -1);
  const rank = rankOf(ctx, node);
  return axis < (first < 0 ? first + rank : first) ? ['slice', 'keep', 'keep'].slice(0, node.input.length) : null;
}

/** Softmax over another axis (opset 13 on; before, the input is coerced to 2-D). */
export function softmaxRows(ctx, node, axis) {
  const along = ctx.attr(node, 'axis', -1);
  const rank = rankOf(ctx, node);
  return ctx.opset >= 13 && axis !== (along < 0 ? along + rank : along) ? ['slice'] : null;
}

/** A reduction over other axes, keeping its dimensions. */
export function reduceRows(ctx, node, axis) {
  const axes = reducedAxes(ctx, node);
  return axes && ctx.attr(node, 'keepdims', 1) && !axes.includes(axis) ? ['slice', 'keep'].slice(0, node.input.length) : null;
}

/** MatMul: rows of A (B is read whole), or a batch axis of both. */
export function matmulRows(ctx, node, axis, size) {
  const [a, b] = node.input.map((i) => ctx.rank(i));
  const rank = rankOf(ctx, node);
  if (a >= 2 && b >= 2 && axis === rank - 2) return ['slice', 'keep'];
  if (a >= 2 && b >= 2 && axis < rank - 2) return elementwiseRows(ctx, node, axis, size);
  return null;
}

/**
 * The copy of `node` that computes only rows `rows` of its outputs along `axis` (emitted once per node and rows,
 * however many classes are explained), or null when the node mixes those rows (its rule's `rowPlan` says).
 * Inputs of the copy that were cut record which original input they stand for (sliceOf).
 */
export function rowCopy(ctx, node, gradient, rowPlan) {
  const { axis, rows, size } = gradient;
  if (!rowPlan || (node.output.filter(Boolean).length !== 1 && node.opType !== 'Dropout')) return null;
  const plan = rowPlan(ctx, node, axis, size);
  if (!plan || !plan.every(Boolean) || !plan.includes('slice')) return null;
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
