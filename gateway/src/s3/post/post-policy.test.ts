// The POST policy: decoding (base64, JSON, AWS's extra escapes, shape) and
// evaluation of each condition type, the expiration and the extra-field rule.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { S3Error } from '../errors.js';
import type { FormField, FormFields } from './post-fields.js';
import { checkLength, checkPolicy, decodePolicy, exemptFromPolicy, normalizeEscapes } from './post-policy.js';
import { throwsS3 } from '../auth/testing/assert-s3.js';

const NOW = Date.UTC(2026, 10, 25, 19, 0, 0);
const LATER = '2026-11-25T20:00:00.000Z';

function b64(doc: unknown): string {
  return Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc), 'utf8').toString('base64');
}

function form(o: Record<string, string>): FormFields {
  return new Map<string, FormField>(Object.entries(o).map(([name, value]) => [name.toLowerCase(), { name, value }]));
}

function evaluate(conditions: unknown[], fields: Record<string, string>, o: { bucket?: string; now?: number; expiration?: string } = {}) {
  const policy = decodePolicy(b64({ expiration: o.expiration ?? LATER, conditions }));
  return checkPolicy(policy, { fields: form(fields), bucket: o.bucket ?? 'b', now: o.now ?? NOW });
}

function throwsInvalidPolicy(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof S3Error);
    assert.equal(e.code, 'InvalidPolicyDocument', e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('decodePolicy', () => {
  it('reads the boto3 V2 fixture policy', () => {
    const p = decodePolicy('eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjVUMjA6MTE6MDhaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAiZnhiIn0sIFsic3RhcnRzLXdpdGgiLCAiJGtleSIsICJwb3N0LyJdXX0=');
    assert.equal(p.expiration, Date.UTC(2026, 10, 25, 20, 11, 8));
    assert.deepEqual(p.conditions, [
      { op: 'eq', field: 'bucket', spelled: 'bucket', value: 'fxb' },
      { op: 'starts-with', field: 'key', spelled: 'key', value: 'post/' },
    ]);
  });

  it('accepts both condition forms, case-insensitive operators, numeric or string ranges', () => {
    const p = decodePolicy(b64({
      expiration: LATER,
      conditions: [{ acl: 'private', 'Content-Type': 'image/png' }, ['EQ', '$Key', 'k'], ['content-length-range', '1', 10]],
    }));
    assert.deepEqual(p.conditions, [
      { op: 'eq', field: 'acl', spelled: 'acl', value: 'private' },
      { op: 'eq', field: 'content-type', spelled: 'Content-Type', value: 'image/png' },
      { op: 'eq', field: 'key', spelled: 'Key', value: 'k' },
      { op: 'content-length-range', min: 1, max: 10 },
    ]);
  });

  it('understands AWS\'s \\$ and \\v escapes beside JSON\'s', () => {
    assert.equal(normalizeEscapes('a\\$b\\\\$c\\v\\n'), 'a$b\\\\$c\\u000b\\n');
    const p = decodePolicy(b64(`{"expiration": "${LATER}", "conditions": [["eq", "$key", "price\\$5\\/x"]]}`));
    assert.deepEqual(p.conditions[0], { op: 'eq', field: 'key', spelled: 'key', value: 'price$5/x' });
  });

  it('refuses malformed documents as InvalidPolicyDocument', () => {
    throwsInvalidPolicy(() => decodePolicy('not base64!'), /Base64/);
    throwsInvalidPolicy(() => decodePolicy(b64('{"expiration": ')), /Invalid JSON/);
    throwsInvalidPolicy(() => decodePolicy(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')), /UTF-8/);
    throwsInvalidPolicy(() => decodePolicy(b64([])), /object/);
    throwsInvalidPolicy(() => decodePolicy(b64({ conditions: [] })), /missing expiration/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: '2026-11-25 20:00', conditions: [] })), /expiration/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER })), /missing conditions/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: {} })), /array/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['in', '$key', 'x']] })), /unknown operation/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['eq', 'key', 'x']] })), /\$/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['eq', '$key']] })), /arguments/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['eq', '$key', 5]] })), /string/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [{ key: 5 }] })), /string/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['content-length-range', -1, 5]] })), /content-length-range/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: [['content-length-range', 0, 1.5]] })), /content-length-range/);
    throwsInvalidPolicy(() => decodePolicy(b64({ expiration: LATER, conditions: ['key'] })), /object or an array/);
  });
});

