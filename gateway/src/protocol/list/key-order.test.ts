// cmpKey (key-order.ts) orders keys as their UTF-8 bytes do (Buffer.compare),
// including keys with characters above U+FFFF beside ones from U+E000 to
// U+FFFF, where UTF-16 order differs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cmpKey } from './key-order.js';

const bytesOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('key order', () => {
  it('is UTF-8 byte order where UTF-16 order is not', () => {
    const astral = '\u{1F600}'; // units D83D DE00
    const high = '\uFF21'; // a fullwidth A: one unit, above every surrogate
    assert.ok(astral < high, 'UTF-16 puts the astral character first');
    assert.equal(cmpKey(astral, high), 1);
    assert.equal(cmpKey(high, astral), -1);
    assert.equal(cmpKey(`a${astral}`, `a${high}z`), 1);
    assert.equal(cmpKey('\uE000', '\uD7FF'), 1);
    assert.equal(cmpKey('\uD800\uDC00', '\uFFFF'), 1);
  });

  it('agrees in sign with Buffer.compare on any two keys (prefixes and equal ones too)', () => {
    const unit = fc.oneof(fc.constantFrom('a', 'b', '/', '\u00fc', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}'), fc.string({ unit: 'grapheme', maxLength: 2 }));
    const key = fc.array(unit, { maxLength: 6 }).map((a) => a.join(''));
    fc.assert(fc.property(key, key, fc.boolean(), (a, b, prefix) => {
      const y = prefix ? a + b : b;
      assert.equal(Math.sign(cmpKey(a, y)), bytesOrder(a, y), `${JSON.stringify(a)} vs ${JSON.stringify(y)}`);
      assert.equal(cmpKey(a, a), 0);
    }), { numRuns: 3000 });
  });
});
