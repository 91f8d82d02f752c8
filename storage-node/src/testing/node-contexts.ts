// Node contexts on fresh stores, for handler tests that call the handlers
// directly (no HTTP): each on its own DiskStore in a temporary folder, all
// closed and removed by close().

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { clusterParams, type ClusterParams } from '@powerstore/shared/protocol/params.js';
import { createLogger } from '@powerstore/shared/log.js';
import { frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { DiskStore } from '../store/disk-store.js';
import { NodeMetrics } from '../metrics.js';
import type { NodeContext } from '../node-context.js';

export class NodeContexts {
  private readonly dirs: string[] = [];
  private readonly contexts: NodeContext[] = [];
  private readonly storeDirs = new WeakMap<NodeContext, string>();

  constructor(private readonly keyring: SecretWriterKeyring, private readonly S: number) {}

  /** A node context (node `index`) on a fresh store. */
  node(index = 0, o: { inlineMax?: number; maxFragmentBytes?: number; segmentMax?: number } = {}): NodeContext {
    const dir = this.tempDir();
    const ctx: NodeContext = {
      index, S: this.S, keys: this.keyring.nodeKeyring(index), store: DiskStore.open(join(dir, 'store'), this.S),
      log: createLogger('t', 'silent'), metrics: new NodeMetrics(index),
      inlineMax: o.inlineMax ?? 1 << 16, maxFragmentBytes: o.maxFragmentBytes ?? 1 << 20,
      ...(o.segmentMax ? { segmentMax: o.segmentMax } : {}),
    };
    this.storeDirs.set(ctx, join(dir, 'store'));
    this.contexts.push(ctx);
    return ctx;
  }

  /** The folder of a context's store. */
  storeDir(ctx: NodeContext): string {
    return this.storeDirs.get(ctx)!;
  }

  /** A temporary folder removed by close(). */
  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ps-handlers-'));
    this.dirs.push(dir);
    return dir;
  }

  close(): void {
    for (const c of this.contexts) c.store.close();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** One frame of a store stream. */
export const frame = (type: number, b: Buffer): Buffer => Buffer.concat([frameHeader(type, b.length), b]);

/**
 * The setup of a handler test file: t = 1 parameters, a writer keyring of
 * epoch 0, and node contexts closed (stores removed) when the file's tests end.
 */
export function handlerFixture(): { params: ClusterParams; keyring: SecretWriterKeyring; nodes: NodeContexts } {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const nodes = new NodeContexts(keyring, params.S);
  after(() => nodes.close());
  return { params, keyring, nodes };
}
