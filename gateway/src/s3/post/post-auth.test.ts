// PostObject form authentication: the two real boto3 forms (V2 and V4,
// clock pinned to their capture), and each way a form must fail.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { hmacSha1Base64, hmacSha256, sigV4SigningKey } from '../auth/crypto.js';
import { FIXTURE_ACCESS_KEY, FIXTURE_REGION, FIXTURE_SECRET, fixtureCreds, loadFixtures, nodeHeaders } from '../auth/testing/fixtures.js';
import { throwsS3 } from '../auth/testing/assert-s3.js';
import { S3Error } from '../errors.js';
import { authenticatePost } from './post-auth.js';
import type { FormField, FormFields } from './post-fields.js';
import { readPostForm } from './post-form.js';

const ctx = { creds: fixtureCreds, region: FIXTURE_REGION };

function form(o: Record<string, string>): FormFields {
  return new Map<string, FormField>(Object.entries(o).map(([name, value]) => [name.toLowerCase(), { name, value }]));
}

/** The fields before the file of a captured boto3 form, through the real form reader. */
async function fixtureFields(id: string): Promise<FormFields> {
  const f = loadFixtures().find((x) => x.id === id) ?? assert.fail(`fixture ${id}`);
  const form = readPostForm(nodeHeaders(f.headerPairs), (async function* () {
    yield f.body ?? assert.fail('body');
  })());
  const head = await form.head();
  for await (const _ of head.file.stream) { /* drain */ }
  await form.end();
  return head.fields;
}

function without(fields: FormFields, name: string): FormFields {
  const m = new Map(fields);
  m.delete(name);
  return m;
}

function withValue(fields: FormFields, name: string, value: string): FormFields {
  const m = new Map(fields);
  m.set(name, { name, value });
  return m;
}

