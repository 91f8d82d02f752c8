// Property-based tests of the router: any method, Host and request target
// give an endpoint or a 4xx S3Error; whatever it routes names a valid bucket
// and a key of at most 1024 UTF-8 bytes; a bucket and key encoded as clients
// encode them route back to themselves, path style and virtual-hosted.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_KEY_BYTES, route, validBucketName } from './router.js';
import { runs, valueOrClientError } from './testing/fuzz.js';

const method = fc.oneof(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'), fc.string({ maxLength: 8 }));
// '#' included: a target holding it is refused with 400 InvalidURI.
const TARGET_UNITS = fc.constantFrom(...'/abz09.-_~%?&=+;#'.split(''), '%2F', '%00', '%C3%BC', '%FF', '%E0%80', '..', '//', 'uploads', 'uploadId=1', 'partNumber=2', 'acl', 'delete', 'list-type=2', 'versionId=x', 'tagging');
const target = fc.oneof(
  fc.string({ maxLength: 120, unit: 'binary' }),
  fc.string({ maxLength: 60, unit: TARGET_UNITS }).map((s) => `/${s}`),
  fc.string({ maxLength: 1200, unit: fc.constantFrom('a', '%C3%BC', '/') }).map((s) => `/bucket/${s}`),
);
const host = fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('b1.s3.test', 'B1.S3.TEST:9000', 's3.test', '.s3.test', 'a..b.s3.test', 'x_y.s3.test')), { nil: undefined });
const keyArb = fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }).filter((k) => Buffer.byteLength(k) <= MAX_KEY_BYTES);
const bucketArb = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/).filter(validBucketName);

describe('route (fuzz)', () => {
  it('any method, Host and target: an endpoint with a valid bucket and a key ≤ 1024 bytes, or a 4xx S3Error', () => {
    fc.assert(fc.property(method, host, target, fc.boolean(), fc.boolean(), (m, h, t, copySource, vhost) => {
      const r = valueOrClientError(() => route({ method: m, host: h, rawUrl: t, copySource }, vhost ? { domain: 's3.test' } : {}));
      if (!r) return;
      const e = r.endpoint;
      if ('bucket' in e && e.bucket !== undefined && e.op !== 'Unsupported') assert.ok(validBucketName(e.bucket), e.bucket);
      if ('key' in e && e.key !== undefined) assert.ok(Buffer.byteLength(e.key, 'utf8') <= MAX_KEY_BYTES);
      if (e.op === 'ListBuckets') assert.equal(m, 'GET');
    }), { numRuns: runs(3000) });
  });

  it('round trip: an encoded bucket and key route back to themselves, path style and virtual-hosted', () => {
    fc.assert(fc.property(bucketArb, keyArb, fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE'), (b, k, m) => {
      const enc = k.split('/').map(encodeURIComponent).join('/');
      const path = route({ method: m, host: 'localhost', rawUrl: `/${b}/${enc}`, copySource: false }).endpoint;
      assert.deepEqual(['bucket' in path ? path.bucket : undefined, 'key' in path ? path.key : undefined], [b, k]);
      const vh = route({ method: m, host: `${b}.s3.test:9000`, rawUrl: `/${enc}?x-id=1`, copySource: false }, { domain: 's3.test' });
      assert.equal(vh.virtualHost, true);
      assert.deepEqual(['bucket' in vh.endpoint ? vh.endpoint.bucket : undefined, 'key' in vh.endpoint ? vh.endpoint.key : undefined], [b, k]);
    }), { numRuns: runs(1000) });
  });

  it('query parameters: the first of a repeated name wins, values decode + and %20 alike', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (v1, v2) => {
      const e = route({ method: 'GET', host: undefined, rawUrl: `/bucket?prefix=${encodeURIComponent(v1)}&prefix=${encodeURIComponent(v2)}&a+b=c+d`, copySource: false }).endpoint;
      assert.ok('query' in e);
      assert.equal(e.query.params.get('prefix'), v1);
      assert.equal(e.query.params.get('a b'), 'c d');
    }), { numRuns: runs(300) });
  });
});
