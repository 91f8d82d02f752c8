// Write = clock, store, complete (paper Algorithm 4, DESIGN §5); store and
// complete when a clock hint or a guess saves the clock round (DESIGN §7). Fragments
// stream to the nodes as the body arrives; the store message follows once
// the body has ended and verified; the S3 request succeeds only after q
// nodes acked complete. Nothing becomes visible before complete: until then
// the nonce is unrevealed and the history entry can never become valid.

import { regId } from '@powerstore/shared/protocol/register.js';
import type { NodeApi, RegRef, StoreAck } from '@powerstore/shared/node-api.js';
import { pickClock, prepareWrite } from '@powerstore/shared/protocol/client.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import type { PartRef, StoreCommit } from '@powerstore/shared/protocol/server.js';
import { NodeRefusedError, QuorumError, UnknownEpochError } from '@powerstore/shared/errors.js';
import { isUnknownEpoch } from '@powerstore/shared/protocol/candidate.js';
import { MISSING_FRAGMENT, MISSING_PARTS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { compareTs, verifyTag, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { listHash } from '@powerstore/shared/erasure/block-hash.js';
import { parseTs, tsToWire, WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { rebuildInto } from './heal.js';
import type { OpKind, ProtocolContext } from './context.js';
import { guessWouldHold } from './clock-guess.js';
import { FragmentEncoder, type EncodedObject } from './stripes/fragment-encoder.js';
import { quorumCall } from './quorum.js';
import { withDeadline } from '@powerstore/shared/deadline.js';

export interface WriteSource {
  readonly body: AsyncIterable<Buffer>;
  /** The body's size as the client declared it, if it did: sizes the first stripe buffer (FragmentEncoder). */
  readonly declaredSize?: number;
  /**
   * Called once the body has ended (and, in the body layer, verified):
   * returns the metadata bytes to commit. Throwing aborts the write.
   */
  finalize(size: number, blockSize: number): Promise<Buffer> | Buffer;
  /** Writes this value is made of (multipart parts); nodes ack only once they hold them all. */
  readonly parts?: readonly PartRef[];
  /** Gives node `node` its fragment of part `index` (rebuilt from others). */
  healPart?(index: number, node: number, signal: AbortSignal): Promise<void>;
}

export interface WriteResult {
  readonly candidate: Candidate;
  readonly size: number;
  readonly meta: Buffer;
}

export async function writeRegister(
  ctx: ProtocolContext,
  ref: RegRef,
  src: WriteSource,
  op: OpKind,
  signal: AbortSignal,
): Promise<WriteResult> {
  try {
    const r = await write(ctx, ref, src, op, signal);
    ctx.observer.operation(op, true);
    return r;
  } catch (e) {
    ctx.observer.operation(op, false);
    throw e;
  }
}

async function write(ctx: ProtocolContext, ref: RegRef, src: WriteSource, op: OpKind, signal: AbortSignal): Promise<WriteResult> {
  // t+1 nodes hold a key epoch this gateway lacks: a write under an older
  // epoch may be ordered below writes it cannot see (review finding 1).
  const behind = ctx.epochs?.behind() ?? null;
  if (behind !== null) throw new UnknownEpochError(behind, 'write');
  const encoder = new FragmentEncoder(ctx.params, ctx.coder, ctx.stripes, ctx.blockHash, (i, hash) => ctx.nodes[i]!.openStore(ref, ctx.blockSize, hash, signal),
    ctx.maxPendingBytes, (node, why) => ctx.observer.nodeTrouble(node, 'store stream', new Error(why)), src.declaredSize);
  let encoded;
  try {
    for await (const chunk of src.body) await encoder.push(chunk);
    encoded = await encoder.finish();
  } catch (err) {
    encoder.abort();
    throw err;
  }
  try {
    return await storeEncoded(ctx, ref, src, op, signal, encoded);
  } catch (err) {
    if (encoded.kind === 'streamed') encoder.abort();
    throw err;
  } finally {
    // Sends still running hold the stripe on their own (stripe-pool.ts).
    if (encoded.kind === 'whole') encoded.lease?.release();
  }
}

/** Everything after the body was encoded: store (after clock, unless a hint saves it), then complete. */
async function storeEncoded(
  ctx: ProtocolContext, ref: RegRef, src: WriteSource, op: OpKind, signal: AbortSignal, encoded: EncodedObject,
): Promise<WriteResult> {
  const reg = regId(ref.ns, ref.key);
  const { params } = ctx;
  const meta = await src.finalize(encoded.size, ctx.blockSize);

  // A clock hint saves the clock round (DESIGN §7), and so does a guess that
  // the register is empty (clock-guess.ts); otherwise, clock.
  const hint = await usableHint(ctx, reg);
  const guess = hint === null && ctx.guess?.shouldGuess() === true;
  const after = hint ?? (guess ? null : await clockOnMiss(ctx, ref, reg, op, signal));
  const cc = encoded.blockLists.map((l) => listHash(encoded.hash, l));
  const parts = src.parts ? { parts: src.parts } : {};
  let w = prepareWrite(ctx.keys, params, reg, after, ctx.writerId, ctx.nextOp(), cc, meta);
  let commit: StoreCommit = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta, ...parts };

  ctx.observer.round(op, 'store');
  let acks: Map<number, StoreAck>;
  if (src.parts && encoded.kind === 'whole') acks = await storeWithParts(ctx, ref, encoded, commit, src, op, signal);
  else acks = await storeRound(ctx, ref, encoded, commit, signal);

  const stale = (hint !== null || guess) && staleHint(ctx, reg, acks, commit.ts);
  if (guess) {
    ctx.guess?.record(!stale);
    ctx.observer.clockGuess?.(!stale);
  }
  if (stale) {
    // The hint (or guess) was stale: some node's lc is at or past our ts. Run clock and
    // store again under a new ts, with a new nonce, D and vec; the first ts's
    // nonce is never revealed, so that history entry can never become valid.
    const first = commit.ts;
    const fresh = await clockRound(ctx, ref, reg, op, signal);
    w = prepareWrite(ctx.keys, params, reg, fresh, ctx.writerId, ctx.nextOp(), cc, meta);
    commit = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta, ...parts };
    ctx.observer.round(op, 'store');
    await storeAgain(ctx, ref, encoded, first, acks, commit, signal);
  }

  await completeRound(ctx, ref, reg, w.candidate, op, signal);
  return { candidate: w.candidate, size: encoded.size, meta };
}

type WholeObject = Extract<EncodedObject, { kind: 'whole' }>;

/** Node n's store of its whole fragment; a pooled stripe stays lent until it resolves. */
function sendWhole(ctx: ProtocolContext, n: NodeApi, ref: RegRef, encoded: WholeObject, commit: StoreCommit, signal: AbortSignal): Promise<StoreAck> {
  const sent = n.storeWhole(ref, ctx.blockSize, encoded.hash, encoded.fragments[n.index]!, commit, signal);
  return encoded.lease ? encoded.lease.track(sent) : sent;
}

/** complete: q nodes whose lc is now at or past the write; then the write's ts is the register's clock hint. */
export async function completeRound(ctx: ProtocolContext, ref: RegRef, reg: Buffer, c: Candidate, op: OpKind, signal: AbortSignal): Promise<void> {
  ctx.observer.round(op, 'complete');
  await quorumCall(ctx.nodes, (n, sig) => n.complete(ref, c, sig), {
    need: ctx.params.q,
    timeoutMs: ctx.timeouts.rpcMs,
    what: 'complete',
    // An ack counts only if the node's lc is now at or past this write: a
    // node that could not apply it (it lacked a key epoch, say) must fail
    // the write, not pass it off as complete (protocol review finding 12).
    accept: (_n, lc) => lc !== null && compareTs(lc, c.ts) >= 0,
    signal,
    onError: (n, e) => reportError(ctx, n, 'complete', e),
  });
  ctx.hints?.put(reg.toString('hex'), tsToWire(c.ts));
}

/** clock for a write that had no hint; what it found tells whether a guess would have held. */
async function clockOnMiss(ctx: ProtocolContext, ref: RegRef, reg: Buffer, op: OpKind, signal: AbortSignal): Promise<Timestamp | null> {
  const highest = await clockRound(ctx, ref, reg, op, signal);
  ctx.guess?.record(guessWouldHold(highest, ctx.writerId));
  return highest;
}

/** The register's clock hint if there is one and its tag verifies (a bad one is evidence of nothing: Redis is not a node). */
async function usableHint(ctx: ProtocolContext, reg: Buffer): Promise<Timestamp | null> {
  if (!ctx.hints) return null;
  const wire = await ctx.hints.get(reg.toString('hex'));
  if (!wire) return null;
  try {
    const ts = parseTs(wire);
    if (verifyTag(ctx.keys, reg, ts)) return ts;
  } catch {
    /* malformed: ignored */
  }
  ctx.observer.badHint?.();
  return null;
}

/**
 * Whether any counted store ack reports an lc at or past our ts (with a
 * valid tag: a forged report is ignored and counted as evidence).
 */
function staleHint(ctx: ProtocolContext, reg: Buffer, acks: ReadonlyMap<number, StoreAck>, ts: Timestamp): boolean {
  let stale = false;
  for (const [node, a] of acks) {
    if (!a.lc || compareTs(a.lc, ts) < 0) continue;
    // An lc of a key epoch this gateway cannot judge is no evidence; taken
    // as stale, the clock round that follows fails closed on it.
    if (verifyTag(ctx.keys, reg, a.lc) || isUnknownEpoch(ctx.keys, a.lc.epoch)) stale = true;
    else ctx.observer.evidence({ node, kind: 'forged-ts', detail: 'store ack reported a forged lc' });
  }
  return stale;
}

/**
 * The second store of a write whose clock hint was stale: nodes holding the
 * first store's fragment store the new ts from it (no data sent again);
 * small objects are simply sent again; nodes lacking a large fragment get it
 * rebuilt from k others. q acks, as any store.
 */
async function storeAgain(
  ctx: ProtocolContext, ref: RegRef, encoded: EncodedObject, first: Timestamp, firstAcks: ReadonlyMap<number, StoreAck>,
  commit: StoreCommit, signal: AbortSignal,
): Promise<void> {
  const layout = { size: encoded.size, k: ctx.params.k, blockSize: ctx.blockSize };
  const source = { ref, ts: first, cc: commit.cc, layout };
  const sendOrRebuild = async (n: NodeApi, sig: AbortSignal): Promise<StoreAck> => {
    if (encoded.kind === 'whole') return sendWhole(ctx, n, ref, encoded, commit, sig);
    await rebuildInto(ctx, source, n.index, commit, sig);
    return { lc: null };
  };
  await quorumCall(ctx.nodes, async (n, sig) => {
    if (!firstAcks.has(n.index)) return sendOrRebuild(n, sig);
    try {
      return await n.storeFrom(ref, ctx.blockSize, first, commit, sig);
    } catch (e) {
      // The node no longer holds the first store (it restarted, and its write
      // leases with it, and collected the entry): it gets the fragment anyway.
      if (e instanceof NodeRefusedError && e.code === MISSING_FRAGMENT) return sendOrRebuild(n, sig);
      throw e;
    }
  }, {
    need: ctx.params.q, timeoutMs: ctx.timeouts.rpcMs, what: 'store again', signal,
    onError: (n, e) => reportError(ctx, n, 'store again', e),
  });
}

/** store: the store message (with the whole fragment for small objects) to every live node; q durable acks. */
async function storeRound(ctx: ProtocolContext, ref: RegRef, encoded: EncodedObject, commit: StoreCommit, signal: AbortSignal): Promise<Map<number, StoreAck>> {
  const opts = { need: ctx.params.q, timeoutMs: ctx.timeouts.rpcMs, what: 'store', signal, onError: (n: number, e: unknown) => reportError(ctx, n, 'store', e) };
  if (encoded.kind === 'whole') {
    return quorumCall(ctx.nodes, (n, sig) => sendWhole(ctx, n, ref, encoded, commit, sig), opts);
  }
  const live = encoded.sessions.flatMap((s, i) => (s ? [{ index: i, s }] : []));
  return quorumCall(live, ({ s }) => s.commit(commit), opts).catch((err: unknown) => {
    for (const { s } of live) s.abort();
    throw err;
  });
}

/**
 * The store round of a value made of parts: nodes that refuse because they
 * lack some parts get those parts healed (rebuilt from k others: every part
 * a client was acked for has t+1 correct holders), then the store is retried.
 */
async function storeWithParts(
  ctx: ProtocolContext, ref: RegRef, encoded: WholeObject, commit: StoreCommit, src: WriteSource, op: OpKind, signal: AbortSignal,
): Promise<Map<number, StoreAck>> {
  for (let attempt = 0; ; attempt++) {
    const missing = new Map<number, number[]>();
    const failed = new Set<number>();
    try {
      return await quorumCall(ctx.nodes, (n, sig) => sendWhole(ctx, n, ref, encoded, commit, sig), {
        need: ctx.params.q, timeoutMs: ctx.timeouts.rpcMs, what: 'store', signal,
        onError: (n, e) => {
          if (e instanceof NodeRefusedError && e.code === MISSING_PARTS) missing.set(n, parseMissing(e.detail, commit.parts!.length));
          else {
            failed.add(n);
            reportError(ctx, n, 'store', e);
          }
        },
      });
    } catch (e) {
      if (!(e instanceof QuorumError) || missing.size === 0 || attempt >= 2 || !src.healPart) throw e;
    }
    // The round fails as soon as a quorum is out of reach, often before the
    // nodes that hold every part have answered: count those as acks to come.
    const willAck = ctx.nodes.length - missing.size - failed.size;
    await healEnough(ctx, missing, Math.max(1, ctx.params.q - willAck), src.healPart, signal);
    ctx.observer.round(op, 'store');
  }
}

/** How long a heal left behind (its node stalled it) may go on in the background. */
const HEAL_LEFT_BEHIND_MS = 10 * 60_000;

/**
 * Heals every node that reported missing parts, all at once and each on its
 * own (protocol review finding 4), and returns as soon as `enough` of them
 * are healed (a store quorum is then possible) or all have settled: a node
 * that claims missing parts and never takes its heal stream cannot hold the
 * completion. Heals left behind go on (a slow correct node still ends up
 * whole) until HEAL_LEFT_BEHIND_MS or the caller's abort.
 */
function healEnough(
  ctx: ProtocolContext, missing: ReadonlyMap<number, readonly number[]>, enough: number,
  healPart: NonNullable<WriteSource['healPart']>, signal: AbortSignal,
): Promise<void> {
  if (missing.size === 0) return Promise.resolve();
  let healed = 0;
  let settled = 0;
  return new Promise((resolve) => {
    for (const [node, indexes] of missing) {
      const own = withDeadline(signal, HEAL_LEFT_BEHIND_MS);
      (async () => {
        for (const i of indexes) await healPart(i, node, own.signal);
      })().finally(() => own.release()).then(
        () => healed++,
        (e: unknown) => reportError(ctx, node, 'heal', e),
      ).finally(() => {
        settled++;
        if (healed >= enough || settled === missing.size) resolve();
      });
    }
  });
}

function parseMissing(detail: string, parts: number): number[] {
  try {
    const list = JSON.parse(detail) as unknown;
    if (Array.isArray(list)) return list.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < parts);
  } catch {
    /* a node that cannot say what it lacks gets nothing healed */
  }
  return [];
}

