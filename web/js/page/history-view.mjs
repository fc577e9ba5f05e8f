// @ts-check
// The history card: checks kept on this device (opt-in, web/js/history.mjs), as a list with their photo, finding
// and model, two of them picked for a side-by-side comparison, one or all deleted. What it shows is the store's
// `history` (the entries read, the two picked, whether the comparison is open); its own actions read and write
// the device's database and put what they read there. The page asks it to keep a new result. Nothing is lost by
// one tap: deleting asks first and can be undone for a few seconds; turning keeping on after a result offers to
// keep that result; the space the checks take and whether the browser promised to keep them are shown.
import { checkHistoryFileSize, checkKey, exportChecks, readHistoryFile } from '../history-file.mjs';
import { deleteAllChecks, deleteCheck, importChecks, listChecks, listSpots, moveCheck, restoreChecks, saveCheck } from '../history.mjs';
import { spotsView } from './spots-view.mjs';
import { comparison, estimateOf } from './compare-view.mjs';
import { h } from './dom.mjs';

const HISTORY_KEY = 'dermcam.history';
// How long a deletion can be undone.
export const UNDO_MS = 8000;

function canvasBlob(source, maxSide, type) {
  const scale = Math.min(1, maxSide / Math.max(source.width, source.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, type, 0.85));
}

/** Whether the person asked for checks to be kept (remembered on this device). */
export const historyWanted = () => localStorage.getItem(HISTORY_KEY) === '1';

/**
 * @param {import("./store.mjs").ViewContext} context
 * @returns {{keep: (result: any, shown: {config: any, region: number[] | null}) => Promise<void>}}
 */
