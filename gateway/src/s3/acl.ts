// Access control lists and versioning configuration, answered honestly so
// that clients which probe them carry on: every bucket and object has the
// one ACL "private" (its owner has FULL_CONTROL), and versioning has never
// been enabled.
//   GetBucketAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
//   PutBucketAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html
//   GetObjectAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html
//   PutObjectAcl  https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html
//   GetBucketVersioning / PutBucketVersioning
//                 https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html
//
// Deviations from AWS, marked:
//  - Put*Acl only accepts what leaves the ACL private (canned "private", no
//    header and no body, or a policy whose every grant is the owner's
//    FULL_CONTROL); anything else answers 501 NotImplemented, never a fake
//    success. x-amz-grant-* headers are refused the same way.
//  - An object's owner is reported as the requester (objects carry no owner).
//  - A malformed ACL document answers MalformedXML (S3: MalformedACLError).
//  - PutBucketVersioning answers 501 NotImplemented.

import { onlyPrivate, requirePrivateAclHeaders } from './acl-headers.js';
import { requireBucket, smallBody } from './bucket.js';
import { header, xmlResponse, type S3Context, type S3Request, type S3Response } from './context.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';
import { asBucketRequest, asObjectRequest, type ObjectRequest } from './targets.js';
import { requireNullVersion } from './versions.js';
import { child, childText, esc, parseXml, S3_NS, xmlDoc } from './xml.js';

type Req = S3Request<Endpoint>;

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** The private ACL: `owner` with FULL_CONTROL (xmlDoc cannot render the Grantee's attributes). */
function privatePolicy(owner: string): string {
  const id = `<ID>${esc(owner)}</ID><DisplayName>${esc(owner)}</DisplayName>`;
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    `<AccessControlPolicy xmlns="${S3_NS}"><Owner>${id}</Owner><AccessControlList>` +
    `<Grant><Grantee xmlns:xsi="${XSI_NS}" xsi:type="CanonicalUser">${id}</Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
    '</AccessControlList></AccessControlPolicy>';
}

/** Whether an AccessControlPolicy document grants exactly the owner's FULL_CONTROL (and nothing else). */
function ownerOnly(xml: string, owner: string): boolean {
  const policy = parseXml(xml);
  const list = policy.name === 'AccessControlPolicy' ? child(policy, 'AccessControlList') : undefined;
  if (!list) throw new S3Error('MalformedXML');
  const declared = child(policy, 'Owner');
  if (declared && childText(declared, 'ID')?.trim() !== owner) return false;
  const grants = list.children.filter((c) => c.name === 'Grant');
  return grants.length > 0 && grants.every((g) => {
    const grantee = child(g, 'Grantee');
    return childText(g, 'Permission')?.trim() === 'FULL_CONTROL' && grantee !== undefined &&
      childText(grantee, 'ID')?.trim() === owner && !child(grantee, 'URI') && !child(grantee, 'EmailAddress');
  });
}

/** Accepts a Put*Acl request only if it leaves the ACL private; reads (and so verifies) its body. */
async function requirePrivate(r: Req, owner: string): Promise<void> {
  const body = (await smallBody(r)).trim();
  const canned = header(r, 'x-amz-acl');
  requirePrivateAclHeaders(r);
  if (body === '') return;
  if (canned !== undefined) throw new S3Error('InvalidRequest', 'An ACL may be given by the x-amz-acl header or in the request body, not both.');
  if (!ownerOnly(body, owner)) onlyPrivate('a grant other than the owner\'s FULL_CONTROL');
}

/** The object's bucket and the object itself must exist; returns the owner reported for it. */
async function requireObject(s3: S3Context, r: ObjectRequest): Promise<string> {
  const { ns } = await requireBucket(s3, r);
  requireNullVersion(r.endpoint.query.params.get('versionId'), r.endpoint.key);
  const found = await s3.objects.head(ns, r.endpoint.key, r.signal);
  if (!found) throw new S3Error('NoSuchKey', undefined, { Key: r.endpoint.key });
  // Only its existence counts: the read's pins go at once (review F12).
  s3.objects.release(found);
  return r.principal.user;
}

export async function getBucketAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  return xmlResponse(privatePolicy(rec.owner));
}

export async function putBucketAcl(s3: S3Context, r: Req): Promise<S3Response> {
  const rec = await requireBucket(s3, asBucketRequest(r));
  await requirePrivate(r, rec.owner);
  return { status: 200 };
}

export async function getObjectAcl(s3: S3Context, r: Req): Promise<S3Response> {
  return xmlResponse(privatePolicy(await requireObject(s3, asObjectRequest(r))));
}

export async function putObjectAcl(s3: S3Context, r: Req): Promise<S3Response> {
  await requirePrivate(r, await requireObject(s3, asObjectRequest(r)));
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
