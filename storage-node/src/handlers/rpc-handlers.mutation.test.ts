// The JSON rounds' edges the other handler tests do not reach (mutation
// testing, issue 14): complete ends the write's lease and schedules garbage
// collection exactly once; collect pins only a string read id, cut to 64
// characters, also on a register with no lc; filter sends a fragment of
// exactly MAX_FILTER_FRAGMENT bytes along but not one byte more; list
// skips past a marker's prefix without going below the listed prefix, and
// lists a key whose lc this node holds no entry for; a request that is not
// a JSON object is refused as such.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import {
  encodeCommit, encodeCompleteReq, encodeFilterReq, encodeOpen, encodePinReq, encodeRefBody, encodeReleasesReq,
  MAX_FILTER_FRAGMENT, parseCandAnswer, parseFilterAnswer, parsePinAnswer, parseTsAnswer,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { GarbageCollector } from '../gc/gc.js';
import type { NodeContext } from '../node-context.js';
import { handleClock, handleCollect, handleComplete, handleFilter, handleList, handlePin } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';
import { WriteLeases } from '../store/write-leases.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;
const node = (o: { inlineMax?: number } = {}): NodeContext => nodes.node(0, o);

const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);
const regHex = reg.toString('hex');
const json = (b: Buffer) => JSON.parse(b.toString()) as unknown;
let op = 0;

function writeFor(frag: Buffer, prev: PreparedWrite | null = null, r = ref): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, regId(r.ns, r.key), prev?.candidate.ts ?? null, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

async function store(ctx: NodeContext, frag: Buffer, w: PreparedWrite, r = ref): Promise<void> {
  const c = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta };
  await handleStore(ctx, [frame(FRAME_OPEN, encodeOpen(r, BLOCK, { hash: 'sha256' })), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit(c))]);
}

/** A collector that only records what it was asked to look at. */
function recordingGc(): { gc: GarbageCollector; scheduled: string[] } {
  const scheduled: string[] = [];
  return { gc: { schedule: (r: Buffer) => scheduled.push(r.toString('hex')) } as unknown as GarbageCollector, scheduled };
}

describe('handleComplete: the write lease and garbage collection', () => {
  it('a valid newer candidate: lc raised, lease released, collection scheduled once', async () => {
    const { gc, scheduled } = recordingGc();
    const leases = new WriteLeases();
    const ctx: NodeContext = { ...node(), gc, leases };
    const frag = randomBytes(100);
    const a = writeFor(frag);
    await store(ctx, frag, a);
    assert.equal(leases.covers(regHex, a.candidate.ts), true, 'the accepted store holds a lease');
    const ans = await handleComplete(ctx, json(encodeCompleteReq(ref, a.candidate)));
    assert.deepEqual(parseTsAnswer(json(ans)), a.candidate.ts);
    assert.equal(leases.covers(regHex, a.candidate.ts), false, 'complete ended the lease');
    assert.deepEqual(scheduled, [regHex]);
  });

  it('a candidate that does not raise lc: lease released all the same, collection scheduled once', async () => {
    const { gc, scheduled } = recordingGc();
    const leases = new WriteLeases();
    const ctx: NodeContext = { ...node(), gc, leases };
    const frag = randomBytes(100);
    const a = writeFor(frag);
    const b = writeFor(randomBytes(10), a);
    await handleComplete(ctx, json(encodeCompleteReq(ref, b.candidate)));
    scheduled.length = 0;
    await store(ctx, frag, a);
    assert.equal(leases.covers(regHex, a.candidate.ts), true);
    const ans = await handleComplete(ctx, json(encodeCompleteReq(ref, a.candidate))); // older than lc = b
    assert.deepEqual(parseTsAnswer(json(ans)), b.candidate.ts);
    assert.equal(leases.covers(regHex, a.candidate.ts), false);
    assert.deepEqual(scheduled, [regHex]);
  });
});

