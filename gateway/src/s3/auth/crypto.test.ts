// The exported signing primitives reproduce the two POST-policy signatures of
// the boto3 fixtures (authenticate() does not handle POST object: its
// credentials are form fields; the POST handler will use these helpers).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { hmacSha1Base64, hmacSha256, sameSignature, sha256Hex, sigV4SigningKey } from './crypto.js';
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

  it('a signing key kept for a scope is the one its chain makes, and each scope and secret has its own', () => {
    const chain = (secret: string, date: string, region: string): Buffer => {
      let k: Buffer | string = `AWS4${secret}`;
      for (const part of [date, region, 's3', 'aws4_request']) k = createHmac('sha256', k).update(part).digest();
      return k as Buffer;
    };
    for (let round = 0; round < 2; round++) {
      for (const [secret, date, region] of [['s1', '20261206', 'us-east-1'], ['s1', '20261207', 'us-east-1'], ['s1', '20261206', 'eu-west-1'], ['s2', '20261206', 'us-east-1']] as const) {
        assert.deepEqual(sigV4SigningKey(secret, date, region, 's3'), chain(secret, date, region), `${secret} ${date} ${region}, round ${round}`);
      }
    }
    // A scope whose parts shift between fields is another scope.
    assert.notDeepEqual(sigV4SigningKey('x', '20261206', 'us-east-1', 's3'), sigV4SigningKey('x', '20261206', 'us-east-', '1s3'));
    assert.deepEqual(sigV4SigningKey('b', '20261206', 'r\ns3\na', 's3'), chain('b', '20261206', 'r\ns3\na'));
    assert.deepEqual(sigV4SigningKey('a\ns3\nb', '20261206', 'r', 's3'), chain('a\ns3\nb', '20261206', 'r'));
  });

  it('hmacSha256 is HMAC-SHA-256 for string and Buffer keys, short and long data', () => {
    for (const key of ['k', Buffer.alloc(32, 7), Buffer.alloc(100, 9)]) {
      for (const data of ['', 'AWS4-HMAC-SHA256\n20261206T000000Z', 'é'.repeat(400), 'x'.repeat(5000)]) {
        assert.deepEqual(hmacSha256(key, data), createHmac('sha256', key).update(data, 'utf8').digest());
      }
    }
  });

  it('sha256Hex is SHA-256 in hex, of strings (UTF-8) and bytes', () => {
    for (const d of ['', 'abc', 'é€😀', Buffer.from([0, 1, 255])]) {
      assert.equal(sha256Hex(d), createHash('sha256').update(d).digest('hex'));
    }
  });

  it('sameSignature compares exactly', () => {
    assert.ok(sameSignature('abc', 'abc'));
    assert.ok(!sameSignature('abc', 'abd'));
    assert.ok(!sameSignature('abc', 'abcd'));
  });
});
