// The page: UI only. Everything heavy happens in the worker (web/js/worker.mjs).
import { WorkerClient } from './client.mjs';
import { STRINGS, pickLanguage } from './i18n.mjs';

const DEFAULT_MODEL = new URL('../models/demo/', import.meta.url).href;
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const client = new WorkerClient(new URL('./worker.mjs', import.meta.url));

const state = {
  language: pickLanguage(localStorage.getItem('dermcam.language'), navigator.languages),
  model: null,        // promise of the loaded model's description
  modelInfo: null,
  methods: null,
  result: null,       // the shown result (predictions + explanation)
  refused: null,      // the gate's verdict on a refused photo, while no result is shown for it
  busy: false,
};

const t = (key) => STRINGS[state.language][key] ?? STRINGS.en[key] ?? key;

function applyLanguage() {
  document.documentElement.lang = state.language;
  document.title = t('title');
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
  for (const button of document.querySelectorAll('[data-language]')) {
    button.setAttribute('aria-pressed', String(button.dataset.language === state.language));
  }
  if (state.modelInfo) showModel(state.modelInfo);
  if (state.result) {
    showPredictions(state.result);
    fillClassSelect();
    showCamStatus(state.result);
    showResultNotes(state.result);
  }
  if (state.refused) showRefusal(state.refused);
  if (state.statusKey) setStatus(state.statusKey);
}

function setStatus(key) {
  state.statusKey = key;  // kept, so a language switch re-translates it
  $('status').textContent = key ? t(key) : '';
}

