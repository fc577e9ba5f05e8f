// @ts-check
// Reverse-mode rules: for each supported ONNX operator, the vector-Jacobian product that turns the
// gradient of its output into the gradients of its differentiable inputs, written with standard ONNX
// operators (so ONNX Runtime Web runs it like any other part of the graph).
//
// A rule gets (ctx, node, dY, dYs) with dY the gradient of node.output[0] (dYs: of every output, null where
// none; only Split reads it, other nodes with a differentiated later output are refused) and returns an array
// aligned with node.input: a gradient tensor name, or null where the input is not differentiated. ctx (explain.mjs)
// emits nodes, constants and static shapes from the probe run; ctx.active(name) says whether an input
// depends on the target layer. Rules refuse (ctx.refuse) configurations they cannot differentiate exactly.
import { constantInts, normaliseAxis, reduceAxes, scatterAlong } from './axes.mjs';
import { Float } from './model.mjs';
import { RowGradient, elementwiseRows, layerNormRows, matmulRows, reduceRows, softmaxRows } from './rows.mjs';

const passThrough = (ctx, node, dY) => [dY];
const reshapeBack = (ctx, node, dY) => [ctx.reshapeLike(dY, node.input[0])];

function inverse(perm) {
  const out = new Array(perm.length);
  perm.forEach((p, i) => { out[p] = i; });
  return out;
}

// Softmax / LogSoftmax before opset 13 work on the input coerced to 2-D at `axis`.
function softmaxLike(ctx, node, dY, body) {
  const x = node.input[0];
  const y = node.output[0];
  const rank = ctx.rank(x);
  const legacy = ctx.opset < 13;
  const axis = normaliseAxis(ctx.attr(node, 'axis', legacy ? 1 : -1), rank);
  if (!legacy || axis === rank - 1) return [body(dY, y, axis)];
  const flatY = ctx.op('Flatten', [y], { axis });
  const flatDY = ctx.op('Flatten', [dY], { axis });
  return [ctx.reshapeLike(body(flatDY, flatY, 1), x)];
}

function convTransposeAttrs(ctx, node, x, y, kernel, strides, dilations, pads) {
  const spatial = ctx.shape(x).slice(2);
  const outSpatial = ctx.shape(y).slice(2);
  const rankSpatial = spatial.length;
  const begin = pads.slice(0, rankSpatial);
  const end = pads.slice(rankSpatial);
  const outputPadding = [];
  for (let i = 0; i < rankSpatial; i++) {
    const produced = strides[i] * (outSpatial[i] - 1) + (kernel[i] - 1) * dilations[i] + 1 - begin[i] - end[i];
    let extra = spatial[i] - produced;
    if (extra < 0) {  // the forward window ran past the input (ceil_mode): crop the surplus at the end
      end[i] -= extra;
      extra = 0;
    }
    if (extra >= Math.max(strides[i], dilations[i])) {
      ctx.refuse(node, `its output size does not determine its input size along axis ${i + 2}`);
    }
    outputPadding.push(extra);
  }
  return { strides, dilations, pads: [...begin, ...end], output_padding: outputPadding };
}

