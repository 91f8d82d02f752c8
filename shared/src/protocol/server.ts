// The storage node's side of M-PoWerStore (paper Algorithm 5, DESIGN §4-6)
// as pure decisions: inputs are the node's current state for one register
// and a message; outputs say what to persist and what to answer. No I/O, so
// the same code runs in the node process and in simulated clusters.

import { equalBytes } from '../bytes.js';
import { listMatches, type BlockHashAlg } from '../erasure/block-hash.js';
import type { NodeKeyring } from '../keys.js';
import { describesD, nonceHash, verifyOwnEntry, type Candidate } from './candidate.js';
import { compareTs, type Timestamp } from './timestamp.js';

/** Hist[ts]: what a node keeps of one stored write (write-once). */
export interface HistRecord {
  readonly ts: Timestamp;
  readonly nbar: Buffer;
  readonly d: Buffer;
  readonly vec: readonly Buffer[];
  readonly cc: readonly Buffer[];
  /** The object's metadata, exactly the bytes hashed into D. */
  readonly meta: Buffer;
  /** This node's block-hash list: concatenated SHA-256 of its fragment's blocks. */
  readonly blocks: Buffer;
  readonly blockSize: number;
  readonly fragLen: number;
}

/** What deciding a candidate's validity needs of a history entry (validity, judgeComplete). */
export type HistHead = Pick<HistRecord, 'ts' | 'nbar' | 'd' | 'vec'>;

/** A write of another register that this write's value is made of (a multipart upload's part). */
export interface PartRef {
  readonly ns: string;
  readonly key: string;
  readonly ts: Timestamp;
}

/** The store message without its fragment (which the node has hashed). */
export interface StoreCommit {
  readonly ts: Timestamp;
  readonly nbar: Buffer;
  readonly d: Buffer;
  readonly vec: readonly Buffer[];
  readonly cc: readonly Buffer[];
  readonly meta: Buffer;
  /**
   * Writes whose fragments this value uses (the meta, bound into D, says how).
   * A node acks only once it holds every one of them (DESIGN §8, multipart).
   */
  readonly parts?: readonly PartRef[];
}

export type StoreVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'reject'; readonly reason: string };

/**
 * A correct node checks a store before writing Hist[ts] (DESIGN §5): the
 * writer's MAC for this node over reg ‖ ts ‖ N̄ ‖ D, D = H(cc ‖ H(meta)), and
 * its own fragment against cc[i] (a check the paper leaves out). Hist is
 * write-once: a second store for an existing ts is accepted only if it is
 * identical (a re-send or a heal).
 */
export function judgeStore(
  keys: NodeKeyring,
  S: number,
  reg: Buffer,
  msg: StoreCommit,
  ownBlocks: Buffer,
  existing: HistRecord | undefined,
  /** What ownBlocks' hashes are in: cc[i] must commit to them under it (block-hash.ts). */
  alg: BlockHashAlg,
): StoreVerdict {
  const i = keys.node;
  if (msg.cc.length !== S || msg.vec.length !== S) return { kind: 'reject', reason: 'cc or vec has the wrong length' };
  if (!verifyOwnEntry(keys, reg, msg.ts, msg.nbar, msg.d, msg.vec[i])) return { kind: 'reject', reason: 'vec entry does not verify' };
  if (!describesD(msg.cc, msg.meta, msg.d)) return { kind: 'reject', reason: 'D does not match cc and meta' };
  if (!listMatches(alg, msg.cc[i]!, ownBlocks)) return { kind: 'reject', reason: 'fragment does not match cc' };
  if (existing) {
    const same =
      equalBytes(existing.nbar, msg.nbar) &&
      equalBytes(existing.d, msg.d) &&
      equalBytes(existing.ts.tag, msg.ts.tag) &&
      existing.vec.every((e, j) => equalBytes(e, msg.vec[j]!));
    return same ? { kind: 'duplicate' } : { kind: 'reject', reason: 'Hist entry exists with different content' };
  }
  return { kind: 'accept' };
}

/**
 * valid(c) at this node (paper line 128): the nonce hashes to Hist[c.ts].N̄,
 * or this node's own vec entry verifies over reg ‖ ts ‖ H(N) ‖ D.
 * 'hist' means validated through the history entry, whose D and vec are then
 * the ones to keep (a corrupted vec never spreads).
 */
export function validity(
  keys: NodeKeyring,
  reg: Buffer,
  c: Candidate,
  hist: HistHead | undefined,
): 'hist' | 'mac' | null {
  const nbar = nonceHash(c.nonce);
  if (hist && compareTs(hist.ts, c.ts) === 0 && equalBytes(hist.nbar, nbar)) return 'hist';
  if (verifyOwnEntry(keys, reg, c.ts, nbar, c.d, c.vec[keys.node])) return 'mac';
  return null;
}

/** The candidate as this node keeps it once valid. */
function asKept(c: Candidate, how: 'hist' | 'mac', hist: HistHead | undefined): Candidate {
  return how === 'hist' && hist ? { ts: hist.ts, nonce: c.nonce, d: hist.d, vec: hist.vec } : c;
}

/**
 * complete / write-back of one candidate: lc ← c if c is valid here and
 * newer than lc. Returns the new lc, or null when lc stays.
 */
export function judgeComplete(
  keys: NodeKeyring,
  reg: Buffer,
  lc: Candidate | null,
  c: Candidate,
  hist: HistHead | undefined,
): Candidate | null {
  if (compareTs(c.ts, lc?.ts ?? null) <= 0) return null;
  const how = validity(keys, reg, c, hist);
  return how ? asKept(c, how, hist) : null;
}

export interface FilterDecision {
  /** The new lc to persist (the metadata write-back), or null if unchanged. */
  readonly newLc: Candidate | null;
  /** chv: the highest valid candidate in C, or null for c0. */
  readonly chv: Candidate | null;
  /** Hist[chv.ts] when this node holds it: then it can report cc, meta, blocks. */
  readonly hist: HistRecord | undefined;
  /**
   * GONE (DESIGN §6): chv is below this read's pin floor and its history
   * entry was collected before the read began; the node answers its own
   * (newer) lc instead, for the reader to add to C.
   */
  readonly gone: boolean;
}

/**
 * filter (paper lines 119-123): chv ← highest valid candidate in C (or c0);
 * lc ← chv if newer; answer chv with this node's Hist[chv.ts].
 */
export function judgeFilter(
  keys: NodeKeyring,
  reg: Buffer,
  lc: Candidate | null,
  C: readonly Candidate[],
  histOf: (ts: Timestamp) => HistRecord | undefined,
  /** The read's pin floor at this node (its lc.ts at first contact); null: no GONE answers. */
  floor: Timestamp | null = null,
): FilterDecision {
  const sorted = [...C].sort((a, b) => compareTs(b.ts, a.ts));
  for (const c of sorted) {
    const hist = histOf(c.ts);
    const how = validity(keys, reg, c, hist);
    if (!how) continue;
    const chv = asKept(c, how, hist);
    if (!hist && floor !== null && compareTs(chv.ts, floor) < 0) return { newLc: null, chv, hist: undefined, gone: true };
    const newLc = compareTs(chv.ts, lc?.ts ?? null) > 0 ? chv : null;
    return { newLc, chv, hist: how === 'hist' ? hist : undefined, gone: false };
  }
  return { newLc: null, chv: null, hist: undefined, gone: false };
}
