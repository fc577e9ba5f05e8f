// The explain graph against torch autograd (and numerical differences for the hand-built NHWC graphs), run
// in onnxruntime-node and in onnxruntime-web's wasm backend.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { listLayers, prepareExplainModel } from '../../web/js/onnx/explain.mjs';
import { CLASSES_INPUT, explainMetadata } from '../../web/js/onnx/prepared.mjs';
import { decodeModel } from '../../web/js/onnx/model.mjs';
import { reluChain } from '../../scripts/fixtures/make-hostile-models.mjs';
import { DermcamError } from '../../web/js/errors.mjs';
import { decodeNpy } from '../../web/js/npy.mjs';
import {
  EXPLAIN_FIXTURES, correlation, explainFixtures, loadFixture, maxAbs, maxAbsDiff, ortNode, ortWeb, runModel, spreadGradients,
} from './explain-helpers.mjs';

const K = 3;
const GRADIENT_TOLERANCE = 1e-5;  // x the gradient's max abs value

function layerOption(fixture) {
  // The op zoo's target sits before a head that uses every supported operator, and the stage fixtures explain
  // a layer inside the network: pass them explicitly.
  return fixture.name.includes('op_zoo') || fixture.manifest.chosen_with_layer ? { layers: [fixture.manifest.layer] } : {};
}

/** Whether autograd's gradient is the same at every position of each channel (a global average pool's). */
function samePerPosition({ data, shape }, { layout, shape: layerShape }) {
  const channels = layout === 'NHWC' ? layerShape[2] : layerShape[0];
  const positions = layerShape.reduce((p, d) => p * d, 1) / channels;
  const at = (s, c, p) => data[s * channels * positions + (layout === 'NHWC' ? p * channels + c : c * positions + p)];
  for (let s = 0; s < shape[0] * shape[1]; s++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 1; p < positions; p++) if (Math.abs(at(s, c, p) - at(s, c, 0)) > 1e-6 * Math.abs(at(s, c, 0)) + 1e-12) return false;
    }
  }
  return true;
}

function checkAgainstReference(fixture, outputs, report, runtime) {
  const label = `${fixture.name} (${runtime})`;
  const g = spreadGradients(outputs.dermcam_gradients_0, report.layers[0]);
  const expected = fixture.gradients;
  assert.deepEqual(g.dims, expected.shape, `${label}: gradient shape`);
  const error = maxAbsDiff(g.data, expected.data);
  const scale = maxAbs(expected.data);
  assert.ok(scale > 0, `${label}: the reference gradient is all zero`);
  assert.ok(error <= GRADIENT_TOLERANCE * scale, `${label}: max gradient error ${error} > ${GRADIENT_TOLERANCE} x ${scale}`);
  const a = outputs.dermcam_activations_0;
  assert.deepEqual(a.dims, fixture.activations.shape, `${label}: activation shape`);
  assert.ok(maxAbsDiff(a.data, fixture.activations.data) <= 1e-5 * maxAbs(fixture.activations.data), `${label}: activations`);
  assert.deepEqual(Array.from(outputs.dermcam_class_indices.data, Number), fixture.manifest.topk.flat(), `${label}: classes`);
  assert.equal(report.layers[0].layout, fixture.manifest.layout, `${label}: layout`);
  assert.deepEqual(report.layers[0].tokens, fixture.manifest.tokens, `${label}: token layout`);
}

