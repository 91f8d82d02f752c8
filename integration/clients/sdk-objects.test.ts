// A real local cluster (t=1) driven by @aws-sdk/client-s3 with default
// settings: objects of 0 B, 1 B, 1 MiB + 1 and 300 MiB (streamed both
// ways, SHA-256 compared end to end), metadata, ranges, conditionals,
// listings with prefixes, delimiters and paging, buckets, and honest
// NotImplemented answers.

import {
  CopyObjectCommand, CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListBucketsCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, PutBucketLifecycleConfigurationCommand, S3ServiceException,
} from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';
import { bodyDigest } from '../harness/body-digest.js';

/** A deterministic pseudo-random stream of n bytes, and its SHA-256 once consumed. */
function generated(n: number, seed = 1): { stream: Readable; sha: () => string } {
  const h = createHash('sha256');
  let left = n;
  let x = seed;
  const block = Buffer.alloc(1 << 20);
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const len = Math.min(block.length, left);
      for (let i = 0; i < len; i += 4) {
        x = (x * 1103515245 + 12345) >>> 0;
        block.writeUInt32LE(x, i);
      }
      const chunk = Buffer.from(block.subarray(0, len));
      h.update(chunk);
      left -= len;
      this.push(chunk);
    },
  });
  return { stream, sha: () => h.digest('hex') };
}

