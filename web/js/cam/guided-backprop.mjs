// @ts-check
// Guided backpropagation. Springenberg et al., "Striving for Simplicity", ICLR workshop 2015, as pytorch-grad-cam's
// GuidedBackpropReLUModel computes it: the input gradient with every Relu passing back only positive gradients
// where its input was positive; drawn as saliency is (the largest magnitude over the colour channels).
import { channelMaxAbs, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

/** @type {import('./provider.mjs').ExplanationProvider} */
export const guidedBackprop = {
  target: 'guidedbackprop',
  method: pixelMethod('guidedbackprop', 'Guided backpropagation', 'Springenberg et al., ICLR 2015',
    'The input gradient with only positive signals passed back through each ReLU: fine edges and texture.'),
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    return pixelMapInputs(model, analysis, 'guidedbackprop', classIndex, async () => channelMaxAbs(
      await inputGradients(context, analysis.tensor.data, 1, classIndex, { ...options, guided: true }), inputGeometry(model)));
  },
};
