// One run of the model in ONNX Runtime with every intermediate tensor as an extra output, to learn the
// static shapes and element types the explain-graph builder needs (ONNX files rarely carry them all).
// The batch is 1; dynamic image dimensions take `inputShape` (default: 3 x 224 x 224 or 224 x 224 x 3).
import { DermcamError } from '../errors.mjs';
import { decodeModel, encodeModel, toNumber } from './model.mjs';

const ORT_TYPES = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

function inputDims(valueInfo, inputShape) {
  const dims = valueInfo.type?.tensorType?.shape?.dim ?? [];
  const rank = dims.length;
  const fixed = dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0
    ? toNumber(d.dimValue) : null));
  if (rank === 0) throw new DermcamError('bad_input', `Input '${valueInfo.name}' has no shape.`);
  const out = fixed.slice();
  out[0] = 1;  // batch
  if (inputShape) {
    if (inputShape.length !== rank - 1) {
      throw new DermcamError('bad_input', `The requested input shape has ${inputShape.length} dimensions; input '${valueInfo.name}' has ${rank - 1} besides the batch.`);
    }
    inputShape.forEach((d, i) => {
      if (fixed[i + 1] !== null && fixed[i + 1] !== d) {
        throw new DermcamError('bad_input', `Input '${valueInfo.name}' has a fixed size of ${fixed[i + 1]} where the requested input shape has ${d}.`);
      }
      out[i + 1] = d;
    });
    return out;
  }
  const channelsLast = rank === 4 && fixed[3] !== null && fixed[3] <= 4 && (fixed[1] === null || fixed[1] > 4);
  for (let i = 1; i < rank; i++) {
    if (out[i] !== null) continue;
    const isChannel = rank === 4 && (channelsLast ? i === 3 : i === 1);
    out[i] = isChannel ? 3 : 224;
  }
  return out;
}

/**
 * @param ort  onnxruntime-web or onnxruntime-node
 * @returns {Promise<{shapes: Map<string, number[]>, types: Map<string, number>, inputs: Map<string, number[]>}>}
 */
export async function probeModel(ort, model, { inputShape } = {}) {
  const probe = decodeModel(encodeModel(model));
  const initializers = new Set(probe.graph.initializer.map((t) => t.name));
  const outputs = new Set(probe.graph.output.map((o) => o.name));
  for (const node of probe.graph.node) {
    for (const name of node.output) {
      if (name && !outputs.has(name)) {
        outputs.add(name);
        probe.graph.output.push({ name });
      }
    }
  }
  let session;
  try {
    session = await ort.InferenceSession.create(encodeModel(probe), { graphOptimizationLevel: 'disabled' });
  } catch (error) {
    throw new DermcamError('model_load_failed', `ONNX Runtime cannot load this model: ${error.message}`);
  }
  try {
    const feeds = {};
    const inputs = new Map();
    for (const input of probe.graph.input) {
      if (initializers.has(input.name)) continue;
      const elemType = input.type?.tensorType?.elemType;
      if (elemType !== 1) {
        throw new DermcamError('bad_input', `Input '${input.name}' is not float32; dermcam explains image classifiers with one float input.`);
      }
      const dims = inputDims(input, inputShape);
      const size = dims.reduce((a, b) => a * b, 1);
      const data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = Math.sin(i * 12.9898) * 0.5;  // non-degenerate, deterministic
      feeds[input.name] = new ort.Tensor('float32', data, dims);
      inputs.set(input.name, dims);
    }
    if (inputs.size !== 1) {
      throw new DermcamError('bad_input', `The model has ${inputs.size} inputs; dermcam explains models with one image input.`);
    }
    let results;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new DermcamError('model_run_failed', `The model does not run on an input of shape ${[...inputs.values()][0].join(' x ')}: ${error.message}`);
    }
    const shapes = new Map();
    const types = new Map();
    for (const [name, tensor] of Object.entries(results)) {
      shapes.set(name, tensor.dims.map(Number));
      types.set(name, ORT_TYPES[tensor.type] ?? 0);
      tensor.dispose?.();
    }
    for (const [name, dims] of inputs) {
      shapes.set(name, dims);
      types.set(name, 1);
    }
    return { shapes, types, inputs };
  } finally {
    await session.release();
  }
}