// Explicit pads [begin..., end...] for auto_pad / pads attributes, from static shapes.
function explicitPads(ctx, node, x, y, kernel, strides, dilations) {
  const spatial = ctx.shape(x).slice(2);
  const outSpatial = ctx.shape(y).slice(2);
  const autoPad = ctx.attr(node, 'auto_pad', 'NOTSET');
  const n = spatial.length;
  if (autoPad === 'NOTSET') return ctx.attr(node, 'pads', new Array(2 * n).fill(0));
  if (autoPad === 'VALID') return new Array(2 * n).fill(0);
  const begin = [];
  const end = [];
  for (let i = 0; i < n; i++) {
    const total = Math.max((outSpatial[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i], 0);
    const small = Math.floor(total / 2);
    begin.push(autoPad === 'SAME_LOWER' ? total - small : small);
    end.push(autoPad === 'SAME_LOWER' ? small : total - small);
  }
  return [...begin, ...end];
}

function poolGeometry(ctx, node) {
  const x = node.input[0];
  const y = node.output[0];
  const rank = ctx.rank(x);
  if (rank !== 4) ctx.refuse(node, 'only 2-D pooling is differentiated');
  const kernel = ctx.attr(node, 'kernel_shape');
  const strides = ctx.attr(node, 'strides', [1, 1]);
  const dilations = ctx.attr(node, 'dilations', [1, 1]);
  const pads = explicitPads(ctx, node, x, y, kernel, strides, dilations);
  return { x, y, kernel, strides, dilations, pads };
}

// dY scattered back through a pooling window, weighted per kernel position: ConvTranspose with group = C.
// `kernels` holds one kh x kw kernel per input channel of g (group = channels output channels).
function scatterWindows(ctx, node, g, channels, kernels, geometry) {
  const { x, y, kernel, strides, dilations, pads } = geometry;
  const weights = ctx.constFloat(kernels, [kernels.length / (kernel[0] * kernel[1]), 1, kernel[0], kernel[1]]);
  const attrs = convTransposeAttrs(ctx, node, x, y, kernel, strides, dilations, [...pads]);
  return ctx.op('ConvTranspose', [g, weights], { ...attrs, group: channels, kernel_shape: kernel });
}

/**
 * One record per operator: `vjp` is the rule; `rows` (rows.mjs), when the operator treats each row on its own, says
 * how a row-sparse gradient passes through it; `readsConstants` when the rule reads the value of a non-first input
 * (pads, bounds, indices, axes, exponent, ratio), which must then be a constant or batch-independent shape arithmetic.
 * No prototype: an operator named 'constructor' or 'toString' has no rule.
 * @type {Record<string, {vjp: Function, rows?: Function, readsConstants?: boolean}>}
 */
export const RULES = Object.assign(Object.create(null), {
  Identity: { rows: elementwiseRows, vjp: passThrough },
  Dropout: {
    readsConstants: true, rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      // In training mode it drops with its ratio (0.5 unless given): the identity only when the ratio is 0.
      const [, ratio, training] = node.input;
      const trainingValue = training ? ctx.constantValue(training) : undefined;
      if (training && (!trainingValue || trainingValue.values[0])) {
        const ratioValue = ratio ? ctx.constantValue(ratio) : undefined;
        if (!ratioValue || ratioValue.values[0] !== 0) ctx.refuse(node, 'it may run in training mode with a ratio above 0');
      }
      return [dY, null, null];
    },
  },
  Cast: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      if (!ctx.isFloat(node.input[0])) return [null];
      return [ctx.op('Cast', [dY], { to: ctx.elemType(node.input[0]) })];
    },
  },
  Flatten: { vjp: reshapeBack },
  Reshape: { vjp: (ctx, node, dY) => [ctx.reshapeLike(dY, node.input[0]), null] },
  Squeeze: { vjp: (ctx, node, dY) => [ctx.reshapeLike(dY, node.input[0]), null] },
  Unsqueeze: { vjp: (ctx, node, dY) => [ctx.reshapeLike(dY, node.input[0]), null] },
  Transpose: {
    vjp: (ctx, node, dY) => {
      const rank = ctx.rank(node.input[0]);
      const perm = ctx.attr(node, 'perm', [...Array(rank).keys()].reverse());
      return [ctx.op('Transpose', [dY], { perm: inverse(perm) })];
    },
  },

  Relu: {
    rows: elementwiseRows,
    // Guided backpropagation keeps only the positive part of the gradient as well (GuidedBackpropReLU).
    vjp: (ctx, node, dY) => [ctx.op('Where', [ctx.memo('Greater', [node.input[0], ctx.zero()]),
      ctx.guided ? ctx.op('Relu', [dY]) : dY, ctx.zero()])],
  },
  LeakyRelu: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const alpha = ctx.attr(node, 'alpha', 0.01);
      const positive = ctx.memo('Greater', [node.input[0], ctx.zero()]);
      return [ctx.op('Where', [positive, dY, ctx.op('Mul', [dY, ctx.scalar(alpha)])])];
    },
  },
  Clip: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [x, lo, hi] = node.input;
      if ((lo && ctx.active(lo)) || (hi && ctx.active(hi))) ctx.refuse(node, 'its bounds depend on the target layer');
      let inside = null;
      if (lo) inside = ctx.memo('Greater', [x, lo]);
      if (hi) {
        const below = ctx.memo('Less', [x, hi]);
        inside = inside ? ctx.memo('And', [inside, below]) : below;
      }
      return [inside ? ctx.op('Where', [inside, dY, ctx.zero()]) : dY, null, null];
    },
  },
  Sigmoid: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const y = node.output[0];
      const slope = ctx.memo('Mul', [y, ctx.memo('Sub', [ctx.scalar(1), y])]);
      return [ctx.op('Mul', [dY, slope])];
    },
  },
  HardSigmoid: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const alpha = ctx.attr(node, 'alpha', 0.2);
      const beta = ctx.attr(node, 'beta', 0.5);
      const t = ctx.memo('Add', [ctx.memo('Mul', [node.input[0], ctx.scalar(alpha)]), ctx.scalar(beta)]);
      const inside = ctx.memo('And', [ctx.memo('Greater', [t, ctx.zero()]), ctx.memo('Less', [t, ctx.scalar(1)])]);
      return [ctx.op('Where', [inside, ctx.op('Mul', [dY, ctx.scalar(alpha)]), ctx.zero()])];
    },
  },
  HardSwish: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      // PyTorch's hardswish_backward: 0 below -3, x / 3 + 0.5 up to 3 (inclusive), 1 above.
      const x = node.input[0];
      const middle = ctx.memo('Add', [ctx.memo('Div', [x, ctx.scalar(3)]), ctx.scalar(0.5)]);
      const upper = ctx.memo('Where', [ctx.memo('LessOrEqual', [x, ctx.scalar(3)]), middle, ctx.scalar(1)]);
      const slope = ctx.memo('Where', [ctx.memo('Less', [x, ctx.scalar(-3)]), ctx.zero(), upper]);
      return [ctx.op('Mul', [dY, slope])];
    },
  },
  Tanh: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const y = node.output[0];
      const slope = ctx.memo('Sub', [ctx.scalar(1), ctx.memo('Mul', [y, y])]);
      return [ctx.op('Mul', [dY, slope])];
    },
  },
  Neg: { rows: elementwiseRows, vjp: (ctx, node, dY) => [ctx.op('Neg', [dY])] },
  Exp: { rows: elementwiseRows, vjp: (ctx, node, dY) => [ctx.op('Mul', [dY, node.output[0]])] },
  Log: { rows: elementwiseRows, vjp: (ctx, node, dY) => [ctx.op('Div', [dY, node.input[0]])] },
  Sqrt: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => [ctx.op('Div', [dY, ctx.memo('Mul', [node.output[0], ctx.scalar(2)])])],
  },
  Reciprocal: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const y = node.output[0];
      return [ctx.op('Neg', [ctx.op('Mul', [dY, ctx.memo('Mul', [y, y])])])];
    },
  },
  Pow: {
    readsConstants: true, rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [x, exponent] = node.input;
      if (ctx.active(exponent)) ctx.refuse(node, 'its exponent depends on the target layer');
      const value = ctx.constantValue(exponent);
      let slope;
      if (value && value.values.length === 1) {
        const e = value.values[0];
        if (e === 0) return [ctx.unbroadcast(ctx.op('Mul', [dY, ctx.zero()]), x), null];
        if (e === 1) return [ctx.unbroadcast(dY, x), null];
        slope = e === 2 ? ctx.memo('Mul', [x, ctx.scalar(2)])
          : ctx.memo('Mul', [ctx.memo('Pow', [x, ctx.scalar(e - 1)]), ctx.scalar(e)]);
      } else {
        const e = ctx.isFloat(exponent) ? exponent : ctx.memo('Cast', [exponent], { to: 1 });
        slope = ctx.memo('Mul', [ctx.memo('Pow', [x, ctx.memo('Sub', [e, ctx.scalar(1)])]), e]);
      }
      return [ctx.unbroadcast(ctx.op('Mul', [dY, slope]), x), null];
    },
  },
  Erf: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const x = node.input[0];
      const bell = ctx.memo('Exp', [ctx.memo('Neg', [ctx.memo('Mul', [x, x])])]);
      return [ctx.op('Mul', [dY, ctx.memo('Mul', [bell, ctx.scalar(2 / Math.sqrt(Math.PI))])])];
    },
  },
  Gelu: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const x = node.input[0];
      const x2 = ctx.memo('Mul', [x, x]);
      let slope;
      if (ctx.attr(node, 'approximate', 'none') === 'tanh') {
        // y = x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
        const k = Math.sqrt(2 / Math.PI);
        const u = ctx.memo('Mul', [ctx.memo('Add', [x, ctx.memo('Mul', [ctx.memo('Mul', [x2, x]), ctx.scalar(0.044715)])]), ctx.scalar(k)]);
        const t = ctx.memo('Tanh', [u]);
        const du = ctx.memo('Mul', [ctx.memo('Add', [ctx.scalar(1), ctx.memo('Mul', [x2, ctx.scalar(3 * 0.044715)])]), ctx.scalar(k)]);
        const half = ctx.memo('Mul', [ctx.memo('Add', [ctx.scalar(1), t]), ctx.scalar(0.5)]);
        const inner = ctx.memo('Mul', [ctx.memo('Mul', [ctx.memo('Sub', [ctx.scalar(1), ctx.memo('Mul', [t, t])]), du]), ctx.memo('Mul', [x, ctx.scalar(0.5)])]);
        slope = ctx.memo('Add', [half, inner]);
      } else {
        // y = x Phi(x): slope Phi(x) + x phi(x)
        const cdf = ctx.memo('Mul', [ctx.memo('Add', [ctx.scalar(1), ctx.memo('Erf', [ctx.memo('Mul', [x, ctx.scalar(Math.SQRT1_2)])])]), ctx.scalar(0.5)]);
        const pdf = ctx.memo('Mul', [ctx.memo('Exp', [ctx.memo('Mul', [x2, ctx.scalar(-0.5)])]), ctx.scalar(1 / Math.sqrt(2 * Math.PI))]);
        slope = ctx.memo('Add', [cdf, ctx.memo('Mul', [x, pdf])]);
      }
      return [ctx.op('Mul', [dY, slope])];
    },
  },
  Softplus: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => [ctx.op('Mul', [dY, ctx.memo('Sigmoid', [node.input[0]])])],
  },
  Elu: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const alpha = ctx.attr(node, 'alpha', 1);
      const positive = ctx.memo('Greater', [node.input[0], ctx.zero()]);
      return [ctx.op('Where', [positive, dY, ctx.op('Mul', [dY, ctx.memo('Add', [node.output[0], ctx.scalar(alpha)])])])];
    },
  },
  PRelu: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [x, slope] = node.input;
      if (ctx.active(slope)) ctx.refuse(node, 'its slope depends on the target layer');
      const positive = ctx.memo('Greater', [x, ctx.zero()]);
      return [ctx.op('Where', [positive, dY, ctx.op('Mul', [dY, slope])]), null];
    },
  },
  Softmax: {
    rows: softmaxRows,
    vjp: (ctx, node, dY) => softmaxLike(ctx, node, dY, (g, y, axis) => {
      const dot = ctx.reduceSum(ctx.op('Mul', [g, y]), [axis], true);
      return ctx.op('Mul', [y, ctx.op('Sub', [g, dot])]);
    }),
  },
  LogSoftmax: {
    rows: softmaxRows,
    vjp: (ctx, node, dY) => softmaxLike(ctx, node, dY, (g, y, axis) => {
      const total = ctx.reduceSum(g, [axis], true);
      return ctx.op('Sub', [g, ctx.op('Mul', [ctx.memo('Exp', [y]), total])]);
    }),
  },

  Add: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => node.input.map((input) => (ctx.active(input) ? ctx.unbroadcast(dY, input) : null)),
  },
  Sub: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => [
      ctx.active(node.input[0]) ? ctx.unbroadcast(dY, node.input[0]) : null,
      ctx.active(node.input[1]) ? ctx.unbroadcast(ctx.op('Neg', [dY]), node.input[1]) : null,
    ],
  },
  Mul: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [a, b] = node.input;
      return [
        ctx.active(a) ? ctx.unbroadcast(ctx.op('Mul', [dY, b]), a) : null,
        ctx.active(b) ? ctx.unbroadcast(ctx.op('Mul', [dY, a]), b) : null,
      ];
    },
  },
  Div: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [a, b] = node.input;
      const y = node.output[0];
      return [
        ctx.active(a) ? ctx.unbroadcast(ctx.op('Div', [dY, b]), a) : null,
        ctx.active(b) ? ctx.unbroadcast(ctx.op('Neg', [ctx.op('Div', [ctx.op('Mul', [dY, y]), b])]), b) : null,
      ];
    },
  },

  Gemm: {
    vjp: (ctx, node, dY) => {
      const [a, b, c] = node.input;
      const alpha = ctx.attr(node, 'alpha', 1);
      const beta = ctx.attr(node, 'beta', 1);
      const transA = ctx.attr(node, 'transA', 0);
      const transB = ctx.attr(node, 'transB', 0);
      const scaled = { alpha: new Float(alpha), beta: new Float(0) };
      const gradients = [null, null, null];
      // Y = alpha * A' B' + beta * C, with A' = transA ? A^T : A and B' likewise.
      if (ctx.active(a)) {
        gradients[0] = transA
          ? ctx.op('Gemm', [b, dY], { ...scaled, transA: transB, transB: 1 })  // dA = alpha * B' dY^T
          : ctx.op('Gemm', [dY, b], { ...scaled, transA: 0, transB: transB ? 0 : 1 });  // dA = alpha * dY B'^T
      }
      if (ctx.active(b)) {
        gradients[1] = transB
          ? ctx.op('Gemm', [dY, a], { ...scaled, transA: 1, transB: transA })  // dB = alpha * dY^T A'
          : ctx.op('Gemm', [a, dY], { ...scaled, transA: transA ? 0 : 1, transB: 0 });  // dB = alpha * A'^T dY
      }
      if (c && ctx.active(c)) gradients[2] = ctx.unbroadcast(ctx.op('Mul', [dY, ctx.scalar(beta)]), c);
      return gradients;
    },
  },
  MatMul: {
    rows: matmulRows,
    vjp: (ctx, node, dY) => {
      const [a, b] = node.input;
      const rankA = ctx.rank(a);
      const rankB = ctx.rank(b);
      if (rankA < 2 || rankB < 2) ctx.refuse(node, 'one-dimensional MatMul operands are not differentiated');
      const swapLast = (rank) => [...Array(rank - 2).keys(), rank - 1, rank - 2];
      return [
        ctx.active(a) ? ctx.unbroadcast(ctx.op('MatMul', [dY, ctx.memo('Transpose', [b], { perm: swapLast(rankB) })]), a) : null,
        ctx.active(b) ? ctx.unbroadcast(ctx.op('MatMul', [ctx.memo('Transpose', [a], { perm: swapLast(rankA) }), dY]), b) : null,
      ];
    },
  },

  BatchNormalization: {
    vjp: (ctx, node, dY) => {
      const [x, scale, , , variance] = node.input;
      if (ctx.attr(node, 'training_mode', 0)) ctx.refuse(node, 'it runs in training mode');
      if (node.input.slice(1).some((i) => i && ctx.active(i))) ctx.refuse(node, 'its statistics depend on the target layer');
      const epsilon = ctx.attr(node, 'epsilon', 1e-5);
      const rank = ctx.rank(x);
      const factor = ctx.memo('Div', [scale, ctx.memo('Sqrt', [ctx.memo('Add', [variance, ctx.scalar(epsilon)])])]);
      const channels = ctx.shape(x)[1];
      const shaped = ctx.memo('Reshape', [factor, ctx.constInt64([channels, ...new Array(rank - 2).fill(1)], [rank - 1])]);
      return [ctx.op('Mul', [dY, shaped]), null, null, null, null];
    },
  },

  Conv: {
    vjp: (ctx, node, dY) => {
      const [x, w] = node.input;
      if (ctx.active(w)) ctx.refuse(node, 'its weights depend on the target layer');
      const weightShape = ctx.shape(w);
      const kernel = ctx.attr(node, 'kernel_shape', weightShape.slice(2));
      const n = kernel.length;
      const strides = ctx.attr(node, 'strides', new Array(n).fill(1));
      const dilations = ctx.attr(node, 'dilations', new Array(n).fill(1));
      const pads = explicitPads(ctx, node, x, node.output[0], kernel, strides, dilations);
      const attrs = convTransposeAttrs(ctx, node, x, node.output[0], kernel, strides, dilations, [...pads]);
      const group = ctx.attr(node, 'group', 1);
      return [ctx.op('ConvTranspose', [dY, w], { ...attrs, group, kernel_shape: kernel }), null, null];
    },
  },

  GlobalAveragePool: {
    vjp: (ctx, node, dY) => {
      const x = node.input[0];
      const spatial = ctx.shape(x).slice(2);
      const area = spatial.reduce((p, d) => p * d, 1);
      return [ctx.spread(ctx.op('Mul', [dY, ctx.scalar(1 / area)]), x, spatial.map((_, i) => i + 2))];
    },
  },
  ReduceMean: { readsConstants: true, rows: reduceRows, vjp: (ctx, node, dY) => reduceBack(ctx, node, dY, true) },
  ReduceSum: { readsConstants: true, rows: reduceRows, vjp: (ctx, node, dY) => reduceBack(ctx, node, dY, false) },

  AveragePool: {
    vjp: (ctx, node, dY) => {
      const geometry = poolGeometry(ctx, node);
      const { x, y, kernel, strides, dilations, pads } = geometry;
      const [h, w] = ctx.shape(x).slice(2);
      const [oh, ow] = ctx.shape(y).slice(2);
      const channels = ctx.shape(x)[1];
      const includePad = ctx.attr(node, 'count_include_pad', 0);
      // Divisor of every output position, as the forward pass counts it.
      const divisor = new Array(oh * ow);
      const count = (o, s, k, d, padBegin, size, padEnd) => {
        let c = 0;
        for (let i = 0; i < k; i++) {
          const p = o * s - padBegin + i * d;
          if (includePad ? p >= -padBegin && p < size + padEnd : p >= 0 && p < size) c++;
        }
        return c;
      };
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          divisor[i * ow + j] = count(i, strides[0], kernel[0], dilations[0], pads[0], h, pads[2]) *
            count(j, strides[1], kernel[1], dilations[1], pads[1], w, pads[3]);
        }
      }
      const scaled = ctx.op('Div', [dY, ctx.constFloat(divisor, [1, 1, oh, ow])]);
      const ones = new Array(channels * kernel[0] * kernel[1]).fill(1);
      return [scatterWindows(ctx, node, scaled, channels, ones, geometry)];
    },
  },
  MaxPool: {
    vjp: (ctx, node, dY) => {
      const geometry = poolGeometry(ctx, node);
      const { x, y, kernel, strides, dilations, pads } = geometry;
      if (ctx.attr(node, 'storage_order', 0) !== 0) ctx.refuse(node, 'column-major indices are not differentiated');
      const [h, w] = ctx.shape(x).slice(2);
      const [oh, ow] = ctx.shape(y).slice(2);
      const channels = ctx.shape(x)[1];
      const window = kernel[0] * kernel[1];
      // Which kernel position each output took its maximum from, from the forward pass's Indices output.
      const indices = ctx.maxPoolIndices(node);
      const row = ctx.memo('Mod', [ctx.memo('Div', [indices, ctx.constInt64([w], [])]), ctx.constInt64([h], [])]);
      const col = ctx.memo('Mod', [indices, ctx.constInt64([w], [])]);
      const rowOrigin = ctx.constInt64([...Array(oh).keys()].map((i) => i * strides[0] - pads[0]), [1, 1, oh, 1]);
      const colOrigin = ctx.constInt64([...Array(ow).keys()].map((j) => j * strides[1] - pads[1]), [1, 1, 1, ow]);
      const di = ctx.memo('Div', [ctx.memo('Sub', [row, rowOrigin]), ctx.constInt64([dilations[0]], [])]);
      const dj = ctx.memo('Div', [ctx.memo('Sub', [col, colOrigin]), ctx.constInt64([dilations[1]], [])]);
      const position = ctx.memo('Add', [ctx.memo('Mul', [di, ctx.constInt64([kernel[1]], [])]), dj]);
      const positions = ctx.constInt64([...Array(window).keys()], [1, 1, window, 1, 1]);
      const oneHot = ctx.memo('Cast', [ctx.memo('Equal', [ctx.unsqueeze(position, [2], true), positions])], { to: 1 });
      const spread = ctx.op('Mul', [oneHot, ctx.unsqueeze(dY, [2])]);
      const stacked = ctx.op('Reshape', [spread, ctx.constInt64([0, channels * window, oh, ow], [4])]);
      const kernels = [];
      for (let c = 0; c < channels; c++) {
        for (let m = 0; m < window; m++) {
          for (let k = 0; k < window; k++) kernels.push(k === m ? 1 : 0);
        }
      }
      return [scatterWindows(ctx, node, stacked, channels, kernels, geometry)];
    },
  },

  Concat: {
    vjp: (ctx, node, dY) => {
      const rank = ctx.rank(node.output[0]);
      const axis = normaliseAxis(ctx.attr(node, 'axis'), rank);
      let offset = 0;
      return node.input.map((input) => {
        const size = ctx.shape(input)[axis];
        const start = offset;
        offset += size;
        if (!ctx.active(input)) return null;
        return ctx.op('Slice', [dY, ctx.constInt64([start], [1]), ctx.constInt64([start + size], [1]),
          ctx.constInt64([axis], [1])]);
      });
    },
  },
  Pad: {
    readsConstants: true,
    vjp: (ctx, node, dY) => {
      const mode = ctx.attr(node, 'mode', 'constant');
      const x = node.input[0];
      const rank = ctx.rank(x);
      let pads;
      if (ctx.opset < 11) {
        pads = ctx.attr(node, 'pads');
      } else {
        pads = constantInts(ctx, node, node.input[1], 'its pads');
        if (node.input[3]) {  // pads for the listed axes only (opset 18)
          const axes = constantInts(ctx, node, node.input[3], 'its axes').map((a) => normaliseAxis(a, rank));
          const full = new Array(2 * rank).fill(0);
          axes.forEach((axis, i) => {
            full[axis] = pads[i];
            full[axis + rank] = pads[i + axes.length];
          });
          pads = full;
        }
      }
      if (pads.some((p) => p < 0)) ctx.refuse(node, 'negative pads (cropping) are not differentiated');
      if (mode !== 'constant' && pads.some((p) => p !== 0)) ctx.refuse(node, `'${mode}' padding is not differentiated`);
      const axes = [];
      const starts = [];
      const ends = [];
      const dims = ctx.shape(x);
      for (let axis = 0; axis < rank; axis++) {
        if (pads[axis] === 0 && pads[axis + rank] === 0) continue;
        axes.push(axis);
        starts.push(pads[axis]);
        ends.push(pads[axis] + dims[axis]);
      }
      if (!axes.length) return [dY, null, null, null];
      return [ctx.op('Slice', [dY, ctx.constInt64(starts, [axes.length]), ctx.constInt64(ends, [axes.length]),
        ctx.constInt64(axes, [axes.length])]), null, null, null];
    },
  },

  Where: {
    rows: elementwiseRows,
    vjp: (ctx, node, dY) => {
      const [condition, a, b] = node.input;
      return [
        null,
        ctx.active(a) ? ctx.unbroadcast(ctx.op('Where', [condition, dY, ctx.zero()]), a) : null,
        ctx.active(b) ? ctx.unbroadcast(ctx.op('Where', [condition, ctx.zero(), dY]), b) : null,
      ];
    },
  },
  Expand: { vjp: (ctx, node, dY) => [ctx.unbroadcast(dY, node.input[0]), null] },
  Gather: {
    readsConstants: true,
    vjp: (ctx, node, dY) => {
      const [x, indices] = node.input;
      const dims = ctx.shape(x);
      const axis = normaliseAxis(ctx.attr(node, 'axis', 0), dims.length);
      const value = ctx.constantValue(indices);
      if (!value) ctx.refuse(node, 'its indices are not constant');
      const picked = value.values.map((i) => (i < 0 ? i + dims[axis] : i));
      if (value.dims.length <= 1) {  // a few rows (a class token): the gradient stays zero elsewhere (rows.mjs)
        const rows = value.dims.length ? dY : ctx.unsqueeze(dY, [axis]);
        return [new RowGradient(rows, axis, picked, dims[axis], dims.length), null];
      }
      return [scatterAlong(ctx, dY, axis, value.dims.length, picked, dims[axis]), null];
    },
  },
  Slice: {
    readsConstants: true,
    vjp: (ctx, node, dY) => {
      const x = node.input[0];
      const dims = ctx.shape(x);
      const rank = dims.length;
      const starts = constantInts(ctx, node, node.input[1], 'its starts');
      const ends = constantInts(ctx, node, node.input[2], 'its ends');
      const axes = node.input[3] ? constantInts(ctx, node, node.input[3], 'its axes').map((a) => normaliseAxis(a, rank))
        : starts.map((_, i) => i);
      const steps = node.input[4] ? constantInts(ctx, node, node.input[4], 'its steps') : starts.map(() => 1);
      const pads = new Array(2 * rank).fill(0);
      const strided = [];
      axes.forEach((axis, i) => {
        const picked = sliceIndices(dims[axis], starts[i], ends[i], steps[i]);
        if (steps[i] === 1) {
          pads[axis] = picked.length ? picked[0] : 0;
          pads[axis + rank] = dims[axis] - pads[axis] - picked.length;
        } else {
          strided.push({ axis, picked });
        }
      });
      let g = dY;
      for (const { axis, picked } of strided) g = scatterAlong(ctx, g, axis, 1, picked, dims[axis]);
      if (pads.some((p) => p !== 0)) g = ctx.op('Pad', [g, ctx.constInt64(pads, [pads.length])], { mode: 'constant' });
      return [g, null, null, null, null];
    },
  },
  Split: {
    readsConstants: true,
    vjp: (ctx, node, dY, dYs) => {
      // Each output's gradient in its place along the axis; outputs the score does not read contribute zeros.
      const axis = normaliseAxis(ctx.attr(node, 'axis', 0), ctx.rank(node.input[0]));
      const parts = node.output.map((output, i) => dYs[i] ?? ctx.op('Expand', [ctx.zero(), ctx.shapeOf(output)]));
      return [parts.length === 1 ? parts[0] : ctx.op('Concat', parts, { axis }), null];
    },
  },
  GlobalMaxPool: {
    vjp: (ctx, node, dY) => {
      const rank = ctx.rank(node.input[0]);
      return [maxBack(ctx, node, dY, [...Array(rank - 2).keys()].map((i) => i + 2), true)];
    },
  },
  ReduceMax: {
    readsConstants: true,
    vjp: (ctx, node, dY) => {
      const x = node.input[0];
      const rank = ctx.rank(x);
      let axes = reduceAxes(ctx, node, 18);
      if (axes === null) return [dY, null];
      if (!axes.length) axes = [...Array(rank).keys()];
      return [maxBack(ctx, node, dY, axes, ctx.attr(node, 'keepdims', 1) === 1), null];
    },
  },
  LayerNormalization: {
    rows: layerNormRows,
    vjp: (ctx, node, dY) => {
      const [x, scale, bias] = node.input;
      if (ctx.active(scale) || (bias && ctx.active(bias))) ctx.refuse(node, 'its scale or bias depends on the target layer');
      const rank = ctx.rank(x);
      const first = normaliseAxis(ctx.attr(node, 'axis', -1), rank);
      const axes = [...Array(rank - first).keys()].map((i) => i + first);
      const epsilon = ctx.attr(node, 'epsilon', 1e-5);
      // Forward statistics, recomputed once: x^ = (x - mean) / sqrt(var + eps).
      const centred = ctx.memo('Sub', [x, ctx.reduce('ReduceMean', x, axes, true, true)]);
      const variance = ctx.reduce('ReduceMean', ctx.memo('Mul', [centred, centred]), axes, true, true);
      const inverseStd = ctx.memo('Reciprocal', [ctx.memo('Sqrt', [ctx.memo('Add', [variance, ctx.scalar(epsilon)])])]);
      const normalised = ctx.memo('Mul', [centred, inverseStd]);
      // dx = (g - mean(g) - x^ mean(g x^)) / sqrt(var + eps), with g = dY * scale.
      const g = ctx.op('Mul', [dY, scale]);
      const meanG = ctx.reduce('ReduceMean', g, axes, true);
      const meanGX = ctx.reduce('ReduceMean', ctx.op('Mul', [g, normalised]), axes, true);
      const inner = ctx.op('Sub', [ctx.op('Sub', [g, meanG]), ctx.op('Mul', [normalised, meanGX])]);
      return [ctx.op('Mul', [inner, inverseStd]), null, null];
    },
  },

});

