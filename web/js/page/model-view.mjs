// @ts-check
// The model card: the model's name and its card (what it was trained on, what it is for, its limits and
// metrics), the download and preparation progress, and the own-model controls (load, stop, back to the bundled).
import { STRINGS } from '../i18n.mjs';
import { h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function modelView({ $, words, store, actions }) {
  const { t, localized, isolated, withStepName, megabytes, number } = words;
  $('use-bundled-model').addEventListener('click', () => actions.useBundledModel());
  $('own-model-load').addEventListener('click', () => actions.loadOwnModel($('own-model-onnx').files?.[0], $('own-model-json').files?.[0]));
  $('own-model-stop').addEventListener('click', () => actions.stopOwnModel('load_stopped'));
  $('model-picker').addEventListener('change', () => actions.chooseSiteModel($('model-picker').value));

  // A model's metrics as a nested list; names the catalogue knows are translated, others are shown as given.
  const metricsList = (metrics) => h('ul', {}, ...Object.entries(metrics ?? {}).map(([key, value]) => {
    const name = STRINGS[store.get().language][`metric_${key}`] ?? key;
    return value && typeof value === 'object' ? h('li', {}, `${name}:`, metricsList(value))
      : h('li', {}, `${name}: ${typeof value === 'number' ? number(value, 4) : value}`);
  }));

  store.watch(['modelInfo', 'language'], ({ modelInfo }) => {
    if (!modelInfo) return;
    const { config } = modelInfo;
    $('model-name').textContent = `${isolated(config.name)}${config.version ? ` (${isolated(config.version)})` : ''}`;
    const { card } = config;
    const rows = [['cardSummary', localized(card.summary)], ['cardData', localized(card.data)],
      ['cardIntendedUse', localized(card.intendedUse)], ['cardLimits', localized(card.limits)],
      ['cardMetrics', metricsList(card.metrics)], ['cardLicence', card.licence],
      ['cardProvenance', localized(card.provenance)],
      ['cardGate', config.gate.outOfDistribution ? t('gateOodPresent') : t('gateNoOodCheckShort')]];
    document.querySelector('[data-testid="model-card"] .card-list')
      .replaceChildren(...rows.flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value || '—')]));
  });

  // The download (a bar with megabytes), then the preparation (indeterminate; a person's own model is prepared
  // step by step, seconds for a large graph, and each step is named as it starts).
  store.watch(['loading', 'language'], ({ loading }) => {
    const bar = $('model-progress');
    const text = $('model-progress-text');
    bar.hidden = !loading.shown;
    text.hidden = !loading.shown;
    const known = loading.phase === 'download' && loading.total > 0;
    bar.classList.toggle('indeterminate', !known);
    if (known) {
      const share = Math.min(100, (100 * loading.loaded) / loading.total);
      bar.querySelector('.progress-fill').style.transform = `scaleX(${share / 100})`;
      bar.setAttribute('aria-valuenow', share.toFixed(0));
      text.textContent = t('downloadProgress', { loaded: megabytes(loading.loaded), total: megabytes(loading.total) });
    } else {
      bar.removeAttribute('aria-valuenow');
      text.textContent = loading.phase === 'download' ? ''
        : loading.step ? t('preparingStep', withStepName(loading.step)) : t('preparingRuntime');
    }
  });
  // The site's models, when it was built with several: each by its name and version; the one in use chosen. No
  // second choice while a model loads.
  store.watch(['siteModels', 'siteModel', 'ownModel', 'loading', 'language'], ({ siteModels, siteModel, ownModel, loading }) => {
    $('model-picker-field').hidden = siteModels.length < 2;
    if (siteModels.length < 2) return;
    const picker = $('model-picker');
    picker.replaceChildren(...siteModels.map((m) => new Option(`${isolated(m.name)}${m.version ? ` (${isolated(m.version)})` : ''}`, m.id)));
    picker.value = ownModel ? '' : siteModel;  // the person's own model is none of them
    picker.disabled = loading.shown;
  });
  store.watch(['offerBundled'], ({ offerBundled }) => {
    $('use-bundled-model').hidden = !offerBundled;
  });
  store.watch(['ownModelLoading'], ({ ownModelLoading }) => {
    $('own-model-stop').hidden = !ownModelLoading;
  });
}
