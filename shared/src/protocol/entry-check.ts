// Authenticating a history entry one node sent back (the `entry` message),
// before a gateway re-sends it to a node that lost it. The write is named by
// someone trusted (a multipart object's meta names each part's ts and cc,
// bound into the object's D); the node supplies the rest: N̄, D, vec, meta.
// D must hash cc and meta; at least t+1 vec entries must verify over
// reg ‖ ts ‖ N̄ ‖ D (t Byzantine nodes know only their own keys, so t+1
// entries prove a writer made them, N̄ included). The entry is returned with
// its full vec recomputed, so a corrupted entry never spreads.

import { equalBytes } from '../bytes.js';
import type { WriterKeyring } from '../keys.js';
import { describesD, makeVec } from './candidate.js';
import type { EvidenceKind } from './evidence.js';
import type { ClusterParams } from './params.js';
import type { StoreCommit } from './server.js';
import { compareTs, tsKey, verifyTag, type Timestamp } from './timestamp.js';

export type EntryVerdict =
  | { readonly ok: StoreCommit }
  | { readonly bad: EvidenceKind; readonly why: string };

export function authenticateEntry(
  keys: WriterKeyring,
  params: ClusterParams,
  reg: Buffer,
  want: { readonly ts: Timestamp; readonly cc: readonly Buffer[] },
  m: StoreCommit,
): EntryVerdict {
  if (compareTs(m.ts, want.ts) !== 0 || m.ts.epoch !== want.ts.epoch || !equalBytes(m.ts.tag, want.ts.tag)) {
    return { bad: verifyTag(keys, reg, m.ts) ? 'malformed' : 'forged-ts', why: `asked for ${tsKey(want.ts)}, answered ${tsKey(m.ts)}` };
  }
  if (m.cc.length !== want.cc.length || !m.cc.every((h, i) => equalBytes(h, want.cc[i]!))) {
    return { bad: 'wrong-cc', why: `entry ${tsKey(m.ts)} has another cc than the write committed to` };
  }
  if (!describesD(m.cc, m.meta, m.d)) return { bad: 'wrong-cc', why: `entry ${tsKey(m.ts)}: D does not match cc and meta` };
  let full: Buffer[];
  try {
    full = makeVec(keys, params, reg, m.ts, m.nbar, m.d);
  } catch {
    return { bad: 'bad-mac', why: `entry ${tsKey(m.ts)} of an epoch this gateway holds no keys for` };
  }
  const valid = full.filter((e, i) => m.vec[i] !== undefined && equalBytes(e, m.vec[i]!)).length;
  if (valid < params.t + 1) return { bad: 'bad-mac', why: `entry ${tsKey(m.ts)}: ${valid} vec entries verify, ${params.t + 1} needed` };
  return { ok: { ts: m.ts, nbar: m.nbar, d: m.d, vec: full, cc: m.cc, meta: m.meta } };
}
