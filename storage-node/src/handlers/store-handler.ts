// The streamed store (DESIGN §5 step 2, §7): OPEN, the fragment as DATA
// frames, then COMMIT (the store message). The fragment is hashed block by
// block as it arrives; small fragments stay in memory and go inline into the
// database, larger ones spill to a staging file. Only after the store message
// checks out (MAC, D, fragment against cc[i]) does anything become durable:
// file fsync'd and renamed into place, directory fsync'd, then the history
// row committed. Then, and only then, the ack.

import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { listAlg, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import { validBlockSize } from '@powerstore/shared/erasure/layout.js';
import { FrameDecoder, FrameError } from '@powerstore/shared/protocol/wire/frames.js';
import { parseCommit, parseOpen, MISSING_FRAGMENT, type OpenMsg } from '@powerstore/shared/protocol/wire/node-messages.js';
import { maxCommitBytes } from '@powerstore/shared/protocol/wire/sizes.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { judgeStore, type HistRecord, type StoreCommit } from '@powerstore/shared/protocol/server.js';
import { MISSING_PARTS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { encodeTsAnswerAs, type AnswerForm } from '@powerstore/shared/protocol/wire/binary-answers.js';
import { repairIfCorrupt } from '../store/fragment-repair.js';
import { Staging } from '../store/staging.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw new WireError('frame is not JSON');
  }
}

/** `form`: how the ack is encoded (binary-answers.ts; JSON unless a batch entry asked). */
export async function handleStore(ctx: NodeContext, req: AsyncIterable<Buffer> | Iterable<Buffer>, form: AnswerForm = 'json'): Promise<Buffer> {
  // The commit frame of a completing store of 10,000 parts is the largest (sizes.ts).
  const dec = new FrameDecoder(maxCommitBytes(ctx.S));
  const staging = new Staging({
    inlineMax: ctx.inlineMax, maxFragmentBytes: ctx.maxFragmentBytes, newPath: () => ctx.store.newStagingPath(), direct: ctx.store.directPool ?? undefined,
    segmentMax: ctx.segmentMax ?? 0, append: (bytes) => ctx.store.segments.append(bytes), settle: (at) => ctx.store.segments.settle(at),
  });
  let openMsg: OpenMsg | null = null;
  let hasher: BlockHasher | null = null;
  let commit: StoreCommit | null = null;
  let installed = false;
  try {
    for await (const chunk of req) {
      for (const ev of dec.push(chunk)) {
        if (commit) throw new FrameError('frame after commit');
        if (ev.type === 'open') {
          if (openMsg) throw new FrameError('second open frame');
          openMsg = parseOpen(parseJson(ev.json));
          if (!validBlockSize(openMsg.blockSize)) throw new WireError('bad block size');
          // Fault mode false-missing: the heal of a part it claimed to lack is never read further nor answered.
          if (ctx.faults?.any && !ctx.faults.takesStore(openMsg.ref)) return await new Promise<never>(() => undefined);
          hasher = new BlockHasher(openMsg.blockSize, openMsg.hash);
        } else if (ev.type === 'data') {
          if (!hasher || openMsg?.from) throw new FrameError('data before open, or in a store from another write');
          hasher.update(ev.chunk);
          await staging.write(ev.chunk);
        } else {
          if (!openMsg) throw new FrameError('commit before open');
          commit = parseCommit(parseJson(ev.json), ctx.S);
        }
      }
    }
    if (!openMsg || !hasher || !commit || !dec.atBoundary) throw new FrameError('stream ended before the store message');

    const { ref, blockSize } = openMsg;
    const reg = regId(ref.ns, ref.key);
    if (openMsg.from) return await storeFrom(ctx, reg, openMsg, commit, form);
    const blocks = hasher.finish();
    // From disk, not the cache of recent entries: a duplicate store checks the copy this node really holds (fragment-repair.ts).
    const existing = ctx.store.histOnDisk(reg, commit.ts);
    const verdict = judgeStore(ctx.keys, ctx.S, reg, commit, blocks, existing, openMsg.hash);
    if (verdict.kind === 'reject') {
      ctx.metrics.rejectedStores.inc({ reason: verdict.reason });
      throw new NodeRequestError(409, 'store-rejected', verdict.reason);
    }
    // A value made of other writes (multipart) is acked only by a node that
    // holds every one of them; the refusal names the missing ones so the
    // gateway can heal them here and store again.
    const lacking = (commit.parts ?? []).flatMap((p, i) => (ctx.store.hist(regId(p.ns, p.key), p.ts) ? [] : [i]));
    const missing = ctx.faults?.any ? ctx.faults.missingParts(commit.parts ?? [], lacking) : lacking;
    if (missing.length > 0) throw new NodeRequestError(409, MISSING_PARTS, JSON.stringify(missing));
    if (verdict.kind === 'accept') {
      const rec = { ts: commit.ts, nbar: commit.nbar, d: commit.d, vec: commit.vec, cc: commit.cc, meta: commit.meta, blocks, blockSize, fragLen: staging.bytes };
      const inline = staging.inline;
      let frag: { inline: Buffer } | { file: string };
      if (inline) {
        frag = { inline };
      } else {
        await staging.seal();
        if (staging.location) {
          frag = { file: staging.location };
        } else {
          frag = { file: await ctx.store.installFragment(staging.path!) };
          installed = true;
        }
      }
      if (await record(ctx, reg, rec, frag, commit, openMsg.hash)) ctx.metrics.storedBytes.inc(staging.bytes);
    } else if (existing) {
      // A duplicate: a re-send or a heal (DESIGN §7). If this node's own copy
      // has rotted, the verified incoming copy replaces its bytes; the
      // entry's metadata stays as it was (fragment-repair.ts).
      const fresh = {
        blocks, blockSize, bytes: staging.bytes, inline: staging.inline, seal: () => staging.seal(),
        get path() { return staging.path; },
        get location() { return staging.location; },
      };
      if ((await repairIfCorrupt(ctx, reg, existing, fresh)) === 'replaced') {
        // A staging file renamed over the entry's fragment file is gone from staging.
        installed = existing.fragFile !== null && staging.path !== null;
        ctx.metrics.storedBytes.inc(staging.bytes);
      }
    }
    ctx.leases?.hold(reg.toString('hex'), commit.ts);
    await ctx.store.settled(reg);
    return encodeTsAnswerAs(form, ctx.store.committedLc(reg)?.ts ?? null);
  } finally {
    if (!installed) await staging.discard();
  }
}