export function historyView(context) {
  const { $, words: { t, isolated, share, storageSize }, store, actions } = context;
  const history = () => store.get().history;
  const setHistory = (patch) => store.set(({ history: old }) => ({ history: { ...old, ...patch } }));

  // The browser's promise to keep this site's storage when space runs short (asked when keeping is turned on).
  async function persistence(ask) {
    try {
      const persisted = ask ? await navigator.storage.persist() : await navigator.storage.persisted();
      setHistory({ persisted });
    } catch {
      setHistory({ persisted: null });  // a browser without the Storage API: nothing to say
    }
  }

  // Entries this version cannot read safely (an older version's, a hostile model's) are left out, and counted.
  async function read() {
    let entries = [];
    let skipped = 0;
    let spots = [];
    try {
      ({ entries, skipped } = await listChecks());
      spots = await listSpots();
    } catch {
      entries = [];
    }
    const compared = history().compared.filter((id) => entries.some((e) => e.id === id));
    // The space the checks themselves take (the photos and maps; the model's cache is not theirs).
    const bytes = entries.reduce((sum, e) => sum + (e.photo?.size ?? 0) + (e.overlay?.size ?? 0) + 1024, 0);
    const currentSpot = spots.some((s) => s.uid === history().currentSpot) ? history().currentSpot : null;
    setHistory({ entries, skipped, spots, currentSpot, compared, comparing: history().comparing && compared.length === 2, bytes });
  }

  // Deleting: asked first (Keep is the default), then undoable for UNDO_MS.
  let asked = null;  // what the dialog asks about: 'all' or an entry
  let undone = null;  // the entries last deleted, until the undo runs out
  let undoTimer = 0;
  function askDelete(what) {
    asked = what;
    $('history-confirm-title').textContent = what === 'all' ? t('historyConfirmAll', { count: history().entries.length + history().skipped })
      : t('historyConfirmOne', { date: when(what) });
    $('history-confirm').showModal();
    $('history-confirm-cancel').focus();
  }
  async function deleteAsked() {
    const what = asked;
    asked = null;
    $('history-confirm').close();
    if (!what) return;
    const removed = what === 'all' ? history().entries : [what];
    if (what === 'all') await deleteAllChecks();
    else await deleteCheck(what.id);
    undone = removed;
    clearTimeout(undoTimer);
    undoTimer = window.setTimeout(() => {
      undone = null;
      setHistory({ undo: null });
    }, UNDO_MS);
    setHistory({ comparing: false, undo: { count: removed.length + (what === 'all' ? history().skipped : 0) } });
    await read();
    $('history-undo-button').focus();
  }
  $('history-confirm-cancel').addEventListener('click', () => {
    asked = null;
    $('history-confirm').close();
  });
  $('history-confirm-delete').addEventListener('click', () => deleteAsked());
  $('history-undo-button').addEventListener('click', async () => {
    clearTimeout(undoTimer);
    const entries = undone;
    undone = null;
    setHistory({ undo: null });
    if (entries?.length) await restoreChecks(entries);
    await read();
  });

  $('history-enabled').addEventListener('change', () => {
    const enabled = $('history-enabled').checked;
    localStorage.setItem(HISTORY_KEY, enabled ? '1' : '0');
    setHistory({ enabled });
    if (enabled) persistence(true);
  });
  $('history-save-current').addEventListener('click', () => keepShown());
  // Export and import: one file (history-file.mjs) that leaves the device only as the person carries it.
  const exportFile = async () => new File([await exportChecks(history().entries, history().spots)],
    `dermcam-checks-${new Date().toISOString().slice(0, 10)}.json`, { type: 'application/json' });
  const said = (key, values = {}, failed = false) => setHistory({ transfer: { key, values, failed } });
  $('history-export').addEventListener('click', async () => {
    const file = await exportFile();
    const link = h('a', { href: URL.createObjectURL(file), download: file.name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    said('historyExported', { count: history().entries.length, file: file.name });
  });
  $('history-share').addEventListener('click', async () => {
    const file = await exportFile();
    try {
      await navigator.share({ files: [file], title: t('historyShareTitle') });
    } catch (error) {
      if (error?.name !== 'AbortError') said('historyShareFailed', {}, true);  // the person closed the sheet: nothing to say
    }
  });
  $('history-import-button').addEventListener('click', () => $('history-import').click());
  $('history-import').addEventListener('change', async () => {
    const input = $('history-import');
    const file = input.files?.[0];
    input.value = '';  // the same file can be chosen again
    if (!file) return;
    try {
      checkHistoryFileSize(file.size);
      const { checks, spots } = readHistoryFile(new Uint8Array(await file.arrayBuffer()));
      const { added, duplicates } = await importChecks(checks, checkKey, spots);
      // Bringing checks here is asking to keep them.
      localStorage.setItem(HISTORY_KEY, '1');
      setHistory({ enabled: true });
      said('historyImported', { added, duplicates });
    } catch (error) {
      const reason = error?.code === 'bad_history_file' ? error.params.reason : error?.name === 'QuotaExceededError' ? 'quota' : 'storage';
      said(`historyImportRefused_${reason}`, error?.params ?? {}, true);
    }
    await read();
  });

  $('history-compare-button').addEventListener('click', () => setHistory({ comparing: true }));
  $('history-clear').addEventListener('click', () => askDelete('all'));
  const pick = (id, picked) => {
    const { compared } = history();
    setHistory({ compared: picked ? [...compared, id].slice(-2) : compared.filter((other) => other !== id) });
  };

  // Object URLs of the images shown, revoked when they are drawn again.
  let urls = [];
  const url = (blob) => {
    const made = URL.createObjectURL(blob);
    urls.push(made);
    return made;
  };
  const when = (entry) => new Date(entry.date).toLocaleString(store.get().language);
  const estimating = new Set();  // ids of the photos being measured
  const spotName = (entry) => history().spots.find((s) => s.uid === entry.spotId)?.name ?? t('spotUnsorted');

  // What the history says besides its list: the offer to keep the result on screen, the undo, the space used.
  store.watch(['history', 'language'], ({ history: { entries, transfer, canShare } }) => {
    $('history-export').hidden = entries.length === 0;
    $('history-share').hidden = entries.length === 0 || !canShare;
    $('history-transfer').hidden = !transfer;
    $('history-transfer').classList.toggle('problem', Boolean(transfer?.failed));
    $('history-transfer').textContent = transfer ? t(transfer.key, transfer.values) : '';
  });

  store.watch(['history', 'result', 'language'], ({ history: { enabled, entries, undo, bytes, persisted, kept }, result }) => {
    $('history-offer').hidden = !(enabled && result && !result.forced && kept !== result);
    $('history-undo').hidden = !undo;
    $('history-undo-text').textContent = undo ? t('historyDeleted', { count: undo.count }) : '';
    $('history-storage').hidden = !enabled || !entries.length;
    $('history-storage').textContent = [t('historyStorage', { count: entries.length, size: storageSize(bytes ?? 0) }),
      persisted === true ? t('historyPersisted') : persisted === false ? t('historyNotPersisted') : ''].filter(Boolean).join(' ');
  });

  store.watch(['history', 'language'], ({ history: { enabled, entries, skipped, compared, comparing, spots, estimates } }) => {
    for (const made of urls) URL.revokeObjectURL(made);
    urls = [];
    $('history-enabled').checked = enabled;
    $('history-skipped').hidden = skipped === 0;
    $('history-skipped').textContent = skipped ? t('historySkipped', { count: skipped }) : '';
    $('history-empty').hidden = entries.length > 0;
    $('history-clear').hidden = entries.length === 0;
    $('history-list').replaceChildren(...entries.map((entry) => h('li', { dataset: { id: String(entry.id) } },
      h('img', { src: url(entry.photo), alt: '' }),
      h('div', {},
        h('time', { dateTime: entry.date }, when(entry)),
        h('p', {}, `${isolated(entry.label)}: ${share(entry.predictions[0].probability)}`),
        h('p', { className: 'small' }, `${isolated(entry.model.name)} ${isolated(entry.model.version)}`),
        h('p', { className: 'small', dataset: { testid: 'history-spot' } }, spotName(entry)),
        spots.length ? h('label', { className: 'field compact' }, h('span', {}, t('historyMoveToSpot')),
          h('select', { dataset: { testid: 'history-move' }, onchange: async (event) => {
            await moveCheck(entry.id, event.target.value || null);
            await read();
          } }, h('option', { value: '', selected: !spots.some((s) => s.uid === entry.spotId) }, t('spotUnsorted')),
          ...spots.map((s) => h('option', { value: s.uid, selected: s.uid === entry.spotId }, s.name)))) : null),
      h('div', { className: 'entry-actions' },
        h('label', { className: 'check' },
          h('input', { type: 'checkbox', checked: compared.includes(entry.id), dataset: { testid: 'history-select' },
            onchange: (event) => pick(entry.id, event.target.checked) }),
          ` ${t('historySelect')}`),
        h('button', { type: 'button', className: 'button danger', dataset: { testid: 'history-delete' },
          onclick: () => askDelete(entry) }, t('historyDelete'))))));
    $('history-compare-button').disabled = compared.length !== 2;
    // The two picked, oldest first.
    const picked = compared.map((id) => entries.find((e) => e.id === id)).filter(Boolean)
      .sort((a, b) => a.date.localeCompare(b.date));
    const shown = comparing && picked.length === 2;
    $('history-compare').hidden = !shown;
    $('history-compare').replaceChildren(...(shown ? comparison({ older: picked[0], newer: picked[1], entries, spots, estimates,
      words: context.words, url, when }) : []));
    // The measured change is estimated once per photo, on the page, and shown when both are in.
    for (const entry of shown ? picked : []) {
      if (entry.id in estimates || estimating.has(entry.id)) continue;
      estimating.add(entry.id);
      estimateOf(entry.photo).then((estimate) => {
        estimating.delete(entry.id);
        setHistory({ estimates: { ...history().estimates, [entry.id]: estimate } });
      });
    }
  });
  spotsView(context, { read, undoMs: UNDO_MS });
  read();
  if (history().enabled) persistence(false);
  // Sharing a file (a phone's share sheet: mail, messages, a drive) where the browser can.
  try {
    setHistory({ canShare: typeof navigator.share === 'function' &&
      Boolean(navigator.canShare?.({ files: [new File(['{}'], 'dermcam-checks.json', { type: 'application/json' })] })) });
  } catch {
    setHistory({ canShare: false });
  }

  // The result on screen, kept when the person asks after turning keeping on.
  function keepShown() {
    const { result, modelInfo, region } = store.get();
    if (result && !result.forced && modelInfo) keep(result, { config: modelInfo.config, region });
  }

  /** Keeps a result: the photo and overlay as shown (512 px JPEGs), the finding, the model, the framing. */
  async function keep(result, { config, region }) {
    if (!history().enabled || history().kept === result) return;
    try {
      await saveCheck({
        date: new Date().toISOString(),
        ...(history().currentSpot ? { spotId: history().currentSpot } : {}),
        model: { name: config.name, version: config.version ?? '' },
        region,
        method: result.method,
        label: result.predictions[0].label,
        predictions: result.predictions.map((p) => ({ id: p.label.id, probability: p.probability })),
        photo: await canvasBlob($('original'), 512, 'image/jpeg'),
        overlay: await canvasBlob($('overlay'), 512, 'image/jpeg'),
      });
      setHistory({ kept: result });
      actions.setStatus('savedHistory');
    } catch (error) {
      // A full device is told so (what was kept stays); anything else is the browser refusing storage.
      actions.setStatus(error?.name === 'QuotaExceededError' ? 'historyFull' : 'historyUnavailable');
    }
    await read();
  }

  return { keep };
}
