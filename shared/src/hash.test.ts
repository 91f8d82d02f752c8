// H and MAC (hash.ts): SHA-256 of known vectors, one part (the one-shot
// path) or several (a Hash object) giving the hash of their concatenation;
// HMAC-SHA-256 of RFC 4231's first test case.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_SHA256, hmacSha256, sha256 } from './hash.js';

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

  it('hmacSha256: RFC 4231 test case 1', () => {
    const mac = hmacSha256(Buffer.alloc(20, 0x0b), Buffer.from('Hi '), Buffer.from('There'));
    assert.equal(mac.toString('hex'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  });
});
