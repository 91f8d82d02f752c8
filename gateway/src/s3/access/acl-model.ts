// Access control lists: the grants a bucket or object carries, how requests
// spell them (x-amz-acl canned ACLs, x-amz-grant-* headers, an
// AccessControlPolicy document) and how Get*Acl reports them.
//   https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
//
// Grantees are this store's users (a user's canonical ID is its user name:
// Owner/ID everywhere in this gateway) and the two global groups AllUsers
// (anyone, anonymous included) and AuthenticatedUsers (any user of this
// store). Deviations from AWS, marked:
//  - grantees by e-mail address and the LogDelivery group, and the canned
//    ACLs aws-exec-read and log-delivery-write, answer NotImplemented;
//  - bucket-owner-read and bucket-owner-full-control on a bucket are
//    accepted and mean private (AWS also ignores them there).

import type { CredentialStore } from '../auth/credentials.js';
import { S3Error } from '../errors.js';
import { child, childText, esc, parseXml, S3_NS, type XmlElement } from '../xml.js';

export type Permission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';
export type Group = 'AllUsers' | 'AuthenticatedUsers';

/** One grant, as stored in bucket records and object meta: a user (`id`) or a group. */
export type Grant =
  | { readonly id: string; readonly permission: Permission }
  | { readonly group: Group; readonly permission: Permission };

export type Acl = readonly Grant[];

const PERMISSIONS: readonly Permission[] = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'];
const GROUP_URI = 'http://acs.amazonaws.com/groups/global/';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** The ACL of everything made before ACLs existed, and of "private": the owner's FULL_CONTROL. */
export function privateAcl(owner: string): Acl {
  return [{ id: owner, permission: 'FULL_CONTROL' }];
}

function groupOf(uri: string): Group {
  if (uri === `${GROUP_URI}AllUsers`) return 'AllUsers';
  if (uri === `${GROUP_URI}AuthenticatedUsers`) return 'AuthenticatedUsers';
  if (uri === 'http://acs.amazonaws.com/groups/s3/LogDelivery') throw new S3Error('NotImplemented', 'The LogDelivery group is not supported by this gateway.');
  throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'uri', ArgumentValue: uri });
}

function userGrant(creds: CredentialStore, id: string, permission: Permission): Grant {
  if (creds.hasUser && !creds.hasUser(id)) throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: id });
  return { id, permission };
}

/**
 * A canned ACL as grants. `bucketOwner` is given for objects (the
 * bucket-owner-* ACLs name it); on a bucket those two mean private.
 */
