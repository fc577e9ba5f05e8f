// shapes.mjs answers what ONNX Runtime's probe answers, or null: every answer is compared with the probe's.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DataType, decodeModel, encodeModel, floatTensor, int64Tensor, makeAttribute, valueInfo } from '../../web/js/onnx/model.mjs';
import { probeModel } from '../../web/js/onnx/probe.mjs';
import { inferShapes } from '../../web/js/onnx/shapes.mjs';
import { explainFixtures, loadFixture, ortNode } from './explain-helpers.mjs';

/** The probe's and the inference's answers agree on every tensor: shapes, element types and kept values. */
async function assertSameAsProbe(model, options = {}) {
  const inferred = inferShapes(model, options);
  assert.ok(inferred, 'the rules know this graph');
  const probed = await probeModel(await ortNode(), decodeModel(encodeModel(model)), options);
  assert.deepEqual([...inferred.shapes.keys()].sort(), [...probed.shapes.keys()].sort());
  for (const [name, dims] of probed.shapes) assert.deepEqual(inferred.shapes.get(name), dims, `shape of ${name}`);
  for (const [name, type] of probed.types) assert.equal(inferred.types.get(name), type, `type of ${name}`);
  assert.deepEqual(inferred.values, probed.values);
  assert.deepEqual(inferred.inputs, probed.inputs);
}

// Convolutional families, exported by PyTorch, Keras and by hand: the rules must cover them all.
const COVERED = ['resnet18', 'mobilenet_v2', 'mobilenet_v3_small', 'efficientnet_b0', 'densenet121', 'convnext_opset13',
  'convnext_opset17', 'keras_nhwc_opset13', 'keras_nhwc_opset21', 'gelu_opset20', 'mlp_head'];

describe('shapes computed in JavaScript equal ONNX Runtime probe shapes', () => {
  const models = new Map(explainFixtures().map((name) => [loadFixture(name).manifest.model_from ?? name, name]));
  for (const [name] of models) {
    test(`${name}: the same shapes as the probe, or null`, async () => {
      const model = decodeModel(loadFixture(name).model);
      if (!COVERED.includes(name) && inferShapes(model) === null) return;  // shape arithmetic (Shape, Gather): probed
      await assertSameAsProbe(model);
      // Other image sizes: odd sizes exercise every floor of the strided windows.
      const input = model.graph.input[0].type.tensorType.shape.dim;
      const dynamic = input.slice(1).some((d) => !d.dimValue);
      if (dynamic) await assertSameAsProbe(model, { inputShape: name.startsWith('keras') ? [97, 131, 3] : [3, 97, 131] });
    });
  }
  test('every family named as covered is a fixture', () => {
    for (const name of COVERED) assert.ok(models.has(name), name);
  });
});

// One graph per rule, each with its awkward attributes: strides, pads, auto_pad, dilations, groups, negative axes.
// A node is [opType, inputs, outputs, attributes]; the graph's outputs are the tensors no node reads.
function build(list, { input = [1, 4, 11, 9], initializers = [], opset = 13 } = {}) {
  const produced = new Set(list.flatMap(([, , output]) => output));
  const read = new Set(list.flatMap(([, inputs]) => inputs));
  return decodeModel(encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'rules',
      node: list.map(([opType, inputs, output, attributes = {}]) => ({
        opType, input: inputs, output, name: output[0],
        attribute: Object.entries(attributes).map(([k, v]) => makeAttribute(k, v)),
      })),
      initializer: initializers,
      input: [valueInfo('x', DataType.FLOAT, input)],
      output: [...produced].filter((name) => !read.has(name)).map((name) => ({ name })),
    },
  }));
}

const weights = (name, dims) => floatTensor(name, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.5), dims);

