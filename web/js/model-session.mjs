// @ts-check
// One model, loaded and checked: its description (model.json) against its graph, its explain graph (prepared here
// when the file is not prepared yet), its ONNX Runtime session and the runs made on it. Shared by the worker and
// the CLI through pipeline.mjs; what a run returns is checked before anything reads it.
import { checkRunShapes, verifiedExplainMetadata } from './onnx/metadata.mjs';
import { probeInput } from './onnx/probe.mjs';
import { headGraph, randomisedHead } from './onnx/head.mjs';
import { classGradients, stripExplainGraph } from './onnx/prepared.mjs';
import { decodeModel, toNumber } from './onnx/model.mjs';
import { DermcamError } from './errors.mjs';
import { softmax } from './calibration.mjs';
import { pooledFeatures, signedRoots } from './gate.mjs';
import { validateModelConfig } from './model-config.mjs';
import { layerGeometry } from './layout.mjs';

export const now = () => (typeof performance === 'object' ? performance.now() : Date.now());

export function allFinite(data) {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

/** What a run or a map with NaN or infinity in it becomes: an error, never a number on the screen. */
export function invalidOutput(what, kind = 'NaN or infinity') {
  return new DermcamError('invalid_output', `This model produced invalid numbers (${kind} in its ${what}); ` +
    'its results cannot be shown.', { what });
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

/** The input tensor's shape (without the batch) that model.json's `input` describes. */
export function inputShape(input) {
  return input.layout === 'NCHW' ? [3, input.height, input.width] : [input.height, input.width, 3];
}

/**
 * @typedef {import('./cam/provider.mjs').Tensor} Tensor
 * @typedef {{scores: Tensor, modelOutput: Tensor, classes: number[], layers: {activations: Tensor, gradients?: Tensor}[],
 *   pooled: Tensor[]}} ModelRun  one session run: the differentiated scores [N, classes], the model's own output,
 *   the K classes whose gradients it holds, per target layer its activations [N, ...] and gradients [N, K, ...]
 *   (or [N, K, C]; none from a forward-only graph), and the gate's pooled features per pooled layer [N, C]
 * @typedef {{step: string, index: number, count: number}} LoadStep
 * @typedef {{onnxBytes: Uint8Array, config?: any, configName?: string, layers?: string[],
 *   onStep?: (step: LoadStep) => void}} LoadOptions
 */

export class ModelSession {
  /**
   * @param {{ort: object, sessionOptions?: object}} deps  ort: onnxruntime-web (or -node)
   */
  constructor({ ort, sessionOptions = {} }) {
    this.ort = ort;
    this.sessionOptions = sessionOptions;
    this.session = null;
    /** @type {import('./model-config.mjs').ModelConfig} */
    this.config = undefined;
    /** @type {any} the verified explain metadata (onnx/metadata.mjs) */
    this.metadata = undefined;
    /** @type {Uint8Array | null} the prepared model's bytes */
    this.modelBytes = null;
    this.featureLayer = -1;  // the target layer the gate's distance reads, -1 for none
    /** @type {{input: string, output: string, session: any}[]} */
    this.heads = [];
    /** @type {Record<string, {session: any, output: string, classes: string}>} the input-gradient graphs, by 'plain'/'guided' */
    this.pixelSessions = {};
    /** @type {{session: any, input: string, output: string, classes: string} | null | undefined} the randomised head's
     * gradient graph (randomHeadGradients): undefined until asked, null when the model has none */
    this.randomHead = undefined;
    this.modelRuns = 0;  // session runs
    this.modelItems = 0;  // inputs those runs took (a batch counts each of its items)
    // A model exported with a batch of 1 (torch.onnx.export's default, or a traced Reshape that bakes it in) takes
    // one input a run: a batch (Score-CAM's masked copies, Ablation-CAM's head, the metrics) is run item by item
    // and put together as one run, the same numbers. Set from the graph's input, or by a batch the model refused.
    this.oneAtATime = false;
  }

  /**
   * Loads a model: validates model.json, prepares the explain graph if the ONNX file is not prepared yet,
   * checks the two agree, and creates the session. `layers` (target layer names) overrides model.json's
   * explain.layers, with or without a model.json. `onStep({step, index, count})` is called as each step starts:
   * 'read' (the graph is decoded; its description checked), PREPARE_STEPS for a model not prepared yet, then
   * 'session' and 'check' (a run on the probe input). A model that fails leaves the one before it loaded.
   * @param {LoadOptions} options
   * @returns {Promise<{config: import('./model-config.mjs').ModelConfig, metadata: any,
   *   timings: {prepareModel: number, createSession: number}}>}
   */
  async load({ onnxBytes, config: rawConfig, configName = 'model.json', layers, onStep = () => {} }) {
    // `config` is model.json's parsed value (parseModelJson), or undefined when there is none: any other value,
    // false and null included, is a description and is validated.
    const described = rawConfig !== undefined;
    const started = now();
    let bytes = onnxBytes;
    let graph = decodeModel(bytes);
    let metadata = verifiedExplainMetadata(graph);
    // The explain-graph builder and its gradient rules load only for a model that needs preparing (a prepared one,
    // like the bundled model, starts without them).
    const builder = metadata ? null : await import('./onnx/explain.mjs');
    const steps = ['read', ...(builder?.PREPARE_STEPS ?? []), 'session', 'check'];
    const step = (name) => onStep({ step: name, index: steps.indexOf(name) + 1, count: steps.length });
    step('read');
    if (!metadata) {
      // Read once for what preparing needs (input size, layers, classes); the gate is checked below, against the graph.
      const { input, explain } = described ? validateModelConfig(rawConfig, { gate: false }) : {};
      // The discriminator's layers are pooled by the graph (checked against model.json with the rest of the gate below).
      const named = rawConfig?.gate?.discriminator?.layers;
      const gateLayers = Array.isArray(named) && named.every((n) => typeof n === 'string') ? [...new Set(named)] : undefined;
      const options = { layers: layers ?? explain?.layers, gateLayers, classes: explain?.classes ?? 3, score: explain?.score,
        inputShape: input && inputShape(input), tokens: explain?.tokens, onStep: step };
      let prepared;
      try {
        prepared = await builder.prepareExplainModel(this.ort, bytes, options);
      } catch (error) {
        // An operator the gradient rules do not know between the layer and the scores: the model is still
        // explained, by the methods that need no gradients (the graph says which operator stopped them).
        if (error?.code !== 'unsupported_op') throw error;
        prepared = await builder.prepareExplainModel(this.ort, bytes, { ...options, forwardOnly: true, onStep: undefined });
      }
      bytes = prepared.bytes;
      graph = decodeModel(bytes);
      metadata = verifiedExplainMetadata(graph);
    }
    if (metadata.guided) {
      throw new DermcamError('bad_metadata', 'This graph was prepared for guided backpropagation: its gradients are not the ' +
        'scores\' gradients. Load the model itself (dermcam prepares what it needs).');
    }
    const config = agreedConfig(metadata, described ? rawConfig : defaultConfig(metadata), configName);
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
      const run = await this.run(probeInput([1, ...metadata.input.shape]), 1, [], { session, metadata });
      calibratedProbabilities(run, metadata, config);
    } catch (error) {
      await session.release();
      throw error;
    } finally {
      [this.modelRuns, this.modelItems] = counted;  // a check, not a run anyone asked for
    }
    // Only now is the previous model let go.
    await this.releaseSessions();
    this.session = session;
    this.config = config;
    this.metadata = metadata;
    this.modelBytes = bytes;  // AblationCAM cuts the head from it when first asked
    this.oneAtATime = batchFixedAtOne(graph, metadata.input.name);
    const oodLayer = config.gate.outOfDistribution?.layer;
    this.featureLayer = oodLayer === undefined ? -1 : metadata.layers.findIndex((l) => l.name === oodLayer);
    return { config, metadata, timings: { prepareModel: prepareMs, createSession: now() - sessionStarted } };
  }

  /**
   * One session run of `batch` inputs. What it returns is checked before anything reads it: the shapes against
   * the metadata (a mismatch is 'bad_metadata'), the scores, the model's output and the pooled gate features for
   * NaN and infinity ('invalid_output': such a run is never shown, saved or printed). Activations and gradients are
   * checked where they become a map (pipeline.mjs).
   * @param {Float32Array} tensorData
   * @param {number} batch
   * @param {number[]} [classes]  the classes whose gradients are wanted (the top K by default)
   * @returns {Promise<ModelRun>}
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
    if (batch > 1 && this.oneAtATime) return this.runEach(tensorData, batch, classes, { session, metadata });
    let results;
    try {
      results = await session.run(feeds);
    } catch (error) {
      // A batch the model cannot take though its input says it can (a batch of 1 baked in by tracing): one at a time.
      if (batch > 1 && session === this.session) {
        this.oneAtATime = true;
        return this.runEach(tensorData, batch, classes, { session, metadata });
      }
      throw new DermcamError('inference_failed', `The model failed on this input: ${error?.message ?? error}`);
    }
    this.modelRuns += 1;
    this.modelItems += batch;
    checkRunShapes(metadata, results, batch);
    const take = (name) => ({ data: results[name].data, dims: results[name].dims.map(Number) });
    const run = {
      scores: take(metadata.score.output),
      modelOutput: take(metadata.score.modelOutput),
      classes: Array.from(results[metadata.classes.output].data, Number),
      layers: metadata.layers.map((l) => ({ activations: take(l.activations), ...(l.gradients && { gradients: take(l.gradients) }) })),
      pooled: metadata.features.map((f) => take(f.output)),
    };
    /** @type {[string, Tensor][]} */
    const checked = [['scores', run.scores], ['output', run.modelOutput], ...run.pooled.map((p) => /** @type {[string, Tensor]} */ (['gate features', p]))];
    for (const [what, { data }] of checked) if (!allFinite(data)) throw invalidOutput(what);
    if (run.classes.some((c) => !(c >= 0 && c < metadata.score.classes))) throw invalidOutput('class indices');
    return run;
  }

  /** A batch run item by item, as one run (every output's first axis is the batch). */
  async runEach(tensorData, batch, classes, options) {
    const per = tensorData.length / batch;
    const runs = [];
    for (let b = 0; b < batch; b++) runs.push(await this.run(tensorData.subarray(b * per, (b + 1) * per), 1, classes, options));
    const joined = (tensors) => {
      const data = new /** @type {any} */ (tensors[0].data.constructor)(tensors.reduce((n, t) => n + t.data.length, 0));
      let at = 0;
      for (const t of tensors) {
        data.set(t.data, at);
        at += t.data.length;
      }
      return { data, dims: [batch, ...tensors[0].dims.slice(1)] };
    };
    return {
      scores: joined(runs.map((r) => r.scores)),
      modelOutput: joined(runs.map((r) => r.modelOutput)),
      classes: runs.flatMap((r) => r.classes),
      layers: runs[0].layers.map((_, l) => ({ activations: joined(runs.map((r) => r.layers[l].activations)),
        ...(runs[0].layers[l].gradients && { gradients: joined(runs.map((r) => r.layers[l].gradients)) }) })),
      pooled: runs[0].pooled.map((_, f) => joined(runs.map((r) => r.pooled[f]))),
    };
  }

  /**
   * The run's head after target layer `l` on `count` copies of that layer's activations (AblationCAM): the class
   * scores, [count, classes]. The head's session (onnx/head.mjs) is made on first use.
   */
  async runHead(l, activations, count) {
    if (!this.heads[l]) {
      const cut = headGraph(this.modelBytes, l);
      this.heads[l] = { ...cut, session: await this.ort.InferenceSession.create(cut.bytes, this.sessionOptions) };
    }
    const head = this.heads[l];
    const shape = this.metadata.layers[l].shape;
    const runOnce = async (data, n) => {
      const out = await head.session.run({ [head.input]: new this.ort.Tensor('float32', data, [n, ...shape]) });
      this.modelRuns += 1;
      this.modelItems += n;
      return out[head.output].data;
    };
    let scores;
    if (count === 1 || !this.oneAtATime) {
      try {
        scores = await runOnce(activations, count);
      } catch (error) {
        if (count === 1) throw new DermcamError('inference_failed', `The model's head failed: ${error?.message ?? error}`);
        this.oneAtATime = true;  // the head keeps the model's batch of 1
      }
    }
    if (!scores) {
      const per = activations.length / count;
      const parts = [];
      for (let b = 0; b < count; b++) parts.push(await runOnce(activations.subarray(b * per, (b + 1) * per), 1));
      scores = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (scores.set(p, at), at + p.length), 0);
    }
    if (!allFinite(scores)) throw invalidOutput('scores');
    return scores;
  }

  /**
   * d score_c / d input for `count` inputs (the pixel-level methods), [count, ...input shape], float32: the model
   * prepared again with its input as the target layer (and guided backpropagation's Relu rule with `guided`), its
   * session made on first use. The whole network is differentiated, so a run costs more than the explain graph's.
   * @param {Float32Array} inputs  `count` input tensors one after the other
   * @returns {Promise<Float32Array>}
   */
  async runInputGradients(inputs, count, classIndex, { guided = false } = {}) {
    const key = guided ? 'guided' : 'plain';
    if (!this.pixelSessions[key]) {
      const { prepareExplainModel } = await import('./onnx/explain.mjs');
      const { bytes, report } = await prepareExplainModel(this.ort, stripExplainGraph(this.modelBytes), {
        layers: [this.metadata.input.name], classes: 1, score: this.metadata.score.kind, inputShape: this.metadata.input.shape, guided });
      this.pixelSessions[key] = { session: await this.ort.InferenceSession.create(bytes, this.sessionOptions),
        output: report.layers[0].gradients, classes: report.classes.input };
    }
    const { session, output, classes } = this.pixelSessions[key];
    const shape = this.metadata.input.shape;
    const per = inputs.length / count;
    const gradients = new Float32Array(inputs.length);
    for (let start = 0; start < count;) {
      const n = this.oneAtATime ? 1 : count - start;
      let out;
      try {
        out = await session.run({ [this.metadata.input.name]: new this.ort.Tensor('float32', inputs.subarray(start * per, (start + n) * per), [n, ...shape]),
          [classes]: new this.ort.Tensor('int64', BigInt64Array.from([BigInt(classIndex)]), [1]) });
      } catch (error) {
        // A batch the model cannot take though its input says it can (a batch of 1 baked in): one at a time.
        if (n > 1) {
          this.oneAtATime = true;
          continue;
        }
        throw new DermcamError('inference_failed', `The model failed while differentiating its input: ${error?.message ?? error}`);
      }
      this.modelRuns += 1;
      this.modelItems += n;
      gradients.set(out[output].data, start * per);
      start += n;
    }
    if (!allFinite(gradients)) throw invalidOutput('input gradients');
    return gradients;
  }

  /**
   * The model randomisation test's gradients (Adebayo et al. 2018): d score_c / d target layer 0 when the head after
   * the layer has random weights (onnx/head.mjs randomisedHead), for one image's activations, as computeCam takes
   * them ({gradients, gradientsPerChannel}); null when the head cannot run from the layer alone (a skip connection
   * past it, a token layer) or has no weights to randomise. The randomised head's gradient graph is made on first use.
   * @param {Float32Array} activations  one image's target layer 0
   */
  async randomHeadGradients(activations, classIndex) {
    const layer = this.metadata.layers[0];
    if (this.randomHead === undefined) {
      this.randomHead = null;
      let cut;
      try {
        cut = headGraph(this.modelBytes, 0);
      } catch (error) {
        if (error?.code !== 'head_not_separable') throw error;
      }
      const randomised = cut && randomisedHead(cut.bytes);
      if (randomised?.redrawn) {
        const { prepareExplainModel } = await import('./onnx/explain.mjs');
        const { bytes, report } = await prepareExplainModel(this.ort, randomised.bytes, { layers: [cut.input], classes: 1,
          score: 'logit', inputShape: layer.shape });
        this.randomHead = { session: await this.ort.InferenceSession.create(bytes, this.sessionOptions), input: cut.input,
          output: report.layers[0].gradients, classes: report.classes.input };
      }
    }
    if (!this.randomHead) return null;
    const { session, input, output, classes } = this.randomHead;
    let out;
    try {
      out = await session.run({ [input]: new this.ort.Tensor('float32', activations, [1, ...layer.shape]),
        [classes]: new this.ort.Tensor('int64', BigInt64Array.from([BigInt(classIndex)]), [1]) });
    } catch (error) {
      throw new DermcamError('inference_failed', `The model's head with random weights failed: ${error?.message ?? error}`);
    }
    const gradients = { data: out[output].data, dims: out[output].dims.map(Number) };
    if (!allFinite(gradients.data)) throw invalidOutput('gradients of the randomised head');
    return classGradients(gradients, 0);
  }

  /** The calibrated probabilities of batch item 0 (see calibratedProbabilities). */
  probabilities(run) {
    return calibratedProbabilities(run, this.metadata, this.config);
  }

  /** The model's own probability of class c for batch item b (no calibration). */
  classProbability(run, b, c) {
    return modelProbabilities(run, this.metadata, b, 1)[c];
  }

  /** Pooled activations of layer `index` (batch item 0): the gate's features. */
  features(run, index = Math.max(0, this.featureLayer), pooling = this.config.gate.outOfDistribution?.pooling) {
    const layer = this.metadata.layers[index];
    const { activations } = run.layers[index];
    const per = activations.data.length / activations.dims[0];
    return pooledFeatures(activations.data.subarray(0, per), layer.shape, layer.layout, pooling);
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

  /** The layers a discriminator is fitted on: those prepared with --gate-layer, or else the target layer. */
  gateLayers() {
    const pooled = (this.metadata.features ?? []).map((f) => f.name);
    return pooled.length ? pooled : [this.metadata.layers[0].name];
  }

  /** The bytes one input takes through the explain graph: the input, and its added outputs. */
  explainInputBytes() {
    return 4 * this.metadata.input.shape.reduce((a, b) => a * b, 1) + this.addedOutputBytes();
  }

  /**
   * The bytes of the explain graph's added outputs per input: each target layer's activations and its K
   * gradients (one per channel for a layer with gradientsPerChannel; none in a forward-only graph), float32.
   */
  addedOutputBytes() {
    const { layers, classes } = this.metadata;
    const layerBytes = (l) => {
      const { channels, size } = layerGeometry(l.shape, l.layout);
      return size + (l.gradients ? classes.k * (l.gradientsPerChannel ? channels : size) : 0);
    };
    return 4 * layers.reduce((sum, l) => sum + layerBytes(l), 0);
  }

  async releaseSessions() {
    for (const session of [this.session, ...this.heads.map((h) => h?.session),
      ...Object.values(this.pixelSessions ?? {}).map((p) => p.session), this.randomHead?.session]) if (session) await session.release();
    this.session = null;
    this.heads = [];
    this.pixelSessions = {};
    this.randomHead = undefined;
  }

  async release() {
    await this.releaseSessions();
    this.modelBytes = null;
  }
}

