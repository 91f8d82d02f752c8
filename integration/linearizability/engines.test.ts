// The two search engines against each other and against brute force, and
// the cases that make 'auto' need both.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkHistory } from './check.js';
import type { Operation } from './history.js';
import { projectByKey } from './project.js';
import { checkRegister, type Engine } from './register.js';
import { MAX_IN_FLIGHT, sweepRegister } from './sweep.js';
import { get, put } from './testing/build.js';
import { bruteForceLinearizable } from './testing/brute-force.js';
import { mutateToViolation } from './testing/mutate.js';
import { mulberry32, randInt } from './testing/prng.js';
import { randomLinearizableHistory } from './testing/random-history.js';
import { randomSmallHistory } from './testing/small-history.js';

const ENGINES: readonly Engine[] = ['dfs', 'sweep', 'auto'];
const BUDGET = { maxSteps: 10_000_000, deadline: Infinity };

/** Every key of `ops` by each engine: true if all keys are linearizable. */
function verdicts(ops: readonly Operation[]): Record<Engine, boolean> {
  const out = { dfs: true, sweep: true, auto: true };
  for (const regOps of projectByKey(ops).values()) {
    for (const engine of ENGINES) {
      const { outcome } = checkRegister(regOps, BUDGET, engine);
      assert.notEqual(outcome, 'unknown', engine);
      if (outcome === 'violation') out[engine] = false;
    }
  }
  return out;
}

describe('search engines', () => {
  it('agree with brute force on small arbitrary histories', () => {
    const rng = mulberry32(99);
    for (let i = 0; i < 2000; i++) {
      const ops = randomSmallHistory(rng, 8);
      const expected = bruteForceLinearizable(ops);
      assert.deepEqual(verdicts(ops), { dfs: expected, sweep: expected, auto: expected }, `history ${i}: ${JSON.stringify(ops)}`);
    }
  });

  it('agree on generated histories and their mutations', () => {
    const rng = mulberry32(5);
    for (let seed = 1; seed <= 30; seed++) {
      const ops = randomLinearizableHistory({ seed, clients: 2 + randInt(rng, 7), keys: 2, ops: 300, pendingRate: 0.1, deleteRate: 0.2 });
      assert.deepEqual(verdicts(ops), { dfs: true, sweep: true, auto: true }, `seed ${seed}`);
      const m = mutateToViolation(rng, ops)!;
      assert.deepEqual(verdicts(m.ops), { dfs: false, sweep: false, auto: false }, `seed ${seed} ${m.pattern}`);
    }
  });

  it('the sweep names the first read that cannot be linearized', () => {
    const ops = [put('a', 'v1', [0, 1]), put('a', 'v2', [2, 3]), get('a', 'v1', [4, 5], 'first'), get('a', 'ghost', [6, 7], 'second')];
    const regOps = projectByKey(ops).get('a')!;
    const r = checkRegister(regOps, BUDGET, 'sweep');
    assert.equal(r.outcome, 'violation');
    assert.equal(r.failed, regOps[2]);
    const why = checkHistory(ops).violations[0]!.explanation;
    assert.match(why, /^get by client "first"/);
  });

  it('unknown-outcome deletes cost the sweep a counter, not a bit each', () => {
    // Many timed-out deletes, each a bit of the depth-first search's memo key.
    const ops = randomLinearizableHistory({ seed: 1, clients: 8, keys: 1, ops: 1000, pendingRate: 0.3, deleteRate: 0.4, putRate: 0.2 });
    const regOps = projectByKey(ops).get('k0')!;
    const budget = { maxSteps: 300_000, deadline: Infinity };
    assert.equal(checkRegister(regOps, budget, 'dfs').outcome, 'unknown');
    assert.equal(checkRegister(regOps, budget, 'sweep').outcome, 'ok');
    assert.equal(checkRegister(regOps, budget, 'auto').outcome, 'ok');
  });

  it(`the sweep gives up beyond ${MAX_IN_FLIGHT} operations in flight; auto still decides via the depth-first search`, () => {
    const ops: Operation[] = [];
    for (let i = 0; i < MAX_IN_FLIGHT + 5; i++) ops.push(put('a', `v${i}`, [0, 100], `w${i}`));
    ops.push(get('a', `v${MAX_IN_FLIGHT + 4}`, [101, 102])); // the order the depth-first search tries first
    const regOps = projectByKey(ops).get('a')!;
    assert.equal(checkRegister(regOps, BUDGET, 'sweep').outcome, 'unknown');
    assert.equal(checkRegister(regOps, BUDGET, 'auto').outcome, 'ok');
  });

  it('rejects optional operations it cannot treat as interchangeable', () => {
    const optional = (value: number) => ({ invoke: 0, complete: Infinity, isWrite: true, value });
    assert.throws(() => sweepRegister([optional(0), optional(1)], BUDGET), RangeError);
  });
});
