import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { AskOrder, spareAfterGrace } from './ask-order.js';

const nodes = [0, 1, 2, 3].map((index) => ({ index }));
const order = (o: AskOrder): number[] => o.order(nodes).map((n) => n.index);

describe('AskOrder', () => {
  it('starts from a random node and goes round from it', () => {
    const draws = [0, 0.25, 0.5, 0.75, 0.9999];
    const o = new AskOrder(Date.now, () => draws.shift()!);
    assert.deepEqual([order(o), order(o), order(o), order(o), order(o)], [
      [0, 1, 2, 3], [1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2], [3, 0, 1, 2],
    ]);
  });

  it('shares first places out evenly, whatever the pattern of rounds (a big one, then a small one)', () => {
    const o = new AskOrder();
    const bigRounds = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const asked = order(o).slice(0, 3);
      if (i % 2 === 0) for (const n of asked) bigRounds[n]!++;
    }
    // Each node is among the 3 asked in 3/4 of the 2,000 big rounds: 1,500 (turn by turn: 2,000 or 1,000).
    for (const c of bigRounds) assert.ok(c > 1_350 && c < 1_650, bigRounds.join(','));
  });

  it('puts a demoted node last for 30 s, then gives it its turns again', () => {
    let now = 1_000_000;
    let draw = 0;
    const o = new AskOrder(() => now, () => [0, 0.25, 0.5, 0.75][draw++ % 4]!);
    o.demote(1);
    assert.deepEqual(order(o), [0, 2, 3, 1]);
    assert.deepEqual(order(o), [2, 3, 0, 1]);
    now += 29_999;
    assert.deepEqual(order(o), [2, 3, 0, 1]);
    now += 2;
    assert.deepEqual(order(o), [3, 0, 1, 2]);
  });

  it('keeps the turn order among several demoted nodes', () => {
    const o = new AskOrder(() => 0, () => 0);
    o.demote(2);
    o.demote(0);
    assert.deepEqual(order(o), [1, 3, 0, 2]);
  });

  it('spareAfterGrace: 500 ms of a 10 s timeout, or three times the first answer (at least 100 ms); overdue nodes go last', () => {
    const o = new AskOrder(() => 0, () => 0);
    const spare = spareAfterGrace(o, 10_000);
    assert.deepEqual({ graceMs: spare.graceMs, factor: spare.factor, floorMs: spare.floorMs }, { graceMs: 500, factor: 3, floorMs: 100 });
    spare.overdue([0, 2]);
    assert.deepEqual(order(o), [1, 3, 0, 2]);
  });
});
