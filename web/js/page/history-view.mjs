// @ts-check
// The history card: checks kept on this device (opt-in, web/js/history.mjs), as a list with their photo, finding
// and model, two of them picked for a side-by-side comparison, one or all deleted. What it shows is the store's
// `history` (the entries read, the two picked, whether the comparison is open); its own actions read and write
// the device's database and put what they read there. The page asks it to keep a new result.
import { deleteAllChecks, deleteCheck, listChecks, saveCheck } from '../history.mjs';
import { h } from './dom.mjs';

const HISTORY_KEY = 'dermcam.history';

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
 * @param {import('./store.mjs').ViewContext} view
 * @returns {{keep: (result: any, shown: {config: any, region: number[] | null}) => Promise<void>}}
 */
export function historyView({ $, words: { t, isolated, share }, store, actions }) {
  const history = () => store.get().history;
  const setHistory = (patch) => store.set(({ history: old }) => ({ history: { ...old, ...patch } }));

  // Entries this version cannot read safely (an older version's, a hostile model's) are left out, and counted.
  async function read() {
    let entries = [];
    let skipped = 0;
    try {
      ({ entries, skipped } = await listChecks());
    } catch {
      entries = [];
    }
    const compared = history().compared.filter((id) => entries.some((e) => e.id === id));
    setHistory({ entries, skipped, compared, comparing: history().comparing && compared.length === 2 });
  }

  $('history-enabled').addEventListener('change', () => {
    const enabled = $('history-enabled').checked;
    localStorage.setItem(HISTORY_KEY, enabled ? '1' : '0');
    setHistory({ enabled });
  });
  $('history-compare-button').addEventListener('click', () => setHistory({ comparing: true }));
  $('history-clear').addEventListener('click', async () => {
    await deleteAllChecks();
    setHistory({ comparing: false });
    await read();
  });
  const remove = async (id) => {
    await deleteCheck(id);
    setHistory({ comparing: false });
    await read();
  };
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

  store.watch(['history', 'language'], ({ history: { enabled, entries, skipped, compared, comparing } }) => {
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
        h('p', { className: 'small' }, `${isolated(entry.model.name)} ${isolated(entry.model.version)}`)),
      h('div', { className: 'entry-actions' },
        h('label', { className: 'check' },
          h('input', { type: 'checkbox', checked: compared.includes(entry.id), dataset: { testid: 'history-select' },
            onchange: (event) => pick(entry.id, event.target.checked) }),
          ` ${t('historySelect')}`),
        h('button', { type: 'button', className: 'button danger', dataset: { testid: 'history-delete' },
          onclick: () => remove(entry.id) }, t('historyDelete'))))));
    $('history-compare-button').disabled = compared.length !== 2;
    // The two picked, oldest first.
    const picked = compared.map((id) => entries.find((e) => e.id === id)).filter(Boolean)
      .sort((a, b) => a.date.localeCompare(b.date));
    $('history-compare').hidden = !comparing;
    $('history-compare').replaceChildren(...(comparing ? picked : []).map((entry) => h('figure', {},
      h('img', { src: url(entry.overlay), alt: `${t('overlay')}: ${isolated(entry.label)}` }),
      h('figcaption', {}, `${when(entry)}: ${isolated(entry.label)} (${share(entry.predictions[0].probability)})`))));
  });
  read();

  return {
    /** Keeps a result: the photo and overlay as shown (512 px JPEGs), the finding, the model, the framing. */
    async keep(result, { config, region }) {
      if (!history().enabled) return;
      try {
        await saveCheck({
          date: new Date().toISOString(),
          model: { name: config.name, version: config.version ?? '' },
          region,
          method: result.method,
          label: result.predictions[0].label,
          predictions: result.predictions.map((p) => ({ id: p.label.id, probability: p.probability })),
          photo: await canvasBlob($('original'), 512, 'image/jpeg'),
          overlay: await canvasBlob($('overlay'), 512, 'image/jpeg'),
        });
        actions.setStatus('savedHistory');
      } catch {
        actions.setStatus('historyUnavailable');
      }
      await read();
    },
  };
}
