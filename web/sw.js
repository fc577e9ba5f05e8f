// dermcam's service worker: after the first visit the app works offline. On install it caches every file
// listed in generated/precache.json (app, wasm, ONNX Runtime, the bundled model); afterwards same-origin
// GETs are served from the cache first, and pages (navigations) from the network first so a new version
// shows up when online. Nothing else is ever fetched, and no request carries a photo.
const PRECACHE = 'generated/precache.json';
const PREFIX = 'dermcam-';

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
  if (response.ok) (await caches.open(`${PREFIX}runtime`)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(request.mode === 'navigate' ? networkFirst(request) : cacheFirst(request));
});
