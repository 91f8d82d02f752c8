// handleStore under fault modes (false-missing: a completing store's parts
// claimed missing, then their heals never answered; another mode: the
// store path unchanged), and a stream cut inside a frame after the commit
// frame. Aimed at store-handler.ts's surviving mutants (lines 106, 118, 134).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen, MISSING_PARTS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { Faults, type FaultMode } from '../faults.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { handleStore } from './store-handler.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;
let op = 0;

const partRef = { ns: 'b', key: 'part' };
const objRef = { ns: 'b', key: 'obj' };

function writeFor(r: { ns: string; key: string }, frag: Buffer): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, regId(r.ns, r.key), null, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

function commitOf(w: PreparedWrite, parts?: StoreCommit['parts']): StoreCommit {
  return { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta, ...(parts ? { parts } : {}) };
}

function storeFrames(r: { ns: string; key: string }, frag: Buffer, w: PreparedWrite, parts?: StoreCommit['parts']): Buffer[] {
  return [frame(FRAME_OPEN, encodeOpen(r, BLOCK, { hash: 'sha256' })), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit(commitOf(w, parts)))];
}

function withFaults(...modes: FaultMode[]): NodeContext {
  return { ...nodes.node(0), faults: new Faults(new Set(modes), 0, params.S, params.t) };
}

/** Stores a part, then returns what a store of an object made of it needs. */
async function partStored(ctx: NodeContext): Promise<{ parts: StoreCommit['parts']; frag: Buffer; w: PreparedWrite }> {
  const part = randomBytes(100);
  const pw = writeFor(partRef, part);
  await handleStore(ctx, storeFrames(partRef, part, pw));
  assert.ok(ctx.store.hist(regId(partRef.ns, partRef.key), pw.candidate.ts));
  const frag = randomBytes(100);
  return { parts: [{ ...partRef, ts: pw.candidate.ts }], frag, w: writeFor(objRef, frag) };
}

describe('handleStore: fault modes', () => {
  it('false-missing: every part of a completing store is claimed missing, and a later store of that part is never answered', async () => {
    const ctx = withFaults('false-missing');
    const { parts, frag, w } = await partStored(ctx);
    await assert.rejects(handleStore(ctx, storeFrames(objRef, frag, w, parts)),
      (e: unknown) => e instanceof NodeRequestError && e.status === 409 && e.code === MISSING_PARTS && e.message === '[0]');
    assert.equal(ctx.store.hist(regId(objRef.ns, objRef.key), w.candidate.ts), undefined);
    // The heal of the claimed part: read no further, never answered.
    const heal = randomBytes(100);
    let settled = false;
    void handleStore(ctx, storeFrames(partRef, heal, writeFor(partRef, heal))).finally(() => { settled = true; });
    await sleep(300);
    assert.equal(settled, false);
  });

  it('another fault mode leaves stores alone: a store made of held parts is recorded', async () => {
    const ctx = withFaults('slow');
    const { parts, frag, w } = await partStored(ctx);
    await handleStore(ctx, storeFrames(objRef, frag, w, parts));
    assert.ok(ctx.store.hist(regId(objRef.ns, objRef.key), w.candidate.ts));
  });
});

describe('handleStore: a stream cut inside a frame after the commit frame', () => {
  it('is refused as ended before the store message; nothing recorded', async () => {
    const ctx = nodes.node(0);
    const frag = randomBytes(100);
    const w = writeFor(objRef, frag);
    const cut = frameHeader(FRAME_DATA, 10).subarray(0, 2);
    await assert.rejects(handleStore(ctx, [...storeFrames(objRef, frag, w), cut]),
      { name: 'FrameError', message: 'stream ended before the store message' });
    assert.equal(ctx.store.counts().histEntries, 0);
  });
});
