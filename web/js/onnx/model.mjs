// @ts-check
// Reading and editing ONNX models (protobuf via the generated static code in web/prebuilt/onnx-proto.mjs).
// Shared by the browser worker and Node. Unknown protobuf fields survive a decode/encode round trip.
import { onnx } from '../../prebuilt/onnx-proto.mjs';
import { MAX_MODEL_BYTES, MAX_NODES, megabytes } from '../budgets.mjs';
import { DermcamError } from '../errors.mjs';

export { onnx };
export const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

/** protobufjs gives int64 fields as Long objects (long.js); everything here wants plain numbers. */
export function toNumber(value) {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') return value;
  if (typeof value.toNumber === 'function') return value.toNumber();
  return Number(value);
}

// Protobuf wire format, just enough to count a graph's nodes before decoding them: a 10 MB file can hold five
// million empty nodes, which take gigabytes once decoded. Returns -1 when the bytes are not well-formed framing
// (the decoder then says why).
const MODEL_GRAPH_FIELD = 7;  // ModelProto.graph
const GRAPH_NODE_FIELD = 1;  // GraphProto.node
function countNodes(bytes) {
  let nodes = 0;
  const fields = (start, end, visit) => {
    let at = start;
    const varint = () => {
      let value = 0;
      for (let shift = 0; shift < 64; shift += 7) {
        if (at >= end) return -1;
        const byte = bytes[at++];
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
      }
      return -1;
    };
    while (at < end) {
      const tag = varint();
      if (tag < 0) return false;
      const wire = tag % 8;
      if (wire === 0) {
        if (varint() < 0) return false;
      } else if (wire === 1 || wire === 5) {
        at += wire === 1 ? 8 : 4;
      } else if (wire === 2) {
        const length = varint();
        if (length < 0 || at + length > end) return false;
        if (!visit(Math.floor(tag / 8), at, at + length)) return false;
        at += length;
      } else {
        return false;
      }
    }
    return at === end;
  };
  const ok = fields(0, bytes.length, (field, start, end) => field !== MODEL_GRAPH_FIELD ||
    fields(start, end, (graphField) => {
      if (graphField === GRAPH_NODE_FIELD) nodes += 1;
      return true;
    }));
  return ok ? nodes : -1;
}

/**
 * A ModelProto from .onnx bytes, within the budgets (budgets.mjs): refused before decoding when the file is over
 * MAX_MODEL_BYTES or its graph has more than MAX_NODES nodes.
 */
export function decodeModel(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new DermcamError('not_onnx', 'The model file is empty.');
  }
  if (bytes.length > MAX_MODEL_BYTES) {
    throw new DermcamError('model_too_large', `The model file is ${megabytes(bytes.length)}; dermcam loads models of up ` +
      `to ${megabytes(MAX_MODEL_BYTES)}.`, { limit: 'model_bytes' });
  }
  const nodes = countNodes(bytes);
  if (nodes > MAX_NODES) {
    throw new DermcamError('model_too_large', `The model's graph has ${nodes} nodes; dermcam reads graphs of up to ` +
      `${MAX_NODES}.`, { limit: 'nodes' });
  }
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new DermcamError('not_onnx', `This is not a readable ONNX model (${error.message}).`);
  }
  if (!model.graph || !model.graph.node?.length) {
    throw new DermcamError('not_onnx', 'This ONNX file holds no graph (is it an ONNX model?).');
  }
  return model;
}

export function encodeModel(model) {
  return onnx.ModelProto.encode(model).finish();
}

/** The opset version the model imports for the default ONNX domain. */
export function defaultOpset(model) {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) throw new DermcamError('not_onnx', 'The model imports no ONNX operator set.');
  return toNumber(entry.version);
}

export function attribute(node, name, fallback = undefined) {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) return fallback;
  switch (a.type) {
    case AttrType.FLOAT: return a.f;
    case AttrType.INT: return toNumber(a.i);
    case AttrType.STRING: return new TextDecoder().decode(a.s);
    case AttrType.FLOATS: return Array.from(a.floats);
    case AttrType.INTS: return a.ints.map(toNumber);
    case AttrType.TENSOR: return a.t;
    default: return fallback;
  }
}

export function makeAttribute(name, value) {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    if (value.every(Number.isInteger)) return { name, type: AttrType.INTS, ints: value };
    return { name, type: AttrType.FLOATS, floats: value };
  }
  if (value && typeof value === 'object' && value.dataType !== undefined) return { name, type: AttrType.TENSOR, t: value };
  if (Number.isInteger(value) && !(value instanceof Float)) return { name, type: AttrType.INT, i: value };
  return { name, type: AttrType.FLOAT, f: value instanceof Float ? value.value : value };
}

