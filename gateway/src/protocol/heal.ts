// Healing (DESIGN §7): a node missing its fragment of a stored write (it was
// down, or lost its disk) is given it again. The gateway rebuilds the
// fragment stripe by stripe from k verified fragments of other nodes and
// re-sends the identical store message (same ts, cc, N̄, D, vec, meta); the
// node checks the rebuilt fragment against cc[i] like any store, so a heal
// can never plant anything a writer did not commit to.

import type { StripeLayout } from '@powerstore/shared/erasure/layout.js';
import { shardBytes, stripeCount } from '@powerstore/shared/erasure/layout.js';
import { RestoreError } from '@powerstore/shared/errors.js';
import { blockDigest, listAlg, listMatches } from '@powerstore/shared/erasure/block-hash.js';
import type { RegRef, StoreSession } from '@powerstore/shared/node-api.js';
import { nonceHash, type Candidate } from '@powerstore/shared/protocol/candidate.js';
import { authenticateEntry } from '@powerstore/shared/protocol/entry-check.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { StoreCommit } from '@powerstore/shared/protocol/server.js';
import { tsKey, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { ProtocolContext } from './context.js';
import { withTimeout } from './quorum.js';
import { dataShards, StripeReader } from './restore.js';

/** A completed write, as a read or a listing established it. */
export interface HealSource {
  readonly ref: RegRef;
  /** The (normalised, full-vec) candidate of the write. */
  readonly c: Candidate;
  readonly cc: readonly Buffer[];
  readonly meta: Buffer;
  readonly layout: StripeLayout;
}

/** Rebuilds node `target`'s fragment of the write and stores it there. */
export async function healFragment(ctx: ProtocolContext, h: HealSource, target: number, signal: AbortSignal): Promise<void> {
  await rebuildInto(ctx, { ref: h.ref, ts: h.c.ts, cc: h.cc, layout: h.layout }, target,
    { ts: h.c.ts, nbar: nonceHash(h.c.nonce), d: h.c.d, vec: h.c.vec, cc: h.cc, meta: h.meta }, signal);
}

/** A stored write whose fragments can be rebuilt (completed or not). */
export interface FragmentSource {
  readonly ref: RegRef;
  readonly ts: Timestamp;
  readonly cc: readonly Buffer[];
  readonly layout: StripeLayout;
}

/**
 * The store message of a write known only by ts and cc (a multipart
 * object's part, whose register has since moved on to a delete marker), as
 * any node still holding the entry gives it, authenticated
 * (authenticateEntry). An answer that fails is evidence against its node.
 */
export async function storedWrite(ctx: ProtocolContext, src: FragmentSource, signal: AbortSignal): Promise<StoreCommit> {
  const reg = regId(src.ref.ns, src.ref.key);
  try {
    return await Promise.any(ctx.nodes.map(async (n) => {
      const m = await withTimeout(ctx.timeouts.rpcMs, signal, (sig) => n.entry(src.ref, src.ts, sig));
      if (!m) throw new Error(`node ${n.index} holds no entry`);
      const v = authenticateEntry(ctx.keys, ctx.params, reg, src, m);
      if ('ok' in v) return v.ok;
      ctx.observer.evidence({ node: n.index, kind: v.bad, detail: `${v.why} (${src.ref.ns}/${src.ref.key})` });
      throw new Error(v.why);
    }));
  } catch (e) {
    if (!(e instanceof AggregateError)) throw e;
    throw new RestoreError(`no node holds a provable entry ${tsKey(src.ts)} of ${src.ref.ns}/${src.ref.key}`);
  }
}

/**
 * Rebuilds node `target`'s fragment of `src` from k other nodes' verified
 * fragments, streams it to the target and stores it there under `commit`
 * (the same write, when healing; a new ts of the same value, when a write is
 * stored again after a stale clock hint).
 */
export async function rebuildInto(ctx: ProtocolContext, src: FragmentSource, target: number, commit: StoreCommit, signal: AbortSignal): Promise<void> {
  const { k, S } = ctx.params;
  const h = src;
  const stripes = stripeCount(h.layout);
  const stored = { ref: h.ref, ts: h.ts, cc: h.cc, proven: () => new Map<number, Buffer>() };
  const reader = new StripeReader(ctx, stored, h.layout, Math.max(stripes - 1, 0), signal, new Set([target]));
  // The target is told which hash its blocks are in: the one the verified
  // sources' lists are in (one write, one algorithm), or, with no block to
  // read, the one cc[target] commits the empty list in.
  let session: StoreSession | null = null;
  const hashes: Buffer[] = [];
  try {
    for (let s = 0; s < stripes; s++) {
      const shard = shardBytes(h.layout, s);
      const data = await dataShards(ctx, await reader.stripe(s), shard);
      let block: Buffer;
      if (target < k) {
        block = Buffer.concat(data[target]!, shard);
      } else {
        const stripe = Buffer.concat(data.flat(), shard * k);
        const parity = Buffer.allocUnsafe(shard * (S - k));
        await ctx.coder.encode(stripe, parity, shard);
        block = parity.subarray((target - k) * shard, (target - k + 1) * shard);
      }
      const alg = reader.hash!;
      session ??= ctx.nodes[target]!.openStore(h.ref, h.layout.blockSize, alg, signal);
      hashes.push(blockDigest(alg, block));
      await session.write(block);
    }
    const alg = reader.hash ?? listAlg(h.cc[target]!, Buffer.alloc(0));
    if (!alg || !listMatches(alg, h.cc[target]!, Buffer.concat(hashes))) {
      throw new RestoreError(`rebuilt fragment ${target} does not match its cross-checksum`);
    }
    session ??= ctx.nodes[target]!.openStore(h.ref, h.layout.blockSize, alg, signal);
    await session.commit(commit);
  } catch (e) {
    session?.abort();
    throw e;
  } finally {
    reader.close();
  }
}
