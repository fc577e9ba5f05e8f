// @ts-check
// RISE. Petsiuk, Das and Saenko, "RISE: Randomized Input Sampling for Explanation of Black-box Models", BMVC 2018:
// N random masks, each a grid of s x s cells kept with probability p, bilinearly upsampled to (s + 1) cells of
// ceil(size / s) pixels and shifted by a random offset below one cell (soft edges, no grid artefacts); the
// saliency of a pixel is the mean of the class probability over the masked copies, weighted by the pixel's mask:
//   S(x) = 1 / (N p) sum_i P(class | input * M_i) M_i(x).
// The masks multiply the normalised input tensor, so a hidden pixel becomes the normalisation's mean colour. The
// masks come from a seeded generator: the same photo, model and options give the same map.
import { seededRandom } from '../faithfulness.mjs';
import { inputMapInputs } from './input-perturbation.mjs';

/** The defaults: the paper's grid and probability; 1000 masks (the paper takes 4000 for ResNet-50: a mask is one model run). */
/** @type {Readonly<{masks: number, grid: number, keep: number, seed: number}>} */
export const RISE_DEFAULTS = Object.freeze({ masks: 1000, grid: 7, keep: 0.5, seed: 20181203 });

// Bilinear taps along one axis for an s-cell grid upsampled to `up` pixels (cell centres at (i + 0.5) up / s),
// read from pixel `offset` on: clamped at the grid's edges.
function axisTaps(size, grid, up, offset) {
  const i0 = new Int32Array(size);
  const i1 = new Int32Array(size);
  const lambda = new Float32Array(size);
  for (let o = 0; o < size; o++) {
    const source = Math.min(grid - 1, Math.max(0, ((o + offset + 0.5) * grid) / up - 0.5));
    i0[o] = Math.floor(source);
    i1[o] = Math.min(grid - 1, i0[o] + 1);
    lambda[o] = source - i0[o];
  }
  return { i0, i1, lambda };
}

/**
 * One RISE mask, width x height in [0, 1], from the generator (s x s cells, then the shift).
 * @param {{uniform: () => number}} random
 */
export function riseMask(random, width, height, { grid = RISE_DEFAULTS.grid, keep = RISE_DEFAULTS.keep } = {}) {
  const cells = new Float32Array(grid * grid);
  for (let i = 0; i < cells.length; i++) cells[i] = random.uniform() < keep ? 1 : 0;
  const [cellW, cellH] = [Math.ceil(width / grid), Math.ceil(height / grid)];
  const tx = axisTaps(width, grid, (grid + 1) * cellW, Math.floor(random.uniform() * cellW));
  const ty = axisTaps(height, grid, (grid + 1) * cellH, Math.floor(random.uniform() * cellH));
  // Along x for each grid row, then along y between two of those rows.
  const rows = new Float32Array(grid * width);
  for (let g = 0; g < grid; g++) {
    for (let x = 0; x < width; x++) {
      const l = tx.lambda[x];
      rows[g * width + x] = (1 - l) * cells[g * grid + tx.i0[x]] + l * cells[g * grid + tx.i1[x]];
    }
  }
  const mask = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const [a, b, l] = [ty.i0[y] * width, ty.i1[y] * width, ty.lambda[y]];
    for (let x = 0; x < width; x++) mask[y * width + x] = (1 - l) * rows[a + x] + l * rows[b + x];
  }
  return mask;
}

/** @type {import('./provider.mjs').ExplanationProvider} */
export const rise = {
  target: 'rise',
  method: { id: 'rise', label: 'RISE', reference: 'Petsiuk et al., BMVC 2018', needsGradients: false, target: 'rise', inputSpace: true,
    description: 'The class probability over many randomly masked copies of the photo, weighted by each pixel\'s mask; ' +
      'needs no gradients, so it explains any classifier.' },
  inputs(context, analysis, classIndex, options) {
    const { width, height, layout } = context.model.config.input;
    const { masks, grid, keep, seed } = { ...RISE_DEFAULTS, ...options.rise };
    const pixels = width * height;
    return inputMapInputs(context, analysis, `rise:${masks}:${grid}:${keep}:${seed}`, classIndex, options, () => {
      const random = seededRandom(seed);
      const sum = new Float64Array(pixels);
      return {
        count: masks,
        perturb(index, input, out) {
          const mask = riseMask(random, width, height, { grid, keep });
          const channels = input.length / pixels;
          if (layout === 'NHWC') {
            for (let i = 0; i < pixels; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = input[i * channels + c] * mask[i];
          } else {
            for (let c = 0; c < channels; c++) for (let i = 0; i < pixels; i++) out[c * pixels + i] = input[c * pixels + i] * mask[i];
          }
          return mask;
        },
        fold(index, probability, mask) {
          for (let i = 0; i < pixels; i++) sum[i] += probability * mask[i];
        },
        finish: () => Float32Array.from(sum, (v) => v / (masks * keep)),
      };
    });
  },
};
