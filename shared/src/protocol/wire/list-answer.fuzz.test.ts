// Property-based tests of the list answer's reader (list-answer.ts): pages
// round-trip from their source values, and any bytes (random ones, or a
// valid answer with bytes flipped, cut, inserted or deleted) give a
// well-formed page or a WireError (evidence), never a TypeError or
// RangeError, with a cache of earlier entries or without.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Candidate } from '../candidate.js';
import type { Timestamp } from '../timestamp.js';
import { encodeListAnswer, parseListAnswer } from './list-answer.js';
import { ListEntryCache } from './list-entry-cache.js';
import { WireError } from './wire.js';

const S = 4;
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));
const runs = (n: number) => n * RUNS;

function valueOrWireError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `expected a WireError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

const plain = <T extends object>(x: T): T => ({ ...x });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const tsArb: fc.Arbitrary<Timestamp> = fc.record({
  num: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  writer: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a).toString('hex')),
  op: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  epoch: fc.nat({ max: 0xffffffff }),
  tag: bytes(32),
}).map(plain);
const candArb: fc.Arbitrary<Candidate> = fc.record({ ts: tsArb, nonce: bytes(32), d: bytes(32), vec: fc.array(bytes(32), { minLength: S, maxLength: S }) }).map(plain);
const entryArb = fc.tuple(fc.string({ maxLength: 30, unit: 'grapheme' }), candArb, fc.option(fc.tuple(fc.array(bytes(32), { minLength: S, maxLength: S }), fc.uint8Array({ maxLength: 64 })), { nil: undefined }))
  .map(([key, lc, d]) => (d ? { key, lc, cc: d[0], meta: Buffer.from(d[1]) } : { key, lc }));
const pageArb = fc.tuple(fc.array(entryArb, { maxLength: 4 }), fc.boolean(), fc.boolean())
  .map(([entries, truncated, byteLimited]) => ({ entries, truncated: truncated || byteLimited, ...(byteLimited ? { byteLimited } : {}) }));

describe('list answer reader (fuzz)', () => {
  it('round trip from the source values, with a cache and without', () => {
    fc.assert(fc.property(pageArb, (page) => {
      const body = encodeListAnswer(page);
      assert.deepEqual(parseListAnswer(body, S), page);
      const cache = new ListEntryCache();
      parseListAnswer(body, S, cache);
      assert.deepEqual(parseListAnswer(body, S, cache), page);
    }), { numRuns: runs(500) });
  });

  it('random bytes: a page or a WireError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      valueOrWireError(() => parseListAnswer(Buffer.from(b), S));
    }), { numRuns: runs(1500) });
  });

  it('a valid answer mangled (bytes flipped, cut, inserted, deleted): a page or a WireError', () => {
    fc.assert(fc.property(pageArb, fc.nat(), fc.nat({ max: 8 }), fc.uint8Array({ maxLength: 4 }), fc.nat({ max: 255 }), (page, at, del, ins, flip) => {
      const body = encodeListAnswer(page);
      const i = at % (body.length + 1);
      const mangled = Buffer.concat([body.subarray(0, i), Buffer.from(ins), body.subarray(i + del)]);
      if (mangled.length > 0) mangled[at % mangled.length]! ^= flip;
      const cache = new ListEntryCache();
      valueOrWireError(() => parseListAnswer(body, S, cache));
      valueOrWireError(() => parseListAnswer(mangled, S, cache));
    }), { numRuns: runs(1500) });
  });
});
