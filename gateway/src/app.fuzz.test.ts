// App-level property-based tests: the real HTTP app (assembleApp, as the
// gateway builds it) over a simulated cluster, driven with raw requests
// over TCP (integration/harness/raw.ts), so that targets and headers no
// SDK would send reach the edge. Properties:
//  - random method / target / query / header / body combinations, unsigned
//    or wrongly signed: never a 5xx (NotImplemented aside), every answer
//    carries x-amz-request-id, and afterwards no object, upload or bucket
//    has appeared or changed;
//  - correctly signed requests whose XML bodies (DeleteObjects,
//    CompleteMultipartUpload, Put*Acl, CreateBucket) are mutated: never a
//    5xx, always a request id.

import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Creds, type RawResponse, sendRaw, signV4 } from '../../integration/harness/raw.js';
import { testApp } from './testing/test-app.js';
import { simCluster } from './protocol/testing/sim-cluster.js';
import { runs } from './s3/testing/fuzz.js';

const HOST = 'gateway.test';
const creds: Creds = { accessKey: 'fuzz-key', secretKey: 'fuzz-secret-0123456789', region: 'us-east-1' };
const BUCKET = 'fuzzb';
const XBUCKET = 'fuzzx';
const SEEN = Buffer.from('the only object');

let server: Server;
let port = 0;
let close: () => Promise<void>;
let uploadId = '';

function raw(method: string, target: string, headers: Record<string, string>, body = Buffer.alloc(0)): Promise<RawResponse | null> {
  return sendRaw(port, method, target, { ...headers, 'content-length': String(body.length) }, body, { timeoutMs: 20_000 });
}

function signed(method: string, target: string, body = Buffer.alloc(0), headers: Record<string, string> = {}): Promise<RawResponse | null> {
  const s = signV4(HOST, { method, target, headers, body }, creds);
  return raw(method, target, s.headers, body);
}

async function ok(p: Promise<RawResponse | null>): Promise<RawResponse> {
  const r = await p;
  assert.ok(r && r.status < 300, `setup request failed: ${r?.status} ${r?.body}`);
  return r;
}

