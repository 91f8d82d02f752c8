// Read = collect, filter (paper Algorithm 6 with the gateway normalisation of
// DESIGN §3 and §6): two rounds even under attack. No byte of the value goes
// to the S3 client before filter has finished: its write-back is what makes
// the value safe to show.

import { regId } from '@powerstore/shared/protocol/register.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import { ReadState, type FilterAnswer, type Holder } from '@powerstore/shared/protocol/client.js';
import type { StoredValue } from './restore.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { QuorumError, UnknownEpochError } from '@powerstore/shared/errors.js';
import { randomHex } from '@powerstore/shared/random.js';
import { setMaxListeners } from 'node:events';
import type { PinAction } from '@powerstore/shared/node-api.js';
import { PIN_LEASE_MS } from '@powerstore/shared/protocol/pins.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { tsToWire } from '@powerstore/shared/protocol/wire/wire.js';
import { blockListBytes } from '../object-meta.js';
import type { OpKind, ProtocolContext } from './context.js';
import { quorumCall } from './quorum.js';
import { spareAfterGrace } from './ask-order.js';
import { weakenedRead } from './weakened-read.js';
import { reportError } from './writer.js';

export interface ReadResult {
  readonly ref: RegRef;
  /** The read's id: its pins at the nodes are named by it. */
  readonly readId: string;
  readonly c: Candidate;
  readonly cc: readonly Buffer[];
  readonly meta: Buffer;
  /** Holders proven so far; late filter answers keep adding to `state`. */
  readonly state: ReadState;
  /** The read's filter rounds, so that a later round can be run on the same state. */
  readonly rounds: RoundClock;
  /** The nodes this read's id was sent to: only they may hold its pins. */
  readonly contacted: ReadonlySet<number>;
}

/** Which filter round of a read is current: answers of earlier rounds are dropped. */
interface RoundClock {
  current: number;
}

/**
 * Returns the register's current value description, or null when it holds
 * none. The read's pins are released at once unless `hold` is set: then the
 * caller must call holdPins() (to stream the data) or releasePins().
 */
export async function readRegister(ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal, hold = false): Promise<ReadResult | null> {
  const r = await countedRead(ctx, ref, op, signal);
  if (r && !hold) releasePins(ctx, ref, r.readId, r.contacted);
  return r;
}

async function countedRead(ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal): Promise<ReadResult | null> {
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
  if (ctx.weakenedRead) {
    const r = await weakenedRead(ctx, ref, op, signal);
    if (r !== 'fallback') return r;
  }
  // The nodes pin the register at first contact (collect). A read that ends
  // with nothing to return, or fails (too few answers, the client gone),
  // lets go at once instead of after the pins' lease (review F12). A read
  // that cannot finish because nodes' pins lapsed starts again from collect
  // (DESIGN §6), under a new read id, at most MAX_RESTARTS times.
  for (let attempt = 0; ; attempt++) {
    const readId = randomHex(12);
    const contacted = new Set<number>();
    const state = new ReadState(ctx.params, ctx.keys, regId(ref.ns, ref.key), (meta) => blockListBytes(meta, ctx.params.k));
    const renewal = renewWhileRunning(ctx, ref, readId, state, contacted);
    try {
      const r = await rounds(ctx, ref, op, signal, readId, state, contacted);
      if (r === 'lapsed' && attempt < MAX_RESTARTS) {
        releasePins(ctx, ref, readId, contacted);
        continue;
      }
      if (r === 'lapsed') throw new QuorumError('filter (pins lapsed)', state.answered, ctx.params.q);
      if (!r) releasePins(ctx, ref, readId, contacted);
      return r;
    } catch (e) {
      releasePins(ctx, ref, readId, contacted);
      throw e;
    } finally {
      clearInterval(renewal);
    }
  }
}

/**
 * How often a read starts again from collect when nodes' pins lapsed under
 * it. A lapse needs a restart or a lease expiry at a correct node; a
 * Byzantine node that claims one can cost a read this many extra rounds.
 */
const MAX_RESTARTS = 2;

/**
 * Renews the read's pins while its rounds run (DESIGN §6): a read slower
 * than a lease (slow nodes, GONE reruns) keeps them, and a node that
 * answers that its pin lapsed leaves the read.
 */
function renewWhileRunning(ctx: ProtocolContext, ref: RegRef, readId: string, state: ReadState, contacted: ReadonlySet<number>): NodeJS.Timeout {
  const timer = setInterval(() => renewAll(ctx, ref, readId, state, contacted), PIN_LEASE_MS / 3);
  timer.unref();
  return timer;
}

