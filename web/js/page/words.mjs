// @ts-check
// What the page says, in the reader's language: catalogue sentences (web/js/i18n.mjs) with their values filled
// in, model text isolated from what surrounds it, probabilities in words and numbers as web/js/likelihood.mjs
// says them. Every view takes its words from here.
import { STRINGS } from '../i18n.mjs';
import { formatNumber, likelihoodBand, shareOf } from '../likelihood.mjs';

/**
 * @param {() => string} language  the page's language now ('en' or 'vi')
 */
export function wordsFor(language) {
  /** A catalogue sentence with {name} placeholders filled. @param {string} key @param {Record<string, any>} [values] */
  const t = (key, values = {}) => Object.entries(values).reduce((text, [name, value]) => text.replaceAll(`{${name}}`, value),
    STRINGS[language()][key] ?? STRINGS.en[key] ?? key);
  /** model.json's {en, vi} text (or a plain string) in the page's language. */
  const localized = (value) => (typeof value === 'string' ? value : value?.[language()] ?? value?.en ?? '');
  // Text from a model (labels, names) is isolated wherever it is shown with other text: first strong isolate ...
  // pop directional isolate, the plain-text form of <bdi>, so letters of a right-to-left script inside a label
  // cannot reorder the numbers and words around it (web/js/safe-text.mjs refuses the invisible controls).
  const isolated = (value) => `\u2068${localized(value)}\u2069`;
  // A probability as it is said: rounded, never "100%", in the reader's number format.
  const share = (p) => {
    const { key, value } = shareOf(p, language());
    return t(key, { value });
  };
  const likelihood = (p) => t(`likelihood_${likelihoodBand(p)}`);
  /** @param {any[]} labels */
  const classList = (labels) => new Intl.ListFormat(language(), { type: 'disjunction' }).format(labels.map(isolated));
  // A preparation step's name is kept as its key, so a language switch during a long preparation re-translates it.
  /** @param {Record<string, any> | undefined} values */
  const withStepName = (values) => (values?.stepKey ? { ...values, step: t(values.stepKey) } : values);
  const megabytes = (n) => new Intl.NumberFormat(language(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n / 1e6);
  // An amount of storage in the unit that keeps it readable: a few kept checks are kilobytes, not "0.0 MB".
  const storageSize = (bytes) => (bytes < 1e6
    ? new Intl.NumberFormat(language(), { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 0 }).format(Math.max(1, Math.round(bytes / 1e3)))
    : new Intl.NumberFormat(language(), { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }).format(bytes / 1e6));
  const number = (value, digits) => formatNumber(value, language(), digits);
  return { t, localized, isolated, share, likelihood, classList, withStepName, megabytes, storageSize, number };
}
