// @ts-check
// The spots (web/js/spots.mjs): a body map to place one (front and back outlines drawn here, tap where the spot
// is), the same places as a named list for those who do not point, and the spots kept, each with its checks over
// time. The spot picked is where new checks are kept. A spot can be renamed, and deleted (asked first, undoable for a
// few seconds; its checks stay, unsorted). What it shows is the store's `history` (spots, the spot picked, the place
// being named, the spot being renamed); the checks are the history card's (history-view.mjs).
import { BODY_REGIONS, MAX_SPOT_NAME, newSpot, renamedSpot } from '../spots.mjs';
import { deleteSpot, restoreSpot, saveSpot } from '../history.mjs';
import { h, svg } from './dom.mjs';

const WIDTH = 200;
const HEIGHT = 420;
const CURRENT_SPOT_KEY = 'dermcam.currentSpot';

// The front outline, as seen facing the person (their right on the left). The back is the same outline with the
// torso's back regions and the sides the other way round.
const FRONT_SHAPES = [
  ['head', 'ellipse', 100, 40, 22, 28], ['neck', 'rect', 90, 67, 20, 14], ['chest', 'rect', 64, 81, 72, 58],
  ['abdomen', 'rect', 66, 139, 68, 52], ['pelvis', 'rect', 66, 191, 68, 32],
  ['upperArmRight', 'rect', 38, 84, 24, 70], ['forearmRight', 'rect', 32, 154, 22, 62], ['handRight', 'ellipse', 43, 230, 12, 16],
  ['upperArmLeft', 'rect', 138, 84, 24, 70], ['forearmLeft', 'rect', 146, 154, 22, 62], ['handLeft', 'ellipse', 157, 230, 12, 16],
  ['thighRight', 'rect', 68, 223, 30, 86], ['lowerLegRight', 'rect', 70, 309, 26, 76], ['footRight', 'ellipse', 82, 398, 16, 10],
  ['thighLeft', 'rect', 102, 223, 30, 86], ['lowerLegLeft', 'rect', 104, 309, 26, 76], ['footLeft', 'ellipse', 118, 398, 16, 10],
];
const BACK_NAMES = { chest: 'upperBack', abdomen: 'lowerBack', pelvis: 'buttocks' };
const backName = (id) => BACK_NAMES[id] ?? (id.endsWith('Right') ? id.replace(/Right$/, 'Left') : id.replace(/Left$/, 'Right'));
export const SHAPES = { front: FRONT_SHAPES, back: FRONT_SHAPES.map(([id, ...rest]) => [backName(id), ...rest]) };

/** Where a region's middle is, 0-1 across the outline (the list places a spot there). */
export function regionCentre(view, region) {
  const shape = SHAPES[view].find(([id]) => id === region);
  if (!shape) return null;
  const [, kind, a, b, c, d] = shape;
  return kind === 'rect' ? { x: (a + c / 2) / WIDTH, y: (b + d / 2) / HEIGHT } : { x: a / WIDTH, y: b / HEIGHT };
}

