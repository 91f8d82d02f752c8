// openBody(): real client bodies verify; every failing check throws before
// the stream reports done; abandoned bodies leave no work behind.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { type IncomingMessage, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { authenticate } from '../auth/authenticate.js';
import { StaticCredentialStore } from '../auth/credentials.js';
import type { AuthResult, PayloadMode } from '../auth/types.js';
import { type Fixture, fixtureContext, fixtureRequest, loadFixtures, nodeHeaders } from '../auth/testing/fixtures.js';
import { rejectsS3, throwsS3 } from '../auth/testing/assert-s3.js';
import { S3Error } from '../errors.js';
import { checksumBase64 } from './checksums.js';
import { DigestPool } from './digest-worker.js';
import { buildChunked, pieces } from './testing/chunked-builder.js';
import { type BodySource, openBody } from './verified-body.js';

const pool = new DigestPool({ size: 1 });
after(() => pool.close());
const MAX = 64 * 1024 * 1024;

function source(body: Buffer, headers: Record<string, string>, sizes?: number[]): BodySource {
  const gen = pieces(body, sizes);
  return { headers, [Symbol.asyncIterator]: () => gen };
}

/** Reads the stream by hand: asserts that no next() reports done before a throw. */
async function drain(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const it = stream[Symbol.asyncIterator]();
  const out: Buffer[] = [];
  for (;;) {
    const r = await it.next(); // a failing check must throw here, never return done first
    if (r.done) return Buffer.concat(out);
    out.push(r.value);
  }
}

const unsigned: PayloadMode = { kind: 'unsigned' };
const auth = (payload: PayloadMode): Pick<AuthResult, 'payload'> => ({ payload });

describe('openBody: real client requests', () => {
  const withBodies = loadFixtures().filter((f) => f.verified.signatureValid && f.body !== undefined && f.body.length > 0);

  function open(f: Fixture, body = f.body ?? Buffer.alloc(0), headers = nodeHeaders(f.headerPairs) as Record<string, string>) {
    const a = authenticate(fixtureRequest(f), fixtureContext(f.target));
    return openBody(source(body, headers, [5, 3, 1000]), a, { maxBytes: MAX, digester: pool });
  }

  for (const f of withBodies) {
    it(`verifies ${f.id}`, async () => {
      const b = open(f);
      const payload = await drain(b.stream);
      const r = b.result();
      assert.equal(r.size, payload.length);
      assert.equal(r.md5Hex, createHash('md5').update(payload).digest('hex'));
      const chunked = f.verified.awsChunked;
      if (chunked) assert.equal(payload.length, chunked.decodedLength);
      else assert.deepEqual(payload, f.body);
      for (const [where, verdict] of Object.entries(f.verified.checksums ?? {})) {
        assert.equal(verdict, 'ok');
        const alg = where.split(':')[1]?.toUpperCase();
        if (alg && alg !== 'MD5') assert.equal(r.checksums[alg as 'CRC32'], checksumBase64(alg as 'CRC32', payload), where);
      }
    });
  }

  it('SDK v3 presigned PUT: the CRC32 of an empty body in the query is not enforced', async () => {
    const f = withBodies.find((x) => x.id === 'sdkv3/presign-PUT#1') ?? assert.fail();
    const b = open(f);
    assert.equal((await drain(b.stream)).length, 10);
    assert.deepEqual(b.result().checksums, {});
  });

  it('a changed byte of a plain body → XAmzContentSHA256Mismatch from the last iteration', async () => {
    const f = withBodies.find((x) => x.id === 's3cmd/http/PutObject#1') ?? assert.fail();
    const body = Buffer.from(f.body ?? '');
    body[0] = (body[0] ?? 0) ^ 1;
    const b = open(f, body);
    await rejectsS3(drain(b.stream), 'XAmzContentSHA256Mismatch');
    assert.throws(() => b.result(), /not fully read/);
  });

  it('a changed byte with Content-MD5 (rclone, UNSIGNED-PAYLOAD) → BadDigest', async () => {
    const f = withBodies.find((x) => x.id === 'rclone/http/PutObject#3') ?? assert.fail();
    const body = Buffer.from(f.body ?? '');
    body[3] = (body[3] ?? 0) ^ 1;
    await rejectsS3(drain(open(f, body).stream), 'BadDigest', /Content-MD5/);
  });

  it('a bad trailer checksum (botocore https) → BadDigest "The CRC32 you specified did not match the calculated checksum."', async () => {
    const f = withBodies.find((x) => x.id === 'awscli/https/PutObject-aws-chunked-unsigned-trailer#1') ?? assert.fail();
    const body = Buffer.from((f.body ?? Buffer.alloc(0)).toString('latin1').replace('rwg7LQ==', 'rwg7LA=='), 'latin1');
    await rejectsS3(drain(open(f, body).stream), 'BadDigest', /^The CRC32 you specified did not match the calculated checksum\.$/);
    const malformed = Buffer.from((f.body ?? Buffer.alloc(0)).toString('latin1').replace('rwg7LQ==', 'rwg7LQ'), 'latin1');
    await rejectsS3(drain(open(f, malformed).stream), 'InvalidRequest', /trailing header is invalid/);
  });

  it('a bad CRC64NVME trailer (SDK v3) → BadDigest', async () => {
    const f = withBodies.find((x) => x.id === 'sdkv3/http/PutObject-stream-CRC64NVME#1') ?? assert.fail();
    const body = Buffer.from((f.body ?? Buffer.alloc(0)).toString('latin1').replace('hello', 'jello'), 'latin1');
    await rejectsS3(drain(open(f, body).stream), 'BadDigest', /CRC64NVME/);
  });

  it('a corrupted signed chunk (minio-go) → SignatureDoesNotMatch before any byte is yielded', async () => {
    const f = withBodies.find((x) => x.id === 'restic/http/init-signed-chunks#6') ?? assert.fail();
    const body = Buffer.from(f.body ?? '');
    body[300] = (body[300] ?? 0) ^ 1;
    const it = open(f, body).stream[Symbol.asyncIterator]();
    await rejectsS3(it.next(), 'SignatureDoesNotMatch');
  });

  it('a truncated aws-chunked body → IncompleteBody', async () => {
    const f = withBodies.find((x) => x.id === 'sdkv3/http/PutObject-stream-aws-chunked-unsigned-trailer#1') ?? assert.fail();
    await rejectsS3(drain(open(f, (f.body ?? Buffer.alloc(0)).subarray(0, 20)).stream), 'IncompleteBody');
    const minio = withBodies.find((x) => x.id === 'restic/http/init-signed-chunks#7') ?? assert.fail();
    // Content-Length promises 328 bytes; the client stops after 300.
    await rejectsS3(drain(open(minio, (minio.body ?? Buffer.alloc(0)).subarray(0, 300)).stream), 'IncompleteBody');
  });
});

