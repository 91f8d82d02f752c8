// The node's key ring, durable: the keys of its config file plus every key
// delivered to it at run time by a key rotation (keys-handler.ts), the latter
// kept in <data>/keys.json so they survive restarts (the config file is the
// operator's, and the local launcher rewrites it at each start).
//
// Contract: epochs are only added, never removed or replaced (a different
// key for an epoch already held is refused: it would silently invalidate
// everything stored under that epoch). A delivered key is durable (temp
// file, fsync, rename, fsync directory) before it is used or acknowledged.
// The current epoch is the highest held: new deliveries must be sealed under it.
//
// File format: {"format":"powerstore-node-keys-v1","node":i,"keys":{"<epoch>":"<hex>"},
// "sum":"<hex sha256 of the canonical keys text>"}; a file that fails its
// checksum, names another node, or disagrees with the config is one line of
// error at start (never silently ignored: a lost key loses data).

import { existsSync } from 'node:fs';
import { fromHex } from '@powerstore/shared/bytes.js';
import { readJsonFile } from '@powerstore/shared/config.js';
import { writeFileDurable } from '@powerstore/shared/durable-file.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { sha256 } from '@powerstore/shared/hash.js';
import type { NodeKeyring } from '@powerstore/shared/keys.js';

export const NODE_KEYS_FORMAT = 'powerstore-node-keys-v1';
export const NODE_KEYS_FILE = 'keys.json';

interface NodeKeysFile {
  format: typeof NODE_KEYS_FORMAT;
  node: number;
  keys: Record<string, string>;
  sum: string;
}

/** Why a delivered key was not installed. */
export type InstallRefusal = 'conflict' | 'not-newer';

function canonical(keys: ReadonlyMap<number, Buffer>): string {
  return [...keys.entries()].sort((a, b) => a[0] - b[0]).map(([e, k]) => `${e}=${k.toString('hex')}`).join('\n');
}

export class NodeKeyStore implements NodeKeyring {
  private readonly keys = new Map<number, Buffer>();
  /** Only the delivered keys: what keys.json holds. */
  private readonly delivered = new Map<number, Buffer>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly node: number, private readonly path: string | null, configKeys: ReadonlyMap<number, Buffer>) {
    for (const [e, k] of configKeys) this.keys.set(e, Buffer.from(k));
  }

  /**
   * The config's keys merged with those in `path` (keys.json; absent on a
   * node never rotated). `path` null: in memory only (tests).
   */
  static open(path: string | null, node: number, configKeys: ReadonlyMap<number, Buffer>): NodeKeyStore {
    const s = new NodeKeyStore(node, path, configKeys);
    if (path && existsSync(path)) {
      const bad = (what: string): never => {
        throw new ConfigError(`node key file ${path}: ${what}`);
      };
      const raw = readJsonFile(path, 'node key file') as Partial<NodeKeysFile>;
      if (raw.format !== NODE_KEYS_FORMAT || typeof raw.keys !== 'object' || raw.keys === null) bad(`format must be "${NODE_KEYS_FORMAT}" (corrupt?)`);
      if (raw.node !== node) bad(`it holds the keys of node ${String(raw.node)}, this is node ${node}`);
      for (const [epoch, hex] of Object.entries(raw.keys!)) {
        const k = fromHex(hex, 32);
        if (!/^\d+$/.test(epoch) || !k) bad(`key for epoch "${epoch}" must be 64 hex digits (corrupt?)`);
        s.delivered.set(Number(epoch), k!);
      }
      if (raw.sum !== sha256(Buffer.from(canonical(s.delivered), 'utf8')).toString('hex')) bad('checksum mismatch (corrupt?)');
      for (const [e, k] of s.delivered) {
        const c = s.keys.get(e);
        if (c && !c.equals(k)) bad(`its key for epoch ${e} differs from the config file's (keys of another cluster?)`);
        s.keys.set(e, k);
      }
    }
    if (s.keys.size === 0) throw new ConfigError(`node ${node} has no key`);
    return s;
  }

  get currentEpoch(): number {
    return Math.max(...this.keys.keys());
  }

  get epochs(): number[] {
    return [...this.keys.keys()].sort((a, b) => a - b);
  }

  key(epoch: number): Buffer | undefined {
    return this.keys.get(epoch);
  }

  /**
   * Installs the key of `epoch`, durably, before resolving. Idempotent: the
   * same key again resolves at once. Refuses a different key for a held
   * epoch, and a new epoch that is not above the current one (keys are
   * added going forward only, so an old box replayed cannot plant an epoch).
   * Installs are serialised, so concurrent deliveries cannot lose a write.
   */
  install(epoch: number, key: Buffer): Promise<InstallRefusal | null> {
    const run = async (): Promise<InstallRefusal | null> => {
      const had = this.keys.get(epoch);
      if (had) return had.equals(key) ? null : 'conflict';
      if (epoch <= this.currentEpoch) return 'not-newer';
      const next = new Map(this.delivered).set(epoch, Buffer.from(key));
      if (this.path) this.persist(next);
      this.delivered.set(epoch, Buffer.from(key));
      this.keys.set(epoch, Buffer.from(key));
      return null;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private persist(keys: ReadonlyMap<number, Buffer>): void {
    const path = this.path!;
    const file: NodeKeysFile = {
      format: NODE_KEYS_FORMAT, node: this.node,
      keys: Object.fromEntries([...keys].map(([e, k]) => [String(e), k.toString('hex')])),
      sum: sha256(Buffer.from(canonical(keys), 'utf8')).toString('hex'),
    };
    writeFileDurable(path, JSON.stringify(file, null, 2));
  }
}
