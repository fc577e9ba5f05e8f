// Weight-only int8 quantization of an ONNX model, in JavaScript (scripts/demo/quantize.py does the same for the
// demo in Python): every float32 Conv/Gemm/MatMul weight initializer of at least 16 values becomes int8 with one
// scale per output channel (its first axis; symmetric, zero point 0), restored at run time by DequantizeLinear
// (opset 13, axis 0). Activations stay float32, so the explain graph differentiates the model unchanged.
import { DermcamError } from '../web/js/errors.mjs';
import { DataType, decodeModel, defaultOpset, encodeModel, makeAttribute, toNumber } from '../web/js/onnx/model.mjs';

const QUANTIZED_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

// Float32 values of an initializer, or null when it is not float32.
function floats(tensor) {
  if (tensor.dataType !== DataType.FLOAT) return null;
  if (tensor.rawData?.length) {
    const raw = tensor.rawData;
    const copy = new Uint8Array(raw.byteLength);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(tensor.floatData);
}

// numpy's round (half to even), as quantize.py rounds.
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * @param {Uint8Array} modelBytes  a float32 ONNX model (not prepared: quantize before `prepare`)
 * @returns {{bytes: Uint8Array, tensors: number}} the quantized model, and how many weight tensors became int8
 *   (0: nothing to quantize, the bytes are the input's)
 */
export function quantizeWeights(modelBytes) {
  const model = decodeModel(modelBytes);
  if (defaultOpset(model) < 13) {
    throw new DermcamError('bad_model', 'Per-channel DequantizeLinear needs ONNX opset 13 or later; the model imports ' +
      `opset ${defaultOpset(model)}.`);
  }
  const graph = model.graph;
  const weights = new Set(graph.node.filter((n) => QUANTIZED_OPS.has(n.opType) && n.input.length > 1).map((n) => n.input[1]));
  const dequantize = [];
  const kept = [];
  const added = [];
  for (const tensor of graph.initializer) {
    const values = weights.has(tensor.name) ? floats(tensor) : null;
    const dims = tensor.dims.map(toNumber);
    if (!values || values.length < 16 || dims.length < 1) {
      kept.push(tensor);
      continue;
    }
    const rows = dims[0];
    const perRow = values.length / rows;
    const scales = new Float32Array(rows);
    const quantized = new Int8Array(values.length);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let i = r * perRow; i < (r + 1) * perRow; i++) max = Math.max(max, Math.abs(values[i]));
      scales[r] = Math.max(max, 1e-12) / 127;
      for (let i = r * perRow; i < (r + 1) * perRow; i++) {
        quantized[i] = Math.min(127, Math.max(-127, roundHalfEven(values[i] / scales[r])));
      }
    }
    const name = tensor.name;
    added.push(
      { name: `${name}_int8`, dims, dataType: DataType.INT8, rawData: new Uint8Array(quantized.buffer) },
      { name: `${name}_scale`, dims: [rows], dataType: DataType.FLOAT, rawData: new Uint8Array(scales.buffer) },
      { name: `${name}_zero_point`, dims: [rows], dataType: DataType.INT8, rawData: new Uint8Array(rows) });
    dequantize.push({ opType: 'DequantizeLinear', name: `${name}_dequantize`, domain: '',
      input: [`${name}_int8`, `${name}_scale`, `${name}_zero_point`], output: [name], attribute: [makeAttribute('axis', 0)] });
  }
  if (!dequantize.length) return { bytes: modelBytes, tensors: 0 };
  graph.initializer = [...kept, ...added];
  // Older exports list initializers among the graph's inputs too: a quantized weight is no longer one.
  const replaced = new Set(dequantize.map((node) => node.output[0]));
  graph.input = graph.input.filter((input) => !replaced.has(input.name));
  graph.node = [...dequantize, ...graph.node];
  return { bytes: encodeModel(model), tensors: dequantize.length };
}
