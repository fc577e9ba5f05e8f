// @ts-check
// dermcam's C++ image core (WebAssembly), shared by the page, the Web Worker and Node (tests, CLI).
//
// The module is created lazily, once: every call awaits the same promise. Calls are coarse (bytes in,
// typed arrays out, all copied out of wasm memory); what a photo's later calls need again (its display copy, the
// model's runs, the last map) stays in the core behind a PhotoView handle instead of crossing back. A failure the core reports comes back as a thrown
// DermcamError with a stable `code` (see wasm/error.h). Anything else thrown from inside the module (it should
// not happen; out-of-memory is the one known way) drops the instance so the next call starts a fresh one.
import createDermcamCore from '../prebuilt/dermcam-core.mjs';
import { DermcamError } from './errors.mjs';

const WASM_URL = new URL('../prebuilt/dermcam-core.wasm', import.meta.url);
const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';

let instancePromise = null;

// What crosses the boundary, for the benchmark (scripts/bench.mjs section 2d): the typed arrays' bytes in every
// call's arguments and answer. Counting walks plain objects and arrays only; it is cheap next to any copy.
const traffic = { calls: 0, bytesIn: 0, bytesOut: 0 };

function typedBytes(value, depth = 0) {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value === null || typeof value !== 'object' || depth > 8) return 0;
  let total = 0;
  // `into` (heatLayers) is only written: its bytes come out, in the answer.
  for (const [key, item] of Object.entries(value)) if (key !== 'into') total += typedBytes(item, depth + 1);
  return total;
}

/** Calls and typed-array bytes that crossed into and out of the core since the last reset. */
export function boundaryTraffic({ reset = false } = {}) {
  const now = { ...traffic };
  if (reset) Object.assign(traffic, { calls: 0, bytesIn: 0, bytesOut: 0 });
  return now;
}

function count(args, result) {
  traffic.calls += 1;
  traffic.bytesIn += typedBytes(args);
  traffic.bytesOut += typedBytes(result);
}

async function instantiate() {
  const options = {};
  if (IS_NODE) {
    // Emscripten 3.1.6 loads the .wasm with fetch(), which Node cannot do for file paths.
    const { readFile } = await import('node:fs/promises');
    options.wasmBinary = await readFile(WASM_URL);
  }
  return createDermcamCore(options);
}

export function loadCore() {
  instancePromise ??= instantiate().catch((error) => {
    instancePromise = null;
    throw new DermcamError('load_failed', `The image engine could not be loaded: ${error?.message ?? error}`);
  });
  return instancePromise;
}

async function call(name, ...args) {
  return answer(await loadCore(), name, args);
}

// One synchronous call into the module (a function, or a PhotoView handle's method): the answer, or the core's
// returned error thrown as a DermcamError.
function answer(target, name, args) {
  let result;
  try {
    result = target[name](...args);
  } catch (error) {
    instancePromise = null;
    throw new DermcamError('internal', `The image engine failed and was restarted: ${error?.message ?? error}`);
  }
  count(args, result);
  if (result instanceof Error) {
    const failure = /** @type {Error & {code: string, params?: object}} */ (result);  // the bindings' error object
    throw new DermcamError(failure.code, failure.message, failure.params);
  }
  return result;
}

/**
 * One photo's state kept in the core between calls (wasm/bindings/photo_view.h): its display copy and where the
 * model's input lies on it, the target-layer outputs of the current model run(s), and the last map. A method or
 * class switch then sends only what changed; the display layers and the PNG export are drawn from the kept map.
 * release() frees it (the module also frees a handle the garbage collector takes, but late).
 */
export class PhotoView {
  /** @param {any} handle  the module's PhotoView */
  constructor(handle) {
    this.handle = handle;
  }

  /**
   * The runs computeCam reads from now on: [{flipped, layers: [{activations, gradients, gradientsPerChannel, shape,
   * layout}]}] (as computeCam's `runs`).
   */
  async setRuns(runs) {
    this.use('setRuns', runs);
  }

