// aws-chunked decoding: the real client bodies, AWS's published signed
// examples, and every way a body can be broken.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { authenticate } from '../auth/authenticate.js';
import type { ChunkSigning } from '../auth/types.js';
import { S3Error } from '../errors.js';
import { fixtureContext, fixtureRequest, loadFixtures } from '../auth/testing/fixtures.js';
import { throwsS3 } from '../auth/testing/assert-s3.js';
import { AwsChunkedParser, type AwsChunkedOptions, MAX_CHUNK_LINE } from './aws-chunked.js';
import { buildChunked, signingKey } from './testing/chunked-builder.js';

/** Feeds `body` in pieces of `step` bytes; returns the released payload. */
function decode(body: Buffer, o: AwsChunkedOptions, step = body.length || 1): { payload: Buffer; parser: AwsChunkedParser } {
  const parser = new AwsChunkedParser(o);
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += step) out.push(...parser.feed(body.subarray(at, at + step)));
  parser.end();
  return { payload: Buffer.concat(out), parser };
}

const md5b64 = (b: Buffer) => createHash('md5').update(b).digest('base64');

describe('aws-chunked: real client bodies', () => {
  const chunkedFixtures = loadFixtures().filter((f) => f.verified.awsChunked);

  it('there are five: botocore and SDK v3 unsigned+trailer, minio-go signed', () => {
    assert.equal(chunkedFixtures.length, 5);
  });

  for (const f of chunkedFixtures) {
    it(`decodes ${f.id} whole and byte by byte, chunk signatures and trailers as the capture stub found`, () => {
      const auth = authenticate(fixtureRequest(f), fixtureContext(f.target));
      const expect = f.verified.awsChunked ?? assert.fail();
      const body = f.body ?? assert.fail('body kept');
      const headers = Object.fromEntries(f.headerPairs.map(([n, v]) => [n.toLowerCase(), v]));
      const opts: AwsChunkedOptions = {
        trailer: auth.payload.kind === 'streaming-unsigned-trailer',
        declaredTrailers: headers['x-amz-trailer'] ? [headers['x-amz-trailer']] : [],
        decodedLength: Number(headers['x-amz-decoded-content-length']),
        ...(auth.payload.kind === 'streaming-signed' ? { signing: auth.payload } : {}),
      };
      assert.equal(auth.payload.kind === 'streaming-signed', expect.chunkSignaturesValid === true);
      for (const step of [body.length, 1, 7]) {
        const { payload, parser } = decode(body, opts, step);
        assert.equal(payload.length, expect.decodedLength);
        assert.deepEqual([...parser.trailers].map(([n, v]) => `${n}:${v}`), expect.trailers);
        if (headers['content-md5']) assert.equal(md5b64(payload), headers['content-md5']);
        if (expect.trailers.length === 1 && f.id.includes('unsigned')) assert.equal(payload.toString(), 'hello world\n');
      }
    });
  }

  const minio = chunkedFixtures.find((f) => f.id === 'restic/http/init-signed-chunks#6') ?? assert.fail();
  const minioAuth = authenticate(fixtureRequest(minio), fixtureContext(minio.target)).payload;
  const minioOpts: AwsChunkedOptions = { trailer: false, declaredTrailers: [], decodedLength: 439, ...(minioAuth.kind === 'streaming-signed' ? { signing: minioAuth } : {}) };
  const minioBody = minio.body ?? assert.fail();

  it('a changed chunk signature → SignatureDoesNotMatch, and no byte of that chunk is released', () => {
    const bad = Buffer.from(minioBody);
    bad[20] = bad[20] === 0x61 ? 0x62 : 0x61; // inside the first chunk-signature
    const parser = new AwsChunkedParser(minioOpts);
    const released: Buffer[] = [];
    throwsS3(() => {
      for (let at = 0; at < bad.length; at += 64) released.push(...parser.feed(bad.subarray(at, at + 64)));
    }, 'SignatureDoesNotMatch');
    assert.equal(Buffer.concat(released).length, 0);
  });

  it('a changed data byte of a signed chunk → SignatureDoesNotMatch; a changed final-chunk signature too', () => {
    const data = Buffer.from(minioBody);
    data[200] = (data[200] ?? 0) ^ 1;
    throwsS3(() => decode(data, minioOpts), 'SignatureDoesNotMatch');
    const fin = Buffer.from(minioBody);
    const at = fin.indexOf('0;chunk-signature=') + 20;
    fin[at] = fin[at] === 0x30 ? 0x31 : 0x30;
    throwsS3(() => decode(fin, minioOpts), 'SignatureDoesNotMatch');
  });

  it('every truncation of a real body → IncompleteBody', () => {
    for (const f of chunkedFixtures) {
      const auth = authenticate(fixtureRequest(f), fixtureContext(f.target)).payload;
      const body = f.body ?? assert.fail();
      const trailer = Object.fromEntries(f.headerPairs.map(([n, v]) => [n.toLowerCase(), v]))['x-amz-trailer'];
      for (let cut = 0; cut < body.length; cut++) {
        const opts: AwsChunkedOptions = {
          trailer: auth.kind === 'streaming-unsigned-trailer',
          declaredTrailers: trailer ? [trailer] : [],
          ...(auth.kind === 'streaming-signed' ? { signing: auth } : {}),
        };
        // The one tolerated ending: trailers complete, final empty line missing.
        if (trailer && cut === body.length - 2) {
          assert.equal(decode(body.subarray(0, cut), opts).parser.trailers.size, 1);
          continue;
        }
        throwsS3(() => decode(body.subarray(0, cut), opts), 'IncompleteBody', undefined);
      }
    }
  });
});

