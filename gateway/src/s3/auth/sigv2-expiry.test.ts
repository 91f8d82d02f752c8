// SigV2 presigned URLs live at most 7 days, like SigV4's (security review
// F9: a URL valid for 50 years worked, and only rotating the user's key
// could revoke it). Each URL here is correctly signed: only its lifetime
// decides.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { authenticate } from './authenticate.js';
import { MAX_CLOCK_SKEW_MS, MAX_PRESIGN_EXPIRES_S } from './amz-date.js';
import { hmacSha1Base64 } from './crypto.js';
import { throwsS3 } from './testing/assert-s3.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_NOW, FIXTURE_SECRET, fixtureContext } from './testing/fixtures.js';

/** A V2 presigned GET of /fxb/doc.txt expiring at `expires` (unix seconds), signed with the fixture secret. */
function presignedV2(expires: number): string {
  const signature = hmacSha1Base64(FIXTURE_SECRET, `GET\n\n\n${expires}\n/fxb/doc.txt`);
  return `/fxb/doc.txt?AWSAccessKeyId=${FIXTURE_ACCESS_KEY}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
}

function authAt(target: string, now: number) {
  return authenticate({ method: 'GET', rawUrl: target, headers: { host: '127.0.0.1:9555' } }, fixtureContext(target, now));
}

describe('SigV2 presigned URL lifetime (review F9)', () => {
  const nowS = Math.floor(FIXTURE_NOW / 1000);

  it('accepts a URL that expires within 7 days (one hour, exactly 7 days)', () => {
    assert.equal(authAt(presignedV2(nowS + 3600), FIXTURE_NOW).scheme, 'v2-query');
    assert.equal(authAt(presignedV2(nowS + MAX_PRESIGN_EXPIRES_S), FIXTURE_NOW).scheme, 'v2-query');
  });

  it('tolerates the clock skew S3 allows on top of 7 days (a signer whose clock runs a little ahead)', () => {
    assert.equal(authAt(presignedV2(nowS + MAX_PRESIGN_EXPIRES_S + MAX_CLOCK_SKEW_MS / 1000), FIXTURE_NOW).scheme, 'v2-query');
  });

  it('refuses a URL valid for 50 years: 400 AuthorizationQueryParametersError, as SigV4 over 7 days', () => {
    throwsS3(() => authAt(presignedV2(nowS + 50 * 365 * 24 * 3600), FIXTURE_NOW), 'AuthorizationQueryParametersError', /7 days/);
  });

  it('refuses a URL one second past 7 days plus the skew', () => {
    throwsS3(() => authAt(presignedV2(nowS + MAX_PRESIGN_EXPIRES_S + MAX_CLOCK_SKEW_MS / 1000 + 1), FIXTURE_NOW), 'AuthorizationQueryParametersError');
  });

  it('the same long URL becomes usable only once it is within 7 days of expiring (the cap is on what remains)', () => {
    const target = presignedV2(nowS + 30 * 24 * 3600);
    throwsS3(() => authAt(target, FIXTURE_NOW), 'AuthorizationQueryParametersError');
    assert.equal(authAt(target, FIXTURE_NOW + 24 * 24 * 3600 * 1000).scheme, 'v2-query');
  });
});
