// Read = collect, filter (paper Algorithm 6 with the gateway normalisation of
// DESIGN §3 and §6): two rounds even under attack. No byte of the value goes
// to the S3 client before filter has finished: its write-back is what makes
// the value safe to show.

import { regId } from '../../../shared/src/protocol/register.js';
import type { RegRef } from '../../../shared/src/node-api.js';
import { ReadState, type FilterAnswer } from '../../../shared/src/protocol/client.js';
import type { StoredValue } from './restore.js';
import { normalise, type Candidate } from '../../../shared/src/protocol/candidate.js';
import { QuorumError } from '../../../shared/src/errors.js';
import { randomHex } from '../../../shared/src/random.js';
import type { OpKind, ProtocolContext } from './context.js';
import { quorumCall } from './quorum.js';
import { reportError } from './writer.js';

export interface ReadResult {
  readonly ref: RegRef;
  readonly c: Candidate;
  readonly cc: readonly Buffer[];
  readonly meta: Buffer;
  /** Holders proven so far; late filter answers keep adding to `state`. */
  readonly state: ReadState;
}

/** Returns the register's current value description, or null when it holds none. */
export async function readRegister(ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal): Promise<ReadResult | null> {
  // A read inside a listing is part of that list operation, counted there.
  if (op === 'list') return read(ctx, ref, op, signal);
  try {
    const r = await read(ctx, ref, op, signal);
    ctx.observer.operation(op, true);
    return r;
  } catch (e) {
    ctx.observer.operation(op, false);
    throw e;
  }
}

async function read(ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal): Promise<ReadResult | null> {
  const reg = regId(ref.ns, ref.key);
  const state = new ReadState(ctx.params, ctx.keys, reg);
  const readId = randomHex(12);
  const flush = (): void => {
    for (const e of state.evidence.splice(0)) ctx.observer.evidence(e);
  };

  ctx.observer.round(op, 'collect');
  await quorumCall(ctx.nodes, (n, sig) => n.collect(ref, readId, sig), {
    need: ctx.params.q,
    timeoutMs: ctx.timeouts.rpcMs,
    what: 'collect',
    signal,
    onAnswer: (node, lc) => state.addCollected(node, lc),
    onError: (n, e) => reportError(ctx, n, 'collect', e),
    // Too late for C, but a non-authentic candidate is still evidence.
    onLate: (node, lc) => {
      if (lc && !normalise(ctx.keys, ctx.params, reg, lc)) {
        ctx.observer.evidence({ node, kind: 'bad-mac', detail: 'collect answered a non-authentic candidate' });
      }
    },
  });
  flush();
  const C = state.candidates();
  // No authentic candidate among q answers: no write completed before this
  // read began (a completed write leaves t+1 correct nodes holding it), so
  // the register is empty and there is nothing to write back.
  if (C.length === 0) return null;

  ctx.observer.round(op, 'filter');
  const counted = new Set<number>();
  await quorumCall<(typeof ctx.nodes)[number], FilterAnswer>(ctx.nodes, (n, sig) => n.filter(ref, readId, C, sig), {
    need: ctx.params.q,
    timeoutMs: ctx.timeouts.rpcMs,
    what: 'filter',
    signal,
    onAnswer: (node, ans) => {
      const before = state.answered;
      state.addFilterAnswer(node, ans);
      if (state.answered > before) counted.add(node);
    },
    accept: (node) => counted.has(node),
    until: () => state.decision().kind !== 'wait',
    onLate: (node, ans) => state.addFilterAnswer(node, ans),
    onError: (n, e) => reportError(ctx, n, 'filter', e),
  }).catch((err: unknown) => {
    flush();
    throw err;
  });
  flush();
  const d = state.decision();
  if (d.kind === 'empty') return null;
  if (d.kind === 'wait') throw new QuorumError('filter', state.answered, ctx.params.q);
  return { ref, c: d.c, cc: d.cc, meta: d.meta, state };
}

/** The chosen value as restore reads it; holders proven by late filter answers count too. */
export function storedValue(r: ReadResult): StoredValue {
  return {
    ref: r.ref, ts: r.c.ts, cc: r.cc,
    proven: () => new Map(r.state.holdersOf(r.c).map((h) => [h.node, h.blocks])),
    fragments: () => new Map(r.state.holdersOf(r.c).flatMap((h) => (h.fragment ? [[h.node, h.fragment] as const] : []))),
  };
}
