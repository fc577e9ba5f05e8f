// The benchmark suite still runs end to end (quick mode: 2 runs, nothing written). No timing is asserted:
// speed is reported by scripts/bench.sh in BENCHMARKS.md, never tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from '../js/helpers.mjs';

test('scripts/bench.mjs --quick produces every section', { timeout: 900_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-bench-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = spawnSync(process.execPath, [join(ROOT, 'scripts/bench.mjs'), '--quick', '--no-write', '--json',
    join(dir, 'bench.json')], { encoding: 'utf8', stdin: 'ignore', maxBuffer: 64 << 20 });
  assert.equal(out.status, 0, out.stderr.slice(-2000));
  for (const heading of ['Explain vs plain', 'opacity drag', 'method switch', 'Explanation methods and faithfulness',
    'Stage breakdown', 'Decode + preprocess of a 12 MP JPEG', 'Memory', 'Transfer', 'Waiting on a slow link', 'Preparing a model nobody prepared', 'Batches on the command line', 'Bytes crossing the JS/wasm boundary',
    'Native kernels']) {
    assert.ok(out.stdout.includes(heading), heading);
  }
  const results = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8'));
  assert.deepEqual(results.browsers.map((b) => [b.threads, b.crossOriginIsolated]), [[1, true], [2, true]]);
  assert.deepEqual(results.node.models.map((m) => m.name), ['demo', 'mobilenet_v2', 'resnet18', 'vit_s16']);
  assert.ok(results.browsers.every((b) => b.models.some((m) => m.name === 'vit_s16' && m.addedOutputBytes === 4 * 4 * 14 * 14 * 384)));
  assert.ok(results.node.methods.rows.some((r) => r.method === 'Score-CAM' && r.runs === 256), 'Score-CAM: one run per channel');
  assert.deepEqual(results.node.prepare.map((r) => Object.keys(r.times)), [['read', 'probe', 'layer', 'graph', 'session', 'check']]);
  assert.ok(results.nativeResults.some((b) => b.name.startsWith('BM_CamMethod')));
  assert.deepEqual(results.batches.map((r) => r.jobs), [1, 2, 1, 2]);
  assert.deepEqual(results.node.traffic.map((r) => r.name), ['analysis', 'method switch', 'class switch', 'PNG export']);
  assert.ok(results.node.traffic.every((r) => r.calls > 0 && r.bytesOut > 0));
  assert.ok(results.batches.every((r) => r.perSecond > 0));
});
