// normalise (the gateway's authenticity check of a candidate) with scripted
// Byzantine candidates: exactly t and t+1 genuine vec entries, a garbage tag
// on an otherwise genuine candidate, a made-up nonce, an unknown key epoch.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeD, makeVec, NONCE_BYTES, nonceHash, normalise, verifyOwnEntry, vecEntry } from './candidate.js';
import { fixture, flip, keepEntries, ts, write } from './testing/fixture.js';
import { sha256 } from '../hash.js';
import { computeTag, tsBytes, verifyTag } from './timestamp.js';
import { createHmac } from 'node:crypto';

describe('normalise', () => {
  for (const t of [1, 2]) {
    const f = fixture(t);
    const w = write(f, ts(f, 3));
    const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

    it(`t=${t}: accepts every vec entry genuine, and returns it unchanged`, () => {
      const n = normalise(f.keys, f.params, f.reg, w.c);
      assert.ok(n);
      assert.deepEqual(n.vec, w.c.vec);
      assert.equal(n.nonce, w.c.nonce);
      assert.equal(n.d, w.c.d);
      assert.equal(n.ts, w.c.ts);
    });

    it(`t=${t}: accepts exactly t+1 genuine entries and re-signs the others`, () => {
      // The genuine entries are the last t+1, so a check that stops early or reads the wrong index fails.
      const keep = range(t + 1).map((i) => f.params.S - 1 - i);
      const n = normalise(f.keys, f.params, f.reg, keepEntries(w.c, keep));
      assert.ok(n);
      assert.deepEqual(n.vec, w.c.vec);
    });

    it(`t=${t}: makes t+1 MACs for an honest candidate, and the rest of the vec only when it is read`, () => {
      let made = 0;
      const counting = new Proxy(f.keys, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'nodeKey' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
          return (...args: unknown[]) => {
            made++;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const n = normalise(counting, f.params, f.reg, w.c);
      assert.ok(n);
      assert.equal(made, t + 1, 'vec entries made to judge it');
      assert.deepEqual(n.vec, w.c.vec);
      assert.equal(made, f.params.S, 'the rest made when the vec is read');
      assert.equal(n.vec, n.vec, 'and made once');
      assert.equal(made, f.params.S);
    });

    it(`t=${t}: refuses exactly t genuine entries (t nodes know their own keys)`, () => {
      assert.equal(normalise(f.keys, f.params, f.reg, keepEntries(w.c, range(t))), null);
      assert.equal(normalise(f.keys, f.params, f.reg, keepEntries(w.c, range(t).map((i) => f.params.S - 1 - i))), null);
    });

    it(`t=${t}: refuses no genuine entry, and a vec of missing entries`, () => {
      assert.equal(normalise(f.keys, f.params, f.reg, keepEntries(w.c, [])), null);
      assert.equal(normalise(f.keys, f.params, f.reg, { ...w.c, vec: [] }), null);
    });

    it(`t=${t}: refuses the real ts, tag and D with a made-up nonce (the vec is over the real N̄)`, () => {
      const forged = { ...w.c, nonce: flip(w.c.nonce) };
      assert.equal(normalise(f.keys, f.params, f.reg, forged), null);
    });

    it(`t=${t}: refuses a genuine candidate whose tag alone is garbage`, () => {
      const badTag = { ...w.c, ts: { ...w.c.ts, tag: flip(w.c.ts.tag, 31) } };
      assert.equal(normalise(f.keys, f.params, f.reg, badTag), null);
    });
  }

  const f = fixture(1);
  const w = write(f, ts(f, 3));

  it('refuses a nonce or D of the wrong length', () => {
    assert.equal(normalise(f.keys, f.params, f.reg, { ...w.c, nonce: w.c.nonce.subarray(1) }), null);
    assert.equal(normalise(f.keys, f.params, f.reg, { ...w.c, nonce: Buffer.concat([w.c.nonce, Buffer.alloc(1)]) }), null);
    assert.equal(normalise(f.keys, f.params, f.reg, { ...w.c, d: w.c.d.subarray(1) }), null);
    assert.equal(NONCE_BYTES, 32);
  });

  // The writer's keys make a vec over any bytes: the lengths are checked
  // for themselves, not only through the MACs.
  it('refuses a nonce or D of the wrong length even under a genuine vec over them', () => {
    for (const [nonce, d] of [[w.c.nonce.subarray(1), w.c.d], [w.c.nonce, w.c.d.subarray(1)], [w.c.nonce, Buffer.concat([w.c.d, Buffer.alloc(1)])]] as const) {
      const vec = makeVec(f.keys, f.params, f.reg, w.c.ts, nonceHash(nonce), d);
      assert.equal(normalise(f.keys, f.params, f.reg, { ts: w.c.ts, nonce, d, vec }), null);
    }
  });

  it('ignores vec entries beyond S', () => {
    const n = normalise(f.keys, f.params, f.reg, { ...w.c, vec: [...w.c.vec, Buffer.alloc(32)] });
    assert.deepEqual(n?.vec, w.c.vec);
  });

  it('refuses another register’s candidate', () => {
    const other = fixture(1, sha256(Buffer.from('another register')));
    assert.equal(normalise(other.keys, other.params, other.reg, w.c), null);
  });

  it('returns null (does not throw) for an epoch it holds no keys for', () => {
    // A writer key for epoch 9 but no node keys: the tag verifies, makeVec cannot.
    const keys = {
      currentEpoch: 9,
      writerKey: (e: number) => f.keys.writerKey(e === 9 ? 0 : e),
      nodeKey: (e: number, i: number) => (e === 9 ? undefined : f.keys.nodeKey(e, i)),
    };
    const base = { ...w.c.ts, epoch: 9 };
    const c9 = { ...w.c, ts: { ...base, tag: computeTag(f.keys.writerKey(0)!, f.reg, base) } };
    assert.equal(verifyTag(keys, f.reg, c9.ts), true);
    assert.equal(normalise(keys, f.params, f.reg, c9), null);
  });
});

describe('makeVec / verifyOwnEntry', () => {
  const f = fixture(1);
  const w = write(f, ts(f, 4));

  it('makes one entry per node, each under that node’s key', () => {
    const vec = makeVec(f.keys, f.params, f.reg, w.c.ts, w.nbar, w.c.d);
    assert.equal(vec.length, f.params.S);
    for (let i = 0; i < f.params.S; i++) assert.deepEqual(vec[i], vecEntry(f.keys.nodeKey(0, i)!, f.reg, w.c.ts, w.nbar, w.c.d));
    assert.notDeepEqual(vec[0], vec[1]);
  });

  it('throws for an epoch without keys', () => {
    assert.throws(() => makeVec(f.keys, f.params, f.reg, { ...w.c.ts, epoch: 5 }, w.nbar, w.c.d), /no key for node 0 in epoch 5/);
  });

  it('a node accepts its own genuine entry only', () => {
    const n1 = f.node(1);
    assert.equal(verifyOwnEntry(n1, f.reg, w.c.ts, w.nbar, w.c.d, w.c.vec[1]), true);
    assert.equal(verifyOwnEntry(n1, f.reg, w.c.ts, w.nbar, w.c.d, w.c.vec[0]), false);
    assert.equal(verifyOwnEntry(n1, f.reg, w.c.ts, w.nbar, w.c.d, undefined), false);
    assert.equal(verifyOwnEntry(n1, f.reg, w.c.ts, nonceHash(flip(w.c.nonce)), w.c.d, w.c.vec[1]), false);
    assert.equal(verifyOwnEntry(n1, f.reg, w.c.ts, w.nbar, flip(w.c.d), w.c.vec[1]), false);
    assert.equal(verifyOwnEntry(n1, f.reg, { ...w.c.ts, epoch: 3 }, w.nbar, w.c.d, w.c.vec[1]), false);
  });

  it('a vec entry is HMAC-SHA256(k_i, "ps-vec-v1\\0" ‖ reg ‖ tsBytes ‖ N̄ ‖ D) (known answer)', () => {
    const key = f.keys.nodeKey(0, 2)!;
    const want = createHmac('sha256', key).update(Buffer.concat([Buffer.from('ps-vec-v1\0'), f.reg, tsBytes(w.c.ts), w.nbar, w.c.d])).digest();
    assert.deepEqual(vecEntry(key, f.reg, w.c.ts, w.nbar, w.c.d), want);
  });

  it('D binds cc and meta', () => {
    assert.notDeepEqual(computeD(w.cc, w.meta), computeD(w.cc, flip(w.meta)));
    assert.notDeepEqual(computeD(w.cc, w.meta), computeD([flip(w.cc[0]!), ...w.cc.slice(1)], w.meta));
  });
});
