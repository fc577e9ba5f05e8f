// The committed WebAssembly core and ONNX protobuf module (web/prebuilt/) must be exactly what the sources build,
// so a static host can deploy them without a compiler. scripts/test.sh rebuilds them before the tests run, and
// web/prebuilt.sha256 records what was committed: a difference means the C++ (or the ONNX schema, or the
// toolchain) changed without the committed files. No git needed: a copy of the tree checks itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PREBUILT_FILES, RECORD, prebuiltSums } from '../../scripts/record-prebuilt.mjs';
import { ROOT } from './helpers.mjs';

test('web/prebuilt/ is what the sources build, byte for byte', () => {
  for (const file of PREBUILT_FILES) assert.ok(existsSync(join(ROOT, 'web/prebuilt', file)), `web/prebuilt/${file} is missing`);
  assert.equal(prebuiltSums(), readFileSync(RECORD, 'utf8'), 'web/prebuilt/ differs from what web/prebuilt.sha256 ' +
    'records: the C++ core or the ONNX schema changed. Rebuild and record them, and commit both:\n' +
    '  scripts/build.sh web && node scripts/record-prebuilt.mjs && git add web/prebuilt web/prebuilt.sha256\n');
});