describe('each rule against ONNX Runtime', () => {
  const cases = {
    'Conv: strides, pads, dilations, groups, bias': [[
      ['Conv', ['x', 'w', 'b'], ['c'], { strides: [2, 3], pads: [1, 0, 2, 1], dilations: [2, 1], group: 2 }],
    ], { initializers: [weights('w', [6, 2, 3, 2]), weights('b', [6])] }],
    'Conv: SAME_UPPER and VALID': [[
      ['Conv', ['x', 'w'], ['same'], { auto_pad: 'SAME_UPPER', strides: [2, 2] }],
      ['Conv', ['same', 'w2'], ['valid'], { auto_pad: 'VALID', strides: [2, 1] }],
    ], { initializers: [weights('w', [5, 4, 3, 3]), weights('w2', [3, 5, 2, 2])] }],
    'pools: MaxPool, AveragePool with pads, global pools': [[
      ['MaxPool', ['x'], ['max'], { kernel_shape: [3, 2], strides: [2, 2], pads: [1, 1, 1, 0] }],
      ['AveragePool', ['max'], ['avg'], { kernel_shape: [2, 2], strides: [1, 2], count_include_pad: 1, pads: [0, 1, 0, 1] }],
      ['GlobalMaxPool', ['avg'], ['gmax']],
      ['GlobalAveragePool', ['x'], ['gavg']],
    ]],
    'Flatten, Gemm with transB, MatMul with a 1-D side': [[
      ['Flatten', ['x'], ['flat'], { axis: -2 }],
      ['Transpose', ['flat'], ['flatT']],
      ['Gemm', ['flatT', 'g'], ['gemm'], { transA: 1, transB: 1 }],
      ['MatMul', ['x', 'v'], ['mv']],
      ['MatMul', ['v9', 'x'], ['vm']],
    ], { initializers: [weights('g', [7, 99]), weights('v', [9]), weights('v9', [11])] }],
    'Reshape with 0 and -1, Transpose, Concat on a negative axis, Softmax': [[
      ['Reshape', ['x', 'shape'], ['r']],
      ['Transpose', ['r'], ['t'], { perm: [0, 2, 1, 3] }],
      ['Concat', ['t', 't'], ['cat'], { axis: -1 }],
      ['Softmax', ['cat'], ['soft'], { axis: 1 }],
    ], { initializers: [int64Tensor('shape', [0, -1, 3, 3], [4])] }],
    'Reduce with and without keepdims, Squeeze, Unsqueeze (opset 13 inputs), Pad': [[
      ['ReduceMean', ['x'], ['mean'], { axes: [-1, 1], keepdims: 0 }],
      ['ReduceMax', ['x'], ['max'], { axes: [2] }],
      ['ReduceSum', ['x', 'axes'], ['sum'], { keepdims: 1 }],
      ['Squeeze', ['max', 'two'], ['sq']],
      ['Unsqueeze', ['sq', 'axes'], ['unsq']],
      ['Pad', ['x', 'pads'], ['padded']],
    ], { initializers: [int64Tensor('axes', [0, -1], [2]), int64Tensor('two', [2], [1]),
      int64Tensor('pads', [0, 1, 2, -1, 0, 0, 1, 3], [8])] }],
    'element-wise broadcasting, Clip, Dropout with its mask, BatchNormalization, a Constant': [[
      ['Constant', [], ['k'], { value: int64Tensor('k', [1, 2, 3], [3]) }],
      ['Constant', [], ['half'], { value_float: 0.5 }],
      ['Add', ['x', 'row'], ['sum']],
      ['Mul', ['sum', 'half'], ['scaled']],
      ['Clip', ['scaled', 'lo', 'hi'], ['clipped']],
      ['Dropout', ['clipped'], ['kept', 'mask']],
      ['BatchNormalization', ['kept', 's', 'bias', 'm', 'var'], ['bn']],
      ['Max', ['bn', 'col', 'x'], ['most']],
    ], { initializers: [weights('row', [9]), weights('col', [1, 11, 1]), weights('lo', []), weights('hi', []),
      weights('s', [4]), weights('bias', [4]), weights('m', [4]), weights('var', [4])] }],
  };
  for (const [name, [list, options]] of Object.entries(cases)) {
    test(name, () => assertSameAsProbe(build(list, options)));
  }
});

describe('graphs the rules do not answer for are left to the probe', () => {
  const nulls = {
    'shape arithmetic (Shape)': [['Shape', ['x'], ['s']]],
    'a ceil_mode pool': [['MaxPool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }]],
    "MaxPool's indices": [['MaxPool', ['x'], ['p', 'i'], { kernel_shape: [2, 2] }]],
    'an operator of another domain': [['Relu', ['x'], ['r']]],
    'a Conv whose weights do not match the channels': [['Conv', ['x', 'w'], ['c']]],
    'a Reshape to another element count': [['Reshape', ['x', 'shape'], ['r']]],
    'a Reshape whose shape is computed': [['Relu', ['x'], ['r']], ['Reshape', ['x', 'r'], ['o']]],
  };
  const initializers = [weights('w', [2, 3, 3, 3]), int64Tensor('shape', [1, 4, 10, 10], [4])];
  for (const [name, list] of Object.entries(nulls)) {
    test(name, () => {
      const model = build(list, { initializers });
      if (name.includes('domain')) model.graph.node[0].domain = 'com.example';
      assert.equal(inferShapes(model), null);
    });
  }
  test('a Conv whose weights do not match: ONNX Runtime names the fault', async () => {
    const model = build(nulls['a Conv whose weights do not match the channels'], { initializers });
    await assert.rejects(probeModel(await ortNode(), model), /cannot load this model|does not run/);
  });
});
