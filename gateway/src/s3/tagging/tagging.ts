// Object tagging: GetObjectTagging, PutObjectTagging, DeleteObjectTagging
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html
// Tags are part of the object's committed metadata (object-meta.ts), so
// they are exactly as linearizable as the object: a GET that sees the
// object sees its tags. Changing them writes a new version of the object
// with the same bytes, ETag, checksums and Last-Modified (S3 keeps those
// too) and the new tags, without moving data (ObjectStore.rewrite).
//
// Registers cannot compare-and-set: a PutObject that lands between this
// handler's read and its write would be overwritten by the old bytes. The
// object is read again just before the write commits, and a change answers
// 409 OperationAborted (as S3 does for a conflicting operation); a write
// racing inside that last window still loses, the last linearized write
// wins (README "S3 compatibility").

import { compareTs } from '@powerstore/shared/protocol/timestamp.js';
import type { BucketRecord } from '../../buckets.js';
import type { ObjectMeta } from '../../object-meta.js';
import type { FoundObject } from '../../objects.js';
import { requireBucket, smallBody, stillCurrent } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { parseTaggingXml, taggingNodes, type Tag } from './tags.js';
import { asObjectRequest, type ObjectRequest } from '../targets.js';
import { requireNullVersion } from '../objects/versions.js';
import { xmlDoc } from '../xml.js';

interface Target {
  readonly rec: BucketRecord;
  /** Its read's pins are the caller's to release. */
  readonly found: FoundObject;
}

/** The object the request names: NoSuchKey when absent, NoSuchVersion for a versionId other than "null". */
async function target(s3: S3Context, r: ObjectRequest): Promise<Target> {
  const rec = await requireBucket(s3, r);
  requireNullVersion(r.endpoint.query.params.get('versionId'), r.endpoint.key);
  const found = await s3.objects.head(rec.ns, r.endpoint.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  return { rec, found };
}

export async function getObjectTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asObjectRequest(req);
  const { found } = await target(s3, r);
  s3.objects.release(found);
  return xmlResponse(xmlDoc('Tagging', taggingNodes(found.meta.tags)));
}

export async function putObjectTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asObjectRequest(req);
  // The body is read (and verified) before the object: a bad tag set costs no read.
  const tags = parseTaggingXml(await smallBody(r));
  return retag(s3, r, await target(s3, r), tags, 200);
}

export async function deleteObjectTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asObjectRequest(req);
  const t = await target(s3, r);
  if (!t.found.meta.tags?.length) {
    s3.objects.release(t.found);
    return { status: 204 };
  }
  return retag(s3, r, t, [], 204);
}

/** Writes the object again with `tags` (none: no tags); answers `status` once committed. */
async function retag(s3: S3Context, r: ObjectRequest, { rec, found }: Target, tags: readonly Tag[], status: number): Promise<S3Response> {
  const { tags: _old, ...rest } = found.meta;
  const meta: ObjectMeta = tags.length > 0 ? { ...rest, tags } : rest;
  const key = r.endpoint.key;
  try {
    await s3.objects.rewrite(found, key, meta, () => unchanged(s3, found, key, r.signal), r.signal);
  } finally {
    s3.objects.release(found);
  }
  await stillCurrent(s3, rec, r.signal);
  return { status };
}

/** OperationAborted unless the key still holds the value `found` read (its write's timestamp). */
async function unchanged(s3: S3Context, found: FoundObject, key: string, signal: AbortSignal): Promise<void> {
  const now = await s3.objects.head(found.bucket, key, signal);
  if (now) s3.objects.release(now);
  if (!now || compareTs(now.read.c.ts, found.read.c.ts) !== 0) throw new S3Error('OperationAborted');
}
