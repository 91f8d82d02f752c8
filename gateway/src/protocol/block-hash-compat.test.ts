// Writes whose blocks are hashed with SHA-256 (every write before BLAKE3,
// and a gateway configured with blockHash 'sha256') and with BLAKE3 are
// read, checked block by block and healed by the same gateway, which
// learns each value's algorithm from its cc (block-hash.ts).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { listAlg } from '@powerstore/shared/erasure/block-hash.js';
import { decodeMeta } from '../object-meta.js';
import { checkFragment } from './fragment-check.js';
import { healFragment } from './heal.js';
import { readRegister } from './reader.js';
import * as byz from './testing/byzantine.js';
import { get, put, ref } from './testing/ops.js';
import { simCluster } from './testing/sim-cluster.js';

const never = new AbortController().signal;

describe('block hashes: SHA-256 and BLAKE3 values side by side', () => {
  for (const written of ['sha256', 'blake3'] as const) {
    it(`a ${written} value: read, checked, healed into a node that missed it, read from that node`, async () => {
      const cl = simCluster(1);
      const writer = cl.gateway({ blockHash: written, rpcMs: 300 });
      const reader = cl.gateway({ rpcMs: 300 }); // writes BLAKE3
      // Blocks of 64 bytes, k = 2: 1,000 bytes are eight stripes (streamed); 100 bytes one (whole).
      const large = randomBytes(1000);
      const small = randomBytes(100);
      cl.wrap(3, byz.silent); // node 3 misses both writes
      await put(writer, 'large', large);
      await put(writer, 'small', small);
      cl.nodes[3] = cl.sims[3]!;

      for (const [key, body] of [['large', large], ['small', small]] as const) {
        assert.deepEqual(await get(reader, key), body);
        const r = (await readRegister(reader, ref(key), 'read', never))!;
        // The value's lists are in the algorithm its writer used: cc says which.
        const held = cl.sims[0]!.histOf(ref(key), r.c.ts)!;
        assert.equal(listAlg(r.cc[0]!, held.blocks), written);
        const meta = decodeMeta(r.meta);
        const layout = { size: meta.size, k: cl.params.k, blockSize: meta.blockSize };
        const w = { ref: ref(key), ts: r.c.ts, cc: r.cc, layout };
        assert.notEqual((await checkFragment(reader, w, 3, never)).kind, 'ok');
        await healFragment(reader, { ref: ref(key), c: r.c, cc: r.cc, meta: r.meta, layout }, 3, never);
        assert.deepEqual(await checkFragment(reader, w, 3, never), { kind: 'ok' });
        for (const n of [0, 1, 2]) assert.deepEqual(await checkFragment(reader, w, n, never), { kind: 'ok' });
      }
      // Data node 0 gone: the reads take node 3's healed parity and decode.
      cl.wrap(0, byz.silent);
      assert.deepEqual(await get(reader, 'large'), large);
      assert.deepEqual(await get(reader, 'small'), small);
      assert.deepEqual(cl.evidence, []);
    });
  }

  it('a corrupt byte in a BLAKE3 fragment: the check finds the block that fails its hash', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ rpcMs: 300 });
    const body = randomBytes(1000);
    await put(gw, 'k', body);
    const r = (await readRegister(gw, ref('k'), 'read', never))!;
    const frag = cl.sims[1]!.histOf(ref('k'), r.c.ts)!;
    frag.frag[70]! ^= 1; // stripe 1 of node 1
    const meta = decodeMeta(r.meta);
    const w = { ref: ref('k'), ts: r.c.ts, cc: r.cc, layout: { size: meta.size, k: cl.params.k, blockSize: meta.blockSize } };
    assert.deepEqual(await checkFragment(gw, w, 1, never), { kind: 'corrupt', detail: 'block 1 fails its hash' });
  });
});
