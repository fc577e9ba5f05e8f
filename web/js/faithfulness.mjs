// @ts-check
// How far a map reflects the model: faithfulness metrics computed on the device from the same model session
// (shared by the browser and Node). Each perturbs the model input (the normalised tensor) guided by the map (at
// the input size) and reads the model's probability of the explained class (softmax of the scores, no
// calibration, as pytorch-grad-cam's ClassifierOutputSoftmaxTarget):
//
// - Deletion and insertion AUC (Petsiuk et al., RISE, BMVC 2018, as its evaluation code): pixels in order of
//   decreasing map value (ties: the later pixel first, as numpy's flipped argsort), DELETION_STEPS steps of
//   ceil(pixels / steps) pixels. Deletion starts from the input and sets pixels to 0 (the normalised mean colour);
//   insertion starts from the input blurred (RISE's 11 x 11 kernel, sigma 5, zero padding) and puts pixels back.
//   AUC = (sum - first / 2 - last / 2) / (points - 1). Lower deletion and higher insertion mean a more faithful map.
// - ROAD (Rong et al., ICML 2022, as pytorch-grad-cam's ROADCombined): for percentiles 10..90, remove the pixels
//   at or above the percentile of the map (most relevant first, MoRF) or of 1 - map (least relevant first, LeRF),
//   fill them by noisy linear imputation (each removed pixel the weighted mean of its 8 neighbours, weights 1/6
//   and 1/12, solved as one linear system per colour channel, plus N(0, 0.01) noise from a fixed seed), and take
//   the probability change; combined = mean over percentiles of (LeRF - MoRF) / 2. Higher is more faithful.
// - Average drop and increase in confidence (Chattopadhay et al., WACV 2018): the input multiplied by the map;
//   drop = max(0, p - p_masked) / p, increase = p_masked > p.
// - A random map gets the same deletion AUC, as the baseline a method's map should beat: Random-CAM (the layer's
//   activations weighted at random, wasm/cam/random_cam.cpp), which has a map's spatial structure. (Random pixel
//   orders make a poor baseline: scattered deletions destroy any photo faster than removing one region does.)

export const DELETION_STEPS = 32;
export const ROAD_PERCENTILES = [10, 20, 30, 40, 50, 60, 70, 80, 90];
export const ROAD_NOISE = 0.01;
const BLUR_SIZE = 11;
const BLUR_SIGMA = 5;
const NEIGHBOURS = [[1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12], [0, -1, 1 / 6], [-1, -1, 1 / 12],
  [1, 0, 1 / 6], [-1, 0, 1 / 6]];

/** A seeded uniform generator (mulberry32) and its normal deviates (Box-Muller). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** Pixel indices by decreasing map value; ties: the later pixel first (numpy: flip(argsort(kind='stable'))). */
export function saliencyOrder(map) {
  const order = Array.from(map.keys());
  order.sort((a, b) => map[a] - map[b] || a - b);
  return Int32Array.from(order.reverse());
}

/** RISE's AUC of a curve sampled at equal steps. */
export function curveAuc(curve) {
  const n = curve.length;
  return (curve.reduce((s, v) => s + v, 0) - curve[0] / 2 - curve[n - 1] / 2) / (n - 1);
}

/** numpy.percentile (linear interpolation) of `values` at p in [0, 100]. */
export function percentile(values, p) {
  const sorted = Float64Array.from(values).sort();
  const position = (p / 100) * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** The index of colour c of pixel i (row-major) in a batch-1 input of this shape. */
export const at = ({ width, height, layout }) => (layout === 'NHWC' ? (c, i) => i * 3 + c : (c, i) => c * width * height + i);

// RISE's kernel (its gkern): scipy.ndimage.gaussian_filter of an 11 x 11 impulse with sigma 5 (truncated at 4 sigma,
// 'reflect' borders, so the tails fold back), which is the outer product of this 1-D profile.
function riseProfile() {
  const radius = Math.floor(4 * BLUR_SIGMA + 0.5);
  const taps = Array.from({ length: 2 * radius + 1 }, (_, j) => Math.exp(-0.5 * ((j - radius) / BLUR_SIGMA) ** 2));
  const total = taps.reduce((s, v) => s + v, 0);
  const reflect = (i) => {
    const n = BLUR_SIZE;
    for (;;) {
      if (i < 0) i = -i - 1;
      else if (i >= n) i = 2 * n - i - 1;
      else return i;
    }
  };
  const centre = Math.floor(BLUR_SIZE / 2);
  return Array.from({ length: BLUR_SIZE }, (_, i) => taps.reduce((s, w, j) => s + (reflect(i + j - radius) === centre ? w / total : 0), 0));
}

/** The input blurred per channel with RISE's kernel (riseProfile), zero padding, as RISE's insertion metric. */
export function blurInput(input, shape) {
  const { width, height } = shape;
  const index = at(shape);
  const half = Math.floor(BLUR_SIZE / 2);
  const k = riseProfile();
  const out = new Float32Array(input.length);
  const row = new Float64Array(width * height);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let d = -half; d <= half; d++) if (x + d >= 0 && x + d < width) s += k[d + half] * input[index(c, y * width + x + d)];
        row[y * width + x] = s;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let s = 0;
        for (let d = -half; d <= half; d++) if (y + d >= 0 && y + d < height) s += k[d + half] * row[(y + d) * width + x];
        out[index(c, y * width + x)] = s;
      }
    }
  }
  return out;
}