describe('explain graph matches autograd', () => {
  const prepared = new Map();
  before(async () => {
    const ort = await ortNode();
    for (const name of explainFixtures()) {
      const fixture = loadFixture(name);
      prepared.set(name, { fixture, ...(await prepareExplainModel(ort, fixture.model, { classes: K, ...layerOption(fixture) })) });
    }
  });

  for (const name of explainFixtures()) {
    test(`${name}: gradients, activations and classes in onnxruntime-node and -web`, async () => {
      const { fixture, bytes, report } = prepared.get(name);
      if (fixture.manifest.layer && !layerOption(fixture).layers) {
        assert.equal(report.layers[0].name, fixture.manifest.layer, 'automatic layer choice');
      }
      // One value per channel leaves the graph exactly when autograd's gradient is the same at every position.
      assert.equal(Boolean(report.layers[0].gradientsPerChannel), samePerPosition(fixture.gradients, report.layers[0]),
        'gradientsPerChannel');
      for (const [runtime, ort] of [['node', await ortNode()], ['web', await ortWeb()]]) {
        const outputs = await runModel(ort, bytes, report.input.name, fixture.input);
        checkAgainstReference(fixture, outputs, report, runtime);
        // The model's own outputs are unchanged (up to float32 rounding: ONNX Runtime fuses the forward pass
        // differently once the backward pass reads its intermediate tensors).
        const original = await runModel(ort, fixture.model, report.input.name, fixture.input);
        for (const [output, value] of Object.entries(original)) {
          assert.deepEqual(outputs[output].dims, value.dims);
          assert.ok(maxAbsDiff(outputs[output].data, value.data) <= 1e-6 * Math.max(1, maxAbs(value.data)),
            `${name} (${runtime}): output '${output}' changed`);
        }
      }
    });
  }

  test('Grad-CAM of transformers equals pytorch-grad-cam with its reshape_transform', async () => {
    const { computeCam } = await import('../../web/js/core.mjs');
    const ort = await ortNode();
    const withMaps = [...prepared.values()].filter(({ fixture }) => existsSync(join(EXPLAIN_FIXTURES, fixture.name, 'gradcam.npy')));
    assert.ok(withMaps.length >= 12, 'the transformer fixtures carry pytorch-grad-cam maps');
    for (const { fixture, bytes, report } of withMaps) {
      const want = decodeNpy(new Uint8Array(readFileSync(join(EXPLAIN_FIXTURES, fixture.name, 'gradcam.npy'))));
      const outputs = await runModel(ort, bytes, report.input.name, fixture.input);
      const { data: a } = outputs.dermcam_activations_0;
      const { data: g } = spreadGradients(outputs.dermcam_gradients_0, report.layers[0]);
      const [images, height, width] = want.shape;
      const per = a.length / images;
      const layer = report.layers[0];
      for (let n = 0; n < images; n++) {
        const cam = await computeCam({ method: 'gradcam', classIndex: 0, outputWidth: width, outputHeight: height,
          runs: [{ layers: [{ activations: a.subarray(n * per, (n + 1) * per), gradients: g.subarray(n * K * per, (n + 1) * K * per),
            shape: [1, ...layer.shape], layout: layer.layout }] }] });
        const r = correlation(cam.map, want.data.subarray(n * width * height, (n + 1) * width * height));
        assert.ok(r >= 0.999, `${fixture.name} image ${n}: correlation ${r}`);
      }
    }
  });

  test('logits of the torch references equal the differentiated scores', async () => {
    const ort = await ortNode();
    for (const [name, { fixture, bytes, report }] of prepared) {
      const outputs = await runModel(ort, bytes, report.input.name, fixture.input);
      const scores = outputs.dermcam_scores.data;
      assert.ok(maxAbsDiff(scores, fixture.logits.data) <= 1e-4 * Math.max(1, maxAbs(fixture.logits.data)), name);
    }
  });
});

