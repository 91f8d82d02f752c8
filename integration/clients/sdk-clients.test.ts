// @aws-sdk/client-s3 as applications use it, over HTTP and HTTPS: default
// checksums (CRC32 headers for buffers, aws-chunked with a trailer for
// streams) and requestChecksumCalculation WHEN_REQUIRED (UNSIGNED-PAYLOAD
// streams); other checksum algorithms; lib-storage Upload of 100 MiB;
// presigned PUT and GET URLs (their PUTs carry x-amz-checksum-crc32 of an
// empty body in the query, which must not be enforced).

import { ChecksumAlgorithm, CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { caFile, run } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { bodyDigest } from '../harness/body-digest.js';

const MiB = 1024 * 1024;

async function readAll(tc: TestCluster, Key: string): Promise<Buffer> {
  const r = await tc.s3.send(new GetObjectCommand({ Bucket: 'sdk', Key, ChecksumMode: 'ENABLED' }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

for (const scheme of ['http', 'https'] as const) {
  describe(`AWS SDK v3 over ${scheme}`, () => {
    let tc: TestCluster;
    before(async () => {
      tc = await startTestCluster({ t: 1, ...(scheme === 'https' ? { tls: true as const } : {}) });
      await tc.s3.send(new CreateBucketCommand({ Bucket: 'sdk' }));
    });
    after(() => tc?.dispose());

    it('default checksums: buffers (CRC32 header) and streams (aws-chunked + trailer), every algorithm', async () => {
      const body = randomBytes(300_000);
      await tc.s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'buf', Body: body }));
      assert.ok((await readAll(tc, 'buf')).equals(body));
      await tc.s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'stream', Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]), ContentLength: body.length }));
      assert.ok((await readAll(tc, 'stream')).equals(body));
      for (const alg of [ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.CRC64NVME, ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256]) {
        await tc.s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: `alg-${alg}`, Body: Readable.from([body]), ContentLength: body.length, ChecksumAlgorithm: alg }));
        const head = await tc.s3.send(new HeadObjectCommand({ Bucket: 'sdk', Key: `alg-${alg}`, ChecksumMode: 'ENABLED' }));
        const got = { CRC32C: head.ChecksumCRC32C, CRC64NVME: head.ChecksumCRC64NVME, SHA1: head.ChecksumSHA1, SHA256: head.ChecksumSHA256 }[alg];
        assert.ok(got, `${alg} stored and returned`);
        assert.ok((await readAll(tc, `alg-${alg}`)).equals(body));
      }
    });

    it('requestChecksumCalculation WHEN_REQUIRED: UNSIGNED-PAYLOAD streams and plain buffers', async () => {
      const s3 = tc.client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
      const body = randomBytes(123_456);
      await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'wr-stream', Body: Readable.from([body]), ContentLength: body.length }));
      await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'wr-buf', Body: body }));
      assert.ok((await readAll(tc, 'wr-stream')).equals(body));
      assert.ok((await readAll(tc, 'wr-buf')).equals(body));
      s3.destroy();
    });

    it('lib-storage Upload of 100 MiB from a stream', async () => {
      const parts: Buffer[] = [];
      for (let i = 0; i < 100; i++) parts.push(randomBytes(MiB));
      const expect = createHash('sha256');
      for (const p of parts) expect.update(p);
      await new Upload({ client: tc.s3, params: { Bucket: 'sdk', Key: 'hundred', Body: Readable.from(parts) } }).done();
      const r = await tc.s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'hundred' }));
      const got = await bodyDigest(r.Body as Readable);
      assert.equal(got.bytes, 100 * MiB);
      assert.equal(got.sha256, expect.digest('hex'));
    });

    it('presigned PUT and GET URLs work with curl; an expired one does not', async () => {
      const putUrl = await getSignedUrl(tc.s3, new PutObjectCommand({ Bucket: 'sdk', Key: 'presigned' }), { expiresIn: 300 });
      const ca = caFile(tc);
      const tls = ca ? ['--cacert', ca] : [];
      const put = await run('curl', ['-sS', '--fail', '-X', 'PUT', '--data-binary', 'via presigned url', ...tls, putUrl], { PATH: process.env.PATH });
      assert.equal(put.code, 0, put.stderr);
      const getUrl = await getSignedUrl(tc.s3, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned' }), { expiresIn: 300 });
      const got = await run('curl', ['-sS', '--fail', ...tls, getUrl], { PATH: process.env.PATH });
      assert.equal(got.stdout, 'via presigned url');
      const expired = await getSignedUrl(tc.s3, new GetObjectCommand({ Bucket: 'sdk', Key: 'presigned' }), { expiresIn: 1 });
      await new Promise((r) => setTimeout(r, 2100));
      const denied = await run('curl', ['-sS', '-w', '\n%{http_code}', ...tls, expired], { PATH: process.env.PATH });
      assert.match(denied.stdout, /AccessDenied[\s\S]*\n403$/);
    });
  });
}
