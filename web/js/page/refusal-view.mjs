// @ts-check
// The refusal card: a photo the gate refused, what is wrong with it and how to take a better one. No condition
// name, no percentage, no heatmap. "Analyse anyway" asks first (a dialog with the reasons and what such a result
// is worth; Cancel is the default), and for a photo that is not skin it is offered in clinician mode only.
import { drawImage, h } from './dom.mjs';

/** @param {import('./store.mjs').ViewContext} view */
export function refusalView({ $, words: { t }, store, actions }) {
  const codes = (refused) => [...new Set(refused.gate.reasons.map((r) => r.code))];
  const offered = ({ refused, clinicianMode }) => !codes(refused).includes('not_skin') || clinicianMode;

  $('choose-again').addEventListener('click', () => actions.openPicker('photo-input'));
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

  let shown = null;
  store.watch(['refused', 'clinicianMode', 'language'], (state) => {
    const { refused } = state;
    if (!refused) {
      $('refusal-reasons').replaceChildren();
      shown = null;
      return;
    }
    if (refused !== shown) drawImage($('refused-photo'), refused.display);
    shown = refused;
    $('refusal-reasons').replaceChildren(...codes(refused).map((code) => h('li', { dataset: { code } }, t(`gate_${code}`))));
    $('anyway-reasons').replaceChildren(...codes(refused).map((code) => h('li', {}, t(`gate_${code}`))));
    const allowed = offered(state);
    $('analyse-anyway').hidden = !allowed;
    $('anyway-hint').hidden = !allowed;
    $('anyway-not-skin').hidden = allowed;
  });
}