describe('explain graph options', () => {
  test('dermcam_classes overrides the top-k choice per slot', async () => {
    const ort = await ortNode();
    const fixture = loadFixture('resnet18');
    const { bytes, report } = await prepareExplainModel(ort, fixture.model, { classes: K });
    const topk = fixture.manifest.topk;
    const wanted = topk[0][2];  // row 0's third-best class, in slot 0
    const classes = new ort.Tensor('int64', BigInt64Array.from([BigInt(wanted), -1n, 4n]), [K]);
    const outputs = await runModel(ort, bytes, report.input.name, fixture.input, { [CLASSES_INPUT]: classes });
    const chosen = Array.from(outputs.dermcam_class_indices.data, Number);
    assert.deepEqual(chosen, [wanted, topk[0][1], 4, wanted, topk[1][1], 4]);
    const per = fixture.gradients.data.length / (2 * K);
    const got = spreadGradients(outputs.dermcam_gradients_0, report.layers[0]).data.subarray(0, per);
    const want = fixture.gradients.data.subarray(2 * per, 3 * per);  // row 0, slot 2 = class `wanted`
    assert.ok(maxAbsDiff(got, want) <= GRADIENT_TOLERANCE * maxAbs(want));
  });

  test('a model ending in Softmax is seeded before it, or after it on request', async () => {
    const ort = await ortNode();
    const fixture = loadFixture('mlp_head_softmax');
    const logit = await prepareExplainModel(ort, fixture.model, { classes: K });
    assert.equal(logit.report.score.seededBefore, 'Softmax');
    const probability = await prepareExplainModel(ort, fixture.model, { classes: K, score: 'probability' });
    assert.equal(probability.report.score.kind, 'probability');
    const outputs = await runModel(ort, probability.bytes, probability.report.input.name, fixture.input);
    const reference = loadFixture('mlp_head_softmax');
    const want = readFileSync(join(EXPLAIN_FIXTURES, 'mlp_head_softmax/gradients_probability.npy'));
    const expected = decodeNpy(new Uint8Array(want)).data;
    const { data: got } = spreadGradients(outputs.dermcam_gradients_0, probability.report.layers[0]);
    assert.ok(maxAbsDiff(got, expected) <= GRADIENT_TOLERANCE * maxAbs(expected));
    assert.ok(maxAbsDiff(got, reference.gradients.data) > 0.5 * maxAbs(reference.gradients.data),
      'probability gradients differ from logit gradients');
  });

  test('the metadata records layers, layout and class mode; preparing twice is refused', async () => {
    const ort = await ortNode();
    const fixture = loadFixture('keras_nhwc_opset18');
    const { bytes } = await prepareExplainModel(ort, fixture.model, { classes: 2 });
    const meta = explainMetadata(decodeModel(bytes));
    assert.equal(meta.version, 1);
    assert.deepEqual(meta.layers, [{ name: 'features_nhwc', activations: 'dermcam_activations_0',
      gradients: 'dermcam_gradients_0', layout: 'NHWC', shape: [12, 12, 8], gradientsPerChannel: true }]);
    assert.deepEqual(meta.classes, { input: 'dermcam_classes', k: 2, output: 'dermcam_class_indices', topK: -1 });
    assert.equal(meta.score.kind, 'logit');
    assert.equal(meta.score.seededBefore, 'LogSoftmax');
    assert.deepEqual(meta.input, { name: 'input', shape: [12, 12, 3] });
    await assert.rejects(prepareExplainModel(ort, bytes, {}), (e) => e.code === 'already_prepared');
  });

  test('several target layers are explained in one run, each with its own exact values', async () => {
    const ort = await ortNode();
    const fixture = loadFixture('mobilenet_v2');
    const layers = await listLayers(ort, fixture.model);
    const two = layers.filter((l) => l.explainable).slice(-2).map((l) => l.name);
    const { bytes, report } = await prepareExplainModel(ort, fixture.model, { classes: K, layers: two });
    assert.deepEqual(report.layers.map((l) => l.name), two);
    const outputs = await runModel(ort, bytes, report.input.name, fixture.input);
    // The last layer is the fixture's (the automatic choice): its gradients are autograd's.
    const automatic = await prepareExplainModel(ort, fixture.model, { classes: K });
    assert.equal(automatic.report.layers[0].name, two[1]);
    const g = spreadGradients(outputs.dermcam_gradients_1, report.layers[1]);
    assert.deepEqual(g.dims, fixture.gradients.shape);
    assert.ok(maxAbsDiff(g.data, fixture.gradients.data) <= GRADIENT_TOLERANCE * maxAbs(fixture.gradients.data), 'last layer gradients');
    assert.ok(maxAbsDiff(outputs.dermcam_activations_1.data, fixture.activations.data) <= 1e-5 * maxAbs(fixture.activations.data));
    // The earlier layer's outputs are those of an explain graph made for it alone (not the other layer's, not zero).
    const single = await prepareExplainModel(ort, fixture.model, { classes: K, layers: [two[0]] });
    const alone = await runModel(ort, single.bytes, single.report.input.name, fixture.input);
    for (const kind of ['activations', 'gradients']) {
      const want = alone[`dermcam_${kind}_0`];
      const got = outputs[`dermcam_${kind}_0`];
      assert.deepEqual(got.dims, want.dims, kind);
      assert.ok(maxAbs(want.data) > 0, `${kind} of the earlier layer are all zero`);
      assert.ok(maxAbsDiff(got.data, want.data) <= 1e-5 * maxAbs(want.data), `earlier layer ${kind}`);
    }
  });

  test('--gate-layer adds each layer\'s channel means (NCHW and NHWC), which stripping removes', async () => {
    const ort = await ortNode();
    const channelMeans = ({ data, dims }, layout) => {
      const [channels, plane] = layout === 'NCHW' ? [dims[1], dims[2] * dims[3]] : [dims[3], dims[1] * dims[2]];
      return Array.from({ length: channels }, (_, c) => {
        let sum = 0;
        for (let i = 0; i < plane; i++) sum += layout === 'NCHW' ? data[c * plane + i] : data[i * channels + c];
        return sum / plane;
      });
    };
    for (const name of ['mobilenet_v2', 'keras_nhwc_opset18']) {
      const fixture = loadFixture(name);
      const candidates = (await listLayers(ort, fixture.model)).filter((l) => l.explainable);
      const [earlier, last] = [candidates[0], candidates[candidates.length - 1]];
      const { bytes } = await prepareExplainModel(ort, fixture.model, { classes: 1, gateLayers: [last.name, earlier.name] });
      const meta = explainMetadata(decodeModel(bytes));
      assert.deepEqual(meta.features.map((f) => [f.name, f.output, f.layout]),
        [[last.name, 'dermcam_features_0', last.layout], [earlier.name, 'dermcam_features_1', earlier.layout]], name);
      const outputs = await runModel(ort, bytes, meta.input.name, fixture.input);
      // Against the activations of graphs prepared with each layer as the target.
      for (const [j, layer] of [last, earlier].entries()) {
        const target = await prepareExplainModel(ort, fixture.model, { classes: 1, layers: [layer.name] });
        const activations = (await runModel(ort, target.bytes, meta.input.name, fixture.input)).dermcam_activations_0;
        const want = channelMeans(activations, layer.layout);
        const got = outputs[`dermcam_features_${j}`];
        assert.deepEqual(got.dims, [fixture.input.shape[0], want.length], `${name} ${layer.name}`);
        assert.ok(maxAbs(want) > 0, `${name} ${layer.name}: all-zero means`);
        assert.ok(maxAbsDiff(got.data.subarray(0, want.length), want) <= 1e-5 * maxAbs(want), `${name} ${layer.name} means`);
      }
      const { stripExplainGraph } = await import('../../web/js/onnx/prepared.mjs');
      const plain = decodeModel(stripExplainGraph(bytes));
      assert.ok(plain.graph.output.every((o) => !o.name.startsWith('dermcam_')), `${name}: stripped`);
    }
    const fixture = loadFixture('resnet18');
    await assert.rejects(prepareExplainModel(ort, fixture.model, { gateLayers: ['nope'] }),
      (e) => e.code === 'unknown_layer' && /'nope' \(--gate-layer\)/.test(e.message));
    const [one] = (await listLayers(ort, fixture.model)).slice(-1);
    await assert.rejects(prepareExplainModel(ort, fixture.model, { gateLayers: [one.name, one.name] }), /listed twice/);
  });

  test('--list-layers gives candidates with shapes, layouts and what blocks them', async () => {
    const ort = await ortNode();
    const layers = await listLayers(ort, loadFixture('op_zoo_opset17').model);
    const elu = layers.find((l) => l.producer === 'Elu');
    assert.ok(elu.explainable);
    assert.deepEqual(elu.shape, [1, 16, 16, 16]);
    // Its 4-D layers are NCHW; its one 3-D tensor (10 channels by 16 positions) reads as 1 + 3 x 3 tokens.
    assert.ok(layers.every((l) => (l.shape.length === 4 && l.layout === 'NCHW') || (l.shape.length === 3 && l.layout === 'tokens')));
    const vit = await listLayers(ort, loadFixture('vit_opset17').model);
    const norms = vit.filter((l) => l.producer === 'LayerNormalization');
    assert.equal(norms.length, 5);
    assert.ok(norms.every((l) => l.explainable && l.layout === 'tokens' && l.tokens.prefix === 1 && l.tokens.grid.join() === '6,6'));
    const keras = await listLayers(ort, loadFixture('keras_nhwc_opset21').model);
    assert.deepEqual(keras.map((l) => [l.name, l.layout]), [['to_nchw', 'NCHW'], ['conv', 'NCHW'], ['relu', 'NCHW'],
      ['features_nhwc', 'NHWC']]);
  });
});

