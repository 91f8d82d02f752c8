// Small stripes are encoded on the calling thread (xor-parity.ts): their
// parity must be the native coder's, byte for byte, for every code a
// cluster runs (t = 1..3), and a stripe so encoded must decode like any.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createCoder, INLINE_ENCODE_MAX } from './ronomon-coder.js';
import { chunkBytes, XorParity } from './xor-parity.js';

const rs = createRequire(import.meta.url)('@ronomon/reed-solomon') as { create(k: number, m: number): Buffer };

/** The native coder's parity (the pool path: reconstruct of every parity shard from the data shards). */
async function nativeParity(k: number, m: number, data: Buffer, shard: number): Promise<Buffer> {
  const parity = Buffer.alloc(shard * m);
  await createCoder(k, m).reconstruct(data, parity, shard, [...Array(k).keys()], [...Array(m).keys()].map((i) => k + i));
  return parity;
}

describe('parity of small stripes on the calling thread', () => {
  for (const t of [1, 2, 3]) {
    const k = t + 1;
    const m = 2 * t;
    it(`${k}+${m}: the native coder's parity, for every shard size up to the inline limit`, async () => {
      const xor = new XorParity(rs.create(k, m));
      let checked = 0;
      for (let shard = 8; shard * k <= INLINE_ENCODE_MAX; shard += shard < 256 ? 8 : 1000 - (shard % 8)) {
        const data = randomBytes(shard * k);
        // Garbage in the parity buffer first: every byte must be written.
        const mine = randomBytes(shard * m);
        xor.encode(data, mine, shard);
        assert.deepEqual(mine, await nativeParity(k, m, data, shard), `shard ${shard}`);
        checked++;
      }
      assert.ok(checked >= 30, `only ${checked} sizes checked`);
    });
  }

  it('chunks as the native coder cuts them (binding.c dot_chunk_size)', () => {
    assert.equal(chunkBytes(2, 2, 2048), 1024);
    // (1 + k·w)·chunk above 1 MiB halves the chunk, down to 64 bytes at least.
    assert.equal(chunkBytes(2, 2, 1 << 20), 1 << 17);
    assert.equal(chunkBytes(4, 3, 4096), 1024);
    assert.equal(chunkBytes(8, 24, 1 << 20), 4096);
  });

  it('takes any alignment: bytes where words do not fit', async () => {
    const xor = new XorParity(rs.create(2, 2));
    const data = randomBytes(4097).subarray(1);
    const parity = Buffer.alloc(4099).subarray(3);
    xor.encode(data, parity, 2048);
    assert.deepEqual(parity, await nativeParity(2, 2, data, 2048));
  });

  it('the coder encodes small stripes this way, and they decode: any k shards rebuild the rest', async () => {
    const coder = createCoder(2, 2);
    const shard = 2048;
    const data = randomBytes(shard * 2);
    const parity = Buffer.alloc(shard * 2);
    await coder.encode(data, parity, shard);
    assert.deepEqual(parity, await nativeParity(2, 2, data, shard));
    // Lose both data shards; rebuild them from parity alone.
    const lost = Buffer.alloc(shard * 2);
    await coder.reconstruct(lost, parity, shard, [2, 3], [0, 1]);
    assert.deepEqual(lost, data);
  });

  it('checks its arguments like the pool path', async () => {
    const coder = createCoder(2, 2);
    await assert.rejects(async () => coder.encode(Buffer.alloc(16), Buffer.alloc(16), 12), /bad shard size/);
    await assert.rejects(async () => coder.encode(Buffer.alloc(8), Buffer.alloc(16), 8), /too small/);
  });
});
