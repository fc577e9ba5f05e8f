// @ts-check
// The audit screen (for clinics and researchers): a folder of labelled photos chosen or dropped, checked against the
// model's labels, then measured as a patient would meet the model: accuracy with its 95% interval, recall by label
// (a label the model misses is flagged), the confusion matrix, calibration error, prediction-set coverage, the
// gate's acceptance and reasons, and the same by skin type. Printed as a report; the figures download as a card
// section for model.json. Everything is drawn from the store's `audit` rows (page/audit-actions.mjs).
import { bySkinType, cardMetrics, confusionMatrix, refusalCounts, summariseAudit, wilsonInterval } from '../audit.mjs';
import { personSentence } from '../errors.mjs';
import { h } from './dom.mjs';

// A label answered correctly for fewer than half of its photos is flagged: mislabelled photos, or a label the model
// does not recognise.
const LOW_RECALL = 0.5;

/** @param {import('./store.mjs').ViewContext} view */
export function auditView({ $, words: { t, localized, isolated }, store, actions }) {
  /** @type {import('./audit-actions.mjs').ChosenFile[]} */
  let chosen = [];
  const folderInput = $('audit-folder');
  const tableInput = $('audit-skin-types');
  const drop = $('audit-drop');
  const chooseAgain = () => actions.chooseAuditFolder(chosen, tableInput.files?.[0] ?? null);
  folderInput.addEventListener('change', () => {
    chosen = [...folderInput.files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    chooseAgain();
  });
  tableInput.addEventListener('change', () => chosen.length && chooseAgain());
  drop.addEventListener('dragover', (/** @type {DragEvent} */ event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (/** @type {DragEvent} */ event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    if (event.dataTransfer) actions.dropAuditFolder(event.dataTransfer);
  });
  $('audit-start').addEventListener('click', () => actions.startAudit());
  $('audit-stop').addEventListener('click', () => actions.stopAudit());
  $('audit-print').addEventListener('click', () => print());
  $('audit-download-card').addEventListener('click', () => downloadCard());

  const percent = (x) => (Number.isFinite(x)
    ? new Intl.NumberFormat(store.get().language, { style: 'percent', maximumFractionDigits: 1 }).format(x) : '—');
  const decimal = (x, digits) => (Number.isFinite(x)
    ? new Intl.NumberFormat(store.get().language, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(x) : '—');
  // A share of n photos and how far the truth may be from it.
  const withInterval = (fraction, n) => {
    if (!Number.isFinite(fraction) || !n) return '—';
    const { low, high } = wilsonInterval(fraction, n);
    return t('auditInterval', { share: percent(fraction), low: percent(low), high: percent(high), photos: n });
  };
  const interval = (fraction, n) => {
    if (!Number.isFinite(fraction) || !n) return '—';
    const { low, high } = wilsonInterval(fraction, n);
    return t('auditIntervalShort', { low: percent(low), high: percent(high) });
  };
  /** @param {import('./audit-actions.mjs').Sentence} said */
  const sentence = (said) => t(said.key, said.values);

  function figures(audit) {
    const { rows, model } = audit;
    const labels = model.labels;
    const summary = summariseAudit(rows, labels.length);
    const sets = model.predictionSets;
    const table = (head, body, props = {}) => h('table', props, h('thead', {}, h('tr', {}, ...head.map((cell) => h('th', { scope: 'col' }, cell)))),
      h('tbody', {}, ...body));
    const facts = [
      ['auditAcceptance', withInterval(summary.acceptance, summary.photos)],
      ['auditAccuracyAccepted', withInterval(summary.accuracyAccepted, summary.accepted)],
      ['auditAccuracyAll', withInterval(summary.accuracyAll, summary.photos)],
      ['auditEce', decimal(summary.ece, 3)],
      ...(sets ? [['auditCoverage', `${withInterval(summary.coverage, summary.withSets)} · ${t('auditCoverageTarget', { share: percent(sets.coverage) })}`],
        ['auditMeanSetSize', decimal(summary.meanSetSize, 2)]] : [['auditCoverage', t('auditNoSets')]]),
    ];
    const low = labels.map((_, k) => k).filter((k) => summary.recallPhotos[k] > 0 && summary.recall[k] < LOW_RECALL);
    const confusion = confusionMatrix(rows, labels.length);
    const reasons = Object.entries(refusalCounts(rows));
    const types = bySkinType(rows, labels.length);
    return [
      h('dl', { className: 'audit-facts', dataset: { testid: 'audit-summary' } }, ...facts.flatMap(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)])),
      h('h3', {}, t('auditRecallTitle')),
      low.length ? h('p', { className: 'audit-warning', dataset: { testid: 'audit-low-recall' } },
        t('auditLowRecall', { labels: low.map((k) => isolated(labels[k])).join(', ') })) : null,
      table([t('auditLabel'), t('auditPhotos'), t('auditRecall'), t('auditCi')], labels.map((label, k) => h('tr',
        { className: low.includes(k) ? 'low' : '', dataset: { testid: `audit-recall-${label.id}`, recall: String(summary.recall[k]) } },
        h('th', { scope: 'row' }, isolated(label)), h('td', {}, String(summary.recallPhotos[k])),
        h('td', {}, percent(summary.recall[k])), h('td', {}, interval(summary.recall[k], summary.recallPhotos[k])))),
      { dataset: { testid: 'audit-recall' } }),
      h('h3', {}, t('auditConfusionTitle')),
      table(['', ...labels.map((l) => l.id)], confusion.map((counts, k) => h('tr', {}, h('th', { scope: 'row' }, labels[k].id),
        ...counts.map((n, j) => h('td', { className: j === k ? 'diagonal' : '' }, String(n))))), { className: 'audit-confusion', dataset: { testid: 'audit-confusion' } }),
      h('h3', {}, t('auditGateTitle')),
      h('p', {}, reasons.length ? t('auditReasons', { reasons: reasons.map(([code, n]) => `${t(`reason_${code}`)}: ${n}`).join('; ') })
        : t('auditNoRefusals')),
      types.length ? h('h3', {}, t('auditBySkinType')) : null,
      types.length ? table([t('auditSkinType'), t('auditPhotos'), t('auditAcceptanceShort'), t('auditAccuracyShort'), t('auditCoverageShort')],
        types.map(({ type, summary: s }) => h('tr', {}, h('th', { scope: 'row' }, type), h('td', {}, String(s.photos)),
          h('td', {}, percent(s.acceptance)), h('td', {}, percent(s.accuracyAccepted)),
          h('td', {}, sets ? percent(s.coverage) : '—'))), { dataset: { testid: 'audit-skin-types-table' } }) : null,
      audit.skipped.length ? h('h3', {}, t('auditSkipped', { count: audit.skipped.length })) : null,
      audit.skipped.length ? h('ul', { dataset: { testid: 'audit-skipped' } }, ...audit.skipped.map(({ path, code }) =>
        h('li', {}, `${path}: ${t(personSentence({ code }).key)}`))) : null,
      h('p', { className: 'audit-caveat' }, t('auditCaveat')),
    ].filter(Boolean);
  }

  store.watch(['audit', 'modelInfo', 'language'], ({ audit, modelInfo }) => {
    const ids = modelInfo?.config.labels.map((/** @type {{id: string}} */ l) => l.id) ?? [];
    $('audit-label-ids').textContent = ids.length ? t('auditLabelIds', { ids: ids.join(', ') }) : '';
    $('audit-problems').replaceChildren(...audit.problems.map((p) => h('li', {}, sentence(p))));
    $('audit-problems').hidden = !audit.problems.length;
    $('audit-notes').replaceChildren(...audit.notes.map((p) => h('li', {}, sentence(p))));
    const busy = audit.phase === 'running';
    $('audit-start').hidden = busy;
    $('audit-start').disabled = !['ready', 'stopped', 'done'].includes(audit.phase);
    $('audit-stop').hidden = !busy;
    folderInput.disabled = busy;
    tableInput.disabled = busy;
    const total = audit.photos.length;
    const bar = $('audit-progress');
    bar.hidden = !busy;
    const fraction = total ? audit.done / total : 0;
    bar.querySelector('.progress-fill').style.transform = `scaleX(${fraction})`;
    bar.setAttribute('aria-valuenow', (100 * fraction).toFixed(0));
    const counts = { done: audit.done, total, labels: audit.model?.labels.length ?? 0, skipped: audit.skipped.length };
    const status = {
      idle: '', reading: t('auditReading'), invalid: t('auditInvalid'), ready: t('auditReady', counts), running: t('auditRunning', counts),
      stopped: t('auditStopped', counts), done: t('auditDone', counts),
      failed: audit.error ? `${t('auditFailed')} ${t(personSentence(audit.error).key)}` : t('auditFailed'),
    }[audit.phase];
    $('audit-status').textContent = status;
    const measured = audit.rows.length > 0 && ['stopped', 'done', 'failed'].includes(audit.phase);
    $('audit-results').hidden = !measured;
    $('audit-actions').hidden = !measured;
    if (measured) $('audit-results').replaceChildren(...figures(audit));
  });

  /** The card's measured section, as `dermcam pack` writes it, under card.metrics.audit, for model.json. */
  function downloadCard() {
    const { audit } = store.get();
    if (!audit.rows.length) return;
    const labels = audit.model.labels;
    const section = { card: { metrics: { audit: { date: new Date(audit.startedAt ?? Date.now()).toISOString().slice(0, 10),
      model: `${localized(audit.model.name)}${audit.model.version ? ` ${audit.model.version}` : ''}`,
      ...(audit.phase === 'done' ? {} : { complete: false }),
      ...cardMetrics(summariseAudit(audit.rows, labels.length), labels, bySkinType(audit.rows, labels.length)) } } } };
    const url = URL.createObjectURL(new Blob([`${JSON.stringify(section, null, 2)}\n`], { type: 'application/json' }));
    const link = h('a', { href: url, download: 'audit-card.json' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** The report on its own printed page: title, date, model, the figures, the caveat. */
  function print() {
    const { audit, language } = store.get();
    if (!audit.rows.length) return;
    const page = $('audit-report');
    page.replaceChildren(h('h1', {}, t('auditReportTitle')),
      h('dl', { className: 'audit-facts' }, h('dt', {}, t('reportDate')), h('dd', {}, new Date().toLocaleString(language)),
        h('dt', {}, t('reportModel')), h('dd', {}, `${isolated(audit.model.name)}${audit.model.version ? ` ${isolated(audit.model.version)}` : ''}`),
        h('dt', {}, t('auditPhotos')), h('dd', {}, $('audit-status').textContent)),
      ...figures(audit));
    // The printed copy is a copy: the test ids stay the screen's own.
    for (const element of page.querySelectorAll('[data-testid]')) element.removeAttribute('data-testid');
    document.body.classList.add('printing-audit');
    window.addEventListener('afterprint', () => document.body.classList.remove('printing-audit'), { once: true });
    window.print();
  }
}
