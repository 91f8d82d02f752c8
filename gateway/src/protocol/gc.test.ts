// Garbage collection meets reads (DESIGN §4, §6) on simulated clusters:
// history below lc goes unless a read pins it; a read whose candidates were
// collected under it gets GONE answers, reruns filter once with the nodes'
// newer lc, and completes; a second GONE from one node is evidence.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { QuorumError } from '@powerstore/shared/errors.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { SimNode } from '@powerstore/shared/testing/sim-node.js';
import { until } from '@powerstore/shared/testing/until.js';
import { del, get, put } from './testing/ops.js';
import { simCluster } from './testing/sim-cluster.js';

function histCount(cl: ReturnType<typeof simCluster>, node: number, key: string): number {
  return cl.sims[node]!.regs.get(regId('bucket', key).toString('hex'))?.hist.size ?? 0;
}

describe('garbage collection and read pins', () => {
  it('keeps one history entry per key however often it is overwritten', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    for (let v = 0; v < 50; v++) {
      await put(gw, 'k', Buffer.from(`v${v}`));
      for (const s of cl.sims) s.gc();
    }
    for (let i = 0; i < cl.params.S; i++) assert.ok(histCount(cl, i, 'k') <= 1, `node ${i} keeps ${histCount(cl, i, 'k')}`);
    assert.deepEqual(await get(gw, 'k'), Buffer.from('v49'));
  });

  it('a read overlapping many overwrites completes: pins keep its write, GONE answers bring newer ones', async () => {
    const cl = simCluster(1);
    const writer = cl.gateway();
    for (let v = 1; v <= 5; v++) await put(writer, 'k', Buffer.from(`v${v}`));
    // Nodes 0 and 1 lose the read's pins right after collect (as a restart would).
    for (const i of [0, 1]) cl.wrap(i, (n) => losesPinAfterCollect(n, cl.sims[i]!));
    // Every filter waits at a gate while the key is overwritten and collected.
    const { open, waiting } = gateFilters(cl);
    const reader = cl.gateway({ rpcMs: 5000 });
    const before = cl.rounds.get('read') ?? 0;
    const read = get(reader, 'k');
    await until('the read waits at the filter gate', () => waiting() === cl.params.S, 10_000, 5);
    const plain = { ...cl.gateway(), nodes: cl.sims };
    for (let v = 6; v <= 20; v++) await put(plain, 'k', Buffer.from(`v${v}`));
    for (const s of cl.sims) s.gc();
    assert.equal(histCount(cl, 0, 'k'), 1, 'node 0 collected everything below lc (no pin)');
    assert.ok(histCount(cl, 2, 'k') >= 16, 'node 2 kept v5 and newer (pinned from v5 up)');
    open();
    const got = (await read)?.toString();
    assert.equal(got, 'v20', 'the rerun found the newest write');
    assert.equal((cl.rounds.get('read') ?? 0) - before, 3, 'collect, filter, one rerun');
    assert.deepEqual(cl.evidence, []);
  });

  // Protocol review finding 8: answers of the round that brought a GONE were
  // made over a C without its lc, so they must not drop that lc as invalid.
  it("a GONE answer's lc is not dropped by other answers of the same round", async () => {
    const cl = simCluster(1);
    const writer = cl.gateway();
    for (let v = 1; v <= 5; v++) await put(writer, 'k', Buffer.from(`v${v}`));
    // Node 0 alone loses the read's pin right after collect (as a restart would).
    cl.wrap(0, (n) => losesPinAfterCollect(n, cl.sims[0]!));
    const { open, waiting } = gateFilters(cl);
    const reader = cl.gateway({ rpcMs: 5000 });
    const read = get(reader, 'k');
    await until('the read waits at the filter gate', () => waiting() === cl.params.S, 10_000, 5);
    // One newer write, collected at node 0 only: node 0 answers GONE(v6), the
    // others (whose pins hold v5) answer v5 in the same microtask drain.
    await put({ ...cl.gateway(), nodes: cl.sims }, 'k', Buffer.from('v6'));
    cl.sims[0]!.gc();
    open();
    assert.equal((await read)?.toString(), 'v6', 'the rerun found the write GONE named');
    assert.deepEqual(cl.evidence, []);
  });

  // Protocol review finding 9: a node that answered GONE and then restarted
  // (its pins gone) while a write completed answers the next round over a C
  // holding its first GONE lc, which it has collected. That is a lapsed pin,
  // not a lie: the node says so and leaves the read; it is never blamed.
  it('a node whose pin lapsed after its GONE answer is not blamed (it leaves the read)', async () => {
    const cl = simCluster(1);
    const writer = cl.gateway();
    for (let v = 1; v <= 5; v++) await put(writer, 'k', Buffer.from(`v${v}`));
    cl.wrap(0, (n) => losesPinAfterCollect(n, cl.sims[0]!));
    const { open, waiting } = gateFilters(cl);
    const plain = { ...cl.gateway(), nodes: cl.sims };
    let silent = false;
    for (const i of [2, 3]) {
      cl.wrap(i, (n: NodeApi): NodeApi => ({
        ...bind(n),
        filter: (...a) => (silent ? new Promise(() => undefined) : n.filter(...a)),
        collect: (...a) => (silent ? new Promise(() => undefined) : n.collect(...a)),
      }));
    }
    // Node 0's second filter (the rerun after its GONE) comes after a restart
    // of node 0 (its pins gone), one more write, and a collection there.
    let calls = 0;
    cl.wrap(0, (n: NodeApi): NodeApi => ({
      ...bind(n),
      filter: async (...a) => {
        if (++calls === 2) {
          cl.sims[0]!.restart();
          await put(plain, 'k', Buffer.from('v7'));
          cl.sims[0]!.gc();
          silent = true;
        }
        return n.filter(...a);
      },
    }));
    const reader = cl.gateway({ rpcMs: 300 });
    const read = get(reader, 'k');
    await until('the read waits at the filter gate', () => waiting() === cl.params.S, 10_000, 5);
    await put(plain, 'k', Buffer.from('v6'));
    cl.sims[0]!.gc();
    open();
    const got = await read.then((b) => b?.toString(), (e: unknown) => e);
    assert.ok(calls >= 2, 'node 0 answered GONE and was asked again');
    assert.deepEqual(cl.evidence.filter((e) => e.node === 0), [], 'no evidence against node 0');
    if (typeof got !== 'string') assert.ok(got instanceof QuorumError, `fails without blame: ${String(got)}`);
  });

  it("a deleted object's tombstone keeps a replayed old candidate from resurrecting it", async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await put(gw, 'k', Buffer.from('old'));
    const old = await cl.sims[3]!.collect({ ns: 'bucket', key: 'k' }, 'snapshot');
    await cl.sims[3]!.pin({ ns: 'bucket', key: 'k' }, 'snapshot', 'release', null);
    await del(gw, 'k');
    for (const s of cl.sims) s.gc();
    // Node 3 now lies: it answers the old (valid, completed) candidate forever.
    cl.wrap(3, (n: NodeApi): NodeApi => ({ ...bind(n), collect: async () => old, filter: async (r, id, _C, s) => n.filter(r, id, [old!], s) }));
    for (let i = 0; i < 3; i++) assert.equal(await get(cl.gateway(), 'k'), null, 'still deleted');
  });

  it('a node that answers GONE twice in one read is evidence, and no rerun follows', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await put(gw, 'k', Buffer.from('one'));
    const lc = await cl.sims[3]!.collect({ ns: 'bucket', key: 'k' }, 'x');
    cl.wrap(3, (n: NodeApi): NodeApi => ({ ...bind(n), filter: async () => ({ ts: null, gone: lc! }) }));
    assert.deepEqual(await get(gw, 'k'), Buffer.from('one'));
    assert.ok(cl.evidence.every((e) => e.node === 3));
  });
});

