// Candidates (DESIGN §3): c = (ts, N, D, vec), vec[i] = MAC_ki(reg ‖ ts ‖ H(N) ‖ D).
// D = H(cc ‖ H(meta)) binds the cross-checksum and the object's metadata, so
// one node's report of cc or meta can be checked against the candidate.

import { randomBytesPooled } from '../random.js';
import { equalBytes } from '../bytes.js';
import { hmacSha256, sha256 } from '../hash.js';
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

export function vecEntry(key: Buffer, reg: Buffer, ts: Timestamp, nbar: Buffer, d: Buffer): Buffer {
  return hmacSha256(key, VEC_DOMAIN, reg, tsBytes(ts), nbar, d);
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
  for (let i = 0; i < params.S; i++) {
    const key = keys.nodeKey(ts.epoch, i);
    if (!key) throw new Error(`no key for node ${i} in epoch ${ts.epoch}`);
    vec.push(vecEntry(key, reg, ts, nbar, d));
  }
  return vec;
}

/** A node's check of its own vec entry (the paper's MAC half of valid()). */
export function verifyOwnEntry(keys: NodeKeyring, reg: Buffer, ts: Timestamp, nbar: Buffer, d: Buffer, entry: Buffer | undefined): boolean {
  const key = keys.key(ts.epoch);
  return key !== undefined && entry !== undefined && equalBytes(vecEntry(key, reg, ts, nbar, d), entry);
}

/**
 * Gateway normalisation (DESIGN §3). A candidate is authentic when its tag
 * verifies for `reg` and at least t+1 of its vec entries verify over
 * reg ‖ ts ‖ H(N) ‖ D: at most t nodes know their own keys, so t+1 valid
 * entries prove a writer made them, and an entry over H(N) proves the nonce
 * was revealed (the store round had completed). Returns the candidate with
 * its full vec recomputed from the gateway's keys, or null if not authentic
 * (it can only have come from a Byzantine node).
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
  let full: Buffer[];
  try {
    full = makeVec(keys, params, reg, c.ts, nbar, c.d);
  } catch {
    return null; // an epoch we hold no keys for
  }
  let valid = 0;
  for (let i = 0; i < params.S; i++) {
    const e = c.vec[i];
    if (e !== undefined && equalBytes(e, full[i]!)) valid++;
  }
  if (valid < params.t + 1) return null;
  return { ts: c.ts, nonce: c.nonce, d: c.d, vec: full };
}
