// @ts-check
// NumPy .npy (format 1.0/2.0), C order, little-endian: float32 (what the CLI reads with --tensor and writes
// with --heatmap-out) and, for reading data sets, uint8, bool and int64. Works in the browser and in Node.
import { DermcamError } from './errors.mjs';

/** @returns {Uint8Array} the .npy file bytes. */
export function encodeNpy(data, shape) {
  if (!(data instanceof Float32Array)) throw new TypeError('encodeNpy needs a Float32Array');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape ${shape} does not match ${data.length} values`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

const DTYPES = {
  '<f4': Float32Array, '=f4': Float32Array, '|f4': Float32Array,
  '|u1': Uint8Array, '<u1': Uint8Array, '|b1': Uint8Array,
  '<i8': BigInt64Array, '=i8': BigInt64Array,
};

/**
 * @param {Uint8Array} bytes
 * @param {{allow?: string[]}} [options]  dtypes accepted besides float32 (e.g. ['|u1', '<i8'])
 * @returns {{data: Float32Array|Uint8Array|BigInt64Array, shape: number[], dtype: string}}
 */
export function decodeNpy(bytes, { allow = [] } = {}) {
  const fail = (why) => {
    throw new DermcamError('bad_npy', `Not a usable .npy file: ${why}.`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected bytes');
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength;
  let offset;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLength = view.getUint32(8, true);
    offset = 12;
  } else {
    fail(`unknown format version ${major}`);
  }
  if (offset + headerLength > bytes.length) fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(offset, offset + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const isFloat32 = descr === '<f4' || descr === '=f4' || descr === '|f4';
  if (!isFloat32 && !(allow.includes(descr) && DTYPES[descr])) fail(`dtype ${descr ?? '?'} is not float32 (use np.float32)`);
  const Type = DTYPES[descr];
  if (!/'fortran_order':\s*False/.test(header)) fail('Fortran order is not supported (use np.ascontiguousarray)');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) fail('no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail('bad shape');
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLength;
  const width = Type.BYTES_PER_ELEMENT;
  if (bytes.length - start !== count * width) fail(`expected ${count} values, found ${(bytes.length - start) / width}`);
  const data = new Type(count);
  new Uint8Array(data.buffer).set(bytes.subarray(start));
  return { data, shape, dtype: descr };
}
