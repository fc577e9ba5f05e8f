// @ts-check
// The overlay, composited on the page from the worker's heat layers (wasm/overlay.h): the heat coloured with the
// chosen colour map inside the rectangle the model saw, the outline and box lines, drawn over the photo with the
// chosen opacity. The same arithmetic as the core's blend (tested to agree within one level), at display rate:
// a look (colours, opacity, outline) is repainted here, no worker round trip; only a new map redoes it all.

// Whole pixels at a time: RGBA bytes as one 32-bit word in the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const rgbaWord = (r, g, b) => (LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | 255)) >>> 0;

/**
 * @param {import('./store.mjs').ViewContext} view
 * @returns {{takeSpareIndex: () => Uint8Array | null}}
 */
export function overlayView({ $, store }) {
  const paint = { layers: null, heat: document.createElement('canvas'), heatImage: null,
    lines: document.createElement('canvas'), frame: 0, hasLines: false, spareIndex: null, colormap: '', outline: false,
    opacity: NaN, stamp: 0 };

  function colourHeat({ methods, controls }) {
    const { layers } = paint;
    const table = methods.colormaps.find((c) => c.id === controls.colormap)?.table ?? methods.colormaps[0].table;
    const palette = new Uint32Array(256);
    for (let i = 0; i < 256; i++) palette[i] = rgbaWord(table[i * 3], table[i * 3 + 1], table[i * 3 + 2]);
    if (paint.heatImage?.width !== layers.width || paint.heatImage?.height !== layers.height) {
      paint.heatImage = new ImageData(layers.width, layers.height);
    }
    const out = new Uint32Array(paint.heatImage.data.buffer);
    const { index } = layers;
    // Branch-free over every pixel (outside the seen rectangle the index is 0 and composite() does not draw it).
    for (let i = 0, n = index.length; i < n; i++) out[i] = palette[index[i]];
    paint.heat.width = layers.width;
    paint.heat.height = layers.height;
    paint.heat.getContext('2d').putImageData(paint.heatImage, 0, 0);
  }

  // The lines are sparse: the outline pixels from their list, the box as its four edge rectangles.
  function drawLines({ controls: { outline } }) {
    const { layers } = paint;
    const edges = outline ? layers.boxEdges ?? [] : [];
    paint.hasLines = (outline && layers.outline.length > 0) || edges.length > 0;
    if (!paint.hasLines) return;
    paint.lines.width = layers.width;  // (also clears it)
    paint.lines.height = layers.height;
    const context = paint.lines.getContext('2d');
    if (outline) {
      const image = new ImageData(layers.width, layers.height);
      const out = new Uint32Array(image.data.buffer);
      const white = rgbaWord(255, 255, 255);
      for (const i of layers.outline) out[i] = white;
      context.putImageData(image, 0, 0);
    }
    context.fillStyle = 'rgb(0, 255, 255)';
    for (const e of edges) context.fillRect(e.x0, e.y0, e.x1 - e.x0, e.y1 - e.y0);
  }

  function composite() {
    paint.frame = 0;
    if (!paint.layers) return;
    const canvas = $('overlay');
    if (canvas.width !== paint.layers.width || canvas.height !== paint.layers.height) {
      canvas.width = paint.layers.width;
      canvas.height = paint.layers.height;
    }
    const context = canvas.getContext('2d');
    context.globalAlpha = 1;
    context.drawImage($('original'), 0, 0);
    const seen = paint.layers.covered;
    if (seen) {
      context.globalAlpha = Math.round(store.get().controls.opacity * 256) / 256;  // the core's 8.8 fixed-point opacity
      const [w, h] = [seen.x1 - seen.x0, seen.y1 - seen.y0];
      context.drawImage(paint.heat, seen.x0, seen.y0, w, h, seen.x0, seen.y0, w, h);
      context.globalAlpha = 1;
    }
    if (paint.hasLines) context.drawImage(paint.lines, 0, 0);
    canvas.dataset.stamp = String(++paint.stamp);  // lets tests (and assistive tools) see a new picture
  }

  store.watch(['result', 'controls', 'methods'], (state) => {
    const { result, controls } = state;
    if (!result?.layers || !state.methods) return;
    const fresh = result.layers !== paint.layers;
    if (fresh) {
      // The index of the map before the shown one goes back to the worker to be written over (no new megabyte
      // per render).
      paint.spareIndex = paint.layers?.index.length === result.layers.index.length ? paint.layers.index : null;
      paint.layers = result.layers;
      $('overlay').dataset.method = result.method;
      $('overlay').dataset.classIndex = String(result.explainedClass.index);
      $('overlay').dataset.status = result.status;
    }
    if (fresh || controls.colormap !== paint.colormap) colourHeat(state);
    if (fresh || controls.outline !== paint.outline) drawLines(state);
    if (fresh || controls.colormap !== paint.colormap || controls.outline !== paint.outline) composite();
    // Slider drags ask for many frames: one composite per animation frame, the latest opacity wins.
    else if (controls.opacity !== paint.opacity) paint.frame ||= requestAnimationFrame(composite);
    Object.assign(paint, { colormap: controls.colormap, outline: controls.outline, opacity: controls.opacity });
  });

  return {
    takeSpareIndex() {
      const spare = paint.spareIndex;
      paint.spareIndex = null;
      return spare;
    },
  };
}
