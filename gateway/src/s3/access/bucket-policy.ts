// Bucket policies: PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy,
// GetBucketPolicyStatus. The policy is kept in the bucket's record as the
// JSON text that was put (GetBucketPolicy answers it byte for byte), after
// policy.ts has checked it is one this gateway can enforce; access.ts
// evaluates it on every request to the bucket.
//   https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html (and siblings)

import { requireBucket, smallBody } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { isPublic, MAX_POLICY_BYTES, parsePolicy } from './policy.js';
import { asBucketRequest } from '../targets.js';
import { xmlDoc } from '../xml.js';

function noPolicy(bucket: string): never {
  throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: bucket });
}

export async function putBucketPolicy(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  const text = await smallBody(r, MAX_POLICY_BYTES);
  parsePolicy(text, rec.name, s3.creds);
  if (!await s3.buckets.update(rec.name, (b) => ({ ...b, policy: text }), r.signal)) throw new S3Error('NoSuchBucket', undefined, { BucketName: rec.name });
  return { status: 204 };
}

export async function getBucketPolicy(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  if (rec.policy === undefined) noPolicy(rec.name);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: rec.policy };
}

export async function deleteBucketPolicy(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  const now = await s3.buckets.fresh(rec.name, r.signal) ?? rec;
  if (now.policy !== undefined) await s3.buckets.update(rec.name, ({ policy: _dropped, ...rest }) => rest, r.signal);
  return { status: 204 };
}

export async function getBucketPolicyStatus(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  if (rec.policy === undefined) noPolicy(rec.name);
  return xmlResponse(xmlDoc('PolicyStatus', [['IsPublic', isPublic(parsePolicy(rec.policy, rec.name, s3.creds))]]));
}
