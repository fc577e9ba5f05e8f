// @ts-check
// The page's one store: every fact a view shows lives here, and each view draws itself from it (never from what
// the DOM happens to hold). Actions (web/js/app.mjs) change it with set(); a view watches the keys it reads and
// is drawn again when one of them changes. Values are replaced, never changed in place, so every change is seen.

/**
 * @typedef {{shown: boolean, phase: 'download' | 'preparing', loaded: number, total: number,
 *   step?: {index: number, count: number, stepKey: string} | null}} Loading
 * @typedef {{method: string, classIndex: number | null, eigenSmooth: boolean, augSmooth: boolean,
 *   colormap: string, opacity: number, outline: boolean, compare: number}} Controls
 * @typedef {{phase: 'idle' | 'waiting' | 'running' | 'done', loaded: number, total: number, values: any}} Metrics
 * @typedef {{
 *   language: string,
 *   clinicianMode: boolean,
 *   step: 'start' | 'frame' | 'result',
 *   loading: Loading,
 *   siteModels: import('../site-models.mjs').SiteModel[],
 *   siteModel: string | null,
 *   modelInfo: any,
 *   concepts: {of: any, phase: 'idle'|'running'|'done', values: any},
 *   methods: {methods: Array<{id: string, label: string, target: string, inputSpace?: boolean}>,
 *     forwardOnly: {op?: string, node?: string} | null, colormaps: Array<{id: string, table: number[]}>} | null,
 *   ownModel: boolean,
 *   offerBundled: boolean,
 *   ownModelLoading: boolean,
 *   photo: {file: File, width: number, height: number, bitmap: ImageBitmap | null} | null,
 *   frameRegion: number[] | null,
 *   analysing: boolean,
 *   result: any,
 *   refused: any,
 *   refusalMap: {of: any, overlay: {width: number, height: number, rgba: Uint8Array} | null, shown: boolean,
 *     loading: boolean} | null,
 *   region: number[] | null,
 *   patientNote: string,
 *   error: any,
 *   status: {key: string | null, values?: Record<string, any>},
 *   controls: Controls,
 *   methodProgress: {loaded: number, total: number} | null,
 *   metrics: Metrics,
 *   mapCheck: {of: any, values: any} | null,
 *   history: {enabled: boolean, entries: any[], skipped: number, compared: number[], comparing: boolean,
 *     undo: {count: number} | null, bytes: number, persisted: boolean | null, kept: any,
 *     transfer: {key: string, values: object, failed: boolean} | null, canShare: boolean, spots: any[], currentSpot: string | null,
 *     bodyView: 'front' | 'back', draft: {view: string, region: string, x: number, y: number} | null, spotProblem: string | null,
 *     estimates: Record<string, any>, renaming: string | null, spotUndo: {spot: string, count: number} | null},
 *   diagnostics: any,
 *   audit: import('./audit-actions.mjs').AuditState,
 * }} PageState  refusalMap.of: the refusal it maps (a newer refusal makes it stale)
 * @typedef {{$: (id: string) => any, words: ReturnType<typeof import('./words.mjs').wordsFor>, store: Store<PageState>,
 *   actions: Record<string, (...args: any[]) => any>}} ViewContext  what every view is built from
 */

/** @template {Record<string, any>} S */
export class Store {
  /** @param {S} initial */
  constructor(initial) {
    this.state = initial;
    /** @type {Array<{keys: string[], draw: (state: S) => void}>} */
    this.watchers = [];
  }

  /** @returns {S} */
  get() {
    return this.state;
  }

  /**
   * Replaces the given keys' values; the views that read a changed key are drawn again, in the order they
   * started watching.
   * @param {Partial<S> | ((state: S) => Partial<S>)} change
   */
  set(change) {
    const patch = typeof change === 'function' ? change(this.state) : change;
    const changed = Object.keys(patch).filter((key) => !Object.is(patch[key], this.state[key]));
    if (changed.length === 0) return;
    this.state = { ...this.state, ...patch };
    // A view that sets a key while it draws (the framing square reports its region when shown) is drawn from the
    // newest state, and so are the views after it: none is drawn from a state older than one it has seen.
    for (const { keys, draw } of this.watchers) if (keys.some((key) => changed.includes(key))) draw(this.state);
  }

  /**
   * Draws now, and again whenever one of `keys` changes.
   * @param {Array<keyof S & string>} keys
   * @param {(state: S) => void} draw
   */
  watch(keys, draw) {
    this.watchers.push({ keys, draw });
    draw(this.state);
  }
}
