import { test } from 'node:test';
import assert from 'node:assert/strict';

import { pearson } from '../../web/js/correlation.mjs';

test('pearson: 1, -1 and 0 where they belong; flat maps agree with each other only', () => {
  assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.ok(Math.abs(pearson([1, 0, -1, 0], [0, 1, 0, -1])) < 1e-12);
  assert.equal(pearson([5, 5, 5], [1, 1, 1]), 1);
  assert.equal(pearson([5, 5, 5], [1, 2, 3]), 0);
  assert.throws(() => pearson([1, 2], [1, 2, 3]), RangeError);
});
