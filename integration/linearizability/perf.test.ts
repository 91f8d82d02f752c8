// Speed on realistic histories, and the budget: an undecided check reports
// `unknown`, never `ok`.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import { get } from './testing/build.js';
import { mutateToViolation } from './testing/mutate.js';
import { mulberry32 } from './testing/prng.js';
import { randomLinearizableHistory } from './testing/random-history.js';

function timed<T>(f: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = f();
  return { value, ms: performance.now() - start };
}

describe('performance and budget', () => {
  it('checks 3000 ops over 5 keys with concurrency 6 in under 2 s', () => {
    const ops = randomLinearizableHistory({ seed: 3000, clients: 6, keys: 5, ops: 3000 });
    const { value, ms } = timed(() => checkHistory(ops));
    assert.equal(value.ok, true);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  it('checks 3000 ops on one key with concurrency 8 in under 1 s', () => {
    const ops = randomLinearizableHistory({ seed: 3001, clients: 8, keys: 1, ops: 3000 });
    const { value, ms } = timed(() => checkHistory(ops));
    assert.equal(value.ok, true);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  });

  it('finds and explains a violation in a 3000-op history in under 2 s', () => {
    const ops = randomLinearizableHistory({ seed: 3002, clients: 6, keys: 5, ops: 3000 });
    const m = mutateToViolation(mulberry32(1), ops, 'stale')!;
    assert.equal(m.pattern, 'stale');
    const { value, ms } = timed(() => checkHistory(m.ops));
    assert.deepEqual(value.violations.map((v) => v.key), [m.key]);
    assert.match(value.violations[0]!.explanation, /stale read/);
    assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  });

  it('reports unknown, not ok, when the step budget runs out', () => {
    const ops = randomLinearizableHistory({ seed: 3003, clients: 6, keys: 2, ops: 1000 });
    const r = checkHistory(ops, { maxStepsPerKey: 50 });
    assert.equal(r.ok, false);
    assert.equal(r.unknown, true);
    assert.deepEqual(r.unknownKeys, ['k0', 'k1']);
    assert.deepEqual(r.violations, []);
  });

  it('reports unknown when the time limit runs out', () => {
    const ops = randomLinearizableHistory({ seed: 3004, clients: 8, keys: 1, ops: 3000 });
    const r = checkHistory(ops, { timeLimitMs: 0 });
    assert.deepEqual({ ok: r.ok, unknown: r.unknown, unknownKeys: r.unknownKeys }, { ok: false, unknown: true, unknownKeys: ['k0'] });
  });

  it('still reports violations of other keys when some key is undecided', () => {
    const ops = [...randomLinearizableHistory({ seed: 3005, clients: 6, keys: 1, ops: 1000 }), get('zz', 'ghost', [0, 1])];
    const r = checkHistory(ops, { maxStepsPerKey: 50 });
    assert.equal(r.ok, false);
    assert.deepEqual(r.unknownKeys, ['k0']);
    assert.deepEqual(r.violations.map((v) => v.key), ['zz']);
  });
});
