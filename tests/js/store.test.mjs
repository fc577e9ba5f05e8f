// The page's store (web/js/page/store.mjs): a view is drawn when a key it reads changes, and only then, and never
// from a state older than one it has seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Store } from '../../web/js/page/store.mjs';

test('a view is drawn at once, then only when a key it watches changes', () => {
  const store = new Store({ language: 'en', step: 'start', result: null });
  const drawn = [];
  store.watch(['language'], (state) => drawn.push(`language:${state.language}`));
  store.watch(['step', 'result'], (state) => drawn.push(`step:${state.step}`));
  store.set({ step: 'frame' });
  store.set({ language: 'en' });  // the same value: nothing changed, nothing drawn
  store.set({ language: 'vi' });
  assert.deepEqual(drawn, ['language:en', 'step:start', 'step:frame', 'language:vi']);
});

test('a change given as a function reads the state it replaces', () => {
  const store = new Store({ controls: { method: 'gradcam', opacity: 0.5 } });
  const before = store.get().controls;
  store.set(({ controls }) => ({ controls: { ...controls, opacity: 0.8 } }));
  assert.deepEqual(store.get().controls, { method: 'gradcam', opacity: 0.8 });
  assert.deepEqual(before, { method: 'gradcam', opacity: 0.5 }, 'values are replaced, never changed in place');
});

test('a change made while a view draws reaches that view and the ones after it', () => {
  const store = new Store({ photo: null, region: null });
  const seen = [];
  // The framing view reports its square when it shows a photo.
  store.watch(['photo'], (state) => {
    if (state.photo) store.set({ region: [0, 0, state.photo.side, state.photo.side] });
  });
  store.watch(['photo', 'region'], (state) => seen.push([state.photo?.side ?? null, state.region?.[2] ?? null]));
  store.set({ photo: { side: 64 } });
  assert.deepEqual(seen.at(-1), [64, 64]);
  assert.ok(seen.every(([photo, region]) => photo === null || region === photo), `drawn from a stale state: ${JSON.stringify(seen)}`);
});
