// @ts-check
// Deep Feature Factorization's concepts for a photo (Collins et al. 2018, as pytorch-grad-cam's
// DeepFeatureFactorization): the first target layer's activations split into k non-negative parts by the core
// (wasm/feature_factorization.h), each with its map at the model input's size and the classes it supports. The
// support is the model's head (after the target layer, as Ablation-CAM cuts it) run on the concept's embedding at
// every position, as pytorch-grad-cam runs the classifier on the embedding; a head that cannot be run alone (a
// skip connection past the layer, a token layer) leaves the concepts without classes, and says why.
import { DermcamError } from '../errors.mjs';
import { softmax } from '../calibration.mjs';
import { layerGeometry } from '../layout.mjs';
import { firstItem } from './provider.mjs';

/** The default number of concepts and the most the core factorises (kMaxConcepts). */
export const CONCEPTS_DEFAULT = 4;
export const CONCEPTS_MAX = 16;

/**
 * @param {{core: any, model: import('../model-session.mjs').ModelSession}} context
 * @param {import('../photo-analysis.mjs').PhotoAnalysis} analysis
 * @param {{k?: number, display?: boolean, topClasses?: number}} [options]  display: each map's heat index per display
 *   pixel too (core.heatLayers on the photo's display copy), for a page that draws them
 */
export async function featureConcepts({ core, model }, analysis, { k = CONCEPTS_DEFAULT, display = false, topClasses = 3 } = {}) {
  if (!(Number.isInteger(k) && k >= 1 && k <= CONCEPTS_MAX)) {
    throw new DermcamError('bad_option', `The number of concepts must be 1 to ${CONCEPTS_MAX}.`);
  }
  const layer = model.metadata.layers[0];
  const { width, height } = model.config.input;
  const { data: activations } = firstItem(analysis.run.layers[0].activations);
  const factors = await core.factorizeFeatures({ layer: { activations, shape: [1, ...layer.shape], layout: layer.layout },
    concepts: k, outputWidth: width, outputHeight: height });
  const { channels, positions, at, width: layerWidth } = layerGeometry(layer.shape, layer.layout);
  // Each embedding at every position of the layer: what the head reads for "only this concept".
  const fields = new Float32Array(factors.concepts * channels * positions);
  for (let j = 0; j < factors.concepts; j++) {
    for (let c = 0; c < channels; c++) {
      const value = factors.embeddings[j * channels + c];
      for (let i = 0; i < positions; i++) fields[j * channels * positions + at(c, Math.floor(i / layerWidth), i % layerWidth)] = value;
    }
  }
  let scores = null;
  let noClasses = null;
  try {
    scores = await model.runHead(0, fields, factors.concepts);
  } catch (error) {
    if (error?.code !== 'head_not_separable') throw error;
    noClasses = { code: error.code, message: error.message };
  }
  const classes = model.metadata.score.classes;
  const { labels } = model.config;
  const concepts = Array.from({ length: factors.concepts }, (_, j) => {
    const map = factors.maps.slice(j * width * height, (j + 1) * width * height);
    const embedding = factors.embeddings.slice(j * channels, (j + 1) * channels);
    if (!scores) return { map, embedding, classes: null };
    const row = Array.from(scores.subarray(j * classes, (j + 1) * classes));
    const p = model.metadata.score.kind === 'logit' ? softmax(row) : row;
    const ranked = p.map((probability, index) => ({ index, label: labels[index], probability }))
      .sort((a, b) => b.probability - a.probability).slice(0, topClasses);
    return { map, embedding, classes: ranked };
  });
  let layers = null;
  if (display) {
    const { display: shown, content, mapping } = analysis.view;
    layers = [];
    for (const { map } of concepts) {
      layers.push((await core.heatLayers({ displayWidth: shown.width, displayHeight: shown.height, map, mapWidth: width,
        mapHeight: height, tensorContent: content, tensorToDisplay: mapping })).index);
    }
  }
  return { width, height, concepts, relativeError: factors.relativeError, sweeps: factors.sweeps, layer: layer.name,
    ...(noClasses ? { noClasses } : {}), ...(layers ? { layers } : {}) };
}
