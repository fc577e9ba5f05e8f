#!/usr/bin/env node
// Builds dist/: the self-contained static site. Immutable files live under assets/<content hash>/ (safe to
// cache forever); index.html, sw.js, the manifest and the precache list stay at the root. Serve it with
// `node scripts/serve.mjs --root dist`, deploy it with render.yaml (Render) or to GitHub Pages (README).
// The models it serves: `--model DIR` (repeatable; the first is the default) or DERMCAM_MODELS, else the demo
// (scripts/site-models.mjs checks each). `--out DIR` builds somewhere other than dist/.
//   npm ci --ignore-scripts && node scripts/build-dist.mjs [--model models/NAME ...] [--out DIR]
//   (Node and npm only: the wasm core is committed)
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, resolve, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { copyRuntime, precacheList, unusedModelFile } from './build-web-assets.mjs';
import { requestedModelDirs, siteModels, siteModelsJson } from './site-models.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const DIST = outAt >= 0 && args[outAt + 1] ? resolve(args[outAt + 1]) : join(ROOT, 'dist');

for (const required of ['prebuilt/dermcam-core.wasm', 'prebuilt/dermcam-core.mjs', 'prebuilt/onnx-proto.mjs',
  'prebuilt/quality-ranges.mjs']) {
  if (!existsSync(join(WEB, required))) {
    console.error(`web/${required} is missing: it is committed; restore it with git, or rebuild it with scripts/build.sh web.`);
    process.exit(1);
  }
}
let models;
try {
  models = siteModels(requestedModelDirs(args));
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

copyRuntime();  // ONNX Runtime Web from node_modules (npm ci): nothing here needs a compiler
const modelsJson = siteModelsJson(models);
// The version covers the app, the models and their list (written into dist/ only: web/ keeps its own).
const version = createHash('sha256').update(precacheList(WEB, models.map(({ id, dir }) => ({ dir, mount: `models/${id}` }))).version)
  .update(modelsJson).digest('hex').slice(0, 16);
const assets = `assets/${version}`;
rmSync(DIST, { recursive: true, force: true });
mkdirSync(join(DIST, assets), { recursive: true });
for (const dir of ['js', 'prebuilt', 'generated']) {  // the stylesheet goes into index.html (below)
  cpSync(join(WEB, dir), join(DIST, assets, dir), { recursive: true, filter: (src) => !src.endsWith('precache.json') });
}
writeFileSync(join(DIST, assets, 'generated/models.json'), modelsJson);
await bundleScripts(join(DIST, assets, 'js'));
for (const { id, dir } of models) cpSync(dir, join(DIST, assets, 'models', id), { recursive: true, filter: (src) => !unusedModelFile(src) });
for (const file of ['sw.js', 'manifest.webmanifest']) cpSync(join(WEB, file), join(DIST, file));
cpSync(join(WEB, 'icons'), join(DIST, 'icons'), { recursive: true });  // beside the manifest, which names them
// What the first result waits for is fetched from the start: ONNX Runtime's wasm (most of a first visit's bytes)
// the list of models and the default one with its description, at low priority (after what the first paint needs).
// The worker's own fetches of them then come from the HTTP cache; without this it would ask only once its scripts
// had loaded.
const [first] = models;
const preloads = ['generated/ort/ort-wasm-simd-threaded.wasm', 'generated/models.json', `${first.path}model.json`, `${first.path}${first.file}`]
  .map((path) => `  <link rel="preload" href="${assets}/${path}" as="fetch" crossorigin fetchpriority="low">\n`).join('');
// The stylesheet is inlined: the first paint then waits for the HTML alone, not for a second request that shares a
// slow link with the scripts and the runtime (on 1.6 Mbit/s it came about 0.6 s after the HTML). Its hash joins the
// page's Content-Security-Policy, so no other inline style is honoured (render.yaml's header allows inline styles
// only because this policy, enforced beside it, narrows them to this one).
const css = readFileSync(join(WEB, 'css/app.css'), 'utf8');
const styleHash = createHash('sha256').update(css).digest('base64');
const replaced = (text, from, to) => {
  if (!text.includes(from)) throw new Error(`web/index.html no longer holds ${from}`);
  return text.replace(from, to);
};
let html = readFileSync(join(WEB, 'index.html'), 'utf8');
html = replaced(html, '<link rel="stylesheet" href="css/app.css">', `<style>${css}</style>`);
html = replaced(html, "style-src 'self';", `style-src 'self' 'sha256-${styleHash}';`);
html = replaced(html, '  <script type="module" src="js/app.mjs">', `${preloads}  <script type="module" src="${assets}/js/app.mjs">`);
writeFileSync(join(DIST, 'index.html'), html);
writeFileSync(join(DIST, '.nojekyll'), '');  // GitHub Pages: serve files starting with _ as they are
mkdirSync(join(DIST, 'generated'), { recursive: true });
const list = precacheList(DIST);
writeFileSync(join(DIST, 'generated/precache.json'), `${JSON.stringify({ ...list, version }, null, 1)}\n`);

// The page's and the worker's modules, each bundled into one file (and the lazily loaded graph builder into its
// own chunk, with what both share in another): served as some forty modules, a first visit waited for a chain of
// imports, each a round trip (3.7 s before the worker asked for the model at 10 Mbit/s, 40 ms), and a repeat
// visit for as many answers of the service worker. Only js/ is bundled, so every `new URL(..., import.meta.url)`
// (all in js/app.mjs, js/worker.mjs and js/core.mjs) still points where it did; the prebuilt core, the ONNX
// schema, the quality ranges and ONNX Runtime stay files of their own, imported from js/ as before.
async function bundleScripts(jsDir) {
  const source = join(WEB, 'js');
  const keepOutside = {
    name: 'outside-js',
    setup(bundler) {
      bundler.onResolve({ filter: /^\.\.?\// }, ({ path, resolveDir }) => {
        const target = resolve(resolveDir, path);
        if (target.startsWith(source + sep)) return undefined;
        return { path: relative(source, target).split(sep).join('/').replace(/^(?!\.)/, './'), external: true };
      });
    },
  };
  rmSync(jsDir, { recursive: true, force: true });
  await build({
    entryPoints: [join(source, 'app.mjs'), join(source, 'worker.mjs')],
    bundle: true, splitting: true, format: 'esm', outdir: jsDir, outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]', minify: true, target: 'es2022', external: ['node:*'], plugins: [keepOutside],
    logLevel: 'error', legalComments: 'none',
  });
}

