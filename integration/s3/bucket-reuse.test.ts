// A deleted bucket leaves nothing to whoever creates its name next (security
// review F1): open multipart uploads, their parts and writes still streaming
// when the bucket went all stay with the deleted incarnation, whether the
// new owner is another user or the same one.

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand,
  PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signV4 } from '../harness/raw.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';
import { until } from '@powerstore/shared/testing/until.js';

describe('a bucket name used again', () => {
  let tc: TestCluster;
  let admin: S3Client;
  let bob: S3Client;
  const bobCreds = { accessKey: 'BOBKEY0001', secretKey: 'bob-secret-key', user: 'bob' };
  before(async () => {
    tc = await startTestCluster({ t: 1, users: [bobCreds] });
    admin = tc.s3;
    bob = tc.client({ credentials: { accessKeyId: bobCreds.accessKey, secretAccessKey: bobCreds.secretKey } });
  });
  /** The nodes' staged fragments: uploads streaming to them. */
  const staged = (): number =>
    tc.cluster.nodes.reduce((sum, n) => sum + readdirSync(join(tc.dir, `node-${n.index}`, 'store', 'staging')).length, 0);
  after(async () => {
    bob?.destroy();
    await tc?.dispose();
  });

  /** The first owner leaves an open upload with one part, then deletes the bucket. */
  async function leaveUpload(bucket: string, key: string): Promise<{ uploadId: string; etag: string }> {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const { UploadId } = await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const { ETag } = await admin.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'PAYROLL' }));
    await admin.send(new DeleteBucketCommand({ Bucket: bucket }));
    return { uploadId: UploadId!, etag: ETag! };
  }

  /** Everything the next owner could try on the old upload finds nothing. */
  async function assertNothingLeft(s3: S3Client, bucket: string, key: string, uploadId: string, etag: string): Promise<void> {
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0, 0);
    assert.equal(await code(s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))), 'NoSuchUpload');
    assert.equal(await code(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 2, Body: 'more' }))), 'NoSuchUpload');
    assert.equal(await code(s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etag }] },
    }))), 'NoSuchUpload');
    assert.equal(await code(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))), 'NoSuchUpload');
    assert.equal(await code(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))), 'NoSuchKey');
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount, 0);
  }

  it("gives another user nothing of a deleted bucket's open uploads", async () => {
    const { uploadId, etag } = await leaveUpload('shared-name', 'payroll.csv');
    await bob.send(new CreateBucketCommand({ Bucket: 'shared-name' }));
    await assertNothingLeft(bob, 'shared-name', 'payroll.csv', uploadId, etag);
  });

  it('gives the same user nothing of its own deleted bucket either', async () => {
    const { uploadId, etag } = await leaveUpload('same-owner', 'draft.bin');
    await admin.send(new CreateBucketCommand({ Bucket: 'same-owner' }));
    await assertNothingLeft(admin, 'same-owner', 'draft.bin', uploadId, etag);
    // The new bucket works as any other.
    await admin.send(new PutObjectCommand({ Bucket: 'same-owner', Key: 'draft.bin', Body: 'new' }));
    assert.equal(await (await admin.send(new GetObjectCommand({ Bucket: 'same-owner', Key: 'draft.bin' }))).Body!.transformToString(), 'new');
  });

  it('still refuses to delete a bucket whose objects are visible', async () => {
    await admin.send(new CreateBucketCommand({ Bucket: 'not-empty' }));
    await admin.send(new PutObjectCommand({ Bucket: 'not-empty', Key: 'k', Body: 'v' }));
    assert.equal(await code(admin.send(new DeleteBucketCommand({ Bucket: 'not-empty' }))), 'BucketNotEmpty');
  });

  it('fails a PUT whose bucket was deleted while its body streamed, and shows the new owner nothing', async () => {
    await admin.send(new CreateBucketCommand({ Bucket: 'inflight' }));
    const port = Number(new URL(tc.cluster.endpoint).port);
    const host = `127.0.0.1:${port}`;
    const body = Buffer.alloc(6 << 20, 'a');
    const creds = { accessKey: tc.cluster.credentials.accessKey, secretKey: tc.cluster.credentials.secretKey, region: tc.cluster.region };
    const s = signV4(host, { method: 'PUT', target: '/inflight/big.bin', payloadHash: createHash('sha256').update(body).digest('hex'), headers: { 'content-length': String(body.length) } }, creds);
    const sock = connect(port, '127.0.0.1');
    const answer = new Promise<string>((resolve, reject) => {
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
    });
    sock.write([`PUT /inflight/big.bin HTTP/1.1`, ...Object.entries(s.headers).map(([k, v]) => `${k}: ${v}`), 'connection: close', '', ''].join('\r\n'));
    const stagedBefore = staged();
    sock.write(body.subarray(0, 3 << 20));
    // The delete must come after the gateway took the PUT in (found the bucket): it streams to the nodes by then.
    // A fixed 300 ms was that on an idle machine only.
    await until('the gateway streams the body to the nodes', () => staged() > stagedBefore, 20_000, 20);
    // Nothing visible yet: the delete goes through, and bob takes the name.
    await admin.send(new DeleteBucketCommand({ Bucket: 'inflight' }));
    await bob.send(new CreateBucketCommand({ Bucket: 'inflight' }));
    sock.write(body.subarray(3 << 20));
    const res = await answer;
    assert.match(res, /^HTTP\/1\.1 404 /);
    assert.match(res, /<Code>NoSuchBucket<\/Code>/);
    assert.equal((await bob.send(new ListObjectsV2Command({ Bucket: 'inflight' }))).KeyCount, 0);
    assert.equal(await code(bob.send(new GetObjectCommand({ Bucket: 'inflight', Key: 'big.bin' }))), 'NoSuchKey');
  });
});
