// @ts-check
// The audit screen's actions: a folder of labelled photos (and a skin-type CSV) read into the store's `audit`,
// then every photo sent to the worker's `assess` one at a time (bytes only, transferred; nothing leaves the
// device), each answer a row (web/js/audit.mjs), with progress and Stop. The figures are drawn from the rows by
// page/audit-view.mjs. Results belong to the model they were measured on: a new model clears them.
import { readSkinTypes, sortLabelledPaths, underChosenFolder } from '../audit.mjs';
import { DermcamError, PHOTO_CODES } from '../errors.mjs';

/**
 * @typedef {{path: string, file: File}} ChosenFile  a file and its path as the folder input or a drop gave it
 * @typedef {{key: string, values?: Record<string, any>}} Sentence  a catalogue sentence (web/js/i18n.mjs)
 * @typedef {{
 *   phase: 'idle' | 'reading' | 'invalid' | 'ready' | 'running' | 'stopped' | 'done' | 'failed',
 *   photos: Array<{path: string, label: number, file: File}>, skinTypes: Map<string, string> | null,
 *   problems: Sentence[], notes: Sentence[], rows: import('../audit.mjs').AuditRow[],
 *   skipped: Array<{path: string, code: string}>, done: number, startedAt: number | null, model: any,
 *   error: any}} AuditState
 */

/** @returns {AuditState} */
export const emptyAudit = () => ({ phase: 'idle', photos: [], skinTypes: null, problems: [], notes: [], rows: [], skipped: [],
  done: 0, startedAt: null, model: null, error: null });

/**
 * Every file under a dropped item, with its path ('/clinic/nevus/a.jpg'); folders are read to the end (a
 * directory reader gives its entries in batches).
 * @param {any} entry a FileSystemEntry
 * @returns {Promise<ChosenFile[]>}
 */
export async function filesUnder(entry) {
  if (entry.isFile) return [{ path: entry.fullPath, file: await new Promise((resolve, reject) => entry.file(resolve, reject)) }];
  const reader = entry.createReader();
  const entries = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    entries.push(...batch);
  }
  return (await Promise.all(entries.map(filesUnder))).flat();
}

/**
 * @param {{store: import('./store.mjs').Store<import('./store.mjs').PageState>, client: import('../bridge.mjs').WorkerClient,
 *   ensureModel: () => Promise<any>}} context
 */
