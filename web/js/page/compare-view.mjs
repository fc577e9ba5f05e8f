// @ts-check
// Two checks side by side (history-view.mjs renders it when two are picked): both photos and both maps, the photos
// as a swipe (the newer one uncovered over the older one), and, when both are of one spot, that spot's finding over
// time (the older check's finding, its likelihood at each check, as a small chart and as text) and what changed in
// the framed spot, measured on the kept photos and labelled as estimates (lesion-estimate.mjs).
import { alignment, lesionEstimate } from '../lesion-estimate.mjs';
import { h, svg } from './dom.mjs';

/** The estimate for a kept photo (decoded on the page), or null when none can be made. @param {Blob} photo */
export async function estimateOf(photo) {
  try {
    const bitmap = await createImageBitmap(photo);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    return lesionEstimate(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
  } catch {
    return null;
  }
}

/**
 * @param {{older: any, newer: any, entries: any[], spots: any[], estimates: Record<string, any>,
 *   words: any, url: (blob: Blob) => string, when: (entry: any) => string}} parts
 */
export function comparison({ older, newer, entries, spots, estimates, words: { t, isolated, share, number }, url, when }) {
  const caption = (entry) => `${when(entry)}: ${isolated(entry.label)} (${share(entry.predictions[0].probability)})`;
  const figures = [older, newer].map((entry) => h('figure', { dataset: { testid: 'compare-check' } },
    h('img', { src: url(entry.photo), alt: `${t('original')}, ${when(entry)}` }),
    h('img', { src: url(entry.overlay), alt: `${t('overlay')}: ${isolated(entry.label)}, ${when(entry)}` }),
    h('figcaption', {}, caption(entry))));

  // The swipe: the newer photo over the older one, uncovered from the left as the slider moves, and moved so the
  // two lesions line up once both photos are measured (an offset only: lesion-estimate.mjs alignment).
  const [before, after] = [estimates[older.id], estimates[newer.id]];
  const shift = alignment(before ?? null, after ?? null);
  const moved = h('img', { src: url(newer.photo), alt: '' });
  moved.style.transform = shift ? `translate(${(100 * shift.dx).toFixed(1)}%, ${(100 * shift.dy).toFixed(1)}%)` : '';
  const top = h('div', { className: 'swipe-top' }, moved);
  const uncover = (percent) => {
    top.style.clipPath = `inset(0 ${100 - percent}% 0 0)`;
  };
  uncover(50);
  const swipe = h('div', { className: 'swipe-block' },
    h('div', { className: 'swipe', dataset: { testid: 'compare-swipe' } }, h('img', { src: url(older.photo), alt: '' }), top),
    shift && Math.max(Math.abs(shift.dx), Math.abs(shift.dy)) > 0.01
      ? h('p', { className: 'small', dataset: { testid: 'compare-aligned' } }, t('compareAligned')) : null,
    h('label', { className: 'field' }, h('span', {}, t('compareSwipe', { older: when(older), newer: when(newer) })),
      h('input', { type: 'range', min: 0, max: 100, value: 50, dataset: { testid: 'compare-swipe-position' },
        oninput: (event) => uncover(Number(event.target.value)) })));

  const spot = older.spotId && older.spotId === newer.spotId ? spots.find((s) => s.uid === older.spotId) : null;
  if (!spot) return [h('div', { className: 'comparison' }, ...figures), swipe, h('p', { className: 'small', dataset: { testid: 'compare-note' } }, t('compareNotOneSpot'))];

  // The older check's finding at every check of this spot, oldest first.
  const label = older.label;
  const series = entries.filter((e) => e.spotId === spot.uid).sort((a, b) => a.date.localeCompare(b.date))
    .map((e) => ({ entry: e, probability: e.predictions.find((p) => p.id === label.id)?.probability ?? 0 }));
  // Lines at 0%, 50% and 100%; 0% and 50% are labelled, so a flat line reads as high or low. The top line has no
  // label: "100%" beside a line that is "over 99%" would read as a certainty the model never has.
  const [width, height, pad, left] = [300, 110, 14, 44];
  const x = (i) => left + (series.length > 1 ? (i * (width - left - pad)) / (series.length - 1) : (width - left - pad) / 2);
  const y = (p) => pad + (1 - p) * (height - 2 * pad);
  const end = (p) => svg('text', { x: left - 8, y: y(p), class: 'trend-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
    document.createTextNode(`${number(100 * p, 0)}%`));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'trend', 'aria-hidden': 'true', 'data-testid': 'compare-trend' },
    svg('line', { x1: left, y1: y(0), x2: width - pad, y2: y(0), class: 'trend-axis' }),
    svg('line', { x1: left, y1: y(0.5), x2: width - pad, y2: y(0.5), class: 'trend-axis' }),
    svg('line', { x1: left, y1: y(1), x2: width - pad, y2: y(1), class: 'trend-axis' }),
    end(0), end(0.5),
    svg('polyline', { points: series.map((s, i) => `${x(i)},${y(s.probability)}`).join(' '), class: 'trend-line' }),
    ...series.map((s, i) => svg('circle', { cx: x(i), cy: y(s.probability), r: 4,
      class: s.entry === older || s.entry === newer ? 'trend-point picked' : 'trend-point' })));
  const trend = h('div', { className: 'trend-block' },
    h('h4', {}, t('compareTrend', { spot: spot.name, label: isolated(label) })),
    chart,
    h('ol', { className: 'small', dataset: { testid: 'compare-trend-values' } },
      ...series.map((s) => h('li', {}, `${when(s.entry)}: ${share(s.probability)}`))));

  // Measured change, when both photos give an estimate. The area is a share of each frame: frames of clearly
  // different sizes (in their photos' pixels) make that comparison weaker, and the page says so.
  const frames = [older, newer].map((entry) => entry.region?.[2]);
  const framesDiffer = frames.every((size) => size > 0) && Math.max(...frames) / Math.min(...frames) > 1.25;
  const percent = (v) => number(100 * v, 1);
  const swatch = (colour) => {
    const chip = h('span', { className: 'swatch' });
    chip.style.background = `rgb(${colour.join(' ')})`;
    return chip;
  };
  const measured = before === undefined || after === undefined ? h('p', { className: 'small' }, t('compareMeasuring'))
    : !before || !after ? h('p', { className: 'small', dataset: { testid: 'compare-change' } }, t('compareNoEstimate'))
      : h('div', { dataset: { testid: 'compare-change' } },
        framesDiffer ? h('p', { className: 'small', dataset: { testid: 'compare-frames-differ' } },
          t('compareFramesDiffer', { older: number(frames[0], 0), newer: number(frames[1], 0) })) : null,
        h('p', {}, t('compareArea', { before: percent(before.area), after: percent(after.area),
          change: `${after.area >= before.area ? '+' : '−'}${percent(Math.abs(after.area - before.area))}` })),
        h('p', {}, t('compareColour'), ' ', swatch(before.colour), ' → ', swatch(after.colour),
          ` (${t('compareColourDifference', { difference: number(Math.hypot(...after.colour.map((c, i) => c - before.colour[i])), 0) })})`),
        h('p', { className: 'small' }, t('compareEstimateNote')));
  return [h('div', { className: 'comparison' }, ...figures), swipe, trend, measured];
}
