// The gateway's pure read and clock logic with scripted answers: a clock
// answer that is not the highest, forged tags, filter answers one short of
// each quorum, descriptions that disagree with D, GONE answers.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickClock, prepareWrite, ReadState, type FilterAnswer } from './client.js';
import { computeD, nonceHash } from './candidate.js';
import { judgeAsKnown, normalise } from './candidate.js';
import { sha256 } from '../hash.js';
import { tsKey, verifyTag } from './timestamp.js';
import { fixture, flip, keepEntries, ts, write, WRITER_B, type Fixture, type Write } from './testing/fixture.js';

describe('pickClock', () => {
  const f = fixture();

  it('takes the highest valid answer whatever the order of answers', () => {
    const five = ts(f, 5);
    const three = ts(f, 3);
    const orders: [number, ReturnType<typeof ts> | null][][] = [
      [[0, five], [1, three], [2, null]],
      [[0, three], [1, five], [2, null]],
      [[0, null], [1, five], [2, three]],
    ];
    for (const order of orders) {
      const { highest, evidence } = pickClock(f.keys, f.reg, new Map(order));
      assert.equal(highest, five);
      assert.deepEqual(evidence, []);
    }
  });

  it('ignores and reports a forged answer, even the highest one', () => {
    const good = ts(f, 3);
    const forged = { ...ts(f, 9), tag: flip(ts(f, 9).tag) };
    const { highest, evidence } = pickClock(f.keys, f.reg, new Map([[0, good], [2, forged], [1, null]]));
    assert.equal(highest, good);
    assert.deepEqual(evidence.map((e) => [e.node, e.kind]), [[2, 'forged-ts']]);
    assert.match(evidence[0]!.detail, /^clock answer 9\.\S+$/);
  });

  it('all null answers: ts0', () => {
    assert.equal(pickClock(f.keys, f.reg, new Map([[0, null], [1, null], [2, null]])).highest, null);
  });
});

describe('prepareWrite', () => {
  const f = fixture();
  it('issues num + 1 with a fresh nonce, D over cc and meta, and a full genuine vec', () => {
    const cc = [sha256(Buffer.from('a')), sha256(Buffer.from('b')), sha256(Buffer.from('c')), sha256(Buffer.from('d'))];
    const meta = Buffer.from('m');
    const p = prepareWrite(f.keys, f.params, f.reg, ts(f, 6), WRITER_B, 4, cc, meta);
    assert.equal(p.candidate.ts.num, 7);
    assert.equal(p.candidate.ts.writer, WRITER_B);
    assert.equal(p.candidate.ts.op, 4);
    assert.ok(verifyTag(f.keys, f.reg, p.candidate.ts));
    assert.deepEqual(p.nbar, nonceHash(p.candidate.nonce));
    assert.deepEqual(p.candidate.d, computeD(cc, meta));
    assert.deepEqual(normalise(f.keys, f.params, f.reg, p.candidate)?.vec, p.candidate.vec);
    assert.equal(p.cc, cc);
    assert.equal(p.meta, meta);
    assert.equal(prepareWrite(f.keys, f.params, f.reg, null, WRITER_B, 1, cc, meta).candidate.ts.num, 1);
  });
});

/** Node i's honest filter answer for w. */
function holds(w: Write, i: number): FilterAnswer {
  return { ts: w.c.ts, cc: w.cc, meta: w.meta, blocks: w.blocks[i]! };
}

function readOf(f: Fixture, ...cs: Write[]): ReadState {
  const r = new ReadState(f.params, f.keys, f.reg);
  cs.forEach((w, i) => r.addCollected(i, w.c));
  r.newRound();
  return r;
}

