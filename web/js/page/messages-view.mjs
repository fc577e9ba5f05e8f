// @ts-check
// What the page says about itself: the status line (announced to screen readers) and the error box. An error
// reads as a sentence from the catalogue for the person (web/js/errors.mjs picks it from the error's code and
// params), the engine's own text (for a developer) folded under it, and the button that fixes it right there.
import { PHOTO_CODES, fixFor, personSentence } from '../errors.mjs';
import { fill, h } from './dom.mjs';

const FIX_WORDS = { retry: 'fixRetry', bundledModel: 'useBundledModel', choosePhoto: 'chooseAgain' };

/** @param {import('./store.mjs').ViewContext} view */
export function messagesView({ $, words: { t, withStepName, isolated }, store, actions }) {
  store.watch(['status', 'language'], ({ status }) => {
    $('status').textContent = status.key ? t(status.key, withStepName(status.values)) : '';
  });

  let shown = null;
  store.watch(['error', 'language'], ({ error }) => {
    const box = $('error');
    box.hidden = !error;
    if (!error) {
      box.replaceChildren();
      shown = null;
      return;
    }
    const name = store.get().modelInfo?.config.name;
    const { key, values } = personSentence(error, error.prefixKey, { model: name ? isolated(name) : '' });
    const fix = fixFor(error, error.prefixKey, { ownModel: error.ownModel });
    fill(box,
      h('p', {}, t(key, values)),
      error.noteKey && h('p', { dataset: { testid: 'error-note' } }, t(error.noteKey)),
      // Whoever loads their own model needs to know why it failed: the details are open for a model's error.
      !PHOTO_CODES.has(error.code) && h('details', { open: error.prefixKey === 'errorModel' },
        h('summary', {}, t('technicalDetails')), h('code', {}, `${error.code ?? 'internal'}: ${error.message}`)),
      h('button', { type: 'button', className: 'button primary', dataset: { testid: 'error-fix', fix },
        onclick: () => actions.fix(fix) }, t(FIX_WORDS[fix])));
    box.dataset.code = error.code ?? 'internal';
    // The answer to what the person just did: in view (once, not again on a language switch).
    if (error !== shown && error.reveal) box.scrollIntoView({ block: 'center' });
    shown = error;
  });
}
