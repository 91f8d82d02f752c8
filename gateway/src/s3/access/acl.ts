// Access control lists (acl-model.ts) of buckets and objects, and the
// versioning configuration (never enabled).
//   GetBucketAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
//   PutBucketAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
//   GetObjectAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
//   PutObjectAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
//   GetBucketVersioning / PutBucketVersioning
//                 https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
//
// A bucket's ACL lives in its record (buckets.ts), an object's in its
// committed meta: PutObjectAcl writes the object again with the same bytes
// (meta-rewrite.ts). Who may call these was decided before (access.ts).
// Deviations from AWS, marked:
//  - PutObjectAcl of a multipart object answers NotImplemented (meta-rewrite.ts);
//  - PutBucketVersioning answers 501 NotImplemented.

import { aclFromHeaders, aclFromXml, privateAcl, renderAcl, storedAcl, type Acl } from './acl-model.js';
import { requireBucket, smallBody } from '../bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from '../context.js';
import type { Endpoint } from '../endpoints.js';
import { S3Error } from '../errors.js';
import { rewriteMeta } from '../objects/meta-rewrite.js';
import type { FoundObject } from '../../objects.js';
import { asBucketRequest, asObjectRequest, type ObjectRequest } from '../targets.js';
import { requireNullVersion } from '../objects/versions.js';
import { xmlDoc } from '../xml.js';

type Req = S3Request<Endpoint>;

/** The ACL a Put*Acl asks for: by headers (canned or grants) or by an AccessControlPolicy body, exactly one. */
async function requestedAcl(s3: S3Context, r: Req, owner: string, bucketOwner?: string): Promise<Acl> {
  const fromHeaders = aclFromHeaders(r.headers, owner, s3.creds, bucketOwner);
  const body = (await smallBody(r)).trim();
  if (fromHeaders && body !== '') throw new S3Error('UnexpectedContent', 'This request does not support content when ACL headers are given.');
  if (fromHeaders) return fromHeaders;
  if (body === '') throw new S3Error('MissingSecurityHeader', 'Your request was missing a required header.', { MissingHeaderName: 'x-amz-acl' });
  return aclFromXml(body, owner, s3.creds);
}

/** The object (it must exist) and its owner; the caller releases or hands on its pins. */
async function requireObject(s3: S3Context, r: ObjectRequest): Promise<{ found: FoundObject; owner: string; bucketOwner: string }> {
  const rec = await requireBucket(s3, r);
  requireNullVersion(r.endpoint.query.params.get('versionId'), r.endpoint.key);
  const found = await s3.objects.head(rec.ns, r.endpoint.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  return { found, owner: found.meta.owner ?? rec.owner, bucketOwner: rec.owner };
}

export async function getBucketAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  return xmlResponse(renderAcl(rec.owner, rec.acl));
}

export async function putBucketAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const br = asBucketRequest(r);
  const rec = await requireBucket(s3, br);
  const acl = await requestedAcl(s3, r, rec.owner);
  if (!await s3.buckets.update(rec.name, (b) => ({ ...b, acl }), r.signal)) throw new S3Error('NoSuchBucket', undefined, { BucketName: rec.name });
  return { status: 200 };
}

export async function getObjectAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const { found, owner } = await requireObject(s3, asObjectRequest(r));
  // Only its metadata counts: the read's pins go at once (review F12).
  s3.objects.release(found);
  return xmlResponse(renderAcl(owner, storedAcl(found.meta.acl) ?? privateAcl(owner)));
}

export async function putObjectAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const or = asObjectRequest(r);
  const { found, owner, bucketOwner } = await requireObject(s3, or);
  let acl: Acl;
  try {
    acl = await requestedAcl(s3, r, owner, bucketOwner);
  } catch (e) {
    s3.objects.release(found);
    throw e;
  }
  await rewriteMeta(s3, found, or.endpoint.key, (m) => ({ ...m, owner, acl }), r.signal);
  return { status: 200 };
}

export async function getBucketVersioning(s3: S3Context, r: Req): Promise<S3Response> {
  await requireBucket(s3, asBucketRequest(r));
  // Never enabled: an empty configuration, as S3 answers for such a bucket.
  return xmlResponse(xmlDoc('VersioningConfiguration', []));
}

export async function putBucketVersioning(s3: S3Context, r: Req): Promise<S3Response> {
  await requireBucket(s3, asBucketRequest(r));
  throw new S3Error('NotImplemented', 'Versioning is not supported by this gateway.');
}
