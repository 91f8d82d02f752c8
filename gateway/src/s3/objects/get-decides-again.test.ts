// A GET never answers 200 and then cuts its body because the value it chose
// has fewer than k readable holders (protocol review finding 2): the first
// bytes are restored before the status line, and when they cannot be, the
// read decides again with the nodes' late answers.
//
// The review's schedule (t = 1): v1 is stored at nodes 0, 1 and 3; v2 at
// nodes 0, 2 and 3 and completed at node 0 only (its gateway failed), which
// then collects v1. A read whose collect and filter do not wait for the slow
// node 0 decides v1 from nodes 1 and 3, but node 3 withholds its data and
// only node 1 still holds a v1 fragment.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { signV4, type Creds } from '../../../../integration/harness/raw.js';
import { BucketRegistry, type BucketNs } from '../../buckets.js';
import { testApp } from '../../testing/test-app.js';
import { ObjectStore } from '../../objects.js';
import type { ObjectMeta } from '../../object-meta.js';
import * as byz from '../../protocol/testing/byzantine.js';
import { simCluster, type SimCluster } from '../../protocol/testing/sim-cluster.js';

const creds: Creds = { accessKey: 'AKIDGETAGAIN', secretKey: 'get-again-secret', region: 'us-east-1' };
const HOST = '127.0.0.1';
const signal = new AbortController().signal;

const delay = <T>(ms: number, f: () => Promise<T>): Promise<T> => new Promise((r) => setTimeout(r, ms)).then(f);

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

describe('GetObject when the chosen value cannot be restored', () => {
  let cl: SimCluster;
  let app: Express;
  let close: () => Promise<void>;
  let ns: BucketNs;
  const v1 = randomBytes(40_000);
  const v2 = randomBytes(30_000);

  before(async () => {
    cl = simCluster(1);
    const ctx = cl.gateway({ blockSize: 4096, rpcMs: 2000 });
    ({ app, close } = testApp(ctx, [{ accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'alice' }]));
    ns = (await new BucketRegistry(ctx).create('again-bucket', 'alice', 'us-east-1', signal)).ns;
  });
  after(() => close?.());

  it('decides again and serves the newer value rather than a 200 with a cut body', async () => {
    const [s0, s1, s2, s3] = [0, 1, 2, 3].map((i): NodeApi => cl.sims[i]!) as [NodeApi, NodeApi, NodeApi, NodeApi];
    const meta = (size: number, blockSize: number): ObjectMeta => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'e' });
    const writer = (nodes: NodeApi[]) => new ObjectStore({ ...cl.gateway({ blockSize: 4096 }), nodes });
    await writer([s0, s1, byz.silent(s2), s3]).put(ns, 'k', once(v1), meta, signal);
    const refuse = (n: NodeApi): NodeApi => byz.override(n, { complete: () => Promise.reject(new Error('no complete')) });
    await assert.rejects(writer([s0, byz.silent(s1), refuse(s2), refuse(s3)]).put(ns, 'k', once(v2), meta, signal));
    cl.sims[0]!.gc();

    // Node 0 (correct) is slow on collect and filter; node 3 withholds every block.
    cl.wrap(0, (n) => byz.override(n, {
      collect: (r, id, s) => delay(300, () => n.collect(r, id, s)),
      filter: (r, id, C, s) => delay(300, () => n.filter(r, id, C, s)),
    }));
    cl.wrap(3, (n) => byz.override(n, { readBlocks: (_r, _ts, _a, _b, _w, s) => byz.silent(n).readBlocks(_r, _ts, _a, _b, _w, s) }));

    const target = '/again-bucket/k';
    const s = signV4(HOST, { method: 'GET', target }, creds);
    const res = await request(app).get(target).set(s.headers).buffer(true).parse((r, cb) => {
      const parts: Buffer[] = [];
      r.on('data', (d: Buffer) => parts.push(d));
      r.on('end', () => cb(null, Buffer.concat(parts)));
      r.on('error', (e) => cb(e, null));
    });
    assert.equal(res.status, 200, String(res.text ?? (res.body as Buffer).toString()));
    assert.equal(Number(res.headers['content-length']), v2.length);
    assert.ok(Buffer.compare(res.body as Buffer, v2) === 0, 'the body is v2, whole');
    assert.deepEqual(cl.evidence, [], 'no correct node is blamed');
  });
});
