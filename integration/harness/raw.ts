// A raw request builder for what SDKs never send: requests signed with
// SigV4 here (independently of the gateway's verifier) and written to a
// plain TCP socket byte for byte, so tests can truncate bodies, break chunk
// framing, send hostile headers or forge signatures.

import { createHash, createHmac } from 'node:crypto';
import { connect } from 'node:net';

const sha = (d: Uint8Array | string): string => createHash('sha256').update(d).digest('hex');
const hmac = (k: Buffer | string, d: string): Buffer => createHmac('sha256', k).update(d).digest();

export interface Creds {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query exactly as they go on the request line. */
  readonly target: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** x-amz-content-sha256: default the body's SHA-256. */
  readonly payloadHash?: string;
  /** Sign at this time (default now). */
  readonly date?: Date;
}

export interface Signed {
  readonly headers: Record<string, string>;
  readonly signature: string;
  readonly signingKey: Buffer;
  readonly scope: string;
  readonly amzDate: string;
}

/** SigV4 header authentication for a raw request (host and every x-amz-* header signed). */
export function signV4(host: string, r: RawRequest, c: Creds): Signed {
  const amzDate = (r.date ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': r.payloadHash ?? sha(r.body ?? Buffer.alloc(0)),
    ...Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const signed = Object.keys(headers).filter((h) => h === 'host' || h.startsWith('x-amz-') || h === 'content-type' || h === 'range').sort();
  const [path, query = ''] = r.target.split('?');
  const canonicalQuery = query.split('&').filter(Boolean).map((p) => (p.includes('=') ? p : `${p}=`)).sort().join('&');
  const canonical = [
    r.method, path, canonicalQuery,
    signed.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join(''),
    signed.join(';'), headers['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${day}/${c.region}/s3/aws4_request`;
  const key = hmac(hmac(hmac(hmac(`AWS4${c.secretKey}`, day), c.region), 's3'), 'aws4_request');
  const signature = hmac(key, `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha(canonical)}`).toString('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${c.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return { headers, signature, signingKey: key, scope, amzDate };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Writes `head` (request line and headers) and then `body` to a fresh TCP
 * connection; `endAfterBody: false` leaves the socket half-open as a
 * client that stalls; `closeAfterBody` hangs up without waiting.
 */
export function sendRaw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body: Buffer = Buffer.alloc(0),
  opts: { closeAfterBody?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse | null> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.setTimeout(opts.timeoutMs ?? 10_000, () => sock.destroy(new Error('raw request timed out')));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', (e) => (chunks.length ? resolve(parse(Buffer.concat(chunks))) : reject(e)));
    sock.on('close', () => resolve(chunks.length ? parse(Buffer.concat(chunks)) : null));
    const lines = [`${method} ${target} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'connection: close', '', ''];
    sock.write(lines.join('\r\n'));
    sock.write(body);
    if (opts.closeAfterBody) setTimeout(() => sock.destroy(), 100);
  });
}

function parse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of headerLines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    const n = parseInt(b.subarray(i, nl).toString(), 16);
    if (!n) break;
    out.push(b.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}
