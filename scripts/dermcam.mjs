#!/usr/bin/env node
// dermcam's command line: the same JS pipeline and wasm core as the web app.
//   node scripts/dermcam.mjs prepare IN.onnx OUT.onnx [--layer NAME]... [--gate-layer NAME]... [--classes K]
//                                    [--score logit|probability] [--input-shape C,H,W] [--forward-only] [--list-layers] [--json]
//   node scripts/dermcam.mjs explain --model DIR|FILE.onnx (--image FILE|DIR ... | --tensor FILE.npy)
//                                    [--method NAME] [--class INDEX] [--layer NAME] [--out overlay.png]
//                                    [--heatmap-out map.npy] [--raw-out raw.npy] [--region X,Y,W,H] [--eigen-smooth] [--aug-smooth]
//                                    [--rise-masks N] [--occlusion-window PX] [--occlusion-stride PX]
//                                    [--ig-steps N] [--ig-baseline zero|black|blur] [--smoothgrad-samples N] [--smoothgrad-noise F]
//                                    [--concepts K] [--concepts-out concepts.npy]
//                                    [--colormap NAME] [--opacity 0-1] [--outline] [--metrics] [--no-map-check] [--force]
//                                    [--json | --jsonl]
//                                    [--jobs N] [--shard I/N] [--resume RESULTS.jsonl]
//   node scripts/dermcam.mjs fit-gate --model DIR --images FOLDER [--negatives FOLDER] [--acceptance 0.995] [--coverage 0.9] [--fit-quality [--skin-types TYPES.csv] [--quality-only]] [--json]
//   node scripts/dermcam.mjs pack --onnx CLASSIFIER.onnx --labels LABELS.json|csv --photos FOLDER --out DIR [...] (pack.mjs)
// Errors go to stderr with a non-zero exit code (2 for usage, 1 for everything else).
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { DermcamError } from '../web/js/errors.mjs';
import { decodeModel } from '../web/js/onnx/model.mjs';
import { listLayers, prepareExplainModel } from '../web/js/onnx/explain.mjs';
import { verifiedExplainMetadata } from '../web/js/onnx/metadata.mjs';
import { validateModelConfig } from '../web/js/model-config.mjs';
import { STRINGS } from '../web/js/i18n.mjs';
import { ResumeLog, inOrder, parseShard, shardOf } from './batch.mjs';
import { IMAGE_EXTENSIONS, loadWebOrt, photosIn, readInput, readJson } from './cli-files.mjs';

