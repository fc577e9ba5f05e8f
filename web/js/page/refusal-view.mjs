// @ts-check
// The refusal card: a photo the gate refused, what is wrong with it and how to take a better one. No condition
// name, no percentage, no class heatmap; for a photo refused as not skin, on request, the map of what looked unlike
// the skin photos the model knows (Explainer.whyRefused). "Analyse anyway" asks first (a dialog with the reasons and what such a result
// is worth; Cancel is the default), and for a photo that is not skin it is offered in clinician mode only.
import { drawImage, h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function refusalView({ $, words: { t }, store, actions }) {
  const codes = (refused) => [...new Set(refused.gate.reasons.map((r) => r.code))];
  const offered = ({ refused, clinicianMode }) => !codes(refused).includes('not_skin') || clinicianMode;

  $('choose-again').addEventListener('click', () => actions.openPicker('photo-input'));
  $('why-refused-show').addEventListener('click', () => actions.whyRefused());
  $('analyse-anyway').addEventListener('click', () => {
    const state = store.get();
    if (!state.refused || state.analysing || !offered(state)) return;
    $('anyway-dialog').showModal();
    $('anyway-cancel').focus();
  });
  $('anyway-confirm').addEventListener('click', () => {
    $('anyway-dialog').close();
    actions.analyseAnyway();
  });
  $('anyway-cancel').addEventListener('click', () => {
    $('anyway-dialog').close();
    $('analyse-anyway').focus();
  });

  let drawn = null;  // what the canvas holds: the refused photo's display copy or the map over it
  store.watch(['refused', 'refusalMap', 'clinicianMode', 'language'], (state) => {
    const { refused } = state;
    if (!refused) {
      $('refusal-reasons').replaceChildren();
      drawn = null;
      return;
    }
    const map = state.refusalMap?.of === refused ? state.refusalMap : null;
    const picture = map?.shown && map.overlay ? map.overlay : refused.display;
    if (picture !== drawn) drawImage($('refused-photo'), picture);
    drawn = picture;
    // Only the distance check has a gradient to map; a model without one has nothing to show.
    $('why-refused').hidden = !(codes(refused).includes('not_skin') && typeof refused.gate.distance === 'number');
    $('why-refused-show').disabled = Boolean(map?.loading);
    $('why-refused-show').textContent = t(map?.loading ? 'whyRefusedLoading' : map?.shown ? 'whyRefusedHide' : 'whyRefusedShow');
    $('why-refused-caption').hidden = !map?.shown;
    $('refused-photo').setAttribute('aria-label', t(map?.shown ? 'whyRefusedMapLabel' : 'original'));
    $('refusal-reasons').replaceChildren(...codes(refused).map((code) => h('li', { dataset: { code } }, t(`gate_${code}`))));
    $('anyway-reasons').replaceChildren(...codes(refused).map((code) => h('li', {}, t(`gate_${code}`))));
    const allowed = offered(state);
    $('analyse-anyway').hidden = !allowed;
    $('anyway-hint').hidden = !allowed;
    $('anyway-not-skin').hidden = allowed;
  });
}
