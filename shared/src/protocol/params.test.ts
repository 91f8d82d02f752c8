// Quorum arithmetic, and the small constants every round relies on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterParams, MAX_T } from './params.js';

describe('clusterParams', () => {
  it('S = 3t+1, q = 2t+1, k = t+1', () => {
    assert.deepEqual(clusterParams(1), { t: 1, S: 4, q: 3, k: 2 });
    assert.deepEqual(clusterParams(2), { t: 2, S: 7, q: 5, k: 3 });
    assert.deepEqual(clusterParams(MAX_T), { t: 4, S: 13, q: 9, k: 5 });
  });

  it('refuses t outside 1..MAX_T or not an integer', () => {
    for (const t of [0, -1, MAX_T + 1, 1.5, Number.NaN]) {
      assert.throws(() => clusterParams(t), (e: unknown) => e instanceof RangeError && e.message === `t must be an integer from 1 to ${MAX_T}, got ${t}`);
    }
  });
});
