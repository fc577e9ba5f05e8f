// @ts-check
// A stage boundary of a cancellable request: let the event loop deliver a pending cancel message (the core
// and ONNX Runtime calls before it ran without yielding), then stop if it came. Free without a signal (CLI).
// (Not scheduler.yield(): its continuation may run before messages already queued. A message to ourselves
// queues behind them, and unlike setTimeout it is never clamped.)
function nextTask() {
  const { setImmediate } = /** @type {any} */ (globalThis);  // Node's; a page and a worker have none
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** @param {AbortSignal | undefined} signal */
export async function checkpoint(signal) {
  if (!signal) return;
  await nextTask();
  signal.throwIfAborted();
}
