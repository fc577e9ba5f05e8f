// @ts-check
// The doctor's report: a printed page (or a PDF from the print dialog) with the photo, the map, the finding with its
// likelihood in words, the advice, every class's share, the method, the framed region, the body site (the spot the
// check is kept under), the patient's note, the date, the model and its note; in the page's language. Filled from
// the store's shown result just before printing. The downloaded PNG carries the same essentials in a caption strip
// under the map (captionLines), so the file still says what it is once it is saved.
import { cannotTellApart } from '../likelihood.mjs';
import { h } from './dom.mjs';

/**
 * @param {import('./store.mjs').ViewContext} view
 * @returns {{print: () => void, captionLines: () => string[]}}
 */
export function reportView({ $, words: { t, localized, isolated, share, likelihood, classList }, store }) {
  // The spot this check is kept under, when keeping is on and one is picked (page/spots-view.mjs).
  function bodySite() {
    const { history } = store.get();
    const spot = history.enabled ? history.spots.find((s) => s.uid === history.currentSpot) : null;
    return spot ? `${spot.name}: ${t(`region_${spot.region}`)} (${t(spot.view === 'back' ? 'bodyBack' : 'bodyFront')})` : '';
  }
  const advice = (result) => (result.forced ? '' : result.predictions[0].label.advice ? localized(result.predictions[0].label.advice) : t('adviceGeneric'));
  const findingText = (result) => {
    const top = result.predictions[0];
    return result.forced ? `${isolated(top.label)} (${t('forcedShare', { share: share(top.probability) })})`
      : result.predictionSet?.length > 1 ? `${isolated(top.label)}: ${t('findingInSet', { share: share(top.probability) })}`
        : `${isolated(top.label)}: ${t('findingLikelihood', { likelihood: likelihood(top.probability), share: share(top.probability) })}`;
  };
  const modelText = (config) => `${isolated(config.name)}${config.version ? ` ${isolated(config.version)}` : ''}`;

  function fill() {
    const { result, modelInfo: { config }, methods, region, language, patientNote } = store.get();
    /** @type {Array<{probability: number, label: object}>} */
    const predictions = result.predictions;
    const unsure = result.forced ? [] : cannotTellApart(predictions, result.predictionSet);
    const facts = [
      ['reportDate', new Date().toLocaleString(language)],
      ['reportModel', modelText(config)],
      ['reportFinding', findingText(result)],
      ...(advice(result) ? [['reportAdvice', advice(result)]] : []),
      // The classes the model cannot tell apart (its prediction set, with how often such a set is right).
      ...(unsure.length ? [['reportCannotTellApart', `${classList(unsure.map((p) => p.label))}${result.predictionSet && result.coverage
        ? ` (${t('predictionSetCoverage', { share: new Intl.NumberFormat(language, { style: 'percent' }).format(result.coverage) })})` : ''}`]] : []),
      ['reportMethod', `${methods.methods.find((m) => m.id === result.method)?.label ?? result.method}, ${isolated(result.explainedClass.label)}`],
      ...(region ? [['reportRegion', t('reportRegionValue', { x: region[0], y: region[1], width: region[2], height: region[3] })]] : []),
      ...(bodySite() ? [['reportBodySite', bodySite()]] : []),
      ...(patientNote.trim() ? [['reportPatientNote', patientNote.trim()]] : []),
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
    /**
     * The caption strip's lines for the PNG of the result shown: the finding, the advice, the body site, the date
     * and the model, the disclaimer; in the page's language.
     * @returns {string[]}
     */
    captionLines() {
      const { result, modelInfo: { config }, language } = store.get();
      return [findingText(result), advice(result), result.forced ? t('gateForcedBanner') : '', bodySite(),
        `${new Date().toLocaleString(language)} · ${modelText(config)}`, t('disclaimer')].filter(Boolean);
    },
    /** Fills the report from what is shown and opens the browser's print dialog (which also saves a PDF). */
    print() {
      if (!store.get().result) return;
      fill();
      window.print();
    },
  };
}
