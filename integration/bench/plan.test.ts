import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIG, KiB, MiB, planFor, warmUpFor } from './plan.js';

test('bench warm-up: every size up to 8 MiB first, at its phase\'s concurrency, about 32 MiB or 500 objects of it', () => {
  assert.deepEqual(warmUpFor(planFor({ quick: false, big: true })), [
    { size: 4 * KiB, count: 500, concurrency: 16 },
    { size: 1 * MiB, count: 32, concurrency: 8 },
  ]);
  // --quick warms the same paths the same way: its phases are shorter, not different.
  assert.deepEqual(warmUpFor(planFor({ quick: true, big: false })), warmUpFor(planFor({ quick: false, big: false })));
  assert.deepEqual(warmUpFor([{ size: 8 * MiB, count: 3, concurrency: 2 }, { size: 8 * MiB + 1, count: 3, concurrency: 2 }, BIG]), [
    { size: 8 * MiB, count: 4, concurrency: 2 },
  ]);
});
