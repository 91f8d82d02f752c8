// A retried CompleteMultipartUpload (issue 12 item 1). A client whose first
// Complete succeeded but whose response was lost sends the same request
// again; the upload record is gone by then. S3 answers such a retry 200 with
// the same ETag, and a Complete with a different part list NoSuchUpload.
//
// Where the completion is remembered: in the object itself. A completed
// multipart object's committed meta names its upload id and every part's
// number and ETag (object-meta.ts MultipartLayout), so a linearizable read
// of the key tells whether this upload completed it and with which list.
// Nothing extra is written, and it survives gateway restarts as the object
// does. It lasts as long as the key still holds that object: once the key
// is overwritten or deleted, a retry answers NoSuchUpload (S3 keeps its
// record for a while; the client then learns the upload is over either way).

import type { BucketNs } from '../../buckets.js';
import type { ObjectMeta } from '../../object-meta.js';
import type { S3Context } from '../context.js';

export interface RequestedPartRef {
  readonly n: number;
  /** Unquoted. */
  readonly etag: string;
}

/**
 * The object the upload `uploadId` made of exactly `requested`, when the key
 * still holds it (read linearizably), or null.
 */
export async function completedBefore(
  s3: S3Context, ns: BucketNs, key: string, uploadId: string, requested: readonly RequestedPartRef[], signal: AbortSignal,
): Promise<ObjectMeta | null> {
  const found = await s3.objects.head(ns, key, signal);
  if (!found) return null;
  s3.objects.release(found);
  const mp = found.meta.multipart;
  if (mp?.uploadId !== uploadId || mp.parts.length !== requested.length) return null;
  return mp.parts.every((p, i) => p.n === requested[i]!.n && p.etag === requested[i]!.etag) ? found.meta : null;
}
