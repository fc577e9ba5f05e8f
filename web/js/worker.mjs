// The app's Web Worker: owns the wasm core and the ONNX Runtime session, so the page never blocks.
// Requests {id, type, ...} get one reply {id, ok, result | error: {code, message}}; model downloads also
// post {type: 'progress', loaded, total}. Loaded lazily by web/js/client.mjs on first use.
import * as ort from '../generated/ort/ort.wasm.min.mjs';
import * as core from './core.mjs';
import { Explainer } from './pipeline.mjs';

const threads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
ort.env.wasm.numThreads = threads;
ort.env.wasm.wasmPaths = new URL('../generated/ort/', import.meta.url).href;
ort.env.logLevel = 'error';

const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } });

async function download(url, label) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw Object.assign(new Error(`The ${label} could not be downloaded (${error.message}).`), { code: 'download_failed' });
  }
  if (!response.ok) {
    throw Object.assign(new Error(`The ${label} could not be downloaded (HTTP ${response.status}).`), { code: 'download_failed' });
  }
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    self.postMessage({ type: 'progress', label, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function describeModel({ config, metadata }) {
  return {
    config,
    layers: metadata.layers,
    classesPerRun: metadata.classes.k,
    score: metadata.score,
    backend: 'wasm',
    threads,
    crossOriginIsolated: self.crossOriginIsolated,
    timings: explainer.timings,
  };
}

const handlers = {
  async load({ folder }) {
    const base = new URL(folder.endsWith('/') ? folder : `${folder}/`, self.location.href);
    const configBytes = await download(new URL('model.json', base), 'model description');
    let config;
    try {
      config = JSON.parse(new TextDecoder().decode(configBytes));
    } catch (error) {
      throw Object.assign(new Error(`model.json is not valid JSON (${error.message}).`), { code: 'bad_model_config' });
    }
    const onnxBytes = await download(new URL(config.model ?? 'model.onnx', base), 'model');
    return describeModel(await explainer.load({ onnxBytes, config }));
  },
  async loadLocal({ onnxBytes, config }) {
    return describeModel(await explainer.load({ onnxBytes: new Uint8Array(onnxBytes), config, configName: 'the model description' }));
  },
  async analyse({ bytes, render }) {
    return explainer.analyse({ bytes: new Uint8Array(bytes) }, render);
  },
  async analyseAnyway({ render }) {
    return explainer.analyseAnyway(render);
  },
  async render({ render }) {
    return explainer.render(render);
  },
  async png() {
    return explainer.overlayPng();
  },
  async diagnostics() {
    return {
      wasmHeapBytes: await core.coreMemoryBytes(),
      backend: 'wasm',
      threads,
      crossOriginIsolated: self.crossOriginIsolated,
      modelRuns: explainer.modelRuns,
      timings: explainer.current?.timings ?? {},
      modelTimings: explainer.timings,
    };
  },
  async methods() {
    return { methods: await core.camMethods(), colormaps: await core.colormaps() };
  },
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    if (!handlers[type]) throw Object.assign(new Error(`Unknown request '${type}'.`), { code: 'bad_request' });
    const result = await handlers[type](data);
    self.postMessage({ id, ok: true, result });
  } catch (error) {
    self.postMessage({ id, ok: false, error: { code: error?.code ?? 'internal', message: error?.message ?? String(error) } });
  }
};
