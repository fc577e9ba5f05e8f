// @ts-check
// The page: its one store (page/store.mjs), the actions that change it, and the views that draw it (page/*-view.mjs,
// one per card). Everything heavy happens in the worker (web/js/worker.mjs); every sentence comes from
// web/js/i18n.mjs. The flow: choose or take a photo -> frame the spot (page/framing-view.mjs) -> the result card
// (or the photo gate's refusal) -> optionally kept on this device (page/history-view.mjs) or printed for a doctor.
import { WorkerClient } from './bridge.mjs';
import { DermcamError } from './errors.mjs';
import { encodeNpy } from './npy.mjs';
import { auditActions, emptyAudit } from './page/audit-actions.mjs';
import { auditView } from './page/audit-view.mjs';
import { pickLanguage } from './i18n.mjs';
import { readSiteModels } from './site-models.mjs';
import { diagnosticsView } from './page/diagnostics-view.mjs';
import { byTestId as $ } from './page/dom.mjs';
import { faithfulnessView } from './page/faithfulness-view.mjs';
import { conceptsView } from './page/concepts-view.mjs';
import { framingView } from './page/framing-view.mjs';
import { historyView, historyWanted } from './page/history-view.mjs';
import { rememberedSpot } from './page/spots-view.mjs';
import { messagesView } from './page/messages-view.mjs';
import { modelView } from './page/model-view.mjs';
import { overlayView } from './page/overlay-view.mjs';
import { pageView } from './page/page-view.mjs';
import { refusalView } from './page/refusal-view.mjs';
import { reportView } from './page/report-view.mjs';
import { withCaption } from './page/caption.mjs';
import { resultView } from './page/result-view.mjs';
import { startView } from './page/start-view.mjs';
import { Store } from './page/store.mjs';
import { wordsFor } from './page/words.mjs';

// The models this site was built with (scripts/site-models.mjs), the first the default; the person's choice among
// several is remembered on this device.
const SITE_MODELS = new URL('../generated/models.json', import.meta.url).href;
const SITE_MODEL_KEY = 'dermcam.siteModel';
// The offline list names the cache the worker downloads into and the sizes behind the progress bar.
const PRECACHE = new URL('generated/precache.json', document.baseURI).href;
const LANGUAGE_KEY = 'dermcam.language';
// Clinician or researcher mode (Settings, kept on this device): only there may a photo refused as not skin be
// analysed anyway, and always after the confirmation.
const CLINICIAN_KEY = 'dermcam.clinicianMode';
const client = new WorkerClient(new URL('./worker.mjs', import.meta.url));

/** @type {{of: any, phase: 'idle'|'running'|'done', values: any}} */
const NO_CONCEPTS = Object.freeze({ of: null, phase: 'idle', values: null });

/** @type {Store<import('./page/store.mjs').PageState>} */
const store = new Store({
  language: pickLanguage(localStorage.getItem(LANGUAGE_KEY), navigator.languages),
  clinicianMode: localStorage.getItem(CLINICIAN_KEY) === '1',
  step: 'start',
  loading: { shown: false, phase: 'download', loaded: 0, total: 0 },
  siteModels: [],
  siteModel: null,
  modelInfo: null,
  methods: null,
  ownModel: false,
  offerBundled: false,
  ownModelLoading: false,
  photo: null,
  frameRegion: null,
  analysing: false,
  result: null,
  refused: null,
  refusalMap: null,
  region: null,
  patientNote: '',
  error: null,
  status: { key: null },
  // The same defaults as index.html's controls.
  controls: { method: 'gradcam', classIndex: null, eigenSmooth: false, augSmooth: false, colormap: 'jet', opacity: 0.5,
    outline: false, compare: 100 },
  methodProgress: null,
  metrics: { phase: 'idle', loaded: 0, total: 0, values: null },
  // Deep Feature Factorization of the shown photo, on request: {of: the request's token, phase, values}.
  concepts: NO_CONCEPTS,
  mapCheck: null,
  history: { enabled: historyWanted(), entries: [], skipped: 0, compared: [], comparing: false, undo: null, bytes: 0,
    persisted: null, kept: null, transfer: null, canShare: false, spots: [], currentSpot: rememberedSpot(), bodyView: 'front',
    draft: null, spotProblem: null, estimates: {}, renaming: null, spotUndo: null },
  diagnostics: null,
  audit: emptyAudit(),
});
const state = () => store.get();

