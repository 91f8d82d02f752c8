// Serves blocks [from, to] of this node's fragment of one write (DESIGN §7,
// reads fetch k fragments): raw bytes, optionally preceded by the node's
// block-hash list (u32 length, then the list) for a gateway that has not
// seen it in a filter answer. The gateway verifies every block.

import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseBlocksReq } from '@powerstore/shared/protocol/wire/node-messages.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { readDirect, readDirectFrom, type AlignedPool } from '../store/direct-io.js';
import type { FragmentAt } from '../store/segments/segments.js';

export async function handleBlocks(ctx: NodeContext, json: unknown, res: ServerResponse): Promise<void> {
  const r = parseBlocksReq(json);
  const reg = regId(r.ref.ns, r.ref.key);
  await ctx.store.settled(reg);
  // From disk: the scrubber's verification reads blocks here, and must see the copy the disk holds.
  const h = ctx.store.histOnDisk(reg, r.ts);
  // An entry whose commit is not yet synced is not served (nor denied: the
  // 404 below waits too, so a refusal never depends on an unsynced state).
  await ctx.store.committer.durable();
  if (!h) throw new NodeRequestError(404, 'no-such-history-entry');
  const start = Math.min(r.from * h.blockSize, h.fragLen);
  const end = Math.min((r.to + 1) * h.blockSize, h.fragLen);
  const head: Buffer[] = [];
  if (r.withList) {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(h.blocks.length);
    head.push(len, h.blocks);
  }
  const headBytes = head.reduce((n, b) => n + b.length, 0);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': headBytes + (end - start) });
  for (const b of head) res.write(b);
  const faults = ctx.faults;
  // Where the bytes are (a file of its own, or a range of a segment), unless inline.
  const at = h.fragFile ? ctx.store.fragAt(h.fragFile) : null;
  if (end <= start) {
    res.end();
  } else if (!faults?.any) {
    const pool = ctx.store.directPool;
    if (h.fragInline) res.end(h.fragInline.subarray(start, end));
    else if (pool) await sendDirect(res, directRead(ctx, at!, start, end, pool));
    else await pipeline(cachedRead(at!, start, end), res);
  } else {
    const src: Iterable<Buffer> | AsyncIterable<Buffer> = h.fragInline
      ? [h.fragInline.subarray(start, end)]
      : cachedRead(at!, start, end);
    await pipeline(faults.serveBlocks((async function* () {
      for await (const chunk of src) yield faults.blocks(chunk);
    })()), res);
  }
}

/** Bytes [start, end) of the fragment at `at`, read with O_DIRECT; a segment's read handle is reused (segment-readers.ts). */
async function* directRead(ctx: NodeContext, at: FragmentAt, start: number, end: number, pool: AlignedPool): AsyncGenerator<Buffer> {
  if (!at.seg) return yield* readDirect(at.path, at.offset + start, at.offset + end, pool);
  const lease = await ctx.store.segments.readers.acquire(at.seg);
  try {
    yield* readDirectFrom(lease.fh, at.offset + start, at.offset + end, pool);
  } finally {
    lease.release();
  }
}

/** Bytes [start, end) of the fragment at `at`, through the page cache. */
function cachedRead(at: FragmentAt, start: number, end: number): AsyncIterable<Buffer> & NodeJS.ReadableStream {
  return createReadStream(at.path, { start: at.offset + start, end: at.offset + end - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer> & NodeJS.ReadableStream;
}

/**
 * Sends what `chunks` yields, each one written out before the next is read:
 * readDirect reuses its buffer. A closed answer ends the read.
 */
async function sendDirect(res: ServerResponse, chunks: AsyncGenerator<Buffer>): Promise<void> {
  for await (const chunk of chunks) await written(res, chunk);
  res.end();
}

function written(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error('answer closed'));
    const onClose = (): void => reject(new Error('answer closed'));
    res.once('close', onClose);
    res.write(chunk, (err) => {
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}
