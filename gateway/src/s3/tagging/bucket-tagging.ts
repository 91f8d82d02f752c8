// Bucket tagging: GetBucketTagging, PutBucketTagging, DeleteBucketTagging
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketTagging.html
// The tags live in the bucket's record (buckets.ts), written read-then-write
// like the record itself: two changes of one bucket's tags racing may lose
// one (the last write wins). A GET reads the record past the cache, so it
// sees every change that completed before it began. Up to 50 tags (S3's
// limit for buckets); an unset tag set answers 404 NoSuchTagSet.

import { ownedBy, requireBucket, smallBody } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { parseTaggingXml, taggingNodes, type Tag } from './tags.js';
import { asBucketRequest } from '../targets.js';
import { xmlDoc } from '../xml.js';

export async function getBucketTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  const name = r.endpoint.bucket;
  const rec = ownedBy(await s3.buckets.fresh(name, r.signal), name, r.principal.user);
  if (!rec.tags?.length) throw new S3Error('NoSuchTagSet', undefined, { BucketName: name });
  return xmlResponse(xmlDoc('Tagging', taggingNodes(rec.tags)));
}

export async function putBucketTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  await requireBucket(s3, r);
  return setTags(s3, r.endpoint.bucket, parseTaggingXml(await smallBody(r), 'bucket'), r.signal);
}

export async function deleteBucketTagging(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  await requireBucket(s3, r);
  return setTags(s3, r.endpoint.bucket, [], r.signal);
}

/** Writes the bucket's record with `tags` (none: unset); 204 as S3 answers both. */
async function setTags(s3: S3Context, name: string, tags: readonly Tag[], signal: AbortSignal): Promise<S3Response> {
  const rec = await s3.buckets.update(name, ({ tags: _old, ...b }) => (tags.length ? { ...b, tags } : b), signal);
  if (!rec) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return { status: 204 };
}
