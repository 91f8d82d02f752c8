// A multipart GET pays for a withholding node once, not once per part
// (found by the nemesis workload's multipart puts, with a node that
// withholds its blocks: each part's restore tried that data-shard node
// first and waited out its idle timeout again). A node that failed as a
// source of one part is tried last for the parts after it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { BucketNs } from '../buckets.js';
import { MultipartStore, partLayout } from './multipart-store.js';
import { ObjectStore } from '../objects.js';
import type { ObjectMeta } from '../object-meta.js';
import * as byz from '../protocol/testing/byzantine.js';
import { simCluster } from '../protocol/testing/sim-cluster.js';

const signal = new AbortController().signal;
const B = 'withhold-bucket' as BucketNs;
const UPLOAD = 'd'.repeat(36);

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}

describe('a multipart GET with a node that withholds its blocks', () => {
  it('asks the withholding node for one part only, then reads the other parts elsewhere', async () => {
    const cl = simCluster(1);
    const meta = (size: number, blockSize: number): ObjectMeta => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'e' });
    const gw = cl.gateway({ blockSize: 256, rpcMs: 100 });
    const mp = new MultipartStore(gw);
    await mp.create(B, { key: 'k', uploadId: UPLOAD, initiated: 1, owner: 'o' }, {}, signal);
    const bodies = [randomBytes(2000), randomBytes(2000), randomBytes(700)];
    for (const [i, b] of bodies.entries()) await mp.putPart(B, UPLOAD, i + 1, once(b), meta, signal);
    const { parts } = await mp.parts(B, UPLOAD, 0, 10, signal);
    const size = bodies.reduce((n, b) => n + b.length, 0);
    await mp.complete(B, 'k', UPLOAD, parts, { v: 1, size, blockSize: 256, lastModified: 1, multipart: { uploadId: UPLOAD, parts: parts.map(partLayout) } }, signal);

    // Node 0 (a data-shard node, tried first) withholds every block.
    let asked = 0;
    cl.wrap(0, (n: NodeApi) => byz.override(n, {
      readBlocks: (r, ts, a, b, w, s) => (asked++, byz.silent(n).readBlocks(r, ts, a, b, w, s)),
    }));
    const objects = new ObjectStore(gw);
    const found = (await objects.head(B, 'k', signal))!;
    const got: Buffer[] = [];
    for await (const c of objects.stream(found, 0, size - 1, signal)) got.push(Buffer.from(c));
    assert.ok(Buffer.concat(got).equals(Buffer.concat(bodies)), 'the whole body');
    assert.equal(asked, 1, 'node 0 was asked for the first part only');
  });

  it('pays a grace for the withholding node, not its idle timeout: opening sources is hedged', async () => {
    const cl = simCluster(1);
    const meta = (size: number, blockSize: number): ObjectMeta => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'e' });
    // A 3 s idle timeout: waiting it out once would show plainly.
    const gw = cl.gateway({ blockSize: 256, rpcMs: 3000 });
    const mp = new MultipartStore(gw);
    await mp.create(B, { key: 'k', uploadId: UPLOAD, initiated: 1, owner: 'o' }, {}, signal);
    const bodies = [randomBytes(2000), randomBytes(700)];
    for (const [i, b] of bodies.entries()) await mp.putPart(B, UPLOAD, i + 1, once(b), meta, signal);
    const { parts } = await mp.parts(B, UPLOAD, 0, 10, signal);
    const size = bodies.reduce((n, b) => n + b.length, 0);
    await mp.complete(B, 'k', UPLOAD, parts, { v: 1, size, blockSize: 256, lastModified: 1, multipart: { uploadId: UPLOAD, parts: parts.map(partLayout) } }, signal);
    cl.wrap(0, (n: NodeApi) => byz.silent(n));
    const objects = new ObjectStore(gw);
    const found = (await objects.head(B, 'k', signal))!;
    const started = Date.now();
    const got: Buffer[] = [];
    for await (const c of objects.stream(found, 0, size - 1, signal)) got.push(Buffer.from(c));
    const ms = Date.now() - started;
    assert.ok(Buffer.concat(got).equals(Buffer.concat(bodies)), 'the whole body');
    assert.ok(ms < 1500, `the GET took ${ms} ms (one idle timeout is 3000)`);
    assert.deepEqual(cl.evidence, [], 'silence is not evidence');
  });
});
