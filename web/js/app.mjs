// @ts-check
// The page: UI only. Everything heavy happens in the worker (web/js/worker.mjs); every sentence comes from
// web/js/i18n.mjs. The flow: choose or take a photo -> frame the spot (web/js/framing.mjs) -> the result card
// (or the photo gate's refusal) -> optionally kept on this device (web/js/history.mjs) or printed for a doctor.
import { WorkerClient } from './bridge.mjs';
import { DermcamError, PHOTO_CODES, fixFor, personSentence } from './errors.mjs';
import { FramingSquare } from './framing.mjs';
import { STRINGS, pickLanguage } from './i18n.mjs';
import { cannotTellApart, formatNumber, likelihoodBand } from './likelihood.mjs';
import { DiagnosticsView } from './page/diagnostics-view.mjs';
import { HistoryView } from './page/history-view.mjs';
import { reportView } from './page/report-view.mjs';
import { wordsFor } from './page/words.mjs';

const DEFAULT_MODEL = new URL('../models/demo/', import.meta.url).href;
/**
 * The page's element with this test id. Typed `any`: the page's elements are of many kinds (inputs, canvases,
 * dialogs), and each use reads what its kind has.
 * @returns {any}
 */
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const client = new WorkerClient(new URL('./worker.mjs', import.meta.url));
const CLINICIAN_KEY = 'dermcam.clinicianMode';
// Clinician or researcher mode (Settings, kept on this device): only there may a photo refused as not skin be
// analysed anyway, and always after the confirmation.
const clinicianMode = () => localStorage.getItem(CLINICIAN_KEY) === '1';

const state = {
  language: pickLanguage(localStorage.getItem('dermcam.language'), navigator.languages),
  model: null,        // promise of the loaded model's description
  modelInfo: null,
  methods: null,
  file: null,         // the chosen photo, while it is being framed
  region: null,       // the framed part of it: [x, y, width, height] in photo pixels
  result: null,       // the shown result (predictions + explanation)
  refused: null,      // the gate's verdict on a refused photo, while no result is shown for it
  error: null,
  busy: false,
  statusKey: null,
};

const words = wordsFor(() => state.language);
const { t, localized, isolated, share, likelihood, classList } = words;
const diagnosticsView = new DiagnosticsView({ words, language: () => state.language,
  diagnostics: () => client.request('diagnostics') });
const doctorsReport = reportView({ $, words, language: () => state.language });
const historyView = new HistoryView({ $, words, language: () => state.language, setStatus: (key) => setStatus(key) });

// How many of the photo's pixels the square holds, and a warning when that is fewer than the model reads.
function showFramePixels(region = framing.region()) {
  const side = region[2];
  const model = state.modelInfo?.config.input.width;
  const small = model && side < model;
  $('frame-pixels').textContent = t(small ? 'frameRegionSmall' : 'frameRegionSize', { side: formatNumber(side, state.language), model });
  $('frame-pixels').classList.toggle('frame-pixels-small', Boolean(small));
  $('frame-pixels').dataset.small = String(Boolean(small));
}
const framing = new FramingSquare({ stage: $('frame-stage'), canvas: $('preview'), box: $('frame-box'), size: $('frame-size'),
  onChange: (region) => showFramePixels(region) });

function applyLanguage() {
  document.documentElement.lang = state.language;
  $('clinician-mode').checked = clinicianMode();
  document.title = t('title');
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-i18n]'))) element.textContent = t(element.dataset.i18n);
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-i18n-label]'))) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-language]'))) {
    button.setAttribute('aria-pressed', String(button.dataset.language === state.language));
  }
  if (state.modelInfo) {
    showModel(state.modelInfo);
    fillSelects();
  }
  if (state.result) showResultText(state.result);
  if (state.refused) showRefusal(state.refused);
  if (state.error) showError(state.error);
  setStatus(state.statusKey, state.statusValues);
  historyView.refresh();
  if (state.result) diagnosticsView.refresh();
  showCheckButton();
  if (state.file) showFramePixels();
  document.documentElement.dataset.ready = 'true';  // app.css shows the page from here on
}

function setStatus(key, values) {
  state.statusKey = key;  // kept, so a language switch re-translates it
  state.statusValues = values;
  $('status').textContent = key ? t(key, withStepName(values)) : '';
}

// A step's name is kept as its key, so a language switch during a long preparation re-translates it too.
const withStepName = (values) => (values?.stepKey ? { ...values, step: t(values.stepKey) } : values);

