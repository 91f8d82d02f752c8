// Parsed list entries by their wire text (parseListAnswer). The q or more
// pages of one listing carry the same entry for most keys, and parsing one
// (eleven hex and base64 fields into Buffers) cost a gateway 5 ms per
// 1,000-entry page; an entry whose every field reads exactly as one parsed a
// moment ago parses to the same value, so it gets that value (an immutable
// one: nothing writes into a parsed entry). Any field different, and the
// entry is parsed on its own. One per listing (list-merge.ts), so what it
// holds goes with the listing; bounded all the same, the oldest going first.

import type { ListEntry } from '../../node-api.js';
import { isObject } from './wire.js';

type Raw = Record<string, unknown>;

/** `b`: an array of strings (parsed before); `a`, anything. */
function sameStrings(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether raw entry `e` (lc and its ts objects) reads as `seen` (parsed
 * before, found by the same tag) in every field the parser reads: without
 * cc it reads no meta.
 */
function sameRaw(seen: Raw, e: Raw, b: Raw, bt: Raw): boolean {
  const a = seen.lc as Raw;
  const at = a.ts as Raw;
  return e.key === seen.key && bt.n === at.n && bt.w === at.w && bt.o === at.o && bt.e === at.e
    && b.N === a.N && b.D === a.D && sameStrings(b.vec, a.vec)
    && (seen.cc === undefined ? e.cc === undefined : sameStrings(e.cc, seen.cc) && e.meta === seen.meta);
}

export class ListEntryCache {
  /** By the ts tag: unique to one write of one register. */
  private readonly byTag = new Map<string, { readonly raw: Raw; readonly entry: ListEntry }>();

  constructor(private readonly max = 4096) {}

  /** The entry parsed before from a raw entry reading exactly as `e`, if any. */
  find(e: Raw): ListEntry | undefined {
    const lc = e.lc;
    if (!isObject(lc) || !isObject(lc.ts)) return undefined;
    const hit = this.byTag.get(lc.ts.g as string); // the keys are strings: anything else misses
    return hit && sameRaw(hit.raw, e, lc, lc.ts) ? hit.entry : undefined;
  }

  /** Remembers that `raw` (which parsed without error) parses to `entry`. */
  remember(raw: Raw, entry: ListEntry): void {
    const tag = (((raw.lc as Raw).ts) as Raw).g as string;
    this.byTag.delete(tag);
    this.byTag.set(tag, { raw, entry });
    if (this.byTag.size > this.max) this.byTag.delete(this.byTag.keys().next().value!);
  }
}