const USAGE = `usage:
  node scripts/dermcam.mjs prepare IN.onnx OUT.onnx [--layer NAME]... [--gate-layer NAME]... [--classes K]
                                   [--score logit|probability] [--input-shape C,H,W] [--tokens P:HxW] [--forward-only] [--json]
  node scripts/dermcam.mjs prepare IN.onnx --list-layers [--tokens P:HxW] [--json]
  node scripts/dermcam.mjs explain --model DIR|FILE.onnx (--image FILE|DIR ... | --tensor FILE.npy)
                                   [--method NAME] [--class INDEX] [--layer NAME] [--out overlay.png|DIR]
                                   [--heatmap-out map.npy|DIR] [--raw-out raw.npy|DIR] [--region X,Y,W,H]
                                   [--eigen-smooth] [--aug-smooth] [--rise-masks N] [--occlusion-window PX] [--occlusion-stride PX]
                                   [--ig-steps N] [--ig-baseline zero|black|blur] [--smoothgrad-samples N] [--smoothgrad-noise 0-1]
                                   [--concepts K] [--concepts-out concepts.npy|DIR]
                                   [--colormap NAME] [--opacity 0-1] [--outline] [--metrics] [--no-map-check] [--force]
                                   [--json | --jsonl]
                                   [--jobs N] [--shard I/N] [--resume RESULTS.jsonl]
  node scripts/dermcam.mjs fit-gate --model DIR --images FOLDER [--negatives FOLDER] [--acceptance 0.995] [--coverage 0.9] [--fit-quality [--skin-types TYPES.csv] [--quality-only]] [--json]
  node scripts/dermcam.mjs pack --onnx CLASSIFIER.onnx --labels LABELS.json|csv --photos FOLDER --out DIR
                                [--negatives FOLDER] [--skin-types TYPES.csv] [--masks FOLDER] [--name NAME] [--version V]
                                [--layer NAME] [--score logit|probability] [--input-size WxH] [--mean R,G,B] [--std R,G,B]
                                [--scale 0-1|0-255] [--resize center-crop|stretch|letterbox] [--coverage 0.9]
                                [--acceptance 0.995] [--fit-quality] [--force] [--json]

prepare: target layers are 4-D activations (NCHW or NHWC) or token layers [batch, tokens, channels] of
transformers: P prefix tokens (class, distillation, register) then an H x W grid, recognised by themselves for
1 or 2 prefix tokens and a square grid, or stated with --tokens P:HxW (model.json: explain.tokens).
--forward-only writes no gradients (the scores, activations and gate features only), for a model whose head has an
operator dermcam cannot differentiate; explain loads such a model that way by itself and offers only the methods
that need no gradients (the default is then occlusion).
explain: every photo first passes the photo gate (focus, exposure, size, and the model's own
out-of-distribution check when model.json has one); a refused photo gets "gate" with the reasons and no
predictions unless --force. A refusal is not an error. --region takes only that part of the photo
(upright pixels, as the app's framing square does): a small spot then gets the model's full resolution.
--eigen-smooth and --aug-smooth are the app's smoothing choices (pytorch-grad-cam's eigen_smooth and aug_smooth);
--colormap (jet, turbo, viridis, inferno), --opacity (default 0.5) and --outline are how --out draws the map.
--method rise and --method occlusion need only the model's class probability, so they explain any classifier:
RISE (--rise-masks, default 1000 random masks) and occlusion (a sliding window of --occlusion-window pixels of the
model's input, default an eighth of its side, every --occlusion-stride pixels, default half a window); their maps
are at the model's input resolution (--raw-out too: RISE's mean masked probability, occlusion's signed drop).
The pixel-level methods differentiate the whole network with respect to its input (a second graph, prepared on first
use; a run costs about as much as the forward pass and a full backward pass): saliency (the gradient's magnitude),
gradxinput (signed), integratedgradients (--ig-steps, default 32, from --ig-baseline zero: the normalisation's mean
colour, black or blur; signed, adding up to the score difference), smoothgrad (--smoothgrad-samples, default 25, noise
--smoothgrad-noise of the input's range, default 0.15), guidedbackprop and guidedgradcam (as pytorch-grad-cam's).
--concepts K adds Deep Feature Factorization (as pytorch-grad-cam's DeepFeatureFactorization): the first target layer
split into K (1-16) non-negative concepts, each with the classes the model's head gives its embedding ("concepts" in
the JSON; no classes when the head cannot run alone, with the reason); --concepts-out writes their maps, float32 .npy
[K, h, w] at the model's input size, each in 0-1.
--heatmap-out writes the map as drawn (0-1, the model's input size); --raw-out the raw signed map of each target
layer at its own resolution (before ReLU and scaling: negative where the layer argues against the class), float32
.npy [h, w]; several target layers get .layer2.npy, ... beside the first.
Many photos: --jobs N answers N at a time (one ONNX Runtime session each, in worker threads), in input order;
--jsonl prints one JSON line per photo as it is answered; --shard I/N takes the I-th of N deterministic shares
of the photos (by a hash of each file's name: a job runner's array index spreads a folder over machines, no
coordinator);
--resume FILE appends each result to FILE as a JSON line and skips the photos FILE already answered (errors are
tried again), so a killed run continues where it stopped.
Every map gets a quick check (map_check, web/js/map-check.mjs, 12-13 model runs): it must beat a random map on
deletion (the class probability averaged over removing its top 1, 2, 4, ... 32% of pixels), stay the same for the mirrored photo (gradient methods), and change when the model's head is randomised
(Adebayo et al. 2018); "passed": false means the map is not reliable for this photo. --no-map-check skips it.
--metrics adds how faithful the map is (web/js/faithfulness.mjs, about 120 more model runs): deletion and
insertion AUC, ROAD, average drop, increase in confidence, and a random map's deletion AUC to beat.
fit-gate: fits the out-of-distribution check from FOLDER's in-distribution photos (subfolders named by
label id also fit the temperature that calibrates the probabilities and, on the other half of them, the
prediction sets: the classes a photo's answer cannot be told apart from, holding the true class for --coverage
of photos like these (web/js/conformal.mjs); 40 labelled photos at least) and writes them into DIR/model.json.
With --negatives (photos the model must refuse: other subjects, close-ups of fur, fabric, food, ...) it also
fits a linear discriminator on the pooled activations of the layers the model was prepared with --gate-layer
(or its target layer), which refuses close-ups the distance alone lets through. With --fit-quality it also fits the
photo quality thresholds (gate.quality) from the model itself: up to 60 labelled photos are blurred (whole, or the lesion alone), darkened,
brightened, given glare on the lesion, noise, JPEG compression and fewer pixels at growing strengths, and each
threshold goes where the model's accuracy or map stops being reliable (scripts/quality-fit.mjs states the criterion;
JPEG has no gate measure and is only reported); about 44 model runs per photo. --skin-types (a CSV photo,type as
pack reads it) makes each threshold keep 97% of each Fitzpatrick type's photos the model still reads.
--quality-only (with --fit-quality) refits the quality thresholds alone: the out-of-distribution check, the
discriminator, the calibration and the prediction sets already in model.json are kept as they are.
pack: from a trained classifier to a model folder a site serves (build-dist --model DIR). LABELS lists the
classes in the model's output order (JSON [{"id", "en", "vi", "advice"?}] or CSV id,en,vi[,advice_en,advice_vi]);
FOLDER holds one subfolder of photos per label id. Each class's photos are split by a hash of their path: 80% fit
the gate, the temperature and the prediction sets, 20% are held out for REPORT.md (accuracy, confusion matrix,
calibration, gate, prediction sets, and per Fitzpatrick type with --skin-types: a CSV photo,type with paths
relative to FOLDER; the pointing game of the true class's Grad-CAM map with --masks: a folder of lesion masks,
white on the lesion, <label>/<name>.png for each photo <label>/<name>.jpg). The weight-int8 variant is served only if it agrees with float32 on the held-out photos
(top-1 98%, mean probability difference 0.01, Grad-CAM correlation 0.9 at the 5th percentile). The card's prose
in model.json is marked to be written; build-dist refuses the model until it is. --fit-quality fits the photo
quality thresholds on the fitting split as fit-gate does (with the masks and skin types), and REPORT.md gets the
curves (quality-curves.svg) and a table: the held-out figures are then measured with those thresholds.
--help (-h) after any command prints this.

exit codes: 0 done (a photo the gate refused counts as done); 1 something could not be done (a file that
cannot be read or decoded, a model that cannot be loaded: each says why on stderr, a batch goes on with the
rest); 2 the command line is wrong.`;

