// Key rotation primitives: the mutable writer ring only grows and only moves
// forward, and derives exactly what SecretWriterKeyring derives; a node key
// delivery opens only for its node, under its wrap key, for its epoch.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyConflictError, MutableWriterKeyring, openNodeKey, sealNodeKey, SecretWriterKeyring } from './keys.js';

describe('MutableWriterKeyring', () => {
  const s0 = randomBytes(32);
  const s1 = randomBytes(32);

  it('derives the same keys as SecretWriterKeyring for every held epoch', () => {
    const fixed = new SecretWriterKeyring(new Map([[0, s0], [1, s1]]), 1);
    const ring = new MutableWriterKeyring(new Map([[0, s0]]), 0);
    assert.equal(ring.writerKey(1), undefined);
    assert.equal(ring.add(1, s1), true);
    for (const e of [0, 1]) {
      assert.deepEqual(ring.writerKey(e), fixed.writerKey(e));
      for (let i = 0; i < 4; i++) assert.deepEqual(ring.nodeKey(e, i), fixed.nodeKey(e, i));
    }
    assert.deepEqual(ring.epochs, [0, 1]);
  });

  it('moves the current epoch forward only, and only to a held epoch', () => {
    const ring = new MutableWriterKeyring(new Map([[0, s0]]), 0);
    assert.equal(ring.advance(1), false, 'epoch 1 not held');
    assert.equal(ring.currentEpoch, 0);
    ring.add(1, s1);
    assert.equal(ring.advance(1), true);
    assert.equal(ring.currentEpoch, 1);
    assert.equal(ring.advance(0), false, 'never backwards');
    assert.equal(ring.currentEpoch, 1);
  });

  it('refuses a different secret for a held epoch and accepts the same one again', () => {
    const ring = new MutableWriterKeyring(new Map([[0, s0]]), 0);
    assert.equal(ring.add(0, Buffer.from(s0)), false);
    assert.throws(() => ring.add(0, s1), KeyConflictError);
    assert.deepEqual(ring.secret(0), s0);
  });

  it('reports a key asked for of a newer, unknown epoch', () => {
    const ring = new MutableWriterKeyring(new Map([[0, s0]]), 0);
    const seen: number[] = [];
    ring.onUnknownEpoch = (e) => seen.push(e);
    ring.writerKey(3);
    ring.nodeKey(0, 1);
    assert.deepEqual(seen, [3]);
  });
});

describe('node key delivery sealing', () => {
  const wrap = randomBytes(32);
  const key = randomBytes(32);

  it('opens for the node, wrap epoch and epoch it was sealed for', () => {
    const d = sealNodeKey(wrap, 2, 0, 1, key);
    assert.ok(!d.box.includes(key.toString('hex')), 'the key is not in the box in clear');
    assert.deepEqual(openNodeKey(wrap, d), key);
  });

  it('does not open under another key, or moved to another node or epoch, or altered', () => {
    const d = sealNodeKey(wrap, 2, 0, 1, key);
    assert.equal(openNodeKey(randomBytes(32), d), null);
    assert.equal(openNodeKey(wrap, { ...d, node: 3 }), null);
    assert.equal(openNodeKey(wrap, { ...d, epoch: 2 }), null);
    assert.equal(openNodeKey(wrap, { ...d, wrapEpoch: 1 }), null);
    const flipped = Buffer.from(d.box, 'hex');
    flipped[20]! ^= 1;
    assert.equal(openNodeKey(wrap, { ...d, box: flipped.toString('hex') }), null);
    assert.equal(openNodeKey(wrap, { ...d, box: 'zz' }), null);
  });
});
