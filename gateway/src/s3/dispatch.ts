// One exhaustive switch from Endpoint to handler (STYLE.md §2). An
// operation without a handler answers NotImplemented (501): never a fake
// success.

import { createBucket, deleteBucket, getBucketLocation, headBucket } from './bucket.js';
import type { S3Context, S3Request, S3Response } from './context.js';
import { getBucketAcl, getBucketVersioning, getObjectAcl, putBucketAcl, putBucketVersioning, putObjectAcl } from './access/acl.js';
import { authorizeRequest } from './access/access.js';
import { deleteBucketPolicy, getBucketPolicy, getBucketPolicyStatus, putBucketPolicy } from './access/bucket-policy.js';
import { getObjectAttributes } from './objects/attributes.js';
import { copyObject } from './objects/copy.js';
import { deleteObject, deleteObjects } from './objects/delete.js';
import {
  abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart, uploadPartCopy,
} from './objects/multipart.js';
import { postObject } from './post/post-object.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';
import { getObject } from './objects/get.js';
import { deleteBucketCors, getBucketCors, putBucketCors } from './cors/cors.js';
import { preflight } from './cors/cors-requests.js';
import { listObjects } from './objects/list.js';
import { putObject } from './objects/put.js';
import { getUnsetBucketConfig } from './unset-config.js';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging/tagging.js';
import { deleteBucketTagging, getBucketTagging, putBucketTagging } from './tagging/bucket-tagging.js';
import { listBuckets } from './service.js';

function notImplemented(name: string): never {
  throw new S3Error('NotImplemented', `${name} is not implemented by this gateway.`);
}

export async function dispatch(s3: S3Context, r: S3Request): Promise<S3Response> {
  const e: Endpoint = r.endpoint;
  // Each case narrows the request to its endpoint type for the handler.
  const as = <T extends Endpoint>(): S3Request<T> => r as S3Request<T>;
  // Who may do what is decided here, once, before any handler runs.
  await authorizeRequest(s3, r);
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
    case 'DeleteObjects':
      return deleteObjects(s3, as<typeof e>());
    case 'PostObject':
      return postObject(s3, as<typeof e>());
    case 'GetBucketVersioning':
      return getBucketVersioning(s3, as<typeof e>());
    case 'PutBucketVersioning':
      return putBucketVersioning(s3, as<typeof e>());
    case 'GetBucketAcl':
      return getBucketAcl(s3, as<typeof e>());
    case 'PutBucketAcl':
      return putBucketAcl(s3, as<typeof e>());
    case 'GetObjectAcl':
      return getObjectAcl(s3, as<typeof e>());
    case 'PutObjectAcl':
      return putObjectAcl(s3, as<typeof e>());
    case 'CopyObject':
      return copyObject(s3, as<typeof e>());
    case 'GetObjectAttributes':
      return getObjectAttributes(s3, as<typeof e>());
    case 'CreateMultipartUpload':
      return createMultipartUpload(s3, as<typeof e>());
    case 'UploadPart':
      return uploadPart(s3, as<typeof e>());
    case 'UploadPartCopy':
      return uploadPartCopy(s3, as<typeof e>());
    case 'CompleteMultipartUpload':
      return completeMultipartUpload(s3, as<typeof e>());
    case 'AbortMultipartUpload':
      return abortMultipartUpload(s3, as<typeof e>());
    case 'ListParts':
      return listParts(s3, as<typeof e>());
    case 'ListMultipartUploads':
      return listMultipartUploads(s3, as<typeof e>());
    case 'PutBucketCors':
      return putBucketCors(s3, r);
    case 'GetBucketCors':
      return getBucketCors(s3, r);
    case 'DeleteBucketCors':
      return deleteBucketCors(s3, r);
    case 'OptionsObject':
      return preflight(s3, r);
    case 'GetBucketPolicy':
      return getBucketPolicy(s3, r);
    case 'PutBucketPolicy':
      return putBucketPolicy(s3, r);
    case 'DeleteBucketPolicy':
      return deleteBucketPolicy(s3, r);
    case 'GetBucketPolicyStatus':
      return getBucketPolicyStatus(s3, r);
    case 'GetBucketLifecycleConfiguration':
    case 'GetBucketEncryption':
    case 'GetBucketWebsite':
    case 'GetBucketReplication':
    case 'GetBucketOwnershipControls':
    case 'GetPublicAccessBlock':
    case 'GetObjectLockConfiguration':
    case 'GetBucketLogging':
    case 'GetBucketNotificationConfiguration':
    case 'GetBucketRequestPayment':
    case 'GetBucketAccelerateConfiguration':
      return getUnsetBucketConfig(s3, r);
    case 'GetBucketTagging':
      return getBucketTagging(s3, r);
    case 'PutBucketTagging':
      return putBucketTagging(s3, r);
    case 'DeleteBucketTagging':
      return deleteBucketTagging(s3, r);
    case 'GetObjectTagging':
      return getObjectTagging(s3, r);
    case 'PutObjectTagging':
      return putObjectTagging(s3, r);
    case 'DeleteObjectTagging':
      return deleteObjectTagging(s3, r);
    case 'ListObjectVersions':
      return notImplemented(e.op);
    case 'Unsupported':
      return notImplemented(e.name);
    default: {
      const never: never = e;
      throw new Error(`unrouted endpoint ${JSON.stringify(never)}`);
    }
  }
}