// Requests in flight: not what the page shows, but what a newer request cancels or waits for.
const work = {
  /** @type {Promise<any> | null} the loaded model's description */
  model: null,
  /** @type {AbortController | null} the running analysis (or analysis anyway) */
  analysis: null,
  /** @type {AbortController | null} */
  renderRequest: null,
  /** @type {any} the render to send once the one in flight has ended */
  wantedRender: null,
  rendering: false,
  /** @type {Promise<void>} settles when the renders in flight have ended */
  renderIdle: Promise.resolve(),
  /** @type {AbortController | null} */
  metricsRequest: null,
  // A measurement asked for while a map was being computed waits for that map (measureMap).
  metricsWaiting: false,
  /** @type {object | null} the person's own model being read and prepared */
  ownModelLoad: null,
  analysisCount: 0,
};

const words = wordsFor(() => state().language);
const { isolated, share, likelihood } = words;

// ---- messages ------------------------------------------------------------------------------------------------

/** @param {string | null} key @param {Record<string, any>} [values] */
function setStatus(key, values) {
  store.set({ status: { key, values } });  // kept as its key, so a language switch translates it again
}

function showError(error) {
  store.set({ error, status: { key: null } });
}

function clearError() {
  store.set({ error: null });
}

function fail(error, prefixKey, noteKey, { ownModel = false } = {}) {
  if (error?.code === 'cancelled') return;  // a newer request took its place; it says what happened
  showError({ code: error?.code ?? 'internal', message: String(error?.message ?? error).slice(0, 2000),
    params: error?.params ?? {}, prefixKey, noteKey, ownModel, reveal: true });
}

// ---- the model -------------------------------------------------------------------------------------------------

function routeProgress(report) {
  const { label, loaded, total } = report;
  if (label === 'perturbation') store.set({ methodProgress: { loaded, total } });
  else if (label === 'preparing') showPreparing(report);
  else if (label === 'metrics') {
    if (work.metricsRequest) store.set({ metrics: { phase: 'running', loaded, total, values: null } });
  } else store.set(({ loading }) => ({ loading: { ...loading, phase: 'download', loaded, total, step: null } }));
}

// A person's own model is prepared step by step (seconds for a large graph): each step is named as it starts.
function showPreparing({ loaded, total, step, index, count }) {
  const values = step ? { index, count, stepKey: `prepareStep_${step}` } : null;
  store.set(({ loading }) => ({ loading: { ...loading, phase: 'preparing', loaded, total, step: values } }));
  if (values && work.ownModelLoad) setStatus('preparingStep', values);
  else if (state().status.key === 'loadingModel') setStatus('preparingRuntime');
}

// The site's list of models, read once (a failed read is tried again by the next load).
let siteModelList = null;
function readSiteModelList() {
  siteModelList ??= (async () => {
    let response;
    try {
      response = await fetch(SITE_MODELS);
    } catch (error) {
      throw new DermcamError('download_failed', `The site's list of models could not be downloaded (${error.message}).`);
    }
    if (!response.ok) throw new DermcamError('download_failed', `The site's list of models could not be downloaded (HTTP ${response.status}).`);
    const models = readSiteModels(await response.json().catch(() => null));
    const remembered = localStorage.getItem(SITE_MODEL_KEY);
    store.set({ siteModels: models, siteModel: models.some((m) => m.id === remembered) ? remembered : models[0].id });
    return models;
  })();
  siteModelList.catch(() => {
    siteModelList = null;
  });
  return siteModelList;
}

// What the worker needs to load the site's chosen model.
async function siteModelRequest() {
  const models = await readSiteModelList();
  const chosen = models.find((m) => m.id === state().siteModel) ?? models[0];
  return { folder: new URL(`../${chosen.path}`, import.meta.url).href, precache: PRECACHE };
}

const showLoading = () => store.set({ loading: { shown: true, phase: 'download', loaded: 0, total: 0, step: null } });

function ensureModel() {
  if (!work.model) {
    showLoading();
    setStatus('loadingModel');
    client.onProgress = routeProgress;
    work.model = loadModel(siteModelRequest());
  }
  return work.model;
}