before(async () => {
  const cluster = simCluster(1);
  const built = testApp(cluster.gateway({ blockSize: 4096 }), [{ accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'fuzzer' }]);
  close = built.close;
  server = createServer({ maxHeaderSize: 16 * 1024 }, built.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  await ok(signed('PUT', `/${BUCKET}`));
  await ok(signed('PUT', `/${BUCKET}/seen.txt`, SEEN));
  await ok(signed('PUT', `/${XBUCKET}`));
  await ok(signed('PUT', `/${XBUCKET}/obj`, Buffer.from('x')));
  const mpu = await ok(signed('POST', `/${XBUCKET}/mp?uploads`));
  uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(mpu.body)?.[1] ?? assert.fail('no upload id');
  await ok(signed('PUT', `/${XBUCKET}/mp?partNumber=1&uploadId=${uploadId}`, Buffer.from('part one')));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await close();
});

/** The outcome rule of every fuzzed answer. */
function checkAnswer(r: RawResponse | null, what: string): void {
  assert.ok(r, `no answer to ${what}`);
  const code = /<Code>([^<]+)<\/Code>/.exec(r.body)?.[1];
  assert.ok(r.status < 500 || (r.status === 501 && (code === 'NotImplemented' || code === undefined)), `${r.status} ${code ?? ''} for ${what}: ${r.body.slice(0, 300)}`);
  assert.ok(r.headers['x-amz-request-id'], `no x-amz-request-id on ${r.status} for ${what}`);
}

const AMZ_NOW = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const TARGET_UNITS = fc.constantFrom(
  BUCKET, XBUCKET, 'seen.txt', 'new.txt', 'mp', '/', '//', '?', '&', '=', '%2F', '%00', '%C3%BC', '%FF', '%', '#', '..', '+', ';',
  'uploads', `uploadId=`, 'partNumber=1', 'delete', 'acl', 'versioning', 'location', 'list-type=2', 'prefix=', 'versionId=null', 'tagging', 'attributes',
  'X-Amz-Algorithm=AWS4-HMAC-SHA256', `X-Amz-Credential=${creds.accessKey}%2F20261125%2Fus-east-1%2Fs3%2Faws4_request`, 'X-Amz-Date=20261125T191100Z',
  'X-Amz-Expires=3600', 'X-Amz-SignedHeaders=host', 'X-Amz-Signature=00', `AWSAccessKeyId=${creds.accessKey}`, 'Signature=abc%3D', 'Expires=9999999999',
  'response-content-type=text%2Fplain',
);
const target = fc.oneof(
  fc.string({ maxLength: 16, unit: TARGET_UNITS }).map((s) => `/${s}`),
  fc.constantFrom(`/${BUCKET}`, `/${BUCKET}/seen.txt`, `/${BUCKET}/new.txt`, `/${BUCKET}?delete`, `/${BUCKET}/new.txt?uploads`, `/${BUCKET}/seen.txt?acl`, '/'),
);
// Printable ASCII only: Node's HTTP parser refuses anything else before the app sees it.
const headerValue = fc.string({ maxLength: 40, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const authValue = fc.oneof(
  headerValue,
  headerValue.map((s) => `AWS4-HMAC-SHA256 ${s}`),
  fc.constant(`AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${AMZ_NOW().slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`),
  fc.constant(`AWS ${creds.accessKey}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=`),
  fc.constant('AWS4-ECDSA-P256-SHA256 Credential=x'),
);
const headersArb = fc.record({
  authorization: authValue,
  'x-amz-date': fc.oneof(fc.constant('now'), headerValue),
  'x-amz-content-sha256': fc.oneof(fc.constantFrom('UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'), headerValue),
  'content-type': fc.constantFrom('multipart/form-data; boundary=XyZ', 'application/xml', 'text/plain', 'multipart/form-data'),
  range: fc.constantFrom('bytes=0-1', 'bytes=-5', 'bytes=9-', 'bytes=x'),
  'if-match': fc.constantFrom('*', '"x"'),
  'x-amz-copy-source': fc.constantFrom(`/${BUCKET}/seen.txt`, `${BUCKET}/seen.txt`, '/nope/x', '%'),
  'x-amz-acl': fc.constantFrom('private', 'public-read'),
  'content-md5': headerValue,
  'x-amz-decoded-content-length': fc.constantFrom('0', '5', '-1', 'x'),
  'content-encoding': fc.constantFrom('aws-chunked', 'gzip'),
  'x-amz-meta-a': headerValue,
  date: fc.constant(new Date().toUTCString()),
  'x-amz-trailer': fc.constantFrom('x-amz-checksum-crc32', 'x-amz-foo'),
}, { requiredKeys: [] }).map((h) => (h['x-amz-date'] === 'now' ? { ...h, 'x-amz-date': AMZ_NOW() } : h));

const FORM = (fields: string) => Buffer.from(`--XyZ\r\n${fields}Content-Disposition: form-data; name="file"; filename="f"\r\n\r\nform file\r\n--XyZ--\r\n`);
const bodyArb = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.constantFrom(
    FORM('Content-Disposition: form-data; name="key"\r\n\r\nposted.txt\r\n--XyZ\r\n'),
    FORM(`Content-Disposition: form-data; name="key"\r\n\r\nposted.txt\r\n--XyZ\r\nContent-Disposition: form-data; name="AWSAccessKeyId"\r\n\r\n${creds.accessKey}\r\n--XyZ\r\nContent-Disposition: form-data; name="policy"\r\n\r\neyJleHBpcmF0aW9uIjogIjIwOTktMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbXX0=\r\n--XyZ\r\nContent-Disposition: form-data; name="signature"\r\n\r\nAAAA\r\n--XyZ\r\n`),
    Buffer.from(`<Delete><Object><Key>seen.txt</Key></Object></Delete>`),
    Buffer.from('5\r\nhello\r\n0\r\n\r\n'),
  ),
);

/** Everything a caller can see of the fuzzed bucket, read with valid credentials. */
async function visible(): Promise<string> {
  const list = await ok(signed('GET', `/${BUCKET}?list-type=2`));
  const keys = [...list.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
  const uploads = await ok(signed('GET', `/${BUCKET}?uploads`));
  const buckets = await ok(signed('GET', '/'));
  const seen = await ok(signed('GET', `/${BUCKET}/seen.txt`));
  return JSON.stringify({
    keys, uploads: [...uploads.body.matchAll(/<UploadId>/g)].length,
    buckets: [...buckets.body.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]).sort(), seen: seen.body,
  });
}

describe('the S3 app under random requests (fuzz)', () => {
  it('unsigned or wrongly signed requests: no 5xx, a request id on every answer, nothing becomes visible', async () => {
    const before = await visible();
    assert.equal(before, JSON.stringify({ keys: ['seen.txt'], uploads: 0, buckets: [BUCKET, XBUCKET], seen: SEEN.toString() }));
    await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), target, headersArb, bodyArb, async (m, t, h, b) => {
      checkAnswer(await raw(m, t, { host: HOST, ...h }, b), `${m} ${t} ${JSON.stringify(h)}`);
    }), { numRuns: runs(400) });
    assert.equal(await visible(), before, 'an unauthenticated request changed what is visible');
  });

  it('signed requests with random query parameters and headers: no 5xx, a request id on every answer', async () => {
    const text = fc.oneof(
      fc.constantFrom('', '0', '1', '-1', '1000', '10001', '99999999999999999999', 'x', 'a/b', 'null', 'true', 'obj', 'mp', 'url', 'ü', '%'),
      fc.string({ maxLength: 12, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
    );
    // response-* values include what cannot be a header (CR, LF, NUL, DEL, beyond Latin-1): 400, never 500.
    const safe = fc.string({ maxLength: 12, unit: fc.constantFrom(...'abc/;= -_.\r\n\u0000\u007f€ü日'.split('')) });
    const param = fc.oneof(
      fc.tuple(fc.constantFrom('list-type', 'max-keys', 'prefix', 'delimiter', 'continuation-token', 'start-after', 'marker', 'encoding-type', 'partNumber', 'versionId',
        'part-number-marker', 'max-parts', 'max-uploads', 'key-marker', 'upload-id-marker', 'fetch-owner', 'uploadId'), text),
      fc.tuple(fc.constantFrom('response-content-type', 'response-content-disposition', 'response-cache-control'), safe),
      fc.tuple(fc.constantFrom('uploadId'), fc.constant('REAL')),
      fc.tuple(fc.constantFrom('attributes', 'acl', 'uploads', 'versions', 'location', 'versioning', 'delete'), fc.constant(undefined)),
    );
    const headers = fc.dictionary(fc.constantFrom(
      'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'x-amz-copy-source', 'x-amz-copy-source-range',
      'x-amz-metadata-directive', 'x-amz-meta-a', 'content-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-crc32', 'x-amz-checksum-sha256',
      'x-amz-object-attributes', 'x-amz-checksum-mode', 'x-amz-acl', 'x-amz-storage-class', 'x-amz-copy-source-if-match', 'x-amz-checksum-type',
    ), fc.oneof(text, fc.constantFrom('bytes=0-3', 'bytes=-2', `/${XBUCKET}/obj`, `${XBUCKET}/mp`, `/${BUCKET}/seen.txt?versionId=null`, 'ETag,ObjectSize,Checksum,ObjectParts', 'CRC32', 'ENABLED', 'REPLACE', 'COPY', 'Wed, 25 Nov 2026 19:11:14 GMT')), { maxKeys: 4 });
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'POST'), fc.constantFrom(`/${XBUCKET}`, `/${XBUCKET}/obj`, `/${XBUCKET}/new`, `/${XBUCKET}/mp`, '/'),
      fc.array(param, { maxLength: 4 }), headers, fc.uint8Array({ maxLength: 64 }),
      async (m, path, params, h, body) => {
        const q = params.map(([n, v]) => (v === undefined ? n : `${n}=${encodeURIComponent(v === 'REAL' ? uploadId : v)}`)).join('&');
        const t = q ? `${path}?${q}` : path;
        checkAnswer(await signed(m, t, Buffer.from(body), h), `${m} ${t} ${JSON.stringify(h)}`);
      },
    ), { numRuns: runs(500) });
  });

  it('signed requests with mutated XML bodies: no 5xx, a request id on every answer', async () => {
    const docs: [string, string, string][] = [
      ['POST', `/${XBUCKET}?delete`, '<Delete><Quiet>true</Quiet><Object><Key>obj</Key></Object><Object><Key>gone</Key><VersionId>null</VersionId></Object></Delete>'],
      ['POST', `/${XBUCKET}/mp?uploadId=${uploadId}`, '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"0"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>'],
      ['PUT', `/${XBUCKET}?acl`, '<AccessControlPolicy><Owner><ID>fuzzer</ID></Owner><AccessControlList><Grant><Grantee><ID>fuzzer</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>'],
      ['PUT', `/${XBUCKET}/obj?acl`, '<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>'],
      ['PUT', `/${XBUCKET}`, '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>'],
    ];
    const FRAGMENTS = ['<', '>', '</', '/>', '&', '&#xD800;', '&#99999999;', '<!DOCTYPE x [<!ENTITY e "e">]>', '<![CDATA[', ']]>', '<?xml version="1.0"?>', '<Part><PartNumber>0</PartNumber></Part>', '<PartNumber>99999999999999999999</PartNumber>', '<Object><Key></Key></Object>', '<a>'.repeat(40)];
    const mut = fc.record({ at: fc.nat(), del: fc.nat({ max: 12 }), ins: fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })) });
    await fc.assert(fc.asyncProperty(fc.constantFrom(...docs), fc.array(mut, { maxLength: 3 }), async ([m, t, doc], ms) => {
      const body = ms.reduce((d, x) => { const i = x.at % (d.length + 1); return d.slice(0, i) + x.ins + d.slice(i + x.del); }, doc);
      checkAnswer(await signed(m, t, Buffer.from(body)), `${m} ${t} ${body.slice(0, 200)}`);
    }), { numRuns: runs(250) });
  });
});
