// Per-key permissions (issue 13, item 8): a credential may be narrowed to
// read-only or append-only access and to a list of buckets. This is an
// extra restriction on the key, ANDed with the ACLs and bucket policies
// (access.ts): it never grants what they refuse.
//
//   read-only    reads and listings of every kind; any write, delete,
//                multipart step, bucket creation or configuration change: AccessDenied
//   append-only  "write without delete" (restic's recommended backup key):
//                reads, new objects (PutObject, CopyObject, PostObject,
//                multipart uploads, aborting its own uploads) and new buckets;
//                never a delete (DeleteObjects: AccessDenied per key), never
//                an overwrite of an existing object (write-conditions.ts), never
//                a configuration change (ACL, policy, CORS, tagging, versioning)
//   read-write   what the user may do (the default)
//   buckets      when set, the key sees (ListBuckets) and touches only these
//                buckets: any other, CreateBucket of another name and a copy
//                source in another included, is AccessDenied

import type { Endpoint } from '../endpoints.js';
import { validBucketName } from '../router.js';

export const KEY_ACCESS = ['read-only', 'append-only', 'read-write'] as const;
export type KeyAccess = (typeof KEY_ACCESS)[number];

/** What a key is limited to; absent fields: no limit. */
export interface KeyScope {
  readonly access?: KeyAccess;
  readonly buckets?: readonly string[];
}

/**
 * How an operation touches data, as access levels see it:
 * read: changes nothing; create: adds objects, parts or buckets (or drops
 * the requester's own unfinished upload); delete: removes objects or
 * buckets; configure: changes a setting of a bucket or an object.
 */
export type OpClass = 'read' | 'create' | 'delete' | 'configure';

/** Exhaustive, so that a new operation must be classed here before it compiles. */
export function opClass(op: Endpoint['op']): OpClass {
  switch (op) {
    case 'ListBuckets': case 'HeadBucket': case 'GetBucketLocation': case 'ListObjects': case 'ListObjectsV2':
    case 'ListObjectVersions': case 'ListMultipartUploads': case 'GetBucketVersioning': case 'GetBucketAcl':
    case 'GetBucketCors': case 'GetBucketTagging': case 'GetBucketPolicy': case 'GetBucketPolicyStatus':
    case 'GetBucketLifecycleConfiguration': case 'GetBucketEncryption': case 'GetBucketWebsite': case 'GetBucketReplication':
    case 'GetBucketOwnershipControls': case 'GetPublicAccessBlock': case 'GetObjectLockConfiguration': case 'GetBucketLogging':
    case 'GetBucketNotificationConfiguration': case 'GetBucketRequestPayment': case 'GetBucketAccelerateConfiguration':
    case 'GetObject': case 'HeadObject': case 'ListParts': case 'GetObjectAcl': case 'GetObjectAttributes': case 'GetObjectTagging':
    case 'OptionsObject': case 'Unsupported':
      // (Unsupported: always answered NotImplemented, it changes nothing.)
      return 'read';
    case 'CreateBucket': case 'PutObject': case 'CopyObject': case 'PostObject': case 'CreateMultipartUpload': case 'UploadPart':
    case 'UploadPartCopy': case 'CompleteMultipartUpload': case 'AbortMultipartUpload':
      // (AbortMultipartUpload reaches only the requester's own uploads: another's is NoSuchUpload, multipart.ts.)
      return 'create';
    case 'DeleteObject': case 'DeleteObjects': case 'DeleteBucket':
      return 'delete';
    case 'PutBucketVersioning': case 'PutBucketAcl': case 'PutObjectAcl': case 'PutBucketCors': case 'DeleteBucketCors':
    case 'PutBucketTagging': case 'DeleteBucketTagging': case 'PutBucketPolicy': case 'DeleteBucketPolicy':
    case 'PutObjectTagging': case 'DeleteObjectTagging':
      return 'configure';
    default: {
      const never: never = op;
      throw new Error(`operation ${String(never)} has no class`);
    }
  }
}

/** Whether the key's bucket list (if any) includes `bucket`. */
export function scopeHasBucket(scope: KeyScope | undefined, bucket: string): boolean {
  return scope?.buckets === undefined || scope.buckets.includes(bucket);
}

/**
 * Whether a key of this scope may do what the endpoint does to its bucket.
 * DeleteObjects by an append-only key passes here: each of its keys is then
 * refused in its own <Error> (mayDelete), as S3 reports a delete an IAM
 * policy denies.
 */
export function scopeAllows(scope: KeyScope | undefined, e: Endpoint): boolean {
  if (!scope) return true;
  const bucket = 'bucket' in e ? e.bucket : undefined;
  if (bucket !== undefined && !scopeHasBucket(scope, bucket)) return false;
  const access = scope.access ?? 'read-write';
  if (access === 'read-write') return true;
  const cls = opClass(e.op);
  if (cls === 'read') return true;
  if (access === 'read-only') return false;
  return cls === 'create' || e.op === 'DeleteObjects';
}

/** Whether the key may delete objects (DeleteObjects' per-key check). */
export function mayDelete(scope: KeyScope | undefined): boolean {
  return (scope?.access ?? 'read-write') === 'read-write';
}

/** Whether a write by this key must refuse to replace an existing object (append-only). */
export function mustNotOverwrite(scope: KeyScope | undefined): boolean {
  return scope?.access === 'append-only';
}

/**
 * The scope fields of one credential entry (credentials file, gateway.json),
 * checked: the problem in words, or the scope. `where` names the entry.
 */
export function parseKeyScope(entry: { access?: unknown; buckets?: unknown }, where: string): KeyScope | string {
  const { access, buckets } = entry;
  if (access !== undefined && !(KEY_ACCESS as readonly unknown[]).includes(access)) {
    return `${where}: "access" must be one of ${KEY_ACCESS.join(', ')} (got ${JSON.stringify(access)})`;
  }
  if (buckets !== undefined) {
    if (!Array.isArray(buckets)) return `${where}: "buckets" must be an array of bucket names`;
    for (const b of buckets) {
      if (typeof b !== 'string' || !validBucketName(b)) return `${where}: "buckets" holds ${JSON.stringify(b)}, which is not a valid bucket name`;
    }
  }
  return {
    ...(access !== undefined ? { access: access as KeyAccess } : {}),
    ...(buckets !== undefined ? { buckets: [...(buckets as string[])] } : {}),
  };
}