/**
 * pytorch-grad-cam's NoisyLinearImputer: pixels where `keep` is 0 become the weighted mean of their neighbours
 * inside the image (one sparse linear system per colour channel, solved by conjugate gradients preconditioned with
 * symmetric Gauss-Seidel, from `guess`, to a residual of 1e-5 of the right-hand side: about 1e-4 from the exact
 * solution, far below the noise), plus N(0, noise) noise.
 */
export function noisyLinearImpute(input, keep, shape, random, { noise = ROAD_NOISE, guess = null, tolerance = 1e-5 } = {}) {
  const { width, height } = shape;
  const index = at(shape);
  const variable = new Int32Array(width * height).fill(-1);
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (!keep[i]) variable[i] = n++;
  const out = Float32Array.from(input);
  if (!n) return out;
  if (n === keep.length) {
    // Nothing left to impute from (the system is singular; scipy's spsolve gives NaN): the normalised mean colour.
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) out[index(c, i)] = noise * random.normal();
    return out;
  }
  const unknown = new Int32Array(n);
  for (let i = 0; i < keep.length; i++) if (variable[i] >= 0) unknown[variable[i]] = i;
  // The system (symmetric, diagonally dominant): diagonal = weight of the pixel's neighbours inside the image;
  // off-diagonal -w for each removed neighbour (CSR); known neighbours go to the right-hand side.
  const diagonal = new Float64Array(n);
  const rowStart = new Int32Array(n + 1);
  const columns = new Int32Array(n * 8);
  const weights = new Float64Array(n * 8);
  const knownStart = new Int32Array(n + 1);
  const knownPixel = new Int32Array(n * 8);
  const knownWeight = new Float64Array(n * 8);
  let [nnz, known] = [0, 0];
  for (let v = 0; v < n; v++) {
    const p = unknown[v];
    const [x, y] = [p % width, (p - (p % width)) / width];
    for (const [dy, dx, w] of NEIGHBOURS) {
      const [nx, ny] = [x + dx, y + dy];
      if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
      diagonal[v] += w;
      const q = ny * width + nx;
      if (variable[q] >= 0) {
        columns[nnz] = variable[q];
        weights[nnz++] = w;
      } else {
        knownPixel[known] = q;
        knownWeight[known++] = w;
      }
    }
    rowStart[v + 1] = nnz;
    knownStart[v + 1] = known;
  }
  const multiply = (x, into) => {
    for (let v = 0; v < n; v++) {
      let sum = diagonal[v] * x[v];
      for (let e = rowStart[v]; e < rowStart[v + 1]; e++) sum -= weights[e] * x[columns[e]];
      into[v] = sum;
    }
  };
  const dot = (a, b) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
  };
  // Preconditioner: symmetric Gauss-Seidel, z = (D - U)^-1 D (D - L)^-1 r (a forward and a backward sweep).
  const precondition = (rIn, z) => {
    for (let v = 0; v < n; v++) {
      let sum = rIn[v];
      for (let e = rowStart[v]; e < rowStart[v + 1]; e++) if (columns[e] < v) sum += weights[e] * z[columns[e]];
      z[v] = sum / diagonal[v];
    }
    for (let v = n - 1; v >= 0; v--) {
      let sum = 0;
      for (let e = rowStart[v]; e < rowStart[v + 1]; e++) if (columns[e] > v) sum += weights[e] * z[columns[e]];
      z[v] += sum / diagonal[v];
    }
  };
  const [x, b, r, p, q, z] = Array.from({ length: 6 }, () => new Float64Array(n));
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < n; v++) {
      let sum = 0;
      for (let e = knownStart[v]; e < knownStart[v + 1]; e++) sum += knownWeight[e] * input[index(c, knownPixel[e])];
      b[v] = sum;
      x[v] = guess ? guess[index(c, unknown[v])] : 0;
    }
    multiply(x, q);
    for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
    precondition(r, z);
    p.set(z);
    let rz = dot(r, z);
    const stop = Math.max(dot(b, b), 1e-12) * tolerance * tolerance;
    for (let iteration = 0; iteration < 2000 && dot(r, r) > stop; iteration++) {
      multiply(p, q);
      const alpha = rz / dot(p, q);
      for (let i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      precondition(r, z);
      const next = dot(r, z);
      const beta = next / rz;
      for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
      rz = next;
    }
    for (let v = 0; v < n; v++) out[index(c, unknown[v])] = x[v] + noise * random.normal();
  }
  return out;
}

