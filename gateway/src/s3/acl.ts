// Access control lists and versioning configuration: out of scope, answered
// honestly so that clients that probe them carry on (issue: GetBucketVersioning
// empty, Get*Acl owner FULL_CONTROL, Put*Acl with canned "private" succeeds).

import type { S3Context, S3Request, S3Response } from './context.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';

type Req = S3Request<Endpoint>;

function notYet(op: string): never {
  throw new S3Error('NotImplemented', `${op} is not implemented by this gateway.`);
}

export async function getBucketAcl(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('GetBucketAcl');
}
export async function putBucketAcl(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('PutBucketAcl');
}
export async function getObjectAcl(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('GetObjectAcl');
}
export async function putObjectAcl(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('PutObjectAcl');
}
export async function getBucketVersioning(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('GetBucketVersioning');
}
export async function putBucketVersioning(_s3: S3Context, _r: Req): Promise<S3Response> {
  return notYet('PutBucketVersioning');
}
