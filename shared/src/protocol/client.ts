// The gateway's side of M-PoWerStore (paper Algorithms 4 and 6, DESIGN §3,
// §5, §6) as pure state: answers in, decisions and evidence out. The I/O that
// feeds these lives in gateway/src/protocol.

import { HASH_BYTES } from '../hash.js';
import { listAlg } from '../erasure/block-hash.js';
import type { WriterKeyring } from '../keys.js';
import { computeD, describesD, isUnknownEpoch, judge, judgeAsKnown, makeVec, newNonce, nonceHash, type Candidate, type Verdict } from './candidate.js';
import type { Evidence } from './evidence.js';
import type { ClusterParams } from './params.js';
import { compareTs, makeTimestamp, tsKey, verifyTag, type Timestamp } from './timestamp.js';

/**
 * clock (paper lines 92-100): from q answers, the highest timestamp with a
 * valid tag; answers with a forged tag are ignored and reported. The new
 * timestamp is that num + 1 (non-skipping), this writer, a fresh op.
 * `unknownEpoch`: the highest key epoch among answers the gateway cannot
 * judge (candidate.ts isUnknownEpoch; `forgedAbove` as there). When it is
 * not null, `highest` must not be used: the write would be ordered below a
 * write the gateway cannot see (protocol review finding 1).
 */
export function pickClock(
  keys: WriterKeyring,
  reg: Buffer,
  answers: ReadonlyMap<number, Timestamp | null>,
  forgedAbove = Infinity,
): { highest: Timestamp | null; evidence: Evidence[]; unknownEpoch: number | null } {
  let highest: Timestamp | null = null;
  let unknownEpoch: number | null = null;
  const evidence: Evidence[] = [];
  for (const [node, ts] of answers) {
    if (ts === null) continue;
    if (isUnknownEpoch(keys, ts.epoch, forgedAbove)) {
      unknownEpoch = Math.max(unknownEpoch ?? 0, ts.epoch);
      continue;
    }
    if (!verifyTag(keys, reg, ts)) {
      evidence.push({ node, kind: 'forged-ts', detail: `clock answer ${tsKey(ts)}` });
      continue;
    }
    if (compareTs(ts, highest) > 0) highest = ts;
  }
  return { highest, evidence, unknownEpoch };
}

export interface PreparedWrite {
  readonly candidate: Candidate;
  readonly nbar: Buffer;
  readonly cc: readonly Buffer[];
  readonly meta: Buffer;
}

/** Everything a write sends after clock: ts, nonce N, N̄, D and the full vec. */
export function prepareWrite(
  keys: WriterKeyring,
  params: ClusterParams,
  reg: Buffer,
  after: Timestamp | null,
  writer: string,
  op: number,
  cc: readonly Buffer[],
  meta: Buffer,
): PreparedWrite {
  const ts = makeTimestamp(keys, reg, { num: (after?.num ?? 0) + 1, writer, op });
  const nonce = newNonce();
  const nbar = nonceHash(nonce);
  const d = computeD(cc, meta);
  const vec = makeVec(keys, params, reg, ts, nbar, d);
  return { candidate: { ts, nonce, d, vec }, nbar, cc, meta };
}

/** One node's filter answer: chv.ts and, if it holds Hist[chv.ts], its data description. */
export interface FilterAnswer {
  readonly ts: Timestamp | null;
  readonly cc?: readonly Buffer[];
  readonly meta?: Buffer;
  readonly blocks?: Buffer;
  /**
   * The node's whole fragment, sent along by data-shard nodes for small
   * writes (saves the read a round trip); verified block by block on use.
   */
  readonly fragment?: Buffer;
  /** GONE (DESIGN §6): the node's own lc, newer than what this read's C holds for it. */
  readonly gone?: Candidate;
  /** The id of the node's pin for this read (DESIGN §6): the gateway names it in later requests. */
  readonly pin?: string;
  /** The pin this read named is gone at the node (lease lapsed, restart): it leaves the read. */
  readonly lapsed?: true;
}

/** A node that proved it holds a consistent copy of the chosen write. */
export interface Holder {
  readonly node: number;
  readonly blocks: Buffer;
  readonly fragment?: Buffer;
}

/**
 * Callbacks used per answer are made once, here, not per call: a closure
 * made per call has its optimized code dropped at every full collection
 * once none is alive, and compiled again (README, "V8's compiler").
 */
const notAHash = (h: Buffer): boolean => h.length !== HASH_BYTES;

export type ReadDecision =
  | { readonly kind: 'wait' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'value'; readonly c: Candidate; readonly cc: readonly Buffer[]; readonly meta: Buffer; readonly holders: readonly Holder[] };

