// Records the SHA-256 of web/prebuilt/ (the committed WebAssembly core and ONNX protobuf module) in
// web/prebuilt.sha256, after `scripts/build.sh web` rebuilt them from changed sources. tests/js/prebuilt.test.mjs
// checks that the files a fresh build makes are still exactly these.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PREBUILT_FILES = ['dermcam-core.mjs', 'dermcam-core.wasm', 'onnx-proto.mjs', 'quality-ranges.mjs'];
export const RECORD = join(ROOT, 'web/prebuilt.sha256');

/** `sha256sum` lines for the files in web/prebuilt/ as they are now. */
export function prebuiltSums() {
  return PREBUILT_FILES.map((file) =>
    `${createHash('sha256').update(readFileSync(join(ROOT, 'web/prebuilt', file))).digest('hex')}  ${file}\n`).join('');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(RECORD, prebuiltSums());
  process.stdout.write(`web/prebuilt.sha256:\n${prebuiltSums()}`);
}