describe('aws-chunked: AWS documentation examples (66560 bytes of "a", 20130524)', () => {
  const key = signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1');
  const base = { signingKey: key, scope: '20130524/us-east-1/s3/aws4_request', amzDate: '20130524T000000Z' };
  const a = Buffer.alloc(66560, 'a');

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: the published chunk signatures verify', () => {
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'), a.subarray(0, 65536), Buffer.from('\r\n'),
      Buffer.from('400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'), a.subarray(65536), Buffer.from('\r\n'),
      Buffer.from('0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
    ]);
    assert.equal(body.length, 66824); // the example's Content-Length
    const signing = { ...base, seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9' };
    const { payload } = decode(body, { signing, trailer: false, declaredTrailers: [], decodedLength: 66560 }, 1000);
    assert.deepEqual(payload, a);
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: chunk and trailer signatures verify; a changed trailer fails', () => {
    const tail = 'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n';
    const make = (t: string) => Buffer.concat([
      Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'), a.subarray(0, 65536), Buffer.from('\r\n'),
      Buffer.from('400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'), a.subarray(65536), Buffer.from('\r\n'),
      Buffer.from('0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n'), Buffer.from(t),
    ]);
    const signing = { ...base, seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e' };
    const opts = { signing, trailer: true, declaredTrailers: ['x-amz-checksum-crc32c'], decodedLength: 66560 };
    const { payload, parser } = decode(make(tail), opts, 4096);
    assert.deepEqual(payload, a);
    assert.equal(parser.trailers.get('x-amz-checksum-crc32c'), 'sOO8/Q==');
    throwsS3(() => decode(make(tail.replace('sOO8/Q==', 'AAAAAA==')), opts), 'SignatureDoesNotMatch');
    throwsS3(() => decode(make(tail.replace(/x-amz-trailer-signature:.*\r\n/, '')), opts), 'SignatureDoesNotMatch');
  });
});

