// The node's pure decisions, one reject reason at a time: judgeStore,
// validity (the node-side valid()), judgeComplete and judgeFilter with GONE.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeComplete, judgeFilter, judgeStore, validity, type HistRecord } from './server.js';
import { computeD, makeVec } from './candidate.js';
import { listHash } from '../erasure/block-hash.js';
import { tsKey, type Timestamp } from './timestamp.js';
import { fixture, flip, keepEntries, ts, write, WRITER_B } from './testing/fixture.js';

describe('judgeStore', () => {
  const f = fixture(1);
  const S = f.params.S;
  const w = write(f, ts(f, 3));
  const node = 2;
  const keys = f.node(node);
  const judge = (msg = w.commit(), blocks = w.blocks[node]!, existing?: HistRecord) => judgeStore(keys, S, f.reg, msg, blocks, existing, 'sha256');
  const reason = (v: ReturnType<typeof judge>) => (v.kind === 'reject' ? v.reason : v.kind);

  it('accepts an honest store', () => {
    assert.deepEqual(judge(), { kind: 'accept' });
  });

  it('checks its block list under the algorithm cc commits it in, and only that one', () => {
    const cc = w.blocks.map((b) => listHash('blake3', b));
    const d = computeD(cc, w.meta);
    const msg = { ...w.commit(), cc, d, vec: makeVec(f.keys, f.params, f.reg, w.c.ts, w.nbar, d) };
    const own = w.blocks[node]!;
    assert.deepEqual(judgeStore(keys, S, f.reg, msg, own, undefined, 'blake3'), { kind: 'accept' });
    assert.match(reason(judgeStore(keys, S, f.reg, msg, own, undefined, 'sha256')), /fragment does not match cc/);
    assert.match(reason(judgeStore(keys, S, f.reg, w.commit(), own, undefined, 'blake3')), /fragment does not match cc/);
  });

  it('rejects a cc or vec of the wrong length', () => {
    assert.match(reason(judge({ ...w.commit(), cc: w.cc.slice(0, S - 1) })), /wrong length/);
    assert.match(reason(judge({ ...w.commit(), cc: [...w.cc, w.cc[0]!] })), /wrong length/);
    assert.match(reason(judge({ ...w.commit(), vec: w.c.vec.slice(0, S - 1) })), /wrong length/);
    assert.match(reason(judge({ ...w.commit(), vec: [...w.c.vec, w.c.vec[0]!] })), /wrong length/);
  });

  it('rejects when its own vec entry does not verify (the others may be anything)', () => {
    assert.match(reason(judge({ ...w.commit(), vec: keepEntries(w.c, [0, 1, 3]).vec })), /vec entry does not verify/);
    assert.deepEqual(judge({ ...w.commit(), vec: keepEntries(w.c, [node]).vec }), { kind: 'accept' });
  });

  it('rejects a D that does not hash cc and meta, even with a genuine vec over that D', () => {
    // Only the D check catches this: the writer's MACs are over the wrong D.
    const d = flip(w.c.d);
    const vec = makeVec(f.keys, f.params, f.reg, w.c.ts, w.nbar, d);
    assert.match(reason(judge({ ...w.commit(), d, vec })), /D does not match/);
  });

  it('rejects a meta that does not hash into D', () => {
    const bad = write(f, ts(f, 4), Buffer.from('{"size":6}'));
    const d = computeD(bad.cc, Buffer.from('{"size":7}'));
    const vec = makeVec(f.keys, f.params, f.reg, bad.c.ts, bad.nbar, d);
    assert.match(reason(judge({ ...bad.commit(), d, vec }, bad.blocks[node]!)), /D does not match/);
  });

  it('rejects a fragment that does not match its cc entry', () => {
    assert.match(reason(judge(w.commit(), w.blocks[0]!)), /fragment does not match/);
  });

  it('an identical second store is a duplicate; any other is rejected (Hist is write-once)', () => {
    assert.deepEqual(judge(w.commit(), w.blocks[node]!, w.hist(node)), { kind: 'duplicate' });
    const other = write(f, w.c.ts); // same ts, another nonce, cc and D
    assert.match(reason(judge(other.commit(), other.blocks[node]!, w.hist(node))), /exists with different content/);
    // Same D and vec entry for this node, but a different nbar recorded.
    assert.match(reason(judge(w.commit(), w.blocks[node]!, { ...w.hist(node), nbar: flip(w.nbar) })), /different content/);
    assert.match(reason(judge(w.commit(), w.blocks[node]!, { ...w.hist(node), d: flip(w.c.d) })), /different content/);
    assert.match(reason(judge(w.commit(), w.blocks[node]!, { ...w.hist(node), ts: { ...w.c.ts, tag: flip(w.c.ts.tag) } })), /different content/);
    assert.match(reason(judge(w.commit(), w.blocks[node]!, { ...w.hist(node), vec: keepEntries(w.c, [0, 1, 2]).vec })), /different content/);
  });
});

