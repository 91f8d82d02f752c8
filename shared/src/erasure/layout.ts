// Stripe layout (DESIGN §7). The object is cut into stripes of k × blockSize
// bytes; each stripe is encoded into S shards of one block each; fragment i
// is shard i of every stripe, concatenated. The last stripe may be short: its
// shards are ceil(rest / k) bytes rounded up to a multiple of 8 (the coder's
// unit), zero-padded. So a fragment splits into blocks of blockSize bytes
// except its last, and block j of every fragment belongs to stripe j.

export const DEFAULT_BLOCK_SIZE = 1024 * 1024;
export const SHARD_ALIGN = 8;

export interface StripeLayout {
  readonly size: number;
  readonly k: number;
  readonly blockSize: number;
}

export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

export function stripeCount(l: StripeLayout): number {
  return Math.ceil(l.size / (l.k * l.blockSize));
}

/** Bytes of object data in stripe s (the last one may be short). */
export function stripeDataBytes(l: StripeLayout, s: number): number {
  const stripe = l.k * l.blockSize;
  return Math.min(stripe, l.size - s * stripe);
}

/** Shard (block) size of stripe s. */
export function shardBytes(l: StripeLayout, s: number): number {
  const data = stripeDataBytes(l, s);
  return data === l.k * l.blockSize ? l.blockSize : roundUp(Math.ceil(data / l.k), SHARD_ALIGN);
}

/** Length of every fragment (all fragments have the same length). */
export function fragmentBytes(l: StripeLayout): number {
  const n = stripeCount(l);
  return n === 0 ? 0 : (n - 1) * l.blockSize + shardBytes(l, n - 1);
}

/** Stripes holding object bytes [first, last] (inclusive offsets). */
export function stripesForRange(l: StripeLayout, first: number, last: number): { from: number; to: number } {
  const stripe = l.k * l.blockSize;
  return { from: Math.floor(first / stripe), to: Math.floor(last / stripe) };
}

/** Splits a fragment of `fragLen` bytes into block lengths: blockSize, ..., rest. */
export function blockLengths(fragLen: number, blockSize: number): number[] {
  const out: number[] = [];
  for (let off = 0; off < fragLen; off += blockSize) out.push(Math.min(blockSize, fragLen - off));
  return out;
}

export function validBlockSize(b: number): boolean {
  return Number.isInteger(b) && b >= SHARD_ALIGN && b <= 16 * 1024 * 1024 && b % SHARD_ALIGN === 0;
}
