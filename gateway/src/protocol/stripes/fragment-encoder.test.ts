// The stripe buffer of a write (fragment-encoder.ts) starts at the declared
// object size: one buffer for a 1 MiB object instead of three, doubling from
// 64 KiB, each copying what came before. Counted in Buffer.allocUnsafe calls
// and buffers the pool allocated (a count, not a time). A declared size that
// is wrong changes nothing in what is encoded.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { FragmentEncoder, type EncodedObject } from './fragment-encoder.js';
import { StripePool } from './stripe-pool.js';

const params = clusterParams(1);
const coder = createCoder(params.k, params.S - params.k);
const MiB = 1024 * 1024;

/**
 * Encodes `body`, pushed in 64 KiB chunks, as one stripe-or-less object;
 * counts the stripe buffers allocated while pushing (`sizes`: those not
 * from the pool, whose buffers are all a whole stripe).
 */
async function encode(body: Buffer, declared?: number): Promise<{ encoded: EncodedObject; stripeAllocs: number; sizes: number[] }> {
  const pool = new StripePool(params, MiB);
  const enc = new FragmentEncoder(params, coder, pool, 'blake3', () => assert.fail('an object under one stripe opens no stream'), 8 * MiB, () => undefined, declared);
  const allocUnsafe = Buffer.allocUnsafe;
  const sizes: number[] = [];
  Buffer.allocUnsafe = (n: number) => {
    // The encoder's own stripe buffers only, not whatever else the process allocates meanwhile.
    if (n > 0 && new Error().stack?.includes('FragmentEncoder.reserve')) sizes.push(n);
    return allocUnsafe(n);
  };
  try {
    for (let off = 0; off < body.length; off += 64 * 1024) await enc.push(body.subarray(off, off + 64 * 1024));
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  const pooled = pool.allocated;
  return { encoded: await enc.finish(), stripeAllocs: sizes.length + pooled, sizes };
}

function fragments(e: EncodedObject): readonly Buffer[] {
  assert.equal(e.kind, 'whole');
  return e.kind === 'whole' ? e.fragments : [];
}

describe('the stripe buffer', () => {
  it('is allocated once for a 1 MiB object whose size was declared, and grows by doubling when it was not', async () => {
    const body = randomBytes(MiB);
    const declared = await encode(body, MiB);
    const undeclared = await encode(body);
    assert.equal(declared.stripeAllocs, 1);
    assert.equal(declared.sizes.length, 0, 'a 1 MiB object\'s shards are large: its buffer is the pool\'s');
    const [d0, d1] = fragments(declared.encoded);
    assert.equal(d0!.buffer, d1!.buffer, 'the data shards lie in one buffer');
    assert.equal(undeclared.stripeAllocs, 3, '64 and 128 KiB, then a pooled stripe');
    assert.deepEqual(undeclared.sizes, [64 * 1024, 128 * 1024]);
    assert.deepEqual(fragments(declared.encoded), fragments(undeclared.encoded));
    assert.deepEqual(Buffer.concat(fragments(declared.encoded).slice(0, params.k)), body, 'data shards are the object');
  });

  it('is padded as a short stripe is, so the last flush needs no second buffer', async () => {
    const body = randomBytes(1000); // k shards of 504 bytes (a multiple of 8)
    const { encoded, stripeAllocs, sizes } = await encode(body, 1000);
    assert.equal(stripeAllocs, 1);
    assert.deepEqual(sizes, [1008], 'small shards: a buffer of its own, not the pool\'s');
    assert.equal(encoded.kind === 'whole' && encoded.lease, null);
    assert.deepEqual(Buffer.concat(fragments(encoded).slice(0, params.k)).subarray(0, 1000), body);
  });

  it('encodes the same whatever size was declared: too small, too large, zero', async () => {
    const body = randomBytes(300 * 1024 + 5);
    const plain = fragments((await encode(body)).encoded);
    for (const declared of [10, 5 * MiB, 0]) {
      const r = await encode(body, declared);
      assert.deepEqual(fragments(r.encoded), plain, `declared ${declared}`);
      assert.ok(Math.max(...r.sizes) <= params.k * MiB, `declared ${declared}: never more than a stripe (${r.sizes.join(', ')})`);
    }
  });
});
