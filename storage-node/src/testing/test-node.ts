// A real node server on a real disk, in this process, for node tests: a
// DiskStore in a temporary folder and createNodeServer on a free port.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { request } from 'undici';
import { DiskStore } from '../store/disk-store.js';
import { NodeMetrics } from '../metrics.js';
import { createNodeServer, type NodeServerOptions } from '../server.js';

export interface TestNode {
  readonly store: DiskStore;
  readonly server: Server;
  readonly port: number;
  /** Stops the server, closes the store and removes the folder. */
  close(): void;
}

export async function startTestNode(
  o: {
    readonly keys: NodeKeyring;
    readonly S: number;
    readonly index?: number;
    readonly maxFragmentBytes?: number;
    readonly inlineMax?: number;
    /** Fragments above inlineMax and up to this size go into segments (default: none do). */
    readonly segmentMax?: number;
    /** The store's segment size (default SEGMENT_BYTES). */
    readonly segmentBytes?: number;
    /** The folder to keep the store in (`dir`/store; a test may have put files there first); default a fresh one. Removed on close. */
    readonly dir?: string;
  },
  opts: NodeServerOptions = {},
): Promise<TestNode> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'ps-test-node-'));
  const index = o.index ?? 0;
  const store = DiskStore.open(join(dir, 'store'), o.S, o.segmentBytes ? { segmentBytes: o.segmentBytes } : {});
  const server = createNodeServer({
    index, S: o.S, keys: o.keys, store, log: createLogger(`node-${index}`, 'silent'),
    metrics: new NodeMetrics(index), inlineMax: o.inlineMax ?? 1024, maxFragmentBytes: o.maxFragmentBytes ?? 1 << 24,
    ...(o.segmentMax ? { segmentMax: o.segmentMax } : {}),
  }, opts);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    store, server, port: (server.address() as { port: number }).port,
    close() {
      server.closeAllConnections();
      server.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A POST signed with node key `key` (as gateway 0 signs), its body whole or marked streamed. */
export async function signedPost(url: string, key: Buffer, path: string, body: Buffer, stream = false): Promise<{ status: number; body: Buffer }> {
  const hash = stream ? STREAM_BODY : createHash('sha256').update(body).digest('hex');
  const res = await request(`${url}${path}`, {
    method: 'POST', body,
    headers: { [AUTH_HEADER]: signRequest(key, 0, 'POST', path, hash), [BODY_HASH_HEADER]: hash },
  });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}