/**
 * One read's candidate set and filter answers (paper lines 134-160 with the
 * gateway normalisation of DESIGN §3). Predicates keep the paper's names:
 * highcand, safe, invalid.
 */
export class ReadState {
  private readonly C = new Map<string, Candidate>();
  private readonly W = new Map<number, FilterAnswer>();
  /** Per candidate: the nodes that answered it with matching cc/meta/blocks. */
  private readonly proven = new Map<string, Map<number, Holder>>();
  /** Each node's authentic collect answer (its lc), for lag. */
  private readonly collected = new Map<number, Timestamp | null>();
  private readonly described = new Map<string, { cc: readonly Buffer[]; meta: Buffer }>();
  readonly evidence: Evidence[] = [];

  constructor(
    private readonly params: ClusterParams,
    private readonly keys: WriterKeyring,
    private readonly reg: Buffer,
    /** The block list length (32 bytes a stripe) a value with this meta has, if known (the layout is the gateway's). */
    private readonly blockListBytes?: (meta: Buffer) => number | undefined,
  ) {}

  /**
   * collect: adds node's lc after normalisation; a non-authentic one is
   * evidence; one of an epoch the gateway cannot judge waits, undecided (see
   * unknownEpoch): it may be the only trace of a completed write.
   */
  addCollected(node: number, lc: Candidate | null): void {
    if (lc !== null && isUnknownEpoch(this.keys, lc.ts.epoch, this.forgedAbove)) {
      this.undecided.set(`collect ${node}`, { node, lc, gone: false });
      return;
    }
    const n = this.noteCollected(node, lc);
    if (!n) return;
    const key = tsKey(n.ts);
    if (!this.C.has(key)) this.C.set(key, n);
  }

  /**
   * Records what a node's collect answer says it holds (for lag: behind),
   * without adding it to C: the normalised candidate, or null when it holds
   * none, answered a non-authentic one (evidence), or one of an epoch the
   * gateway cannot judge (a late answer: it no longer decides anything, and
   * is no evidence).
   */
  noteCollected(node: number, lc: Candidate | null): Candidate | null {
    if (lc === null) {
      this.collected.set(node, null);
      return null;
    }
    const v = this.judge(lc);
    if (v.kind === 'unknown-epoch') return null;
    if (v.kind === 'forged') {
      this.evidence.push({ node, kind: 'bad-mac', detail: `collect answered non-authentic ${tsKey(lc.ts)}` });
      return null;
    }
    this.collected.set(node, v.c.ts);
    return v.c;
  }

  /** Candidates this read found authentic, normalised (judge). */
  private readonly authentic: Candidate[] = [];

  /**
   * candidate.ts judge, but an answer of a write this read already found
   * authentic only has its vec entries compared with that write's
   * (judgeAsKnown): no MAC.
   */
  private judge(lc: Candidate): Verdict {
    for (const known of this.authentic) {
      const v = judgeAsKnown(this.params, known, lc);
      if (v) return v;
    }
    const v = judge(this.keys, this.params, this.reg, lc, this.forgedAbove);
    if (v.kind === 'authentic') this.authentic.push(v.c);
    return v;
  }

  /** Counted answers (collect, GONE) of key epochs the gateway cannot judge yet. */
  private readonly undecided = new Map<string, { node: number; lc: Candidate; gone: boolean }>();

  /**
   * The highest key epoch among counted answers the gateway cannot judge, or
   * null. While it is not null the read must not decide: C may lack the
   * newest completed write, and its answers are not evidence either.
   */
  unknownEpoch(): number | null {
    let e: number | null = null;
    for (const { lc } of this.undecided.values()) e = Math.max(e ?? 0, lc.ts.epoch);
    return e;
  }

  /**
   * Judges the undecided answers again, after the gateway fetched its key
   * ring and asked the nodes' key status (`forgedAbove`: the highest epoch
   * t+1 of them hold, asked after these answers arrived; see judge): an
   * answer of an epoch now held joins C as if just answered, one above
   * `forgedAbove` is a forgery (evidence), the rest stay undecided.
   */
  settle(forgedAbove: number): void {
    // The bound holds only for answers that arrived before the nodes were
    // asked: a later answer may come from a rotation finished since.
    this.forgedAbove = forgedAbove;
    const before = this.C.size;
    try {
      for (const [key, { node, lc, gone }] of [...this.undecided]) {
        if (isUnknownEpoch(this.keys, lc.ts.epoch, forgedAbove)) continue;
        this.undecided.delete(key);
        if (gone) this.addGone(node, lc);
        else this.addCollected(node, lc);
      }
    } finally {
      this.forgedAbove = Infinity;
    }
    // Filter answers so far were made over a C without what joined it now.
    if (this.round > 0 && this.C.size > before) this.rerun = true;
  }

