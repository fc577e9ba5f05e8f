// @ts-check
// The page <-> worker protocol, declared once and used by both ends: the page's WorkerClient (web/js/app.mjs)
// and serve() in the worker (web/js/worker.mjs).
//
//   page -> worker   {id, type, ...payload}   type is one of REQUESTS
//                    {type: 'cancel', id}      cancel request `id`, queued or running
//   worker -> page   {id, ok: true, result} | {id, ok: false, error: {code, message, params}}   one per request
//                    {type: 'progress', id, label, loaded, total}       downloads (bytes); 'perturbation' and
//                                                                       'metrics' (model runs)
//
// The worker runs requests one at a time, in the order sent: the pipeline holds one photo, and an analysis
// must not interleave with a render of the previous one. A cancelled request rejects at once on the page with
// DermcamError 'cancelled'; in the worker a queued one never starts and a running one stops at its next stage
// boundary (the handler's `signal`), leaving the previous result in place.
import { DermcamError } from './errors.mjs';

/** Every request the worker answers, and what its reply is. */
export const REQUESTS = {
  load: 'download the model in {folder} and the runtime (progress), prepare it: the model description',
  loadLocal: 'load {onnxBytes, configBytes?} (the .onnx and model.json files the person chose): the model description',
  analyse: 'photo {bytes, region} -> the gate verdict, predictions and the first explanation (needs a model)',
  analyseAnyway: 'the predictions and explanation of the photo the gate refused (needs analyse)',
  whyRefused: 'for the photo refused as not skin: {overlay}, the map of what looked unlike the photos the model knows ' +
    'over its display copy; no class, no probability (needs analyse)',
  render: 'another explanation of the current photo: method, class, smoothing (needs analyse; progress); ' +
    '{spareIndex} hands back the heat index before the shown one, to be written over',
  metrics: 'how faithful the current map is: the faithfulness metrics (needs analyse; progress)',
  checkMap: 'the quick check of the current map: beats a random map, stable mirrored, changes with the model (needs analyse)',
  assess: 'one labelled photo {bytes} for an audit: the gate verdict, calibrated probabilities, answer and prediction set; ' +
    'no explanation, the current photo untouched (needs a model)',
  png: 'PNG bytes of the current explanation drawn with {looks} (needs analyse)',
  rawMap: 'the current explanation\'s raw signed map of each target layer: {layers: [{name, raw, width, height}]} (needs analyse)',
  concepts: 'Deep Feature Factorization of the current photo: {k} concepts, each with its map, its heat per display pixel ' +
    '(layers) and the classes it supports (needs analyse)',
  diagnostics: 'memory, threads, model runs and timings',
  methods: 'the explanation methods the loaded model can have ({methods, forwardOnly}) and the core\'s colour maps',
};

const CANCEL = 'cancel';
const PROGRESS = 'progress';

const cancelled = (type) => new DermcamError('cancelled', `The '${type}' request was cancelled.`);

/**
 * The worker's end: answers REQUESTS with `handlers` (one per request type, no more, no fewer), each called as
 * handler(message, {signal, progress}) and returning its result (or a promise of it). `transfer(result)` lists
 * the buffers to transfer instead of cloning. `port` is the worker's global scope (or a MessagePort in tests).
 */
/**
 * @param {{postMessage: Function, onmessage?: Function}} port
 * @param {Record<string, Function>} handlers
 * @param {{transfer?: (result: any) => Transferable[]}} options
 */
