// The ACL of an object being written (PutObject, CopyObject,
// CreateMultipartUpload): what its x-amz-acl / x-amz-grant-* headers ask
// for, else private; its owner is its writer (authorize.ts). Stored in the
// object's committed meta, so it is exactly as linearizable as the object.

import type { BucketRecord } from '../../buckets.js';
import { aclFromHeaders, privateAcl, type Acl } from './acl-model.js';
import type { S3Context, S3Request } from '../context.js';

export interface ObjectAccess {
  readonly owner: string;
  readonly acl: Acl;
}

/**
 * Parsed before any body byte is read, so a bad header fails the request
 * early. An anonymous writer (a bucket granting WRITE to AllUsers) leaves
 * the object owned by the bucket's owner.
 */
export function objectAccess(s3: S3Context, r: S3Request, bucket: BucketRecord): ObjectAccess {
  const owner = r.principal.user === '' ? bucket.owner : r.principal.user;
  return { owner, acl: aclFromHeaders(r.headers, owner, s3.creds, bucket.owner) ?? privateAcl(owner) };
}