// Errors: a sentence from the catalogue for the person (web/js/errors.mjs picks it from the error's code and
// params), the engine's own text (for a developer) folded under it.
function showError(error, { reveal = false } = {}) {
  state.error = error;
  const box = $('error');
  const { key, values } = personSentence(error, error.prefixKey);
  const lead = document.createElement('p');
  lead.textContent = t(key, values);
  box.replaceChildren(lead);
  if (error.noteKey) {
    const note = document.createElement('p');
    note.dataset.testid = 'error-note';
    note.textContent = t(error.noteKey);
    box.append(note);
  }
  if (!PHOTO_CODES.has(error.code)) {
    const details = document.createElement('details');
    details.open = error.prefixKey === 'errorModel';  // whoever loads their own model needs to know why it failed
    const summary = document.createElement('summary');
    summary.textContent = t('technicalDetails');
    const code = document.createElement('code');
    code.textContent = `${error.code ?? 'internal'}: ${error.message}`;
    details.append(summary, code);
    box.append(details);
  }
  // The button that fixes it, right there.
  const fix = fixFor(error, error.prefixKey, { ownModel: error.ownModel });
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'button primary';
  button.dataset.testid = 'error-fix';
  button.dataset.fix = fix;
  button.textContent = t({ retry: 'fixRetry', bundledModel: 'useBundledModel', choosePhoto: 'chooseAgain' }[fix]);
  button.addEventListener('click', () => {
    clearError();
    if (fix === 'choosePhoto') openPicker('photo-input');
    else if (fix === 'bundledModel') useBundledModel();
    else retryModel();
  });
  box.append(button);
  box.dataset.code = error.code ?? 'internal';
  box.hidden = false;
  setStatus(null);
  if (reveal) box.scrollIntoView({ block: 'center' });  // the answer to what the user just did: in view
}

function clearError() {
  state.error = null;
  $('error').hidden = true;
  $('error').replaceChildren();
}

function fail(error, prefixKey, noteKey, { ownModel = false } = {}) {
  if (error?.code === 'cancelled') return;  // a newer request took its place; it says what happened
  showError({ code: error?.code ?? 'internal', message: String(error?.message ?? error).slice(0, 2000),
    params: error?.params ?? {}, prefixKey, noteKey, ownModel }, { reveal: true });
}

// ---- the model -------------------------------------------------------------------------------------------

