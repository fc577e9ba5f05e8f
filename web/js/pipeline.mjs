// @ts-check
// The explanation pipeline, shared by the Web Worker (web/js/worker.mjs) and the CLI (scripts/dermcam.mjs):
// photo bytes -> decode + preprocess (wasm core) -> explain graph (ONNX Runtime) -> CAM + overlay (wasm core).
//
// An Explainer holds one model (model-session.mjs) and the current photo's analysis (photo-analysis.mjs).
// analyse() runs the model once and keeps what it returned (activations and gradients of the top-K classes), so
// render() can switch method, class (among the K), colormap, opacity or outline without running the model again;
// `modelRuns` counts the runs that happen. What a method needs beyond that (another class's gradients,
// aug_smooth, a perturbation method's runs) comes from its explanation provider (cam/providers.mjs) and is kept
// in the analysis; render() says whether it ran the model in `ranModel`.
import { INPUT_METHODS, PROVIDERS } from './cam/providers.mjs';
import { scaledInputMap } from './cam/input-perturbation.mjs';
import { PERTURBATION_BUDGET_BYTES, perturbationBatchSize } from './cam/per-channel.mjs';
import { firstItem } from './cam/provider.mjs';
import { checkpoint } from './checkpoint.mjs';
import { predictionSet } from './conformal.mjs';
import { DermcamError } from './errors.mjs';
import { faithfulness } from './faithfulness.mjs';
import { judgePhoto } from './gate.mjs';
import { ModelSession, allFinite, invalidOutput, now } from './model-session.mjs';
import { classGradients } from './onnx/prepared.mjs';
import { PhotoAnalysis, preparePhoto, sourceInput } from './photo-analysis.mjs';
import { distanceGradients } from './cam/distance-gradients.mjs';
import { flipTensor } from './cam/class-gradients.mjs';
import { checkMap } from './map-check.mjs';
import { featureConcepts } from './cam/concepts.mjs';

/**
 * @typedef {{signal?: AbortSignal, progress?: import('./cam/provider.mjs').ProviderOptions['progress']}} Cancellable
 * @typedef {{method?: string, classIndex?: number, eigenSmooth?: boolean, augSmooth?: boolean, colormap?: string,
 *   opacity?: number, outline?: boolean, box?: boolean, threshold?: number, output?: 'overlay'|'layers',
 *   rise?: import('./cam/provider.mjs').ProviderOptions['rise'],
 *   occlusion?: import('./cam/provider.mjs').ProviderOptions['occlusion'],
 *   integratedGradients?: import('./cam/provider.mjs').ProviderOptions['integratedGradients'],
 *   smoothGrad?: import('./cam/provider.mjs').ProviderOptions['smoothGrad']}} RenderOptions
 * @typedef {{bytes?: Uint8Array, region?: number[], tensor?: {data: Float32Array, shape: number[]}}} Source
 *   photo bytes (with the framing square `region` [x, y, width, height] in upright photo pixels), or an exact
 *   input tensor
 */

// The first method of a model without gradients: a map from about 200 runs, each of a region the patient can see.
export const DEFAULT_FORWARD_ONLY_METHOD = 'occlusion';

const sameKey = (a, b) => a !== null && a.length === b.length && a.every((v, i) => v === b[i]);

// The looks a blend takes, from render or export options.
const looksOf = ({ colormap = 'jet', opacity = 0.5, outline = false, box = false, threshold = 0.5 }) =>
  ({ colormap, opacity, outline: Boolean(outline), box: Boolean(box), threshold });

export class Explainer {
  /**
   * @param {{ort: object, core: object, sessionOptions?: object, decodeUnsupported?: Function,
   *   perturbationBudgetBytes?: number}} deps  ort: onnxruntime-web (or -node); core: web/js/core.mjs (or an object
   *   with the same functions); decodeUnsupported: (bytes) => {width, height, rgba}, a decoder for formats
   *   stb_image refuses (the browser's, in the worker: WebP, AVIF, HEIC where supported); without one (Node, the
   *   CLI) those formats are refused. perturbationBudgetBytes: what one batch of perturbed inputs may take.
   */
  constructor({ ort, core, sessionOptions = {}, decodeUnsupported = null, perturbationBudgetBytes = PERTURBATION_BUDGET_BYTES }) {
    this.core = core;
    this.model = new ModelSession({ ort, sessionOptions });
    this.budgetBytes = perturbationBudgetBytes;
    this.decodeUnsupported = decodeUnsupported;
    this.timings = {};
    this.mapCheckRuns = 0;  // model runs of the quick map checks, not counted in modelRuns
    this.current = null;  // the current photo's PhotoAnalysis
    this.spareIndex = null;  // a heat-layer index handed back with recycle(): the next render writes into it
    /** @type {import('./cam/provider.mjs').MethodInfo[] | null} the core's CAM methods and the input-space ones */
    this.methodList = null;
  }

