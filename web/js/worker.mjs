// @ts-check
// The app's Web Worker: owns the wasm core and the ONNX Runtime session, so the page never blocks. It answers
// the requests of web/js/bridge.mjs (the protocol, declared there for both ends); downloads (the model and ONNX
// Runtime's wasm, together) report progress in bytes. Started lazily by the page's WorkerClient on first use.
import * as ort from '../generated/ort/ort.wasm.min.mjs';
import { serve } from './bridge.mjs';
import * as core from './core.mjs';
import { DermcamError } from './errors.mjs';
import { parseModelJson } from './model-config.mjs';
import { Explainer } from './pipeline.mjs';

const threads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
ort.env.wasm.numThreads = threads;
ort.env.wasm.wasmPaths = new URL('../generated/ort/', import.meta.url).href;
ort.env.logLevel = 'error';

// Formats stb_image does not read (WebP, AVIF, HEIC where the browser supports it): the browser decodes them
// here, upright, to RGBA; then they take the same C++ preprocessing as every photo.
const MAX_BROWSER_PIXELS = 50e6;  // as the core's decode limit (wasm/decode.h)
async function decodeInBrowser(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]));
  try {
    const pixels = bitmap.width * bitmap.height;
    if (pixels > MAX_BROWSER_PIXELS) {
      throw new DermcamError('image_too_large', `The image has ${pixels} pixels; the limit is ${MAX_BROWSER_PIXELS}.`,
        { pixels, limit: MAX_BROWSER_PIXELS });
    }
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } finally {
    bitmap.close();
  }
}

const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 },
  decodeUnsupported: typeof createImageBitmap === 'function' && typeof OffscreenCanvas === 'function' ? decodeInBrowser : null });

const ORT_WASM = new URL('../generated/ort/ort-wasm-simd-threaded.wasm', import.meta.url);

// The list of files kept for offline use (scripts/build-web-assets.mjs): its version names the cache, and its
// "lazy" entries (the model, the runtime's wasm) give the sizes for one progress bar over everything.
let offline = null;
function offlineList(url) {
  offline ??= url ? fetch(url).then((r) => (r.ok ? r.json() : null)).then((list) => list && { ...list, root: new URL('..', url) })
    .catch(() => null) : Promise.resolve(null);
  return offline;
}

function expectedBytes(list, url) {
  return list?.lazy?.find((entry) => new URL(entry.url, list.root).href === url.href)?.bytes ?? 0;
}

// Every download of this load, together: the page shows "2.1 of 3.4 MB" over all of them, and the total is
// known before the first byte (planDownloads), so it never jumps.
const downloaded = { loaded: 0, total: 0, planned: new Set() };

function openCache(list) {
  return list && typeof caches === 'object' ? caches.open(`dermcam-${list.version}`).catch(() => null) : Promise.resolve(null);
}

/** Counts, before anything downloads, the sizes of the listed files this load needs and the cache lacks. */
async function planDownloads(list, urls) {
  const cache = await openCache(list);
  for (const url of urls) {
    const bytes = expectedBytes(list, url);
    if (!bytes || downloaded.planned.has(url.href) || await cache?.match(url.href)) continue;
    downloaded.planned.add(url.href);
    downloaded.total += bytes;
  }
}

/** @type {Set<Promise<void>>} downloads still being written to the app's cache */
const storing = new Set();
async function stored() {
  const writes = [...storing];
  storing.clear();
  await Promise.all(writes);
}

/**
 * The bytes at `url`, from the app's cache when they are there (a repeat visit downloads nothing), otherwise
 * from the network, reported as progress and then kept in the cache (the service worker does not fetch them
 * again: web/sw.js).
 */
