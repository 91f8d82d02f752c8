// Keys in the order listings use (S3's, and the nodes' SQLite BLOB order):
// by their UTF-8 bytes, which is code point order. JS strings compare by
// UTF-16 code units, which differs only where a surrogate (half of a code
// point above U+FFFF) meets a unit from U+E000 to U+FFFF: the surrogate's
// code point is the larger, its unit the smaller. A listing compares keys
// some 15,000 times a page; encoding both to UTF-8 for each comparison
// allocated two Buffers every time.

/** Code unit x moved so that unit order is code point order (for units ≥ U+D800). */
function unitRank(x: number): number {
  if (x < 0xd800) return x;
  return x >= 0xe000 ? x - 0x800 : x + 0x2000;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` by UTF-8 bytes. */
export function cmpKey(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) < unitRank(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
