// Register ids are hashes of (namespace, key), unambiguous across the split.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { BUCKETS_NS, regId } from './register.js';

describe('regId', () => {
  it('is SHA-256 over the domain and the length-prefixed ns and key', () => {
    const lp = (s: string) => {
      const b = Buffer.from(s, 'utf8');
      const n = Buffer.alloc(4);
      n.writeUInt32BE(b.length);
      return Buffer.concat([n, b]);
    };
    const want = (ns: string, key: string) => createHash('sha256').update(Buffer.concat([Buffer.from('ps-reg-v1\0'), lp(ns), lp(key)])).digest();
    assert.deepEqual(regId('b', 'k'), want('b', 'k'));
    for (const [ns, key] of [['', ''], ['bucket', 'dir/ü "key"\n'], ['b', '\u{1F600}'.repeat(300)], ['n'.repeat(255), 'k'.repeat(1024)]]) {
      assert.deepEqual(regId(ns!, key!), want(ns!, key!), `${ns!.length} ${key!.length}`);
    }
  });

  it('does not confuse where ns ends and key begins', () => {
    assert.notDeepEqual(regId('ab', 'c'), regId('a', 'bc'));
    assert.notDeepEqual(regId(BUCKETS_NS, 'b'), regId('b', ''));
    assert.equal(BUCKETS_NS, '');
  });
});