async function rounds(
  ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal, readId: string, state: ReadState, contacted: Set<number>,
): Promise<ReadResult | null | 'lapsed'> {
  const flush = (): void => {
    for (const e of state.evidence.splice(0)) ctx.observer.evidence(e);
  };

  const lag = new LagWatch(ctx);
  ctx.observer.round(op, 'collect');
  await quorumCall(ctx.askOrder.preferred(ctx.nodes), (n, sig) => {
    contacted.add(n.index);
    return n.collect(ref, readId, sig);
  }, {
    need: ctx.params.q,
    timeoutMs: ctx.timeouts.rpcMs,
    what: 'collect',
    signal,
    spare: spareAfterGrace(ctx.askOrder, ctx.timeouts.rpcMs),
    onAnswer: (node, lc) => state.addCollected(node, lc),
    onError: (n, e) => {
      ctx.askOrder.demote(n);
      reportError(ctx, n, 'collect', e);
    },
    // Too late for C, but a non-authentic candidate is still evidence.
    onLate: (node, lc) => {
      state.noteCollected(node, lc);
      flush();
      lag.answered(node, state);
    },
  });
  flush();
  await settleEpochs(ctx, state, 'collect');
  flush();
  const C = state.candidates();
  // No authentic candidate among q answers: no write completed before this
  // read began (a completed write leaves t+1 correct nodes holding it), so
  // the register is empty and there is nothing to write back.
  if (C.length === 0) return null;

  return decide(ctx, ref, readId, state, op, signal, lag, { current: 0 }, false, contacted);
}

/**
 * Decides again, on the same read state, after the value `prev` chose could
 * not be restored (DESIGN §6.3; protocol review finding 2: a node that
 * withholds its data plus a slow correct node that collected the entry can
 * leave fewer than k holders of a safe value). The first round waits for
 * every node up to the round timeout, so the slow node's answer (its GONE
 * and newer lc) is heard; then filter goes on as usual. Call it only before
 * any byte of `prev` went to the client.
 */
export async function decideAgain(ctx: ProtocolContext, prev: ReadResult, op: OpKind, signal: AbortSignal): Promise<ReadResult | null> {
  // The pins of `prev` end with it (its stream released them, or this
  // does): the rounds go on under a new read id, pinned afresh at each node
  // from its lc now, so released pins are never asked for again.
  releasePins(ctx, prev.ref, prev.readId, prev.contacted);
  const readId = randomHex(12);
  const contacted = new Set<number>();
  prev.state.newPins();
  const renewal = renewWhileRunning(ctx, prev.ref, readId, prev.state, contacted);
  try {
    const r = await decide(ctx, prev.ref, readId, prev.state, op, signal, new LagWatch(ctx), prev.rounds, true, contacted);
    if (r === 'lapsed') {
      // Pins lapsed under it too: a fresh read (its own pins, released by
      // the caller through the result's readId like any other).
      releasePins(ctx, prev.ref, readId, contacted);
      return await read(ctx, prev.ref, op, signal);
    }
    if (!r) releasePins(ctx, prev.ref, readId, contacted);
    return r;
  } catch (e) {
    releasePins(ctx, prev.ref, readId, contacted);
    throw e;
  } finally {
    clearInterval(renewal);
  }
}

/** filter, rerun with a larger C after each GONE answer (at most S times). */
async function decide(
  ctx: ProtocolContext, ref: RegRef, readId: string, state: ReadState, op: OpKind, signal: AbortSignal,
  lag: LagWatch, rounds: RoundClock, wideFirst: boolean, contacted: Set<number>,
): Promise<ReadResult | null | 'lapsed'> {
  const flush = (): void => {
    for (const e of state.evidence.splice(0)) ctx.observer.evidence(e);
  };
  for (let round = 0; round <= ctx.params.S; round++) {
    const d = await filterRound(ctx, ref, readId, state, op, signal, lag, rounds, wideFirst && round === 0, contacted).finally(flush);
    await settleEpochs(ctx, state, 'filter').finally(flush);
    if (d === 'rerun' || state.rerun) continue;
    if (d.kind === 'empty') return null;
    // Too few answers because nodes left the read (their pins lapsed): start again.
    if (d.kind === 'wait' && state.lapsed.size > 0) return 'lapsed';
    if (d.kind === 'wait') throw new QuorumError('filter', state.answered, ctx.params.q);
    ctx.hints?.put(regId(ref.ns, ref.key).toString('hex'), tsToWire(d.c.ts));
    lag.chose(d.c, state.behind(d.c));
    return { ref, c: d.c, cc: d.cc, meta: d.meta, state, readId, rounds, contacted };
  }
  throw new QuorumError('filter (too many GONE answers)', state.answered, ctx.params.q);
}

/**
 * Fails the read closed while a counted answer names a key epoch newer than
 * the ring (DESIGN §3 "Key epochs", review finding 1): C may lack the newest
 * completed write, so neither a value nor "no such key" may be decided. The
 * answers are judged again after the ring is fetched and the nodes asked.
 */
