// scripts/dermcam.mjs as a user runs it: output files, JSON, messages on stderr and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { explainMetadata } from '../../web/js/onnx/explain.mjs';
import { decodeModel } from '../../web/js/onnx/model.mjs';
import { EXPLAIN_FIXTURES } from './explain-helpers.mjs';
import { ROOT } from './helpers.mjs';

const CLI = join(ROOT, 'scripts/dermcam.mjs');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdin: 'ignore' });
const fixture = (name) => join(EXPLAIN_FIXTURES, name, 'model.onnx');

test('prepare writes an explain model and reports what it chose', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'prepared.onnx');
  const text = run('prepare', fixture('resnet18'), out, '--classes', '2');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /Target layer '.*layer4.*' \[64 x 2 x 2\] NCHW: the last 4-D activation/);
  assert.match(text.stdout, /top 2 class/);
  const meta = explainMetadata(decodeModel(new Uint8Array(readFileSync(out))));
  assert.equal(meta.classes.k, 2);

  const json = run('prepare', fixture('keras_nhwc_opset13'), out, '--json', '--score', 'probability');
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.layers[0].layout, 'NHWC');
  assert.equal(report.score.kind, 'probability');
  assert.ok(existsSync(out));
});

test('--list-layers prints the candidates', () => {
  const listed = run('prepare', fixture('unsupported_elu'), '--list-layers', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const layers = JSON.parse(listed.stdout);
  assert.ok(layers.length >= 2);
  assert.ok(layers.some((l) => !l.explainable && l.blockedBy.op === 'Elu'));
  const human = run('prepare', fixture('unsupported_elu'), '--list-layers');
  assert.match(human.stdout, /blocked by Elu/);
});

test('errors go to stderr with a non-zero exit code', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dermcam-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const usage = run('prepare');
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage:/);
  assert.equal(run('frobnicate').status, 2);
  assert.equal(run('prepare', fixture('resnet18'), join(dir, 'x.onnx'), '--bogus').status, 2);

  const notOnnx = join(dir, 'photo.onnx');
  writeFileSync(notOnnx, 'this is not a model');
  const bad = run('prepare', notOnnx, join(dir, 'out.onnx'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^dermcam: This is not a readable ONNX model/);
  assert.equal(bad.stdout, '');

  const missing = run('prepare', join(dir, 'missing.onnx'), join(dir, 'out.onnx'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /Cannot read/);

  const manifest = JSON.parse(readFileSync(join(EXPLAIN_FIXTURES, 'unsupported_elu/manifest.json'), 'utf8'));
  const blocked = run('prepare', fixture('unsupported_elu'), join(dir, 'out.onnx'), '--layer', manifest.layer);
  assert.equal(blocked.status, 1);
  assert.match(blocked.stderr, /Cannot explain through Elu/);
  assert.ok(!existsSync(join(dir, 'out.onnx')));
  assert.equal(run('prepare', fixture('resnet18'), join(dir, 'o.onnx'), '--classes', 'many').status, 2);
});
