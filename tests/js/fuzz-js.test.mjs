// scripts/fuzz-js.mjs, the coverage-guided fuzzer of the JavaScript readers: it must find what only coverage
// guidance finds in seconds, catch a hang, and not count a DermcamError refusal as a finding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT } from './helpers.mjs';

function fuzz(harness, seconds, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-fuzz-'));
  const file = join(dir, 'probe_fuzzer.mjs');
  writeFileSync(file, harness.replaceAll('ERRORS', JSON.stringify(`${ROOT}web/js/errors.mjs`)));
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/fuzz-js.mjs'), String(seconds), file], {
    encoding: 'utf8', stdin: 'ignore', env: { ...process.env, DERMCAM_FUZZ_DIR: join(dir, 'out'), DERMCAM_FUZZ_SEED: '7', ...env },
  });
  let findings = [];
  try { findings = readdirSync(join(dir, 'out/findings')); } catch { /* none */ }
  return { ...run, findings };
}

test('coverage guidance finds a bug behind three nested byte comparisons; the input is saved', { timeout: 200_000 }, () => {
  // Blind mutation needs about 256^3 tries for this; each comparison passed is new coverage that keeps the input.
  const run = fuzz(`export const maxLength = 64;
export const seeds = [[0x2e]];
export function run(b) {
  if (b[0] === 0x44) { if (b[1] === 0x43) { if (b[2] === 0x4d) throw new TypeError('the bug'); } }
}`, 120);
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /TypeError: the bug/);
  assert.equal(run.findings.length, 1);
  assert.match(run.findings[0], /^probe-crash-/);
});

test('an input that hangs is a timeout finding, and the fuzzer stops', { timeout: 120_000 }, () => {
  const run = fuzz(`export const maxLength = 8;
export const seeds = [[1], [0x48]];
export function run(b) { while (b[0] === 0x48) { /* hangs */ } }`, 60, { DERMCAM_FUZZ_TIMEOUT: '1' });
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.deepEqual(run.findings.map((f) => f.split('-').slice(0, 2).join('-')), ['probe-timeout']);
});

test('a DermcamError is a refusal, not a finding', { timeout: 120_000 }, () => {
  const run = fuzz(`import { DermcamError } from ERRORS;
export const maxLength = 16;
export function run(b) { if (b.length > 2) throw new DermcamError('bad_model', 'refused'); }`, 2);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^Done \d+ runs in \d+ s \(probe\): \d+ inputs/);
  assert.deepEqual(run.findings, []);
});
