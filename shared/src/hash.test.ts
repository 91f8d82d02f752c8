// H and MAC (hash.ts): SHA-256 of known vectors, one part (the one-shot
// path) or several (a Hash object) giving the hash of their concatenation;
// HMAC-SHA-256 of RFC 4231's test cases; both against node:crypto's Hash
// and Hmac objects on random inputs either side of the scratch buffer's size;
// the *Matches checks against the digest, its every one-bit change and
// every other length.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EMPTY_SHA256, hmacSha256, hmacSha256Matches, sha256, sha256Matches } from './hash.js';

const partsArb = fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { maxLength: 6 });

describe('hashes', () => {
  it('sha256: known vectors, one part or several', () => {
    assert.equal(EMPTY_SHA256.toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    assert.equal(sha256(Buffer.from('abc')).toString('hex'), abc);
    assert.equal(sha256(Buffer.from('a'), Buffer.from('bc')).toString('hex'), abc);
    assert.equal(sha256(Buffer.from('a'), Buffer.alloc(0), Buffer.from('b'), Buffer.from('c')).toString('hex'), abc);
    assert.equal(sha256(Buffer.alloc(0)).toString('hex'), EMPTY_SHA256.toString('hex'));
    const view = Buffer.from('xxabcxx').subarray(2, 5);
    assert.equal(sha256(view).toString('hex'), abc, 'a view hashes its own bytes only');
  });

  it('hmacSha256: RFC 4231 test cases 1, 2 and 6 (a key longer than a block)', () => {
    const mac = hmacSha256(Buffer.alloc(20, 0x0b), Buffer.from('Hi '), Buffer.from('There'));
    assert.equal(mac.toString('hex'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    const jefe = hmacSha256(Buffer.from('Jefe'), Buffer.from('what do ya want '), Buffer.from('for nothing?'));
    assert.equal(jefe.toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    const long = hmacSha256(Buffer.alloc(131, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'));
    assert.equal(long.toString('hex'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
  });

  it('sha256 and hmacSha256 equal node:crypto\'s Hash and Hmac on any parts, small or past the scratch buffer', () => {
    fc.assert(fc.property(partsArb, fc.uint8Array({ maxLength: 100 }), (parts, keyBytes) => {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      assert.deepEqual(sha256(...parts), h.digest());
      // Two keys in turn, each used twice: a key's pads are its own.
      for (const key of [Buffer.from(keyBytes), Buffer.from(keyBytes.map((b) => b ^ 1)), Buffer.from(keyBytes)]) {
        const m = createHmac('sha256', key);
        for (const p of parts) m.update(p);
        assert.deepEqual(hmacSha256(key, ...parts), m.digest());
      }
    }), { numRuns: 300 });
  });

  it('sha256Matches and hmacSha256Matches: true for the digest, false for any bit changed or another length', () => {
    fc.assert(fc.property(partsArb, fc.uint8Array({ maxLength: 100 }), fc.nat(255), (parts, keyBytes, bit) => {
      const key = Buffer.from(keyBytes);
      const h = createHash('sha256');
      const m = createHmac('sha256', key);
      for (const p of parts) {
        h.update(p);
        m.update(p);
      }
      for (const [digest, matches] of [
        [h.digest(), (e: Buffer) => sha256Matches(e, ...parts)],
        [m.digest(), (e: Buffer) => hmacSha256Matches(key, e, ...parts)],
      ] as const) {
        assert.equal(matches(digest), true);
        const flipped = Buffer.from(digest);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        assert.equal(matches(flipped), false, `bit ${bit} changed`);
        assert.equal(matches(digest.subarray(0, 31)), false, 'one byte short');
        assert.equal(matches(Buffer.concat([digest, Buffer.alloc(1)])), false, 'one byte more');
        assert.equal(matches(Buffer.alloc(0)), false, 'empty');
      }
    }), { numRuns: 300 });
  });

  it('results are Buffers of their own (not views of shared memory a later call overwrites)', () => {
    const a = hmacSha256(Buffer.alloc(32, 1), Buffer.from('a'), Buffer.from('b'));
    const copy = Buffer.from(a);
    const b = sha256(Buffer.from('c'), Buffer.from('d'));
    hmacSha256(Buffer.alloc(32, 2), Buffer.from('e'), Buffer.from('f'));
    sha256(Buffer.from('g'), Buffer.from('h'));
    assert.deepEqual(a, copy);
    assert.deepEqual(b, sha256(Buffer.from('cd')));
  });
});
