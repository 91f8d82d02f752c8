// The write side of the data plane (DESIGN §7): cuts the object into stripes
// of k × blockSize, erasure-codes each stripe into S shards, hashes every
// shard (one block of each fragment) and streams shard i to node i.
//
// Small objects (the body ended before one stripe filled) are not streamed:
// each node's fragment is one block, handed back whole so the store goes out
// as one request per node, data and store message together. Streams to the
// nodes open only once a first full stripe exists.
//
// The stripe buffer starts at the object's declared size when the request
// said it (Content-Length, or aws-chunked's decoded length), never above one
// stripe: growing it by doubling from 16 KiB copied a 1 MiB object twice
// over and left 2 MiB of buffers for the garbage collector, whose full
// collections are started by such external memory (a fifth of the gateway's
// CPU on 1 MiB PUTs). A declared size that is wrong costs nothing but that
// first guess: the buffer grows as before. Stripes of large shards take
// their data and parity buffers from the gateway's StripePool and give them
// back once no send reads them (stripe-pool.ts).
//
// Memory is bounded whatever the object's size: one stripe being filled,
// plus at most `maxPendingBytes` queued per node. The encoder waits while
// fewer than q nodes have room (backpressure to the S3 client); a node that
// falls further behind than the cap is dropped from this write (it can be
// healed later), so t slow or silent nodes never stall a write.