class UsageError extends Error {}
class HelpRequested extends Error {}


// node:util parseArgs with --help/-h on every command.
function parseCommand(argv, options) {
  const parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  if (parsed.values.help) throw new HelpRequested();
  return parsed;
}

async function loadOrt() {
  // onnxruntime-node runs the probe natively; the prepared graph is plain ONNX for any runtime.
  return import('onnxruntime-node');
}

function parseTokens(text) {
  if (text === undefined) return undefined;
  const match = /^(\d+):(\d+)x(\d+)$/.exec(text.trim());
  if (!match || Number(match[2]) < 1 || Number(match[3]) < 1) {
    throw new UsageError(`--tokens must be PREFIX:HxW, like 1:14x14 (got '${text}')`);
  }
  return { prefix: Number(match[1]), grid: [Number(match[2]), Number(match[3])] };
}

function parseShape(text) {
  if (text === undefined) return undefined;
  const dims = text.split(/[,x]/).map((d) => Number(d.trim()));
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new UsageError(`--input-shape must be positive integers like 3,224,224 (got '${text}')`);
  }
  return dims;
}

async function prepare(argv) {
  const { values, positionals } = parseCommand(argv, {
      layer: { type: 'string', multiple: true },
      'gate-layer': { type: 'string', multiple: true },
      classes: { type: 'string' },
      score: { type: 'string' },
      'input-shape': { type: 'string' },
      tokens: { type: 'string' },
      'forward-only': { type: 'boolean' },
      'list-layers': { type: 'boolean' },
      json: { type: 'boolean' },
  });
  const [input, output] = positionals;
  if (!input || (!output && !values['list-layers']) || positionals.length > 2) throw new UsageError(USAGE);
  const classes = values.classes === undefined ? 1 : Number(values.classes);
  if (!Number.isInteger(classes)) throw new UsageError(`--classes must be an integer (got '${values.classes}')`);
  const options = {
    layers: values.layer,
    gateLayers: values['gate-layer'],
    classes,
    score: values.score ?? 'logit',
    inputShape: parseShape(values['input-shape']),
    tokens: parseTokens(values.tokens),
    forwardOnly: Boolean(values['forward-only']),
  };
  const bytes = await readInput(input, `the model ${input}`);
  const ort = await loadOrt();
  if (values['list-layers']) {
    const layers = await listLayers(ort, bytes, options);
    if (values.json) {
      console.log(JSON.stringify(layers, null, 2));
      return;
    }
    console.log('Candidate target layers (4-D with spatial size > 1, or token layers; before the scores), first to last:');
    for (const layer of layers) {
      const status = layer.explainable ? 'ok' : `blocked by ${layer.blockedBy.op} (${layer.blockedBy.node})`;
      const layout = layer.tokens ? `tokens (${layer.tokens.prefix} prefix + ${layer.tokens.grid.join(' x ')} grid)` : layer.layout;
      console.log(`  ${layer.name}  [${layer.shape.join(' x ')}] ${layout}  from ${layer.producer}  ${status}`);
    }
    return;
  }
  const { bytes: prepared, report } = await prepareExplainModel(ort, bytes, options);
  await writeFile(output, prepared);
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  if (report.forwardOnly) {
    console.log('Forward-only: no gradients' + (report.forwardOnly.op ? ` (${report.forwardOnly.op}, node '${report.forwardOnly.node}', ` +
      'has no gradient rule)' : '') + '; the methods that need none explain it (rise, occlusion, scorecam, ablationcam, eigencam, kpcacam).');
  }
  for (const layer of report.layers) {
    const grid = layer.tokens ? `, its grid of the tokens after ${layer.tokens.prefix} prefix token(s)` : '';
    const compact = layer.gradientsPerChannel ? ' Its gradients are the same at every position (a global average ' +
      'pool\'s): the graph returns one value per channel.' : '';
    console.log(`Target layer '${layer.name}' [${layer.shape.join(' x ')}] ${layer.layout}${grid}: ${report.why}.${compact}`);
  }
  console.log(`Score: ${report.score.kind} of '${report.score.tensor}'` +
    (report.score.seededBefore ? ` (before the final ${report.score.seededBefore})` : '') +
    (report.forwardOnly ? '.' : `; gradients for the top ${report.classes.k} class(es), or the classes given in '${report.classes.input}'.`));
  console.log(`Wrote ${output}: ${report.addedNodes} nodes added to a head of ${report.headNodes}.`);
}