async function download(url, label, list, progress, { counted = true } = {}) {
  const cache = await openCache(list);
  const cached = await cache?.match(url.href);
  if (cached) return new Uint8Array(await cached.arrayBuffer());
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DermcamError('download_failed', `The ${label} could not be downloaded (${error.message}).`);
  }
  if (!response.ok) {
    throw new DermcamError('download_failed', `The ${label} could not be downloaded (HTTP ${response.status}).`,
      { status: response.status });
  }
  // Sizes as decoded (a compressed response's Content-Length counts compressed bytes).
  const expected = expectedBytes(list, url) || (response.headers.get('Content-Encoding') ? 0 : Number(response.headers.get('Content-Length')) || 0);
  if (counted && !downloaded.planned.has(url.href)) downloaded.total += expected;
  const chunks = [];
  let loaded = 0;
  let inTotal = expected;  // bytes of this file already in downloaded.total
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (!counted) continue;
      downloaded.loaded += value.length;
      if (loaded > inTotal) {
        downloaded.total += loaded - inTotal;
        inTotal = loaded;
      }
      progress({ label, loaded: downloaded.loaded, total: downloaded.total });
    }
  } else {
    chunks.push(new Uint8Array(await response.arrayBuffer()));
    loaded = chunks[0].length;
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  // Written while the runtime starts (a 14 MB write takes about half a second on a slow phone); the load
  // waits for it before it answers, so the service worker never downloads these files again.
  if (cache) {
    storing.add(cache.put(url.href, new Response(bytes, { headers: { 'Content-Type': response.headers.get('Content-Type') ?? 'application/octet-stream' } }))
      .catch(() => {}));  // storage full or refused: the app still works, online
  }
  return bytes;
}

// ONNX Runtime's 14 MB wasm, downloaded by us (once, with progress, into the cache) and handed to it.
let runtime = null;
function loadRuntime(list, progress) {
  runtime ??= download(ORT_WASM, 'runtime', list, progress).then((bytes) => {
    ort.env.wasm.wasmBinary = bytes;
  }).catch((error) => {
    runtime = null;
    throw error;
  });
  return runtime;
}

function describeModel({ config, metadata }) {
  // The page needs to know whether there is an out-of-distribution check, not its 256 x 256 statistics.
  const ood = config.gate.outOfDistribution;
  return {
    config: { ...config, gate: { quality: config.gate.quality,
      outOfDistribution: ood && { layer: ood.layer, dims: ood.dims, threshold: ood.threshold } } },
    layers: metadata.layers,
    classesPerRun: metadata.classes.k,
    score: metadata.score,
    backend: 'wasm',
    threads,
    crossOriginIsolated: self.crossOriginIsolated,
    timings: explainer.timings,
  };
}

// What the page gets of a result. The display copy goes to the page as it is: the core keeps its own for later
// drawing, and the worker reads only its size afterwards. The pipeline keeps its map (a stopped render puts it
// back), so the page gets a copy; the heat layers are new. Everything big is then transferred (transferList).
function forPage(result) {
  const out = { ...result, raw: undefined };
  if (result.map) out.map = { ...result.map, data: result.map.data.slice() };
  return out;
}

function transferables(result) {
  const list = [];
  for (const array of [result?.display?.rgba, result?.map?.data, result?.layers?.index, result?.layers?.outline]) {
    if (array?.buffer && !list.includes(array.buffer)) list.push(array.buffer);
  }
  if (result instanceof Uint8Array) list.push(result.buffer);
  return list;
}