/** @param {import('./store.mjs').ViewContext} view @param {{read: () => Promise<void>, undoMs: number}} history */
export function spotsView({ $, words: { t, isolated, share }, store }, history) {
  const state = () => store.get().history;
  const setHistory = (patch) => store.set(({ history: old }) => ({ history: { ...old, ...patch } }));
  const placeName = (view, region) => `${t(`region_${region}`)} (${t(view === 'back' ? 'bodyBack' : 'bodyFront')})`;

  // A tap on the outline: the region under it and the point, to be named.
  $('body-map').addEventListener('click', (event) => {
    const region = event.target?.dataset?.region;
    if (!region) return;
    const box = $('body-map').getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
    setHistory({ draft: { view: state().bodyView, region, x, y }, spotProblem: null });
    $('spot-name').focus();
  });
  for (const view of ['front', 'back']) {
    $(`body-view-${view}`).addEventListener('click', () => setHistory({ bodyView: view }));
  }
  // The list: the same places by name.
  $('spot-region').addEventListener('change', () => {
    const [view, region] = $('spot-region').value.split(':');
    const centre = regionCentre(view, region);
    setHistory(centre ? { bodyView: view, draft: { view, region, ...centre }, spotProblem: null } : { draft: null });
  });
  // A change to the kept spots; a browser that refuses storage is said so. Returns false then.
  const stored = async (change) => {
    try {
      await change();
      return true;
    } catch {
      setHistory({ spotProblem: 'historyUnavailable' });
      return false;
    }
  };
  $('spot-add').addEventListener('click', async () => {
    const { draft } = state();
    if (!draft) {
      setHistory({ spotProblem: 'spotNeedsPlace' });
      return;
    }
    const spot = newSpot({ ...draft, name: $('spot-name').value });
    if (!spot) {
      setHistory({ spotProblem: 'spotNeedsName' });
      $('spot-name').focus();
      return;
    }
    if (!(await stored(() => saveSpot(spot)))) return;
    $('spot-name').value = '';
    localStorage.setItem(CURRENT_SPOT_KEY, spot.uid);
    setHistory({ draft: null, currentSpot: spot.uid, spotProblem: null });
    await history.read();
  });

  // Renaming, in place: the spot's name becomes a field with Save and Cancel. What is typed survives a redraw (a
  // store change while typing); the field takes the focus once, when it opens.
  const spotOf = (uid) => state().spots.find((s) => s.uid === uid);
  let typedName = null;
  let focusRename = false;
  const startRename = (uid) => {
    typedName = null;
    focusRename = true;
    setHistory({ renaming: uid, spotProblem: null });
  };
  async function rename(uid, name) {
    const spot = spotOf(uid);
    const renamed = spot && renamedSpot(spot, name);
    if (!renamed) {
      setHistory({ spotProblem: 'spotNeedsName' });
      return;
    }
    if (!(await stored(() => saveSpot(renamed)))) return;
    setHistory({ renaming: null, spotProblem: null });
    await history.read();
  }

  // Deleting: asked first (Keep is the default), then undoable; the checks stay, unsorted.
  let asked = null;  // the uid the dialog asks about
  let deleted = null;  // what restoreSpot needs, until the undo runs out
  let undoTimer = 0;
  $('spot-confirm-cancel').addEventListener('click', () => {
    asked = null;
    $('spot-confirm').close();
  });
  $('spot-confirm-delete').addEventListener('click', async () => {
    const uid = asked;
    asked = null;
    $('spot-confirm').close();
    if (!uid) return;
    if (!(await stored(async () => {
      deleted = await deleteSpot(uid);
    })) || !deleted) return;
    if (state().currentSpot === uid) {
      localStorage.removeItem(CURRENT_SPOT_KEY);
      setHistory({ currentSpot: null });
    }
    clearTimeout(undoTimer);
    undoTimer = window.setTimeout(() => {
      deleted = null;
      setHistory({ spotUndo: null });
    }, history.undoMs);
    setHistory({ spotUndo: { spot: deleted.spot.name, count: deleted.checkIds.length }, renaming: null });
    await history.read();
    $('spot-undo-button').focus();
  });
  $('spot-undo-button').addEventListener('click', async () => {
    clearTimeout(undoTimer);
    const undo = deleted;
    deleted = null;
    setHistory({ spotUndo: null });
    if (undo) await stored(() => restoreSpot(undo));
    await history.read();
  });
  store.watch(['history', 'language'], ({ history: { spotUndo } }) => {
    $('spot-undo').hidden = !spotUndo;
    $('spot-undo-text').textContent = spotUndo ? t('spotDeleted', { spot: isolated(spotUndo.spot), count: spotUndo.count }) : '';
  });

  // The outline of the view shown, the spots placed on it, the place being named.
  store.watch(['history', 'language'], ({ history: { enabled, bodyView, spots, currentSpot, draft, spotProblem, entries, renaming } }) => {
    // Places on the body are kept only where checks are: after the person turned keeping on.
    $('spots').hidden = !enabled;
    for (const view of ['front', 'back']) $(`body-view-${view}`).setAttribute('aria-pressed', String(view === bodyView));
    const shapes = SHAPES[bodyView].map(([id, kind, a, b, c, d]) => svg(kind, kind === 'rect'
      ? { x: a, y: b, width: c, height: d, rx: 8, 'data-region': id, class: 'body-part' }
      : { cx: a, cy: b, rx: c, ry: d, 'data-region': id, class: 'body-part' }));
    const marks = spots.filter((s) => s.view === bodyView).map((s) => svg('circle',
      { cx: s.x * WIDTH, cy: s.y * HEIGHT, r: 5, class: s.uid === currentSpot ? 'spot-mark current' : 'spot-mark' }));
    const pending = draft?.view === bodyView ? [svg('circle', { cx: draft.x * WIDTH, cy: draft.y * HEIGHT, r: 6, class: 'spot-mark draft' })] : [];
    $('body-map').replaceChildren(...shapes, ...marks, ...pending);
    const chosen = draft ? `${draft.view}:${draft.region}` : '';
    $('spot-region').replaceChildren(h('option', { value: '' }, t('spotChoosePlace')),
      ...['front', 'back'].map((view) => h('optgroup', { label: t(view === 'back' ? 'bodyBack' : 'bodyFront') },
        ...BODY_REGIONS[view].map((region) => h('option', { value: `${view}:${region}`, selected: `${view}:${region}` === chosen },
          t(`region_${region}`))))));
    $('spot-problem').hidden = !spotProblem;
    $('spot-problem').textContent = spotProblem ? t(spotProblem) : '';

    // Each spot with its checks, oldest first: the finding and its likelihood over time.
    const known = new Set(spots.map((s) => s.uid));
    const checksOf = (uid) => entries.filter((e) => (known.has(e.spotId) ? e.spotId : '') === uid).sort((a, b) => a.date.localeCompare(b.date));
    const when = (entry) => new Date(entry.date).toLocaleDateString(store.get().language);
    const item = (uid, title, place) => {
      const checks = checksOf(uid);
      const nameField = uid && renaming === uid
        ? h('input', { type: 'text', maxLength: MAX_SPOT_NAME, autocomplete: 'off', value: typedName ?? title, dataset: { testid: 'spot-rename-name' },
          ariaLabel: t('spotNewName', { spot: title }),
          oninput: (event) => {
            typedName = event.target.value;
          },
          onkeydown: (event) => {
            if (event.key === 'Enter') rename(uid, event.target.value);
            if (event.key === 'Escape') setHistory({ renaming: null, spotProblem: null });
          } })
        : null;
      return h('li', { dataset: { uid } },
        h('label', { className: 'check' },
          h('input', { type: 'radio', name: 'current-spot', checked: (currentSpot ?? '') === uid, dataset: { testid: 'spot-current' },
            onchange: () => {
              localStorage.setItem(CURRENT_SPOT_KEY, uid);
              setHistory({ currentSpot: uid || null });
            } }),
          ' ', h('strong', {}, title)),
        nameField ? h('div', { className: 'spot-rename' }, nameField,
          h('div', { className: 'actions wrap' },
            h('button', { type: 'button', className: 'button primary', dataset: { testid: 'spot-rename-save' },
              onclick: () => rename(uid, nameField.value) }, t('spotRenameSave')),
            h('button', { type: 'button', className: 'button secondary', dataset: { testid: 'spot-rename-cancel' },
              onclick: () => setHistory({ renaming: null, spotProblem: null }) }, t('spotRenameCancel')))) : null,
        place ? h('p', { className: 'small' }, place) : null,
        checks.length ? h('ol', { className: 'spot-timeline', dataset: { testid: 'spot-timeline' } },
          ...checks.map((e) => h('li', {}, `${when(e)}: ${isolated(e.label)} (${share(e.predictions[0].probability)})`)))
          : h('p', { className: 'small' }, t('spotNoChecks')),
        uid && !nameField ? h('div', { className: 'actions wrap' },
          h('button', { type: 'button', className: 'button secondary', dataset: { testid: 'spot-rename' }, ariaLabel: `${t('spotRename')}: ${title}`,
            onclick: () => startRename(uid) }, t('spotRename')),
          h('button', { type: 'button', className: 'button danger', dataset: { testid: 'spot-delete' }, ariaLabel: `${t('spotDelete')}: ${title}`,
            onclick: () => {
              asked = uid;
              $('spot-confirm-title').textContent = t('spotConfirm', { spot: isolated(title) });
              $('spot-confirm').showModal();
              $('spot-confirm-cancel').focus();
            } }, t('spotDelete'))) : null);
    };
    $('spot-list').replaceChildren(...spots.map((s) => item(s.uid, s.name, placeName(s.view, s.region))),
      ...(checksOf('').length || spots.length ? [item('', t('spotUnsorted'), '')] : []));
    const field = $('spot-list').querySelector('[data-testid="spot-rename-name"]');
    if (field && focusRename) {
      focusRename = false;
      field.focus();
      field.select();
    }
  });
}

/** The spot new checks are kept under, as remembered on this device. */
export const rememberedSpot = () => localStorage.getItem(CURRENT_SPOT_KEY) || null;
