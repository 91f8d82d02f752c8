// quorumCall with spares (a listing page's round, a read's rounds): `need`
// nodes are asked first, a spare when one of them fails or does not count or
// all answered and the round wants more, all spares once a grace passes; a
// silent node costs the grace, never the timeout.

import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { QuorumError } from '@powerstore/shared/errors.js';
import { until } from '@powerstore/shared/testing/until.js';
import { quorumCall } from './quorum.js';

interface N {
  readonly index: number;
}
const nodes: N[] = [0, 1, 2, 3].map((index) => ({ index }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Behaviour = 'ok' | 'fail' | 'silent' | 'bad' | { lateMs: number };

/** Calls answer by behaviour; `asked` records who was called, in order. */
function cluster(behaviour: Behaviour[]) {
  const asked: number[] = [];
  const askedAt = new Map<number, number>();
  const abortedAt = new Map<number, number>();
  const answeredAt = new Map<number, number>();
  const started = performance.now();
  const call = async (n: N, signal: AbortSignal): Promise<string> => {
    asked.push(n.index);
    askedAt.set(n.index, performance.now() - started);
    const b = behaviour[n.index]!;
    if (b === 'fail') throw new Error('refused');
    if (b === 'silent') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => {
        abortedAt.set(n.index, performance.now() - started);
        reject(new Error('aborted'));
      }, { once: true }));
    }
    if (typeof b === 'object') {
      await sleep(b.lateMs);
      answeredAt.set(n.index, performance.now() - started);
    }
    return b === 'bad' ? 'bad' : 'page';
  };
  return { asked, askedAt, abortedAt, answeredAt, call };
}

const opts = { need: 3, timeoutMs: 5_000, what: 'list', accept: (_: number, v: string) => v === 'page' };

