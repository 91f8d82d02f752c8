// The exported signing primitives reproduce the two POST-policy signatures of
// the boto3 fixtures (authenticate() does not handle POST object: its
// credentials are form fields; the POST handler will use these helpers).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { hmacSha1Base64, hmacSha256, sameSignature, sigV4SigningKey } from './crypto.js';
import { FIXTURE_SECRET, loadFixtures } from './testing/fixtures.js';

/** Form fields of a small multipart/form-data body (test-only parser). */
function formFields(body: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of body.toString('utf8').matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

describe('signing primitives', () => {
  const posts = loadFixtures().filter((f) => f.id.startsWith('boto3/presign-post'));

  it('POST policy V2: base64 HMAC-SHA1(secret, policy)', () => {
    const f = formFields(posts.find((p) => p.id.includes('v2'))?.body ?? assert.fail());
    assert.equal(hmacSha1Base64(FIXTURE_SECRET, f.get('policy') ?? ''), f.get('signature'));
  });

  it('POST policy V4: hex HMAC-SHA256(signing key of the credential scope, policy)', () => {
    const f = formFields(posts.find((p) => p.id.includes('v4'))?.body ?? assert.fail());
    const [, date = '', region = ''] = (f.get('x-amz-credential') ?? '').split('/');
    const key = sigV4SigningKey(FIXTURE_SECRET, date, region, 's3');
    assert.equal(hmacSha256(key, f.get('policy') ?? '').toString('hex'), f.get('x-amz-signature'));
  });

  it('sameSignature compares exactly', () => {
    assert.ok(sameSignature('abc', 'abc'));
    assert.ok(!sameSignature('abc', 'abd'));
    assert.ok(!sameSignature('abc', 'abcd'));
  });
});
