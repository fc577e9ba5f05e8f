// @ts-check
// Saliency. Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional Networks", ICLR workshop 2014: the
// magnitude of the class score's gradient with respect to each input pixel (the largest over the colour channels).
import { channelMaxAbs, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

/** @type {import('./provider.mjs').ExplanationProvider} */
export const saliency = {
  target: 'saliency',
  method: pixelMethod('saliency', 'Saliency (input gradient)', 'Simonyan et al., ICLR 2014',
    'How much the class score changes with each pixel: the gradient with respect to the input.'),
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    return pixelMapInputs(model, analysis, 'saliency', classIndex, async () =>
      channelMaxAbs(await inputGradients(context, analysis.tensor.data, 1, classIndex, options), inputGeometry(model)));
  },
};
