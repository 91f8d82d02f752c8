// A listing's verdict memo: a candidate equal in every field to one judged
// for the same key is not judged again; any field different, or another
// key, and it is.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { computeD, type Candidate, type Verdict } from '@powerstore/shared/protocol/candidate.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { VerdictMemo } from './verdict-memo.js';

const cand = (): Candidate => ({
  ts: { num: 3, writer: '0123456789abcdef', op: 7, epoch: 0, tag: randomBytes(32) },
  nonce: randomBytes(32),
  d: randomBytes(32),
  vec: [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)],
});

function counting(): { memo: VerdictMemo; calls: Array<{ reg: Buffer; c: Candidate }> } {
  const calls: Array<{ reg: Buffer; c: Candidate }> = [];
  const memo = new VerdictMemo('bucket', (reg, c): Verdict => {
    calls.push({ reg, c });
    return calls.length === 1 ? { kind: 'authentic', c } : { kind: 'forged' };
  });
  return { memo, calls };
}

describe('a listing\'s verdict memo', () => {
  it('judges a candidate reported by several pages once, for its register', () => {
    const { memo, calls } = counting();
    const c = cand();
    const copy: Candidate = { ts: { ...c.ts, tag: Buffer.from(c.ts.tag) }, nonce: Buffer.from(c.nonce), d: Buffer.from(c.d), vec: c.vec.map((e) => Buffer.from(e)) };
    assert.equal(memo.verdict('k', c).kind, 'authentic');
    assert.equal(memo.verdict('k', copy).kind, 'authentic');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.reg, regId('bucket', 'k'));
    memo.verdict('other', c);
    assert.equal(calls.length, 2, 'another key is another register');
    assert.deepEqual(calls[1]!.reg, regId('bucket', 'other'));
  });

  const changes: Record<string, (c: Candidate) => Candidate> = {
    num: (c) => ({ ...c, ts: { ...c.ts, num: c.ts.num + 1 } }),
    writer: (c) => ({ ...c, ts: { ...c.ts, writer: 'fedcba9876543210' } }),
    op: (c) => ({ ...c, ts: { ...c.ts, op: c.ts.op + 1 } }),
    epoch: (c) => ({ ...c, ts: { ...c.ts, epoch: 1 } }),
    tag: (c) => ({ ...c, ts: { ...c.ts, tag: randomBytes(32) } }),
    nonce: (c) => ({ ...c, nonce: randomBytes(32) }),
    d: (c) => ({ ...c, d: randomBytes(32) }),
    'the last vec entry': (c) => ({ ...c, vec: [...c.vec.slice(0, 3), randomBytes(32)] }),
    'a shorter vec': (c) => ({ ...c, vec: c.vec.slice(0, 3) }),
  };
  for (const [what, change] of Object.entries(changes)) {
    it(`judges again a candidate that differs in ${what}`, () => {
      const { memo, calls } = counting();
      const c = cand();
      assert.equal(memo.verdict('k', c).kind, 'authentic');
      assert.equal(memo.verdict('k', change(c)).kind, 'forged');
      assert.equal(calls.length, 2);
      assert.equal(memo.verdict('k', c).kind, 'authentic', 'the first verdict still stands for the first candidate');
    });
  }

  it('checks each description against D, remembering only those that hash to it', () => {
    const { memo } = counting();
    const cc = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
    const meta = Buffer.from('{"size":1}');
    const c = { ...cand(), d: computeD(cc, meta) };
    assert.equal(memo.describes('k', c, cc, meta), true);
    assert.equal(memo.describes('k', c, cc, Buffer.from('{"size":2}')), false, 'other meta');
    assert.equal(memo.describes('k', c, [randomBytes(32), ...cc.slice(1)], meta), false, 'other cc');
    assert.equal(memo.describes('k', c, cc.slice(0, 3), meta), false, 'shorter cc');
    assert.equal(memo.describes('k', c, cc.map((h) => Buffer.from(h)), Buffer.from(meta)), true, 'an equal copy');
  });
});