async function settleEpochs(ctx: ProtocolContext, state: ReadState, what: string): Promise<void> {
  if (state.unknownEpoch() === null) return;
  state.settle(await ctx.epochs?.recheck() ?? Infinity);
  const e = state.unknownEpoch();
  if (e !== null) throw new UnknownEpochError(e, what);
}

/**
 * Reports nodes that answered filter with a value older than the one the
 * read chose (lag, never evidence): those among the deciding answers, and
 * stragglers whose answer arrives after the decision, once per node.
 */
class LagWatch {
  private chosen: Candidate | undefined;
  private readonly reported = new Set<number>();
  constructor(private readonly ctx: ProtocolContext) {}

  chose(c: Candidate, behind: readonly number[]): void {
    this.chosen = c;
    for (const n of behind) this.report(n);
  }

  /** After a straggler's answer is added to the read state. */
  answered(node: number, state: ReadState): void {
    if (this.chosen && state.isBehind(node, this.chosen)) this.report(node);
  }

  private report(node: number): void {
    if (this.reported.has(node)) return;
    this.reported.add(node);
    this.ctx.observer.nodeLag?.(node);
  }
}

/**
 * One filter round over the current C; 'rerun' when a GONE answer grew C.
 * It asks q nodes, the ones collect asked first, and another one whenever an
 * answer does not count, a node fails or is late, or the q answers leave the
 * decision waiting (quorum.ts's `spare`). A `wide` round asks every node and
 * does not stop at a decision: it waits for every node (or its timeout), to
 * hear the slow ones too.
 */
