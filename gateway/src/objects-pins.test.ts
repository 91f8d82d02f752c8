// A GET's pins while its bytes stream (DESIGN §6): narrowed to the chosen
// write only when some node is asked for blocks. A small object's bytes come
// in the filter answers (the first q nodes send their fragment along), so its
// GET sends each node collect, filter and release: three messages, where the
// narrow made it four (issue 11: a node's cost is per message). A read asks
// the first q nodes and another only when it needs one, so pin messages go to
// the nodes it asked (`asked` below): the others never heard of the read.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { BucketNs } from './buckets.js';
import { ObjectStore } from './objects.js';
import { override } from './protocol/testing/byzantine.js';
import { simCluster, type SimCluster } from './protocol/testing/sim-cluster.js';

const ns = 'bucket-ns' as BucketNs;
const signal = new AbortController().signal;
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

async function* once(buf: Buffer): AsyncIterable<Buffer> {
  yield buf;
}

/**
 * Logs every node's pin actions and block requests ("2:narrow", "0:blocks").
 * With `sendAlong`, the first q nodes send their whole fragment with a filter
 * answer, as a storage node does for fragments it holds inline.
 */
function watch(cl: SimCluster, sendAlong: boolean): string[] {
  const log: string[] = [];
  for (let i = 0; i < cl.nodes.length; i++) {
    cl.wrap(i, (inner: NodeApi) => override(inner, {
      filter: async (r, id, C, s, pin) => {
        const a = await inner.filter(r, id, C, s, pin);
        if (!sendAlong || i >= cl.params.q || !a.ts || !a.cc) return a;
        const parts: Buffer[] = [];
        for await (const b of inner.readBlocks(r, a.ts, 0, 1_000_000, false, s)) parts.push(b);
        return { ...a, fragment: Buffer.concat(parts) };
      },
      pin: (r, id, action, ts, s) => (log.push(`${i}:${action}`), inner.pin(r, id, action, ts, s)),
      readBlocks: (r, ts, from, to, withList, s) => (log.push(`${i}:blocks`), inner.readBlocks(r, ts, from, to, withList, s)),
    }));
  }
  return log;
}

async function getObject(store: ObjectStore): Promise<Buffer> {
  const found = await store.head(ns, 'k', signal);
  assert.ok(found);
  const out: Buffer[] = [];
  for await (const c of store.stream(found, 0, found.meta.size - 1, signal)) out.push(c);
  await settle(); // the release is sent without waiting for answers
  return Buffer.concat(out);
}

/** `${i}:${action}` for each of the first q nodes: the ones a read asks when all goes well. */
const asked = (cl: SimCluster, action: string): string[] => cl.nodes.slice(0, cl.params.q).map((_, i) => `${i}:${action}`);

async function stored(size: number): Promise<{ cl: SimCluster; store: ObjectStore; body: Buffer }> {
  const cl = simCluster(1);
  const store = new ObjectStore(cl.gateway({ blockSize: 4096, rpcMs: 10_000 }));
  const body = randomBytes(size);
  await store.put(ns, 'k', once(body), (s, blockSize) => ({ v: 1, size: s, blockSize, lastModified: 1, etag: 'e' }), signal);
  return { cl, store, body };
}

describe('a GET narrows its pins only when it asks a node for blocks', () => {
  it('bytes that came in the filter answers: no narrow, no block request, one release per node asked', async () => {
    const { cl, store, body } = await stored(3000);
    const log = watch(cl, true);
    assert.deepEqual(await getObject(store), body);
    assert.deepEqual(log.sort(), asked(cl, 'release'));
  });

  // In a local cluster's 4 KiB GETs, a data node's filter answer was the one
  // not waited for in about 40% of reads; each then fetched that node's blocks.
  it("a data node's filter answer late: the parity fragment sent along serves, nothing fetched, no narrow", async () => {
    const { cl, store, body } = await stored(3000);
    const log = watch(cl, true);
    let late = 0;
    cl.wrap(1, (inner: NodeApi) => override(inner, {
      filter: async (r, id, C, s, pin) => {
        const a = await inner.filter(r, id, C, s, pin);
        late++;
        await new Promise((res) => setTimeout(res, 300));
        return a;
      },
    }));
    assert.deepEqual(await getObject(store), body);
    assert.equal(late, 1, "node 1's filter answer was delayed");
    // Node 3 was asked once node 1 was late (the spare), so it has a pin to release too.
    assert.deepEqual(log.sort(), cl.nodes.map((_, i) => `${i}:release`));
  });

  it('bytes fetched from nodes: every node asked is narrowed once, before the first block request', async () => {
    const { cl, store, body } = await stored(20_000);
    const log = watch(cl, false);
    assert.deepEqual(await getObject(store), body);
    const firstBlocks = log.findIndex((e) => e.endsWith(':blocks'));
    assert.ok(firstBlocks >= 0, 'blocks were fetched');
    assert.deepEqual(log.slice(0, firstBlocks).sort(), asked(cl, 'narrow'));
    assert.equal(log.filter((e) => e.endsWith(':narrow')).length, cl.params.q, 'narrowed once');
    assert.deepEqual(log.filter((e) => e.endsWith(':release')).sort(), asked(cl, 'release'));
  });

  const corruptFragment = (cl: SimCluster, i: number): void => cl.wrap(i, (inner: NodeApi) => override(inner, {
    filter: async (r, id, C, s, pin) => {
      const a = await inner.filter(r, id, C, s, pin);
      return a.fragment ? { ...a, fragment: Buffer.alloc(a.fragment.length, 1) } : a;
    },
  }));

  it('a fragment sent along that fails its hashes: another one sent along serves, nothing fetched', async () => {
    const { cl, store, body } = await stored(3000);
    const log = watch(cl, true);
    corruptFragment(cl, 0);
    assert.deepEqual(await getObject(store), body);
    assert.deepEqual(log.sort(), asked(cl, 'release'));
    assert.deepEqual(cl.evidence.map((e) => [e.node, e.kind]), [[0, 'corrupt-block']]);
  });

  it('too few good fragments sent along: the nodes are narrowed before blocks are fetched', async () => {
    const { cl, store, body } = await stored(3000);
    const log = watch(cl, true);
    corruptFragment(cl, 0);
    corruptFragment(cl, 2);
    assert.deepEqual(await getObject(store), body);
    const firstBlocks = log.findIndex((e) => e.endsWith(':blocks'));
    assert.ok(firstBlocks >= 0, 'blocks were fetched');
    assert.deepEqual(log.slice(0, firstBlocks).sort(), asked(cl, 'narrow'));
    assert.deepEqual(cl.evidence.map((e) => [e.node, e.kind]).sort(), [[0, 'corrupt-block'], [2, 'corrupt-block']]);
  });
});
