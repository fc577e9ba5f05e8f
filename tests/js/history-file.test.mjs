// The history file (web/js/history-file.mjs): what leaves the device comes back the same, and a file that is not
// one (another JSON, a newer version, a damaged or altered check, a picture that is not a JPEG or PNG) is refused
// whole, with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { HISTORY_FORMAT, MAX_HISTORY_CHECKS, checkKey, exportChecks, readHistoryFile } from '../../web/js/history-file.mjs';
import { FIXTURES } from './helpers.mjs';
import { newSpot } from '../../web/js/spots.mjs';

const JPEG = new Uint8Array(readFileSync(join(FIXTURES, 'lesion.jpg')));
const PNG = new Uint8Array(readFileSync(join(FIXTURES, 'blocks.png')));

function entry(overrides = {}) {
  return {
    id: 7,
    date: '2026-11-30T09:15:00.000Z',
    model: { name: { en: 'Demo model', vi: 'Mô hình minh hoạ' }, version: '3.1.0' },
    label: { id: 'melanoma', en: 'Melanoma-like lesion', vi: 'Tổn thương giống u hắc tố' },
    predictions: [{ id: 'melanoma', probability: 0.81 }, { id: 'nevus', probability: 0.19 }],
    method: 'gradcam',
    region: [10, 20, 300, 300],
    photo: new Blob([JPEG], { type: 'image/jpeg' }),
    overlay: new Blob([PNG], { type: 'image/png' }),
    ...overrides,
  };
}

const fileOf = (value) => new TextEncoder().encode(JSON.stringify(value));
const parsed = async (entries, spots) => JSON.parse(new TextDecoder().decode(await exportChecks(entries, spots)));
const refusal = (bytes) => {
  try {
    readHistoryFile(bytes);
  } catch (error) {
    assert.equal(error.code, 'bad_history_file');
    return error.params;
  }
  assert.fail('the file was read');
};

test('a history file brings back the same checks, pictures byte for byte, without this browser\'s ids', async () => {
  const second = entry({ date: '2026-12-01T10:00:00.000Z', region: null, photo: new Blob([PNG], { type: 'image/png' }) });
  const spot = newSpot({ name: 'Mole on the left shoulder', view: 'back', region: 'upperBack', x: 0.4, y: 0.25 });
  const gone = newSpot({ name: 'Not exported', view: 'front', region: 'chest', x: 0.5, y: 0.3 });
  const first = entry({ spotId: spot.uid });
  second.spotId = gone.uid;  // a spot that is not in the file: the check goes unsorted
  const bytes = await exportChecks([first, second], [spot], new Date('2026-12-05T00:00:00Z'));
  const file = JSON.parse(new TextDecoder().decode(bytes));
  assert.equal(file.format, HISTORY_FORMAT);
  assert.equal(file.version, 1);
  assert.equal(file.exported, '2026-12-05T00:00:00.000Z');
  assert.equal(file.checks[0].id, undefined);
  const { checks: back, spots } = readHistoryFile(bytes);
  assert.deepEqual(spots, [spot]);
  assert.equal(back.length, 2);
  delete second.spotId;
  for (const [i, original] of [first, second].entries()) {
    const { photo, overlay, id, ...rest } = original;
    const { photo: photoBack, overlay: overlayBack, ...restBack } = back[i];
    assert.deepEqual(restBack, { ...rest, region: rest.region ?? null });
    assert.deepEqual(new Uint8Array(await photoBack.arrayBuffer()), new Uint8Array(await photo.arrayBuffer()));
    assert.deepEqual(new Uint8Array(await overlayBack.arrayBuffer()), new Uint8Array(await overlay.arrayBuffer()));
    assert.equal(photoBack.type, photo.type);
    assert.equal(id, 7);
  }
  // The same check, read back, is the same check; another moment or another photo is not.
  assert.equal(await checkKey(back[0]), await checkKey(entry()));
  assert.notEqual(await checkKey(back[0]), await checkKey(back[1]));
  assert.notEqual(await checkKey(entry()), await checkKey(entry({ photo: new Blob([PNG], { type: 'image/jpeg' }) })));
});

