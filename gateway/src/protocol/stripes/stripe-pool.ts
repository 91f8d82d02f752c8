// Stripe and parity buffers of large writes, used again instead of allocated
// afresh. Each fresh buffer of a megabyte or two cost the gateway about 400
// page faults per 1 MiB PUT on this kind of machine (a page the guest has not
// touched lately is a fault in the host too: about 9 µs) and, dropped, was
// garbage whose external size starts V8's full collections (a fifth of the
// gateway's CPU on 1 MiB PUTs; docs/performance.md).
//
// A buffer goes back to the pool only when every send that was handed part
// of it has ended well: the node answered after reading its whole body, or
// the store stream moved past the block. An ended-badly send (refused,
// aborted, timed out, dropped) may still sit in a socket's write queue, so
// its stripe is left to the garbage collector instead: a buffer is never
// written over while anything can still read it.

import type { ClusterParams } from '@powerstore/shared/protocol/params.js';

/**
 * Stripes whose shards are smaller are allocated as before: under glibc's
 * 128 KiB mmap threshold an allocation comes from the heap and costs no
 * fresh pages, and a pooled buffer a hundred times too large would be waste.
 */
export const MIN_POOLED_SHARD = 128 * 1024;

/** Idle buffers kept, in bytes at most: enough for the bench's 8 concurrent 1 MiB PUTs to find theirs. */
const IDLE_BYTES = 32 * 1024 * 1024;

export class StripePool {
  /** Every pooled buffer's size: a whole stripe's data or its parity, whichever is larger. */
  readonly size: number;
  private readonly idle: Buffer[] = [];
  private readonly keep: number;
  #allocated = 0;

  constructor(params: ClusterParams, readonly blockSize: number) {
    this.size = blockSize * Math.max(params.k, params.S - params.k);
    this.keep = Math.max(2, Math.floor(IDLE_BYTES / this.size));
  }

  /**
   * Whether a stripe whose shards are `shard` bytes takes its buffers from
   * here: large enough to be worth it, and no larger than a block (a value
   * written with a larger block size than this gateway's is read in fresh buffers).
   */
  pools(shard: number): boolean {
    return shard >= MIN_POOLED_SHARD && shard <= this.blockSize;
  }

  take(): Buffer {
    const b = this.idle.pop();
    if (b) return b;
    this.#allocated++;
    // Slow: its own memory, never a slice of Node's shared 8 KiB pool.
    return Buffer.allocUnsafeSlow(this.size);
  }

  private give(b: Buffer): void {
    if (this.idle.length < this.keep) this.idle.push(b);
  }

  /** Buffers allocated afresh so far. */
  get allocated(): number {
    return this.#allocated;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** A lease over buffers taken from this pool, held by the writer that took them. */
  lease(bufs: readonly Buffer[]): StripeLease {
    return new StripeLease(bufs, (b) => this.give(b));
  }
}

/**
 * Who still reads a stripe's buffers. The taker holds it from the start;
 * every send of a part of it is tracked; the buffers go back when the last
 * holder let go. A send that ended badly never lets go: its buffers go to
 * the collector with the lease.
 */
export class StripeLease {
  private holders = 1;
  private released = false;

  constructor(private readonly bufs: readonly Buffer[], private readonly give: (b: Buffer) => void) {}

  /** Holds the buffers until `p` resolves; if it rejects, for good. */
  track<T>(p: Promise<T>): Promise<T> {
    if (this.holders === 0) throw new Error('stripe lease already released');
    this.holders++;
    p.then(() => this.end(), () => undefined);
    return p;
  }

  /** The taker lets go (it reads the buffers no more itself); once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.end();
  }

  private end(): void {
    if (--this.holders > 0) return;
    for (const b of this.bufs) this.give(b);
  }
}