// After a ViT's Gather of the class token, the backward pass runs on that row alone until the attention mixes
// tokens (web/js/onnx/rows.mjs: here up to the heads' Reshape); the fixtures above check the values, this checks
// the row copies are there.
test('a ViT\'s backward pass reads only the class token\'s row of the last LayerNorm and MLP; every added node is read', async () => {
  const ort = await ortNode();
  const fixture = loadFixture('vit_opset17');
  const { bytes } = await prepareExplainModel(ort, fixture.model, { classes: K });
  const nodes = decodeModel(bytes).graph.node;
  const sliced = new Set(nodes.filter((n) => n.opType === 'Gather' && n.name.startsWith('dermcam/')).map((n) => n.input[0]));
  const onRows = decodeModel(fixture.model).graph.node.filter((n) => n.input.some((i) => sliced.has(i))).map((n) => n.opType);
  for (const op of ['LayerNormalization', 'Erf', 'Mul']) assert.ok(onRows.includes(op), `${op}'s input taken on the row`);
  const read = new Set([...nodes.flatMap((n) => n.input), ...decodeModel(bytes).graph.output.map((o) => o.name)]);
  const unread = nodes.filter((n) => n.name.startsWith('dermcam/') && !n.output.some((o) => read.has(o)));
  assert.deepEqual(unread.map((n) => n.name), [], 'added nodes nothing reads');
});

