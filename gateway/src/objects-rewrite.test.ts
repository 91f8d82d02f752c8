// ObjectStore.rewrite (object tagging): an object written again under new
// metadata without its bytes being sent again (protocol/rewriter.ts), a node
// lacking the old write rebuilt from others, and a refused check storing
// nothing.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { NodeRefusedError } from '@powerstore/shared/errors.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { MISSING_FRAGMENT } from '@powerstore/shared/protocol/wire/node-messages.js';
import type { BucketNs } from './buckets.js';
import { MultipartStore, partKey, partLayout, partsNs } from './multipart/multipart-store.js';
import { ObjectStore, type FoundObject } from './objects.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { override, silent } from './protocol/testing/byzantine.js';
import { simCluster, type SimCluster } from './protocol/testing/sim-cluster.js';
import { until } from '@powerstore/shared/testing/until.js';

const ns = 'bucket-ns' as BucketNs;
const signal = new AbortController().signal;

async function* chunks(buf: Buffer): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += 1000) yield buf.subarray(i, i + 1000);
}

/** Counts, per node, the calls that carry fragment bytes (openStore, storeWhole) and storeFrom. */
function counting(cl: SimCluster): { data: number[]; from: number[] } {
  const data = cl.nodes.map(() => 0);
  const from = cl.nodes.map(() => 0);
  for (let i = 0; i < cl.nodes.length; i++) {
    cl.wrap(i, (inner: NodeApi) => override(inner, {
      openStore: (r, b, h, s) => (data[i]!++, inner.openStore(r, b, h, s)),
      storeWhole: (r, b, h, f, m, s) => (data[i]!++, inner.storeWhole(r, b, h, f, m, s)),
      storeFrom: (r, b, f, m, s) => (from[i]!++, inner.storeFrom(r, b, f, m, s)),
    }));
  }
  return { data, from };
}

async function bytesOf(store: ObjectStore, found: FoundObject): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of store.stream(found, 0, found.meta.size - 1, signal)) out.push(c);
  return Buffer.concat(out);
}

async function setup(size: number): Promise<{ cl: SimCluster; store: ObjectStore; body: Buffer; found: FoundObject }> {
  const cl = simCluster(1);
  const store = new ObjectStore(cl.gateway({ blockSize: 4096, rpcMs: 10_000 }));
  const body = randomBytes(size);
  await store.put(ns, 'k', chunks(body), (s, blockSize) => ({ v: 1, size: s, blockSize, lastModified: 1, etag: 'e' }), signal);
  const found = (await store.head(ns, 'k', signal))!;
  return { cl, store, body, found };
}

describe('ObjectStore.rewrite', () => {
  it('writes a single-part object again under new meta without sending its bytes', async () => {
    const { cl, store, body, found } = await setup(30_000);
    const calls = counting(cl);
    await store.rewrite(found, 'k', { ...found.meta, tags: [['a', '1']] }, async () => {}, signal);
    assert.deepEqual(calls.data, cl.nodes.map(() => 0), 'no fragment bytes were sent');
    assert.ok(calls.from.filter((n) => n > 0).length >= cl.params.q, 'a quorum stored from its fragment');
    const now = (await store.head(ns, 'k', signal))!;
    assert.deepEqual(now.meta.tags, [['a', '1']]);
    assert.equal(now.meta.etag, 'e');
    assert.notDeepEqual(now.read.c.ts, found.read.c.ts, 'a new write');
    assert.ok((await bytesOf(store, now)).equals(body));
  });

  it('rebuilds the fragment of a node that lacks the old write from the others', async () => {
    const { cl, store, body, found } = await setup(30_000);
    const calls = counting(cl);
    cl.wrap(0, (inner) => override(inner, { storeFrom: async () => Promise.reject(new NodeRefusedError(0, 409, MISSING_FRAGMENT)) }));
    await store.rewrite(found, 'k', { ...found.meta, tags: [['b', '2']] }, async () => {}, signal);
    // Node 0's copy serves reads: with nodes 1 and 2 serving no blocks, k=2 of {0, 3} restore it.
    for (const i of [1, 2]) cl.wrap(i, (inner) => override(inner, {
      readBlocks: async function* () {
        yield* [];
        throw new Error('no blocks');
      },
    }));
    // The rebuild may still run as a straggler of the store round (quorum.ts): wait for it (up to 20 s, not 5, for a loaded machine).
    let restored = null as Buffer | null;
    await until('node 0 serves its rebuilt fragment', async () => {
      const now = (await store.head(ns, 'k', signal))!;
      assert.deepEqual(now.meta.tags, [['b', '2']]);
      restored = await bytesOf(store, now).catch(() => null);
      return restored !== null;
    }, 20_000, 50);
    assert.ok(restored?.equals(body), 'node 0 serves its rebuilt fragment of the new write');
    assert.ok(calls.data[0]! > 0, 'node 0 was sent a rebuilt fragment');
    assert.deepEqual(calls.data.slice(1), cl.nodes.slice(1).map(() => 0), 'the others sent nothing');
  });

  it('stores nothing when the check refuses', async () => {
    const { cl, store, found } = await setup(10_000);
    const calls = counting(cl);
    await assert.rejects(store.rewrite(found, 'k', { ...found.meta, tags: [['c', '3']] }, () => Promise.reject(new Error('changed')), signal), /changed/);
    assert.deepEqual(calls.from, cl.nodes.map(() => 0));
    assert.deepEqual(calls.data, cl.nodes.map(() => 0));
    assert.equal((await store.head(ns, 'k', signal))!.meta.tags, undefined);
  });

  it('retags a multipart object while a node lacks a part: the part is healed into it', async () => {
    const cl = simCluster(1);
    const [s0, s1, s2, s3] = [0, 1, 2, 3].map((i): NodeApi => cl.sims[i]!) as [NodeApi, NodeApi, NodeApi, NodeApi];
    const upload = 'd'.repeat(36);
    const body = randomBytes(3000);
    // Part 1 is stored and the upload completed while node 2 is down: it never holds the part.
    const down2 = { ...cl.gateway({ blockSize: 256, rpcMs: 2000 }), nodes: [s0, s1, silent(s2), s3] };
    const mp = new MultipartStore(down2);
    await mp.create(ns, { key: 'mp', uploadId: upload, initiated: 1, owner: 'o' }, {}, signal);
    await mp.putPart(ns, upload, 1, chunks(body), (size, blockSize) => ({ v: 1, size, blockSize, lastModified: 1, etag: 'p' }), signal);
    const { parts } = await mp.parts(ns, upload, 0, 10, signal);
    await mp.complete(ns, 'mp', upload, parts, {
      v: 1, size: body.length, blockSize: 256, lastModified: 1, etag: 'e-1', multipart: { uploadId: upload, parts: parts.map(partLayout) },
    }, signal);
    // Now node 3 is down: a quorum of three needs node 2, which lacks the part.
    const store = new ObjectStore({ ...cl.gateway({ blockSize: 256, rpcMs: 2000 }), nodes: [s0, s1, s2, silent(s3)] });
    const found = (await store.head(ns, 'mp', signal))!;
    await store.rewrite(found, 'mp', { ...found.meta, tags: [['t', '1']] }, async () => {}, signal);
    assert.ok(cl.sims[2]!.regs.get(regId(partsNs(ns, upload), partKey(1)).toString('hex'))!.hist.size > 0, 'node 2 was healed');
    const now = (await store.head(ns, 'mp', signal))!;
    assert.deepEqual(now.meta.tags, [['t', '1']]);
    assert.ok((await bytesOf(store, now)).equals(body));
  });
});