  /**
   * computeCam() on the kept runs: {method, eigenSmooth, classIndex, outputWidth, outputHeight, channelValues} with
   * `channelValues` one Float32Array per target layer for a method that reads them. The map is kept.
   * @returns {Promise<{map: Float32Array, width, height, status, message, layers}>}
   */
  async computeCam(options) {
    return this.use('computeCam', options);
  }

  /** Makes `map` ({map, width, height}: an earlier computeCam's) the one drawn from now on. */
  async setMap(map) {
    this.use('setMap', map);
  }

  /** heatLayers() of the kept map on this photo's display copy: {threshold, into}. */
  async heatLayers(options = {}) {
    return this.use('heatLayers', options);
  }

  /** renderOverlay() of the kept map: looks {colormap, opacity, outline, box, threshold} -> {width, height, rgba, box}. */
  async renderOverlay(looks = {}) {
    return this.use('renderOverlay', looks);
  }

  /** The PNG file of renderOverlay(looks): Uint8Array. */
  async overlayPng(looks = {}) {
    return this.use('overlayPng', looks);
  }

  /** Frees the kept state; the view cannot be used afterwards. */
  release() {
    if (this.handle && !this.handle.isDeleted()) this.handle.delete();
    this.handle = null;
  }

  use(name, ...args) {
    if (!this.handle) throw new DermcamError('released', 'This photo\'s view was released.');
    return answer(this.handle, name, args);
  }
}

/**
 * Decodes JPEG/PNG/BMP bytes to an upright RGB image.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @param {{maxPixels?: number, applyExifOrientation?: boolean}} [options]
 * @returns {Promise<{width, height, format, storedWidth, storedHeight, exifOrientation, bitsPerChannel,
 *   channels, rgb: Uint8Array}>}
 */
export function decodeImage(bytes, options = {}) {
  return call('decodeImage', bytes, options);
}

/**
 * Decodes and preprocesses a photo into the model tensor plus a display copy (see wasm/preprocess.h).
 * Options: width, height, resize ('stretch'|'center-crop'|'letterbox'), padColor [r,g,b], scale ('0-1'|'0-255'),
 * mean [3], std [3], layout ('NCHW'|'NHWC'), filter ('triangle'|'box'|'cubic'), maxDisplaySide, maxPixels,
 * applyExifOrientation, view (true: also a PhotoView holding the display copy, which the caller must release()).
 * @returns {Promise<{photo, tensor: {data: Float32Array, shape: number[], layout: string},
 *   display: {width, height, rgba: Uint8ClampedArray}, placement, tensorToDisplay, view?: PhotoView}>}
 */
export async function prepareImage(bytes, options = {}) {
  const prepared = await call('prepareImage', bytes, options);
  if (prepared.view) prepared.view = new PhotoView(prepared.view);
  return prepared;
}

/**
 * A PhotoView for an input that did not come through prepareImage (an exact tensor, shown as itself).
 * @param {{display: {width, height, rgba}, tensorContent, tensorToDisplay}} options
 */
export async function photoView(options) {
  return new PhotoView(await call('photoView', options));
}

/**
 * The CAM methods, from the engine's registry: [{id, label, description, reference, needsGradients, target}];
 * target names the explanation provider that makes the method's inputs (cam/providers.mjs): 'class' the
 * class's own gradients, 'finer' FinerCAM's comparison target's, 'channel_scores' Score-CAM's per-channel scores,
 * 'ablation_drops' Ablation-CAM's relative score drops.
 */
export function camMethods() {
  return call('camMethods');
}

/** What each photo quality threshold may be, and is by default: [{name, min, max, integer, default}] (wasm/photo_quality.h). */
export function qualityThresholdRanges() {
  return call('qualityThresholdRanges');
}