function showModel(info) {
  const { config } = info;
  $('model-name').textContent = `${isolated(config.name)}${config.version ? ` (${isolated(config.version)})` : ''}`;
  const card = document.querySelector('[data-testid="model-card"] .card-list');
  const rows = [['cardSummary', localized(config.card.summary)], ['cardData', localized(config.card.data)],
    ['cardIntendedUse', localized(config.card.intendedUse)], ['cardLimits', localized(config.card.limits)],
    ['cardMetrics', metricsList(config.card.metrics)], ['cardLicence', config.card.licence],
    ['cardProvenance', localized(config.card.provenance)],
    ['cardGate', config.gate.outOfDistribution ? t('gateOodPresent') : t('gateNoOodCheckShort')]];
  card.replaceChildren(...rows.flatMap(([key, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value || '—';
    return [dt, dd];
  }));
}

// A model's metrics as a nested list; names the catalogue knows are translated, others are shown as given.
function metricsList(metrics) {
  const list = document.createElement('ul');
  for (const [key, value] of Object.entries(metrics ?? {})) {
    const item = document.createElement('li');
    const name = STRINGS[state.language][`metric_${key}`] ?? key;
    if (value && typeof value === 'object') item.append(`${name}:`, metricsList(value));
    else item.textContent = `${name}: ${typeof value === 'number' ? formatNumber(value, state.language, 4) : value}`;
    list.append(item);
  }
  return list;
}

// The offline list names the cache the worker downloads into and the sizes behind the progress bar.
const PRECACHE = new URL('generated/precache.json', document.baseURI).href;

// Perturbation methods (Score-CAM) run the model many times: their progress, with a way to stop.
function showMethodProgress({ loaded, total }) {
  $('method-progress').hidden = false;
  $('method-progress-bar').value = total ? (100 * loaded) / total : 0;
  $('method-progress-text').textContent = t('methodProgress', { done: loaded, total });
}

function routeProgress(report) {
  if (report.label === 'perturbation') showMethodProgress(report);
  else if (report.label === 'preparing') showPreparing(report);
  else if (report.label === 'metrics') showMetricsProgress(report);
  else showProgress(report);
}

// ---- how faithful is this map (faithfulness metrics, on request) ------------------------------------------

let metricsRequest = null;

function showMetricsProgress({ loaded, total }) {
  $('faithfulness-progress').hidden = false;
  $('faithfulness-progress-bar').value = total ? (100 * loaded) / total : 0;
  $('faithfulness-progress-text').textContent = t('faithfulProgress', { done: loaded, total });
}

// A new map makes the last measurement stale: it is cleared, and a running one stopped; but a measurement
// asked for while that map was being computed waits for it (measureMap), unless the person stops it.
let metricsWaiting = false;
function clearMetrics({ byPerson = false } = {}) {
  if (metricsWaiting && !byPerson) return;
  metricsRequest?.abort();
  $('faithfulness-results').hidden = true;
  $('faithfulness-results').replaceChildren();
  $('faithfulness-verdict').hidden = true;
  $('faithfulness-progress').hidden = true;
  $('faithfulness-run').disabled = false;
}

async function measureMap() {
  clearMetrics({ byPerson: true });
  const controller = new AbortController();
  metricsRequest = controller;
  $('faithfulness-run').disabled = true;
  try {
    if (rendering) {
      // One long task at a time: the map being computed (Score-CAM: many runs) first, then its measurement.
      metricsWaiting = true;
      $('faithfulness-progress').hidden = false;
      $('faithfulness-progress-bar').removeAttribute('value');
      $('faithfulness-progress-text').textContent = t('metricsWaiting');
      await renderIdle;
      metricsWaiting = false;
      controller.signal.throwIfAborted();
    }
    showMetricsProgress({ loaded: 0, total: 0 });
    const m = await client.request('metrics', {}, { signal: controller.signal });
    const number = (v) => formatNumber(v, state.language, 3);
    const verdict = $('faithfulness-verdict');
    verdict.textContent = t(m.beats_random ? 'faithfulBeats' : 'faithfulNotBetter',
      { value: number(m.deletion_auc), random: number(m.random_deletion_auc) });
    verdict.dataset.beatsRandom = String(m.beats_random);
    verdict.hidden = false;
    const rows = [['faithfulDeletion', number(m.deletion_auc), 'faithfulDeletionHelp'],
      ['faithfulInsertion', number(m.insertion_auc), 'faithfulInsertionHelp'],
      ['faithfulRoad', number(m.road_combined), 'faithfulRoadHelp'],
      ['faithfulDrop', new Intl.NumberFormat(state.language, { style: 'percent', maximumFractionDigits: 1 }).format(m.average_drop), 'faithfulDropHelp'],
      ['faithfulIncrease', t(m.increase_in_confidence ? 'yes' : 'no'), 'faithfulIncreaseHelp']];
    $('faithfulness-results').replaceChildren(...rows.flatMap(([name, value, help]) => {
      const dt = document.createElement('dt');
      dt.textContent = `${t(name)}: ${value}`;
      const dd = document.createElement('dd');
      dd.className = 'small';
      dd.textContent = t(help);
      return [dt, dd];
    }));
    $('faithfulness-results').hidden = false;
  } catch (error) {
    if (!controller.signal.aborted) fail(error);
  } finally {
    metricsWaiting &&= metricsRequest !== controller;
    if (metricsRequest === controller) {
      metricsRequest = null;
      $('faithfulness-progress').hidden = true;
      $('faithfulness-run').disabled = false;
    }
  }
}

// The model's download, then its preparation: in the top card, and on the check button when the person waits.
let loading = { phase: 'download', loaded: 0, total: 0 };
const megabytes = (n) => new Intl.NumberFormat(state.language, { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n / 1e6);

function showPreparing({ loaded, total, step, index, count }) {
  loading = { phase: 'preparing', loaded, total };
  const bar = $('model-progress');
  bar.classList.add('indeterminate');
  bar.removeAttribute('aria-valuenow');
  // A person's own model is prepared step by step (seconds for a large graph): each step is named as it starts.
  const values = step && { index, count, stepKey: `prepareStep_${step}` };
  $('model-progress-text').textContent = values ? t('preparingStep', withStepName(values)) : t('preparingRuntime');
  if (values && ownModelLoad) setStatus('preparingStep', values);
  else if (state.statusKey === 'loadingModel') setStatus('preparingRuntime');
  showCheckButton();
}

function showCheckButton() {
  const button = $('analyse-region');
  const working = Boolean(analysis);
  button.setAttribute('aria-busy', String(working));
  if (!working) {
    button.style.removeProperty('--progress');
    $('analyse-progress').textContent = '';
    return;
  }
  let text;
  let share = 1;
  if (state.modelInfo && state.statusKey !== 'loadingModel' && state.statusKey !== 'preparingRuntime') text = t('buttonAnalysing');
  else if (loading.phase === 'preparing' || !loading.total) text = t('buttonPreparing');
  else {
    share = Math.min(1, loading.loaded / loading.total);
    text = t('buttonDownloading', { loaded: megabytes(loading.loaded), total: megabytes(loading.total) });
  }
  button.style.setProperty('--progress', String(share));
  $('analyse-progress').textContent = text;
}

function showProgress({ loaded, total }) {
  loading = { phase: 'download', loaded, total };
  showCheckButton();
  const bar = $('model-progress');
  const text = $('model-progress-text');
  bar.classList.toggle('indeterminate', !total);
  if (total) {
    const share = Math.min(100, (100 * loaded) / total);
    bar.querySelector('.progress-fill').style.transform = `scaleX(${share / 100})`;
    bar.setAttribute('aria-valuenow', share.toFixed(0));
    text.textContent = t('downloadProgress', { loaded: megabytes(loaded), total: megabytes(total) });
  } else {
    bar.removeAttribute('aria-valuenow');
    text.textContent = '';
  }
}

function ensureModel() {
  if (!state.model) {
    $('model-progress').hidden = false;
    $('model-progress-text').hidden = false;
    showProgress({ loaded: 0, total: 0 });
    setStatus('loadingModel');
    client.onProgress = routeProgress;
    state.model = loadModel({ folder: DEFAULT_MODEL, precache: PRECACHE });
  }
  return state.model;
}

// `previous` (a promise of the model in use, for a model the person brings): the worker keeps that model when
// the new one fails, and so does the page, result included.
async function loadModel(request, type = 'load', previous = null) {
  const own = type === 'loadLocal';
  try {
    const [info, methods] = await Promise.all([client.request(type, request), client.request('methods')]);
    if (previous) hideAnswers();  // the shown result was the previous model's
    state.modelInfo = info;
    state.methods = methods;
    state.ownModel = own;
    $('use-bundled-model').hidden = !own;
    if (!performance.getEntriesByName('dermcam:ready').length) performance.mark('dermcam:ready');  // for scripts/bench.mjs
    showModel(info);
    fillSelects();
    if (!state.busy) setStatus('modelReady');
    return info;
  } catch (error) {
    // Stopped: the worker, and the model it held, are gone (stopOwnModel); otherwise the previous model stays.
    const kept = error?.code === 'load_stopped' || error?.code === 'load_timeout' ? null : previous;
    state.model = kept;
    fail(error, 'errorModel', kept ? 'errorModelKept' : undefined, { ownModel: own });
    $('use-bundled-model').hidden = !own && !state.ownModel;
    throw error;
  } finally {
    $('model-progress').hidden = true;
    $('model-progress-text').hidden = true;
  }
}

// Back to the model the site ships, one tap from anywhere (the error box, the model card).
async function useBundledModel() {
  if (ownModelLoad) stopOwnModel('load_stopped');
  const previous = state.model?.catch(() => null);
  const kept = (await previous) ? previous : null;
  if (!kept || state.ownModel) {
    $('model-progress').hidden = false;
    $('model-progress-text').hidden = false;
    state.model = loadModel({ folder: DEFAULT_MODEL, precache: PRECACHE }, 'load', kept);
    await state.model.catch(() => {});
  }
  if (!state.ownModel && state.modelInfo) setStatus('bundledModelBack');
}

// A download that failed (the connection dropped): start it again.
function retryModel() {
  if (state.ownModel) return;
  state.model = null;
  ensureModel().catch(() => {});
}

function fillSelects() {
  const method = $('method');
  const previous = method.value;
  method.replaceChildren(...state.methods.methods.map((m) => new Option(m.label, m.id)));  // proper names
  method.value = previous || 'gradcam';
  showMethodHelp();
  const colormap = $('colormap');
  const previousMap = colormap.value;
  colormap.replaceChildren(...state.methods.colormaps.map((c) => new Option(t(`colormap_${c.id}`), c.id)));
  colormap.value = previousMap || 'jet';
  const select = $('class');
  const current = state.result?.explainedClass.index ?? select.value;
  select.replaceChildren(...state.modelInfo.config.labels.map((label, i) => new Option(isolated(label), String(i))));
  if (current !== undefined && current !== '') select.value = String(current);
}

function showMethodHelp() {
  $('method-help').textContent = t(`method_help_${$('method').value.replace(/[^a-z]/g, '_')}`);
  // pytorch-grad-cam's FinerCAM, Score-CAM and Ablation-CAM have no aug_smooth, and neither have ours.
  const target = state.methods?.methods.find((m) => m.id === $('method').value)?.target ?? 'class';
  $('aug-smooth').disabled = target !== 'class';
}

// ---- steps: choose, frame, result (history entries: the browser's Back and Forward move between them) -------

// Which card a step shows; a step whose content is gone (a new photo, a reload) falls back to the start.
function showStep(step) {
  if (step === 'frame' && !state.file) step = 'start';
  if (step === 'result' && !state.result && !state.refused) step = state.file ? 'frame' : 'start';
  state.step = step;
  document.body.dataset.step = step;
  $('framing').hidden = step !== 'frame';
  $('result').hidden = step !== 'result' || !state.result;
  $('refusal').hidden = step !== 'result' || !state.refused;
  return step;
}

function enterStep(step) {
  const previous = state.step;
  showStep(step);
  if (previous !== step) history.pushState({ dermcamStep: step }, '');
}

window.addEventListener('popstate', (event) => {
  $('anyway-dialog').close();
  const step = showStep(event.state?.dermcamStep ?? 'start');
  const focus = { start: 'pick-photo', frame: 'framing-heading', result: state.result ? 'result-heading' : 'refusal-heading' }[step];
  $(focus).focus({ preventScroll: true });
  $(focus).scrollIntoView({ block: 'center' });
});

function startOver() {
  hideAnswers();
  state.file = null;
  clearError();
  setStatus(null);
  enterStep('start');
  $('drop-zone').scrollIntoView({ block: 'start' });
  $('pick-photo').focus();
}

// ---- choosing and framing a photo -------------------------------------------------------------------------

function hideAnswers() {
  state.result = null;
  $('result').hidden = true;
  hideRefusal();
}

async function choose(file) {
  if (!file) return;
  cancelWork();  // a new photo replaces whatever was being analysed
  clearError();
  hideAnswers();
  ensureModel().catch(() => {});
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);  // upright, as the core decodes it (EXIF orientation applied)
  } catch {
    // Not a picture the browser can show: the core's analysis of the whole file says what is wrong with it.
    await analyse(file, undefined);
    return;
  }
  state.file = file;
  state.photoSize = { width: bitmap.width, height: bitmap.height };
  framing.show(bitmap);
  bitmap.close();
  enterStep('frame');
  $('framing-heading').focus({ preventScroll: true });
  $('framing').scrollIntoView({ block: 'start' });
}