// `previous` (a promise of the model in use, for a model the person brings or picks): the worker keeps that model
// when the new one fails, and so does the page, result included. `request` may be a promise of it.
async function loadModel(request, type = 'load', previous = null) {
  const own = type === 'loadLocal';
  try {
    const info = await client.request(type, await request);
    const methods = await client.request('methods');  // the methods this model can have
    if (previous) hideAnswers();  // the shown result was the previous model's
    store.set(({ controls }) => ({ modelInfo: info, methods, ownModel: own, offerBundled: own,
      controls: methods.methods.some((m) => m.id === controls.method) ? controls
        : { ...controls, method: methods.forwardOnly ? 'occlusion' : 'gradcam' } }));
    if (!performance.getEntriesByName('dermcam:ready').length) performance.mark('dermcam:ready');  // for scripts/bench.mjs
    if (!state().analysing) setStatus('modelReady');
    return info;
  } catch (error) {
    // Stopped: the worker, and the model it held, are gone (stopOwnModel); otherwise the previous model stays.
    const kept = error?.code === 'load_stopped' || error?.code === 'load_timeout' ? null : previous;
    work.model = kept;
    fail(error, 'errorModel', kept ? 'errorModelKept' : undefined, { ownModel: own });
    store.set({ offerBundled: own || state().ownModel });
    throw error;
  } finally {
    store.set(({ loading }) => ({ loading: { ...loading, shown: false } }));
  }
}

// Back to the model the site ships, one tap from anywhere (the error box, the model card).
async function useBundledModel() {
  if (work.ownModelLoad) stopOwnModel('load_stopped');
  const previous = work.model?.catch(() => null);
  const kept = (await previous) ? previous : null;
  if (!kept || state().ownModel) {
    showLoading();
    work.model = loadModel(siteModelRequest(), 'load', kept);
    await work.model.catch(() => {});
  }
  if (!state().ownModel && state().modelInfo) setStatus('bundledModelBack');
}

// Another of the site's models (the picker, shown when the site was built with several). A result on screen was
// the previous model's: it goes once the new model is ready; if that one fails, the previous stays in use.
/** @param {string} id */
async function chooseSiteModel(id) {
  const { siteModels, siteModel: before, ownModel } = state();
  if (!siteModels.some((m) => m.id === id) || (id === before && !ownModel)) return;
  if (work.ownModelLoad) stopOwnModel('load_stopped');
  cancelWork();
  store.set({ siteModel: id });
  const previous = work.model?.catch(() => null);
  const kept = (await previous) ? previous : null;
  showLoading();
  setStatus('loadingModel');
  work.model = loadModel(siteModelRequest(), 'load', kept);
  try {
    await work.model;
    localStorage.setItem(SITE_MODEL_KEY, id);
  } catch {
    if (kept && !state().ownModel) store.set({ siteModel: before });  // the picker shows the model in use
  }
}

// A download that failed (the connection dropped): start it again.
function retryModel() {
  if (state().ownModel) return;
  work.model = null;
  ensureModel().catch(() => {});
}

// ---- your own model --------------------------------------------------------------------------------------------

// Preparing a model runs in the worker and cannot be interrupted between its steps, so Stop (and the time limit)
// end the worker itself: the model it held is gone with it, and the bundled model loads again on the next photo.
const OWN_MODEL_TIME_LIMIT_MS = 120_000;

/** @param {'load_stopped' | 'load_timeout'} code */
function stopOwnModel(code) {
  if (!work.ownModelLoad) return;
  work.ownModelLoad = null;
  store.set({ ownModelLoading: false });
  client.restart(new DermcamError(code, code === 'load_timeout'
    ? `Loading the model took more than ${OWN_MODEL_TIME_LIMIT_MS / 1000} s and was stopped.` : 'Loading the model was stopped.'));
  work.model = null;
  hideAnswers();  // the worker that held the shown result is gone
  if (code === 'load_stopped') setStatus(null);
}