describe('authenticate + openBody: AWS signed-streaming example end to end', () => {
  it('PUT /examplebucket/chunkObject.txt: seed signature, chunk signatures, 66560 bytes of "a"', async () => {
    const creds = new StaticCredentialStore([{ accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', user: 'doc' }]);
    const headers = {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
    };
    const a = authenticate({ method: 'PUT', rawUrl: '/examplebucket/chunkObject.txt', headers }, { creds, region: 'us-east-1', now: () => Date.UTC(2013, 4, 24) });
    const data = Buffer.alloc(66560, 'a');
    const body = Buffer.concat([
      Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'), data.subarray(0, 65536), Buffer.from('\r\n'),
      Buffer.from('400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'), data.subarray(65536), Buffer.from('\r\n'),
      Buffer.from('0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n'),
    ]);
    const b = openBody(source(body, headers, [1460]), a, { maxBytes: MAX, digester: pool });
    assert.equal(b.declaredSize, 66560, 'the decoded length, not the framed Content-Length');
    assert.deepEqual(await drain(b.stream), data);
    assert.equal(b.result().size, 66560);
  });
});

describe('openBody: the declared size (a hint for the stripe buffer)', () => {
  it('is Content-Length for a plain body, and absent when the request has none', () => {
    const plain = openBody(source(Buffer.from('hello'), { 'content-length': '5' }), auth(unsigned), { maxBytes: MAX, digester: pool });
    assert.equal(plain.declaredSize, 5);
    const unknown = openBody(source(Buffer.from('hello'), {}), auth(unsigned), { maxBytes: MAX, digester: pool });
    assert.equal(unknown.declaredSize, undefined);
  });
});

describe('openBody: header checks fail at once', () => {
  const open = (h: Record<string, string>, payload: PayloadMode = unsigned, maxBytes = MAX) =>
    openBody(source(Buffer.from('hello world\n'), h), auth(payload), { maxBytes, digester: pool });

  it('malformed Content-MD5 → InvalidDigest', () => {
    throwsS3(() => open({ 'content-md5': 'not-base64!' }), 'InvalidDigest');
    throwsS3(() => open({ 'content-md5': Buffer.alloc(15).toString('base64') }), 'InvalidDigest');
  });

  it('two checksums, an unknown algorithm, a mismatched algorithm, a bad value → InvalidRequest', () => {
    throwsS3(() => open({ 'x-amz-checksum-crc32': 'rwg7LQ==', 'x-amz-checksum-crc32c': '8P9ykg==' }), 'InvalidRequest', /single/);
    throwsS3(() => open({ 'x-amz-sdk-checksum-algorithm': 'CRC16' }), 'InvalidRequest', /unsupported/);
    throwsS3(() => open({ 'x-amz-checksum-xxhash64': 'AAAAAAAAAAA=' }), 'InvalidRequest', /unsupported/);
    throwsS3(() => open({ 'x-amz-checksum-crc32': 'rwg7LQ==', 'x-amz-sdk-checksum-algorithm': 'SHA1' }), 'InvalidRequest', /x-amz-sdk-checksum-algorithm/);
    throwsS3(() => open({ 'x-amz-checksum-crc32': 'rwg7LQ' }), 'InvalidRequest', /invalid/);
  });

  it('x-amz-trailer without trailer framing, aws-chunked encoding without STREAMING token → InvalidRequest', () => {
    throwsS3(() => open({ 'x-amz-trailer': 'x-amz-checksum-crc32' }), 'InvalidRequest');
    throwsS3(() => open({ 'content-encoding': 'aws-chunked' }), 'InvalidRequest');
    throwsS3(() => open({ 'x-amz-trailer': 'x-amz-meta-a' }, { kind: 'streaming-unsigned-trailer' }), 'InvalidRequest', /not supported/);
    throwsS3(() => open({ 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-checksum-crc32': 'rwg7LQ==' }, { kind: 'streaming-unsigned-trailer' }), 'InvalidRequest', /single/);
  });

  it('announced size over maxBytes → EntityTooLarge (Content-Length, x-amz-decoded-content-length)', () => {
    throwsS3(() => open({ 'content-length': '13' }, unsigned, 12), 'EntityTooLarge');
    throwsS3(() => open({ 'x-amz-decoded-content-length': '100' }, { kind: 'streaming-unsigned-trailer' }, 99), 'EntityTooLarge');
    assert.ok(open({ 'content-length': '12' }, unsigned, 12));
  });

  it('query-string checksums are never read (only headers are)', () => {
    assert.ok(open({}));
  });
});

describe('openBody: stream-level checks', () => {
  it('unknown-length body over maxBytes → EntityTooLarge while streaming', async () => {
    const b = openBody(source(randomBytes(5000), {}, [1000]), auth(unsigned), { maxBytes: 4096, digester: pool });
    await rejectsS3(drain(b.stream), 'EntityTooLarge');
  });

  it('x-amz-checksum-sha1 / -sha256 headers (worker-computed) verify and mismatch → BadDigest', async () => {
    const data = Buffer.from('hello world\n');
    for (const [alg, value] of [['SHA1', 'IlljY7PeQLBvmB+4XYIxLowO1RE='], ['SHA256', 'qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc=']] as const) {
      const h = { [`x-amz-checksum-${alg.toLowerCase()}`]: value };
      const ok = openBody(source(data, h), auth(unsigned), { maxBytes: MAX, digester: pool });
      await drain(ok.stream);
      assert.equal(ok.result().checksums[alg], value);
      const bad = openBody(source(Buffer.from('hello world!'), h), auth(unsigned), { maxBytes: MAX, digester: pool });
      await rejectsS3(drain(bad.stream), 'BadDigest', new RegExp(`^The ${alg} you specified`));
    }
  });

  it('x-amz-sdk-checksum-algorithm alone: the checksum is computed and reported', async () => {
    const b = openBody(source(Buffer.from('hello world\n'), { 'x-amz-sdk-checksum-algorithm': 'crc32c' }), auth(unsigned), { maxBytes: MAX, digester: pool });
    await drain(b.stream);
    assert.deepEqual(b.result().checksums, { CRC32C: '8P9ykg==' });
  });

  it('large unsigned-trailer body through the worker: 3 MiB in uneven pieces', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    const crc = checksumBase64('CRC32', data);
    const body = buildChunked(data, { chunkSizes: [1 << 20, 1 << 20], trailer: ['x-amz-checksum-crc32', crc] });
    const h = { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': String(data.length), 'x-amz-sdk-checksum-algorithm': 'CRC32' };
    const b = openBody(source(body, h, [65536, 1000, 7]), auth({ kind: 'streaming-unsigned-trailer' }), { maxBytes: MAX, digester: pool });
    const out = await drain(b.stream);
    assert.deepEqual(out, data);
    assert.equal(b.result().md5Hex, createHash('md5').update(data).digest('hex'));
    assert.deepEqual(b.result().checksums, { CRC32: crc });
  });

  it('a source error (client gone) → IncompleteBody; an S3Error from the source passes through', async () => {
    async function* dies(err: Error) {
      yield Buffer.from('abc');
      throw err;
    }
    const a = openBody({ headers: {}, [Symbol.asyncIterator]: () => dies(new Error('aborted')) }, auth(unsigned), { maxBytes: MAX, digester: pool });
    await rejectsS3(drain(a.stream), 'IncompleteBody');
    const b = openBody({ headers: {}, [Symbol.asyncIterator]: () => dies(new S3Error('RequestTimeout')) }, auth(unsigned), { maxBytes: MAX, digester: pool });
    await rejectsS3(drain(b.stream), 'RequestTimeout');
  });

  it('a consumer that stops early cancels the digest job; a body never iterated starts none', async () => {
    const before = pool.activeJobs;
    const b = openBody(source(randomBytes(1 << 20), {}, [65536]), auth(unsigned), { maxBytes: MAX, digester: pool });
    assert.equal(pool.activeJobs, before);
    for await (const c of b.stream) {
      assert.ok(c.length > 0);
      assert.equal(pool.activeJobs, before + 1);
      break;
    }
    assert.equal(pool.activeJobs, before);
    assert.throws(() => b.result());
  });
});

describe('openBody over real HTTP', () => {
  /** Starts a server whose handler reads the body with openBody and answers 200 or the S3 error status. */
  async function server(payload: PayloadMode, seen: (e: unknown) => void) {
    const s = createServer((req: IncomingMessage, res) => {
      void (async () => {
        try {
          const b = openBody(req, auth(payload), { maxBytes: MAX, digester: pool });
          for await (const _ of b.stream) { /* store */ }
          res.end(b.result().md5Hex);
        } catch (e) {
          seen(e);
          // The request was left undestroyed: drain what the client still sends, then answer.
          req.resume();
          res.writeHead(e instanceof S3Error ? e.status : 500).end(e instanceof S3Error ? e.code : 'InternalError');
        }
      })();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { port: (s.address() as AddressInfo).port, close: () => new Promise<void>((r) => s.close(() => r())) };
  }

  it('a client that disconnects before Content-Length bytes → IncompleteBody', async () => {
    let report: (e: unknown) => void = () => undefined;
    const seen = new Promise<unknown>((resolve) => (report = resolve));
    const srv = await server(unsigned, (e) => report(e));
    const req = request({ port: srv.port, method: 'PUT', path: '/b/k', headers: { 'content-length': '100000' } });
    req.on('error', () => undefined);
    req.write(randomBytes(1000));
    setTimeout(() => req.destroy(), 50);
    const e = await seen;
    await srv.close();
    assert.ok(e instanceof S3Error && e.code === 'IncompleteBody', String(e));
  });

  it('a body that fails mid-stream still gets its error response (socket not destroyed)', async () => {
    const seen: unknown[] = [];
    const payload: PayloadMode = {
      kind: 'streaming-signed',
      trailer: false,
      seedSignature: 'f'.repeat(64),
      signingKey: Buffer.alloc(32, 1),
      scope: '20261125/us-east-1/s3/aws4_request',
      amzDate: '20261125T191100Z',
    };
    const srv = await server(payload, (e) => seen.push(e));
    const body = buildChunked(randomBytes(200_000), { chunkSizes: [65536, 65536], signing: { ...payload, signingKey: Buffer.alloc(32, 2) } });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ port: srv.port, method: 'PUT', path: '/b/k', headers: { 'content-length': String(body.length) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    await srv.close();
    assert.equal(status, 403);
    assert.ok(seen[0] instanceof S3Error && seen[0].code === 'SignatureDoesNotMatch');
    assert.equal(seen.length, 1);
  });
});