// ---- analysis -----------------------------------------------------------------------------------------------

// What the worker needs to compute a map (the class is the model's top one for a new photo).
function renderOptions() {
  return {
    method: $('method').value || 'gradcam',
    classIndex: state.result ? Number($('class').value) : undefined,
    eigenSmooth: $('eigen-smooth').checked,
    augSmooth: $('aug-smooth').checked,
  };
}

// How the map looks: the page composites these itself (no worker round trip), and the PNG export uses them.
function looks() {
  return { colormap: $('colormap').value || 'jet', opacity: Number($('opacity').value), outline: $('outline').checked,
    box: $('outline').checked };
}

// A new photo's first explanation: the class is the model's top one, not the one chosen for the previous photo.
function firstRenderOptions() {
  const options = renderOptions();
  delete options.classIndex;
  return options;
}

// The running analysis (or analysis anyway) and render, so that a newer request can cancel them.
let analysis = null;
let renderRequest = null;
let wantedRender = null;  // the render to send once the one in flight has ended
let rendering = false;

function cancelWork() {
  analysis?.abort();
  renderRequest?.abort();
  wantedRender = null;
}

// A photo above the core's decode limit (wasm/decode.h: 50 MP; a 64 MP phone photo) that the browser could
// decode for framing is shrunk by the browser to just under the limit and sent as a JPEG (quality 0.95), the
// square scaled with it: the model reads a 128-pixel square either way. Only where even the browser cannot
// decode it does the core's refusal (image_too_large) stand.
const MAX_PHOTO_PIXELS = 50e6;
async function photoWithinLimit(file, region) {
  const { width = 0, height = 0 } = state.file === file ? state.photoSize ?? {} : {};
  if (width * height <= MAX_PHOTO_PIXELS || typeof OffscreenCanvas !== 'function') return { bytes: await file.arrayBuffer(), region };
  const scale = Math.sqrt((0.98 * MAX_PHOTO_PIXELS) / (width * height));
  const [w, h] = [Math.floor(width * scale), Math.floor(height * scale)];
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  } catch {
    return { bytes: await file.arrayBuffer(), region };  // the core says why it cannot read it
  }
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
  // floor(a) + floor(b) <= floor(a + b): the scaled square stays inside the scaled photo.
  return { bytes: await blob.arrayBuffer(), region: region?.map((v, i) => (i < 2 ? Math.floor(v * scale) : Math.max(1, Math.floor(v * scale)))), shrunk: true };
}

