// Bucket policies: the core of the JSON policy language, parsed and
// evaluated as pure functions (access.ts is the one caller at request time).
//   https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
//
// Supported: Version, Id, Statement (one or a list) with Sid, Effect
// (Allow/Deny), Principal ("*", {"AWS": "*" | ARN | [ARN]}), Action and
// Resource (strings or lists, with * and ? wildcards), Condition with
// StringEquals, StringNotEquals, StringLike, StringNotLike, IpAddress,
// NotIpAddress and Bool over aws:SourceIp, s3:prefix and aws:SecureTransport.
//
// Principals, this store's ARN form (decided here): one store is one
// account, so the account field is not compared:
//   arn:aws:iam::<account>:user/<name>   the user <name> of this store
//   arn:aws:iam::<account>:root          every user of this store
// "*" is everyone, anonymous included. A user that does not exist is
// MalformedPolicy ("Invalid principal in policy"), as AWS answers.
// Deviations, marked: NotPrincipal, NotAction, NotResource, other condition
// operators and keys answer MalformedPolicy naming what is not supported.

import { BlockList, isIP } from 'node:net';
import type { CredentialStore } from '../auth/credentials.js';
import { S3Error } from '../errors.js';

/** What a policy statement's Principal matches: everyone, every user of the store, or named users. */
type Principals = { readonly kind: 'everyone' } | { readonly kind: 'users'; readonly all: boolean; readonly names: ReadonlySet<string> };

type ConditionOp = 'StringEquals' | 'StringNotEquals' | 'StringLike' | 'StringNotLike' | 'IpAddress' | 'NotIpAddress' | 'Bool';
type ConditionKey = 'aws:sourceip' | 's3:prefix' | 'aws:securetransport';

interface Condition {
  readonly op: ConditionOp;
  readonly key: ConditionKey;
  readonly values: readonly string[];
  /** IpAddress / NotIpAddress: the ranges as a BlockList. */
  readonly ips?: BlockList;
}

export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly principals: Principals;
  readonly actions: readonly RegExp[];
  readonly resources: readonly RegExp[];
  readonly conditions: readonly Condition[];
}

export interface Policy {
  readonly statements: readonly Statement[];
}

/** A request as a policy sees it. */
export interface PolicyRequest {
  /** A user of this store, or null when anonymous. */
  readonly requester: string | null;
  /** e.g. "s3:GetObject" */
  readonly action: string;
  /** e.g. "arn:aws:s3:::bucket/key" */
  readonly resource: string;
  readonly sourceIp: string;
  readonly secureTransport: boolean;
  /** ListObjects' prefix parameter (absent for other requests). */
  readonly prefix?: string;
}

/** The s3: actions this gateway serves (an Action must match at least one of them). */
export const S3_ACTIONS = [
  's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:GetObject', 's3:GetObjectAttributes', 's3:PutObject', 's3:DeleteObject',
  's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:GetBucketAcl', 's3:PutBucketAcl', 's3:GetObjectAcl', 's3:PutObjectAcl',
  's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:GetBucketPolicyStatus', 's3:GetBucketLocation',
  's3:DeleteBucket', 's3:GetBucketVersioning', 's3:GetObjectTagging',
] as const;

/** Longest policy document (S3's limit). */
export const MAX_POLICY_BYTES = 20 * 1024;

const KEYS: Readonly<Record<string, ConditionKey>> = { 'aws:sourceip': 'aws:sourceip', 's3:prefix': 's3:prefix', 'aws:securetransport': 'aws:securetransport' };
const OPS: readonly ConditionOp[] = ['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike', 'IpAddress', 'NotIpAddress', 'Bool'];

function malformed(message: string): never {
  throw new S3Error('MalformedPolicy', message);
}

function list(v: unknown, what: string): string[] {
  const a = Array.isArray(v) ? v : [v];
  if (a.length === 0 || !a.every((x) => typeof x === 'string')) malformed(`${what} must be a string or a list of strings`);
  return a as string[];
}

/** A wildcard pattern (* any run, ? one character) as an anchored RegExp; `fold` makes it case-insensitive. */
export function wildcard(pattern: string, fold = false): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, fold ? 'is' : 's');
}

function principalsOf(v: unknown, creds: CredentialStore): Principals {
  if (v === '*') return { kind: 'everyone' };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed('Invalid principal in policy');
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'AWS')) malformed('Invalid principal in policy: only "*" and {"AWS": ...} are supported by this gateway');
  const arns = list(o.AWS, 'Principal');
  if (arns.includes('*')) return { kind: 'everyone' };
  let all = false;
  const names = new Set<string>();
  for (const arn of arns) {
    const m = /^arn:aws:iam::[^:]*:(root|user\/(.+))$/.exec(arn);
    if (!m) malformed('Invalid principal in policy');
    if (m[1] === 'root') {
      all = true;
      continue;
    }
    const name = m[2]!;
    if (creds.hasUser && !creds.hasUser(name)) malformed('Invalid principal in policy');
    names.add(name);
  }
  return { kind: 'users', all, names };
}

function actionsOf(v: unknown): RegExp[] {
  return list(v, 'Action').map((a) => {
    const re = wildcard(a, true);
    if (!S3_ACTIONS.some((s) => re.test(s))) malformed(`Policy has invalid action: ${a}`);
    return re;
  });
}

function resourcesOf(v: unknown, bucket: string): RegExp[] {
  return list(v, 'Resource').map((r) => {
    const m = /^arn:aws:s3:::([^/]*)(\/.*)?$/.exec(r);
    if (!m || !wildcard(m[1]!).test(bucket)) malformed(`Policy has invalid resource: ${r}`);
    return wildcard(r);
  });
}

