// @ts-check
// Ablation-CAM (target 'ablation_drops'): the ablated copies of a target layer, as pytorch-grad-cam's
// AblationLayer makes them: copy j of a batch loses channel k. When the layer's minimum is 0 the channel is zeroed;
// otherwise it is set to the minimum - 1e7, and since pytorch-grad-cam takes the minimum of the batch as it fills
// it, each later copy of its batch of 32 goes 1e7 lower (float32). The model's head runs on each copy
// (web/js/onnx/head.mjs); wasm/cam/ablation_cam.cpp weights the channels by the class score's relative drop
// (s - s_k) / s, the core's channel value. Batched within the memory budget (per-channel.mjs).
import { perChannelInputs } from './per-channel.mjs';

/** pytorch-grad-cam's AblationCAM batch size: a channel's ablation value depends on its place in such a batch. */
export const ABLATION_BATCH = 32;

/** The value channel k is set to, for a layer whose smallest activation is `min`. */
export function ablationValue(min, k) {
  if (min === 0) return 0;
  let value = Math.fround(min);
  for (let j = 0; j <= k % ABLATION_BATCH; j++) value = Math.fround(value - 1e7);
  return value;
}

/**
 * Copies of one image's layer for channels [start, start + count), each with its channel ablated.
 * @param {Float32Array} activations
 * @param {{channels, height, width, layout: 'NCHW'|'NHWC'}} layer
 * @param {number} min  the layer's smallest activation
 */
export function ablatedBatch(activations, layer, start, count, min) {
  const { channels, height, width, layout } = layer;
  const z = height * width;
  const batch = new Float32Array(count * activations.length);
  for (let b = 0; b < count; b++) {
    const k = start + b;
    const copy = batch.subarray(b * activations.length, (b + 1) * activations.length);
    copy.set(activations);
    const value = ablationValue(min, k);
    for (let i = 0; i < z; i++) copy[layout === 'NHWC' ? i * channels + k : k * z + i] = value;
  }
  return batch;
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const ablationCam = {
  target: 'ablation_drops',
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const original = analysis.run.scores.data[classIndex];
    const minimum = new Map();  // per layer: AblationLayer's choice between 0 and min - 1e7 depends on it
    return perChannelInputs(context, analysis, 'ablation-drops', classIndex, options, {
      perItemBytes: (layers) => 8 * Math.max(...layers.map((l) => l.activations.length)),
      scores(layer, l, start, count) {
        if (!minimum.has(l)) minimum.set(l, layer.activations.reduce((m, v) => Math.min(m, v), Infinity));
        return model.runHead(l, ablatedBatch(layer.activations, layer.shape, start, count, minimum.get(l)), count);
      },
      transform: (score) => Math.fround(Math.fround(original - score) / original),
    });
  },
};