let analysisCount = 0;
async function analyse(file, region) {
  if (!file) return;
  cancelWork();  // the latest photo wins; the worker drops the older one at its next stage
  const controller = new AbortController();
  analysis = controller;
  clearError();
  hideAnswers();
  state.busy = true;
  showCheckButton();  // within the tap's frame: the button says what happens next
  try {
    await ensureModel();
    controller.signal.throwIfAborted();
    setStatus('analysing');
    showCheckButton();
    const photo = await photoWithinLimit(file, region);
    const bytes = photo.bytes;
    controller.signal.throwIfAborted();
    const result = await client.request('analyse', { bytes, region: photo.region, render: firstRenderOptions() },
      { transfer: [bytes], signal: controller.signal });
    state.region = region ?? null;
    if (result.refused) {
      state.refused = result;
      draw($('refused-photo'), result.display);
      showRefusal(result);
      enterStep('result');
      setStatus('refusedStatus');
      // Bring the refusal into view and to screen readers: it is the answer to "analyse my photo".
      $('refusal-heading').focus();
      $('refusal').scrollIntoView({ block: 'start' });
      diagnosticsView.refresh();
    } else {
      await showResult(result);
    }
  } catch (error) {
    if (state.model && !controller.signal.aborted) fail(error);  // a failed model has said so; a cancelled one is replaced
  } finally {
    if (analysis === controller) {
      analysis = null;
      state.busy = false;
      showCheckButton();
    }
    document.body.dataset.analyses = String(++analysisCount);  // lets tests see that an analysis ended
  }
}

async function analyseAnyway() {
  $('anyway-dialog').close();
  if (!state.refused || state.busy) return;
  const controller = new AbortController();
  analysis = controller;
  state.busy = true;
  try {
    const result = await client.request('analyseAnyway', { render: firstRenderOptions() }, { signal: controller.signal });
    hideRefusal();
    await showResult(result);
  } catch (error) {
    fail(error);
  } finally {
    if (analysis === controller) {
      analysis = null;
      state.busy = false;
    }
  }
}

// A refused photo: what is wrong and how to take a better one. No condition name, no percentage, no heatmap.
function showRefusal(refused) {
  const list = $('refusal-reasons');
  const seen = new Set();
  list.replaceChildren(...refused.gate.reasons.filter((r) => !seen.has(r.code) && seen.add(r.code)).map((reason) => {
    const item = document.createElement('li');
    item.dataset.code = reason.code;
    item.textContent = t(`gate_${reason.code}`);
    return item;
  }));
  const notSkin = refused.gate.reasons.some((r) => r.code === 'not_skin');
  const offered = !notSkin || clinicianMode();
  $('analyse-anyway').hidden = !offered;
  $('anyway-hint').hidden = !offered;
  $('anyway-not-skin').hidden = offered;
}

// "Analyse anyway" asks first: the reasons the photo was refused and what its result is worth. Cancel is the
// default (Escape and the focused button).
function confirmAnyway() {
  if (!state.refused || state.busy) return;
  const codes = [...new Set(state.refused.gate.reasons.map((r) => r.code))];
  if (codes.includes('not_skin') && !clinicianMode()) return;
  $('anyway-reasons').replaceChildren(...codes.map((code) => {
    const item = document.createElement('li');
    item.textContent = t(`gate_${code}`);
    return item;
  }));
  $('anyway-dialog').showModal();
  $('anyway-cancel').focus();
}

function hideRefusal() {
  state.refused = null;
  $('refusal').hidden = true;
  $('refusal-reasons').replaceChildren();
}

