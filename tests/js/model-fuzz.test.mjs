// A seeded mutation fuzz of the ONNX reader and the explain metadata check (the C++ harnesses in tests/fuzz/ cover
// the core; these readers are JavaScript): flipped, cut and spliced bytes of the demo model, and edited metadata
// values, must give a model or a DermcamError, never another exception. DERMCAM_FUZZ_CASES sets the count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DermcamError } from '../../web/js/errors.mjs';
import { EXPLAIN_METADATA_KEY } from '../../web/js/onnx/prepared.mjs';
import { verifiedExplainMetadata } from '../../web/js/onnx/metadata.mjs';
import { decodeModel, encodeModel } from '../../web/js/onnx/model.mjs';
import { ROOT } from './helpers.mjs';

const CASES = Number(process.env.DERMCAM_FUZZ_CASES ?? 300);

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readsOrRefuses(bytes, what) {
  try {
    verifiedExplainMetadata(decodeModel(bytes));
  } catch (error) {
    assert.ok(error instanceof DermcamError, `${what}: ${error?.stack ?? error}`);
  }
}

test('mutated model bytes are read or refused with a DermcamError', () => {
  const original = new Uint8Array(readFileSync(join(ROOT, 'models/demo/model-int8.onnx')));
  const next = random(17);
  for (let i = 0; i < CASES; i++) {
    const bytes = original.slice(0, next() < 0.2 ? Math.floor(next() * original.length) : original.length);
    const flips = 1 + Math.floor(next() * 8);
    for (let f = 0; f < flips && bytes.length; f++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    readsOrRefuses(bytes, `case ${i}`);
  }
});

test('edited explain metadata is verified or refused with a DermcamError', () => {
  const model = decodeModel(new Uint8Array(readFileSync(join(ROOT, 'models/demo/model-int8.onnx'))));
  const entry = model.metadataProps.find((p) => p.key === EXPLAIN_METADATA_KEY);
  const original = JSON.parse(entry.value);
  const values = [null, true, -1, 0, 1.5, 1e300, -0, 'x', '', [], {}, [1, 2, 3], [0, 0, 0], [1e9, 1e9, 1e9], { a: 1 }, 'NCHW', 5e7];
  const next = random(29);
  const pick = (list) => list[Math.floor(next() * list.length)];
  const paths = [];
  const walk = (value, path) => {
    paths.push(path);
    if (value && typeof value === 'object') for (const key of Object.keys(value)) walk(value[key], [...path, key]);
  };
  walk(original, []);
  for (let i = 0; i < CASES; i++) {
    const edited = structuredClone(original);
    const path = pick(paths.filter((p) => p.length));
    let parent = edited;
    for (const key of path.slice(0, -1)) parent = parent[key];
    if (next() < 0.2) delete parent[path[path.length - 1]];
    else parent[path[path.length - 1]] = pick(values);
    entry.value = JSON.stringify(edited);
    readsOrRefuses(encodeModel(model), `${path.join('.')} = ${entry.value.slice(0, 80)}`);
  }
});
