// Narrowing for handlers that dispatch.ts hands a plain S3Request<Endpoint>:
// the router guarantees a bucket (and for object operations a key); these
// turn that guarantee into a type, and fail loudly (InternalError) if the
// wiring is ever wrong.

import type { S3Request } from './context.js';
import type { BucketOp, Endpoint, ObjectOp, Query } from './endpoints.js';

export type BucketRequest = S3Request<{ readonly op: BucketOp; readonly bucket: string; readonly query: Query }>;
export type ObjectRequest = S3Request<{ readonly op: ObjectOp; readonly bucket: string; readonly key: string; readonly query: Query }>;

export function asBucketRequest(r: S3Request<Endpoint>): BucketRequest {
  const e = r.endpoint;
  if (e.op === 'Unsupported' || e.op === 'ListBuckets' || 'key' in e) throw new Error(`${e.op} is not a bucket operation`);
  return r as BucketRequest;
}

export function asObjectRequest(r: S3Request<Endpoint>): ObjectRequest {
  const e = r.endpoint;
  if (e.op === 'Unsupported' || !('key' in e)) throw new Error(`${e.op} is not an object operation`);
  return r as ObjectRequest;
}
