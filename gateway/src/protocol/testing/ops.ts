// Object-level helpers over the protocol for tests: put, get and delete of
// whole buffers, with a minimal ObjectMeta, and a whole listing.

import { setMaxListeners } from 'node:events';
import type { RegRef } from '@powerstore/shared/node-api.js';
import { decodeMeta, encodeMeta } from '../../object-meta.js';
import type { ProtocolContext } from '../context.js';
import { listMerged } from '../list/list-merge.js';
import { readRegister, storedValue } from '../reader.js';
import { restoreRange } from '../restore.js';
import { writeRegister } from '../writer.js';

const never = new AbortController().signal;
setMaxListeners(0, never);

export function ref(key: string, ns = 'bucket'): RegRef {
  return { ns, key };
}

async function* chunks(buf: Buffer, size = 1000): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

export async function put(ctx: ProtocolContext, key: string, body: Buffer): Promise<void> {
  await writeRegister(ctx, ref(key), {
    body: chunks(body),
    finalize: (size, blockSize) => encodeMeta({ v: 1, size, blockSize, lastModified: Date.now() }),
  }, 'write', never);
}

export async function del(ctx: ProtocolContext, key: string): Promise<void> {
  await writeRegister(ctx, ref(key), {
    body: chunks(Buffer.alloc(0)),
    finalize: (_size, blockSize) => encodeMeta({ v: 1, size: 0, blockSize, lastModified: Date.now(), deleteMarker: true }),
  }, 'delete', never);
}

/** The object's bytes, or null when absent or deleted. */
export async function get(ctx: ProtocolContext, key: string): Promise<Buffer | null> {
  const r = await readRegister(ctx, ref(key), 'read', never);
  if (!r) return null;
  const meta = decodeMeta(r.meta);
  if (meta.deleteMarker) return null;
  const parts: Buffer[] = [];
  const layout = { size: meta.size, k: ctx.params.k, blockSize: meta.blockSize };
  for await (const p of restoreRange(ctx, storedValue(r), layout, 0, meta.size - 1, never)) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** Every live key under `prefix` ('bucket' namespace), `limit` keys a page (delete markers hidden). */
export async function listAll(ctx: ProtocolContext, prefix = '', limit = 3): Promise<string[]> {
  const keys: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await listMerged(ctx, { ns: 'bucket', prefix, after, skipPrefix: false, limit }, never);
    for (const e of page.entries) if (!decodeMeta(e.meta).deleteMarker) keys.push(e.key);
    if (!page.truncated) return keys;
    after = page.lastKey;
  }
  throw new Error('listing did not terminate');
}
