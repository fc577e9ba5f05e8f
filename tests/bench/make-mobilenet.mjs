// A MobileNetV2-sized classifier (Sandler et al. 2018: width 1.0, 224 x 224, 0.3 GFLOPs; 2.2 M parameters with this
// 6-class head, 3.5 M with ImageNet's) with random weights, written as ONNX (opset 13) the way torch exports
// torchvision's mobilenet_v2 in eval mode: batch norm folded into each Conv, ReLU6 as Clip(0, 6), depthwise 3 x 3
// Convs, residual Adds, global average pool and a linear head. The size of model a clinic would ship, for the batch
// benchmark; built here so it needs no torch.
import { graphBuilder } from './graph-builder.mjs';

// (expansion, output channels, repeats, first stride), as in the paper's table 2.
const SETTINGS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

/** @returns {Uint8Array} the model's bytes (about 9 MB of float32 weights) */
export function mobilenetModel({ imageSize = 224, classes = 6 } = {}, seed = 1) {
  const { weight, constant, op, encode } = graphBuilder(seed);
  const [zero, six] = [constant(0), constant(6)];  // Clip's bounds
  // A Conv with its batch norm folded in (weights scaled to keep activations near unit size), then ReLU6.
  const conv = (x, inputs, outputs, kernel, stride, { groups = 1, relu = true } = {}) => {
    const fanIn = (inputs / groups) * kernel * kernel;
    const y = op('Conv', [x, weight([outputs, inputs / groups, kernel, kernel], Math.sqrt(3 / fanIn)), weight([outputs], 0.05)],
      { kernel_shape: [kernel, kernel], strides: [stride, stride], pads: Array(4).fill(kernel >> 1), group: groups });
    return relu ? op('Clip', [y, zero, six]) : y;
  };

  let x = conv('input', 3, 32, 3, 2);
  let channels = 32;
  for (const [expand, out, repeats, firstStride] of SETTINGS) {
    for (let i = 0; i < repeats; i++) {
      const stride = i === 0 ? firstStride : 1;
      const hidden = channels * expand;
      let y = expand === 1 ? x : conv(x, channels, hidden, 1, 1);
      y = conv(y, hidden, hidden, 3, stride, { groups: hidden });
      y = conv(y, hidden, out, 1, 1, { relu: false });
      x = stride === 1 && channels === out ? op('Add', [x, y]) : y;
      channels = out;
    }
  }
  x = conv(x, channels, 1280, 1, 1);
  const pooled = op('Flatten', [op('GlobalAveragePool', [x])], { axis: 1 });
  const logits = op('Gemm', [pooled, weight([classes, 1280], Math.sqrt(3 / 1280)), weight([classes], 0.05)], { transB: 1 });
  return encode({ name: 'mobilenet_v2', opset: 13, irVersion: 7, inputDims: [3, imageSize, imageSize], logits, classes });
}
