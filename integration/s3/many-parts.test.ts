// A 10,000-part upload (S3's maximum) on a real t=1 cluster (protocol review
// finding 5): its completing store (meta and parts list, about 7 MB) was
// refused by every node over the old 4 MiB cap. The parts are written
// through the protocol directly, since the S3 API needs 5 MiB parts (50 GB
// in all); the object is then read with GetObject, and a bucket of several
// such objects listed with ListObjectsV2, through the real gateway, with no
// evidence against any node.

import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { BucketNs } from '../../gateway/src/buckets.js';
import { MultipartStore, newUploadId, partLayout } from '../../gateway/src/multipart/multipart-store.js';
import { RemoteNode } from '../../gateway/src/nodes/remote-node.js';
import { encodeMeta, type ObjectMeta } from '../../gateway/src/object-meta.js';
import { ObjectStore } from '../../gateway/src/objects.js';
import type { ProtocolContext } from '../../gateway/src/protocol/context.js';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { mapLimit } from '@powerstore/shared/map-limit.js';
import { MAX_PARTS } from '@powerstore/shared/protocol/wire/sizes.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import { bucketNamespaceIn, bucketRecordQuery } from '../harness/bucket-ns.js';
import { metric, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { AskOrder } from '../../gateway/src/protocol/ask-order.js';
import { StripePool } from '../../gateway/src/protocol/stripes/stripe-pool.js';

const B = 'many-parts';
const partBody = (n: number): Buffer => Buffer.from(`<${n}>`);

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

describe('a 10,000-part object on a real cluster (t=1)', () => {
  let tc: TestCluster;
  let nodes: RemoteNode[] = [];
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await tc?.dispose();
  });

  it('completes, reads back whole with GetObject, and lists with ListObjectsV2', { timeout: 1_800_000 }, async () => {
    const cfg = JSON.parse(readFileSync(tc.cluster.gatewayConfigPath, 'utf8')) as { secrets: Record<string, string>; currentEpoch: number };
    const keys = new SecretWriterKeyring(new Map(Object.entries(cfg.secrets).map(([e, s]) => [Number(e), Buffer.from(s, 'hex')])), cfg.currentEpoch);
    const params = tc.cluster.params;
    nodes = tc.cluster.nodes.map((n, i) => new RemoteNode({ index: i, url: n.url, keys, S: params.S, requestTimeoutMs: 120_000 }));
    let op = 0;
    const ctx: ProtocolContext = {
      params, keys, nodes, coder: createCoder(params.k, params.S - params.k), writerId: newWriterId(),
      nextOp: () => ++op, blockSize: 4096, blockHash: 'blake3', stripes: new StripePool(params, 4096), maxPendingBytes: 1 << 24, timeouts: { rpcMs: 120_000, dataIdleMs: 120_000 },
      askOrder: new AskOrder(),
      observer: { round: () => undefined, operation: () => undefined, evidence: (e) => assert.fail(`evidence ${JSON.stringify(e)}`), nodeTrouble: () => undefined },
    };
    const ns = bucketNamespaceIn(await nodes[0]!.list(bucketRecordQuery(B), signal), B) as BucketNs;
    const mp = new MultipartStore(ctx);
    const uploadId = newUploadId(Date.now());
    await mp.create(ns, { key: 'big', uploadId, initiated: Date.now(), owner: 'test' }, {}, signal);
    const numbers = Array.from({ length: MAX_PARTS }, (_, i) => i + 1);
    await mapLimit(numbers, 64, signal, (n) => mp.putPart(ns, uploadId, n, once(partBody(n)),
      (size, blockSize): ObjectMeta => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'e'.repeat(32) }), signal));
    const { parts } = await mp.parts(ns, uploadId, 0, MAX_PARTS, signal);
    assert.equal(parts.length, MAX_PARTS);
    const body = Buffer.concat(numbers.map(partBody));
    const meta: ObjectMeta = {
      v: 1, size: body.length, blockSize: 4096, lastModified: Date.now(), etag: `${'f'.repeat(32)}-${MAX_PARTS}`,
      multipart: { uploadId, parts: parts.map(partLayout) },
    };
    assert.ok(encodeMeta(meta).length > 4 * 1024 * 1024, 'meta over the old 4 MiB cap');
    await mp.complete(ns, 'big', uploadId, parts, meta, signal);

    const got = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'big' }));
    assert.equal(got.ETag, `"${meta.etag}"`);
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body), 'GetObject returns every part in order');

    // More objects of 10,000 parts (the same layout: a listing sees only meta).
    const objects = new ObjectStore(ctx);
    for (let i = 0; i < 5; i++) await objects.put(ns, `big-${i}`, once(Buffer.alloc(0)), () => meta, signal);
    const listed = await tc.s3.send(new ListObjectsV2Command({ Bucket: B }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['big', 'big-0', 'big-1', 'big-2', 'big-3', 'big-4']);
    assert.ok(listed.Contents?.every((o) => o.Size === body.length && o.ETag === `"${meta.etag}"`));
    assert.equal(listed.IsTruncated, false);
    assert.equal(await metric(tc.cluster.endpoint, 'powerstore_node_evidence_total'), 0, 'no evidence against any node');
  });
});