function ipsOf(values: readonly string[]): BlockList {
  const bl = new BlockList();
  for (const v of values) {
    const [addr = '', bits] = v.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) malformed(`Invalid IP address: ${v}`);
    bl.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return bl;
}

function conditionsOf(v: unknown): Condition[] {
  if (v === undefined) return [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed('Condition must be an object');
  const out: Condition[] = [];
  for (const [op, block] of Object.entries(v as Record<string, unknown>)) {
    if (!OPS.includes(op as ConditionOp)) malformed(`Invalid Condition type (not supported by this gateway): ${op}`);
    if (typeof block !== 'object' || block === null || Array.isArray(block)) malformed(`Condition ${op} must be an object`);
    for (const [rawKey, raw] of Object.entries(block as Record<string, unknown>)) {
      const key = KEYS[rawKey.toLowerCase()];
      if (!key) malformed(`Policy has an invalid condition key (not supported by this gateway): ${rawKey}`);
      const values = list(raw, `Condition ${op} ${rawKey}`);
      const ipOp = op === 'IpAddress' || op === 'NotIpAddress';
      if (ipOp !== (key === 'aws:sourceip')) malformed(`Condition ${op} does not apply to ${rawKey}`);
      if (op === 'Bool' && (key !== 'aws:securetransport' || !values.every((x) => x === 'true' || x === 'false'))) malformed(`Invalid Bool condition on ${rawKey}`);
      if (op !== 'Bool' && key === 'aws:securetransport') malformed(`Condition ${op} does not apply to ${rawKey}`);
      out.push({ op: op as ConditionOp, key, values, ...(ipOp ? { ips: ipsOf(values) } : {}) });
    }
  }
  return out;
}

const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);

function statementOf(v: unknown, bucket: string, creds: CredentialStore): Statement {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) malformed('Statement must be an object');
  const s = v as Record<string, unknown>;
  for (const k of Object.keys(s)) {
    if (!STATEMENT_FIELDS.has(k)) malformed(`Unknown field ${k}${/^Not/.test(k) ? ' (not supported by this gateway)' : ''}`);
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') malformed('Invalid effect');
  if (s.Principal === undefined) malformed('Missing required field Principal');
  if (s.Action === undefined) malformed('Missing required field Action');
  if (s.Resource === undefined) malformed('Missing required field Resource');
  return {
    effect: s.Effect,
    principals: principalsOf(s.Principal, creds),
    actions: actionsOf(s.Action),
    resources: resourcesOf(s.Resource, bucket),
    conditions: conditionsOf(s.Condition),
  };
}

/** Parses and validates a policy document for `bucket`; MalformedPolicy when it is not one this gateway can enforce. */
export function parsePolicy(text: string, bucket: string, creds: CredentialStore): Policy {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) malformed('Policies must be 20 KB or less');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    malformed('Policies must be valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) malformed('Policies must be a JSON object');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'Version' && k !== 'Id' && k !== 'Statement') malformed(`Unknown field ${k}`);
  if (d.Version !== undefined && d.Version !== '2012-10-17' && d.Version !== '2008-10-17') malformed('Invalid policy version');
  if (d.Statement === undefined) malformed('Missing required field Statement');
  const raw = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (raw.length === 0) malformed('Missing required field Statement');
  return { statements: raw.map((s) => statementOf(s, bucket, creds)) };
}

function principalMatches(p: Principals, requester: string | null): boolean {
  if (p.kind === 'everyone') return true;
  return requester !== null && (p.all || p.names.has(requester));
}

function conditionHolds(c: Condition, r: PolicyRequest): boolean {
  const value = c.key === 'aws:sourceip' ? r.sourceIp : c.key === 's3:prefix' ? r.prefix : String(r.secureTransport);
  switch (c.op) {
    case 'StringEquals':
      return value !== undefined && c.values.includes(value);
    case 'StringNotEquals':
      return value === undefined || !c.values.includes(value);
    case 'StringLike':
      return value !== undefined && c.values.some((v) => wildcard(v).test(value));
    case 'StringNotLike':
      return value === undefined || !c.values.some((v) => wildcard(v).test(value));
    case 'Bool':
      return value !== undefined && c.values.includes(value);
    case 'IpAddress':
    case 'NotIpAddress': {
      const family = isIP(r.sourceIp);
      const inside = family !== 0 && c.ips!.check(r.sourceIp, family === 4 ? 'ipv4' : 'ipv6');
      return c.op === 'IpAddress' ? inside : !inside;
    }
  }
}

function applies(s: Statement, r: PolicyRequest): boolean {
  return principalMatches(s.principals, r.requester) &&
    s.actions.some((a) => a.test(r.action)) &&
    s.resources.some((x) => x.test(r.resource)) &&
    s.conditions.every((c) => conditionHolds(c, r));
}

/** The policy's verdict: an explicit Deny wins, then an Allow; 'none' when no statement applies. */
export function evaluatePolicy(p: Policy, r: PolicyRequest): 'allow' | 'deny' | 'none' {
  let verdict: 'allow' | 'none' = 'none';
  for (const s of p.statements) {
    if (!applies(s, r)) continue;
    if (s.effect === 'Deny') return 'deny';
    verdict = 'allow';
  }
  return verdict;
}

/** GetBucketPolicyStatus: public when some Allow is for everyone without any condition. */
export function isPublic(p: Policy): boolean {
  return p.statements.some((s) => s.effect === 'Allow' && s.principals.kind === 'everyone' && s.conditions.length === 0);
}
