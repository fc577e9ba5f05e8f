// @ts-check
// The diagnostics table (under "Advanced"): each stage's time for the last analysis and the model's loading, the
// wasm heap, the ONNX Runtime backend and threads, whether the page is cross-origin isolated and by whom, and how
// many times the model ran. Asked of the worker again after each analysis or render (the store's `diagnostics`),
// drawn again from it on a language switch.
import { h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view  actions.diagnostics: the worker's answer to 'diagnostics' */
export function diagnosticsView({ words: { t, number }, store, actions }) {
  /** @type {Promise<string> | null} which catalogue key says who isolates the page; asked once */
  let isolation = null;
  // Whether the page is cross-origin isolated, and by whom: the host's own headers, or the service worker's.
  const isolationSource = (isolated) => {
    if (!isolated) return Promise.resolve('no');
    isolation ??= fetch(location.href, { cache: 'no-store', headers: { 'X-Dermcam-Isolation-Probe': '1' } })
      .then((response) => (response.headers.has('Cross-Origin-Embedder-Policy') ? 'isolatedByServer' : 'isolatedByWorker'))
      .catch(() => 'yes');
    return isolation;
  };

  let asked = 0;
  store.watch(['result', 'refused'], async ({ result, refused }) => {
    if (!result && !refused) return;
    const ask = ++asked;
    try {
      const info = await actions.diagnostics();
      const isolatedBy = await isolationSource(info.crossOriginIsolated);
      if (ask === asked) store.set({ diagnostics: { ...info, isolatedBy } });  // the newest answer only
    } catch {
      // The worker was restarted (a stopped model): the table keeps its last answer.
    }
  });

  store.watch(['diagnostics', 'language'], ({ diagnostics: info }) => {
    if (!info) return;
    const body = document.querySelector('[data-testid="diagnostics"] tbody');
    const ms = (value) => `${number(value, 1)} ${t('milliseconds')}`;
    const rows = Object.entries({ ...info.timings, ...info.modelTimings }).map(([stage, value]) => [stage, t(`stage_${stage}`), ms(value)]);
    rows.push(['wasmHeap', t('wasmHeap'), `${number(info.wasmHeapBytes / 1048576, 1)} MiB`]);
    rows.push(['backend', t('backend'), `ONNX Runtime Web (${info.backend})`]);
    rows.push(['threads', t('threads'), String(info.threads)]);
    rows.push(['isolated', t('isolated'), t(info.isolatedBy)]);
    rows.push(['modelRuns', t('modelRuns'), String(info.modelRuns)]);
    rows.push(['mapCheckRuns', t('mapCheckRuns'), String(info.mapCheckRuns)]);
    body.replaceChildren(...rows.map(([key, name, value]) => h('tr', { dataset: { key } },
      h('th', { scope: 'row' }, name), h('td', {}, value))));
    /** @type {HTMLElement} */ (body.closest('details')).dataset.modelRuns = String(info.modelRuns);
  });
}
