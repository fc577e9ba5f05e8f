// @ts-check
// Integrated gradients. Sundararajan, Taly and Yan, "Axiomatic Attribution for Deep Networks", ICML 2017: along the
// straight path from a baseline x' to the input x, the mean gradient (a Riemann sum at the midpoints of `steps`
// equal intervals) times (x - x'), summed over the colour channels; signed. Its sum over the pixels approaches
// score(x) - score(x') as the steps grow (completeness). Baselines: 'zero' (the tensor 0: the normalisation's mean
// colour), 'black' (pixel value 0), 'blur' (the photo blurred, as the faithfulness metrics blur it).
import { DermcamError } from '../errors.mjs';
import { blurInput } from '../faithfulness.mjs';
import { channelDot, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

export const IG_DEFAULTS = Object.freeze({ steps: 32, baseline: 'zero' });
export const IG_BASELINES = Object.freeze(['zero', 'black', 'blur']);

/**
 * The baseline tensor.
 * @param {{width: number, height: number, layout: 'NCHW'|'NHWC', mean: number[], std: number[]}} config  model.json's input
 * @param {{channels: number, at: (c: number, y: number, x: number) => number}} geometry  the input's (inputGeometry)
 */
export function igBaseline(kind, input, config, geometry) {
  const { width, height, layout, mean, std } = config;
  if (kind === 'zero') return new Float32Array(input.length);
  if (kind === 'blur') return blurInput(input, { width, height, layout });
  if (kind !== 'black') throw new DermcamError('bad_option', `The integrated gradients baseline must be one of ${IG_BASELINES.join(', ')}.`);
  // Pixel value 0 in every channel, normalised as the photo is (whatever the scale, 0 stays 0 before the mean).
  const black = new Float32Array(input.length);
  for (let c = 0; c < geometry.channels; c++) {
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) black[geometry.at(c, y, x)] = -mean[c] / std[c];
  }
  return black;
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const integratedGradients = {
  target: 'integratedgradients',
  method: pixelMethod('integratedgradients', 'Integrated gradients', 'Sundararajan et al., ICML 2017',
    'The gradient averaged along the path from a plain baseline image to the photo, times the difference.'),
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const { steps, baseline } = { ...IG_DEFAULTS, ...options.integratedGradients };
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= 1000)) throw new DermcamError('bad_option', 'The integrated gradients steps must be 1 to 1000.');
    const input = analysis.tensor.data;
    return pixelMapInputs(model, analysis, `integratedgradients:${steps}:${baseline}`, classIndex, async () => {
      const geometry = inputGeometry(model);
      const start = igBaseline(baseline, input, model.config.input, geometry);
      const path = new Float32Array(steps * input.length);
      for (let k = 0; k < steps; k++) {
        const alpha = (k + 0.5) / steps;
        for (let i = 0; i < input.length; i++) path[k * input.length + i] = start[i] + alpha * (input[i] - start[i]);
      }
      const gradients = await inputGradients(context, path, steps, classIndex, options);
      const mean = new Float32Array(input.length);
      for (let k = 0; k < steps; k++) for (let i = 0; i < input.length; i++) mean[i] += gradients[k * input.length + i] / steps;
      return channelDot(mean, input.map((v, i) => v - start[i]), geometry);
    });
  },
};