function showError(error, prefixKey = 'errorGeneric') {
  const byCode = {
    unrecognized_format: 'errorNotImage', unsupported_format: 'errorUnsupported', corrupt_image: 'errorCorrupt',
    image_too_large: 'errorTooLarge', empty_input: 'errorEmpty',
  };
  const key = byCode[error?.code];
  const box = $('error');
  const detail = String(error?.message ?? error).replace(/\.$/, '');
  box.textContent = key ? `${t(key)} ${t('tryAgain')}` : `${t(prefixKey)}: ${detail}. ${t('tryAgain')}`;
  box.dataset.code = error?.code ?? 'internal';
  box.hidden = false;
  setStatus('');
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function localized(value) {
  return typeof value === 'string' ? value : value?.[state.language] ?? value?.en ?? '';
}

function showModel(info) {
  const { config } = info;
  $('model-name').textContent = `${localized(config.name)}${config.version ? ` (${config.version})` : ''}`;
  const card = document.querySelector('[data-testid="model-card"] .card');
  card.replaceChildren();
  const rows = [['cardSummary', localized(config.card.summary)], ['cardData', localized(config.card.data)],
    ['cardIntendedUse', localized(config.card.intendedUse)], ['cardLimits', localized(config.card.limits)],
    ['cardMetrics', formatMetrics(config.card.metrics)], ['cardLicence', config.card.licence],
    ['cardProvenance', localized(config.card.provenance)],
    ['cardGate', config.gate.outOfDistribution ? t('gateOodPresent') : t('gateNoOodCheckShort')]];
  for (const [key, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    dd.textContent = value || '—';
    card.append(dt, dd);
  }
}

function formatMetrics(metrics, prefix = '') {
  return Object.entries(metrics ?? {}).map(([k, v]) => (v && typeof v === 'object'
    ? formatMetrics(v, `${prefix}${k}.`) : `${prefix}${k}: ${v}`)).join('; ');
}

// The offline list names the cache the worker downloads into and the sizes behind the progress bar.
const PRECACHE = new URL('generated/precache.json', document.baseURI).href;

function showProgress({ loaded, total }) {
  const bar = $('model-progress');
  const text = $('model-progress-text');
  if (total) {
    bar.max = total;
    bar.value = loaded;
    const mb = (n) => (n / 1e6).toFixed(1);
    text.textContent = t('downloadProgress').replace('{loaded}', mb(loaded)).replace('{total}', mb(total));
  } else {
    bar.removeAttribute('value');
    text.textContent = '';
  }
}

function ensureModel() {
  if (!state.model) {
    $('model-progress').hidden = false;
    $('model-progress-text').hidden = false;
    setStatus('loadingModel');
    client.onProgress = showProgress;
    state.model = loadModel({ folder: DEFAULT_MODEL, precache: PRECACHE });
  }
  return state.model;
}

async function loadModel(request, type = 'load') {
  try {
    const [info, methods] = await Promise.all([client.request(type, request), client.request('methods')]);
    state.modelInfo = info;
    state.methods = methods;
    showModel(info);
    fillMethodSelects();
    setStatus('modelReady');
    return info;
  } catch (error) {
    state.model = null;
    showError(error, 'errorModel');
    throw error;
  } finally {
    $('model-progress').hidden = true;
    $('model-progress-text').hidden = true;
  }
}

function fillMethodSelects() {
  const method = $('method');
  const previous = method.value;
  method.replaceChildren(...state.methods.methods.map((m) => new Option(m.label, m.id)));
  method.value = previous || 'gradcam';
  for (const option of method.options) {
    option.title = state.methods.methods.find((m) => m.id === option.value).description;
  }
  const colormap = $('colormap');
  const previousMap = colormap.value;
  colormap.replaceChildren(...state.methods.colormaps.map((c) => new Option(c.label, c.id)));
  colormap.value = previousMap || 'jet';
}

function fillClassSelect() {
  const select = $('class');
  const current = state.result?.explainedClass.index;
  select.replaceChildren(...state.modelInfo.config.labels.map((label, i) => new Option(label[state.language] ?? label.en, String(i))));
  if (current !== undefined) select.value = String(current);
}

function showPredictions(result) {
  const list = $('predictions');
  list.replaceChildren();
  for (const p of result.predictions) {
    const item = document.createElement('li');
    item.dataset.label = p.label.id;
    item.dataset.probability = p.probability.toFixed(6);
    const percent = (100 * p.probability).toFixed(1);
    const name = document.createElement('span');
    name.textContent = `${p.label[state.language] ?? p.label.en}: ${percent}%`;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', percent);
    bar.setAttribute('aria-label', name.textContent);
    const fill = document.createElement('span');
    fill.style.width = `${percent}%`;
    bar.append(fill);
    item.append(name, bar);
    list.append(item);
  }
  $('low-confidence').hidden = !result.lowConfidence;
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
  $('refusal').hidden = false;
}

function hideRefusal() {
  state.refused = null;
  $('refusal').hidden = true;
  $('refusal-reasons').replaceChildren();
}

function showResultNotes(result) {
  $('forced-banner').hidden = !result.forced;
  const note = state.modelInfo?.config.card.resultNote;
  $('result-note').textContent = note ? localized(note) : '';
  $('result-note').hidden = !note;
  $('no-ood-check').hidden = Boolean(result.gate?.outOfDistributionCheck);
}

// A new photo's first explanation: the class is the model's top one, not the one chosen for the previous photo.
function firstRenderOptions() {
  const options = renderOptions();
  delete options.classIndex;
  return options;
}

function showResult(result) {
  state.result = result;
  $('result').hidden = false;
  draw($('original'), result.display);
  showResultNotes(result);
  showPredictions(result);
  fillClassSelect();
  showExplanation(result);
  $('result').dataset.forced = String(Boolean(result.forced));
  setStatus('done');
  refreshDiagnostics();
}

function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(image.rgba), image.width, image.height), 0, 0);
}

function showCamStatus(result) {
  const box = $('cam-status');
  box.hidden = result.status === 'ok';
  box.textContent = result.status === 'ok' ? '' : result.message;
  box.dataset.status = result.status;
  const label = result.explainedClass.label;
  $('overlay').setAttribute('aria-label', `${t('overlay')}: ${label[state.language] ?? label.en}, ${result.method}`);
  $('overlay-caption').textContent = `${t('overlay')} — ${label[state.language] ?? label.en}`;
}

