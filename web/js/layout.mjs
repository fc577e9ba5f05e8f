// @ts-check
// Where a value lives in a tensor of one image: NCHW (channel-major: channel k's plane, row by row) or NHWC
// (position-major: all channels of a pixel together). Every layout-dependent index in the JavaScript goes through
// here (wasm/tensor_layout.h is the C++ side's).

/**
 * @typedef {'NCHW'|'NHWC'} Layout
 * @typedef {{channels: number, height: number, width: number, positions: number, size: number,
 *   at: (c: number, y: number, x: number) => number}} LayerGeometry
 */

/**
 * The geometry of an image-like tensor of one image: `shape` is [C, H, W] for NCHW and [H, W, C] for NHWC
 * (without the batch). `at(c, y, x)` is the flat index of channel c at row y, column x.
 * @param {number[]} shape
 * @param {Layout} layout
 * @returns {LayerGeometry}
 */
export function layerGeometry(shape, layout) {
  const [channels, height, width] = layout === 'NHWC' ? [shape[2], shape[0], shape[1]] : [shape[0], shape[1], shape[2]];
  const positions = height * width;
  const at = layout === 'NHWC' ? (c, y, x) => (y * width + x) * channels + c : (c, y, x) => (c * height + y) * width + x;
  return { channels, height, width, positions, size: channels * positions, at };
}
