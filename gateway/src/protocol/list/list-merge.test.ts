// Listing merge (DESIGN §8) against honest and lying nodes: every live key
// listed once, in order, with its newest metadata; invented keys and short
// pages are evidence and never stall or pollute the listing.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeMeta } from '../../object-meta.js';
import { listMerged } from './list-merge.js';
import { AskOrder } from '../ask-order.js';
import * as byz from '../testing/byzantine.js';
import { del, listAll, put } from '../testing/ops.js';
import { simCluster, type SimCluster } from '../testing/sim-cluster.js';

const signal = new AbortController().signal;

async function populate(cl: SimCluster): Promise<string[]> {
  const gw = cl.gateway();
  const keys = ['a', 'b', 'c/1', 'c/2', 'd', 'e', 'f', 'g', 'h'];
  for (const k of keys) await put(gw, k, Buffer.from(k));
  await del(gw, 'e');
  return keys.filter((k) => k !== 'e');
}

describe('listing merge', () => {
  it('lists every live key once, in order, across pages', async () => {
    const cl = simCluster(1);
    const live = await populate(cl);
    assert.deepEqual(await listAll(cl.gateway()), live);
    assert.deepEqual(await listAll(cl.gateway(), 'c/'), ['c/1', 'c/2']);
    assert.deepEqual(cl.evidence, []);
  });

  for (const how of ['hide', 'invent', 'short', 'stale'] as const) {
    it(`is not fooled by a node that lies (${how})`, async () => {
      const cl = simCluster(1);
      const live = await populate(cl);
      cl.wrap(1, (n) => byz.listLie(n, how));
      assert.deepEqual(await listAll(cl.gateway()), live);
      if (how === 'invent' || how === 'short') {
        assert.ok(cl.evidence.some((e) => e.node === 1 && e.kind === 'bad-listing'));
      }
      assert.ok(cl.evidence.every((e) => e.node === 1));
    });
  }

  // Each page's entries are judged on their own: a copy of an honest entry
  // with one field altered must not pass on the honest one's verdict (the
  // listing judges a candidate that q pages report once, verdict-memo.ts).
  for (const field of ['tag', 'nonce', 'd', 'vec', 'cc', 'meta'] as const) {
    it(`blames a node that alters one field of honest entries (${field})`, async () => {
      const cl = simCluster(1);
      const live = await populate(cl);
      cl.wrap(1, (n) => byz.listTamper(n, field));
      for (let i = 0; i < 3; i++) assert.deepEqual(await listAll(cl.gateway()), live);
      assert.ok(cl.evidence.some((e) => e.node === 1 && e.kind === 'bad-listing'), 'node 1 blamed');
      if (field === 'cc' || field === 'meta') assert.ok(cl.evidence.some((e) => e.node === 1 && e.detail === 'cc/meta do not hash to D'), JSON.stringify(cl.evidence));
      assert.deepEqual(cl.evidence.filter((e) => e.node !== 1), [], 'no honest node blamed');
    });
  }

  it('shows the newest value and writes back what fewer than q pages reported', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await put(gw, 'k', Buffer.from('old'));
    // Node 0 misses the next write entirely (as if it were down).
    const real = cl.nodes[0]!;
    cl.nodes[0] = byz.silent(real);
    const fast = cl.gateway({ rpcMs: 50 });
    await put(fast, 'k', Buffer.from('new'));
    cl.nodes[0] = real;
    // Node 0 among the q asked (a listing asks q nodes: three pages of the newest need no write-back).
    const page = await listMerged(cl.gateway({ askOrder: new AskOrder(Date.now, () => 0) }), { ns: 'bucket', prefix: '', after: null, skipPrefix: false, limit: 10 }, signal);
    const newest = page.entries.find((e) => e.key === 'k')!;
    assert.equal(decodeMeta(newest.meta).size, 3);
    assert.equal(newest.c.ts.num, 2, 'the newest write');
    assert.equal(cl.sims[0]!.lcOf({ ns: 'bucket', key: 'k' })?.num, 2, 'the listing wrote the newest candidate back to the node that missed it');
  });
});