describe('checkPolicy', () => {
  it('expiration: valid up to the instant, AccessDenied after', () => {
    assert.equal(evaluate([], {}, { now: Date.parse(LATER) }), undefined);
    throwsS3(() => evaluate([], {}, { now: Date.parse(LATER) + 1 }), 'AccessDenied', /^Invalid according to Policy: Policy expired\.$/);
  });

  it('bucket: compares the addressed bucket, not a form field', () => {
    evaluate([{ bucket: 'photos' }], {}, { bucket: 'photos' });
    throwsS3(() => evaluate([{ bucket: 'photos' }], {}, { bucket: 'other' }), 'AccessDenied', /Policy Condition failed: \["eq", "\$bucket", "photos"\]/);
  });

  it('eq (both forms) must match exactly, case-sensitively', () => {
    evaluate([['eq', '$key', 'a/b.txt']], { key: 'a/b.txt' });
    evaluate([{ key: 'a/b.txt' }], { Key: 'a/b.txt' });
    throwsS3(() => evaluate([['eq', '$key', 'a/b.txt']], { key: 'A/b.txt' }), 'AccessDenied', /\["eq", "\$key", "a\/b.txt"\]/);
    throwsS3(() => evaluate([{ acl: 'private' }], { acl: 'public-read' }), 'AccessDenied', /\["eq", "\$acl", "private"\]/);
  });

  it('starts-with on key, metadata, success_action_* and Content-Type lists', () => {
    evaluate([['starts-with', '$key', 'user/']], { key: 'user/x' });
    throwsS3(() => evaluate([['starts-with', '$key', 'user/']], { key: 'other/x' }), 'AccessDenied', /\["starts-with", "\$key", "user\/"\]/);
    evaluate([['starts-with', '$key', ''], ['starts-with', '$x-amz-meta-tag', 'v']], { key: 'k', 'x-amz-meta-tag': 'v1' });
    throwsS3(() => evaluate([['starts-with', '$key', ''], ['starts-with', '$x-amz-meta-tag', 'v']], { key: 'k', 'x-amz-meta-tag': 'w' }), 'AccessDenied');
    evaluate([['starts-with', '$success_action_redirect', 'http://app/']], { success_action_redirect: 'http://app/done' });
    throwsS3(() => evaluate([['starts-with', '$success_action_redirect', 'http://app/']], { success_action_redirect: 'http://evil/' }), 'AccessDenied');
    evaluate([['starts-with', '$success_action_status', '20']], { success_action_status: '201' });
    // Content-Type: every entry of a comma-separated list must match (AWS example).
    evaluate([['starts-with', '$Content-Type', 'image/']], { 'content-type': 'image/jpg,image/png, image/gif' });
    throwsS3(() => evaluate([['starts-with', '$Content-Type', 'image/']], { 'Content-Type': 'image/jpg,text/plain' }), 'AccessDenied');
  });

  it('a field the form lacks has the value "": only "" and starts-with "" accept it', () => {
    evaluate([['starts-with', '$x-amz-meta-a', ''], ['eq', '$x-amz-meta-b', '']], {});
    throwsS3(() => evaluate([{ success_action_status: '201' }], {}), 'AccessDenied', /success_action_status/);
  });

  it('every condition must hold, in policy order', () => {
    throwsS3(() => evaluate([['starts-with', '$key', 'a'], ['eq', '$key', 'ab'], ['eq', '$key', 'ac']], { key: 'ab' }), 'AccessDenied', /"ac"/);
  });

  it('content-length-range is returned (intersected) for the upload to enforce', () => {
    assert.deepEqual(evaluate([['content-length-range', 0, 1000]], {}), { min: 0, max: 1000 });
    assert.deepEqual(evaluate([['content-length-range', 0, 1000], ['content-length-range', 10, 2000]], {}), { min: 10, max: 1000 });
  });

  it('every field but the exempt ones must be named by a condition', () => {
    const exempt = { file: 'x', policy: 'p', signature: 's', 'x-amz-signature': 's', AWSAccessKeyId: 'a', 'x-ignore-flash': 'y' };
    evaluate([['starts-with', '$key', '']], { key: 'k', ...exempt });
    throwsS3(() => evaluate([['starts-with', '$key', '']], { key: 'k', 'x-amz-meta-Color': 'red', ...exempt }), 'AccessDenied',
      /^Invalid according to Policy: Extra input fields: x-amz-meta-Color$/);
    throwsS3(() => evaluate([], { key: 'k', acl: 'private' }), 'AccessDenied', /Extra input fields: key, acl$/);
    // A condition covers its field whatever the case of either spelling.
    evaluate([['starts-with', '$Content-Type', '']], { 'content-type': 'text/plain' });
    // The V4 fields are not exempt: boto3 puts them in its conditions.
    throwsS3(() => evaluate([], { 'x-amz-credential': 'AK/20261125/us-east-1/s3/aws4_request' }), 'AccessDenied', /x-amz-credential/);
    assert.ok(exemptFromPolicy('x-ignore-') && !exemptFromPolicy('x-amz-date') && !exemptFromPolicy('bucket'));
  });
});

describe('checkLength', () => {
  it('is inclusive at both ends', () => {
    checkLength({ min: 2, max: 4 }, 2);
    checkLength({ min: 2, max: 4 }, 4);
    checkLength(undefined, 1e12);
    throwsS3(() => checkLength({ min: 2, max: 4 }, 5), 'EntityTooLarge', /exceeds the maximum allowed size/);
    throwsS3(() => checkLength({ min: 2, max: 4 }, 1), 'EntityTooSmall', /smaller than the minimum allowed size/);
  });
});
