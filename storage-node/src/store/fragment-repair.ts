// Healing a corrupt local copy (DESIGN §4, §7 "Healing"). Hist is
// write-once: a second store for an existing ts is accepted only when it is
// identical (judgeStore's 'duplicate'). A heal is exactly such a store: the
// gateway rebuilt this node's fragment from k others and re-sent the
// original store message. If this node's copy has rotted on disk (a flipped
// bit, a truncated or deleted file), acking the duplicate and keeping the bad
// copy would leave the entry unreadable here forever. So, on a duplicate:
//
// 1. re-hash the stored copy against the entry's own block list (and that
//    list against cc[i]); if it verifies, nothing changes (a plain re-send);
// 2. otherwise the incoming fragment replaces the bytes. It is a verified
//    copy of the very fragment the writer committed to: judgeStore checked
//    its block list against cc[i], and an identical D binds the same cc; it
//    must also have the entry's block size and length.
//
// Only the fragment bytes (and, if the stored list itself no longer hashes
// to cc[i], the block list) are replaced; ts, N̄, D, vec, cc and meta never
// change. Re-hashing costs a read of the stored copy, paid only on duplicate
// stores, which only re-sends and heals cause.
//
// Races: a read streaming the old file keeps its open descriptor (old bytes,
// which the gateway rejects block by block as before); garbage collection
// dropping this very entry meanwhile may leave the renamed file without a
// row naming it, which the start-up sweep removes (DiskStore.sweep).

import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { equalBytes } from '@powerstore/shared/bytes.js';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { listAlg } from '@powerstore/shared/erasure/block-hash.js';
import { tsKey } from '@powerstore/shared/protocol/timestamp.js';
import type { StoredHist } from './disk-store.js';
import { parseLocation, type FragmentAt } from './segments/segments.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { FILE_MODE } from '../owner-only.js';

/** The fragment that came with a duplicate store: hashed, staged (in memory or a file). */
export interface IncomingFragment {
  /** Its block-hash list (judgeStore checked it against cc[i]). */
  readonly blocks: Buffer;
  readonly blockSize: number;
  readonly bytes: number;
  /** The bytes, when small enough to have stayed in memory; null when staged to a file. */
  readonly inline: Buffer | null;
  /** The staging file, when not inline nor in a segment (after seal). */
  readonly path: string | null;
  /** Where seal() appended it, when it went to a segment. */
  readonly location: string | null;
  /** fsyncs and closes the staging file, or appends the fragment to a segment. */
  seal(): Promise<void>;
}

/** Whether the stored copy of `h` still matches its block list, and the list cc[i]. */
export async function copyIntact(ctx: NodeContext, h: StoredHist): Promise<boolean> {
  const alg = listAlg(h.cc[ctx.index]!, h.blocks);
  if (!alg) return false;
  const hasher = new BlockHasher(h.blockSize, alg);
  if (h.fragFile) {
    // A file is read whole (one longer than its entry is corrupt too); a segment's range, as long as the entry.
    const at = ctx.store.fragAt(h.fragFile);
    const range = parseLocation(h.fragFile) ? { start: at.offset, end: at.offset + h.fragLen - 1 } : {};
    try {
      for await (const chunk of createReadStream(at.path, { highWaterMark: 1 << 20, ...range })) hasher.update(chunk as Buffer);
    } catch {
      return false; // gone or unreadable: as bad as corrupt
    }
  } else if (h.fragInline) {
    hasher.update(h.fragInline);
  }
  return hasher.bytes === h.fragLen && equalBytes(hasher.finish(), h.blocks);
}

/**
 * Called for a store judged a duplicate of Hist[ts] = `h`. Returns
 * 'replaced' when the stored copy was corrupt and `fresh` replaced it (its
 * staging file, if any, is then consumed), 'intact' when nothing changed.
 */
export async function repairIfCorrupt(ctx: NodeContext, reg: Buffer, h: StoredHist, fresh: IncomingFragment): Promise<'intact' | 'replaced'> {
  if (await copyIntact(ctx, h)) return 'intact';
  if (fresh.blockSize !== h.blockSize || fresh.bytes !== h.fragLen) {
    // Cannot happen for a genuine heal (the list hashing to cc[i] fixes both).
    throw new NodeRequestError(409, 'store-rejected', 'replacement fragment has a different layout than the stored entry');
  }
  if (h.fragFile) {
    if (fresh.inline) {
      // Staged in memory (a small fragment stored as a file under a larger inline limit): spill it.
      const staging = await stageDurably(ctx, fresh.inline);
      await ctx.store.replaceFragment(reg, h, { staging }, fresh.blocks).catch(async (e: unknown) => {
        await rm(staging, { force: true });
        throw e;
      });
    } else {
      await fresh.seal();
      await ctx.store.replaceFragment(reg, h, fresh.location ? { location: fresh.location } : { staging: fresh.path! }, fresh.blocks);
    }
  } else {
    // Inline entries are small (they were inline when stored): read a spilled copy back.
    let bytes = fresh.inline;
    if (!bytes) {
      await fresh.seal();
      bytes = fresh.location ? await readRange(ctx.store.fragAt(fresh.location), fresh.bytes) : await readFile(fresh.path!);
    }
    await ctx.store.replaceFragment(reg, h, { inline: bytes }, fresh.blocks);
  }
  ctx.log.warn({ reg: reg.toString('hex'), ts: tsKey(h.ts), bytes: h.fragLen }, 'replaced a corrupt fragment copy with a healed one');
  return 'replaced';
}

/** `len` bytes of a fragment in a segment. */
async function readRange(at: FragmentAt, len: number): Promise<Buffer> {
  const f = await open(at.path, 'r');
  try {
    const b = Buffer.alloc(len);
    const { bytesRead } = await f.read(b, 0, len, at.offset);
    return b.subarray(0, bytesRead);
  } finally {
    await f.close();
  }
}

/** Writes bytes to a fresh staging file and fsyncs it; returns its path. */
async function stageDurably(ctx: NodeContext, bytes: Buffer): Promise<string> {
  const path = ctx.store.newStagingPath();
  const f = await open(path, 'wx', FILE_MODE);
  try {
    await f.write(bytes);
    await f.sync();
  } finally {
    await f.close();
  }
  return path;
}