function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
}

async function showResult(result) {
  state.result = result;
  if (!performance.getEntriesByName('dermcam:result').length) performance.mark('dermcam:result');  // for scripts/bench.mjs
  state.step = null;  // a new answer is a new history entry, even after "analyse anyway" on the same step
  enterStep('result');
  $('result').dataset.forced = String(Boolean(result.forced));
  $('result').dataset.format = result.photo?.format ?? '';
  draw($('original'), result.display);
  $('compare-view').style.aspectRatio = `${result.display.width} / ${result.display.height}`;
  fillSelects();
  showResultText(result);
  showExplanation(result);
  const top = result.predictions[0];
  // The announcement: a screen reader hears the finding, not "done".
  setStatus(result.forced ? 'resultAnnounceForced' : 'resultAnnounce',
    { label: isolated(top.label), likelihood: likelihood(top.probability), share: share(top.probability) });
  $('result-heading').focus({ preventScroll: true });
  $('result').scrollIntoView({ block: 'start' });
  diagnosticsView.refresh();
  if (historyView.enabled() && !result.forced) await historyView.keep(result, { config: state.modelInfo.config, region: state.region });
}

function showResultText(result) {
  const top = result.predictions[0];
  const finding = $('finding');
  // A forced result (a photo that failed the checks) is never said in the patient's words: no likelihood, no advice.
  const lead = document.createElement('span');
  lead.textContent = t(result.forced ? 'findingForcedLead' : 'findingLead');
  const name = document.createElement('strong');
  name.textContent = localized(top.label);
  name.dir = 'auto';  // isolates the label from the words and number around it
  const how = document.createElement('span');
  how.dataset.testid = 'finding-likelihood';
  how.textContent = result.forced ? t('forcedShare', { share: share(top.probability) })
    : t('findingLikelihood', { likelihood: likelihood(top.probability), share: share(top.probability) });
  finding.replaceChildren(lead, name, how);
  finding.dataset.label = top.label.id;
  finding.dataset.band = result.forced ? 'forced' : likelihoodBand(top.probability);
  /** @type {Array<{probability: number, label: object}>} */
  const predictions = result.predictions;
  const unsure = result.forced ? [] : cannotTellApart(predictions, result.predictionSet);
  $('cannot-tell-apart').hidden = unsure.length === 0;
  $('cannot-tell-apart').textContent = unsure.length ? t('cannotTellApart', { classes: classList(unsure.map((p) => p.label)) }) : '';
  $('advice').hidden = Boolean(result.forced);
  $('advice').textContent = top.label.advice ? localized(top.label.advice) : t('adviceGeneric');
  $('low-confidence').hidden = !result.lowConfidence;
  $('forced-banner').hidden = !result.forced;
  const note = state.modelInfo?.config.card.resultNote;
  $('result-note').textContent = note ? localized(note) : '';
  $('result-note').hidden = !note;
  $('no-ood-check').hidden = Boolean(result.gate?.outOfDistributionCheck);
  showPredictions(result);
  showCamStatus(result);
}

function showPredictions(result) {
  $('predictions').replaceChildren(...result.predictions.map((p) => {
    const item = document.createElement('li');
    item.dataset.label = p.label.id;
    item.dataset.probability = p.probability.toFixed(6);
    const name = document.createElement('span');
    name.textContent = `${isolated(p.label)}: ${share(p.probability)}`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');  // the text says the number; the bar only shows it
    const fill = document.createElement('span');
    fill.style.width = `${100 * p.probability}%`;
    bar.append(fill);
    item.append(name, bar);
    return item;
  }));
}

function showCamStatus(result) {
  const box = $('cam-status');
  box.hidden = result.status === 'ok';
  box.textContent = result.status === 'ok' ? '' : t(`cam_${result.status}`);
  box.dataset.status = result.status;
  const label = isolated(result.explainedClass.label);
  const method = state.methods?.methods.find((m) => m.id === result.method)?.label ?? result.method;
  const against = result.comparedWith
    ? `, ${t('overlay_compared_with', { classes: result.comparedWith.map((c) => isolated(c.label)).join(', ') })}` : '';
  $('overlay').setAttribute('aria-label', `${t('overlay')}: ${label}, ${method}${against}`);
  $('overlay-caption').textContent = `${t('overlay')}: ${label} (${method}${against})`;
}

// The overlay, composited on the page from the worker's heat layers (wasm/overlay.h): the heat coloured with
// the chosen colormap inside the rectangle the model saw, the outline and box lines, drawn over the photo with
// the chosen opacity. The same arithmetic as the core's blend (tested to agree within one level), at display rate.
const paint = { layers: null, heat: document.createElement('canvas'), heatImage: null,
  lines: document.createElement('canvas'), frame: 0, hasLines: false, spareIndex: null };

// Whole pixels at a time: RGBA bytes as one 32-bit word in the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const rgbaWord = (r, g, b) => (LITTLE_ENDIAN ? ((255 << 24) | (b << 16) | (g << 8) | r) : ((r << 24) | (g << 16) | (b << 8) | 255)) >>> 0;