describe('aws-chunked: broken framing', () => {
  const payload = randomBytes(5000);
  const signing: ChunkSigning = {
    seedSignature: 'f'.repeat(64),
    signingKey: signingKey('secret', '20261125', 'us-east-1'),
    scope: '20261125/us-east-1/s3/aws4_request',
    amzDate: '20261125T191100Z',
  };
  const unsigned: AwsChunkedOptions = { trailer: true, declaredTrailers: ['x-amz-checksum-crc32'], decodedLength: 5000 };

  it('synthetic signed bodies with many chunks, with and without trailer, decode', () => {
    const plain = buildChunked(payload, { chunkSizes: [1, 1000, 8192 - 1001], signing });
    assert.deepEqual(decode(plain, { signing, trailer: false, declaredTrailers: [], decodedLength: 5000 }, 3).payload, payload);
    const withTrailer = buildChunked(payload, { chunkSizes: [4000], signing, trailer: ['x-amz-checksum-crc32', 'AAAAAA=='] });
    const r = decode(withTrailer, { signing, trailer: true, declaredTrailers: ['x-amz-checksum-crc32'] });
    assert.deepEqual(r.payload, payload);
    assert.equal(r.parser.trailers.get('x-amz-checksum-crc32'), 'AAAAAA==');
  });

  it('unsigned data passes through as views of the input (no copy)', () => {
    const body = buildChunked(payload, { trailer: ['x-amz-checksum-crc32', 'AAAAAA=='] });
    const parser = new AwsChunkedParser(unsigned);
    const out = parser.feed(body);
    assert.ok(out.every((p) => p.buffer === body.buffer));
    assert.deepEqual(Buffer.concat(out), payload);
  });

  it('an oversized chunk header line → InvalidRequest, whether or not it ever ends', () => {
    const long = Buffer.from(`1;${'x'.repeat(MAX_CHUNK_LINE)}\r\n`);
    throwsS3(() => new AwsChunkedParser(unsigned).feed(long), 'InvalidRequest', /too long/);
    const parser = new AwsChunkedParser(unsigned);
    throwsS3(() => {
      for (let i = 0; i < 100; i++) parser.feed(Buffer.from('0000000000'));
    }, 'InvalidRequest', /too long/);
  });

  it('an oversized trailer line, too many or unannounced trailers → InvalidRequest', () => {
    throwsS3(() => decode(buildChunked(payload, { trailer: ['x-amz-checksum-crc32', 'A'.repeat(2000)] }), unsigned), 'InvalidRequest', /too long/);
    throwsS3(() => decode(buildChunked(payload, { trailer: ['x-amz-meta-evil', 'x'] }), unsigned), 'InvalidRequest', /not announced/);
    throwsS3(() => decode(buildChunked(payload, {}), unsigned), 'InvalidRequest', /missing/);
  });

  it('signed chunk over the size cap, missing chunk-signature → InvalidRequest', () => {
    const big = buildChunked(payload, { signing });
    throwsS3(() => decode(big, { signing, trailer: false, declaredTrailers: [], maxSignedChunk: 4096 }), 'InvalidRequest', /larger/);
    const unsignedFraming = buildChunked(payload, {});
    throwsS3(() => decode(unsignedFraming, { signing, trailer: false, declaredTrailers: [] }), 'InvalidRequest', /chunk-signature/);
  });

  it('bad size line, data longer than its size, bytes after the end → InvalidRequest', () => {
    throwsS3(() => decode(Buffer.from('zz\r\n'), unsigned), 'InvalidRequest');
    throwsS3(() => decode(Buffer.from('2\r\nabc\r\n0\r\n\r\n'), { trailer: false, declaredTrailers: [] }), 'InvalidRequest', /CRLF/);
    throwsS3(() => decode(Buffer.from('3\nabc\r\n0\r\n\r\n'), { trailer: false, declaredTrailers: [] }), 'InvalidRequest', /CRLF/);
    throwsS3(() => decode(Buffer.from('3\r\nabc\r\n0\r\n\r\nmore'), { trailer: false, declaredTrailers: [] }), 'InvalidRequest', /after/);
  });

  it('decoded length different from x-amz-decoded-content-length → IncompleteBody (early when longer)', () => {
    const body = buildChunked(payload, { chunkSizes: [100], trailer: ['x-amz-checksum-crc32', 'AAAAAA=='] });
    throwsS3(() => decode(body, { ...unsigned, decodedLength: 5001 }), 'IncompleteBody', /shorter/);
    const parser = new AwsChunkedParser({ ...unsigned, decodedLength: 50 });
    throwsS3(() => parser.feed(body), 'IncompleteBody', /longer/);
    assert.equal(parser.decoded, 0);
  });

  it('errors are S3Errors with HTTP 400/403 statuses', () => {
    try {
      decode(Buffer.from('zz\r\n'), unsigned);
      assert.fail('no throw');
    } catch (e) {
      assert.ok(e instanceof S3Error);
      assert.equal(e.status, 400);
    }
  });
});
