// Benchmarks that must run in the browser (scripts/bench.mjs drives them): ONNX Runtime Web with the thread
// count from ?threads=N, our wasm core, and the browser's own image decoder for comparison.
import * as ort from '/generated/ort/ort.wasm.min.mjs';
import * as core from '/js/core.mjs';
import { prepareExplainModel } from '/js/onnx/explain.mjs';
import { explainMetadata, stripExplainGraph } from '/js/onnx/prepared.mjs';
import { decodeModel } from '/js/onnx/model.mjs';
import { Explainer } from '/js/pipeline.mjs';
import { freshMemoryCost, measureExplainVsPlain, measureStages } from './shared.mjs';

const lib = { explainMetadata, prepareExplainModel, stripExplainGraph, decodeModel, Explainer };

const threads = Number(new URLSearchParams(location.search).get('threads') ?? 1);
ort.env.wasm.numThreads = threads;
ort.env.wasm.wasmPaths = '/generated/ort/';
ort.env.logLevel = 'error';

const fetchBytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

// The browser's path: createImageBitmap, a canvas resize, getImageData, normalisation in JS.
async function browserDecodePreprocess(bytes, size) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
  const scale = size / Math.min(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  const w = bitmap.width * scale;
  const h = bitmap.height * scale;
  context.drawImage(bitmap, (size - w) / 2, (size - h) / 2, w, h);
  bitmap.close();
  const pixels = context.getImageData(0, 0, size, size).data;
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const tensor = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) {
    for (let c = 0; c < 3; c++) tensor[c * size * size + i] = (pixels[i * 4 + c] / 255 - mean[c]) / std[c];
  }
  return tensor;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function decodeComparison(bytes, runs) {
  const wasm = [];
  const browser = [];
  for (let i = 0; i < runs + 2; i++) {  // interleaved, same page, same run; first two are warm-up
    let t = performance.now();
    await core.prepareImage(bytes, { width: 224, height: 224, resize: 'center-crop', maxDisplaySide: 1024 });
    if (i >= 2) wasm.push(performance.now() - t);
    t = performance.now();
    await browserDecodePreprocess(bytes, 224);
    if (i >= 2) browser.push(performance.now() - t);
  }
  return { wasm: median(wasm), browser: median(browser) };
}

async function pageMemory() {
  if (typeof performance.measureUserAgentSpecificMemory === 'function' && self.crossOriginIsolated) {
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 30_000));
    const result = await Promise.race([performance.measureUserAgentSpecificMemory(), timeout]);
    if (result) return { bytes: result.bytes, how: 'performance.measureUserAgentSpecificMemory()' };
  }
  return { bytes: performance.memory?.usedJSHeapSize ?? null, how: 'performance.memory.usedJSHeapSize' };
}

window.runBench = async ({ models, photos, runs, soak }) => {
  const out = { threads, crossOriginIsolated: self.crossOriginIsolated, models: [], stages: [], freshMemory: freshMemoryCost() };
  const demoConfig = await (await fetch('/models/demo/model.json')).json();
  const photoBytes = {};
  for (const [name, url] of Object.entries(photos)) photoBytes[name] = await fetchBytes(url);
  for (const model of models) {
    out.models.push({ name: model.name, ...(await measureExplainVsPlain({ lib, ort, core, bytes: await fetchBytes(model.url),
      config: model.name === 'demo' ? demoConfig : undefined, photo: photoBytes['12mp'], runs,
      sessionOptions: { executionProviders: ['wasm'] } })) });
  }
  const demoBytes = await fetchBytes('/models/demo/model.onnx');
  for (const [name, bytes] of Object.entries(photoBytes)) {
    out.stages.push({ photo: name, ...(await measureStages({ lib, ort, core, bytes: demoBytes, config: demoConfig, photo: bytes,
      runs, sessionOptions: { executionProviders: ['wasm'] } })) });
  }
  out.decode12mp = await decodeComparison(photoBytes['12mp'], runs);
  // Memory: our module's heap after one 12 MP explanation and after `soak` of them.
  const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'] } });
  await explainer.load({ onnxBytes: demoBytes, config: demoConfig });
  await explainer.analyse({ bytes: photoBytes['12mp'] }, {}, { force: true });
  const afterOne = await core.coreMemoryBytes();
  for (let i = 1; i < soak; i++) await explainer.analyse({ bytes: photoBytes['12mp'] }, { method: i % 2 ? 'gradcam' : 'layercam' }, { force: true });
  out.memory = { wasmHeapAfterOne12mp: afterOne, wasmHeapAfterSoak: await core.coreMemoryBytes(), soak,
    page: await pageMemory() };
  return out;
};
window.benchReady = true;
