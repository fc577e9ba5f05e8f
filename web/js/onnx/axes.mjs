// @ts-check
// Axis arithmetic shared by the gradient rules (vjp.mjs) and the row-sparse gradients (rows.mjs): which axes a
// node names or reduces, read from its attributes or constant inputs, and scattering picked positions back.
// (Its own module so that neither of those two imports the other's internals.)

export function normaliseAxis(axis, rank) {
  return axis < 0 ? axis + rank : axis;
}

export function constantInts(ctx, node, name, what) {
  const value = ctx.constantValue(name);
  if (!value) ctx.refuse(node, `${what} are not constant`);
  return value.values;
}

export function reduceAxes(ctx, node, axesInputFrom) {
  const rank = ctx.rank(node.input[0]);
  const axesFromInput = ctx.opset >= axesInputFrom;
  let axes;
  if (axesFromInput && node.input[1]) {
    axes = constantInts(ctx, node, node.input[1], 'its axes');
  } else {
    axes = axesFromInput ? undefined : ctx.attr(node, 'axes');
  }
  if (!axes || !axes.length) {
    if (axesFromInput && ctx.attr(node, 'noop_with_empty_axes', 0)) return null;
    return [];
  }
  return axes.map((a) => normaliseAxis(a, rank)).sort((p, q) => p - q);
}

/** Every axis a Reduce* node reduces (all of them when it lists none), or null for a no-op. */
export function reducedAxes(ctx, node) {
  const axes = reduceAxes(ctx, node, node.opType === 'ReduceSum' ? 13 : 18);
  if (axes === null) return null;
  return axes.length ? axes : [...Array(ctx.rank(node.input[0])).keys()];
}

/**
 * Scatters g back along `axis`: g holds, at axes axis .. axis + indexRank - 1, the values picked from
 * positions `picked` (flattened) of an axis of length `size`. Repeated positions add up. Written as one
 * MatMul with a constant one-hot matrix [L, size] after moving the picked axes last.
 */
export function scatterAlong(ctx, g, axis, indexRank, picked, size, gRank = ctx.rank(ctx.currentNode.output[0])) {
  const lead = [...Array(axis).keys()];
  const index = [...Array(indexRank).keys()].map((i) => i + axis);
  const rest = [...Array(gRank - axis - indexRank).keys()].map((i) => i + axis + indexRank);
  const perm = [...lead, ...rest, ...index];
  let moved = perm.every((p, i) => p === i) ? g : ctx.op('Transpose', [g], { perm });
  const keptRank = lead.length + rest.length;
  if (indexRank === 0) moved = ctx.unsqueeze(moved, [keptRank]);
  else if (indexRank > 1) moved = ctx.op('Reshape', [moved, ctx.constInt64([...new Array(keptRank).fill(0), picked.length], [keptRank + 1])]);
  const oneHot = new Array(picked.length * size).fill(0);
  picked.forEach((p, l) => { oneHot[l * size + p] += 1; });
  const spread = ctx.op('MatMul', [moved, ctx.constFloat(oneHot, [picked.length, size])]);
  const back = [...lead, keptRank, ...rest.map((_, i) => lead.length + i)];
  return back.every((p, i) => p === i) ? spread : ctx.op('Transpose', [spread], { perm: back });
}
