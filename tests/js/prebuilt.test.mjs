// The committed WebAssembly core and ONNX protobuf module (web/prebuilt/) must be exactly what the sources build,
// so a static host can deploy them without a compiler. scripts/test.sh rebuilds them before the tests run: any
// difference from the committed files means the C++ (or the ONNX schema, or the toolchain) changed without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './helpers.mjs';

test('web/prebuilt/ is what the sources build, byte for byte', () => {
  for (const file of ['dermcam-core.mjs', 'dermcam-core.wasm', 'onnx-proto.mjs']) {
    assert.ok(existsSync(join(ROOT, 'web/prebuilt', file)), `web/prebuilt/${file} is missing`);
  }
  const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'web/prebuilt'],
    { cwd: ROOT, encoding: 'utf8' });
  assert.equal(changed, '', `web/prebuilt/ differs from the committed files:\n${changed}` +
    'The C++ core or the ONNX schema changed: refresh them with\n  scripts/build.sh web && git add web/prebuilt\n');
});
