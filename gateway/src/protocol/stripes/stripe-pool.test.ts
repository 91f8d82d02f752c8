// Large writes take their stripe and parity buffers from the gateway's pool
// and give them back (stripe-pool.ts): a run of writes allocates one pair.
// A buffer goes back only once every send of it has ended well: a node that
// reads its fragment late (after the write was acked, after its own call
// timed out) still stores what was written, and reads through it return
// the object; a send that failed leaves its stripe to the collector.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { NodeApi, StoreSession } from '@powerstore/shared/node-api.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { override } from '../testing/byzantine.js';
import { get, put } from '../testing/ops.js';
import { simCluster, type SimCluster } from '../testing/sim-cluster.js';
import { MIN_POOLED_SHARD, StripePool } from './stripe-pool.js';
import { until } from '@powerstore/shared/testing/until.js';

const KiB = 1024;
const BLOCK = 256 * KiB;

/** A gate that holds callers until opened. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Node 3 of `cl` takes its fragments (whole, or streamed block by block) only once `g` opens. */
function late(cl: SimCluster, g: Promise<void>): void {
  cl.wrap(3, (inner: NodeApi) => override(inner, {
    storeWhole: async (r, b, h, f, m, s) => {
      await g;
      return inner.storeWhole(r, b, h, f, m, s);
    },
    openStore: (r, b, h, s): StoreSession => {
      const real = inner.openStore(r, b, h, s);
      // In order, as a stream: the commit after every block.
      let last: Promise<void> = g;
      return {
        get pending() { return real.pending; },
        write: (c) => (last = last.then(() => real.write(c))),
        commit: async (m) => {
          await last;
          return real.commit(m);
        },
        abort: () => real.abort(),
      };
    },
  }));
}

/**
 * Node 3 stored every key's fragment: a store whose bytes do not hash to the
 * committed cc is refused (judgeStore), so a fragment written over before
 * node 3 read it leaves no history entry. And the object reads back.
 */
async function node3Holds(cl: SimCluster, bodies: Map<string, Buffer>): Promise<void> {
  cl.wrap(3, () => cl.sims[3]!);
  const gw = cl.gateway({ blockSize: BLOCK, rpcMs: 2000 });
  for (const [key, body] of bodies) {
    const st = cl.sims[3]!.regs.get(regId('bucket', key).toString('hex'));
    assert.equal(st?.hist.size, 1, `node 3 stored ${key}`);
    assert.deepEqual(await get(gw, key), body, key);
  }
}

describe('stripe pool', () => {
  it('lends one pair of buffers to a run of large writes, and none to small ones', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ blockSize: BLOCK });
    for (let i = 0; i < 20; i++) await put(gw, `k${i}`, randomBytes(400 * KiB));
    // Sends to the fourth node may still run after a write returns: wait for them.
    await until('the last sends let go', () => gw.stripes.idleCount === gw.stripes.allocated, 5000, 5);
    assert.equal(gw.stripes.allocated, 2, 'data and parity, taken again by every write');
    assert.equal(gw.stripes.idleCount, 2);
    for (let i = 0; i < 5; i++) await put(gw, `s${i}`, randomBytes(20 * KiB));
    assert.equal(gw.stripes.allocated, 2, 'shards of 10 KiB take buffers of their own');
    assert.deepEqual(await get(gw, 'k19'), (await get(cl.gateway({ blockSize: BLOCK }), 'k19')));
  });

  it('holds a whole object\'s buffers until the last node has read its fragment, though its call timed out', async () => {
    const cl = simCluster(1);
    const g = gate();
    late(cl, g.wait);
    const gw = cl.gateway({ blockSize: BLOCK, rpcMs: 100 });
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 6; i++) {
      const body = randomBytes(300 * KiB + i * 8 * KiB);
      bodies.set(`k${i}`, body);
      await put(gw, `k${i}`, body);
    }
    assert.equal(gw.stripes.allocated, 12, 'each write\'s pair is still lent to node 3');
    g.open();
    await until('node 3 reads them', () => gw.stripes.idleCount === 12, 5000, 5);
    assert.equal(gw.stripes.allocated, 12, 'back once node 3 has read them');
    await node3Holds(cl, bodies);
  });

  it('holds each stripe of a streamed object until every node\'s stream has moved past it', async () => {
    const cl = simCluster(1);
    const g = gate();
    late(cl, g.wait);
    const gw = cl.gateway({ blockSize: BLOCK, rpcMs: 2000 });
    const body = randomBytes(5 * 2 * BLOCK + 24 * KiB); // five full stripes and a short one
    const written = put(gw, 'big', body);
    // Buffers reused while node 3 has not read them would stay below ten.
    await until('five stripes held by node 3\'s stream', () => gw.stripes.allocated >= 10, 1500, 5);
    g.open();
    await written;
    await until('all back', () => gw.stripes.idleCount === gw.stripes.allocated, 5000, 5);
    await node3Holds(cl, new Map([['big', body]]));
  });

  it('leaves a stripe whose send failed to the collector', async () => {
    const cl = simCluster(1);
    cl.wrap(3, (inner) => override(inner, { storeWhole: () => Promise.reject(new Error('refused')) }));
    const gw = cl.gateway({ blockSize: BLOCK });
    await put(gw, 'a', randomBytes(300 * KiB));
    await put(gw, 'b', randomBytes(300 * KiB));
    assert.equal(gw.stripes.allocated, 4, 'a send that failed may still be queued in a socket: its pair is not used again');
    assert.equal(gw.stripes.idleCount, 0);
  });
});

describe('stripe lease', () => {
  const pool = (): StripePool => new StripePool(clusterParams(1), BLOCK);

  it('gives its buffers back once, when the taker and every tracked send let go', async () => {
    const p = pool();
    const bufs = [p.take(), p.take()];
    const lease = p.lease(bufs);
    let done!: () => void;
    void lease.track(new Promise<void>((r) => (done = r)));
    lease.release();
    lease.release();
    assert.equal(p.idleCount, 0, 'a send still holds them');
    done();
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(p.idleCount, 2);
    assert.throws(() => lease.track(Promise.resolve()), /already released/);
    assert.equal(p.idleCount, 2, 'released twice, given back once');
  });

  it('keeps 32 MiB of idle buffers at most', () => {
    const p = new StripePool(clusterParams(1), 1024 * KiB); // buffers of 2 MiB
    const leases = Array.from({ length: 20 }, () => p.lease([p.take()]));
    for (const l of leases) l.release();
    assert.equal(p.allocated, 20);
    assert.equal(p.idleCount, 16);
  });

  it('pools shards from MIN_POOLED_SHARD up, each buffer a whole stripe or its parity', () => {
    const p = pool();
    assert.equal(p.pools(MIN_POOLED_SHARD - 8), false);
    assert.equal(p.pools(MIN_POOLED_SHARD), true);
    assert.equal(p.take().length, 2 * BLOCK);
    assert.equal(new StripePool(clusterParams(2), BLOCK).size, 4 * BLOCK, 't = 2: 3 data shards, 4 parity');
  });
});
