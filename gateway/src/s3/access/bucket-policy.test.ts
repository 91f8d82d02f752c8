// Bucket policies (issue 12 item 12) at handler level: Put/Get/Delete and
// PolicyStatus, MalformedPolicy, and enforcement together with ACLs for
// anonymous requests and another user (bob).

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { twoUserApp, xmlCode } from '../testing/signed-app.js';

const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe('bucket policies', () => {
  const { close, alice, bob, anon } = twoUserApp();

  before(async () => {
    assert.equal((await alice('PUT', '/site')).status, 200);
    for (const k of ['public/index.html', 'private/key']) assert.equal((await alice('PUT', `/site/${k}`, `body of ${k}`)).status, 200);
  });
  after(() => close());

  it('Put/Get/Delete and PolicyStatus; NoSuchBucketPolicy when none; MalformedPolicy refused and nothing stored', async () => {
    assert.equal(xmlCode((await alice('GET', '/site?policy')).text), 'NoSuchBucketPolicy');
    assert.equal(xmlCode((await alice('GET', '/site?policyStatus')).text), 'NoSuchBucketPolicy');
    const text = doc({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' });
    assert.equal((await alice('PUT', '/site?policy', text)).status, 204);
    const got = await alice('GET', '/site?policy');
    assert.equal(got.status, 200);
    assert.equal(got.text, text);
    assert.match((await alice('GET', '/site?policyStatus')).text, /<IsPublic>true<\/IsPublic>/);
    assert.equal(xmlCode((await alice('PUT', '/site?policy', '{"Statement": [')).text), 'MalformedPolicy');
    assert.equal(xmlCode((await alice('PUT', '/site?policy', doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' }))).text), 'MalformedPolicy');
    assert.equal((await alice('GET', '/site?policy')).text, text);
    // Only the owner manages it.
    assert.equal(xmlCode((await bob('GET', '/site?policy')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('DELETE', '/site?policy')).text), 'AccessDenied');
    assert.equal((await alice('DELETE', '/site?policy')).status, 204);
    assert.equal(xmlCode((await alice('GET', '/site?policy')).text), 'NoSuchBucketPolicy');
    assert.equal((await alice('DELETE', '/site?policy')).status, 204);
  });

  it('an Allow for "*" on a prefix serves anonymous reads there and nowhere else', async () => {
    await alice('PUT', '/site?policy', doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' }));
    const got = await anon('GET', '/site/public/index.html');
    assert.equal(got.status, 200);
    assert.equal(got.text, 'body of public/index.html');
    assert.equal(xmlCode((await anon('GET', '/site/private/key')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('GET', '/site')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('PUT', '/site/public/x', 'x')).text), 'AccessDenied');
  });

  it('a user ARN shares a prefix read-only (list with s3:prefix, get), and an explicit Deny wins over an ACL grant', async () => {
    await alice('PUT', '/site?policy', doc(
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/bob' }, Action: 's3:ListBucket', Resource: 'arn:aws:s3:::site', Condition: { StringLike: { 's3:prefix': 'public/*' } } },
      { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::000000000000:user/bob'] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::site/public/*'] },
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::site/private/*' },
    ));
    assert.equal((await bob('GET', '/site?list-type=2&prefix=public/')).status, 200);
    assert.equal(xmlCode((await bob('GET', '/site?list-type=2&prefix=private/')).text), 'AccessDenied');
    assert.equal((await bob('GET', '/site/public/index.html')).text, 'body of public/index.html');
    assert.equal(xmlCode((await bob('PUT', '/site/public/x', 'x')).text), 'AccessDenied');
    assert.equal(xmlCode((await anon('GET', '/site/public/index.html')).text), 'AccessDenied');
    // An ACL granting everyone READ does not beat the Deny; the owner is denied too, except the policy itself.
    assert.equal((await alice('PUT', '/site/private/key?acl', undefined, { 'x-amz-acl': 'public-read' })).status, 403);
    assert.equal(xmlCode((await alice('GET', '/site/private/key')).text), 'AccessDenied');
    assert.equal((await alice('GET', '/site?policy')).status, 200);
    // Without the Deny, an ACL grant alone serves again (an allow from either grants).
    await alice('PUT', '/site?policy', doc({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/bob' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' }));
    assert.equal((await alice('PUT', '/site/private/key?acl', undefined, { 'x-amz-acl': 'public-read' })).status, 200);
    assert.equal((await anon('GET', '/site/private/key')).text, 'body of private/key');
  });

  it('conditions on aws:SourceIp and aws:SecureTransport', async () => {
    await alice('PUT', '/site?policy', doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*', Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }));
    assert.equal(xmlCode((await anon('GET', '/site/public/index.html')).text), 'AccessDenied');
    await alice('PUT', '/site?policy', doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*', Condition: { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] } } }));
    assert.equal((await anon('GET', '/site/public/index.html')).status, 200);
    await alice('PUT', '/site?policy', doc(
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/public/*' },
      { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::site', 'arn:aws:s3:::site/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ));
    // This test server is plain HTTP: everything but the policy itself is denied, to the owner too.
    assert.equal(xmlCode((await anon('GET', '/site/public/index.html')).text), 'AccessDenied');
    assert.equal(xmlCode((await alice('GET', '/site')).text), 'AccessDenied');
    assert.equal((await alice('DELETE', '/site?policy')).status, 204);
    assert.equal((await alice('GET', '/site')).status, 200);
  });
});
