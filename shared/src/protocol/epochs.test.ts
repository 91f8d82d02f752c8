// The pure core's verdicts on key epochs it does not hold (DESIGN §3 "Key
// epochs", protocol review finding 1): above the ring is "unknown epoch",
// never evidence; below the current epoch and unheld is a forgery; and
// after a recheck (`forgedAbove`) the undecided answers are judged again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretWriterKeyring } from '../keys.js';
import { isUnknownEpoch, judge, makeVec, nonceHash, type Candidate } from './candidate.js';
import { pickClock, ReadState } from './client.js';
import { clusterParams } from './params.js';
import { regId } from './register.js';
import { makeTimestamp, type Timestamp } from './timestamp.js';
import { computeD, newNonce } from './candidate.js';

const params = clusterParams(1);
const reg = regId('bucket', 'key');
const both = new SecretWriterKeyring(new Map([[0, Buffer.alloc(32, 1)], [1, Buffer.alloc(32, 2)]]), 1);
const old = new SecretWriterKeyring(new Map([[0, Buffer.alloc(32, 1)]]), 0);
const newest = new SecretWriterKeyring(new Map([[0, Buffer.alloc(32, 1)], [1, Buffer.alloc(32, 2)], [2, Buffer.alloc(32, 3)]]), 2);

/** A keyring that holds epoch 0 and learns epoch 1 when `fetch` is called (the gateway fetched its ring). */
function growing(): { keys: SecretWriterKeyring; fetch(): void } {
  const ring = new Map([[0, Buffer.alloc(32, 1)]]);
  return { keys: new SecretWriterKeyring(ring, 0), fetch: () => ring.set(1, Buffer.alloc(32, 2)) };
}

function candidate(keys: SecretWriterKeyring, num: number): Candidate {
  const ts = makeTimestamp(keys, reg, { num, writer: '00000000000000aa', op: num });
  const nonce = newNonce();
  const d = computeD([], Buffer.from('meta'));
  return { ts, nonce, d, vec: makeVec(keys, params, reg, ts, nonceHash(nonce), d) };
}