// model.json validated against the graph: the input it describes, its labels against the classes scored, the
// gate's layers against those the graph explains or pools.
function agreedConfig(metadata, rawConfig, configName) {
  const layerChannels = new Map(metadata.layers.map((l) => [l.name, layerGeometry(l.shape, l.layout).channels]));
  const config = validateModelConfig(rawConfig, { layerChannels });
  const expected = inputShape(config.input);
  if (metadata.input.shape.join() !== expected.join()) {
    throw new DermcamError('shape_mismatch', `${configName} describes a ${config.input.layout} input of ` +
      `${expected.join(' x ')}, but the model takes ${metadata.input.shape.join(' x ')}.`);
  }
  if (metadata.score.classes !== config.labels.length) {
    throw new DermcamError('label_mismatch', `${configName} lists ${config.labels.length} labels, but the model ` +
      `scores ${metadata.score.classes} classes.`);
  }
  const discriminator = config.gate.discriminator;
  if (discriminator) {
    const known = new Map([...layerChannels, ...(metadata.features ?? []).map((f) => [f.name, f.channels])]);
    let dims = 0;
    for (const name of discriminator.layers) {
      if (!known.has(name)) {
        throw new DermcamError('bad_model_config', `${configName}: gate.discriminator.layers names '${name}', which ` +
          'this model neither explains nor pools (prepare it with --gate-layer for each of those layers).');
      }
      dims += known.get(name);
    }
    if (dims !== discriminator.dims) {
      throw new DermcamError('bad_model_config', `${configName}: gate.discriminator.dims is ${discriminator.dims}, but ` +
        `its layers have ${dims} channels.`);
    }
  }
  return config;
}

