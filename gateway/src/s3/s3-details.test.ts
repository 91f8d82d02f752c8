// The details of issue 12 (items 4-8 and 10) at handler level: what a 304
// and a 412 carry, CreateBucket of an owned bucket per region, aws-chunked
// taken out of Content-Encoding byte for byte, an empty continuation-token,
// an unknown Expect, and GETs of unset sub-resources.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signV4 } from '../../../integration/harness/raw.js';
import { createChecksum } from './body/checksums.js';
import { ignoreUnknownExpectations } from './expect.js';
import { withoutAwsChunked } from './objects/object-headers.js';
import { HOST, signedApp, xmlCode, xmlText, type SignedApp } from './testing/signed-app.js';

describe('S3 details', () => {
  let s: SignedApp;
  before(async () => {
    s = signedApp('details');
    assert.equal((await s.send('PUT', '/details')).status, 200);
    assert.equal((await s.send('PUT', '/details/obj', Buffer.from('hello'))).status, 200);
  });
  after(() => s?.close());

  it('a 304 carries ETag and Last-Modified; a 412 carries the S3 error body', async () => {
    const head = await s.send('HEAD', '/details/obj');
    const etag = head.headers.etag as string;
    const lastModified = head.headers['last-modified'] as string;
    const conditions: Array<Record<string, string>> = [{ 'if-none-match': etag }, { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() }];
    for (const h of conditions) {
      const res = await s.send('GET', '/details/obj', undefined, h);
      assert.equal(res.status, 304);
      assert.equal(res.headers.etag, etag);
      assert.equal(res.headers['last-modified'], lastModified);
    }
    const failed = await s.send('GET', '/details/obj', undefined, { 'if-match': '"0000"' });
    assert.equal(failed.status, 412);
    assert.equal(xmlCode(failed.text), 'PreconditionFailed');
    assert.match(String(failed.headers['content-type']), /xml/);
  });

  it('CreateBucket of a bucket you own: 200 in us-east-1, 409 BucketAlreadyOwnedByYou elsewhere', async () => {
    assert.equal((await s.send('PUT', '/details')).status, 200);
    const eu = signedApp('detailseu', { region: 'eu-west-1' });
    try {
      assert.equal((await eu.send('PUT', '/eubucket')).status, 200);
      const again = await eu.send('PUT', '/eubucket');
      assert.equal(again.status, 409);
      assert.equal(xmlCode(again.text), 'BucketAlreadyOwnedByYou');
    } finally {
      await eu.close();
    }
  });

  it('takes aws-chunked out of Content-Encoding and keeps the rest byte for byte', async () => {
    for (const [sent, kept] of [['deflate, gzip', 'deflate, gzip'], ['aws-chunked,gzip', 'gzip'], ['gzip, aws-chunked', 'gzip'], ['AWS-CHUNKED', undefined]] as const) {
      assert.equal(withoutAwsChunked(sent) || undefined, kept, sent);
    }
    assert.equal((await s.send('PUT', '/details/enc', Buffer.from('z'), { 'content-encoding': 'deflate, gzip' })).status, 200);
    assert.equal((await s.send('HEAD', '/details/enc')).headers['content-encoding'], 'deflate, gzip');
  });

  it('ListObjectsV2 treats an empty continuation-token as absent and echoes it', async () => {
    const res = await s.send('GET', '/details?list-type=2&continuation-token=');
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<ContinuationToken(><\/ContinuationToken>|\/>)/);
    assert.equal(xmlText(res.text, 'Key'), 'enc');
  });

  it('ListObjects and ListObjectsV2 with encoding-type=url encode Prefix, Delimiter, Marker, StartAfter, Key and CommonPrefixes', async () => {
    assert.equal((await s.send('PUT', '/details/%0A%2Bx%20y/z', Buffer.from('z'))).status, 200);
    const v1 = await s.send('GET', '/details?encoding-type=url&prefix=%0A&delimiter=%2F&marker=%0A');
    assert.equal(v1.status, 200, v1.text);
    // V1 echoes Prefix as sent (boto3 does not decode it there); V2 encodes it.
    assert.equal(xmlText(v1.text, 'Prefix'), '\n');
    assert.equal(xmlText(v1.text, 'Marker'), '%0A');
    assert.equal(xmlText(v1.text, 'EncodingType'), 'url');
    assert.match(v1.text, /<CommonPrefixes><Prefix>%0A%2Bx%20y\/<\/Prefix><\/CommonPrefixes>/);
    const v2 = await s.send('GET', '/details?list-type=2&encoding-type=url&prefix=%0A&start-after=%0A');
    assert.equal(xmlText(v2.text, 'StartAfter'), '%0A');
    assert.equal(xmlText(v2.text, 'Prefix'), '%0A');
    assert.equal(xmlText(v2.text, 'Key'), '%0A%2Bx%20y/z');
  });

  it('serves a request with an Expect other than 100-continue as if it were absent (no 417)', async () => {
    const server = createServer(s.app);
    ignoreUnknownExpectations(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const signed = signV4(HOST, { method: 'GET', target: '/details/obj', headers: { expect: 'something-else' } }, {
        accessKey: 'details-key', secretKey: 'details-secret-0123456789', region: 'us-east-1',
      });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/details/obj', headers: signed.headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      server.close();
    }
  });

  it('answers a GET of an unset sub-resource with the error or empty document AWS gives, not 501', async () => {
    const expected: Array<[string, string]> = [
      ['policy', 'NoSuchBucketPolicy'], ['policyStatus', 'NoSuchBucketPolicy'], ['cors', 'NoSuchCORSConfiguration'],
      ['lifecycle', 'NoSuchLifecycleConfiguration'], ['tagging', 'NoSuchTagSet'],
      ['encryption', 'ServerSideEncryptionConfigurationNotFoundError'], ['website', 'NoSuchWebsiteConfiguration'],
      ['replication', 'ReplicationConfigurationNotFoundError'], ['ownershipControls', 'OwnershipControlsNotFoundError'],
      ['publicAccessBlock', 'NoSuchPublicAccessBlockConfiguration'], ['object-lock', 'ObjectLockConfigurationNotFoundError'],
    ];
    for (const [sub, code] of expected) {
      const res = await s.send('GET', `/details?${sub}`);
      assert.equal(res.status, 404, `${sub}: ${res.text}`);
      assert.equal(xmlCode(res.text), code, sub);
      assert.equal(xmlText(res.text, 'BucketName'), 'details');
    }
    for (const [sub, root] of [['logging', 'BucketLoggingStatus'], ['notification', 'NotificationConfiguration'], ['requestPayment', 'RequestPaymentConfiguration'], ['accelerate', 'AccelerateConfiguration']]) {
      const res = await s.send('GET', `/details?${sub}`);
      assert.equal(res.status, 200, `${sub}: ${res.text}`);
      assert.match(res.text, new RegExp(`<${root}[ >/]`));
    }
    const tags = await s.send('GET', '/details/obj?tagging');
    assert.equal(tags.status, 200, tags.text);
    assert.match(tags.text, /<Tagging[^>]*><TagSet(\/>|><\/TagSet>)<\/Tagging>/);
    assert.equal(xmlCode((await s.send('GET', '/details/missing?tagging')).text), 'NoSuchKey');
    assert.equal(xmlCode((await s.send('GET', '/nobucket?policy')).text), 'NoSuchBucket');
    // Setting one is still not supported (bucket policies are: bucket-policy.test.ts).
    assert.equal((await s.send('PUT', '/details?lifecycle', Buffer.from('<LifecycleConfiguration/>'))).status, 501);
  });
  it('completes a SHA-256 multipart upload sent with its composite checksum header; a wrong one is BadDigest', async () => {
    const made = await s.send('POST', '/details/sha?uploads', undefined, { 'x-amz-checksum-algorithm': 'SHA256' });
    assert.equal(made.status, 200, made.text);
    const id = xmlText(made.text, 'UploadId')!;
    const data = Buffer.from('composite');
    const sum = createHash('sha256').update(data).digest();
    const part = await s.send('PUT', `/details/sha?partNumber=1&uploadId=${id}`, data, { 'x-amz-checksum-sha256': sum.toString('base64') });
    assert.equal(part.status, 200, part.text);
    const composite = `${createHash('sha256').update(sum).digest('base64')}-1`;
    const xml = Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag as string}</ETag><ChecksumSHA256>${sum.toString('base64')}</ChecksumSHA256></Part></CompleteMultipartUpload>`);
    const wrong = await s.send('POST', `/details/sha?uploadId=${id}`, xml, { 'x-amz-checksum-sha256': `${createHash('sha256').update('x').digest('base64')}-1` });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(xmlCode(wrong.text), 'BadDigest');
    const done = await s.send('POST', `/details/sha?uploadId=${id}`, xml, { 'x-amz-checksum-sha256': composite });
    assert.equal(done.status, 200, done.text);
    assert.equal(xmlText(done.text, 'ChecksumSHA256'), composite);
  });
  it('completes a FULL_OBJECT CRC32 upload sent with its whole-object checksum header; a wrong one is BadDigest', async () => {
    const made = await s.send('POST', '/details/crc?uploads', undefined, { 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'FULL_OBJECT' });
    assert.equal(made.status, 200, made.text);
    const id = xmlText(made.text, 'UploadId')!;
    const data = Buffer.from('full object');
    const c = createChecksum('CRC32');
    c.update(data);
    const crc = c.digest().toString('base64');
    const part = await s.send('PUT', `/details/crc?partNumber=1&uploadId=${id}`, data, { 'x-amz-checksum-crc32': crc });
    assert.equal(part.status, 200, part.text);
    const xml = Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag as string}</ETag></Part></CompleteMultipartUpload>`);
    const wrong = await s.send('POST', `/details/crc?uploadId=${id}`, xml, { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-type': 'FULL_OBJECT' });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(xmlCode(wrong.text), 'BadDigest');
    const done = await s.send('POST', `/details/crc?uploadId=${id}`, xml, { 'x-amz-checksum-crc32': crc, 'x-amz-checksum-type': 'FULL_OBJECT' });
    assert.equal(done.status, 200, done.text);
    assert.equal(xmlText(done.text, 'ChecksumCRC32'), crc);
  });

  it('still refuses a composite-looking checksum header on a PutObject (it describes no body)', async () => {
    const sum = createHash('sha256').update('x').digest('base64');
    const res = await s.send('PUT', '/details/not-composite', Buffer.from('x'), { 'x-amz-checksum-sha256': `${sum}-1` });
    assert.equal(res.status, 400, res.text);
    assert.equal(xmlCode(res.text), 'InvalidRequest');
    assert.equal((await s.send('HEAD', '/details/not-composite')).status, 404);
  });
});
