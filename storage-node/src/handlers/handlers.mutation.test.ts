// The node's request handlers called directly on a real DiskStore: what a
// store must refuse (framing out of order, a bad MAC, D or fragment, a
// conflicting second store, missing parts, an oversized fragment) leaves
// nothing behind; complete and filter move lc only for a valid newer
// candidate; filter describes only what the node holds.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import {
  encodeCommit, encodeCompleteReq, encodeEntryReq, encodeFilterReq, encodeOpen, encodeRefBody, MISSING_PARTS,
  encodeBlocksReq, encodePinReq, parseCandAnswer, parseEntryAnswer, parseFilterAnswer, parsePinAnswer, parseTsAnswer,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import {
  handleClock, handleCollect, handleComplete, handleEntry, handleFilter, handleHealth, handleList, handlePin,
  prefixEnd,
} from './rpc-handlers.js';
import { handleBlocks } from './blocks-handler.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import type { ServerResponse } from 'node:http';
import { handleStore } from './store-handler.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';
import { Captured } from '../testing/captured-response.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;

let op = 0;
/** A node context on a fresh store (node `index`). */
const node = (index = 0, o: { inlineMax?: number; maxFragmentBytes?: number } = {}): NodeContext => nodes.node(index, o);

const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);

/** A write whose fragment for node `index` is `frag`. */
function writeFor(index: number, frag: Buffer, after: PreparedWrite | null = null, r = ref): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[index] = sha256(h.finish());
  return prepareWrite(keyring, params, regId(r.ns, r.key), after?.candidate.ts ?? null, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

function commitOf(w: PreparedWrite): StoreCommit {
  return { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta };
}

const openF = (blockSize = BLOCK, r = ref) => frame(FRAME_OPEN, encodeOpen(r, blockSize, { hash: 'sha256' }));
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
  assert.deepEqual(readdirSync(join(nodes.storeDir(ctx), 'staging')), []);
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

  // Whichever q answers a read waits for, k carry a fragment: the first q
  // nodes send theirs (the data-shard nodes and t parity nodes), the rest not.
  it('the first q nodes send a small fragment along, the others not', async () => {
    assert.equal(params.q, 3);
    for (const [index, sent] of [[0, true], [params.k - 1, true], [params.k, true], [params.q - 1, true], [params.q, false], [params.S - 1, false]] as const) {
      const ctx = node(index);
      const frag = randomBytes(100);
      const a = writeFor(index, frag);
      await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
      const ans = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [a.candidate])))), params.S);
      assert.deepEqual(ans.ts, a.candidate.ts);
      assert.ok(ans.blocks);
      assert.deepEqual(ans.fragment, sent ? frag : undefined, `node ${index}`);
    }
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


describe('handleBlocks', () => {
  const json = (b: Buffer) => JSON.parse(b.toString()) as unknown;
  for (const inlineMax of [1 << 16, 10]) {
    it(`serves block ranges of a fragment ${inlineMax > 1000 ? 'held inline' : 'in a file'}, with the block-hash list on request`, async () => {
      const ctx = node(0, { inlineMax });
      const frag = randomBytes(BLOCK * 3 + 10);
      const w = writeFor(0, frag);
      await store(ctx, [openF(), dataF(frag), commitF(commitOf(w))]);
      const h = ctx.store.hist(reg, w.candidate.ts)!;
      const get = async (from: number, to: number, withList = false) => {
        const res = new Captured();
        await handleBlocks(ctx, json(encodeBlocksReq({ ref, ts: w.candidate.ts, from, to, withList })), res as unknown as ServerResponse);
        await new Promise((r) => (res.writableFinished ? r(null) : res.on('finish', r)));
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-length'], res.body.length);
        return res.body;
      };
      assert.deepEqual(await get(0, 0), frag.subarray(0, BLOCK));
      assert.deepEqual(await get(1, 2), frag.subarray(BLOCK, 3 * BLOCK));
      assert.deepEqual(await get(3, 9), frag.subarray(3 * BLOCK));
      assert.deepEqual(await get(5, 6), Buffer.alloc(0));
      const listed = await get(0, 3, true);
      assert.equal(listed.readUInt32BE(0), h.blocks.length);
      assert.deepEqual(listed.subarray(4, 4 + h.blocks.length), h.blocks);
      assert.deepEqual(listed.subarray(4 + h.blocks.length), frag);
    });
  }

  it('404 for an entry it does not hold', async () => {
    const ctx = node(0);
    const w = writeFor(0, randomBytes(10));
    await refused(handleBlocks(ctx, json(encodeBlocksReq({ ref, ts: w.candidate.ts, from: 0, to: 0, withList: false })), new Captured() as unknown as ServerResponse), 404, 'no-such-history-entry');
  });
});

