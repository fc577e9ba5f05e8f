// @ts-check
// Occlusion. Zeiler and Fergus, "Visualizing and Understanding Convolutional Networks", ECCV 2014, as Captum's
// Occlusion computes it: a square window slides over the input with a stride; under it every channel is set to the
// baseline 0 (the normalisation's mean colour); a pixel's value is the class probability's drop,
// P(class | input) - P(class | occluded), averaged over the windows that covered it. The last window of a row or
// column is moved to the edge, so every pixel is covered. Signed: a negative value is a region whose hiding
// raised the probability.
import { inputMapInputs } from './input-perturbation.mjs';

/** The defaults: a window of an eighth of the input's shorter side, half a window's stride. */
export function occlusionDefaults(width, height) {
  const window = Math.max(1, Math.round(Math.min(width, height) / 8));
  return { window, stride: Math.max(1, Math.round(window / 2)) };
}

/** The windows' starts along one axis of `size` pixels: every `stride`, the last one flush with the edge. */
export function windowStarts(size, window, stride) {
  const last = Math.max(0, size - window);
  const starts = [];
  for (let s = 0; s < last; s += stride) starts.push(s);
  starts.push(last);
  return starts;
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const occlusion = {
  target: 'occlusion',
  method: { id: 'occlusion', label: 'Occlusion', reference: 'Zeiler and Fergus, ECCV 2014', needsGradients: false,
    target: 'occlusion', inputSpace: true, description: 'The class probability\'s drop when a sliding square of the photo is hidden; ' +
      'needs no gradients, so it explains any classifier.' },
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const { width, height, layout } = model.config.input;
    const { window, stride } = { ...occlusionDefaults(width, height), ...options.occlusion };
    const pixels = width * height;
    const xs = windowStarts(width, window, stride);
    const ys = windowStarts(height, window, stride);
    const [w, h] = [Math.min(window, width), Math.min(window, height)];
    const clean = model.classProbability(analysis.run, 0, classIndex);
    return inputMapInputs(context, analysis, `occlusion:${window}:${stride}`, classIndex, options, () => {
      const sum = new Float64Array(pixels);
      const covered = new Uint32Array(pixels);
      return {
        count: xs.length * ys.length,
        perturb(index, input, out) {
          const [x0, y0] = [xs[index % xs.length], ys[Math.floor(index / xs.length)]];
          out.set(input);
          const channels = input.length / pixels;
          for (let y = y0; y < y0 + h; y++) {
            for (let x = x0; x < x0 + w; x++) {
              const i = y * width + x;
              for (let c = 0; c < channels; c++) out[layout === 'NHWC' ? i * channels + c : c * pixels + i] = 0;
            }
          }
          return [x0, y0];
        },
        fold(index, probability, [x0, y0]) {
          for (let y = y0; y < y0 + h; y++) {
            for (let x = x0; x < x0 + w; x++) {
              sum[y * width + x] += clean - probability;
              covered[y * width + x] += 1;
            }
          }
        },
        finish: () => Float32Array.from(sum, (v, i) => v / covered[i]),
      };
    });
  },
};
