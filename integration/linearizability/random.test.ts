// Randomized tests: generated linearizable histories must pass, the same
// histories with one read made provably wrong must fail on that key, and on
// small arbitrary histories the checker must agree with a brute-force one.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import { bruteForceLinearizable } from './testing/brute-force.js';
import { mutateToViolation, type MutationPattern } from './testing/mutate.js';
import { mulberry32, randInt, type Rng } from './testing/prng.js';
import { randomLinearizableHistory, type RandomHistoryOptions } from './testing/random-history.js';
import { randomSmallHistory } from './testing/small-history.js';

const PATTERNS: readonly MutationPattern[] = ['stale', 'absent', 'inversion', 'future', 'other-key', 'ghost'];

function randomOptions(rng: Rng, seed: number, maxOps: number): RandomHistoryOptions {
  return {
    seed,
    clients: 1 + randInt(rng, 8),
    keys: 1 + randInt(rng, 4),
    ops: 20 + randInt(rng, maxOps - 20),
    pendingRate: rng() * 0.2,
    listRate: rng() * 0.2,
    deleteRate: rng() * 0.2,
  };
}

describe('randomized', () => {
  it('accepts generated linearizable histories, and catches one mutated read in each', () => {
    const rng = mulberry32(0xc0ffee);
    const caught = new Map<MutationPattern, number>();
    for (let seed = 1; seed <= 60; seed++) {
      const opts = randomOptions(rng, seed, 400);
      const ops = randomLinearizableHistory(opts);
      const ok = checkHistory(ops);
      assert.deepEqual(ok.violations, [], `seed ${seed}`);
      assert.equal(ok.ok, true, `seed ${seed}`);

      const preferred = PATTERNS[seed % PATTERNS.length]!;
      const m = mutateToViolation(rng, ops, preferred);
      if (m === undefined) continue; // no completed read to mutate
      const bad = checkHistory(m.ops);
      assert.equal(bad.ok, false, `seed ${seed}: ${m.pattern} mutation of history[${m.index}] on ${m.key} not caught`);
      assert.equal(bad.unknown, false, `seed ${seed}`);
      assert.deepEqual(bad.violations.map((v) => v.key), [m.key], `seed ${seed}`);
      caught.set(m.pattern, (caught.get(m.pattern) ?? 0) + 1);
    }
    for (const p of PATTERNS) assert.ok((caught.get(p) ?? 0) > 0, `no ${p} mutation was exercised: ${JSON.stringify([...caught])}`);
  });

  it('mutations are non-linearizable according to the brute-force checker', () => {
    const rng = mulberry32(7);
    let checked = 0;
    for (let seed = 1000; seed < 1400; seed++) {
      const ops = randomLinearizableHistory({ seed, clients: 1 + randInt(rng, 4), keys: 1 + randInt(rng, 2), ops: 3 + randInt(rng, 6) });
      assert.equal(bruteForceLinearizable(ops), true, `seed ${seed}: generator produced a non-linearizable history`);
      const m = mutateToViolation(rng, ops, PATTERNS[seed % PATTERNS.length]);
      if (m === undefined) continue;
      assert.equal(bruteForceLinearizable(m.ops), false, `seed ${seed}: ${m.pattern} mutation is linearizable`);
      assert.equal(checkHistory(m.ops).ok, false, `seed ${seed}: ${m.pattern} mutation not caught`);
      checked++;
    }
    assert.ok(checked > 200, `only ${checked} mutations checked`);
  });

  it('agrees with the brute-force checker on small arbitrary histories', () => {
    const rng = mulberry32(42);
    const verdicts = { ok: 0, violation: 0 };
    for (let i = 0; i < 4000; i++) {
      const ops = randomSmallHistory(rng, 8);
      const expected = bruteForceLinearizable(ops);
      const r = checkHistory(ops);
      assert.equal(r.unknown, false);
      assert.equal(r.ok, expected, `history ${i}: checker says ${r.ok}, brute force ${expected}\n${JSON.stringify(ops)}`);
      verdicts[expected ? 'ok' : 'violation']++;
    }
    assert.ok(verdicts.ok > 400 && verdicts.violation > 400, JSON.stringify(verdicts));
  });
});
