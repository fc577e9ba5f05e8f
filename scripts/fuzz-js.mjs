// Coverage-guided fuzzing of dermcam's JavaScript readers (the libFuzzer harnesses in tests/fuzz/ cover the C++
// core; what reads a person's model file and model.json is JavaScript). jazzer.js cannot run here (its
// prebuilds need a newer glibc or a download), so this is the same loop in a few lines: V8's own block coverage
// (node:inspector, Profiler.takePreciseCoverage) after every input, an input kept when it reaches a block or a
// count bucket no earlier input reached, libFuzzer's mutations (bytes, dictionary tokens, splices of kept inputs).
//
//   node scripts/fuzz-js.mjs SECONDS NAME...      NAME: tests/fuzz/NAME_fuzzer.mjs, or a path to a harness file
//
// A harness exports run(bytes) (a refusal is a DermcamError: anything else thrown is a finding), maxLength and
// optionally dictionary (byte arrays), seeds (byte arrays; the committed corpus is tests/fuzz/corpus/NAME/) and
// mutate(bytes, random) (a structure-aware mutation, used for half the inputs; null when it does not apply).
// The working corpus grows in $DERMCAM_FUZZ_DIR/corpus/NAME/ (default build/fuzz); a finding (an exception other
// than DermcamError, an input running over DERMCAM_FUZZ_TIMEOUT seconds (default 10), or the 2 GB heap running
// out) is written to $DERMCAM_FUZZ_DIR/findings/NAME-KIND-SHA1 and the exit status is 1.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HEAP_MB = 2048;

function harnessOf(name) {
  const file = name.endsWith('.mjs') ? resolve(name) : join(ROOT, 'tests/fuzz', `${name}_fuzzer.mjs`);
  return { file, name: basename(file).replace(/(_fuzzer)?\.mjs$/, '') };
}

const sha1 = (bytes) => createHash('sha1').update(bytes).digest('hex');

// The main thread: one worker per harness, watched for hangs (a heartbeat in shared memory, which also holds the
// input being run, so a hung or dead worker's input can still be saved).
async function fuzz(name, seconds, out) {
  const harness = harnessOf(name);
  const { maxLength } = await import(pathToFileURL(harness.file));
  const shared = new SharedArrayBuffer(8 + maxLength);
  const header = new Int32Array(shared, 0, 2);  // [runs finished, length of the input being run]
  const timeoutMs = 1000 * Number(process.env.DERMCAM_FUZZ_TIMEOUT ?? 10);
  const findings = join(out, 'findings');
  mkdirSync(findings, { recursive: true });
  const save = (kind, detail) => {
    const input = new Uint8Array(shared, 8, Atomics.load(header, 1)).slice();
    const file = join(findings, `${harness.name}-${kind}-${sha1(input)}`);
    writeFileSync(file, input);
    console.error(`${harness.name}: ${kind} on ${input.length} bytes, saved as ${file}\n${detail}`);
  };
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: { harness, seconds, shared, out, maxLength },
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
  });
  return new Promise((done) => {
    let found = false;
    let last = { runs: -1, at: Date.now() };
    const watch = setInterval(() => {
      const runs = Atomics.load(header, 0);
      if (runs !== last.runs) last = { runs, at: Date.now() };
      else if (Date.now() - last.at > timeoutMs) {
        found = true;
        save('timeout', `one input ran for over ${timeoutMs / 1000} s`);
        worker.terminate();
      }
    }, 250);
    worker.on('message', (message) => {
      if (message.finding) {
        found = true;
        save(message.finding, message.detail);
      } else console.log(message.done);
    });
    worker.on('error', (error) => {
      found = true;
      save(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'oom' : 'crash', error.stack ?? String(error));
    });
    worker.on('exit', () => {
      clearInterval(watch);
      done(!found);
    });
  });
}