async function readModel(path, layer) {
  let onnxPath = path;
  let configPath = null;
  let config;  // undefined: no model.json (any value read from one is validated, false and null included)
  if (existsSync(path) && statSync(path).isDirectory()) {
    configPath = join(path, 'model.json');
    if (!existsSync(configPath)) throw new DermcamError('read_failed', `${path} has no model.json.`);
    config = await readJson(configPath);
    onnxPath = join(path, typeof config?.model === 'string' ? basename(config.model) : 'model.onnx');
  } else if (existsSync(join(dirname(path), 'model.json'))) {
    configPath = join(dirname(path), 'model.json');
    config = await readJson(configPath);
  }
  if (!existsSync(path)) throw new DermcamError('read_failed', `Cannot read the model ${path}: there is no such file or folder.`);
  const onnxBytes = await readInput(onnxPath, `the model ${onnxPath}`);
  if (layer) {
    const metadata = verifiedExplainMetadata(decodeModel(onnxBytes));
    if (metadata && !metadata.layers.some((l) => l.name === layer)) {
      throw new DermcamError('bad_layer', `${onnxPath} is prepared for layer '${metadata.layers[0].name}'; ` +
        'to explain another layer give the unprepared model.');
    }
  }
  // --layer wins over model.json's explain.layers, and works without a model.json too.
  return { onnxBytes, config, configName: configPath ?? 'model.json', layers: layer ? [layer] : undefined };
}

