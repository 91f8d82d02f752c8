// A 10,000-part upload (S3's maximum) completes, reads back and lists at
// t = 1 and 3 (protocol review finding 5): its meta is several MB, over
// the old 4 MiB message cap, and a listing of many such objects goes in
// pages cut by bytes, none of them evidence against a correct node.

import { strict as assert } from 'node:assert';
import { setMaxListeners } from 'node:events';
import { describe, it } from 'node:test';
import { mapLimit } from '@powerstore/shared/map-limit.js';
import { MAX_BATCH_BYTES } from '@powerstore/shared/protocol/wire/batch.js';
import { encodeListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { MAX_PARTS } from '@powerstore/shared/protocol/wire/sizes.js';
import type { BucketNs } from '../buckets.js';
import { MultipartStore, partLayout } from './multipart-store.js';
import { encodeMeta, type ObjectMeta } from '../object-meta.js';
import { ObjectStore } from '../objects.js';
import { listMerged } from '../protocol/list/list-merge.js';
import { simCluster } from '../protocol/testing/sim-cluster.js';

const signal = new AbortController().signal;
setMaxListeners(0, signal);
const B = 'bytes-bucket' as BucketNs;
const UPLOAD = '0000000000ab' + 'c'.repeat(24);

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

const partBody = (n: number): Buffer => Buffer.from(`<${n}>`);

describe('a 10,000-part upload', () => {
  // t=2 is left to the handler-level tests (storage-node/src/handlers/list-bytes.test.ts):
  // in the simulation each t costs minutes (10,000 part writes, retirements, reads).
  for (const t of [1, 3]) {
    it(`t=${t}: completes, reads back whole, and a bucket of such objects lists with no evidence`, async () => {
      const cl = simCluster(t);
      const gw = cl.gateway({ rpcMs: 10_000 });
      const mp = new MultipartStore(gw);
      const objects = new ObjectStore(gw);
      await mp.create(B, { key: 'big', uploadId: UPLOAD, initiated: 1, owner: 'o' }, {}, signal);
      const numbers = Array.from({ length: MAX_PARTS }, (_, i) => i + 1);
      await mapLimit(numbers, 64, signal, (n) => mp.putPart(B, UPLOAD, n, once(partBody(n)),
        (size, blockSize): ObjectMeta => ({ v: 1, size, blockSize, lastModified: 1, etag: 'e'.repeat(32) }), signal));
      const { parts } = await mp.parts(B, UPLOAD, 0, MAX_PARTS, signal);
      assert.equal(parts.length, MAX_PARTS);
      const body = Buffer.concat(numbers.map(partBody));
      const meta: ObjectMeta = {
        v: 1, size: body.length, blockSize: 64, lastModified: 2, etag: `${'f'.repeat(32)}-${MAX_PARTS}`,
        multipart: { uploadId: UPLOAD, parts: parts.map(partLayout) },
      };
      assert.ok(encodeMeta(meta).length > 4 * 1024 * 1024, 'meta over the old 4 MiB cap');
      await mp.complete(B, 'big', UPLOAD, parts, meta, signal);

      const found = (await objects.head(B, 'big', signal))!;
      assert.equal(found.meta.multipart?.parts.length, MAX_PARTS);
      const got: Buffer[] = [];
      for await (const c of objects.stream(found, 0, body.length - 1, signal)) got.push(Buffer.from(c));
      assert.ok(Buffer.concat(got).equals(body), 'GET returns every part in order');

      // More objects with the same 10,000-part layout (a listing sees only meta).
      for (let i = 0; i < 4; i++) await objects.put(B, `big-${i}`, once(Buffer.alloc(0)), () => meta, signal);
      const page = await cl.sims[0]!.list({ ns: B, prefix: '', after: null, skipPrefix: false, limit: 1000 });
      assert.equal(page.byteLimited, true, 'a node cuts its page by bytes');
      assert.ok(encodeListAnswer(page).length + 6 <= MAX_BATCH_BYTES);
      const merged = await listMerged(gw, { ns: B, prefix: '', after: null, skipPrefix: false, limit: 1000 }, signal);
      assert.equal(merged.truncated, true);
      const listed = await objects.list(B, { prefix: '', delimiter: '', after: null, skipPrefix: false, maxKeys: 1000 }, signal);
      assert.deepEqual(listed.contents.map((o) => o.key), ['big', 'big-0', 'big-1', 'big-2', 'big-3']);
      assert.equal(listed.truncated, false);
      assert.ok(listed.contents.every((o) => o.meta.size === body.length && o.meta.multipart === undefined), 'listed without the part layout');
      assert.deepEqual(cl.evidence, []);
    });
  }
});
