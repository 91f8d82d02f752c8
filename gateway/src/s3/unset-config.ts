// GET of a configuration sub-resource this gateway never stores (issue 12
// item 10). No bucket here ever has a lifecycle,
// default encryption, a website, replication, ownership controls, a
// public access block or Object Lock, so a GET of
// one answers exactly what S3 answers for a bucket without it:
// the "not found" error of that configuration, or the empty document S3
// returns where unset is a valid state (logging, notifications, request
// payment, transfer acceleration). Tags are real (tagging.ts, bucket-tagging.ts). Terraform, s3cmd info
// and the consoles read these and carry on; a 501 stopped them. PUT and
// DELETE of them still answer 501 (UNSUPPORTED_SUBRESOURCES).
//   https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList

import { requireBucket } from './bucket.js';
import { xmlResponse, type S3Context, type S3Request, type S3Response } from './context.js';
import type { BucketOp, Endpoint } from './endpoints.js';
import { S3Error, type S3ErrorCode } from './errors.js';
import { asBucketRequest } from './targets.js';
import { xmlDoc, type XmlNode } from './xml.js';

/** What an unset configuration answers: S3's not-found error, or its empty document (root and children). */
type Unset = S3ErrorCode | readonly [string, readonly XmlNode[]];

/** Bucket sub-resource → its Get operation and what S3 answers when it is unset. */
export const UNSET_BUCKET_CONFIG = {
  lifecycle: ['GetBucketLifecycleConfiguration', 'NoSuchLifecycleConfiguration'],
  encryption: ['GetBucketEncryption', 'ServerSideEncryptionConfigurationNotFoundError'],
  website: ['GetBucketWebsite', 'NoSuchWebsiteConfiguration'],
  replication: ['GetBucketReplication', 'ReplicationConfigurationNotFoundError'],
  ownershipControls: ['GetBucketOwnershipControls', 'OwnershipControlsNotFoundError'],
  publicAccessBlock: ['GetPublicAccessBlock', 'NoSuchPublicAccessBlockConfiguration'],
  'object-lock': ['GetObjectLockConfiguration', 'ObjectLockConfigurationNotFoundError'],
  logging: ['GetBucketLogging', ['BucketLoggingStatus', []]],
  notification: ['GetBucketNotificationConfiguration', ['NotificationConfiguration', []]],
  requestPayment: ['GetBucketRequestPayment', ['RequestPaymentConfiguration', [['Payer', 'BucketOwner']]]],
  accelerate: ['GetBucketAccelerateConfiguration', ['AccelerateConfiguration', []]],
} as const satisfies Record<string, readonly [BucketOp, Unset]>;

const BY_OP: ReadonlyMap<string, Unset> = new Map<string, Unset>(
  Object.values(UNSET_BUCKET_CONFIG).map(([op, unset]) => [op, unset]),
);

function answer(unset: Unset, extra: Record<string, string>): S3Response {
  if (typeof unset === 'string') throw new S3Error(unset, undefined, extra);
  return xmlResponse(xmlDoc(unset[0], unset[1]));
}

/** GET of an unset bucket configuration: the bucket must exist and be the requester's. */
export async function getUnsetBucketConfig(s3: S3Context, r: S3Request<Endpoint>): Promise<S3Response> {
  const br = asBucketRequest(r);
  await requireBucket(s3, br);
  return answer(BY_OP.get(br.endpoint.op)!, { BucketName: br.endpoint.bucket });
}
