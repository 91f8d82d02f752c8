// Reads a small request or response body fully, refusing more than `limit`
// bytes (bounded memory whatever a peer sends).
//
// A Node.js stream (every batch request a node reads, every batch answer a
// gateway reads) is read through its events, not `for await`: a stream's
// async iterator costs an async generator, an end-of-stream watcher and a
// promise per chunk, several kilobytes and microseconds for a body that
// comes in one chunk (issue 11: it was among the gateway's larger
// allocation sites per 4 KiB PUT).

import { Readable } from 'node:stream';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** A stream that closed before its end (what `for await` throws as ERR_STREAM_PREMATURE_CLOSE). */
export class PrematureCloseError extends Error {
  override readonly name = 'PrematureCloseError';
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
}

const ignore = (): void => undefined;

/**
 * Reads `src` to its end, handing each chunk to `take`. When `take` throws,
 * the stream is destroyed and the promise rejects with what it threw; a
 * stream error, or a close before the end, rejects too.
 */
export function readStream(src: Readable, take: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (src.readableEnded) return resolve();
    if (src.destroyed) return reject(src.errored ?? new PrematureCloseError('stream closed before its end'));
    let settled = false;
    const settle = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('close', onClose);
      src.off('error', onError);
      src.on('error', ignore); // a late error of a stream we are done with is nobody's
      if (err === undefined) resolve();
      else reject(err);
    };
    const onData = (chunk: Buffer | string): void => {
      try {
        take(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      } catch (e) {
        settle(e);
        src.destroy();
      }
    };
    const onEnd = (): void => settle();
    const onClose = (): void => settle(src.errored ?? new PrematureCloseError('stream closed before its end'));
    const onError = (e: Error): void => settle(e);
    src.on('data', onData);
    src.once('end', onEnd);
    src.once('close', onClose);
    src.once('error', onError);
  });
}

export async function readLimited(src: AsyncIterable<Buffer | Uint8Array>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  const take = (chunk: Buffer | Uint8Array): void => {
    n += chunk.length;
    if (n > limit) throw new BodyTooLargeError(`body larger than ${limit} bytes`);
    parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  };
  if (src instanceof Readable) await readStream(src, take);
  else for await (const chunk of src) take(chunk);
  return Buffer.concat(parts, n);
}
