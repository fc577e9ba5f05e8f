// How a probability is said (web/js/likelihood.mjs): words, rounded numbers that never claim certainty, the
// reader's own number format, and the classes a model cannot tell apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { cannotTellApart, formatNumber, likelihoodBand, shareOf } from '../../web/js/likelihood.mjs';
import { STRINGS } from '../../web/js/i18n.mjs';

test('never 100% and never 0%: the bounds are said as bounds', () => {
  for (const p of [1, 0.99999, 0.9951, 0.991]) assert.deepEqual(shareOf(p, 'en'), { key: 'shareOver', value: '99%' }, String(p));
  for (const p of [0, 1e-9, 0.0049, 0.0099]) assert.deepEqual(shareOf(p, 'en'), { key: 'shareUnder', value: '1%' }, String(p));
  assert.deepEqual(shareOf(0.99, 'en'), { key: 'share', value: '99%' });
  assert.deepEqual(shareOf(0.985, 'en'), { key: 'share', value: '99%' });
  assert.deepEqual(shareOf(0.6249, 'en'), { key: 'share', value: '62%' });
  assert.deepEqual(shareOf(0.01, 'en'), { key: 'share', value: '1%' });
  // Every number between the bounds is a whole percentage from 1 to 99.
  for (let p = 0; p <= 1; p += 0.0007) {
    const { value } = shareOf(p, 'en');
    const n = Number(value.replace('%', ''));
    assert.ok(n >= 1 && n <= 99, `${p} -> ${value}`);
  }
});

test('numbers follow the language: Vietnamese writes decimals with a comma', () => {
  assert.equal(formatNumber(0.9987, 'vi'), '0,999');
  assert.equal(formatNumber(0.9987, 'en'), '0.999');
  assert.equal(formatNumber(1019414, 'vi'), '1.019.414');
  assert.match(shareOf(0.5, 'vi').value, /^50\s?%$/);
});

test('bands in words, with a catalogue sentence in both languages for each', () => {
  assert.equal(likelihoodBand(0.995), 'very_likely');
  assert.equal(likelihoodBand(0.9), 'very_likely');
  assert.equal(likelihoodBand(0.75), 'likely');
  assert.equal(likelihoodBand(0.45), 'possible');
  assert.equal(likelihoodBand(0.2), 'unlikely');
  for (const language of ['en', 'vi']) {
    for (const band of ['very_likely', 'likely', 'possible', 'unlikely']) {
      assert.ok(STRINGS[language][`likelihood_${band}`], `${language} likelihood_${band}`);
    }
    for (const key of ['shareOver', 'shareUnder', 'share', 'cannotTellApart']) assert.ok(STRINGS[language][key], `${language} ${key}`);
  }
});

test('the classes a model cannot tell apart: its own set when it has one, else the top two when unsure', () => {
  const p = (...values) => values.map((probability, i) => ({ id: `c${i}`, probability }));
  assert.deepEqual(cannotTellApart(p(0.97, 0.02, 0.01)), []);
  assert.deepEqual(cannotTellApart(p(0.7, 0.25, 0.05)), []);
  assert.deepEqual(cannotTellApart(p(0.55, 0.4, 0.05)).map((c) => c.id), ['c0', 'c1']);  // close
  assert.deepEqual(cannotTellApart(p(0.5, 0.2, 0.2, 0.1)).map((c) => c.id), ['c0', 'c1']);  // unsure
  assert.deepEqual(cannotTellApart(p(1)), []);
  const own = p(0.5, 0.3, 0.2);
  assert.deepEqual(cannotTellApart(own, own.slice(0, 3)).length, 3);
  assert.deepEqual(cannotTellApart(own, own.slice(0, 1)), []);
});
