// @ts-check
// FinerCAM's target and the coefficients of its gradient, as pytorch-grad-cam's FinerCAM computes them with its
// defaults (FinerWeightedTarget, alpha = 1, comparison categories 1, 2, 3), and its provider (target 'finer').
//
// With s the differentiated scores and p = softmax(s), for the explained class n and the comparison classes i
// (ranked 1, 2, 3 by |s_c - s_n|; rank 0 is n itself):
//   T = N / W,  N = sum_i p_i (s_n - alpha s_i),  W = sum_i p_i + 1e-9.
// pytorch-grad-cam does not detach p, so T's gradient also flows through the softmax:
//   dT/dA = sum_c (dT/ds_c) ds_c/dA,  dT/ds_c = (dN/ds_c W - N dW/ds_c) / W^2,
//   dN/ds_c = sum_i p_i (delta_ic - p_c)(s_n - alpha s_i) + sum_i p_i (delta_cn - alpha delta_ci),
//   dW/ds_c = sum_i p_i (delta_ic - p_c).
// For a class c outside {n} and the comparisons this is -p_c N 1e-9 / W^2, far below float32 resolution against
// the others' coefficients: only the gradients of n and the comparisons are needed. Their largest magnitude is
// returned as `neglected`, so a caller can check the claim.
import { classGradients } from '../onnx/prepared.mjs';
import { gradientSource } from './class-gradients.mjs';
import { firstItem } from './provider.mjs';

export const FINER_ALPHA = 1;
export const FINER_COMPARISONS = [1, 2, 3];
const EPSILON = 1e-9;

/**
 * @param {ArrayLike<number>} scores  the model's differentiated scores for one image
 * @param {number} explained  the class n
 * @returns {{classes: number[], coefficients: number[], comparisons: number[], neglected: number}}
 *   dT/dA = sum_j coefficients[j] * d s_{classes[j]} / dA (classes[0] is n)
 */
export function finerTarget(scores, explained, { alpha = FINER_ALPHA, ranks = FINER_COMPARISONS } = {}) {
  const s = Array.from(scores, Number);
  const count = s.length;
  if (!Number.isInteger(explained) || explained < 0 || explained >= count) throw new RangeError(`no class ${explained}`);
  // Nearest scores first; a tie keeps n first, then the lower index (numpy's order is arbitrary there).
  const order = [...s.keys()].sort((a, b) => Math.abs(s[a] - s[explained]) - Math.abs(s[b] - s[explained]) ||
    (a === explained ? -1 : b === explained ? 1 : a - b));
  const comparisons = ranks.filter((r) => r < count).map((r) => order[r]);
  const top = Math.max(...s);
  const exp = s.map((v) => Math.exp(v - top));
  const total = exp.reduce((a, b) => a + b, 0);
  const p = exp.map((v) => v / total);
  const n = explained;
  const W = comparisons.reduce((sum, i) => sum + p[i], 0) + EPSILON;
  const N = comparisons.reduce((sum, i) => sum + p[i] * (s[n] - alpha * s[i]), 0);
  const coefficient = (c) => {
    let dN = 0;
    let dW = 0;
    for (const i of comparisons) {
      const dp = p[i] * ((i === c ? 1 : 0) - p[c]);
      dN += dp * (s[n] - alpha * s[i]) + p[i] * ((c === n ? 1 : 0) - alpha * (c === i ? 1 : 0));
      dW += dp;
    }
    return (dN * W - N * dW) / (W * W);
  };
  const classes = [n, ...comparisons.filter((c) => c !== n)];
  let neglected = 0;
  for (let c = 0; c < count; c++) if (!classes.includes(c)) neglected = Math.max(neglected, Math.abs(coefficient(c)));
  return { classes, coefficients: classes.map(coefficient), comparisons, neglected };
}

/**
 * FinerCAM's inputs: the photo's activations, and as the one explained "class" the gradient of FinerCAM's target,
 * combined from the gradients of the class and its comparison classes (at most one more model run when K is
 * smaller than four). pytorch-grad-cam's FinerCAM has no aug_smooth: it is not applied.
 * @type {import('./provider.mjs').ExplanationProvider}
 */
export const finerCam = {
  target: 'finer',
  async inputs({ model }, analysis, classIndex) {
    const target = finerTarget(analysis.run.scores.data.subarray(0, model.metadata.score.classes), classIndex);
    const sources = [];
    for (const c of target.classes) sources.push(await gradientSource(model, analysis, c, target.classes));
    const layers = analysis.run.layers.map(({ activations, gradients: { dims: gradientDims } }, l) => {
      let sum;
      sources.forEach(({ run, slot }, j) => {
        const { gradients } = classGradients(run.layers[l].gradients, 0, slot, 1);
        sum ??= new Float64Array(gradients.length);
        const coefficient = target.coefficients[j];
        for (let i = 0; i < gradients.length; i++) sum[i] += coefficient * gradients[i];
      });
      return { activations: firstItem(activations), gradients: { data: Float32Array.from(sum), dims: [1, 1, ...gradientDims.slice(2)] } };
    });
    return { run: { layers }, flags: [false], slot: 0, comparisons: target.comparisons };
  },
};
