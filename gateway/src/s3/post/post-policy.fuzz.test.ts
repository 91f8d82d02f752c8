// Property-based tests of the POST policy: any policy field text, any JSON
// document, and valid policies with their conditions mangled decode to a
// policy or InvalidPolicyDocument (400); evaluation of any decoded policy
// against any form gives a length range or a 4xx S3Error; a policy that a
// form satisfies keeps being satisfied only by the fields it names.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FormField, FormFields } from './post-fields.js';
import { checkLength, checkPolicy, decodePolicy } from './post-policy.js';
import { runs, valueOrClientError } from '../testing/fuzz.js';
import { throwsS3 } from '../auth/testing/assert-s3.js';

const NOW = Date.UTC(2026, 10, 25, 19, 0, 0);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function form(o: Record<string, string>): FormFields {
  return new Map<string, FormField>(Object.entries(o).map(([name, value]) => [name.toLowerCase(), { name, value }]));
}

const fieldName = fc.constantFrom('key', 'Key', 'bucket', 'acl', 'Content-Type', 'x-amz-meta-a', 'success_action_status', 'x-ignore-z', 'policy', 'file', '$key', '');
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const conditionArb = fc.oneof(
  fc.dictionary(fieldName, fc.oneof(fc.string({ maxLength: 12 }), scalar), { maxKeys: 3 }),
  fc.tuple(fc.constantFrom('eq', 'starts-with', 'EQ', 'content-length-range', 'x'), fc.oneof(fieldName.map((n) => `$${n}`), scalar), fc.oneof(fc.string({ maxLength: 12 }), scalar)),
  fc.array(scalar, { maxLength: 5 }),
  scalar,
  fc.jsonValue({ maxDepth: 4 }),
);
const policyDoc = fc.record({
  expiration: fc.oneof(fc.constant('2026-11-25T20:00:00.000Z'), fc.constant('2026-11-25T18:00:00Z'), fc.string({ maxLength: 30 }), scalar),
  conditions: fc.oneof(fc.array(conditionArb, { maxLength: 6 }), scalar, fc.jsonValue({ maxDepth: 3 })),
}, { requiredKeys: [] });

describe('POST policy (fuzz)', () => {
  it('any policy field text: a policy or InvalidPolicyDocument', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200, unit: 'binary' }), fc.string({ maxLength: 200, unit: 'binary' }).map(b64)), (text) => {
      valueOrClientError(() => decodePolicy(text));
    }), { numRuns: runs(1500) });
  });

  it('any JSON document (with AWS\'s escapes spliced in): a policy or InvalidPolicyDocument; a decoded policy evaluates to a range or a 4xx', () => {
    const formArb = fc.dictionary(fieldName.filter((n) => n !== ''), fc.string({ maxLength: 12 }), { maxKeys: 5 });
    fc.assert(fc.property(fc.oneof(policyDoc.map((d) => JSON.stringify(d)), fc.json({ maxDepth: 5 })), fc.nat(), fc.constantFrom('', '\\$', '\\v', '\\'), formArb, fc.nat({ max: 1 << 20 }), (json, at, esc, fields, size) => {
      const i = at % (json.length + 1);
      const p = valueOrClientError(() => decodePolicy(b64(json.slice(0, i) + esc + json.slice(i))));
      if (!p) return;
      const range = valueOrClientError(() => checkPolicy(p, { fields: form(fields), bucket: 'b', now: NOW }));
      if (range) assert.ok(Number.isSafeInteger(range.min) && Number.isSafeInteger(range.max));
      valueOrClientError(() => checkLength(range, size));
    }), { numRuns: runs(2000) });
  });

  it('a value nested to any depth anywhere in a condition: a policy or InvalidPolicyDocument', () => {
    const slots = ['[N, 1]', '[N, "$key", "x"]', '["eq", N, "x"]', '["eq", "$key", N]', '{"key": N}', '["content-length-range", N, 1]', 'N'];
    fc.assert(fc.property(fc.integer({ min: 1, max: 6000 }), fc.constantFrom(...slots), fc.boolean(), (depth, slot, arrays) => {
      const nested = arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      valueOrClientError(() => decodePolicy(b64(`{"expiration": "2026-11-25T20:00:00Z", "conditions": [${slot.replace('N', nested)}]}`)));
    }), { numRuns: runs(200) });
  });

  it('a satisfied policy: adding a field it does not name, or changing a value it pins, is refused', () => {
    fc.assert(fc.property(fc.string({ maxLength: 10 }), fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom('x-amz-meta-b', 'acl', 'content-type'), (key, extra, name) => {
      const p = decodePolicy(b64(JSON.stringify({ expiration: '2026-11-25T20:00:00Z', conditions: [{ bucket: 'b' }, ['eq', '$key', key]] })));
      assert.equal(checkPolicy(p, { fields: form({ key }), bucket: 'b', now: NOW }), undefined);
      throwsS3(() => checkPolicy(p, { fields: form({ key, [name]: extra }), bucket: 'b', now: NOW }), 'AccessDenied');
      throwsS3(() => checkPolicy(p, { fields: form({ key: key + extra }), bucket: 'b', now: NOW }), 'AccessDenied');
      throwsS3(() => checkPolicy(p, { fields: form({ key }), bucket: 'c', now: NOW }), 'AccessDenied');
    }), { numRuns: runs(500) });
  });
});

describe('POST policy: fuzz corpus (inputs that found bugs)', () => {
  // A condition nested thousands of arrays deep (fits in the 20 KB form
  // limit) made the error message's JSON.stringify overflow the stack: a
  // RangeError, answered 500 InternalError to a signed PostObject.
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  for (const [name, condition] of [
    ['too many arguments', `[${nested(5000)}, 1]`],
    ['an unknown operation', `[${nested(5000)}, "$key", "x"]`],
    ['a field reference that is not a string', `["eq", ${nested(5000)}, "x"]`],
    ['a simple condition whose value is not a string', `{"key": ${nested(5000)}}`],
  ] as const) {
    it(`a deeply nested condition (${name}) is InvalidPolicyDocument`, () => {
      throwsS3(() => decodePolicy(b64(`{"expiration": "2026-11-25T20:00:00Z", "conditions": [${condition}]}`)), 'InvalidPolicyDocument');
    });
  }
});
