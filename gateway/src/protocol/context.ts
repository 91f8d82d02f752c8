// Everything a protocol operation needs, passed in one object (STYLE.md §11):
// no module-level mutable state.

import type { AskOrder } from './ask-order.js';
import type { ClockGuess } from './clock-guess.js';
import type { StripePool } from './stripes/stripe-pool.js';
import type { ErasureCoder } from '@powerstore/shared/erasure/coder.js';
import type { BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import type { WriterKeyring } from '@powerstore/shared/keys.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { Evidence } from '@powerstore/shared/protocol/evidence.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import type { TsWire } from '@powerstore/shared/protocol/wire/wire.js';

export type OpKind = 'write' | 'read' | 'delete' | 'list';

/** What the protocol reports as it runs: metrics and logs hang off this. */
export interface ProtocolObserver {
  round(op: OpKind, round: string): void;
  /** One whole operation ended (counted once per S3-level write, read, delete or list page). */
  operation(op: OpKind, ok: boolean): void;
  evidence(e: Evidence): void;
  /** A node failed a call or was dropped from a stream: lag, never evidence. */
  nodeTrouble(node: number, what: string, err: unknown): void;
  /** A clock hint whose tag did not verify (ignored). */
  badHint?(): void;
  /** A write guessed its register empty (clock-guess.ts); held: no store ack said otherwise. */
  clockGuess?(held: boolean): void;
  /** A node answered a read with a value older than the one chosen: it lags. */
  nodeLag?(node: number): void;
}

export interface ProtocolTimeouts {
  /** Per-node timeout of one control round (clock, store ack, complete, collect, filter). */
  readonly rpcMs: number;
  /** A data stream that delivers nothing for this long is given up on. */
  readonly dataIdleMs: number;
}

/**
 * Clock hints (DESIGN §7): the newest validly tagged ts seen per register
 * (hex reg id), shared between gateways through Redis, or this gateway's
 * own. Untrusted: a writer verifies a hint's tag, and store acks catch a
 * stale one. get() never rejects.
 */
export interface ClockHintSource {
  get(regHex: string): Promise<TsWire | null>;
  put(regHex: string, ts: TsWire): void;
}

/**
 * Key epochs this gateway may lack (DESIGN §3 "Key epochs", protocol review
 * finding 1): gateway/src/background/key-epochs.ts. Absent: the key ring is all there is.
 */
export interface EpochCheck {
  /**
   * Fetches the key ring (Redis, when configured) and asks every node's key
   * status afresh; resolves with the highest epoch that t+1 nodes hold
   * (Infinity when too few answered to tell). Never rejects.
   */
  recheck(): Promise<number>;
  /** An epoch that t+1 nodes hold and this gateway lacks (writes must wait), or null. */
  behind(): number | null;
}

export interface ProtocolContext {
  /** Key epochs newer than this gateway's ring; absent: none are looked for. */
  readonly epochs?: EpochCheck;
  /** The nemesis suite's control only (weakened-read.ts): reads that are NOT linearizable. */
  readonly weakenedRead?: boolean;
  /** Clock hints for two-round writes; absent: every write runs clock unless it guesses. */
  readonly hints?: ClockHintSource;
  /** Whether a write without a hint guesses its register empty (clock-guess.ts); absent: it runs clock. */
  readonly guess?: ClockGuess;
  readonly params: ClusterParams;
  readonly keys: WriterKeyring;
  readonly nodes: readonly NodeApi[];
  readonly coder: ErasureCoder;
  /** This gateway process's 64-bit random writer id (hex). */
  readonly writerId: string;
  /** A fresh per-process operation number (never reused). */
  nextOp(): number;
  readonly blockSize: number;
  /** What this gateway's writes hash fragment blocks with (block-hash.ts; config blockHash). */
  readonly blockHash: BlockHashAlg;
  /** Large writes' stripe and parity buffers, used again (its block size is blockSize). */
  readonly stripes: StripePool;
  /** Bytes a node may fall behind in a store stream before it is dropped. */
  readonly maxPendingBytes: number;
  readonly timeouts: ProtocolTimeouts;
  readonly observer: ProtocolObserver;
  /** Which nodes a listing asks first (ask-order.ts): one per gateway, so demotions carry over from round to round. */
  readonly askOrder: AskOrder;
}

export const DEFAULT_TIMEOUTS: ProtocolTimeouts = { rpcMs: 10_000, dataIdleMs: 10_000 };
