// The models a site is built with (scripts/site-models.mjs) and the list the page reads (web/js/site-models.mjs):
// each folder is checked at build time, and the page trusts the list only as far as it checks it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requestedModelDirs, siteModels, siteModelsJson } from '../../scripts/site-models.mjs';
import { readSiteModels } from '../../web/js/site-models.mjs';
import { ROOT } from './helpers.mjs';

const DEMO = join(ROOT, 'models/demo');
const demoJson = () => JSON.parse(readFileSync(join(DEMO, 'model.json'), 'utf8'));

/** A copy of the demo model under `name`, its model.json changed by `edit`. */
function modelFolder(parent, name, edit = (json) => json) {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  const json = edit(demoJson());
  if (json) writeFileSync(join(dir, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
  copyFileSync(join(DEMO, 'model-int8.onnx'), join(dir, 'model-int8.onnx'));
  return dir;
}

test('the folders come from --model, else DERMCAM_MODELS, else the demo', () => {
  assert.deepEqual(requestedModelDirs([], {}), [DEMO]);
  assert.deepEqual(requestedModelDirs([], { DERMCAM_MODELS: 'models/a, models/b' }), [join(ROOT, 'models/a'), join(ROOT, 'models/b')]);
  assert.deepEqual(requestedModelDirs(['--model', 'models/c', '--model=/x/d'], { DERMCAM_MODELS: 'models/a' }),
    [join(ROOT, 'models/c'), '/x/d']);
  assert.throws(() => requestedModelDirs(['--model'], {}), /--model needs a folder/);
});

test('each folder is checked as the app will read it; the list names them in order, the first the default', () => {
  const parent = mkdtempSync(join(tmpdir(), 'dermcam-site-'));
  const clinic = modelFolder(parent, 'clinic', (json) => ({ ...json, name: { en: 'Clinic model', vi: 'Mô hình phòng khám' }, version: '2' }));
  const models = siteModels([clinic, DEMO]);
  assert.deepEqual(models.map((m) => [m.id, m.path, m.file]), [['clinic', 'models/clinic/', 'model-int8.onnx'],
    ['demo', 'models/demo/', 'model-int8.onnx']]);
  const list = readSiteModels(JSON.parse(siteModelsJson(models)));
  assert.deepEqual(list[0], { id: 'clinic', path: 'models/clinic/', name: { en: 'Clinic model', vi: 'Mô hình phòng khám' }, version: '2' });

  const refused = (dirs, pattern) => assert.throws(() => siteModels(dirs), pattern);
  refused([join(parent, 'absent')], /absent does not exist/);
  refused([clinic, modelFolder(join(parent, 'other'), 'clinic')], /also named 'clinic'/);
  refused([modelFolder(parent, 'no-description', () => null)], /has no model\.json/);
  refused([modelFolder(parent, 'not-json', () => '{"schema":')], /not-json: model\.json is not valid JSON/);
  refused([modelFolder(parent, 'no-labels', (json) => ({ ...json, labels: [] }))], /no-labels: model\.json: 'labels' must list/);
  refused([modelFolder(parent, 'spoofed', (json) => ({ ...json, name: { en: 'Safe\u202Eexe.lm', vi: 'x' } }))], /U\+202E/);
  refused([modelFolder(parent, 'elsewhere', (json) => ({ ...json, model: 'other.onnx' }))], /names other\.onnx, which is not in the folder/);
  refused([modelFolder(parent, 'bad name!')], /use letters, digits/);
  refused(Array.from({ length: 21 }, () => DEMO), /at most 20 models/);
});

test('the page refuses a list it cannot trust', () => {
  const good = { schema: 'dermcam-site-models/1', models: [{ id: 'demo', path: 'models/demo/', name: { en: 'A', vi: 'B' }, version: '' }] };
  assert.equal(readSiteModels(good).length, 1);
  const bad = (change, pattern) => assert.throws(() => readSiteModels(change(structuredClone(good))), pattern);
  bad(() => null, /is not a "dermcam-site-models\/1" list/);
  bad((json) => ({ ...json, models: [] }), /must list 1 to 20 models/);
  bad((json) => ({ ...json, models: [json.models[0], json.models[0]] }), /repeated id at entry 2/);
  bad((json) => ({ ...json, models: [{ ...json.models[0], path: '../../elsewhere/' }] }), /other than models\/demo\//);
  bad((json) => ({ ...json, models: [{ ...json.models[0], id: '../x', path: 'models/../x/' }] }), /malformed/);
  bad((json) => ({ ...json, models: [{ ...json.models[0], name: { en: 'A\u200Bb', vi: 'B' } }] }), /no safe name/);
  bad((json) => ({ ...json, models: [{ ...json.models[0], version: 7 }] }), /unsafe version/);
});

test('build-dist stops before writing anything when a model folder is broken, and says which', () => {
  const parent = mkdtempSync(join(tmpdir(), 'dermcam-site-'));
  const broken = modelFolder(parent, 'clinic', (json) => ({ ...json, labels: 'melanoma' }));
  const out = join(parent, 'dist');
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs'), '--model', 'models/demo', '--model', broken,
    '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(build.status, 1);
  assert.match(build.stderr, /Model folder .*clinic: model\.json: 'labels' must list/);
  assert.equal(existsSync(out), false);
});