/** The overlay colormaps: [{id, label, perceptuallyUniform, table: Uint8Array(256 x RGB)}]. */
export function colormaps() {
  return call('colormaps');
}

/**
 * Computes a CAM (see wasm/cam.h) from the explain graph's outputs.
 * @param {{method: string, eigenSmooth?: boolean, classIndex?: number, outputWidth: number, outputHeight: number,
 *   runs: {flipped?: boolean, layers: {activations: Float32Array, gradients?: Float32Array,
 *   gradientsPerChannel?: boolean, channelValues?: Float32Array, shape: number[], layout?: 'NCHW'|'NHWC'}[]}[]}}
 *   options  gradients hold K classes (classIndex picks one), each the activations' shape, or with
 *   gradientsPerChannel one value per channel (the same at every position, as after a global average pool);
 *   channelValues, for a method whose target reads them (camMethods()), one value per channel for the explained
 *   class (Score-CAM's scores, Ablation-CAM's drops).
 * @returns {Promise<{map: Float32Array, width, height, status, message, layers}>}
 */
export function computeCam(options) {
  return call('computeCam', options);
}

/**
 * Deep Feature Factorization of one target layer (see wasm/feature_factorization.h): the layer's activations split
 * into `concepts` non-negative parts, each with its map and its embedding.
 * @param {{layer: {activations: Float32Array, shape: number[], layout: 'NCHW'|'NHWC'}, concepts: number,
 *   outputWidth: number, outputHeight: number}} options
 * @returns {Promise<{concepts: number, maps: Float32Array, layerMaps: Float32Array, layerWidth: number,
 *   layerHeight: number, embeddings: Float32Array, sweeps: number, relativeError: number}>}  maps: concepts x
 *   outputHeight x outputWidth in [0, 1]; embeddings: concepts x channels, the layer's values where each is present
 */
export function factorizeFeatures(options) {
  return call('factorizeFeatures', options);
}

/**
 * Draws a CAM map on the display copy (see wasm/overlay.h).
 * @param {{display, map: Float32Array, mapWidth, mapHeight, tensorContent, tensorToDisplay, colormap?, opacity?,
 *   outline?, box?, threshold?}} options
 * @returns {Promise<{width, height, rgba: Uint8ClampedArray, box: object|null}>}
 */
export function renderOverlay(options) {
  return call('renderOverlay', options);
}

/**
 * The overlay's parts for a page that composites it itself (see wasm/overlay.h): per display pixel the colormap
 * index of its heat, the rectangle the model saw (`covered`), the outline pixels (y * width + x), the box and its
 * four edges (`lineWidth` thick). Blending `colormaps()[i].table[index]` over the photo inside `covered` with
 * opacity round(256 * opacity) / 256, then the outline in white, then the box edges in cyan, is exactly
 * renderOverlay().
 * `into` (a Uint8Array of displayWidth x displayHeight) receives the index instead of a new array.
 * @param {{displayWidth, displayHeight, map: Float32Array, mapWidth, mapHeight, tensorContent, tensorToDisplay,
 *   threshold?, into?: Uint8Array}} options
 * @returns {Promise<{width, height, index: Uint8Array, covered: object|null, outline: Uint32Array, lineWidth: number,
 *   box: object|null, boxEdges: object[]|null}>}
 */
export function heatLayers(options) {
  return call('heatLayers', options);
}

/** PNG file bytes of an RGBA image {width, height, rgba}. */
export function encodePng(image) {
  return call('encodePng', image);
}

/** JPEG file bytes of an RGBA image {width, height, rgba} at `quality` 1-100 (wasm/image_encode.h). */
export function encodeJpeg(image, quality) {
  return call('encodeJpeg', image, quality);
}

/** Current size of the module's linear memory in bytes (it only grows), for diagnostics. */
export async function coreMemoryBytes() {
  const core = await loadCore();
  return core.HEAPU8.length;
}
