// Key epochs newer than this gateway's ring (DESIGN §3 "Key epochs", §10;
// protocol review finding 1). A gateway that started from a pre-rotation
// config while Redis was down holds too few epochs; the protocol core fails
// closed on what it cannot judge, and this watch gives it the two facts it
// needs, from the nodes' key status (`/v1/keys {"op":"status"}`: each node's
// epochs, never a secret):
// - behind(): an epoch t+1 nodes hold and this gateway lacks. At least one
//   of them is correct, so the epoch is real: writes answer 503 until the
//   ring (Redis) brings its secret. Nodes cannot give a gateway a secret, so
//   without Redis the answer stays 503 until the config file is updated.
// - recheck(): fetches the ring, then asks every node afresh; resolves with
//   the highest epoch that t+1 nodes hold when q answered (a real epoch is
//   held by every correct node before anyone writes under it, and q answers
//   hold t+1 correct ones), else Infinity (cannot tell).
// Polled at start and every EPOCH_POLL_MS (one small request per node).

import type { Dispatcher } from 'undici';
import type { WriterKeyring } from '@powerstore/shared/keys.js';
import type { Logger } from '@powerstore/shared/log.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import { nodeKeyState } from '../cli/key-delivery.js';
import type { EpochCheck } from '../protocol/context.js';

export const EPOCH_POLL_MS = 30_000;
const STATUS_TIMEOUT_MS = 5_000;

export interface EpochWatchOptions {
  readonly params: ClusterParams;
  readonly nodes: readonly string[];
  readonly keys: WriterKeyring;
  /** Every epoch the ring holds, ascending. */
  readonly epochs: () => readonly number[];
  /** Fetches the key ring from Redis (a no-op without it); never rejects. */
  readonly refreshRing: () => Promise<void>;
  readonly log: Logger;
  readonly dispatcher?: Dispatcher;
  readonly pollMs?: number;
}

export class NodeEpochWatch implements EpochCheck {
  private lagging: number | null = null;
  private running: Promise<number> | null = null;
  private queued: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: EpochWatchOptions) {}

  start(): void {
    if (this.timer) return;
    void this.recheck();
    this.timer = setInterval(() => void this.recheck(), this.o.pollMs ?? EPOCH_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  behind(): number | null {
    if (this.lagging !== null && this.lagging <= this.heldMax()) this.lagging = null; // the ring caught up
    return this.lagging;
  }

  /**
   * A caller needs a poll that starts after its call (see the contract
   * above), so callers arriving while one runs share the next one.
   */
  recheck(): Promise<number> {
    if (this.queued) return this.queued;
    const after = this.running ?? Promise.resolve(0);
    const next = after.then(() => {
      this.queued = null;
      this.running = this.poll().finally(() => {
        this.running = null;
      });
      return this.running;
    });
    this.queued = next;
    return next;
  }

  private heldMax(): number {
    return Math.max(...this.o.epochs());
  }

  private async poll(): Promise<number> {
    await this.o.refreshRing();
    const { keys } = this.o;
    const ring = {
      currentEpoch: keys.currentEpoch,
      writerKey: (e: number) => keys.writerKey(e),
      nodeKey: (e: number, i: number) => keys.nodeKey(e, i),
      epochs: this.o.epochs(),
    };
    const answers = await Promise.allSettled(this.o.nodes.map((url, i) => nodeKeyState(url, i, ring, STATUS_TIMEOUT_MS, this.o.dispatcher)));
    const highs = answers.flatMap((a) => (a.status === 'fulfilled' ? [Math.max(a.value.current, ...a.value.epochs)] : [])).sort((a, b) => b - a);
    const { t, q } = this.o.params;
    if (highs.length > t) {
      const held = highs[t]!; // t+1 nodes hold it: at least one correct node
      const was = this.lagging;
      this.lagging = held > this.heldMax() ? held : null;
      if (this.lagging !== null && was === null) {
        this.o.log.error({ epoch: this.lagging, held: this.o.epochs() },
          'storage nodes hold a key epoch this gateway lacks: writes answer 503 SlowDown until its key ring has it (Redis, or this gateway\'s config file)');
      }
    }
    return highs.length >= q ? highs[t]! : Infinity;
  }
}
