// Property-based tests of the Range and conditional-request headers: any
// header text against any object size gives a range inside the object,
// null (whole object), or a 4xx/304 S3Error; the forms clients send round-trip.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ObjectMeta } from '../../object-meta.js';
import { checkConditions, parseRange } from './conditions.js';
import { runs, valueOrClientError } from '../testing/fuzz.js';

const header = fc.oneof(
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.string({ maxLength: 30, unit: fc.constantFrom(...'bytes=-0123456789, \t'.split(''), 'bytes=', '99999999999999999999', '-') }),
);
const size = fc.oneof(fc.nat({ max: 10 }), fc.nat({ max: 1 << 30 }), fc.constant(Number.MAX_SAFE_INTEGER));

describe('parseRange (fuzz)', () => {
  it('any Range header and size: null, a range inside the object, or InvalidRange', () => {
    fc.assert(fc.property(fc.option(header, { nil: undefined }), size, (h, n) => {
      const r = valueOrClientError(() => parseRange(h, n));
      if (!r) return;
      assert.ok(Number.isSafeInteger(r.first) && Number.isSafeInteger(r.last), JSON.stringify(r));
      assert.ok(r.first >= 0 && r.first <= r.last && r.last < n, `${h} on ${n} bytes → ${JSON.stringify(r)}`);
    }), { numRuns: runs(3000) });
  });

  it('round trip: bytes=a-b, bytes=a-, bytes=-n select exactly the bytes HTTP says', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1 << 30 }), fc.nat(), fc.nat(), (n, x, y) => {
      const a = x % n;
      const b = a + (y % (n - a));
      assert.deepEqual(parseRange(`bytes=${a}-${b}`, n), { first: a, last: b });
      assert.deepEqual(parseRange(`bytes=${a}-`, n), { first: a, last: n - 1 });
      const suffix = (y % n) + 1;
      assert.deepEqual(parseRange(`bytes=-${suffix}`, n), { first: n - suffix, last: n - 1 });
    }), { numRuns: runs(1000) });
  });
});

describe('checkConditions (fuzz)', () => {
  const meta = (etag: string, lastModified: number): ObjectMeta => ({ v: 1, size: 1, blockSize: 4096, lastModified, etag } as ObjectMeta);
  const etag = fc.string({ minLength: 1, maxLength: 32, unit: fc.constantFrom(...'0123456789abcdef'.split('')) });
  const cond = fc.option(fc.oneof(fc.string({ maxLength: 40, unit: 'binary' }), fc.constantFrom('*', 'W/"x"', '"a", "b"', 'Wed, 25 Nov 2026 19:11:14 GMT', '2026-11-25')), { nil: undefined });

  it('any condition headers: pass, or PreconditionFailed (412) / NotModified (304)', () => {
    fc.assert(fc.property(etag, fc.nat({ max: 4_000_000_000_000 }), cond, cond, cond, cond, (e, t, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince) => {
      try {
        checkConditions({ ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince }, meta(e, t));
      } catch (err) {
        valueOrClientError(() => { throw err; });
        assert.ok(['PreconditionFailed', 'NotModified'].includes((err as { code: string }).code));
      }
    }), { numRuns: runs(2000) });
  });

  it('If-Match with the object\'s own ETag (quoted or not, in a list) holds; If-None-Match with it fails with 304', () => {
    fc.assert(fc.property(etag, etag, fc.boolean(), (e, other, quoted) => {
      const tag = quoted ? `"${e}"` : e;
      checkConditions({ ifMatch: `"${other}", ${tag}` }, meta(e, 0));
      assert.throws(() => checkConditions({ ifNoneMatch: `${tag}` }, meta(e, 0)), (x: unknown) => (x as { code?: string }).code === 'NotModified');
    }), { numRuns: runs(500) });
  });
});
