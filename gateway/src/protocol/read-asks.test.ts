// Which nodes a read asks (issue 11: a node's cost is per message). Collect
// and filter go to the first q nodes in index order, and to another node only
// when one of them fails, is late, sends an answer that does not count, or
// leaves the decision waiting; a node the read never asked hears nothing of
// it, pins included. A node that failed goes last for the reads after.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { AskOrder } from './ask-order.js';
import { override, silent } from './testing/byzantine.js';
import { get, put } from './testing/ops.js';
import { simCluster, type SimCluster } from './testing/sim-cluster.js';

const body = Buffer.alloc(3000, 5);

/** Logs every node's read messages as "2:collect", "3:filter", "0:release". */
function watch(cl: SimCluster): string[] {
  const log: string[] = [];
  for (let i = 0; i < cl.nodes.length; i++) {
    cl.wrap(i, (inner: NodeApi) => override(inner, {
      collect: (r, id, s) => (log.push(`${i}:collect`), inner.collect(r, id, s)),
      filter: (r, id, C, s, pin) => (log.push(`${i}:filter`), inner.filter(r, id, C, s, pin)),
      pin: (r, id, action, ts, s) => (log.push(`${i}:${action}`), inner.pin(r, id, action, ts, s)),
    }));
  }
  return log;
}

const newer = Buffer.alloc(3000, 6);

/** `body` written at every node, then `newer` at nodes 0, 1 and 3 only (node 2 hears nothing of it, then answers again). */
async function newerMissedByNode2(): Promise<SimCluster> {
  const cl = simCluster(1);
  await put(cl.gateway(), 'k', body);
  cl.wrap(2, silent);
  await put(cl.gateway({ rpcMs: 300 }), 'k', newer);
  cl.wrap(2, () => cl.sims[2]!);
  return cl;
}

const nodesIn = (log: readonly string[], what: string): number[] => log.filter((e) => e.endsWith(`:${what}`)).map((e) => Number(e.split(':')[0])).sort();
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the nodes a read asks', () => {
  for (const [t, first] of [[1, [0, 1, 2]], [2, [0, 1, 2, 3, 4]]] as const) {
    it(`all well, t = ${t}: collect, filter and the release go to the first q nodes only, the others hear nothing`, async () => {
      const cl = simCluster(t);
      const gw = cl.gateway();
      await put(gw, 'k', body);
      const log = watch(cl);
      assert.deepEqual(await get(gw, 'k'), body);
      await settle();
      for (const what of ['collect', 'filter', 'release']) assert.deepEqual(nodesIn(log, what), first, what);
      assert.ok(log.every((e) => Number(e.split(':')[0]) < first.length), log.join(' '));
    });
  }

  it('a node that fails: the spare is asked at once, and the next read asks the spare first', async () => {
    const cl = simCluster(1);
    const askOrder = new AskOrder();
    const gw = cl.gateway({ askOrder, rpcMs: 60_000 });
    await put(gw, 'k', body);
    cl.wrap(1, (inner: NodeApi) => override(inner, {
      collect: () => Promise.reject(new Error('down')),
      filter: () => Promise.reject(new Error('down')),
    }));
    const log = watch(cl);
    const started = Date.now();
    assert.deepEqual(await get(gw, 'k'), body);
    // The grace is 600 ms here (rpcMs / 100 at the least): the spare came sooner.
    assert.ok(Date.now() - started < 500, `${Date.now() - started} ms`);
    assert.deepEqual(nodesIn(log, 'collect'), [0, 1, 2, 3]);
    assert.deepEqual(askOrder.preferred(cl.nodes).map((n) => n.index), [0, 2, 3, 1]);
    log.length = 0;
    assert.deepEqual(await get(gw, 'k'), body);
    assert.deepEqual(nodesIn(log, 'collect'), [0, 2, 3], 'the failed node is asked last now');
  });

  it('a node that missed the newest write is asked, and the newest value returned', async () => {
    const cl = await newerMissedByNode2();
    const log = watch(cl);
    const started = Date.now();
    assert.deepEqual(await get(cl.gateway({ rpcMs: 60_000 }), 'k'), newer);
    assert.ok(Date.now() - started < 500, `${Date.now() - started} ms`);
    assert.ok(nodesIn(log, 'filter').includes(2), 'node 2 was asked');
  });

  it('q answers that leave the decision waiting: the spare is asked at once, not after the grace', async () => {
    const cl = await newerMissedByNode2();
    // Node 1 holds the newest write but answers filter as if it held nothing.
    cl.wrap(1, (inner: NodeApi) => override(inner, { filter: (r, id, _C, s, pin) => inner.filter(r, id, [], s, pin) }));
    const log = watch(cl);
    const started = Date.now();
    // Nodes 0, 1 and 2 answer: one proves the newest write (t + 1 must), two answer older ones (q must to drop it).
    assert.deepEqual(await get(cl.gateway({ rpcMs: 60_000 }), 'k'), newer);
    assert.ok(Date.now() - started < 500, `${Date.now() - started} ms (the grace is 600)`);
    assert.deepEqual(nodesIn(log, 'filter'), [0, 1, 2, 3]);
  });
});
