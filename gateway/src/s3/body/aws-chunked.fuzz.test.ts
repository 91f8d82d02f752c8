// Property-based tests of the aws-chunked decoder: any bytes, split anyhow,
// give payload or a 4xx S3Error; a body built the way clients build it
// decodes to its payload in any split (round trip); a mutated signed body
// never releases a byte that differs from what was signed.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ChunkSigning } from '../auth/types.js';
import { runs, valueOrClientError } from '../testing/fuzz.js';
import { AwsChunkedParser, type AwsChunkedOptions } from './aws-chunked.js';
import { buildChunked, signingKey } from './testing/chunked-builder.js';

const signing: ChunkSigning = {
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  signingKey: signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1'),
  scope: '20130524/us-east-1/s3/aws4_request',
  amzDate: '20130524T000000Z',
};

/** Feeds `body` cut at `cuts` (positions, any order); released payload and the parser, or undefined after a client error. */
function decode(body: Buffer, o: AwsChunkedOptions, cuts: readonly number[] = []): { payload: Buffer; parser: AwsChunkedParser } | undefined {
  const parser = new AwsChunkedParser(o);
  const out: Buffer[] = [];
  const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  const ok = valueOrClientError(() => {
    for (const c of [...at, body.length]) {
      out.push(...parser.feed(body.subarray(prev, c)));
      prev = c;
    }
    parser.end();
    return true;
  });
  return ok ? { payload: Buffer.concat(out), parser } : undefined;
}

const optionsArb: fc.Arbitrary<AwsChunkedOptions> = fc.record({
  trailer: fc.boolean(),
  declaredTrailers: fc.constantFrom([], ['x-amz-checksum-crc32'], ['x-amz-checksum-crc32', 'x-amz-checksum-sha256']),
  decodedLength: fc.option(fc.nat({ max: 5000 }), { nil: undefined }),
  signed: fc.boolean(),
}).map(({ signed, decodedLength, ...o }) => ({ ...o, ...(decodedLength !== undefined ? { decodedLength } : {}), ...(signed ? { signing } : {}) }));

const payloadArb = fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a));
const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 900 }), { maxLength: 5 });

/** Chunk sizes that fit the payload: an empty data chunk would be the final chunk. */
function fit(sizes: readonly number[], length: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const n of sizes) {
    if (sum + n >= length) break;
    out.push(n);
    sum += n;
  }
  return out;
}
const cutsArb = fc.array(fc.nat(), { maxLength: 8 });

type Mut = { at: number; op: 'flip' | 'delete' | 'insert' | 'dup'; byte: number; len: number };
const mutArb: fc.Arbitrary<Mut> = fc.record({ at: fc.nat(), op: fc.constantFrom('flip' as const, 'delete' as const, 'insert' as const, 'dup' as const), byte: fc.nat({ max: 255 }), len: fc.integer({ min: 1, max: 40 }) });

function mutate(b: Buffer, m: Mut): Buffer {
  const i = m.at % (b.length + 1);
  switch (m.op) {
    case 'flip': {
      if (i >= b.length) return b;
      const c = Buffer.from(b);
      c[i] = c[i]! ^ (m.byte || 1);
      return c;
    }
    case 'delete': return Buffer.concat([b.subarray(0, i), b.subarray(i + m.len)]);
    case 'insert': return Buffer.concat([b.subarray(0, i), Buffer.alloc(m.len, m.byte), b.subarray(i)]);
    case 'dup': return Buffer.concat([b.subarray(0, i + m.len), b.subarray(i)]);
  }
}

describe('aws-chunked (fuzz)', () => {
  it('any bytes under any options, split anywhere: payload or a 4xx S3Error', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 300, unit: fc.constantFrom(...'0123456789abcdefABCDEF;:=\r\n-xz'.split(''), 'chunk-signature=', '\r\n', '0\r\n\r\n', 'x-amz-checksum-crc32:') }).map((s) => Buffer.from(s, 'latin1')),
    );
    fc.assert(fc.property(bytes, optionsArb, cutsArb, (body, o, cuts) => {
      decode(body, o, cuts);
    }), { numRuns: runs(2000) });
  });

  it('round trip: a body built as clients build it decodes to its payload and trailer in any split', () => {
    fc.assert(fc.property(payloadArb, chunkSizesArb, cutsArb, fc.boolean(), fc.boolean(), (payload, chunkSizes, cuts, signed, withTrailer) => {
      const trailer = withTrailer ? ['x-amz-checksum-crc32', 'AAAAAA=='] as const : undefined;
      const body = buildChunked(payload, { chunkSizes: fit(chunkSizes, payload.length), ...(signed ? { signing } : {}), ...(trailer ? { trailer } : {}) });
      const o: AwsChunkedOptions = { trailer: withTrailer, declaredTrailers: trailer ? [trailer[0]] : [], decodedLength: payload.length, ...(signed ? { signing } : {}) };
      const r = decode(body, o, cuts);
      assert.ok(r, 'a well-formed body decodes');
      assert.ok(r.payload.equals(payload));
      assert.deepEqual([...r.parser.trailers], trailer ? [[trailer[0], trailer[1]]] : []);
    }), { numRuns: runs(600) });
  });

  it('a mutated signed body: whatever is released is a prefix of the signed payload; a success is the whole signed payload', () => {
    fc.assert(fc.property(payloadArb, chunkSizesArb, fc.array(mutArb, { minLength: 1, maxLength: 3 }), cutsArb, fc.boolean(), (payload, chunkSizes, muts, cuts, withTrailer) => {
      const trailer = withTrailer ? ['x-amz-checksum-crc32', 'AAAAAA=='] as const : undefined;
      const body = muts.reduce(mutate, buildChunked(payload, { chunkSizes: fit(chunkSizes, payload.length), signing, ...(trailer ? { trailer } : {}) }));
      const o: AwsChunkedOptions = { trailer: withTrailer, declaredTrailers: trailer ? [trailer[0]] : [], signing };
      const parser = new AwsChunkedParser(o);
      const out: Buffer[] = [];
      const ok = valueOrClientError(() => {
        out.push(...parser.feed(body.subarray(0, (cuts[0] ?? 0) % (body.length + 1))));
        out.push(...parser.feed(body.subarray((cuts[0] ?? 0) % (body.length + 1))));
        parser.end();
        return true;
      });
      const got = Buffer.concat(out);
      assert.ok(got.equals(payload.subarray(0, got.length)), 'released bytes were signed, in order');
      if (ok) {
        assert.ok(got.equals(payload), 'a complete decode is the signed payload');
        if (trailer) assert.equal(parser.trailers.get(trailer[0]), trailer[1]);
      }
    }), { numRuns: runs(1500) });
  });

  it('a mutated unsigned body: payload or a 4xx S3Error; with x-amz-decoded-content-length the length always holds', () => {
    fc.assert(fc.property(payloadArb, chunkSizesArb, fc.array(mutArb, { minLength: 1, maxLength: 3 }), cutsArb, (payload, chunkSizes, muts, cuts) => {
      const body = muts.reduce(mutate, buildChunked(payload, { chunkSizes: fit(chunkSizes, payload.length), trailer: ['x-amz-checksum-crc32', 'AAAAAA=='] }));
      const r = decode(body, { trailer: true, declaredTrailers: ['x-amz-checksum-crc32'], decodedLength: payload.length }, cuts);
      if (r) assert.equal(r.payload.length, payload.length);
    }), { numRuns: runs(1000) });
  });
});