/**
 * A store whose fragment is the one this node holds for another write of the
 * same register (DESIGN §7, a write stored again after a stale clock hint):
 * checked like any store (the old entry's block hashes must match cc[i]),
 * then recorded pointing at the same fragment file (files are removed only
 * when no history entry names them).
 */
async function storeFrom(ctx: NodeContext, reg: Buffer, open: OpenMsg, commit: StoreCommit, form: AnswerForm): Promise<Buffer> {
  const src = ctx.store.histOnDisk(reg, open.from!);
  // The held list's algorithm is the one its own cc entry commits it in (a list that matches none is as good as missing).
  const hash = src && listAlg(src.cc[ctx.index]!, src.blocks);
  if (!src || !hash || src.blockSize !== open.blockSize) throw new NodeRequestError(409, MISSING_FRAGMENT, 'no such fragment here');
  const verdict = judgeStore(ctx.keys, ctx.S, reg, commit, src.blocks, ctx.store.histOnDisk(reg, commit.ts), hash);
  if (verdict.kind === 'reject') {
    ctx.metrics.rejectedStores.inc({ reason: verdict.reason });
    throw new NodeRequestError(409, 'store-rejected', verdict.reason);
  }
  if (verdict.kind === 'accept') {
    const rec = { ts: commit.ts, nbar: commit.nbar, d: commit.d, vec: commit.vec, cc: commit.cc, meta: commit.meta, blocks: src.blocks, blockSize: src.blockSize, fragLen: src.fragLen };
    const frag = src.fragFile ? { file: src.fragFile } : { inline: src.fragInline ?? Buffer.alloc(0) };
    await record(ctx, reg, rec, frag, commit, hash);
  }
  // The first entry stays as long as this one: nodes that lack it may be rebuilding it from here.
  ctx.leases?.hold(reg.toString('hex'), commit.ts, open.from!);
  await ctx.store.settled(reg);
  return encodeTsAnswerAs(form, ctx.store.committedLc(reg)?.ts ?? null);
}

/**
 * Records an accepted store's entry; true when this store recorded it. The
 * checks before it ran outside the commit, so putHist makes the ones that
 * can change meanwhile again: a part the collector dropped since is
 * refused as missing (the gateway heals it and stores again; review
 * finding 6), and an entry another store of this ts recorded first makes
 * this store a duplicate, judged against that entry like any second store
 * (its installed fragment file is removed, not left for the sweep).
 */
async function record(
  ctx: NodeContext, reg: Buffer, rec: HistRecord, frag: { inline: Buffer } | { file: string }, commit: StoreCommit, hash: BlockHashAlg,
): Promise<boolean> {
  const r = await ctx.store.putHist(reg, rec, frag, commit.parts);
  if (r.kind === 'missing-parts') throw new NodeRequestError(409, MISSING_PARTS, JSON.stringify(r.missing));
  if (r.kind === 'stored') return true;
  const verdict = judgeStore(ctx.keys, ctx.S, reg, commit, rec.blocks, ctx.store.histOnDisk(reg, commit.ts), hash);
  if (verdict.kind === 'reject') {
    ctx.metrics.rejectedStores.inc({ reason: verdict.reason });
    throw new NodeRequestError(409, 'store-rejected', verdict.reason);
  }
  return false;
}
