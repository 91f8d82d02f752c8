// Read pins set by filter and pin requests: only an entry the node answers
// with (not a GONE answer, not "nothing valid") is pinned, and a renew only
// extends the lease (it never narrows the pin to one write, whatever ts the
// request carries). Aimed at rpc-handlers.ts's surviving mutants (lines 79, 166).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import {
  encodeCommit, encodeCompleteReq, encodeFilterReq, encodeOpen, encodePinReq, encodeRefBody, parseFilterAnswer, parsePinAnswer,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { NodeContext } from '../node-context.js';
import { handleCollect, handleComplete, handleFilter, handlePin } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;
let op = 0;
const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);
const regHex = reg.toString('hex');
const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

function writeFor(frag: Buffer, after: Timestamp | null = null): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, reg, after, 'aaaaaaaaaaaaaaaa', ++op, cc, Buffer.from('{"m":1}'));
}

/** A node holding write a, with lc = b (b not held), and a pin table. */
async function nodeAtB(): Promise<{ ctx: NodeContext; pins: PinTable; a: PreparedWrite; b: PreparedWrite }> {
  const pins = new PinTable(() => 0, 1000);
  const ctx: NodeContext = { ...nodes.node(0), pins };
  const frag = randomBytes(10);
  const a = writeFor(frag);
  const b = writeFor(randomBytes(10), a.candidate.ts);
  await handleStore(ctx, [frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { hash: 'sha256' })), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit({
    ts: a.candidate.ts, nbar: a.nbar, d: a.candidate.d, vec: a.candidate.vec, cc: a.cc, meta: a.meta,
  }))]);
  await handleComplete(ctx, json(encodeCompleteReq(ref, b.candidate)));
  return { ctx, pins, a, b };
}

describe('read pins: what filter pins, what renew does', () => {
  it('a GONE answer pins nothing; a filter with no valid candidate pins nothing and answers ts null', async () => {
    const { ctx, pins, b } = await nodeAtB();
    await handleCollect(ctx, json(encodeRefBody(ref, { readId: 'r' })));
    // Below the read's floor (b) and not held here: GONE.
    const old = writeFor(randomBytes(10));
    const gone = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [old.candidate])))), params.S);
    assert.ok(gone.gone);
    assert.equal(pins.covers(regHex, old.candidate.ts), false);
    // A candidate whose own MAC is wrong is not valid here: nothing answered, nothing pinned.
    const bad = writeFor(randomBytes(10), b.candidate.ts);
    const vec = [...bad.candidate.vec];
    vec[0] = Buffer.alloc(vec[0]!.length, 7);
    const none = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq(ref, 'r', [{ ...bad.candidate, vec }])))), params.S);
    // (Every filter answer names the read's pin, issued at its first contact: review finding 9.)
    const { pin, ...rest } = none as { pin?: string };
    assert.deepEqual(rest, { ts: null });
    assert.equal(typeof pin, 'string');
  });

  it('renew keeps the whole pin (newer writes stay covered) even when the request names a ts; narrow keeps only that write', async () => {
    const { ctx, pins, b } = await nodeAtB();
    await handleCollect(ctx, json(encodeRefBody(ref, { readId: 'r' })));
    const newer = writeFor(randomBytes(10), b.candidate.ts);
    assert.equal(pins.covers(regHex, newer.candidate.ts), true, 'pinned from b upward');
    const pin = async (action: 'renew' | 'narrow') =>
      parsePinAnswer(json(await handlePin(ctx, json(encodePinReq({ ref, readId: 'r', action, ts: b.candidate.ts })))));
    assert.equal(await pin('renew'), true);
    assert.equal(pins.covers(regHex, newer.candidate.ts), true, 'renew did not narrow');
    assert.equal(await pin('narrow'), true);
    assert.equal(pins.covers(regHex, newer.candidate.ts), false);
    assert.equal(pins.covers(regHex, b.candidate.ts), true);
  });
});
