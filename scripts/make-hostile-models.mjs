// The hostile-model corpus: models and model descriptions made to break dermcam (protobuf framing, graph faults,
// forged explain metadata, huge shapes, NaN and infinite outputs, invisible text, model.json edge cases). Each
// case is a folder like a model's (model.onnx, and model.json unless the case is about its absence) and what
// dermcam must answer: the error code, and a pattern of the message. tests/js/hostile.test.mjs runs every case
// through the CLI, tests/e2e/app.browser.test.mjs a few through the app. Made from the demo model, in memory:
//   node scripts/make-hostile-models.mjs OUT_DIR     writes every case to OUT_DIR/NAME/ and a cases.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EXPLAIN_METADATA_KEY, stripExplainGraph } from '../web/js/onnx/explain.mjs';
import { DataType, decodeModel, encodeModel, floatTensor, valueInfo } from '../web/js/onnx/model.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = join(ROOT, 'models/demo');

// Protobuf framing by hand, for files the encoder would never write.
function varint(value) {
  const bytes = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return bytes;
}
function lengthDelimited(field, payload) {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * A ReLU chain: input [N, 3, 8, 8] -> `length` Relu nodes -> GlobalAveragePool -> Flatten -> `headLength` Relu
 * nodes on the pooled [N, 3] -> Gemm (2 classes).
 */
export function reluChain(length, { headLength = 0 } = {}) {
  const nodes = [];
  let x = 'input';
  for (let i = 0; i < length; i++) {
    nodes.push({ opType: 'Relu', input: [x], output: [`r${i}`], name: `relu${i}`, attribute: [] });
    x = `r${i}`;
  }
  nodes.push({ opType: 'GlobalAveragePool', input: [x], output: ['pooled'], name: 'pool', attribute: [] });
  nodes.push({ opType: 'Flatten', input: ['pooled'], output: ['flat'], name: 'flatten', attribute: [] });
  x = 'flat';
  for (let i = 0; i < headLength; i++) {
    nodes.push({ opType: 'Relu', input: [x], output: [`h${i}`], name: `head_relu${i}`, attribute: [] });
    x = `h${i}`;
  }
  nodes.push({ opType: 'Gemm', input: [x, 'w', 'b'], output: ['logits'], name: 'head', attribute: [
    { name: 'transB', type: 2, i: 1 }] });
  return encodeModel({
    irVersion: 8,
    producerName: 'dermcam-hostile',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'relu_chain',
      node: nodes,
      initializer: [floatTensor('w', [1, -1, 0.5, -0.5, 0.25, 2], [2, 3]), floatTensor('b', [0.1, -0.1], [2])],
      input: [valueInfo('input', DataType.FLOAT, ['N', 3, 8, 8])],
      output: [valueInfo('logits', DataType.FLOAT, ['N', 2])],
    },
  });
}

/** A model.json for the chain (2 classes, 8 x 8 input). */
export function chainConfig() {
  const text = { en: 'A test model.', vi: 'Mô hình thử.' };
  return {
    schema: 'dermcam-model/1',
    name: { en: 'ReLU chain', vi: 'Chuỗi ReLU' },
    labels: [{ id: 'a', en: 'A', vi: 'A' }, { id: 'b', en: 'B', vi: 'B' }],
    input: { width: 8, height: 8, layout: 'NCHW', scale: '0-1', mean: [0, 0, 0], std: [1, 1, 1], resize: 'stretch' },
    explain: { classes: 1 },
    card: { summary: text, data: text, intendedUse: text, limits: text, provenance: text, licence: 'none' },
  };
}

function withMetadata(bytes, edit) {
  const model = decodeModel(bytes);
  const entry = model.metadataProps.find((p) => p.key === EXPLAIN_METADATA_KEY);
  const edited = edit(JSON.parse(entry.value), model);
  entry.value = typeof edited === 'string' ? edited : JSON.stringify(edited);
  return encodeModel(model);
}

function withInitializer(bytes, name, values) {
  const model = decodeModel(bytes);
  const index = model.graph.initializer.findIndex((t) => t.name === name);
  model.graph.initializer[index] = floatTensor(name, values, model.graph.initializer[index].dims.map(Number));
  return encodeModel(model);
}

function withOutputDims(bytes, name, dims) {
  const model = decodeModel(bytes);
  const output = model.graph.output.find((o) => o.name === name);
  output.type.tensorType.shape.dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return encodeModel(model);
}

