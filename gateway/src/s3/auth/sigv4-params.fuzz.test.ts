// Property-based tests of the SigV4 carrier parsers and the raw request
// parts they stand on: arbitrary and structured-but-broken Authorization
// headers and presigned queries give a V4Params or a 4xx S3Error, never
// anything else; well-formed ones round-trip.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runs, valueOrClientError } from '../testing/fuzz.js';
import { parseV4Header, parseV4Query } from './sigv4-params.js';
import { decodeComponent, rawParams, splitTarget } from './request-parts.js';
import { S3Error } from '../errors.js';

const DATE = '20261125T191100Z';
const token = fc.string({ maxLength: 12, unit: fc.constantFrom(...'aAz09/;=,_- \t.'.split('')) });
const component = fc.oneof(
  fc.tuple(fc.constantFrom('Credential', 'SignedHeaders', 'Signature', 'credential', 'Foo', ''), fc.constantFrom('=', '', '=='), token).map((p) => p.join('')),
  fc.constant('Credential=AK/20261125/us-east-1/s3/aws4_request'),
  fc.constant('SignedHeaders=host;x-amz-date'),
  fc.constant('Signature=00ff'),
);

describe('parseV4Header (fuzz)', () => {
  it('any header value and date headers: V4Params or a 4xx S3Error', () => {
    fc.assert(fc.property(
      fc.string({ maxLength: 300, unit: 'binary' }),
      fc.option(fc.string({ maxLength: 40, unit: 'binary' })),
      fc.option(fc.string({ maxLength: 40, unit: 'binary' })),
      (auth, amz, date) => {
        const headers = { ...(amz !== null ? { 'x-amz-date': amz } : {}), ...(date !== null ? { date } : {}) };
        valueOrClientError(() => parseV4Header(auth, headers));
        valueOrClientError(() => parseV4Header(`AWS4-HMAC-SHA256 ${auth}`, headers));
      },
    ), { numRuns: runs(1500) });
  });

  it('structured components in any order, repeated or dropped: V4Params only when each of the three comes exactly once', () => {
    fc.assert(fc.property(fc.array(component, { maxLength: 6 }), fc.constantFrom(',', ', ', ' ,  '), (parts, sep) => {
      const p = valueOrClientError(() => parseV4Header(`AWS4-HMAC-SHA256 ${parts.join(sep)}`, { 'x-amz-date': DATE }));
      if (!p) return;
      const names = parts.map((c) => c.trim().split('=')[0]).sort();
      assert.deepEqual(names, ['Credential', 'SignedHeaders', 'Signature'].sort());
      assert.ok(p.signedHeaders.includes('host'));
    }), { numRuns: runs(1500) });
  });

  it('round trip: a well-formed header parses back to its parts', () => {
    const word = fc.string({ minLength: 1, maxLength: 16, unit: fc.constantFrom(...'abcXYZ019-_.'.split('')) });
    const headerName = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'abcz09-'.split('')) });
    fc.assert(fc.property(word, word, fc.uniqueArray(headerName, { maxLength: 5 }), fc.string({ minLength: 1, maxLength: 64, unit: fc.constantFrom(...'0123456789abcdef'.split('')) }), (ak, region, extra, sig) => {
      const signedHeaders = ['host', ...extra.filter((h) => h !== 'host')];
      const p = parseV4Header(`AWS4-HMAC-SHA256 Credential=${ak}/20261125/${region}/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${sig}`, { 'x-amz-date': DATE });
      assert.deepEqual([p.accessKey, p.credDate, p.region, p.service, p.terminator], [ak, '20261125', region, 's3', 'aws4_request']);
      assert.deepEqual(p.signedHeaders, signedHeaders);
      assert.equal(p.signature, sig);
      assert.equal(p.timeMs, Date.UTC(2026, 10, 25, 19, 11, 0));
    }), { numRuns: runs(500) });
  });
});

const PRESIGNED = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20261125%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261125T191100Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=00ff';

describe('parseV4Query (fuzz)', () => {
  it('any query: V4Params or a 4xx S3Error', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (q) => {
      valueOrClientError(() => parseV4Query(q));
      valueOrClientError(() => parseV4Query(`${PRESIGNED}&${q}`));
    }), { numRuns: runs(1500) });
  });

  it('the valid presigned query with its parameters dropped, repeated or edited: V4Params or a 4xx S3Error', () => {
    const segs = PRESIGNED.split('&');
    fc.assert(fc.property(
      fc.array(fc.nat({ max: segs.length - 1 }), { maxLength: 10 }),
      fc.nat(), fc.string({ maxLength: 3, unit: fc.constantFrom(...'%=&0aZ/'.split('')) }),
      (picks, at, ins) => {
        const q = picks.map((i) => segs[i]).join('&');
        const i = at % (q.length + 1);
        const p = valueOrClientError(() => parseV4Query(q.slice(0, i) + ins + q.slice(i)));
        if (p) assert.ok(Number.isSafeInteger(p.expiresS) && Number.isFinite(p.timeMs));
      },
    ), { numRuns: runs(1500) });
    assert.equal(parseV4Query(PRESIGNED).expiresS, 3600);
  });
});

describe('request parts (fuzz)', () => {
  it('splitTarget and rawParams: a target with # is InvalidURI, any other never throws; the path starts with / when the target did; params rejoin to the query', () => {
    // '#' is drawn often enough that both branches run on every seed.
    const target = fc.oneof(fc.string({ maxLength: 200, unit: 'binary' }), fc.string({ maxLength: 40, unit: fc.constantFrom(...'/?&=#a%'.split('')) }));
    fc.assert(fc.property(target, (t) => {
      if (t.includes('#')) {
        assert.throws(() => splitTarget(t), (e: unknown) => e instanceof S3Error && e.code === 'InvalidURI' && e.status === 400);
        return;
      }
      const { rawPath, rawQuery } = splitTarget(t);
      assert.ok(rawPath.length > 0);
      if (t.startsWith('/')) assert.ok(rawPath.startsWith('/'));
      const rejoined = rawParams(rawQuery).map((p) => (p.hasEquals ? `${p.name}=${p.value}` : p.name)).join('&');
      assert.equal(rejoined, rawQuery.split('&').filter((s) => s !== '').join('&'));
      decodeComponent(rawQuery);
    }), { numRuns: runs(1500) });
  });

  it('decodeComponent inverts encodeURIComponent and never throws', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60, unit: 'grapheme' }), (s) => {
      assert.equal(decodeComponent(encodeURIComponent(s)), s);
    }), { numRuns: runs(500) });
  });
});
