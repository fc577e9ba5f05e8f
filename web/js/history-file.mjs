// @ts-check
// The history as one file that leaves the device only as the person carries it (a backup, a move to a new phone):
// JSON, versioned, each check's photo and map embedded as base64. Reading one is reading data from anywhere: the
// format and version are checked, every check goes through the same test as a stored one (history.mjs
// readableCheck), images must be JPEG or PNG by their own bytes (an SVG or HTML "image" could carry script), and
// the whole file and each image stay within the budgets. A file that fails any of it is refused whole, with the
// reason; nothing already kept is touched.
//
// File: {format: 'dermcam-checks', version: 1, exported: ISO date, spots: [spots.mjs spots], checks: [{date,
// model: {name, version}, label, predictions: [{id, probability}], method, region, spotId?: one of the file's spots,
// photo: {type, base64}, overlay: {type, base64}}]}
import { DermcamError } from './errors.mjs';
import { readableCheck } from './history.mjs';
import { MAX_SPOTS, readableSpot } from './spots.mjs';

export const HISTORY_FORMAT = 'dermcam-checks';
export const HISTORY_VERSION = 1;
// A thousand checks of two 512 px JPEGs each is about 150 MB of base64: more is not a history file.
export const MAX_HISTORY_FILE_BYTES = 200 * 2 ** 20;
export const MAX_HISTORY_CHECKS = 1000;

const IMAGE_TYPES = Object.freeze({
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.length > 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((v, i) => b[i] === v),
});

/** @param {Uint8Array} bytes */
function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** @param {string} text */
function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** @param {Blob} blob */
async function embedded(blob) {
  return { type: blob.type, base64: toBase64(new Uint8Array(await blob.arrayBuffer())) };
}

/**
 * The file for these checks (history.mjs entries, as listChecks gives them), as UTF-8 bytes. The ids stay behind:
 * they are this browser's.
 * The spots go with them (a check keeps its spot only when the spot is in the file).
 * @param {any[]} entries
 * @param {any[]} [spots]
 * @param {Date} [now]
 */
export async function exportChecks(entries, spots = [], now = new Date()) {
  const uids = new Set(spots.map((s) => s.uid));
  const checks = [];
  for (const { date, model, label, predictions, method, region, spotId, photo, overlay } of entries) {
    checks.push({ date, model, label, predictions, method, region: region ?? null, ...(uids.has(spotId) ? { spotId } : {}),
      photo: await embedded(photo), overlay: await embedded(overlay) });
  }
  const file = { format: HISTORY_FORMAT, version: HISTORY_VERSION, exported: now.toISOString(),
    spots: spots.map(({ uid, name, view, region, x, y, created }) => ({ uid, name, view, region, x, y, created })), checks };
  return new TextEncoder().encode(JSON.stringify(file));
}

const refuse = (reason, params = {}) => new DermcamError('bad_history_file', `This is not a dermcam history file dermcam can read: ${reason}.`,
  { reason, ...params });

/** Refuses a file too large to be a history file before it is read. @param {number} size in bytes */
export function checkHistoryFileSize(size) {
  if (size > MAX_HISTORY_FILE_BYTES) throw refuse('too_large', { megabytes: Math.ceil(size / 2 ** 20), limit: MAX_HISTORY_FILE_BYTES / 2 ** 20 });
}

/** @param {any} image @param {number} index @param {string} field */
function readImage(image, index, field) {
  if (!image || typeof image !== 'object' || typeof image.type !== 'string' || typeof image.base64 !== 'string') {
    throw refuse('image_missing', { check: index + 1, field });
  }
  const isType = IMAGE_TYPES[image.type];
  if (!isType) throw refuse('image_type', { check: index + 1, field, type: image.type.slice(0, 40) });
  let bytes;
  try {
    bytes = fromBase64(image.base64);
  } catch {
    throw refuse('image_damaged', { check: index + 1, field });
  }
  if (!isType(bytes)) throw refuse('image_damaged', { check: index + 1, field });
  return new Blob([bytes], { type: image.type });
}

/**
 * The checks a history file holds, as entries saveCheck keeps (without ids), and its spots, or a DermcamError
 * 'bad_history_file' whose params.reason says what is wrong: too_large, not_json, not_history, newer_version,
 * too_many, spot_invalid, check_invalid, image_missing, image_type, image_damaged (with the check's or spot's number
 * and field where one is at fault).
 * @param {Uint8Array} bytes
 * @returns {{checks: any[], spots: any[]}}
 */
export function readHistoryFile(bytes) {
  checkHistoryFileSize(bytes.length);
  let file;
  try {
    file = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw refuse('not_json');
  }
  if (!file || typeof file !== 'object' || file.format !== HISTORY_FORMAT || !Number.isInteger(file.version) || !Array.isArray(file.checks)) {
    throw refuse('not_history');
  }
  if (file.version > HISTORY_VERSION || file.version < 1) throw refuse('newer_version', { version: file.version });
  if (file.checks.length > MAX_HISTORY_CHECKS) throw refuse('too_many', { count: file.checks.length, limit: MAX_HISTORY_CHECKS });
  const listed = file.spots ?? [];
  if (!Array.isArray(listed) || listed.length > MAX_SPOTS) throw refuse('not_history');
  const spots = listed.map((spot, index) => {
    const { uid, name, view, region, x, y, created } = spot ?? {};
    const place = { uid, name, view, region, x, y, created };
    if (!readableSpot(place)) throw refuse('spot_invalid', { spot: index + 1 });
    return place;
  });
  const uids = new Set(spots.map((s) => s.uid));
  const checks = file.checks.map((check, index) => {
    if (!check || typeof check !== 'object') throw refuse('check_invalid', { check: index + 1 });
    const { date, model, label, predictions, method, region, spotId } = check;
    if (spotId !== undefined && !uids.has(spotId)) throw refuse('check_invalid', { check: index + 1 });
    // Only the fields a check has are taken: anything else in the file is not read.
    const entry = { date, model, label, predictions, method, region: region ?? null, ...(spotId === undefined ? {} : { spotId }),
      photo: readImage(check.photo, index, 'photo'), overlay: readImage(check.overlay, index, 'overlay') };
    if (!readableCheck({ ...entry, id: 0 })) throw refuse('check_invalid', { check: index + 1 });
    return entry;
  });
  return { checks, spots };
}

/**
 * What makes two checks the same check: the moment it was made and its photo's bytes (an import of a file exported
 * from this device, or imported twice, adds nothing).
 * @param {{date: string, photo: Blob}} entry
 */
export async function checkKey(entry) {
  const digest = await crypto.subtle.digest('SHA-256', await entry.photo.arrayBuffer());
  return `${entry.date} ${toBase64(new Uint8Array(digest))}`;
}
