// Conditional requests (RFC 7232 as S3 applies them,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html):
// If-Match / If-Unmodified-Since fail with 412; If-None-Match /
// If-Modified-Since with 304 (GET, HEAD). When If-Match holds, a failing
// If-Unmodified-Since is ignored; when If-None-Match fails, a holding
// If-Modified-Since is ignored, as S3 documents.

import type { ObjectMeta } from '../../object-meta.js';
import { S3Error } from '../errors.js';

/** ETag lists as clients send them: "a", W/"b", *, with or without quotes. */
function etagMatches(list: string, etag: string): boolean {
  return list.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
    return t === '*' || t === etag;
  });
}

function parseDate(v: string | undefined): number | null {
  if (v === undefined) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

export interface Conditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  readonly ifUnmodifiedSince?: string;
}

/** Throws PreconditionFailed (412) or NotModified (304) when a condition fails. */
export function checkConditions(c: Conditions, m: ObjectMeta): void {
  const etag = m.etag ?? '';
  // HTTP dates have second precision.
  const modified = Math.floor(m.lastModified / 1000) * 1000;
  const ims = parseDate(c.ifModifiedSince);
  const ius = parseDate(c.ifUnmodifiedSince);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else if (ius !== null && modified > ius) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  // A 304 names the version the client already has (RFC 9110 §15.4.5).
  const notModified = (): S3Error => new S3Error('NotModified', undefined, {}, {
    etag: `"${etag}"`, 'last-modified': new Date(m.lastModified).toUTCString(),
  });
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) throw notModified();
  } else if (ims !== null && modified <= ims) {
    throw notModified();
  }
}

export interface ByteRange {
  readonly first: number;
  readonly last: number;
}

/**
 * A single byte range of an object of `size` bytes: "bytes=a-b", "bytes=a-",
 * "bytes=-n". Returns null for no (or an unparseable, or a multi-) range,
 * which S3 answers with the whole object; throws InvalidRange (416) when the
 * range cannot be satisfied.
 */
export function parseRange(h: string | undefined, size: number): ByteRange | null {
  if (h === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let first: number;
  let last: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw new S3Error('InvalidRange', undefined, { ActualObjectSize: String(size), RangeRequested: h });
    first = Math.max(size - n, 0);
    last = size - 1;
  } else {
    first = Number(m[1]);
    last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < first) return null;
  }
  if (first >= size || size === 0) throw new S3Error('InvalidRange', undefined, { ActualObjectSize: String(size), RangeRequested: h });
  return { first, last };
}