export function cannedAcl(name: string, owner: string, bucketOwner?: string): Acl {
  const own = privateAcl(owner);
  switch (name) {
    case 'private':
      return own;
    case 'public-read':
      return [...own, { group: 'AllUsers', permission: 'READ' }];
    case 'public-read-write':
      return [...own, { group: 'AllUsers', permission: 'READ' }, { group: 'AllUsers', permission: 'WRITE' }];
    case 'authenticated-read':
      return [...own, { group: 'AuthenticatedUsers', permission: 'READ' }];
    case 'bucket-owner-read':
    case 'bucket-owner-full-control': {
      if (bucketOwner === undefined || bucketOwner === owner) return own;
      return [...own, { id: bucketOwner, permission: name === 'bucket-owner-read' ? 'READ' : 'FULL_CONTROL' }];
    }
    case 'aws-exec-read':
    case 'log-delivery-write':
      throw new S3Error('NotImplemented', `The canned ACL "${name}" is not supported by this gateway.`);
    default:
      throw new S3Error('InvalidArgument', undefined, { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
}

const GRANT_HEADERS: ReadonlyArray<readonly [string, Permission]> = [
  ['x-amz-grant-read', 'READ'], ['x-amz-grant-write', 'WRITE'], ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'], ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** One x-amz-grant-* value: `id="alice", uri="http://…/AllUsers"` (AWS's grammar: type=value, comma-separated). */
function parseGrantHeader(value: string, permission: Permission, creds: CredentialStore): Grant[] {
  const out: Grant[] = [];
  const re = /\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))\s*(,|$)/y;
  let at = 0;
  while (at < value.length) {
    re.lastIndex = at;
    const m = re.exec(value);
    if (!m || m[0] === '') throw new S3Error('InvalidArgument', 'Invalid grant header', { ArgumentName: 'x-amz-grant', ArgumentValue: value });
    const type = m[1]!.toLowerCase();
    const v = m[2] ?? m[3] ?? '';
    if (type === 'id') out.push(userGrant(creds, v, permission));
    else if (type === 'uri') out.push({ group: groupOf(v), permission });
    else if (type === 'emailaddress') throw new S3Error('NotImplemented', 'Grantees by e-mail address are not supported by this gateway.');
    else throw new S3Error('InvalidArgument', 'Invalid grant header', { ArgumentName: 'x-amz-grant', ArgumentValue: value });
    at = re.lastIndex;
  }
  if (out.length === 0) throw new S3Error('InvalidArgument', 'Invalid grant header', { ArgumentName: 'x-amz-grant', ArgumentValue: value });
  return out;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function headerText(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * The ACL a request's headers ask for, or undefined when they name none
 * (the caller keeps or defaults it). Canned and grant headers together are
 * refused, as S3 refuses them.
 */
export function aclFromHeaders(h: Headers, owner: string, creds: CredentialStore, bucketOwner?: string): Acl | undefined {
  const canned = headerText(h, 'x-amz-acl');
  const grants = GRANT_HEADERS.flatMap(([name, p]) => {
    const v = headerText(h, name);
    return v === undefined ? [] : parseGrantHeader(v, p, creds);
  });
  if (canned !== undefined && grants.length > 0) throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  if (canned !== undefined) return cannedAcl(canned.trim(), owner, bucketOwner);
  return grants.length > 0 ? grants : undefined;
}

function grantOf(g: XmlElement, creds: CredentialStore): Grant {
  const grantee = child(g, 'Grantee');
  const permission = childText(g, 'Permission')?.trim() as Permission | undefined;
  if (!grantee || !permission || !PERMISSIONS.includes(permission)) throw new S3Error('MalformedACLError');
  const id = childText(grantee, 'ID')?.trim();
  const uri = childText(grantee, 'URI')?.trim();
  if (child(grantee, 'EmailAddress')) throw new S3Error('NotImplemented', 'Grantees by e-mail address are not supported by this gateway.');
  if (id !== undefined && uri === undefined) return userGrant(creds, id, permission);
  if (uri !== undefined && id === undefined) return { group: groupOf(uri), permission };
  throw new S3Error('MalformedACLError');
}

/** An AccessControlPolicy document's grants. Its Owner, when given, must be the owner (S3: AccessDenied otherwise). */
export function aclFromXml(xml: string, owner: string, creds: CredentialStore): Acl {
  const policy = parseXml(xml);
  const list = policy.name === 'AccessControlPolicy' ? child(policy, 'AccessControlList') : undefined;
  if (!list) throw new S3Error('MalformedACLError');
  const declared = child(policy, 'Owner');
  if (declared && childText(declared, 'ID')?.trim() !== owner) throw new S3Error('AccessDenied');
  return list.children.filter((c) => c.name === 'Grant').map((g) => grantOf(g, creds));
}

/** The AccessControlPolicy document of Get*Acl (xmlDoc cannot render the Grantee's attributes). */
export function renderAcl(owner: string, acl: Acl): string {
  const user = (id: string): string => `<ID>${esc(id)}</ID><DisplayName>${esc(id)}</DisplayName>`;
  const grants = acl.map((g) => {
    const grantee = 'id' in g
      ? `<Grantee xmlns:xsi="${XSI_NS}" xsi:type="CanonicalUser">${user(g.id)}</Grantee>`
      : `<Grantee xmlns:xsi="${XSI_NS}" xsi:type="Group"><URI>${GROUP_URI}${g.group}</URI></Grantee>`;
    return `<Grant>${grantee}<Permission>${g.permission}</Permission></Grant>`;
  }).join('');
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    `<AccessControlPolicy xmlns="${S3_NS}"><Owner>${user(owner)}</Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}

/** Checks a stored ACL's shape (records come from the nodes: a malformed one is not trusted as a grant). */
export function storedAcl(v: unknown): Acl | undefined {
  if (!Array.isArray(v)) return undefined;
  const ok = v.every((g: unknown) => {
    if (typeof g !== 'object' || g === null) return false;
    const o = g as Record<string, unknown>;
    return PERMISSIONS.includes(o.permission as Permission) &&
      (typeof o.id === 'string' || o.group === 'AllUsers' || o.group === 'AuthenticatedUsers');
  });
  return ok ? (v as Acl) : undefined;
}
