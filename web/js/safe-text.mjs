// @ts-check
// Text that comes from a model or a file (labels, names, model card fields, saved checks) is shown to a person
// next to numbers dermcam computed. Invisible characters could change what that person reads: a right-to-left
// override turns "Melanoma 51.4%" into "%4.15 amonaleM", zero-width characters make two labels look alike. Such
// text is refused, not repaired: a description that needs them was not written for people (models/README.md).
// The page also isolates every such text (<bdi>), so letters of a right-to-left script cannot move the numbers.

// Control characters, format characters (bidirectional controls, zero-width joiners and spaces, the byte-order
// mark, soft hyphen, ...), private-use code points, lone surrogates, and the line and paragraph separators.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const INVISIBLE_BUT_LINES = /[\p{Cf}\p{Co}\p{Cs}\u2028\u2029\0-\x09\x0b-\x1f\x7f-\x9f]/u;

/**
 * Why `value` is not safe text to show, or null: not a string, empty, longer than `max` characters, or holding
 * an invisible character (named by its code point, e.g. "U+202E"). `multiline` allows line breaks (card prose).
 */
export function unsafeText(value, max, { multiline = false } = {}) {
  if (typeof value !== 'string' || !value.trim()) return 'must be a non-empty string';
  if (value.length > max) return `is ${value.length} characters long; at most ${max} are allowed`;
  const found = (multiline ? INVISIBLE_BUT_LINES : INVISIBLE).exec(value);
  if (found) {
    const point = found[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `holds an invisible control or format character (U+${point}) that can change how the text around it reads`;
  }
  return null;
}
