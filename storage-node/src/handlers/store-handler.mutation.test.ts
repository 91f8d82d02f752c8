// handleStore's paths the other handler tests do not reach (mutation
// testing, issue 14): the staging file's background flush of a fragment over
// 8 MiB (a datasync every 8 MiB as it streams in, all of them finished
// before the fsync that precedes the ack, or before the file is discarded),
// the repair of a rotted copy by a duplicate store (file and inline entries,
// the staging file consumed or removed), the metrics a store counts, the
// inline limit's boundary, what each framing refusal says, and the write
// leases a store (and a store from another write) holds.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { handleStore } from './store-handler.js';
import { WriteLeases } from '../store/write-leases.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';

const { params, keyring, nodes } = handlerFixture();
const MiB = 1024 * 1024;
const node = (o: { inlineMax: number; maxFragmentBytes?: number }): NodeContext => nodes.node(0, { maxFragmentBytes: MiB, ...o });

const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);
let op = 0;

function writeFor(frag: Buffer, blockSize: number): PreparedWrite {
  const h = new BlockHasher(blockSize, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, reg, null, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

function commitOf(w: PreparedWrite): StoreCommit {
  return { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta };
}


function stagingFiles(ctx: NodeContext): string[] {
  return readdirSync(join(nodes.storeDir(ctx), 'staging'));
}

async function storedBytes(ctx: NodeContext): Promise<number> {
  return (await ctx.metrics.storedBytes.get()).values[0]?.value ?? 0;
}

describe('handleStore: the staging file is flushed every 8 MiB as a large fragment streams in', () => {
  const BLOCK = 64 * 1024;

  /**
   * Counts datasync calls on every FileHandle while `fn` runs. Each datasync
   * is held back a little before it reaches the disk, so a caller that does
   * not wait for it would be seen: `pending` is sampled at every sync()
   * (the fsync before the ack) and once `fn` is done.
   */
  async function watchingSyncs<T>(fn: (seen: { datasyncs: number; pendingAtSync: number[] }) => Promise<T>): Promise<{ result: T | Error; datasyncs: number; pendingAtSync: number[]; pendingAfter: number }> {
    const probeDir = nodes.tempDir();
    const probe = await open(join(probeDir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: FileHandle['datasync']; sync: FileHandle['sync'] };
    await probe.close();
    const { datasync, sync } = proto;
    const seen = { datasyncs: 0, pendingAtSync: [] as number[] };
    let pending = 0;
    proto.datasync = async function (this: FileHandle) {
      // The group commit's sync of the database's WAL is not the staging file's.
      if (readlinkSync(`/proc/self/fd/${this.fd}`).endsWith('node.db-wal')) return datasync.call(this);
      seen.datasyncs++;
      pending++;
      try {
        await new Promise((r) => setTimeout(r, 30));
        return await datasync.call(this);
      } finally {
        pending--;
      }
    };
    proto.sync = async function (this: FileHandle) {
      seen.pendingAtSync.push(pending);
      return sync.call(this);
    };
    try {
      let result: T | Error;
      try {
        result = await fn(seen);
      } catch (e) {
        result = e as Error;
      }
      const pendingAfter = pending;
      await new Promise((r) => setTimeout(r, 100)); // let held-back datasyncs finish before restoring
      return { result, datasyncs: seen.datasyncs, pendingAtSync: seen.pendingAtSync, pendingAfter };
    } finally {
      proto.datasync = datasync;
      proto.sync = sync;
    }
  }

  /** The store request, the fragment in 1 MiB pieces; `after[j]` = datasyncs seen once piece j was taken in. */
  async function* request(frag: Buffer, c: StoreCommit, seen: { datasyncs: number }, afterPiece: number[]): AsyncGenerator<Buffer> {
    yield frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { hash: 'sha256' }));
    yield frameHeader(FRAME_DATA, frag.length);
    for (let at = 0; at < frag.length; at += MiB) {
      yield frag.subarray(at, at + MiB);
      afterPiece.push(seen.datasyncs);
    }
    yield frame(FRAME_COMMIT, encodeCommit(c));
  }

  it('a 10 MiB fragment: one datasync once 8 MiB are in (none before, none for the last 2 MiB), finished before the fsync', async () => {
    const ctx = node({ inlineMax: 4096, maxFragmentBytes: 16 * MiB });
    const frag = randomBytes(10 * MiB);
    const w = writeFor(frag, BLOCK);
    const afterPiece: number[] = [];
    const r = await watchingSyncs((seen) => handleStore(ctx, request(frag, commitOf(w), seen, afterPiece)));
    assert.ok(!(r.result instanceof Error), String(r.result));
    // Piece j (1-based) brings the total to j MiB; the first one opens the file.
    assert.deepEqual(afterPiece, [0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    assert.equal(r.datasyncs, 1);
    assert.ok(r.pendingAtSync.length > 0 && r.pendingAtSync.every((p) => p === 0), `the flush finished before the staging file was fsync'd: ${r.pendingAtSync.join()}`);
    const h = ctx.store.hist(reg, w.candidate.ts)!;
    assert.ok(h.fragFile);
    assert.equal(h.fragLen, 10 * MiB);
    assert.deepEqual(readFileSync(ctx.store.fragPath(h.fragFile)), frag);
    assert.equal(await storedBytes(ctx), 10 * MiB);
    assert.deepEqual(stagingFiles(ctx), []);
  });

  it('a refused large store waits for its flush before the staging file is closed and removed', async () => {
    const ctx = node({ inlineMax: 4096, maxFragmentBytes: 16 * MiB });
    const frag = randomBytes(9 * MiB);
    const w = writeFor(frag, BLOCK);
    const bad = { ...commitOf(w), meta: Buffer.from('{"m":2}') };
    const afterPiece: number[] = [];
    const r = await watchingSyncs((seen) => handleStore(ctx, request(frag, bad, seen, afterPiece)));
    assert.ok(r.result instanceof NodeRequestError && r.result.code === 'store-rejected', String(r.result));
    assert.equal(r.datasyncs, 1);
    assert.equal(r.pendingAfter, 0, 'discard waited for the flush');
    assert.deepEqual(stagingFiles(ctx), []);
    assert.equal(await storedBytes(ctx), 0);
  });
});

describe('handleStore: a duplicate store repairs a rotted copy', () => {
  const BLOCK = 64;
  const openF = () => frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { hash: 'sha256' }));
  const storeOnce = (ctx: NodeContext, frag: Buffer, w: PreparedWrite) =>
    handleStore(ctx, [openF(), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit(commitOf(w)))]);

  it('an intact copy: acked, nothing replaced, no bytes counted twice', async () => {
    const ctx = node({ inlineMax: 100 });
    const frag = randomBytes(1000);
    const w = writeFor(frag, BLOCK);
    await storeOnce(ctx, frag, w);
    assert.equal(await storedBytes(ctx), 1000);
    const file = ctx.store.hist(reg, w.candidate.ts)!.fragFile!;
    await storeOnce(ctx, frag, w);
    assert.equal(await storedBytes(ctx), 1000, 'a plain re-send stores nothing');
    assert.equal(ctx.store.hist(reg, w.candidate.ts)!.fragFile, file);
    assert.deepEqual(stagingFiles(ctx), []);
  });

  it('a corrupted fragment file is replaced by the incoming (staged) copy; the staging file is consumed', async () => {
    const ctx = node({ inlineMax: 100 });
    const frag = randomBytes(1000);
    const w = writeFor(frag, BLOCK);
    await storeOnce(ctx, frag, w);
    const path = ctx.store.fragPath(ctx.store.hist(reg, w.candidate.ts)!.fragFile!);
    const rotted = Buffer.from(frag);
    rotted[500]! ^= 0xff;
    writeFileSync(path, rotted);
    await storeOnce(ctx, frag, w);
    assert.deepEqual(readFileSync(path), frag, 'the healed copy replaced the rotted one');
    assert.equal(await storedBytes(ctx), 2000, 'the replacement bytes are counted');
    assert.deepEqual(stagingFiles(ctx), []);
    // Now intact: a further re-send changes nothing.
    await storeOnce(ctx, frag, w);
    assert.equal(await storedBytes(ctx), 2000);
  });

  it('a deleted fragment file is rebuilt from an incoming copy small enough to stay in memory', async () => {
    const ctx = node({ inlineMax: 100 });
    const frag = randomBytes(1000);
    const w = writeFor(frag, BLOCK);
    await storeOnce(ctx, frag, w);
    const path = ctx.store.fragPath(ctx.store.hist(reg, w.candidate.ts)!.fragFile!);
    rmSync(path);
    await storeOnce({ ...ctx, inlineMax: 1 << 16 }, frag, w);
    assert.deepEqual(readFileSync(path), frag);
    assert.equal(await storedBytes(ctx), 2000);
    assert.deepEqual(stagingFiles(ctx), []);
  });

  it('a rotted inline copy is replaced from an incoming copy that spilled to a staging file, which is then removed', async () => {
    const ctx = node({ inlineMax: 1 << 16 });
    const frag = randomBytes(1000);
    const w = writeFor(frag, BLOCK);
    await storeOnce(ctx, frag, w);
    const h = ctx.store.hist(reg, w.candidate.ts)!;
    assert.ok(h.fragInline && !h.fragFile);
    const rotted = Buffer.from(frag);
    rotted[0]! ^= 1;
    await ctx.store.replaceFragment(reg, h, { inline: rotted }, h.blocks); // the rot
    assert.deepEqual(ctx.store.hist(reg, w.candidate.ts)!.fragInline, rotted);
    await storeOnce({ ...ctx, inlineMax: 100 }, frag, w);
    assert.deepEqual(ctx.store.hist(reg, w.candidate.ts)!.fragInline, frag);
    assert.equal(await storedBytes(ctx), 2000);
    assert.deepEqual(stagingFiles(ctx), [], 'the spilled copy was read back into the entry and its file removed');
  });
});

