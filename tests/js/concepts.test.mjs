// Deep Feature Factorization through the pipeline (issue #30 item 4): the core's factorisation from wasm, each
// concept's classes from the model's head, and models whose head cannot be run alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { softmax } from '../../web/js/calibration.mjs';
import { DataType, encodeModel, floatTensor, valueInfo } from '../../web/js/onnx/model.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { correlation, loadFixture, ortWeb } from './explain-helpers.mjs';
import { ROOT, fixture } from './helpers.mjs';

const SIZE = 16;
const W = [[2, -1, 0.5], [-1, 2, 0], [0.3, 0.3, -2]];
const B = [0.1, 0, -0.1];

// Input -> Relu (the 3-channel target layer) -> global average pool -> Gemm with weights W: the head of a constant
// field e is W e + B, what pytorch-grad-cam's classifier gives a concept.
function poolingModel() {
  return encodeModel({
    irVersion: 8,
    producerName: 'dermcam-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'pooling',
      node: [
        { opType: 'Relu', input: ['input'], output: ['layer'], name: 'relu', attribute: [] },
        { opType: 'GlobalAveragePool', input: ['layer'], output: ['pooled'], name: 'pool', attribute: [] },
        { opType: 'Flatten', input: ['pooled'], output: ['flat'], name: 'flatten', attribute: [] },
        { opType: 'Gemm', input: ['flat', 'w', 'b'], output: ['logits'], name: 'head', attribute: [{ name: 'transB', type: 2, i: 1 }] },
      ],
      initializer: [floatTensor('w', W.flat(), [3, 3]), floatTensor('b', B, [3])],
      input: [valueInfo('input', DataType.FLOAT, ['N', 3, SIZE, SIZE])],
      output: [valueInfo('logits', DataType.FLOAT, ['N', 3])],
    },
  });
}

// Two regions of the photo with their own colours: red on the left, green and blue on the right.
function twoRegions() {
  const data = new Float32Array(3 * SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const left = x < SIZE / 2;
      data[(0 * SIZE + y) * SIZE + x] = left ? 1 + 0.01 * y : 0.05;
      data[(1 * SIZE + y) * SIZE + x] = left ? 0.05 : 0.8;
      data[(2 * SIZE + y) * SIZE + x] = left ? 0.05 : 0.6 + 0.01 * x;
    }
  }
  return { data, shape: [1, 3, SIZE, SIZE] };
}

async function explainerFor(onnxBytes, config) {
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  await explainer.load({ onnxBytes, config });
  return explainer;
}

test('two coloured regions are two concepts, each supporting the classes its colour drives through the head', async () => {
  const explainer = await explainerFor(poolingModel());
  await explainer.analyse({ tensor: twoRegions() });
  const result = await explainer.concepts({ k: 2 });
  assert.equal(result.concepts.length, 2);
  assert.ok(result.relativeError < 0.05, `relative error ${result.relativeError}`);
  const left = Float32Array.from({ length: SIZE * SIZE }, (_, i) => (i % SIZE < SIZE / 2 ? 1 : 0));
  const found = result.concepts.map(({ map }) => correlation(map, left));
  assert.ok(Math.max(...found) > 0.9 && Math.min(...found) < -0.9, `correlations with the left half: ${found}`);
  for (const { map, embedding, classes } of result.concepts) {
    assert.deepEqual([map.length, embedding.length], [SIZE * SIZE, 3]);
    assert.ok(Math.max(...map) > 0.99 && Math.min(...map) >= 0);
    // The head on the embedding: softmax(W e + B), ranked.
    const expected = softmax(W.map((row, c) => row.reduce((s, w, j) => s + w * embedding[j], B[c])));
    assert.equal(classes[0].index, expected.indexOf(Math.max(...expected)));
    for (const { index, probability } of classes) assert.ok(Math.abs(probability - expected[index]) < 1e-5);
  }
  // The red concept argues for class 0 (W's first row weighs red), the green-blue one not.
  const red = result.concepts[found.indexOf(Math.max(...found))];
  assert.equal(red.classes[0].index, 0);
  const again = await explainer.concepts({ k: 2 });
  assert.deepEqual(again.concepts.map((c) => c.map), result.concepts.map((c) => c.map), 'the same concepts every time');
  await assert.rejects(explainer.concepts({ k: 0 }), { code: 'bad_option' });
  await assert.rejects(explainer.concepts({ k: 17 }), { code: 'bad_option' });
  await explainer.release();
});

test('the demo model: concepts of a lesion photo with their classes, and display layers for the page', async () => {
  const config = JSON.parse(readFileSync(join(ROOT, 'models/demo/model.json'), 'utf8'));
  const explainer = await explainerFor(readFileSync(join(ROOT, 'models/demo/model-int8.onnx')), config);
  const analysis = await explainer.analyse({ bytes: fixture('lesion.jpg') });
  const result = await explainer.concepts({ display: true });
  assert.equal(result.concepts.length, 4);
  assert.equal(result.layers.length, 4);
  assert.equal(result.layers[0].length, analysis.display.width * analysis.display.height);
  for (const { classes } of result.concepts) {
    assert.equal(classes.length, 3);
    assert.ok(classes[0].probability >= classes[1].probability && classes[1].probability >= classes[2].probability);
    assert.equal(typeof classes[0].label.id, 'string');
  }
  await explainer.release();
});

test('a transformer\'s token layer has concepts but no classes, and says why', async () => {
  const { model, input } = loadFixture('vit_opset13');
  const explainer = await explainerFor(model);
  const per = input.data.length / input.shape[0];
  await explainer.analyse({ tensor: { data: input.data.slice(0, per), shape: [1, ...input.shape.slice(1)] } }, {}, { force: true });
  const result = await explainer.concepts({ k: 3 });
  assert.equal(result.concepts.length, 3);
  assert.ok(result.concepts.every((c) => c.classes === null && c.map.some((v) => v > 0)));
  assert.equal(result.noClasses.code, 'head_not_separable');
  await explainer.release();
});
