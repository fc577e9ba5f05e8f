#!/usr/bin/env node
// Photos per second of `dermcam explain` over a folder with 1 and 2 jobs (worker threads, one ONNX Runtime session
// each), on the demo model and a MobileNetV2-sized one (tests/bench/make-mobilenet.mjs, prepared once; no model.json:
// no out-of-distribution check, so every photo is explained). Whole runs of the CLI, model loading
// included, as a person timing a batch sees them. scripts/bench.mjs puts the table into BENCHMARKS.md; alone:
//   node scripts/bench-batch.mjs [--photos 120]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'scripts/dermcam.mjs');
const BUILD = join(ROOT, 'build/bench');
const MOBILENET = join(BUILD, 'mobilenet_v2_224.explain.onnx');
const MODELS = [{ name: 'demo (int8, 128 x 128)', path: join(ROOT, 'models/demo') },
  { name: 'MobileNetV2-sized (224 x 224, float32)', path: MOBILENET }];

// The MobileNetV2-sized model (tests/bench/make-mobilenet.mjs), prepared once: a clinic ships a prepared model.
async function mobilenet() {
  if (existsSync(MOBILENET)) return;
  const { mobilenetModel } = await import('../tests/bench/make-mobilenet.mjs');
  mkdirSync(BUILD, { recursive: true });
  const plain = join(BUILD, 'mobilenet_v2_224.onnx');
  writeFileSync(plain, mobilenetModel());
  execFileSync(process.execPath, [CLI, 'prepare', plain, MOBILENET, '--classes', '3'], { stdio: 'ignore' });
}

/** [{model, jobs, photos, seconds, perSecond}] for 1 and 2 jobs on each model, over `count` copies of a lesion photo. */
export async function batchThroughput({ count = 120, log = () => {} } = {}) {
  await mobilenet();
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-bench-batch-'));
  try {
    for (let i = 0; i < count; i++) copyFileSync(join(ROOT, 'tests/fixtures/images/lesion.jpg'), join(dir, `p${String(i).padStart(3, '0')}.jpg`));
    const rows = [];
    for (const model of MODELS) {
      for (const jobs of [1, 2]) {
        log(`batch: ${model.name}, ${jobs} job(s)`);
        const started = performance.now();
        execFileSync(process.execPath, [CLI, 'explain', '--model', model.path, '--image', dir, '--jsonl', '--jobs', String(jobs)],
          { stdio: ['ignore', 'ignore', 'ignore'] });
        const seconds = (performance.now() - started) / 1000;
        rows.push({ model: model.name, jobs, photos: count, seconds, perSecond: count / seconds });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The BENCHMARKS.md section for these rows. */
export function batchSection(rows) {
  const lines = [`## 5c. Batches on the command line (\`explain --jobs N\` over ${rows[0].photos} photos of 512 x 512; ` +
    `${cpus().length} cores; whole runs, model loading included)`, '',
    '| model | jobs | seconds | photos per second | vs 1 job |', '|---|---:|---:|---:|---:|'];
  for (const row of rows) {
    const single = rows.find((r) => r.model === row.model && r.jobs === 1);
    lines.push(`| ${row.model} | ${row.jobs} | ${row.seconds.toFixed(1)} | ${row.perSecond.toFixed(1)} | ` +
      `${(row.perSecond / single.perSecond).toFixed(2)}x |`);
  }
  lines.push('', 'Each job is a worker thread with its own ONNX Runtime session (single-threaded), so N jobs use N cores; ' +
    'answers come back in input order. Every job pays its own start (ONNX Runtime\'s wasm compiled, the model loaded: ' +
    'about a second), and V8 keeps optimising that wasm on a background thread after it starts, which a single job ' +
    'gets for free on the second core: a second job pays off for heavy models and long batches, not for a short batch ' +
    'of a small model. Past the cores, more jobs only add memory.');
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { photos: { type: 'string' } } });
  const rows = await batchThroughput({ count: Number(values.photos ?? 120), log: (m) => console.error(m) });
  console.log(batchSection(rows).join('\n'));
}
