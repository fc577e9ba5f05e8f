// The catalogue (web/js/i18n.mjs): both languages have the same sentences with the same placeholders, and the
// page's built-in text is the English catalogue's, so an English reader sees no text change when the app starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { STRINGS, pickLanguage } from '../../web/js/i18n.mjs';
import { ROOT } from './helpers.mjs';

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('English and Vietnamese have the same keys, non-empty texts and the same placeholders', () => {
  assert.deepEqual(Object.keys(STRINGS.vi).sort(), Object.keys(STRINGS.en).sort());
  for (const [key, english] of Object.entries(STRINGS.en)) {
    assert.ok(english.trim() && STRINGS.vi[key].trim(), key);
    assert.deepEqual(placeholders(STRINGS.vi[key]), placeholders(english), key);
  }
});

test('index.html: every data-i18n key exists, and its built-in text is the English catalogue\'s', () => {
  const html = readFileSync(join(ROOT, 'web/index.html'), 'utf8');
  const unescape = (text) => text.replace(/&lt;/g, '<').replace(/&amp;/g, '&');
  const texts = [...html.matchAll(/<([a-z0-9]+)\b[^>]*data-i18n="(\w+)"[^>]*>([^<]*)<\/\1>/g)];
  assert.ok(texts.length > 40, `only ${texts.length} translated elements found`);
  for (const [, , key, text] of texts) assert.equal(unescape(text), STRINGS.en[key], key);
  for (const [, key] of html.matchAll(/data-i18n(?:-label)?="(\w+)"/g)) assert.ok(key in STRINGS.en, key);
});

test('the language follows the stored choice, then the browser, then English', () => {
  assert.equal(pickLanguage('vi', ['en-US']), 'vi');
  assert.equal(pickLanguage(null, ['fr-FR', 'vi-VN']), 'vi');
  assert.equal(pickLanguage('xx', ['de']), 'en');
});

test('every CAM method of the core has a plain help line in both languages', async () => {
  const { camMethods } = await import('../../web/js/core.mjs');
  const methods = await camMethods();
  assert.ok(methods.some((m) => m.id === 'kpca_cam'), 'the registry lists the newest methods');
  for (const { id } of methods) {
    const key = `method_help_${id.replace(/[^a-z]/g, '_')}`;  // as the app builds it
    assert.ok(STRINGS.en[key] && STRINGS.vi[key], key);
  }
});

test('every metric name of a shipped model card has a name in both languages (no raw keys in the card)', () => {
  const keys = new Set();
  const walk = (metrics) => {
    for (const [key, value] of Object.entries(metrics ?? {})) {
      keys.add(key);
      if (value && typeof value === 'object') walk(value);
    }
  };
  for (const name of readdirSync(join(ROOT, 'models'), { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const file = join(ROOT, 'models', name.name, 'model.json');
    if (existsSync(file)) walk(JSON.parse(readFileSync(file, 'utf8')).card?.metrics);
  }
  assert.ok(keys.size > 20, `only ${keys.size} metric names found`);
  for (const key of keys) for (const language of ['en', 'vi']) assert.ok(STRINGS[language][`metric_${key}`], `${language}: metric_${key}`);
});
