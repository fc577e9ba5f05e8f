// The page <-> worker protocol (web/js/bridge.mjs), both ends wired through a MessageChannel as the page and
// the worker are: ids, one reply per request, progress, one request at a time, cancel of queued and running
// requests, errors as DermcamError with their params.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { REQUESTS, WorkerClient, serve } from '../../web/js/bridge.mjs';
import { DermcamError } from '../../web/js/errors.mjs';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** Waits until `condition()` holds (messages cross the channel when the event loop gets to them, not on a clock). */
async function until(condition, what) {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A client and a served worker scope joined by a channel; `handlers` override the idle defaults. */
function connect(handlers) {
  const { port1, port2 } = new MessageChannel();
  const all = Object.fromEntries(Object.keys(REQUESTS).map((type) => [type, async () => type]));
  serve(port2, { ...all, ...handlers }, { transfer: (result) => (result instanceof Uint8Array ? [result.buffer] : []) });
  const client = new WorkerClient('unused', {
    createWorker: () => ({
      postMessage: (message, transfer) => port1.postMessage(message, transfer),
      set onmessage(listener) { port1.onmessage = listener; },
      set onerror(_listener) {},
      terminate: () => port1.close(),
    }),
  });
  return { client, close: () => { port1.close(); port2.close(); } };
}

/** A handler that waits until released, checking its signal at each of `stages` boundaries. */
function staged(log, stages = 3) {
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  const signals = [];
  const handler = async (message, { signal }) => {
    signals.push(signal);
    log.push(`start ${message.n}`);
    await gate;
    for (let stage = 0; stage < stages; stage++) {
      signal.throwIfAborted();
      log.push(`stage ${message.n}.${stage}`);
      await tick();
    }
    return message.n;
  };
  return { handler, signals, release: () => release() };
}

test('the worker must answer exactly the declared requests', () => {
  const { port2 } = new MessageChannel();
  const all = Object.fromEntries(Object.keys(REQUESTS).map((type) => [type, async () => null]));
  const { png, ...missing } = all;
  assert.throws(() => serve(port2, missing), /missing: png/);
  assert.throws(() => serve(port2, { ...all, resize: async () => null }), /unknown: resize/);
  port2.close();
});

test('requests get their own reply by id, transferred buffers, progress and errors with params', async (t) => {
  const { client, close } = connect({
    methods: async ({ echo }) => ({ echo }),
    png: async () => new Uint8Array([1, 2, 3]),
    load: async (_message, { progress }) => {
      progress({ label: 'model', loaded: 5, total: 10 });
      return 'loaded';
    },
    analyse: async () => { throw new DermcamError('image_too_large', 'too big', { pixels: 6e7, limit: 5e7 }); },
  });
  t.after(close);
  const progress = [];
  client.onProgress = (values) => progress.push(values);
  const [a, b, png, loaded] = await Promise.all([client.request('methods', { echo: 1 }), client.request('methods', { echo: 2 }),
    client.request('png'), client.request('load')]);
  assert.deepEqual([a, b], [{ echo: 1 }, { echo: 2 }]);
  assert.deepEqual(Array.from(png), [1, 2, 3]);
  assert.equal(loaded, 'loaded');
  assert.deepEqual(progress.map(({ label, loaded: l, total }) => [label, l, total]), [['model', 5, 10]]);
  await assert.rejects(client.request('analyse'), (error) => error instanceof DermcamError &&
    error.code === 'image_too_large' && error.params.pixels === 6e7 && error.message === 'too big');
  await assert.rejects(client.request('resize'), (error) => error instanceof DermcamError && error.code === 'bad_request');
});

test('one request at a time, in order; a cancelled running request stops at its next stage and rejects at once', async (t) => {
  const log = [];
  const { handler, signals, release } = staged(log);
  const { client, close } = connect({ analyse: handler, render: async ({ n }) => { log.push(`render ${n}`); return n; } });
  t.after(close);
  const controller = new AbortController();
  const first = client.request('analyse', { n: 1 }, { signal: controller.signal });
  const second = client.request('render', { n: 2 });
  await until(() => log.length > 0, 'the analysis to start');
  await tick();
  assert.deepEqual(log, ['start 1']);  // the render waits for the analysis
  controller.abort();
  await assert.rejects(first, (error) => error instanceof DermcamError && error.code === 'cancelled');
  await until(() => signals[0].aborted, 'the cancel to reach the worker');
  release();
  assert.equal(await second, 2);
  assert.deepEqual(log, ['start 1', 'render 2']);  // the analysis never reached a stage
});

test('a queued request that is cancelled never starts; the ones after it do', async (t) => {
  const log = [];
  const { handler, release } = staged(log, 1);
  const { client, close } = connect({ analyse: handler, render: async ({ n }) => { log.push(`render ${n}`); return n; } });
  t.after(close);
  const controller = new AbortController();
  const running = client.request('analyse', { n: 1 });
  const queued = client.request('render', { n: 2 }, { signal: controller.signal });
  const after = client.request('render', { n: 3 });
  controller.abort();
  await assert.rejects(queued, (error) => error.code === 'cancelled');
  release();
  assert.equal(await running, 1);
  assert.equal(await after, 3);
  assert.deepEqual(log, ['start 1', 'stage 1.0', 'render 3']);
  // An already aborted signal sends nothing.
  await assert.rejects(client.request('render', { n: 4 }, { signal: AbortSignal.abort() }), (error) => error.code === 'cancelled');
  assert.ok(!log.includes('render 4'));
});

test('a request that finished before its cancel arrived still counts as cancelled on the page only', async (t) => {
  const { client, close } = connect({ render: async () => 'drawn' });
  t.after(close);
  const controller = new AbortController();
  const request = client.request('render', {}, { signal: controller.signal });
  controller.abort();
  await assert.rejects(request, (error) => error.code === 'cancelled');
  assert.equal(await client.request('render'), 'drawn');  // the late reply was dropped, the next one is matched
});
