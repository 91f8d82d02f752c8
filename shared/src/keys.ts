// Key material (DESIGN §2): one cluster secret held by writers (gateways);
// by HKDF-SHA256, a key k_i per node i and a key k_W shared by writers, per
// key epoch. A node is given only its own k_i and never learns another's.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const SALT = Buffer.from('powerstore-keys-v1', 'utf8');
export const SECRET_BYTES = 32;

function derive(secret: Buffer, info: string): Buffer {
  return Buffer.from(hkdf(sha256, secret, SALT, Buffer.from(info, 'utf8'), 32));
}

export function deriveNodeKey(secret: Buffer, epoch: number, node: number): Buffer {
  return derive(secret, `node:${node}:epoch:${epoch}`);
}

export function deriveWriterKey(secret: Buffer, epoch: number): Buffer {
  return derive(secret, `writers:epoch:${epoch}`);
}

/** What a node holds: its own key for each epoch still in use. */
export interface NodeKeyring {
  readonly node: number;
  readonly currentEpoch: number;
  /** Undefined for an epoch this node has no key for. */
  key(epoch: number): Buffer | undefined;
}

/** What a writer (gateway) holds: every key of every epoch still in use. */
export interface WriterKeyring {
  readonly currentEpoch: number;
  writerKey(epoch: number): Buffer | undefined;
  nodeKey(epoch: number, node: number): Buffer | undefined;
}

/** A writer keyring derived from cluster secrets by epoch, keys cached. */
export class SecretWriterKeyring implements WriterKeyring {
  private readonly cache = new Map<string, Buffer>();
  constructor(
    private readonly secrets: ReadonlyMap<number, Buffer>,
    readonly currentEpoch: number,
  ) {
    if (!secrets.has(currentEpoch)) throw new Error(`no secret for current key epoch ${currentEpoch}`);
  }

  writerKey(epoch: number): Buffer | undefined {
    return this.cached(`w:${epoch}`, epoch, (s) => deriveWriterKey(s, epoch));
  }

  nodeKey(epoch: number, node: number): Buffer | undefined {
    return this.cached(`n:${epoch}:${node}`, epoch, (s) => deriveNodeKey(s, epoch, node));
  }

  /** The keyring a node would be given: its own keys only. */
  nodeKeyring(node: number): NodeKeyring {
    const keys = new Map<number, Buffer>();
    for (const epoch of this.secrets.keys()) keys.set(epoch, this.nodeKey(epoch, node)!);
    return new StaticNodeKeyring(node, keys, this.currentEpoch);
  }

  private cached(id: string, epoch: number, make: (secret: Buffer) => Buffer): Buffer | undefined {
    let k = this.cache.get(id);
    if (k) return k;
    const secret = this.secrets.get(epoch);
    if (!secret) return undefined;
    k = make(secret);
    this.cache.set(id, k);
    return k;
  }
}

export class StaticNodeKeyring implements NodeKeyring {
  constructor(
    readonly node: number,
    private readonly keys: ReadonlyMap<number, Buffer>,
    readonly currentEpoch: number,
  ) {}

  key(epoch: number): Buffer | undefined {
    return this.keys.get(epoch);
  }
}

/**
 * A writer keyring that grows at run time (key rotation, DESIGN §3 "Key
 * epochs"): epochs are only ever added, never removed (a rotated epoch's
 * keys verify everything still stored under it), and the current epoch
 * only moves forward, to an epoch whose secret it holds. Adding a different
 * secret for an epoch it already holds throws KeyConflictError: that is two
 * clusters' key material meeting, never a rotation.
 */
export class MutableWriterKeyring implements WriterKeyring {
  private readonly secrets = new Map<number, Buffer>();
  private readonly cache = new Map<string, Buffer>();
  private current: number;
  /** Called (synchronously, keep it cheap) when a key of an epoch above every held epoch is asked for. */
  onUnknownEpoch: ((epoch: number) => void) | null = null;

  constructor(secrets: ReadonlyMap<number, Buffer>, currentEpoch: number) {
    if (!secrets.has(currentEpoch)) throw new Error(`no secret for current key epoch ${currentEpoch}`);
    for (const [e, s] of secrets) this.add(e, s);
    this.current = currentEpoch;
  }

  get currentEpoch(): number {
    return this.current;
  }

  /** Every held epoch, ascending. */
  get epochs(): number[] {
    return [...this.secrets.keys()].sort((a, b) => a - b);
  }

  secret(epoch: number): Buffer | undefined {
    return this.secrets.get(epoch);
  }

