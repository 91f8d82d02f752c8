// Every S3 operation the gateway knows, as a discriminated union (STYLE.md
// §2): the router turns a request into one of these and knows nothing about
// storage; dispatch.ts switches over it exhaustively. OPERATIONS lists each
// operation's status; the README's compatibility table is generated from it
// (and a test keeps the two in step).

export type BucketOp =
  | 'CreateBucket' | 'HeadBucket' | 'DeleteBucket' | 'GetBucketLocation'
  | 'ListObjects' | 'ListObjectsV2' | 'ListObjectVersions' | 'ListMultipartUploads'
  | 'DeleteObjects' | 'PostObject'
  | 'GetBucketVersioning' | 'PutBucketVersioning' | 'GetBucketAcl' | 'PutBucketAcl'
  | 'PutBucketCors' | 'GetBucketCors' | 'DeleteBucketCors' | 'OptionsObject'
  | 'GetBucketTagging' | 'PutBucketTagging' | 'DeleteBucketTagging'
  | 'GetBucketPolicy' | 'PutBucketPolicy' | 'DeleteBucketPolicy' | 'GetBucketPolicyStatus'
  | UnsetBucketConfigOp;

/** GETs of bucket configurations never set here (unset-config.ts). */
export type UnsetBucketConfigOp =
  | 'GetBucketLifecycleConfiguration'
  | 'GetBucketEncryption' | 'GetBucketWebsite' | 'GetBucketReplication' | 'GetBucketOwnershipControls' | 'GetPublicAccessBlock'
  | 'GetObjectLockConfiguration' | 'GetBucketLogging' | 'GetBucketNotificationConfiguration' | 'GetBucketRequestPayment'
  | 'GetBucketAccelerateConfiguration';

export type ObjectOp =
  | 'PutObject' | 'CopyObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'CreateMultipartUpload' | 'UploadPart' | 'UploadPartCopy' | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload' | 'ListParts'
  | 'GetObjectAcl' | 'PutObjectAcl' | 'GetObjectAttributes'
  | 'GetObjectTagging' | 'PutObjectTagging' | 'DeleteObjectTagging'
  /** A CORS preflight (OPTIONS) names a bucket or an object: the one operation is in both unions. */
  | 'OptionsObject';

export interface Query {
  /** Decoded query parameters; a parameter without "=" has value "". */
  readonly params: ReadonlyMap<string, string>;
}

export type Endpoint =
  | { readonly op: 'ListBuckets'; readonly query: Query }
  | { readonly op: BucketOp; readonly bucket: string; readonly query: Query }
  | { readonly op: ObjectOp; readonly bucket: string; readonly key: string; readonly query: Query }
  /** Recognised S3 operations this gateway does not implement: answered NotImplemented. */
  | { readonly op: 'Unsupported'; readonly name: string; readonly bucket?: string; readonly key?: string };

export type OperationName = Exclude<Endpoint['op'], 'Unsupported'>;

export type Support = 'implemented' | 'partial' | 'not-implemented';

/**
 * Status of every operation. 'partial' names what is missing. Operations the
 * router maps to 'Unsupported' are listed under UNSUPPORTED_SUBRESOURCES.
 */