  get config() { return this.model.config; }
  get metadata() { return this.model.metadata; }
  get modelRuns() { return this.model.modelRuns; }
  get modelItems() { return this.model.modelItems; }

  /**
   * Hands back the `layers.index` of an earlier result that is no longer needed (a page keeps the one it shows
   * and gives back the one before): the next render of the same display size writes its index there instead of
   * into a new array. Never hand back an array that is still read.
   */
  recycle(index) {
    if (index instanceof Uint8Array && index.byteLength > 0) this.spareIndex = index;
  }

  /** Loads a model (ModelSession.load: the same options and steps); the current photo is let go. */
  async load(options) {
    const { config, metadata, timings } = await this.model.load(options);
    this.current?.release();
    this.current = null;
    this.timings = timings;
    return { config, metadata };
  }

  /**
   * The explanation methods this model can have: the core's CAM methods and the input-space methods (RISE,
   * occlusion); for a forward-only model (its head has an operator dermcam cannot differentiate), only those that
   * need no gradients. With `forwardOnly`: {op, node} of that operator, or null.
   * @returns {Promise<{methods: import('./cam/provider.mjs').MethodInfo[], forwardOnly: {op?: string, node?: string} | null}>}
   */
  async methods() {
    this.methodList ??= [...await this.core.camMethods(), ...INPUT_METHODS];
    const forwardOnly = this.metadata?.forwardOnly ?? null;
    return { methods: this.methodList.filter((m) => !forwardOnly || !m.needsGradients), forwardOnly };
  }

  /** One model run (ModelSession.run). */
  run(tensorData, batch, classes = []) {
    return this.model.run(tensorData, batch, classes);
  }

  /**
   * Runs the model on a photo or an exact input tensor, and the photo gate (web/js/gate.mjs) on it. When the gate
   * refuses the photo and `force` is not set: {refused: true, gate, display, photo, shown, timings} (no
   * predictions and no explanation; analyseAnyway() then gives them, for researchers); otherwise the predictions
   * and the first explanation (see render()), with the gate's verdict. `signal` stops it between stages; a stopped
   * analysis leaves the previous photo current.
   * @param {Source} source
   * @param {RenderOptions} [renderOptions]
   * @param {{force?: boolean, signal?: AbortSignal}} [options]
   * @returns {Promise<Record<string, any>>}
   */
  async analyse(source, renderOptions = {}, { force = false, signal } = {}) {
    const { model } = this;
    if (!model.session) throw new DermcamError('no_model', 'No model is loaded.');
    const timings = {};
    const decodeStarted = now();
    const { tensor, view } = await sourceInput(this.core, model.config, model.metadata, source, this.decodeUnsupported);
    if (source.bytes) timings.decodeAndPreprocess = now() - decodeStarted;
    let analysis = null;
    try {
      await checkpoint(signal);
      const started = now();
      const run = await model.run(tensor.data, 1);
      timings.inference = now() - started;
      await checkpoint(signal);
      const gateStarted = now();
      const gate = this.judge(run, view.quality);
      timings.gate = now() - gateStarted;
      const predictions = model.probabilities(run).map((probability, index) => ({ index, label: model.config.labels[index], probability }))
        .sort((a, b) => b.probability - a.probability);
      analysis = new PhotoAnalysis({ tensor, view, run, predictions, timings, gate });
      if (!gate.accepted && !force) {
        this.makeCurrent(analysis);
        // Nothing that names a condition leaves this function for a photo the gate refused.
        return { refused: true, gate, display: view.display, photo: view.photo, shown: view.shown, timings: { ...timings },
          ranModel: true };
      }
      const result = await this.fullResult(analysis, renderOptions, signal);
      this.makeCurrent(analysis);
      return { ...result, ranModel: true };
    } catch (error) {
      // A stopped or failed analysis leaves the previous photo current and keeps nothing of its own.
      if (analysis !== this.current) view.photoView.release();
      throw error;
    }
  }

