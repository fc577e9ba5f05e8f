// @ts-check
// A caption strip under a picture (the downloaded overlay PNG): the lines given, wrapped to the picture's width,
// dark on white, the first in bold. Drawn on the page, where the fonts for every language are.

/** @param {CanvasRenderingContext2D} context @param {string} text @param {number} width */
function wrap(context, text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && context.measureText(next).width > width) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The PNG `blob` with `lines` in a strip under it, as a new PNG.
 * @param {Blob} blob @param {string[]} lines
 * @returns {Promise<Blob>}
 */
export async function withCaption(blob, lines) {
  const image = await createImageBitmap(blob);
  const { width, height } = image;
  const size = Math.max(14, Math.round(width / 48));
  const pad = Math.round(size * 0.8);
  const lineHeight = Math.round(size * 1.35);
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d');
  const font = (bold) => `${bold ? '600 ' : ''}${size}px system-ui, "Noto Sans", sans-serif`;
  const wrapped = lines.flatMap((text, i) => {
    context.font = font(i === 0);
    return wrap(context, text, width - 2 * pad).map((part) => ({ part, bold: i === 0 }));
  });
  canvas.width = width;  // (resets the context's font: each line sets its own below)
  canvas.height = height + 2 * pad + wrapped.length * lineHeight;
  context.drawImage(image, 0, 0);
  image.close();
  context.fillStyle = '#ffffff';
  context.fillRect(0, height, width, canvas.height - height);
  context.fillStyle = '#1d1a18';
  context.textBaseline = 'top';
  wrapped.forEach(({ part, bold }, k) => {
    context.font = font(bold);
    context.fillText(part, pad, height + pad + k * lineHeight);
  });
  return new Promise((resolve, reject) => canvas.toBlob((png) => (png ? resolve(png) : reject(new Error('The PNG could not be made.'))), 'image/png'));
}
