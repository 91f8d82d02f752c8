// The authorization decision, pure: who asks (a user of this store, or
// anonymous), what the operation needs, and the ACLs in force → allowed or
// not. access.ts gathers the inputs (bucket record, object meta) and is the
// one caller; dispatch.ts calls it before any handler runs.
//   https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#permissions
//
// What each operation needs (S3's ACL permission mapping):
//   bucket READ      ListObjects(V2), ListMultipartUploads, HeadBucket
//   bucket WRITE     PutObject, DeleteObject(s), multipart uploads, the
//                    destination of CopyObject / UploadPartCopy
//   bucket READ_ACP / WRITE_ACP   GetBucketAcl / PutBucketAcl
//   object READ      GetObject, HeadObject, GetObjectAttributes, a copy source
//   object READ_ACP / WRITE_ACP   GetObjectAcl / PutObjectAcl
//   owner            every other bucket operation (configuration, deletion)
//   authenticated    ListBuckets, CreateBucket (any user of this store)
// FULL_CONTROL implies each permission. Deviation from AWS, marked: a
// bucket's owner may do everything to every object in it, whoever wrote it
// (AWS's "bucket owner enforced" ownership, with ACLs still in force), and
// an object's writer owns it (implicit FULL_CONTROL on the object).

import type { Acl, Permission } from './acl-model.js';
import type { Endpoint } from '../endpoints.js';

/** The requester: a user of this store, or null for an anonymous request. */
export type Requester = string | null;

export type Need =
  | { readonly on: 'bucket'; readonly permission: Permission }
  | { readonly on: 'object'; readonly permission: Permission }
  | { readonly on: 'bucket-owner' }
  | { readonly on: 'authenticated' }
  /**
   * The handler authorizes: PostObject (its form carries credentials and a
   * signed policy; as the bucket's owner) and a CORS preflight
   * (OptionsObject: anonymous by nature, answered from the bucket's rules).
   */
  | { readonly on: 'form' };

export interface AccessFacts {
  readonly bucketOwner: string;
  readonly bucketAcl: Acl;
  /** For object needs: the object's owner and ACL (absent: the object does not exist). */
  readonly object?: { readonly owner: string; readonly acl: Acl };
}

/** Whether `acl` grants `requester` the permission (FULL_CONTROL grants every one). */
export function grants(acl: Acl, requester: Requester, permission: Permission): boolean {
  return acl.some((g) => {
    if (g.permission !== permission && g.permission !== 'FULL_CONTROL') return false;
    if ('id' in g) return requester !== null && g.id === requester;
    return g.group === 'AllUsers' || requester !== null;
  });
}

/**
 * The decision. An object need whose object does not exist is decided as
 * S3 does: whoever may list the bucket learns it is missing (the handler
 * answers 404), anyone else is refused.
 */
export function allowed(requester: Requester, need: Need, facts?: AccessFacts): boolean {
  if (need.on === 'form') return true;
  if (need.on === 'authenticated') return requester !== null;
  if (!facts) return false;
  if (requester !== null && requester === facts.bucketOwner) return true;
  switch (need.on) {
    case 'bucket-owner':
      return false;
    case 'bucket':
      return grants(facts.bucketAcl, requester, need.permission);
    case 'object': {
      const o = facts.object;
      if (!o) return grants(facts.bucketAcl, requester, 'READ');
      if (requester !== null && requester === o.owner) return true;
      return grants(o.acl, requester, need.permission);
    }
  }
}

const bucket = (permission: Permission): Need => ({ on: 'bucket', permission });
const object = (permission: Permission): Need => ({ on: 'object', permission });

/**
 * What an operation needs. Anything not named here (bucket configuration,
 * versioning, tagging, deletion of the bucket, and operations added later)
 * needs the bucket's owner: a new operation is closed until someone opens it.
 */
export function needOf(e: Endpoint): Need {
  switch (e.op) {
    case 'ListBuckets': case 'CreateBucket': case 'Unsupported':
      return { on: 'authenticated' };
    case 'PostObject': case 'OptionsObject':
      return { on: 'form' };
    case 'ListObjects': case 'ListObjectsV2': case 'ListMultipartUploads': case 'HeadBucket':
      return bucket('READ');
    case 'PutObject': case 'DeleteObject': case 'DeleteObjects': case 'CopyObject': case 'CreateMultipartUpload':
    case 'UploadPart': case 'UploadPartCopy': case 'CompleteMultipartUpload': case 'AbortMultipartUpload': case 'ListParts':
      return bucket('WRITE');
    case 'GetBucketAcl':
      return bucket('READ_ACP');
    case 'PutBucketAcl':
      return bucket('WRITE_ACP');
    case 'GetObject': case 'HeadObject': case 'GetObjectAttributes':
      return object('READ');
    case 'GetObjectAcl':
      return object('READ_ACP');
    case 'PutObjectAcl':
      return object('WRITE_ACP');
    default:
      return { on: 'bucket-owner' };
  }
}

/**
 * The s3: action a bucket policy knows the operation by (policy.ts), or
 * undefined for those no policy can grant (they stay the owner's).
 */
export function actionOf(e: Endpoint): string | undefined {
  switch (e.op) {
    case 'ListObjects': case 'ListObjectsV2': case 'HeadBucket':
      return 's3:ListBucket';
    case 'ListMultipartUploads':
      return 's3:ListBucketMultipartUploads';
    case 'GetObject': case 'HeadObject':
      return 's3:GetObject';
    case 'PutObject': case 'CopyObject': case 'CreateMultipartUpload': case 'UploadPart': case 'UploadPartCopy': case 'CompleteMultipartUpload':
      return 's3:PutObject';
    // DeleteObjects names its keys in its body: deviation, marked: a policy
    // neither allows nor denies it (ACLs alone decide).
    case 'DeleteObject':
      return 's3:DeleteObject';
    case 'AbortMultipartUpload': case 'GetObjectAttributes': case 'GetBucketAcl': case 'PutBucketAcl': case 'GetObjectAcl': case 'PutObjectAcl':
    case 'GetBucketPolicy': case 'PutBucketPolicy': case 'DeleteBucketPolicy': case 'GetBucketPolicyStatus': case 'GetBucketLocation':
    case 'DeleteBucket': case 'GetBucketVersioning': case 'GetObjectTagging':
      return `s3:${e.op}`;
    case 'ListParts':
      return 's3:ListMultipartUploadParts';
    default:
      return undefined;
  }
}

/** Operations a bucket's owner may always do, whatever its policy denies (it can never lock itself out). */
export function ownerAlways(e: Endpoint): boolean {
  return e.op === 'GetBucketPolicy' || e.op === 'PutBucketPolicy' || e.op === 'DeleteBucketPolicy';
}
