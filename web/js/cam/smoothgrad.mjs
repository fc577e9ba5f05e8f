// @ts-check
// SmoothGrad. Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017: the input gradient averaged over
// `samples` copies of the input with Gaussian noise of `noise` times the input's value range added (seeded: the
// same photo gives the same map), drawn as saliency is (the largest magnitude over the colour channels).
import { DermcamError } from '../errors.mjs';
import { seededRandom } from '../faithfulness.mjs';
import { channelMaxAbs, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

/** The paper's noise level (15% of the range) and a sample count past which its maps change little. */
export const SMOOTHGRAD_DEFAULTS = Object.freeze({ samples: 25, noise: 0.15, seed: 20170612 });

/** @type {import('./provider.mjs').ExplanationProvider} */
export const smoothGrad = {
  target: 'smoothgrad',
  method: pixelMethod('smoothgrad', 'SmoothGrad', 'Smilkov et al., 2017',
    'The input gradient averaged over noisy copies of the photo: a less speckled saliency map.'),
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const { samples, noise, seed } = { ...SMOOTHGRAD_DEFAULTS, ...options.smoothGrad };
    if (!(Number.isInteger(samples) && samples >= 1 && samples <= 1000) || !(noise >= 0 && noise <= 1)) {
      throw new DermcamError('bad_option', 'SmoothGrad takes 1 to 1000 samples and a noise level from 0 to 1.');
    }
    const input = analysis.tensor.data;
    return pixelMapInputs(model, analysis, `smoothgrad:${samples}:${noise}:${seed}`, classIndex, async () => {
      let [min, max] = [Infinity, -Infinity];
      for (const v of input) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const sigma = noise * (max - min);
      const random = seededRandom(seed);
      const copies = new Float32Array(samples * input.length);
      for (let i = 0; i < copies.length; i++) copies[i] = input[i % input.length] + sigma * random.normal();
      const gradients = await inputGradients(context, copies, samples, classIndex, options);
      const mean = new Float32Array(input.length);
      for (let k = 0; k < samples; k++) for (let i = 0; i < input.length; i++) mean[i] += gradients[k * input.length + i] / samples;
      return channelMaxAbs(mean, inputGeometry(model));
    });
  },
};