  // The photo gate's verdict on a model run (web/js/gate.mjs), with the photo's quality measures.
  judge(run, quality) {
    const { model } = this;
    const features = model.features(run);
    const discriminatorFeatures = model.discriminatorFeatures(run);
    if (!allFinite(features) || (discriminatorFeatures && !allFinite(discriminatorFeatures))) throw invalidOutput('gate features');
    const gate = judgePhoto({ qualityIssues: quality?.issues, likelyCauses: quality?.likelyCauses, gate: model.config.gate, features, discriminatorFeatures });
    if (quality) gate.quality = quality;
    return gate;
  }

  /**
   * One labelled photo as an audit needs it (web/js/audit.mjs): the gate's verdict and refusal reasons, the
   * calibrated probabilities by class index and the answer (the ones a refused photo would have got), and the
   * prediction set (null when the gate refused it or the model has none). No explanation, no display copy, and
   * the current photo stays current.
   * @param {Uint8Array} bytes @param {Cancellable} [options]
   * @returns {Promise<{accepted: boolean, reasons: string[], probabilities: number[], predicted: number, set: number[] | null}>}
   */
  async assess(bytes, { signal } = {}) {
    const { model } = this;
    if (!model.session) throw new DermcamError('no_model', 'No model is loaded.');
    const prepared = await preparePhoto(this.core, model.config, bytes, undefined, this.decodeUnsupported);
    await checkpoint(signal);
    const run = await model.run(prepared.tensor.data, 1);
    const gate = this.judge(run, prepared.quality);
    const probabilities = Array.from(model.probabilities(run));
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    const sets = this.config.predictionSets;
    return { accepted: gate.accepted, reasons: gate.accepted ? [] : gate.reasons.map((r) => r.code), probabilities, predicted,
      set: sets && gate.accepted ? predictionSet(probabilities, sets.minProbability) : null };
  }

  // The photo explained from now on; the one before it is let go (with what the core kept for it).
  makeCurrent(analysis) {
    if (this.current && this.current !== analysis) this.current.release();
    this.current = analysis;
  }

  /**
   * What the gate and calibration are fitted from (scripts/dermcam.mjs fit-gate): the photo's pooled features
   * (for the distance, and of every gate layer for the discriminator), the model's raw scores and the quality
   * measures, without an explanation.
   */
  async inspect(bytes) {
    const { model } = this;
    if (!model.session) throw new DermcamError('no_model', 'No model is loaded.');
    const prepared = await preparePhoto(this.core, model.config, bytes, undefined, this.decodeUnsupported);
    const run = await model.run(prepared.tensor.data, 1);
    return { features: model.features(run), discriminatorFeatures: model.discriminatorFeatures(run, model.gateLayers()),
      scores: Array.from(run.scores.data.subarray(0, model.metadata.score.classes)),
      probabilities: model.probabilities(run), quality: prepared.quality };
  }

  /** The layers a discriminator is fitted on (ModelSession.gateLayers). */
  gateLayers() {
    return this.model.gateLayers();
  }

  /**
   * The predictions and explanation of a photo the gate refused, for those who ask for them knowingly.
   * @param {RenderOptions} [renderOptions]
   * @param {Cancellable} [options]
   */
  async analyseAnyway(renderOptions = {}, { signal } = {}) {
    if (!this.current) throw new DermcamError('no_photo', 'Analyse a photo first.');
    return this.fullResult(this.current, renderOptions, signal);
  }

  async fullResult(analysis, renderOptions, signal) {
    const { predictions, gate } = analysis;
    const explanation = await this.explain(analysis, renderOptions, signal);
    analysis.revealed = true;
    // The model's prediction set, for a photo the gate accepted only: its coverage holds for photos like the
    // ones it was fitted on, which a refused photo is not.
    const sets = this.config.predictionSets;
    const set = sets && gate.accepted
      ? predictionSet(predictions.map((p) => p.probability), sets.minProbability).map((i) => predictions[i]) : undefined;
    return { refused: false, gate, forced: !gate.accepted, predictions,
      ...(set ? { predictionSet: set, coverage: sets.coverage } : {}),
      lowConfidence: gate.accepted && predictions[0].probability < this.config.lowConfidence, ...explanation };
  }

