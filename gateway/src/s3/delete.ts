// DeleteObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html):
// writes a delete marker (a normal write). Deleting a missing key succeeds,
// as in S3.

import { requireBucket } from './bucket.js';
import type { S3Context, S3Request, S3Response } from './context.js';
import type { Endpoint, Query } from './endpoints.js';
import { S3Error } from './errors.js';

export async function deleteObject(s3: S3Context, r: S3Request<{ op: 'DeleteObject'; bucket: string; key: string; query: Query }>): Promise<S3Response> {
  await requireBucket(s3, r);
  await s3.objects.delete(r.endpoint.bucket, r.endpoint.key, r.signal);
  return { status: 204 };
}

/** DeleteObjects (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html). */
export async function deleteObjects(_s3: S3Context, _r: S3Request<Endpoint>): Promise<S3Response> {
  throw new S3Error('NotImplemented', 'DeleteObjects is not implemented by this gateway.');
}