  private forgedAbove = Infinity;

  /** The normalised candidate set to send in filter. */
  candidates(): Candidate[] {
    return [...this.C.values()];
  }

  /**
   * Starts a new filter round: fresh answer sets (W, R), C kept. Called for
   * the first round and for each rerun after a GONE answer.
   */
  newRound(): void {
    this.W.clear();
    this.rerun = false;
    this.round++;
    this.roundC = new Set(this.C.keys());
  }

  /** A GONE answer asked for another filter round (with a larger C). */
  rerun = false;
  private round = 0;
  private roundC = new Set<string>();
  /** Per node: its first GONE lc, and whether a later round's C already held it. */
  private readonly goneFrom = new Map<number, string>();

  /**
   * A GONE answer (DESIGN §6): counts neither toward q nor toward invalid.
   * An authentic lc joins C and asks for a rerun; a second GONE from a node
   * whose first GONE lc was already in this round's C is evidence (a correct
   * node cannot send it) and never causes a rerun, so filter reruns at most
   * S times.
   */
  private addGone(node: number, lc: Candidate): void {
    const first = this.goneFrom.get(node);
    if (first !== undefined && this.roundC.has(first)) {
      this.evidence.push({ node, kind: 'malformed', detail: 'a second GONE answer in one read' });
      return;
    }
    const v = this.judge(lc);
    if (v.kind === 'unknown-epoch') {
      this.undecided.set(`gone ${node}`, { node, lc, gone: true });
      return;
    }
    if (v.kind === 'forged') {
      this.evidence.push({ node, kind: 'bad-mac', detail: 'GONE answered with a non-authentic lc' });
      return;
    }
    const n = v.c;
    const key = tsKey(n.ts);
    if (first === undefined) this.goneFrom.set(node, key);
    if (!this.C.has(key)) {
      this.C.set(key, n);
      this.rerun = true;
    }
  }

  /** Per node: the id of its pin for this read, from its first answer that carried one. */
  private readonly pins = new Map<number, string>();
  /**
   * Nodes whose pin for this read lapsed (lease expiry, restart; DESIGN §6):
   * they left the read. Their later answers are ignored, never evidence
   * (protocol review finding 9), and they are no data source any more.
   */
  readonly lapsed = new Set<number>();

  /** The pin id `node` gave this read, to name in later requests. */
  pinOf(node: number): string | undefined {
    return this.pins.get(node);
  }

  /**
   * Whether `node` answered this read (collect or filter), so holds a pin
   * for it: only then does a renewal that finds no pin mean it lapsed (a
   * node the read has not reached yet has none to renew).
   */
  heard(node: number): boolean {
    return this.collected.has(node) || this.pins.has(node) || this.W.has(node);
  }

  /** The read goes on under a new read id: every node pins it afresh. */
  newPins(): void {
    this.pins.clear();
    this.lapsed.clear();
  }

  /** `node` said the read's pin there lapsed (a filter or renew answer). */
  markLapsed(node: number): void {
    this.lapsed.add(node);
  }

  /**
   * Whether an answer comes from a node still in the read: not one that
   * said its pin lapsed or answers under a pin other than the one it gave
   * before (it forgot ours and pinned afresh, with a newer floor).
   */
  private inRead(node: number, ans: FilterAnswer): boolean {
    if (ans.lapsed) this.lapsed.add(node);
    if (this.lapsed.has(node)) return false;
    if (ans.pin === undefined) return true;
    const known = this.pins.get(node);
    if (known === undefined) this.pins.set(node, ans.pin);
    else if (known !== ans.pin) this.lapsed.add(node);
    return !this.lapsed.has(node);
  }

  /** filter: records one node's answer (R ← R ∪ {i}; W[i] ← answer), then drops invalid candidates. */
  addFilterAnswer(node: number, ans: FilterAnswer): void {
    if (!this.inRead(node, ans)) return;
    if (ans.gone) return this.addGone(node, ans.gone);
    if (this.W.has(node)) return;
    const key = tsKey(ans.ts);
    const c = ans.ts === null ? null : this.C.get(key) ?? this.everSeen.get(key);
    if (ans.ts !== null && !c) {
      this.evidence.push({ node, kind: 'malformed', detail: `filter answered ${key}, not in C` });
      return;
    }
    this.W.set(node, ans);
    if (c && ans.cc && ans.meta && ans.blocks) this.checkDescription(node, c, ans);
    this.dropInvalid();
  }

  get answered(): number {
    return this.W.size;
  }