describe('handleCollect / handleFilter: pins', () => {
  it('collect on a register with no lc pins from the bottom; the read id is cut to 64 characters', async () => {
    const pins = new PinTable();
    const ctx: NodeContext = { ...node(), pins };
    const long = 'r'.repeat(100);
    const lc = parseCandAnswer(json(await handleCollect(ctx, json(encodeRefBody(ref, { readId: long })))), params.S);
    assert.equal(lc, null);
    const w = writeFor(randomBytes(10));
    assert.equal(pins.covers(regHex, w.candidate.ts), true, 'pinned from the bottom');
    const renew = async (readId: string) => parsePinAnswer(json(await handlePin(ctx, json(encodePinReq({ ref, readId, action: 'renew', ts: null })))));
    assert.equal(await renew(long.slice(0, 64)), true);
  });

  it('collect without a read id (or with a non-string one) pins nothing', async () => {
    const pins = new PinTable();
    const ctx: NodeContext = { ...node(), pins };
    await handleCollect(ctx, json(encodeRefBody(ref)));
    await handleCollect(ctx, { ...ref, readId: 7 });
    assert.equal(pins.covers(regHex, writeFor(randomBytes(10)).candidate.ts), false);
  });

  /** A node with a pin table, holding one stored write `a`. */
  async function pinningNodeWithWrite(): Promise<{ pins: PinTable; ctx: NodeContext; a: PreparedWrite }> {
    const pins = new PinTable();
    const ctx: NodeContext = { ...node(), pins };
    const frag = randomBytes(100);
    const a = writeFor(frag);
    await store(ctx, frag, a);
    return { pins, ctx, a };
  }

  it('filter on a register with no lc pins the read from the bottom', async () => {
    const { pins, ctx, a } = await pinningNodeWithWrite();
    const ans = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [a.candidate])))), params.S);
    assert.deepEqual(ans.ts, a.candidate.ts);
    assert.equal(pins.covers(regHex, writeFor(randomBytes(10)).candidate.ts), true, 'pinned from the bottom');
  });

  // DESIGN §6, protocol review findings 9 and 12: every filter answer names
  // the node's pin; a filter naming a pin the node lost (a restart: a new
  // table) or a straggler after release is told `lapsed` and pins nothing.
  it('filter answers carry the pin id; a lost or released pin is reported lapsed and never made afresh', async () => {
    const { pins, ctx, a } = await pinningNodeWithWrite();
    const filter = async (c: NodeContext, readId: string, pin?: string) =>
      parseFilterAnswer(json(await handleFilter(c, json(encodeFilterReq(ref, readId, [a.candidate], pin)))), params.S);
    const first = await filter(ctx, 'r');
    assert.equal(typeof first.pin, 'string');
    assert.equal((await filter(ctx, 'r', first.pin)).pin, first.pin, 'the same pin answers again');
    const restarted: NodeContext = { ...ctx, pins: new PinTable() };
    assert.deepEqual(await filter(restarted, 'r', first.pin), { ts: null, lapsed: true });
    assert.equal(restarted.pins!.size, 0, 'no fresh pin for a forgotten read');
    await handlePin(ctx, json(encodePinReq({ ref, readId: 'r', action: 'release', ts: null })));
    assert.deepEqual(await filter(ctx, 'r', first.pin), { ts: null, lapsed: true });
    assert.deepEqual(await filter(ctx, 'r'), { ts: null, lapsed: true }, 'a straggler without a pin id');
    assert.equal(pins.size, 0);
  });

  // The gateway's gathered releases (gateway/src/nodes/pin-releases.ts): one
  // message ends every read it names, and one malformed entry ends none.
  it('one pin message releases many reads; a malformed one releases none', async () => {
    const { pins, ctx, a } = await pinningNodeWithWrite();
    const filter = async (readId: string) =>
      parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, readId, [a.candidate])))), params.S);
    for (const id of ['r1', 'r2', 'r3']) await filter(id);
    assert.equal(pins.size, 3);
    const bad = { ...json(encodeReleasesReq([{ ref, readId: 'r1' }, { ref, readId: 'r2' }])) as Record<string, unknown> };
    (bad.reads as unknown[]).push({ ns: 7 });
    await assert.rejects(handlePin(ctx, bad), WireError);
    assert.equal(pins.size, 3, 'nothing released');
    assert.deepEqual(json(await handlePin(ctx, json(encodeReleasesReq([{ ref, readId: 'r1' }, { ref, readId: 'r3' }])))), { ok: true });
    assert.equal(pins.size, 1);
    assert.deepEqual(await filter('r1'), { ts: null, lapsed: true }, 'a straggler of a released read pins nothing');
    assert.equal((await filter('r2')).lapsed, undefined, 'the read not named keeps its pin');
  });
});

describe('handleFilter: the fragment sent along', () => {
  for (const [len, sent] of [[MAX_FILTER_FRAGMENT, true], [MAX_FILTER_FRAGMENT + 1, false]] as const) {
    it(`${len} bytes held inline: ${sent ? 'sent' : 'not sent'}`, async () => {
      const ctx = node({ inlineMax: 2 * MAX_FILTER_FRAGMENT });
      const frag = randomBytes(len);
      const a = writeFor(frag);
      await store(ctx, frag, a);
      assert.ok(ctx.store.hist(reg, a.candidate.ts)?.fragInline);
      const ans = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [a.candidate])))), params.S);
      assert.deepEqual(ans.ts, a.candidate.ts);
      assert.deepEqual(sha256(ans.blocks!), a.cc[0]);
      assert.deepEqual(ans.fragment, sent ? frag : undefined);
    });
  }
});

describe('handleList: edges', () => {
  const list = async (ctx: NodeContext, prefix: string, after: string | null, skipPrefix: boolean) =>
    parseListAnswer(await handleList(ctx, { ns: 'b', prefix, after, skipPrefix, limit: 10 }), params.S);

  it('skipping a marker\'s prefix that sorts below the listed prefix stays within the prefix', async () => {
    const ctx = node();
    for (const key of ['b', 'b.x', 'b/1']) {
      const frag = randomBytes(10);
      const w = writeFor(frag, null, { ns: 'b', key });
      await store(ctx, frag, w, { ns: 'b', key });
      await handleComplete(ctx, json(encodeCompleteReq({ ns: 'b', key }, w.candidate)));
    }
    assert.deepEqual((await list(ctx, 'b/', 'a', true)).entries.map((e) => e.key), ['b/1']);
    assert.deepEqual((await list(ctx, 'b', null, true)).entries.map((e) => e.key), ['b', 'b.x', 'b/1']);
  });

  it('a key whose lc this node holds no entry for is listed with lc only', async () => {
    const ctx = node();
    const w = writeFor(randomBytes(10));
    await handleComplete(ctx, json(encodeCompleteReq(ref, w.candidate)));
    const page = await list(ctx, '', null, false);
    assert.equal(page.entries.length, 1);
    assert.equal(page.entries[0]!.key, 'k');
    assert.deepEqual(page.entries[0]!.lc?.ts, w.candidate.ts);
    assert.equal(page.entries[0]!.cc, undefined);
    assert.equal(page.entries[0]!.meta, undefined);
  });
});

describe('request bodies that are not JSON objects', () => {
  it('clock and collect refuse them as not an object', async () => {
    const ctx = node();
    for (const body of [null, [], 'k', 3]) {
      await assert.rejects(handleClock(ctx, body), { name: 'WireError', message: 'not an object' });
      await assert.rejects(handleCollect(ctx, body), { name: 'WireError', message: 'not an object' });
    }
  });
});