async function imageFiles(paths) {
  const files = [];
  for (const path of paths) {
    if (existsSync(path) && statSync(path).isDirectory()) {
      const names = (await readdir(path)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      if (!names.length) throw new DermcamError('read_failed', `${path} holds no image files.`);
      files.push(...names.map((n) => join(path, n)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/**
 * --raw-out: each target layer's raw map (signed, before ReLU, scaling and resizing; wasm/cam.h) as float32 .npy of
 * shape [h, w] at the layer's resolution. One target layer: `path`; several: the first at `path`, layer k (k >= 2)
 * at `path` with `.layer<k>` before `.npy`.
 * @returns {Promise<string[] | null>} the paths written
 */
async function writeRawMaps(path, layers, encodeNpy) {
  if (!path) return null;
  const paths = layers.map((_, k) => (k === 0 ? path : path.replace(/(\.npy)?$/i, `.layer${k + 1}.npy`)));
  for (const [k, layer] of layers.entries()) await writeFile(paths[k], encodeNpy(layer.raw, [layer.height, layer.width]));
  return paths;
}

function outputPath(option, file, many, suffix) {
  if (!option) return null;
  if (!many) return option;
  return join(option, `${basename(file, extname(file))}${suffix}`);
}

// The command line, checked: everything a run needs except the model, which each job loads itself.
async function explainOptions(argv) {
  const { values, positionals } = parseCommand(argv, {
      model: { type: 'string' },
      image: { type: 'string', multiple: true },
      tensor: { type: 'string' },
      method: { type: 'string' },
      class: { type: 'string' },
      layer: { type: 'string' },
      out: { type: 'string' },
      'heatmap-out': { type: 'string' },
      'raw-out': { type: 'string' },
      'no-map-check': { type: 'boolean' },
      region: { type: 'string' },
      'eigen-smooth': { type: 'boolean' },
      'aug-smooth': { type: 'boolean' },
      'rise-masks': { type: 'string' },
      'occlusion-window': { type: 'string' },
      'occlusion-stride': { type: 'string' },
      'ig-steps': { type: 'string' },
      'ig-baseline': { type: 'string' },
      'smoothgrad-samples': { type: 'string' },
      'smoothgrad-noise': { type: 'string' },
      concepts: { type: 'string' },
      'concepts-out': { type: 'string' },
      colormap: { type: 'string' },
      opacity: { type: 'string' },
      outline: { type: 'boolean' },
      metrics: { type: 'boolean' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      jsonl: { type: 'boolean' },
      resume: { type: 'string' },
      shard: { type: 'string' },
      jobs: { type: 'string' },
  });
  if (positionals.length || !values.model || (!values.image && !values.tensor) || (values.image && values.tensor)) {
    throw new UsageError(USAGE);
  }
  const classIndex = values.class === undefined ? undefined : Number(values.class);
  if (classIndex !== undefined && (!Number.isInteger(classIndex) || classIndex < 0)) {
    throw new UsageError(`--class must be a class index (got '${values.class}')`);
  }
  let region;
  if (values.region !== undefined) {
    region = values.region.split(',').map(Number);
    if (region.length !== 4 || !region.every(Number.isInteger) || region[0] < 0 || region[1] < 0 || region[2] < 1 ||
        region[3] < 1) {
      throw new UsageError(`--region must be X,Y,WIDTH,HEIGHT in whole photo pixels, like 120,80,400,400 (got '${values.region}')`);
    }
    if (values.tensor) throw new UsageError('--region picks part of a photo; it does not apply to --tensor');
  }
  const jobs = values.jobs === undefined ? 1 : Number(values.jobs);
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) throw new UsageError(`--jobs must be a whole number from 1 to 64 (got '${values.jobs}')`);
  let shard;
  try {
    shard = parseShard(values.shard);
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.tensor && (shard || values.resume || jobs > 1)) throw new UsageError('--shard, --resume and --jobs share out photos; --tensor is one input');
  if (values.json && values.jsonl) throw new UsageError('--json prints one document at the end, --jsonl a line per photo: choose one');
  const core = await import('../web/js/core.mjs');
  const { INPUT_METHODS } = await import('../web/js/cam/providers.mjs');
  const methods = [...await core.camMethods(), ...INPUT_METHODS].map((m) => m.id);
  // No --method: the model's default (Grad-CAM, or occlusion for a model without gradients).
  const method = values.method;
  if (method !== undefined && !methods.includes(method)) throw new UsageError(`--method must be one of ${methods.join(', ')}`);
  const whole = (name, least, most) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!(Number.isInteger(n) && n >= least && n <= most)) throw new UsageError(`--${name} must be a whole number from ${least} to ${most} (got '${values[name]}')`);
    return n;
  };
  const rise = { masks: whole('rise-masks', 1, 100000) };
  const occlusion = { window: whole('occlusion-window', 1, 4096), stride: whole('occlusion-stride', 1, 4096) };
  const { IG_BASELINES } = await import('../web/js/cam/integrated-gradients.mjs');
  if (values['ig-baseline'] !== undefined && !IG_BASELINES.includes(values['ig-baseline'])) {
    throw new UsageError(`--ig-baseline must be one of ${IG_BASELINES.join(', ')} (got '${values['ig-baseline']}')`);
  }
  const integratedGradients = { steps: whole('ig-steps', 1, 1000), baseline: values['ig-baseline'] };
  const noise = values['smoothgrad-noise'] === undefined ? undefined : Number(values['smoothgrad-noise']);
  if (noise !== undefined && !(values['smoothgrad-noise'].trim() !== '' && noise >= 0 && noise <= 1)) {
    throw new UsageError(`--smoothgrad-noise must be a number from 0 to 1 (got '${values['smoothgrad-noise']}')`);
  }
  const smoothGrad = { samples: whole('smoothgrad-samples', 1, 1000), noise };
  values.concepts = whole('concepts', 1, 16);
  if (values['concepts-out'] && values.concepts === undefined) throw new UsageError('--concepts-out needs --concepts K');
  const colormaps = (await core.colormaps()).map((m) => m.id);
  if (values.colormap !== undefined && !colormaps.includes(values.colormap)) {
    throw new UsageError(`--colormap must be one of ${colormaps.join(', ')}`);
  }
  const opacity = values.opacity === undefined ? 0.5 : Number(values.opacity);
  if (values.opacity !== undefined && !(values.opacity.trim() !== '' && opacity >= 0 && opacity <= 1)) {
    throw new UsageError(`--opacity must be a number from 0 to 1 (got '${values.opacity}')`);
  }
  // What the app's "smoothing" choices and looks do, the same options of the same pipeline.
  const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const renderOptions = { method, eigenSmooth: Boolean(values['eigen-smooth']), augSmooth: Boolean(values['aug-smooth']),
    rise: defined(rise), occlusion: defined(occlusion), integratedGradients: defined(integratedGradients), smoothGrad: defined(smoothGrad) };
  const looks = { colormap: values.colormap ?? 'jet', opacity, outline: Boolean(values.outline) };
  return { values, classIndex, region, renderOptions, looks, jobs, shard };
}

// One job: the model loaded (its own ONNX Runtime session) and answer(file), one photo's (or the tensor's) result.
async function explainJob({ values, classIndex, region, renderOptions, looks }, { many, announce }) {
  const [{ Explainer }, core, { decodeNpy, encodeNpy }, ort] = await Promise.all([
    import('../web/js/pipeline.mjs'), import('../web/js/core.mjs'), import('../web/js/npy.mjs'), loadWebOrt()]);
  const explainer = new Explainer({ ort, core, sessionOptions: { executionProviders: ['wasm'], logSeverityLevel: 3 } });
  try {
    await explainer.load(await readModel(values.model, values.layer));
  } catch (error) {
    throw error instanceof DermcamError ? error : new DermcamError('model_load_failed', String(error?.message ?? error));
  }
  if (announce && !explainer.config.gate.outOfDistribution) console.error(`dermcam: ${STRINGS.en.gateNoOodCheck}`);
  async function answer(file) {
    try {
      let source;
      if (values.tensor) {
        const { data, shape } = decodeNpy(await readInput(file, 'the tensor'));
        source = { tensor: { data, shape } };
      } else {
        source = { bytes: await readInput(file, 'the photo'), region };
      }
      const first = await explainer.analyse(source, renderOptions, { force: Boolean(values.force) });
      const gate = gateJson(first.gate);
      if (first.refused) return { ...(many || values.image ? { file } : {}), gate };
      const result = classIndex === undefined || classIndex === first.explainedClass.index
        ? first : await explainer.render({ ...renderOptions, classIndex });
      const overlayPath = outputPath(values.out, file, many, '.overlay.png');
      if (overlayPath) await writeFile(overlayPath, await explainer.overlayPng(looks));
      const metrics = values.metrics ? await explainer.metrics() : undefined;
      const check = values['no-map-check'] ? null : await explainer.checkMap();
      const heatmapPath = outputPath(values['heatmap-out'], file, many, '.heatmap.npy');
      if (heatmapPath) await writeFile(heatmapPath, encodeNpy(result.map.data, [result.map.height, result.map.width]));
      const rawPaths = await writeRawMaps(outputPath(values['raw-out'], file, many, '.raw.npy'), result.raw, encodeNpy);
      const concepts = values.concepts === undefined ? null : await explainer.concepts({ k: values.concepts });
      const conceptsPath = outputPath(values['concepts-out'], file, many, '.concepts.npy');
      if (conceptsPath) {
        const maps = new Float32Array(concepts.concepts.length * concepts.width * concepts.height);
        concepts.concepts.forEach((c, j) => maps.set(c.map, j * concepts.width * concepts.height));
        await writeFile(conceptsPath, encodeNpy(maps, [concepts.concepts.length, concepts.height, concepts.width]));
      }
      const t = result.timings;
      return {
        ...(many || values.image ? { file } : {}),
        gate,
        ...(first.forced ? { forced: true } : {}),
        predictions: first.predictions.map((p) => ({ index: p.index, label: p.label.id, probability: p.probability })),
        ...(first.predictionSet ? { prediction_set: first.predictionSet.map((p) => p.label.id), coverage: first.coverage } : {}),
        explained_class: { index: result.explainedClass.index, label: result.explainedClass.label.id },
        ...(result.comparedWith ? { compared_with: result.comparedWith.map((c) => ({ index: c.index, label: c.label.id })) } : {}),
        method: result.method,
        eigen_smooth: renderOptions.eigenSmooth,
        aug_smooth: renderOptions.augSmooth,
        ...(first.shown ? { region: [first.shown.x0, first.shown.y0, first.shown.x1 - first.shown.x0,
          first.shown.y1 - first.shown.y0] } : {}),
        target_layer: explainer.metadata.layers.map((l) => l.name).join(', '),
        map_status: result.status,
        low_confidence: first.lowConfidence,
        timings_ms: {
          ...(t.decodeAndPreprocess !== undefined ? { decode_preprocess: t.decodeAndPreprocess } : {}),
          inference: t.inference, cam: t.cam, overlay: t.overlay,
        },
        ...(overlayPath ? { overlay: overlayPath } : {}),
        ...(heatmapPath ? { heatmap: heatmapPath } : {}),
        ...(rawPaths ? { raw_map: rawPaths } : {}),
        ...(metrics ? { metrics } : {}),
        ...(concepts ? { concepts: {
          layer: concepts.layer, relative_error: concepts.relativeError,
          ...(concepts.noClasses ? { no_classes: concepts.noClasses.message } : {}),
          ...(conceptsPath ? { maps: conceptsPath } : {}),
          parts: concepts.concepts.map((c) => ({ classes: c.classes?.map((x) => ({ index: x.index, label: x.label.id, probability: x.probability })) ?? null })),
        } } : {}),
        ...(check ? { map_check: { passed: check.passed, deletion_score: check.deletionScore, random_deletion_score: check.randomDeletionScore,
          beats_random: check.beatsRandom, flip_correlation: check.flipCorrelation, flip_stable: check.flipStable,
          random_head_correlation: check.randomHeadCorrelation, changes_with_model: check.changesWithModel,
          randomisation: check.randomisation,
          model_runs: check.modelRuns } } : {}),
      };
    } catch (error) {
      console.error(`dermcam: ${file}: ${error.message}`);
      return { file, error: { code: error.code ?? 'internal', message: error.message } };
    }
  }
  return { answer, release: () => explainer.release() };
}

// A job in a worker thread (--jobs): this file again, answering one photo at a time (explainWorker below).
function startExplainWorker(options, many, announce) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'explain', options, many, announce } });
    let pending = null;
    worker.on('message', (message) => {
      if (message.failed) reject(new DermcamError(message.failed.code, message.failed.message));
      else if (message.ready) {
        resolve({
          answer: (file) => new Promise((done, fail) => {
            pending = { done, fail };
            worker.postMessage({ file });
          }),
          stop: async () => {
            worker.postMessage({ file: null });
            await once(worker, 'exit');
          },
        });
      } else pending?.done(message.result);
    });
    worker.on('error', (error) => (pending ? pending.fail(error) : reject(error)));
  });
}

