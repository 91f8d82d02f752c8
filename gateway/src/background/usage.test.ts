// Usage passes are spaced so that they take at most USAGE_DUTY of the time:
// the next waits the interval, or 19 times as long as the last pass took.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextPassDelay, USAGE_DUTY } from './usage.js';

describe('usage pass spacing', () => {
  it('waits the interval after a short pass', () => {
    assert.equal(nextPassDelay(300_000, 1_000), 300_000);
    assert.equal(nextPassDelay(300_000, 0), 300_000);
  });

  it('waits 19 times a long pass, so passes take at most 5% of the time', () => {
    assert.equal(USAGE_DUTY, 0.05);
    assert.equal(nextPassDelay(300_000, 20_000), 380_000);
    assert.equal(nextPassDelay(1_000, 1_000), 19_000);
    const pass = 200_000;
    assert.ok(pass / (pass + nextPassDelay(300_000, pass)) <= USAGE_DUTY + 1e-9);
  });
});
