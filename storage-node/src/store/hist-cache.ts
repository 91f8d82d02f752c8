// The history entries of small objects that a node stored or read lately,
// parsed (issue 11).
//
// Why: a read's filter at a node looks up Hist[c.ts] of the chosen write,
// and a write's complete looks up its head; each was a query, and the
// filter's copied the entry's inline fragment out of the row besides.
// `hist` was 10-12% of a node's CPU during 4 KiB GETs (V8's profile, three
// nodes), the largest single function.
//
// What is kept: entries whose fragment is inline (small objects), at most
// ENTRY_BYTES each and BUDGET_BYTES in all, least recently used first out.
// Entries with a fragment file or segment are never kept: compaction moves
// those (moveFrag), and their objects are large enough that one query is
// nothing beside their bytes.
//
// The cache mirrors the hist table exactly, as lc-cache.ts mirrors regs:
// DiskStore puts an entry in when it reads the row, or when its own insert
// writes it inside a transaction (so later ops of that transaction see it,
// as they see the row); it takes an entry out where it deletes the row or
// changes its fragment or block list; and the whole cache goes when a
// transaction rolls back. Nothing else writes hist. What must see the disk
// itself does not ask here (DiskStore.histOnDisk: a heal's check of the
// copy it holds, block reads, which the scrubber's verification goes
// through).
//
// Memory: an entry's buffers may be slices of a parsed request (Node's
// shared 8 KiB pool) or of a row; each kept entry's bytes are copied into one
// allocation of its own (see lc-cache.ts for what a kept slice costs).

import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import type { StoredHist } from './disk-store.js';

/** The largest entry kept, fragment included: a 4 KiB object's entry is about 4.7 KiB at t = 1, overhead included. */
export const ENTRY_BYTES = 16 * 1024;
/** All kept entries together: about 3,500 entries of 4 KiB objects. */
export const BUDGET_BYTES = 16 * 1024 * 1024;
/**
 * What an entry costs besides its bytes: the record, its fourteen Buffer views, two arrays, the
 * key and the Map's slot. Measured: 2,177 bytes of V8 heap an entry at t = 1 (20,000 entries of a
 * 4 KiB object's, `heapUsed` after a full collection), beside its 2,612 bytes of data.
 */
const OVERHEAD = 2200;

/** The cache key of Hist[ts] of register `reg` (hex): the table's own key. */
export function histKey(reg: string, ts: Pick<Timestamp, 'num' | 'writer' | 'op'>): string {
  return `${reg}/${ts.num}/${ts.writer}/${ts.op}`;
}

/** The bytes of `h` that a kept copy holds, plus its overhead. */
function sizeOf(h: StoredHist): number {
  let n = OVERHEAD + h.ts.tag.length + h.nbar.length + h.d.length + h.meta.length + h.blocks.length + (h.fragInline?.length ?? 0);
  for (const v of h.vec) n += v.length;
  for (const c of h.cc) n += c.length;
  return n;
}

/** `h` with its bytes copied into one allocation outside the shared Buffer pool. */
function detached(h: StoredHist, bytes: number): StoredHist {
  const mem = Buffer.allocUnsafeSlow(bytes - OVERHEAD);
  let at = 0;
  const take = (b: Buffer): Buffer => {
    b.copy(mem, at);
    at += b.length;
    return mem.subarray(at - b.length, at);
  };
  return {
    ts: { ...h.ts, tag: take(h.ts.tag) },
    nbar: take(h.nbar),
    d: take(h.d),
    vec: h.vec.map(take),
    cc: h.cc.map(take),
    meta: take(h.meta),
    blocks: take(h.blocks),
    blockSize: h.blockSize,
    fragLen: h.fragLen,
    fragFile: null,
    fragInline: h.fragInline && take(h.fragInline),
  };
}

export class HistCache {
  /** Key (histKey) → entry and its size; Map order is recency. */
  private readonly entries = new Map<string, { readonly h: StoredHist; readonly bytes: number }>();
  private held = 0;

  constructor(private readonly budget = BUDGET_BYTES, private readonly entryMax = ENTRY_BYTES) {}

  /** The kept entry; undefined when it is not kept. */
  get(key: string): StoredHist | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    // Most recently used last, so eviction takes the least recently used.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.h;
  }

  /** Keeps a copy of `h` (the row as it now is), if it is of the kind kept; returns what the caller may use. */
  set(key: string, h: StoredHist): StoredHist {
    this.delete(key);
    if (h.fragFile !== null || h.fragInline === null) return h;
    const bytes = sizeOf(h);
    if (bytes > this.entryMax) return h;
    const kept = detached(h, bytes);
    this.entries.set(key, { h: kept, bytes });
    this.held += bytes;
    for (const [k, e] of this.entries) {
      if (this.held <= this.budget) break;
      this.entries.delete(k);
      this.held -= e.bytes;
    }
    return kept;
  }

  /** Forgets the entry (its row was deleted or changed). */
  delete(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.held -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes held, overhead included. */
  get bytes(): number {
    return this.held;
  }
}
