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

// The shell scripts run Node one-liners against web/js, which no linter or type check reads: a module split left
// `scripts/train-demo-model.sh --gate-only` importing a function from the module it had moved out of.
test('every web/js import in scripts/ (modules and the shell scripts\' one-liners) names something the module exports', async () => {
  const importsOf = (text, from) => [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)].map((m) => ({
    names: m[1].split(',').map((part) => part.trim().split(/\s+as\s+/)[0]).filter(Boolean),
    path: m[2].startsWith('$ROOT/') ? join(ROOT, m[2].slice('$ROOT/'.length)) : m[2].startsWith('.') ? join(from, m[2]) : null,
  })).filter((i) => i.path?.includes('/web/js/'));
  const files = [...modules(join(ROOT, 'scripts')), ...readdirSync(join(ROOT, 'scripts')).filter((f) => f.endsWith('.sh'))
    .map((f) => join(ROOT, 'scripts', f))];
  const missing = [];
  let checked = 0;
  for (const file of files) {
    for (const { names, path } of importsOf(readFileSync(file, 'utf8'), join(file, '..'))) {
      const exported = await import(path);
      for (const name of names) {
        checked += 1;
        if (!(name in exported)) missing.push(`${relative(ROOT, file)}: ${name} from ${relative(ROOT, path)}`);
      }
    }
  }
  assert.ok(checked > 20, `only ${checked} imports found`);
  assert.deepEqual(missing, []);
});
