// @ts-check
// One photo's analysis: its input tensor and how it maps onto the display copy, the model's first run on it,
// the gate's verdict and the predictions, and what explaining it has cost so far (runs kept per provider and
// class, the last map). pipeline.mjs makes one per analyse() and renders from it without running the model again.
// Its `photoView` keeps the display copy, the runs and the map in the core (core.mjs PhotoView): release() frees
// them when the analysis is let go.
import { DermcamError } from './errors.mjs';
import { layerGeometry } from './layout.mjs';
import { preprocessOptions } from './model-config.mjs';

export class PhotoAnalysis {
  /**
   * @param {{tensor: {data: Float32Array, shape: number[], layout: string}, view: object, run: object,
   *   predictions: {index: number, label: object, probability: number}[], gate: object, timings: object}} parts
   *   view: {display, content, mapping, photo, quality?, shown?, photoView}
   */
  constructor({ tensor, view, run, predictions, gate, timings }) {
    this.tensor = tensor;
    this.view = view;
    /** @type {import('./core.mjs').PhotoView} */
    this.photoView = view.photoView;
    /** @type {unknown[] | null} what the photo view's runs were set from (see Explainer.explain) */
    this.runsKey = null;
    this.run = run;
    this.predictions = predictions;
    this.gate = gate;
    this.timings = timings;
    this.revealed = false;  // true once its predictions were given (accepted, or analysed anyway)
    this.map = null;  // the last map computed (what overlayPng() draws), its class and outline threshold
    this.mapClass = null;
    /** @type {{method: string, eigenSmooth: boolean, gradient: boolean} | null} how the map was made (checkMap) */
    this.mapOptions = null;
    this.threshold = 0.5;
    this.caches = new Map();
  }

  /** Frees what the core keeps for this photo. */
  release() {
    this.photoView?.release();
  }

  /** A provider's own store (e.g. its runs per class), made on first use. @returns {Map} */
  cache(name) {
    if (!this.caches.has(name)) this.caches.set(name, new Map());
    return this.caches.get(name);
  }
}

/**
 * A photo's bytes (and the framing square `region`) as the model's input: the core's prepareImage, with
 * `decodeUnsupported` (the browser's decoder, in the worker) for the formats stb_image does not read.
 */
export async function preparePhoto(core, config, bytes, region, decodeUnsupported, { view = false } = {}) {
  const options = { ...preprocessOptions(config), quality: config.gate.quality, region, view };
  try {
    return await core.prepareImage(bytes, options);
  } catch (error) {
    if (error?.code !== 'unsupported_format' || !decodeUnsupported) throw error;
    let pixels;
    try {
      pixels = await decodeUnsupported(bytes);
    } catch (browserError) {
      // The browser cannot read it either: the core's message names the format.
      throw browserError?.code === 'image_too_large' ? browserError : error;
    }
    return core.prepareImage(pixels, options);
  }
}

/** The input tensor and view of what analyse() was given: photo bytes, or an exact tensor. */
export async function sourceInput(core, config, metadata, source, decodeUnsupported) {
  if (source.bytes) {
    const prepared = await preparePhoto(core, config, source.bytes, source.region, decodeUnsupported, { view: true });
    return { tensor: prepared.tensor, view: { display: prepared.display, content: prepared.placement.tensorContent,
      mapping: prepared.tensorToDisplay, photo: prepared.photo, quality: prepared.quality, shown: prepared.shown,
      photoView: prepared.view } };
  }
  if (source.tensor) {
    const expected = [1, ...metadata.input.shape];
    if (!(source.tensor.data instanceof Float32Array) || source.tensor.shape.join() !== expected.join()) {
      throw new DermcamError('shape_mismatch', `The input tensor must be float32 with shape [${expected.join(', ')}]` +
        ` (got ${source.tensor.data?.constructor?.name ?? typeof source.tensor.data} [${source.tensor.shape?.join(', ')}]).`);
    }
    const tensor = { data: source.tensor.data, shape: expected, layout: config.input.layout };
    const view = tensorView(config, tensor);
    return { tensor, view: { ...view, photoView: await core.photoView({ display: view.display,
      tensorContent: view.content, tensorToDisplay: view.mapping }) } };
  }
  throw new DermcamError('bad_source', 'Nothing to analyse: give image bytes or a tensor.');
}

// A display image for a raw tensor: the input de-normalised back to pixels.
function tensorView(config, tensor) {
  const { width, height, layout, scale, mean, std } = config.input;
  const k = scale === '0-1' ? 255 : 1;
  const { at } = layerGeometry(tensor.shape.slice(1), layout);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      for (let c = 0; c < 3; c++) rgba[i * 4 + c] = (tensor.data[at(c, y, x)] * std[c] + mean[c]) * k;
      rgba[i * 4 + 3] = 255;
    }
  }
  return { display: { width, height, rgba }, content: { x0: 0, y0: 0, x1: width, y1: height },
    mapping: { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 }, photo: null };
}
