// Block hashes by algorithm, and the algorithm a cc entry commits a list in.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { sha256 } from '../hash.js';
import { BlockDigest, blockDigest, listAlg, listHash, listMatches, WRITE_BLOCK_HASH } from './block-hash.js';
import { BlockHasher } from './block-hasher.js';
import { BLAKE3_PACKAGES, blake3Problem, loadBlake3 } from './blake3-packages.js';

describe('block hashes', () => {
  it('BLAKE3 is the published function, SHA-256 node:crypto', () => {
    // BLAKE3 test vectors: the empty input and "abc".
    assert.equal(blockDigest('blake3', Buffer.alloc(0)).toString('hex'), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    assert.equal(blockDigest('blake3', Buffer.from('abc')).toString('hex'), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
    const b = randomBytes(1000);
    assert.deepEqual(blockDigest('sha256', b), createHash('sha256').update(b).digest());
  });

  it('new writes hash their blocks with BLAKE3', () => {
    assert.equal(WRITE_BLOCK_HASH, 'blake3');
  });

  for (const alg of ['sha256', 'blake3'] as const) {
    it(`${alg}: a digest over chunks (empty ones and views included) is the one-shot digest`, () => {
      const b = randomBytes(70_000);
      const d = new BlockDigest(alg);
      d.update(b.subarray(0, 0));
      d.update(b.subarray(0, 1));
      d.update(b.subarray(1, 65_537));
      d.update(Buffer.alloc(0));
      d.update(b.subarray(65_537));
      assert.deepEqual(d.digest(), blockDigest(alg, b));
    });

    it(`${alg}: BlockHasher cuts blocks and lists their digests`, () => {
      const b = randomBytes(10_000);
      const h = new BlockHasher(4096, alg);
      h.update(b.subarray(0, 5000));
      h.update(b.subarray(5000));
      const want = Buffer.concat([b.subarray(0, 4096), b.subarray(4096, 8192), b.subarray(8192)].map((x) => blockDigest(alg, x)));
      assert.deepEqual(h.finish(), want);
    });
  }

  it('a SHA-256 list commits as before; a BLAKE3 one under its prefix; each is known by its cc entry', () => {
    const list = randomBytes(3 * 32);
    assert.deepEqual(listHash('sha256', list), sha256(list));
    assert.notDeepEqual(listHash('blake3', list), listHash('sha256', list));
    for (const alg of ['sha256', 'blake3'] as const) {
      const cc = listHash(alg, list);
      assert.equal(listAlg(cc, list), alg);
      assert.ok(listMatches(alg, cc, list));
      assert.ok(!listMatches(alg === 'blake3' ? 'sha256' : 'blake3', cc, list));
      const other = Buffer.from(list);
      other[5]! ^= 1;
      assert.equal(listAlg(cc, other), null);
    }
    // The empty list (an empty object's fragment) too.
    assert.equal(listAlg(listHash('blake3', Buffer.alloc(0)), Buffer.alloc(0)), 'blake3');
    assert.equal(listAlg(listHash('sha256', Buffer.alloc(0)), Buffer.alloc(0)), 'sha256');
  });

  it('the binary loads from the lock\'s packages; without one, the problem is one line naming what to install', () => {
    assert.equal(blake3Problem(), null);
    assert.ok(loadBlake3());
    const missing = ['@napi-rs/blake-hash-no-such-platform'];
    assert.equal(loadBlake3(missing), null);
    const p = blake3Problem(missing);
    assert.match(p ?? '', /^no BLAKE3 binary loads for \S+: install @napi-rs\/blake-hash's package for this platform \(version 1\.3\.6\); the lock holds @napi-rs\/blake-hash-no-such-platform$/);
    assert.deepEqual(BLAKE3_PACKAGES, ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl']);
  });
});