  /** Adds an epoch's secret: true when new, false when already held (identical). */
  add(epoch: number, secret: Buffer): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new RangeError(`bad key epoch ${epoch}`);
    if (secret.length !== SECRET_BYTES) throw new RangeError(`a cluster secret is ${SECRET_BYTES} bytes`);
    const had = this.secrets.get(epoch);
    if (had) {
      if (!had.equals(secret)) throw new KeyConflictError(epoch);
      return false;
    }
    this.secrets.set(epoch, Buffer.from(secret));
    return true;
  }

  /** Moves the current epoch forward to `epoch` (held); true when it moved. Never moves back. */
  advance(epoch: number): boolean {
    if (epoch <= this.current || !this.secrets.has(epoch)) return false;
    this.current = epoch;
    return true;
  }

  writerKey(epoch: number): Buffer | undefined {
    return this.cached(`w:${epoch}`, epoch, (s) => deriveWriterKey(s, epoch));
  }

  nodeKey(epoch: number, node: number): Buffer | undefined {
    return this.cached(`n:${epoch}:${node}`, epoch, (s) => deriveNodeKey(s, epoch, node));
  }

  private cached(id: string, epoch: number, make: (secret: Buffer) => Buffer): Buffer | undefined {
    let k = this.cache.get(id);
    if (k) return k;
    const secret = this.secrets.get(epoch);
    if (!secret) {
      if (this.onUnknownEpoch && this.secrets.size > 0 && epoch > Math.max(...this.secrets.keys())) this.onUnknownEpoch(epoch);
      return undefined;
    }
    k = make(secret);
    this.cache.set(id, k);
    return k;
  }
}

/** Two different secrets for one key epoch: key material of two different clusters. */
export class KeyConflictError extends Error {
  override readonly name = 'KeyConflictError';
  constructor(readonly epoch: number) {
    super(`two different secrets for key epoch ${epoch}`);
  }
}

// ---- Delivery of a node's key for a new epoch (key rotation) ----
//
// A gateway tool (the `powerstore keys rotate` CLI) hands node i its key for
// a new epoch e over the node's authenticated channel. The key travels
// sealed with AES-256-GCM under a wrapping key derived by HKDF from node i's
// key of its current epoch w, k_i^w, which only node i and the writers hold:
// so only node i can open it (a node learns no other node's key, and a
// sniffer learns nothing), and the GCM tag proves it was made by a holder of
// k_i^w. Node index, w and e are bound in both the wrapping key's derivation
// and the AAD, so a box cannot be replayed to another node or epoch.

export const KEY_DELIVERY_PATH = '/v1/keys';
const DELIVERY_SALT = Buffer.from('powerstore-key-delivery-v1', 'utf8');
const GCM_IV = 12;
const GCM_TAG = 16;

export interface NodeKeyDelivery {
  readonly node: number;
  /** The node's current epoch, whose key seals the box. */
  readonly wrapEpoch: number;
  /** The epoch of the key inside. */
  readonly epoch: number;
  /** hex(iv ‖ ciphertext ‖ tag). */
  readonly box: string;
}

function deliveryContext(node: number, wrapEpoch: number, epoch: number): Buffer {
  return Buffer.from(`node:${node}:wrap:${wrapEpoch}:epoch:${epoch}`, 'utf8');
}

function deliveryKey(wrapWith: Buffer, info: Buffer): Buffer {
  return Buffer.from(hkdf(sha256, wrapWith, DELIVERY_SALT, info, 32));
}

/** Seals node `node`'s key of `epoch` under its key of `wrapEpoch` (`wrapWith`). */
export function sealNodeKey(wrapWith: Buffer, node: number, wrapEpoch: number, epoch: number, key: Buffer): NodeKeyDelivery {
  const info = deliveryContext(node, wrapEpoch, epoch);
  const iv = randomBytes(GCM_IV);
  const c = createCipheriv('aes-256-gcm', deliveryKey(wrapWith, info), iv);
  c.setAAD(info);
  const ct = Buffer.concat([c.update(key), c.final()]);
  return { node, wrapEpoch, epoch, box: Buffer.concat([iv, ct, c.getAuthTag()]).toString('hex') };
}

/** Opens a delivery with the node's key of `d.wrapEpoch`; null when it does not authenticate. */
export function openNodeKey(wrapWith: Buffer, d: NodeKeyDelivery): Buffer | null {
  const raw = /^[0-9a-f]*$/.test(d.box) ? Buffer.from(d.box, 'hex') : Buffer.alloc(0);
  if (raw.length !== GCM_IV + SECRET_BYTES + GCM_TAG) return null;
  const info = deliveryContext(d.node, d.wrapEpoch, d.epoch);
  try {
    const dc = createDecipheriv('aes-256-gcm', deliveryKey(wrapWith, info), raw.subarray(0, GCM_IV));
    dc.setAAD(info);
    dc.setAuthTag(raw.subarray(raw.length - GCM_TAG));
    return Buffer.concat([dc.update(raw.subarray(GCM_IV, raw.length - GCM_TAG)), dc.final()]);
  } catch {
    return null;
  }
}
