// Writing a benchmark model as ONNX by hand (make-vit.mjs, make-mobilenet.mjs): deterministic random weights,
// nodes added in order, and the model's bytes. Names are t<n> (values), w<n>/i<n> (initializers), n<n> (nodes).
import { DataType, encodeModel, int64Tensor, makeAttribute, valueInfo } from '../../web/js/onnx/model.mjs';

/** @param {number} seed  the same seed and the same calls give the same bytes */
export function graphBuilder(seed = 1) {
  let state = seed >>> 0;
  const uniform = () => {  // mulberry32: deterministic weights, fast enough for tens of millions of values
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const nodes = [];
  const initializers = [];
  let counter = 0;
  return {
    /** A float32 initializer of `dims`, uniform in offset +- scale. */
    weight(dims, scale, offset = 0) {
      const name = `w${counter++}`;
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = offset + scale * (uniform() * 2 - 1);
      initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
      return name;
    },
    /** A float32 scalar initializer. */
    constant(value) {
      const name = `c${counter++}`;
      initializers.push({ name, dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(new Float32Array([value]).buffer) });
      return name;
    },
    /** An int64 initializer (shapes, axes). */
    ints(values) {
      const name = `i${counter++}`;
      initializers.push(int64Tensor(name, values, [values.length]));
      return name;
    },
    /** A node; its output's name, or `outputs` names. */
    op(type, inputs, attrs = {}, outputs = 1) {
      const names = Array.from({ length: outputs }, () => `t${counter++}`);
      nodes.push({ opType: type, input: inputs, output: names, name: `n${counter++}`,
        attribute: Object.entries(attrs).map(([k, v]) => makeAttribute(k, v)) });
      return outputs === 1 ? names[0] : names;
    },
    /**
     * The model: float input 'input' [N, ...inputDims] and output 'logits' [N, classes] (an Identity of `logits`).
     * @param {{name: string, opset: number, irVersion: number, inputDims: number[], logits: string, classes: number}} graph
     */
    encode({ name, opset, irVersion, inputDims, logits, classes }) {
      nodes.push({ opType: 'Identity', input: [logits], output: ['logits'], name: 'logits', attribute: [] });
      return encodeModel({
        irVersion,
        producerName: 'dermcam-bench',
        opsetImport: [{ domain: '', version: opset }],
        graph: {
          name,
          node: nodes,
          initializer: initializers,
          input: [valueInfo('input', DataType.FLOAT, ['N', ...inputDims])],
          output: [valueInfo('logits', DataType.FLOAT, ['N', classes])],
        },
      });
    },
  };
}
