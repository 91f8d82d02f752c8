// Bucket policies, table-driven: which documents are refused (MalformedPolicy)
// and what a valid one decides for a request.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { StaticCredentialStore } from '../auth/credentials.js';
import { S3Error } from '../errors.js';
import { evaluatePolicy, isPublic, parsePolicy, type PolicyRequest } from './policy.js';

const creds = new StaticCredentialStore([
  { accessKey: 'a', secretKey: 's', user: 'alice' },
  { accessKey: 'b', secretKey: 's', user: 'bob' },
]);
const B = 'site';
const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (extra: object = {}): object => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*`, ...extra });

describe('policy: refused documents', () => {
  const bad: ReadonlyArray<readonly [string, string]> = [
    ['not JSON', '{"Statement": ['],
    ['an array', '[]'],
    ['no Statement', '{"Version": "2012-10-17"}'],
    ['an empty Statement list', doc()],
    ['an unknown top-level field', JSON.stringify({ Statement: [allow()], Foo: 1 })],
    ['an unknown version', JSON.stringify({ Version: '2020-01-01', Statement: [allow()] })],
    ['a bad Effect', doc(allow({ Effect: 'Maybe' }))],
    ['no Principal', doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` })],
    ['a Principal that is not a user of the store', doc(allow({ Principal: { AWS: 'arn:aws:iam::123456789012:user/mallory' } }))],
    ['a Principal that is not an ARN', doc(allow({ Principal: { AWS: 'alice' } }))],
    ['a Service principal', doc(allow({ Principal: { Service: 'logging.s3.amazonaws.com' } }))],
    ['NotPrincipal', doc({ ...allow(), NotPrincipal: { AWS: '*' } })],
    ['an action this gateway does not serve', doc(allow({ Action: 's3:PutBucketWebsite' }))],
    ['a non-S3 action', doc(allow({ Action: 'ec2:RunInstances' }))],
    ['another bucket\'s resource', doc(allow({ Resource: 'arn:aws:s3:::other/*' }))],
    ['a resource that is not an S3 ARN', doc(allow({ Resource: '*' }))],
    ['an unknown condition operator', doc(allow({ Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }))],
    ['an unknown condition key', doc(allow({ Condition: { StringEquals: { 'aws:Referer': 'x' } } }))],
    ['IpAddress on s3:prefix', doc(allow({ Condition: { IpAddress: { 's3:prefix': '10.0.0.0/8' } } }))],
    ['a bad CIDR', doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }))],
    ['Bool not true/false', doc(allow({ Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }))],
    ['more than 20 KB', doc(allow({ Sid: 'x'.repeat(21 * 1024) }))],
  ];
  for (const [name, text] of bad) {
    it(name, () => assert.throws(() => parsePolicy(text, B, creds), (e: unknown) => e instanceof S3Error && e.code === 'MalformedPolicy'));
  }
});

