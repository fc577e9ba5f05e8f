// @ts-check
// One run of the model in ONNX Runtime with every intermediate tensor as an extra output, to learn the
// static shapes and element types the explain-graph builder needs (ONNX files rarely carry them all).
// The batch is 1; dynamic image dimensions take `inputShape` (default: 3 x 224 x 224 or 224 x 224 x 3).
// It also keeps the values of small integer tensors: shape arithmetic (Swin's padding, roll and window
// sizes) that the gradient rules may read as constants once `batchIndependentValues` has checked them.
import { MAX_INPUT_ELEMENTS, elementCount } from '../budgets.mjs';
import { DermcamError } from '../errors.mjs';
import { decodeModel, encodeModel, toNumber } from './model.mjs';

const ORT_TYPES = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };
export const MAX_KEPT_VALUES = 4096;  // integer tensors up to this many elements keep their values

/** The probe's input: deterministic and non-degenerate (no ties, no zeros), the same in every runtime. */
export function probeInput(dims) {
  const size = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
  return data;
}

/** The probe's input shape: batch 1, the dynamic dimensions from `inputShape` or a 224 x 224 RGB image. */
export function inputDims(valueInfo, inputShape) {
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
    return withinBudget(valueInfo.name, out);
  }
  const channelsLast = rank === 4 && fixed[3] !== null && fixed[3] <= 4 && (fixed[1] === null || fixed[1] > 4);
  for (let i = 1; i < rank; i++) {
    if (out[i] !== null) continue;
    const isChannel = rank === 4 && (channelsLast ? i === 3 : i === 1);
    out[i] = isChannel ? 3 : 224;
  }
  return withinBudget(valueInfo.name, out);
}

// A probe input is allocated and run: its size is checked first (an input of 100000 x 100000 is not a photo).
function withinBudget(name, dims) {
  if (elementCount(dims) > MAX_INPUT_ELEMENTS) {
    throw new DermcamError('model_too_large', `Input '${name.slice(0, 80)}' is ${dims.join(' x ')}: larger than dermcam ` +
      `reads (${MAX_INPUT_ELEMENTS} values, e.g. 3 x 2048 x 2048).`, { limit: 'input' });
  }
  return dims;
}

/**
 * @param ort  onnxruntime-web or onnxruntime-node
 * @param {{inputShape?: number[], only?: Set<string>}} options
 *   only: the tensors to learn (besides the graph's outputs); default every node output. ONNX Runtime's session
 *   creation grows faster than linearly with the number of outputs asked for (50,000: 10 s).
 * @returns {Promise<{shapes: Map<string, number[]>, types: Map<string, number>,
 *   values: Map<string, {dims: number[], values: number[]}>, inputs: Map<string, number[]>}>}
 */
export async function probeModel(ort, model, options = {}) {
  const { inputShape, only } = options;
  const probe = decodeModel(encodeModel(model));
  const initializers = new Set(probe.graph.initializer.map((t) => t.name));
  const outputs = new Set(probe.graph.output.map((o) => o.name));
  for (const node of probe.graph.node) {
    for (const name of node.output) {
      if (name && !outputs.has(name) && (!only || only.has(name))) {
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
      feeds[input.name] = new ort.Tensor('float32', probeInput(dims), dims);
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
    const values = new Map();
    for (const [name, tensor] of Object.entries(results)) {
      shapes.set(name, tensor.dims.map(Number));
      types.set(name, ORT_TYPES[tensor.type] ?? 0);
      if ((tensor.type === 'int64' || tensor.type === 'int32') && tensor.size <= MAX_KEPT_VALUES) {
        values.set(name, { dims: tensor.dims.map(Number), values: Array.from(tensor.data, Number) });
      }
      tensor.dispose?.();
    }
    for (const [name, dims] of inputs) {
      shapes.set(name, dims);
      types.set(name, 1);
    }
    return { shapes, types, values, inputs };
  } finally {
    await session.release();
  }
}

/**
 * Which of the probe's kept integer values stay the same with a batch of 2: shape arithmetic that depends
 * on the image size only, which the explain graph (built for one image size) may then treat as constant.
 * A value that changes with the batch is left out. A model that cannot run a batch of 2 keeps them all.
 * @returns {Promise<Map<string, {dims: number[], values: number[]}>>}
 */
export async function batchIndependentValues(ort, model, probe, names) {
  const kept = new Map(names.filter((n) => probe.values.has(n)).map((n) => [n, probe.values.get(n)]));
  if (!kept.size) return kept;
  const copy = decodeModel(encodeModel(model));
  copy.graph.output = [...kept.keys()].map((name) => ({ name }));
  const [[inputName, dims]] = [...probe.inputs];
  const doubled = [2, ...dims.slice(1)];
  let session;
  try {
    session = await ort.InferenceSession.create(encodeModel(copy), { graphOptimizationLevel: 'disabled' });
    const results = await session.run({ [inputName]: new ort.Tensor('float32', probeInput(doubled), doubled) });
    for (const [name, tensor] of Object.entries(results)) {
      const again = Array.from(tensor.data, Number);
      const before = kept.get(name);
      if (again.length !== before.values.length || again.some((v, i) => v !== before.values[i])) kept.delete(name);
    }
  } catch {
    // A fixed batch of 1: the values hold for every input the model accepts.
  } finally {
    await session?.release();
  }
  return kept;
}
