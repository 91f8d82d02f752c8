// The committed lc of the registers a node touched lately, parsed (issue 11).
//
// Why: a 4 KiB PUT looks its register's lc up four to five times at each
// node (the store's answer, complete and its answer, the collector's first
// look and its transaction), and a GET twice (collect, filter); each look
// was a query and a parse of the lc's JSON (541 bytes at t = 1), 7-8 µs.
// Together 3-5% of a node's CPU under small PUTs (`perf`).
//
// The cache mirrors the regs table exactly: DiskStore puts a value in when
// it reads the row, or when its own upsert writes it inside a transaction
// (so later ops of that transaction see it, as they see the row), and the
// whole cache is dropped when a transaction rolls back. Nothing else writes
// lc.
//
// Memory: a parsed candidate from the JSON holds slices of Node's shared
// 8 KiB Buffer pool, and a kept slice keeps its whole slab alive (the tenth
// session measured a node's peak RSS going from 120 to 217 MiB that way).
// So every cached candidate's bytes are copied into one allocation of its
// own, about 230 bytes at t = 1, and the cache holds at most MAX_ENTRIES.

import type { Candidate } from '@powerstore/shared/protocol/candidate.js';

/** Registers whose lc is kept: far more than a node has in flight at once. */
export const MAX_ENTRIES = 4096;

/** `c` with its bytes copied into one allocation outside the shared Buffer pool. */
export function detached(c: Candidate): Candidate {
  let total = c.ts.tag.length + c.nonce.length + c.d.length;
  for (const v of c.vec) total += v.length;
  const mem = Buffer.allocUnsafeSlow(total);
  let at = 0;
  const take = (b: Buffer): Buffer => {
    b.copy(mem, at);
    at += b.length;
    return mem.subarray(at - b.length, at);
  };
  return { ts: { ...c.ts, tag: take(c.ts.tag) }, nonce: take(c.nonce), d: take(c.d), vec: c.vec.map(take) };
}

export class LcCache {
  /** Register id (hex) → its committed lc (null: none); Map order is recency. */
  private readonly entries = new Map<string, Candidate | null>();

  constructor(private readonly max = MAX_ENTRIES) {}

  /** The cached lc; undefined when the register is not cached. */
  get(id: string): Candidate | null | undefined {
    const c = this.entries.get(id);
    if (c === undefined) return undefined;
    // Most recently used last, so eviction takes the least recently used.
    this.entries.delete(id);
    this.entries.set(id, c);
    return c;
  }

  /** Caches `c` (detached) as the register's committed lc. */
  set(id: string, c: Candidate | null): Candidate | null {
    const kept = c && detached(c);
    this.entries.delete(id);
    this.entries.set(id, kept);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return kept;
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