describe('quorumCall with spares', () => {
  it('asks only `need` nodes when they all answer: the spare never works', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 500, overdue: () => undefined } });
    assert.deepEqual([...got.keys()].sort(), [0, 1, 2]);
    await sleep(20);
    assert.deepEqual(c.asked, [0, 1, 2]);
  });

  it('asks nodes in the order given', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const got = await quorumCall([nodes[2]!, nodes[3]!, nodes[0]!, nodes[1]!], c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 500, overdue: () => undefined } });
    assert.deepEqual([...got.keys()].sort(), [0, 2, 3]);
    assert.deepEqual(c.asked, [2, 3, 0]);
  });

  it('asks the spare at once, not after the grace, when an asked node fails or its answer does not count', async () => {
    for (const fault of ['fail', 'bad'] as const) {
      const c = cluster(['ok', fault, 'ok', 'ok']);
      const started = Date.now();
      const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 2_000, factor: 3, floorMs: 1_000, overdue: () => undefined } });
      assert.ok(Date.now() - started < 1_000, `${fault}: ${Date.now() - started} ms`);
      assert.deepEqual([...got.keys()].sort(), [0, 2, 3], fault);
      assert.deepEqual(c.asked, [0, 1, 2, 3], fault);
    }
  });

  // A read's filter round: q answers counted, but the decision wants more (a
  // lagging node among them). Waiting out the grace would only delay the read.
  it('asks the spare at once when every asked node answered and `until` still wants more', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const started = Date.now();
    let overdue = 0;
    const got = await quorumCall(nodes, c.call, {
      ...opts, until: () => c.asked.length === 4, spare: { graceMs: 2_000, factor: 3, floorMs: 1_000, overdue: () => overdue++ },
    });
    assert.ok(Date.now() - started < 1_000, `${Date.now() - started} ms`);
    assert.deepEqual([...got.keys()].sort(), [0, 1, 2, 3]);
    assert.deepEqual(c.asked, [0, 1, 2, 3]);
    assert.equal(overdue, 0, 'no grace ran out');
  });

  it('a silent node costs the grace, not the timeout, and is named overdue', async () => {
    const c = cluster(['ok', 'silent', 'ok', 'ok']);
    const overdue: number[][] = [];
    const started = Date.now();
    const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 100, factor: 3, floorMs: 100, overdue: (late) => overdue.push(late) } });
    const took = Date.now() - started;
    assert.ok(took >= 90 && took < 2_000, `${took} ms`);
    assert.deepEqual([...got.keys()].sort(), [0, 2, 3]);
    assert.deepEqual(overdue, [[1]]);
  });

  it('a late node is overdue too, and its answer, still wanted, arrives as late', async () => {
    const c = cluster([{ lateMs: 300 }, 'ok', 'ok', 'ok']);
    const late: number[] = [];
    const overdue: number[][] = [];
    const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 50, factor: 3, floorMs: 50, overdue: (l) => overdue.push(l) }, onLate: (n) => late.push(n) });
    assert.deepEqual([...got.keys()].sort(), [1, 2, 3]);
    assert.deepEqual(overdue, [[0]]);
    await until('the late answer arrives', () => late.length > 0, 5_000, 10);
    assert.deepEqual(late, [0]);
  });

  it('a node far slower than the first answer is passed over after factor × that time, not the whole grace', async () => {
    const c = cluster([{ lateMs: 30 }, { lateMs: 1_500 }, { lateMs: 30 }, { lateMs: 30 }]);
    const overdue: number[][] = [];
    const started = Date.now();
    const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 20, overdue: (l) => overdue.push(l) } });
    const took = Date.now() - started;
    assert.deepEqual([...got.keys()].sort(), [0, 2, 3]);
    assert.deepEqual(overdue, [[1]]);
    assert.ok(took < 600, `${took} ms: about 3 × 30 ms + 30 ms, far below the 1 s grace`);
  });

  it('no spare while the asked nodes answer within factor × the first answer\'s time', async () => {
    const c = cluster([{ lateMs: 30 }, { lateMs: 60 }, { lateMs: 70 }, 'ok']);
    const overdue: number[][] = [];
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 20, overdue: (l) => overdue.push(l) } });
    assert.deepEqual(c.asked, [0, 1, 2]);
    assert.deepEqual(overdue, []);
  });

  it('the spare is asked factor × the first answer\'s time after the start, not sooner, not later', async () => {
    const c = cluster([{ lateMs: 300 }, 'silent', { lateMs: 300 }, 'ok']);
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 5_000, factor: 3, floorMs: 20, overdue: () => undefined } });
    const at = c.askedAt.get(3)!;
    // Timed from the first answer it would be 4 × its time. The bound sits halfway, against the answer's
    // measured time: a loaded machine's late timers, tripled, pushed a fixed bound over.
    const first = c.answeredAt.get(0)!;
    assert.ok(at >= 890 && at < 3.5 * first, `spare asked at ${at.toFixed(0)} ms, expected about 3 × ${first.toFixed(0)}`);
  });

  it('the grace is timed from the first answer only: a later, slower answer does not push it back', async () => {
    // Node 2's answer and the grace are far off (not the 300 ms and 1 s they were), so the bounds leave room for a loaded machine.
    const c = cluster([{ lateMs: 30 }, 'silent', { lateMs: 1_000 }, 'ok']);
    const started = Date.now();
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 5_000, factor: 3, floorMs: 20, overdue: () => undefined } });
    assert.ok(c.askedAt.get(3)! < 600, `spare asked at ${c.askedAt.get(3)!.toFixed(0)} ms`);
    assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`);
  });

  it('only the first answer sets the grace: a second one, sooner than the grace, does not move it later', async () => {
    const c = cluster([{ lateMs: 100 }, 'silent', { lateMs: 300 }, 'ok']);
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 2_000, factor: 3, floorMs: 20, overdue: () => undefined } });
    const at = c.askedAt.get(3)!;
    // Halfway between 3 × each answer's measured time: a loaded machine's late timers, tripled, pushed a fixed bound over.
    const [first, second] = [c.answeredAt.get(0)!, c.answeredAt.get(2)!];
    assert.ok(at < 1.5 * (first + second), `spare asked at ${at.toFixed(0)} ms, expected about 3 × ${first.toFixed(0)} (3 × ${second.toFixed(0)} would be later)`);
  });

  it('a straggler still asked when the round ended is cut off at the round\'s timeout', async () => {
    const c = cluster(['ok', 'silent', 'ok', 'ok']);
    await quorumCall(nodes, c.call, { ...opts, timeoutMs: 300, spare: { graceMs: 50, factor: 3, floorMs: 20, overdue: () => undefined } });
    await until('the straggler is aborted', () => c.abortedAt.has(1), 5_000, 10);
    const at = c.abortedAt.get(1);
    assert.ok(at !== undefined && at >= 290, `straggler aborted at ${at?.toFixed(0)} ms`);
  });

  it('factor × the first answer\'s time never stretches the grace past graceMs', async () => {
    const c = cluster([{ lateMs: 200 }, 'silent', { lateMs: 200 }, 'ok']);
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 300, factor: 3, floorMs: 20, overdue: () => undefined } });
    const at = c.askedAt.get(3)!;
    assert.ok(at >= 290 && at < 480, `spare asked at ${at.toFixed(0)} ms, expected at the 300 ms grace (3 × 200 would be 600)`);
  });

  it('a finished round leaves no listener on the caller\'s signal, spares never asked included', async () => {
    const outer = new AbortController();
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    await quorumCall(nodes, c.call, { ...opts, signal: outer.signal, spare: { graceMs: 1_000, factor: 3, floorMs: 20, overdue: () => undefined } });
    await sleep(10);
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
    assert.deepEqual(c.asked, [0, 1, 2]);
  });

  it('without a grace running out, nothing is overdue', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const overdue: number[][] = [];
    await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 50, factor: 3, floorMs: 50, overdue: (l) => overdue.push(l) } });
    await sleep(100);
    assert.deepEqual(overdue, []);
  });

  it('fails as soon as too few nodes are left, spares included', async () => {
    const c = cluster(['fail', 'ok', 'fail', 'ok']);
    const started = Date.now();
    await assert.rejects(quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 2_000, factor: 3, floorMs: 1_000, overdue: () => undefined } }), QuorumError);
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual([...c.asked].sort(), [0, 1, 2, 3]);
  });

  it('without spares every node is asked at once (every other round)', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    await quorumCall(nodes, c.call, opts);
    assert.deepEqual(c.asked, [0, 1, 2, 3]);
  });
});
