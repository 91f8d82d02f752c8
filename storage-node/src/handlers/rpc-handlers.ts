// The node's JSON rounds (paper Algorithm 5): clock, complete, collect,
// filter, plus list and health. Each handler parses its request, asks the
// pure decisions of shared/src/protocol/server.ts, persists what they say
// (durably, before answering) and encodes the answer. An answer never
// reveals state that is not yet durable: decisions read the newest lc
// (DiskStore.lc, perhaps still pending, so lc never goes down); answers
// wait for what they depend on to commit (settled) and then read the
// committed lc (DiskStore.committedLc), never the pending one, since
// another request may have decided a newer lc in between (review finding 10).
// `form`: how clock, complete, collect and filter encode their answer (JSON,
// or binary where a gateway's batch entry asked; binary-answers.ts).

import {
  parseCompleteReq, parseFilterReq, parseListReq, parseRef, MAX_FILTER_FRAGMENT, encodePinAnswer, parsePinReq, isReleasesReq, parseReleasesReq,
  encodeEntryAnswer, parseEntryReq,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { encodeStoredListAnswer, type StoredListEntry } from '@powerstore/shared/protocol/wire/list-answer.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { LIST_PAGE_BYTES, listEntryWeight } from '@powerstore/shared/protocol/wire/sizes.js';
import { judgeComplete, judgeFilter } from '@powerstore/shared/protocol/server.js';
import { isObject, WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { encodeCandAnswerAs, encodeFilterAnswerAs, encodeTsAnswerAs, type AnswerForm } from '@powerstore/shared/protocol/wire/binary-answers.js';
import type { StoredHist } from '../store/disk-store.js';
import type { NodeContext } from '../node-context.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';

function refOf(json: unknown): { ns: string; key: string } {
  if (!isObject(json)) throw new WireError('not an object');
  return parseRef(json);
}

export async function handleClock(ctx: NodeContext, json: unknown, form: AnswerForm = 'json'): Promise<Buffer> {
  const ref = refOf(json);
  const reg = regId(ref.ns, ref.key);
  await ctx.store.settled(reg);
  return encodeTsAnswerAs(form, ctx.store.committedLc(reg)?.ts ?? null);
}

/** lc moved up: persist it, then let garbage collection look at what is now below it. */
async function raiseLc(ctx: NodeContext, reg: Buffer, ref: { ns: string; key: string }, lc: Candidate): Promise<void> {
  await ctx.store.setLc(reg, ref.ns, ref.key, lc);
  ctx.gc?.schedule(reg);
}

/** complete (and any single-candidate write-back): lc ← c if valid here and newer. */
export async function handleComplete(ctx: NodeContext, json: unknown, form: AnswerForm = 'json'): Promise<Buffer> {
  const { ref, c } = parseCompleteReq(json, ctx.S);
  const reg = regId(ref.ns, ref.key);
  const newLc = judgeComplete(ctx.keys, reg, ctx.store.lc(reg), c, ctx.store.histHead(reg, c.ts));
  if (newLc) await raiseLc(ctx, reg, ref, newLc);
  else await ctx.store.settled(reg);
  // The write is done (the request is a gateway's, authenticated): its entry
  // is ordinary history now. A raised lc has scheduled collection already
  // (it runs after this); otherwise the released entry may be garbage now.
  ctx.leases?.release(reg.toString('hex'), c.ts);
  if (!newLc) ctx.gc?.schedule(reg);
  return encodeTsAnswerAs(form, ctx.store.committedLc(reg)?.ts ?? null);
}

/** collect: this node's lc; the read is pinned here from it upward (first contact). */
export async function handleCollect(ctx: NodeContext, json: unknown, form: AnswerForm = 'json'): Promise<Buffer> {
  const ref = refOf(json);
  const reg = regId(ref.ns, ref.key);
  await ctx.store.settled(reg);
  const lc = ctx.store.committedLc(reg);
  const readId = (json as { readId?: unknown }).readId;
  if (typeof readId === 'string') ctx.pins?.touch(readId.slice(0, 64), reg.toString('hex'), lc?.ts ?? null);
  return encodeCandAnswerAs(form, lc);
}

export async function handleFilter(ctx: NodeContext, json: unknown, form: AnswerForm = 'json'): Promise<Buffer> {
  const req = parseFilterReq(json, ctx.S);
  const { ref, readId, C } = req;
  const reg = regId(ref.ns, ref.key);
  const regHex = reg.toString('hex');
  await ctx.store.settled(reg);
  const lc = ctx.store.lc(reg);
  // A read whose pin here lapsed (or that ended) is told so; it is never
  // pinned afresh with a newer floor (DESIGN §6; review findings 9 and 12).
  const touched = ctx.pins?.touch(readId, regHex, lc?.ts ?? null, req.pin);
  if (touched?.lapsed) return encodeFilterAnswerAs(form, { ts: null, lapsed: true });
  const floor = touched?.floor ?? null;
  const pin = touched ? { pin: touched.pin } : {};
  const d = judgeFilter(ctx.keys, reg, lc, C, (ts) => ctx.store.hist(reg, ts), floor);
  // Pinned in the same synchronous step as Hist was read: a collection
  // committing while this answer waits for its write-back must see the pin
  // (it decides again inside its transaction; review finding 6).
  if (d.chv && !d.gone) ctx.pins?.add(readId, regHex, d.chv.ts);
  if (d.gone) {
    // The lc judged here may still be pending; once settled, the committed
    // lc is at least as new (lc never goes down), so still above chv.
    await ctx.store.settled(reg);
    return encodeFilterAnswerAs(form, { ts: null, gone: ctx.store.committedLc(reg)!, ...pin });
  }
  if (d.newLc) await raiseLc(ctx, reg, ref, d.newLc);
  else await ctx.store.settled(reg);
  if (!d.chv) return encodeFilterAnswerAs(form, { ts: null, ...pin });
  if (!d.hist) return encodeFilterAnswerAs(form, { ts: d.chv.ts, ...pin });
  const described = { ts: d.chv.ts, cc: d.hist.cc, meta: d.hist.meta, blocks: d.hist.blocks, ...pin };
  // The first q nodes (the data-shard nodes and t parity nodes) send a small
  // fragment along: whichever q filter answers a read waits for, k of them
  // carry fragments (at most t of the q senders are among the S - q it does
  // not wait for), so the read needs no narrow and no block request. Sent by
  // the k data-shard nodes only, a data node's answer was the one not waited
  // for in about 40% of a local cluster's 4 KiB GETs (issue 11), and each of
  // those fetched its blocks: a narrow to every node and a block request.
  const stored = d.hist as StoredHist; // histOf above returns the store's records
  const { q } = clusterParams((ctx.S - 1) / 3);
  if (ctx.index < q && stored.fragInline && stored.fragInline.length <= MAX_FILTER_FRAGMENT) {
    return encodeFilterAnswerAs(form, { ...described, fragment: stored.fragInline });
  }
  return encodeFilterAnswerAs(form, described);
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
 * the marker, each with its lc and, when held, cc and meta, up to a count
 * and a byte limit: entries are added until their weight reaches
 * LIST_PAGE_BYTES (sizes.ts), so the answer stays far below the batch cap
 * even when every entry is a 10,000-part object. A page is marked truncated
 * only when more entries exist; one cut by bytes is marked byteLimited (the
 * gateway checks that it weighs that much).
 */
export async function handleList(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const req = parseListReq(json);
  const prefix = Buffer.from(req.prefix, 'utf8');
  let from: Buffer = prefix;
  let after = req.after === null ? null : Buffer.from(req.after, 'utf8');
  if (after && req.skipPrefix) {
    // Keys at or above the first string past every key starting with `after`.
    const end = prefixEnd(after);
    if (!end) return encodeStoredListAnswer([], false, false);
    if (Buffer.compare(end, from) > 0) from = end;
    after = null;
  }
  await ctx.store.committer.barrier(); // what was decided before this request shows (list reads committed lc only)
  const entries: StoredListEntry[] = [];
  let weight = 0;
  let more = false;
  for (const r of ctx.store.listRows(req.ns, from, after, prefixEnd(prefix), req.limit + 1)) {
    if (entries.length === req.limit || weight >= LIST_PAGE_BYTES) {
      more = true;
      break;
    }
    entries.push(r);
    weight += listEntryWeight(r.key, r.meta);
  }
  const byteLimited = more && entries.length < req.limit;
  return encodeStoredListAnswer(entries, more, byteLimited);
}

/**
 * entry: the store message of one history entry (any, above or below lc),
 * so a gateway can re-send it to a node that lost it. Used to heal a
 * multipart object's parts, whose registers have moved on to a delete
 * marker. Reveals nothing a collect would not: ts, N̄, D and vec are
 * authenticated by the gateway, never trusted.
 */
export async function handleEntry(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const { ref, ts } = parseEntryReq(json);
  const reg = regId(ref.ns, ref.key);
  await ctx.store.settled(reg);
  const h = ctx.store.hist(reg, ts);
  return encodeEntryAnswer(h ? { ts: h.ts, nbar: h.nbar, d: h.d, vec: h.vec, cc: h.cc, meta: h.meta } : null);
}

export async function handleHealth(ctx: NodeContext): Promise<Buffer> {
  return Buffer.from(JSON.stringify({ node: ctx.index, ok: true, ...ctx.store.counts(), ...ctx.store.capacity() }));
}

/** A read's pin here: renew, narrow to the chosen write, or release (DESIGN §6). */
export async function handlePin(ctx: NodeContext, json: unknown): Promise<Buffer> {
  if (isReleasesReq(json)) {
    for (const r of parseReleasesReq(json)) ctx.pins?.release(r.readId, regId(r.ref.ns, r.ref.key).toString('hex'));
    return encodePinAnswer(true);
  }
  const p = parsePinReq(json);
  const reg = regId(p.ref.ns, p.ref.key).toString('hex');
  if (!ctx.pins) return encodePinAnswer(true);
  if (p.action === 'release') {
    ctx.pins.release(p.readId, reg);
    return encodePinAnswer(true);
  }
  return encodePinAnswer(p.action === 'narrow' ? ctx.pins.narrow(p.readId, reg, p.ts!) : ctx.pins.renew(p.readId, reg));
}