function colourHeat() {
  const { layers } = paint;
  const table = state.methods.colormaps.find((c) => c.id === looks().colormap)?.table ?? state.methods.colormaps[0].table;
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
function drawLines() {
  const { layers } = paint;
  const { outline, box } = looks();
  const edges = box ? layers.boxEdges ?? [] : [];
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
    context.globalAlpha = Math.round(looks().opacity * 256) / 256;  // the core's 8.8 fixed-point opacity
    const [w, h] = [seen.x1 - seen.x0, seen.y1 - seen.y0];
    context.drawImage(paint.heat, seen.x0, seen.y0, w, h, seen.x0, seen.y0, w, h);
    context.globalAlpha = 1;
  }
  if (paint.hasLines) context.drawImage(paint.lines, 0, 0);
  canvas.dataset.stamp = String(++renderCount);  // lets tests (and assistive tools) see a new picture
}

// Slider drags ask for many frames: one composite per animation frame, the latest values win.
function requestComposite() {
  paint.frame ||= requestAnimationFrame(composite);
}

let renderCount = 0;
function showExplanation(result) {
  clearMetrics();
  paint.spareIndex = paint.layers?.index.length === result.layers.index.length ? paint.layers.index : null;
  paint.layers = result.layers;
  colourHeat();
  drawLines();
  composite();
  $('overlay').dataset.method = result.method;
  $('overlay').dataset.classIndex = String(result.explainedClass.index);
  $('overlay').dataset.status = result.status;
  showCamStatus(result);
}

// A new map from the worker (method, class, smoothing). The latest wins: a newer choice cancels the render
// in flight (the worker stops it at its next stage) and the ones in between are never sent.
function rerender() {
  if (!state.result) return;
  wantedRender = renderOptions();
  renderRequest?.abort();
  if (!rendering) pumpRenders();
}

let renderIdle = Promise.resolve();  // settles when the renders in flight have ended
async function pumpRenders() {
  rendering = true;
  let idle = () => {};
  renderIdle = new Promise((resolve) => {
    idle = resolve;
  });
  while (wantedRender) {
    const options = wantedRender;
    wantedRender = null;
    const controller = new AbortController();
    renderRequest = controller;
    try {
      // The index of the map before the shown one goes back to be written over (no new megabyte per render).
      const spareIndex = paint.spareIndex;
      paint.spareIndex = null;
      const result = await client.request('render', { render: options, spareIndex },
        { signal: controller.signal, transfer: spareIndex ? [spareIndex.buffer] : [] });
      state.result = { ...state.result, ...result };
      showExplanation(result);
      diagnosticsView.refresh();
    } catch (error) {
      fail(error);
    } finally {
      if (renderRequest === controller) renderRequest = null;
      if (!wantedRender) $('method-progress').hidden = true;
    }
  }
  rendering = false;
  idle();
}

// ---- exports: the PNG and the doctor's report (page/report-view.mjs) ------------------------------------------

