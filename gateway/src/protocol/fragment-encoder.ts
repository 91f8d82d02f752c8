// The write side of the data plane (DESIGN §7): cuts the object into stripes
// of k × blockSize, erasure-codes each stripe into S shards, hashes every
// shard (one block of each fragment) and streams shard i to node i.
//
// Memory is bounded whatever the object's size: one stripe being filled,
// plus at most `maxPendingBytes` queued per node. The encoder waits while
// fewer than q nodes have room (backpressure to the S3 client); a node that
// falls further behind than the cap is dropped from this write (it can be
// healed later), so t slow or silent nodes never stall a write.

import { createHash } from 'node:crypto';
import type { ErasureCoder } from '../../../shared/src/erasure/coder.js';
import { roundUp, SHARD_ALIGN } from '../../../shared/src/erasure/layout.js';
import type { StoreSession } from '../../../shared/src/node-api.js';
import type { ClusterParams } from '../../../shared/src/protocol/params.js';
import { QuorumError } from '../../../shared/src/errors.js';

export interface EncodedObject {
  readonly size: number;
  /** Per node: the concatenated SHA-256 of its fragment's blocks. */
  readonly blockLists: readonly Buffer[];
  /** Sessions still alive (null where a node was dropped). */
  readonly sessions: readonly (StoreSession | null)[];
}

export class FragmentEncoder {
  private stripe: Buffer;
  private filled = 0;
  private size = 0;
  private readonly hashes: Buffer[][];
  private readonly sessions: (StoreSession | null)[];
  private readonly stripeBytes: number;

  constructor(
    private readonly params: ClusterParams,
    private readonly coder: ErasureCoder,
    private readonly blockSize: number,
    sessions: readonly StoreSession[],
    private readonly maxPendingBytes: number,
    private readonly onDrop: (node: number, why: string) => void,
  ) {
    this.sessions = [...sessions];
    this.stripeBytes = params.k * blockSize;
    this.stripe = Buffer.allocUnsafe(this.stripeBytes);
    this.hashes = sessions.map(() => []);
  }

  async push(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(this.stripeBytes - this.filled, chunk.length - off);
      chunk.copy(this.stripe, this.filled, off, off + take);
      this.filled += take;
      off += take;
      if (this.filled === this.stripeBytes) await this.flushStripe();
    }
    this.size += chunk.length;
  }

  async finish(): Promise<EncodedObject> {
    if (this.filled > 0) await this.flushStripe();
    return {
      size: this.size,
      blockLists: this.hashes.map((h) => Buffer.concat(h)),
      sessions: this.sessions,
    };
  }

  abort(): void {
    for (const s of this.sessions) s?.abort();
  }

  private async flushStripe(): Promise<void> {
    const { k, S } = this.params;
    const full = this.filled === this.stripeBytes;
    const shard = full ? this.blockSize : roundUp(Math.ceil(this.filled / k), SHARD_ALIGN);
    const data = this.stripe;
    if (!full) data.fill(0, this.filled, shard * k);
    const parity = Buffer.allocUnsafe(shard * (S - k));
    await this.coder.encode(data, parity, shard);
    this.stripe = Buffer.allocUnsafe(this.stripeBytes);
    this.filled = 0;

    const sends: Promise<void>[] = [];
    for (let i = 0; i < S; i++) {
      const block = i < k ? data.subarray(i * shard, (i + 1) * shard) : parity.subarray((i - k) * shard, (i - k + 1) * shard);
      this.hashes[i]!.push(createHash('sha256').update(block).digest());
      const s = this.sessions[i];
      if (!s) continue;
      const p = s.write(block);
      p.catch((err: unknown) => this.drop(i, `stream failed: ${err instanceof Error ? err.message : String(err)}`));
      sends.push(p);
    }
    await this.waitForRoom(sends);
  }

  /**
   * Returns once q nodes have room again; drops nodes over the cap. Fails
   * when fewer than q nodes are left.
   */
  private async waitForRoom(sends: Promise<void>[]): Promise<void> {
    const { q } = this.params;
    for (;;) {
      let alive = 0;
      let roomy = 0;
      for (let i = 0; i < this.sessions.length; i++) {
        const s = this.sessions[i];
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
      // Wait for any outstanding send to settle, then look again.
      await Promise.race([...sends.map((p) => p.then(() => undefined, () => undefined)), delay(20)]);
    }
  }

  /** Drops node i from this write (slow, silent or failed). */
  drop(i: number, why: string): void {
    const s = this.sessions[i];
    if (!s) return;
    this.sessions[i] = null;
    s.abort();
    this.onDrop(i, why);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
