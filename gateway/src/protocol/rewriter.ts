// A new write of a value the register already holds, under new metadata
// (object tagging: the same bytes, new tags). Clock, store, complete as any
// write (writer.ts, DESIGN §5), but the store sends no data: each node
// stores the new ts from the fragment it holds for the old one (storeFrom,
// the message a write stored again after a stale clock hint uses, DESIGN
// §7), checked against the same cc, so a node can only accept it with the
// very blocks the old write committed to. A node that lacks the old entry
// (it missed that write, or collected it) gets its fragment rebuilt from k
// others' verified copies, as in that path. The caller keeps the old
// write pinned (its read's pins) so that the entry stays meanwhile.

import type { RegRef, StoreAck } from '@powerstore/shared/node-api.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { MISSING_FRAGMENT } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { NodeRefusedError, UnknownEpochError } from '@powerstore/shared/errors.js';
import type { StripeLayout } from '@powerstore/shared/erasure/layout.js';
import type { OpKind, ProtocolContext } from './context.js';
import { rebuildInto } from './heal.js';
import { quorumCall } from './quorum.js';
import { clockRound, completeRound, reportError } from './writer.js';

/** The value written again: its write's ts and cross-checksum, and its stripe layout. */
export interface HeldValue {
  readonly ts: Timestamp;
  readonly cc: readonly Buffer[];
  readonly layout: StripeLayout;
}

/**
 * Writes `from`'s bytes again under the meta `finalize` returns (called
 * after the clock round, just before the store: throwing aborts the write,
 * nothing stored). Linearizable as any write.
 */
export async function rewriteRegister(
  ctx: ProtocolContext, ref: RegRef, from: HeldValue, finalize: () => Promise<Buffer>, op: OpKind, signal: AbortSignal,
): Promise<Candidate> {
  try {
    const c = await rewrite(ctx, ref, from, finalize, op, signal);
    ctx.observer.operation(op, true);
    return c;
  } catch (e) {
    ctx.observer.operation(op, false);
    throw e;
  }
}

async function rewrite(
  ctx: ProtocolContext, ref: RegRef, from: HeldValue, finalize: () => Promise<Buffer>, op: OpKind, signal: AbortSignal,
): Promise<Candidate> {
  // As writer.ts: a gateway behind on key epochs may not write (review finding 1).
  const behind = ctx.epochs?.behind() ?? null;
  if (behind !== null) throw new UnknownEpochError(behind, 'write');
  const reg = regId(ref.ns, ref.key);
  // Always a clock round (no hint): no data was sent, so a second store
  // after a stale hint would cost a round for nothing saved.
  const after = await clockRound(ctx, ref, reg, op, signal);
  const meta = await finalize();
  const cc = [...from.cc];
  const w = prepareWrite(ctx.keys, ctx.params, reg, after, ctx.writerId, ctx.nextOp(), cc, meta);
  const commit: StoreCommit = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta };
  const source = { ref, ts: from.ts, cc, layout: from.layout };
  ctx.observer.round(op, 'store');
  await quorumCall(ctx.nodes, async (n, sig): Promise<StoreAck> => {
    try {
      return await n.storeFrom(ref, from.layout.blockSize, from.ts, commit, sig);
    } catch (e) {
      if (!(e instanceof NodeRefusedError && e.code === MISSING_FRAGMENT)) throw e;
      await rebuildInto(ctx, source, n.index, commit, sig);
      return { lc: null };
    }
  }, {
    need: ctx.params.q, timeoutMs: ctx.timeouts.rpcMs, what: 'store from', signal,
    onError: (n, e) => reportError(ctx, n, 'store from', e),
  });
  await completeRound(ctx, ref, reg, w.candidate, op, signal);
  return w.candidate;
}
