// GetObject and HeadObject
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
// The read's two rounds finish before any byte is sent; the body then
// streams stripe by stripe, every block verified against its committed hash.

import { RestoreError } from '@powerstore/shared/errors.js';
import type { FoundObject } from '../../objects.js';
import { requireBucket } from '../bucket.js';
import { checkConditions, parseRange } from './conditions.js';
import { header, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Query } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { checksumHeaders, isHeaderValue, objectHeaders } from './object-headers.js';
import { taggingCountHeader } from '../tagging/tags.js';

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
  let found = await s3.objects.head(ns, r.endpoint.key, r.signal);
  for (let attempt = 0; ; attempt++) {
    try {
      return await respond(s3, r, found);
    } catch (e) {
      // The chosen value had fewer than k readable holders (no byte went
      // out yet): decide once more with the nodes' late answers.
      if (!(e instanceof RestoreError) || attempt > 0 || !found) throw e;
      found = await s3.objects.again(found, r.signal);
    }
  }
}

async function respond(s3: S3Context, r: GetReq, found: FoundObject | null): Promise<S3Response> {
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  // The read's pins stay only while the body streams (review F12): every
  // other way out of here (HEAD, a failed condition or range, a refused
  // override) lets them go at once instead of after their 60 s lease.
  let streams = false;
  try {
    const m = found.meta;
    checkConditions({
      ifMatch: header(r, 'if-match'),
      ifNoneMatch: header(r, 'if-none-match'),
      ifModifiedSince: header(r, 'if-modified-since'),
      ifUnmodifiedSince: header(r, 'if-unmodified-since'),
    }, m);
    const range = parseRange(header(r, 'range'), m.size);
    const headers = { ...objectHeaders(m), ...taggingCountHeader(m.tags), ...overrides(r) };
    if (!range && header(r, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') Object.assign(headers, checksumHeaders(m));
    const first = range?.first ?? 0;
    const last = range?.last ?? m.size - 1;
    headers['content-length'] = m.size === 0 ? 0 : last - first + 1;
    if (range) headers['content-range'] = `bytes ${first}-${last}/${m.size}`;
    const status = range ? 206 : 200;
    if (r.endpoint.op === 'HeadObject') return { status, headers };
    // The first bytes are in hand before the status line (open() releases
    // the pins itself if it throws).
    const body = await s3.objects.open(found, first, last, r.signal);
    streams = true;
    return { status, headers, body };
  } finally {
    if (!streams) s3.objects.release(found);
  }
}

/**
 * The response-* overrides given. A value that cannot be a header (CR, LF,
 * another control character, a character beyond Latin-1) is refused with
 * 400 InvalidArgument (review F13: Node refused it at writeHead, a 500).
 */
function overrides(r: GetReq): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [param, h] of Object.entries(OVERRIDES)) {
    const v = r.endpoint.query.params.get(param);
    if (v === undefined) continue;
    if (!isHeaderValue(v)) throw new S3Error('InvalidArgument', `${param} holds a character not allowed in a header.`, { ArgumentName: param });
    out[h] = v;
  }
  return out;
}