/**
 * Every metric for one map.
 * @param {{input: Float32Array, shape: {width, height, layout}, map: Float32Array, randomMap: Float32Array, probabilities:
 *   (batch: Float32Array, count: number) => Promise<Float64Array|number[]>, batchSize: number, signal?, progress?,
 *   seed?: number}} options  probabilities(batch, count) gives the explained class's probability for each input
 * @returns {Promise<{deletion_auc, insertion_auc, road_combined, road_most_relevant_first,
 *   road_least_relevant_first, average_drop, increase_in_confidence, random_deletion_auc, beats_random, model_runs}>}
 */
export async function faithfulness({ input, shape, map, randomMap, probabilities, batchSize, signal, progress, seed = 20261125 }) {
  const pixels = shape.width * shape.height;
  const index = at(shape);
  const random = seededRandom(seed);
  // The perturbed inputs, made when their batch runs (a 224 x 224 input's 119 copies would take 70 MB at once).
  /** @type {Array<[string, () => Float32Array]>} */
  const inputs = [];
  const withPixels = (base, source, order, count) => {
    const out = Float32Array.from(base);
    for (let j = 0; j < count; j++) for (let c = 0; c < 3; c++) out[index(c, order[j])] = source[index(c, order[j])];
    return out;
  };
  const step = Math.ceil(pixels / DELETION_STEPS);
  const zeros = new Float32Array(input.length);
  const blurred = blurInput(input, shape);
  const salient = saliencyOrder(map);
  const randomOrder = saliencyOrder(randomMap);
  for (let i = 0; i <= DELETION_STEPS; i++) {
    const count = Math.min(pixels, i * step);
    inputs.push([`deletion/${i}`, () => withPixels(input, zeros, salient, count)]);
    inputs.push([`insertion/${i}`, () => withPixels(blurred, input, salient, count)]);
    inputs.push([`random/${i}`, () => withPixels(input, zeros, randomOrder, count)]);
  }
  const inverse = Float32Array.from(map, (v) => 1 - v);
  for (const p of ROAD_PERCENTILES) {
    const most = percentile(map, p);
    inputs.push([`morf/${p}`, () => noisyLinearImpute(input, Uint8Array.from(map, (v) => Number(v < most)), shape, random,
      { guess: blurred })]);
    const least = percentile(inverse, p);
    inputs.push([`lerf/${p}`, () => noisyLinearImpute(input, Uint8Array.from(inverse, (v) => Number(v < least)), shape, random,
      { guess: blurred })]);
  }
  inputs.push(['masked', () => {
    const masked = Float32Array.from(input);
    for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) masked[index(c, i)] *= map[i];
    return masked;
  }]);
  inputs.push(['original', () => input]);

  const probability = new Map();
  progress?.({ label: 'metrics', loaded: 0, total: inputs.length });
  for (let start = 0; start < inputs.length; start += batchSize) {
    const chunk = inputs.slice(start, start + batchSize);
    const batch = new Float32Array(chunk.length * input.length);
    chunk.forEach(([, make], b) => batch.set(make(), b * input.length));
    const values = await probabilities(batch, chunk.length);
    chunk.forEach(([name], b) => probability.set(name, values[b]));
    progress?.({ label: 'metrics', loaded: start + chunk.length, total: inputs.length });
    if (signal) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      signal.throwIfAborted();
    }
  }
  const curve = (name) => Array.from({ length: DELETION_STEPS + 1 }, (_, i) => probability.get(`${name}/${i}`));
  const original = probability.get('original');
  const mean = (values) => values.reduce((s, v) => s + v, 0) / values.length;
  const morf = mean(ROAD_PERCENTILES.map((p) => probability.get(`morf/${p}`) - original));
  const lerf = mean(ROAD_PERCENTILES.map((p) => probability.get(`lerf/${p}`) - original));
  const deletion = curveAuc(curve('deletion'));
  const randomDeletion = curveAuc(curve('random'));
  return {
    deletion_auc: deletion,
    insertion_auc: curveAuc(curve('insertion')),
    road_combined: (lerf - morf) / 2,
    road_most_relevant_first: morf,
    road_least_relevant_first: lerf,
    average_drop: Math.max(0, original - probability.get('masked')) / original,
    increase_in_confidence: probability.get('masked') > original,
    random_deletion_auc: randomDeletion,
    beats_random: deletion < randomDeletion,
    model_runs: inputs.length,
  };
}
