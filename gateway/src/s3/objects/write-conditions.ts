// Conditional writes (AWS since 2024:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
// PutObject and CompleteMultipartUpload with `If-None-Match: *` (create
// only: 412 when the key holds an object) or `If-Match: "etag"` (replace
// only that version: 412 when it differs, 404 NoSuchKey when absent).
//
// Registers cannot compare-and-set, so the condition is evaluated on a
// linearizable read of the key just before the write commits. Two
// conditional writers racing between their read and their write may both
// succeed: the last linearized write then wins (README "S3 compatibility").
// A header is never ignored: an If-None-Match other than `*` is refused as
// S3 refuses it (501 NotImplemented), not treated as absent.

import type { BucketNs } from '../../buckets.js';
import { header, type S3Context, type S3Request } from '../context.js';
import { S3Error } from '../errors.js';
import { mustNotOverwrite } from '../access/key-scope.js';

export interface WriteConditions {
  /**
   * The request's key is append-only (key-scope.ts): the key must hold no
   * object, else AccessDenied. Checked like If-None-Match: *, with its race.
   */
  readonly noOverwrite?: boolean;
  /** `If-None-Match: *`: the key must hold no object. */
  readonly ifNoneMatch: boolean;
  /** `If-Match`: the ETags (unquoted) one of which the current object must have. */
  readonly ifMatch?: readonly string[];
}

/**
 * The request's write conditions (its headers, and its key's append-only
 * limit), or null when there are none. Refuses what S3 refuses.
 */
export function writeConditions(r: S3Request): WriteConditions | null {
  const fromHeaders = headerConditions(r);
  if (!mustNotOverwrite(r.principal.scope)) return fromHeaders;
  return { ifNoneMatch: false, ...fromHeaders, noOverwrite: true };
}

function headerConditions(r: S3Request): WriteConditions | null {
  const inm = header(r, 'if-none-match');
  const im = header(r, 'if-match');
  if (inm === undefined && im === undefined) return null;
  if (inm !== undefined && inm.trim() !== '*') {
    throw new S3Error('NotImplemented', 'If-None-Match on a write accepts only *.', { Header: 'If-None-Match' });
  }
  const etags = im?.split(',').map((t) => t.trim().replace(/^"(.*)"$/, '$1')).filter((t) => t !== '');
  if (im !== undefined && etags!.length === 0) throw new S3Error('InvalidArgument', 'If-Match is empty.', { ArgumentName: 'If-Match' });
  return { ifNoneMatch: inm !== undefined, ...(etags ? { ifMatch: etags } : {}) };
}

/** Throws PreconditionFailed or NoSuchKey unless `current` (the key's ETag, null: absent) satisfies `c`. */
export function checkWrite(c: WriteConditions, key: string, current: string | null): void {
  if (c.noOverwrite && current !== null) throw new S3Error('AccessDenied', 'This access key is append-only: it may not replace an existing object.');
  if (c.ifNoneMatch && current !== null) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
  if (c.ifMatch) {
    if (current === null) throw new S3Error('NoSuchKey', undefined, { Key: key });
    if (!c.ifMatch.includes('*') && !c.ifMatch.includes(current)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  }
}

/** The key's current ETag by a linearizable read (the protocol's read), or null when it holds no object. */
export async function currentEtag(s3: S3Context, ns: BucketNs, key: string, signal: AbortSignal): Promise<string | null> {
  const found = await s3.objects.head(ns, key, signal);
  if (!found) return null;
  s3.objects.release(found);
  return found.meta.etag ?? '';
}

/** Reads the key and checks `c` against it (nothing when `c` is null). */
export async function requireWriteConditions(
  s3: S3Context, c: WriteConditions | null, ns: BucketNs, key: string, signal: AbortSignal,
): Promise<void> {
  if (c) checkWrite(c, key, await currentEtag(s3, ns, key, signal));
}
