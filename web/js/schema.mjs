// @ts-check
// Helpers shared by the model.json validators (model-config.mjs, gate.mjs): a field a schema does not know is
// refused, so a misspelt "lowConfidense" cannot pass silently while its default applies.

/** Why `object` has a field that is not in `fields` (naming it, and the known one it is probably a typo of), or null. */
export function unknownField(object, path, fields) {
  for (const key of Object.keys(object)) {
    if (fields.includes(key)) continue;
    const near = fields.find((f) => closeSpelling(f, key));
    const where = path ? `${path}.${key}` : `'${key}'`;
    return `${where.slice(0, 120)} is not a known field${near ? ` (did you mean '${near}'?)` : ''}; the fields are ${fields.join(', ')}`;
  }
  return null;
}

// Two names at most two edits apart (Levenshtein distance), case ignored.
function closeSpelling(a, b) {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  if (Math.abs(x.length - y.length) > 2) return false;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[y.length] <= 2;
}
