// @ts-check
// The page's frame: its sentences in the reader's language (every element marked data-i18n), the language
// buttons, the clinician setting, and which step's card is shown (start, framing, result or refusal).

/** @param {import('./store.mjs').ViewContext} view */
export function pageView({ $, words: { t }, store, actions }) {
  const all = (selector) => /** @type {HTMLElement[]} */ ([...document.querySelectorAll(selector)]);
  for (const button of all('[data-language]')) button.addEventListener('click', () => actions.setLanguage(button.dataset.language));
  $('clinician-mode').addEventListener('change', () => actions.setClinicianMode($('clinician-mode').checked));

  store.watch(['language'], ({ language }) => {
    document.documentElement.lang = language;
    document.title = t('title');
    for (const element of all('[data-i18n]')) element.textContent = t(element.dataset.i18n);
    for (const element of all('[data-i18n-label]')) element.setAttribute('aria-label', t(element.dataset.i18nLabel));
    for (const button of all('[data-language]')) button.setAttribute('aria-pressed', String(button.dataset.language === language));
  });
  store.watch(['clinicianMode'], ({ clinicianMode }) => {
    $('clinician-mode').checked = clinicianMode;
  });
  store.watch(['step', 'result', 'refused'], ({ step, result, refused }) => {
    document.body.dataset.step = step;
    $('framing').hidden = step !== 'frame';
    $('result').hidden = step !== 'result' || !result;
    $('refusal').hidden = step !== 'result' || !refused;
  });
}