describe('S3 objects through the SDK on a real cluster', () => {
  let tc: TestCluster;
  const B = 'sdk-objects';

  before(async () => {
    tc = await startTestCluster({ t: 1 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => tc?.dispose());

  for (const size of [0, 1, 1024 * 1024 + 1]) {
    it(`round-trips ${size} bytes with its metadata`, async () => {
      const body = randomBytes(size);
      const put = await tc.s3.send(new PutObjectCommand({
        Bucket: B, Key: `obj-${size}`, Body: body, ContentType: 'application/x-test', Metadata: { colour: 'blue' },
      }));
      assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
      const got = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: `obj-${size}` }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.ok(bytes.equals(body), 'same bytes');
      assert.equal(got.ContentLength, size);
      assert.equal(got.ContentType, 'application/x-test');
      assert.equal(got.Metadata?.colour, 'blue');
      assert.equal(got.ETag, put.ETag);
    });
  }

  it('streams 300 MiB up and down (aws-chunked upload, SHA-256 compared)', async () => {
    const size = 300 * 1024 * 1024;
    const src = generated(size, 7);
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'big', Body: src.stream, ContentLength: size }));
    const wrote = src.sha();
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'big' }));
    const back = await bodyDigest(got.Body as Readable);
    assert.equal(back.bytes, size);
    assert.equal(back.sha256, wrote);
  });

  it('copies the 300 MiB object server-side (a long copy: 200 kept alive, then the result)', async () => {
    const src = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'big' }));
    const copied = await tc.s3.send(new CopyObjectCommand({ Bucket: B, Key: 'big-copy', CopySource: `${B}/big` }));
    // The copy's ETag is the MD5 of the bytes it read, the source's the MD5 of the bytes uploaded.
    assert.equal(copied.CopyObjectResult?.ETag, src.ETag);
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'big-copy' }));
    assert.equal(head.ContentLength, 300 * 1024 * 1024);
    assert.equal(head.ETag, src.ETag);
  });

  it('serves ranges and answers conditionals like S3', async () => {
    const body = randomBytes(5000);
    const { ETag } = await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'ranged', Body: body }));
    const r = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', Range: 'bytes=100-199' }));
    assert.ok(Buffer.from(await r.Body!.transformToByteArray()).equals(body.subarray(100, 200)));
    assert.equal(r.ContentRange, 'bytes 100-199/5000');
    const tail = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', Range: 'bytes=-10' }));
    assert.ok(Buffer.from(await tail.Body!.transformToByteArray()).equals(body.subarray(4990)));
    assert.equal(await code(tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', Range: 'bytes=6000-' }))), 'InvalidRange');
    assert.equal(await code(tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', IfMatch: '"nope"' }))), 'PreconditionFailed');
    const ok = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', IfMatch: ETag }));
    await ok.Body!.transformToByteArray();
    const nm = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'ranged', IfNoneMatch: ETag })).catch((e: S3ServiceException) => e);
    assert.ok(nm instanceof S3ServiceException);
    assert.equal(nm.$metadata.httpStatusCode, 304, 'If-None-Match on the current ETag answers 304 Not Modified');
  });

  it('overwrites, deletes, and 404s', async () => {
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'one' }));
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'k', Body: 'two' }));
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'k' }));
    assert.equal(await got.Body!.transformToString(), 'two');
    await tc.s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'k' }));
    assert.equal(await code(tc.s3.send(new GetObjectCommand({ Bucket: B, Key: 'k' }))), 'NoSuchKey');
    assert.equal(await code(tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'k' }))), 'NotFound');
    assert.equal(await code(tc.s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))), 'NoSuchBucket');
  });

  it('lists with prefix, delimiter and paging, hiding deleted keys', async () => {
    const L = 'sdk-listing';
    await tc.s3.send(new CreateBucketCommand({ Bucket: L }));
    const keys = ['a/1', 'a/2', 'a/b/3', 'b/1', 'c', 'd+e f%.txt', 'ü/ñ', 'gone/x'];
    for (const Key of keys) await tc.s3.send(new PutObjectCommand({ Bucket: L, Key, Body: Key }));
    await tc.s3.send(new DeleteObjectCommand({ Bucket: L, Key: 'gone/x' }));

    const all: string[] = [];
    let token: string | undefined;
    do {
      const page = await tc.s3.send(new ListObjectsV2Command({ Bucket: L, MaxKeys: 2, ContinuationToken: token }));
      assert.ok((page.Contents?.length ?? 0) <= 2);
      for (const o of page.Contents ?? []) all.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    assert.deepEqual(all, keys.filter((k) => k !== 'gone/x').sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));

    const top = await tc.s3.send(new ListObjectsV2Command({ Bucket: L, Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((o) => o.Key), ['c', 'd+e f%.txt']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'ü/'], 'a prefix holding only deleted keys is not listed');

    const under = await tc.s3.send(new ListObjectsV2Command({ Bucket: L, Prefix: 'a/', Delimiter: '/' }));
    assert.deepEqual(under.Contents?.map((o) => o.Key), ['a/1', 'a/2']);
    assert.deepEqual(under.CommonPrefixes?.map((p) => p.Prefix), ['a/b/']);

    const paged: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const v1 = await tc.s3.send(new ListObjectsCommand({ Bucket: L, Delimiter: '/', MaxKeys: 1, Marker: marker }));
      paged.push(...(v1.Contents ?? []).map((o) => o.Key!), ...(v1.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (!v1.IsTruncated) break;
      marker = v1.NextMarker;
    }
    assert.deepEqual(paged, ['a/', 'b/', 'c', 'd+e f%.txt', 'ü/'], 'V1 paging moves past each common prefix once');
  });

  it('manages buckets', async () => {
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'sdk-tmp' }));
    // us-east-1: creating a bucket you own again answers 200 (AWS's legacy behaviour).
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'sdk-tmp' }));
    await tc.s3.send(new HeadBucketCommand({ Bucket: 'sdk-tmp' }));
    const names = (await tc.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
    assert.ok(names?.includes('sdk-tmp') && names.includes(B));
    await tc.s3.send(new PutObjectCommand({ Bucket: 'sdk-tmp', Key: 'x', Body: 'x' }));
    assert.equal(await code(tc.s3.send(new DeleteBucketCommand({ Bucket: 'sdk-tmp' }))), 'BucketNotEmpty');
    await tc.s3.send(new DeleteObjectCommand({ Bucket: 'sdk-tmp', Key: 'x' }));
    await tc.s3.send(new DeleteBucketCommand({ Bucket: 'sdk-tmp' }));
    assert.equal(await code(tc.s3.send(new HeadBucketCommand({ Bucket: 'sdk-tmp' }))), 'NotFound');
    assert.equal(await code(tc.s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), 'InvalidBucketName');
  });

  it('answers operations it does not implement with NotImplemented (501)', async () => {
    // (Bucket policies are implemented now: lifecycle rules are not.)
    const err = await tc.s3.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: B, LifecycleConfiguration: { Rules: [{ ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }] },
    })).catch((e: S3ServiceException) => e);
    assert.ok(err instanceof S3ServiceException);
    assert.equal(err.name, 'NotImplemented');
    assert.equal(err.$metadata.httpStatusCode, 501);
  });

  it('refuses a canned ACL this gateway does not have (NotImplemented) and stores nothing', async () => {
    const err = await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'public', Body: 'x', ACL: 'aws-exec-read' })).catch((e: S3ServiceException) => e);
    assert.ok(err instanceof S3ServiceException);
    assert.equal(err.name, 'NotImplemented');
    assert.equal(await code(tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'public' }))), 'NotFound');
    await tc.s3.send(new PutObjectCommand({ Bucket: B, Key: 'private', Body: 'x', ACL: 'private' }));
  });

  it('refuses a wrong secret key with SignatureDoesNotMatch and stores nothing', async () => {
    const bad = tc.client({ credentials: { accessKeyId: tc.cluster.credentials.accessKey, secretAccessKey: 'wrong' } });
    assert.equal(await code(bad.send(new PutObjectCommand({ Bucket: B, Key: 'forged', Body: 'x' }))), 'SignatureDoesNotMatch');
    bad.destroy();
    assert.equal(await code(tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'forged' }))), 'NotFound');
  });
});
