// Candidates (DESIGN §3): c = (ts, N, D, vec), vec[i] = MAC_ki(reg ‖ ts ‖ H(N) ‖ D).
// D = H(cc ‖ H(meta)) binds the cross-checksum and the object's metadata, so
// one node's report of cc or meta can be checked against the candidate.

import { randomBytesPooled } from '../random.js';
import { equalBytes } from '../bytes.js';
import { hmacSha256, hmacSha256Matches, sha256, sha256Matches } from '../hash.js';
import type { NodeKeyring, WriterKeyring } from '../keys.js';
import type { ClusterParams } from './params.js';
import { tsBytes, verifyTag, type Timestamp } from './timestamp.js';

export interface Candidate {
  readonly ts: Timestamp;
  /** The nonce N (32 random bytes), revealed only after the store round. */
  readonly nonce: Buffer;
  readonly d: Buffer;
  readonly vec: readonly Buffer[];
}

export const NONCE_BYTES = 32;
const VEC_DOMAIN = Buffer.from('ps-vec-v1\0', 'utf8');

export function newNonce(): Buffer {
  return randomBytesPooled(NONCE_BYTES);
}

export function nonceHash(nonce: Buffer): Buffer {
  return sha256(nonce);
}

/** D = H(cc ‖ H(meta)); cc is the list of per-node fragment hashes. */
export function computeD(cc: readonly Buffer[], meta: Buffer): Buffer {
  return sha256(...cc, sha256(meta));
}

/** Whether cc and meta hash to `d` (computeD, compared without making D). */
export function describesD(cc: readonly Buffer[], meta: Buffer, d: Buffer): boolean {
  return sha256Matches(d, ...cc, sha256(meta));
}

export function vecEntry(key: Buffer, reg: Buffer, ts: Timestamp, nbar: Buffer, d: Buffer): Buffer {
  return vecEntryOf(key, reg, tsBytes(ts), nbar, d);
}

/** vecEntry, with ts already encoded (makeVec encodes it once for all S entries). */
function vecEntryOf(key: Buffer, reg: Buffer, tsb: Buffer, nbar: Buffer, d: Buffer): Buffer {
  return hmacSha256(key, ...vecInput(reg, tsb, nbar, d));
}

/** What a vec entry is the MAC of (made by writers, checked by its node). */
function vecInput(reg: Buffer, tsb: Buffer, nbar: Buffer, d: Buffer): Buffer[] {
  return [VEC_DOMAIN, reg, tsb, nbar, d];
}

/** The full vec a writer makes for (reg, ts, N̄, D), one entry per node. */
export function makeVec(
  keys: WriterKeyring,
  params: ClusterParams,
  reg: Buffer,
  ts: Timestamp,
  nbar: Buffer,
  d: Buffer,
): Buffer[] {
  const vec: Buffer[] = [];
  const tsb = tsBytes(ts);
  for (let i = 0; i < params.S; i++) {
    const key = keys.nodeKey(ts.epoch, i);
    if (!key) throw new Error(`no key for node ${i} in epoch ${ts.epoch}`);
    vec.push(vecEntryOf(key, reg, tsb, nbar, d));
  }
  return vec;
}

/** A node's check of its own vec entry (the paper's MAC half of valid()). */
export function verifyOwnEntry(keys: NodeKeyring, reg: Buffer, ts: Timestamp, nbar: Buffer, d: Buffer, entry: Buffer | undefined): boolean {
  const key = keys.key(ts.epoch);
  return key !== undefined && entry !== undefined && hmacSha256Matches(key, entry, ...vecInput(reg, tsBytes(ts), nbar, d));
}

/**
 * Whether `epoch` is one the gateway cannot judge (DESIGN §3 "Key epochs",
 * protocol review finding 1): above its current epoch and without keys.
 * Epochs are never removed and only added in order, so an unheld epoch
 * below the current one is no epoch at all (a forgery), while one above
 * may simply be newer than this gateway's key ring. `forgedAbove`: the
 * highest epoch that t+1 nodes reported holding, asked *after* the answer
 * arrived (see judge); default: no such report, every newer epoch unknown.
 */
export function isUnknownEpoch(keys: WriterKeyring, epoch: number, forgedAbove = Infinity): boolean {
  return epoch > keys.currentEpoch && epoch <= forgedAbove && keys.writerKey(epoch) === undefined;
}

