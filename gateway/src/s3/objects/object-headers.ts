// Object metadata carried in HTTP headers: what a PUT stores (Content-Type,
// Content-Encoding, Content-Disposition, Content-Language, Cache-Control,
// Expires, x-amz-meta-*) and how GET/HEAD return it.

import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectMeta } from '../../object-meta.js';
import { S3Error } from '../errors.js';

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
  const enc = withoutAwsChunked(one(h, 'content-encoding'));
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

/**
 * Content-Encoding without aws-chunked (a transfer framing, not a stored
 * encoding), the rest kept byte for byte as S3 keeps it: "deflate, gzip"
 * stays "deflate, gzip", "aws-chunked,gzip" becomes "gzip".
 */
export function withoutAwsChunked(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return v.split(',').filter((t) => t.trim().toLowerCase() !== 'aws-chunked').join(',').trim();
}

/** What Node lets through as a header value (anything else makes writeHead throw): HTAB, visible ASCII, space, and 0x80-0xFF. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isHeaderValue(v: string): boolean {
  return HEADER_VALUE.test(v);
}

export function isHeaderName(v: string): boolean {
  return HEADER_NAME.test(v);
}

/**
 * A Unicode value as one RFC 2047 encoded word, `=?UTF-8?B?<base64 of its
 * UTF-8>?=`: how S3 returns metadata values that are not US-ASCII
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html).
 * DEVIATION: one word however long (RFC 2047 asks for at most 75 characters
 * per word; clients decode longer ones, and splitting would change nothing
 * that matters here).
 */
export function rfc2047(v: string): string {
  return `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/**
 * A stored value as a header can carry it. Values PutObject stored are the
 * header's own bytes (Latin-1 strings) and pass unchanged; a value that
 * cannot be a header (stored by PostObject before its fields were checked:
 * review F6) is sent RFC 2047-encoded instead of failing the whole GET.
 */
function servable(v: string): string {
  return isHeaderValue(v) ? v : rfc2047(v);
}

/** Headers GET and HEAD return for an object; always valid headers, whatever was stored. */
export function objectHeaders(m: ObjectMeta): Record<string, string | number> {
  const h: Record<string, string | number> = {
    etag: `"${m.etag ?? ''}"`,
    'last-modified': new Date(m.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': servable(m.contentType ?? 'binary/octet-stream'),
  };
  if (m.contentEncoding) h['content-encoding'] = servable(m.contentEncoding);
  if (m.contentDisposition) h['content-disposition'] = servable(m.contentDisposition);
  if (m.contentLanguage) h['content-language'] = servable(m.contentLanguage);
  if (m.cacheControl) h['cache-control'] = servable(m.cacheControl);
  if (m.expires) h.expires = servable(m.expires);
  let missing = 0;
  for (const [k, v] of Object.entries(m.user ?? {})) {
    if (isHeaderName(k)) h[`x-amz-meta-${k}`] = servable(v);
    else missing++;
  }
  // As S3 does for metadata its REST API cannot return.
  if (missing > 0) h['x-amz-missing-meta'] = missing;
  return h;
}

/** x-amz-checksum-* headers for the stored checksums. */
export function checksumHeaders(m: ObjectMeta): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [alg, v] of Object.entries(m.checksums ?? {})) h[`x-amz-checksum-${alg}`] = v;
  if (Object.keys(h).length > 0) h['x-amz-checksum-type'] = m.checksumType ?? 'FULL_OBJECT';
  return h;
}
