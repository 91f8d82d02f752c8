// The node's request handlers called directly on a real DiskStore: what a
// store must refuse (framing out of order, a bad MAC, D or fragment, a
// conflicting second store, missing parts, an oversized fragment) leaves
// nothing behind; complete and filter move lc only for a valid newer
// candidate; filter describes only what the node holds.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockHasher } from '../../shared/src/erasure/block-hasher.js';
import { sha256 } from '../../shared/src/hash.js';
import { SecretWriterKeyring } from '../../shared/src/keys.js';
import { createLogger } from '../../shared/src/log.js';
import { prepareWrite, type PreparedWrite } from '../../shared/src/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '../../shared/src/protocol/frames.js';
import {
  encodeCommit, encodeCompleteReq, encodeEntryReq, encodeFilterReq, encodeOpen, encodeRefBody, MISSING_PARTS,
  parseCandAnswer, parseEntryAnswer, parseFilterAnswer, parseTsAnswer,
} from '../../shared/src/protocol/node-messages.js';
import { clusterParams } from '../../shared/src/protocol/params.js';
import { regId } from '../../shared/src/protocol/register.js';
import type { StoreCommit } from '../../shared/src/protocol/server.js';
import { DiskStore } from './disk-store.js';
import { NodeMetrics } from './metrics.js';
import { NodeRequestError, type NodeContext } from './node-context.js';
import { handleClock, handleCollect, handleComplete, handleEntry, handleFilter } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';

