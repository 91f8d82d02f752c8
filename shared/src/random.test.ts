// The pooled CSPRNG: ids and nonces of the right length, and no byte of the
// pool handed out twice, across refills and between the two ways out.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomBytesPooled, randomHex } from './random.js';

const HEX = /^[0-9a-f]*$/;

describe('random', () => {
  it('randomHex gives two hex digits a byte, from the pool and past it', () => {
    for (const n of [1, 8, 12, 16, 1024, 1025, 5000]) {
      const s = randomHex(n);
      assert.equal(s.length, 2 * n);
      assert.match(s, HEX);
    }
  });

  it('randomHex never repeats across many pool refills', () => {
    // 8 bytes an id, 512 ids a 4 KiB pool: about twenty refills.
    const ids = new Set(Array.from({ length: 10_000 }, () => randomHex(8)));
    assert.equal(ids.size, 10_000);
  });

  it('randomHex and randomBytesPooled draw different bytes from the one pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const b = randomBytesPooled(16);
      assert.equal(b.length, 16);
      seen.add(b.toString('hex'));
      seen.add(randomHex(16));
    }
    assert.equal(seen.size, 4_000);
  });

  it('a Buffer from the pool is its own copy: later draws leave it as it was', () => {
    const b = randomBytesPooled(32);
    const before = b.toString('hex');
    for (let i = 0; i < 1_000; i++) randomHex(16);
    assert.equal(b.toString('hex'), before);
    assert.notEqual(before, '0'.repeat(64));
  });
});