describe('unknown key epochs in the pure core', () => {
  const c1 = candidate(both, 5); // epoch 1
  const c0 = candidate(old, 3); // epoch 0

  it('isUnknownEpoch: above the current epoch and unheld; never a held or lower epoch', () => {
    assert.equal(isUnknownEpoch(old, 1), true);
    assert.equal(isUnknownEpoch(old, 0), false);
    assert.equal(isUnknownEpoch(both, 1), false);
    const gap = new SecretWriterKeyring(new Map([[2, Buffer.alloc(32, 3)]]), 2);
    assert.equal(isUnknownEpoch(gap, 1), false, 'below the current epoch: no epoch at all');
    assert.equal(isUnknownEpoch(old, 7, 6), false, 'above what t+1 nodes hold: a forgery');
    assert.equal(isUnknownEpoch(old, 6, 6), true);
  });

  it('judge: unknown epoch, authentic, or forged', () => {
    assert.deepEqual(judge(old, params, reg, c1), { kind: 'unknown-epoch', epoch: 1 });
    assert.equal(judge(both, params, reg, c1).kind, 'authentic');
    assert.equal(judge(old, params, reg, c0).kind, 'authentic');
    assert.equal(judge(old, params, reg, c1, 0).kind, 'forged');
    assert.equal(judge(old, params, reg, { ...c0, ts: { ...c0.ts, tag: Buffer.alloc(32) } }).kind, 'forged');
  });

  it('pickClock: an unknown epoch is reported, not evidence, and not forgotten', () => {
    const answers = new Map<number, Timestamp | null>([[0, c0.ts], [1, c1.ts], [2, null]]);
    const r = pickClock(old, reg, answers);
    assert.equal(r.unknownEpoch, 1);
    assert.deepEqual(r.evidence, []);
    const after = pickClock(old, reg, answers, 0);
    assert.equal(after.unknownEpoch, null);
    assert.deepEqual(after.evidence.map((e) => [e.node, e.kind]), [[1, 'forged-ts']]);
    assert.equal(after.highest, c0.ts);
    assert.equal(pickClock(both, reg, answers).highest, c1.ts);
  });

  it('ReadState: an unknown-epoch collect answer stays undecided (no evidence, not in C) until settled', () => {
    const s = new ReadState(params, old, reg);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    assert.equal(s.unknownEpoch(), 1);
    assert.equal(s.evidence.length, 0);
    assert.deepEqual(s.candidates().map((c) => c.ts.num), [3]);
    s.settle(Infinity);
    assert.equal(s.unknownEpoch(), 1, 'still unknown: nothing learnt');
    s.settle(0);
    assert.equal(s.unknownEpoch(), null);
    assert.deepEqual(s.evidence.map((e) => [e.node, e.kind]), [[1, 'bad-mac']]);
  });

  it('ReadState.settle: an epoch the ring now holds joins C', () => {
    const ring = new Map([[0, Buffer.alloc(32, 1)]]);
    const growing = new SecretWriterKeyring(ring, 0);
    const s = new ReadState(params, growing, reg);
    s.addCollected(1, c1);
    assert.equal(s.unknownEpoch(), 1);
    ring.set(1, Buffer.alloc(32, 2)); // the ring fetched epoch 1
    s.settle(Infinity);
    assert.equal(s.unknownEpoch(), null);
    assert.deepEqual(s.candidates().map((c) => c.ts.num), [5]);
    assert.deepEqual(s.evidence, []);
  });

  it('ReadState: a GONE answer of an unknown epoch is undecided (no rerun, no evidence); once held it joins C and asks a rerun', () => {
    const ring = new Map([[0, Buffer.alloc(32, 1)]]);
    const s = new ReadState(params, new SecretWriterKeyring(ring, 0), reg);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: c1 });
    assert.equal(s.rerun, false);
    assert.equal(s.evidence.length, 0);
    assert.equal(s.unknownEpoch(), 1);
    ring.set(1, Buffer.alloc(32, 2));
    s.settle(Infinity);
    assert.equal(s.unknownEpoch(), null, 'both the collect and the GONE answer of node 1 were judged');
    assert.equal(s.rerun, true);
    assert.deepEqual(s.candidates().map((c) => c.ts.num).sort(), [3, 5]);
    assert.deepEqual(s.evidence, []);
  });

  // Two unknown epochs: the gateway must fetch (or wait for) the newer.
  it('pickClock and ReadState.unknownEpoch: the highest of several unknown epochs, whatever the order', () => {
    const c2 = candidate(newest, 7); // epoch 2
    for (const [a, b] of [[c2, c1], [c1, c2]]) {
      assert.equal(pickClock(old, reg, new Map([[0, a!.ts], [1, b!.ts], [2, c0.ts]])).unknownEpoch, 2);
      const collected = new ReadState(params, old, reg);
      collected.addCollected(0, a!);
      collected.addCollected(1, b!);
      assert.equal(collected.unknownEpoch(), 2, 'collect answers of two nodes');
      const gone = new ReadState(params, old, reg);
      gone.addCollected(2, c0);
      gone.newRound();
      gone.addFilterAnswer(0, { ts: null, gone: a! });
      gone.addFilterAnswer(1, { ts: null, gone: b! });
      assert.equal(gone.unknownEpoch(), 2, 'GONE answers of two nodes');
    }
  });

  it('ReadState.settle: every node’s undecided answer joins C, collect and GONE alike', () => {
    const k = growing();
    const s = new ReadState(params, k.keys, reg);
    const c6 = candidate(both, 6);
    const c7 = candidate(both, 7);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    s.addCollected(2, c6);
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: c7 });
    s.addFilterAnswer(3, { ts: null, gone: candidate(both, 8) });
    k.fetch();
    s.settle(Infinity);
    assert.deepEqual(s.candidates().map((c) => c.ts.num).sort(), [3, 5, 6, 7, 8]);
    assert.deepEqual(s.evidence, []);
  });

  it('ReadState.settle: a collect answer judged late is still a collect answer: no rerun before filter, and the node’s first GONE later is no evidence', () => {
    const k = growing();
    const s = new ReadState(params, k.keys, reg);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    k.fetch();
    s.settle(Infinity);
    assert.deepEqual(s.candidates().map((c) => c.ts.num).sort(), [3, 5]);
    assert.equal(s.rerun, false, 'no filter round yet, so none to run again');
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: candidate(both, 6) });
    assert.deepEqual(s.evidence, []);
    assert.equal(s.rerun, true);
  });

  it('ReadState.settle: a GONE answer judged late is still a GONE: the node’s second GONE, in a round whose C held the first, is evidence', () => {
    const k = growing();
    const s = new ReadState(params, k.keys, reg);
    s.addCollected(0, c0);
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: c1 });
    k.fetch();
    s.settle(Infinity);
    assert.equal(s.rerun, true);
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: candidate(both, 6) });
    assert.deepEqual(s.evidence.map((e) => [e.node, e.kind]), [[1, 'malformed']]);
    assert.equal(s.rerun, false);
  });

  it('ReadState.settle in a filter round: a rerun only when an answer joined C', () => {
    const s = new ReadState(params, old, reg);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    s.newRound();
    s.settle(Infinity); // epoch 1 still unknown: nothing joins
    assert.equal(s.rerun, false);
    assert.equal(s.unknownEpoch(), 1);
  });

  it('ReadState.settle: the bound holds for that settle only; a later answer of the epoch is undecided again, not evidence', () => {
    const s = new ReadState(params, old, reg);
    s.addCollected(0, c0);
    s.addCollected(1, c1);
    s.settle(0);
    assert.deepEqual(s.evidence.map((e) => [e.node, e.kind]), [[1, 'bad-mac']]);
    // Asked after the recheck: it may come from a rotation finished since.
    s.addCollected(2, c1);
    s.newRound();
    s.addFilterAnswer(3, { ts: null, gone: c1 });
    assert.equal(s.unknownEpoch(), 1);
    assert.equal(s.evidence.length, 1);
  });

  it('ReadState.settle: an answer whose epoch is still unknown stays undecided, whatever the node answered since', () => {
    const s = new ReadState(params, old, reg);
    s.addCollected(0, c0);
    s.newRound();
    s.addFilterAnswer(1, { ts: null, gone: c1 }); // undecided
    s.addFilterAnswer(1, { ts: null, gone: candidate(old, 4) }); // node 1's first GONE the gateway can judge
    assert.equal(s.rerun, true);
    s.newRound();
    s.settle(Infinity);
    assert.equal(s.unknownEpoch(), 1);
    assert.deepEqual(s.evidence, []);
  });

  it('ReadState: a late collect answer of an unknown epoch is neither evidence nor undecided', () => {
    const s = new ReadState(params, old, reg);
    assert.equal(s.noteCollected(2, c1), null);
    assert.equal(s.unknownEpoch(), null);
    assert.deepEqual(s.evidence, []);
  });
});
