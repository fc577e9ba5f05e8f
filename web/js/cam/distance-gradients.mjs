// @ts-check
// "Why was my photo refused?": the gradient methods' inputs with the gate's out-of-distribution distance in the
// place of a class score. The distance reads the channel means of one target layer (gate.mjs), so its gradient is
// one value per channel, the same at every position (distanceGradient / positions): Grad-CAM with it maps where the
// photo's activations pushed the distance up, i.e. what looked least like the photos the model was fitted on. No
// model run: the photo's first run holds the activations. Not in providers.mjs: it explains the gate, not a class,
// and only Explainer.whyRefused asks for it.
import { DermcamError } from '../errors.mjs';
import { distanceGradient } from '../gate.mjs';
import { layerGeometry } from '../layout.mjs';
import { firstItem } from './provider.mjs';

/** @type {import('./provider.mjs').ExplanationProvider} */
export const distanceGradients = {
  target: 'distance',
  async inputs({ model }, analysis) {
    const ood = model.config.gate.outOfDistribution;
    if (!ood || model.featureLayer < 0) {
      throw new DermcamError('no_gate_map', 'This model has no out-of-distribution check, so there is nothing to map.');
    }
    const gradient = distanceGradient(ood, model.features(analysis.run));
    const layers = model.metadata.layers.map((layer, l) => {
      const activations = firstItem(analysis.run.layers[l].activations);
      const { channels, positions } = layerGeometry(layer.shape, layer.layout);
      const data = new Float32Array(channels);
      if (l === model.featureLayer) for (let c = 0; c < channels; c++) data[c] = gradient[c] / positions;
      return { activations, gradients: { data, dims: [1, 1, channels] } };
    });
    return { run: { layers }, flags: [false], slot: 0 };
  },
};
