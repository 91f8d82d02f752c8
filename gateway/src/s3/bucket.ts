// Bucket operations: CreateBucket, HeadBucket, DeleteBucket,
// GetBucketLocation (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html etc.).

import { aclFromHeaders, privateAcl } from './access/acl-model.js';
import { readLimited } from '@powerstore/shared/http-body.js';
import type { BucketRecord } from '../buckets.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from './context.js';
import { S3Error } from './errors.js';
import { childText, parseXml, S3_NS } from './xml.js';

type BucketReq = S3Request & { endpoint: { bucket: string } };

/** Longest a deleted bucket's leftover uploads may take to abort. */
const ABORT_LEFTOVERS_MS = 300_000;

/**
 * The bucket's record, or NoSuchBucket. Whether the requester may use it
 * was decided before the handler ran (access.ts, from dispatch.ts).
 */
export async function requireBucket(s3: S3Context, r: BucketReq): Promise<BucketRecord> {
  return existing(await s3.buckets.get(r.endpoint.bucket, r.signal), r.endpoint.bucket);
}

/** A looked-up bucket record checked for existence. */
export function existing(rec: BucketRecord | null, name: string): BucketRecord {
  if (!rec) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return rec;
}

/**
 * After a write into `rec`'s incarnation committed: NoSuchBucket if the
 * bucket was deleted (or deleted and created again) while the body streamed.
 * The write then landed in the old incarnation's namespace, which nothing
 * reads any more; the client must not be told it was stored. This gateway
 * sees its own deletes at once, other gateways' within the cache window.
 */
export async function stillCurrent(s3: S3Context, rec: BucketRecord, signal: AbortSignal): Promise<void> {
  const now = await s3.buckets.get(rec.name, signal);
  if (now?.ns !== rec.ns) throw new S3Error('NoSuchBucket', undefined, { BucketName: rec.name });
}

/** A looked-up bucket record checked for existence and ownership (PostObject, which authorizes itself). */
export function ownedBy(rec: BucketRecord | null, name: string, user: string): BucketRecord {
  if (existing(rec, name).owner !== user) throw new S3Error('AccessDenied');
  return rec!;
}

/** Reads a small verified request body (XML configuration documents). */
export async function smallBody(r: S3Request, limit = 1024 * 1024): Promise<string> {
  try {
    return (await readLimited(r.body().stream, limit)).toString('utf8');
  } catch (e) {
    if (e instanceof Error && e.name === 'BodyTooLargeError') throw new S3Error('MaxMessageLengthExceeded');
    throw e;
  }
}

export async function createBucket(s3: S3Context, r: BucketReq): Promise<S3Response> {
  const name = r.endpoint.bucket;
  const acl = aclFromHeaders(r.headers, r.principal.user, s3.creds) ?? privateAcl(r.principal.user);
  const xml = await smallBody(r);
  if (xml.trim() !== '') {
    const loc = childText(parseXml(xml), 'LocationConstraint') ?? '';
    if (loc !== '' && loc !== s3.config.region) {
      throw new S3Error('InvalidArgument', `The ${loc} location constraint is incompatible with this endpoint's region ${s3.config.region}.`, { ArgumentName: 'LocationConstraint' });
    }
  }
  const existing = await s3.buckets.fresh(name, r.signal);
  if (existing) {
    if (existing.owner === r.principal.user) {
      // AWS's legacy behaviour in us-east-1: creating a bucket you own succeeds again.
      if (existing.region === 'us-east-1' && s3.config.region === 'us-east-1') return { status: 200, headers: { location: `/${name}` } };
      throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: name });
    }
    throw new S3Error('BucketAlreadyExists', undefined, { BucketName: name });
  }
  await s3.buckets.create(name, r.principal.user, s3.config.region, r.signal, acl);
  return { status: 200, headers: { location: `/${name}` } };
}

export async function headBucket(s3: S3Context, r: BucketReq): Promise<S3Response> {
  const rec = await requireBucket(s3, r);
  return { status: 200, headers: { 'x-amz-bucket-region': rec.region } };
}

/**
 * As AWS: refused while any object is visible. Open multipart uploads do not
 * stop it; they stay in the deleted incarnation's namespaces, unreachable
 * from any later bucket of the name, and are aborted afterwards so their
 * parts leave the disks.
 */
export async function deleteBucket(s3: S3Context, r: BucketReq): Promise<S3Response> {
  const name = r.endpoint.bucket;
  const rec = existing(await s3.buckets.fresh(name, r.signal), name);
  const probe = await s3.objects.list(rec.ns, { prefix: '', delimiter: '', after: null, skipPrefix: false, maxKeys: 1 }, r.signal);
  if (probe.contents.length > 0) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
  await s3.buckets.remove(name, r.signal);
  // Not the client's to wait for: the bucket is gone whatever this achieves.
  s3.multipart.abortAll(rec.ns, AbortSignal.timeout(ABORT_LEFTOVERS_MS)).catch((err: unknown) => {
    s3.log.warn({ err, bucket: name }, 'aborting a deleted bucket\'s uploads failed: their parts stay on disk');
  });
  return { status: 204 };
}

export async function getBucketLocation(s3: S3Context, r: BucketReq): Promise<S3Response> {
  const rec = await requireBucket(s3, r);
  // us-east-1 is reported as an empty LocationConstraint, as AWS does.
  const loc = rec.region === 'us-east-1' ? '' : rec.region;
  return xmlResponse(`<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="${S3_NS}">${loc}</LocationConstraint>`);
}
