// Key material (DESIGN §2): one cluster secret held by writers (gateways);
// by HKDF-SHA256, a key k_i per node i and a key k_W shared by writers, per
// key epoch. A node is given only its own k_i and never learns another's.

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
