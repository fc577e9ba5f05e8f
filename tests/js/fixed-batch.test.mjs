// Models exported with a fixed batch of 1 (torch.onnx.export without dynamic_axes, most real exports): every method
// that runs the model on a batch (Score-CAM's masked copies, Ablation-CAM's head, RISE's and occlusion's perturbed
// copies, the faithfulness metrics) gives
// the same numbers as on the same model with a free batch, one input a run (issue #30 item 1). Each fixture family
// is made fixed-batch the way such an export is: its image input declared [1, ...].
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as core from '../../web/js/core.mjs';
import { decodeModel, encodeModel } from '../../web/js/onnx/model.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { loadFixture, ortWeb } from './explain-helpers.mjs';

// One fixture of each family: a pooling head, NHWC (Keras), a convolutional zoo, token layers, a transformer.
const FAMILIES = ['mlp_head', 'keras_nhwc_opset13', 'op_zoo_opset17', 'token_op_zoo_opset13', 'vit_opset13'];

function withBatchOfOne(bytes) {
  const model = decodeModel(bytes);
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const input = model.graph.input.find((i) => !initializers.has(i.name));
  input.type.tensorType.shape.dim[0] = { dimValue: 1 };
  return encodeModel(model);
}

async function explainerFor(bytes) {
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] },
    perturbationBudgetBytes: 4_000_000 });
  await explainer.load({ onnxBytes: bytes });
  return explainer;
}

const close = (a, b, what) => {
  assert.equal(a.length, b.length, what);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= 1e-4, `${what}: largest difference ${worst}`);
};

for (const name of FAMILIES) {
  test(`${name} with a fixed batch of 1: Score-CAM, Ablation-CAM, RISE, occlusion, the pixel methods and the metrics as with a free batch`, async () => {
    const { model, input } = loadFixture(name);
    const per = input.data.length / input.shape[0];
    const tensor = { data: input.data.slice(0, per), shape: [1, ...input.shape.slice(1)] };
    const free = await explainerFor(model);
    const fixed = await explainerFor(withBatchOfOne(model));
    assert.equal(fixed.model.oneAtATime, true, 'the declared batch of 1 is read from the graph');
    assert.equal(free.model.oneAtATime, false);
    for (const explainer of [free, fixed]) await explainer.analyse({ tensor });
    for (const method of ['scorecam', 'ablationcam']) {
      // Ablation-CAM needs a head that runs from the layer alone; where it has none, both say so alike.
      const failure = await free.render({ method }).then(() => null, (error) => error);
      if (failure) {
        assert.equal(failure.code, 'head_not_separable', failure.message);
        await assert.rejects(fixed.render({ method }), { code: failure.code });
        continue;
      }
      const [a, b] = [await free.render({ method }), await fixed.render({ method })];
      assert.equal(b.status, a.status, `${name} ${method}: ${b.message}`);
      close(b.map.data, a.map.data, `${name} ${method}`);
    }
    // The input-space methods: their perturbed copies (and integrated gradients' path, SmoothGrad's noisy copies) go
    // in batches too.
    for (const options of [{ method: 'rise', rise: { masks: 24 } }, { method: 'occlusion' },
      { method: 'integratedgradients', integratedGradients: { steps: 4 } }, { method: 'smoothgrad', smoothGrad: { samples: 3 } }]) {
      const [a, b] = [await free.render(options), await fixed.render(options)];
      close(b.map.data, a.map.data, `${name} ${options.method}`);
    }
    // The metrics of one map (Grad-CAM's: a single run, the same bits on both): the perturbed inputs go in batches.
    for (const explainer of [free, fixed]) await explainer.render({ method: 'gradcam' });
    const [ma, mb] = [await free.metrics(), await fixed.metrics()];
    // ONNX Runtime optimises a graph of fixed shapes differently (other kernels, another summation order), so
    // activations differ in the last float bits; ROAD ranks the map's pixels, and a near-tie that flips moves a
    // transformer's ROAD by up to 2e-3. The curves agree to 5e-3.
    for (const key of Object.keys(ma)) {
      if (typeof ma[key] === 'number') assert.ok(Math.abs(ma[key] - mb[key]) <= 5e-3, `${name} metric ${key}: ${ma[key]} vs ${mb[key]}`);
    }
    // The fixed model ran one input at a time: as many runs as inputs.
    assert.equal(fixed.model.modelRuns, fixed.model.modelItems);
    assert.ok(free.model.modelRuns < free.model.modelItems);
    await free.release();
    await fixed.release();
  });
}
