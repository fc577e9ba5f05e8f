// Memory soak: 500 consecutive explanations through the wasm module in Node keep our module's heap
// high-water mark (its linear memory only grows) flat within 5%.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as core from '../../web/js/core.mjs';
import { Explainer } from '../../web/js/pipeline.mjs';
import { ortWeb } from '../js/explain-helpers.mjs';
import { ROOT, fixture } from '../js/helpers.mjs';

test('500 explanations keep the wasm heap flat', { timeout: 600_000 }, async () => {
  const demo = join(ROOT, 'models/demo');
  const explainer = new Explainer({ ort: await ortWeb(), core, sessionOptions: { executionProviders: ['wasm'] } });
  const config = JSON.parse(readFileSync(join(demo, 'model.json'), 'utf8'));
  await explainer.load({ onnxBytes: new Uint8Array(readFileSync(join(demo, config.model))), config });
  // An accepted lesion photo, a refused face and two tiny images (refused, then forced every other time).
  const photos = [fixture('lesion.jpg'), fixture('portrait.jpg'), fixture('blocks_progressive.jpg'), fixture('rgba16_interlaced.png')];
  const methods = ['gradcam', 'gradcam++', 'eigencam', 'layercam'];
  let warm = 0;
  for (let i = 0; i < 500; i++) {
    const result = await explainer.analyse({ bytes: photos[i % photos.length] },
      { method: methods[i % methods.length], outline: i % 2 === 0 }, { force: i % 8 >= 4 });
    if (result.refused) continue;
    assert.equal(result.status === 'ok' || result.status === 'constant' || result.status === 'all_zero', true);
    if (i % 50 === 4) await explainer.overlayPng();
    if (i === 24) warm = await core.coreMemoryBytes();
  }
  const end = await core.coreMemoryBytes();
  console.log(`wasm heap after 25 explanations: ${warm} bytes; after 500: ${end} bytes`);
  assert.ok(end <= warm * 1.05, `heap grew from ${warm} to ${end}`);
  await explainer.release();
});