export const OPERATIONS: Record<OperationName, { readonly support: Support; readonly note: string }> = {
  ListBuckets: { support: 'implemented', note: '' },
  CreateBucket: { support: 'implemented', note: 'check-then-write: two concurrent creates of one name may both succeed; a bucket you own again: 200 in us-east-1 (AWS legacy), BucketAlreadyOwnedByYou elsewhere; x-amz-acl and x-amz-grant-*' },
  HeadBucket: { support: 'implemented', note: '' },
  DeleteBucket: { support: 'implemented', note: 'refused while any object is visible' },
  GetBucketLocation: { support: 'implemented', note: '' },
  ListObjects: { support: 'implemented', note: 'prefix, delimiter, marker, max-keys, encoding-type=url (Prefix echoed as sent, as S3 does)' },
  ListObjectsV2: { support: 'implemented', note: 'prefix, delimiter, continuation-token, start-after, max-keys, fetch-owner, encoding-type=url; an empty continuation-token counts as none' },
  ListObjectVersions: { support: 'not-implemented', note: 'no versioning' },
  ListMultipartUploads: { support: 'implemented', note: 'prefix, delimiter, key-marker, upload-id-marker, max-uploads, encoding-type=url' },
  DeleteObjects: { support: 'implemented', note: 'up to 1000 keys, Quiet, 16 deletes at a time; VersionId only "null"' },
  PostObject: { support: 'implemented', note: 'browser forms with V2 or V4 signed policies, every condition enforced; no anonymous uploads; a tagging field sets the object\'s tags' },
  GetBucketVersioning: { support: 'implemented', note: 'never enabled (empty configuration)' },
  PutBucketVersioning: { support: 'not-implemented', note: 'versioning is not supported' },
  GetBucketAcl: { support: 'implemented', note: 'the canned ACL or grants set on the bucket (old buckets: private)' },
  PutBucketAcl: { support: 'implemented', note: 'canned (private, public-read, public-read-write, authenticated-read), x-amz-grant-* or an AccessControlPolicy body; grantees: users of this store by id, AllUsers, AuthenticatedUsers (e-mail grantees, LogDelivery: 501)' },
  PutObject: { support: 'implemented', note: 'SigV4 header auth or anonymous where an ACL or the bucket policy allows; x-amz-acl and x-amz-grant-*; x-amz-tagging; sha256, UNSIGNED-PAYLOAD and aws-chunked bodies; If-None-Match: * and If-Match, checked on a linearizable read just before the write (two racing conditional writes may both succeed)' },
  CopyObject: { support: 'partial', note: 'COPY/REPLACE, x-amz-copy-source-if-*, If-None-Match: * and If-Match on the destination (as PutObject), up to 5 GiB, checksums recomputed, a long copy kept alive (200, then whitespace, then the result); source versionId only "null"; x-amz-tagging-directive COPY/REPLACE with x-amz-tagging; x-amz-acl / x-amz-grant-* as PutObject (the copy does not inherit the source\'s ACL); reading the source needs READ on it; storage-class and SSE headers ignored' },
  GetObject: { support: 'implemented', note: 'single ranges; x-amz-tagging-count when the object has tags' },
  HeadObject: { support: 'implemented', note: 'x-amz-tagging-count when the object has tags' },
  DeleteObject: { support: 'implemented', note: 'writes a delete marker' },
  CreateMultipartUpload: { support: 'implemented', note: 'x-amz-tagging and x-amz-acl / x-amz-grant-* (the completed object\'s tags and ACL); COMPOSITE (CRC32, CRC32C, SHA1, SHA256) and FULL_OBJECT (CRC32, CRC32C, CRC64NVME) checksums' },
  UploadPart: { support: 'implemented', note: '' },
  UploadPartCopy: { support: 'implemented', note: 'x-amz-copy-source-range, copy-source conditionals, kept alive like CopyObject' },
  CompleteMultipartUpload: { support: 'implemented', note: 'InvalidPart, InvalidPartOrder, EntityTooSmall checks; ETag md5-of-md5s-N; heals parts a node missed; kept alive like CopyObject; retires the parts (their data then lives as long as the object); If-None-Match: * and If-Match as PutObject; a retry with the same parts answers 200 and the same ETag while the key holds that object' },
  AbortMultipartUpload: { support: 'implemented', note: "retires every part: their data leaves the nodes" },
  ListParts: { support: 'implemented', note: 'part-number-marker, max-parts' },
  GetObjectAcl: { support: 'implemented', note: "the object's owner (its writer) and its ACL (old objects: the bucket owner's, private)" },
  PutObjectAcl: { support: 'partial', note: 'as PutBucketAcl (plus bucket-owner-read, bucket-owner-full-control); writes the object again with the same bytes, ETag and Last-Modified; a multipart object: 501' },
  GetObjectAttributes: { support: 'implemented', note: 'ETag, Checksum, ObjectParts (multipart objects), StorageClass, ObjectSize; versionId only "null"' },
  GetBucketPolicy: { support: 'implemented', note: 'the document as it was put; NoSuchBucketPolicy when none' },
  PutBucketPolicy: { support: 'implemented', note: 'Effect, Principal ("*", arn:aws:iam::<any>:user/<name>, arn:aws:iam::<any>:root), Action and Resource with wildcards, Condition StringEquals/StringNotEquals/StringLike/StringNotLike/IpAddress/NotIpAddress/Bool on aws:SourceIp, s3:prefix, aws:SecureTransport; explicit Deny over Allow, evaluated with ACLs; anything else MalformedPolicy' },
  DeleteBucketPolicy: { support: 'implemented', note: '' },
  GetBucketPolicyStatus: { support: 'implemented', note: 'IsPublic: some Allow for "*" without a condition' },
  PutBucketCors: { support: 'implemented', note: 'up to 100 rules, a 64 KB document; kept in the bucket record (linearizable); Content-MD5 or a checksum verified when sent, neither required' },
  GetBucketCors: { support: 'implemented', note: 'a quorum read: sees every PutBucketCors that completed before it' },
  DeleteBucketCors: { support: 'implemented', note: '204 whether or not rules were set' },
  OptionsObject: { support: 'implemented', note: 'CORS preflight on a bucket or an object, answered from its rules without authentication; rules reach the preflights and the Access-Control headers of actual requests (success and error answers) within 2 s on other gateways' },
  GetBucketLifecycleConfiguration: { support: 'partial', note: 'no bucket has a lifecycle: NoSuchLifecycleConfiguration' },
  GetBucketTagging: { support: 'implemented', note: 'NoSuchTagSet when none are set' },
  PutBucketTagging: { support: 'implemented', note: 'up to 50 tags, keys 128 and values 256 characters; stored in the bucket record (two racing changes: the last wins)' },
  DeleteBucketTagging: { support: 'implemented', note: '' },
  GetBucketEncryption: { support: 'partial', note: 'no default encryption: ServerSideEncryptionConfigurationNotFoundError' },
  GetBucketWebsite: { support: 'partial', note: 'no website: NoSuchWebsiteConfiguration' },
  GetBucketReplication: { support: 'partial', note: 'no replication: ReplicationConfigurationNotFoundError' },
  GetBucketOwnershipControls: { support: 'partial', note: 'none set: OwnershipControlsNotFoundError' },
  GetPublicAccessBlock: { support: 'partial', note: 'none set: NoSuchPublicAccessBlockConfiguration' },
  GetObjectLockConfiguration: { support: 'partial', note: 'no Object Lock: ObjectLockConfigurationNotFoundError' },
  GetBucketLogging: { support: 'partial', note: 'logging never enabled (empty BucketLoggingStatus)' },
  GetBucketNotificationConfiguration: { support: 'partial', note: 'no notifications (empty configuration)' },
  GetBucketRequestPayment: { support: 'partial', note: 'always BucketOwner' },
  GetBucketAccelerateConfiguration: { support: 'partial', note: 'never enabled (empty configuration)' },
  GetObjectTagging: { support: 'implemented', note: 'an object without tags: an empty TagSet; versionId only "null"' },
  PutObjectTagging: { support: 'implemented', note: 'up to 10 tags, keys 128 and values 256 characters, as S3; writes a new version of the object with the same bytes, ETag and Last-Modified, without moving data; the object is read again just before the write: a write to the key in between answers 409 OperationAborted, one racing the rounds of the write itself may be lost (last write wins); versionId only "null"' },
  DeleteObjectTagging: { support: 'implemented', note: 'as PutObjectTagging with no tags; versionId only "null"' },
};

/**
 * Bucket and object sub-resources recognised only to answer NotImplemented
 * (a GET of one listed in unset-config.ts answers as S3 does when it is unset).
 */
export const UNSUPPORTED_SUBRESOURCES = {
  bucket: [
    'lifecycle', 'encryption', 'website', 'logging', 'notification', 'replication',
    'requestPayment', 'accelerate', 'analytics', 'inventory', 'metrics', 'intelligent-tiering', 'ownershipControls',
    'publicAccessBlock', 'object-lock',
  ],
  object: ['retention', 'legal-hold', 'torrent', 'restore', 'select'],
} as const;