  /** When filter may stop (paper line 66): |R| ≥ q and (highcand safe, or C = ∅). */
  decision(): ReadDecision {
    if (this.W.size < this.params.q) return { kind: 'wait' };
    const high = this.highcand();
    if (!high) return { kind: 'empty' };
    if (!this.safe(high)) return { kind: 'wait' };
    const key = tsKey(high.ts);
    const desc = this.described.get(key)!;
    return { kind: 'value', c: high, cc: desc.cc, meta: desc.meta, holders: [...this.proven.get(key)!.values()] };
  }

  /** Every node that proved it holds the given write (filter answers, late ones included). */
  /**
   * Nodes whose answers show they missed the write `c` the read chose (lag,
   * as a stale, partitioned or replaying node shows; never evidence): a
   * collect answer older than c, or a filter answer in this round with an
   * older timestamp or with c's own but no proof of holding it (a node that
   * lacks c's history entry still vouches for its tag).
   */
  behind(c: Candidate): number[] {
    return [...new Set([...this.collected.keys(), ...this.W.keys()])].filter((n) => this.isBehind(n, c));
  }

  /** Whether `node`'s answers so far show it missed `c` (see behind). */
  isBehind(node: number, c: Candidate): boolean {
    if (this.collected.has(node) && compareTs(this.collected.get(node)!, c.ts) < 0) return true;
    const a = this.W.get(node);
    if (!a || a.gone) return false;
    const order = compareTs(a.ts, c.ts);
    return order < 0 || (order === 0 && !this.proven.get(tsKey(c.ts))?.has(node));
  }

  /** cc and meta some node described `c` with (checked against its D), if any did. */
  descriptionOf(c: Candidate): { cc: readonly Buffer[]; meta: Buffer } | undefined {
    return this.described.get(tsKey(c.ts));
  }

  /** Holders still in the read: a node whose pin lapsed may collect the entry at any time. */
  holdersOf(c: Candidate): Holder[] {
    const out: Holder[] = [];
    for (const h of this.proven.get(tsKey(c.ts))?.values() ?? []) if (!this.lapsed.has(h.node)) out.push(h);
    return out;
  }

  /**
   * Nodes whose authentic collect answer was c itself (their lc), pins not
   * lapsed: very likely holders of c's fragment, though not proven by a
   * filter answer (yet), and known to be up.
   */
  collectedAt(c: Candidate): number[] {
    const key = tsKey(c.ts);
    return [...this.collected].flatMap(([node, ts]) => (ts !== null && tsKey(ts) === key && !this.lapsed.has(node) ? [node] : []));
  }

  private readonly everSeen = new Map<string, Candidate>();

  private checkDescription(node: number, c: Candidate, ans: FilterAnswer): void {
    const cc = ans.cc!;
    const meta = ans.meta!;
    const blocks = ans.blocks!;
    // D hashes the entries' concatenation: only S entries of 32 bytes fix
    // where each node's hash lies (the wire checks it too, wire.ts hashList).
    if (cc.length !== this.params.S || cc.some(notAHash) || !describesD(cc, meta, c.d)) {
      this.evidence.push({ node, kind: 'wrong-cc', detail: `filter description of ${tsKey(c.ts)} does not hash to D` });
      return;
    }
    // Checked before hashing: a block list longer than the layout says is never read (finding 11).
    const want = this.blockListBytes?.(meta);
    if ((want !== undefined && blocks.length !== want) || listAlg(cc[node]!, blocks) === null) {
      this.evidence.push({ node, kind: 'wrong-cc', detail: `filter block list of ${tsKey(c.ts)} (${blocks.length} bytes) does not match its cc or layout` });
      return;
    }
    const key = tsKey(c.ts);
    if (!this.described.has(key)) this.described.set(key, { cc, meta });
    let m = this.proven.get(key);
    if (!m) this.proven.set(key, (m = new Map()));
    m.set(node, ans.fragment ? { node, blocks, fragment: ans.fragment } : { node, blocks });
  }

  /** highcand(c): c has the highest timestamp in C. */
  private highcand(): Candidate | null {
    let best: Candidate | null = null;
    for (const c of this.C.values()) if (!best || compareTs(c.ts, best.ts) > 0) best = c;
    return best;
  }

  /** safe(c): t+1 nodes answered c.ts with cc, meta and blocks that hash to c's D and cc. */
  private safe(c: Candidate): boolean {
    return (this.proven.get(tsKey(c.ts))?.size ?? 0) >= this.params.t + 1;
  }

  /** invalid(c): q nodes answered a timestamp below c.ts. */
  private dropInvalid(): void {
    for (const [key, c] of this.C) {
      let lower = 0;
      for (const a of this.W.values()) if (compareTs(a.ts, c.ts) < 0) lower++;
      if (lower >= this.params.q) {
        this.C.delete(key);
        this.everSeen.set(key, c);
      }
    }
  }
}