/** @param {File | undefined} onnxFile @param {File | undefined} jsonFile */
async function loadOwnModel(onnxFile, jsonFile) {
  if (!onnxFile || work.ownModelLoad) return;
  const load = {};
  work.ownModelLoad = load;
  store.set({ ownModelLoading: true });
  const timer = setTimeout(() => stopOwnModel('load_timeout'), OWN_MODEL_TIME_LIMIT_MS);
  try {
    clearError();
    setStatus('preparingModel');
    // Both files go to the worker as bytes: it parses and checks the description as the CLI does.
    const [onnxBytes, configBytes] = await Promise.all([onnxFile.arrayBuffer(), jsonFile?.arrayBuffer()]);
    const previous = work.model?.catch(() => null);  // the bundled model may be loading (idle prefetch)
    const kept = (await previous) ? previous : null;  // a model that loaded stays in use if this one fails
    if (work.ownModelLoad !== load) return;  // stopped while the files were read
    work.model = loadModel({ onnxBytes, configBytes, precache: PRECACHE }, 'loadLocal', kept);
    await work.model.catch(() => {});
  } finally {
    clearTimeout(timer);
    if (work.ownModelLoad === load) {
      work.ownModelLoad = null;
      store.set({ ownModelLoading: false });
    }
  }
}

// ---- steps: choose, frame, result (history entries: the browser's Back and Forward move between them) ----------

// Which card a step shows; a step whose content is gone (a new photo, a reload) falls back to the start.
function reachableStep(step) {
  const { photo, result, refused } = state();
  if (step === 'frame' && !photo) return 'start';
  if (step === 'result' && !result && !refused) return photo ? 'frame' : 'start';
  return step;
}

// A new answer is a new history entry (`force`), even after "analyse anyway" on the same step.
function enterStep(step, { force = false } = {}) {
  const previous = state().step;
  const next = reachableStep(step);
  store.set({ step: next });
  if (previous !== next || force) history.pushState({ dermcamStep: next }, '');
}

window.addEventListener('popstate', (event) => {
  $('anyway-dialog').close();
  const step = reachableStep(event.state?.dermcamStep ?? 'start');
  store.set({ step });
  const focus = { start: 'pick-photo', frame: 'framing-heading', result: state().result ? 'result-heading' : 'refusal-heading' }[step];
  $(focus).focus({ preventScroll: true });
  $(focus).scrollIntoView({ block: 'center' });
});

function hideAnswers() {
  store.set({ result: null, refused: null, concepts: NO_CONCEPTS });
}

function startOver() {
  hideAnswers();
  store.set({ photo: null, error: null, status: { key: null } });
  enterStep('start');
  $('drop-zone').scrollIntoView({ block: 'start' });
  $('pick-photo').focus();
}

function openPicker(id) {
  ensureModel().catch(() => {});  // start the download while the person chooses
  $(id).click();
}

/** @param {File | undefined} file */
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
  // The framing view shows it; a note for the doctor belongs to the check it was written for.
  store.set({ photo: { file, width: bitmap.width, height: bitmap.height, bitmap }, patientNote: '' });
  bitmap.close();
  store.set(({ photo }) => ({ photo: { ...photo, bitmap: null } }));
  enterStep('frame');
  $('framing-heading').focus({ preventScroll: true });
  $('framing').scrollIntoView({ block: 'start' });
}

// ---- analysis ----------------------------------------------------------------------------------------------------

// What the worker needs to compute a map; a new photo's first one is for the model's top class (`first`), not the
// class chosen for the previous photo.
function renderOptions({ first = false } = {}) {
  const { controls, result } = state();
  return { method: controls.method, classIndex: first || !result || controls.classIndex === null ? undefined : controls.classIndex,
    eigenSmooth: controls.eigenSmooth, augSmooth: controls.augSmooth };
}

function cancelWork() {
  work.analysis?.abort();
  work.renderRequest?.abort();
  work.wantedRender = null;
}