async function explainWorker() {
  const { options, many, announce } = workerData;
  let job;
  try {
    job = await explainJob(options, { many, announce });
  } catch (error) {
    parentPort.postMessage({ failed: { code: error.code ?? 'internal', message: error.message } });
    return;
  }
  parentPort.postMessage({ ready: true });
  parentPort.on('message', async ({ file }) => {
    if (file === null) {
      await job.release();
      parentPort.close();
      return;
    }
    parentPort.postMessage({ result: await job.answer(file) });
  });
}

async function explain(argv) {
  const options = await explainOptions(argv);
  const { values } = options;
  const all = values.tensor ? [values.tensor] : await imageFiles(values.image);
  const many = all.length > 1;
  for (const option of ['out', 'heatmap-out', 'raw-out', 'concepts-out']) {
    if (many && values[option]) await mkdir(values[option], { recursive: true });
  }
  // --resume: the results already in the file are kept and their photos skipped; each new one is appended.
  const log = values.resume ? new ResumeLog(values.resume) : null;
  const sources = shardOf(all, options.shard).filter((file) => !log?.done.has(file));
  const results = [];
  let failures = 0;
  const emit = (result) => {
    if (result.error) failures += 1;
    log?.append(result);
    if (values.jsonl) console.log(JSON.stringify(result));
    else results.push(result);
  };
  const jobs = Math.min(options.jobs, Math.max(1, sources.length));
  if (jobs === 1) {
    const job = await explainJob(options, { many, announce: true });
    await inOrder(sources, [job.answer], emit);
    await job.release();
  } else {
    const workers = await Promise.all(Array.from({ length: jobs }, (_, k) => startExplainWorker(options, many, k === 0)));
    try {
      await inOrder(sources, workers.map((w) => w.answer), emit);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  }
  if (log) console.error(`dermcam: ${sources.length} photo(s) answered into ${values.resume}; ${log.done.size} were there already.`);
  if (values.json) {
    if (many || results.length) console.log(JSON.stringify(many ? results : results[0], null, 2));
  } else if (!values.jsonl) {  // (--jsonl printed each line as it came)
    for (const r of results) {
      if (r.error) continue;
      if (!r.predictions) {
        console.log(`${r.file ?? values.tensor}: refused by the photo gate: ${r.gate.reasons.map((x) => x.message).join(' ')}`);
        continue;
      }
      const top = r.predictions[0];
      console.log(`${r.file ?? values.tensor}: ${top.label} ${(100 * top.probability).toFixed(1)}%` +
        `${r.low_confidence ? ' (low confidence)' : ''}; ${r.method} of '${r.explained_class.label}' ` +
        `(${r.map_status})${r.overlay ? ` -> ${r.overlay}` : ''}` +
        `${r.forced ? ` [FORCED past the photo gate: ${r.gate.reasons.map((x) => x.code).join(', ')}]` : ''}`);
      if (r.metrics) {
        const m = r.metrics;
        console.log(`  faithfulness: deletion AUC ${m.deletion_auc.toFixed(3)} (random map ${m.random_deletion_auc.toFixed(3)}` +
          `${m.beats_random ? '' : ': NOT better than random'}), insertion AUC ${m.insertion_auc.toFixed(3)}, ` +
          `ROAD ${m.road_combined.toFixed(3)}, average drop ${(100 * m.average_drop).toFixed(1)}%`);
      }
    }
  }
  if (failures) process.exitCode = 1;
}

function gateJson(gate) {
  return {
    accepted: gate.accepted,
    out_of_distribution_check: gate.outOfDistributionCheck,
    // A discriminator's reason (check "discriminator") is a score below its threshold; the others are above theirs.
    // A likely cause (likely: true) is named first for a photo refused as not skin; it is not a refusal of its own.
    reasons: gate.reasons.map(({ code, value, threshold, check, likely }) => ({ code, message: STRINGS.en[`gate_${code}`], value, threshold,
      ...(check ? { check } : {}), ...(likely ? { likely } : {}) })),
    ...(gate.quality ? { quality: {
      sharpness: gate.quality.sharpness, bright_level: gate.quality.brightLevel, shadows: gate.quality.shadows,
      highlights: gate.quality.highlights, spot_highlights: gate.quality.spotHighlights,
      spot_sharpness: gate.quality.spotSharpness, spot_contrast: gate.quality.spotContrast,
      dark_level: gate.quality.darkLevel, width: gate.quality.photoWidth,
      height: gate.quality.photoHeight,
    } } : {}),
    ...(gate.distance !== undefined ? { distance: gate.distance } : {}),
    ...(gate.discriminatorScore !== undefined ? { discriminator_score: gate.discriminatorScore } : {}),
  };
}



async function fitGate(argv) {
  const { values, positionals } = parseCommand(argv,
    { model: { type: 'string' }, images: { type: 'string' }, negatives: { type: 'string' }, acceptance: { type: 'string' },
      coverage: { type: 'string' }, 'fit-quality': { type: 'boolean' }, 'skin-types': { type: 'string' },
      'quality-only': { type: 'boolean' }, json: { type: 'boolean' } });
  if (positionals.length || !values.model || !values.images) throw new UsageError(USAGE);
  if (values['skin-types'] && !values['fit-quality']) throw new UsageError('--skin-types is read by --fit-quality: pass both.');
  if (values['quality-only'] && !values['fit-quality']) throw new UsageError('--quality-only refits what --fit-quality fits: pass both.');
  if (values['quality-only'] && values.negatives) throw new UsageError('--quality-only keeps the discriminator: leave out --negatives.');
  const coverage = values.coverage === undefined ? 0.9 : Number(values.coverage);
  if (!(coverage >= 0.5 && coverage < 1)) throw new UsageError(`--coverage must be a fraction from 0.5 to below 1 (got '${values.coverage}')`);
  const acceptance = values.acceptance === undefined ? 0.995 : Number(values.acceptance);
  if (!(acceptance > 0.5 && acceptance <= 1)) throw new UsageError(`--acceptance must be a fraction above 0.5 (got '${values.acceptance}')`);
  if (!existsSync(join(values.model, 'model.json'))) throw new DermcamError('read_failed', `${values.model} has no model.json.`);
  const configPath = join(values.model, 'model.json');
  const raw = await readJson(configPath);
  const { fitDescription } = await import('./fit-model.mjs');
  const photos = await photosIn(values.images, validateModelConfig(raw, { gate: false }).labels.map((l) => l.id));
  const skinTypes = values['skin-types'] ? await (await import('./pack.mjs')).readSkinTypes(values['skin-types'], photos, values.images) : null;
  const qualityOnly = Boolean(values['quality-only']);
  const { config: out, summary, ood, known, logitScores } = await fitDescription({ raw, model: await readModel(values.model),
    photos, base: values.images, negatives: values.negatives ? await photosIn(values.negatives, []) : null,
    negativesFolder: values.negatives, acceptance, coverage, fitQuality: values['fit-quality'] ? { skinTypes } : null,
    qualityOnly });
  await writeFile(configPath, `${JSON.stringify(out, null, 2)}\n`);
  summary.model = configPath;
  const samples = { length: summary.photos };
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  if (qualityOnly) {
    console.log(`Refitted the quality thresholds of ${configPath} on ${summary.quality.photos} photos; its out-of-distribution ` +
      'check, discriminator, calibration and prediction sets are kept as they were.');
  } else {
    console.log(`Fitted the out-of-distribution check of ${configPath} on ${samples.length} photos ` +
      `(${ood.fittedOn.heldOut} held out chose the threshold ${ood.threshold} to accept ${(100 * ood.acceptance).toFixed(2)}% of them).`);
    const d = out.gate.discriminator;
    if (d) {
      console.log(`Fitted the discriminator on ${d.fittedOn.photos} photos against ${d.fittedOn.negatives} negatives ` +
        `(${d.layers.length} layers, ${d.dims} features); it refuses ${(100 * d.fittedOn.heldOutNegativesRefused).toFixed(1)}% ` +
        `of ${d.fittedOn.heldOutNegatives} held-out negatives at the same acceptance.`);
    }
  }
  for (const f of summary.quality?.fits ?? []) {
    const when = f.onset === null ? 'the model stayed reliable at every strength tried' : `unreliable from ${f.onset}`;
    const threshold = !f.threshold ? 'no gate measure follows it (reported only)'
      : `${f.threshold} ${f.value}${f.limitedBy && f.limitedBy !== 'no onset' ? ` (the model's ${f.model}, limited by ${f.limitedBy})` : ''}`;
    const likely = f.likely ? `; ${f.likely.threshold} ${f.likely.value} (a photo refused as not skin past it is told ${f.code} first)` : '';
    console.log(`Quality, ${f.degradation}: ${when}; ${threshold}${likely}.`);
  }
  if (qualityOnly) return;
  if (out.calibration) console.log(`Calibrated: temperature ${out.calibration.temperature} from ${out.calibration.fittedOn.photos} labelled photos.`);
  const sets = out.predictionSets;
  if (sets) {
    console.log(`Prediction sets: a class joins a photo's set from probability ${sets.minProbability} (fitted on ` +
      `${sets.fittedOn.photos} other labelled photos for ${100 * sets.coverage}% coverage).`);
  } else if (known.length) {
    console.log(`No prediction sets: they need ${logitScores ? 40 : 20} labelled photos (${known.length} given).`);
  }
  else if (!logitScores) console.log('Not calibrated: the model\'s scores are not logits.');
  else console.log('Not calibrated: put photos in subfolders named by label id to fit the temperature.');
}

async function packCommand(argv) {
  const { PACK_OPTIONS, pack } = await import('./pack.mjs');
  const { values, positionals } = parseCommand(argv, { ...PACK_OPTIONS, json: { type: 'boolean' } });
  if (positionals.length || !values.onnx || !values.labels || !values.photos || !values.out) throw new UsageError(USAGE);
  const summary = await pack(values);
  if (values.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  const e = summary.evaluation;
  const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
  console.log(`Packed ${summary.out}: ${summary.model} (${summary.served}), target layer ${summary.layer}, ${summary.classes} classes.`);
  console.log(`Held out ${e.photos} photos: the gate accepted ${pct(e.acceptance)}; accuracy ${pct(e.accuracyAccepted)} on those; ` +
    `prediction sets held the true class for ${pct(e.coverage)}.`);
  if (summary.skipped.length) console.log(`Skipped ${summary.skipped.length} photo(s) that could not be read (listed in REPORT.md).`);
  console.log(`Next: write the card's prose in ${join(summary.out, 'model.json')} (both languages), read REPORT.md, then ` +
    `node scripts/build-dist.mjs --model ${summary.out}`);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  try {
    if (command === 'prepare') await prepare(rest);
    else if (command === 'explain') await explain(rest);
    else if (command === 'fit-gate') await fitGate(rest);
    else if (command === 'pack') await packCommand(rest);
    else throw new UsageError(USAGE);
  } catch (error) {
    if (error instanceof HelpRequested || command === '--help' || command === '-h' || command === 'help') {
      console.log(USAGE);
      return;
    }
    if (error instanceof UsageError || error?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
        error?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof DermcamError ? `dermcam: ${error.message}` : `dermcam: unexpected error: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}

if (isMainThread) await main();
else if (workerData?.role === 'explain') await explainWorker();