export function auditActions({ store, client, ensureModel }) {
  /** @type {AbortController | null} */
  let running = null;
  const cancelRun = () => {
    running?.abort();
    running = null;
  };
  /** @param {Partial<AuditState>} change */
  const update = (change) => store.set(({ audit }) => ({ audit: { ...audit, ...change } }));

  // Results and a chosen folder belong to the model they were read for.
  let modelShown = store.get().modelInfo;
  store.watch(['modelInfo'], ({ modelInfo }) => {
    if (modelInfo === modelShown) return;
    modelShown = modelInfo;
    cancelRun();
    store.set({ audit: emptyAudit() });
  });

  /**
   * The folder (and the optional skin-type CSV) checked against the model's labels: what cannot be audited is said
   * before a photo is read.
   * @param {ChosenFile[]} files @param {File | null} [table] a skin-type CSV chosen on its own
   */
  async function chooseFolder(files, table = null) {
    cancelRun();
    store.set({ audit: { ...emptyAudit(), phase: 'reading' } });
    let info;
    try {
      info = await ensureModel();
    } catch (error) {
      update({ phase: 'failed', error: DermcamError.from(error).toJSON() });
      return;
    }
    const ids = info.config.labels.map((/** @type {{id: string}} */ l) => l.id);
    const paths = underChosenFolder(files.map((f) => f.path), ids);
    const byPath = new Map(paths.map((p, i) => [p, files[i].file]));
    const sorted = sortLabelledPaths(paths, ids);
    /** @type {Sentence[]} */
    const problems = [];
    /** @type {Sentence[]} */
    const notes = [];
    if (!sorted.photos.length && !sorted.unknownFolders.length && !sorted.loose.length) problems.push({ key: 'auditNoPhotos' });
    if (sorted.unknownFolders.length) problems.push({ key: 'auditUnknownFolders', values: { names: sorted.unknownFolders.join(', ') } });
    if (sorted.loose.length) problems.push({ key: 'auditLoosePhotos', values: { count: sorted.loose.length, names: sorted.loose.slice(0, 3).join(', ') } });
    if (sorted.empty.length && sorted.photos.length) notes.push({ key: 'auditEmptyLabels', values: { names: sorted.empty.join(', ') } });
    const csv = table ?? (sorted.tables.length === 1 ? byPath.get(sorted.tables[0]) ?? null : null);
    if (!table && sorted.tables.length > 1) notes.push({ key: 'auditSeveralTables', values: { names: sorted.tables.join(', ') } });
    let skinTypes = null;
    if (csv) {
      const read = readSkinTypes(await csv.text(), new Set(sorted.photos.map((p) => p.path)));
      if (read.missing.length) problems.push({ key: 'auditSkinTypeColumns', values: { name: csv.name } });
      for (const { line, kind, value } of read.problems.slice(0, 5)) problems.push({ key: `auditSkinType_${kind}`, values: { name: csv.name, line, value } });
      if (read.problems.length > 5) problems.push({ key: 'auditSkinTypeMore', values: { count: read.problems.length - 5 } });
      skinTypes = read.types;
      notes.push({ key: 'auditSkinTypesRead', values: { count: read.types.size, name: csv.name } });
    }
    const photos = sorted.photos.map((p) => ({ ...p, file: /** @type {File} */ (byPath.get(p.path)) }));
    update({ phase: problems.length ? 'invalid' : 'ready', photos, skinTypes, problems, notes, model: info.config });
  }

  /** @param {DataTransfer} transfer a drop's data: folders are read through their entries */
  async function dropFolder(transfer) {
    const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    const files = entries.length ? (await Promise.all(entries.map(filesUnder))).flat()
      : [...transfer.files].map((file) => ({ path: file.name, file }));
    return chooseFolder(files);
  }

  /** Every photo through the gate and the model, in order; Stop keeps the rows so far. */
  async function start() {
    const { audit } = store.get();
    if (audit.phase !== 'ready' && audit.phase !== 'stopped' && audit.phase !== 'done') return;
    const controller = new AbortController();
    running = controller;
    update({ phase: 'running', rows: [], skipped: [], done: 0, startedAt: Date.now(), error: null });
    for (const photo of audit.photos) {
      if (controller.signal.aborted) break;
      try {
        const bytes = await photo.file.arrayBuffer().catch((error) => {
          throw new DermcamError('read_failed', `${photo.path} could not be read (${error.message}).`);
        });
        const answer = await client.request('assess', { bytes }, { transfer: [bytes], signal: controller.signal });
        const row = { label: photo.label, predicted: answer.predicted, probabilities: answer.probabilities, accepted: answer.accepted,
          reasons: answer.reasons, set: answer.set, skinType: audit.skinTypes?.get(photo.path) ?? null };
        update({ rows: [...store.get().audit.rows, row] });
      } catch (error) {
        const failure = DermcamError.from(error);
        if (failure.code === 'cancelled' || controller.signal.aborted) break;
        // A photo that cannot be read is listed and skipped; anything else (the engine stopped) ends the audit.
        if (!PHOTO_CODES.has(failure.code) && failure.code !== 'read_failed') {
          if (running === controller) update({ phase: 'failed', error: failure.toJSON() });
          running = null;
          return;
        }
        update({ skipped: [...store.get().audit.skipped, { path: photo.path, code: failure.code }] });
      }
      update({ done: store.get().audit.done + 1 });
    }
    if (running !== controller) return;  // a new folder or model took its place
    running = null;
    update({ phase: controller.signal.aborted ? 'stopped' : 'done' });
  }

  function stop() {
    running?.abort();
  }

  return { chooseAuditFolder: chooseFolder, dropAuditFolder: dropFolder, startAudit: start, stopAudit: stop };
}
