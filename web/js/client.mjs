// The page's handle on the worker: created on first use, one promise, request/reply by id.
export class WorkerClient {
  constructor(url) {
    this.url = url;
    this.worker = null;
    this.pending = new Map();
    this.nextId = 1;
    this.onProgress = () => {};
  }

  start() {
    if (this.worker) return;
    this.worker = new Worker(this.url, { type: 'module' });
    this.worker.onmessage = ({ data }) => {
      if (data.type === 'progress') {
        this.onProgress(data);
        return;
      }
      const entry = this.pending.get(data.id);
      if (!entry) return;
      this.pending.delete(data.id);
      if (data.ok) entry.resolve(data.result);
      else entry.reject(Object.assign(new Error(data.error.message), { code: data.error.code }));
    };
    this.worker.onerror = (event) => {
      // A crashed worker fails every waiting request; the next request starts a fresh one.
      const error = Object.assign(new Error(event.message || 'The analysis engine stopped.'), { code: 'worker_failed' });
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
      this.worker.terminate();
      this.worker = null;
    };
  }

  request(type, payload = {}, transfer = []) {
    this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }
}
