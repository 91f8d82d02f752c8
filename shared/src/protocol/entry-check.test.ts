// authenticateEntry (heal's check of a history entry one node sent back),
// one bad verdict at a time, with t and t+1 genuine vec entries.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authenticateEntry } from './entry-check.js';
import { computeD, makeVec } from './candidate.js';
import { computeTag } from './timestamp.js';
import { fixture, flip, ts, write, WRITER_B } from './testing/fixture.js';
import type { StoreCommit } from './server.js';

for (const t of [1, 2]) {
  describe(`authenticateEntry, t=${t}`, () => {
    const f = fixture(t);
    const w = write(f, ts(f, 3));
    const want = { ts: w.c.ts, cc: w.cc };
    const check = (m: StoreCommit) => authenticateEntry(f.keys, f.params, f.reg, want, m);
    const bad = (m: StoreCommit) => {
      const v = check(m);
      return 'bad' in v ? `${v.bad}: ${v.why}` : 'ok';
    };
    const withVec = (keep: number) => ({ ...w.commit(), vec: w.c.vec.map((e, i) => (i < keep ? e : flip(e))) });

    it('accepts an honest entry and returns it with its full vec', () => {
      const v = check(w.commit());
      assert.ok('ok' in v);
      assert.deepEqual(v.ok, w.commit());
    });

    it('accepts exactly t+1 genuine vec entries, re-signing the others', () => {
      const v = check(withVec(t + 1));
      assert.ok('ok' in v);
      assert.deepEqual(v.ok.vec, w.c.vec);
    });

    it('refuses exactly t genuine vec entries, and a short vec', () => {
      assert.match(bad(withVec(t)), new RegExp(`^bad-mac: .*${t} vec entries verify, ${t + 1} needed`));
      assert.match(bad({ ...w.commit(), vec: [] }), /^bad-mac: .*0 vec entries verify/);
    });

    it('refuses an entry of another ts: malformed when its tag verifies, forged-ts when not', () => {
      const other = ts(f, 4);
      assert.match(bad({ ...w.commit(), ts: other }), /^malformed: asked for 3\..*, answered 4\./);
      assert.match(bad({ ...w.commit(), ts: ts(f, 3, WRITER_B) }), /^malformed/);
      assert.match(bad({ ...w.commit(), ts: ts(f, 3, undefined, 2) }), /^malformed/);
      assert.match(bad({ ...w.commit(), ts: { ...other, tag: flip(other.tag) } }), /^forged-ts/);
    });

    it('refuses the asked ts with another tag or another epoch', () => {
      assert.match(bad({ ...w.commit(), ts: { ...w.c.ts, tag: flip(w.c.ts.tag) } }), /^forged-ts/);
      const e1 = { ...w.c.ts, epoch: 1 };
      assert.match(bad({ ...w.commit(), ts: e1 }), /^forged-ts/);
      // Same order fields, another epoch with a tag that verifies under the epoch-0 key ring's answer.
      const keys = { ...f.keys, currentEpoch: 0, writerKey: (e: number) => f.keys.writerKey(e === 1 ? 0 : e), nodeKey: (e: number, i: number) => f.keys.nodeKey(e, i) };
      const tagged = { ...e1, tag: computeTag(f.keys.writerKey(0)!, f.reg, e1) };
      const v = authenticateEntry(keys, f.params, f.reg, want, { ...w.commit(), ts: tagged });
      assert.ok('bad' in v && v.bad === 'malformed');
    });

    it('refuses a cc other than the one the write committed to', () => {
      assert.match(bad({ ...w.commit(), cc: w.cc.map((h, i) => (i === f.params.S - 1 ? flip(h) : h)) }), /^wrong-cc: .*another cc/);
      assert.match(bad({ ...w.commit(), cc: w.cc.slice(0, f.params.S - 1) }), /^wrong-cc: .*another cc/);
      // A longer cc with the committed one as its prefix.
      assert.match(bad({ ...w.commit(), cc: [...w.cc, w.cc[0]!] }), /^wrong-cc: .*another cc/);
    });

    it('refuses a meta or D that does not hash together, even with a genuine vec over that D', () => {
      const meta = Buffer.from('{"size":6}');
      assert.match(bad({ ...w.commit(), meta }), /^wrong-cc: .*D does not match/);
      const d = computeD(w.cc, meta);
      assert.match(bad({ ...w.commit(), d, vec: makeVec(f.keys, f.params, f.reg, w.c.ts, w.nbar, d) }), /^wrong-cc: .*D does not match/);
    });

    it('refuses a made-up N̄ (the vec is over the real one)', () => {
      assert.match(bad({ ...w.commit(), nbar: flip(w.nbar) }), /^bad-mac/);
    });
  });
}

describe('authenticateEntry, unknown epoch', () => {
  it('is bad-mac when the gateway holds no node keys for the entry’s epoch', () => {
    const f = fixture(1);
    const w = write(f, ts(f, 3));
    const keys = { currentEpoch: 0, writerKey: (e: number) => f.keys.writerKey(e), nodeKey: () => undefined };
    const v = authenticateEntry(keys, f.params, f.reg, { ts: w.c.ts, cc: w.cc }, w.commit());
    assert.ok('bad' in v);
    assert.equal(v.bad, 'bad-mac');
    assert.match(v.why, /no keys for/);
  });
});
