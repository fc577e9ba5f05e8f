// NumPy .npy (format 1.0/2.0) for little-endian float32 arrays in C order: what the CLI reads (--tensor)
// and writes (--heatmap-out), and what the reference scripts produce. Works in the browser and in Node.

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

/** @returns {{data: Float32Array, shape: number[]}}; throws a clear Error for anything else. */
export function decodeNpy(bytes) {
  const fail = (why) => {
    throw new Error(`Not a usable .npy file: ${why}.`);
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
  if (descr !== '<f4' && descr !== '=f4' && descr !== '|f4') fail(`dtype ${descr ?? '?'} is not float32 (use np.float32)`);
  if (!/'fortran_order':\s*False/.test(header)) fail('Fortran order is not supported (use np.ascontiguousarray)');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) fail('no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail('bad shape');
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLength;
  if (bytes.length - start !== count * 4) fail(`expected ${count} float32 values, found ${(bytes.length - start) / 4}`);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(bytes.subarray(start));
  return { data, shape };
}
