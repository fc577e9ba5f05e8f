// Shared by the Node and browser tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = `${ROOT}tests/fixtures/images/`;
export const NATIVE_BUILD = process.env.DERMCAM_NATIVE_BUILD ?? `${ROOT}build/native`;

export function fixture(name) {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

/** A copy of `jpeg` with an APP1 Exif segment (big-endian TIFF, IFD0 Orientation = value) after SOI. */
export function withExifOrientation(jpeg, value) {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, value >> 8, value & 0xff, 0, 0,
    0, 0, 0, 0];
  const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
  const length = payload.length + 2;
  const segment = [0xff, 0xe1, length >> 8, length & 0xff, ...payload];
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}
