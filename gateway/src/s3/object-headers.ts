// Object metadata carried in HTTP headers: what a PUT stores (Content-Type,
// Content-Encoding, Content-Disposition, Content-Language, Cache-Control,
// Expires, x-amz-meta-*) and how GET/HEAD return it.

import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectMeta } from '../object-meta.js';
import { S3Error } from './errors.js';

/** S3's limit on user metadata: 2 KB of names and values. */
export const MAX_USER_META_BYTES = 2048;

type StoredHeaders = Pick<ObjectMeta, 'contentType' | 'contentEncoding' | 'contentDisposition' | 'contentLanguage' | 'cacheControl' | 'expires' | 'user'>;

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export function storedHeaders(h: IncomingHttpHeaders): StoredHeaders {
  const user: Record<string, string> = {};
  let bytes = 0;
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const k = name.slice('x-amz-meta-'.length);
    const v = Array.isArray(value) ? value.join(',') : value;
    user[k] = v;
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (bytes > MAX_USER_META_BYTES) throw new S3Error('MetadataTooLarge');
  // aws-chunked is a transfer framing, not a stored encoding.
  const enc = one(h, 'content-encoding')?.split(',').map((s) => s.trim()).filter((s) => s && s !== 'aws-chunked').join(',');
  const out: Record<string, unknown> = {
    contentType: one(h, 'content-type') ?? 'binary/octet-stream',
    contentEncoding: enc || undefined,
    contentDisposition: one(h, 'content-disposition'),
    contentLanguage: one(h, 'content-language'),
    cacheControl: one(h, 'cache-control'),
    expires: one(h, 'expires'),
    user: Object.keys(user).length ? user : undefined,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as StoredHeaders;
}

/** Headers GET and HEAD return for an object. */
export function objectHeaders(m: ObjectMeta): Record<string, string | number> {
  const h: Record<string, string | number> = {
    etag: `"${m.etag ?? ''}"`,
    'last-modified': new Date(m.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': m.contentType ?? 'binary/octet-stream',
  };
  if (m.contentEncoding) h['content-encoding'] = m.contentEncoding;
  if (m.contentDisposition) h['content-disposition'] = m.contentDisposition;
  if (m.contentLanguage) h['content-language'] = m.contentLanguage;
  if (m.cacheControl) h['cache-control'] = m.cacheControl;
  if (m.expires) h.expires = m.expires;
  for (const [k, v] of Object.entries(m.user ?? {})) h[`x-amz-meta-${k}`] = v;
  return h;
}

/** x-amz-checksum-* headers for the stored checksums. */
export function checksumHeaders(m: ObjectMeta): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [alg, v] of Object.entries(m.checksums ?? {})) h[`x-amz-checksum-${alg}`] = v;
  if (Object.keys(h).length > 0) h['x-amz-checksum-type'] = m.checksumType ?? 'FULL_OBJECT';
  return h;
}
