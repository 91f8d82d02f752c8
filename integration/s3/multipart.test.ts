// Multipart uploads on a real cluster: the SDK's lib-storage Upload (5 MiB
// parts, CRC32 composite checksums), the aws CLI's (8 MiB parts, out of
// order), the S3 API checks (InvalidPart, InvalidPartOrder, EntityTooSmall,
// NoSuchUpload), ListParts, ListMultipartUploads, Abort, and a node that
// missed a part while down: completing heals it there first.

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checksumBase64 } from '../../gateway/src/s3/body/checksums.js';
import { aws } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { code } from '../harness/s3-error.js';

const MiB = 1024 * 1024;

async function bytesOf(tc: TestCluster, Bucket: string, Key: string, Range?: string): Promise<Buffer> {
  const r = await tc.s3.send(new GetObjectCommand({ Bucket, Key, ...(Range ? { Range } : {}) }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

describe('multipart uploads', () => {
  let tc: TestCluster;
  const B = 'mpu';
  before(async () => {
    tc = await startTestCluster({ t: 1, blockSize: 256 * 1024 });
    await tc.s3.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => tc?.dispose());

  it('lib-storage Upload of 23 MiB: bytes, ranges across parts, ETag md5-of-md5s-N, composite CRC32', async () => {
    const body = randomBytes(23 * MiB);
    await new Upload({ client: tc.s3, params: { Bucket: B, Key: 'big/upload.bin', Body: body, ContentType: 'application/x-big' }, partSize: 5 * MiB }).done();
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'big/upload.bin', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ContentType, 'application/x-big');
    const partMd5s = [0, 1, 2, 3, 4].map((i) => Buffer.from(md5(body.subarray(i * 5 * MiB, Math.min((i + 1) * 5 * MiB, body.length))), 'hex'));
    assert.equal(head.ETag, `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-5"`);
    assert.match(head.ChecksumCRC32 ?? '', /-5$/, 'composite checksum with the part count');
    assert.ok((await bytesOf(tc, B, 'big/upload.bin')).equals(body));
    const span = await bytesOf(tc, B, 'big/upload.bin', `bytes=${5 * MiB - 10}-${10 * MiB + 9}`);
    assert.ok(span.equals(body.subarray(5 * MiB - 10, 10 * MiB + 10)), 'a range spanning three parts');
  });

  it('FULL_OBJECT checksums: a CRC64NVME upload carries the CRC64NVME of all its bytes', async () => {
    const body = randomBytes(11 * MiB + 12345);
    await new Upload({ client: tc.s3, params: { Bucket: B, Key: 'full-object', Body: body, ChecksumAlgorithm: 'CRC64NVME' }, partSize: 5 * MiB }).done();
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'full-object', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC64NVME, checksumBase64('CRC64NVME', body), 'the combined part CRCs equal the CRC of the whole');
    assert.equal(head.ChecksumType, 'FULL_OBJECT');
    assert.ok((await bytesOf(tc, B, 'full-object')).equals(body));
  });

  it('aws s3 cp of a 20 MiB file goes up in parts and comes back whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-mpu-'));
    const data = randomBytes(20 * MiB);
    writeFileSync(join(dir, 'f'), data);
    const up = await aws(tc, ['s3', 'cp', join(dir, 'f'), `s3://${B}/cli/f`]);
    assert.equal(up.code, 0, up.stderr);
    const down = await aws(tc, ['s3', 'cp', `s3://${B}/cli/f`, join(dir, 'g')]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(readFileSync(join(dir, 'g')).equals(data));
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'cli/f' }));
    assert.match(head.ETag ?? '', /-3"$/);
  });

  it('UploadPartCopy: aws s3 cp between keys above 8 MiB copies in ranged parts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-mpc-'));
    const data = randomBytes(19 * MiB);
    writeFileSync(join(dir, 'src'), data);
    assert.equal((await aws(tc, ['s3', 'cp', join(dir, 'src'), `s3://${B}/copy/src`])).code, 0);
    const cp = await aws(tc, ['s3', 'cp', `s3://${B}/copy/src`, `s3://${B}/copy/dst`]);
    assert.equal(cp.code, 0, cp.stderr);
    assert.ok((await bytesOf(tc, B, 'copy/dst')).equals(data));
    const head = await tc.s3.send(new HeadObjectCommand({ Bucket: B, Key: 'copy/dst' }));
    assert.match(head.ETag ?? '', /-3"$/, 'copied as three parts');
  });

  it('enforces the S3 rules on completion', async () => {
    const { UploadId } = await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'rules' }));
    const small = randomBytes(1000);
    const p1 = await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'rules', UploadId, PartNumber: 1, Body: small }));
    const p2 = await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'rules', UploadId, PartNumber: 2, Body: small }));
    assert.equal(p1.ETag, `"${md5(small)}"`);
    const complete = (parts: Array<{ PartNumber: number; ETag: string }>) =>
      tc.s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'rules', UploadId, MultipartUpload: { Parts: parts } }));
    assert.equal(await code(complete([{ PartNumber: 2, ETag: p2.ETag! }, { PartNumber: 1, ETag: p1.ETag! }])), 'InvalidPartOrder');
    assert.equal(await code(complete([{ PartNumber: 1, ETag: '"0000"' }])), 'InvalidPart');
    assert.equal(await code(complete([{ PartNumber: 3, ETag: p1.ETag! }])), 'InvalidPart');
    assert.equal(await code(complete([{ PartNumber: 1, ETag: p1.ETag! }, { PartNumber: 2, ETag: p2.ETag! }])), 'EntityTooSmall');
    // A single small part is fine (the last part may be small).
    const done = await complete([{ PartNumber: 2, ETag: p2.ETag! }]);
    assert.ok((await bytesOf(tc, B, 'rules')).equals(small));
    // A retry with the same list answers as the first did (issue 12 item 1); any other list finds the upload gone.
    assert.equal((await complete([{ PartNumber: 2, ETag: p2.ETag! }])).ETag, done.ETag, 'a retried Complete answers the same ETag');
    assert.equal(await code(complete([{ PartNumber: 1, ETag: p1.ETag! }])), 'NoSuchUpload', 'a completed upload is gone');
    assert.equal(await code(tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'rules', UploadId: 'ffffffffffffffffffffffffffffffffffff', PartNumber: 1, Body: small }))), 'NoSuchUpload');
  });

  it('lists parts and uploads, and aborts', async () => {
    const ids: string[] = [];
    for (const Key of ['lst/a', 'lst/b', 'other']) {
      ids.push((await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key }))).UploadId!);
    }
    for (const n of [3, 1, 2]) await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'lst/a', UploadId: ids[0], PartNumber: n, Body: Buffer.alloc(10 * n) }));
    const parts = await tc.s3.send(new ListPartsCommand({ Bucket: B, Key: 'lst/a', UploadId: ids[0] }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, 10], [2, 20], [3, 30]]);
    const page = await tc.s3.send(new ListPartsCommand({ Bucket: B, Key: 'lst/a', UploadId: ids[0], MaxParts: 2 }));
    assert.equal(page.IsTruncated, true);
    assert.equal(page.NextPartNumberMarker, '2');

    const uploads = await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: 'lst/' }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [['lst/a', ids[0]], ['lst/b', ids[1]]]);
    const grouped = await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: B, Delimiter: '/' }));
    assert.ok(grouped.CommonPrefixes?.some((p) => p.Prefix === 'lst/'));
    assert.ok(grouped.Uploads?.some((u) => u.Key === 'other'));

    await tc.s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'lst/a', UploadId: ids[0] }));
    assert.equal(await code(tc.s3.send(new ListPartsCommand({ Bucket: B, Key: 'lst/a', UploadId: ids[0] }))), 'NoSuchUpload');
    const after1 = await tc.s3.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: 'lst/' }));
    assert.deepEqual(after1.Uploads?.map((u) => u.Key), ['lst/b']);
  });

  it('heals a part onto a node that was down while it was uploaded, then completes', async () => {
    const { UploadId } = await tc.s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'healed' }));
    const p1 = randomBytes(5 * MiB);
    const p2 = randomBytes(3 * MiB);
    const e1 = (await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'healed', UploadId, PartNumber: 1, Body: p1 }))).ETag!;
    await tc.cluster.killNode(2);
    const e2 = (await tc.s3.send(new UploadPartCommand({ Bucket: B, Key: 'healed', UploadId, PartNumber: 2, Body: p2 }))).ETag!;
    await tc.cluster.startNode(2);
    // Node 2 lacks part 2; with node 3 down, completing needs node 2's ack: it must be healed first.
    await tc.cluster.killNode(3);
    await tc.s3.send(new CompleteMultipartUploadCommand({
      Bucket: B, Key: 'healed', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }] },
    }));
    await tc.cluster.startNode(3);
    // Now take down a node that held part 2 from the start: node 2's healed copy must serve.
    await tc.cluster.killNode(1);
    assert.ok((await bytesOf(tc, B, 'healed')).equals(Buffer.concat([p1, p2])));
    await tc.cluster.startNode(1);
  });
});
