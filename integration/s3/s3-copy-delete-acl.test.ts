// CopyObject, DeleteObjects, ACLs, versioning configuration and
// GetObjectAttributes on a real local cluster (t=1), driven by
// @aws-sdk/client-s3 with default settings and by the aws CLI.

import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, UploadPartCommand, DeleteObjectsCommand, GetBucketAclCommand, GetBucketVersioningCommand,
  GetObjectAclCommand, GetObjectAttributesCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutBucketAclCommand, PutBucketVersioningCommand, PutObjectAclCommand, PutObjectCommand, S3ServiceException,
} from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { aws } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

/** The S3 error a call failed with: `Name/status`, or 'no error'. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as S3ServiceException;
    return `${err.name}/${err.$metadata?.httpStatusCode}`;
  }
  return 'no error';
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
const src = (bucket: string, key: string): string => `${bucket}/${encodeURIComponent(key)}`;

describe('CopyObject, DeleteObjects, ACLs, versioning and attributes on a real cluster', () => {
  let tc: TestCluster;
  const B = 'copy-delete';
  const B2 = 'copy-delete-2';

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
    await tc.s3.send(new CreateBucketCommand({ Bucket: B2 }));
  });
  after(() => tc?.dispose());

  const put = async (key: string, body: Buffer, extra: Partial<ConstructorParameters<typeof PutObjectCommand>[0]> = {}): Promise<string> =>
    (await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: key, Body: body, ...extra }))).ETag!;
  const bytes = async (bucket: string, key: string): Promise<Buffer> =>
    Buffer.from(await (await tc.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());

  describe('CopyObject', () => {
    const body = Buffer.from('the source object\n');
    const K = 'dir/src a&b+c ü.txt';
    let etag: string;

    before(async () => {
      etag = await put(K, body, { ContentType: 'text/x-source', Metadata: { colour: 'blue' }, CacheControl: 'max-age=5', ChecksumAlgorithm: 'CRC32' });
    });

    it('COPY (the default) copies bytes, content type, user metadata and the CRC32 to another bucket', async () => {
      const before = Date.now();
      const res = await tc.s3.send(new CopyObjectCommand({ Bucket: B2, Key: 'copied', CopySource: src(B, K) }));
      assert.equal(res.CopyObjectResult?.ETag, etag, 'single-part source: same ETag (MD5)');
      assert.ok(res.CopyObjectResult!.LastModified!.getTime() >= before - 1000, 'LastModified is the copy time');
      const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B2, Key: 'copied', ChecksumMode: 'ENABLED' }));
      const srcHead = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: K, ChecksumMode: 'ENABLED' }));
      assert.equal(head.ContentType, 'text/x-source');
      assert.deepEqual(head.Metadata, { colour: 'blue' });
      assert.equal(head.CacheControl, 'max-age=5');
      assert.ok(srcHead.ChecksumCRC32, 'the source has a CRC32');
      assert.equal(head.ChecksumCRC32, srcHead.ChecksumCRC32, 'CRC32 recomputed from the copied bytes');
      assert.equal(res.CopyObjectResult?.ChecksumCRC32, srcHead.ChecksumCRC32);
      assert.ok((await bytes(B2, 'copied')).equals(body));
    });

    it('REPLACE takes content type and metadata from the request', async () => {
      await tc.s3.send(new CopyObjectCommand({
        Bucket: B, Key: 'replaced', CopySource: src(B, K), MetadataDirective: 'REPLACE', ContentType: 'application/x-new', Metadata: { shape: 'square' },
      }));
      const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'replaced' }));
      assert.equal(head.ContentType, 'application/x-new');
      assert.deepEqual(head.Metadata, { shape: 'square' });
      assert.equal(head.CacheControl, undefined, 'nothing kept from the source');
      assert.equal(head.ETag, etag);
      // And COPY ignores the request's metadata.
      await tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'copied2', CopySource: src(B, K), ContentType: 'x/ignored', Metadata: { shape: 'x' } }));
      const h2 = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'copied2' }));
      assert.equal(h2.ContentType, 'text/x-source');
      assert.deepEqual(h2.Metadata, { colour: 'blue' });
    });

    it('obeys the x-amz-copy-source-if-* conditionals (412 on failure, nothing written)', async () => {
      const past = new Date('2001-01-01T00:00:00Z');
      const future = new Date(Date.now() + 3600_000);
      const copy = (key: string, c: Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>): Promise<unknown> =>
        tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: key, CopySource: src(B, K), ...c }));
      assert.equal(await failure(copy('c1', { CopySourceIfMatch: etag })), 'no error');
      assert.equal(await failure(copy('c2', { CopySourceIfNoneMatch: '"0123"', CopySourceIfModifiedSince: past })), 'no error');
      assert.equal(await failure(copy('c3', { CopySourceIfUnmodifiedSince: future })), 'no error');
      assert.equal(await failure(copy('c4', { CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: past })), 'no error', 'if-match wins');
      assert.equal(await failure(copy('f1', { CopySourceIfMatch: '"0123"' })), 'PreconditionFailed/412');
      assert.equal(await failure(copy('f2', { CopySourceIfNoneMatch: etag })), 'PreconditionFailed/412');
      assert.equal(await failure(copy('f3', { CopySourceIfModifiedSince: future })), 'PreconditionFailed/412');
      assert.equal(await failure(copy('f4', { CopySourceIfUnmodifiedSince: past })), 'PreconditionFailed/412');
      for (const k of ['f1', 'f2', 'f3', 'f4']) assert.equal(await failure(tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: k }))), 'NotFound/404', k);
    });

    it('refuses copying an object onto itself unless the metadata is replaced', async () => {
      try {
        await tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: K, CopySource: src(B, K) }));
        assert.fail('self-copy succeeded');
      } catch (e) {
        assert.equal((e as S3ServiceException).name, 'InvalidRequest');
        assert.match((e as Error).message, /copy an object to itself without changing the object's metadata/);
      }
      await put('self', body, { ContentType: 'text/a', Metadata: { v: '1' } });
      await tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'self', CopySource: src(B, 'self'), MetadataDirective: 'REPLACE', Metadata: { v: '2' } }));
      const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'self' }));
      assert.deepEqual(head.Metadata, { v: '2' });
      assert.equal(head.ContentType, 'binary/octet-stream', 'REPLACE without Content-Type: the default');
      assert.ok((await bytes(B, 'self')).equals(body));
    });

    it('copies a 20 MiB object byte for byte', async () => {
      const big = randomBytes(20 * 1024 * 1024);
      await put('big', big);
      const res = await tc.s3.send(new CopyObjectCommand({ Bucket: B2, Key: 'big-copy', CopySource: src(B, 'big') }));
      assert.equal(res.CopyObjectResult?.ETag, `"${md5(big)}"`);
      const back = await bytes(B2, 'big-copy');
      assert.equal(back.length, big.length);
      assert.ok(back.equals(big), 'same bytes');
    });

    it('answers NoSuchKey, NoSuchBucket and bad copy sources', async () => {
      const copy = (CopySource: string): Promise<unknown> => tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'never', CopySource }));
      assert.equal(await failure(copy(src(B, 'missing'))), 'NoSuchKey/404');
      assert.equal(await failure(copy(src('no-such-bucket-here', 'k'))), 'NoSuchBucket/404');
      assert.equal(await failure(copy(`${src(B, K)}?versionId=null`)), 'no error', 'the null version is the object');
      assert.equal(await failure(copy(`${src(B, K)}?versionId=3HL4kqtJlcpXroDTDmJ`)), 'NoSuchVersion/404');
      assert.equal(await failure(copy(B)), 'InvalidArgument/400');
      assert.equal(await failure(tc.s3.send(new CopyObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k', CopySource: src(B, K) }))), 'NoSuchBucket/404');
    });
  });

  describe('DeleteObjects', () => {
    const keys = ['a&b', 'c<d>e', 'with space', 'ünïcødé/日本語', 'quote"apos\'', 'plus+pct%'];

    it('deletes keys with &, <, spaces and non-ASCII, reporting each (missing keys count as deleted)', async () => {
      for (const k of keys) await put(`del/${k}`, Buffer.from(k));
      await put('del/keep', Buffer.from('keep'));
      const res = await tc.s3.send(new DeleteObjectsCommand({
        Bucket: B, Delete: { Objects: [...keys, 'never-existed'].map((k) => ({ Key: `del/${k}` })) },
      }));
      assert.equal(res.Errors, undefined);
      assert.deepEqual(res.Deleted!.map((d) => d.Key).sort(), [...keys, 'never-existed'].map((k) => `del/${k}`).sort());
      const left = await tc.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'del/' }));
      assert.deepEqual(left.Contents?.map((c) => c.Key), ['del/keep']);
    });

    it('is silent about successes in quiet mode and reports per-key errors', async () => {
      for (const k of keys) await put(`quiet/${k}`, Buffer.from(k));
      const res = await tc.s3.send(new DeleteObjectsCommand({
        Bucket: B,
        Delete: { Quiet: true, Objects: [...keys.map((k) => ({ Key: `quiet/${k}` })), { Key: 'quiet/versioned', VersionId: 'abc' }] },
      }));
      assert.equal(res.Deleted, undefined);
      assert.deepEqual(res.Errors?.map((e) => [e.Key, e.VersionId, e.Code]), [['quiet/versioned', 'abc', 'NoSuchVersion']]);
      const left = await tc.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'quiet/' }));
      assert.equal(left.KeyCount, 0);
    });

    it('refuses more than 1000 keys and a missing bucket', async () => {
      const objs = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
      assert.equal(await failure(tc.s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: objs } }))), 'MalformedXML/400');
      assert.equal(await failure(tc.s3.send(new DeleteObjectsCommand({ Bucket: 'no-such-bucket-here', Delete: { Objects: [{ Key: 'k' }] } }))), 'NoSuchBucket/404');
    });
  });

  describe('ACLs and versioning', () => {
    it('GetBucketAcl: the owner with FULL_CONTROL by default; PutBucketAcl: grants', async () => {
      const acl = await tc.s3.send(new GetBucketAclCommand({ Bucket: B }));
      assert.ok(acl.Owner?.ID);
      assert.equal(acl.Grants?.length, 1);
      assert.equal(acl.Grants![0]!.Permission, 'FULL_CONTROL');
      assert.equal(acl.Grants![0]!.Grantee?.Type, 'CanonicalUser');
      assert.equal(acl.Grants![0]!.Grantee?.ID, acl.Owner.ID);
      assert.equal(await failure(tc.s3.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }))), 'no error');
      // What s3cmd does: put back the policy it read.
      assert.equal(await failure(tc.s3.send(new PutBucketAclCommand({ Bucket: B, AccessControlPolicy: { Owner: acl.Owner, Grants: acl.Grants } }))), 'no error');
      // Canned ACLs and grants beyond private (issue 12 item 11; s3-acl.test.ts covers who is then served).
      assert.equal(await failure(tc.s3.send(new PutBucketAclCommand({
        Bucket: B, AccessControlPolicy: { Owner: acl.Owner, Grants: [...acl.Grants!, { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] },
      }))), 'no error');
      assert.equal((await tc.s3.send(new GetBucketAclCommand({ Bucket: B }))).Grants?.length, 2);
      assert.equal(await failure(tc.s3.send(new PutBucketAclCommand({ Bucket: B, ACL: 'private' }))), 'no error');
      assert.equal(await failure(tc.s3.send(new GetBucketAclCommand({ Bucket: 'no-such-bucket-here' }))), 'NoSuchBucket/404');
    });

    it('GetObjectAcl / PutObjectAcl need the object', async () => {
      await put('acl-obj', Buffer.from('x'));
      const acl = await tc.s3.send(new GetObjectAclCommand({ Bucket: B, Key: 'acl-obj' }));
      assert.equal(acl.Grants?.[0]?.Permission, 'FULL_CONTROL');
      assert.equal(acl.Grants?.[0]?.Grantee?.ID, acl.Owner?.ID);
      assert.equal(await failure(tc.s3.send(new GetObjectAclCommand({ Bucket: B, Key: 'no-such-key' }))), 'NoSuchKey/404');
      assert.equal(await failure(tc.s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL: 'private' }))), 'no error');
      assert.equal(await failure(tc.s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL: 'public-read' }))), 'no error');
      assert.equal((await tc.s3.send(new GetObjectAclCommand({ Bucket: B, Key: 'acl-obj' }))).Grants?.[1]?.Grantee?.URI, 'http://acs.amazonaws.com/groups/global/AllUsers');
      assert.equal(await failure(tc.s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'acl-obj', ACL: 'aws-exec-read' }))), 'NotImplemented/501');
      assert.equal(await failure(tc.s3.send(new PutObjectAclCommand({ Bucket: B, Key: 'no-such-key', ACL: 'private' }))), 'NoSuchKey/404');
    });

    it('GetBucketVersioning is empty; PutBucketVersioning is not implemented', async () => {
      const v = await tc.s3.send(new GetBucketVersioningCommand({ Bucket: B }));
      assert.equal(v.$metadata.httpStatusCode, 200);
      assert.equal(v.Status, undefined);
      assert.equal(v.MFADelete, undefined);
      assert.equal(await failure(tc.s3.send(new PutBucketVersioningCommand({ Bucket: B, VersioningConfiguration: { Status: 'Enabled' } }))), 'NotImplemented/501');
    });
  });

  it('GetObjectAttributes returns ETag (unquoted), size, storage class and checksum', async () => {
    const body = randomBytes(1234);
    await put('attrs', body, { ChecksumAlgorithm: 'SHA256' });
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'attrs', ChecksumMode: 'ENABLED' }));
    const a = await tc.s3.send(new GetObjectAttributesCommand({
      Bucket: B, Key: 'attrs', ObjectAttributes: ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'],
    }));
    assert.equal(a.ETag, md5(body));
    assert.equal(a.ObjectSize, 1234);
    assert.equal(a.StorageClass, 'STANDARD');
    assert.equal(a.Checksum?.ChecksumSHA256, createHash('sha256').update(body).digest('base64'));
    assert.equal(a.Checksum?.ChecksumSHA256, head.ChecksumSHA256);
    assert.equal(a.ObjectParts, undefined, 'single-part object');
    assert.equal(a.LastModified?.getTime(), head.LastModified?.getTime());
    const some = await tc.s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'attrs', ObjectAttributes: ['ObjectSize'] }));
    assert.equal(some.ObjectSize, 1234);
    assert.equal(some.ETag, undefined, 'only what was asked for');
    assert.equal(await failure(tc.s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'nope', ObjectAttributes: ['ETag'] }))), 'NoSuchKey/404');
  });

  it('a multipart source: GetObjectAttributes lists its parts; its copy gets a plain MD5 ETag', async () => {
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(4096)];
    const { UploadId } = await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'mp', ChecksumAlgorithm: 'CRC32' }));
    const done = [];
    for (const [i, body] of parts.entries()) {
      const p = await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'mp', UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: 'CRC32' }));
      done.push({ PartNumber: i + 1, ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32 });
    }
    const mp = await tc.s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    assert.match(mp.ETag ?? '', /-2"$/);
    const a = await tc.s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'mp', ObjectAttributes: ['ObjectParts', 'Checksum', 'ETag'] }));
    assert.equal(a.ObjectParts?.TotalPartsCount, 2);
    assert.deepEqual(a.ObjectParts?.Parts?.map((p) => [p.PartNumber, p.Size, p.ChecksumCRC32]), done.map((d, i) => [d.PartNumber, parts[i]!.length, d.ChecksumCRC32]));
    assert.equal(a.Checksum?.ChecksumType, 'COMPOSITE');
    const whole = Buffer.concat(parts);
    const copy = await tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'mp-copy', CopySource: src(B, 'mp') }));
    assert.equal(copy.CopyObjectResult?.ETag, `"${md5(whole)}"`, 'a fresh MD5, no "-N"');
    assert.ok((await bytes(B, 'mp-copy')).equals(whole));
    const ca = await tc.s3.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'mp-copy', ObjectAttributes: ['ObjectParts', 'Checksum'] }));
    assert.equal(ca.ObjectParts, undefined, 'the copy is single-part');
    assert.equal(ca.Checksum?.ChecksumType, 'FULL_OBJECT');
    assert.equal(ca.Checksum?.ChecksumCRC32, copy.CopyObjectResult?.ChecksumCRC32);
  });

  it('aws CLI: server-side s3 cp, s3api delete-objects and get-bucket-acl', async () => {
    const ok = async (args: string[]): Promise<string> => {
      const r = await aws(tc, args);
      assert.equal(r.code, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    const body = randomBytes(100_000);
    await put('cli/a', body);
    await ok(['s3', 'cp', `s3://${B}/cli/a`, `s3://${B}/cli/b`]);
    assert.ok((await bytes(B, 'cli/b')).equals(body));
    const del = JSON.parse(await ok(['s3api', 'delete-objects', '--bucket', B, '--delete', JSON.stringify({ Objects: [{ Key: 'cli/a' }, { Key: 'cli/b' }] })])) as { Deleted?: { Key: string }[] };
    assert.deepEqual(del.Deleted?.map((d) => d.Key).sort(), ['cli/a', 'cli/b']);
    const left = await tc.s3.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'cli/' }));
    assert.equal(left.KeyCount, 0);
    const acl = JSON.parse(await ok(['s3api', 'get-bucket-acl', '--bucket', B])) as { Owner: { ID: string }; Grants: { Grantee: { ID: string; Type: string }; Permission: string }[] };
    assert.deepEqual(acl.Grants, [{ Grantee: { ID: acl.Owner.ID, DisplayName: acl.Owner.ID, Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }]);
  });
});