import { blockDigest, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import type { ErasureCoder } from '@powerstore/shared/erasure/coder.js';
import { roundUp, SHARD_ALIGN } from '@powerstore/shared/erasure/layout.js';
import type { StoreSession } from '@powerstore/shared/node-api.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import { QuorumError } from '@powerstore/shared/errors.js';
import type { StripeLease, StripePool } from './stripe-pool.js';

export type EncodedObject =
  | {
    readonly kind: 'streamed';
    readonly size: number;
    /** What the blocks are hashed with (block-hash.ts). */
    readonly hash: BlockHashAlg;
    /** Per node: the concatenated hashes of its fragment's blocks. */
    readonly blockLists: readonly Buffer[];
    /** Sessions still alive (null where a node was dropped). */
    readonly sessions: readonly (StoreSession | null)[];
  }
  | {
    readonly kind: 'whole';
    readonly size: number;
    readonly hash: BlockHashAlg;
    readonly blockLists: readonly Buffer[];
    /** Per node: its whole fragment (at most one block; empty for an empty object). */
    readonly fragments: readonly Buffer[];
    /**
     * The pooled buffers the fragments lie in, if they do: the writer tracks
     * every send of a fragment with it and releases it when it is done.
     */
    readonly lease: StripeLease | null;
  };

/** Smallest stripe buffer allocated (it grows by doubling as data arrives). */
const MIN_STRIPE_BUFFER = 16 * 1024;

interface Send {
  readonly node: number;
  done: boolean;
  readonly p: Promise<void>;
}

export class FragmentEncoder {
  private stripe: Buffer;
  /** Whether `stripe` came from the pool. */
  private pooled = false;
  private filled = 0;
  private size = 0;
  private readonly hashes: Buffer[][];
  private sessions: (StoreSession | null)[] | null = null;
  private whole: Buffer[] | null = null;
  private wholeLease: StripeLease | null = null;
  private readonly stripeBytes: number;
  private readonly blockSize: number;
  /**
   * Size of the next stripe buffer: at first the declared object size, padded
   * as flushStripe pads a short stripe (reserve caps it at one stripe); after
   * a full stripe, a whole one.
   */
  private startSize: number;

  constructor(
    private readonly params: ClusterParams,
    private readonly coder: ErasureCoder,
    /** Where large stripes' buffers come from; its block size is the write's. */
    private readonly pool: StripePool,
    /** What the blocks are hashed with (the store streams are told: `open`). */
    private readonly hash: BlockHashAlg,
    /** Opens the store stream to node i (called once per node, on the first full stripe). */
    private readonly open: (node: number, hash: BlockHashAlg) => StoreSession,
    private readonly maxPendingBytes: number,
    private readonly onDrop: (node: number, why: string) => void,
    /** The object's size as the request declared it, if it did (a hint: the body decides). */
    declaredBytes?: number,
  ) {
    this.blockSize = pool.blockSize;
    this.stripeBytes = params.k * this.blockSize;
    this.startSize = declaredBytes === undefined || declaredBytes <= 0
      ? MIN_STRIPE_BUFFER
      : params.k * roundUp(Math.ceil(declaredBytes / params.k), SHARD_ALIGN);
    this.stripe = Buffer.alloc(0);
    this.hashes = Array.from({ length: params.S }, () => []);
  }

  async push(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.stripeBytes - this.filled, chunk.length - off);
      this.reserve(this.filled + take);
      chunk.copy(this.stripe, this.filled, off, off + take);
      this.filled += take;
      off += take;
      if (this.filled === this.stripeBytes) await this.flushStripe(false);
    }
    this.size += chunk.length;
  }

  /**
   * Grows the stripe buffer to hold n bytes: it starts at the declared size
   * (16 KiB when there is none) and doubles up to k × blockSize, so a 4 KiB
   * object never costs a megabyte-sized buffer. Once its shards would be
   * large it is a pooled buffer, which holds a whole stripe.
   */
  private reserve(n: number): void {
    if (n <= this.stripe.length) return;
    let size = this.stripe.length || this.startSize;
    while (size < n) size *= 2;
    size = Math.min(size, this.stripeBytes);
    const pooled = this.pool.pools(size / this.params.k);
    const grown = pooled ? this.pool.take() : Buffer.allocUnsafe(size);
    this.stripe.copy(grown, 0, 0, this.filled);
    this.stripe = grown;
    this.pooled = pooled;
  }

  async finish(): Promise<EncodedObject> {
    if (this.filled > 0) await this.flushStripe(true);
    const blockLists = this.hashes.map((h) => Buffer.concat(h));
    if (this.sessions) return { kind: 'streamed', size: this.size, hash: this.hash, blockLists, sessions: this.sessions };
    return {
      kind: 'whole', size: this.size, hash: this.hash, blockLists, fragments: this.whole ?? blockLists.map(() => Buffer.alloc(0)), lease: this.wholeLease,
    };
  }

  abort(): void {
    for (const s of this.sessions ?? []) s?.abort();
  }

  private async flushStripe(last: boolean): Promise<void> {
    const { k, S } = this.params;
    const full = this.filled === this.stripeBytes;
    const shard = full ? this.blockSize : roundUp(Math.ceil(this.filled / k), SHARD_ALIGN);
    this.reserve(shard * k);
    const data = this.stripe;
    if (!full) data.fill(0, this.filled, shard * k);
    const parity = this.pooled ? this.pool.take() : Buffer.allocUnsafe(shard * (S - k));
    const lease = this.pooled ? this.pool.lease([data, parity]) : null;
    // The shards are handed to the nodes by reference: the next stripe gets
    // another buffer (from the pool, where this one returns once sent).
    this.stripe = Buffer.alloc(0);
    this.pooled = false;
    this.filled = 0;
    if (full) this.startSize = this.stripeBytes;
    try {
      await this.coder.encode(data, parity, shard);
    } catch (e) {
      lease?.release();
      throw e;
    }

    const blocks: Buffer[] = [];
    for (let i = 0; i < S; i++) {
      const block = i < k ? data.subarray(i * shard, (i + 1) * shard) : parity.subarray((i - k) * shard, (i - k + 1) * shard);
      this.hashes[i]!.push(blockDigest(this.hash, block));
      blocks.push(block);
    }
    if (!this.sessions && last) {
      this.whole = blocks;
      this.wholeLease = lease;
      return;
    }
    this.sessions ??= Array.from({ length: S }, (_, i) => this.open(i, this.hash));
    const sends: Send[] = [];
    for (let i = 0; i < S; i++) {
      const s = this.sessions[i];
      if (!s) continue;
      const written = s.write(blocks[i]!);
      const send: Send = { node: i, done: false, p: lease ? lease.track(written) : written };
      send.p.then(
        () => (send.done = true),
        (err: unknown) => {
          send.done = true;
          this.drop(i, `stream failed: ${err instanceof Error ? err.message : String(err)}`);
        },
      );
      sends.push(send);
    }
    lease?.release();
    await this.waitForRoom(sends);
  }

  /**
   * Returns once q nodes have room again; drops nodes over the cap. Fails
   * when fewer than q nodes are left. Waits only on sends still in flight
   * (a settled one would wake the loop at once, forever), and otherwise on a
   * short timer, so the event loop always gets its turn to drain sockets.
   */
  private async waitForRoom(sends: Send[]): Promise<void> {
    const { q } = this.params;
    const sessions = this.sessions!;
    for (;;) {
      let alive = 0;
      let roomy = 0;
      for (let i = 0; i < sessions.length; i++) {
        const s = sessions[i];
        if (!s) continue;
        if (s.pending > this.maxPendingBytes) {
          this.drop(i, `more than ${this.maxPendingBytes} bytes behind`);
          continue;
        }
        alive++;
        if (s.pending <= this.blockSize) roomy++;
      }
      if (alive < q) throw new QuorumError('store stream', alive, q);
      if (roomy >= q) return;
      const inFlight = sends.filter((x) => !x.done && sessions[x.node]).map((x) => x.p.then(() => undefined, () => undefined));
      await (inFlight.length > 0 ? Promise.race([...inFlight, delay(50)]) : delay(5));
    }
  }

  /** Drops node i from this write (slow, silent or failed). */
  drop(i: number, why: string): void {
    const s = this.sessions?.[i];
    if (!s) return;
    this.sessions![i] = null;
    s.abort();
    this.onDrop(i, why);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
