// The node's JSON rounds (paper Algorithm 5): clock, complete, collect,
// filter, plus list and health. Each handler parses its request, asks the
// pure decisions of shared/src/protocol/server.ts, persists what they say
// (durably, before answering) and encodes the answer. An answer never
// reveals state that is not yet durable.

import type { ListEntry } from '../../shared/src/node-api.js';
import {
  encodeCandAnswer, encodeFilterAnswer, encodeListAnswer, encodeTsAnswer,
  parseCompleteReq, parseFilterReq, parseListReq, parseRef, MAX_FILTER_FRAGMENT,
} from '../../shared/src/protocol/node-messages.js';
import { regId } from '../../shared/src/protocol/register.js';
import { judgeComplete, judgeFilter } from '../../shared/src/protocol/server.js';
import { isObject, WireError } from '../../shared/src/protocol/wire.js';
import type { StoredHist } from './disk-store.js';
import type { NodeContext } from './node-context.js';

function refOf(json: unknown): { ns: string; key: string } {
  if (!isObject(json)) throw new WireError('not an object');
  return parseRef(json);
}

export async function handleClock(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const ref = refOf(json);
  const reg = regId(ref.ns, ref.key);
  await ctx.store.settled(reg);
  return encodeTsAnswer(ctx.store.lc(reg)?.ts ?? null);
}

/** complete (and any single-candidate write-back): lc ← c if valid here and newer. */
export async function handleComplete(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const { ref, c } = parseCompleteReq(json, ctx.S);
  const reg = regId(ref.ns, ref.key);
  const newLc = judgeComplete(ctx.keys, reg, ctx.store.lc(reg), c, ctx.store.hist(reg, c.ts));
  if (newLc) await ctx.store.setLc(reg, ref.ns, ref.key, newLc);
  else await ctx.store.settled(reg);
  return encodeTsAnswer(ctx.store.lc(reg)?.ts ?? null);
}

export async function handleCollect(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const ref = refOf(json);
  const reg = regId(ref.ns, ref.key);
  await ctx.store.settled(reg);
  return encodeCandAnswer(ctx.store.lc(reg));
}

export async function handleFilter(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const { ref, C } = parseFilterReq(json, ctx.S);
  const reg = regId(ref.ns, ref.key);
  const d = judgeFilter(ctx.keys, reg, ctx.store.lc(reg), C, (ts) => ctx.store.hist(reg, ts));
  if (d.newLc) await ctx.store.setLc(reg, ref.ns, ref.key, d.newLc);
  else await ctx.store.settled(reg);
  if (!d.chv) return encodeFilterAnswer({ ts: null });
  if (!d.hist) return encodeFilterAnswer({ ts: d.chv.ts });
  const described = { ts: d.chv.ts, cc: d.hist.cc, meta: d.hist.meta, blocks: d.hist.blocks };
  // A data-shard node sends a small fragment along: the read then needs no
  // data round, and still moves each byte once (only k nodes send data).
  const stored = d.hist as StoredHist; // histOf above returns the store's records
  const k = (ctx.S - 1) / 3 + 1;
  if (ctx.index < k && stored.fragInline && stored.fragInline.length <= MAX_FILTER_FRAGMENT) {
    return encodeFilterAnswer({ ...described, fragment: stored.fragInline });
  }
  return encodeFilterAnswer(described);
}

/** The smallest byte string above every string that starts with `p` (null: none). */
export function prefixEnd(p: Buffer): Buffer | null {
  const b = Buffer.from(p);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      b[i]!++;
      return b.subarray(0, i + 1);
    }
  }
  return null;
}

/**
 * list (DESIGN §8): raw entries (delete markers included) in key order after
 * the marker, each with its lc and, when held, cc and meta. A page is
 * marked truncated only when more entries exist.
 */
export async function handleList(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const req = parseListReq(json);
  const prefix = Buffer.from(req.prefix, 'utf8');
  let from: Buffer = prefix;
  let after = req.after === null ? null : Buffer.from(req.after, 'utf8');
  if (after && req.skipPrefix) {
    // Keys at or above the first string past every key starting with `after`.
    const end = prefixEnd(after);
    if (!end) return encodeListAnswer({ entries: [], truncated: false });
    if (Buffer.compare(end, from) > 0) from = end;
    after = null;
  }
  await ctx.store.committer.barrier();
  const rows = ctx.store.list(req.ns, from, after, prefixEnd(prefix), req.limit + 1);
  const entries: ListEntry[] = rows.slice(0, req.limit).map((r) =>
    r.hist ? { key: r.key, lc: r.lc, cc: r.hist.cc, meta: r.hist.meta } : { key: r.key, lc: r.lc },
  );
  return encodeListAnswer({ entries, truncated: rows.length > req.limit });
}

export async function handleHealth(ctx: NodeContext): Promise<Buffer> {
  return Buffer.from(JSON.stringify({ node: ctx.index, ok: true, ...ctx.store.counts() }));
}
