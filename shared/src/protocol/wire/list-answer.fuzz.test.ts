// Property-based tests of the list answer's reader (list-answer.ts): pages
// round-trip from their source values, and any bytes (random ones, or a
// valid answer with bytes flipped, cut, inserted or deleted) give a
// well-formed page or a WireError (evidence), never a TypeError or
// RangeError, with a cache of earlier entries or without.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeListAnswer, parseListAnswer } from './list-answer.js';
import { ListEntryCache } from './list-entry-cache.js';
import { bytesArb as bytes, candArb as candArbOf, mangled, manglingArb, valueOrWireError } from '../testing/arbitraries.js';

const S = 4;
const RUNS = Math.max(1, Math.round(Number(process.env.FUZZ_SCALE ?? '1') || 1));
const runs = (n: number) => n * RUNS;

const candArb = candArbOf(S);
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
    fc.assert(fc.property(pageArb, manglingArb, (page, how) => {
      const body = encodeListAnswer(page);
      const cache = new ListEntryCache();
      valueOrWireError(() => parseListAnswer(body, S, cache));
      valueOrWireError(() => parseListAnswer(mangled(body, how), S, cache));
    }), { numRuns: runs(1500) });
  });
});
