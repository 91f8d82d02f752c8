// One exhaustive switch from Endpoint to handler (STYLE.md §2). An
// operation without a handler answers NotImplemented (501): never a fake
// success.

import { createBucket, deleteBucket, getBucketLocation, headBucket } from './bucket.js';
import type { S3Context, S3Request, S3Response } from './context.js';
import { deleteObject } from './delete.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';
import { getObject } from './get.js';
import { listObjects } from './list.js';
import { putObject } from './put.js';
import { listBuckets } from './service.js';

function notImplemented(name: string): never {
  throw new S3Error('NotImplemented', `${name} is not implemented by this gateway.`);
}

export async function dispatch(s3: S3Context, r: S3Request): Promise<S3Response> {
  const e: Endpoint = r.endpoint;
  // Each case narrows the request to its endpoint type for the handler.
  const as = <T extends Endpoint>(): S3Request<T> => r as S3Request<T>;
  switch (e.op) {
    case 'ListBuckets':
      return listBuckets(s3, as<typeof e>());
    case 'CreateBucket':
      return createBucket(s3, as<typeof e>());
    case 'HeadBucket':
      return headBucket(s3, as<typeof e>());
    case 'DeleteBucket':
      return deleteBucket(s3, as<typeof e>());
    case 'GetBucketLocation':
      return getBucketLocation(s3, as<typeof e>());
    case 'ListObjects':
    case 'ListObjectsV2':
      return listObjects(s3, as<{ op: 'ListObjects' | 'ListObjectsV2'; bucket: string; query: typeof e.query }>());
    case 'PutObject':
      return putObject(s3, as<typeof e & { op: 'PutObject' }>());
    case 'GetObject':
    case 'HeadObject':
      return getObject(s3, as<typeof e & { op: 'GetObject' | 'HeadObject' }>());
    case 'DeleteObject':
      return deleteObject(s3, as<typeof e & { op: 'DeleteObject' }>());
    case 'ListObjectVersions':
    case 'ListMultipartUploads':
    case 'DeleteObjects':
    case 'PostObject':
    case 'GetBucketVersioning':
    case 'PutBucketVersioning':
    case 'GetBucketAcl':
    case 'PutBucketAcl':
    case 'CopyObject':
    case 'CreateMultipartUpload':
    case 'UploadPart':
    case 'UploadPartCopy':
    case 'CompleteMultipartUpload':
    case 'AbortMultipartUpload':
    case 'ListParts':
    case 'GetObjectAcl':
    case 'PutObjectAcl':
    case 'GetObjectAttributes':
      return notImplemented(e.op);
    case 'Unsupported':
      return notImplemented(e.name);
    default: {
      const never: never = e;
      throw new Error(`unrouted endpoint ${JSON.stringify(never)}`);
    }
  }
}
