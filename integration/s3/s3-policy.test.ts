// Bucket policies (issue 12 item 12) with real clients: boto3 as the owner
// sets, reads and deletes them; bob (a user ARN) and an UNSIGNED boto3
// client (anonymous) are served exactly as the policy and the ACLs say.

import { after, before, describe, it } from 'node:test';
import { boto3Checks, pyClients } from '../harness/boto3-checks.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

const BOB = { accessKey: 'BOBKEY0002', secretKey: 'bob-secret-key', user: 'bob' };

const PRELUDE = pyClients(BOB) + [
  'import json',
  'def fails(code, f, **kw):',
  '    try:',
  '        f(**kw)',
  "        raise AssertionError(f'served: {f.__name__} {kw}')",
  '    except ClientError as e:',
  "        assert e.response['Error']['Code'] == code, (code, e.response)",
  "def policy(*st): return json.dumps({'Version': '2012-10-17', 'Statement': list(st)})",
  '',
].join('\n');

describe('bucket policies with real clients', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1, users: [BOB] });
  });
  after(() => tc?.dispose());

  it('boto3: put/get/delete, status, MalformedPolicy, and enforcement for a user ARN and anonymous', async () => {
    await boto3Checks(tc, PRELUDE, [
      "s3.create_bucket(Bucket='site')",
      "s3.put_object(Bucket='site', Key='public/index.html', Body=b'<h1>hi</h1>', ContentType='text/html')",
      "s3.put_object(Bucket='site', Key='private/key', Body=b'k')",
      "fails('NoSuchBucketPolicy', s3.get_bucket_policy, Bucket='site')",
      "fails('NoSuchBucketPolicy', s3.get_bucket_policy_status, Bucket='site')",
      // Publish a static site: anonymous GetObject under public/.
      "p = policy({'Sid': 'Site', 'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::site/public/*'})",
      "s3.put_bucket_policy(Bucket='site', Policy=p)",
      "assert s3.get_bucket_policy(Bucket='site')['Policy'] == p",
      "assert s3.get_bucket_policy_status(Bucket='site')['PolicyStatus']['IsPublic'] is True",
      "assert anon.get_object(Bucket='site', Key='public/index.html')['Body'].read() == b'<h1>hi</h1>'",
      "fails('AccessDenied', anon.get_object, Bucket='site', Key='private/key')",
      "fails('AccessDenied', anon.list_objects_v2, Bucket='site')",
      "fails('AccessDenied', bob.get_bucket_policy, Bucket='site')",
      // Invalid policies are refused and change nothing.
      "fails('MalformedPolicy', s3.put_bucket_policy, Bucket='site', Policy='{not json')",
      "fails('MalformedPolicy', s3.put_bucket_policy, Bucket='site', Policy=policy({'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::000000000000:user/nobody'}, 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::site/*'}))",
      "fails('MalformedPolicy', s3.put_bucket_policy, Bucket='site', Policy=policy({'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': 'arn:aws:s3:::elsewhere/*'}))",
      "assert s3.get_bucket_policy(Bucket='site')['Policy'] == p",
      // Share a prefix read-only with bob (a user ARN), IP-restricted; deny private/ to everyone.
      "s3.put_bucket_policy(Bucket='site', Policy=policy(",
      "  {'Effect': 'Allow', 'Principal': {'AWS': ['arn:aws:iam::000000000000:user/bob']}, 'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::site', 'Condition': {'StringLike': {'s3:prefix': 'public/*'}}},",
      "  {'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::000000000000:user/bob'}, 'Action': 's3:Get*', 'Resource': 'arn:aws:s3:::site/public/*', 'Condition': {'IpAddress': {'aws:SourceIp': ['127.0.0.0/8', '::1/128']}}},",
      "  {'Effect': 'Deny', 'Principal': '*', 'Action': 's3:*', 'Resource': 'arn:aws:s3:::site/private/*'}))",
      "assert s3.get_bucket_policy_status(Bucket='site')['PolicyStatus']['IsPublic'] is False",
      "assert [o['Key'] for o in bob.list_objects_v2(Bucket='site', Prefix='public/')['Contents']] == ['public/index.html']",
      "fails('AccessDenied', bob.list_objects_v2, Bucket='site', Prefix='private/')",
      "assert bob.get_object(Bucket='site', Key='public/index.html')['Body'].read() == b'<h1>hi</h1>'",
      "fails('AccessDenied', bob.put_object, Bucket='site', Key='public/x', Body=b'x')",
      "fails('AccessDenied', anon.get_object, Bucket='site', Key='public/index.html')",
      // The explicit Deny beats an ACL that grants everyone READ, and the owner too.
      "fails('AccessDenied', s3.put_object_acl, Bucket='site', Key='private/key', ACL='public-read')",
      "fails('AccessDenied', s3.get_object, Bucket='site', Key='private/key')",
      // An SSL-only policy denies this plain-HTTP endpoint; the owner can still remove the policy.
      "s3.put_bucket_policy(Bucket='site', Policy=policy({'Effect': 'Deny', 'Principal': '*', 'Action': 's3:*', 'Resource': ['arn:aws:s3:::site', 'arn:aws:s3:::site/*'], 'Condition': {'Bool': {'aws:SecureTransport': 'false'}}}))",
      "fails('AccessDenied', s3.list_objects_v2, Bucket='site')",
      "s3.delete_bucket_policy(Bucket='site')",
      "fails('NoSuchBucketPolicy', s3.get_bucket_policy, Bucket='site')",
      "assert s3.get_object(Bucket='site', Key='private/key')['Body'].read() == b'k'",
    ]);
  });
});
