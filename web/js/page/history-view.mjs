// @ts-check
// The history card: checks kept on this device (opt-in, web/js/history.mjs), as a list with their photo, finding
// and model, two of them picked for a side-by-side comparison, one or all deleted. The view holds what only it
// reads (the entries shown, the two picked, the object URLs of their images); the page tells it when to keep a
// result and when to draw itself again (a new check, a language switch).
import { deleteAllChecks, deleteCheck, listChecks, saveCheck } from '../history.mjs';

const HISTORY_KEY = 'dermcam.history';

function canvasBlob(source, maxSide, type) {
  const scale = Math.min(1, maxSide / Math.max(source.width, source.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(source.width * scale));
  canvas.height = Math.max(1, Math.round(source.height * scale));
  canvas.getContext('2d').drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, type, 0.85));
}

export class HistoryView {
  /**
   * @param {{$: (id: string) => any, words: ReturnType<typeof import('./words.mjs').wordsFor>,
   *   language: () => string, setStatus: (key: string) => void}} page
   */
  constructor({ $, words, language, setStatus }) {
    this.$ = $;
    this.words = words;
    this.language = language;
    this.setStatus = setStatus;
    this.entries = [];
    this.compared = [];  // ids of the two entries picked for comparison
    this.urls = [];
  }

  /** Whether the person asked for checks to be kept (remembered on this device). */
  enabled() {
    return localStorage.getItem(HISTORY_KEY) === '1';
  }

  bind() {
    const { $ } = this;
    $('history-enabled').addEventListener('change', () => {
      localStorage.setItem(HISTORY_KEY, $('history-enabled').checked ? '1' : '0');
      this.refresh();
    });
    $('history-compare-button').addEventListener('click', () => this.compare());
    $('history-clear').addEventListener('click', async () => {
      await deleteAllChecks();
      $('history-compare').hidden = true;
      this.refresh();
    });
  }

  /** Keeps a result: the photo and overlay as shown (512 px JPEGs), the finding, the model, the framing. */
  async keep(result, { config, region }) {
    const { $ } = this;
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
      this.setStatus('savedHistory');
    } catch {
      this.setStatus('historyUnavailable');
    }
    await this.refresh();
  }

  url(blob) {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }

  async refresh() {
    const { $ } = this;
    const { t, isolated, share } = this.words;
    $('history-enabled').checked = this.enabled();
    let entries = [];
    let skipped = 0;
    try {
      ({ entries, skipped } = await listChecks());
    } catch {
      entries = [];
    }
    // Entries this version cannot read safely (an older version's, a hostile model's) are left out, and said so.
    $('history-skipped').hidden = skipped === 0;
    $('history-skipped').textContent = skipped ? t('historySkipped', { count: skipped }) : '';
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls = [];
    this.compared = this.compared.filter((id) => entries.some((e) => e.id === id));
    $('history-empty').hidden = entries.length > 0;
    $('history-clear').hidden = entries.length === 0;
    $('history-list').replaceChildren(...entries.map((entry) => {
      const item = document.createElement('li');
      item.dataset.id = String(entry.id);
      const image = document.createElement('img');
      image.src = this.url(entry.photo);
      image.alt = '';
      const text = document.createElement('div');
      const when = document.createElement('time');
      when.dateTime = entry.date;
      when.textContent = new Date(entry.date).toLocaleString(this.language());
      const finding = document.createElement('p');
      finding.textContent = `${isolated(entry.label)}: ${share(entry.predictions[0].probability)}`;
      const model = document.createElement('p');
      model.className = 'small';
      model.textContent = `${isolated(entry.model.name)} ${isolated(entry.model.version)}`;
      text.append(when, finding, model);
      const actions = document.createElement('div');
      actions.className = 'entry-actions';
      const pick = document.createElement('label');
      pick.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.dataset.testid = 'history-select';
      box.checked = this.compared.includes(entry.id);
      box.addEventListener('change', () => {
        this.compared = box.checked ? [...this.compared, entry.id].slice(-2) : this.compared.filter((id) => id !== entry.id);
        this.refresh();
      });
      pick.append(box, ` ${t('historySelect')}`);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'button danger';
      remove.dataset.testid = 'history-delete';
      remove.textContent = t('historyDelete');
      remove.addEventListener('click', async () => {
        await deleteCheck(entry.id);
        $('history-compare').hidden = true;
        this.refresh();
      });
      actions.append(pick, remove);
      item.append(image, text, actions);
      return item;
    }));
    $('history-compare-button').disabled = this.compared.length !== 2;
    this.entries = entries;
  }

  compare() {
    const { $ } = this;
    const { t, isolated, share } = this.words;
    const picked = this.compared.map((id) => this.entries.find((e) => e.id === id)).filter(Boolean)
      .sort((a, b) => a.date.localeCompare(b.date));
    const view = $('history-compare');
    view.replaceChildren(...picked.map((entry) => {
      const figure = document.createElement('figure');
      const image = document.createElement('img');
      image.src = this.url(entry.overlay);
      image.alt = `${t('overlay')}: ${isolated(entry.label)}`;
      const caption = document.createElement('figcaption');
      caption.textContent = `${new Date(entry.date).toLocaleString(this.language())}: ${isolated(entry.label)} ` +
        `(${share(entry.predictions[0].probability)})`;
      figure.append(image, caption);
      return figure;
    }));
    view.hidden = false;
  }
}
