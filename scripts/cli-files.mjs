// What the command line reads from disk, shared by its commands (dermcam.mjs, fit-model.mjs, pack.mjs): files a
// person named, with messages a person understands, and photo folders.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PHOTO_EXTENSIONS } from '../web/js/audit.mjs';
import { DermcamError } from '../web/js/errors.mjs';
import { parseModelJson } from '../web/js/model-config.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const IMAGE_EXTENSIONS = new Set(PHOTO_EXTENSIONS);

// Reads a file the user named, with a message a person understands instead of a raw ENOENT.
export async function readInput(path, what = `the file ${path}`) {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const why = { ENOENT: 'there is no such file', EACCES: 'permission denied', EPERM: 'permission denied',
      EISDIR: 'it is a folder, not a file' }[error.code] ?? error.message;
    throw new DermcamError('read_failed', `Cannot read ${what}: ${why}.`);
  }
}

export async function loadWebOrt() {
  // The app's runtime: ONNX Runtime Web's wasm backend, single-threaded, its .wasm read from node_modules.
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = `${join(ROOT, 'node_modules/onnxruntime-web/dist')}/`;
  ort.env.logLevel = 'error';
  return ort;
}

export async function readJson(path) {
  return parseModelJson(await readInput(path, `the model description ${path}`), path);
}

/**
 * The photos under `folder`, sorted; a photo in a subfolder named by one of `labelIds` (at any depth) gets that
 * label's index.
 * @returns {Promise<{path: string, label?: number}[]>}
 */
export async function photosIn(folder, labelIds) {
  const out = [];
  let entries;
  try {
    entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    throw new DermcamError('read_failed', `Cannot read ${folder}: ${error.message}`);
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      const label = labelIds.indexOf(entry.name);
      for (const photo of await photosIn(path, labelIds)) out.push({ ...photo, label: photo.label ?? (label >= 0 ? label : undefined) });
    } else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      out.push({ path, label: undefined });
    }
  }
  return out;
}

export const hashOf = (text) => createHash('sha256').update(text).digest('hex');

