// handleStore's second look inside the commit (record(): putHist decides
// again what can change between the checks and the commit): a part the
// collector dropped meanwhile, an identical store recorded first, a
// conflicting store recorded first. The races are replayed by a store whose
// hist() answers as it did before the other party committed. Also the
// reason label of a refused store from another write. Aimed at
// store-handler.ts's surviving mutants (lines 179-185, 203-211).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen, MISSING_PARTS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { DiskStore } from '../store/disk-store.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { handleStore } from './store-handler.js';
import { frame, handlerFixture } from '../testing/node-contexts.js';

const { params, keyring, nodes } = handlerFixture();
const BLOCK = 64;
let op = 0;

const ref = { ns: 'b', key: 'obj' };
const reg = regId(ref.ns, ref.key);
const partRef = { ns: 'b', key: 'part' };
const partReg = regId(partRef.ns, partRef.key);

function writeFor(frag: Buffer, r = ref, o = ++op, after: Timestamp | null = null): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, regId(r.ns, r.key), after, 'aaaaaaaaaaaaaaaa', o, cc, Buffer.from('{"m":1}'));
}

function commitOf(w: PreparedWrite, parts?: StoreCommit['parts']): StoreCommit {
  return { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta, ...(parts ? { parts } : {}) };
}

const frames = (frag: Buffer, c: StoreCommit, r = ref): Buffer[] =>
  [frame(FRAME_OPEN, encodeOpen(r, BLOCK, { hash: 'sha256' })), frame(FRAME_DATA, frag), frame(FRAME_COMMIT, encodeCommit(c))];

/**
 * The same store, but the first hist() lookup of an entry `when` picks
 * answers `stale` (what the checks saw before a racing commit); later
 * lookups (record()'s, after putHist) see the store as it is.
 */
function racing(ctx: NodeContext, when: (reg: Buffer, ts: Timestamp) => boolean, stale: () => ReturnType<DiskStore['hist']>): NodeContext {
  const store = Object.create(ctx.store) as DiskStore;
  let first = true;
  store.hist = (r, ts) => {
    if (first && when(r, ts)) {
      first = false;
      return stale();
    }
    return ctx.store.hist(r, ts);
  };
  return { ...ctx, store };
}

async function metric(ctx: NodeContext, name: 'storedBytes' | 'rejectedStores'): Promise<[string | undefined, number][]> {
  return (await ctx.metrics[name].get()).values.map((v) => [v.labels.reason as string | undefined, v.value]);
}

describe('handleStore: what putHist decides again inside the commit', () => {
  it('a part dropped after the check: refused as missing, naming it; nothing recorded', async () => {
    const ctx = nodes.node(0);
    const part = writeFor(randomBytes(50), partRef);
    // The part was held when checked (a collection dropped it before the commit).
    const held = racing(ctx, (r) => r.equals(partReg), () => ({}) as ReturnType<DiskStore['hist']>);
    const frag = randomBytes(100);
    const w = writeFor(frag);
    await assert.rejects(handleStore(held, frames(frag, commitOf(w, [{ ...partRef, ts: part.candidate.ts }]))),
      (e: unknown) => e instanceof NodeRequestError && e.status === 409 && e.code === MISSING_PARTS && e.message === '[0]');
    assert.equal(ctx.store.hist(reg, w.candidate.ts), undefined);
    assert.equal(ctx.store.counts().histEntries, 0);
  });

  it('an identical store recorded first: acked as a duplicate, its bytes counted once', async () => {
    const ctx = nodes.node(0);
    const frag = randomBytes(100);
    const w = writeFor(frag);
    await handleStore(ctx, frames(frag, commitOf(w)));
    assert.deepEqual(await metric(ctx, 'storedBytes'), [[undefined, 100]]);
    // Checked before the first store committed: no entry seen yet.
    const late = racing(ctx, (r, ts) => r.equals(reg) && ts.op === w.candidate.ts.op, () => undefined);
    await handleStore(late, frames(frag, commitOf(w)));
    assert.deepEqual(await metric(ctx, 'storedBytes'), [[undefined, 100]]);
    assert.equal(ctx.store.counts().histEntries, 1);
    assert.deepEqual(await metric(ctx, 'rejectedStores'), []);
  });

  it('a conflicting store of the same ts recorded first: refused with its reason, the first entry kept', async () => {
    const ctx = nodes.node(0);
    const fragA = randomBytes(100);
    const a = writeFor(fragA);
    await handleStore(ctx, frames(fragA, commitOf(a)));
    // Another value under the same (num, writer, op): valid on its own.
    const fragB = randomBytes(100);
    const b = writeFor(fragB, ref, a.candidate.ts.op);
    assert.equal(b.candidate.ts.num, a.candidate.ts.num);
    const late = racing(ctx, (r, ts) => r.equals(reg) && ts.op === a.candidate.ts.op, () => undefined);
    await assert.rejects(handleStore(late, frames(fragB, commitOf(b))),
      (e: unknown) => e instanceof NodeRequestError && e.status === 409 && e.code === 'store-rejected');
    const rejected = await metric(ctx, 'rejectedStores');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]![1], 1);
    assert.ok(rejected[0]![0]);
    assert.deepEqual(ctx.store.hist(reg, a.candidate.ts)!.fragInline, fragA);
    assert.deepEqual(await metric(ctx, 'storedBytes'), [[undefined, 100]]);
  });
});

describe('handleStore from another write: a refusal counts its reason', () => {
  it('rejectedStores carries the reason of a store from another write that fails the checks', async () => {
    const ctx = nodes.node(0);
    const frag = randomBytes(100);
    const a = writeFor(frag);
    await handleStore(ctx, frames(frag, commitOf(a)));
    const other = writeFor(randomBytes(10));
    await assert.rejects(handleStore(ctx, [frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { from: a.candidate.ts })), frame(FRAME_COMMIT, encodeCommit(commitOf(other)))]),
      (e: unknown) => e instanceof NodeRequestError && e.code === 'store-rejected' && /fragment does not match/.test(e.message));
    const rejected = await metric(ctx, 'rejectedStores');
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]![0] ?? '', /fragment does not match/);
    assert.equal(rejected[0]![1], 1);
  });
});
