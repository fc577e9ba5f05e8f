// Memory soak in the browser: 500 consecutive explanations in the app's worker keep the wasm heap flat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { openBrowser } from '../e2e/browser.mjs';
import { FIXTURES } from '../js/helpers.mjs';

let env;
before(async () => {
  env = await openBrowser();
});
after(async () => {
  await env?.close();
});

test('500 explanations in the worker keep its wasm heap within 5%', { timeout: 900_000 }, async () => {
  const page = await env.browser.newPage();
  await page.goto(env.baseUrl);
  const photo = [...readFileSync(join(FIXTURES, 'lesion.jpg'))];
  const heap = await page.evaluate(async (bytes) => {
    const { WorkerClient } = await import('./js/bridge.mjs');
    const client = new WorkerClient(new URL('./js/worker.mjs', location.href));
    await client.request('load', { folder: new URL('models/demo/', location.href).href });
    const data = new Uint8Array(bytes);
    const methods = ['gradcam', 'hirescam', 'eigengradcam', 'layercam'];
    let warm = 0;
    for (let i = 0; i < 500; i++) {
      const copy = data.slice().buffer;
      await client.request('analyse', { bytes: copy, render: { method: methods[i % 4], outline: i % 3 === 0 } }, { transfer: [copy] });
      if (i === 24) warm = (await client.request('diagnostics')).wasmHeapBytes;
    }
    return { warm, end: (await client.request('diagnostics')).wasmHeapBytes };
  }, photo);
  console.log(`worker wasm heap after 25 explanations: ${heap.warm} bytes; after 500: ${heap.end} bytes`);
  assert.ok(heap.end <= heap.warm * 1.05, `heap grew from ${heap.warm} to ${heap.end}`);
});
