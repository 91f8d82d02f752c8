// Canned ACLs and grants (issue 12 item 11) with real clients: boto3 as the
// owner and as a second user (bob), boto3 with UNSIGNED requests as an
// anonymous client, the JS SDK's ACL commands, and plain unsigned fetch().

import {
  CreateBucketCommand, GetBucketAclCommand, GetObjectAclCommand, PutBucketAclCommand, PutObjectAclCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { boto3Checks, pyClients } from '../harness/boto3-checks.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const BOB = { accessKey: 'BOBKEY0001', secretKey: 'bob-secret-key', user: 'bob' };

// Clients beside the owner's `s3` (harness/cli.ts): bob's, and an anonymous one.
const PRELUDE = pyClients(BOB) + [
  'def denied(f, **kw):',
  '    try:',
  '        f(**kw)',
  "        raise AssertionError(f'served: {f.__name__} {kw}')",
  '    except ClientError as e:',
  "        assert e.response['Error']['Code'] in ('AccessDenied', '403'), e.response",
  '',
].join('\n');

describe('ACLs with real clients', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1, users: [BOB] });
  });
  after(() => tc?.dispose());

  it('boto3: canned ACLs and grants on every write, reported by Get*Acl, enforced for bob and anonymous', async () => {
    const owner = tc.cluster.credentials.user;
    await boto3Checks(tc, PRELUDE, [
      // A private bucket: only its owner.
      "s3.create_bucket(Bucket='acl-priv')",
      "s3.put_object(Bucket='acl-priv', Key='secret', Body=b'secret')",
      "denied(anon.list_objects_v2, Bucket='acl-priv')",
      "denied(bob.list_objects_v2, Bucket='acl-priv')",
      "denied(anon.get_object, Bucket='acl-priv', Key='secret')",
      "denied(anon.put_object, Bucket='acl-priv', Key='x', Body=b'x')",
      "denied(anon.list_buckets)",
      // CreateBucket public-read; GetBucketAcl reports it.
      "s3.create_bucket(Bucket='acl-pub', ACL='public-read')",
      "g = s3.get_bucket_acl(Bucket='acl-pub')",
      `assert g['Owner']['ID'] == '${owner}', g`,
      `assert {'Grantee': {'Type': 'Group', 'URI': '${ALL_USERS}'}, 'Permission': 'READ'} in g['Grants'], g['Grants']`,
      "assert [x['Key'] for x in anon.list_objects_v2(Bucket='acl-pub').get('Contents', [])] == []",
      "denied(anon.put_object, Bucket='acl-pub', Key='x', Body=b'x')",
      "denied(anon.get_bucket_acl, Bucket='acl-pub')",
      // PutObject public-read / authenticated-read; GetObjectAcl reports them.
      "s3.put_object(Bucket='acl-priv', Key='open', Body=b'open data', ACL='public-read')",
      "assert anon.get_object(Bucket='acl-priv', Key='open')['Body'].read() == b'open data'",
      "assert anon.head_object(Bucket='acl-priv', Key='open')['ContentLength'] == 9",
      `assert {'Grantee': {'Type': 'Group', 'URI': '${ALL_USERS}'}, 'Permission': 'READ'} in s3.get_object_acl(Bucket='acl-priv', Key='open')['Grants']`,
      "s3.put_object(Bucket='acl-priv', Key='members', Body=b'm', ACL='authenticated-read')",
      "assert bob.get_object(Bucket='acl-priv', Key='members')['Body'].read() == b'm'",
      "denied(anon.get_object, Bucket='acl-priv', Key='members')",
      // PutObjectAcl with a policy: bob may read; then private again.
      "acl = s3.get_object_acl(Bucket='acl-priv', Key='secret')",
      "etag = s3.head_object(Bucket='acl-priv', Key='secret')['ETag']",
      "s3.put_object_acl(Bucket='acl-priv', Key='secret', AccessControlPolicy={'Owner': acl['Owner'], 'Grants': acl['Grants'] + [{'Grantee': {'Type': 'CanonicalUser', 'ID': 'bob'}, 'Permission': 'READ'}]})",
      "assert bob.get_object(Bucket='acl-priv', Key='secret')['Body'].read() == b'secret'",
      "assert s3.head_object(Bucket='acl-priv', Key='secret')['ETag'] == etag",
      "denied(bob.get_object_acl, Bucket='acl-priv', Key='secret')",
      "s3.put_object_acl(Bucket='acl-priv', Key='secret', ACL='private')",
      "denied(bob.get_object, Bucket='acl-priv', Key='secret')",
      // PutBucketAcl with grant headers: bob writes, and owns what he wrote.
      `s3.put_bucket_acl(Bucket='acl-priv', GrantWrite='id="bob"', GrantFullControl='id="${owner}"')`,
      "bob.put_object(Bucket='acl-priv', Key='from-bob', Body=b'b')",
      "assert bob.get_object_acl(Bucket='acl-priv', Key='from-bob')['Owner']['ID'] == 'bob'",
      "assert s3.get_object(Bucket='acl-priv', Key='from-bob')['Body'].read() == b'b'",
      "denied(bob.list_objects_v2, Bucket='acl-priv')",
      // CopyObject with an ACL; bob copies only what he may read.
      "s3.copy_object(Bucket='acl-priv', Key='copy', CopySource={'Bucket': 'acl-priv', 'Key': 'secret'}, ACL='public-read')",
      "assert anon.get_object(Bucket='acl-priv', Key='copy')['Body'].read() == b'secret'",
      "bob.create_bucket(Bucket='bobs')",
      "denied(bob.copy_object, Bucket='bobs', Key='stolen', CopySource={'Bucket': 'acl-priv', 'Key': 'secret'})",
      "bob.copy_object(Bucket='bobs', Key='copied', CopySource={'Bucket': 'acl-priv', 'Key': 'copy'})",
      // CreateMultipartUpload with an ACL: the completed object's.
      "u = s3.create_multipart_upload(Bucket='acl-priv', Key='mp', ACL='public-read')",
      "p = s3.upload_part(Bucket='acl-priv', Key='mp', UploadId=u['UploadId'], PartNumber=1, Body=b'multipart')",
      "denied(anon.get_object, Bucket='acl-priv', Key='mp')",
      "s3.complete_multipart_upload(Bucket='acl-priv', Key='mp', UploadId=u['UploadId'], MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})",
      "assert anon.get_object(Bucket='acl-priv', Key='mp')['Body'].read() == b'multipart'",
      // public-read-write: anonymous writes and deletes, never the ACL.
      "s3.create_bucket(Bucket='acl-open', ACL='public-read-write')",
      "anon.put_object(Bucket='acl-open', Key='drop', Body=b'anon')",
      "assert s3.get_object(Bucket='acl-open', Key='drop')['Body'].read() == b'anon'",
      "anon.delete_object(Bucket='acl-open', Key='drop')",
      "denied(anon.put_bucket_acl, Bucket='acl-open', ACL='private')",
    ]);
  });

  it('JS SDK: PutBucketAcl / PutObjectAcl with grants; unsigned fetch served exactly where granted', async () => {
    const base = tc.cluster.endpoint;
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'sdk-acl' }));
    await tc.s3.send(new PutObjectCommand({ Bucket: 'sdk-acl', Key: 'doc.txt', Body: 'published' }));
    const anon = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${base}${path}`, init);

    assert.equal((await anon('/sdk-acl')).status, 403);
    assert.equal((await anon('/sdk-acl/doc.txt')).status, 403);
    await tc.s3.send(new PutObjectAclCommand({ Bucket: 'sdk-acl', Key: 'doc.txt', GrantRead: `uri="${ALL_USERS}"` }));
    const got = await anon('/sdk-acl/doc.txt');
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'published');
    const acl = await tc.s3.send(new GetObjectAclCommand({ Bucket: 'sdk-acl', Key: 'doc.txt' }));
    assert.deepEqual(acl.Grants, [{ Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' }]);
    // The bucket is still unlistable, and a missing key is not revealed as missing.
    assert.equal((await anon('/sdk-acl')).status, 403);
    assert.equal((await anon('/sdk-acl/none')).status, 403);

    const owner = tc.cluster.credentials.user;
    await tc.s3.send(new PutBucketAclCommand({
      Bucket: 'sdk-acl',
      AccessControlPolicy: {
        Owner: { ID: owner },
        Grants: [
          { Grantee: { Type: 'CanonicalUser', ID: owner }, Permission: 'FULL_CONTROL' },
          { Grantee: { Type: 'Group', URI: ALL_USERS }, Permission: 'READ' },
        ],
      },
    }));
    const list = await anon('/sdk-acl?list-type=2');
    assert.equal(list.status, 200);
    assert.match(await list.text(), /<Key>doc.txt<\/Key>/);
    assert.equal((await anon('/sdk-acl/none')).status, 404);
    assert.equal((await anon('/sdk-acl/x', { method: 'PUT', body: 'x' })).status, 403);
    assert.equal((await anon('/sdk-acl?acl')).status, 403);
    assert.equal((await anon('/sdk-acl', { method: 'DELETE' })).status, 403);
    const bucketAcl = await tc.s3.send(new GetBucketAclCommand({ Bucket: 'sdk-acl' }));
    assert.equal(bucketAcl.Grants?.length, 2);
    assert.equal(await code(tc.s3.send(new PutBucketAclCommand({ Bucket: 'sdk-acl', GrantRead: 'emailAddress="x@example.com"' }))), 'NotImplemented');
    assert.equal(await code(tc.s3.send(new PutBucketAclCommand({ Bucket: 'sdk-acl', GrantRead: 'id="nobody-at-all"' }))), 'InvalidArgument');
  });
});