describe('handleStore: counts refusals by reason', () => {
  it('rejectedStores carries the verdict\'s reason', async () => {
    const ctx = node({ inlineMax: 1 << 16 });
    const frag = randomBytes(100);
    const w = writeFor(frag, 64);
    const bad = { ...commitOf(w), meta: Buffer.from('{"m":2}') };
    await assert.rejects(handleStore(ctx, [frame(FRAME_OPEN, encodeOpen(ref, 64, { hash: 'sha256' })), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit(bad))]));
    const values = (await ctx.metrics.rejectedStores.get()).values;
    assert.deepEqual(values.map((v) => [v.labels.reason, v.value]), [['D does not match cc and meta', 1]]);
    assert.equal(await storedBytes(ctx), 0);
  });
});

describe('handleStore: the inline limit, framing refusals, write leases', () => {
  const BLOCK = 64;
  const openF = (blockSize = BLOCK, from?: PreparedWrite) => frame(FRAME_OPEN, encodeOpen(ref, blockSize, from ? { from: from.candidate.ts } : { hash: 'sha256' }));
  const dataF = (b: Buffer) => frame(FRAME_DATA, b);
  const commitF = (w: PreparedWrite) => frame(FRAME_COMMIT, encodeCommit(commitOf(w)));

  it('a fragment of exactly inlineMax bytes stays inline; one byte more goes to a file', async () => {
    const ctx = node({ inlineMax: 256 });
    for (const [len, inline] of [[256, true], [257, false]] as const) {
      const frag = randomBytes(len);
      const w = writeFor(frag, BLOCK);
      await handleStore(ctx, [openF(), dataF(frag.subarray(0, 100)), dataF(frag.subarray(100)), commitF(w)]);
      const h = ctx.store.hist(reg, w.candidate.ts)!;
      assert.equal(h.fragInline !== null, inline, `${len} bytes`);
      assert.deepEqual(h.fragInline ?? readFileSync(ctx.store.fragPath(h.fragFile!)), frag);
    }
    assert.deepEqual(stagingFiles(ctx), []);
  });

  it('each framing refusal says what was wrong', async () => {
    const ctx = node({ inlineMax: 1 << 16 });
    const frag = randomBytes(100);
    const w = writeFor(frag, BLOCK);
    const notJson = (type: number) => frame(type, Buffer.from('{nope'));
    const cases: [Buffer[], string, string][] = [
      [[notJson(FRAME_OPEN)], 'WireError', 'frame is not JSON'],
      [[openF(), dataF(frag), notJson(FRAME_COMMIT)], 'WireError', 'frame is not JSON'],
      [[openF(100)], 'WireError', 'bad block size'],
      [[dataF(frag)], 'FrameError', 'data before open, or in a store from another write'],
      [[commitF(w)], 'FrameError', 'commit before open'],
      [[openF(), openF()], 'FrameError', 'second open frame'],
      [[openF(), dataF(frag), commitF(w), dataF(frag)], 'FrameError', 'frame after commit'],
      [[openF(), dataF(frag)], 'FrameError', 'stream ended before the store message'],
      [[], 'FrameError', 'stream ended before the store message'],
    ];
    for (const [frames, name, message] of cases) {
      await assert.rejects(handleStore(ctx, frames), { name, message });
    }
    assert.equal(ctx.store.counts().histEntries, 0);
  });

  it('an accepted store holds a write lease; a store from another write holds the source entry as long', async () => {
    let now = 0;
    const leases = new WriteLeases(() => now, 1000);
    const ctx: NodeContext = { ...node({ inlineMax: 1 << 16 }), leases };
    const frag = randomBytes(100);
    const a = writeFor(frag, BLOCK);
    await handleStore(ctx, [openF(), dataF(frag), commitF(a)]);
    assert.equal(leases.covers(regHex(), a.candidate.ts), true);
    now = 500;
    const b = prepareWrite(keyring, params, reg, a.candidate.ts, 'aaaaaaaaaaaaaaaa', ++op, a.cc, Buffer.from('{"m":1}'));
    await handleStore(ctx, [openF(BLOCK, a), commitF(b)]);
    now = 1200; // a's own lease (to 1000) is over; b's (to 1500) holds a as well
    assert.equal(leases.covers(regHex(), b.candidate.ts), true);
    assert.equal(leases.covers(regHex(), a.candidate.ts), true);
    now = 1600;
    assert.equal(leases.covers(regHex(), a.candidate.ts), false);
  });
});

function regHex(): string {
  return reg.toString('hex');
}
