// CompleteMultipartUpload never waits on one node (protocol review finding
// 4): the nodes that report missing parts are healed at once, each on its
// own, and the store round is retried as soon as a quorum is possible, so a
// Byzantine node that claims missing parts and never reads its heal stream
// is left behind.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { NodeRefusedError } from '@powerstore/shared/errors.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { MISSING_PARTS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { BucketNs } from '../buckets.js';
import { MultipartStore, partKey, partLayout, partsNs } from './multipart-store.js';
import { ObjectStore } from '../objects.js';
import type { ObjectMeta } from '../object-meta.js';
import * as byz from '../protocol/testing/byzantine.js';
import { simCluster } from '../protocol/testing/sim-cluster.js';

const signal = new AbortController().signal;
const B = 'heal-bucket' as BucketNs;
const UPLOAD = 'c'.repeat(36);

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

describe('completing a multipart upload while nodes lack parts', () => {
  it('heals the correct node and completes, leaving behind a node that claims missing parts and never takes its heal', async () => {
    const cl = simCluster(1);
    const meta = (size: number, blockSize: number): ObjectMeta => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'e' });
    const [s0, s1, s2, s3] = [0, 1, 2, 3].map((i): NodeApi => cl.sims[i]!) as [NodeApi, NodeApi, NodeApi, NodeApi];
    const body = randomBytes(3000);
    // Part 1 is stored while node 2 (correct) is down: its holders are nodes 0, 1 and 3.
    const writer = new MultipartStore({ ...cl.gateway({ blockSize: 256 }), nodes: [s0, s1, byz.silent(s2), s3] });
    await writer.create(B, { key: 'k', uploadId: UPLOAD, initiated: 1, owner: 'o' }, {}, signal);
    await writer.putPart(B, UPLOAD, 1, once(body), meta, signal);

    // Node 3 lies at completion: it says it misses part 1, and never reads the stream that would heal it.
    const evil3 = byz.override(s3, {
      storeWhole: (ref, bs, h, frag, m, sig) => (m.parts
        ? Promise.reject(new NodeRefusedError(3, 409, MISSING_PARTS, '[0]'))
        : s3.storeWhole(ref, bs, h, frag, m, sig)),
      openStore: () => ({ pending: 0, write: () => new Promise(() => undefined), commit: () => new Promise(() => undefined), abort: () => undefined }),
    });
    // Nodes 0 and 1 (which hold the part) answer after the refusals: the first
    // store round fails before their acks arrive.
    const late = (n: NodeApi): NodeApi => byz.override(n, {
      storeWhole: async (ref, bs, h, frag, m, sig) => (await new Promise((r) => setTimeout(r, 50)), n.storeWhole(ref, bs, h, frag, m, sig)),
    });
    const gw = { ...cl.gateway({ blockSize: 256, rpcMs: 2000 }), nodes: [late(s0), late(s1), s2, evil3] };
    const mp = new MultipartStore(gw);
    const { parts } = await mp.parts(B, UPLOAD, 0, 10, signal);
    const started = Date.now();
    await mp.complete(B, 'k', UPLOAD, parts, { v: 1, size: body.length, blockSize: 256, lastModified: 1, multipart: { uploadId: UPLOAD, parts: parts.map(partLayout) } }, signal);
    const ms = Date.now() - started;
    assert.ok(ms < 1500, `completion took ${ms} ms`);
    assert.ok(cl.sims[2]!.regs.get(regId(partsNs(B, UPLOAD), partKey(1)).toString('hex'))!.hist.size > 0, 'node 2 was healed');

    const objects = new ObjectStore(gw);
    const found = (await objects.head(B, 'k', signal))!;
    const got: Buffer[] = [];
    for await (const c of objects.stream(found, 0, body.length - 1, signal)) got.push(Buffer.from(c));
    assert.ok(Buffer.concat(got).equals(body));
  });
});