const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const BLOCK = 64;
const dirs: string[] = [];
const contexts: NodeContext[] = [];
after(() => {
  for (const c of contexts) c.store.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let op = 0;
/** A node context on a fresh store (node `index`). */
function node(index = 0, o: { inlineMax?: number; maxFragmentBytes?: number } = {}): NodeContext {
  const dir = mkdtempSync(join(tmpdir(), 'ps-handlers-'));
  dirs.push(dir);
  const ctx: NodeContext = {
    index, S: params.S, keys: keyring.nodeKeyring(index), store: DiskStore.open(join(dir, 'store'), params.S),
    log: createLogger('t', 'silent'), metrics: new NodeMetrics(index),
    inlineMax: o.inlineMax ?? 1 << 16, maxFragmentBytes: o.maxFragmentBytes ?? 1 << 20,
  };
  storeDirs.set(ctx, join(dir, 'store'));
  contexts.push(ctx);
  return ctx;
}
const storeDirs = new WeakMap<NodeContext, string>();

const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);

/** A write whose fragment for node `index` is `frag`. */
function writeFor(index: number, frag: Buffer, after: PreparedWrite | null = null): PreparedWrite {
  const h = new BlockHasher(BLOCK);
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[index] = sha256(h.finish());
  return prepareWrite(keyring, params, reg, after?.candidate.ts ?? null, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

function commitOf(w: PreparedWrite): StoreCommit {
  return { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta };
}

const frame = (type: number, b: Buffer) => Buffer.concat([frameHeader(type, b.length), b]);
const openF = (blockSize = BLOCK, r = ref) => frame(FRAME_OPEN, encodeOpen(r, blockSize));
const dataF = (b: Buffer) => frame(FRAME_DATA, b);
const commitF = (m: StoreCommit) => frame(FRAME_COMMIT, encodeCommit(m));

async function store(ctx: NodeContext, frames: Buffer[], split = false): Promise<Buffer> {
  const all = Buffer.concat(frames);
  const pieces = split ? Array.from(all, (_, i) => all.subarray(i, i + 1)) : [all];
  return handleStore(ctx, pieces);
}

async function refused(p: Promise<unknown>, status: number, code: string | RegExp, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof NodeRequestError, `expected NodeRequestError, got ${String(e)}`);
    assert.equal(e.status, status);
    if (typeof code === 'string') assert.equal(e.code, code);
    else assert.match(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

function histCount(ctx: NodeContext): number {
  return ctx.store.counts().histEntries;
}

function stagingEmpty(ctx: NodeContext): void {
  assert.deepEqual(readdirSync(join(storeDirs.get(ctx)!, 'staging')), []);
}

describe('handleStore', () => {
  it('stores an honest fragment (inline), whole and byte by byte, and answers lc', async () => {
    for (const split of [false, true]) {
      const ctx = node(0);
      const frag = randomBytes(300);
      const w = writeFor(0, frag);
      const ans = await store(ctx, [openF(), dataF(frag.subarray(0, 100)), dataF(frag.subarray(100)), commitF(commitOf(w))], split);
      assert.equal(parseTsAnswer(JSON.parse(ans.toString())), null);
      const h = ctx.store.hist(reg, w.candidate.ts);
      assert.ok(h);
      assert.deepEqual(h.fragInline, frag);
      assert.equal(h.fragLen, 300);
      assert.equal(h.blockSize, BLOCK);
      assert.deepEqual(sha256(h.blocks), w.cc[0]);
    }
  });

  it('a fragment over inlineMax goes to a file, staging left empty', async () => {
    const ctx = node(1, { inlineMax: 100 });
    const frag = randomBytes(1000);
    const w = writeFor(1, frag);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(w))]);
    const h = ctx.store.hist(reg, w.candidate.ts);
    assert.ok(h && h.fragFile && h.fragInline === null);
    assert.equal(h.fragLen, 1000);
    stagingEmpty(ctx);
  });

  it('refuses a bad own MAC, a D that does not hash cc and meta, or a fragment not matching cc[i]; nothing stored', async () => {
    const ctx = node(0, { inlineMax: 100 });
    const frag = randomBytes(300);
    const w = writeFor(0, frag);
    const vec = [...w.candidate.vec];
    vec[0] = Buffer.alloc(32, 1);
    await refused(store(ctx, [openF(), dataF(frag), commitF({ ...commitOf(w), vec })]), 409, 'store-rejected', /vec entry/);
    await refused(store(ctx, [openF(), dataF(frag), commitF({ ...commitOf(w), meta: Buffer.from('{"m":2}') })]), 409, 'store-rejected', /D does not match/);
    const other = Buffer.from(frag);
    other[10]! ^= 1;
    await refused(store(ctx, [openF(), dataF(other), commitF(commitOf(w))]), 409, 'store-rejected', /fragment does not match/);
    assert.equal(histCount(ctx), 0);
    stagingEmpty(ctx);
  });

  it('an identical second store is acked (a re-send); a different one for the same ts is refused', async () => {
    const ctx = node(0);
    const frag = randomBytes(200);
    const w = writeFor(0, frag);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(w))]);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(w))]);
    const x = writeFor(0, frag);
    await refused(store(ctx, [openF(), dataF(frag), commitF({ ...commitOf(x), ts: w.candidate.ts })]), 409, 'store-rejected');
    assert.equal(histCount(ctx), 1);
  });

  it('refuses frames out of order, a stream cut short, and a bad block size', async () => {
    const ctx = node(0);
    const frag = randomBytes(100);
    const c = commitF(commitOf(writeFor(0, frag)));
    const cases: Buffer[][] = [
      [dataF(frag), openF(), c],
      [c],
      [openF(), openF(), dataF(frag), c],
      [openF(), dataF(frag), c, dataF(frag)],
      [openF(), dataF(frag)],
      [openF(), dataF(frag), c.subarray(0, c.length - 1)],
      [openF(100), dataF(frag), c],
    ];
    for (const frames of cases) {
      await assert.rejects(store(ctx, frames), (e: Error) => e.name === 'FrameError' || e.name === 'WireError');
    }
    assert.equal(histCount(ctx), 0);
  });

  it('refuses a fragment over maxFragmentBytes with 413', async () => {
    const ctx = node(0, { maxFragmentBytes: 100, inlineMax: 50 });
    const frag = randomBytes(101);
    await refused(store(ctx, [openF(), dataF(frag), commitF(commitOf(writeFor(0, frag)))]), 413, 'fragment-too-large');
    const ok = randomBytes(100);
    await store(ctx, [openF(), dataF(ok), commitF(commitOf(writeFor(0, ok)))]);
    assert.equal(histCount(ctx), 1);
    stagingEmpty(ctx);
  });

  it('a multipart value is refused, naming the parts this node lacks', async () => {
    const ctx = node(0);
    const part = randomBytes(64);
    const pw = writeFor(0, part);
    await store(ctx, [openF(), dataF(part), commitF(commitOf(pw))]);
    const frag = randomBytes(64);
    const w = writeFor(0, frag, pw);
    const parts = [{ ...ref, ts: pw.candidate.ts }, { ns: 'b', key: 'missing', ts: pw.candidate.ts }];
    await refused(store(ctx, [openF(), dataF(frag), commitF({ ...commitOf(w), parts })]), 409, MISSING_PARTS, /^\[1\]$/);
    assert.equal(ctx.store.hist(reg, w.candidate.ts), undefined);
    await store(ctx, [openF(), dataF(frag), commitF({ ...commitOf(w), parts: parts.slice(0, 1) })]);
    assert.ok(ctx.store.hist(reg, w.candidate.ts));
  });
});

