// @ts-check
// The gradient methods' provider (target 'class'): the explained class's own gradients, from the photo's first
// run when the class was among its top K, else from one more run for it (and up to K-1 more classes asked
// together, kept in the analysis). aug_smooth runs the model on six copies (pytorch-grad-cam's: mirrored or not,
// x brightness 0.9, 1.0, 1.1), kept per class.
import { layerGeometry } from '../layout.mjs';
import { now } from '../model-session.mjs';

const AUG_BRIGHTNESS = [0.9, 1.0, 1.1];

/** Mirror image of an NCHW or NHWC tensor (batch 1) along its width. */
export function flipTensor(data, shape, layout) {
  const out = new Float32Array(data.length);
  const { channels, height, width, at } = layerGeometry(shape.slice(1), layout);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[at(c, y, width - 1 - x)] = data[at(c, y, x)];
    }
  }
  return out;
}

/**
 * The run holding class `c`'s gradients for the unaugmented photo, and its slot there: the first run, or a run
 * made for other classes (the model runs once for up to K missing classes, `also`, and they are kept).
 */
export async function gradientSource(model, analysis, c, also = []) {
  const byClass = analysis.cache('class-runs');
  const runs = () => [analysis.run, ...byClass.values()];
  for (const run of runs()) {
    const slot = run.classes.indexOf(c);
    if (slot >= 0) return { run, slot };
  }
  const missing = [c, ...also.filter((x) => x !== c && !runs().some((run) => run.classes.includes(x)))]
    .slice(0, model.metadata.classes.k);
  const run = await model.run(analysis.tensor.data, 1, missing);
  for (const x of missing) byClass.set(x, run);
  return { run, slot: run.classes.indexOf(c) };
}

async function augmentedRun(model, analysis, classIndex) {
  const { tensor } = analysis;
  const size = tensor.data.length;
  const batch = new Float32Array(size * 6);
  const flipped = flipTensor(tensor.data, tensor.shape, model.config.input.layout);
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
  const run = await model.run(batch, 6, [classIndex]);
  analysis.timings.augInference = now() - started;
  return { run, flags };
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const classGradients = {
  target: 'class',
  async inputs({ model }, analysis, classIndex, { augSmooth = false }) {
    if (augSmooth) {
      const augmented = analysis.cache('augmented');
      if (!augmented.has(classIndex)) augmented.set(classIndex, await augmentedRun(model, analysis, classIndex));
      return { ...augmented.get(classIndex), slot: 0 };
    }
    const { run, slot } = await gradientSource(model, analysis, classIndex);
    return { run, flags: [false], slot };
  },
};
