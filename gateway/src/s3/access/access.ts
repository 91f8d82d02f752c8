// Authorization of every request, in one place (dispatch.ts calls it before
// any handler runs): gathers what authorize.ts (ACLs) and policy.ts (the
// bucket policy) decide on (the bucket's record, the request's source
// address and transport, and for object permissions the object's owner and
// ACL) and answers AccessDenied when the decision is no. As AWS combines
// them: an explicit Deny in the policy wins; else an Allow from the policy
// or from an ACL grants.
//
// Costs, marked: the bucket record comes from the registry's cache; an
// object permission asked by someone other than the bucket's owner costs
// one extra linearizable read of the object's metadata (its pins are
// released at once). The handler then reads the object again, so an ACL
// changed between the two reads is one the request may or may not see, as
// with any concurrent write.

import type { BucketRecord } from '../../buckets.js';
import { privateAcl, storedAcl } from './acl-model.js';
import { actionOf, allowed, needOf, ownerAlways, type AccessFacts, type Need, type Requester } from './authorize.js';
import type { CredentialStore } from '../auth/credentials.js';
import { evaluatePolicy, parsePolicy, type PolicyRequest } from './policy.js';
import { header, type S3Context, type S3Request } from '../context.js';
import { parseCopySource } from '../objects/copy-source.js';
import { S3Error } from '../errors.js';
import { scopeAllows, scopeHasBucket } from './key-scope.js';

/** Throws AccessDenied unless the request's principal may do what its endpoint does. */
export async function authorizeRequest(s3: S3Context, r: S3Request): Promise<void> {
  const e = r.endpoint;
  const need = needOf(e);
  const requester: Requester = r.principal.user === '' ? null : r.principal.user;
  // The key's own limits first (read-only, append-only, a bucket list): they
  // only ever take away, whatever the ACLs and the policy would grant.
  if (!scopeAllows(r.principal.scope, e)) throw new S3Error('AccessDenied', 'This access key may not do this.');
  if (need.on === 'form') return;
  if (need.on === 'authenticated' || !('bucket' in e) || e.bucket === undefined) {
    if (!allowed(requester, need)) throw new S3Error('AccessDenied');
    return;
  }
  await check(s3, r, requester, need, actionOf(e), e.bucket, 'key' in e ? e.key : undefined);
  if (e.op === 'CopyObject' || e.op === 'UploadPartCopy') {
    const src = parseCopySource(header(r, 'x-amz-copy-source'));
    if (!scopeHasBucket(r.principal.scope, src.bucket)) throw new S3Error('AccessDenied', 'This access key may not read the copy source\'s bucket.');
    await check(s3, r, requester, { on: 'object', permission: 'READ' }, 's3:GetObject', src.bucket, src.key);
  }
}

async function check(
  s3: S3Context, r: S3Request, requester: Requester, need: Need, action: string | undefined, bucket: string, key: string | undefined,
): Promise<void> {
  const rec = await s3.buckets.get(bucket, r.signal);
  // A bucket that does not exist is the handler's to report (NoSuchBucket), to anyone, as S3 does.
  if (!rec) return;
  // The policy first: an explicit Deny wins over everything (but never locks
  // the owner out of the policy itself), an Allow grants, whatever the ACLs say.
  const verdict = policyVerdict(s3, r, rec, requester, action, key);
  if (verdict === 'deny' && !(requester === rec.owner && ownerAlways(r.endpoint))) throw new S3Error('AccessDenied');
  if (verdict === 'allow') return;
  const facts: AccessFacts = {
    bucketOwner: rec.owner,
    bucketAcl: rec.acl,
    ...(need.on === 'object' && key !== undefined && requester !== rec.owner ? await objectFacts(s3, rec, key, r.signal) : {}),
  };
  if (!allowed(requester, need, facts)) throw new S3Error('AccessDenied');
}

/** The object's owner and ACL, or nothing when it does not exist (objects from before ACLs: the bucket owner's, private). */
async function objectFacts(s3: S3Context, rec: BucketRecord, key: string, signal: AbortSignal): Promise<Pick<AccessFacts, 'object'>> {
  const found = await s3.objects.head(rec.ns, key, signal);
  if (!found) return {};
  s3.objects.release(found);
  const owner = found.meta.owner ?? rec.owner;
  return { object: { owner, acl: storedAcl(found.meta.acl) ?? privateAcl(owner) } };
}

/** The bucket policy's verdict on this request ('none' without a policy, or for an action no policy names). */
function policyVerdict(
  s3: S3Context, r: S3Request, rec: BucketRecord, requester: Requester, action: string | undefined, key: string | undefined,
): 'allow' | 'deny' | 'none' {
  if (rec.policy === undefined || action === undefined) return 'none';
  // Parsed per request (at most 20 KB); a user named in it who has since
  // left the store matches nobody rather than voiding the policy.
  const anyUser: CredentialStore = { lookup: (k) => s3.creds.lookup(k) };
  let policy;
  try {
    policy = parsePolicy(rec.policy, rec.name, anyUser);
  } catch {
    // Validated when it was put: a record that no longer parses denies everyone but the owner.
    return requester === rec.owner ? 'none' : 'deny';
  }
  const sock = r.raw.socket as { remoteAddress?: string; encrypted?: boolean };
  const prefix = r.endpoint.op === 'ListObjects' || r.endpoint.op === 'ListObjectsV2' ? r.endpoint.query.params.get('prefix') ?? '' : undefined;
  const req: PolicyRequest = {
    requester, action,
    resource: key === undefined ? `arn:aws:s3:::${rec.name}` : `arn:aws:s3:::${rec.name}/${key}`,
    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d.
    sourceIp: (sock.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, ''),
    secureTransport: sock.encrypted === true,
    ...(prefix === undefined ? {} : { prefix }),
  };
  return evaluatePolicy(policy, req);
}