/**
 * The gateway's verdict on a candidate a node answered: authentic (with its
 * full vec), not authentic (only a Byzantine node answers that: evidence),
 * or of an epoch the gateway cannot judge, which is neither. A correct node
 * holds a candidate of epoch e only after every correct node got e's key
 * (a rotation delivers keys before anyone writes under them, and nodes never
 * drop keys), so once t+1 nodes, asked after the answer came, report no
 * epoch as high as e (`forgedAbove` < e), the answer is a forgery after all.
 */
export type Verdict =
  | { readonly kind: 'authentic'; readonly c: Candidate }
  | { readonly kind: 'forged' }
  | { readonly kind: 'unknown-epoch'; readonly epoch: number };

/**
 * The verdict on `c` when `known`, a normalised candidate of the same
 * register, is of the same write (same ts, tag included, N and D): the tag
 * and the nonce were proven with `known`, and its full vec is what every
 * entry of `c` must be, so c is authentic exactly when t+1 of its entries
 * equal known's; no MAC is computed (issue 11: a read's collect answers
 * mostly carry the same write, and normalising one took 8.7 µs at t = 1).
 * Undefined when `known` is another write.
 */
export function judgeAsKnown(params: ClusterParams, known: Candidate, c: Candidate): Verdict | undefined {
  const a = known.ts;
  const b = c.ts;
  if (a.num !== b.num || a.writer !== b.writer || a.op !== b.op || a.epoch !== b.epoch) return undefined;
  if (!a.tag.equals(b.tag) || !known.nonce.equals(c.nonce) || !known.d.equals(c.d)) return undefined;
  const full = known.vec;
  let valid = 0;
  for (let i = 0; i < params.S && valid < params.t + 1; i++) {
    const e = c.vec[i];
    if (e !== undefined && equalBytes(e, full[i]!)) valid++;
  }
  return valid >= params.t + 1 ? { kind: 'authentic', c: known } : { kind: 'forged' };
}

export function judge(keys: WriterKeyring, params: ClusterParams, reg: Buffer, c: Candidate, forgedAbove = Infinity): Verdict {
  if (isUnknownEpoch(keys, c.ts.epoch, forgedAbove)) return { kind: 'unknown-epoch', epoch: c.ts.epoch };
  const n = normalise(keys, params, reg, c);
  return n ? { kind: 'authentic', c: n } : { kind: 'forged' };
}

/**
 * Gateway normalisation (DESIGN §3). A candidate is authentic when its tag
 * verifies for `reg` and at least t+1 of its vec entries verify over
 * reg ‖ ts ‖ H(N) ‖ D: at most t nodes know their own keys, so t+1 valid
 * entries prove a writer made them, and an entry over H(N) proves the nonce
 * was revealed (the store round had completed). Returns the candidate with
 * its full vec recomputed from the gateway's keys, or null if not authentic
 * or of an epoch it holds no keys for: callers that must tell the two apart
 * (reads, DESIGN §3 "Key epochs") use judge.
 *
 * Entries are checked in order until t+1 verify, and the rest of the full
 * vec is made only when first read: a listing judges every key it shows
 * and uses the vec of the few it writes back (S + 1 MACs a key were a
 * fifth of a gateway's listing time).
 */
export function normalise(
  keys: WriterKeyring,
  params: ClusterParams,
  reg: Buffer,
  c: Candidate,
): Candidate | null {
  if (!verifyTag(keys, reg, c.ts)) return null;
  if (c.nonce.length !== NONCE_BYTES || c.d.length !== 32) return null;
  const nbar = nonceHash(c.nonce);
  const tsb = tsBytes(c.ts);
  const made: Buffer[] = [];
  for (let i = 0, valid = 0; valid < params.t + 1; i++) {
    if (i === params.S) return null;
    const key = keys.nodeKey(c.ts.epoch, i);
    if (!key) return null; // an epoch we hold no keys for
    made.push(vecEntryOf(key, reg, tsb, nbar, c.d));
    const e = c.vec[i];
    if (e !== undefined && equalBytes(e, made[i]!)) valid++;
  }
  let full: Buffer[] | undefined;
  const rest = (): Buffer[] => {
    if (full) return full;
    full = made;
    for (let i = made.length; i < params.S; i++) {
      const key = keys.nodeKey(c.ts.epoch, i);
      if (!key) throw new Error(`no key for node ${i} in epoch ${c.ts.epoch}`);
      full.push(vecEntryOf(key, reg, tsb, nbar, c.d));
    }
    return full;
  };
  return {
    ts: c.ts, nonce: c.nonce, d: c.d,
    get vec() {
      return rest();
    },
  };
}
