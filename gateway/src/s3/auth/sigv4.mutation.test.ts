// SigV4 presigned lifetime and parameter checks on the real presigned
// fixtures, with the server clock moved to each boundary; the time checks
// run before the signature's, so a changed parameter shows which check fired.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authenticate } from './authenticate.js';
import { parseAmzDate } from './amz-date.js';
import { fixtureContext, fixtureRequest, loadFixtures, nodeHeaders, type Fixture } from './testing/fixtures.js';
import { throwsS3 } from './testing/assert-s3.js';

const fixtures = loadFixtures();
const get = fixtures.find((f) => f.id === 'awscli/presign-v4#1')!;
const header = fixtures.find((f) => f.verified.authScheme === 'v4-header' && f.method === 'GET')!;
const SIGNED_AT = parseAmzDate('20261125T191107Z')!;

function run(f: Fixture, now: number, target = f.target, headers = nodeHeaders(f.headerPairs)) {
  return authenticate(fixtureRequest(f, { target, headers }), fixtureContext(target, now));
}

describe('SigV4 presigned lifetime', () => {
  it('the fixture is what these tests assume', () => {
    assert.match(get.target, /X-Amz-Date=20261125T191107Z&X-Amz-Expires=3600&/);
    assert.equal(run(get, SIGNED_AT).scheme, 'v4-query');
  });

  it('not valid yet: dated more than 15 minutes ahead of the server', () => {
    run(get, SIGNED_AT - 15 * 60_000);
    throwsS3(() => run(get, SIGNED_AT - 15 * 60_000 - 1), 'AccessDenied', /not valid yet/);
    throwsS3(() => run(get, SIGNED_AT - 365 * 24 * 3600_000), 'AccessDenied', /not valid yet/);
  });

  it('expires X-Amz-Expires seconds after X-Amz-Date, not a millisecond later', () => {
    run(get, SIGNED_AT + 3600_000);
    throwsS3(() => run(get, SIGNED_AT + 3600_000 + 1), 'AccessDenied', /expired/);
  });

  it('X-Amz-Expires up to 604800 passes the lifetime check; 604801 does not', () => {
    // Not re-signed: a lifetime that passes reaches the signature check.
    throwsS3(() => run(get, SIGNED_AT, get.target.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604800')), 'SignatureDoesNotMatch');
    throwsS3(() => run(get, SIGNED_AT, get.target.replace('X-Amz-Expires=3600', 'X-Amz-Expires=604801')), 'AuthorizationQueryParametersError', /less than a week/);
  });

  it('a malformed X-Amz-Date or X-Amz-Expires is refused before anything else', () => {
    for (const date of ['20261125T191107', '20261125T251107Z', '20261125T196107Z', '20261131T191107Z', 'x']) {
      throwsS3(() => run(get, SIGNED_AT, get.target.replace('X-Amz-Date=20261125T191107Z', `X-Amz-Date=${date}`)), 'AuthorizationQueryParametersError', /X-Amz-Date/);
    }
    for (const exp of ['', 'abc', '-1', '1.5', '12345678901']) {
      throwsS3(() => run(get, SIGNED_AT, get.target.replace('X-Amz-Expires=3600', `X-Amz-Expires=${exp}`)), 'AuthorizationQueryParametersError', /X-Amz-Expires/);
    }
  });

  it('a scope with another terminator is refused', () => {
    throwsS3(() => run(get, SIGNED_AT, get.target.replace('aws4_request', 'aws5_request')), 'AuthorizationQueryParametersError', /terminal/);
  });

  it('a presigned request with an x-amz-content-sha256 header takes its framing from it', () => {
    const h = { ...nodeHeaders(get.headerPairs), 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' };
    // The header is an x-amz-* header that is not signed: refused.
    throwsS3(() => run(get, SIGNED_AT, get.target, h), 'AccessDenied', /not signed/);
  });

  it('missing or repeated presigning parameters are refused', () => {
    const [path, q = ''] = get.target.split('?') as [string, string];
    const params = q.split('&').filter((p) => p.startsWith('X-Amz-'));
    for (const p of params) {
      const without = q.split('&').filter((x) => x !== p).join('&');
      throwsS3(() => run(get, SIGNED_AT, `${path}?${without}`), 'AuthorizationQueryParametersError');
      throwsS3(() => run(get, SIGNED_AT, `${path}?${q}&${p}`), 'AuthorizationQueryParametersError', /Error parsing/);
    }
  });
});

describe('SigV4 header time', () => {
  const amz = nodeHeaders(header.headerPairs)['x-amz-date'] as string;
  const at = parseAmzDate(amz)!;

  it('skew: 15 minutes either way is accepted, a millisecond more is RequestTimeTooSkewed', () => {
    run(header, at + 15 * 60_000);
    run(header, at - 15 * 60_000);
    throwsS3(() => run(header, at + 15 * 60_000 + 1), 'RequestTimeTooSkewed');
    throwsS3(() => run(header, at - 15 * 60_000 - 1), 'RequestTimeTooSkewed');
  });

  it('an unparseable x-amz-date is refused, never a NaN that passes the skew check', () => {
    const h = { ...nodeHeaders(header.headerPairs), 'x-amz-date': amz.slice(0, -1) };
    throwsS3(() => run(header, at, header.target, h), 'AccessDenied');
  });
});
