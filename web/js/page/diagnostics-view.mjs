// @ts-check
// The diagnostics table (under "Advanced"): each stage's time for the last analysis and the model's loading, the
// wasm heap, the ONNX Runtime backend and threads, whether the page is cross-origin isolated and by whom, and how
// many times the model ran. Drawn again after each analysis or render and on a language switch.
import { formatNumber } from '../likelihood.mjs';

export class DiagnosticsView {
  /**
   * @param {{words: ReturnType<typeof import('./words.mjs').wordsFor>, language: () => string,
   *   diagnostics: () => Promise<any>}} page  diagnostics: the worker's answer to 'diagnostics'
   */
  constructor({ words, language, diagnostics }) {
    this.words = words;
    this.language = language;
    this.diagnostics = diagnostics;
    /** @type {Promise<string> | null} which catalogue key says who isolates the page; asked once */
    this.isolation = null;
  }

  // Whether the page is cross-origin isolated, and by whom: the host's own headers, or the service worker's.
  async isolationSource(isolated) {
    const { t } = this.words;
    if (!isolated) return t('no');
    this.isolation ??= fetch(location.href, { cache: 'no-store', headers: { 'X-Dermcam-Isolation-Probe': '1' } })
      .then((response) => (response.headers.has('Cross-Origin-Embedder-Policy') ? 'isolatedByServer' : 'isolatedByWorker'))
      .catch(() => 'yes');
    return t(await this.isolation);
  }

  async refresh() {
    const { t } = this.words;
    const language = this.language();
    const info = await this.diagnostics();
    const body = document.querySelector('[data-testid="diagnostics"] tbody');
    const ms = (value) => `${formatNumber(value, language, 1)} ${t('milliseconds')}`;
    const rows = Object.entries({ ...info.timings, ...info.modelTimings }).map(([stage, value]) => [stage, t(`stage_${stage}`), ms(value)]);
    rows.push(['wasmHeap', t('wasmHeap'), `${formatNumber(info.wasmHeapBytes / 1048576, language, 1)} MiB`]);
    rows.push(['backend', t('backend'), `ONNX Runtime Web (${info.backend})`]);
    rows.push(['threads', t('threads'), String(info.threads)]);
    rows.push(['isolated', t('isolated'), await this.isolationSource(info.crossOriginIsolated)]);
    rows.push(['modelRuns', t('modelRuns'), String(info.modelRuns)]);
    body.replaceChildren(...rows.map(([key, name, value]) => {
      const tr = document.createElement('tr');
      tr.dataset.key = key;
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      const td = document.createElement('td');
      td.textContent = value;
      tr.append(th, td);
      return tr;
    }));
    /** @type {HTMLElement} */ (body.closest('details')).dataset.modelRuns = String(info.modelRuns);
  }
}