function flip(s: string): string {
  return (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
}

const POLICY = Buffer.from('{"expiration": "2026-11-25T20:00:00Z", "conditions": []}').toString('base64');

describe('authenticatePost: boto3 fixtures', () => {
  it('V2 (AWSAccessKeyId, policy, signature) verifies', async () => {
    const f = await fixtureFields('boto3/presign-post-v2#1');
    const r = authenticatePost(f, ctx);
    assert.equal(r.scheme, 'v2');
    assert.equal(r.credential.accessKey, FIXTURE_ACCESS_KEY);
    assert.equal(r.policy, f.get('policy')?.value);
    throwsS3(() => authenticatePost(withValue(f, 'signature', flip(f.get('signature')!.value)), ctx), 'SignatureDoesNotMatch');
    // The signature covers the policy as sent: any change to it breaks the signature.
    throwsS3(() => authenticatePost(withValue(f, 'policy', f.get('policy')!.value.replace(/^eyJ/, 'eyI')), ctx), 'SignatureDoesNotMatch');
  });

  it('V4 (x-amz-algorithm, -credential, -date, policy, x-amz-signature) verifies', async () => {
    const f = await fixtureFields('boto3/presign-post-v4#1');
    const r = authenticatePost(f, ctx);
    assert.equal(r.scheme, 'v4');
    assert.equal(r.credential.user, 'fixture-user');
    throwsS3(() => authenticatePost(withValue(f, 'x-amz-signature', flip(f.get('x-amz-signature')!.value)), ctx), 'SignatureDoesNotMatch');
    throwsS3(() => authenticatePost(withValue(f, 'policy', POLICY), ctx), 'SignatureDoesNotMatch');
    // Another region in the credential: refused before any signature work.
    throwsS3(() => authenticatePost(f, { ...ctx, region: 'eu-west-1' }), 'InvalidArgument', /region 'us-east-1' is wrong/);
  });
});

describe('authenticatePost: failures', () => {
  const v2 = (secret = FIXTURE_SECRET, ak = FIXTURE_ACCESS_KEY) => form({ AWSAccessKeyId: ak, policy: POLICY, signature: hmacSha1Base64(secret, POLICY) });
  const v4 = (o: { secret?: string; date?: string; cred?: string } = {}) => {
    const date = o.date ?? '20261125T190000Z';
    const cred = o.cred ?? `${FIXTURE_ACCESS_KEY}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const [, d = '', region = '', service = ''] = cred.split('/');
    const sig = hmacSha256(sigV4SigningKey(o.secret ?? FIXTURE_SECRET, d, region, service), POLICY).toString('hex');
    return form({ 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': cred, 'x-amz-date': date, policy: POLICY, 'x-amz-signature': sig });
  };

  it('signs correctly built forms (the helpers are right)', () => {
    assert.equal(authenticatePost(v2(), ctx).scheme, 'v2');
    assert.equal(authenticatePost(v4(), ctx).scheme, 'v4');
  });

  it('no policy: anonymous, AccessDenied (no publicly writable buckets)', () => {
    throwsS3(() => authenticatePost(form({ key: 'k' }), ctx), 'AccessDenied', /^Access Denied$/);
    throwsS3(() => authenticatePost(without(v2(), 'policy'), ctx), 'AccessDenied');
  });

  it('a policy without the fields of its scheme: InvalidArgument naming the field', () => {
    for (const [fields, name] of [
      [without(v2(), 'awsaccesskeyid'), 'AWSAccessKeyId'], [without(v2(), 'signature'), 'signature'],
      [without(v4(), 'x-amz-signature'), 'x-amz-signature'], [without(v4(), 'x-amz-date'), 'x-amz-date'],
      [without(v4(), 'x-amz-credential'), 'x-amz-credential'], [without(v4(), 'x-amz-algorithm'), 'x-amz-algorithm'],
      [form({ policy: POLICY }), 'AWSAccessKeyId'],
    ] as const) {
      assert.throws(() => authenticatePost(fields, ctx), (e) => {
        assert.ok(e instanceof S3Error && e.code === 'InvalidArgument', String(e));
        assert.equal(e.extra.ArgumentName, name);
        assert.match(e.message, new RegExp(`must contain a field named '${name}'`));
        return true;
      });
    }
  });

  it('unknown access key: InvalidAccessKeyId; wrong secret: SignatureDoesNotMatch', () => {
    throwsS3(() => authenticatePost(v2(FIXTURE_SECRET, 'AKIDNOTKNOWN'), ctx), 'InvalidAccessKeyId');
    throwsS3(() => authenticatePost(v4({ cred: 'AKIDNOTKNOWN/20261125/us-east-1/s3/aws4_request' }), ctx), 'InvalidAccessKeyId');
    throwsS3(() => authenticatePost(v2('wrong-secret'), ctx), 'SignatureDoesNotMatch');
    throwsS3(() => authenticatePost(v4({ secret: 'wrong-secret' }), ctx), 'SignatureDoesNotMatch');
  });

  it('V4 scope and shape', () => {
    throwsS3(() => authenticatePost(withValue(v4(), 'x-amz-algorithm', 'AWS4-HMAC-SHA1'), ctx), 'InvalidArgument', /algorithm/);
    throwsS3(() => authenticatePost(v4({ cred: `${FIXTURE_ACCESS_KEY}/20261125/us-east-1/s3` }), ctx), 'InvalidArgument', /mal-formed/);
    throwsS3(() => authenticatePost(v4({ cred: `${FIXTURE_ACCESS_KEY}/20261124/us-east-1/s3/aws4_request` }), ctx), 'InvalidArgument', /not the same as x-amz-date/);
    throwsS3(() => authenticatePost(v4({ cred: `${FIXTURE_ACCESS_KEY}/20261125/us-east-1/ec2/aws4_request` }), ctx), 'InvalidArgument', /service/);
    throwsS3(() => authenticatePost(v4({ cred: `${FIXTURE_ACCESS_KEY}/20261125/us-east-1/s3/aws5_request` }), ctx), 'InvalidArgument', /terminal/);
    throwsS3(() => authenticatePost(v4({ date: '2026-11-25T19:00:00Z', cred: `${FIXTURE_ACCESS_KEY}/2026-11-/us-east-1/s3/aws4_request` }), ctx), 'InvalidArgument', /x-amz-date/);
  });

  it('V2 and V4 fields together: InvalidArgument', () => {
    throwsS3(() => authenticatePost(withValue(v4(), 'signature', 'x'), ctx), 'InvalidArgument', /not both/);
  });
});
