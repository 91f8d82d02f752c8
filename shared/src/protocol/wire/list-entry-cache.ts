// The entries parsed from one listing's pages, by key and entry bytes
// (parseListAnswer). The q or more pages of one listing carry the same
// entry for most keys, and parsing one (lc's JSON, then eleven hex fields
// into Buffers, cc into S views) is most of what reading an entry costs;
// bytes equal to those parsed a moment ago for the same key parse to the
// same value, so they get that value (an immutable one: nothing writes
// into a parsed entry), and VerdictMemo and the merge then know it by its
// identity. Any byte different, and the entry is parsed on its own. One per
// listing (list-merge.ts), so what it holds goes with the listing; bounded
// all the same, the oldest going first.

import type { ListEntry } from '../../node-api.js';

export class ListEntryCache {
  private readonly byKey = new Map<string, { readonly raw: Buffer; readonly entry: ListEntry }>();

  constructor(private readonly max = 4096) {}

  /** The entry parsed before from exactly the bytes body[start, end) under this key, if any. */
  find(key: string, body: Buffer, start: number, end: number): ListEntry | undefined {
    const hit = this.byKey.get(key);
    return hit && hit.raw.length === end - start && body.compare(hit.raw, 0, hit.raw.length, start, end) === 0 ? hit.entry : undefined;
  }

  /** Remembers that `raw` (which parsed without error) parses to `entry`. */
  remember(key: string, raw: Buffer, entry: ListEntry): void {
    this.byKey.delete(key);
    this.byKey.set(key, { raw, entry });
    if (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value!);
  }
}
