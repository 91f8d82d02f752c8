// Fixed-width binary encoding helpers. Every MAC and hash input in the
// protocol is built from these so that no two distinct field tuples can
// produce the same byte string.

import { timingSafeEqual } from 'node:crypto';

/** Writes n (a safe non-negative integer) as 8 big-endian bytes at `offset`: two 32-bit halves, no BigInt. */
export function writeU64be(b: Buffer, n: number, offset: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`u64 out of range: ${n}`);
  b.writeUInt32BE(Math.floor(n / 0x1_0000_0000), offset);
  b.writeUInt32BE(n >>> 0, offset + 4);
}

export function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const HEX = /^[0-9a-f]*$/;

/** Parses lower-case hex of an exact byte length; returns null when malformed. */
export function fromHex(s: unknown, bytes: number): Buffer | null {
  if (typeof s !== 'string' || s.length !== bytes * 2 || !HEX.test(s)) return null;
  return Buffer.from(s, 'hex');
}
