// The last node-handler mutants of the full run (2026-12-05) a test can
// kill: blocks served under a fault mode (the range still cut right, the
// bytes passed through the fault), the content type of a blocks answer, and
// a store's answer naming this node's lc once it has one (plain store and
// store from another write), and a list past an empty marker's prefix.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeBlocksReq, encodeCommit, encodeCompleteReq, encodeOpen, parseTsAnswer } from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { handleBlocks } from './blocks-handler.js';
import { Faults } from '../faults.js';
import type { NodeContext } from '../node-context.js';
import { handleComplete, handleList } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';
import { Captured } from '../testing/captured-response.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;
let op = 0;
const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);
const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

function writeFor(frag: Buffer, after: Timestamp | null = null, cc?: readonly Buffer[]): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const all = cc ?? Array.from({ length: params.S }, (_, i) => (i === 0 ? sha256(h.finish()) : sha256(Buffer.from(`other ${i}`))));
  return prepareWrite(keyring, params, reg, after, 'aaaaaaaaaaaaaaaa', ++op, [...all], Buffer.from('{"m":1}'));
}
const commitF = (w: PreparedWrite) => frame(FRAME_COMMIT, encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta }));
const storeFrames = (frag: Buffer, w: PreparedWrite) => [frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { hash: 'sha256' })), frame(FRAME_DATA, frag), commitF(w)];

async function blocks(ctx: NodeContext, ts: Timestamp, from: number, to: number): Promise<Captured> {
  const res = new Captured();
  await handleBlocks(ctx, json(encodeBlocksReq({ ref, ts, from, to, withList: false })), res as unknown as ServerResponse);
  await new Promise((r) => (res.writableFinished ? r(null) : res.on('finish', r)));
  return res;
}

describe('handleBlocks under a fault mode', () => {
  for (const inlineMax of [1 << 16, 10]) {
    it(`corrupt, fragment ${inlineMax > 10 ? 'inline' : 'in a file'}: the asked range, its last bit flipped; octet-stream`, async () => {
      const ctx: NodeContext = { ...nodes.node(0, { inlineMax }), faults: new Faults(new Set(['corrupt']), 0, params.S, params.t) };
      const frag = randomBytes(BLOCK * 4);
      const w = writeFor(frag);
      await handleStore(ctx, storeFrames(frag, w));
      const res = await blocks(ctx, w.candidate.ts, 1, 2);
      const want = Buffer.from(frag.subarray(BLOCK, 3 * BLOCK));
      want[want.length - 1]! ^= 1;
      assert.deepEqual(Buffer.concat(res.chunks), want);
      assert.equal(res.headers['content-length'], 2 * BLOCK);
      assert.equal(res.headers['content-type'], 'application/octet-stream');
    });
  }
});

describe('a store answers with this node\'s lc', () => {
  it('plain store and store from another write, once lc is set', async () => {
    const ctx = nodes.node(0);
    const frag = randomBytes(100);
    const a = writeFor(frag);
    await handleStore(ctx, storeFrames(frag, a));
    await handleComplete(ctx, json(encodeCompleteReq(ref, a.candidate)));
    const b = writeFor(frag, a.candidate.ts);
    assert.deepEqual(parseTsAnswer(json(await handleStore(ctx, storeFrames(frag, b)))), a.candidate.ts);
    const c = writeFor(frag, b.candidate.ts, b.cc);
    const fromB = [frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { from: b.candidate.ts })), commitF(c)];
    assert.deepEqual(parseTsAnswer(json(await handleStore(ctx, fromB))), a.candidate.ts);
  });
});

describe('handleList: skipping the keys that start with an empty marker', () => {
  it('every key starts with "": nothing is past them, an empty page that is not truncated', async () => {
    const ctx = nodes.node(0);
    const frag = randomBytes(100);
    const a = writeFor(frag);
    await handleStore(ctx, storeFrames(frag, a));
    await handleComplete(ctx, json(encodeCompleteReq(ref, a.candidate)));
    const list = async (after: string | null) =>
      parseListAnswer(await handleList(ctx, { ns: ref.ns, prefix: '', after, skipPrefix: true, limit: 10 }), params.S);
    assert.equal((await list(null)).entries.length, 1);
    assert.deepEqual(await list(''), { entries: [], truncated: false });
  });
});
