// dermcam's service worker: after the first visit the app works offline. On install it caches the files listed
// in generated/precache.json's "files" (the app); the large binaries in its "lazy" list (the model, ONNX
// Runtime's wasm) are downloaded once by the app's worker (web/js/worker.mjs), with progress, into the same
// cache, so a first visit fetches nothing twice. Same-origin GETs are served from the cache first, pages
// (navigations) from the network first so a new version shows up when online. Nothing else is ever fetched,
// and no request carries a photo.
const PRECACHE = 'generated/precache.json';
// Cross-origin isolation where the host cannot send the headers (GitHub Pages): every same-origin response this
// worker serves carries COOP/COEP/CORP (the technique of coi-serviceworker), so ONNX Runtime Web gets threads.
// A response that already has them (Render, serve.mjs) is left as it is.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
// The page asks the network directly with this header, to tell which of the two made it isolated.
const PROBE_HEADER = 'X-Dermcam-Isolation-Probe';
const PREFIX = 'dermcam-';
const LARGE = /\.onnx$|ort-wasm-simd-threaded\.wasm$/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const manifest = await (await fetch(PRECACHE, { cache: 'no-store' })).json();
    const cache = await caches.open(`${PREFIX}${manifest.version}`);
    await cache.addAll(manifest.files);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const manifest = await (await caches.match(PRECACHE) ?? await fetch(PRECACHE)).json().catch(() => null);
    if (manifest) {
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== `${PREFIX}${manifest.version}`) await caches.delete(key);
      }
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(`${PREFIX}runtime`)).put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreSearch: true }) ?? await caches.match('./');
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  // The large binaries are stored by the worker that downloads them: one copy.
  if (response.ok && !LARGE.test(new URL(request.url).pathname)) (await caches.open(`${PREFIX}runtime`)).put(request, response.clone());
  return response;
}

function withIsolation(response) {
  if (response.status === 0 || response.headers.has('Cross-Origin-Embedder-Policy')) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.headers.has(PROBE_HEADER)) return;  // straight to the network, headers untouched
  event.respondWith((async () => withIsolation(await (request.mode === 'navigate' ? networkFirst(request) : cacheFirst(request))))());
});
