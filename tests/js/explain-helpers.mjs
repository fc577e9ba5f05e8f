// Shared by the explain-graph tests: fixtures, and running a model in either ONNX Runtime.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { decodeNpy } from '../../web/js/npy.mjs';
import { decodeModel, encodeModel } from '../../web/js/onnx/model.mjs';
import { stripExplainGraph } from '../../web/js/onnx/prepared.mjs';
import { ROOT } from './helpers.mjs';

export const EXPLAIN_FIXTURES = join(ROOT, 'tests/fixtures/explain');

export function explainFixtures() {
  return readdirSync(EXPLAIN_FIXTURES).filter((name) => existsSync(join(EXPLAIN_FIXTURES, name, 'input.npy')));
}

export function loadFixture(name) {
  const dir = join(EXPLAIN_FIXTURES, name);
  const npy = (file) => decodeNpy(new Uint8Array(readFileSync(join(dir, file))));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return {
    name,
    // Fixtures that explain another layer of the same model share its file (manifest model_from).
    model: new Uint8Array(readFileSync(join(EXPLAIN_FIXTURES, manifest.model_from ?? name, 'model.onnx'))),
    manifest,
    input: npy('input.npy'),
    logits: npy('logits.npy'),
    activations: npy('activations.npy'),
    gradients: npy('gradients.npy'),
  };
}

let webOrt;
/** onnxruntime-web's wasm backend in Node, single-threaded, loading its .wasm from node_modules. */
export async function ortWeb() {
  if (!webOrt) {
    webOrt = await import('onnxruntime-web');
    webOrt.env.wasm.numThreads = 1;
    webOrt.env.wasm.wasmPaths = `${join(ROOT, 'node_modules/onnxruntime-web/dist')}/`;
  }
  return webOrt;
}

export async function ortNode() {
  return import('onnxruntime-node');
}

/** Runs a model; returns {name: {data, dims}} for every output. dermcam_classes defaults to all -1 (top-K). */
export async function runModel(ort, bytes, inputName, input, extraFeeds = {}) {
  const session = await ort.InferenceSession.create(bytes, ort === webOrt ? { executionProviders: ['wasm'] } : {});
  try {
    const feeds = { [inputName]: new ort.Tensor('float32', input.data, input.shape), ...extraFeeds };
    const classes = session.inputMetadata?.find?.((m) => m.name === 'dermcam_classes');
    if (session.inputNames.includes('dermcam_classes') && !feeds.dermcam_classes) {
      const k = Number(classes?.shape?.[0] ?? 1);
      feeds.dermcam_classes = new ort.Tensor('int64', new BigInt64Array(k).fill(-1n), [k]);
    }
    const results = await session.run(feeds);
    const out = {};
    for (const [name, tensor] of Object.entries(results)) out[name] = { data: tensor.data, dims: tensor.dims.map(Number) };
    return out;
  } finally {
    await session.release();
  }
}

/**
 * A layer's gradients output as autograd gives them, [N, K, ...layer shape]: a `gradientsPerChannel` layer's
 * [N, K, C] spread over its positions here, independently of the core's spreading.
 */
export function spreadGradients({ data, dims }, layer) {
  if (!layer.gradientsPerChannel) return { data, dims };
  const [items, slots, channels] = dims;
  const positions = layer.shape.reduce((p, d) => p * d, 1) / channels;
  const out = new Float32Array(items * slots * channels * positions);
  for (let s = 0; s < items * slots; s++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < positions; p++) {
        out[s * channels * positions + (layer.layout === 'NHWC' ? p * channels + c : c * positions + p)] = data[s * channels + c];
      }
    }
  }
  return { data: out, dims: [items, slots, ...layer.shape] };
}

export function maxAbs(values) {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Pearson correlation of two equally long arrays (maps are compared with pytorch-grad-cam's this way). */
export { pearson as correlation } from '../../web/js/correlation.mjs';

/**
 * The demo classifier with an operator dermcam has no gradient rule for in its head: a Shrink (lambd 0, bias 0:
 * y = x, the same numbers) before the classifier's Gemm, so no target layer can be differentiated to the scores.
 */
export function demoWithoutGradients() {
  const model = decodeModel(stripExplainGraph(readFileSync(join(ROOT, 'models/demo/model.onnx'))));
  const nodes = model.graph.node;
  const gemm = nodes.findLastIndex((n) => n.opType === 'Gemm');
  const shrunk = `${nodes[gemm].input[0]}_shrunk`;
  nodes.splice(gemm, 0, { opType: 'Shrink', input: [nodes[gemm].input[0]], output: [shrunk], name: 'no_gradient_rule',
    attribute: [{ name: 'lambd', type: 1, f: 0 }, { name: 'bias', type: 1, f: 0 }] });
  nodes[gemm + 1].input[0] = shrunk;
  return encodeModel(model);
}
