// @ts-check
// "How faithful is this map" (on request): the progress of the measurement (or that it waits for the map being
// computed), then the verdict against a random map and the metrics, each with what it means.
import { h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function faithfulnessView({ $, words: { t, number }, store, actions }) {
  $('faithfulness-run').addEventListener('click', () => actions.measureMap());
  $('faithfulness-cancel').addEventListener('click', () => actions.stopMeasuring());

  store.watch(['metrics', 'language'], ({ metrics, language }) => {
    const { phase, loaded, total, values: m } = metrics;
    $('faithfulness-run').disabled = phase === 'waiting' || phase === 'running';
    $('faithfulness-progress').hidden = phase !== 'waiting' && phase !== 'running';
    if (phase === 'waiting') {
      $('faithfulness-progress-bar').removeAttribute('value');  // indeterminate: the map comes first
      $('faithfulness-progress-text').textContent = t('metricsWaiting');
    } else if (phase === 'running') {
      $('faithfulness-progress-bar').value = total ? (100 * loaded) / total : 0;
      $('faithfulness-progress-text').textContent = t('faithfulProgress', { done: loaded, total });
    }
    const verdict = $('faithfulness-verdict');
    const results = $('faithfulness-results');
    verdict.hidden = phase !== 'done';
    results.hidden = phase !== 'done';
    if (phase !== 'done') {
      results.replaceChildren();
      return;
    }
    const n = (v) => number(v, 3);
    verdict.textContent = t(m.beats_random ? 'faithfulBeats' : 'faithfulNotBetter',
      { value: n(m.deletion_auc), random: n(m.random_deletion_auc) });
    verdict.dataset.beatsRandom = String(m.beats_random);
    const percent = new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 });
    const rows = [['faithfulDeletion', n(m.deletion_auc), 'faithfulDeletionHelp'],
      ['faithfulInsertion', n(m.insertion_auc), 'faithfulInsertionHelp'],
      ['faithfulRoad', n(m.road_combined), 'faithfulRoadHelp'],
      ['faithfulDrop', percent.format(m.average_drop), 'faithfulDropHelp'],
      ['faithfulIncrease', t(m.increase_in_confidence ? 'yes' : 'no'), 'faithfulIncreaseHelp']];
    results.replaceChildren(...rows.flatMap(([name, value, help]) =>
      [h('dt', {}, `${t(name)}: ${value}`), h('dd', { className: 'small' }, t(help))]));
  });
}
