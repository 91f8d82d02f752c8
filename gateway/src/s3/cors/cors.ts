// PutBucketCors, GetBucketCors, DeleteBucketCors
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html and
// its siblings). The rules live in the bucket's record (buckets.ts), a
// register: Put and Delete write it whole, Get reads it with a quorum read of
// its own, so all three are linearizable. The record is read, then written:
// two configuration changes of one bucket at the same moment keep the later
// write's whole record, and a change racing DeleteBucket can bring the
// deleted (empty) bucket back, as two racing CreateBuckets can (DESIGN §8).
// Preflights and the headers of actual requests read the cached record, so
// another gateway's change reaches them within the cache window (2 s).
// Deviation: S3 has asked for Content-MD5 (or an x-amz-checksum-*) on
// PutBucketCors; this gateway verifies either when sent (the body layer) and
// requires neither, as for DeleteObjects.

import { ownedBy, smallBody } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import { MAX_CORS_XML_BYTES, parseCorsConfiguration, renderCorsConfiguration } from './cors-config.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { asBucketRequest, type BucketRequest } from '../targets.js';
import type { BucketRecord } from '../../buckets.js';

/** The newest record of the requester's bucket (a quorum read begun by this request). */
async function freshOwned(s3: S3Context, r: BucketRequest): Promise<BucketRecord> {
  return ownedBy(await s3.buckets.fresh(r.endpoint.bucket, r.signal), r.endpoint.bucket, r.principal.user);
}

export async function putBucketCors(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  // The document is checked before the bucket is looked up: a bad one costs no quorum read.
  const rules = parseCorsConfiguration(await smallBody(r, MAX_CORS_XML_BYTES));
  const rec = await freshOwned(s3, r);
  if (!await s3.buckets.update(rec.name, (b) => ({ ...b, cors: rules }), r.signal)) throw new S3Error('NoSuchBucket', undefined, { BucketName: rec.name });
  return { status: 200 };
}

export async function getBucketCors(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  const rec = await freshOwned(s3, r);
  if (!rec.cors) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: rec.name });
  return xmlResponse(renderCorsConfiguration(rec.cors));
}

/** 204 whether or not rules were set, as S3 answers. */
export async function deleteBucketCors(s3: S3Context, req: S3Request<Endpoint>): Promise<S3Response> {
  const r = asBucketRequest(req);
  const rec = await freshOwned(s3, r);
  if (rec.cors) {
    await s3.buckets.update(rec.name, ({ cors: _dropped, ...rest }) => rest, r.signal);
  }
  return { status: 204 };
}