describe('handleList / prefixEnd / handleHealth / handlePin', () => {
  const json = (b: Buffer) => JSON.parse(b.toString()) as unknown;

  it('prefixEnd: the least string above every string with that prefix', () => {
    assert.deepEqual(prefixEnd(Buffer.from('ab')), Buffer.from('ac'));
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from('b'));
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xfe, 0xff])), Buffer.from([0x61, 0xff]));
    assert.equal(prefixEnd(Buffer.from([0xff, 0xff])), null);
    assert.equal(prefixEnd(Buffer.alloc(0)), null);
  });

  it('lists keys in order after the marker, within the prefix, truncated only when more exist', async () => {
    const ctx = node(0);
    const keys = ['a/1', 'a/2', 'a/3', 'a/x/1', 'a/x/2', 'b/1'];
    for (const key of keys) {
      const frag = randomBytes(10);
      const w = writeFor(0, frag, null, { ns: 'b', key });
      await store(ctx, [openF(BLOCK, { ns: 'b', key }), dataF(frag), commitF(commitOf(w))]);
      await handleComplete(ctx, json(encodeCompleteReq({ ns: 'b', key }, w.candidate)));
    }
    const list = async (prefix: string, after: string | null, limit: number, skipPrefix = false) => {
      const page = parseListAnswer(await handleList(ctx, { ns: 'b', prefix, after, skipPrefix, limit }), params.S);
      return { keys: page.entries.map((e) => e.key), truncated: page.truncated, described: page.entries.every((e) => e.cc && e.meta) };
    };
    assert.deepEqual(await list('a/', null, 10), { keys: ['a/1', 'a/2', 'a/3', 'a/x/1', 'a/x/2'], truncated: false, described: true });
    assert.deepEqual(await list('a/', null, 5), { keys: ['a/1', 'a/2', 'a/3', 'a/x/1', 'a/x/2'], truncated: false, described: true });
    assert.deepEqual(await list('a/', null, 2), { keys: ['a/1', 'a/2'], truncated: true, described: true });
    assert.deepEqual(await list('a/', 'a/2', 2), { keys: ['a/3', 'a/x/1'], truncated: true, described: true });
    assert.deepEqual(await list('a/', 'a/x/', 10, true), { keys: [], truncated: false, described: true });
    assert.deepEqual(await list('', 'a/x/', 10, true), { keys: ['b/1'], truncated: false, described: true });
    assert.deepEqual(await list('', 'a', 10, true), { keys: ['b/1'], truncated: false, described: true });
    assert.deepEqual(await list('', 'c', 10, false), { keys: [], truncated: false, described: true });
    assert.deepEqual((await list('', null, 10)).keys, keys);
    const health = JSON.parse((await handleHealth(ctx)).toString()) as Record<string, unknown>;
    const { bytes, diskFreeBytes, diskTotalBytes, ...counts } = health as { bytes: number; diskFreeBytes: number; diskTotalBytes: number };
    assert.deepEqual(counts, { node: 0, ok: true, registers: keys.length, histEntries: keys.length });
    // Capacity: the fragments held (each stored once), and the disk under the store.
    assert.ok(bytes > 0);
    assert.ok(diskFreeBytes > 0 && diskTotalBytes >= diskFreeBytes);
  });

  it('pins: collect pins from lc, filter answers GONE below it once the entry is gone, pin renew/narrow/release', async () => {
    const now = 0;
    const pins = new PinTable(() => now, 1000);
    const ctx: NodeContext = { ...node(0), pins };
    const frag = randomBytes(10);
    const a = writeFor(0, frag);
    const b = writeFor(0, randomBytes(10), a);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
    await handleComplete(ctx, json(encodeCompleteReq(ref, b.candidate)));
    const regHex = reg.toString('hex');
    // collect pins from lc = b upward.
    await handleCollect(ctx, json(encodeRefBody(ref, { readId: 'r1' })));
    assert.equal(pins.covers(regHex, b.candidate.ts), true);
    assert.equal(pins.covers(regHex, a.candidate.ts), false);
    // a is held: filter describes it and pins it.
    const held = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r1', [a.candidate])))), params.S);
    assert.deepEqual(held.ts, a.candidate.ts);
    assert.equal(pins.covers(regHex, a.candidate.ts), true);
    // A read whose floor is b asks for a write below it that this node does not hold: GONE with lc.
    const c0 = writeFor(0, randomBytes(10));
    const gone = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r2', [c0.candidate])))), params.S);
    assert.ok(gone.gone);
    assert.deepEqual(gone.gone.ts, b.candidate.ts);
    const pin = async (action: 'renew' | 'narrow' | 'release', readId = 'r1', ts = b.candidate.ts) =>
      parsePinAnswer(json(await handlePin(ctx, json(encodePinReq({ ref, readId, action, ts })))));
    assert.equal(await pin('narrow'), true);
    assert.equal(pins.covers(regHex, a.candidate.ts), false);
    assert.equal(await pin('renew'), true);
    assert.equal(await pin('renew', 'nope'), false);
    assert.equal(await pin('narrow', 'nope'), false);
    assert.equal(await pin('release'), true);
    assert.equal(pins.covers(regHex, b.candidate.ts), true, 'r2 still pins from b');
    assert.equal(await pin('release', 'r2'), true);
    assert.equal(pins.covers(regHex, b.candidate.ts), false);
    // Without a pin table every pin request succeeds and nothing is pinned.
    assert.equal(parsePinAnswer(json(await handlePin(node(0), json(encodePinReq({ ref, readId: 'x', action: 'renew', ts: null }))))), true);
  });
});

