// @ts-check
// Guided Grad-CAM. Selvaraju et al., "Grad-CAM", ICCV 2017, as pytorch-grad-cam builds it: guided backpropagation's
// input gradient multiplied, channel by channel, by the Grad-CAM map at the input's size; drawn as saliency is
// (Grad-CAM's map is >= 0, so the largest magnitude over the channels is the map times guided backpropagation's).
import { DermcamError } from '../errors.mjs';
import { channelMaxAbs, inputGeometry, inputGradients, pixelMapInputs, pixelMethod } from './pixel-gradients.mjs';

/** @type {import('./provider.mjs').ExplanationProvider} */
export const guidedGradCam = {
  target: 'guidedgradcam',
  method: pixelMethod('guidedgradcam', 'Guided Grad-CAM', 'Selvaraju et al., ICCV 2017',
    'Guided backpropagation\'s fine detail, kept only where Grad-CAM says the class is.'),
  inputs(context, analysis, classIndex, options) {
    const { model, classMap } = context;
    if (!classMap) throw new DermcamError('bad_method', 'Guided Grad-CAM needs the pipeline\'s Grad-CAM map.');
    return pixelMapInputs(model, analysis, 'guidedgradcam', classIndex, async () => {
      const cam = await classMap(analysis, classIndex, 'gradcam');
      const guided = channelMaxAbs(await inputGradients(context, analysis.tensor.data, 1, classIndex, { ...options, guided: true }),
        inputGeometry(model));
      return guided.map((g, i) => g * cam[i]);
    });
  },
};
