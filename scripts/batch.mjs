// Batches for `dermcam explain` over many photos: a deterministic share of them (--shard i/n, so any job runner
// can spread a folder over machines with no coordinator), the ones a previous run already answered (--resume FILE,
// a JSON Lines file that survives being killed mid-line), and N at a time, answered in input order (--jobs N).
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * `i/n` (1 <= i <= n) as {index, count}; null for no option. Throws a message for anything else.
 * @param {string | undefined} text
 */
export function parseShard(text) {
  if (text === undefined) return null;
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || count < 1 || index < 1 || index > count) throw new RangeError(`--shard must be I/N with 1 <= I <= N, like 2/8 (got '${text}')`);
  return { index, count };
}

/**
 * The photos of shard `index` of `count`: chosen by a hash of each file's name, so a photo stays in its shard when
 * others are added or removed and wherever each machine mounts the folder, and the shards are disjoint and cover it.
 * @param {string[]} files @param {{index: number, count: number} | null} shard
 */
export function shardOf(files, shard) {
  if (!shard) return files;
  return files.filter((file) => createHash('sha256').update(basename(file)).digest().readUInt32BE(0) % shard.count === shard.index - 1);
}

/**
 * A JSON Lines file of results, one per photo ({file, ...}), that a run appends to as each photo is answered.
 * Opening it keeps every complete line but errors (retried), drops a last line cut short by a killed run, and
 * says which files it already holds.
 */
export class ResumeLog {
  /** @param {string} path */
  constructor(path) {
    this.path = path;
    /** @type {Set<string>} */
    this.done = new Set();
    if (!existsSync(path)) {
      writeFileSync(path, '');
      return;
    }
    const kept = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      let result;
      try {
        result = JSON.parse(line);
      } catch {
        continue;  // empty, or cut short
      }
      if (!result || typeof result.file !== 'string' || result.error) continue;
      kept.push(line);
      this.done.add(result.file);
    }
    // Rewritten whole (then renamed over it), so a run killed now leaves either file, never half of one.
    writeFileSync(`${path}.tmp`, kept.map((line) => `${line}\n`).join(''));
    renameSync(`${path}.tmp`, path);
  }

  /** @param {object} result */
  append(result) {
    appendFileSync(this.path, `${JSON.stringify(result)}\n`);
  }
}

/**
 * Runs `work` over `items` with at most `jobs` at once (each job a worker: `workers[k](item)`), and hands each
 * answer to `emit` in input order as soon as the ones before it are in.
 * @template T, R
 * @param {T[]} items
 * @param {Array<(item: T) => Promise<R>>} workers
 * @param {(answer: R, item: T) => void} emit
 */
export async function inOrder(items, workers, emit) {
  const answers = new Map();
  let next = 0;
  let emitted = 0;
  const flush = () => {
    while (answers.has(emitted)) {
      emit(answers.get(emitted), items[emitted]);
      answers.delete(emitted);
      emitted += 1;
    }
  };
  await Promise.all(workers.map(async (work) => {
    while (next < items.length) {
      const index = next++;
      answers.set(index, await work(items[index]));
      flush();
    }
  }));
}
