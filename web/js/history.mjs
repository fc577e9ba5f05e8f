// Past checks, kept only in this browser (IndexedDB), only when the user opts in. Nothing here is ever sent
// anywhere: the app has no server to send it to (web/index.html's Content-Security-Policy: connect-src 'self').
// An entry: {id, date (ISO), model: {name, version}, region, labelId, predictions: [{id, probability}], method,
// photo: Blob (JPEG of the framed region), overlay: Blob (PNG of the explanation)}.
const DB_NAME = 'dermcam';
const STORE = 'checks';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let database = null;
function open() {
  database ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }).catch((error) => {
    database = null;
    throw error;
  });
  return database;
}

async function store(mode) {
  return (await open()).transaction(STORE, mode).objectStore(STORE);
}

/** Saves an entry; returns its id. */
export async function saveCheck(entry) {
  return request((await store('readwrite')).add(entry));
}

/** Every saved entry, newest first. */
export async function listChecks() {
  const all = await request((await store('readonly')).getAll());
  return all.sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id);
}

export async function deleteCheck(id) {
  await request((await store('readwrite')).delete(id));
}

export async function deleteAllChecks() {
  await request((await store('readwrite')).clear());
}
