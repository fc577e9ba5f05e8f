// @ts-check
// The doctor's report: a printed page (or a PDF from the print dialog) with the photo, the map, the finding with its
// likelihood in words, every class's share, the method, the framed region, the date, the model and its note; in
// the page's language. Filled from the store's shown result just before printing.
import { cannotTellApart } from '../likelihood.mjs';
import { h } from './dom.mjs';

/**
 * @param {import('./store.mjs').ViewContext} view
 * @returns {{print: () => void}}
 */
export function reportView({ $, words: { t, localized, isolated, share, likelihood, classList }, store }) {
  function fill() {
    const { result, modelInfo: { config }, methods, region, language } = store.get();
    const top = result.predictions[0];
    /** @type {Array<{probability: number, label: object}>} */
    const predictions = result.predictions;
    const unsure = result.forced ? [] : cannotTellApart(predictions, result.predictionSet);
    const facts = [
      ['reportDate', new Date().toLocaleString(language)],
      ['reportModel', `${isolated(config.name)}${config.version ? ` ${isolated(config.version)}` : ''}`],
      ['reportFinding', result.forced ? `${isolated(top.label)} (${t('forcedShare', { share: share(top.probability) })})`
        : result.predictionSet?.length > 1 ? `${isolated(top.label)}: ${t('findingInSet', { share: share(top.probability) })}`
          : `${isolated(top.label)}: ${t('findingLikelihood', { likelihood: likelihood(top.probability), share: share(top.probability) })}`],
      // The classes the model cannot tell apart (its prediction set, with how often such a set is right).
      ...(unsure.length ? [['reportCannotTellApart', `${classList(unsure.map((p) => p.label))}${result.predictionSet && result.coverage
        ? ` (${t('predictionSetCoverage', { share: new Intl.NumberFormat(language, { style: 'percent' }).format(result.coverage) })})` : ''}`]] : []),
      ['reportMethod', `${methods.methods.find((m) => m.id === result.method)?.label ?? result.method}, ${isolated(result.explainedClass.label)}`],
      ...(region ? [['reportRegion', t('reportRegionValue', { x: region[0], y: region[1], width: region[2], height: region[3] })]] : []),
    ];
    document.querySelector('.report-facts').replaceChildren(...facts.flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]));
    $('report-photo').src = $('original').toDataURL('image/jpeg', 0.9);
    $('report-map').src = $('overlay').toDataURL('image/png');
    document.querySelector('.report-predictions')
      .replaceChildren(...result.predictions.map((p) => h('li', {}, `${isolated(p.label)}: ${share(p.probability)}`)));
    const note = [result.forced ? t('gateForcedBanner') : '', localized(config.card.resultNote)].filter(Boolean).join(' ');
    document.querySelector('.report-note').textContent = note;
    $('report-page').dataset.ready = 'true';
  }

  return {
    /** Fills the report from what is shown and opens the browser's print dialog (which also saves a PDF). */
    print() {
      if (!store.get().result) return;
      fill();
      window.print();
    },
  };
}