async function download() {
  try {
    const png = await client.request('png', { looks: looks() });
    const url = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `dermcam-${state.result.explainedClass.label.id}-${state.result.method}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    fail(error);
  }
}

function printReport() {
  if (!state.result) return;
  doctorsReport.print({ result: state.result, config: state.modelInfo.config, methods: state.methods.methods, region: state.region });
}

// ---- your own model ---------------------------------------------------------------------------------------

// Preparing a model runs in the worker and cannot be interrupted between its steps, so Stop (and the time limit)
// end the worker itself: the model it held is gone with it, and the bundled model loads again on the next photo.
const OWN_MODEL_TIME_LIMIT_MS = 120_000;
let ownModelLoad = null;

function stopOwnModel(code) {
  if (!ownModelLoad) return;
  ownModelLoad = null;
  $('own-model-stop').hidden = true;
  client.restart(new DermcamError(code, code === 'load_timeout'
    ? `Loading the model took more than ${OWN_MODEL_TIME_LIMIT_MS / 1000} s and was stopped.` : 'Loading the model was stopped.'));
  state.model = null;
  hideAnswers();  // the worker that held the shown result is gone
}

async function loadOwnModel() {
  const onnxFile = $('own-model-onnx').files?.[0];
  const jsonFile = $('own-model-json').files?.[0];
  if (!onnxFile || ownModelLoad) return;
  const load = {};
  ownModelLoad = load;
  $('own-model-stop').hidden = false;
  const timer = setTimeout(() => stopOwnModel('load_timeout'), OWN_MODEL_TIME_LIMIT_MS);
  try {
    clearError();
    setStatus('preparingModel');
    // Both files go to the worker as bytes: it parses and checks the description as the CLI does.
    const [onnxBytes, configBytes] = await Promise.all([onnxFile.arrayBuffer(), jsonFile?.arrayBuffer()]);
    const previous = state.model?.catch(() => null);  // the bundled model may be loading (idle prefetch)
    const kept = (await previous) ? previous : null;  // a model that loaded stays in use if this one fails
    if (ownModelLoad !== load) return;  // stopped while the files were read
    state.model = loadModel({ onnxBytes, configBytes, precache: PRECACHE }, 'loadLocal', kept);
    await state.model.catch(() => {});
  } finally {
    clearTimeout(timer);
    if (ownModelLoad === load) {
      ownModelLoad = null;
      $('own-model-stop').hidden = true;
    }
  }
}

// ---- wiring -----------------------------------------------------------------------------------------------

function openPicker(id) {
  ensureModel().catch(() => {});  // start the download while the user chooses
  $(id).click();
}

function bind() {
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-language]'))) {
    button.addEventListener('click', () => {
      state.language = button.dataset.language;
      localStorage.setItem('dermcam.language', state.language);
      applyLanguage();
    });
  }
  $('pick-photo').addEventListener('click', () => openPicker('photo-input'));
  $('take-photo').addEventListener('click', () => openPicker('camera-input'));
  $('retake').addEventListener('click', () => openPicker('photo-input'));
  $('choose-again').addEventListener('click', () => openPicker('photo-input'));
  for (const id of ['photo-input', 'camera-input']) {
    const input = $(id);
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';
      choose(file);
    });
  }
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    choose(event.dataTransfer?.files?.[0]);
  });
  // A second tap while the first one's check runs (or waits for the model) is ignored, not restarted.
  $('analyse-region').addEventListener('click', () => {
    if (!analysis) analyse(state.file, framing.region());
  });
  $('new-photo').addEventListener('click', startOver);
  $('zoom-in').addEventListener('click', () => framing.zoomAt(1.5));
  $('zoom-out').addEventListener('click', () => framing.zoomAt(1 / 1.5));
  $('use-bundled-model').addEventListener('click', useBundledModel);
  for (const id of ['class', 'eigen-smooth', 'aug-smooth']) $(id).addEventListener('change', rerender);
  $('faithfulness-run').addEventListener('click', measureMap);
  $('faithfulness-cancel').addEventListener('click', () => {
    metricsWaiting = false;
    clearMetrics({ byPerson: true });
  });
  // Stopping a long map keeps the one on screen, and the controls go back to what it shows.
  $('method-cancel').addEventListener('click', () => {
    wantedRender = null;
    renderRequest?.abort();
    $('method-progress').hidden = true;
    if (state.result) {
      $('method').value = state.result.method;
      $('class').value = String(state.result.explainedClass.index);
      showMethodHelp();
    }
  });
  $('method').addEventListener('change', () => {
    showMethodHelp();
    rerender();
  });
  // Looks only: repainted here, no worker round trip.
  $('opacity').addEventListener('input', requestComposite);
  $('colormap').addEventListener('change', () => {
    if (!paint.layers) return;
    colourHeat();
    composite();
  });
  $('outline').addEventListener('change', () => {
    if (!paint.layers) return;
    drawLines();
    composite();
  });
  $('compare').addEventListener('input', () => $('compare-view').style.setProperty('--split', `${$('compare').value}%`));
  $('download').addEventListener('click', download);
  $('report').addEventListener('click', printReport);
  $('analyse-anyway').addEventListener('click', confirmAnyway);
  $('anyway-confirm').addEventListener('click', analyseAnyway);
  $('anyway-cancel').addEventListener('click', () => {
    $('anyway-dialog').close();
    $('analyse-anyway').focus();
  });
  $('clinician-mode').addEventListener('change', () => {
    localStorage.setItem(CLINICIAN_KEY, $('clinician-mode').checked ? '1' : '0');
    if (state.refused) showRefusal(state.refused);
  });
  $('own-model-load').addEventListener('click', loadOwnModel);
  $('own-model-stop').addEventListener('click', () => {
    stopOwnModel('load_stopped');
    setStatus(null);
  });
  historyView.bind();
}

bind();
applyLanguage();
history.replaceState({ dermcamStep: 'start' }, '');
showStep('start');
// Where the host sends no isolation headers (GitHub Pages), the service worker adds them: once it controls the
// page, one reload makes the page cross-origin isolated (threads for ONNX Runtime). Never during or after an
// analysis (the patient's photo stays on screen), never twice in a session.
const ISOLATION_RELOAD = 'dermcam.isolationReload';
function reloadForIsolation() {
  if (self.crossOriginIsolated || state.busy || state.result || state.refused || state.file ||
      sessionStorage.getItem(ISOLATION_RELOAD)) return;
  sessionStorage.setItem(ISOLATION_RELOAD, '1');
  location.reload();
}

// The model and the runtime load at once, so a first photo does not wait for megabytes (index.html has already
// started the runtime's download); but not while a reload for isolation is coming (it would cut the download).
const loadModelNow = () => ensureModel().catch(() => {});
const registerServiceWorker = () => navigator.serviceWorker.register('sw.js');  // next to index.html: its scope covers the app

if (!('serviceWorker' in navigator)) {
  loadModelNow();
} else if (self.crossOriginIsolated) {
  // The host isolates the page itself (Render): the service worker, whose install downloads the app again for
  // offline use, waits until the model is ready, so that it does not share a slow link with the first result.
  loadModelNow();
  ensureModel().catch(() => {}).finally(() => registerServiceWorker().catch(() => {}));
} else {
  // Where the host sends no isolation headers (GitHub Pages), the service worker adds them: once it controls the
  // page, one reload makes the page cross-origin isolated (threads for ONNX Runtime).
  registerServiceWorker()
    .then(() => {
      if (sessionStorage.getItem(ISOLATION_RELOAD)) {
        loadModelNow();
        return;
      }
      const settle = () => {
        reloadForIsolation();
        loadModelNow();  // reached only when no reload happened (the user already started)
      };
      if (navigator.serviceWorker.controller) settle();
      else navigator.serviceWorker.addEventListener('controllerchange', settle, { once: true });
    })
    .catch(loadModelNow);  // the app works without offline support (and single-threaded)
}