describe('handleComplete / handleCollect / handleClock / handleFilter / handleEntry', () => {
  const json = (b: Buffer) => JSON.parse(b.toString()) as unknown;

  it('complete raises lc only to a valid, newer candidate', async () => {
    const ctx = node(2);
    const a = writeFor(0, randomBytes(10));
    const b = writeFor(0, randomBytes(10), a);
    const ts = async () => parseTsAnswer(json(await handleClock(ctx, json(encodeRefBody(ref)))));
    assert.equal(await ts(), null);
    // Not valid here: own entry wrong, no Hist.
    const vec = [...b.candidate.vec];
    vec[2] = Buffer.alloc(32);
    assert.equal(parseTsAnswer(json(await handleComplete(ctx, json(encodeCompleteReq(ref, { ...b.candidate, vec }))))), null);
    assert.equal(await ts(), null);
    assert.deepEqual(parseTsAnswer(json(await handleComplete(ctx, json(encodeCompleteReq(ref, b.candidate))))), b.candidate.ts);
    // An older candidate does not move it back.
    assert.deepEqual(parseTsAnswer(json(await handleComplete(ctx, json(encodeCompleteReq(ref, a.candidate))))), b.candidate.ts);
    const lc = parseCandAnswer(json(await handleCollect(ctx, json(encodeRefBody(ref, { readId: 'r1' })))), params.S);
    assert.deepEqual(lc?.ts, b.candidate.ts);
    assert.deepEqual(lc?.nonce, b.candidate.nonce);
  });

  it('filter answers the highest valid candidate, with its description (and small fragment) only when held', async () => {
    const ctx = node(0);
    const frag = randomBytes(100);
    const a = writeFor(0, frag);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
    const b = writeFor(0, randomBytes(10), a); // valid by MAC, not held
    const forged = { ...writeFor(0, randomBytes(10), b).candidate, vec: b.candidate.vec };
    const filter = async (C: typeof a.candidate[], readId = 'r') => parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, readId, C)))), params.S);

    const held = await filter([a.candidate, forged]);
    assert.deepEqual(held.ts, a.candidate.ts);
    assert.deepEqual(held.cc, a.cc);
    assert.deepEqual(held.meta, a.meta);
    assert.deepEqual(sha256(held.blocks!), a.cc[0]);
    assert.deepEqual(held.fragment, frag, 'node 0 is a data-shard node');
    assert.deepEqual(parseTsAnswer(json(await handleClock(ctx, json(encodeRefBody(ref))))), a.candidate.ts, 'filter wrote chv back as lc');

    const notHeld = await filter([a.candidate, b.candidate]);
    assert.deepEqual(notHeld.ts, b.candidate.ts);
    assert.equal(notHeld.cc, undefined);
    assert.equal(notHeld.blocks, undefined);

    const none = await filter([forged]);
    assert.equal(none.ts, null);
  });

  it('a parity node sends no fragment along', async () => {
    const ctx = node(3);
    const frag = randomBytes(100);
    const a = writeFor(3, frag);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
    const ans = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [a.candidate])))), params.S);
    assert.deepEqual(ans.ts, a.candidate.ts);
    assert.ok(ans.blocks);
    assert.equal(ans.fragment, undefined);
  });

  it('entry returns the held store message, or null', async () => {
    const ctx = node(0);
    const frag = randomBytes(100);
    const a = writeFor(0, frag);
    const entry = async () => parseEntryAnswer(json(await handleEntry(ctx, json(encodeEntryReq({ ref, ts: a.candidate.ts })))), params.S);
    assert.equal(await entry(), null);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
    assert.deepEqual(await entry(), commitOf(a));
  });
});