test('what is not a history file, or not this version\'s, is refused with its reason', async () => {
  assert.equal(refusal(new TextEncoder().encode('<html><script>alert(1)</script></html>')).reason, 'not_json');
  assert.equal(refusal(new Uint8Array([0xff, 0xfe, 0x00])).reason, 'not_json');
  assert.equal(refusal(fileOf({ name: 'model', gate: {} })).reason, 'not_history');
  assert.equal(refusal(fileOf({ format: HISTORY_FORMAT, version: 1, checks: {} })).reason, 'not_history');
  assert.deepEqual(refusal(fileOf({ format: HISTORY_FORMAT, version: 2, checks: [] })), { reason: 'newer_version', version: 2 });
  assert.equal(refusal(fileOf({ format: HISTORY_FORMAT, version: 1, checks: new Array(MAX_HISTORY_CHECKS + 1).fill(null) })).reason, 'too_many');
  assert.deepEqual(readHistoryFile(fileOf({ format: HISTORY_FORMAT, version: 1, checks: [] })), { checks: [], spots: [] });
});

test('an altered check or a picture that is not a JPEG or PNG refuses the whole file, naming the check', async () => {
  const spot = newSpot({ name: 'Left calf', view: 'back', region: 'lowerLegLeft', x: 0.4, y: 0.8 });
  const good = await parsed([entry(), entry({ date: '2026-12-02T08:00:00.000Z', spotId: spot.uid })], [spot]);
  const altered = (edit) => {
    const file = structuredClone(good);
    edit(file.checks[1]);
    return fileOf(file);
  };
  assert.deepEqual(refusal(altered((c) => { c.predictions[0].probability = 2; })), { reason: 'check_invalid', check: 2 });
  assert.deepEqual(refusal(altered((c) => { c.date = 'yesterday'; })), { reason: 'check_invalid', check: 2 });
  // Text that would reorder what surrounds it on the page (safe-text.mjs) is refused like a stored entry's.
  assert.deepEqual(refusal(altered((c) => { c.label.en = 'Benign\u202e 99%'; })), { reason: 'check_invalid', check: 2 });
  assert.deepEqual(refusal(altered((c) => { delete c.overlay; })), { reason: 'image_missing', check: 2, field: 'overlay' });
  const svg = btoa('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
  assert.deepEqual(refusal(altered((c) => { c.photo = { type: 'image/svg+xml', base64: svg }; })),
    { reason: 'image_type', check: 2, field: 'photo', type: 'image/svg+xml' });
  // A "PNG" whose bytes are a page with a script, and base64 that is not base64.
  assert.deepEqual(refusal(altered((c) => { c.overlay = { type: 'image/png', base64: btoa('<html><script>1</script>') }; })),
    { reason: 'image_damaged', check: 2, field: 'overlay' });
  assert.deepEqual(refusal(altered((c) => { c.photo.base64 = '%%%'; })), { reason: 'image_damaged', check: 2, field: 'photo' });
  // A check of a spot the file does not hold; a spot in no known place, or with a name that reorders the page.
  assert.deepEqual(refusal(altered((c) => { c.spotId = '0123abcd-0000-4000-8000-000000000000'; })), { reason: 'check_invalid', check: 2 });
  const spotAltered = (edit) => {
    const file = structuredClone(good);
    edit(file.spots[0]);
    return fileOf(file);
  };
  assert.deepEqual(refusal(spotAltered((s) => { s.region = 'elbowOfMars'; })), { reason: 'spot_invalid', spot: 1 });
  assert.deepEqual(refusal(spotAltered((s) => { s.name = 'Mole\u202e'; })), { reason: 'spot_invalid', spot: 1 });
  assert.deepEqual(refusal(spotAltered((s) => { s.x = 3; })), { reason: 'spot_invalid', spot: 1 });
  // Fields a check does not have are not read.
  const { checks: extra } = readHistoryFile(altered((c) => { c.onclick = 'alert(1)'; c.id = 99; }));
  assert.equal(extra[1].spotId, spot.uid);
  assert.equal(extra[1].onclick, undefined);
  assert.equal(extra[1].id, undefined);
});

test('a spot needs a name without controls and a place the body map has', () => {
  const place = { view: 'front', region: 'chest', x: 0.5, y: 0.3 };
  const spot = newSpot({ ...place, name: '  Mole under the collarbone ' });
  assert.equal(spot.name, 'Mole under the collarbone');
  assert.match(spot.uid, /^[0-9a-f-]{36}$/);
  assert.equal(newSpot({ ...place, name: '   ' }), null);
  assert.equal(newSpot({ ...place, name: 'x'.repeat(61) }), null);
  assert.equal(newSpot({ ...place, name: 'Mole\u202e' }), null);
  assert.equal(newSpot({ ...place, region: 'upperBack', name: 'On the front?' }), null);  // the back's region
  assert.equal(newSpot({ ...place, view: 'side', name: 'Side' }), null);
  assert.equal(newSpot({ ...place, x: -0.1, name: 'Off the map' }), null);
});