// The automatic target tries the last four LayerNorms first; when none of them reaches the grid (here five
// LayerNorms follow the last attention) it looks at the earlier ones and still finds the last block's first.
test('a transformer\'s automatic target is the last LayerNorm that reaches the grid, however many follow it', async () => {
  const { vitModel } = await import('../bench/make-vit.mjs');
  const ort = await ortNode();
  const bytes = vitModel({ imageSize: 32, patch: 8, depth: 2, heads: 2, dim: 16, mlp: 32, classes: 4, extraNorms: 4 });
  const { report } = await prepareExplainModel(ort, bytes, { classes: 1 });
  const model = decodeModel(bytes);
  const norms = model.graph.node.filter((n) => n.opType === 'LayerNormalization').map((n) => n.output[0]);
  assert.equal(norms.length, 2 * 2 + 1 + 4);
  assert.equal(report.layers[0].name, norms[2], 'the last block\'s first LayerNorm');
  assert.deepEqual(report.layers[0].tokens, { prefix: 1, grid: [4, 4] });
});

// Swin's padding and rolls are computed from the activations' shapes at run time: their values come from the
// probe, and only those that stay the same with a batch of 2 count as constants (the Swin stage fixture above
// fails with "its ends are not constant" without them).
test('shape arithmetic: values that change with the batch are not constants', async () => {
  const { batchIndependentValues, probeModel } = await import('../../web/js/onnx/probe.mjs');
  const ort = await ortNode();
  const model = decodeModel(loadFixture('swin_opset13').model);
  const producer = new Map(model.graph.node.flatMap((n) => n.output.map((o) => [o, n])));
  const pads = model.graph.node.find((n) => n.name === '/features/features.2/Pad').input[1];
  const batch = model.graph.node.find((n) => n.opType === 'Gather' && producer.get(n.input[0])?.opType === 'Shape' &&
    producer.get(n.input[1])?.attribute[0]?.t?.rawData?.every((b) => b === 0)).output[0];
  const probe = await probeModel(ort, model);
  assert.equal(probe.values.get(batch).values[0], 1);
  const kept = await batchIndependentValues(ort, model, probe, [pads, batch]);
  assert.deepEqual([...kept.keys()], [pads]);
  assert.equal(kept.get(pads).values.length, 8);
});

