// The measured change between two checks of a spot (web/js/lesion-estimate.mjs): a darker disc of known size and
// colour on skin is found with its area and colour; plain skin gives no estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { alignment, lesionEstimate } from '../../web/js/lesion-estimate.mjs';

function disc(size, radius, skin, spot, noise = 0, [cx, cy] = [size / 2, size / 2]) {
  const rgba = new Uint8ClampedArray(size * size * 4);
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 2 * noise;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) < radius;
      const colour = inside ? spot : skin;
      for (let c = 0; c < 3; c++) rgba[4 * (y * size + x) + c] = colour[c] + random();
      rgba[4 * (y * size + x) + 3] = 255;
    }
  }
  return rgba;
}

test('a darker spot on skin: its share of the frame and its colour', () => {
  for (const [skin, spot] of [[[225, 190, 170], [110, 70, 50]], [[120, 80, 60], [50, 30, 25]]]) {
    const small = lesionEstimate(disc(256, 40, skin, spot, 6), 256, 256);
    const large = lesionEstimate(disc(256, 60, skin, spot, 6), 256, 256);
    assert.ok(Math.abs(small.area - (Math.PI * 40 ** 2) / 256 ** 2) < 0.01, String(small.area));
    assert.ok(Math.abs(large.area / small.area - (60 / 40) ** 2) < 0.1, `${large.area / small.area}`);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(small.colour[c] - spot[c]) <= 3, `${small.colour} for ${spot}`);
  }
});

test('skin with nothing darker on it, or a frame the dark fills, gives no estimate', () => {
  assert.equal(lesionEstimate(disc(128, 0, [200, 160, 140], [0, 0, 0], 10), 128, 128), null);
  assert.equal(lesionEstimate(disc(128, 200, [200, 160, 140], [60, 40, 30], 10), 128, 128), null);
  assert.equal(lesionEstimate(new Uint8ClampedArray(0), 0, 0), null);
});

test('the lesion\'s centre lines two photos up: the offset that moves the newer one onto the older one, never a scale', () => {
  const older = lesionEstimate(disc(200, 30, [225, 190, 170], [110, 70, 50], 6, [60, 140]), 200, 200);
  const newer = lesionEstimate(disc(200, 45, [225, 190, 170], [110, 70, 50], 6, [120, 90]), 200, 200);
  assert.ok(Math.abs(older.centre[0] - 0.3) < 0.005 && Math.abs(older.centre[1] - 0.7) < 0.005, String(older.centre));
  const { dx, dy } = alignment(older, newer);
  assert.ok(Math.abs(dx - -0.3) < 0.005 && Math.abs(dy - 0.25) < 0.005, `${dx}, ${dy}`);
  // The growth stays: the newer spot is still larger after the move.
  assert.ok(newer.area / older.area > 2);
  assert.equal(alignment(older, null), null);
});
