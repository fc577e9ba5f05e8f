// @ts-check
// Gradient x input. Shrikumar et al., "Not Just a Black Box", 2016 (Captum's InputXGradient): each pixel's gradient
// times its value, summed over the colour channels; signed (positive where the pixel raised the score).
import { channelDot, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

/** @type {import('./provider.mjs').ExplanationProvider} */
export const gradientXInput = {
  target: 'gradxinput',
  method: pixelMethod('gradxinput', 'Gradient x input', 'Shrikumar et al., 2016',
    'Each pixel\'s gradient times its value: what the pixel adds to the score, to first order.'),
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const input = analysis.tensor.data;
    return pixelMapInputs(model, analysis, 'gradxinput', classIndex, async () =>
      channelDot(await inputGradients(context, input, 1, classIndex, options), input, inputGeometry(model)));
  },
};
