// The explanation pipeline, shared by the Web Worker (web/js/worker.mjs) and the CLI (scripts/dermcam.mjs):
// photo bytes -> decode + preprocess (wasm core) -> explain graph (ONNX Runtime) -> CAM + overlay (wasm core).
//
// One Explainer holds one model session. analyse() runs the model once and keeps what it returned
// (activations and gradients of the top-K classes), so render() can switch method, class (among the K),
// colormap, opacity or outline without running the model again; `modelRuns` counts the runs that happen.
// Explaining a class outside the top K, or aug_smooth, does need runs, and render() says so in `ranModel`.
import { PREPARE_STEPS, classGradients, prepareExplainModel } from './onnx/explain.mjs';
import { checkRunShapes, verifiedExplainMetadata } from './onnx/metadata.mjs';
import { probeInput } from './onnx/probe.mjs';
import { DermcamError } from './errors.mjs';
import { finerTarget } from './finer-cam.mjs';
import { SCORE_CAM_BUDGET_BYTES, maskedBatch, scoreCamBatchSize } from './score-cam.mjs';
import { ablatedBatch } from './ablation-cam.mjs';
import { faithfulness } from './faithfulness.mjs';
import { headGraph } from './onnx/head.mjs';
import { decodeModel } from './onnx/model.mjs';
import { softmax } from './calibration.mjs';
import { judgePhoto, pooledFeatures, signedRoots } from './gate.mjs';
import { preprocessOptions, validateModelConfig } from './model-config.mjs';

const AUG_BRIGHTNESS = [0.9, 1.0, 1.1];  // pytorch-grad-cam's aug_smooth: {flip, no flip} x brightness

const now = () => (typeof performance === 'object' ? performance.now() : Date.now());

// A stage boundary of a cancellable request: let the event loop deliver a pending cancel message (the core
// and ONNX Runtime calls before it ran without yielding), then stop if it came. Free without a signal (CLI).
// (Not scheduler.yield(): its continuation may run before messages already queued. A message to ourselves
// queues behind them, and unlike setTimeout it is never clamped.)
function nextTask() {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
async function checkpoint(signal) {
  if (!signal) return;
  await nextTask();
  signal.throwIfAborted();
}

/** Mirror image of an NCHW or NHWC tensor (batch 1) along its width. */
function flipTensor(data, shape, layout) {
  const out = new Float32Array(data.length);
  const [, d1, d2, d3] = shape;
  const [channels, height, width] = layout === 'NCHW' ? [d1, d2, d3] : [d3, d1, d2];
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const from = layout === 'NCHW' ? (c * height + y) * width + x : (y * width + x) * channels + c;
        const to = layout === 'NCHW' ? (c * height + y) * width + (width - 1 - x) : (y * width + (width - 1 - x)) * channels + c;
        out[to] = data[from];
      }
    }
  }
  return out;
}

/** A description for a model that came without model.json: generic labels, ImageNet preprocessing. */
export function defaultConfig(metadata) {
  const shape = metadata.input.shape;
  const nchw = shape[0] <= 4 && shape[2] > 4;
  const unknown = { en: 'Not described: this model came without a model.json.', vi: 'Chưa được mô tả: mô hình này không kèm model.json.' };
  return {
    schema: 'dermcam-model/1',
    name: { en: 'Your own model', vi: 'Mô hình của bạn' },
    labels: Array.from({ length: metadata.score.classes }, (_, i) => ({ id: `class_${i}`, en: `Class ${i}`, vi: `Nhóm ${i}` })),
    input: {
      width: nchw ? shape[2] : shape[1], height: nchw ? shape[1] : shape[0], layout: nchw ? 'NCHW' : 'NHWC',
      scale: '0-1', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: 'center-crop',
    },
    explain: { classes: metadata.classes.k, score: metadata.score.kind },
    card: { summary: unknown, data: unknown, intendedUse: unknown, limits: unknown, provenance: unknown, licence: 'unknown' },
  };
}