describe('handleStore from another write (no data, the fragment already held)', () => {
  const openFrom = (from: PreparedWrite, blockSize = BLOCK) => frame(FRAME_OPEN, encodeOpen(ref, blockSize, { from: from.candidate.ts }));

  it('records the new entry on the held fragment (inline and file); answers lc', async () => {
    for (const inlineMax of [1 << 16, 10]) {
      const ctx = node(0, { inlineMax });
      const frag = randomBytes(100);
      const a = writeFor(0, frag);
      await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
      const b = prepareWrite(keyring, params, reg, a.candidate.ts, 'aaaaaaaaaaaaaaaa', ++op, a.cc, Buffer.from('{"m":1}'));
      const ans = await store(ctx, [openFrom(a), commitF(commitOf(b))]);
      assert.equal(parseTsAnswer(JSON.parse(ans.toString())), null);
      const hb = ctx.store.hist(reg, b.candidate.ts);
      const ha = ctx.store.hist(reg, a.candidate.ts)!;
      assert.ok(hb);
      assert.deepEqual(hb.blocks, ha.blocks);
      assert.equal(hb.fragLen, 100);
      assert.equal(hb.fragFile, ha.fragFile);
      if (ha.fragInline) assert.deepEqual(hb.fragInline, frag);
      // Again: a duplicate, acked, nothing new.
      await store(ctx, [openFrom(a), commitF(commitOf(b))]);
      assert.equal(histCount(ctx), 2);
    }
  });

  it('refuses a source it does not hold or of another block size, data frames, and a store that fails the checks', async () => {
    const ctx = node(0);
    const frag = randomBytes(100);
    const a = writeFor(0, frag);
    const other = writeFor(0, randomBytes(10));
    await refused(store(ctx, [openFrom(a), commitF(commitOf(a))]), 409, 'missing-fragment', /no such fragment here/);
    await store(ctx, [openF(), dataF(frag), commitF(commitOf(a))]);
    const b = prepareWrite(keyring, params, reg, a.candidate.ts, 'aaaaaaaaaaaaaaaa', ++op, a.cc, Buffer.from('{"m":1}'));
    await refused(store(ctx, [openFrom(a, 128), commitF(commitOf(b))]), 409, 'missing-fragment');
    await assert.rejects(store(ctx, [openFrom(a), dataF(frag), commitF(commitOf(b))]), /data before open, or in a store from another write/);
    // cc[0] of `other` is not the held fragment's.
    await refused(store(ctx, [openFrom(a), commitF(commitOf(other))]), 409, 'store-rejected', /fragment does not match/);
    assert.equal(histCount(ctx), 1);
  });
});
