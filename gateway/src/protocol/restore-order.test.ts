// Which nodes a read takes its data from (restore.ts, StripeReader): the
// data-shard nodes whose lc is the value read, even when their filter answer
// came after the read stopped waiting (it needs q of S), so nothing is
// decoded from parity. Before, only holders proven in filter came first, and
// a local cluster decoded 347 of 800 reads. A data node that answered
// nothing stays last: the read decodes from parity, as before. And a read
// whose last source to answer is the only one that worked ends with an
// error: it waited forever for a grace that could bring nobody.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ErasureCoder } from '@powerstore/shared/erasure/coder.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { readRegister } from './reader.js';
import { sourceOrder, StripeReader } from './restore.js';
import { override, silent } from './testing/byzantine.js';
import { get, put, ref } from './testing/ops.js';
import { simCluster, type SimCluster } from './testing/sim-cluster.js';
import type { ProtocolContext } from './context.js';

const BLOCK = 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A reading gateway whose coder counts rebuilds, and the nodes asked for blocks. */
function reader(cl: SimCluster): { gw: ProtocolContext; rebuilds: () => number; sources: Set<number> } {
  const base = cl.gateway({ blockSize: BLOCK, rpcMs: 2000 });
  let n = 0;
  const coder: ErasureCoder = {
    k: base.coder.k,
    m: base.coder.m,
    encode: (...a) => base.coder.encode(...a),
    reconstruct: (...a) => {
      n++;
      return base.coder.reconstruct(...a);
    },
  };
  const sources = new Set<number>();
  for (let i = 0; i < cl.params.S; i++) {
    cl.wrap(i, (inner: NodeApi) => override(inner, {
      readBlocks: (...a) => {
        sources.add(i);
        return inner.readBlocks(...a);
      },
    }));
  }
  return { gw: { ...base, coder }, rebuilds: () => n, sources };
}

async function stored(): Promise<{ cl: SimCluster; body: Buffer }> {
  const cl = simCluster(1);
  const body = randomBytes(2 * BLOCK * 3 + 100); // four stripes, the last one short
  await put(cl.gateway({ blockSize: BLOCK }), 'k', body);
  return { cl, body };
}

describe('restore: which nodes the data comes from', () => {
  it('a data node whose filter answer is late is read from, not rebuilt from parity', async () => {
    const { cl, body } = await stored();
    const r = reader(cl);
    cl.wrap(1, (inner) => override(inner, {
      filter: async (...a) => {
        await sleep(200);
        return inner.filter(...a);
      },
    }));
    assert.deepEqual(await get(r.gw, 'k'), body);
    assert.equal(r.rebuilds(), 0, 'no stripe decoded');
    assert.deepEqual([...r.sources].sort(), [0, 1]);
    assert.deepEqual(cl.evidence, []);
  });

  it('a data node that answered nothing is left for parity', async () => {
    const { cl, body } = await stored();
    const r = reader(cl);
    cl.wrap(1, silent);
    assert.deepEqual(await get(r.gw, 'k'), body);
    assert.equal(r.rebuilds(), 4, 'every stripe rebuilt');
    assert.ok(!r.sources.has(1));
  });

  it('ends with an error when fewer than k sources open, though the last to answer did', async () => {
    const { cl, body } = await stored();
    const gw = cl.gateway({ blockSize: BLOCK, rpcMs: 2000 });
    const read = (await readRegister(gw, ref('k'), 'read', new AbortController().signal))!;
    // Sources open in the order 0, 1, 2, 3, each fetching its block list (none proven, as a heal reads): all but the last fail.
    for (const i of [0, 1, 2]) cl.wrap(i, (inner) => override(inner, {
      readBlocks: async function* () {
        yield* [];
        throw new Error('no blocks');
      },
    }));
    cl.wrap(3, (inner) => override(inner, {
      readBlocks: async function* (...a) {
        await sleep(50);
        yield* inner.readBlocks(...a);
      },
    }));
    const value = { ref: ref('k'), ts: read.c.ts, cc: read.cc, proven: () => new Map<number, Buffer>() };
    const reader = new StripeReader(gw, value, { size: body.length, k: cl.params.k, blockSize: BLOCK }, 3, new AbortController().signal);
    await assert.rejects(reader.stripe(0), /only 1 of 2 shards/);
    reader.close();
  });

  describe('sourceOrder', () => {
    const none = new Set<number>();
    const empty = new Map<number, Buffer>();
    const of = (...nodes: number[]): Map<number, Buffer> => new Map(nodes.map((n) => [n, Buffer.alloc(1)]));

    it('with nothing known: data-shard nodes, then parity, each by node', () => {
      assert.deepEqual(sourceOrder(2, 4, { exclude: none, proven: empty, likely: none, held: empty }), [0, 1, 2, 3]);
      assert.deepEqual(sourceOrder(3, 7, { exclude: none, proven: empty, likely: none, held: empty }), [0, 1, 2, 3, 4, 5, 6]);
    });

    it('proven or likely holders first, a held fragment first among them, an excluded node never', () => {
      // Node 3 (parity) proven, node 1 likely, node 2 held a fragment but is not a holder.
      assert.deepEqual(sourceOrder(2, 4, { exclude: none, proven: of(3), likely: new Set([1]), held: of(2) }), [1, 3, 2, 0]);
      // A held fragment puts parity node 3 ahead of data node 0, both proven.
      assert.deepEqual(sourceOrder(2, 4, { exclude: none, proven: of(0, 3), likely: none, held: of(3) }), [3, 0, 1, 2]);
      assert.deepEqual(sourceOrder(2, 4, { exclude: new Set([0, 3]), proven: of(0, 3), likely: none, held: empty }), [1, 2]);
    });

    it('a node that failed an earlier part goes last, however well it ranks otherwise', () => {
      const order = sourceOrder(3, 7, { exclude: none, failed: new Set([0, 4]), proven: of(0, 1, 4), likely: none, held: of(0) });
      assert.deepEqual(order, [1, 2, 3, 5, 6, 0, 4]);
    });
  });
});