describe('policy: decisions', () => {
  const req = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
    requester: null, action: 's3:GetObject', resource: `arn:aws:s3:::${B}/index.html`, sourceIp: '192.0.2.10', secureTransport: false, ...over,
  });
  type Row = readonly [string, string, PolicyRequest, 'allow' | 'deny' | 'none'];
  const rows: Row[] = [
    ['public read: anonymous GET', doc(allow()), req(), 'allow'],
    ['public read: not PutObject', doc(allow()), req({ action: 's3:PutObject' }), 'none'],
    ['action wildcard s3:Get*', doc(allow({ Action: 's3:Get*' })), req(), 'allow'],
    ['action s3:* covers ListBucket', doc(allow({ Action: 's3:*', Resource: `arn:aws:s3:::${B}` })), req({ action: 's3:ListBucket', resource: `arn:aws:s3:::${B}` }), 'allow'],
    ['actions are case-insensitive', doc(allow({ Action: 'S3:getobject' })), req(), 'allow'],
    ['resource prefix wildcard matches', doc(allow({ Resource: `arn:aws:s3:::${B}/public/*` })), req({ resource: `arn:aws:s3:::${B}/public/a.txt` }), 'allow'],
    ['resource prefix wildcard does not match elsewhere', doc(allow({ Resource: `arn:aws:s3:::${B}/public/*` })), req(), 'none'],
    ['resource ? matches one character', doc(allow({ Resource: `arn:aws:s3:::${B}/?.txt` })), req({ resource: `arn:aws:s3:::${B}/a.txt` }), 'allow'],
    ['user ARN: that user', doc(allow({ Principal: { AWS: 'arn:aws:iam::000000000000:user/bob' } })), req({ requester: 'bob' }), 'allow'],
    ['user ARN: not another user', doc(allow({ Principal: { AWS: ['arn:aws:iam::000000000000:user/bob'] } })), req({ requester: 'alice' }), 'none'],
    ['user ARN: not anonymous', doc(allow({ Principal: { AWS: 'arn:aws:iam::000000000000:user/bob' } })), req(), 'none'],
    ['root ARN: every user', doc(allow({ Principal: { AWS: 'arn:aws:iam::000000000000:root' } })), req({ requester: 'alice' }), 'allow'],
    ['root ARN: not anonymous', doc(allow({ Principal: { AWS: 'arn:aws:iam::000000000000:root' } })), req(), 'none'],
    ['{"AWS": "*"} is everyone', doc(allow({ Principal: { AWS: '*' } })), req(), 'allow'],
    ['explicit deny wins over allow', doc(allow(), { ...allow(), Effect: 'Deny', Resource: `arn:aws:s3:::${B}/index.html` }), req(), 'deny'],
    ['deny elsewhere leaves the allow', doc(allow(), { ...allow(), Effect: 'Deny', Resource: `arn:aws:s3:::${B}/secret/*` }), req(), 'allow'],
    ['IpAddress inside', doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } })), req(), 'allow'],
    ['IpAddress outside', doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': ['198.51.100.0/24', '10.0.0.1'] } } })), req(), 'none'],
    ['IpAddress IPv6', doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } } })), req({ sourceIp: '2001:db8::7' }), 'allow'],
    ['NotIpAddress deny from outside', doc(allow(), { ...allow(), Effect: 'Deny', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), req(), 'deny'],
    ['NotIpAddress deny spares inside', doc(allow(), { ...allow(), Effect: 'Deny', Condition: { NotIpAddress: { 'aws:SourceIp': '192.0.2.0/24' } } }), req(), 'allow'],
    ['Bool SecureTransport false denies http', doc(allow(), { ...allow(), Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), req(), 'deny'],
    ['Bool SecureTransport false spares https', doc(allow(), { ...allow(), Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }), req({ secureTransport: true }), 'allow'],
    ['s3:prefix StringEquals', doc(allow({ Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { StringEquals: { 's3:prefix': 'public/' } } })),
      req({ action: 's3:ListBucket', resource: `arn:aws:s3:::${B}`, prefix: 'public/' }), 'allow'],
    ['s3:prefix StringEquals, other prefix', doc(allow({ Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { StringEquals: { 's3:prefix': 'public/' } } })),
      req({ action: 's3:ListBucket', resource: `arn:aws:s3:::${B}`, prefix: '' }), 'none'],
    ['s3:prefix StringLike', doc(allow({ Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}`, Condition: { StringLike: { 's3:prefix': 'public/*' } } })),
      req({ action: 's3:ListBucket', resource: `arn:aws:s3:::${B}`, prefix: 'public/x/' }), 'allow'],
    ['s3:prefix StringNotLike deny', doc({ ...allow({ Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}` }), Effect: 'Deny', Condition: { StringNotLike: { 's3:prefix': 'public/*' } } }),
      req({ action: 's3:ListBucket', resource: `arn:aws:s3:::${B}`, prefix: 'private/' }), 'deny'],
    ['s3:prefix absent: StringEquals fails', doc(allow({ Condition: { StringEquals: { 's3:prefix': 'public/' } } })), req(), 'none'],
    ['s3:prefix absent: StringNotEquals holds', doc(allow({ Condition: { StringNotEquals: { 's3:prefix': 'public/' } } })), req(), 'allow'],
    ['a single Statement object', JSON.stringify({ Statement: allow() }), req(), 'allow'],
  ];
  for (const [name, text, r, want] of rows) {
    it(name, () => assert.equal(evaluatePolicy(parsePolicy(text, B, creds), r), want));
  }

  it('IsPublic: an Allow for everyone without conditions', () => {
    assert.equal(isPublic(parsePolicy(doc(allow()), B, creds)), true);
    assert.equal(isPublic(parsePolicy(doc(allow({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } })), B, creds)), false);
    assert.equal(isPublic(parsePolicy(doc(allow({ Principal: { AWS: 'arn:aws:iam::1:user/bob' } })), B, creds)), false);
    assert.equal(isPublic(parsePolicy(doc({ ...allow(), Effect: 'Deny' }), B, creds)), false);
  });
});
