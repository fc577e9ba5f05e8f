#!/usr/bin/env node
// Puts what the app serves besides its own sources into web/generated/: ONNX Runtime Web's wasm build (from
// node_modules, so it is served from our origin, never a CDN) and precache.json, the list of files the
// service worker caches for offline use, with a version hash of their contents, and models.json, the models the
// page offers (scripts/site-models.mjs: the demo, or `--model DIR` ... / DERMCAM_MODELS).
//   node scripts/build-web-assets.mjs [--model models/NAME ...]
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { requestedModelDirs, siteModels, siteModelsJson } from './site-models.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
export const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/** An .onnx file beside a model.json that names another one (the app loads only model.json's model). */
export function unusedModelFile(file) {
  if (!file.endsWith('.onnx')) return false;
  const config = join(dirname(file), 'model.json');
  if (!existsSync(config)) return false;
  return basename(file) !== (JSON.parse(readFileSync(config, 'utf8')).model ?? 'model.onnx');
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

// Large binaries the worker downloads itself (with progress) and keeps in the same cache, so a first visit
// downloads each once; the service worker precaches only the rest (web/sw.js).
const LAZY = /\.onnx$|ort-wasm-simd-threaded\.wasm$/;

/**
 * Files under `root` for offline use, as URLs relative to the app, plus a content hash:
 * {version, files: [precached by the service worker], lazy: [{url, bytes}: cached by the worker on first use]}.
 */
export function precacheList(root, extraDirs = []) {
  const files = [...walk(root), ...extraDirs.flatMap(({ dir }) => walk(dir))];
  const urls = [];
  const lazy = [];
  const hash = createHash('sha256');
  for (const file of files) {
    const extra = extraDirs.find(({ dir }) => file.startsWith(dir + sep));
    const url = extra ? `${extra.mount}/${relative(extra.dir, file).split(sep).join('/')}` : relative(root, file).split(sep).join('/');
    // Not needed by the app: documentation, the report's pictures, a model file model.json does not name.
    if (url === 'sw.js' || url === 'generated/precache.json' || /\.(map|br|gz)$/.test(url) ||
        /(^|\/)(README|REPORT)\.md$|(^|\/)(examples|reliability)\.png$/.test(url) || unusedModelFile(file)) continue;
    const data = readFileSync(file);
    if (LAZY.test(url)) lazy.push({ url, bytes: data.length });
    else urls.push(url);
    hash.update(url).update(data);
  }
  urls.sort();
  lazy.sort((a, b) => a.url.localeCompare(b.url));
  return { version: hash.digest('hex').slice(0, 16), files: ['./', ...urls], lazy };
}

/** Copies ONNX Runtime Web's files from node_modules into web/generated/ort/. */
export function copyRuntime() {
  const out = join(WEB, 'generated/ort');
  mkdirSync(out, { recursive: true });
  for (const file of ORT_FILES) copyFileSync(join(ORT_DIST, file), join(out, file));
}

/** Writes web/generated/models.json for these models (site-models.mjs); returns their folders for precacheList. */
export function writeSiteModels(models) {
  mkdirSync(join(WEB, 'generated'), { recursive: true });
  writeFileSync(join(WEB, 'generated/models.json'), siteModelsJson(models));
  return models.map(({ id, dir }) => ({ dir, mount: `models/${id}` }));
}

function main() {
  let models;
  try {
    models = siteModels(requestedModelDirs());
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  copyRuntime();
  const list = precacheList(WEB, writeSiteModels(models));
  writeFileSync(join(WEB, 'generated/precache.json'), `${JSON.stringify(list, null, 1)}\n`);
  console.log(`web/generated: ONNX Runtime Web copied; ${list.files.length} files to precache (version ${list.version}); ` +
    `models: ${models.map((m) => m.id).join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
