// Property-based tests of the batch RPC codec: any bytes decode to entries
// or answers, or a WireError; encodings round-trip; entries never reach
// past the body.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BATCH_ROUTES, type BatchAnswer, type BatchEntry, decodeAnswers, decodeBatch, encodeAnswers, encodeBatch, MAX_BATCH_ENTRIES } from './batch.js';
import { WireError } from './wire.js';

const runs = (n: number) => n * Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));

function valueOrWireError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected a WireError, got ${String(e)}`);
    return undefined;
  }
}

const payload = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
const entryArb: fc.Arbitrary<BatchEntry> = fc.record({ route: fc.constantFrom(...BATCH_ROUTES), payload }).map((e) => ({ ...e }));
const answerArb: fc.Arbitrary<BatchAnswer> = fc.record({ status: fc.nat({ max: 0xffff }), payload }).map((a) => ({ ...a }));
const mutated = (b: Buffer, at: number, x: number, cut: number) => {
  const c = Buffer.from(b.subarray(0, b.length - (cut % (b.length + 1))));
  if (c.length) c[at % c.length] = (c[at % c.length] ?? 0) ^ x;
  return c;
};

describe('batch codec (fuzz)', () => {
  it('any bytes: entries within the body and the entry limit, or a WireError', () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.array(entryArb, { maxLength: 5 }), fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 8 })).map(([es, at, x, cut]) => mutated(encodeBatch(es), at, x, cut)),
    );
    fc.assert(fc.property(body, fc.nat({ max: 6 }), (b, expected) => {
      const es = valueOrWireError(() => decodeBatch(b));
      if (es) {
        assert.ok(es.length <= MAX_BATCH_ENTRIES);
        assert.equal(es.reduce((n, e) => n + 5 + e.payload.length, 0), b.length);
      }
      const as = valueOrWireError(() => decodeAnswers(b, expected));
      if (as) assert.equal(as.length, expected);
    }), { numRuns: runs(2000) });
  });

  it('round trip: entries and answers decode to what was encoded', () => {
    fc.assert(fc.property(fc.array(entryArb, { maxLength: 6 }), fc.array(answerArb, { maxLength: 6 }), (es, as) => {
      assert.deepEqual(decodeBatch(encodeBatch(es)), es);
      assert.deepEqual(decodeAnswers(encodeAnswers(as), as.length), as);
      if (as.length > 0) assert.equal(valueOrWireError(() => decodeAnswers(encodeAnswers(as), as.length - 1)), undefined);
    }), { numRuns: runs(1000) });
  });
});
