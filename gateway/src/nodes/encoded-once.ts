// The bytes of messages that every node of a round is sent alike, encoded
// once per round instead of once per node (issue 11): a write's store
// message (3 µs of JSON at t = 1 for a small object, megabytes for a
// completing store of 10,000 parts) and its complete request go to all S
// nodes with the same content. Keyed by the message object itself, which
// the protocol never changes once made, and held weakly: the bytes go when
// the round's objects do.

import type { RegRef } from '@powerstore/shared/node-api.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { encodeCommit, encodeCompleteReq } from '@powerstore/shared/protocol/wire/node-messages.js';

const commits = new WeakMap<StoreCommit, Buffer>();
const completes = new WeakMap<Candidate, { readonly ref: RegRef; readonly bytes: Buffer }>();

/** encodeCommit(msg), made once per message object. The caller must not write into it. */
export function commitBytes(msg: StoreCommit): Buffer {
  let b = commits.get(msg);
  if (!b) commits.set(msg, (b = encodeCommit(msg)));
  return b;
}

/** encodeCompleteReq(ref, c), made once per candidate object (and register). The caller must not write into it. */
export function completeBytes(ref: RegRef, c: Candidate): Buffer {
  const e = completes.get(c);
  if (e && e.ref.ns === ref.ns && e.ref.key === ref.key) return e.bytes;
  const bytes = encodeCompleteReq(ref, c);
  completes.set(c, { ref, bytes });
  return bytes;
}