for (const t of [1, 2]) {
  describe(`ReadState, t=${t}`, () => {
    const f = fixture(t);
    const { q } = f.params;
    const w = write(f, ts(f, 3));

    it('q answers of which only t prove highcand: wait; the (t+1)th proof decides', () => {
      const r = readOf(f, w);
      for (let i = 0; i < t; i++) r.addFilterAnswer(i, holds(w, i));
      // The rest of the quorum answer highcand's ts without a description (they lack Hist).
      for (let i = t; i < q; i++) r.addFilterAnswer(i, { ts: w.c.ts });
      assert.equal(r.answered, q);
      assert.deepEqual(r.decision(), { kind: 'wait' });
      r.addFilterAnswer(q, holds(w, q));
      const d = r.decision();
      assert.equal(d.kind, 'value');
      if (d.kind !== 'value') return;
      assert.equal(d.c.ts, w.c.ts);
      assert.equal(d.meta, w.meta);
      assert.equal(d.cc, w.cc);
      assert.deepEqual(d.holders.map((h) => h.node).sort(), [...Array.from({ length: t }, (_, i) => i), q]);
    });

    it('t+1 proofs but one answer short of q: wait; the qth answer decides', () => {
      const r = readOf(f, w);
      for (let i = 0; i < t + 1; i++) r.addFilterAnswer(i, holds(w, i));
      for (let i = t + 1; i < q - 1; i++) r.addFilterAnswer(i, { ts: null });
      assert.equal(r.answered, q - 1);
      assert.deepEqual(r.decision(), { kind: 'wait' });
      r.addFilterAnswer(q - 1, { ts: null });
      assert.equal(r.decision().kind, 'value');
    });

    it('a candidate q nodes answer below is invalid: dropped, and the read decides on the next one', () => {
      const high = write(f, ts(f, 5, WRITER_B));
      const r = readOf(f, w, high);
      assert.deepEqual(r.candidates().map((c) => c.ts.num).sort(), [3, 5]);
      for (let i = 0; i < q - 1; i++) r.addFilterAnswer(i, holds(w, i));
      // q-1 answers below 5: high is still in C and the read waits on it.
      assert.deepEqual(r.candidates().map((c) => c.ts.num).sort(), [3, 5]);
      assert.deepEqual(r.decision(), { kind: 'wait' });
      r.addFilterAnswer(q - 1, holds(w, q - 1));
      assert.deepEqual(r.candidates().map((c) => c.ts.num), [3]);
      const d = r.decision();
      assert.equal(d.kind, 'value');
      if (d.kind === 'value') assert.equal(d.c.ts.num, 3);
      // A late answer naming the dropped candidate is not malformed.
      r.addFilterAnswer(q, { ts: high.c.ts });
      assert.equal(r.evidence.length, 0);
    });

    it('a description whose meta disagrees with D is evidence, and proves nothing', () => {
      const r = readOf(f, w);
      for (let i = 0; i < t; i++) r.addFilterAnswer(i, { ...holds(w, i), meta: flip(w.meta) });
      for (let i = t; i < q; i++) r.addFilterAnswer(i, holds(w, i));
      assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), Array.from({ length: t }, (_, i) => [i, 'wrong-cc']));
      assert.match(r.evidence[0]!.detail, /does not hash to D/);
      const d = r.decision();
      assert.equal(d.kind, 'value');
      if (d.kind === 'value') assert.equal(d.meta, w.meta);
      assert.deepEqual(r.holdersOf(w.c).map((h) => h.node).sort(), Array.from({ length: q - t }, (_, i) => t + i));
    });

    it('a description with another node’s cc entry altered is evidence', () => {
      const r = readOf(f, w);
      const cc = w.cc.map((h, j) => (j === f.params.S - 1 ? flip(h) : h));
      r.addFilterAnswer(0, { ...holds(w, 0), cc });
      assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[0, 'wrong-cc']]);
      assert.equal(r.descriptionOf(w.c), undefined);
      assert.deepEqual(r.holdersOf(w.c), []);
    });

    it('a description with a cc of the wrong length, or blocks not matching the node’s cc entry, is evidence', () => {
      const r = readOf(f, w);
      r.addFilterAnswer(0, { ...holds(w, 0), cc: [...w.cc, w.cc[0]!] });
      r.addFilterAnswer(1, { ...holds(w, 1), blocks: w.blocks[0]! });
      assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[0, 'wrong-cc'], [1, 'wrong-cc']]);
      assert.deepEqual(r.holdersOf(w.c), []);
    });
  });
}

