// Issue 12 items 1-10 with real clients against a real cluster (HTTPS, so
// botocore frames bodies as aws-chunked with checksum trailers, as it does
// against AWS): boto3 for what it can express, raw signed requests for two
// part uploads racing (integration/harness/raw.ts).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { boto3Checks, pyCode } from '../harness/boto3-checks.js';
import { caFile } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { signV4 } from '../harness/raw.js';

const PRELUDE = pyCode('headers');

describe('S3 as clients expect it (issue 12 items 1-10, boto3 and raw requests)', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1, tls: true });
  });
  after(() => tc?.dispose());

  const runPy = (lines: string[]): Promise<void> => boto3Checks(tc, PRELUDE, lines);

  it('item 3: conditional PutObject and CompleteMultipartUpload', async () => {
    await runPy([
      "s3.create_bucket(Bucket='cond')",
      "s3.put_object(Bucket='cond', Key='k', Body=b'first', IfNoneMatch='*')",
      "c = code(lambda: s3.put_object(Bucket='cond', Key='k', Body=b'second', IfNoneMatch='*'))",
      "assert c[:2] == ('PreconditionFailed', 412), c",
      "assert s3.get_object(Bucket='cond', Key='k')['Body'].read() == b'first'",
      "etag = s3.head_object(Bucket='cond', Key='k')['ETag']",
      "c = code(lambda: s3.put_object(Bucket='cond', Key='k', Body=b'x', IfMatch='\"00000000000000000000000000000000\"'))",
      "assert c[:2] == ('PreconditionFailed', 412), c",
      "s3.put_object(Bucket='cond', Key='k', Body=b'third', IfMatch=etag)",
      "c = code(lambda: s3.put_object(Bucket='cond', Key='absent', Body=b'x', IfMatch=etag))",
      "assert c[:2] == ('NoSuchKey', 404), c",
      "c = code(lambda: s3.put_object(Bucket='cond', Key='k2', Body=b'x', IfNoneMatch=etag))",
      "assert c[:2] == ('NotImplemented', 501), c",
      "u = s3.create_multipart_upload(Bucket='cond', Key='k')['UploadId']",
      "p = s3.upload_part(Bucket='cond', Key='k', UploadId=u, PartNumber=1, Body=b'parted')",
      "parts = {'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]}",
      "c = code(lambda: s3.complete_multipart_upload(Bucket='cond', Key='k', UploadId=u, MultipartUpload=parts, IfNoneMatch='*'))",
      "assert c[:2] == ('PreconditionFailed', 412), c",
      "assert s3.get_object(Bucket='cond', Key='k')['Body'].read() == b'third'",
      "etag = s3.head_object(Bucket='cond', Key='k')['ETag']",
      "s3.complete_multipart_upload(Bucket='cond', Key='k', UploadId=u, MultipartUpload=parts, IfMatch=etag)",
      "assert s3.get_object(Bucket='cond', Key='k')['Body'].read() == b'parted'",
      // CopyObject's IfNoneMatch / IfMatch are about its destination.
      "c = code(lambda: s3.copy_object(Bucket='cond', Key='k', CopySource='cond/k', MetadataDirective='REPLACE', IfNoneMatch='*'))",
      "assert c[:2] == ('PreconditionFailed', 412), c",
      "s3.copy_object(Bucket='cond', Key='copied', CopySource='cond/k', IfNoneMatch='*')",
      "assert s3.get_object(Bucket='cond', Key='copied')['Body'].read() == b'parted'",
    ]);
  });

  it('item 1: a retried Complete answers 200 with the same ETag; another part list NoSuchUpload', async () => {
    await runPy([
      "s3.create_bucket(Bucket='retry')",
      "u = s3.create_multipart_upload(Bucket='retry', Key='k')['UploadId']",
      "a = s3.upload_part(Bucket='retry', Key='k', UploadId=u, PartNumber=1, Body=b'a' * (5 * 1024 * 1024))",
      "b = s3.upload_part(Bucket='retry', Key='k', UploadId=u, PartNumber=2, Body=b'b')",
      "parts = {'Parts': [{'PartNumber': 1, 'ETag': a['ETag']}, {'PartNumber': 2, 'ETag': b['ETag']}]}",
      "first = s3.complete_multipart_upload(Bucket='retry', Key='k', UploadId=u, MultipartUpload=parts)",
      "again = s3.complete_multipart_upload(Bucket='retry', Key='k', UploadId=u, MultipartUpload=parts)",
      "assert again['ETag'] == first['ETag'] and first['ETag'].endswith('-2\"'), (first, again)",
      "c = code(lambda: s3.complete_multipart_upload(Bucket='retry', Key='k', UploadId=u, MultipartUpload={'Parts': parts['Parts'][:1]}))",
      "assert c[:2] == ('NoSuchUpload', 404), c",
    ]);
  });

  it('item 2: a part uploaded twice keeps the one that finished last, whatever order they started in', async () => {
    await runPy(["s3.create_bucket(Bucket='twice')"]);
    const ca = readFileSync(caFile(tc)!);
    const url = new URL(tc.cluster.endpoint);
    const creds = { ...tc.cluster.credentials, region: tc.cluster.region };
    const call = (method: string, target: string, body: Buffer, onBody?: (req: ReturnType<typeof httpsRequest>) => void) => {
      const s = signV4(url.host, { method, target, payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(body.length) } }, creds);
      const req = httpsRequest({ host: url.hostname, port: url.port, method, path: target, headers: s.headers, ca });
      const done = new Promise<{ status: number; etag: string; text: string }>((resolve, reject) => {
        req.on('response', (res) => {
          const c: Buffer[] = [];
          res.on('data', (d: Buffer) => c.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? ''), text: Buffer.concat(c).toString() }));
        });
        req.on('error', reject);
      });
      if (onBody) onBody(req);
      else req.end(body);
      return done;
    };
    for (const firstFinishesLast of [true, false]) {
      const created = await call('POST', '/twice/k?uploads', Buffer.alloc(0));
      const id = /<UploadId>([^<]+)</.exec(created.text)![1]!;
      const target = `/twice/k?partNumber=1&uploadId=${id}`;
      const one = randomBytes(256 * 1024);
      const two = randomBytes(256 * 1024);
      let endOne!: () => void;
      let endTwo!: () => void;
      const p1 = call('PUT', target, one, (req) => { req.write(one.subarray(0, 1000)); endOne = () => req.end(one.subarray(1000)); });
      await new Promise((r) => setTimeout(r, 200));
      const p2 = call('PUT', target, two, (req) => { req.write(two.subarray(0, 1000)); endTwo = () => req.end(two.subarray(1000)); });
      await new Promise((r) => setTimeout(r, 200));
      const [early, late] = firstFinishesLast ? [[endTwo, p2], [endOne, p1]] as const : [[endOne, p1], [endTwo, p2]] as const;
      early[0]();
      const e = await early[1];
      late[0]();
      const l = await late[1];
      assert.equal(e.status, 200, e.text);
      assert.equal(l.status, 200, l.text);
      const xml = (etag: string) => Buffer.from(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`);
      const refused = await call('POST', `/twice/k?uploadId=${id}`, xml(e.etag));
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.text, /<Code>InvalidPart<\/Code>/);
      const done = await call('POST', `/twice/k?uploadId=${id}`, xml(l.etag));
      assert.equal(done.status, 200, done.text);
    }
  });

  it('items 4-10: 304 and 412, CreateBucket again, Content-Encoding, encoded listings, Expect, checksums and presigned expiry, unset sub-resources', async () => {
    await runPy([
      'import time, urllib.request, urllib.error, ssl, hashlib, base64',
      "s3.create_bucket(Bucket='details')",
      // item 5: us-east-1 answers 200 to creating an owned bucket again.
      "s3.create_bucket(Bucket='details')",
      "s3.put_object(Bucket='details', Key='obj', Body=b'hello', ContentEncoding='deflate, gzip')",
      "h = s3.head_object(Bucket='details', Key='obj')",
      // item 6: botocore sent aws-chunked (HTTPS, checksum trailer); the rest is kept as sent.
      "assert h['ContentEncoding'] == 'deflate, gzip', h['ContentEncoding']",
      // item 4
      "c = code(lambda: s3.head_object(Bucket='details', Key='obj', IfNoneMatch=h['ETag']))",
      "assert c[1] == 304 and c[2].get('etag') == h['ETag'] and c[2].get('last-modified'), c",
      "c = code(lambda: s3.get_object(Bucket='details', Key='obj', IfMatch='\"0000\"'))",
      "assert c[:2] == ('PreconditionFailed', 412), c",
      // item 7: boto3 sends encoding-type=url and decodes what comes back.
      "s3.put_object(Bucket='details', Key='\\n/a+b c', Body=b'x')",
      "r = s3.list_objects(Bucket='details', Prefix='\\n', Delimiter='/')",
      "assert r['Prefix'] == '\\n' and [p['Prefix'] for p in r['CommonPrefixes']] == ['\\n/'], r",
      "r = s3.list_objects_v2(Bucket='details', Prefix='\\n/', StartAfter='\\n/', ContinuationToken='')",
      "assert [o['Key'] for o in r['Contents']] == ['\\n/a+b c'] and r['Prefix'] == '\\n/', r",
      // item 8: an Expect other than 100-continue is ignored.
      "def expect(request, **kw): request.headers['Expect'] = 'something-else'",
      "s3.meta.events.register('before-sign.s3.GetObject', expect)",
      "assert s3.get_object(Bucket='details', Key='obj')['Body'].read() == b'hello'",
      "s3.meta.events.unregister('before-sign.s3.GetObject', expect)",
      // item 9: a checksum mismatch is BadDigest; a SHA-256 multipart completes with its composite; an expired URL is AccessDenied.
      "c = code(lambda: s3.put_object(Bucket='details', Key='bad', Body=b'abc', ChecksumSHA256=base64.b64encode(hashlib.sha256(b'abd').digest()).decode()))",
      "assert c[:2] == ('BadDigest', 400), c",
      "u = s3.create_multipart_upload(Bucket='details', Key='sha', ChecksumAlgorithm='SHA256')['UploadId']",
      "p = s3.upload_part(Bucket='details', Key='sha', UploadId=u, PartNumber=1, Body=b'part', ChecksumAlgorithm='SHA256')",
      "composite = base64.b64encode(hashlib.sha256(base64.b64decode(p['ChecksumSHA256'])).digest()).decode() + '-1'",
      "done = s3.complete_multipart_upload(Bucket='details', Key='sha', UploadId=u, ChecksumSHA256=composite,",
      "  MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag'], 'ChecksumSHA256': p['ChecksumSHA256']}]})",
      "assert done['ChecksumSHA256'] == composite, done",
      "url = s3.generate_presigned_url('get_object', Params={'Bucket': 'details', 'Key': 'obj'}, ExpiresIn=1)",
      'time.sleep(2.5)',
      "ctx = ssl.create_default_context(cafile=os.environ.get('PS_CA'))",
      'try:',
      '    urllib.request.urlopen(url, context=ctx)',
      "    raise AssertionError('expired URL served')",
      'except urllib.error.HTTPError as e:',
      "    assert e.code == 403 and b'<Code>AccessDenied</Code>' in e.read(), e.code",
      // item 9: PostObject's checksum form fields are verified and kept.
      'def post(value, data):',
      "    p = s3.generate_presigned_post('details', 'posted', Fields={'x-amz-checksum-sha256': value}, Conditions=[{'x-amz-checksum-sha256': value}])",
      "    b = '----ps' + os.urandom(8).hex()",
      "    parts = [f'--{b}\\r\\nContent-Disposition: form-data; name=\"{k}\"\\r\\n\\r\\n{v}\\r\\n'.encode() for k, v in p['fields'].items()]",
      "    body = b''.join(parts) + f'--{b}\\r\\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\\r\\n\\r\\n'.encode() + data + f'\\r\\n--{b}--\\r\\n'.encode()",
      "    req = urllib.request.Request(p['url'], data=body, method='POST', headers={'Content-Type': f'multipart/form-data; boundary={b}'})",
      '    try:',
      '        return urllib.request.urlopen(req, context=ctx).status, b""',
      '    except urllib.error.HTTPError as e:',
      '        return e.code, e.read()',
      "good = base64.b64encode(hashlib.sha256(b'form').digest()).decode()",
      "st, txt = post(good, b'formx')",
      "assert st == 400 and b'<Code>BadDigest</Code>' in txt, (st, txt)",
      "st, txt = post(good, b'form')",
      "assert st == 204, (st, txt)",
      "assert s3.head_object(Bucket='details', Key='posted', ChecksumMode='ENABLED')['ChecksumSHA256'] == good",
      // item 10
      "for f, want in [(s3.get_bucket_policy, 'NoSuchBucketPolicy'), (s3.get_bucket_cors, 'NoSuchCORSConfiguration'),",
      "    (s3.get_bucket_tagging, 'NoSuchTagSet'), (s3.get_bucket_lifecycle_configuration, 'NoSuchLifecycleConfiguration'),",
      "    (s3.get_bucket_encryption, 'ServerSideEncryptionConfigurationNotFoundError'), (s3.get_bucket_website, 'NoSuchWebsiteConfiguration'),",
      "    (s3.get_public_access_block, 'NoSuchPublicAccessBlockConfiguration'), (s3.get_bucket_ownership_controls, 'OwnershipControlsNotFoundError'),",
      "    (s3.get_object_lock_configuration, 'ObjectLockConfigurationNotFoundError'), (s3.get_bucket_replication, 'ReplicationConfigurationNotFoundError')]:",
      "    c = code(lambda: f(Bucket='details'))",
      '    assert c[:2] == (want, 404), (want, c)',
      "assert s3.get_object_tagging(Bucket='details', Key='obj')['TagSet'] == []",
      "assert 'LoggingEnabled' not in s3.get_bucket_logging(Bucket='details')",
      "assert s3.get_bucket_request_payment(Bucket='details')['Payer'] == 'BucketOwner'",
    ]);
  });
});
