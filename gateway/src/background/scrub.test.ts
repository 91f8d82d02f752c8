// The scrub pass (scrub.ts) on simulated clusters: it finds every copy two
// wiped nodes lost (bucket record, objects, delete marker, multipart parts
// and the object's own entry, upload records, a live upload's parts) and
// heals them, which is what lets the cluster then survive another failure;
// a dry run changes nothing; corrupt copies are evidence; a heal counts only
// once the healed copy verifies; an unreachable node is skipped; a key
// overwritten during the pass is not healed below its new lc; parts whose
// registers moved on (retired when their upload completed) are healed from
// the entries other nodes hold, authenticated.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createLogger } from '@powerstore/shared/log.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { tsKey } from '@powerstore/shared/protocol/timestamp.js';
import { BucketRegistry, type BucketNs } from '../buckets.js';
import { MultipartStore, partLayout } from '../multipart/multipart-store.js';
import type { ObjectMeta } from '../object-meta.js';
import { ObjectStore } from '../objects.js';
import type { ProtocolContext } from '../protocol/context.js';
import { simCluster, type SimCluster } from '../protocol/testing/sim-cluster.js';
import { outcomeOf, scrubPass, type ScrubReport } from './scrub.js';

const signal = new AbortController().signal;
const log = createLogger('scrub-test', 'silent');
const NAME = 'b';
/** The test bucket's incarnation: set by createBucket. */
let B: BucketNs;

async function createBucket(gw: ProtocolContext): Promise<void> {
  B = (await new BucketRegistry(gw).create(NAME, 'owner', 'us-east-1', signal)).ns;
}

async function* chunks(buf: Buffer): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += 100) yield buf.subarray(i, i + 100);
}

function bytes(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
}

const meta = (size: number, blockSize: number): ObjectMeta => ({ v: 1, size, blockSize, lastModified: 1 });

async function put(gw: ProtocolContext, key: string, body: Buffer): Promise<void> {
  await new ObjectStore(gw).put(B, key, chunks(body), meta, signal);
}

/** The object's bytes, or null when absent or deleted. */
async function read(gw: ProtocolContext, key: string): Promise<Buffer | null> {
  const objects = new ObjectStore(gw);
  const f = await objects.head(B, key, signal);
  if (!f) return null;
  const out: Buffer[] = [];
  for await (const p of objects.stream(f, 0, f.meta.size - 1, signal)) out.push(Buffer.from(p));
  return Buffer.concat(out);
}

/** A node that is down: every call fails at once. */
function down(index: number, onCall: () => void = () => undefined): NodeApi {
  const no = async (): Promise<never> => {
    onCall();
    throw new Error(`node ${index} is down`);
  };
  return {
    index, clock: no, storeWhole: no, storeFrom: no, complete: no, collect: no, filter: no, list: no, pin: no, health: no, entry: no,
    openStore: () => ({ pending: 0, write: no, commit: no, abort: () => undefined }),
    readBlocks: () => ({ [Symbol.asyncIterator]: () => ({ next: no }) }),
  };
}

function with_<T extends keyof NodeApi>(inner: NodeApi, name: T, f: NodeApi[T]): NodeApi {
  return new Proxy(inner, { get: (t, p) => (p === name ? f : (Reflect.get(t, p) as unknown)) }) as NodeApi;
}

function pass(gw: ProtocolContext, dryRun = false): Promise<ScrubReport> {
  return scrubPass(gw, { dryRun, concurrency: 3, log }, signal);
}

