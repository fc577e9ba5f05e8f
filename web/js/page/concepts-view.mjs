// @ts-check
// "Concepts the model sees" (on request): Deep Feature Factorization of the shown photo (web/js/cam/concepts.mjs)
// drawn over it, each pixel in the colour of the concept strongest there (fainter where it is weak), and a list of
// the concepts with the classes each points to.
import { h } from './dom.mjs';

// Distinct colours that stay apart for the common colour-vision deficiencies (Okabe-Ito, then Tol's bright).
const PALETTE = [[230, 159, 0], [86, 180, 233], [0, 158, 115], [204, 121, 167], [240, 228, 66], [0, 114, 178],
  [213, 94, 0], [68, 119, 170], [102, 204, 238], [34, 136, 51], [204, 187, 68], [238, 102, 119], [170, 51, 119],
  [187, 187, 187], [0, 0, 0], [255, 255, 255]];
const STRENGTH = 0.65;  // the most a concept's colour covers the photo

/** @param {import('./store.mjs').ViewContext} view */
export function conceptsView({ $, words: { t, isolated, share, number }, store, actions }) {
  $('concepts-run').addEventListener('click', () => actions.findConcepts());

  store.watch(['concepts', 'result', 'language'], ({ concepts, result }) => {
    const { phase, values } = concepts;
    $('concepts-run').disabled = phase === 'running' || !result;
    const status = $('concepts-status');
    status.hidden = phase === 'idle';
    const shown = phase === 'done' && Boolean(result);
    $('concepts-view').hidden = !shown;
    $('concepts-list').hidden = !shown;
    if (phase === 'running') status.textContent = t('conceptsRunning');
    if (!shown) return;
    const explained = Math.max(0, 1 - values.relativeError ** 2);
    status.textContent = t('conceptsDone', { count: values.concepts.length, share: number(100 * explained, 0) }) +
      (values.noClasses ? ` ${t('conceptsNoClasses')}` : '');
    draw($('concepts-view'), result.display, values.layers);
    $('concepts-list').replaceChildren(...values.concepts.map((concept, j) => {
      const [r, g, b] = PALETTE[j % PALETTE.length];
      const classes = concept.classes
        ? concept.classes.map((c) => `${isolated(c.label)} (${share(c.probability)})`).join(', ') : t('conceptsUnknownClasses');
      return h('li', { dataset: { concept: String(j) } },
        h('span', { className: 'swatch', style: `background: rgb(${r}, ${g}, ${b})`, ariaHidden: 'true' }),
        h('span', {}, t('conceptItem', { n: j + 1, classes })));
    }));
    $('concepts-view').setAttribute('aria-label', t('conceptsImage', { count: values.concepts.length }));
  });
}

// The photo with each pixel tinted by its strongest concept.
function draw(canvas, display, layers) {
  const { width, height, rgba } = display;
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(new Uint8ClampedArray(rgba), width, height);
  const out = image.data;
  for (let p = 0; p < width * height; p++) {
    let best = -1;
    let strongest = 0;
    for (let j = 0; j < layers.length; j++) {
      if (layers[j][p] > strongest) [best, strongest] = [j, layers[j][p]];
    }
    if (best < 0) continue;
    const a = (STRENGTH * strongest) / 255;
    const colour = PALETTE[best % PALETTE.length];
    for (let c = 0; c < 3; c++) out[p * 4 + c] = out[p * 4 + c] * (1 - a) + colour[c] * a;
  }
  canvas.getContext('2d').putImageData(image, 0, 0);
}
