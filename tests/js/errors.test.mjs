// One error type end to end (web/js/errors.mjs): the C++ core's codes and params reach the page's sentence in
// both languages; no other error class is left in the app's modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

import { prepareImage } from '../../web/js/core.mjs';
import { DermcamError, PERSON_SENTENCES, PHOTO_CODES, fixFor, personSentence } from '../../web/js/errors.mjs';
import { STRINGS } from '../../web/js/i18n.mjs';
import { ROOT, fixture } from './helpers.mjs';

const fill = (language, { key, values }) => Object.entries(values)
  .reduce((text, [name, value]) => text.replaceAll(`{${name}}`, value), STRINGS[language][key]);

test('every code the C++ core can return is known, and every photo code has a sentence in both languages', () => {
  const source = readFileSync(join(ROOT, 'wasm/error.cpp'), 'utf8');
  const coreCodes = [...source.matchAll(/return "(\w+)";/g)].map((m) => m[1]).filter((code) => code !== 'unknown');
  assert.ok(coreCodes.length >= 8, coreCodes.join());
  for (const code of coreCodes) {
    assert.ok(code in PERSON_SENTENCES || code === 'invalid_argument', `${code} has no sentence for a person`);
  }
  for (const code of PHOTO_CODES) assert.ok(code in PERSON_SENTENCES, code);
  for (const key of [...Object.values(PERSON_SENTENCES), 'errorTooLargeSized', 'errorUnsupportedNamed']) {
    assert.ok(STRINGS.en[key] && STRINGS.vi[key], key);
  }
});

test('a photo over the pixel limit: the core\'s params become the sentence the person reads, in their language', async () => {
  const png = fixture('gray8.png');
  png.set([0x00, 0x01, 0x86, 0xA0, 0x00, 0x01, 0x86, 0xA0], 16);  // IHDR: 100000 x 100000
  const error = await prepareImage(png, { width: 64, height: 64 }).catch((e) => e);
  assert.ok(error instanceof DermcamError, String(error));
  assert.equal(error.code, 'image_too_large');
  assert.deepEqual(error.params, { pixels: 1e10, limit: 50e6 });
  const sentence = personSentence(error);
  assert.equal(fill('en', sentence), 'This photo has 10000 megapixels; dermcam reads photos up to 50 megapixels. Please use a smaller one.');
  assert.equal(fill('vi', sentence), 'Ảnh này có 10000 megapixel; dermcam đọc được ảnh tối đa 50 megapixel. Hãy dùng ảnh nhỏ hơn.');
  // Across the worker boundary it stays the same error.
  const revived = DermcamError.from(JSON.parse(JSON.stringify(error)));
  assert.ok(revived instanceof DermcamError);
  assert.deepEqual([revived.code, revived.params, revived.message], [error.code, error.params, error.message]);
});

test('an unsupported format is named; an error without its own sentence gets the sentence of where it happened', async () => {
  const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;');
  const error = await prepareImage(gif, { width: 64, height: 64 }).catch((e) => e);
  assert.equal(error.code, 'unsupported_format');
  assert.equal(fill('en', personSentence(error)), 'This browser cannot read GIF images. Please use a JPEG, PNG or WebP photo.');
  assert.deepEqual(personSentence(new DermcamError('unsupported_op', 'Erf at node 7')), { key: 'errorGeneric', values: {} });
  assert.deepEqual(personSentence(new DermcamError('unsupported_op', 'x'), 'errorModel'), { key: 'errorModel', values: {} });
  // Without params (stb's own "too large") the general sentence, never "undefined megapixels".
  assert.equal(personSentence(new DermcamError('image_too_large', 'x', { pixels: 0, limit: 0 })).key, 'errorTooLarge');
  assert.equal(DermcamError.from(new TypeError('boom')).code, 'internal');
});

test('ONNX Runtime\'s failures reach a person as a sentence naming the model, its raw text kept for developers', () => {
  const failed = new DermcamError('inference_failed', 'The model failed on this input: Got invalid dimensions for input');
  assert.equal(fill('en', personSentence(failed, 'errorGeneric', { model: 'Clinic model' })),
    'The model Clinic model failed on this photo, so there is no answer for it. Try another photo; if it happens again, ' +
    'tell whoever runs this site (the technical details below say why).');
  assert.match(fill('vi', personSentence(failed, 'errorGeneric', { model: 'Clinic model' })), /^Mô hình Clinic model gặp lỗi/);
  assert.equal(personSentence(new DermcamError('model_load_failed', 'protobuf parsing failed'), 'errorModel').key, 'errorModelLoadFailed');
});

test('the app\'s modules have one error class', () => {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.mjs')) files.push(join(dir, entry.name));
    }
  };
  walk(join(ROOT, 'web/js'));
  const classes = files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error/g)]
    .map((m) => `${relative(ROOT, file)}: ${m[1]}`));
  assert.deepEqual(classes, ['web/js/errors.mjs: DermcamError']);
});

test('every error carries the one action that fixes it', () => {
  assert.equal(fixFor({ code: 'download_failed' }, 'errorModel'), 'retry');
  assert.equal(fixFor({ code: 'bad_model_config' }, 'errorModel', { ownModel: true }), 'bundledModel');
  assert.equal(fixFor({ code: 'internal' }, 'errorModel'), 'retry');  // the bundled model itself failed
  for (const code of ['corrupt_image', 'image_too_large', 'internal', 'invalid_output']) assert.equal(fixFor({ code }), 'choosePhoto', code);
});
