// A ViT-S/16-sized Vision Transformer with random weights, written as ONNX (opset 17) the way torch exports
// torchvision's VisionTransformer: patch Conv, class token, position embedding, 12 pre-norm blocks
// (LayerNormalization, attention as MatMul/Softmax over 6 heads, exact GELU through Erf), final LayerNorm,
// the class token's row, a linear head. The benchmark's transformer; built here so it needs no torch.
import { graphBuilder } from './graph-builder.mjs';

export const VIT_S16 = { imageSize: 224, patch: 16, depth: 12, heads: 6, dim: 384, mlp: 1536, classes: 6 };

/**
 * @param extraNorms  LayerNorms over all tokens after the final one (0 in a ViT): tests use them to put more
 *   LayerNorms after the last attention than the automatic target choice tries first
 * @returns {Uint8Array} the model's bytes (about 88 MB of float32 weights for VIT_S16)
 */
export function vitModel({ imageSize, patch, depth, heads, dim, mlp, classes, extraNorms = 0 } = VIT_S16, seed = 1) {
  const { weight, ints, op, encode } = graphBuilder(seed);
  const linear = (x, inputs, outputs) => op('Add', [op('MatMul', [x, weight([inputs, outputs], 1 / Math.sqrt(inputs))]),
    weight([outputs], 0.02)]);
  const layerNorm = (x) => op('LayerNormalization', [x, weight([dim], 0.1, 1), weight([dim], 0.02)], { axis: -1, epsilon: 1e-6 });

  const grid = imageSize / patch;
  const tokens = grid * grid + 1;
  const headDim = dim / heads;
  const patches = op('Conv', ['input', weight([dim, 3, patch, patch], 1 / Math.sqrt(3 * patch * patch)), weight([dim], 0.02)],
    { kernel_shape: [patch, patch], strides: [patch, patch] });
  const sequence = op('Transpose', [op('Reshape', [patches, ints([0, dim, grid * grid])])], { perm: [0, 2, 1] });
  // The class token, expanded to the batch: shape arithmetic, as torch exports it.
  const batch = op('Slice', [op('Shape', [sequence]), ints([0]), ints([1])]);
  const classToken = op('Expand', [weight([1, 1, dim], 0.02), op('Concat', [batch, ints([1, dim])], { axis: 0 })]);
  let x = op('Add', [op('Concat', [classToken, sequence], { axis: 1 }), weight([1, tokens, dim], 0.02)]);
  for (let block = 0; block < depth; block++) {
    const qkv = op('Transpose', [op('Reshape', [linear(layerNorm(x), dim, 3 * dim), ints([0, tokens, 3, heads, headDim])])],
      { perm: [2, 0, 3, 1, 4] });
    const [q, k, v] = op('Split', [qkv, ints([1, 1, 1])], { axis: 0 }, 3).map((t) => op('Squeeze', [t, ints([0])]));
    const scores = op('Mul', [op('MatMul', [q, op('Transpose', [k], { perm: [0, 1, 3, 2] })]), weight([1], 0, 1 / Math.sqrt(headDim))]);
    const attended = op('MatMul', [op('Softmax', [scores], { axis: -1 }), v]);
    const merged = op('Reshape', [op('Transpose', [attended], { perm: [0, 2, 1, 3] }), ints([0, tokens, dim])]);
    x = op('Add', [x, linear(merged, dim, dim)]);
    const hidden = linear(layerNorm(x), dim, mlp);
    const erf = op('Erf', [op('Mul', [hidden, weight([1], 0, Math.SQRT1_2)])]);
    const gelu = op('Mul', [op('Mul', [hidden, op('Add', [erf, weight([1], 0, 1)])]), weight([1], 0, 0.5)]);
    x = op('Add', [x, linear(gelu, mlp, dim)]);
  }
  x = layerNorm(x);
  for (let i = 0; i < extraNorms; i++) x = layerNorm(x);
  const classRow = op('Gather', [x, ints([0])], { axis: 1 });
  const logits = linear(op('Squeeze', [classRow, ints([1])]), dim, classes);
  return encode({ name: 'vit', opset: 17, irVersion: 8, inputDims: [3, imageSize, imageSize], logits, classes });
}