let renderCount = 0;
function showExplanation(result) {
  draw($('overlay'), result.overlay);
  $('overlay').dataset.stamp = String(++renderCount);  // lets tests (and assistive tools) see a new render
  $('overlay').dataset.method = result.method;
  $('overlay').dataset.classIndex = String(result.explainedClass.index);
  $('overlay').dataset.status = result.status;
  showCamStatus(result);
}

function renderOptions() {
  return {
    method: $('method').value || 'gradcam',
    classIndex: state.result ? Number($('class').value) : undefined,
    colormap: $('colormap').value || 'jet',
    opacity: Number($('opacity').value),
    outline: $('outline').checked,
    box: $('outline').checked,
    eigenSmooth: $('eigen-smooth').checked,
    augSmooth: $('aug-smooth').checked,
  };
}

let analysisCount = 0;
async function analyse(file) {
  if (!file) return;
  clearError();
  // The previous photo's result or refusal must not stand beside anything about this one.
  state.result = null;
  $('result').hidden = true;
  hideRefusal();
  try {
    await ensureModel();
  } catch {
    return;
  }
  state.busy = true;
  setStatus('analysing');
  try {
    const bytes = await file.arrayBuffer();
    const result = await client.request('analyse', { bytes, render: firstRenderOptions() }, [bytes]);
    if (result.refused) {
      state.refused = result;
      draw($('refused-photo'), result.display);
      showRefusal(result);
      setStatus('refusedStatus');
      // Bring the refusal into view and to screen readers: it is the answer to "analyse my photo".
      $('refusal-heading').focus();
      $('refusal').scrollIntoView({ block: 'start' });
      refreshDiagnostics();
    } else {
      showResult(result);
    }
  } catch (error) {
    showError(error);
  } finally {
    state.busy = false;
    document.body.dataset.analyses = String(++analysisCount);  // lets tests see that an analysis ended
  }
}

async function analyseAnyway() {
  if (!state.refused || state.busy) return;
  state.busy = true;
  try {
    const result = await client.request('analyseAnyway', { render: firstRenderOptions() });
    hideRefusal();
    showResult(result);
  } catch (error) {
    showError(error);
  } finally {
    state.busy = false;
  }
}

let renderQueue = Promise.resolve();
function rerender() {
  if (!state.result) return;
  renderQueue = renderQueue.then(async () => {
    try {
      const result = await client.request('render', { render: renderOptions() });
      state.result = { ...state.result, ...result };
      showExplanation(result);
      refreshDiagnostics();
    } catch (error) {
      showError(error);
    }
  });
}

// Whether the page is cross-origin isolated, and by whom: the host's own headers, or the service worker's.
let isolationText = null;
async function isolationSource(isolated) {
  if (!isolated) return t('no');
  isolationText ??= fetch(location.href, { cache: 'no-store', headers: { 'X-Dermcam-Isolation-Probe': '1' } })
    .then((response) => (response.headers.has('Cross-Origin-Embedder-Policy') ? 'isolatedByServer' : 'isolatedByWorker'))
    .catch(() => 'yes');
  return t(await isolationText);
}

async function refreshDiagnostics() {
  const info = await client.request('diagnostics');
  const body = document.querySelector('[data-testid="diagnostics"] tbody');
  const rows = Object.entries(info.timings).map(([stage, ms]) => [stage, `${ms.toFixed(1)} ${t('milliseconds')}`]);
  rows.push(...Object.entries(info.modelTimings ?? {}).map(([stage, ms]) => [stage, `${ms.toFixed(1)} ${t('milliseconds')}`]));
  rows.push([t('wasmHeap'), `${(info.wasmHeapBytes / 1048576).toFixed(1)} MiB`]);
  rows.push([t('backend'), `ONNX Runtime Web (${info.backend})`]);
  rows.push([t('threads'), String(info.threads)]);
  rows.push([t('isolated'), await isolationSource(info.crossOriginIsolated)]);
  rows.push([t('modelRuns'), String(info.modelRuns)]);
  body.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.dataset.key = k;
    const th = document.createElement('th');
    th.textContent = k;
    const td = document.createElement('td');
    td.textContent = v;
    tr.append(th, td);
    return tr;
  }));
  body.closest('details').dataset.modelRuns = String(info.modelRuns);
}

