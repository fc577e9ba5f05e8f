// @ts-check
// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): probabilities are
// softmax(logits / T) with one T > 0 chosen to minimise the negative log-likelihood of held-out labelled photos.
// It changes how confident the model says it is, never which class it ranks first.

export function softmax(row, temperature = 1) {
  const scaled = row.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / total);
}

/** Mean negative log-likelihood of `labels` under softmax(logits / T). */
export function negativeLogLikelihood(logits, labels, temperature) {
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const scaled = logits[i].map((v) => v / temperature);
    const max = Math.max(...scaled);
    const logSum = max + Math.log(scaled.reduce((a, v) => a + Math.exp(v - max), 0));
    total += logSum - scaled[labels[i]];
  }
  return total / logits.length;
}

/** The temperature in [0.05, 20] minimising the NLL (golden-section search on log T; the NLL is convex in 1/T). */
export function fitTemperature(logits, labels) {
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = negativeLogLikelihood(logits, labels, Math.exp(a));
  let fb = negativeLogLikelihood(logits, labels, Math.exp(b));
  for (let i = 0; i < 80; i++) {
    if (fa < fb) {
      hi = b; b = a; fb = fa; a = hi - phi * (hi - lo); fa = negativeLogLikelihood(logits, labels, Math.exp(a));
    } else {
      lo = a; a = b; fa = fb; b = lo + phi * (hi - lo); fb = negativeLogLikelihood(logits, labels, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/**
 * Expected calibration error with `bins` equal-width confidence bins (top-1 confidence against accuracy).
 * @returns {{ece: number, bins: Array<{from: number, to: number, count: number, confidence: number, accuracy: number}>}}
 */
export function calibrationError(probabilities, labels, bins = 10) {
  const table = Array.from({ length: bins }, (_, i) => ({ from: i / bins, to: (i + 1) / bins, count: 0, confidence: 0, accuracy: 0 }));
  probabilities.forEach((p, i) => {
    const confidence = Math.max(...p);
    const bin = table[Math.min(bins - 1, Math.floor(confidence * bins))];
    bin.count += 1;
    bin.confidence += confidence;
    bin.accuracy += p.indexOf(confidence) === labels[i] ? 1 : 0;
  });
  let ece = 0;
  for (const bin of table) {
    if (!bin.count) continue;
    ece += (bin.count / probabilities.length) * Math.abs(bin.accuracy / bin.count - bin.confidence / bin.count);
    bin.confidence /= bin.count;
    bin.accuracy /= bin.count;
  }
  return { ece, bins: table };
}
