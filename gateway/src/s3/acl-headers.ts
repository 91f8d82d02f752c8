// ACL headers on requests that create something. Only private ACLs exist
// here (a bucket's owner, with FULL_CONTROL); asking for anything else
// answers NotImplemented rather than pretending to have granted it.

import { header, type S3Request } from './context.js';
import { S3Error } from './errors.js';

export function onlyPrivate(what: string): never {
  throw new S3Error('NotImplemented', `Only the private ACL (the owner's FULL_CONTROL) is supported by this gateway; ${what} is not.`);
}

/**
 * The ACL headers of any request that creates something (PutObject,
 * CreateBucket, CopyObject, CreateMultipartUpload, Put*Acl): only private
 * may be asked for (bucket-owner-full-control is the same thing here: a
 * bucket's owner owns its objects). Anything else answers NotImplemented
 * rather than pretending to have granted it.
 */
export function requirePrivateAclHeaders(r: S3Request): void {
  const canned = header(r, 'x-amz-acl');
  if (Object.keys(r.headers).some((h) => h.startsWith('x-amz-grant-'))) onlyPrivate('an x-amz-grant-* header');
  if (canned !== undefined && canned !== 'private' && canned !== 'bucket-owner-full-control') onlyPrivate(`the canned ACL "${canned}"`);
}

