// A structure-aware mutation for JSON inputs (as libFuzzer's custom mutators): one value somewhere in the tree is
// replaced by a hostile value or another part of the same tree, or a key or element is removed or repeated.
// Byte mutations alone rarely keep JSON parseable, so they never reach what validates the parsed value.
const VALUES = [null, true, false, 0, -0, -1, 1, 1.5, 2, 3, 1e300, -1e300, 5e7, 2 ** 53, '', 'x', 'NCHW', 'NHWC',
  '\u202eevil', 'a\u0000b', 'x'.repeat(5000), [], {}, [0], [1, 2, 3], [3, 224, 224], [0, 0, 0], [1e9, 1e9, 1e9], { en: 'x', vi: 'x' }];

/** `text` parsed, changed once by `random(n)` (0 <= result < n), and stringified; null when it is not JSON. */
export function mutateJson(text, random) {
  let root;
  try {
    root = JSON.parse(text);
  } catch {
    return null;
  }
  const holders = [];  // [object or array, key]
  const walk = (value) => {
    if (!value || typeof value !== 'object') return;
    for (const key of Object.keys(value)) {
      holders.push([value, key]);
      walk(value[key]);
    }
  };
  walk(root);
  if (!holders.length) return JSON.stringify(VALUES[random(VALUES.length)]);
  const [holder, key] = holders[random(holders.length)];
  switch (random(4)) {
    case 0: holder[key] = VALUES[random(VALUES.length)]; break;
    case 1: { const [other, otherKey] = holders[random(holders.length)]; holder[key] = structuredClone(other[otherKey]); break; }
    case 2: if (Array.isArray(holder)) holder.splice(Number(key), 1); else delete holder[key]; break;
    default: if (Array.isArray(holder)) holder.push(structuredClone(holder[key])); else holder[`${key}_`] = holder[key];
  }
  return JSON.stringify(root);
}