async function download() {
  try {
    const png = await client.request('png');
    const url = URL.createObjectURL(new Blob([png], { type: 'image/png' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `dermcam-${state.result.explainedClass.label.id}-${state.result.method}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    showError(error);
  }
}

async function loadOwnModel() {
  const onnxFile = $('own-model-onnx').files?.[0];
  const jsonFile = $('own-model-json').files?.[0];
  if (!onnxFile) return;
  clearError();
  setStatus('preparingModel');
  let config;
  try {
    config = jsonFile ? JSON.parse(await jsonFile.text()) : null;
  } catch (error) {
    showError(Object.assign(new Error(`model.json: ${error.message}`), { code: 'bad_model_config' }), 'errorModel');
    return;
  }
  const onnxBytes = await onnxFile.arrayBuffer();
  await state.model?.catch(() => {});  // the bundled model may be loading (idle prefetch): let it finish first
  state.result = null;
  $('result').hidden = true;
  hideRefusal();
  state.model = loadModel({ onnxBytes, config, precache: PRECACHE }, 'loadLocal');
  await state.model.catch(() => {});
}

function bind() {
  for (const button of document.querySelectorAll('[data-language]')) {
    button.addEventListener('click', () => {
      state.language = button.dataset.language;
      localStorage.setItem('dermcam.language', state.language);
      applyLanguage();
    });
  }
  for (const id of ['photo-input', 'camera-input']) {
    const input = $(id);
    input.addEventListener('click', () => ensureModel().catch(() => {}));  // start the download while choosing
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';
      analyse(file);
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
    analyse(event.dataTransfer?.files?.[0]);
  });
  for (const id of ['method', 'class', 'colormap', 'outline', 'eigen-smooth', 'aug-smooth']) $(id).addEventListener('change', rerender);
  $('opacity').addEventListener('input', rerender);
  $('download').addEventListener('click', download);
  $('analyse-anyway').addEventListener('click', analyseAnyway);
  $('own-model-load').addEventListener('click', loadOwnModel);
}

bind();
applyLanguage();
// Where the host sends no isolation headers (GitHub Pages), the service worker adds them: once it controls the
// page, one reload makes the page cross-origin isolated (threads for ONNX Runtime). Never during or after an
// analysis (the patient's photo stays on screen), never twice in a session.
const ISOLATION_RELOAD = 'dermcam.isolationReload';
function reloadForIsolation() {
  if (self.crossOriginIsolated || state.busy || state.result || state.refused || sessionStorage.getItem(ISOLATION_RELOAD)) return;
  sessionStorage.setItem(ISOLATION_RELOAD, '1');
  location.reload();
}

// Fetch the model and the runtime as soon as the page is idle, so a first photo does not wait for megabytes;
// but not while a reload for isolation is coming (it would cut the download).
const whenIdle = (callback) => (self.requestIdleCallback ?? ((f) => setTimeout(f, 200)))(callback);
const prefetchModel = () => whenIdle(() => ensureModel().catch(() => {}));

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('sw.js')  // next to index.html, so its scope covers the app
    .then(() => {
      if (self.crossOriginIsolated || sessionStorage.getItem(ISOLATION_RELOAD)) {
        prefetchModel();
        return;
      }
      const settle = () => {
        reloadForIsolation();
        prefetchModel();  // reached only when no reload happened (the user already started)
      };
      if (navigator.serviceWorker.controller) settle();
      else navigator.serviceWorker.addEventListener('controllerchange', settle, { once: true });
    })
    .catch(prefetchModel);  // the app works without offline support (and single-threaded)
} else {
  prefetchModel();
}
