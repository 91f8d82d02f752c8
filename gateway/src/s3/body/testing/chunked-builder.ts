// Test support: builds aws-chunked bodies the way clients do, signing with
// node:crypto directly (independently of aws-chunked.ts).

import { createHash, createHmac } from 'node:crypto';
import type { ChunkSigning } from '../../auth/types.js';

const sha = (d: Uint8Array | string) => createHash('sha256').update(d).digest('hex');
const hmacHex = (k: Buffer, s: string) => createHmac('sha256', k).update(s).digest('hex');

export function signingKey(secret: string, date: string, region: string): Buffer {
  const h = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  return h(h(h(h(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

export interface BuildOptions {
  /** Data chunk sizes; the rest of the payload goes in one more chunk. */
  readonly chunkSizes?: readonly number[];
  readonly signing?: ChunkSigning;
  readonly trailer?: readonly [string, string];
}

/** `<hex>[;chunk-signature=..]\r\n<data>\r\n ... 0...\r\n[trailer\r\n][x-amz-trailer-signature:..\r\n]\r\n` */
export function buildChunked(payload: Buffer, o: BuildOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of o.chunkSizes ?? []) {
    chunks.push(payload.subarray(at, at + n));
    at += n;
  }
  if (at < payload.length) chunks.push(payload.subarray(at));
  chunks.push(Buffer.alloc(0));
  let prev = o.signing?.seedSignature ?? '';
  for (const c of chunks) {
    let ext = '';
    if (o.signing) {
      const s = o.signing;
      prev = hmacHex(s.signingKey, ['AWS4-HMAC-SHA256-PAYLOAD', s.amzDate, s.scope, prev, sha(''), sha(c)].join('\n'));
      ext = `;chunk-signature=${prev}`;
    }
    parts.push(Buffer.from(`${c.length.toString(16)}${ext}\r\n`), c);
    if (c.length > 0) parts.push(Buffer.from('\r\n'));
  }
  if (o.trailer) {
    const line = `${o.trailer[0]}:${o.trailer[1]}`;
    parts.push(Buffer.from(`${line}\r\n`));
    if (o.signing) {
      const s = o.signing;
      const sig = hmacHex(s.signingKey, ['AWS4-HMAC-SHA256-TRAILER', s.amzDate, s.scope, prev, sha(`${line}\n`)].join('\n'));
      parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`));
    }
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Yields `data` in pieces of the given sizes (cycled), as a socket would. */
export async function* pieces(data: Buffer, sizes: readonly number[] = [data.length || 1]): AsyncGenerator<Buffer> {
  let i = 0;
  for (let at = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    yield data.subarray(at, at + n);
    at += n;
  }
}