/** The reduced axes of a Reduce* node (sorted, non-negative), [] for all, or null for a no-op. */
function reduceBack(ctx, node, dY, mean) {
  const x = node.input[0];
  const rank = ctx.rank(x);
  let axes = reduceAxes(ctx, node, mean ? 18 : 13);
  if (axes === null) return [dY, null];
  if (!axes.length) axes = [...Array(rank).keys()];
  const keepdims = ctx.attr(node, 'keepdims', 1);
  const g = keepdims ? dY : ctx.unsqueeze(dY, axes);
  const count = axes.reduce((p, a) => p * ctx.shape(x)[a], 1);
  const scaled = mean ? ctx.op('Mul', [g, ctx.scalar(1 / count)]) : g;
  return [ctx.spread(scaled, x, axes), null];
}

/** The positions ONNX Slice takes along an axis of size `size` (starts/ends clamped as the operator does). */
function sliceIndices(size, start, end, step) {
  if (step === 0) throw new Error('Slice step 0');
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + size : start;
  let e = end < 0 ? end + size : end;
  if (step > 0) {
    s = clamp(s, 0, size);
    e = clamp(e, 0, size);
  } else {
    s = clamp(s, -1, size - 1);
    e = clamp(e, -1, size - 1);
  }
  const out = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/** Max over `axes` sends the gradient to the first position holding the maximum, as autograd's max does. */
function maxBack(ctx, node, dY, axes, keepdims) {
  const x = node.input[0];
  const dims = ctx.shape(x);
  const rank = dims.length;
  const kept = [...Array(rank).keys()].filter((a) => !axes.includes(a));
  const perm = [...kept, ...axes];
  const identity = perm.every((p, i) => p === i);
  const count = axes.reduce((p, a) => p * dims[a], 1);
  const flat = ctx.constInt64([...new Array(kept.length).fill(0), count], [kept.length + 1]);
  const xMoved = identity ? x : ctx.memo('Transpose', [x], { perm });
  const xFlat = ctx.memo('Reshape', [xMoved, flat]);
  const argmax = ctx.memo('ArgMax', [xFlat], { axis: -1, keepdims: 1 });
  const positions = ctx.constInt64([...Array(count).keys()], [count]);
  const oneHot = ctx.memo('Cast', [ctx.memo('Equal', [argmax, positions])], { to: 1 });
  let g = keepdims ? ctx.op('Reshape', [identity ? dY : ctx.op('Transpose', [dY], { perm }),
    ctx.constInt64([...new Array(kept.length).fill(0), 1], [kept.length + 1])]) : ctx.unsqueeze(dY, [kept.length]);
  g = ctx.op('Mul', [oneHot, g]);
  const unflat = ctx.constInt64([...new Array(kept.length).fill(0), ...axes.map((a) => dims[a])], [rank]);
  const spread = ctx.op('Reshape', [g, unflat]);
  return identity ? spread : ctx.op('Transpose', [spread], { perm: inverse(perm) });
}

/** Operators whose outputs never carry gradient (integer results, shapes): the walk stops there. */
export const NON_DIFFERENTIABLE = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'IsNaN', 'IsInf', 'NonZero', 'TopK_indices']);

export const SUPPORTED_OPS = Object.keys(RULES).sort();