/**
 * clock: q answers, highest validly tagged ts (forged tags are evidence). An
 * answer of a key epoch newer than the ring is judged again once the ring is
 * fetched and the nodes asked (EpochCheck.recheck); if still unknown, the
 * write fails closed (UnknownEpochError), never ordered below it.
 */
export async function clockRound(ctx: ProtocolContext, ref: RegRef, reg: Buffer, op: OpKind, signal: AbortSignal): Promise<Timestamp | null> {
  ctx.observer.round(op, 'clock');
  const answers = await quorumCall(ctx.nodes, (n, sig) => n.clock(ref, sig), {
    need: ctx.params.q,
    timeoutMs: ctx.timeouts.rpcMs,
    what: 'clock',
    signal,
    onError: (n, e) => reportError(ctx, n, 'clock', e),
    // Late answers no longer matter for the ts, but a forged one is still evidence.
    onLate: (n, ts) => pickClock(ctx.keys, reg, new Map([[n, ts]])).evidence.forEach((e) => ctx.observer.evidence(e)),
  });
  let clock = pickClock(ctx.keys, reg, answers);
  if (clock.unknownEpoch !== null) {
    clock = pickClock(ctx.keys, reg, answers, await ctx.epochs?.recheck() ?? Infinity);
    if (clock.unknownEpoch !== null) throw new UnknownEpochError(clock.unknownEpoch, 'clock');
  }
  const { highest, evidence } = clock;
  for (const e of evidence) ctx.observer.evidence(e);
  if (highest) ctx.hints?.put(reg.toString('hex'), tsToWire(highest));
  return highest;
}

/** A node's failed call: a malformed answer is evidence, anything else is lag. */
export function reportError(ctx: ProtocolContext, node: number, what: string, err: unknown): void {
  if (err instanceof WireError) ctx.observer.evidence({ node, kind: 'malformed', detail: `${what}: ${err.message}` });
  else ctx.observer.nodeTrouble(node, what, err);
}
