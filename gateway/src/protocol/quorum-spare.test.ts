// quorumCall with spares (a listing page's round): `need` nodes are asked
// first, a spare when one of them fails or does not count, all spares once a
// grace passes; a silent node costs the grace, never the timeout.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { QuorumError } from '@powerstore/shared/errors.js';
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
  const call = async (n: N, signal: AbortSignal): Promise<string> => {
    asked.push(n.index);
    const b = behaviour[n.index]!;
    if (b === 'fail') throw new Error('refused');
    if (b === 'silent') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (typeof b === 'object') await sleep(b.lateMs);
    return b === 'bad' ? 'bad' : 'page';
  };
  return { asked, call };
}

const opts = { need: 3, timeoutMs: 5_000, what: 'list', accept: (_: number, v: string) => v === 'page' };

describe('quorumCall with spares', () => {
  it('asks only `need` nodes when they all answer: the spare never works', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 500 } });
    assert.deepEqual([...got.keys()].sort(), [0, 1, 2]);
    await sleep(20);
    assert.deepEqual(c.asked, [0, 1, 2]);
  });

  it('asks nodes in the order given', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    const got = await quorumCall([nodes[2]!, nodes[3]!, nodes[0]!, nodes[1]!], c.call, { ...opts, spare: { graceMs: 1_000, factor: 3, floorMs: 500 } });
    assert.deepEqual([...got.keys()].sort(), [0, 2, 3]);
    assert.deepEqual(c.asked, [2, 3, 0]);
  });

  it('asks the spare at once, not after the grace, when an asked node fails or its answer does not count', async () => {
    for (const fault of ['fail', 'bad'] as const) {
      const c = cluster(['ok', fault, 'ok', 'ok']);
      const started = Date.now();
      const got = await quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 2_000, factor: 3, floorMs: 1_000 } });
      assert.ok(Date.now() - started < 1_000, `${fault}: ${Date.now() - started} ms`);
      assert.deepEqual([...got.keys()].sort(), [0, 2, 3], fault);
      assert.deepEqual(c.asked, [0, 1, 2, 3], fault);
    }
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
    await sleep(400);
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
    await assert.rejects(quorumCall(nodes, c.call, { ...opts, spare: { graceMs: 2_000, factor: 3, floorMs: 1_000 } }), QuorumError);
    assert.ok(Date.now() - started < 1_000);
    assert.deepEqual([...c.asked].sort(), [0, 1, 2, 3]);
  });

  it('without spares every node is asked at once (every other round)', async () => {
    const c = cluster(['ok', 'ok', 'ok', 'ok']);
    await quorumCall(nodes, c.call, opts);
    assert.deepEqual(c.asked, [0, 1, 2, 3]);
  });
});