/** Whether the graph's image input declares a batch of exactly 1 (not a symbolic or free dimension). */
function batchFixedAtOne(graph, inputName) {
  const input = graph.graph.input.find((i) => i.name === inputName);
  const first = input?.type?.tensorType?.shape?.dim?.[0];
  return first?.dimValue !== undefined && first?.dimValue !== null && toNumber(first.dimValue) === 1;
}

/**
 * The probabilities of batch item b as the model gives them: its own output when that is a softmax, log-softmax,
 * sigmoid or probability, else the softmax of its scores at `temperature`.
 */
export function modelProbabilities(run, metadata, b, temperature) {
  const n = metadata.score.classes;
  const output = Array.from(run.modelOutput.data.subarray(b * n, (b + 1) * n));
  switch (metadata.score.seededBefore) {
    case 'Softmax': case 'Sigmoid': return output;
    case 'LogSoftmax': return output.map(Math.exp);
    default: return metadata.score.kind === 'probability' ? output
      : softmax(Array.from(run.scores.data.subarray(b * n, (b + 1) * n)), temperature);
  }
}

/**
 * The calibrated probabilities of batch item 0. A probability is a number from 0 to 1 (with a tolerance for
 * float rounding): a model whose output is anything else (a "softmax" output that is not one) is refused.
 */
export function calibratedProbabilities(run, metadata, config) {
  const probabilities = modelProbabilities(run, metadata, 0, config.calibration.temperature);
  if (probabilities.some((p) => !(p >= 0 && p <= 1 + 1e-5))) {
    throw invalidOutput('probabilities', 'a value that is not a probability from 0 to 1');
  }
  return probabilities;
}
