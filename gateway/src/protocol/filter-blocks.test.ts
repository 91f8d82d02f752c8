// A filter answer's block list is checked against the layout its meta gives
// before it is hashed (protocol review finding 11): one that is longer or
// shorter than 32 bytes a stripe is evidence at once, and a correct one
// (a plain object's, a multipart object's empty one) never is.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { stripeCount } from '@powerstore/shared/erasure/layout.js';
import { blockListBytes, encodeMeta } from '../object-meta.js';
import * as byz from './testing/byzantine.js';
import { get, put } from './testing/ops.js';
import { simCluster } from './testing/sim-cluster.js';

const body = Buffer.alloc(1000, 7);

describe('filter block lists against the layout', () => {
  it('a correct answer is taken: no evidence', async () => {
    const cl = simCluster(1);
    await put(cl.gateway(), 'k', body);
    assert.deepEqual(await get(cl.gateway(), 'k'), body);
    assert.deepEqual(cl.evidence, []);
  });

  for (const [how, change] of [['longer', (b: Buffer) => Buffer.concat([b, Buffer.alloc(1 << 20)])], ['shorter', (b: Buffer) => b.subarray(32)]] as const) {
    it(`a block list ${how} than the layout says is evidence before it is hashed, and the read goes on`, async () => {
      const cl = simCluster(1);
      await put(cl.gateway(), 'k', body);
      // Node 0: a read asks the first q nodes (index order), and the spare once an answer does not count.
      cl.wrap(0, (n) => byz.override(n, {
        async filter(r, id, C, s) {
          const a = await n.filter(r, id, C, s);
          return a.blocks ? { ...a, blocks: change(a.blocks) } : a;
        },
      }));
      assert.deepEqual(await get(cl.gateway(), 'k'), body);
      assert.ok(cl.evidence.some((e) => e.node === 0 && e.kind === 'wrong-cc' && /block list .* does not match its cc or layout/.test(e.detail)), JSON.stringify(cl.evidence));
      assert.ok(cl.evidence.every((e) => e.node === 0));
    });
  }

  it('blockListBytes: 32 bytes a stripe; none for a multipart object or unparseable meta', () => {
    const m = { v: 1 as const, size: 1000, blockSize: 64, lastModified: 1 };
    assert.equal(blockListBytes(encodeMeta(m), 2), stripeCount({ size: 1000, k: 2, blockSize: 64 }) * 32);
    assert.equal(blockListBytes(encodeMeta(m), 2), 8 * 32);
    assert.equal(blockListBytes(encodeMeta({ ...m, size: 0 }), 2), 0);
    assert.equal(blockListBytes(encodeMeta({ ...m, multipart: { uploadId: 'u', parts: [] } }), 2), 0);
    assert.equal(blockListBytes(Buffer.from('not json'), 2), undefined);
  });
});
