// House rules of web/js that no linter states: every module is type-checked (tsc checks the files that start
// with // @ts-check; tsconfig.json says why not all files it reaches).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

import { ROOT } from './helpers.mjs';

function modules(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory()
    ? modules(join(dir, entry.name)) : entry.name.endsWith('.mjs') ? [join(dir, entry.name)] : []));
}

test('every module under web/js starts with // @ts-check', () => {
  const unchecked = modules(join(ROOT, 'web/js')).filter((file) => !readFileSync(file, 'utf8').startsWith('// @ts-check\n'))
    .map((file) => relative(ROOT, file));
  assert.ok(modules(join(ROOT, 'web/js')).length > 40);
  assert.deepEqual(unchecked, []);
});

test('index.html: every test id names one element (the views find their elements by it)', () => {
  const html = readFileSync(join(ROOT, 'web/index.html'), 'utf8');
  const ids = [...html.matchAll(/data-testid="([^"]+)"/g)].map((m) => m[1]);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  assert.deepEqual(twice, []);
});
