// Decoding a stripe whose data shard did not come (restore.ts, dataShards):
// the shards that came are handed on as they came, a rebuilt one is memory of
// its own, and the decoding buffers are the stripe pool's, back in it once
// the call returns. Before, every degraded stripe took two fresh zeroed
// buffers (4 MiB a stripe of a 64 MiB object) and copied the shards that
// came into them too.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { dataShards } from './restore.js';
import { StripePool } from './stripes/stripe-pool.js';
import { simCluster } from './testing/sim-cluster.js';
import type { ProtocolContext } from './context.js';

const SHARD = 256 * 1024; // above MIN_POOLED_SHARD: the pool's size

/** A stripe of k data shards and its parity, each shard in pieces of `piece` bytes as they come off the wire. */
async function stripe(gw: ProtocolContext, shard: number, piece = 64 * 1024): Promise<{ shards: Buffer[]; blocks: Map<number, Buffer[]> }> {
  const { k, S } = gw.params;
  const data = randomBytes(shard * k);
  const parity = Buffer.alloc(shard * (S - k));
  await gw.coder.encode(data, parity, shard);
  const shards = [...Array.from({ length: k }, (_, i) => data.subarray(i * shard, (i + 1) * shard)), ...Array.from({ length: S - k }, (_, j) => parity.subarray(j * shard, (j + 1) * shard))];
  const blocks = new Map<number, Buffer[]>();
  shards.forEach((s, i) => {
    const pieces: Buffer[] = [];
    for (let off = 0; off < s.length; off += piece) pieces.push(Buffer.from(s.subarray(off, off + piece)));
    blocks.set(i, pieces);
  });
  return { shards, blocks };
}

describe('decoding a stripe with a data shard missing', () => {
  it('hands on the shards that came as they came, rebuilds the rest into memory of its own, and gives the pool its buffers back', async () => {
    const gw = simCluster(1).gateway({ blockSize: SHARD });
    const { shards, blocks } = await stripe(gw, SHARD);
    blocks.delete(0); // data shard 0 did not come
    const came = blocks.get(1)!;
    const out = await dataShards(gw, blocks, SHARD);
    assert.equal(out[1], came, 'shard 1 is the pieces that came, not a copy');
    assert.ok(Buffer.concat(out[0]!).equals(shards[0]!), 'shard 0 rebuilt');
    assert.equal(gw.stripes.allocated, 2, 'the decoding buffers came from the pool');
    assert.equal(gw.stripes.idleCount, 2, 'and went back to it');
    // Whoever takes them next writes over them: the rebuilt shard must not change.
    const again = [gw.stripes.take(), gw.stripes.take()];
    for (const b of again) b.fill(0xff);
    assert.ok(Buffer.concat(out[0]!).equals(shards[0]!), 'the rebuilt shard is not a view of a pooled buffer');
  });

  it('decodes stripe after stripe with the same two buffers', async () => {
    const gw = simCluster(1).gateway({ blockSize: SHARD });
    for (let s = 0; s < 5; s++) {
      const { shards, blocks } = await stripe(gw, SHARD);
      blocks.delete(s % 2);
      const out = await dataShards(gw, blocks, SHARD);
      assert.ok(Buffer.concat(out.flat()).equals(Buffer.concat(shards.slice(0, gw.params.k))), `stripe ${s}`);
    }
    assert.equal(gw.stripes.allocated, 2);
  });

  it('decodes shards larger than the pool holds (a value written with a larger block size) in fresh buffers', async () => {
    const base = simCluster(1).gateway({ blockSize: SHARD });
    const gw: ProtocolContext = { ...base, stripes: new StripePool(base.params, 128 * 1024) };
    const { shards, blocks } = await stripe(gw, SHARD);
    blocks.delete(1);
    const out = await dataShards(gw, blocks, SHARD);
    assert.ok(Buffer.concat(out[1]!).equals(shards[1]!));
    assert.equal(gw.stripes.allocated, 0, 'nothing taken from a pool whose buffers are too small');
  });

  it('a small stripe (under the pooled size) decodes without the pool', async () => {
    const gw = simCluster(1).gateway({ blockSize: 4096 });
    const { shards, blocks } = await stripe(gw, 4096, 1000);
    blocks.delete(0);
    blocks.delete(1);
    const out = await dataShards(gw, blocks, 4096);
    assert.ok(Buffer.concat(out.flat()).equals(Buffer.concat(shards.slice(0, 2))));
    assert.equal(gw.stripes.allocated, 0);
  });
});