// Precompressed copies (file.br, file.gz) for hosts that serve them (nginx gzip_static/brotli_static,
// scripts/serve.mjs): the 14 MB ONNX Runtime wasm is 2.3 MB as brotli. Kept only where they save 10% or more.
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.webmanifest', '.svg', '.onnx']);
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});
// Brotli at its best (quality 11, the largest standard window) makes the runtime's wasm 13% smaller than quality 9
// (2.3 against 2.7 MB: 0.3 s at 10 Mbit/s) but takes half a minute: results are kept by content in
// node_modules/.cache, so only a changed file costs that again.
const BROTLI_CACHE = join(ROOT, 'node_modules/.cache/dermcam-brotli');
function bestBrotli(data) {
  const cached = join(BROTLI_CACHE, `${createHash('sha256').update(data).digest('hex')}.br`);
  if (existsSync(cached)) return readFileSync(cached);
  const brotli = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11,
    [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
  mkdirSync(BROTLI_CACHE, { recursive: true });
  writeFileSync(cached, brotli);
  return brotli;
}
let compressed = 0;
for (const file of walk(DIST)) {
  if (!COMPRESSIBLE.has(extname(file))) continue;
  const data = readFileSync(file);
  const brotli = bestBrotli(data);
  const gzip = gzipSync(data, { level: 9 });
  if (brotli.length <= 0.9 * data.length) writeFileSync(`${file}.br`, brotli);
  if (gzip.length <= 0.9 * data.length) writeFileSync(`${file}.gz`, gzip);
  compressed += 1;
}
console.log(`${DIST} built with ${models.map((m) => m.id).join(', ')}: ${list.files.length} files (${compressed} compressible, with .br/.gz beside them), assets under ${assets}/`);
