// What an authentication refusal tells the client: the message names the
// carrier (header or query) and the XML extras carry what AWS returns.

import { strict as assert } from 'node:assert';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { authenticate } from './authenticate.js';
import { S3Error } from '../errors.js';
import { parseAmzDate } from './amz-date.js';
import { fixtureContext, fixtureRequest, loadFixtures, nodeHeaders, FIXTURE_NOW } from './testing/fixtures.js';

const fixtures = loadFixtures();
const presigned = fixtures.find((f) => f.id === 'awscli/presign-v4#1')!;
const header = fixtures.find((f) => f.verified.authScheme === 'v4-header' && f.method === 'GET')!;
const v2 = fixtures.find((f) => f.verified.authScheme === 'v2-query')!;

function refusal(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof S3Error, String(e));
    return e;
  }
  return assert.fail('not refused');
}

const run = (f: typeof header, o: { target?: string; now?: number; region?: string; headers?: IncomingHttpHeaders } = {}) => {
  const target = o.target ?? f.target;
  const ctx = { ...fixtureContext(target, o.now ?? FIXTURE_NOW), ...(o.region ? { region: o.region } : {}) };
  return authenticate(fixtureRequest(f, { target, headers: o.headers ?? nodeHeaders(f.headerPairs) }), ctx);
};

describe('refusal details', () => {
  it('a wrong region: the message names the carrier, Region says which is right', () => {
    const h = refusal(() => run(header, { region: 'eu-west-1' }));
    assert.equal(h.code, 'AuthorizationHeaderMalformed');
    assert.match(h.message, /^The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'$/);
    assert.deepEqual(h.extra, { Region: 'eu-west-1' });
    const q = refusal(() => run(presigned, { region: 'eu-west-1' }));
    assert.equal(q.code, 'AuthorizationQueryParametersError');
    assert.match(q.message, /^Error parsing the X-Amz-Credential parameter; the region 'us-east-1' is wrong/);
  });

  it('a credential date that is not X-Amz-Date’s day names both', () => {
    const target = presigned.target.replace('%2F20261125%2F', '%2F20261124%2F');
    const e = refusal(() => run(presigned, { target }));
    assert.match(e.message, /^Error parsing the X-Amz-Credential parameter; Invalid credential date "20261124"\. This date is not the same as X-Amz-Date: "20261125"\.$/);
  });

  it('an unknown access key names it; a signature mismatch carries the string to sign and the provided signature', () => {
    const target = presigned.target.replace('AKIDEXAMPLE', 'AKIDOTHER');
    assert.deepEqual(refusal(() => run(presigned, { target })).extra, { AWSAccessKeyId: 'AKIDOTHER' });
    const bad = presigned.target.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(200)}`);
    const e = refusal(() => run(presigned, { target: bad }));
    assert.equal(e.code, 'SignatureDoesNotMatch');
    assert.equal(e.extra.AWSAccessKeyId, 'AKIDEXAMPLE');
    assert.equal(e.extra.SignatureProvided, '0'.repeat(128));
    assert.match(e.extra.StringToSign ?? '', /^AWS4-HMAC-SHA256\n20261125T191107Z\n/);
    assert.match(e.extra.CanonicalRequest ?? '', /^GET\n/);
    const v2bad = v2.target.replace(/Signature=[^&]+/, `Signature=${'A'.repeat(200)}`);
    const e2 = refusal(() => run(v2, { target: v2bad }));
    assert.equal(e2.extra.SignatureProvided, 'A'.repeat(128));
    assert.equal(e2.extra.AWSAccessKeyId, 'AKIDEXAMPLE');
    assert.match(e2.extra.StringToSign ?? '', /^GET\n/);
    const e3 = refusal(() => run(v2, { target: v2.target.replace('AKIDEXAMPLE', 'AKIDOTHER') }));
    assert.deepEqual(e3.extra, { AWSAccessKeyId: 'AKIDOTHER' });
  });

  it('time refusals carry the times', () => {
    const at = parseAmzDate('20261125T191107Z')!;
    const early = refusal(() => run(presigned, { now: at - 20 * 60_000 }));
    assert.deepEqual(early.extra, { ServerTime: '20261125T185107Z' });
    const late = refusal(() => run(presigned, { now: at + 3600_000 + 1000 }));
    assert.deepEqual(late.extra, { 'X-Amz-Expires': '3600', Expires: '20261125T201107Z', ServerTime: '20261125T201108Z' });
    const week = refusal(() => run(presigned, { target: presigned.target.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801') }));
    assert.equal(week.message, 'X-Amz-Expires must be less than a week (in seconds) that is 604800');
    const skew = refusal(() => run(header, { now: FIXTURE_NOW + 3600_000 }));
    assert.equal(skew.code, 'RequestTimeTooSkewed');
    assert.equal(skew.extra.MaxAllowedSkewMilliseconds, '900000');
    assert.match(skew.extra.RequestTime ?? '', /^20261125T/);
    assert.match(skew.extra.ServerTime ?? '', /^20261125T2/);
  });

  it('unsigned x-amz-* headers are named', () => {
    const h = { ...nodeHeaders(header.headerPairs), 'x-amz-meta-z': '1', 'x-amz-acl': 'private' };
    const e = refusal(() => run(header, { headers: h }));
    assert.equal(e.code, 'AccessDenied');
    assert.deepEqual(e.extra, { HeadersNotSigned: 'x-amz-meta-z, x-amz-acl' });
  });

  it('SigV2: a malformed Authorization, an expired URL and a bad Expires say so', () => {
    const h = { date: 'Wed, 25 Nov 2026 19:11:30 GMT', authorization: 'AWS AKIDEXAMPLE:abc def' };
    const e = refusal(() => authenticate({ method: 'GET', rawUrl: '/b/k', headers: h }, fixtureContext('/b/k')));
    assert.equal(e.code, 'AuthorizationHeaderMalformed');
    assert.match(e.message, /expected "AWS <AWSAccessKeyId>:<Signature>"/);
    const exp = Number(/Expires=(\d+)/.exec(v2.target)![1]);
    const late = refusal(() => run(v2, { now: exp * 1000 + 1 }));
    assert.deepEqual(late.extra, { Expires: new Date(exp * 1000).toISOString(), ServerTime: new Date(exp * 1000 + 1).toISOString() });
    const bad = refusal(() => run(v2, { target: v2.target.replace(/Expires=\d+/, 'Expires=x') }));
    assert.equal(bad.message, 'Expires must be a number of seconds since the epoch');
  });

  it('two mechanisms and an unknown scheme name the Authorization argument', () => {
    const both = refusal(() => run(presigned, { headers: { ...nodeHeaders(presigned.headerPairs), authorization: 'AWS a:b' } }));
    assert.equal(both.code, 'InvalidArgument');
    assert.deepEqual(both.extra, { ArgumentName: 'Authorization' });
    assert.match(both.message, /^Only one auth mechanism allowed/);
    const other = refusal(() => authenticate({ method: 'GET', rawUrl: '/', headers: { authorization: 'Bearer x' } }, fixtureContext('/')));
    assert.equal(other.message, 'Unsupported Authorization Type');
    assert.deepEqual(other.extra, { ArgumentName: 'Authorization' });
    const v4a = refusal(() => authenticate({ method: 'GET', rawUrl: '/', headers: { authorization: 'AWS4-ECDSA-P256-SHA256 x' } }, fixtureContext('/')));
    assert.equal(v4a.code, 'NotImplemented');
    assert.match(v4a.message, /Version 4A/);
  });
});