async function filterRound(
  ctx: ProtocolContext, ref: RegRef, readId: string, state: ReadState, op: OpKind, signal: AbortSignal, lag: LagWatch,
  rounds: RoundClock, wide: boolean, contacted: Set<number>,
): Promise<ReturnType<ReadState['decision']> | 'rerun'> {
  state.newRound();
  const mine = ++rounds.current;
  let settled = 0;
  const C = state.candidates();
  ctx.observer.round(op, 'filter');
  const counted = new Set<number>();
  let live = true;
  const ctl = new AbortController();
  setMaxListeners(0, ctl.signal);
  const onAbort = (): void => ctl.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const take = (node: number, ans: FilterAnswer): void => {
    if (!live || rounds.current !== mine) return; // an answer of an earlier round
    const before = state.answered;
    state.addFilterAnswer(node, ans);
    lag.answered(node, state);
    // Evidence is reported as soon as found, late answers' included.
    for (const e of state.evidence.splice(0)) ctx.observer.evidence(e);
    if (state.answered > before) counted.add(node);
    if (state.rerun) {
      // This round ends here: its other answers were made over a C without
      // the GONE's lc, so they must not count it invalid (answers that
      // arrive in the same microtask drain would otherwise drop it, and the
      // rerun would never see it).
      live = false;
      ctl.abort(new Error('rerun after GONE'));
    }
  };
  try {
    const nodes = wide ? ctx.nodes : ctx.askOrder.preferred(ctx.nodes);
    await quorumCall<(typeof ctx.nodes)[number], FilterAnswer>(nodes, (n, sig) => {
      contacted.add(n.index);
      return n.filter(ref, readId, C, sig, state.pinOf(n.index));
    }, {
      need: ctx.params.q,
      timeoutMs: ctx.timeouts.rpcMs,
      what: 'filter',
      signal: ctl.signal,
      ...(wide ? {} : { spare: spareAfterGrace(ctx.askOrder, ctx.timeouts.rpcMs) }),
      onAnswer: (node, ans) => {
        settled++;
        take(node, ans);
      },
      accept: (node) => counted.has(node),
      until: () => state.rerun || (state.decision().kind !== 'wait' && (!wide || settled === ctx.nodes.length)),
      // Late answers still prove holders (more data sources for restore).
      onLate: take,
      onError: (n, e) => {
        settled++;
        ctx.askOrder.demote(n);
        reportError(ctx, n, 'filter', e);
      },
    });
  } catch (err) {
    // A round that fell short because nodes left the read ends in a restart.
    if (!state.rerun && !(err instanceof QuorumError && state.lapsed.size > 0)) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (state.rerun) return 'rerun';
  return state.decision();
}

/**
 * Releases the read's pins at the nodes it contacted (fire and forget:
 * leases expire anyway). A node never sent the read id holds no pin of it.
 */
export function releasePins(ctx: ProtocolContext, ref: RegRef, readId: string, contacted: ReadonlySet<number>): void {
  pinAll(ctx, ref, readId, 'release', null, contacted);
}

function pinAll(ctx: ProtocolContext, ref: RegRef, readId: string, action: PinAction, ts: Timestamp | null, contacted: ReadonlySet<number>): void {
  const never = new AbortController().signal;
  for (const n of ctx.nodes) {
    if (!contacted.has(n.index)) continue;
    n.pin(ref, readId, action, ts, never).catch((e: unknown) => ctx.observer.nodeTrouble(n.index, `pin ${action}`, e));
  }
}

/**
 * Renews the read's pin at every node; a node that answered the read and
 * now says its pin lapsed leaves the read (DESIGN §6): no more answers or
 * data are taken from it, since it may collect the entry at any time.
 */
function renewAll(
  ctx: ProtocolContext, ref: RegRef, readId: string, state: ReadState, contacted: ReadonlySet<number>,
  action: 'renew' | 'narrow' = 'renew', ts: Timestamp | null = null,
): void {
  const never = new AbortController().signal;
  for (const n of ctx.nodes) {
    if (state.lapsed.has(n.index) || !contacted.has(n.index)) continue;
    n.pin(ref, readId, action, ts, never).then(
      (live) => {
        if (!live && state.heard(n.index)) state.markLapsed(n.index);
      },
      (e: unknown) => ctx.observer.nodeTrouble(n.index, `pin ${action}`, e),
    );
  }
}

/** A read's pins held while its value streams: see pinsWhileStreaming. */
export interface HeldPins {
  /** Narrows the pins to c.ts; only the first call sends anything. */
  readonly narrow: () => void;
  /** Stops renewing and releases the pins at every node. */
  readonly release: () => void;
}

/**
 * Keeps the chosen write pinned while its data streams (DESIGN §6): the pins
 * are renewed every third of a lease, narrowed to c.ts by narrow(), and
 * released by release(). Until narrowed they stay as filter left them,
 * which covers c.ts too (every node pinned the entries it answered with).
 * A GET whose bytes all came in the filter answers (small objects: the
 * first q nodes send their fragment along) never asks a node for blocks and never
 * narrows (storedValue's beforeFetch), so each node gets three messages for
 * it instead of four; the read ends, and its pins go, as soon as the bytes
 * are out. A node whose pin lapsed stops being a data source (storedValue
 * asks the read state for holders afresh).
 */
export function pinsWhileStreaming(ctx: ProtocolContext, r: ReadResult): HeldPins {
  let narrowed = false;
  const timer = setInterval(() => renewAll(ctx, r.ref, r.readId, r.state, r.contacted), PIN_LEASE_MS / 3);
  timer.unref();
  return {
    narrow: () => {
      if (narrowed) return;
      narrowed = true;
      renewAll(ctx, r.ref, r.readId, r.state, r.contacted, 'narrow', r.c.ts);
    },
    release: () => {
      clearInterval(timer);
      releasePins(ctx, r.ref, r.readId, r.contacted);
    },
  };
}

/** pinsWhileStreaming, narrowed at once; the returned function releases them. */
export function holdPins(ctx: ProtocolContext, r: ReadResult): () => void {
  const held = pinsWhileStreaming(ctx, r);
  held.narrow();
  return held.release;
}

// Made once, not per read: a closure made per call has its optimized code
// dropped at every full collection and compiled again (README, "V8's compiler").
const blocksOf = (h: Holder): [number, Buffer] => [h.node, h.blocks];
const fragmentOf = (h: Holder): (readonly [number, Buffer])[] => (h.fragment ? [[h.node, h.fragment] as const] : []);

/**
 * The chosen value as restore reads it; holders proven by late filter
 * answers count too. A class, not an object of arrow functions made per
 * read: those closures' optimized code went at every full collection and
 * was compiled again (TurboFan compiled `proven` and `fragments` six to
 * eight times over a 40,000-GET load).
 */
class ChosenValue implements StoredValue {
  readonly ref: RegRef;
  readonly ts: Timestamp;
  readonly cc: readonly Buffer[];

  constructor(private readonly r: ReadResult, private readonly onFetch: (() => void) | undefined) {
    this.ref = r.ref;
    this.ts = r.c.ts;
    this.cc = r.cc;
  }

  proven(): ReadonlyMap<number, Buffer> {
    return new Map(this.r.state.holdersOf(this.r.c).map(blocksOf));
  }

  fragments(): ReadonlyMap<number, Buffer> {
    return new Map(this.r.state.holdersOf(this.r.c).flatMap(fragmentOf));
  }

  likelyHolders(): ReadonlySet<number> {
    return new Set(this.r.state.collectedAt(this.r.c));
  }

  beforeFetch(): void {
    this.onFetch?.();
  }
}

export function storedValue(r: ReadResult, beforeFetch?: () => void): StoredValue {
  return new ChosenValue(r, beforeFetch);
}
