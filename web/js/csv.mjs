// @ts-check
// CSV as people export it from a spreadsheet (RFC 4180 quoting, a byte-order mark, CRLF): the labels and skin
// types that `dermcam pack` and the audit screen read. Fields are data: trimmed text, never evaluated.

/** A CSV line's fields. @param {string} line @returns {string[]} */
export function csvFields(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += c;
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

/**
 * The rows of a CSV with a header line, each as {line (1-based, as an editor shows it), ...fields by lower-case
 * header name}; `missing` lists the `required` columns the header lacks (no rows are read then), `empty` says the
 * text has no line at all.
 * @param {string} text @param {string[]} required
 * @returns {{rows: Array<Record<string, any>>, missing: string[], empty: boolean}}
 */
export function csvRows(text, required) {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l, i) => ({ l, line: i + 1 })).filter(({ l }) => l.trim());
  if (!lines.length) return { rows: [], missing: required, empty: true };
  const header = csvFields(lines[0].l).map((h) => h.toLowerCase());
  const missing = required.filter((name) => !header.includes(name));
  if (missing.length) return { rows: [], missing, empty: false };
  const rows = lines.slice(1).map(({ l, line }) => {
    const fields = csvFields(l);
    return { ...Object.fromEntries(header.map((name, k) => [name, fields[k] ?? ''])), line };
  });
  return { rows, missing: [], empty: false };
}
