// Property-based tests of SigV2 verification: arbitrary Authorization
// headers, dates and presigned queries give a credential or a 4xx S3Error;
// a request signed here with the fixture key verifies, and with any other
// Expires, method or resource it does not.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { runs, valueOrClientError } from '../testing/fuzz.js';
import { hmacSha1Base64 } from './crypto.js';
import { v2StringToSign, verifySigV2Header, verifySigV2Query } from './sigv2.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_NOW, FIXTURE_REGION, FIXTURE_SECRET, fixtureCreds } from './testing/fixtures.js';
import type { AuthContext } from './types.js';

const ctx: AuthContext = { creds: fixtureCreds, region: FIXTURE_REGION, now: () => FIXTURE_NOW, bucket: 'fxb', key: 'k' };
const HTTP_DATE = new Date(FIXTURE_NOW).toUTCString();

describe('SigV2 (fuzz)', () => {
  it('any Authorization header and Date: a credential or a 4xx S3Error (and never a credential for junk)', () => {
    const ak = fc.oneof(fc.constant(FIXTURE_ACCESS_KEY), fc.string({ maxLength: 20, unit: 'binary' }));
    fc.assert(fc.property(ak, fc.string({ maxLength: 60, unit: 'binary' }), fc.oneof(fc.constant(HTTP_DATE), fc.string({ maxLength: 40, unit: 'binary' })), (a, sig, date) => {
      const c = valueOrClientError(() => verifySigV2Header({ method: 'GET', rawUrl: '/fxb/k', headers: { date } }, ctx, `AWS ${a}:${sig}`));
      assert.equal(c, undefined);
    }), { numRuns: runs(1000) });
  });

  it('any presigned query: a credential or a 4xx S3Error (and never a credential for junk)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (q) => {
      const c = valueOrClientError(() => verifySigV2Query({ method: 'GET', rawUrl: `/fxb/k?AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&${q}`, headers: {} }, ctx));
      assert.equal(c, undefined);
    }), { numRuns: runs(1000) });
  });

  it('a URL presigned to expire more than 7 days ahead never verifies (security review F9)', () => {
    fc.assert(fc.property(fc.integer({ min: 7 * 86_400 + 16 * 60, max: 60 * 365 * 86_400 }), (ahead) => {
      const expires = String(Math.floor(FIXTURE_NOW / 1000) + ahead);
      const sign = { method: 'GET', rawUrl: '/fxb/k', headers: {} };
      const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(sign, ctx, expires));
      const c = valueOrClientError(() => verifySigV2Query(
        { method: 'GET', rawUrl: `/fxb/k?AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`, headers: {} }, ctx,
      ));
      assert.equal(c, undefined);
    }), { numRuns: runs(300) });
  });

  it('a URL presigned here verifies; with another Expires, method or key it does not', () => {
    const method = fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE');
    fc.assert(fc.property(method, method, fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 1, max: 86_400 }), fc.boolean(), (m1, m2, e1, e2, otherKey) => {
      const expires = String(Math.floor(FIXTURE_NOW / 1000) + e1);
      const sign = { method: m1, rawUrl: '/fxb/k', headers: {} };
      const sig = hmacSha1Base64(FIXTURE_SECRET, v2StringToSign(sign, ctx, expires));
      const url = (exp: string, path = '/fxb/k') => `${path}?AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&Expires=${exp}&Signature=${encodeURIComponent(sig)}`;
      assert.ok(verifySigV2Query({ method: m1, rawUrl: url(expires), headers: {} }, ctx));
      const exp2 = String(Math.floor(FIXTURE_NOW / 1000) + e2);
      const same = m1 === m2 && exp2 === expires && !otherKey;
      const c = valueOrClientError(() => verifySigV2Query(
        { method: m2, rawUrl: url(exp2, otherKey ? '/fxb/j' : '/fxb/k'), headers: {} },
        otherKey ? { ...ctx, key: 'j' } : ctx,
      ));
      assert.equal(c !== undefined, same);
    }), { numRuns: runs(500) });
  });
});