function allFinite(data) {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/** What a run or a map with NaN or infinity in it becomes: an error, never a number on the screen. */
function invalidOutput(what, kind = 'NaN or infinity') {
  return new DermcamError('invalid_output', `This model produced invalid numbers (${kind} in its ${what}); ` +
    'its results cannot be shown.', { what });
}

// The dims of batch item 0 of a [N, ...] tensor.
const run0Dims = (dims) => [1, ...dims.slice(1)];

export class Explainer {
  /**
   * @param {{ort: object, core: object, sessionOptions?: object}} deps  ort: onnxruntime-web (or -node);
   *   core: web/js/core.mjs (or an object with the same functions)
   */
  constructor({ ort, core, sessionOptions = {}, decodeUnsupported = null, perturbationBudgetBytes = SCORE_CAM_BUDGET_BYTES }) {
    this.ort = ort;
    this.core = core;
    this.perturbationBudgetBytes = perturbationBudgetBytes;  // what one batch of perturbed inputs may take
    // (bytes) => {width, height, rgba}: a decoder for formats stb_image refuses (the browser's, in the worker:
    // WebP, AVIF, HEIC where supported). Without one (Node, the CLI) those formats are refused as today.
    this.decodeUnsupported = decodeUnsupported;
    this.sessionOptions = sessionOptions;
    this.session = null;
    this.modelRuns = 0;  // session runs
    this.modelItems = 0;  // inputs those runs took (a batch counts each of its items)
    this.timings = {};
    this.current = null;
    this.spareIndex = null;  // a heat-layer index handed back with recycle(): the next render writes into it
  }

  /**
   * Hands back the `layers.index` of an earlier result that is no longer needed (a page keeps the one it shows
   * and gives back the one before): the next render of the same display size writes its index there instead of
   * into a new array. Never hand back an array that is still read.
   */
  recycle(index) {
    if (index instanceof Uint8Array && index.byteLength > 0) this.spareIndex = index;
  }

  /**
   * Loads a model: validates model.json, prepares the explain graph if the ONNX file is not prepared yet,
   * checks the two agree, and creates the session. `layers` (target layer names) overrides model.json's
   * explain.layers, with or without a model.json. `onStep({step, index, count})` is called as each step starts:
   * 'read' (the graph is decoded; its description checked), PREPARE_STEPS for a model not prepared yet, then
   * 'session' and 'check' (a run on the probe input).
   */
  async load({ onnxBytes, config: rawConfig, configName = 'model.json', layers, onStep = () => {} }) {
    // `config` is model.json's parsed value (parseModelJson), or undefined when there is none: any other value,
    // false and null included, is a description and is validated.
    const described = rawConfig !== undefined;
    const started = now();
    let bytes = onnxBytes;
    let metadata = verifiedExplainMetadata(decodeModel(bytes));
    const steps = ['read', ...(metadata ? [] : PREPARE_STEPS), 'session', 'check'];
    const step = (name) => onStep({ step: name, index: steps.indexOf(name) + 1, count: steps.length });
    step('read');
    if (!metadata) {
      // Read once for what preparing needs (input size, layers, classes); the gate is checked below, against the graph.
      const { input, explain } = described ? validateModelConfig(rawConfig, { gate: false }) : {};
      const inputShape = !input ? undefined : input.layout === 'NCHW' ? [3, input.height, input.width]
        : [input.height, input.width, 3];
      const prepared = await prepareExplainModel(this.ort, bytes, {
        layers: layers ?? explain?.layers, classes: explain?.classes ?? 3, score: explain?.score, inputShape,
        tokens: explain?.tokens, onStep: step,
      });
      bytes = prepared.bytes;
      metadata = verifiedExplainMetadata(decodeModel(bytes));
    }
    const channels = (l) => l.shape[l.layout === 'NCHW' ? 0 : 2];
    const layerChannels = new Map(metadata.layers.map((l) => [l.name, channels(l)]));
    const config = validateModelConfig(described ? rawConfig : defaultConfig(metadata), { layerChannels });
    const expected = config.input.layout === 'NCHW' ? [3, config.input.height, config.input.width]
      : [config.input.height, config.input.width, 3];
    if (metadata.input.shape.join() !== expected.join()) {
      throw new DermcamError('shape_mismatch', `${configName} describes a ${config.input.layout} input of ` +
        `${expected.join(' x ')}, but the model takes ${metadata.input.shape.join(' x ')}.`);
    }
    if (metadata.score.classes !== config.labels.length) {
      throw new DermcamError('label_mismatch', `${configName} lists ${config.labels.length} labels, but the model ` +
        `scores ${metadata.score.classes} classes.`);
    }
    const oodLayer = config.gate.outOfDistribution?.layer;
    const featureLayer = oodLayer === undefined ? -1 : metadata.layers.findIndex((l) => l.name === oodLayer);
    const discriminator = config.gate.discriminator;
    if (discriminator) {
      const known = [...(metadata.features ?? []).map((f) => [f.name, f.channels]),
        ...metadata.layers.map((l) => [l.name, channels(l)])];
      let dims = 0;
      for (const name of discriminator.layers) {
        const found = known.find(([n]) => n === name);
        if (!found) {
          throw new DermcamError('bad_model_config', `${configName}: gate.discriminator.layers names '${name}', which ` +
            'this model neither explains nor pools (prepare it with --gate-layer for each of those layers).');
        }
        dims += found[1];
      }
      if (dims !== discriminator.dims) {
        throw new DermcamError('bad_model_config', `${configName}: gate.discriminator.dims is ${discriminator.dims}, but ` +
          `its layers have ${dims} channels.`);
      }
    }
    const prepareMs = now() - started;
    const sessionStarted = now();
    step('session');
    let session;
    try {
      session = await this.ort.InferenceSession.create(bytes, this.sessionOptions);
    } catch (error) {
      throw new DermcamError('model_load_failed', `The model could not be loaded: ${error?.message ?? error}`);
    }
    // One run on the probe input before the model is taken: the shapes it returns settle what the metadata says
    // (a graph may leave them symbolic) and a model that gives invalid numbers is refused now, not on a photo.
    const counted = [this.modelRuns, this.modelItems];
    step('check');
    try {
      this.probabilities(await this.run(probeInput([1, ...metadata.input.shape]), 1, [], { session, metadata }), metadata, config);
    } catch (error) {
      await session.release();
      throw error;
    } finally {
      [this.modelRuns, this.modelItems] = counted;  // a check, not a run anyone asked for
    }
    // Only now is the previous model let go: a model that fails to load leaves the one before it working.
    await this.releaseSessions();
    this.session = session;
    this.config = config;
    this.metadata = metadata;
    this.modelBytes = bytes;  // AblationCAM cuts the head from it when first asked
    this.featureLayer = featureLayer;
    this.current = null;
    this.timings = { prepareModel: prepareMs, createSession: now() - sessionStarted };
    return { config, metadata };
  }

  /**
   * One session run of `batch` inputs. What it returns is checked before anything reads it: the shapes against
   * the metadata (a mismatch is 'bad_metadata'), the scores, the model's output and the pooled gate features for
   * NaN and infinity ('invalid_output': such a run is never shown, saved or printed). Activations and gradients are
   * checked where they become a map (explain()).
   */
  async run(tensorData, batch, classes = [], { session = this.session, metadata = this.metadata } = {}) {
    const { input } = metadata;
    const k = metadata.classes.k;
    const classFeed = new BigInt64Array(k).fill(-1n);
    classes.slice(0, k).forEach((c, i) => { classFeed[i] = BigInt(c); });
    const feeds = {
      [input.name]: new this.ort.Tensor('float32', tensorData, [batch, ...input.shape]),
      [metadata.classes.input]: new this.ort.Tensor('int64', classFeed, [k]),
    };
    this.modelRuns += 1;
    this.modelItems += batch;
    let results;
    try {
      results = await session.run(feeds);
    } catch (error) {
      throw new DermcamError('inference_failed', `The model failed on this input: ${error?.message ?? error}`);
    }
    checkRunShapes(metadata, results, batch);
    const take = (name) => ({ data: results[name].data, dims: results[name].dims.map(Number) });
    const run = {
      scores: take(metadata.score.output),
      modelOutput: take(metadata.score.modelOutput),
      classes: Array.from(results[metadata.classes.output].data, Number),
      layers: metadata.layers.map((l) => ({ activations: take(l.activations), gradients: take(l.gradients) })),
      pooled: metadata.features.map((f) => take(f.output)),
    };
    for (const [what, { data }] of [['scores', run.scores], ['output', run.modelOutput], ...run.pooled.map((p) => ['gate features', p])]) {
      if (!allFinite(data)) throw invalidOutput(what);
    }
    if (run.classes.some((c) => !(c >= 0 && c < metadata.score.classes))) throw invalidOutput('class indices');
    return run;
  }

  /**
   * The gate discriminator's features of batch item 0: for each of `layers` (default: the discriminator's), the
   * signed square roots of its channel means, from the graph's pooled output or else the target layer.
   */
  discriminatorFeatures(run, layers = this.config.gate.discriminator?.layers) {
    if (!layers) return undefined;
    const parts = layers.map((name) => {
      const pooled = (this.metadata.features ?? []).findIndex((f) => f.name === name);
      if (pooled >= 0) {
        const { data, dims } = run.pooled[pooled];
        return signedRoots(data.subarray(0, dims[1]));
      }
      return this.features(run, this.metadata.layers.findIndex((l) => l.name === name), 'mean-sqrt');
    });
    const out = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /**
   * The calibrated probabilities of batch item 0. A probability is a number from 0 to 1 (with a tolerance for
   * float rounding): a model whose output is anything else (a "softmax" output that is not one) is refused.
   */
  probabilities(run, metadata = this.metadata, config = this.config) {
    const n = metadata.score.classes;
    const output = Array.from(run.modelOutput.data.subarray(0, n));
    const { temperature } = config.calibration;
    let probabilities;
    switch (metadata.score.seededBefore) {
      case 'Softmax': probabilities = output; break;
      case 'LogSoftmax': probabilities = output.map(Math.exp); break;
      case 'Sigmoid': probabilities = output; break;
      default: probabilities = metadata.score.kind === 'probability' ? output
        : softmax(Array.from(run.scores.data.subarray(0, n)), temperature);
    }
    if (probabilities.some((p) => !(p >= 0 && p <= 1 + 1e-5))) {
      throw invalidOutput('probabilities', 'a value that is not a probability from 0 to 1');
    }
    return probabilities;
  }

  /** Pooled activations of layer `index` (batch item 0): the gate's features. */
  features(run, index = Math.max(0, this.featureLayer), pooling = this.config.gate.outOfDistribution?.pooling) {
    const layer = this.metadata.layers[index];
    const { activations } = run.layers[index];
    const per = activations.data.length / activations.dims[0];
    return pooledFeatures(activations.data.subarray(0, per), layer.shape, layer.layout, pooling);
  }

  /**
   * Runs the model on a photo ({bytes}, optionally with `region` [x, y, width, height] in upright photo pixels:
   * the framing square) or an exact input tensor ({tensor: {data: Float32Array, shape}}), and the photo gate
   * (web/js/gate.mjs) on it.
   * @returns {gate, refused, ...} when the gate refuses the photo and `force` is not set: no predictions and no
   *   explanation, only the photo and why it was refused (analyseAnyway() then gives them, for researchers);
   *   otherwise the predictions and the first explanation (see render()), with the gate's verdict.
   *   `signal` (an AbortSignal) stops it between stages; a stopped analysis leaves the previous photo current.
   */
  async analyse(source, renderOptions = {}, { force = false, signal } = {}) {
    if (!this.session) throw new DermcamError('no_model', 'No model is loaded.');
    const timings = {};
    let tensor;
    let view;
    if (source.bytes) {
      const started = now();
      const prepared = await this.preparePhoto(source.bytes, source.region);
      timings.decodeAndPreprocess = now() - started;
      tensor = prepared.tensor;
      view = { display: prepared.display, content: prepared.placement.tensorContent, mapping: prepared.tensorToDisplay,
        photo: prepared.photo };
      view.quality = prepared.quality;
      view.shown = prepared.shown;
    } else if (source.tensor) {
      const expected = [1, ...this.metadata.input.shape];
      if (!(source.tensor.data instanceof Float32Array) || source.tensor.shape.join() !== expected.join()) {
        throw new DermcamError('shape_mismatch', `The input tensor must be float32 with shape [${expected.join(', ')}]` +
          ` (got ${source.tensor.data?.constructor?.name ?? typeof source.tensor.data} [${source.tensor.shape?.join(', ')}]).`);
      }
      tensor = { data: source.tensor.data, shape: expected, layout: this.config.input.layout };
      view = this.tensorView(tensor);
    } else {
      throw new DermcamError('bad_source', 'Nothing to analyse: give image bytes or a tensor.');
    }
    await checkpoint(signal);
    const started = now();
    const run = await this.run(tensor.data, 1);
    timings.inference = now() - started;
    await checkpoint(signal);
    const gateStarted = now();
    const features = this.features(run);
    const discriminatorFeatures = this.discriminatorFeatures(run);
    if (!allFinite(features) || (discriminatorFeatures && !allFinite(discriminatorFeatures))) throw invalidOutput('gate features');
    const gate = judgePhoto({ qualityIssues: view.quality?.issues, gate: this.config.gate, features, discriminatorFeatures });
    if (view.quality) gate.quality = view.quality;
    timings.gate = now() - gateStarted;
    const probabilities = this.probabilities(run);
    const predictions = probabilities.map((probability, index) => ({ index, label: this.config.labels[index], probability }))
      .sort((a, b) => b.probability - a.probability);
    const state = { tensor, view, run, runsByClass: new Map(), augByClass: new Map(), scoresByClass: new Map(),
      dropsByClass: new Map(), predictions, timings, gate };
    if (!gate.accepted && !force) {
      this.current = state;
      // Nothing that names a condition leaves this function for a photo the gate refused.
      return { refused: true, gate, display: view.display, photo: view.photo, shown: view.shown, timings: { ...timings },
        ranModel: true };
    }
    const result = await this.fullResult(state, renderOptions, signal);
    this.current = state;
    return { ...result, ranModel: true };
  }

  /** The core's prepareImage, with the browser's decoder for the formats stb_image does not read. */
  async preparePhoto(bytes, region) {
    const options = { ...preprocessOptions(this.config), quality: this.config.gate.quality, region };
    try {
      return await this.core.prepareImage(bytes, options);
    } catch (error) {
      if (error?.code !== 'unsupported_format' || !this.decodeUnsupported) throw error;
      let pixels;
      try {
        pixels = await this.decodeUnsupported(bytes);
      } catch (browserError) {
        // The browser cannot read it either: the core's message names the format.
        throw browserError?.code === 'image_too_large' ? browserError : error;
      }
      return this.core.prepareImage(pixels, options);
    }
  }

  /**
   * What the gate and calibration are fitted from (scripts/dermcam.mjs fit-gate): the photo's pooled features
   * (for the distance, and of every gate layer for the discriminator), the model's raw scores and the quality
   * measures, without an explanation.
   */
  async inspect(bytes) {
    if (!this.session) throw new DermcamError('no_model', 'No model is loaded.');
    const prepared = await this.preparePhoto(bytes);
    const run = await this.run(prepared.tensor.data, 1);
    return { features: this.features(run), discriminatorFeatures: this.discriminatorFeatures(run, this.gateLayers()),
      scores: Array.from(run.scores.data.subarray(0, this.metadata.score.classes)),
      probabilities: this.probabilities(run), quality: prepared.quality };
  }

  /** The layers a discriminator is fitted on: those prepared with --gate-layer, or else the target layer. */
  gateLayers() {
    const pooled = (this.metadata.features ?? []).map((f) => f.name);
    return pooled.length ? pooled : [this.metadata.layers[0].name];
  }

  /** The predictions and explanation of a photo the gate refused, for those who ask for them knowingly. */
  async analyseAnyway(renderOptions = {}, { signal } = {}) {
    if (!this.current) throw new DermcamError('no_photo', 'Analyse a photo first.');
    return this.fullResult(this.current, renderOptions, signal);
  }

  async fullResult(state, renderOptions, signal) {
    const { predictions, gate } = state;
    const explanation = await this.explain(state, renderOptions, signal);
    state.revealed = true;
    return { refused: false, gate, forced: !gate.accepted, predictions,
      lowConfidence: gate.accepted && predictions[0].probability < this.config.lowConfidence, ...explanation };
  }

  // A display image for a raw tensor: the input de-normalised back to pixels.
  tensorView(tensor) {
    const { width, height, layout, scale, mean, std } = this.config.input;
    const k = scale === '0-1' ? 255 : 1;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) {
        const v = layout === 'NCHW' ? tensor.data[c * width * height + i] : tensor.data[i * 3 + c];
        rgba[i * 4 + c] = (v * std[c] + mean[c]) * k;
      }
      rgba[i * 4 + 3] = 255;
    }
    return { display: { width, height, rgba }, content: { x0: 0, y0: 0, x1: width, y1: height },
      mapping: { scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 }, photo: null };
  }

  /** Model outputs that explain `classIndex` (and the slot in them), running the model only if needed. */
  async outputsFor(state, classIndex, augSmooth) {
    const { run, tensor } = state;
    if (augSmooth) {
      if (!state.augByClass.has(classIndex)) {
        const size = tensor.data.length;
        const batch = new Float32Array(size * 6);
        const flipped = flipTensor(tensor.data, tensor.shape, this.config.input.layout);
        const flags = [];
        let b = 0;
        for (const flip of [false, true]) {
          for (const brightness of AUG_BRIGHTNESS) {
            const source = flip ? flipped : tensor.data;
            for (let i = 0; i < size; i++) batch[b * size + i] = source[i] * brightness;
            flags.push(flip);
            b++;
          }
        }
        const started = now();
        state.augByClass.set(classIndex, { run: await this.run(batch, 6, [classIndex]), flags });
        state.timings.augInference = now() - started;
      }
      return { ...state.augByClass.get(classIndex), slot: 0, ranModel: true };
    }
    const { run: source, slot } = await this.gradientSource(state, classIndex);
    return { run: source, flags: [false], slot, ranModel: source !== run };
  }

  /**
   * The run holding class `c`'s gradients for the unaugmented photo, and its slot there: the first run, or a run
   * made for other classes (the model runs once for up to K missing classes, `also`, and they are kept).
   */
  async gradientSource(state, c, also = []) {
    for (const run of [state.run, ...state.runsByClass.values()]) {
      const slot = run.classes.indexOf(c);
      if (slot >= 0) return { run, slot };
    }
    const missing = [c, ...also.filter((x) => x !== c && ![state.run, ...state.runsByClass.values()]
      .some((run) => run.classes.includes(x)))].slice(0, this.metadata.classes.k);
    const run = await this.run(state.tensor.data, 1, missing);
    for (const x of missing) state.runsByClass.set(x, run);
    return { run, slot: run.classes.indexOf(c) };
  }

  /**
   * Score-CAM's outputs (score-cam.mjs): the photo's activations, and in the gradients' place each channel's
   * score (the class score of the photo masked by that channel, at every position of the channel). One model
   * run per channel, batched within a memory budget; `progress({label: 'perturbation', loaded, total})` after
   * each batch; `signal` stops between batches (nothing is kept then). The scores are kept per class.
   * pytorch-grad-cam's Score-CAM has no aug_smooth: it is not applied.
   */
  async channelScoreOutputs(state, classIndex, signal, progress) {
    const { width, height, layout } = this.config.input;
    return this.perChannelOutputs(state, state.scoresByClass, classIndex, signal, progress, {
      perItemBytes: () => this.explainInputBytes(),
      async scores(layer, l, start, count) {
        const masked = maskedBatch(state.tensor.data, { width, height, layout }, layer.activations, layer.shape, start, count);
        return (await this.run(masked, count, [classIndex])).scores.data;
      },
    });
  }

  /**
   * Ablation-CAM's outputs (ablation-cam.mjs): the photo's activations, and in the gradients' place each
   * channel's relative drop (s - s_k) / s of the class score when it is ablated; the head after the layer runs on
   * each ablated copy, batched within the memory budget, with progress and stop as for Score-CAM.
   */
  async ablationOutputs(state, classIndex, signal, progress) {
    const original = state.run.scores.data[classIndex];
    const minimum = new Map();  // per layer: AblationLayer's choice between 0 and min - 1e7 depends on it
    return this.perChannelOutputs(state, state.dropsByClass, classIndex, signal, progress, {
      perItemBytes: (layers) => 8 * Math.max(...layers.map((l) => l.activations.length)),
      async scores(layer, l, start, count) {
        const head = await this.head(l);
        if (!minimum.has(l)) minimum.set(l, layer.activations.reduce((m, v) => Math.min(m, v), Infinity));
        const batch = ablatedBatch(layer.activations, layer.shape, start, count, minimum.get(l));
        const out = await head.session.run({ [head.input]: new this.ort.Tensor('float32', batch,
          [count, ...this.metadata.layers[l].shape]) });
        this.modelRuns += 1;
        this.modelItems += count;
        if (!allFinite(out[head.output].data)) throw invalidOutput('scores');
        return out[head.output].data;
      },
      transform: (score) => Math.fround(Math.fround(original - score) / original),
    });
  }

  // The per-channel perturbation methods' shared loop: for each target layer, `scores(layer, l, start, count)`
  // gives the [count, classes] scores of a batch; the class's score per channel (through `transform`) is kept in
  // `cache` per class and passed in the gradients' place, one value per channel. Progress after each
  // batch ({label: 'perturbation', loaded, total}); `signal` stops between batches, keeping nothing.
  async perChannelOutputs(state, cache, classIndex, signal, progress, { perItemBytes, scores, transform = (v) => v }) {
    const classes = this.metadata.score.classes;
    const layers = this.metadata.layers.map((layer, l) => {
      const { data, dims } = state.run.layers[l].activations;
      const [channels, h, w] = layer.layout === 'NHWC' ? [layer.shape[2], layer.shape[0], layer.shape[1]] : layer.shape;
      return { activations: data.subarray(0, data.length / dims[0]), dims: run0Dims(dims),
        shape: { channels, height: h, width: w, layout: layer.layout } };
    });
    if (!cache.has(classIndex)) {
      const total = layers.reduce((sum, l) => sum + l.shape.channels, 0);
      const batch = scoreCamBatchSize(perItemBytes(layers), this.perturbationBudgetBytes);
      const values = [];
      let done = 0;
      progress?.({ label: 'perturbation', loaded: 0, total });
      for (const [l, layer] of layers.entries()) {
        const channelValues = new Float32Array(layer.shape.channels);
        for (let start = 0; start < layer.shape.channels; start += batch) {
          const count = Math.min(batch, layer.shape.channels - start);
          const out = await scores.call(this, layer, l, start, count);
          for (let b = 0; b < count; b++) channelValues[start + b] = transform(out[b * classes + classIndex]);
          done += count;
          progress?.({ label: 'perturbation', loaded: done, total });
          await checkpoint(signal);
        }
        values.push(channelValues);
      }
      cache.set(classIndex, values);
    }
    const values = cache.get(classIndex);
    return {
      run: { layers: layers.map(({ activations, dims }, l) => ({ activations: { data: activations, dims },
        gradients: { data: values[l], dims: [1, 1, values[l].length] } })) },
      flags: [false],
      slot: 0,
    };
  }

  /**
   * FinerCAM's outputs (finer-cam.mjs): the photo's activations, and as the one explained "class" the gradient of
   * FinerCAM's target, combined from the gradients of the class and its comparison classes (at most one more
   * model run when K is smaller than four). pytorch-grad-cam's FinerCAM has no aug_smooth: it is not applied.
   */
  async finerOutputs(state, classIndex) {
    const classes = this.metadata.score.classes;
    const target = finerTarget(state.run.scores.data.subarray(0, classes), classIndex);
    const sources = [];
    for (const c of target.classes) sources.push(await this.gradientSource(state, c, target.classes));
    const layers = state.run.layers.map(({ activations, gradients: { dims: gradientDims } }, l) => {
      const per = activations.data.length / activations.dims[0];
      let sum;
      sources.forEach(({ run, slot }, j) => {
        const { gradients } = classGradients(run.layers[l].gradients, 0, slot, 1);
        sum ??= new Float64Array(gradients.length);
        const coefficient = target.coefficients[j];
        for (let i = 0; i < gradients.length; i++) sum[i] += coefficient * gradients[i];
      });
      return { activations: { data: activations.data.subarray(0, per), dims: run0Dims(activations.dims) },
        gradients: { data: Float32Array.from(sum), dims: [1, 1, ...gradientDims.slice(2)] } };
    });
    return { run: { layers }, flags: [false], slot: 0, comparisons: target.comparisons };
  }

  /**
   * Recomputes the explanation for the current photo.
   * @param {{method?: string, classIndex?: number, eigenSmooth?: boolean, augSmooth?: boolean, colormap?: string,
   *   opacity?: number, outline?: boolean, box?: boolean, threshold?: number, output?: 'overlay'|'layers'}} options
   * @returns {{explainedClass, method, status, message, map: {data, width, height}, overlay | layers, display,
   *   timings, ranModel, comparedWith? (FinerCAM: [{index, label}])}}
   */
  async render(options = {}, { signal, progress } = {}) {
    if (!this.current) throw new DermcamError('no_photo', 'Analyse a photo first.');
    if (!this.current.revealed) throw new DermcamError('photo_refused', 'The photo gate refused this photo; ' +
      'analyseAnyway() shows its result knowingly.');
    return this.explain(this.current, options, signal, progress);
  }

  // render() for `state` (the current photo, or one analyse() has not made current yet). The map becomes the
  // state's (what overlayPng() draws) only if `signal` was not aborted meanwhile.
  async explain(state, options, signal, progress) {
    const method = options.method ?? 'gradcam';
    const classIndex = options.classIndex ?? state.predictions[0].index;
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.config.labels.length) {
      throw new DermcamError('bad_class', `Class ${classIndex} does not exist; the model has ${this.config.labels.length}.`);
    }
    const { width, height } = this.config.input;
    const timings = state.timings;
    const runsBefore = this.modelRuns;
    this.methodList ??= await this.core.camMethods();
    const target = this.methodList.find((m) => m.id === method)?.target;
    const { run, flags, slot, comparisons } = target === 'finer' ? await this.finerOutputs(state, classIndex)
      : target === 'channel_scores' ? await this.channelScoreOutputs(state, classIndex, signal, progress)
        : target === 'ablation_drops' ? await this.ablationOutputs(state, classIndex, signal, progress)
          : await this.outputsFor(state, classIndex, Boolean(options.augSmooth));
    await checkpoint(signal);
    const camStarted = now();
    const runs = flags.map((flipped, b) => ({
      flipped,
      layers: this.metadata.layers.map((layer, l) => {
        const { activations, gradients } = run.layers[l];
        const per = activations.data.length / activations.dims[0];
        // Batch item b's gradients of all K classes; the core picks the class (classIndex = its slot).
        return {
          activations: activations.data.subarray(b * per, (b + 1) * per),
          ...classGradients(gradients, b),
          shape: [1, ...layer.shape],
          layout: layer.layout,
        };
      }),
    }));
    const cam = await this.core.computeCam({ method, eigenSmooth: Boolean(options.eigenSmooth), classIndex: slot,
      outputWidth: width, outputHeight: height, runs });
    // The core draws an all-zero map with status 'non_finite' from NaN or infinite activations or gradients.
    if (cam.status === 'non_finite' || !allFinite(cam.map)) throw invalidOutput('explanation map');
    timings.cam = now() - camStarted;
    const overlayStarted = now();
    const { view } = state;
    const placement = { map: cam.map, mapWidth: width, mapHeight: height, tensorContent: view.content,
      tensorToDisplay: view.mapping, threshold: options.threshold ?? 0.5 };
    // The page composites the overlay itself from its layers (opacity and colours then cost no round trip);
    // the CLI and the PNG export get the core's blend.
    let drawn;
    if (options.output === 'layers') {
      const { width: displayWidth, height: displayHeight } = view.display;
      const into = this.spareIndex?.length === displayWidth * displayHeight ? this.spareIndex : undefined;
      this.spareIndex = null;
      drawn = { layers: await this.core.heatLayers({ ...placement, displayWidth, displayHeight, into }) };
    } else {
      drawn = { overlay: await this.blend(placement, view.display, options) };
    }
    timings.overlay = now() - overlayStarted;
    await checkpoint(signal);
    state.map = cam;
    state.mapClass = classIndex;
    state.placement = placement;
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

  blend(placement, display, { colormap = 'jet', opacity = 0.5, outline = false, box = false } = {}) {
    return this.core.renderOverlay({ ...placement, display, colormap, opacity, outline: Boolean(outline), box: Boolean(box) });
  }

  /** The core's blend of the current map over the photo: {width, height, rgba, box}. */
  overlay(looks) {
    if (!this.current?.placement) throw new DermcamError('no_photo', 'Analyse a photo first.');
    return this.blend(this.current.placement, this.current.view.display, looks);
  }

  /** PNG file bytes of the current explanation drawn with these looks (colormap, opacity, outline, box). */
  async overlayPng(looks) {
    return this.core.encodePng(await this.overlay(looks));
  }

  /**
   * How faithful the current map is (faithfulness.mjs): deletion and insertion AUC, ROAD, average drop and
   * increase in confidence, and a random map's deletion AUC, from about 120 runs of the model on perturbed copies
   * of the input, batched within the memory budget; progress({label: 'metrics', loaded, total}); `signal` stops.
   */
  async metrics({ signal, progress } = {}) {
    const state = this.current;
    if (!state?.map) throw new DermcamError('no_photo', 'Explain a photo first.');
    const { width, height, layout } = this.config.input;
    const classIndex = state.mapClass;
    const randomMap = await this.core.computeCam({ method: 'randomcam', classIndex: 0, outputWidth: width,
      outputHeight: height, runs: [{ flipped: false, layers: this.metadata.layers.map((layer, l) => {
        const { data, dims } = state.run.layers[l].activations;
        return { activations: data.subarray(0, data.length / dims[0]), shape: [1, ...layer.shape], layout: layer.layout };
      }) }] });
    return faithfulness({
      input: state.tensor.data,
      shape: { width, height, layout },
      map: state.map.map,
      randomMap: randomMap.map,
      batchSize: scoreCamBatchSize(this.explainInputBytes(), this.perturbationBudgetBytes),
      signal,
      progress,
      probabilities: async (batch, count) => {
        const run = await this.run(batch, count, [classIndex]);
        return Array.from({ length: count }, (_, b) => this.classProbability(run, b, classIndex));
      },
    });
  }

  /** The bytes one input takes through the explain graph: the input, and its added outputs. */
  explainInputBytes() {
    return 4 * this.metadata.input.shape.reduce((a, b) => a * b, 1) + this.addedOutputBytes();
  }

  /**
   * The bytes of the explain graph's added outputs per input: each target layer's activations and its K
   * gradients (one per channel for a layer with gradientsPerChannel), float32.
   */
  addedOutputBytes() {
    const { layers, classes } = this.metadata;
    const elements = (dims) => dims.reduce((a, b) => a * b, 1);
    const layerBytes = (l) => elements(l.shape) +
      classes.k * (l.gradientsPerChannel ? l.shape[l.layout === 'NHWC' ? 2 : 0] : elements(l.shape));
    return 4 * layers.reduce((sum, l) => sum + layerBytes(l), 0);
  }

  /** The model's own probability of class c for batch item b (softmax of the scores, no calibration). */
  classProbability(run, b, c) {
    const n = this.metadata.score.classes;
    const output = run.modelOutput.data.subarray(b * n, (b + 1) * n);
    switch (this.metadata.score.seededBefore) {
      case 'Softmax': case 'Sigmoid': return output[c];
      case 'LogSoftmax': return Math.exp(output[c]);
      default: {
        if (this.metadata.score.kind === 'probability') return output[c];
        const scores = Array.from(run.scores.data.subarray(b * n, (b + 1) * n));
        return softmax(scores, 1)[c];
      }
    }
  }

  async releaseSessions() {
    for (const session of [this.session, ...(this.heads ?? []).map((h) => h?.session)]) if (session) await session.release();
    this.session = null;
    this.heads = [];
  }

  async release() {
    await this.releaseSessions();
    this.modelBytes = null;
    this.current = null;
  }

  /** A session of the model's head after target layer `l` (onnx/head.mjs), made on first use. */
  async head(l) {
    this.heads ??= [];
    if (!this.heads[l]) {
      const cut = headGraph(this.modelBytes, l);
      this.heads[l] = { ...cut, session: await this.ort.InferenceSession.create(cut.bytes, this.sessionOptions) };
    }
    return this.heads[l];
  }
}
