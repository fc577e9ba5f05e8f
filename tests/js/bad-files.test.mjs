// The bad-file corpus (scripts/fixtures/make-bad-files.py) through the WebAssembly module: the documented outcome
// for every file, a clear message, and a module that keeps working with flat memory afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { coreMemoryBytes, prepareImage } from '../../web/js/core.mjs';
import { DermcamError } from '../../web/js/errors.mjs';
import { ROOT, fixture } from './helpers.mjs';

const BAD = join(ROOT, 'tests/fixtures/bad');
const manifest = readFileSync(join(BAD, 'manifest.tsv'), 'utf8').split('\n')
  .filter((line) => line && !line.startsWith('#')).map((line) => line.split('\t'));

test('every bad file gets its documented outcome through wasm', async () => {
  assert.ok(manifest.length >= 50);
  for (const [name, expect] of manifest) {
    const bytes = new Uint8Array(readFileSync(join(BAD, name)));
    let outcome;
    try {
      const result = await prepareImage(bytes);
      assert.ok(result.tensor.data.every(Number.isFinite), name);
      outcome = 'decode';
    } catch (error) {
      assert.ok(error instanceof DermcamError, `${name}: ${error}`);
      assert.ok(error.message.length > 10, name);
      outcome = error.code;
    }
    if (expect === 'corrupt_or_decode') assert.ok(['decode', 'corrupt_image'].includes(outcome), `${name}: ${outcome}`);
    else assert.equal(outcome, expect, name);
  }
});

test('after the whole corpus, twice, the module works and its memory has not grown', async () => {
  await prepareImage(fixture('photo.jpg'));
  for (const [name] of manifest) await prepareImage(new Uint8Array(readFileSync(join(BAD, name)))).catch(() => {});
  const after = await coreMemoryBytes();
  for (const [name] of manifest) await prepareImage(new Uint8Array(readFileSync(join(BAD, name)))).catch(() => {});
  assert.equal(await coreMemoryBytes(), after);
  assert.equal((await prepareImage(fixture('photo.jpg'))).photo.width, 451);
});
