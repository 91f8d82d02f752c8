// Random bytes for ids and nonces, drawn from the CSPRNG in 4 KiB batches:
// one randomFillSync per batch instead of one per id (the per-call cost
// showed at 2% of a gateway's CPU). The bytes are the same CSPRNG output,
// each handed out once.

import { randomFillSync } from 'node:crypto';

const POOL = 4096;
let pool = Buffer.alloc(0);
let off = 0;

export function randomBytesPooled(n: number): Buffer {
  if (n > POOL / 4) return randomFillSync(Buffer.allocUnsafe(n));
  refillFor(n);
  const out = Buffer.from(pool.subarray(off, off + n));
  handedOut(n);
  return out;
}

/** `bytes` random bytes as hex, read straight out of the pool (no Buffer made for them). */
export function randomHex(bytes: number): string {
  if (bytes > POOL / 4) return randomFillSync(Buffer.allocUnsafe(bytes)).toString('hex');
  refillFor(bytes);
  const hex = pool.toString('hex', off, off + bytes);
  handedOut(bytes);
  return hex;
}

/** The next `n` bytes of the pool were handed out: zeroed, and never handed out again. */
function handedOut(n: number): void {
  pool.fill(0, off, off + n);
  off += n;
}

/** A fresh pool when fewer than `n` bytes are left in this one. */
function refillFor(n: number): void {
  if (off + n <= pool.length) return;
  pool = randomFillSync(Buffer.allocUnsafe(POOL));
  off = 0;
}