describe('explain graph refusals', () => {
  test('an unsupported op names itself, its node and a later layer that works', async () => {
    const ort = await ortNode();
    const bytes = new Uint8Array(readFileSync(new URL('../fixtures/explain/unsupported_selu/model.onnx', import.meta.url)));
    const manifest = JSON.parse(readFileSync(new URL('../fixtures/explain/unsupported_selu/manifest.json', import.meta.url)));
    await assert.rejects(prepareExplainModel(ort, bytes, { layers: [manifest.layer] }), (error) => {
      assert.ok(error instanceof DermcamError);
      assert.equal(error.code, 'unsupported_op');
      assert.match(error.message, /Cannot explain through Selu \(node '[^']+'\)/);
      assert.match(error.message, /A later layer that works: --layer '[^']*Relu[^']*'/);
      return true;
    });
    // Without --layer the automatic choice skips past the Selu.
    const { report } = await prepareExplainModel(ort, bytes, {});
    assert.notEqual(report.layers[0].name, manifest.layer);
  });

  test('bad files and options are refused clearly', async () => {
    const ort = await ortNode();
    await assert.rejects(prepareExplainModel(ort, new Uint8Array([1, 2, 3, 4]), {}), (e) => e.code === 'not_onnx');
    await assert.rejects(prepareExplainModel(ort, new Uint8Array(0), {}), /empty/);
    const fixture = loadFixture('resnet18');
    await assert.rejects(prepareExplainModel(ort, fixture.model, { classes: 6 }), /has 5 classes; cannot explain the top 6/);
    await assert.rejects(prepareExplainModel(ort, fixture.model, { layers: ['nope'] }), (e) => e.code === 'unknown_layer');
    await assert.rejects(prepareExplainModel(ort, fixture.model, { layers: ['output'] }), /must be 4-D/);
    await assert.rejects(prepareExplainModel(ort, fixture.model, { score: 'softmax' }), /'logit' or 'probability'/);
    const { encodeModel } = await import('../../web/js/onnx/model.mjs');
    const old = decodeModel(fixture.model);
    old.opsetImport[0].version = 10;
    await assert.rejects(prepareExplainModel(ort, encodeModel(old), {}),
      (e) => e.code === 'unsupported_opset' && /opset 10; dermcam differentiates opsets 11 to 23/.test(e.message));
  });
});

describe('stripping an explain graph', () => {
  test('gives back the plain classifier with the same outputs', async () => {
    const { stripExplainGraph } = await import('../../web/js/onnx/prepared.mjs');
    const ort = await ortNode();
    const fixture = loadFixture('op_zoo_opset17');
    const { bytes, report } = await prepareExplainModel(ort, fixture.model, { classes: 2, layers: [fixture.manifest.layer] });
    const plain = stripExplainGraph(bytes);
    const model = decodeModel(plain);
    assert.equal(explainMetadata(model), null);
    assert.deepEqual(model.graph.output.map((o) => o.name), ['output']);
    assert.ok(model.graph.node.length <= decodeModel(fixture.model).graph.node.length);
    const outputs = await runModel(ort, plain, report.input.name, fixture.input);
    const original = await runModel(ort, fixture.model, report.input.name, fixture.input);
    assert.ok(maxAbsDiff(outputs.output.data, original.output.data) <= 1e-6);
  });
});

// AblationCAM's head graph: from the target layer to the scores, run alone, it gives the full model's scores for
// that layer's activations; a layer inside a residual block (the skip connection reads from before it) is refused
// by name.
test('the head graph after the target layer reproduces the scores, and a layer inside a residual block is refused', async () => {
  const { headGraph } = await import('../../web/js/onnx/head.mjs');
  const ort = await ortWeb();
  const fixture = loadFixture('resnet18');
  const { bytes } = await prepareExplainModel(ort, fixture.model, { classes: 1 });
  const metadata = explainMetadata(decodeModel(bytes));
  const session = await ort.InferenceSession.create(bytes);
  const input = fixture.input;
  const full = await session.run({ [metadata.input.name]: new ort.Tensor('float32', input.data, input.shape),
    [CLASSES_INPUT]: new ort.Tensor('int64', new BigInt64Array([-1n]), [1]) });
  const head = headGraph(bytes, 0);
  assert.equal(head.input, metadata.layers[0].name);
  assert.ok(decodeModel(head.bytes).graph.node.length < decodeModel(bytes).graph.node.length / 4, 'only the head');
  const headSession = await ort.InferenceSession.create(head.bytes);
  const activations = full[metadata.layers[0].activations];
  const scores = (await headSession.run({ [head.input]: activations }))[head.output];
  assert.ok(maxAbsDiff(scores.data, full[metadata.score.output].data) <= 1e-5 * maxAbs(full[metadata.score.output].data));
  const inner = await prepareExplainModel(ort, fixture.model, { classes: 1, layers: ['/layer4/layer4.0/relu/Relu_output_0'] });
  assert.throws(() => headGraph(inner.bytes, 0), (e) => e instanceof DermcamError && e.code === 'head_not_separable' &&
    /after '\/layer4\/layer4\.0\/relu\/Relu_output_0' also reads/.test(e.message));
  // A token layer: the grid leaves the class token out, which the head reads.
  const vit = await prepareExplainModel(ort, loadFixture('vit_opset17').model, { classes: 1, layers: ['/encoder/ln/LayerNormalization_output_0'] });
  assert.throws(() => headGraph(vit.bytes, 0), (e) => e.code === 'head_not_separable' && /is a token layer/.test(e.message));
});

describe('a large graph: shapes computed in JavaScript, else probed at its end first', () => {
  // ONNX Runtime's session creation grows faster than linearly with the tensors asked for: the probe counts them.
  async function counting() {
    const ort = await ortNode();
    const probes = [];
    const InferenceSession = {
      create: async (bytes, options) => {
        probes.push(decodeModel(bytes).graph.output.length);
        return ort.InferenceSession.create(bytes, options);
      },
    };
    return { ort: { ...ort, InferenceSession }, probes };
  }

  test('a 6,000-ReLU chain: no probe session; the graph a probe of every tensor gives', async () => {
    const { ort, probes } = await counting();
    const bytes = reluChain(6000);
    const inferred = await prepareExplainModel(ort, bytes);
    assert.equal(inferred.report.layers[0].name, 'r5999');
    assert.equal(probes.length, 0, 'shapes.mjs knows every operator of the chain');
    // The same chain of an operator only the probe knows: the explain graph added to it is the same.
    const probed = await prepareExplainModel(ort, reluChain(6000, { op: 'Shrink' }));
    assert.equal(probes.length, 1);
    const added = (b) => decodeModel(b).graph.node.slice(6000).map((n) => `${n.opType}:${n.input}:${n.output}`);
    assert.deepEqual(added(inferred.bytes), added(probed.bytes));
    assert.ok(added(inferred.bytes).length > 10);
  });

  test('a 100,000-ReLU chain is within the node budget and prepared without a probe session (speed: bench 5b)', async () => {
    const { ort, probes } = await counting();
    const prepared = await prepareExplainModel(ort, reluChain(100_000));
    assert.equal(prepared.report.layers[0].name, 'r99999');
    assert.equal(probes.length, 0);
  });

  test('a 6,000-Shrink chain: its end alone gives the graph a probe of every tensor gives', async () => {
    const { ort, probes } = await counting();
    const bytes = reluChain(6000, { op: 'Shrink' });
    const tail = await prepareExplainModel(ort, bytes);
    assert.equal(tail.report.layers[0].name, 'r5999');
    assert.ok(probes[0] <= 2001, `the probe asked for ${probes[0]} tensors`);
    const whole = await prepareExplainModel(ort, bytes, { layers: ['r5999'] });
    assert.ok(probes.at(-1) > 6000, 'an explicit layer probes every tensor');
    const nodes = (b) => decodeModel(b).graph.node.map((n) => `${n.opType}:${n.input}:${n.output}`);
    assert.deepEqual(nodes(tail.bytes), nodes(whole.bytes));
  });

  test('a 4-D layer before a 6,000-node head is outside the end: the whole graph is probed and it is chosen', async () => {
    const { ort, probes } = await counting();
    const prepared = await prepareExplainModel(ort, reluChain(50, { headLength: 6000, op: 'Shrink' }));
    assert.equal(prepared.report.layers[0].name, 'r49');
    assert.equal(probes.length, 2);
    assert.ok(probes[0] <= 2001 && probes[1] > 6000, `probes: ${probes}`);
  });
});
