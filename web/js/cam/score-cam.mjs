// @ts-check
// Score-CAM (target 'channel_scores'), built as pytorch-grad-cam's ScoreCAM builds it: each channel of the
// target layer upsampled to the model input size with torch's UpsamplingBilinear2d (bilinear, align_corners=True),
// scaled to (m - min) / (max - min + 1e-8), multiplies the input (every colour channel). The model's class score
// for each masked input is the channel's Score-CAM score, the core's channel value (wasm/cam/score_cam.cpp).
// One model run per channel, in batches that fit a memory budget (per-channel.mjs). pytorch-grad-cam's Score-CAM
// has no aug_smooth: it is not applied.
import { perChannelInputs } from './per-channel.mjs';

// align_corners=True taps along one axis: source index, its neighbour, and the neighbour's weight (float32 as torch).
function axisTaps(outSize, inSize) {
  const scale = outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const lambda = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const source = Math.fround(scale * o);
    i0[o] = Math.min(Math.floor(source), inSize - 1);
    i1[o] = i0[o] + (i0[o] < inSize - 1 ? 1 : 0);
    lambda[o] = Math.fround(source - i0[o]);
  }
  return { i0, i1, lambda };
}

/**
 * Channel k's mask at the input size.
 * @param {Float32Array} activations  one image's target layer
 * @param {{channels, height, width, layout: 'NCHW'|'NHWC'}} layer
 * @returns {Float32Array} outHeight x outWidth, row-major, in [0, 1]
 */
export function channelMask(activations, layer, k, outWidth, outHeight) {
  const { channels, height, width, layout } = layer;
  const at = layout === 'NHWC' ? (y, x) => activations[(y * width + x) * channels + k]
    : (y, x) => activations[(k * height + y) * width + x];
  const ty = axisTaps(outHeight, height);
  const tx = axisTaps(outWidth, width);
  const mask = new Float32Array(outWidth * outHeight);
  let min = Infinity;
  let max = -Infinity;
  for (let y = 0; y < outHeight; y++) {
    const [y0, y1, ly] = [ty.i0[y], ty.i1[y], ty.lambda[y]];
    for (let x = 0; x < outWidth; x++) {
      const [x0, x1, lx] = [tx.i0[x], tx.i1[x], tx.lambda[x]];
      const top = (1 - lx) * at(y0, x0) + lx * at(y0, x1);
      const bottom = (1 - lx) * at(y1, x0) + lx * at(y1, x1);
      const v = Math.fround((1 - ly) * top + ly * bottom);
      mask[y * outWidth + x] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const range = Math.fround(max - min + 1e-8);
  for (let i = 0; i < mask.length; i++) mask[i] = Math.fround(mask[i] - min) / range;
  return mask;
}

/**
 * The masked inputs of channels [start, start + count), one after the other (the model's batch).
 * @param {Float32Array} input  the photo's input tensor (batch 1)
 * @param {{width, height, layout: 'NCHW'|'NHWC'}} inputShape
 */
export function maskedBatch(input, inputShape, activations, layer, start, count) {
  const { width, height, layout } = inputShape;
  const pixels = width * height;
  const batch = new Float32Array(count * input.length);
  for (let b = 0; b < count; b++) {
    const mask = channelMask(activations, layer, start + b, width, height);
    const out = batch.subarray(b * input.length, (b + 1) * input.length);
    if (layout === 'NHWC') {
      for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = input[i * 3 + c] * mask[i];
    } else {
      for (let c = 0; c < 3; c++) for (let i = 0; i < pixels; i++) out[c * pixels + i] = input[c * pixels + i] * mask[i];
    }
  }
  return batch;
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const scoreCam = {
  target: 'channel_scores',
  inputs(context, analysis, classIndex, options) {
    const { model } = context;
    const { width, height, layout } = model.config.input;
    return perChannelInputs(context, analysis, 'channel-scores', classIndex, options, {
      perItemBytes: () => model.explainInputBytes(),
      async scores(layer, l, start, count) {
        const masked = maskedBatch(analysis.tensor.data, { width, height, layout }, layer.activations, layer.shape, start, count);
        return (await model.run(masked, count, [classIndex])).scores.data;
      },
    });
  },
};