/** Marks a number as a FLOAT attribute even when it is integral (e.g. alpha = 1). */
export class Float {
  constructor(value) {
    this.value = value;
  }
}

/** Values of a TensorProto as a JS array (numbers), and its dims. Supports the types constants use. */
export function tensorValues(tensor) {
  const dims = tensor.dims.map(toNumber);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  const type = tensor.dataType;
  if (raw && raw.length) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Array(count);
    for (let i = 0; i < count; i++) {
      switch (type) {
        case DataType.FLOAT: out[i] = view.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: out[i] = view.getFloat64(i * 8, true); break;
        case DataType.INT64: out[i] = Number(view.getBigInt64(i * 8, true)); break;
        case DataType.INT32: out[i] = view.getInt32(i * 4, true); break;
        case DataType.BOOL: case DataType.UINT8: out[i] = view.getUint8(i); break;
        default: throw new DermcamError('unsupported_tensor', `Tensor '${tensor.name}' has a data type dermcam does not read.`);
      }
    }
    return { dims, values: out };
  }
  let values;
  if (type === DataType.FLOAT) values = Array.from(tensor.floatData);
  else if (type === DataType.DOUBLE) values = Array.from(tensor.doubleData);
  else if (type === DataType.INT64) values = tensor.int64Data.map(toNumber);
  else if (type === DataType.INT32 || type === DataType.BOOL || type === DataType.UINT8) values = Array.from(tensor.int32Data);
  else throw new DermcamError('unsupported_tensor', `Tensor '${tensor.name}' has a data type dermcam does not read.`);
  return { dims, values };
}

export function floatTensor(name, values, dims) {
  const data = Float32Array.from(values);
  return { name, dims, dataType: DataType.FLOAT, rawData: new Uint8Array(data.buffer) };
}

export function int64Tensor(name, values, dims) {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, dataType: DataType.INT64, rawData: new Uint8Array(data.buffer) };
}

/** A tensor's ValueInfoProto with element type and dims (numbers, or strings for symbolic dims). */
export function valueInfo(name, elemType, dims) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Index of a model's graph: producers, consumers, constants, names. */
export class GraphIndex {
  constructor(model) {
    this.model = model;
    this.graph = model.graph;
    this.opset = defaultOpset(model);
    this.producer = new Map();
    this.consumers = new Map();
    this.initializers = new Map(this.graph.initializer.map((t) => [t.name, t]));
    this.names = new Set([...this.initializers.keys(), ...this.graph.input.map((i) => i.name)]);
    this.graph.node.forEach((node, index) => {
      for (const output of node.output) {
        if (output) {
          this.producer.set(output, index);
          this.names.add(output);
        }
      }
      for (const input of node.input) {
        if (!input) continue;
        if (!this.consumers.has(input)) this.consumers.set(input, []);
        this.consumers.get(input).push(index);
      }
    });
    this.nodeNames = new Set(this.graph.node.map((n) => n.name).filter(Boolean));
  }

  /** Nodes in an order where every node comes after the producers of its inputs. */
  topologicalOrder() {
    const n = this.graph.node.length;
    const pending = new Array(n).fill(0);
    const ready = [];
    this.graph.node.forEach((node, i) => {
      pending[i] = node.input.filter((x) => x && this.producer.has(x)).length;
      if (pending[i] === 0) ready.push(i);
    });
    const order = [];
    while (ready.length) {
      const i = ready.shift();
      order.push(i);
      for (const output of this.graph.node[i].output) {
        for (const c of this.consumers.get(output) ?? []) {
          pending[c] -= this.graph.node[c].input.filter((x) => x === output).length;
          if (pending[c] === 0) ready.push(c);
        }
      }
    }
    if (order.length !== n) throw new DermcamError('invalid_graph', 'The graph has a cycle or dangling inputs.');
    return order;
  }

  /** Constant value (from an initializer or a Constant node) or undefined. */
  constant(name) {
    if (this.initializers.has(name) && !this.graph.input.some((i) => i.name === name)) {
      return tensorValues(this.initializers.get(name));
    }
    const p = this.producer.get(name);
    if (p === undefined) return undefined;
    const node = this.graph.node[p];
    if (node.opType !== 'Constant') return undefined;
    const t = attribute(node, 'value');
    if (t) return tensorValues(t);
    const f = attribute(node, 'value_float');
    if (f !== undefined) return { dims: [], values: [f] };
    const fs = attribute(node, 'value_floats');
    if (fs !== undefined) return { dims: [fs.length], values: fs };
    const i = attribute(node, 'value_int');
    if (i !== undefined) return { dims: [], values: [i] };
    const is = attribute(node, 'value_ints');
    if (is !== undefined) return { dims: [is.length], values: is };
    return undefined;
  }

  nodeLabel(node) {
    return node.name ? `'${node.name}'` : `producing '${node.output[0]}'`;
  }
}
