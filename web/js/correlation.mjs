// @ts-check
// Pearson correlation, the one way dermcam compares two maps (int8 against float32 in `pack` and the demo's
// evaluation, ours against pytorch-grad-cam's in the tests).

/**
 * The Pearson correlation of two equally long arrays. Two constant arrays agree (1); a constant one and a varying
 * one do not (0): a flat map says nothing about where a varying one looks.
 * @param {ArrayLike<number>} a @param {ArrayLike<number>} b @returns {number}
 */
export function pearson(a, b) {
  if (a.length !== b.length) throw new RangeError(`cannot correlate ${a.length} values with ${b.length}`);
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  if (saa > 0 && sbb > 0) return sab / Math.sqrt(saa * sbb);
  return saa === 0 && sbb === 0 ? 1 : 0;
}
