// The timestamp order and tag check, field by field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { compareTs, computeTag, makeTimestamp, newWriterId, tsBytes, tsKey, verifyTag, WRITER_ID_HEX } from './timestamp.js';
import { fixture, flip, ts, WRITER_A, WRITER_B } from './testing/fixture.js';

describe('compareTs', () => {
  const f = fixture();

  it('orders by num first, then writer, then op', () => {
    const cases: [number, string, number, number, string, number][] = [
      [1, WRITER_B, 9, 2, WRITER_A, 1],
      [5, WRITER_A, 9, 5, WRITER_B, 1],
      [5, WRITER_A, 1, 5, WRITER_A, 2],
    ];
    for (const [n1, w1, o1, n2, w2, o2] of cases) {
      const lo = ts(f, n1, w1, o1);
      const hi = ts(f, n2, w2, o2);
      assert.equal(compareTs(lo, hi), -1, `${tsKey(lo)} < ${tsKey(hi)}`);
      assert.equal(compareTs(hi, lo), 1, `${tsKey(hi)} > ${tsKey(lo)}`);
    }
  });

  it('is 0 only for equal num, writer and op', () => {
    assert.equal(compareTs(ts(f, 5, WRITER_A, 2), ts(f, 5, WRITER_A, 2)), 0);
    assert.notEqual(compareTs(ts(f, 5, WRITER_A, 2), ts(f, 5, WRITER_B, 2)), 0);
  });

  it('null (ts0) is below everything and equal to itself', () => {
    assert.equal(compareTs(null, null), 0);
    assert.equal(compareTs(null, ts(f, 0)), -1);
    assert.equal(compareTs(ts(f, 0), null), 1);
  });
});

describe('tsKey / tsBytes / newWriterId', () => {
  const f = fixture();
  it('tsKey names the order fields', () => {
    assert.equal(tsKey(null), '0');
    assert.equal(tsKey(ts(f, 7, WRITER_B, 3)), `7.${WRITER_B}.3`);
  });
  it('tsBytes is fixed width and covers every field', () => {
    const a = ts(f, 7, WRITER_B, 3);
    assert.equal(tsBytes(a).length, 8 + 8 + 8 + 4);
    assert.notDeepEqual(tsBytes(a), tsBytes({ ...a, epoch: 1 }));
    assert.notDeepEqual(tsBytes(a), tsBytes({ ...a, op: 4 }));
  });
  it('tsBytes is num, writer, op (8 bytes each, big-endian) and epoch (4), to the byte, up to the largest safe integers', () => {
    const big = Number.MAX_SAFE_INTEGER;
    for (const [num, op, epoch] of [[0, 0, 0], [1, 2, 3], [2 ** 32, 2 ** 32 - 1, 0xffffffff], [big, big - 1, 7]] as const) {
      const expected = Buffer.alloc(28);
      expected.writeBigUInt64BE(BigInt(num), 0);
      Buffer.from(WRITER_B, 'hex').copy(expected, 8);
      expected.writeBigUInt64BE(BigInt(op), 16);
      expected.writeUInt32BE(epoch, 24);
      assert.deepEqual(tsBytes({ num, writer: WRITER_B, op, epoch }), expected, `${num} ${op} ${epoch}`);
    }
    assert.throws(() => tsBytes({ num: -1, writer: WRITER_B, op: 0, epoch: 0 }), RangeError);
    assert.throws(() => tsBytes({ num: big + 1, writer: WRITER_B, op: 0, epoch: 0 }), RangeError);
    assert.throws(() => tsBytes({ num: 1, writer: 'zz'.repeat(8), op: 0, epoch: 0 }), RangeError);
    assert.throws(() => tsBytes({ num: 1, writer: WRITER_B.slice(2), op: 0, epoch: 0 }), RangeError);
  });
  it('writer ids are 16 hex digits and differ', () => {
    const w = newWriterId();
    assert.match(w, /^[0-9a-f]{16}$/);
    assert.equal(w.length, WRITER_ID_HEX);
    assert.notEqual(w, newWriterId());
  });
});

describe('verifyTag / makeTimestamp', () => {
  const f = fixture();

  it('accepts the tag it made, under the current epoch', () => {
    const a = makeTimestamp(f.keys, f.reg, { num: 3, writer: WRITER_A, op: 1 });
    assert.equal(a.epoch, 0);
    assert.equal(a.num, 3);
    assert.equal(verifyTag(f.keys, f.reg, a), true);
  });

  it('refuses a tag changed in one byte, or any changed field', () => {
    const a = ts(f, 3);
    assert.equal(verifyTag(f.keys, f.reg, { ...a, tag: flip(a.tag, 31) }), false);
    assert.equal(verifyTag(f.keys, f.reg, { ...a, num: 4 }), false);
    assert.equal(verifyTag(f.keys, f.reg, { ...a, writer: WRITER_B }), false);
    assert.equal(verifyTag(f.keys, f.reg, { ...a, op: 2 }), false);
    assert.equal(verifyTag(f.keys, flip(f.reg), a), false);
  });

  it('the tag is HMAC-SHA256(k_W, "ps-ts-v1\\0" ‖ reg ‖ tsBytes) (known answer)', () => {
    const a = ts(f, 3);
    const want = createHmac('sha256', f.keys.writerKey(0)!).update(Buffer.concat([Buffer.from('ps-ts-v1\0'), f.reg, tsBytes(a)])).digest();
    assert.deepEqual(a.tag, want);
    assert.deepEqual(computeTag(f.keys.writerKey(0)!, f.reg, a), want);
  });

  it('returns false, without throwing, for a ts naming an epoch it holds no key for', () => {
    const a = ts(f, 3);
    assert.equal(verifyTag(f.keys, f.reg, { ...a, epoch: 99 }), false);
  });

  it('makeTimestamp throws when the current epoch has no writer key', () => {
    const keys = { currentEpoch: 4, writerKey: () => undefined, nodeKey: () => undefined };
    assert.throws(() => makeTimestamp(keys, f.reg, { num: 1, writer: WRITER_A, op: 1 }), /no writer key for epoch 4/);
  });
});