/** A bucket with objects of every kind; returns the live objects' contents. */
async function populate(cl: SimCluster, gw: ProtocolContext): Promise<Map<string, Buffer>> {
  await createBucket(gw);
  const objects = new Map<string, Buffer>([['empty', Buffer.alloc(0)], ['small', bytes(10, 1)], ['big', bytes(1000, 2)]]);
  for (const [k, v] of objects) await put(gw, k, v);
  await put(gw, 'gone', bytes(50, 3));
  await new ObjectStore(gw).delete(B, 'gone', signal);
  // A completed multipart upload (two parts) and one still in progress.
  const mp = new MultipartStore(gw);
  for (const [key, uploadId] of [['mp', 'a'.repeat(36)], ['pending', 'b'.repeat(36)]] as const) {
    await mp.create(B, { key, uploadId, initiated: 1, owner: 'owner' }, {}, signal);
    await mp.putPart(B, uploadId, 1, chunks(bytes(300, 4)), meta, signal);
    if (key === 'pending') continue;
    await mp.putPart(B, uploadId, 2, chunks(bytes(200, 5)), meta, signal);
    const { parts } = await mp.parts(B, uploadId, 0, 100, signal);
    await mp.complete(B, key, uploadId, parts, { v: 1, size: 500, blockSize: 64, lastModified: 1, multipart: { uploadId, parts: parts.map(partLayout) } }, signal);
    objects.set(key, Buffer.concat([bytes(300, 4), bytes(200, 5)]));
  }
  assert.equal(cl.params.S, 4);
  return objects;
}

/** History entries one scrub pass checks for populate(): bucket, 4 objects, mp's 2 parts + own entry, 2 upload records, 1 pending part. */
const WRITES = 1 + 4 + 3 + 2 + 1;

