// @ts-check
// The result card: the finding in words (a forced result, from a photo that failed the checks, never in the
// patient's words: no likelihood, no advice), the classes the model cannot tell apart, the predictions, the
// explanation's controls and status, and the exports. Every control's value comes from the store; a change
// goes to the actions (a new map from the worker, or only a repaint).
import { cannotTellApart, likelihoodBand } from '../likelihood.mjs';
import { drawImage, h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function resultView({ $, words, store, actions }) {
  const { t, localized, isolated, share, likelihood, classList } = words;
  const onInput = (id, event, control) => $(id).addEventListener(event, () => actions.setControls(control($(id))));
  onInput('method', 'change', (select) => ({ method: select.value }));
  onInput('class', 'change', (select) => ({ classIndex: Number(select.value) }));
  onInput('eigen-smooth', 'change', (box) => ({ eigenSmooth: box.checked }));
  onInput('aug-smooth', 'change', (box) => ({ augSmooth: box.checked }));
  onInput('colormap', 'change', (select) => ({ colormap: select.value }));
  onInput('outline', 'change', (box) => ({ outline: box.checked }));
  onInput('opacity', 'input', (range) => ({ opacity: Number(range.value) }));
  onInput('compare', 'input', (range) => ({ compare: Number(range.value) }));
  $('method-cancel').addEventListener('click', () => actions.stopMethod());
  $('download').addEventListener('click', () => actions.download());
  $('download-raw').addEventListener('click', () => actions.downloadRaw());
  $('report').addEventListener('click', () => actions.printReport());
  $('report-patient-note').addEventListener('input', () => store.set({ patientNote: $('report-patient-note').value }));
  store.watch(['patientNote'], ({ patientNote }) => {
    if ($('report-patient-note').value !== patientNote) $('report-patient-note').value = patientNote;
  });
  $('new-photo').addEventListener('click', () => actions.startOver());

  const barFill = (probability) => {
    const fill = h('span');
    fill.style.width = `${100 * probability}%`;
    return fill;
  };
  let shownDisplay = null;
  store.watch(['result', 'modelInfo', 'language'], ({ result, modelInfo }) => {
    if (!result) return;
    if (result.display !== shownDisplay) {
      drawImage($('original'), result.display);
      $('compare-view').style.aspectRatio = `${result.display.width} / ${result.display.height}`;
      shownDisplay = result.display;
    }
    $('result').dataset.forced = String(Boolean(result.forced));
    $('result').dataset.format = result.photo?.format ?? '';
    const top = result.predictions[0];
    // The model's own prediction set names several classes: no likelihood words for the top one (they would say
    // more than the model can), only its share and that it cannot tell.
    const inSet = !result.forced && result.predictionSet?.length > 1;
    const finding = $('finding');
    finding.replaceChildren(
      h('span', {}, t(result.forced ? 'findingForcedLead' : 'findingLead')),
      h('strong', { dir: 'auto' }, localized(top.label)),  // isolates the label from the words and number around it
      h('span', { dataset: { testid: 'finding-likelihood' } }, result.forced ? t('forcedShare', { share: share(top.probability) })
        : inSet ? t('findingInSet', { share: share(top.probability) })
          : t('findingLikelihood', { likelihood: likelihood(top.probability), share: share(top.probability) })));
    finding.dataset.label = top.label.id;
    finding.dataset.band = result.forced ? 'forced' : inSet ? 'set' : likelihoodBand(top.probability);
    /** @type {Array<{probability: number, label: object}>} */
    const predictions = result.predictions;
    const unsure = result.forced ? [] : cannotTellApart(predictions, result.predictionSet);
    $('cannot-tell-apart').hidden = unsure.length === 0;
    // A model's own prediction set says how often such a set holds the right answer (web/js/conformal.mjs).
    const coverage = result.predictionSet && result.coverage
      ? ` ${t('predictionSetCoverage', { share: new Intl.NumberFormat(store.get().language, { style: 'percent' }).format(result.coverage) })}` : '';
    $('cannot-tell-apart').textContent = unsure.length ? `${t('cannotTellApart', { classes: classList(unsure.map((p) => p.label)) })}${coverage}` : '';
    $('advice').hidden = Boolean(result.forced);
    $('advice').textContent = top.label.advice ? localized(top.label.advice) : t('adviceGeneric');
    $('low-confidence').hidden = !result.lowConfidence;
    $('forced-banner').hidden = !result.forced;
    const note = modelInfo?.config.card.resultNote;
    $('result-note').textContent = note ? localized(note) : '';
    $('result-note').hidden = !note;
    $('no-ood-check').hidden = Boolean(result.gate?.outOfDistributionCheck);
    $('predictions').replaceChildren(...result.predictions.map((p) => h('li',
      { dataset: { label: p.label.id, probability: p.probability.toFixed(6) } },
      h('span', {}, `${isolated(p.label)}: ${share(p.probability)}`),
      // The text says the number; the bar only shows it.
      h('span', { className: 'bar', 'aria-hidden': 'true' }, barFill(p.probability)))));
  });

  // What the shown map is: its status (a flat or failed map says so) and its name for screen readers.
  const methodLabel = (methods, id) => methods?.methods.find((m) => m.id === id)?.label ?? id;
  store.watch(['result', 'methods', 'language'], ({ result, methods }) => {
    if (!result) return;
    const box = $('cam-status');
    box.hidden = result.status === 'ok';
    box.textContent = result.status === 'ok' ? '' : t(`cam_${result.status}`);
    box.dataset.status = result.status;
    const label = isolated(result.explainedClass.label);
    const method = methodLabel(methods, result.method);
    const against = result.comparedWith
      ? `, ${t('overlay_compared_with', { classes: result.comparedWith.map((c) => isolated(c.label)).join(', ') })}` : '';
    $('overlay').setAttribute('aria-label', `${t('overlay')}: ${label}, ${method}${against}`);
    $('overlay-caption').textContent = `${t('overlay')}: ${label} (${method}${against})`;
  });

  // The shown map's quick check (map-check.mjs) in plain words; for a patient a map that failed is faded, so it is
  // not read as where the finding is.
  store.watch(['mapCheck', 'result', 'clinicianMode', 'language'], ({ mapCheck, result, clinicianMode }) => {
    const box = $('map-check');
    const check = mapCheck?.of === result ? mapCheck.values : undefined;
    box.hidden = !result || check === undefined;
    const failed = Boolean(check && (check.failed || !check.passed));
    $('compare-view').classList.toggle('unreliable', failed && !clinicianMode);
    if (box.hidden) return;
    box.dataset.verdict = check === null ? 'running' : check.failed ? 'unchecked' : check.passed ? 'passed' : 'failed';
    if (check === null) box.textContent = t('mapCheckRunning');
    else if (check.failed) box.textContent = t('mapCheckUnchecked');
    // Only what was tested is claimed: the mirror test runs for gradient methods only (flipStable null otherwise).
    else if (check.passed) box.textContent = t(check.flipStable === null ? 'mapCheckPassedNoMirror' : 'mapCheckPassed');
    else {
      const why = [!check.beatsRandom && t('mapCheckNotBetterThanRandom'), check.flipStable === false && t('mapCheckMovesMirrored'),
        !check.changesWithModel && t('mapCheckSameForAnyModel')].filter(Boolean);
      box.textContent = `${t('mapCheckFailed')} ${why.join(' ')}`;
    }
  });

  // The choices (methods by their proper names, colour maps, the model's classes), then the chosen values.
  store.watch(['methods', 'modelInfo', 'language'], ({ methods, modelInfo }) => {
    if (!methods || !modelInfo) return;
    $('method').replaceChildren(...methods.methods.map((m) => new Option(m.label, m.id)));
    $('colormap').replaceChildren(...methods.colormaps.map((c) => new Option(t(`colormap_${c.id}`), c.id)));
    $('class').replaceChildren(...modelInfo.config.labels.map((label, i) => new Option(isolated(label), String(i))));
  });
  const setValue = (element, property, value) => {
    if (element[property] !== value) element[property] = value;  // a drag in progress is not disturbed
  };
  store.watch(['controls', 'methods', 'modelInfo', 'language'], ({ controls, methods }) => {
    setValue($('method'), 'value', controls.method);
    setValue($('class'), 'value', controls.classIndex === null ? '' : String(controls.classIndex));
    setValue($('colormap'), 'value', controls.colormap);
    setValue($('eigen-smooth'), 'checked', controls.eigenSmooth);
    setValue($('aug-smooth'), 'checked', controls.augSmooth);
    setValue($('outline'), 'checked', controls.outline);
    setValue($('opacity'), 'value', String(controls.opacity));
    setValue($('compare'), 'value', String(controls.compare));
    $('compare-view').style.setProperty('--split', `${controls.compare}%`);
    $('method-help').textContent = t(`method_help_${controls.method.replace(/[^a-z]/g, '_')}`);
    // pytorch-grad-cam's FinerCAM, Score-CAM and Ablation-CAM have no aug_smooth, and neither have ours; the
    // input-space methods (RISE, occlusion) make their map from the photo, with no layer to smooth.
    const method = methods?.methods.find((m) => m.id === controls.method);
    $('aug-smooth').disabled = (method?.target ?? 'class') !== 'class';
    $('eigen-smooth').disabled = Boolean(method?.inputSpace);
    const forwardOnly = methods?.forwardOnly;
    $('methods-note').hidden = !forwardOnly;
    if (forwardOnly) $('methods-note').textContent = t('methodsForwardOnly', { op: forwardOnly.op ?? '?' });
  });

  // Perturbation methods (Score-CAM) run the model many times: their progress, with a way to stop.
  store.watch(['methodProgress', 'language'], ({ methodProgress }) => {
    $('method-progress').hidden = !methodProgress;
    if (!methodProgress) return;
    const { loaded, total } = methodProgress;
    $('method-progress-bar').value = total ? (100 * loaded) / total : 0;
    $('method-progress-text').textContent = t('methodProgress', { done: loaded, total });
  });
}
