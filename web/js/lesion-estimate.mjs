// @ts-check
// What can be measured of a spot from a kept photo (the framed region, as history.mjs keeps it), to say how it
// changed between two checks: the share of the frame the lesion covers and its mean colour. The lesion is taken to
// be what is darker than the skin around it: Otsu's threshold on luma splits the photo in two, and the darker part
// counts only when it is clearly darker and does not fill the frame. These are estimates (lighting, framing and the
// camera move them); the page says so. The lesion's centre lines the two photos up (alignment): only an offset, never
// a scale, since scaling one photo to the other's lesion would hide the very growth being looked for.

/**
 * @param {Uint8ClampedArray | Uint8Array} rgba the photo's pixels, 4 bytes each
 * @param {number} width @param {number} height
 * @returns {{area: number, colour: number[], contrast: number, centre: number[]} | null} area: 0-1 of the frame;
 *   colour: mean [r, g, b] of the lesion; contrast: the skin's mean luma minus the lesion's (0-255); centre: [x, y]
 *   of the lesion, 0-1 across the frame; null when no lesion stands out
 */
export function lesionEstimate(rgba, width, height) {
  const count = width * height;
  if (!count || rgba.length < count * 4) return null;
  const luma = new Uint8Array(count);
  const histogram = new Float64Array(256);
  for (let i = 0; i < count; i++) {
    const v = Math.round((54 * rgba[4 * i] + 183 * rgba[4 * i + 1] + 19 * rgba[4 * i + 2]) / 256);
    luma[i] = v;
    histogram[v] += 1;
  }
  // Otsu: the threshold that maximises the variance between the two classes.
  let total = 0;
  for (let v = 0; v < 256; v++) total += v * histogram[v];
  let below = 0;
  let belowSum = 0;
  let best = -1;
  let threshold = 0;
  for (let v = 0; v < 256; v++) {
    below += histogram[v];
    belowSum += v * histogram[v];
    const above = count - below;
    if (!below || !above) continue;
    const between = below * above * (belowSum / below - (total - belowSum) / above) ** 2;
    if (between > best) {
      best = between;
      threshold = v;
    }
  }
  const sums = [0, 0, 0];
  const centre = [0, 0];
  let lesion = 0;
  let lesionLuma = 0;
  let skinLuma = 0;
  for (let i = 0; i < count; i++) {
    if (luma[i] <= threshold) {
      lesion += 1;
      lesionLuma += luma[i];
      for (let c = 0; c < 3; c++) sums[c] += rgba[4 * i + c];
      centre[0] += (i % width) + 0.5;
      centre[1] += Math.floor(i / width) + 0.5;
    } else {
      skinLuma += luma[i];
    }
  }
  const skin = count - lesion;
  if (!lesion || !skin) return null;
  const contrast = skinLuma / skin - lesionLuma / lesion;
  const area = lesion / count;
  // Nothing clearly darker (skin texture alone), or "lesion" everywhere (a dark frame): no estimate.
  if (contrast < 20 || area > 0.9) return null;
  return { area, colour: sums.map((s) => Math.round(s / lesion)), contrast, centre: [centre[0] / lesion / width, centre[1] / lesion / height] };
}

/**
 * How far to move the newer photo (0-1 of the frame, each way) so its lesion lies where the older one's does; null
 * when either photo gave no estimate.
 * @param {{centre: number[]} | null} before @param {{centre: number[]} | null} after
 */
export function alignment(before, after) {
  if (!before || !after) return null;
  return { dx: before.centre[0] - after.centre[0], dy: before.centre[1] - after.centre[1] };
}
