// @ts-check
// Spots: the places on the body a person watches, each with a name and its checks over time (history.mjs keeps
// them beside the checks). A spot is placed on the body map (web/index.html draws a front and a back outline whose
// shapes carry these region ids) or, without pointing, chosen from the list of the same regions by name.
// A spot: {uid, name, view: 'front'|'back', region, x, y (0-1 across the outline's width and height), created}.
import { MAX_TEXT } from './budgets.mjs';
import { unsafeText } from './safe-text.mjs';

/** The body map's regions in each view, in the order the list offers them; the catalogue names each (region_<id>). */
export const BODY_REGIONS = Object.freeze({
  front: ['head', 'neck', 'chest', 'abdomen', 'pelvis', 'upperArmRight', 'forearmRight', 'handRight', 'upperArmLeft',
    'forearmLeft', 'handLeft', 'thighRight', 'lowerLegRight', 'footRight', 'thighLeft', 'lowerLegLeft', 'footLeft'],
  back: ['head', 'neck', 'upperBack', 'lowerBack', 'buttocks', 'upperArmLeft', 'forearmLeft', 'handLeft', 'upperArmRight',
    'forearmRight', 'handRight', 'thighLeft', 'lowerLegLeft', 'footLeft', 'thighRight', 'lowerLegRight', 'footRight'],
});

export const MAX_SPOTS = 200;
export const MAX_SPOT_NAME = 60;

/** Is this a spot as newSpot makes it, with a name that is safe text? @param {any} spot */
export function readableSpot(spot) {
  if (!spot || typeof spot !== 'object' || typeof spot.uid !== 'string' || !/^[0-9a-f-]{8,64}$/.test(spot.uid)) return false;
  if (typeof spot.name !== 'string' || spot.name.length > MAX_SPOT_NAME || unsafeText(spot.name, MAX_TEXT.label) !== null) return false;
  if (!Object.hasOwn(BODY_REGIONS, spot.view) || !BODY_REGIONS[spot.view].includes(spot.region)) return false;
  if (![spot.x, spot.y].every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) return false;
  return typeof spot.created === 'string' && spot.created.length <= 40 && !Number.isNaN(Date.parse(spot.created));
}

/**
 * A new spot, or null when what it was given is not one (an empty or unsafe name, an unknown place).
 * @param {{name: string, view: string, region: string, x: number, y: number}} place
 */
export function newSpot({ name, view, region, x, y }, now = new Date()) {
  const spot = { uid: crypto.randomUUID(), name: String(name ?? '').trim(), view, region, x, y, created: now.toISOString() };
  return spot.name && readableSpot(spot) ? spot : null;
}

/** The spot with another name, or null when the name is empty or unsafe. @param {any} spot @param {string} name */
export function renamedSpot(spot, name) {
  const renamed = { ...spot, name: String(name ?? '').trim() };
  return renamed.name && readableSpot(renamed) ? renamed : null;
}