  /**
   * Recomputes the explanation for the current photo: {explainedClass, method, status, message, map: {data,
   * width, height}, raw, overlay or layers, display, photo, shown, timings, ranModel, comparedWith? (FinerCAM:
   * [{index, label}])}.
   * @param {RenderOptions} [options]
   * @param {Cancellable} [cancel]
   */
  async render(options = {}, { signal, progress } = {}) {
    if (!this.current) throw new DermcamError('no_photo', 'Analyse a photo first.');
    if (!this.current.revealed) throw new DermcamError('photo_refused', 'The photo gate refused this photo; ' +
      'analyseAnyway() shows its result knowingly.');
    return this.explain(this.current, options, signal, progress);
  }

  // render() for `analysis` (the current photo's, or one analyse() has not made current yet). The map becomes the
  // analysis's (what overlayPng() draws) only if `signal` was not aborted meanwhile.
  async explain(analysis, options, signal, progress, provider = null) {
    const method = options.method ?? (this.metadata.forwardOnly ? DEFAULT_FORWARD_ONLY_METHOD : 'gradcam');
    const classIndex = options.classIndex ?? analysis.predictions[0].index;
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.config.labels.length) {
      throw new DermcamError('bad_class', `Class ${classIndex} does not exist; the model has ${this.config.labels.length}.`);
    }
    const timings = analysis.timings;
    const runsBefore = this.modelRuns;
    const info = provider ? null : (await this.methods()).methods.find((m) => m.id === method);
    if (!provider && !info && this.metadata.forwardOnly && this.methodList.some((m) => m.id === method)) {
      const { op = '' } = this.metadata.forwardOnly;
      throw new DermcamError('needs_gradients', `${method} needs gradients, and this model's head has an operator ` +
        `dermcam cannot differentiate${op ? ` (${op})` : ''}: use a method that needs none (RISE, occlusion, Score-CAM).`, { method, op });
    }
    provider ??= PROVIDERS.get(info?.target ?? 'class');
    if (!provider) throw new DermcamError('bad_method', `No explanation method '${method}' (or no provider for its '${info?.target}').`);
    const context = { model: this.model, budgetBytes: this.budgetBytes, classMap: (a, c, m) => this.classMap(a, c, m) };
    const { run, inputMap, flags, slot, comparisons } = await provider.inputs(context, analysis, classIndex, { signal, progress,
      augSmooth: Boolean(options.augSmooth), rise: options.rise, occlusion: options.occlusion,
      integratedGradients: options.integratedGradients, smoothGrad: options.smoothGrad });
    await checkpoint(signal);
    const camStarted = now();
    const { photoView, view } = analysis;
    const cam = inputMap ? await this.keepInputMap(photoView, inputMap)
      : await this.coreCam(analysis, { run, flags, slot, method, eigenSmooth: Boolean(options.eigenSmooth) });
    // The runs go into the core only when they are not the ones it keeps (a class among the K, or a method that
    // reads the same gradients, sends none of it again). They are known by their arrays: a model run's outputs
    // are new arrays, never written afterwards.
    // The core draws an all-zero map with status 'non_finite' from NaN or infinite activations or gradients.
    if (cam.status === 'non_finite' || !allFinite(cam.map)) {
      await this.restoreMap(analysis);
      throw invalidOutput('explanation map');
    }
    timings.cam = now() - camStarted;
    const overlayStarted = now();
    const threshold = options.threshold ?? 0.5;
    // The page composites the overlay itself from its layers (opacity and colours then cost no round trip);
    // the CLI and the PNG export get the core's blend.
    let drawn;
    if (options.output === 'layers') {
      const { width: displayWidth, height: displayHeight } = view.display;
      const into = this.spareIndex?.length === displayWidth * displayHeight ? this.spareIndex : undefined;
      this.spareIndex = null;
      drawn = { layers: await photoView.heatLayers({ threshold, into }) };
    } else {
      drawn = { overlay: await photoView.renderOverlay(looksOf({ ...options, threshold })) };
    }
    timings.overlay = now() - overlayStarted;
    try {
      await checkpoint(signal);
    } catch (error) {
      await this.restoreMap(analysis);
      throw error;
    }
    analysis.map = cam;
    analysis.mapClass = classIndex;
    analysis.mapOptions = { method, eigenSmooth: Boolean(options.eigenSmooth), gradient: provider === PROVIDERS.get('class') };
    analysis.threshold = threshold;
    return {
      explainedClass: { index: classIndex, label: this.config.labels[classIndex] },
      // FinerCAM: the classes the explained one is contrasted with
      ...(comparisons ? { comparedWith: comparisons.map((index) => ({ index, label: this.config.labels[index] })) } : {}),
      method,
      status: cam.status,
      message: cam.message,
      map: { data: cam.map, width: cam.width, height: cam.height },
      raw: cam.layers,
      ...drawn,
      display: view.display,
      photo: view.photo,
      shown: view.shown,
      timings: { ...timings },
      ranModel: this.modelRuns > runsBefore,
    };
  }

  // The core's CAM of the runs a provider gave, kept in the photo view. The runs go into the core only when they
  // are not the ones it keeps (a class among the K, or a method that reads the same gradients, sends none of it
  // again). They are known by their arrays: a model run's outputs are new arrays, never written afterwards.
  async coreCam(analysis, { run, flags, slot, method, eigenSmooth }) {
    const { width, height } = this.config.input;
    const { photoView } = analysis;
    const parts = flags.map((flipped, b) => this.metadata.layers.map((layer, l) => {
      const { activations, gradients } = run.layers[l];
      const per = activations.data.length / activations.dims[0];
      // Batch item b's gradients of all K classes (the core picks the class: classIndex = its slot).
      return { activations: activations.data.subarray(b * per, (b + 1) * per),
        ...(gradients ? classGradients(gradients, b) : {}), shape: [1, ...layer.shape], layout: layer.layout };
    }));
    const runsKey = [flags.join(), ...parts.flat().flatMap((p) => [p.activations, p.gradients])
      .flatMap((a) => (a ? [a.buffer, a.byteOffset, a.length] : [null]))];
    if (!sameKey(analysis.runsKey, runsKey)) {
      analysis.runsKey = null;
      await photoView.setRuns(flags.map((flipped, b) => ({ flipped, layers: parts[b] })));
      analysis.runsKey = runsKey;
    }
    const channelValues = run.layers[0].channelValues ? run.layers.map((l) => l.channelValues) : undefined;
    return photoView.computeCam({ method, eigenSmooth, classIndex: slot, outputWidth: width, outputHeight: height, channelValues });
  }

  // A gradient method's map of a class at the input's size (Guided Grad-CAM's mask), computed apart from the photo
  // view's kept map.
  async classMap(analysis, classIndex, method) {
    const { width, height } = this.config.input;
    const { run, flags, slot } = await PROVIDERS.get('class').inputs({ model: this.model, budgetBytes: this.budgetBytes },
      analysis, classIndex, {});
    const b = flags.indexOf(false);
    const layers = this.metadata.layers.map((layer, l) => {
      const { activations, gradients } = run.layers[l];
      const per = activations.data.length / activations.dims[0];
      return { activations: activations.data.subarray(b * per, (b + 1) * per), ...classGradients(gradients, b),
        shape: [1, ...layer.shape], layout: layer.layout };
    });
    const cam = await this.core.computeCam({ method, classIndex: slot, outputWidth: width, outputHeight: height,
      runs: [{ flipped: false, layers }] });
    if (cam.status === 'non_finite' || !allFinite(cam.map)) throw invalidOutput('explanation map');
    return cam.map;
  }

  // An input-space method's map, scaled as a CAM and kept in the photo view; its raw map is the input's layer.
  async keepInputMap(photoView, { raw, width, height }) {
    const map = scaledInputMap(raw);
    await photoView.setMap({ map, width, height });
    return { map, width, height, status: 'ok', message: '', layers: [{ name: this.metadata.input.name, raw, width, height }] };
  }

  /**
   * For the current photo, refused as not skin: the Grad-CAM map of the gate's out-of-distribution distance
   * (cam/distance-gradients.mjs), drawn over the photo as a class map would be. It names no class and no
   * probability: the map, the display copy and the timings only.
   * @param {RenderOptions} [renderOptions]
   */
  async whyRefused(renderOptions = {}) {
    const analysis = this.current;
    if (!analysis) throw new DermcamError('no_photo', 'Analyse a photo first.');
    if (!analysis.gate.reasons.some((r) => r.code === 'not_skin')) {
      throw new DermcamError('no_gate_map', 'Only a photo refused as not skin has a map of why.');
    }
    /** @type {Record<string, any>} */
    const drawn = await this.explain(analysis, { ...renderOptions, method: 'gradcam', eigenSmooth: false, augSmooth: false },
      undefined, undefined, distanceGradients);
    // Not a class's map: nothing later (the faithfulness metrics) may take it for one.
    analysis.map = null;
    analysis.mapClass = null;
    const { map, layers, overlay, display, timings } = drawn;
    return { map, ...(layers ? { layers } : {}), ...(overlay ? { overlay } : {}), display, timings };
  }

  // A stopped or failed render leaves the analysis's map the one drawn (the core kept the new one).
  async restoreMap(analysis) {
    if (analysis.map) await analysis.photoView.setMap({ map: analysis.map.map, width: analysis.map.width, height: analysis.map.height });
  }

  /**
   * The current explanation's raw map of each target layer: signed, before ReLU, scaling and resizing (wasm/cam.h),
   * at the layer's resolution, with the layer's name. What `--raw-out` writes and the page downloads.
   * @returns {Array<{name: string, raw: Float32Array, width: number, height: number}>}
   */
  rawMap() {
    const map = this.current?.map;
    if (!map) throw new DermcamError('no_photo', 'Explain a photo first.');
    return map.layers.map((layer, l) => ({ name: layer.name ?? this.metadata.layers[l].name, raw: layer.raw, width: layer.width,
      height: layer.height }));
  }

  /**
   * Deep Feature Factorization of the current photo (cam/concepts.mjs): k concepts of the first target layer, each
   * with its map at the input's size (and per display pixel with `display`) and the classes it supports.
   * @param {{k?: number, display?: boolean}} [options]
   */
  async concepts(options = {}) {
    if (!this.current?.revealed) throw new DermcamError('no_photo', 'Analyse a photo first (one the gate accepted, or analysed anyway).');
    return featureConcepts({ core: this.core, model: this.model }, this.current, options);
  }

  /** The core's blend of the current map over the photo: {width, height, rgba, box}. */
  overlay(looks) {
    if (!this.current?.map) throw new DermcamError('no_photo', 'Analyse a photo first.');
    return this.current.photoView.renderOverlay(looksOf({ ...looks, threshold: this.current.threshold }));
  }

  /** PNG file bytes of the current explanation drawn with these looks (colormap, opacity, outline, box). */
  async overlayPng(looks) {
    if (!this.current?.map) throw new DermcamError('no_photo', 'Analyse a photo first.');
    return this.current.photoView.overlayPng(looksOf({ ...looks, threshold: this.current.threshold }));
  }

  /**
   * How faithful the current map is (faithfulness.mjs): deletion and insertion AUC, ROAD, average drop and
   * increase in confidence, and a random map's deletion AUC, from about 120 runs of the model on perturbed copies
   * of the input, batched within the memory budget; progress({label: 'metrics', loaded, total}); `signal` stops.
   * @param {Cancellable} [options]
   */
  async metrics({ signal, progress } = {}) {
    const analysis = this.current;
    if (!analysis?.map) throw new DermcamError('no_photo', 'Explain a photo first.');
    const { width, height, layout } = this.config.input;
    const classIndex = analysis.mapClass;
    const randomMap = await this.randomCam(analysis);
    return faithfulness({
      input: analysis.tensor.data,
      shape: { width, height, layout },
      map: analysis.map.map,
      randomMap: randomMap.map,
      batchSize: perturbationBatchSize(this.model.explainInputBytes(), this.budgetBytes),
      signal,
      progress,
      probabilities: async (batch, count) => {
        const run = await this.model.run(batch, count, [classIndex]);
        return Array.from({ length: count }, (_, b) => this.model.classProbability(run, b, classIndex));
      },
    });
  }

  // Random-CAM of the photo's first run (the random map the metrics and the map check compare against): made once
  // per photo (its weights are seeded, so a second would be the same map).
  async randomCam(analysis) {
    const kept = analysis.cache('randomCam');
    if (!kept.has('map')) {
      const { width, height } = this.config.input;
      kept.set('map', await this.core.computeCam({ method: 'randomcam', classIndex: 0, outputWidth: width, outputHeight: height,
        runs: [{ flipped: false, layers: this.metadata.layers.map((layer, l) => ({
          activations: firstItem(analysis.run.layers[l].activations).data, shape: [1, ...layer.shape], layout: layer.layout })) }] }));
    }
    return kept.get('map');
  }

  /**
   * The quick check of the current map (map-check.mjs): beats a random map on deletion, stable under a mirror
   * image (gradient methods), changes when the head is randomised. About 20 model runs.
   * @param {Cancellable} [options]
   */
  async checkMap({ signal } = {}) {
    const analysis = this.current;
    if (!analysis?.map) throw new DermcamError('no_photo', 'Explain a photo first.');
    // Its runs are counted apart (mapCheckRuns): modelRuns says what the explanations cost.
    const counted = [this.model.modelRuns, this.model.modelItems];
    try {
      return await this.runMapCheck(analysis, signal);
    } finally {
      this.mapCheckRuns += this.model.modelRuns - counted[0];
      [this.model.modelRuns, this.model.modelItems] = counted;
    }
  }

  async runMapCheck(analysis, signal) {
    const { width, height, layout } = this.config.input;
    const classIndex = analysis.mapClass;
    const { method, eigenSmooth, gradient } = analysis.mapOptions;
    const layersOf = (run) => this.metadata.layers.map((layer, l) => ({ activations: firstItem(run.layers[l].activations).data,
      shape: [1, ...layer.shape], layout: layer.layout, ...classGradients(run.layers[l].gradients, 0) }));
    const randomMap = await this.randomCam(analysis);
    let flippedMap = null;
    if (gradient) {
      // The mirrored photo's own run for this class, its map mirrored back by the core.
      const run = await this.model.run(flipTensor(analysis.tensor.data, analysis.tensor.shape, layout), 1, [classIndex]);
      await checkpoint(signal);
      flippedMap = (await this.core.computeCam({ method, eigenSmooth, classIndex: 0, outputWidth: width, outputHeight: height,
        runs: [{ flipped: true, layers: layersOf(run) }] })).map;
    }
    // The model randomisation test: a gradient method's own map when the head after the (single) target layer has
    // random weights; otherwise, or when the head cannot run alone, the Random-CAM approximation.
    let randomModelMap = null;
    if (gradient && this.metadata.layers.length === 1) {
      const [layer] = this.metadata.layers;
      const activations = firstItem(analysis.run.layers[0].activations).data;
      const randomised = await this.model.randomHeadGradients(activations, classIndex);
      if (randomised) {
        randomModelMap = (await this.core.computeCam({ method, eigenSmooth, classIndex: 0, outputWidth: width, outputHeight: height,
          runs: [{ flipped: false, layers: [{ activations, shape: [1, ...layer.shape], layout: layer.layout, ...randomised }] }] })).map;
      }
    }
    return checkMap({
      input: analysis.tensor.data, shape: { width, height, layout }, map: analysis.map.map, randomMap: randomMap.map,
      randomModelMap, flippedMap, batchSize: perturbationBatchSize(this.model.explainInputBytes(), this.budgetBytes),
      probabilities: async (batch, count) => {
        await checkpoint(signal);
        const run = await this.model.run(batch, count, [classIndex]);
        return Array.from({ length: count }, (_, b) => this.model.classProbability(run, b, classIndex));
      },
    });
  }

  /** The bytes of the explain graph's added outputs per input (ModelSession.addedOutputBytes). */
  addedOutputBytes() {
    return this.model.addedOutputBytes();
  }

  async releaseSessions() {
    await this.model.releaseSessions();
  }

  async release() {
    await this.model.release();
    this.current?.release();
    this.current = null;
  }
}
