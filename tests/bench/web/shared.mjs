// Measurements shared by the browser page (bench-page.mjs) and Node (scripts/bench.mjs): same code, same
// engine (ONNX Runtime Web's wasm backend and our wasm core), so the numbers compare. The caller passes
// `lib` = {explainMetadata, prepareExplainModel, stripExplainGraph, decodeModel, Explainer} from web/js,
// since the page and Node reach those modules by different paths.

const now = () => performance.now();
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const WARMUP = 3;

function softmax(values) {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

// A model that runs in milliseconds is measured more often (until this much time has been measured, at most
// 20 x runs): a median of 10 such runs moves by tens of percent with the machine's noise.
const MIN_MEASURED_MS = 2000;

/**
 * Plain classifier vs the whole explanation as the app computes it (explain graph + CAM + the heat layers the
 * page composites, on the photo's 1024 px display copy), interleaved (which goes first alternates, so neither
 * always runs on a warm cache), same tensor, medians over at least `runs`.
 */
export async function measureExplainVsPlain({ lib, ort, core, bytes, config, photo, runs, sessionOptions }) {
  const { explainMetadata, prepareExplainModel, stripExplainGraph, decodeModel, Explainer } = lib;
  const prepared = explainMetadata(decodeModel(bytes)) ? bytes
    : (await prepareExplainModel(ort, bytes, { classes: 3 })).bytes;
  const explainer = new Explainer({ ort, core, sessionOptions });
  await explainer.load({ onnxBytes: prepared, config });
  await explainer.analyse({ bytes: photo }, {}, { force: true });  // the full pipeline whatever the gate says; sets up the display copy
  const tensor = explainer.current.tensor;
  const plain = await ort.InferenceSession.create(stripExplainGraph(prepared), sessionOptions);
  const inputName = explainer.metadata.input.name;
  const plainTimes = [];
  const explainTimes = [];
  const explainInference = [];
  const camTimes = [];
  const overlayTimes = [];
  const runPlain = async () => {
    const t = now();
    const feeds = { [inputName]: new ort.Tensor('float32', tensor.data, [1, ...explainer.metadata.input.shape]) };
    const result = await plain.run(feeds);
    softmax(Array.from(result[plain.outputNames[0]].data));
    return now() - t;
  };
  let shown = null;
  const runExplain = async () => {
    const t = now();
    let explainMs;
    explainer.current.run = await explainer.run(tensor.data, 1);
    const inferenceMs = now() - t;
    const rendered = await explainer.render({ method: 'gradcam', output: 'layers' });
    explainMs = now() - t;
    // As the page does: the index before the shown one goes back to be written over.
    explainer.recycle(shown?.layers.index);
    shown = rendered;
    return { inferenceMs, rendered, explainMs };
  };
  let measured = 0;
  for (let i = 0; i < runs + WARMUP || (measured < MIN_MEASURED_MS && i < 20 * runs + WARMUP); i++) {
    let plainMs;
    let explained;
    if (i % 2) {
      explained = await runExplain();
      plainMs = await runPlain();
    } else {
      plainMs = await runPlain();
      explained = await runExplain();
    }
    const { inferenceMs, rendered, explainMs } = explained;
    if (i >= WARMUP) {
      measured += plainMs + explainMs;
      plainTimes.push(plainMs);
      explainTimes.push(explainMs);
      explainInference.push(inferenceMs);
      camTimes.push(rendered.timings.cam);
      overlayTimes.push(rendered.timings.overlay);
    }
  }
  const display = `${explainer.current.view.display.width} x ${explainer.current.view.display.height}`;
  const addedOutputBytes = explainer.addedOutputBytes();
  await plain.release();
  await explainer.release();
  const plainMs = median(plainTimes);
  const explainMs = median(explainTimes);
  return { plainMs, explainMs, explainInferenceMs: median(explainInference), camMs: median(camTimes),
    overlayMs: median(overlayTimes), ratio: explainMs / plainMs, inferenceRatio: median(explainInference) / plainMs,
    addedOutputBytes, display, runs: plainTimes.length };
}

/**
 * What writing 1 MB costs into a new array (its memory touched for the first time: one page fault per 4 KB
 * page) and into one already written: every array a session or the core hands back pays the first.
 */
export function freshMemoryCost(runs = 40) {
  const time = (fn) => {
    const times = [];
    for (let i = 0; i < runs + WARMUP; i++) {
      const t = now();
      fn();
      if (i >= WARMUP) times.push(now() - t);
    }
    return median(times);
  };
  const reused = new Float32Array(1 << 18);
  return { freshMs: time(() => new Float32Array(1 << 18).fill(1)), reusedMs: time(() => reused.fill(1)) };
}

/** decode, preprocess, inference, CAM, overlay medians for one photo through the app's pipeline. */
export async function measureStages({ lib, ort, core, bytes, config, photo, runs, sessionOptions }) {
  const { Explainer } = lib;
  const explainer = new Explainer({ ort, core, sessionOptions });
  await explainer.load({ onnxBytes: bytes, config });
  const stages = { decode: [], decodeAndPreprocess: [], inference: [], gate: [], cam: [], overlay: [] };
  let photoInfo;
  for (let i = 0; i < runs + WARMUP; i++) {
    const t = now();
    photoInfo = await core.decodeImage(photo);
    const decode = now() - t;
    const result = await explainer.analyse({ bytes: photo }, { output: 'layers' }, { force: true });
    if (i < WARMUP) continue;
    stages.decode.push(decode);
    for (const key of ['decodeAndPreprocess', 'inference', 'gate', 'cam', 'overlay']) stages[key].push(result.timings[key]);
  }
  await explainer.release();
  const m = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)]));
  return { width: photoInfo.width, height: photoInfo.height, bytes: photo.length, decodeMs: m.decode,
    preprocessMs: Math.max(0, m.decodeAndPreprocess - m.decode), inferenceMs: m.inference, gateMs: m.gate, camMs: m.cam,
    overlayMs: m.overlay, totalMs: m.decodeAndPreprocess + m.inference + m.gate + m.cam + m.overlay };
}

/**
 * Bytes crossing the JS/wasm boundary of our core (core.boundaryTraffic()) as the page uses it: a photo's
 * analysis (photo bytes in, model tensor and display copy out, the first map's display layers), a method switch,
 * a class switch, and the PNG export of the map shown. ONNX Runtime's own copies are not counted.
 */
export async function measureBoundaryTraffic({ lib, ort, core, bytes, config, photo, sessionOptions }) {
  const explainer = new lib.Explainer({ ort, core, sessionOptions });
  await explainer.load({ onnxBytes: bytes, config });
  const rows = [];
  const step = async (name, fn) => {
    core.boundaryTraffic({ reset: true });
    const result = await fn();
    rows.push({ name, ...core.boundaryTraffic() });
    return result;
  };
  let shown = await step('analysis', () => explainer.analyse({ bytes: photo }, { output: 'layers' }, { force: true }));
  const second = shown.predictions[1].index;
  for (const [name, options] of [['method switch', { method: 'gradcam++' }], ['class switch', { method: 'gradcam++', classIndex: second }]]) {
    const rendered = await step(name, () => explainer.render({ ...options, output: 'layers' }));
    explainer.recycle(shown.layers.index);
    shown = rendered;
  }
  await step('PNG export', () => explainer.overlayPng({ colormap: 'jet', opacity: 0.5 }));
  await explainer.release();
  return rows;
}
