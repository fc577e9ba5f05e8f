// A MobileNetV2-sized classifier (Sandler et al. 2018: width 1.0, 224 x 224, 0.3 GFLOPs; 2.2 M parameters with this
// 6-class head, 3.5 M with ImageNet's) with random weights, written as ONNX (opset 13) the way torch exports torchvision's mobilenet_v2 in eval mode: batch
// norm folded into each Conv, ReLU6 as Clip(0, 6), depthwise 3 x 3 Convs, residual Adds, global average pool and a
// linear head. The size of model a clinic would ship, for the batch benchmark; built here so it needs no torch.
import { DataType, encodeModel, makeAttribute, valueInfo } from '../../web/js/onnx/model.mjs';

// (expansion, output channels, repeats, first stride), as in the paper's table 2.
const SETTINGS = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

/** @returns {Uint8Array} the model's bytes (about 9 MB of float32 weights) */
export function mobilenetModel({ imageSize = 224, classes = 6 } = {}, seed = 1) {
  let state = seed >>> 0;
  const uniform = () => {  // mulberry32: deterministic weights
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const nodes = [];
  const initializers = [];
  let counter = 0;
  const weight = (dims, scale) => {
    const name = `w${counter++}`;
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = scale * (uniform() * 2 - 1);
    initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  };
  const constant = (value) => {
    const name = `c${counter++}`;
    initializers.push({ name, dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(new Float32Array([value]).buffer) });
    return name;
  };
  const [zero, six] = [constant(0), constant(6)];
  const op = (type, inputs, attrs = {}) => {
    const name = `t${counter++}`;
    nodes.push({ opType: type, input: inputs, output: [name], name: `n${counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)) });
    return name;
  };
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
  nodes.push({ opType: 'Identity', input: [logits], output: ['logits'], name: 'logits', attribute: [] });
  return encodeModel({
    irVersion: 7,
    producerName: 'dermcam-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mobilenet_v2',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', DataType.FLOAT, ['N', 3, imageSize, imageSize])],
      output: [valueInfo('logits', DataType.FLOAT, ['N', classes])],
    },
  });
}
