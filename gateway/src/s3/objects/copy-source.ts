// What CopyObject (and UploadPartCopy) read from the request: the
// x-amz-copy-source header and the x-amz-copy-source-if-* conditionals
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).

import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectMeta } from '../../object-meta.js';
import type { Checksum } from '../body/checksums.js';
import { checkConditions, type Conditions } from './conditions.js';
import { S3Error } from '../errors.js';
import { MAX_KEY_BYTES, validBucketName } from '../router.js';

/** S3's largest copy source for CopyObject and UploadPartCopy: 5 GiB. */
export const MAX_COPY_SOURCE_BYTES = 5 * 1024 * 1024 * 1024;

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  /** The versionId the client named, if any ("null" is the only one that exists here). */
  readonly versionId?: string;
}

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function invalid(message: string): never {
  throw new S3Error('InvalidArgument', message, { ArgumentName: 'x-amz-copy-source' });
}

/**
 * Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, the whole value
 * percent-encoded (clients differ in how much they encode; `+` stays a plus),
 * with an optional `?versionId=…`. Access-point ARNs are not accepted.
 */
export function parseCopySource(raw: string | undefined): CopySource {
  if (raw === undefined || raw === '') invalid('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  let versionId: string | undefined;
  if (q >= 0) {
    for (const part of raw.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if ((eq < 0 ? part : part.slice(0, eq)) === 'versionId') versionId = decode(eq < 0 ? '' : part.slice(eq + 1));
    }
  }
  const decoded = decode(path.startsWith('/') ? path.slice(1) : path);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) invalid('Invalid copy source object key');
  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  if (!validBucketName(bucket)) invalid('Invalid copy source bucket name');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return invalid('Invalid copy source encoding');
  }
}

/**
 * The x-amz-copy-source-if-* conditionals against the source's metadata,
 * with GET's rules (conditions.ts: a holding if-match overrides a failing
 * if-unmodified-since; a failing if-none-match fails whatever
 * if-modified-since says), except that every failure is 412
 * PreconditionFailed, never 304, as S3 documents for copies.
 */
export function checkCopyConditions(h: IncomingHttpHeaders, m: ObjectMeta): void {
  const c: Conditions = {
    ifMatch: one(h, 'x-amz-copy-source-if-match'),
    ifNoneMatch: one(h, 'x-amz-copy-source-if-none-match'),
    ifModifiedSince: one(h, 'x-amz-copy-source-if-modified-since'),
    ifUnmodifiedSince: one(h, 'x-amz-copy-source-if-unmodified-since'),
  };
  try {
    checkConditions(c, m);
  } catch (e) {
    if (!(e instanceof S3Error)) throw e;
    const which = e.code === 'NotModified' ? (c.ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Modified-Since') : (e.extra.Condition ?? '');
    throw new S3Error('PreconditionFailed', undefined, { Condition: `x-amz-copy-source-${which}` });
  }
}

/** Passes `src` through, feeding every chunk to each digest (a copy's ETag and checksums). */
export async function* digesting(src: AsyncIterable<Buffer>, digests: readonly Checksum[]): AsyncIterable<Buffer> {
  for await (const chunk of src) {
    for (const d of digests) d.update(chunk);
    yield chunk;
  }
}
