// Checking one node's copy of one stored write (DESIGN §7, "Healing"): ask
// the node for its block-hash list and every block of its fragment, and
// verify, as the bytes stream, that the list hashes to cc[i] and every block
// hashes to its entry of the list. Memory stays at one block whatever the
// fragment's size. A failed verification is a proof (evidence against the
// node: 'wrong-cc' or 'corrupt-block'); anything else that goes wrong
// (refusal, broken stream, silence) is not, and the caller decides what it
// means (scrub.ts probes the node's health).

import { equalBytes } from '@powerstore/shared/bytes.js';
import { shardBytes, stripeCount, type StripeLayout } from '@powerstore/shared/erasure/layout.js';
import { NodeRefusedError } from '@powerstore/shared/errors.js';
import { BlockDigest, listAlg } from '@powerstore/shared/erasure/block-hash.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { ProtocolContext } from './context.js';
import { ExactReader } from './exact-reader.js';

/** A stored write as far as its fragments go: register, ts, committed cc and layout. */
export interface StoredWrite {
  readonly ref: RegRef;
  readonly ts: Timestamp;
  readonly cc: readonly Buffer[];
  readonly layout: StripeLayout;
}

export type FragmentVerdict =
  /** The node holds the fragment and every byte of it verifies. */
  | { readonly kind: 'ok' }
  /** The node answered that it holds no such history entry (404). */
  | { readonly kind: 'missing'; readonly detail: string }
  /** Proof: the block list does not hash to cc[i], or a block fails its hash. */
  | { readonly kind: 'corrupt'; readonly detail: string }
  /** Anything else: a refusal, a broken or stalled stream, an unreachable node. */
  | { readonly kind: 'unreadable'; readonly detail: string };

/**
 * Verifies node `node`'s whole fragment of `w`. Never throws (but for an
 * abort of `signal`); a 'corrupt' verdict has already been reported to the
 * observer as evidence.
 */
export async function checkFragment(ctx: ProtocolContext, w: StoredWrite, node: number, signal: AbortSignal): Promise<FragmentVerdict> {
  const stripes = stripeCount(w.layout);
  const corrupt = (kind: 'wrong-cc' | 'corrupt-block', detail: string): FragmentVerdict => {
    ctx.observer.evidence({ node, kind, detail: `${detail} (${w.ref.ns}/${w.ref.key})` });
    return { kind: 'corrupt', detail };
  };
  // An empty fragment still has a (empty) block list to check: the node
  // then proves it holds the history entry (its metadata) at all.
  const reader = new ExactReader(
    ctx.nodes[node]!.readBlocks(w.ref, w.ts, 0, Math.max(stripes - 1, 0), true, signal),
    ctx.timeouts.dataIdleMs,
  );
  try {
    const len = (await reader.read(4)).readUInt32BE(0);
    // The committed list has one 32-byte hash per stripe; any other length
    // cannot hash to cc[i] (checked before reading it: no unbounded buffer).
    if (len !== stripes * 32) return corrupt('wrong-cc', `block list of ${len} bytes, the write has ${stripes} blocks`);
    const list = await reader.read(len);
    const alg = listAlg(w.cc[node]!, list);
    if (!alg) return corrupt('wrong-cc', 'block list does not match cc');
    for (let s = 0; s < stripes; s++) {
      const h = new BlockDigest(alg);
      for (const p of await reader.readParts(shardBytes(w.layout, s))) h.update(p);
      if (!equalBytes(h.digest(), list.subarray(s * 32, s * 32 + 32))) return corrupt('corrupt-block', `block ${s} fails its hash`);
    }
    return { kind: 'ok' };
  } catch (err) {
    if (signal.aborted) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    if (err instanceof NodeRefusedError && err.status === 404) return { kind: 'missing', detail };
    return { kind: 'unreadable', detail };
  } finally {
    reader.close();
  }
}
