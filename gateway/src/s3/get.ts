// GetObject and HeadObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
// The read's two rounds finish before any byte is sent; the body then
// streams stripe by stripe, every block verified against its committed hash.

import { requireBucket } from './bucket.js';
import { checkConditions, parseRange } from './conditions.js';
import { header, type S3Context, type S3Request, type S3Response } from './context.js';
import type { Query } from './endpoints.js';
import { S3Error } from './errors.js';
import { checksumHeaders, objectHeaders } from './object-headers.js';

type GetReq = S3Request<{ op: 'GetObject' | 'HeadObject'; bucket: string; key: string; query: Query }>;

/** response-* query parameters that override headers on a (signed) GET. */
const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

export async function getObject(s3: S3Context, r: GetReq): Promise<S3Response> {
  const { ns } = await requireBucket(s3, r);
  const found = await s3.objects.head(ns, r.endpoint.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  const m = found.meta;
  if (r.endpoint.op === 'HeadObject') s3.objects.release(found);
  checkConditions({
    ifMatch: header(r, 'if-match'),
    ifNoneMatch: header(r, 'if-none-match'),
    ifModifiedSince: header(r, 'if-modified-since'),
    ifUnmodifiedSince: header(r, 'if-unmodified-since'),
  }, m);
  const range = parseRange(header(r, 'range'), m.size);
  const headers = objectHeaders(m);
  for (const [param, h] of Object.entries(OVERRIDES)) {
    const v = r.endpoint.query.params.get(param);
    if (v !== undefined) headers[h] = v;
  }
  if (!range && header(r, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') Object.assign(headers, checksumHeaders(m));
  const first = range?.first ?? 0;
  const last = range?.last ?? m.size - 1;
  headers['content-length'] = m.size === 0 ? 0 : last - first + 1;
  if (range) headers['content-range'] = `bytes ${first}-${last}/${m.size}`;
  const status = range ? 206 : 200;
  if (r.endpoint.op === 'HeadObject') return { status, headers };
  return { status, headers, body: s3.objects.stream(found, first, last, r.signal) };
}
