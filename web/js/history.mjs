// @ts-check
// Past checks, kept only in this browser (IndexedDB), only when the user opts in. Nothing here is ever sent
// anywhere: the app has no server to send it to (web/index.html's Content-Security-Policy: connect-src 'self').
// An entry: {id, date (ISO), model: {name, version}, region, labelId, predictions: [{id, probability}], method,
// photo: Blob (JPEG of the framed region), overlay: Blob (PNG of the explanation), spotId?: the spot's uid (none:
// unsorted)}. Spots (web/js/spots.mjs) are kept in a store of their own.
import { MAX_CLASSES, MAX_TEXT } from './budgets.mjs';
import { unsafeText } from './safe-text.mjs';
import { readableSpot } from './spots.mjs';

const DB_NAME = 'dermcam';
const STORE = 'checks';
const SPOTS = 'spots';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let database = null;
function open() {
  database ??= new Promise((resolve, reject) => {
    // Version 2 added the spots; a version 1 database keeps its checks (unsorted).
    const req = indexedDB.open(DB_NAME, 2);
    req.onupgradeneeded = () => {
      const names = req.result.objectStoreNames;
      if (!names.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
      if (!names.contains(SPOTS)) req.result.createObjectStore(SPOTS, { keyPath: 'uid' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }).catch((error) => {
    database = null;
    throw error;
  });
  return database;
}

async function store(mode, name = STORE) {
  return (await open()).transaction(name, mode).objectStore(name);
}

/** Saves a spot (spots.mjs newSpot). */
export async function saveSpot(spot) {
  await write((checks, spots) => spots.put(spot));
}

/**
 * Every change is one transaction over the checks and the spots, done only once it commits: a request's success is
 * not enough, since the browser checks the quota when the transaction commits and aborts it there (a full device),
 * and a check reported kept would then be lost. Failed (nothing changed) when it aborts.
 * @template T @param {(checks: IDBObjectStore, spots: IDBObjectStore) => T | Promise<T>} work @returns {Promise<T>}
 */
async function write(work) {
  const transaction = (await open()).transaction([STORE, SPOTS], 'readwrite');
  const done = new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve(undefined);
    transaction.onabort = () => reject(transaction.error ?? new DOMException('The change was stopped.', 'AbortError'));
  });
  let result;
  try {
    result = await work(transaction.objectStore(STORE), transaction.objectStore(SPOTS));
  } catch (error) {
    transaction.abort();  // one that throws at once (a full device, a value it cannot store) changes nothing either
    done.catch(() => {});
    throw error;
  }
  await done;
  return result;
}

/**
 * Deletes a spot; its checks stay, unsorted. Returns what restoreSpot needs to undo it: the spot and the ids of the
 * checks that were under it (null when there was no such spot).
 * @param {string} uid
 */
export async function deleteSpot(uid) {
  return write(async (checks, spots) => {
    const spot = await request(spots.get(uid));
    if (!spot) return null;
    const filed = (await request(checks.getAll())).filter((entry) => entry.spotId === uid);
    for (const entry of filed) {
      delete entry.spotId;
      checks.put(entry);
    }
    spots.delete(uid);
    return { spot, checkIds: filed.map((entry) => entry.id) };
  });
}

/** Puts a deleted spot back and files its checks (those still kept) under it again. @param {{spot: any, checkIds: number[]}} deleted */
export async function restoreSpot({ spot, checkIds }) {
  await write(async (checks, spots) => {
    spots.put(spot);
    for (const id of checkIds) {
      const entry = await request(checks.get(id));
      if (entry && !entry.spotId) checks.put({ ...entry, spotId: spot.uid });
    }
  });
}

/** Every kept spot that is still readable, oldest first. */
export async function listSpots() {
  const all = await request((await store('readonly', SPOTS)).getAll());
  return all.filter(readableSpot).sort((a, b) => a.created.localeCompare(b.created));
}

/** Saves an entry; returns its id. */
export async function saveCheck(entry) {
  return write((checks) => request(checks.add(entry)));
}

/**
 * Every saved entry that is still readable, newest first, and how many were skipped: an entry is data this
 * browser kept, possibly from an older version or a model that is gone, and is checked before it is shown
 * (readableCheck). A skipped entry stays stored until the person deletes all.
 */
export async function listChecks() {
  const all = await request((await store('readonly')).getAll());
  const entries = all.filter(readableCheck);
  return { entries: entries.sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id), skipped: all.length - entries.length };
}

const MAX_IMAGE_BYTES = 8 * 2 ** 20;
const safe = (value, max) => unsafeText(value, max) === null;
const localizedText = (value, max) => Boolean(value) && typeof value === 'object' && safe(value.en, max) && safe(value.vi, max);

/** Is a stored entry what saveCheck keeps, within the budgets, with safe text (web/js/safe-text.mjs)? */
export function readableCheck(entry) {
  if (!entry || typeof entry !== 'object' || !Number.isSafeInteger(entry.id)) return false;
  if (typeof entry.date !== 'string' || entry.date.length > 40 || Number.isNaN(Date.parse(entry.date))) return false;
  const { model, label, predictions } = entry;
  if (!model || !localizedText(model.name, MAX_TEXT.label) || (model.version !== '' && !safe(model.version, MAX_TEXT.id))) return false;
  if (!label || !safe(label.id, MAX_TEXT.id) || !localizedText(label, MAX_TEXT.label)) return false;
  if (!Array.isArray(predictions) || predictions.length < 1 || predictions.length > MAX_CLASSES) return false;
  if (!predictions.every((p) => p && safe(p.id, MAX_TEXT.id) && Number.isFinite(p.probability) && p.probability >= 0 &&
      p.probability <= 1)) return false;
  if (typeof entry.method !== 'string' || entry.method.length > 40) return false;
  if (entry.spotId !== undefined && !(typeof entry.spotId === 'string' && /^[0-9a-f-]{8,64}$/.test(entry.spotId))) return false;
  if (entry.region != null && !(Array.isArray(entry.region) && entry.region.length === 4 && entry.region.every(Number.isFinite))) return false;
  const image = (blob) => typeof Blob !== 'function' ? Boolean(blob) : blob instanceof Blob && blob.size <= MAX_IMAGE_BYTES;
  return image(entry.photo) && image(entry.overlay);
}

export async function deleteCheck(id) {
  await write((checks) => checks.delete(id));
}

/** Files a kept check under another spot (its uid), or unsorted (null). */
export async function moveCheck(id, spotId) {
  await write(async (checks) => {
    const entry = await request(checks.get(id));
    if (!entry) return;
    if (spotId) entry.spotId = spotId;
    else delete entry.spotId;
    checks.put(entry);
  });
}

/** Puts deleted entries back as they were, ids included (the undo after a deletion). */
export async function restoreChecks(entries) {
  await write((checks) => {
    for (const entry of entries) checks.put(entry);
  });
}

/**
 * Adds the checks of a history file (history-file.mjs readHistoryFile) that are not kept yet (same moment, same
 * photo: history-file.mjs checkKey), all in one transaction: if the device has no room for them (a quota error),
 * none is added and what was kept stays as it was. Returns how many were added and how many were already here.
 * The file's spots come with them (those not kept yet, by uid).
 * @param {any[]} entries @param {(entry: any) => Promise<string>} keyOf @param {any[]} [spots]
 */
export async function importChecks(entries, keyOf, spots = []) {
  const knownSpots = new Set((await listSpots()).map((s) => s.uid));
  const freshSpots = spots.filter((s) => !knownSpots.has(s.uid));
  const kept = await request((await store('readonly')).getAll());
  const known = new Set(await Promise.all(kept.filter(readableCheck).map(keyOf)));
  const fresh = [];
  for (const entry of entries) {
    const key = await keyOf(entry);
    if (known.has(key)) continue;
    known.add(key);  // a file that holds the same check twice adds it once
    fresh.push(entry);
  }
  if (fresh.length || freshSpots.length) {
    await write((checks, places) => {
      for (const entry of fresh) checks.add(entry);  // a failed add aborts the whole transaction
      for (const spot of freshSpots) places.put(spot);
    });
  }
  return { added: fresh.length, duplicates: entries.length - fresh.length, spots: freshSpots.length };
}

export async function deleteAllChecks() {
  await write((checks) => checks.clear());
}