// A photo above the core's decode limit (wasm/decode.h: 50 MP; a 64 MP phone photo) that the browser could
// decode for framing is shrunk by the browser to just under the limit and sent as a JPEG (quality 0.95), the
// square scaled with it: the model reads a 128-pixel square either way. Only where even the browser cannot
// decode it does the core's refusal (image_too_large) stand.
const MAX_PHOTO_PIXELS = 50e6;
async function photoWithinLimit(file, region) {
  const { photo } = state();
  const { width = 0, height = 0 } = photo?.file === file ? photo : {};
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

// A second tap while the first one's check runs (or waits for the model) is ignored, not restarted.
function analyseFramed() {
  const { photo, frameRegion } = state();
  if (!work.analysis && photo) analyse(photo.file, frameRegion ?? undefined);
}

/** @param {File} file @param {number[] | undefined} region */
async function analyse(file, region) {
  cancelWork();  // the latest photo wins; the worker drops the older one at its next stage
  const controller = new AbortController();
  work.analysis = controller;
  clearError();
  hideAnswers();
  store.set({ analysing: true });  // within the tap's frame: the check button says what happens next
  try {
    await ensureModel();
    controller.signal.throwIfAborted();
    setStatus('analysing');
    const photo = await photoWithinLimit(file, region);
    const bytes = photo.bytes;
    controller.signal.throwIfAborted();
    const result = await client.request('analyse', { bytes, region: photo.region, render: renderOptions({ first: true }) },
      { transfer: [bytes], signal: controller.signal });
    store.set({ region: region ?? null });
    if (result.refused) {
      store.set({ refused: result });
      enterStep('result');
      setStatus('refusedStatus');
      // Bring the refusal into view and to screen readers: it is the answer to "analyse my photo".
      $('refusal-heading').focus();
      $('refusal').scrollIntoView({ block: 'start' });
    } else {
      await showResult(result);
    }
  } catch (error) {
    if (work.model && !controller.signal.aborted) fail(error);  // a failed model has said so; a cancelled one is replaced
  } finally {
    if (work.analysis === controller) {
      work.analysis = null;
      store.set({ analysing: false });
    }
    document.body.dataset.analyses = String(++work.analysisCount);  // lets tests see that an analysis ended
  }
}

// Confirmed in the refusal card's dialog (page/refusal-view.mjs).
async function analyseAnyway() {
  if (!state().refused || state().analysing) return;
  const controller = new AbortController();
  work.analysis = controller;
  store.set({ analysing: true });
  try {
    const { display } = state().refused;  // the worker sent it with the refusal, once
    const result = await client.request('analyseAnyway', { render: renderOptions({ first: true }) }, { signal: controller.signal });
    await showResult({ ...result, display });
  } catch (error) {
    fail(error);
  } finally {
    if (work.analysis === controller) {
      work.analysis = null;
      store.set({ analysing: false });
    }
  }
}

// The refusal card's "what did not look like skin": the map is computed once per refusal, then shown or hidden.
async function whyRefused() {
  const { refused, refusalMap, analysing } = state();
  if (!refused || analysing) return;
  if (refusalMap?.of === refused && refusalMap.overlay) {
    store.set({ refusalMap: { ...refusalMap, shown: !refusalMap.shown } });
    return;
  }
  store.set({ refusalMap: { of: refused, overlay: null, shown: false, loading: true } });
  try {
    const { overlay } = await client.request('whyRefused', {});
    if (state().refused === refused) store.set({ refusalMap: { of: refused, overlay, shown: true, loading: false } });
  } catch (error) {
    store.set({ refusalMap: null });
    fail(error);
  }
}

async function showResult(result) {
  store.set(({ controls }) => ({ result, refused: null,
    controls: { ...controls, method: result.method, classIndex: result.explainedClass.index } }));
  clearMetrics();  // a new map makes the last measurement stale
  checkShownMap();
  if (!performance.getEntriesByName('dermcam:result').length) performance.mark('dermcam:result');  // for scripts/bench.mjs
  enterStep('result', { force: true });
  const top = result.predictions[0];
  // The announcement: a screen reader hears the finding, not "done".
  setStatus(result.forced ? 'resultAnnounceForced' : 'resultAnnounce',
    { label: isolated(top.label), likelihood: likelihood(top.probability), share: share(top.probability) });
  $('result-heading').focus({ preventScroll: true });
  $('result').scrollIntoView({ block: 'start' });
  if (!result.forced) await savedChecks.keep(result, { config: state().modelInfo.config, region: state().region });
}

// ---- the explanation's controls ----------------------------------------------------------------------------------

const NEEDS_NEW_MAP = ['method', 'classIndex', 'eigenSmooth', 'augSmooth'];

/** @param {Partial<import('./page/store.mjs').Controls>} patch */
function setControls(patch) {
  store.set(({ controls }) => ({ controls: { ...controls, ...patch } }));
  // A look (colours, opacity, outline, the comparison) is only repainted (page/overlay-view.mjs).
  if (NEEDS_NEW_MAP.some((key) => key in patch)) rerender();
}

// A new map from the worker. The latest wins: a newer choice cancels the render in flight (the worker stops it
// at its next stage) and the ones in between are never sent.
function rerender() {
  if (!state().result) return;
  work.wantedRender = renderOptions();
  work.renderRequest?.abort();
  if (!work.rendering) pumpRenders();
}

async function pumpRenders() {
  work.rendering = true;
  let idle = () => {};
  work.renderIdle = new Promise((resolve) => {
    idle = resolve;
  });
  while (work.wantedRender) {
    const options = work.wantedRender;
    work.wantedRender = null;
    const controller = new AbortController();
    work.renderRequest = controller;
    try {
      // The index of the map before the shown one goes back to be written over (no new megabyte per render).
      const spareIndex = overlay.takeSpareIndex();
      const rendered = await client.request('render', { render: options, spareIndex },
        { signal: controller.signal, transfer: spareIndex ? [spareIndex.buffer] : [] });
      if (state().result) {
        // What only some methods give (FinerCAM's compared classes) goes with the map it came with.
        store.set(({ result }) => ({ result: { ...result, comparedWith: undefined, ...rendered } }));
        clearMetrics();
        checkShownMap();
      }
    } catch (error) {
      fail(error);
    } finally {
      if (work.renderRequest === controller) work.renderRequest = null;
      if (!work.wantedRender) store.set({ methodProgress: null });
    }
  }
  work.rendering = false;
  idle();
}

// Stopping a long map keeps the one on screen, and the controls go back to what it shows.
function stopMethod() {
  work.wantedRender = null;
  work.renderRequest?.abort();
  store.set({ methodProgress: null });
  const { result } = state();
  if (result) store.set(({ controls }) => ({ controls: { ...controls, method: result.method, classIndex: result.explainedClass.index } }));
}

// ---- the quick check of every map (map-check.mjs) ------------------------------------------------------------------

// Asked after each map is shown (the worker answers in order, after the map). A check of a map no longer shown
// is not cancelled (it is short) but its answer is dropped.
async function checkShownMap() {
  const { result } = state();
  if (!result) return;
  store.set({ mapCheck: { of: result, values: null } });
  try {
    const values = await client.request('checkMap', {});
    if (state().result === result) store.set({ mapCheck: { of: result, values } });
  } catch {
    // The map stays shown, marked as unchecked.
    if (state().result === result) store.set({ mapCheck: { of: result, values: { failed: true } } });
  }
}

// ---- how faithful is this map (on request) -------------------------------------------------------------------------

/** @type {import('./page/store.mjs').Metrics} */
const NO_METRICS = { phase: 'idle', loaded: 0, total: 0, values: null };

// A new map makes the last measurement stale: it is cleared, and a running one stopped; but a measurement asked
// for while that map was being computed waits for it (measureMap), unless the person stops it.
function clearMetrics({ byPerson = false } = {}) {
  if (work.metricsWaiting && !byPerson) return;
  work.metricsRequest?.abort();
  store.set({ metrics: NO_METRICS });
}

async function measureMap() {
  clearMetrics({ byPerson: true });
  const controller = new AbortController();
  work.metricsRequest = controller;
  try {
    if (work.rendering) {
      // One long task at a time: the map being computed (Score-CAM: many runs) first, then its measurement.
      work.metricsWaiting = true;
      store.set({ metrics: { ...NO_METRICS, phase: 'waiting' } });
      await work.renderIdle;
      work.metricsWaiting = false;
      controller.signal.throwIfAborted();
    }
    store.set({ metrics: { ...NO_METRICS, phase: 'running' } });
    const values = await client.request('metrics', {}, { signal: controller.signal });
    store.set({ metrics: { ...NO_METRICS, phase: 'done', values } });
  } catch (error) {
    if (!controller.signal.aborted) fail(error);
  } finally {
    work.metricsWaiting &&= work.metricsRequest !== controller;
    if (work.metricsRequest === controller) {
      work.metricsRequest = null;
      if (state().metrics.phase !== 'done') store.set({ metrics: NO_METRICS });
    }
  }
}

// Deep Feature Factorization of the photo shown (page/concepts-view.mjs draws it): one request, kept for that result.
// A new photo or model drops them (hideAnswers), and an answer for a photo no longer shown is dropped.
async function findConcepts() {
  if (!state().result || state().concepts.phase === 'running') return;
  const token = {};
  store.set({ concepts: { of: token, phase: 'running', values: null } });
  try {
    const values = await client.request('concepts', { k: 4 });
    if (state().concepts.of === token) store.set({ concepts: { of: token, phase: 'done', values } });
  } catch (error) {
    if (state().concepts.of === token) store.set({ concepts: NO_CONCEPTS });
    fail(error);
  }
}

function stopMeasuring() {
  work.metricsWaiting = false;
  clearMetrics({ byPerson: true });
}

// ---- exports: the PNG and the doctor's report (page/report-view.mjs) ----------------------------------------------

async function download() {
  const { controls, result } = state();
  try {
    // How the map looks: the same choices the page composites with.
    const png = await client.request('png', { looks: { colormap: controls.colormap, opacity: controls.opacity,
      outline: controls.outline, box: controls.outline } });
    // Once saved, the picture still says what it is: the finding, the advice, the date, the model, the disclaimer.
    const url = URL.createObjectURL(await withCaption(new Blob([png], { type: 'image/png' }), report.captionLines()));
    const link = document.createElement('a');
    link.href = url;
    link.download = `dermcam-${result.explainedClass.label.id}-${result.method}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    fail(error);
  }
}

// The raw signed map of each target layer as NumPy .npy, for researchers (one file per layer).
async function downloadRaw() {
  const { result } = state();
  if (!result) return;
  try {
    const { layers } = await client.request('rawMap', {});
    for (const [k, layer] of layers.entries()) {
      const npy = encodeNpy(new Float32Array(layer.raw), [layer.height, layer.width]);
      const url = URL.createObjectURL(new Blob([/** @type {BlobPart} */ (npy)], { type: 'application/octet-stream' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `dermcam-${result.explainedClass.label.id}-${result.method}-raw${layers.length > 1 ? `-layer${k + 1}` : ''}.npy`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }
  } catch (error) {
    fail(error);
  }
}

// ---- the views -------------------------------------------------------------------------------------------------------

const actions = {
  /** @param {string} language */
  setLanguage(language) {
    localStorage.setItem(LANGUAGE_KEY, language);
    store.set({ language });
  },
  /** @param {boolean} on */
  setClinicianMode(on) {
    localStorage.setItem(CLINICIAN_KEY, on ? '1' : '0');
    store.set({ clinicianMode: on });
  },
  /** The error box's button. @param {'choosePhoto' | 'bundledModel' | 'retry'} fix */
  fix(fix) {
    clearError();
    if (fix === 'choosePhoto') openPicker('photo-input');
    else if (fix === 'bundledModel') useBundledModel();
    else retryModel();
  },
  chooseSiteModel, openPicker, choose, analyseFramed, analyseAnyway, whyRefused, startOver, useBundledModel, loadOwnModel, stopOwnModel,
  setControls, stopMethod, measureMap, stopMeasuring, findConcepts, download, downloadRaw, setStatus,
  printReport: () => report.print(),
  diagnostics: () => client.request('diagnostics'),
  ...auditActions({ store, client, ensureModel }),
};

const view = { $, words, store, actions };
pageView(view);
messagesView(view);
modelView(view);
startView(view);
framingView(view);
refusalView(view);
resultView(view);
const overlay = overlayView(view);  // after the result view: it composites over the photo that view draws
faithfulnessView(view);
conceptsView(view);
const savedChecks = historyView(view);
diagnosticsView(view);
auditView(view);
const report = reportView(view);
document.documentElement.dataset.ready = 'true';  // app.css shows the page from here on
history.replaceState({ dermcamStep: 'start' }, '');

// ---- loading the model, and isolation ----------------------------------------------------------------------------------

// Where the host sends no isolation headers (GitHub Pages), the service worker adds them: once it controls the
// page, one reload makes the page cross-origin isolated (threads for ONNX Runtime). Never during or after an
// analysis (the patient's photo stays on screen), never twice in a session.
const ISOLATION_RELOAD = 'dermcam.isolationReload';
function reloadForIsolation() {
  const { analysing, result, refused, photo, audit } = state();
  if (self.crossOriginIsolated || analysing || result || refused || photo || audit.phase !== 'idle' || sessionStorage.getItem(ISOLATION_RELOAD)) return;
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
  registerServiceWorker()
    .then(() => {
      if (sessionStorage.getItem(ISOLATION_RELOAD)) {
        loadModelNow();
        return;
      }
      const settle = () => {
        reloadForIsolation();
        loadModelNow();  // reached only when no reload happened (the person already started)
      };
      if (navigator.serviceWorker.controller) settle();
      else navigator.serviceWorker.addEventListener('controllerchange', settle, { once: true });
    })
    .catch(loadModelNow);  // the app works without offline support (and single-threaded)
}
