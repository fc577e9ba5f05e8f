// @ts-check
// dermcam's C++ image core (WebAssembly), shared by the page, the Web Worker and Node (tests, CLI).
//
// The module is created lazily, once: every call awaits the same promise. Calls are coarse (bytes in,
// typed arrays out, all copied out of wasm memory). A failure the core reports comes back as a thrown
// DermcamError with a stable `code` (see wasm/error.h). Anything else thrown from inside the module (it should
// not happen; out-of-memory is the one known way) drops the instance so the next call starts a fresh one.
import createDermcamCore from '../prebuilt/dermcam-core.mjs';
import { DermcamError } from './errors.mjs';

const WASM_URL = new URL('../prebuilt/dermcam-core.wasm', import.meta.url);
const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';

let instancePromise = null;

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
  const core = await loadCore();
  let result;
  try {
    result = core[name](...args);
  } catch (error) {
    instancePromise = null;
    throw new DermcamError('internal', `The image engine failed and was restarted: ${error?.message ?? error}`);
  }
  if (result instanceof Error) {
    const failure = /** @type {Error & {code: string, params?: object}} */ (result);  // the bindings' error object
    throw new DermcamError(failure.code, failure.message, failure.params);
  }
  return result;
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
 * applyExifOrientation.
 * @returns {Promise<{photo, tensor: {data: Float32Array, shape: number[], layout: string},
 *   display: {width, height, rgba: Uint8ClampedArray}, placement, tensorToDisplay}>}
 */
export function prepareImage(bytes, options = {}) {
  return call('prepareImage', bytes, options);
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

/** What each photo quality threshold may be: [{name, min, max, integer}] (wasm/photo_quality.h). */
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

/** Current size of the module's linear memory in bytes (it only grows), for diagnostics. */
export async function coreMemoryBytes() {
  const core = await loadCore();
  return core.HEAPU8.length;
}