describe('validity at a node', () => {
  const f = fixture(1);
  const node = 1;
  const keys = f.node(node);
  const w = write(f, ts(f, 3));

  it('hist: the nonce hashes to Hist[c.ts].N̄ (the vec is not looked at)', () => {
    assert.equal(validity(keys, f.reg, keepEntries(w.c, []), w.hist(node)), 'hist');
  });

  it('mac: no Hist entry, own vec entry verifies', () => {
    assert.equal(validity(keys, f.reg, w.c, undefined), 'mac');
    assert.equal(validity(keys, f.reg, keepEntries(w.c, [node]), undefined), 'mac');
  });

  it('null: a made-up nonce and a wrong own entry, with or without Hist', () => {
    const forged = { ...keepEntries(w.c, [0, 2, 3]), nonce: flip(w.c.nonce) };
    assert.equal(validity(keys, f.reg, forged, w.hist(node)), null);
    assert.equal(validity(keys, f.reg, keepEntries(w.c, [0, 2, 3]), undefined), null);
    // A nonce that does not hash to N̄: the own entry (over H(N)) cannot verify either.
    assert.equal(validity(keys, f.reg, { ...w.c, nonce: flip(w.c.nonce) }, w.hist(node)), null);
  });

  it('a Hist entry of another ts does not validate through hist', () => {
    const other = write(f, ts(f, 4));
    // other's Hist with w's nbar: the ts differ, so the nbar match must not count.
    const hist = { ...other.hist(node), nbar: w.nbar };
    assert.equal(validity(keys, f.reg, keepEntries(w.c, []), hist), null);
  });
});

describe('judgeComplete', () => {
  const f = fixture(1);
  const node = 0;
  const keys = f.node(node);
  const w = write(f, ts(f, 3));
  const older = write(f, ts(f, 2));

  it('raises lc to a valid newer candidate', () => {
    assert.equal(judgeComplete(keys, f.reg, older.c, w.c, undefined), w.c);
    assert.equal(judgeComplete(keys, f.reg, null, w.c, undefined), w.c);
  });

  it('keeps lc for an older or equal candidate', () => {
    assert.equal(judgeComplete(keys, f.reg, w.c, older.c, undefined), null);
    assert.equal(judgeComplete(keys, f.reg, w.c, w.c, undefined), null);
  });

  it('keeps lc for a newer candidate that is not valid here', () => {
    assert.equal(judgeComplete(keys, f.reg, older.c, keepEntries(w.c, [1, 2, 3]), undefined), null);
    assert.equal(judgeComplete(keys, f.reg, older.c, { ...w.c, nonce: flip(w.c.nonce) }, w.hist(node)), null);
  });

  it('validated through Hist: keeps Hist’s D and vec, not the candidate’s', () => {
    const corrupted = keepEntries(w.c, []);
    const kept = judgeComplete(keys, f.reg, null, corrupted, w.hist(node));
    assert.ok(kept);
    assert.deepEqual(kept.vec, w.c.vec);
    assert.equal(kept.nonce, corrupted.nonce);
    assert.equal(kept.ts, w.c.ts);
  });
});

describe('judgeFilter', () => {
  const f = fixture(1);
  const node = 3;
  const keys = f.node(node);
  const a = write(f, ts(f, 2));
  const b = write(f, ts(f, 5));
  const hists = (...ws: typeof a[]) => (t: Timestamp) => ws.find((w) => tsKey(w.c.ts) === tsKey(t))?.hist(node);

  it('chv is the highest valid candidate, whatever the order of C', () => {
    for (const C of [[a.c, b.c], [b.c, a.c]]) {
      const d = judgeFilter(keys, f.reg, null, C, hists(a, b));
      assert.equal(d.chv?.ts, b.c.ts);
      assert.equal(d.newLc?.ts, b.c.ts);
      assert.equal(d.hist?.ts, b.c.ts);
      assert.equal(d.gone, false);
    }
  });

  it('skips a higher candidate that is not valid here', () => {
    const forged = keepEntries(b.c, [0, 1, 2]);
    const d = judgeFilter(keys, f.reg, null, [forged, a.c], hists(a));
    assert.equal(d.chv?.ts, a.c.ts);
  });

  it('no valid candidate: c0, lc unchanged', () => {
    assert.deepEqual(judgeFilter(keys, f.reg, a.c, [keepEntries(b.c, [])], hists()), { newLc: null, chv: null, hist: undefined, gone: false });
    assert.deepEqual(judgeFilter(keys, f.reg, a.c, [], hists()), { newLc: null, chv: null, hist: undefined, gone: false });
  });

  it('lc moves only up', () => {
    assert.equal(judgeFilter(keys, f.reg, b.c, [a.c], hists(a)).newLc, null);
    assert.equal(judgeFilter(keys, f.reg, b.c, [b.c], hists(b)).newLc, null);
    assert.equal(judgeFilter(keys, f.reg, a.c, [b.c], hists(b)).newLc?.ts, b.c.ts);
  });

  it('validated by MAC only: no Hist to report', () => {
    const d = judgeFilter(keys, f.reg, null, [b.c], hists());
    assert.equal(d.chv?.ts, b.c.ts);
    assert.equal(d.hist, undefined);
  });

  it('GONE: chv below the pin floor and its Hist gone', () => {
    const d = judgeFilter(keys, f.reg, b.c, [a.c], hists(), b.c.ts);
    assert.equal(d.gone, true);
    assert.equal(d.newLc, null);
    assert.equal(d.chv?.ts, a.c.ts);
  });

  it('no GONE when Hist is still there, at the floor itself, or without a floor', () => {
    assert.equal(judgeFilter(keys, f.reg, b.c, [a.c], hists(a), b.c.ts).gone, false);
    assert.equal(judgeFilter(keys, f.reg, null, [a.c], hists(), a.c.ts).gone, false);
    assert.equal(judgeFilter(keys, f.reg, b.c, [a.c], hists(), null).gone, false);
    const above = judgeFilter(keys, f.reg, null, [b.c], hists(), a.c.ts);
    assert.equal(above.gone, false);
    assert.equal(above.newLc?.ts, b.c.ts);
  });

  it('uses the writer order too (same num, other writer)', () => {
    const c = write(f, ts(f, 5, WRITER_B));
    const d = judgeFilter(keys, f.reg, null, [b.c, c.c], hists());
    assert.equal(d.chv?.ts.writer, WRITER_B);
  });
});