describe('ReadState, other answers (t=1)', () => {
  const f = fixture(1);
  const w = write(f, ts(f, 3));

  it('a fresh read asks for no rerun', () => {
    assert.equal(new ReadState(f.params, f.keys, f.reg).rerun, false);
  });

  it('answers with part of a description describe nothing (and do not throw)', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(0, { ts: w.c.ts, cc: w.cc, meta: w.meta });
    r.addFilterAnswer(1, { ts: w.c.ts, blocks: w.blocks[1]! });
    r.addFilterAnswer(2, { ts: w.c.ts, meta: w.meta, blocks: w.blocks[2]! });
    r.addFilterAnswer(3, { ts: null, cc: w.cc, meta: w.meta, blocks: w.blocks[3]! });
    assert.equal(r.answered, 4);
    assert.deepEqual(r.holdersOf(w.c), []);
    assert.equal(r.descriptionOf(w.c), undefined);
    assert.equal(r.evidence.length, 0);
    assert.deepEqual(r.decision(), { kind: 'wait' }, 'q answers, no proof at all: wait');
  });

  it('isBehind: an older filter answer is behind, a newer one is not, nor one that proved c', () => {
    const old = write(f, ts(f, 2));
    const newer = write(f, ts(f, 4));
    // All collected from node 3, so nodes 0-2 have only their filter answers to go by.
    const r = new ReadState(f.params, f.keys, f.reg);
    for (const x of [old, w, newer]) r.addCollected(3, x.c);
    r.newRound();
    r.addFilterAnswer(0, { ts: old.c.ts });
    r.addFilterAnswer(1, { ts: newer.c.ts });
    r.addFilterAnswer(2, { ts: w.c.ts });
    assert.equal(r.isBehind(0, w.c), true, 'older ts');
    assert.equal(r.isBehind(1, w.c), false, 'newer ts');
    assert.equal(r.isBehind(2, w.c), true, 'c.ts with no proof, and nobody proved c');
    r.addFilterAnswer(3, holds(w, 3));
    assert.equal(r.isBehind(3, w.c), false);
  });

  it('C empty and q answers: empty; fewer: wait', () => {
    const r = new ReadState(f.params, f.keys, f.reg);
    r.addCollected(0, null);
    r.newRound();
    r.addFilterAnswer(0, { ts: null });
    r.addFilterAnswer(1, { ts: null });
    assert.deepEqual(r.decision(), { kind: 'wait' });
    r.addFilterAnswer(2, { ts: null });
    assert.deepEqual(r.decision(), { kind: 'empty' });
    assert.deepEqual(r.candidates(), []);
  });

  it('a non-authentic collect answer is bad-mac evidence and stays out of C', () => {
    const r = new ReadState(f.params, f.keys, f.reg);
    r.addCollected(2, keepEntries(w.c, [0]));
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[2, 'bad-mac']]);
    assert.match(r.evidence[0]!.detail, /non-authentic 3\./);
    assert.deepEqual(r.candidates(), []);
    assert.equal(r.noteCollected(1, w.c)?.ts, w.c.ts);
    assert.deepEqual(r.candidates(), [], 'noteCollected does not add to C');
  });

  // ReadState judges a write it already found authentic by comparing vec
  // entries (candidate.ts judgeAsKnown): the verdicts must be judge's.
  it('later answers of a write already found authentic: the same verdicts, GONE ones too', () => {
    const r = new ReadState(f.params, f.keys, f.reg);
    r.addCollected(0, w.c);
    assert.equal(r.noteCollected(1, w.c)?.ts, w.c.ts);
    assert.equal(r.noteCollected(2, keepEntries(w.c, [1, 3]))?.ts, w.c.ts, 't+1 genuine entries, anywhere: authentic');
    assert.equal(r.noteCollected(3, keepEntries(w.c, [2])), null, 'only t: not authentic');
    assert.equal(r.noteCollected(3, { ...w.c, vec: w.c.vec.slice(0, f.params.t) }), null, 'a vec cut to t entries');
    // The same ts with another nonce, D or tag is another write: judged afresh (and forged here).
    assert.equal(r.noteCollected(4, { ...w.c, nonce: flip(w.c.nonce) }), null);
    assert.equal(r.noteCollected(5, { ...w.c, d: flip(w.c.d) }), null);
    assert.equal(r.noteCollected(6, { ...w.c, ts: { ...w.c.ts, tag: flip(w.c.ts.tag) } }), null);
    // Another num, writer, op or epoch under the same tag, N, D and vec: not the known write, and forged.
    for (const ts of [{ ...w.c.ts, num: w.c.ts.num + 1 }, { ...w.c.ts, writer: WRITER_B }, { ...w.c.ts, op: w.c.ts.op + 1 }, { ...w.c.ts, epoch: w.c.ts.epoch + 1 }]) {
      assert.equal(judgeAsKnown(f.params, normalise(f.keys, f.params, f.reg, w.c)!, { ...w.c, ts }), undefined, JSON.stringify({ ...ts, tag: 0 }));
      if (ts.epoch === w.c.ts.epoch) assert.equal(r.noteCollected(7, { ...w.c, ts }), null);
    }
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[3, 'bad-mac'], [3, 'bad-mac'], [4, 'bad-mac'], [5, 'bad-mac'], [6, 'bad-mac'], [7, 'bad-mac'], [7, 'bad-mac'], [7, 'bad-mac']]);
    for (const c of [w.c, keepEntries(w.c, [0, 2]), keepEntries(w.c, [0])]) {
      const known = normalise(f.keys, f.params, f.reg, w.c)!;
      assert.deepEqual(judgeAsKnown(f.params, known, c)?.kind, normalise(f.keys, f.params, f.reg, c) ? 'authentic' : 'forged');
    }
    assert.equal(judgeAsKnown(f.params, normalise(f.keys, f.params, f.reg, w.c)!, write(f, ts(f, 4)).c), undefined, 'another write: no verdict');
    const g = new ReadState(f.params, f.keys, f.reg);
    g.addCollected(0, w.c);
    g.newRound();
    g.addFilterAnswer(1, { ts: null, gone: keepEntries(w.c, [3]) });
    assert.deepEqual(g.evidence.map((e) => [e.node, e.kind]), [[1, 'bad-mac']], 'a GONE lc of the known write with t genuine entries');
  });

  it('C keeps the first of two collect answers of one ts', () => {
    const r = new ReadState(f.params, f.keys, f.reg);
    r.addCollected(0, w.c);
    r.addCollected(1, keepEntries(w.c, [0, 1]));
    assert.equal(r.candidates().length, 1);
    assert.equal(r.candidates()[0]!.nonce, w.c.nonce);
  });

  it('a filter answer naming a ts not in C is malformed evidence and does not count', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(3, { ts: ts(f, 8) });
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[3, 'malformed']]);
    assert.match(r.evidence[0]!.detail, /^filter answered 8\.\S+, not in C$/);
    assert.equal(r.answered, 0);
  });

  it('a node’s second filter answer in a round is ignored', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(0, { ts: null });
    r.addFilterAnswer(0, holds(w, 0));
    assert.equal(r.answered, 1);
    assert.deepEqual(r.holdersOf(w.c), []);
    r.newRound();
    assert.equal(r.answered, 0);
  });

  it('highcand is the highest ts in C, whatever the collect order', () => {
    const high = write(f, ts(f, 4));
    for (const order of [[w, high], [high, w]]) {
      const r = readOf(f, ...order);
      for (let i = 0; i < 2; i++) r.addFilterAnswer(i, holds(w, i));
      r.addFilterAnswer(2, holds(high, 2));
      // w is proven by 2 (= t+1) nodes, high by one: the read waits for high.
      assert.deepEqual(r.decision(), { kind: 'wait' });
      r.addFilterAnswer(3, holds(high, 3));
      const d = r.decision();
      assert.ok(d.kind === 'value' && d.c.ts.num === 4);
    }
  });

  it('behind: nodes whose collect or filter answers show they missed the chosen write', () => {
    const old = write(f, ts(f, 2));
    const r = new ReadState(f.params, f.keys, f.reg);
    r.addCollected(0, w.c);
    r.addCollected(1, old.c);
    r.addCollected(2, null);
    r.newRound();
    r.addFilterAnswer(0, holds(w, 0));
    r.addFilterAnswer(3, { ts: w.c.ts }); // its ts, but no proof that it holds the entry
    assert.deepEqual(r.behind(w.c).sort(), [1, 2, 3]);
    assert.equal(r.isBehind(0, w.c), false);
    assert.equal(r.isBehind(3, w.c), true);
    assert.equal(r.isBehind(5, w.c), false, 'a node that never answered');
  });

  it('an authentic GONE lc joins C and asks for a rerun; it counts toward nothing', () => {
    const newer = write(f, ts(f, 9));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: newer.c });
    assert.equal(r.rerun, true);
    assert.equal(r.answered, 0);
    assert.deepEqual(r.candidates().map((c) => tsKey(c.ts)).sort(), [tsKey(w.c.ts), tsKey(newer.c.ts)].sort());
    assert.equal(r.evidence.length, 0);
    r.newRound();
    assert.equal(r.rerun, false);
  });

  it('a GONE lc already in C asks for no rerun', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: w.c });
    assert.equal(r.rerun, false);
    assert.equal(r.evidence.length, 0);
  });

  it('a non-authentic GONE lc is bad-mac evidence and joins nothing', () => {
    const newer = write(f, ts(f, 9));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: keepEntries(newer.c, [1]) });
    assert.equal(r.rerun, false);
    assert.equal(r.candidates().length, 1);
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[1, 'bad-mac']]);
    assert.match(r.evidence[0]!.detail, /GONE answered with a non-authentic lc/);
  });

  it('a second GONE from a node whose first GONE lc is in this round’s C is evidence, never a rerun', () => {
    const newer = write(f, ts(f, 9));
    const newest = write(f, ts(f, 10));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: newer.c });
    assert.equal(r.rerun, true);
    // Within the same round (C at newRound did not hold it yet) a repeat is not evidence.
    r.addFilterAnswer(1, { ts: null, gone: newer.c });
    assert.equal(r.evidence.length, 0);
    r.newRound();
    r.addFilterAnswer(1, { ts: null, gone: newest.c });
    assert.equal(r.rerun, false);
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[1, 'malformed']]);
    assert.match(r.evidence[0]!.detail, /a second GONE answer in one read/);
    assert.ok(!r.candidates().some((c) => c.ts.num === 10));
    // Another node's first GONE in this round still counts.
    r.addFilterAnswer(2, { ts: null, gone: newest.c });
    assert.equal(r.rerun, true);
  });

  // Protocol review finding 9: a node whose pin lapsed (restart, lease)
  // answers `lapsed` or, not knowing our pin id yet, under a fresh pin; it
  // leaves the read: no evidence, no rerun, no vote, no data source.
  it('a second GONE under another pin id (the first pin lapsed) is no evidence: the node leaves the read', () => {
    const newer = write(f, ts(f, 9));
    const newest = write(f, ts(f, 10));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: newer.c, pin: 'p1' });
    assert.equal(r.pinOf(1), 'p1');
    r.newRound();
    r.addFilterAnswer(1, { ts: null, gone: newest.c, pin: 'p2' });
    assert.equal(r.evidence.length, 0);
    assert.equal(r.rerun, false);
    assert.deepEqual([...r.lapsed], [1]);
    r.addFilterAnswer(1, { ...holds(newer, 1), pin: 'p1' });
    assert.equal(r.answered, 0, 'a node that left the read counts no more');
    // The same pin id keeps the rule: a second GONE under it is evidence.
    r.addFilterAnswer(2, { ts: null, gone: newer.c, pin: 'q1' });
    r.newRound();
    r.addFilterAnswer(2, { ts: null, gone: newest.c, pin: 'q1' });
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[2, 'malformed']]);
  });

  it('a lapsed answer leaves the read; its proofs no longer make it a data source', () => {
    const r = readOf(f, w);
    assert.equal(r.heard(0), true, 'answered collect');
    assert.equal(r.heard(1), false, 'not reached yet: a renewal finding no pin there is no lapse');
    for (let i = 0; i < f.params.S; i++) r.addFilterAnswer(i, { ...holds(w, i), pin: `p${i}` });
    assert.equal(r.holdersOf(w.c).length, f.params.S);
    r.newRound();
    r.addFilterAnswer(0, { ts: null, lapsed: true });
    r.markLapsed(1);
    assert.equal(r.evidence.length, 0);
    assert.equal(r.answered, 0);
    assert.deepEqual(r.holdersOf(w.c).map((h) => h.node), Array.from({ length: f.params.S - 2 }, (_, i) => i + 2));
  });

  it('a node whose GONE lc was not yet in C when its round began may answer GONE again later', () => {
    const newer = write(f, ts(f, 9));
    const newest = write(f, ts(f, 10));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: newer.c });
    // Node 2 sends its first GONE; node 1's record stays its first lc.
    r.addFilterAnswer(1, { ts: null, gone: newest.c });
    assert.equal(r.evidence.length, 0);
    assert.equal(r.candidates().length, 3);
  });

  // Judged by its first GONE lc (the rule that bounds reruns by S): a
  // second GONE in the same round does not replace it, even when the
  // second lc is the one that stays in C.
  it('a node’s first GONE lc is the one its later GONE answers are judged by', () => {
    const newer = write(f, ts(f, 9));
    const newest = write(f, ts(f, 10));
    const r = readOf(f, w);
    r.addFilterAnswer(1, { ts: null, gone: newer.c });
    r.addFilterAnswer(1, { ts: null, gone: newest.c });
    // q answers below newest: it is invalid and leaves C; newer stays.
    for (const i of [0, 2, 3]) r.addFilterAnswer(i, { ts: newer.c.ts });
    assert.deepEqual(r.candidates().map((c) => c.ts.num).sort(), [3, 9]);
    r.newRound();
    r.addFilterAnswer(1, { ts: null, gone: newest.c });
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[1, 'malformed']]);
    assert.equal(r.rerun, false);
  });

  it('newPins: under the new read id each node’s new pin is taken, and nodes that had lapsed are back', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(0, { ...holds(w, 0), pin: 'a0' });
    r.addFilterAnswer(1, { ts: null, lapsed: true });
    r.newPins();
    assert.equal(r.pinOf(0), undefined);
    r.newRound();
    r.addFilterAnswer(0, { ...holds(w, 0), pin: 'b0' });
    r.addFilterAnswer(1, { ...holds(w, 1), pin: 'b1' });
    assert.equal(r.answered, 2);
    assert.deepEqual([...r.lapsed], []);
    assert.equal(r.pinOf(0), 'b0');
    assert.deepEqual(r.holdersOf(w.c).map((h) => h.node), [0, 1]);
  });

  it('an answer that names no pin keeps the node in the read (only another pin id, or lapsed, takes it out)', () => {
    const r = readOf(f, w);
    r.addFilterAnswer(0, { ...holds(w, 0), pin: 'p0' });
    r.newRound();
    r.addFilterAnswer(0, holds(w, 0));
    assert.equal(r.answered, 1);
    assert.deepEqual([...r.lapsed], []);
    assert.equal(r.pinOf(0), 'p0');
  });

  // The wire gives S entries of 32 bytes (wire.ts hashList); ReadState
  // checks the count itself: D hashes the entries' concatenation, so the
  // same bytes cut into S-1 entries hash to the same D.
  it('a cc of S-1 entries is evidence even when its bytes hash to D (the last two entries joined)', () => {
    const joined = [...w.cc.slice(0, -2), Buffer.concat(w.cc.slice(-2))];
    assert.deepEqual(computeD(joined, w.meta), w.c.d);
    const r = readOf(f, w);
    r.addFilterAnswer(0, { ...holds(w, 0), cc: joined });
    r.addFilterAnswer(1, { ...holds(w, 1), cc: joined });
    r.addFilterAnswer(2, { ts: w.c.ts });
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[0, 'wrong-cc'], [1, 'wrong-cc']]);
    assert.match(r.evidence[0]!.detail, /does not hash to D/);
    assert.deepEqual(r.decision(), { kind: 'wait' });
    assert.equal(r.descriptionOf(w.c), undefined);
  });

  // The same bytes cut into S entries at other boundaries: D matches, and
  // a node whose own entry is left whole proves its blocks. Were it the
  // first description, the read would take its cc and check every other
  // node's fragment against the wrong hashes.
  it('a cc of S entries cut at other boundaries (so the same D) is evidence, even as the first description', () => {
    const recut = [Buffer.concat([w.cc[0]!, w.cc[1]!.subarray(0, 16)]), w.cc[1]!.subarray(16), ...w.cc.slice(2)];
    assert.equal(recut.length, f.params.S);
    assert.deepEqual(computeD(recut, w.meta), w.c.d);
    const r = readOf(f, w);
    r.addFilterAnswer(2, { ...holds(w, 2), cc: recut });
    r.addFilterAnswer(0, holds(w, 0));
    r.addFilterAnswer(1, holds(w, 1));
    assert.deepEqual(r.evidence.map((e) => [e.node, e.kind]), [[2, 'wrong-cc']]);
    const d = r.decision();
    assert.ok(d.kind === 'value');
    assert.deepEqual(d.cc, w.cc);
    assert.deepEqual(r.holdersOf(w.c).map((h) => h.node), [0, 1]);
  });

  it('a block list of another length than the layout gives is evidence, even one that hashes to the node’s cc entry', () => {
    for (const [layout, proven] of [[64, false], [32, true]] as const) {
      const r = new ReadState(f.params, f.keys, f.reg, (meta) => (meta.equals(w.meta) ? layout : undefined));
      r.addCollected(0, w.c);
      r.newRound();
      r.addFilterAnswer(1, holds(w, 1));
      assert.equal(r.holdersOf(w.c).length, proven ? 1 : 0, `layout ${layout}`);
      if (proven) assert.deepEqual(r.evidence, []);
      else assert.deepEqual(r.evidence, [{ node: 1, kind: 'wrong-cc', detail: `filter block list of ${tsKey(w.c.ts)} (32 bytes) does not match its cc or layout` }]);
    }
  });

  it('records the fragment a holder sent along', () => {
    const r = readOf(f, w);
    const fragment = Buffer.from('frag');
    r.addFilterAnswer(0, { ...holds(w, 0), fragment });
    r.addFilterAnswer(1, holds(w, 1));
    assert.deepEqual(r.holdersOf(w.c), [{ node: 0, blocks: w.blocks[0], fragment }, { node: 1, blocks: w.blocks[1] }]);
    assert.deepEqual(r.descriptionOf(w.c), { cc: w.cc, meta: w.meta });
  });
});