export function serve(port, handlers, { transfer = (result) => [] } = {}) {
  const missing = Object.keys(REQUESTS).filter((type) => typeof handlers[type] !== 'function');
  const extra = Object.keys(handlers).filter((type) => !(type in REQUESTS));
  if (missing.length || extra.length) {
    throw new Error(`The worker's handlers do not match REQUESTS (missing: ${missing.join(', ') || 'none'}; ` +
      `unknown: ${extra.join(', ') || 'none'}).`);
  }
  const queue = [];
  const running = new Map();  // id -> {controller, type}
  let busy = false;

  const reply = (id, ok, value) => {
    if (ok) port.postMessage({ id, ok: true, result: value }, transfer(value));
    else port.postMessage({ id, ok: false, error: DermcamError.from(value).toJSON() });
  };

  async function drain() {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const message = queue.shift();
      const controller = new AbortController();
      running.set(message.id, { controller, type: message.type });
      const progress = (values) => port.postMessage({ type: PROGRESS, id: message.id, ...values });
      try {
        if (!(message.type in REQUESTS)) {
          throw new DermcamError('bad_request', `Unknown request '${message.type}'.`);
        }
        const result = await handlers[message.type](message, { signal: controller.signal, progress });
        controller.signal.throwIfAborted();
        reply(message.id, true, result);
      } catch (error) {
        reply(message.id, false, controller.signal.aborted ? cancelled(message.type) : error);
      } finally {
        running.delete(message.id);
      }
    }
    busy = false;
  }

  port.onmessage = ({ data }) => {
    if (data?.type === CANCEL) {
      const queued = queue.findIndex((message) => message.id === data.id);
      if (queued >= 0) reply(data.id, false, cancelled(queue.splice(queued, 1)[0].type));
      const active = running.get(data.id);
      active?.controller.abort(cancelled(active.type));
      return;
    }
    queue.push(data);
    drain();
  };
}

/** The page's end: starts the worker on first use; request() gives a promise per request. */
export class WorkerClient {
  constructor(url, { createWorker = (u) => new Worker(u, { type: 'module' }) } = {}) {
    this.url = url;
    this.createWorker = createWorker;
    this.worker = null;
    this.pending = new Map();  // id -> {resolve, reject}
    this.nextId = 1;
    /** @type {(progress: object) => void} */
    this.onProgress = () => {};
  }

  start() {
    if (this.worker) return;
    this.worker = this.createWorker(this.url);
    this.worker.onmessage = ({ data }) => {
      if (data.type === PROGRESS) {
        if (this.pending.has(data.id)) this.onProgress(data);
        return;
      }
      const entry = this.pending.get(data.id);
      if (!entry) return;  // cancelled: already rejected
      this.pending.delete(data.id);
      if (data.ok) entry.resolve(data.result);
      else entry.reject(DermcamError.from(data.error));
    };
    this.worker.onerror = (event) => {
      // A crashed worker fails every waiting request; the next request starts a fresh one.
      event?.preventDefault?.();
      const error = new DermcamError('worker_failed', `The analysis engine stopped: ${event?.message ?? 'no reason given'}.`);
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
      this.worker.terminate();
      this.worker = null;
    };
  }

  /**
   * Ends the worker now, whatever it is doing (a model being prepared cannot be interrupted otherwise): every
   * waiting request rejects with `error`; the next request starts a fresh worker.
   */
  restart(error) {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
    this.worker?.terminate();
    this.worker = null;
  }

  /**
   * Sends request `type` (one of REQUESTS) with `payload`; `transfer` lists buffers to hand over; `signal`
   * (an AbortSignal) cancels it: the promise then rejects with DermcamError 'cancelled' at once.
   * @param {string} type
   * @param {object} payload
   * @param {{transfer?: Transferable[], signal?: AbortSignal}} options
   */
  request(type, payload = {}, { transfer = [], signal = undefined } = {}) {
    if (!(type in REQUESTS)) return Promise.reject(new DermcamError('bad_request', `Unknown request '${type}'.`));
    if (signal?.aborted) return Promise.reject(cancelled(type));
    this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const done = () => signal?.removeEventListener('abort', abort);
      const abort = () => {
        if (!this.pending.delete(id)) return;
        this.worker?.postMessage({ type: CANCEL, id });
        reject(cancelled(type));
      };
      this.pending.set(id, {
        resolve: (value) => { done(); resolve(value); },
        reject: (error) => { done(); reject(error); },
      });
      signal?.addEventListener('abort', abort, { once: true });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }
}
