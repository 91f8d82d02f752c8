// What every node request handler needs, in one object (no module state).

import type { NodeKeyring } from '@powerstore/shared/keys.js';
import type { Logger } from '@powerstore/shared/log.js';
import type { DiskStore } from './store/disk-store.js';
import type { Faults } from './faults.js';
import type { NodeKeyStore } from './store/key-store.js';
import type { NodeMetrics } from './metrics.js';
import type { PinTable } from '@powerstore/shared/protocol/pins.js';
import type { GarbageCollector } from './gc/gc.js';
import type { WriteLeases } from './store/write-leases.js';

export interface NodeContext {
  readonly index: number;
  /** Number of nodes in the cluster (vec and cc lengths). */
  readonly S: number;
  readonly keys: NodeKeyring;
  /** The durable key ring key rotation delivers to (keys-handler.ts); usually the same object as `keys`. */
  readonly keyStore?: NodeKeyStore;
  readonly store: DiskStore;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  /** Fragments up to this size are kept inline in the database. */
  readonly inlineMax: number;
  /** Fragments above inlineMax and up to this size are appended to a segment file (segments.ts); absent or 0: a file each. */
  readonly segmentMax?: number;
  /** Largest fragment a store may stream. */
  readonly maxFragmentBytes: number;
  /** Read pins (DESIGN §6); absent: this node never pins nor answers GONE (tests). */
  readonly pins?: PinTable;
  /** Write leases (write-leases.ts): entries a write in flight may still store from. */
  readonly leases?: WriteLeases;
  /** Garbage collection below lc; absent: history is kept forever (tests). */
  readonly gc?: GarbageCollector;
  /** Deliberate misbehaviour for tests (none in production). */
  readonly faults?: Faults;
}

/** A refusal with an HTTP status and a short code (never evidence of anything). */
export class NodeRequestError extends Error {
  override readonly name = 'NodeRequestError';
  constructor(readonly status: number, readonly code: string, message?: string) {
    super(message ?? code);
  }
}
