#!/usr/bin/env node
// Static file server for dermcam: serves web/ (or --root DIR) on 127.0.0.1 with exactly the headers the
// deployed site sends (render.yaml, through scripts/host-headers.mjs): COOP/COEP (cross-origin isolation, so
// ONNX Runtime may use threads), a Content-Security-Policy that allows only our own origin, application/wasm.
// No request body is ever accepted.
//   node scripts/serve.mjs [--port 8080] [--root web] [--base /dermcam/] [--plain] [--model models/NAME ...]
// --base serves the site under a sub-path; --plain sends no headers but Content-Type, as GitHub Pages does.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { headersFor, renderSite } from './host-headers.mjs';
import { requestedModelDirs, siteModels } from './site-models.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

// Served beside web/ during development, as the deployed site has them (scripts/build-dist.mjs copies them).
const MOUNTS = [{ prefix: '/models/', dir: join(ROOT, 'models') }];

async function resolveFile(root, urlPath, extraMounts = []) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const mount = [...extraMounts, ...MOUNTS].find((m) => decoded.startsWith(m.prefix));
  if (mount && root === resolve(ROOT, 'web')) {
    root = resolve(mount.dir);
    decoded = decoded.slice(mount.prefix.length);
  }
  let file = resolve(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) return null;
  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => null);
  }
  return info?.isFile() ? { file, size: info.size } : null;
}

/**
 * Starts the server; resolves to the http.Server once it listens. port 0 picks a free port.
 * isolated: false leaves out COOP/COEP/CORP, to test the single-thread path; plain: true sends no headers
 * but Content-Type (GitHub Pages); base: the sub-path the site lives under ('/dermcam/'); blueprint: the
 * render.yaml whose headers are sent (default: this checkout's); bitsPerSecond/latencyMs: a slow link shared by
 * every response (for benchmarks: it slows the worker's downloads too, which browser throttling may not).
 */
export function startServer({ root = join(ROOT, 'web'), port = 8080, host = '127.0.0.1', log = false, mounts = [],
  isolated = true, plain = false, base = '/', blueprint, bitsPerSecond = 0, latencyMs = 0 } = {}) {
  const absoluteRoot = resolve(root);
  let linkFreeAt = 0;  // when the shared link has sent everything queued so far
  const throttle = () => new Transform({
    transform(chunk, encoding, done) {
      const start = Math.max(Date.now(), linkFreeAt);
      linkFreeAt = start + (chunk.length * 8 * 1000) / bitsPerSecond;
      setTimeout(() => done(null, chunk), linkFreeAt - Date.now());
    },
  });
  const { rules } = renderSite(blueprint);
  const server = createServer(async (request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith(base)) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    const path = `/${url.slice(base.length)}`;
    if (!plain) {
      for (const [name, value] of Object.entries(headersFor(rules, path.split('?')[0]))) {
        if (isolated || !name.startsWith('Cross-Origin-')) response.setHeader(name, value);
      }
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const found = await resolveFile(absoluteRoot, path, mounts);
    if (log) console.log(`${request.method} ${request.url} ${found ? 200 : 404}`);
    if (!found) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    // A precompressed copy beside the file (scripts/build-dist.mjs writes them), as the browser accepts it.
    const accepted = String(request.headers['accept-encoding'] ?? '');
    let body = found;
    let encoding = null;
    for (const [name, suffix] of [['br', '.br'], ['gzip', '.gz']]) {
      if (!new RegExp(`\\b${name}\\b`).test(accepted)) continue;
      const info = await stat(found.file + suffix).catch(() => null);
      if (info?.isFile()) {
        body = { file: found.file + suffix, size: info.size };
        encoding = name;
        break;
      }
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.size,
      Vary: 'Accept-Encoding',
      ...(encoding ? { 'Content-Encoding': encoding } : {}),
      ...(response.hasHeader('Cache-Control') ? {} : { 'Cache-Control': 'no-cache' }),
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    if (latencyMs) await new Promise((done) => setTimeout(done, latencyMs));
    const stream = createReadStream(body.file, { highWaterMark: 16 * 1024 });
    (bitsPerSecond ? stream.pipe(throttle()) : stream).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const port = Number(option('--port', process.env.PORT ?? 8080));
  const root = option('--root', join(ROOT, 'web'));
  const base = option('--base', '/');
  // The models web/generated/models.json lists (scripts/build-web-assets.mjs, given the same --model folders):
  // each is served at models/<its folder's name>/, wherever its folder is.
  const mounts = siteModels(requestedModelDirs(args)).map(({ id, dir }) => ({ prefix: `/models/${id}/`, dir }));
  const server = await startServer({ root, port, log: true, base, mounts, plain: args.includes('--plain') });
  const { port: actual } = server.address();
  console.log(`dermcam is served at http://127.0.0.1:${actual}${base} (from ${resolve(root)}); Ctrl+C stops it.`);
}