/** A node that restarts (losing every pin) right after answering a collect. */
function losesPinAfterCollect(n: NodeApi, sim: SimNode): NodeApi {
  return {
    ...bind(n),
    collect: async (...a) => {
      const lc = await n.collect(...a);
      sim.restart();
      return lc;
    },
  };
}

/** Holds every node's filter answers until `open` is called; `waiting` counts the filters held. */
function gateFilters(cl: ReturnType<typeof simCluster>): { open: () => void; waiting: () => number } {
  let open!: () => void;
  let held = 0;
  const gate = new Promise<void>((r) => (open = r));
  for (let i = 0; i < cl.params.S; i++) {
    cl.wrap(i, (n: NodeApi): NodeApi => ({ ...bind(n), filter: async (...a) => (held++, await gate, n.filter(...a)) }));
  }
  return { open, waiting: () => held };
}

function bind(n: NodeApi): NodeApi {
  return {
    index: n.index,
    clock: (...a) => n.clock(...a),
    openStore: (...a) => n.openStore(...a),
    storeWhole: (...a) => n.storeWhole(...a),
    storeFrom: (...a) => n.storeFrom(...a),
    complete: (...a) => n.complete(...a),
    collect: (...a) => n.collect(...a),
    filter: (...a) => n.filter(...a),
    readBlocks: (...a) => n.readBlocks(...a),
    list: (...a) => n.list(...a),
    pin: (...a) => n.pin(...a),
    health: (...a) => n.health(...a),
    entry: (...a) => n.entry(...a),
  };
}