function withInputDims(bytes, dims) {
  const model = decodeModel(bytes);
  model.graph.input[0].type.tensorType.shape.dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return encodeModel(model);
}

/**
 * Every case: {name, why, files: {'model.onnx'?: Uint8Array, 'model.json'?: string | Uint8Array}, code, message
 * (a RegExp source the CLI's message must match), accepted? (true: the model must load and explain a photo)}.
 */
export function hostileCases() {
  const onnx = new Uint8Array(readFileSync(join(DEMO, 'model.onnx')));
  const configText = readFileSync(join(DEMO, 'model.json'), 'utf8');
  const config = () => JSON.parse(configText);
  const json = (value) => JSON.stringify(value);
  const describe = (edit) => {
    const c = config();
    edit(c);
    return json({ ...c, model: 'model.onnx' });
  };
  const demoJson = describe(() => {});
  const cases = [];
  const add = (name, why, files, code, message, extra = {}) => cases.push({ name, why, files, code, message, ...extra });

  // Protobuf framing and file types
  add('empty-file', 'an empty .onnx', { 'model.onnx': new Uint8Array(0), 'model.json': demoJson }, 'not_onnx', 'empty');
  add('truncated', 'the demo model cut in half', { 'model.onnx': onnx.subarray(0, onnx.length >> 1), 'model.json': demoJson },
    'not_onnx', 'not a readable ONNX model');
  add('png-as-model', 'a PNG photo named model.onnx', { 'model.onnx': new Uint8Array(readFileSync(join(ROOT, 'web/icons/icon-512.png'))),
    'model.json': demoJson }, 'not_onnx', 'not a readable ONNX model|holds no graph');
  add('random-bytes', 'random bytes', { 'model.onnx': Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251),
    'model.json': demoJson }, 'not_onnx', 'not a readable ONNX model|holds no graph');
  add('bad-length', 'a length prefix pointing past the end', { 'model.onnx': Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0x0f, 1, 2]),
    'model.json': demoJson }, 'not_onnx', 'not a readable ONNX model');
  {
    // 5 million empty nodes: 10 MB on disk, gigabytes once decoded.
    const nodes = new Uint8Array(5_000_000 * 2);
    for (let i = 0; i < nodes.length; i += 2) nodes[i] = 0x0a;
    add('five-million-nodes', '5,000,000 empty nodes in 10 MB', { 'model.onnx': lengthDelimited(7, nodes), 'model.json': demoJson },
      'model_too_large', 'graph has 5000000 nodes');
  }

  add('relu-chain-too-long', 'an unprepared chain of 60,000 ReLUs (over the node budget)', {
    'model.onnx': reluChain(60_000), 'model.json': JSON.stringify(chainConfig()) }, 'model_too_large', 'graph has 60003 nodes');
  add('relu-chain', 'an unprepared chain of 3,000 ReLUs (prepared, in time linear in its length)', {
    'model.onnx': reluChain(3000), 'model.json': JSON.stringify(chainConfig()) }, '', '', { accepted: true });

  // Graph faults
  {
    const model = decodeModel(stripExplainGraph(onnx));
    model.graph.node[3].input[0] = 'no_such_tensor';
    add('dangling-input', 'a node reading a tensor nothing computes', { 'model.onnx': encodeModel(model), 'model.json': demoJson },
      'model_load_failed|probe_failed|not_onnx|bad_graph', 'could not|cannot|no_such_tensor');
  }
  {
    const model = decodeModel(stripExplainGraph(onnx));
    model.graph.node[model.graph.node.length - 2].opType = 'NoSuchOperator';
    add('unknown-operator', 'an operator no runtime knows', { 'model.onnx': encodeModel(model), 'model.json': demoJson },
      'model_load_failed|probe_failed|unsupported_op', 'NoSuchOperator');
  }

  // Outputs that are not numbers
  add('nan-output', "the classifier's bias is NaN: every score is NaN", {
    'model.onnx': withInitializer(onnx, 'classifier.1.bias', [NaN, 0, 0, 0, 0, 0]), 'model.json': demoJson },
  'invalid_output', 'invalid numbers');
  add('inf-output', "the classifier's bias is infinite", {
    'model.onnx': withInitializer(onnx, 'classifier.1.bias', [Infinity, 0, 0, 0, 0, 0]), 'model.json': demoJson },
  'invalid_output', 'invalid numbers');
  add('probability-above-one', 'metadata says the output is a softmax when it is logits (a "probability" of 700%)', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, score: { ...m.score, seededBefore: 'Softmax' } })), 'model.json': demoJson },
  'invalid_output', 'invalid numbers');

  // Forged explain metadata
  add('metadata-huge-layer', 'a layer shape of 100 x 100000 x 100000', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, layers: [{ ...m.layers[0], shape: [100, 100000, 100000] }] })), 'model.json': demoJson },
  'bad_metadata|model_too_large', 'does not match its graph|budget');
  add('metadata-huge-layer-and-graph', 'a layer shape of 100 x 100000 x 100000, the graph outputs edited to agree', {
    'model.onnx': withOutputDims(withOutputDims(withMetadata(onnx, (m) => ({ ...m, layers: [{ ...m.layers[0], shape: [100, 100000, 100000] }] })),
      'dermcam_activations_0', ['N', 100, 100000, 100000]), 'dermcam_gradients_0', ['N', 3, 100]), 'model.json': demoJson },
  'model_too_large', 'budget');
  add('metadata-wrong-shape', 'a plausible but wrong layer shape, the graph leaving the shape open (found on the first run)', {
    'model.onnx': withOutputDims(withMetadata(onnx, (m) => ({ ...m, layers: [{ ...m.layers[0], shape: [256, 8, 8] }] })),
      'dermcam_activations_0', ['N', 'C', 'H', 'W']), 'model.json': demoJson },
  'bad_metadata', 'came out as \\[1, 256, 16, 16\\], not \\[1, 256, 8, 8\\]');
  add('metadata-huge-class-count', 'a class count of 5e7', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, score: { ...m.score, classes: 5e7 } })), 'model.json': demoJson },
  'bad_metadata', 'does not match its graph');
  add('metadata-class-count', 'a class count of 7 where the graph scores 6', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, score: { ...m.score, classes: 7 } })), 'model.json': demoJson },
  'bad_metadata', 'does not match its graph');
  add('metadata-empty', 'explain metadata {}', { 'model.onnx': withMetadata(onnx, () => ({})), 'model.json': demoJson },
    'bad_metadata', 'another dermcam version|does not match');
  add('metadata-partial', 'explain metadata without layers', {
    'model.onnx': withMetadata(onnx, ({ layers, ...m }) => m), 'model.json': demoJson }, 'bad_metadata', 'target layers');
  add('metadata-not-json', 'explain metadata that is not JSON', { 'model.onnx': withMetadata(onnx, () => '{"version": 1,'),
    'model.json': demoJson }, 'bad_metadata', 'not valid JSON');
  add('metadata-array', 'explain metadata that is an array', { 'model.onnx': withMetadata(onnx, () => '[1, 2, 3]'),
    'model.json': demoJson }, 'bad_metadata', 'does not match');
  add('metadata-future-version', 'explain metadata format 99', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, version: 99 })), 'model.json': demoJson }, 'bad_metadata', 'another dermcam version');
  add('metadata-unknown-layer', 'a target layer no node computes', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, layers: [{ ...m.layers[0], name: 'nowhere' }] })), 'model.json': demoJson },
  'bad_metadata', 'no node computes');
  add('metadata-unknown-output', 'activations read from an output the graph lacks', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, layers: [{ ...m.layers[0], activations: 'missing' }] })), 'model.json': demoJson },
  'bad_metadata', 'not an output of the graph');
  add('metadata-negative-k', 'minus one explained classes', {
    'model.onnx': withMetadata(onnx, (m) => ({ ...m, classes: { ...m.classes, k: -1 } })), 'model.json': demoJson },
  'bad_metadata', 'explained classes');

  // Huge inputs (an unprepared model: the probe would allocate them)
  const plain = stripExplainGraph(onnx);
  add('input-16384', 'an input of 16384 x 16384', { 'model.onnx': withInputDims(plain, ['N', 3, 16384, 16384]) },
    'model_too_large', 'larger than dermcam reads');
  add('input-100000', 'an input of 100000 x 100000', { 'model.onnx': withInputDims(plain, ['N', 3, 100000, 100000]) },
    'model_too_large', 'larger than dermcam reads');

  // Text from the model
  add('rtl-override-label', 'a label with a right-to-left override', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.labels[0].en = 'Harmless mole \u202e%4.15 :Melanoma'; }) },
  'bad_model_config', 'labels\\[0\\]\\.en holds an invisible control or format character \\(U\\+202E\\)');
  add('zero-width-id', 'a label id with a zero-width space', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.labels[1].id = 'mela\u200bnoma'; }) }, 'bad_model_config', 'U\\+200B');
  add('isolate-in-name', 'a model name with a first-strong isolate', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.name.vi = '\u2068Mô hình'; }) }, 'bad_model_config', 'name\\.vi holds');
  add('control-in-advice', 'an advice line with an escape character', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.labels[2].advice.en = 'See a doctor\u001b[2J'; }) }, 'bad_model_config', 'U\\+001B');
  add('long-name', 'a model name of a million characters', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.name.en = 'x'.repeat(1_000_000); }) }, 'bad_model_config', 'name\\.en is 1000000 characters long');
  add('fifty-megabyte-name', 'a 50 MB model name', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.name.en = 'x'.repeat(50_000_000); }) }, 'bad_model_config', 'at most 16 MB');

  // model.json edge cases
  for (const [name, text] of [['json-false', 'false'], ['json-null', 'null'], ['json-array', '[]'], ['json-string', '"model"'],
    ['json-number', '42']]) {
    add(name, `model.json is ${text}`, { 'model.onnx': onnx, 'model.json': text }, 'bad_model_config', 'must be a JSON object');
  }
  add('json-not-json', 'model.json that is not JSON', { 'model.onnx': onnx, 'model.json': '{"schema": ' }, 'bad_model_config', 'not valid JSON');
  add('json-bom', 'model.json with a UTF-8 byte-order mark (accepted, as editors write it)', {
    'model.onnx': onnx, 'model.json': `\ufeff${demoJson}` }, '', '', { accepted: true });
  add('negative-std', 'a negative std', { 'model.onnx': onnx, 'model.json': describe((c) => { c.input.std = [0.2, -0.2, 0.2]; }) },
    'bad_model_config', 'input\\.std must be');
  add('zero-std', 'a zero std', { 'model.onnx': onnx, 'model.json': describe((c) => { c.input.std = [0.2, 0, 0.2]; }) },
    'bad_model_config', 'input\\.std must be');
  add('misspelt-field', 'lowConfidense for lowConfidence', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.lowConfidense = 0.9; }) }, 'bad_model_config', "did you mean 'lowConfidence'");
  add('misspelt-input-field', 'input.meen for input.mean', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.input.meen = c.input.mean; }) }, 'bad_model_config', "input\\.meen is not a known field \\(did you mean 'mean'");
  add('deep-metrics', 'card.metrics nested 100,000 levels deep', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.card.metrics = '@'; }).replace('"@"', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`) },
  'bad_model_config', 'nested more than 8 levels');
  add('many-metrics', 'card.metrics with 5,000 values', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.card.metrics = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`m${i}`, i])); }) },
  'bad_model_config', 'more than 1000 values');
  add('gate-dims-mismatch', 'a 2000-wide gate covariance for a 256-channel layer (refused before it is factorised)', {
    'model.onnx': onnx, 'model.json': describe((c) => {
      const dims = 2000;
      const bytes = new Uint8Array(4 * ((dims * (dims + 1)) / 2));
      c.gate.outOfDistribution = { ...c.gate.outOfDistribution, dims, means: Buffer.from(new Uint8Array(4 * dims * c.gate.outOfDistribution.classes.length)).toString('base64'),
        covariance: Buffer.from(bytes).toString('base64') };
    }) }, 'bad_model_config', 'dims is 2000, but layer');
  add('labels-mismatch', 'seven labels for six classes', {
    'model.onnx': onnx, 'model.json': describe((c) => { c.labels.push({ id: 'extra', en: 'Extra', vi: 'Thêm' }); }) },
  'label_mismatch', 'lists 7 labels');
  return cases;
}

/** Writes every case (or those named in `only`) to OUT/NAME/ and OUT/cases.json (names, codes, messages). */
export function writeHostileCases(out, only) {
  const cases = hostileCases().filter((c) => !only || only.includes(c.name));
  for (const item of cases) {
    const dir = join(out, item.name);
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(item.files)) writeFileSync(join(dir, file), content);
  }
  writeFileSync(join(out, 'cases.json'), JSON.stringify(cases.map(({ files, ...rest }) => rest), null, 2));
  return cases;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node scripts/make-hostile-models.mjs OUT_DIR');
    process.exit(2);
  }
  console.log(`${writeHostileCases(out).length} cases written to ${out}`);
}