// The worker: the fuzzing loop.
async function loop({ harness, seconds, shared, out, maxLength }) {
  const header = new Int32Array(shared, 0, 2);
  const current = new Uint8Array(shared, 8, maxLength);
  const session = new Session();
  session.connect();
  const post = (method, params) => {
    let result;
    let failure;
    session.post(method, params, (error, value) => { failure = error; result = value; });  // answered synchronously
    if (failure) throw failure;
    return result;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  // Imported after coverage starts: code compiled before it has no block counters.
  const target = await import(pathToFileURL(harness.file));
  const { DermcamError } = await import(pathToFileURL(join(ROOT, 'web/js/errors.mjs')));

  let state = (Number(process.env.DERMCAM_FUZZ_SEED ?? Date.now()) >>> 0) || 1;
  const random = (n) => {  // xorshift32: fast, and a seed reproduces a run
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % n;
  };

  const seen = new Set();
  let dirty = false;  // the harness's own mutator ran the harness's code: its coverage is not the child's
  const bucket = (count) => (count < 4 ? count : count < 8 ? 4 : count < 16 ? 8 : count < 128 ? 16 : 128);
  // Runs one input; true when it reached something new. Coverage counts are reset by each take.
  const execute = (bytes) => {
    if (dirty) post('Profiler.takePreciseCoverage');
    dirty = false;
    current.set(bytes);
    Atomics.store(header, 1, bytes.length);
    try {
      target.run(bytes);
    } catch (error) {
      if (!(error instanceof DermcamError)) {
        parentPort.postMessage({ finding: 'crash', detail: error?.stack ?? String(error) });
        return null;
      }
    }
    Atomics.add(header, 0, 1);
    let fresh = false;
    for (const script of post('Profiler.takePreciseCoverage').result) {
      if (!script.url.startsWith('file:') || script.url.endsWith('fuzz-js.mjs')) continue;
      for (const fn of script.functions) {
        // V8 nests the ranges that ran a different number of times than their function (0: not run), so
        // every range, zero counts included, is a feature: reaching an inner block moves its zero range.
        for (const range of fn.ranges) {
          const key = `${script.scriptId}:${range.startOffset}:${range.endOffset}:${bucket(range.count)}`;
          if (!seen.has(key)) { seen.add(key); fresh = true; }
        }
      }
    }
    return fresh;
  };

  const workDir = join(out, 'corpus', harness.name);
  mkdirSync(workDir, { recursive: true });
  const seeds = [...(target.seeds ?? []).map((s) => Uint8Array.from(s))];
  for (const dir of [join(dirname(harness.file), 'corpus', harness.name), workDir]) {
    if (existsSync(dir)) for (const file of readdirSync(dir).sort()) seeds.push(new Uint8Array(readFileSync(join(dir, file))));
  }
  const corpus = [];
  for (const seed of seeds.length ? seeds : [new Uint8Array(0)]) {
    const bytes = seed.subarray(0, maxLength);
    const fresh = execute(bytes);
    if (fresh === null) return;
    if (fresh || !corpus.length) corpus.push(bytes);
  }

  const dictionary = (target.dictionary ?? []).map((t) => Uint8Array.from(t));
  const interesting = [0, 1, 0x7f, 0x80, 0xff, 0x2d, 0x30, 0x22];
  const mutate = (parent) => {
    if (target.mutate && random(2) === 0) {
      const custom = target.mutate(parent, random);
      dirty = true;
      if (custom) return custom.length > maxLength ? custom.subarray(0, maxLength) : custom;
    }
    let bytes = parent.slice();
    const splice = (at, remove, insert) => {
      const next = new Uint8Array(bytes.length - remove + insert.length);
      next.set(bytes.subarray(0, at));
      next.set(insert, at);
      next.set(bytes.subarray(at + remove), at + insert.length);
      bytes = next;
    };
    const range = () => {
      const at = random(bytes.length + 1);
      return [at, Math.min(bytes.length - at, 1 + random(64))];
    };
    for (let steps = 1 + random(4); steps > 0; steps--) {
      const at = random(Math.max(bytes.length, 1));
      switch (random(bytes.length ? 11 : 3)) {
        case 0: splice(at, 0, Uint8Array.from({ length: 1 + random(16) }, () => random(256))); break;
        case 1: if (dictionary.length) splice(random(bytes.length + 1), 0, dictionary[random(dictionary.length)]); break;
        case 2: { const other = corpus[random(corpus.length)]; const [from, n] = [random(other.length + 1), 1 + random(256)];
          splice(random(bytes.length + 1), 0, other.subarray(from, from + n)); break; }
        case 3: bytes[at] ^= 1 << random(8); break;
        case 4: bytes[at] = random(256); break;
        case 5: bytes[at] = interesting[random(interesting.length)]; break;
        case 6: bytes[at] += random(2) ? 1 : 255; break;
        case 7: { const [from, n] = range(); splice(from, n, new Uint8Array(0)); break; }
        case 8: { const [from, n] = range(); splice(random(bytes.length + 1), 0, bytes.slice(from, from + n)); break; }
        case 9: if (dictionary.length) { const token = dictionary[random(dictionary.length)]; splice(at, Math.min(token.length, bytes.length - at), token); } break;
        default: bytes = bytes.slice(0, random(bytes.length + 1));
      }
    }
    return bytes.length > maxLength ? bytes.subarray(0, maxLength) : bytes;
  };

  const started = Date.now();
  const end = started + seconds * 1000;
  let runs = seeds.length;
  let kept = 0;
  while (Date.now() < end) {
    const child = mutate(corpus[random(corpus.length)]);
    const fresh = execute(child);
    runs++;
    if (fresh === null) return;
    if (fresh) {
      corpus.push(child);
      kept++;
      writeFileSync(join(workDir, sha1(child)), child);
    }
  }
  parentPort.postMessage({ done: `Done ${runs} runs in ${Math.round((Date.now() - started) / 1000)} s (${harness.name}): ` +
    `${corpus.length} inputs in the corpus (${kept} new), ${seen.size} coverage features` });
}

if (!isMainThread) {
  await loop(workerData);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [seconds, ...names] = process.argv.slice(2);
  if (!(Number(seconds) > 0) || !names.length) {
    console.error('usage: node scripts/fuzz-js.mjs SECONDS NAME...   (NAME: onnx, model_json or a harness .mjs)');
    process.exit(2);
  }
  const out = resolve(process.env.DERMCAM_FUZZ_DIR ?? join(ROOT, 'build/fuzz'));
  let ok = true;
  for (const name of names) ok = (await fuzz(name, Number(seconds), out)) && ok;
  process.exit(ok ? 0 : 1);
}