describe('scrub pass', () => {
  it('heals two wiped nodes completely, so the cluster survives a third failure', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    const objects = await populate(cl, gw);
    cl.sims[0]!.wipe();
    cl.sims[1]!.wipe();

    // Two disks lost and one more node down: too little left to read anything.
    cl.wrap(2, () => down(2));
    await assert.rejects(read(cl.gateway(), 'big'), 'unreadable before healing (the test can fail)');
    cl.nodes[2] = cl.sims[2]!;

    const dry = await pass(cl.gateway(), true);
    assert.equal(outcomeOf(dry), 'unhealthy', 'a dry run that finds copies to heal is not healthy');
    for (const n of [0, 1]) {
      const c = dry.nodes[n]!;
      assert.equal(c.checked, WRITES);
      assert.equal(c.missing + c.unreadable, WRITES, `node ${n}: every copy missing`);
      assert.equal(c.healed + c.failed, 0, 'dry run: nothing attempted');
    }
    assert.equal((await cl.sims[0]!.health()).histEntries, 0, 'dry run changed nothing');

    const r = await pass(cl.gateway());
    assert.deepEqual(r.errors, []);
    assert.equal(r.registers, 1 + 5 + 2 + 1);
    assert.equal(r.writes, WRITES);
    for (const n of [0, 1]) assert.deepEqual({ healed: r.nodes[n]!.healed, failed: r.nodes[n]!.failed }, { healed: WRITES, failed: 0 });
    for (const n of [2, 3]) assert.equal(r.nodes[n]!.ok, WRITES);
    assert.equal(outcomeOf(r), 'healed');
    assert.ok(r.problems.every((p) => p.healed === true) && r.problems.length === 2 * WRITES);

    const again = await pass(cl.gateway());
    assert.equal(outcomeOf(again), 'healthy');
    assert.deepEqual(again.nodes.map((n) => n.ok), [WRITES, WRITES, WRITES, WRITES]);

    // The same third failure as before: now everything reads back.
    cl.wrap(2, () => down(2));
    const reader = cl.gateway();
    for (const [k, v] of objects) assert.deepEqual(await read(reader, k), v, `${k} reads back whole`);
    assert.equal(await read(reader, 'gone'), null, 'the delete marker reads as deleted');
    assert.ok(await new BucketRegistry(reader).get(NAME, signal), 'the bucket record reads');
    assert.deepEqual(cl.evidence, []);
  });

  it('reports corrupt copies as evidence, and counts a heal only once the copy verifies', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await createBucket(gw);
    await put(gw, 'big', bytes(1000, 7));
    await put(gw, 'small', bytes(10, 8));
    const entry = (node: number, key: string) => {
      const st = cl.sims[node]!.regs.get(regId(B, key).toString('hex'))!;
      const k = tsKey(st.lc!.ts);
      return { st, k, h: st.hist.get(k)! };
    };
    // Node 2: a flipped bit in a block. Node 3: a block list that no longer matches cc.
    entry(2, 'big').h.frag[70]! ^= 1;
    const s3 = entry(3, 'small');
    const blocks = Buffer.from(s3.h.rec.blocks);
    blocks[0]! ^= 1;
    s3.st.hist.set(s3.k, { ...s3.h, rec: { ...s3.h.rec, blocks } });

    const r = await pass(cl.gateway());
    assert.equal(r.nodes[2]!.corrupt, 1);
    assert.equal(r.nodes[3]!.corrupt, 1);
    assert.ok(cl.evidence.some((e) => e.node === 2 && e.kind === 'corrupt-block'));
    assert.ok(cl.evidence.some((e) => e.node === 3 && e.kind === 'wrong-cc'));
    // A simulated node keeps its copy on a duplicate store (no repair), so
    // the healed copy still fails: that is a failure, not a heal.
    assert.equal(r.nodes[2]!.healed + r.nodes[3]!.healed, 0);
    assert.equal(r.nodes[2]!.failed + r.nodes[3]!.failed, 2);
    assert.ok(r.problems.every((p) => p.healed === false && /still fails/.test(p.healDetail ?? '')));
    assert.equal(outcomeOf(r), 'unhealthy');
  });

  it('skips a node that does not answer, after one health probe', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await createBucket(gw);
    for (let i = 0; i < 5; i++) await put(gw, `k${i}`, bytes(300, i));
    let calls = 0;
    cl.wrap(3, () => down(3, () => calls++));
    const r = await pass(cl.gateway());
    assert.equal(r.nodes[3]!.unreachable, 6);
    assert.equal(r.nodes[3]!.checked, 6);
    assert.equal(r.nodes[3]!.failed, 0, 'no heal attempted at an unreachable node');
    assert.ok(calls < 6 * 2, `node 3 was not asked for every copy (${calls} calls)`);
    for (const n of [0, 1, 2]) assert.equal(r.nodes[n]!.ok, 6);
    assert.equal(outcomeOf(r), 'unhealthy');
  });

  it('does not heal a write that was overwritten (and collected) during the pass', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    await createBucket(gw);
    await put(gw, 'race', bytes(500, 1));
    let raced = false;
    cl.wrap(0, (n) => with_(n, 'readBlocks', (ref, ts, from, to, withList, s) => {
      if (ref.key !== 'race' || raced) return n.readBlocks(ref, ts, from, to, withList, s);
      raced = true;
      return (async function* () {
        // A client overwrites the key and every node collects the old write.
        const plain = { ...cl.gateway(), nodes: cl.sims };
        await put(plain, 'race', bytes(600, 2));
        for (const sim of cl.sims) sim.gc();
        yield* n.readBlocks(ref, ts, from, to, withList, s);
      })();
    }));
    const r = await pass(cl.gateway());
    assert.ok(raced);
    assert.equal(r.superseded, 1);
    assert.equal(r.writes, 1, 'only the bucket record was counted');
    assert.deepEqual(r.problems, []);
    assert.equal(outcomeOf(r), 'healthy');
  });

  it('heals parts whose registers moved on from entries other nodes hold; a tampered entry is evidence, never stored', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway();
    const objects = await populate(cl, gw);
    // Completing retired mp's parts (delete markers), and part 1 is also written again.
    await new MultipartStore(gw).putPart(B, 'a'.repeat(36), 1, chunks(bytes(300, 9)), meta, signal);
    cl.sims[0]!.wipe();
    // Node 1 answers entry requests with the nonce hash swapped (its own vec entry re-made would not help: t+1 are needed).
    cl.wrap(1, (inner) => with_(inner, 'entry', async (ref, ts, sig) => {
      const m = await inner.entry(ref, ts, sig);
      return m && { ...m, nbar: Buffer.alloc(32, 7) };
    }));
    const r = await pass(cl.gateway());
    assert.equal(r.nodes[0]!.failed, 0, JSON.stringify(r.problems.filter((p) => p.healed === false)));
    assert.equal(r.nodes[0]!.healed, WRITES);
    assert.ok(cl.evidence.some((e) => e.node === 1 && e.kind === 'bad-mac'), 'the tampered entry is evidence');
    assert.ok(cl.evidence.every((e) => e.node === 1), 'and only against node 1');
    // Proof the healed copies are whole: node 3 loses its disk and node 2 is down, so mp reads only from nodes 0 (healed) and 1.
    cl.sims[3]!.wipe();
    cl.wrap(2, () => down(2));
    assert.deepEqual(await read(cl.gateway(), 'mp'), objects.get('mp'));
  });
});