const handlers = {
  async load({ folder, precache }, { progress, signal }) {
    // The image engine is small and needed by the first photo: it loads while the runtime downloads (a failure
    // is reported by the first call that needs it).
    core.loadCore().catch(() => {});
    const list = await offlineList(precache);
    const base = new URL(folder.endsWith('/') ? folder : `${folder}/`, self.location.href);
    // The runtime and the model file (the listed .onnx under the model's folder): both sizes up front.
    const modelFiles = (list?.lazy ?? []).map((entry) => new URL(entry.url, list.root)).filter((url) => url.href.startsWith(base.href));
    await planDownloads(list, [ORT_WASM, ...modelFiles]);
    const runtimeReady = loadRuntime(list, progress);
    // The description (its size is not in the list) is left out of the bytes, so the total stays what it was
    // first said to be: the model file and the runtime are nearly all of it.
    const configBytes = await download(new URL('model.json', base), 'model description', list, () => {}, { counted: false });
    const config = parseModelJson(configBytes);
    const file = typeof config?.model === 'string' ? config.model : 'model.onnx';
    const [onnxBytes] = await Promise.all([download(new URL(file, base), 'model', list, progress),
      runtimeReady]);
    signal.throwIfAborted();
    // The last phase (the runtime compiles, the model is checked and prepared) has its own words on the page.
    progress({ label: 'preparing', loaded: downloaded.loaded, total: downloaded.total });
    const loaded = describeModel(await explainer.load({ onnxBytes, config }));
    await stored();
    return loaded;
  },
  async loadLocal({ onnxBytes, configBytes, precache }, { progress, signal }) {
    // The description comes as the file's bytes and is parsed here, as for the bundled model and in the CLI.
    const config = configBytes ? parseModelJson(new Uint8Array(configBytes), 'the model description') : undefined;
    const list = await offlineList(precache);
    await planDownloads(list, [ORT_WASM]);
    await loadRuntime(list, progress);
    signal.throwIfAborted();
    progress({ label: 'preparing', loaded: downloaded.loaded, total: downloaded.total });
    // Preparing a person's own model can take seconds: each step is said as it starts.
    const onStep = (step) => progress({ label: 'preparing', loaded: downloaded.loaded, total: downloaded.total, ...step });
    const loaded = describeModel(await explainer.load({ onnxBytes: new Uint8Array(onnxBytes), config, configName: 'the model description', onStep }));
    await stored();
    return loaded;
  },
  async analyse({ bytes, region, render }, { signal }) {
    return forPage(await explainer.analyse({ bytes: new Uint8Array(bytes), region }, { ...render, output: 'layers' }, { signal }));
  },
  async analyseAnyway({ render }, { signal }) {
    // The page has the photo's display copy from the refusal (this one went to it then).
    const { display, ...rest } = await explainer.analyseAnyway({ ...render, output: 'layers' }, { signal });
    return forPage(rest);
  },
  async whyRefused() {
    const { overlay } = await explainer.whyRefused();
    return { overlay };
  },
  async render({ render, spareIndex }, { signal, progress }) {
    explainer.recycle(spareIndex);  // the index of the map before the one the page shows
    // A new map for the photo the page already shows: no display copy again (not even copied to be dropped: a
    // 12 MP photo's is about 3 MB). Perturbation methods report progress.
    const { display, ...rest } = await explainer.render({ ...render, output: 'layers' }, { signal, progress });
    return forPage(rest);
  },
  async checkMap(_, { signal }) {
    return explainer.checkMap({ signal });
  },
  async metrics(_, { signal, progress }) {
    return explainer.metrics({ signal, progress });
  },
  async assess({ bytes }, { signal }) {
    return explainer.assess(new Uint8Array(bytes), { signal });
  },
  async rawMap() {
    return { layers: explainer.rawMap() };
  },
  async concepts({ k }) {
    return explainer.concepts({ k, display: true });
  },
  async png({ looks }) {
    return explainer.overlayPng(looks);
  },
  async diagnostics() {
    return {
      wasmHeapBytes: await core.coreMemoryBytes(),
      backend: 'wasm',
      threads,
      crossOriginIsolated: self.crossOriginIsolated,
      modelRuns: explainer.modelRuns,
      mapCheckRuns: explainer.mapCheckRuns,
      timings: explainer.current?.timings ?? {},
      modelTimings: explainer.timings,
    };
  },
  // The loaded model's methods (Explainer.methods: only those without gradients for a forward-only model).
  async methods() {
    return { ...await explainer.methods(), colormaps: await core.colormaps() };
  },
};

serve(self, handlers, { transfer: transferables });
